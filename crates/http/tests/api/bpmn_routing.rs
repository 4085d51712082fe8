//! BPMN node kinds routing real cases, on both backends: models imported through the store
//! (`Store::import_workflow`, what `POST /api/v1/workflows/import` calls) and walked
//! through OmniBPM's `document/create|submit|get`; receive tasks, message starts and
//! service calls through the store commands the Questetra dialect and the service-task
//! worker call; timers through `expire_deadlines` with a later `now`.

use crate::both;
use crate::helpers::{Org, TestApp};
use crate::omnibpm_document::*;
use chrono::{Duration, Utc};
use serde_json::{json, Value};
use sluice_domain::engine::Values;
use sluice_domain::workflow::{
    Assignee, DataType, Field, FieldValue, HttpCall, MessageTrigger, Node, NodeKind, NodeSpec,
    Shape, Timer, Workflow,
};
use sluice_domain::{FieldId, NodeId, OrgId, UserId, WorkflowId};
use std::collections::BTreeMap;

/// The provisional id of the model's one field, `amount` (INT).
const AMOUNT: i64 = 1;

/// A node of a model: provisional `id`, BPMN key `Node_<id>`, kind, children.
fn n(id: i64, kind: NodeKind, children: &[i64]) -> Node {
    Node {
        id: NodeId(id),
        org_id: OrgId(0),
        workflow_id: WorkflowId(0),
        spec: NodeSpec {
            note: format!("Node {id}"),
            n_sign: 1,
            assignee: Assignee::Creator,
            job_assignment: None,
            allow_cc: false,
            cc_targets: Default::default(),
            require_all_cc_response: false,
            autocomplete_condition: None,
            autocomplete_deadline: 0,
            fields: Default::default(),
            kind,
        },
        children: children.iter().map(|c| NodeId(*c)).collect(),
        conditions: BTreeMap::new(),
        key: Some(format!("Node_{id}")),
        shape: Some(Shape {
            x: id as f64 * 100.0,
            y: 50.0,
            width: 100.0,
            height: 80.0,
        }),
    }
}

/// A user task signed by `user`.
fn task(id: i64, user: i64, children: &[i64]) -> Node {
    let mut t = n(id, NodeKind::Task, children);
    t.spec.assignee = Assignee::User(UserId(user));
    t.spec.fields.visible.insert(FieldId(AMOUNT));
    t.spec.fields.editable.insert(FieldId(AMOUNT));
    t
}

fn start(id: i64, children: &[i64]) -> Node {
    n(id, NodeKind::Start { message: None }, children)
}

fn end(id: i64) -> Node {
    n(id, NodeKind::End, &[])
}

fn amount_field() -> Vec<Field> {
    vec![Field {
        id: FieldId(AMOUNT),
        org_id: OrgId(0),
        workflow_id: WorkflowId(0),
        name: "amount".into(),
        data_type: DataType::Int,
        formula: None,
        is_active: true,
    }]
}

fn amount(v: i64) -> Values {
    let mut values = Values::new();
    values.insert(FieldId(AMOUNT), FieldValue::Int(v));
    values
}

/// An organization with an administrator (who imports, and whom message starts run as).
async fn setup(app: &TestApp) -> (Co, i64) {
    let co = Co::new(app, "ACME").await;
    let admin = co
        .user_at(
            app,
            "admin",
            co.dept("MIS Department"),
            co.rank("Specialist"),
            json!({"with_admin_permissions": true}),
        )
        .await;
    (co, admin)
}

/// Imports and activates a model; returns the version.
async fn import(app: &TestApp, org: &Org, admin: i64, name: &str, nodes: Vec<Node>) -> Workflow {
    let w = app
        .store
        .import_workflow(OrgId(org.id), UserId(admin), name, amount_field(), nodes)
        .await
        .expect("import");
    assert!(w.is_complete && !w.is_active, "{w:?}");
    app.ok(
        org,
        "workflow/activate",
        json!({"workflow": {"__id__": w.id.0}}),
    )
    .await;
    w
}

/// The stored id of the node with BPMN key `Node_<id>`.
async fn node_id(app: &TestApp, org: &Org, wf: &Workflow, provisional: i64) -> i64 {
    let nodes = app
        .store
        .workflow_nodes(OrgId(org.id), wf.id)
        .await
        .expect("nodes");
    let key = format!("Node_{provisional}");
    nodes
        .iter()
        .find(|n| n.key.as_deref() == Some(key.as_str()))
        .unwrap_or_else(|| panic!("no node {key}"))
        .id
        .0
}

/// The stored ids of several nodes by provisional id.
async fn node_ids(app: &TestApp, org: &Org, wf: &Workflow, provisional: &[i64]) -> Vec<i64> {
    let mut out = Vec::new();
    for p in provisional {
        out.push(node_id(app, org, wf, *p).await);
    }
    out.sort();
    out
}

fn amount_content(wf_fields: &[Field], v: i64) -> Value {
    let id = wf_fields
        .iter()
        .find(|f| f.name == "amount")
        .expect("amount")
        .id
        .0;
    fc(&[(id, json!(v))])
}

async fn fields(app: &TestApp, org: &Org, wf: &Workflow) -> Vec<Field> {
    app.store
        .workflow_fields(OrgId(org.id), wf.id)
        .await
        .expect("fields")
}

/// A model branching on `amount` after the first task: over 100 to "Big", else (default)
/// to "Small".
fn exclusive_model(clerk: i64, boss: i64) -> Vec<Node> {
    let mut xor = n(
        3,
        NodeKind::ExclusiveGateway {
            default: Some(NodeId(5)),
        },
        &[4, 5],
    );
    xor.conditions.insert(NodeId(4), "amount > 100".into());
    vec![
        start(1, &[2]),
        task(2, clerk, &[3]),
        xor,
        task(4, boss, &[6]),
        task(5, clerk, &[6]),
        end(6),
    ]
}

both! {
    async fn an_exclusive_gateway_takes_the_condition_or_the_default(app) {
        let (co, admin) = setup(&app).await;
        let org = &co.org;
        let clerk = co.clerk(&app, "clerk").await;
        let boss = co.clerk(&app, "boss").await;
        let wf = import(&app, org, admin, "Purchase", exclusive_model(clerk, boss)).await;
        let fs = fields(&app, org, &wf).await;
        let first = node_id(&app, org, &wf, 2).await;
        let big = node_id(&app, org, &wf, 4).await;
        let small = node_id(&app, org, &wf, 5).await;

        let doc = create_id(&app, org, wf.id.0, clerk, "Big one").await;
        assert_eq!(current(&get(&app, org, doc, clerk).await), [first]);
        submit(&app, org, doc, clerk, amount_content(&fs, 500)).await;
        let d = get(&app, org, doc, boss).await;
        assert_eq!(current(&d), [big]);
        assert_eq!(ids(&d["current_users_ids"]), [boss]);
        let r = submit(&app, org, doc, boss, json!({})).await;
        assert_eq!(r["is_complete"], true, "{r}");

        let doc = create_id(&app, org, wf.id.0, clerk, "Small one").await;
        submit(&app, org, doc, clerk, amount_content(&fs, 7)).await;
        let d = get(&app, org, doc, clerk).await;
        assert_eq!(current(&d), [small]);
        // The branch not taken is never current and never signed.
        submit_err(&app, org, doc, 2, boss, json!({}), 403).await;
        let r = submit(&app, org, doc, clerk, json!({})).await;
        assert_eq!(r["is_complete"], true, "{r}");
    }

    async fn a_parallel_split_waits_for_both_branches_at_the_join(app) {
        let (co, admin) = setup(&app).await;
        let org = &co.org;
        let clerk = co.clerk(&app, "clerk").await;
        let a = co.clerk(&app, "a").await;
        let b = co.clerk(&app, "b").await;
        let model = vec![
            start(1, &[2]),
            n(2, NodeKind::ParallelGateway, &[3, 4]),
            task(3, a, &[5]),
            task(4, b, &[5]),
            n(5, NodeKind::ParallelGateway, &[6]),
            task(6, clerk, &[7]),
            end(7),
        ];
        let wf = import(&app, org, admin, "Review", model).await;
        let branches = node_ids(&app, org, &wf, &[3, 4]).await;
        let last = node_id(&app, org, &wf, 6).await;
        let doc = create_id(&app, org, wf.id.0, clerk, "Both").await;
        assert_eq!(current(&get(&app, org, doc, clerk).await), branches);
        submit(&app, org, doc, a, json!({})).await;
        let left = node_id(&app, org, &wf, 4).await;
        assert_eq!(current(&get(&app, org, doc, clerk).await), [left], "the join waits");
        submit(&app, org, doc, b, json!({})).await;
        assert_eq!(current(&get(&app, org, doc, clerk).await), [last]);
        let r = submit(&app, org, doc, clerk, json!({})).await;
        assert_eq!(r["is_complete"], true, "{r}");
    }

    async fn a_receive_task_waits_for_its_message(app) {
        let (co, admin) = setup(&app).await;
        let org = &co.org;
        let clerk = co.clerk(&app, "clerk").await;
        let model = vec![
            start(1, &[2]),
            task(2, clerk, &[3]),
            n(3, NodeKind::Receive(MessageTrigger::default()), &[4]),
            task(4, clerk, &[5]),
            end(5),
        ];
        let wf = import(&app, org, admin, "Wait", model).await;
        let (receive, after) = (node_id(&app, org, &wf, 3).await, node_id(&app, org, &wf, 4).await);
        let store = &app.store;
        let o = OrgId(org.id);
        let doc = create_id(&app, org, wf.id.0, clerk, "Waiting").await;
        let d = sluice_domain::DocId(doc);
        // Not waiting there yet: a conflict, and nothing changes.
        let at = NodeId(receive);
        let e = store.receive_document_message(o, wf.id, d, at, amount(1)).await;
        assert!(matches!(e, Err(sluice_store::Error::Domain(sluice_domain::Error::Conflict(_)))), "{e:?}");
        assert_eq!(get(&app, org, doc, clerk).await["latest_version"], 1);
        submit(&app, org, doc, clerk, json!({})).await;
        let g = get(&app, org, doc, clerk).await;
        assert_eq!((current(&g), ids(&g["current_users_ids"])), (vec![receive], vec![]));
        // Unknown node, another version, another organization: not found.
        let e = store.receive_document_message(o, wf.id, d, NodeId(receive + 1000), amount(1)).await;
        assert!(matches!(e, Err(sluice_store::Error::Domain(sluice_domain::Error::NotFound(_)))), "{e:?}");
        let other = WorkflowId(wf.id.0 + 1000);
        let e = store.receive_document_message(o, other, d, at, amount(1)).await;
        assert!(matches!(e, Err(sluice_store::Error::Domain(sluice_domain::Error::NotFound(_)))), "{e:?}");
        let stranger = Co::new(&app, "EVIL").await;
        let e = store.receive_document_message(OrgId(stranger.org.id), wf.id, d, at, amount(1)).await;
        assert!(matches!(e, Err(sluice_store::Error::Domain(sluice_domain::Error::NotFound(_)))), "{e:?}");
        let v = store
            .receive_document_message(o, wf.id, d, at, amount(42))
            .await
            .expect("receive");
        let g = get(&app, org, doc, clerk).await;
        assert_eq!((g["latest_version"].as_i64(), current(&g)), (Some(v), vec![after]));
        assert!(g["field_content"].to_string().contains("42"), "{g}");
        assert!(kinds(&logs(&app, org, doc).await).contains(&("receive".into(), "message".into())));
        let e = store.receive_document_message(o, wf.id, d, at, amount(1)).await;
        assert!(matches!(e, Err(sluice_store::Error::Domain(sluice_domain::Error::Conflict(_)))), "{e:?}");
    }

    async fn a_timer_event_fires_at_its_time(app) {
        let (co, admin) = setup(&app).await;
        let org = &co.org;
        let clerk = co.clerk(&app, "clerk").await;
        let model = vec![
            start(1, &[2]),
            n(2, NodeKind::Timer(Timer::After { seconds: 3600 }), &[3]),
            task(3, clerk, &[4]),
            end(4),
        ];
        let wf = import(&app, org, admin, "Later", model).await;
        let (timer, after) = (node_id(&app, org, &wf, 2).await, node_id(&app, org, &wf, 3).await);
        let doc = create_id(&app, org, wf.id.0, clerk, "Tick").await;
        assert_eq!(current(&get(&app, org, doc, clerk).await), [timer]);
        let due = app.store.next_deadline().await.expect("next").expect("a deadline");
        assert!(due > Utc::now() + Duration::minutes(59), "{due}");
        assert_eq!(app.store.expire_deadlines(Utc::now(), 100).await.expect("expire"), 0);
        assert_eq!(current(&get(&app, org, doc, clerk).await), [timer]);
        let later = Utc::now() + Duration::hours(2);
        assert_eq!(app.store.expire_deadlines(later, 100).await.expect("expire"), 1);
        assert_eq!(current(&get(&app, org, doc, clerk).await), [after]);
        assert!(kinds(&logs(&app, org, doc).await).contains(&("timer".into(), "timer".into())));
        assert_eq!(app.store.next_deadline().await.expect("next"), None);
    }

    async fn a_boundary_timer_interrupts_its_task_unless_it_is_done_first(app) {
        let (co, admin) = setup(&app).await;
        let org = &co.org;
        let clerk = co.clerk(&app, "clerk").await;
        let boss = co.clerk(&app, "boss").await;
        let model = vec![
            start(1, &[2]),
            task(2, boss, &[3, 4]),
            task(3, clerk, &[6]),
            n(4, NodeKind::TimerBoundary(Timer::After { seconds: 600 }), &[5]),
            task(5, clerk, &[6]),
            end(6),
        ];
        let wf = import(&app, org, admin, "Escalate", model).await;
        let approve = node_id(&app, org, &wf, 2).await;
        let normal = node_id(&app, org, &wf, 3).await;
        let escalated = node_id(&app, org, &wf, 5).await;
        let late = create_id(&app, org, wf.id.0, clerk, "Late").await;
        let quick = create_id(&app, org, wf.id.0, clerk, "Quick").await;
        submit(&app, org, quick, boss, json!({})).await;
        assert_eq!(current(&get(&app, org, quick, clerk).await), [normal]);
        assert_eq!(current(&get(&app, org, late, clerk).await), [approve]);
        let later = Utc::now() + Duration::hours(1);
        assert_eq!(app.store.expire_deadlines(later, 100).await.expect("expire"), 1);
        let d = get(&app, org, late, clerk).await;
        assert_eq!(current(&d), [escalated]);
        submit_err(&app, org, late, d["latest_version"].as_i64().unwrap(), boss, json!({}), 403).await;
        assert!(kinds(&logs(&app, org, late).await).contains(&("timer".into(), "boundary".into())));
        // The one signed in time went on normally and keeps no deadline.
        assert_eq!(current(&get(&app, org, quick, clerk).await), [normal]);
        assert_eq!(app.store.next_deadline().await.expect("next"), None);
    }

    async fn a_message_start_is_idempotent_by_key(app) {
        let (co, admin) = setup(&app).await;
        let org = &co.org;
        let clerk = co.clerk(&app, "clerk").await;
        let model = vec![
            n(1, NodeKind::Start { message: Some(MessageTrigger::default()) }, &[2]),
            task(2, clerk, &[3]),
            end(3),
        ];
        let wf = import(&app, org, admin, "Inbound", model).await;
        let first = node_id(&app, org, &wf, 2).await;
        let (store, o, fam) = (&app.store, OrgId(org.id), wf.id);
        let go = NodeId(node_id(&app, org, &wf, 1).await);
        let (doc, created) = store
            .start_by_message(o, fam, go, amount(9), Some("req-1"))
            .await
            .expect("start");
        assert!(created);
        let d = get(&app, org, doc.0, clerk).await;
        assert_eq!(current(&d), [first]);
        assert_eq!(d["creator_id"].as_i64(), Some(admin), "{d}");
        assert!(d["field_content"].to_string().contains('9'), "{d}");
        assert!(kinds(&logs(&app, org, doc.0).await).contains(&("create".into(), "message_start".into())));
        let again = store.start_by_message(o, fam, go, amount(9), Some("req-1")).await.expect("retry");
        assert_eq!(again, (doc, false));
        // Racing requests with one key make one case.
        let (x, y) = tokio::join!(
            store.start_by_message(o, fam, go, amount(1), Some("race")),
            store.start_by_message(o, fam, go, amount(1), Some("race")),
        );
        let (x, y) = (x.expect("x"), y.expect("y"));
        assert_eq!(x.0, y.0);
        assert_eq!([x.1, y.1].iter().filter(|c| **c).count(), 1, "{x:?} {y:?}");
        // Without a key, or with another one, every request starts a case.
        let (a, _) = store.start_by_message(o, fam, go, amount(1), None).await.expect("a");
        let (b, _) = store.start_by_message(o, fam, go, amount(1), None).await.expect("b");
        assert!(a != b && a != doc && b != x.0);
        let not_found = |r: sluice_store::Result<(sluice_domain::DocId, bool)>| {
            matches!(r, Err(sluice_store::Error::Domain(sluice_domain::Error::NotFound(_))))
        };
        // A task is not a message start; unknown nodes and organizations neither.
        assert!(not_found(store.start_by_message(o, fam, NodeId(first), amount(1), None).await));
        assert!(not_found(store.start_by_message(o, fam, NodeId(go.0 + 1000), amount(1), None).await));
        let stranger = Co::new(&app, "EVIL").await;
        assert!(not_found(store.start_by_message(OrgId(stranger.org.id), fam, go, amount(1), None).await));
        let long = "k".repeat(201);
        let e = store.start_by_message(o, fam, go, amount(1), Some(&long)).await;
        assert!(matches!(e, Err(sluice_store::Error::Domain(sluice_domain::Error::Invalid(_)))), "{e:?}");
        // An inactive family has no version to start.
        app.ok(org, "workflow/inactivate", json!({"workflow": {"__id__": wf.id.0}})).await;
        assert!(not_found(store.start_by_message(o, fam, go, amount(1), Some("req-1")).await));
    }

    async fn service_calls_are_claimed_once_retried_and_finished(app) {
        let (co, admin) = setup(&app).await;
        let org = &co.org;
        let clerk = co.clerk(&app, "clerk").await;
        let call = HttpCall {
            method: "POST".into(),
            url: "https://example.com/hook".into(),
            body_fields: vec![FieldId(AMOUNT)],
            result: BTreeMap::from([("/amount".to_string(), FieldId(AMOUNT))]),
            retries: 2,
            backoff_seconds: 1,
        };
        let model = vec![
            start(1, &[2]),
            n(2, NodeKind::Service(call), &[3]),
            task(3, clerk, &[4]),
            end(4),
        ];
        let wf = import(&app, org, admin, "Call out", model).await;
        let (service, after) = (node_id(&app, org, &wf, 2).await, node_id(&app, org, &wf, 3).await);
        let store = &app.store;
        let o = OrgId(org.id);
        let ok_doc = create_id(&app, org, wf.id.0, clerk, "Answered").await;
        let bad_doc = create_id(&app, org, wf.id.0, clerk, "Failing").await;
        let now = Utc::now() + Duration::seconds(1);
        let due = store.due_service_calls(now, 10).await.expect("due");
        assert_eq!(due.len(), 2, "{due:?}");
        assert!(due.iter().all(|c| c.node.0 == service && c.attempt == 0 && c.org == o));
        let lease = std::time::Duration::from_secs(60);
        let first = store.claim_service_call(&due[0], now, lease).await.expect("claim");
        assert_eq!(first.map(|c| c.attempt), Some(1));
        // A second instance that saw the same row gets nothing.
        assert_eq!(store.claim_service_call(&due[0], now, lease).await.expect("claim"), None);
        assert_eq!(store.due_service_calls(now, 10).await.expect("due").len(), 1);
        let second = store.claim_service_call(&due[1], now, lease).await.expect("claim");
        for c in [first.expect("first"), second.expect("second")] {
            let doc = c.doc;
            if doc.0 == ok_doc {
                let v = store.service_call_succeeded(&c, amount(77)).await.expect("done");
                let g = get(&app, org, ok_doc, clerk).await;
                assert_eq!((g["latest_version"].as_i64(), current(&g)), (Some(v), vec![after]));
                assert!(g["field_content"].to_string().contains("77"), "{g}");
            } else {
                let retry = Utc::now() + Duration::hours(1);
                store.service_call_failed(&c, "503 from example.com", Some(retry)).await.expect("retry");
                assert!(store.due_service_calls(now, 10).await.expect("due").is_empty());
                let due = store.due_service_calls(retry, 10).await.expect("due");
                assert_eq!((due.len(), due[0].doc), (1, doc));
                let c = store.claim_service_call(&due[0], retry, lease).await.expect("claim").expect("retry claimed");
                store.service_call_failed(&c, "503 again", None).await.expect("final");
                let g = get(&app, org, bad_doc, clerk).await;
                assert_eq!(current(&g), [service], "stays at the failed call");
                assert!(store.due_service_calls(retry, 10).await.expect("due").is_empty());
                assert!(kinds(&logs(&app, org, bad_doc).await).contains(&("service".into(), "service_failed".into())));
                // Failed for good: a late answer is refused.
                let e = store.service_call_succeeded(&c, amount(1)).await;
                assert!(matches!(e, Err(sluice_store::Error::Domain(_))), "{e:?}");
            }
        }
        let view = store
            .document_view(o, sluice_domain::DocId(bad_doc), UserId(admin), None)
            .await
            .expect("doc");
        let run = &view.record.case.route.nodes[&NodeId(service)];
        assert_eq!(run.error.as_deref(), Some("503 again"));
    }

    async fn import_numbers_versions_and_clone_keeps_bpmn_nodes(app) {
        let (co, admin) = setup(&app).await;
        let org = &co.org;
        let clerk = co.clerk(&app, "clerk").await;
        let boss = co.clerk(&app, "boss").await;
        let o = OrgId(org.id);
        let first = import(&app, org, admin, "Purchase", exclusive_model(clerk, boss)).await;
        let second = app.store.import_workflow(o, UserId(admin), "Purchase", amount_field(), exclusive_model(clerk, boss)).await.expect("again");
        assert_eq!((second.family_id, second.version, second.is_active), (first.family_id, first.version + 1, false));
        let clone = app.ok(org, "workflow/clone", json!({"from_workflow": {"__id__": second.id.0}})).await;
        let clone = WorkflowId(clone["workflow"]["__id__"].as_i64().expect("id"));
        let fs = app.store.workflow_fields(o, clone).await.expect("fields");
        let old = app.store.workflow_nodes(o, second.id).await.expect("nodes");
        let new = app.store.workflow_nodes(o, clone).await.expect("nodes");
        assert_eq!(new.len(), old.len());
        let by_key = |nodes: &[Node], k: &str| nodes.iter().find(|n| n.key.as_deref() == Some(k)).cloned().expect(k);
        for o_node in &old {
            let k = o_node.key.clone().expect("key");
            let c = by_key(&new, &k);
            assert_eq!((c.spec.kind.code(), c.shape), (o_node.spec.kind.code(), o_node.shape));
            assert_eq!(c.children.len(), o_node.children.len());
        }
        let xor = by_key(&new, "Node_3");
        let small = by_key(&new, "Node_5").id;
        let big = by_key(&new, "Node_4").id;
        assert_eq!(xor.spec.kind, NodeKind::ExclusiveGateway { default: Some(small) });
        let cond = &xor.conditions[&big];
        assert!(cond.contains("amount") || cond.contains(&format!("field_{}", fs[0].id.0)), "{cond}");
        // OmniBPM's workflow_node/update replaces the default flow's target by a new node:
        // the gateway's default follows it.
        let r = app.ok(org, "workflow_node/update", json!({"node": {"__id__": small.0, "note": "Small, renamed"}})).await;
        let small = NodeId(r["node"]["__id__"].as_i64().expect("new id"));
        let new = app.store.workflow_nodes(o, clone).await.expect("nodes");
        assert_eq!(by_key(&new, "Node_3").spec.kind, NodeKind::ExclusiveGateway { default: Some(small) });
        // The clone finalizes (check_runnable passes) and routes like the original.
        activate(&app, org, clone.0).await;
        let doc = create_id(&app, org, clone.0, clerk, "Cloned").await;
        submit(&app, org, doc, clerk, amount_content(&fs, 1000)).await;
        assert_eq!(current(&get(&app, org, doc, clerk).await), [big.0]);
        let doc = create_id(&app, org, clone.0, clerk, "Cloned, small").await;
        submit(&app, org, doc, clerk, amount_content(&fs, 1)).await;
        assert_eq!(current(&get(&app, org, doc, clerk).await), [small.0]);
    }

    async fn import_refuses_models_that_cannot_be_stored_or_run(app) {
        let (co, admin) = setup(&app).await;
        let org = &co.org;
        let clerk = co.clerk(&app, "clerk").await;
        let o = OrgId(org.id);
        let try_import = |name: &'static str, nodes: Vec<Node>| {
            let store = app.store.clone();
            async move { store.import_workflow(o, UserId(admin), name, amount_field(), nodes).await }
        };
        let invalid = |r: &sluice_store::Result<Workflow>| {
            matches!(r, Err(sluice_store::Error::Domain(sluice_domain::Error::Invalid(_))))
        };
        let mut dup = vec![start(1, &[2]), task(2, clerk, &[3]), end(3)];
        dup[2].key = Some("Node_2".into());
        assert!(invalid(&try_import("Dup", dup).await));
        let dangling = vec![start(1, &[2]), task(2, clerk, &[9])];
        assert!(invalid(&try_import("Dangling", dangling).await));
        let mut bad_default = exclusive_model(clerk, clerk);
        bad_default[2].spec.kind = NodeKind::ExclusiveGateway { default: Some(NodeId(1)) };
        assert!(invalid(&try_import("Bad default", bad_default).await));
        // Another organization's user is not found.
        let other = Co::new(&app, "EVIL").await;
        let outsider = other.clerk(&app, "outsider").await;
        let r = try_import("Outsider", vec![start(1, &[2]), task(2, outsider, &[3]), end(3)]).await;
        assert!(matches!(r, Err(sluice_store::Error::Domain(sluice_domain::Error::NotFound(_)))), "{r:?}");
        // Nothing was written.
        let list = app.ok(org, "workflow/list", json!({})).await;
        assert_eq!(list["workflows"], json!([]), "{list}");
    }

    async fn omnibpm_workflows_route_and_copy_as_before(app) {
        let co = Co::new(&app, "ACME").await;
        let org = &co.org;
        let clerk = co.clerk(&app, "clerk").await;
        let boss = co.clerk(&app, "boss").await;
        let (wf, a, b) = two_steps(&app, org, "Leave", boss).await;
        let nodes = app.store.workflow_nodes(OrgId(org.id), WorkflowId(wf)).await.expect("nodes");
        assert!(nodes.iter().all(|n| n.spec.kind == NodeKind::Task && n.key.is_none() && n.shape.is_none() && n.conditions.is_empty()));
        let id = create_id(&app, org, wf, clerk, "Leave").await;
        assert_eq!(current(&get(&app, org, id, clerk).await), [a]);
        submit(&app, org, id, clerk, json!({})).await;
        assert_eq!(current(&get(&app, org, id, boss).await), [b]);
        let copy = app.ok(org, "workflow/save_as", json!({"workflow": {"__id__": wf}, "new_name": "Leave 2"})).await;
        let copy = copy["workflow"]["__id__"].as_i64().expect("id");
        let copied = app.store.workflow_nodes(OrgId(org.id), WorkflowId(copy)).await.expect("nodes");
        assert_eq!(copied.len(), 2);
        assert!(copied.iter().all(|n| n.spec.kind == NodeKind::Task && n.key.is_none()));
    }
}
