//! OmniBPM documents: real cases walked through workflows, on both backends.

use crate::both;
use crate::helpers::{Org, TestApp};
use serde_json::{json, Value};
use std::collections::HashMap;

/// Creates a workflow with `nodes` (node objects of `workflow_node/create`) linked by
/// `links` (parent index, child index); returns its id and the node ids.
pub async fn workflow(
    app: &TestApp,
    org: &Org,
    name: &str,
    nodes: &[Value],
    links: &[(usize, usize)],
) -> (i64, Vec<i64>) {
    let wf = app
        .ok(org, "workflow/create", json!({"workflow": {"name": name}}))
        .await;
    let wf = wf["workflow"]["__id__"].as_i64().expect("workflow id");
    let mut ids = Vec::new();
    for n in nodes {
        let v = app
            .ok(
                org,
                "workflow_node/create",
                json!({"workflow": {"__id__": wf}, "node": n}),
            )
            .await;
        ids.push(v["node"]["__id__"].as_i64().expect("node id"));
    }
    for (p, c) in links {
        app.ok(
            org,
            "workflow_node/add_child",
            json!({"node": {"__id__": ids[*p]}, "child": {"__id__": ids[*c]}}),
        )
        .await;
    }
    (wf, ids)
}

/// Adds a field to a workflow; returns its id.
pub async fn field(app: &TestApp, org: &Org, wf: i64, name: &str, data_type: &str) -> i64 {
    let v = app
        .ok(
            org,
            "workflow_field/create",
            json!({"workflow": {"__id__": wf}, "field": {"name": name, "data_type": data_type}}),
        )
        .await;
    v["field"]["__id__"].as_i64().expect("field id")
}

/// Finalizes and activates a workflow.
pub async fn activate(app: &TestApp, org: &Org, wf: i64) {
    app.ok(
        org,
        "workflow/finalize",
        json!({"workflow": {"__id__": wf}}),
    )
    .await;
    app.ok(
        org,
        "workflow/activate",
        json!({"workflow": {"__id__": wf}}),
    )
    .await;
}

/// Creates a document as `creator`; returns the document object.
pub async fn create(app: &TestApp, org: &Org, wf: i64, creator: i64, title: &str) -> Value {
    let v = app
        .ok(org, "document/create", json!({"workflow": {"__id__": wf}, "creator": {"__id__": creator}, "document": {"title": title}}))
        .await;
    v["document"].clone()
}

/// Reads a document as `user`.
pub async fn get(app: &TestApp, org: &Org, doc: i64, user: i64) -> Value {
    app.ok(
        org,
        "document/get",
        json!({"document": {"__id__": doc}, "user": {"__id__": user}}),
    )
    .await["document"]
        .clone()
}

/// Submits the document's current version as `user`; returns the reply.
pub async fn submit(app: &TestApp, org: &Org, doc: i64, user: i64, content: Value) -> Value {
    let version = get(app, org, doc, user).await["latest_version"]
        .as_i64()
        .expect("version");
    app.ok(
        org,
        "document/submit",
        json!({"document": {"__id__": doc, "latest_version": version, "field_content": content}, "user": {"__id__": user}, "comment": "ok"}),
    )
    .await
}

pub fn ids(list: &Value) -> Vec<i64> {
    let mut v: Vec<i64> = list
        .as_array()
        .expect("array")
        .iter()
        .map(|o| o.as_i64().or_else(|| o["__id__"].as_i64()).expect("id"))
        .collect();
    v.sort();
    v
}

/// Sorted ids.
pub fn sorted(ids: &[i64]) -> Vec<i64> {
    let mut v = ids.to_vec();
    v.sort();
    v
}

/// `[{"__id__": a}, ...]`.
pub fn refs(ids: &[i64]) -> Value {
    Value::Array(ids.iter().map(|i| json!({"__id__": i})).collect())
}

/// An organization with its default departments, ranks and the "All Users" group by name.
pub struct Co {
    pub org: Org,
    pub depts: HashMap<String, i64>,
    pub ranks: HashMap<String, i64>,
    pub all_users: i64,
}

fn by_name(list: &Value) -> HashMap<String, i64> {
    list.as_array()
        .expect("list")
        .iter()
        .map(|o| {
            (
                o["name"].as_str().expect("name").to_string(),
                o["__id__"].as_i64().expect("id"),
            )
        })
        .collect()
}

impl Co {
    pub async fn new(app: &TestApp, abbr: &str) -> Co {
        let org = app.org(abbr).await;
        let depts = by_name(&app.ok(&org, "department/list", json!({})).await["departments"]);
        let ranks = by_name(&app.ok(&org, "rank/list", json!({})).await["ranks"]);
        let groups = by_name(&app.ok(&org, "group/list", json!({})).await["groups"]);
        Co {
            org,
            depts,
            ranks,
            all_users: groups["All Users"],
        }
    }

    pub fn dept(&self, name: &str) -> i64 {
        *self
            .depts
            .get(name)
            .unwrap_or_else(|| panic!("no department {name}"))
    }

    pub fn rank(&self, name: &str) -> i64 {
        *self
            .ranks
            .get(name)
            .unwrap_or_else(|| panic!("no rank {name}"))
    }

    /// A user `login` (no password) in department `dept` with rank `rank` (ids); `extra`
    /// members are merged into the user object.
    pub async fn user_at(
        &self,
        app: &TestApp,
        login: &str,
        dept: i64,
        rank: i64,
        extra: Value,
    ) -> i64 {
        let mut user = json!({
            "username": format!("{login}@{}", self.org.abbr),
            "display_name": format!("{login} name"),
            "email": format!("{login}@example.com"),
            "rank": {"__id__": rank},
            "department": {"__id__": dept}
        });
        for (k, v) in extra.as_object().into_iter().flatten() {
            user[k] = v.clone();
        }
        let v = app
            .ok(&self.org, "user/create", json!({"user": user}))
            .await;
        v["user"]["__id__"].as_i64().expect("user id")
    }

    /// A user in a department and rank given by name.
    pub async fn user(&self, app: &TestApp, login: &str, dept: &str, rank: &str) -> i64 {
        self.user_at(app, login, self.dept(dept), self.rank(rank), json!({}))
            .await
    }

    /// A Specialist of the MIS Department.
    pub async fn clerk(&self, app: &TestApp, login: &str) -> i64 {
        self.user(app, login, "MIS Department", "Specialist").await
    }

    /// A new department under `parent`.
    pub async fn department(&self, app: &TestApp, name: &str, parent: i64) -> i64 {
        let v = app
            .ok(
                &self.org,
                "department/create",
                json!({"department": {"name": name, "parent_department": {"__id__": parent}}}),
            )
            .await;
        v["department"]["__id__"].as_i64().expect("department id")
    }

    pub async fn set_head(&self, app: &TestApp, dept: i64, user: i64) {
        app.ok(
            &self.org,
            "department/update",
            json!({"department": {"__id__": dept, "department_head": {"__id__": user}}}),
        )
        .await;
    }

    /// A group with `members`.
    pub async fn group(&self, app: &TestApp, name: &str, members: &[i64]) -> i64 {
        let v = app
            .ok(
                &self.org,
                "group/create",
                json!({"group": {"name": name}, "users": refs(members)}),
            )
            .await;
        v["group"]["__id__"].as_i64().expect("group id")
    }
}

/// A new, empty workflow; returns its id.
pub async fn new_workflow(app: &TestApp, org: &Org, name: &str) -> i64 {
    let wf = app
        .ok(org, "workflow/create", json!({"workflow": {"name": name}}))
        .await;
    wf["workflow"]["__id__"].as_i64().expect("workflow id")
}

/// Adds a node (a `workflow_node/create` node object); returns its id.
pub async fn node(app: &TestApp, org: &Org, wf: i64, n: Value) -> i64 {
    let v = app
        .ok(
            org,
            "workflow_node/create",
            json!({"workflow": {"__id__": wf}, "node": n}),
        )
        .await;
    v["node"]["__id__"].as_i64().expect("node id")
}

/// Links `parent` to `child`.
pub async fn link(app: &TestApp, org: &Org, parent: i64, child: i64) {
    app.ok(
        org,
        "workflow_node/add_child",
        json!({"node": {"__id__": parent}, "child": {"__id__": child}}),
    )
    .await;
}

/// Adds a FORMULA field; returns its id.
pub async fn formula(app: &TestApp, org: &Org, wf: i64, name: &str, formula: &str) -> i64 {
    let v = app
        .ok(org, "workflow_field/create", json!({"workflow": {"__id__": wf}, "field": {"name": name, "data_type": "FORMULA", "formula": formula}}))
        .await;
    v["field"]["__id__"].as_i64().expect("field id")
}

/// Sets a workflow's permissions (`workflow_perm/set`), keeping "All Users" creatable
/// unless `body` sets `creatable_*` itself.
pub async fn perms(app: &TestApp, co: &Co, wf: i64, mut body: Value) {
    body["workflow"] = json!({"__id__": wf});
    let creatable = [
        "creatable_users",
        "creatable_groups",
        "creatable_departments",
    ];
    if !creatable.iter().any(|k| body.get(*k).is_some()) {
        body["creatable_groups"] = refs(&[co.all_users]);
    }
    app.ok(&co.org, "workflow_perm/set", body).await;
}

/// POSTs with the organization's key; returns status and body.
pub async fn call(app: &TestApp, org: &Org, path: &str, mut body: Value) -> (u16, Value) {
    body["api_key"] = json!(org.key);
    app.omni(path, body).await
}

/// A submit of `version` that must be refused with `status`; returns the message.
pub async fn submit_err(
    app: &TestApp,
    org: &Org,
    doc: i64,
    version: i64,
    user: i64,
    content: Value,
    status: u16,
) -> String {
    app.err(
        org,
        "document/submit",
        json!({"document": {"__id__": doc, "latest_version": version, "field_content": content}, "user": {"__id__": user}}),
        status,
    )
    .await
}

/// Creates a document and returns its id.
pub async fn create_id(app: &TestApp, org: &Org, wf: i64, creator: i64, title: &str) -> i64 {
    create(app, org, wf, creator, title).await["__id__"]
        .as_i64()
        .expect("document id")
}

/// The document's log entries.
pub async fn logs(app: &TestApp, org: &Org, doc: i64) -> Vec<Value> {
    app.ok(org, "document/log", json!({"document": {"__id__": doc}}))
        .await["logs"]
        .as_array()
        .expect("logs")
        .clone()
}

/// `(action, type)` of each log entry.
pub fn kinds(logs: &[Value]) -> Vec<(String, String)> {
    logs.iter()
        .map(|l| {
            (
                l["action"].as_str().expect("action").to_string(),
                l["type"].as_str().expect("type").to_string(),
            )
        })
        .collect()
}

/// `(action, type)` pairs from string literals.
pub fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, t)| (a.to_string(), t.to_string()))
        .collect()
}

/// The ids of the document's current nodes, sorted.
pub fn current(doc: &Value) -> Vec<i64> {
    ids(&doc["current_nodes_ids"])
}

/// The document's signatures (`signatures`, or `all_signatures`).
pub fn sigs<'a>(doc: &'a Value, key: &str) -> &'a Vec<Value> {
    doc[key].as_array().expect("signatures")
}

/// Asserts the OmniBPM error form with one of the client-error statuses, never a 500.
pub fn assert_refused(status: u16, v: &Value, what: &str) {
    assert!(
        [400, 403, 404, 409].contains(&status),
        "{what}: status {status}: {v}"
    );
    assert_eq!(v["RESPONSE"], "ERR", "{what}: {v}");
    assert!(
        v["RMSG"].as_str().is_some_and(|m| !m.is_empty()),
        "{what}: {v}"
    );
}

/// Polls `document/get` every 100 ms until `done` holds (at most 30 s).
pub async fn wait_for(
    app: &TestApp,
    org: &Org,
    doc: i64,
    viewer: i64,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let start = std::time::Instant::now();
    loop {
        let d = get(app, org, doc, viewer).await;
        if done(&d) {
            return d;
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(30),
            "timed out waiting: {d}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

both! {
    async fn a_three_node_approval_walks_to_completion(app) {
        let org = app.org("ACME").await;
        let clerk = app.user(&org, "clerk").await;
        let boss = app.user(&org, "boss").await;
        let fin = app.user(&org, "fin").await;
        let (wf, n) = workflow(
            &app,
            &org,
            "Expense",
            &[
                json!({"note": "Claim", "as_doc_creator": true, "n_sign": 1}),
                json!({"note": "Approve", "user": {"__id__": boss}, "n_sign": 1}),
                json!({"note": "Pay", "user": {"__id__": fin}, "n_sign": 1}),
            ],
            &[(0, 1), (1, 2)],
        )
        .await;
        let amount = field(&app, &org, wf, "Amount", "INT").await;
        // Updating a node replaces it with a new id and keeps its links.
        let claim = app.ok(&org, "workflow_node/update", json!({"node": {"__id__": n[0], "required_fields": [{"__id__": amount}]}})).await;
        let claim = claim["node"]["__id__"].as_i64().unwrap();
        assert_ne!(claim, n[0]);
        activate(&app, &org, wf).await;

        let doc = create(&app, &org, wf, clerk, "Taxi").await;
        let id = doc["__id__"].as_i64().unwrap();
        assert_eq!(doc["latest_version"], 1);
        assert_eq!(doc["title"], "Taxi");
        assert!(doc["serial"].as_str().unwrap().starts_with("Process-"), "{}", doc["serial"]);
        assert_eq!(ids(&doc["current_users_ids"]), [clerk]);
        assert_eq!(doc["is_submittable"], true);
        assert_eq!(doc["is_cancellable"], true);
        assert_eq!(doc["required_fields"][0]["__id__"], amount);

        // The required field must be filled.
        let msg = app
            .err(&org, "document/submit", json!({"document": {"__id__": id, "latest_version": 1, "field_content": {}}, "user": {"__id__": clerk}}), 400)
            .await;
        assert!(msg.contains("Amount"), "{msg}");
        let r = submit(&app, &org, id, clerk, json!({amount.to_string(): 42})).await;
        assert_eq!(r["version"], 2);
        assert_eq!(r["is_complete"], false);
        assert_eq!(r["document"]["__id__"], id);

        let d = get(&app, &org, id, boss).await;
        assert_eq!(ids(&d["current_users_ids"]), [boss]);
        assert_eq!(d["field_content"][amount.to_string()], 42);
        assert_eq!(ids(&d["completed_nodes_ids"]), [claim]);
        assert_eq!(d["is_submittable"], true);
        // Not the boss's turn for fin.
        app.err(&org, "document/submit", json!({"document": {"__id__": id, "latest_version": 2}, "user": {"__id__": fin}}), 403).await;

        submit(&app, &org, id, boss, json!({})).await;
        let r = submit(&app, &org, id, fin, json!({})).await;
        assert_eq!(r["is_complete"], true);
        assert_eq!(r["version"], 4);
        let d = get(&app, &org, id, clerk).await;
        assert_eq!(d["is_completed"], true);
        assert!(d["completion_time"]["__value__"].is_string());
        assert_eq!(ids(&d["signed_users_ids"]), {
            let mut v = vec![clerk, boss, fin];
            v.sort();
            v
        });
        assert_eq!(d["signatures"].as_array().unwrap().len(), 3);
        let log = app.ok(&org, "document/log", json!({"document": {"__id__": id}})).await;
        let kinds: Vec<(String, String)> = log["logs"].as_array().unwrap().iter()
            .map(|l| (l["action"].as_str().unwrap().into(), l["type"].as_str().unwrap().into())).collect();
        assert_eq!(kinds, [("create".into(), "new_document".into()), ("sign".into(), "sign".into()), ("sign".into(), "sign".into()), ("sign".into(), "sign".into())]);
        let list = app.ok(&org, "document/list", json!({"current_user": {"__id__": clerk}, "created_document": true})).await;
        assert_eq!(ids(&list["completed"]), [id]);
        assert_eq!(list["processing"], json!([]));
    }

    async fn a_stale_version_gets_the_outdated_error(app) {
        let org = app.org("ACME").await;
        let clerk = app.user(&org, "clerk").await;
        let (wf, _) = workflow(&app, &org, "W", &[json!({"note": "Claim", "as_doc_creator": true, "n_sign": 1})], &[]).await;
        activate(&app, &org, wf).await;
        let id = create(&app, &org, wf, clerk, "T").await["__id__"].as_i64().unwrap();
        let (status, v) = app
            .omni("document/submit", json!({"api_key": org.key, "document": {"__id__": id, "latest_version": 7}, "user": {"__id__": clerk}}))
            .await;
        assert_eq!(status, 409);
        assert_eq!(v, json!({"RMSG": "Outdated Document Version:Outdated document.", "RESPONSE": "Outdated Document Version"}));
    }
}

/// The spec's DECIMAL example, `{"type": "decimal", "value": 3.14}` (from text: clippy takes
/// the literal for an approximate π).
pub fn spec_decimal() -> Value {
    serde_json::from_str(r#"{"type": "decimal", "value": 3.14}"#).expect("JSON")
}

/// A `field_content` object from `(field id, value)` pairs.
pub fn fc(values: &[(i64, Value)]) -> Value {
    Value::Object(
        values
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    )
}

/// The keys of a document's `field_content`, sorted.
pub fn content_keys(doc: &Value) -> Vec<String> {
    let mut k: Vec<String> = doc["field_content"]
        .as_object()
        .expect("field_content")
        .keys()
        .cloned()
        .collect();
    k.sort();
    k
}

/// Field ids as `field_content` keys, with `TITLE`, sorted.
pub fn keys_of(fields: &[i64]) -> Vec<String> {
    let mut k: Vec<String> = fields.iter().map(|f| f.to_string()).collect();
    k.push("TITLE".into());
    k.sort();
    k
}

/// A one-node workflow (the creator signs), activated; returns its id and the node.
pub async fn one_step(app: &TestApp, org: &Org, name: &str) -> (i64, i64) {
    let wf = new_workflow(app, org, name).await;
    let n = node(
        app,
        org,
        wf,
        json!({"note": "Apply", "as_doc_creator": true, "n_sign": 1}),
    )
    .await;
    activate(app, org, wf).await;
    (wf, n)
}

/// A two-node workflow: the creator, then `approver`; activated. Returns the workflow and
/// both nodes.
pub async fn two_steps(app: &TestApp, org: &Org, name: &str, approver: i64) -> (i64, i64, i64) {
    let wf = new_workflow(app, org, name).await;
    let a = node(
        app,
        org,
        wf,
        json!({"note": "Apply", "as_doc_creator": true, "n_sign": 1}),
    )
    .await;
    let b = node(
        app,
        org,
        wf,
        json!({"note": "Approve", "user": {"__id__": approver}, "n_sign": 1}),
    )
    .await;
    link(app, org, a, b).await;
    activate(app, org, wf).await;
    (wf, a, b)
}

both! {
    async fn create_needs_the_creatable_permission(app) {
        let co = Co::new(&app, "ACME").await;
        let org = &co.org;
        let alice = co.clerk(&app, "alice").await;
        let bob = co.clerk(&app, "bob").await;
        let fin = co.user(&app, "fin", "Finance Department", "Specialist").await;
        let (wf, _) = one_step(&app, org, "Leave").await;
        // A new workflow lets "All Users" create.
        let p = app.ok(org, "workflow_perm/list", json!({"workflow": {"__id__": wf}})).await;
        assert_eq!(ids(&p["creatable_groups"]), [co.all_users]);
        create_id(&app, org, wf, bob, "by bob").await;

        let body = |u: i64| json!({"workflow": {"__id__": wf}, "creator": {"__id__": u}, "document": {"title": "T"}});
        perms(&app, &co, wf, json!({"creatable_users": refs(&[alice])})).await;
        let msg = app.err(org, "document/create", body(bob), 403).await;
        assert!(msg.contains(&bob.to_string()), "{msg}");
        create_id(&app, org, wf, alice, "by alice").await;

        perms(&app, &co, wf, json!({"creatable_departments": refs(&[co.dept("Finance Department")])})).await;
        create_id(&app, org, wf, fin, "by fin").await;
        app.err(org, "document/create", body(alice), 403).await;

        let g = co.group(&app, "Clerks", &[bob]).await;
        perms(&app, &co, wf, json!({"creatable_groups": refs(&[g])})).await;
        create_id(&app, org, wf, bob, "by bob again").await;
        app.err(org, "document/create", body(alice), 403).await;
        // A delegate creates with the creator's permission, not their own.
        let mut b = body(bob);
        b["delegated_user"] = json!({"__id__": alice});
        let d = app.ok(org, "document/create", b).await;
        assert_eq!(d["document"]["creator_id"], bob);
        let mut b = body(alice);
        b["delegated_user"] = json!({"__id__": bob});
        app.err(org, "document/create", b, 403).await;
        // No permission at all: nobody creates.
        app.ok(org, "workflow_perm/set", json!({"workflow": {"__id__": wf}})).await;
        for u in [alice, bob, fin] {
            app.err(org, "document/create", body(u), 403).await;
        }
        // The refused calls created nothing.
        let count = |l: &Value| l["processing"].as_array().unwrap().len() + l["completed"].as_array().unwrap().len();
        let mine = |u: i64| json!({"current_user": {"__id__": u}, "created_document": true});
        assert_eq!(count(&app.ok(org, "document/list", mine(alice)).await), 1);
        assert_eq!(count(&app.ok(org, "document/list", mine(bob)).await), 3);
        assert_eq!(count(&app.ok(org, "document/list", mine(fin)).await), 1);
    }

    async fn create_refuses_unknown_inactive_or_foreign_creators_and_delegates(app) {
        let co = Co::new(&app, "ACME").await;
        let org = &co.org;
        let alice = co.clerk(&app, "alice").await;
        let bob = co.clerk(&app, "bob").await;
        let theirs = Co::new(&app, "OTHER").await.clerk(&app, "theirs").await;
        let (wf, _) = one_step(&app, org, "Leave").await;
        let body = |creator: i64, delegate: Option<i64>| {
            let mut b = json!({"workflow": {"__id__": wf}, "creator": {"__id__": creator}, "document": {"title": "T"}});
            if let Some(d) = delegate {
                b["delegated_user"] = json!({"__id__": d});
            }
            b
        };
        for (creator, delegate) in [(999_999_999, None), (theirs, None), (alice, Some(999_999_999)), (alice, Some(theirs))] {
            let msg = app.err(org, "document/create", body(creator, delegate), 404).await;
            let missing = delegate.unwrap_or(creator);
            assert!(msg.contains(&missing.to_string()), "{msg}");
        }
        app.ok(org, "user/inactivate", json!({"user": {"__id__": bob}})).await;
        let msg = app.err(org, "document/create", body(bob, None), 403).await;
        assert!(msg.contains("inactive"), "{msg}");
        app.err(org, "document/create", body(alice, Some(bob)), 403).await;
        // The refused calls created nothing.
        app.ok(org, "user/activate", json!({"user": {"__id__": bob}})).await;
        let created = |u: i64| json!({"current_user": {"__id__": u}, "created_document": true});
        for u in [alice, bob] {
            let l = app.ok(org, "document/list", created(u)).await;
            assert_eq!(l["processing"], json!([]), "{l}");
        }
        // The same calls, now valid, go through.
        let d = app.ok(org, "document/create", body(alice, Some(bob))).await;
        assert_eq!(d["document"]["creator_id"], alice);
    }

    async fn documents_are_created_from_the_active_version_only(app) {
        let co = Co::new(&app, "ACME").await;
        let org = &co.org;
        let alice = co.clerk(&app, "alice").await;
        let wf = new_workflow(&app, org, "Leave").await;
        node(&app, org, wf, json!({"note": "Apply", "as_doc_creator": true, "n_sign": 1})).await;
        let body = |wf: i64| json!({"workflow": {"__id__": wf}, "creator": {"__id__": alice}, "document": {"title": "T"}});
        let w = json!({"workflow": {"__id__": wf}});
        // A draft, then a finalized but inactive version, refuse documents.
        let msg = app.err(org, "document/create", body(wf), 409).await;
        assert!(msg.contains("not active"), "{msg}");
        app.ok(org, "workflow/finalize", w.clone()).await;
        app.err(org, "document/create", body(wf), 409).await;
        app.ok(org, "workflow/activate", w.clone()).await;
        let d1 = create_id(&app, org, wf, alice, "first").await;
        app.ok(org, "workflow/inactivate", w.clone()).await;
        app.err(org, "document/create", body(wf), 409).await;
        app.ok(org, "workflow/activate", w.clone()).await;
        create_id(&app, org, wf, alice, "second").await;
        // A new version takes over: the old one refuses new documents.
        let v2 = app.ok(org, "workflow/clone", json!({"from_workflow": {"__id__": wf}})).await["workflow"]["__id__"].as_i64().unwrap();
        activate(&app, org, v2).await;
        app.err(org, "document/create", body(wf), 409).await;
        let d3 = create(&app, org, v2, alice, "third").await;
        assert_eq!(d3["workflow"]["__id__"], v2);
        // A document of the old version goes on.
        let r = submit(&app, org, d1, alice, json!({})).await;
        assert_eq!(r["is_complete"], true);
        // Unknown workflows, and other organizations', are not found.
        app.err(org, "document/create", body(999_999_999), 404).await;
        let other = Co::new(&app, "OTHER").await;
        let (owf, _) = one_step(&app, &other.org, "Theirs").await;
        app.err(org, "document/create", body(owf), 404).await;
    }

    async fn a_workflow_with_documents_cannot_be_deleted(app) {
        let co = Co::new(&app, "ACME").await;
        let org = &co.org;
        let alice = co.clerk(&app, "alice").await;
        let (wf, _) = one_step(&app, org, "Leave").await;
        let doc = create_id(&app, org, wf, alice, "T").await;
        let msg = app.err(org, "workflow/delete", json!({"workflow": {"__id__": wf}}), 409).await;
        assert!(msg.contains("document"), "{msg}");
        app.ok(org, "document/cancel", json!({"document": {"__id__": doc}, "user": {"__id__": alice}})).await;
        app.err(org, "workflow/delete", json!({"workflow": {"__id__": wf}}), 409).await;
        let d = get(&app, org, doc, alice).await;
        assert_eq!(d["workflow"]["__id__"], wf);
        let list = app.ok(org, "workflow/list", json!({})).await;
        assert!(list["workflows"].as_array().unwrap().iter().any(|w| w["__id__"] == wf), "{list}");
        // A version without documents can go.
        let (empty, _) = one_step(&app, org, "Unused").await;
        app.ok(org, "workflow/delete", json!({"workflow": {"__id__": empty}})).await;
    }

    async fn submitted_values_are_checked_against_their_types(app) {
        let co = Co::new(&app, "ACME").await;
        let org = &co.org;
        let clerk = co.clerk(&app, "clerk").await;
        let boss = co.clerk(&app, "boss").await;
        let wf = new_workflow(&app, org, "Types").await;
        let n = field(&app, org, wf, "Count", "INT").await;
        let t = field(&app, org, wf, "Note", "UTF8").await;
        let d = field(&app, org, wf, "Price", "DECIMAL").await;
        let day = field(&app, org, wf, "Day", "DATE").await;
        let urgent = field(&app, org, wf, "Urgent", "BOOL").await;
        let total = formula(&app, org, wf, "Total", "Count * 2").await;
        let all = [n, t, d, day, urgent];
        let a = node(&app, org, wf, json!({"note": "Fill", "as_doc_creator": true, "n_sign": 1, "editable_fields": refs(&all)})).await;
        let b = node(&app, org, wf, json!({"note": "Check", "user": {"__id__": boss}, "n_sign": 1, "editable_fields": refs(&[n])})).await;
        link(&app, org, a, b).await;
        activate(&app, org, wf).await;
        let other_wf = new_workflow(&app, org, "Other").await;
        let foreign = field(&app, org, other_wf, "Foreign", "INT").await;
        let doc = create_id(&app, org, wf, clerk, "Types").await;
        let before = get(&app, org, doc, clerk).await;
        let bad: Vec<(Value, String)> = vec![
            (fc(&[(n, json!("12"))]), "Count".into()),
            (fc(&[(n, json!(1.5))]), "Count".into()),
            (fc(&[(n, json!(true))]), "Count".into()),
            (fc(&[(n, json!({"type": "decimal", "value": 1}))]), "Count".into()),
            (fc(&[(t, json!(12))]), "Note".into()),
            (fc(&[(t, json!(["a"]))]), "Note".into()),
            (fc(&[(d, json!("abc"))]), "Price".into()),
            (fc(&[(d, json!({"type": "decimal", "value": "x"}))]), "Price".into()),
            (fc(&[(d, json!({"type": "datetime", "value": "2017-12-13T00:00:00+08:00"}))]), "Price".into()),
            (fc(&[(day, json!("yesterday"))]), "Day".into()),
            (fc(&[(day, json!({"type": "datetime", "value": "2017-13-45T00:00:00+08:00"}))]), "Day".into()),
            (fc(&[(day, json!(1_513_094_400))]), "Day".into()),
            (fc(&[(day, spec_decimal())]), "Day".into()),
            (fc(&[(urgent, json!("true"))]), "Urgent".into()),
            (fc(&[(urgent, json!(1))]), "Urgent".into()),
            (fc(&[(total, json!(4))]), "Total".into()),
            (fc(&[(foreign, json!(4))]), foreign.to_string()),
            (fc(&[(999_999_999, json!(4))]), "999999999".into()),
            (json!({"abc": 1}), "abc".into()),
            (json!({"": 1}), "field".into()),
            (json!({"1.5": 1}), "1.5".into()),
        ];
        for (content, needle) in bad {
            let msg = submit_err(&app, org, doc, 1, clerk, content.clone(), 400).await;
            assert!(msg.contains(&needle), "{content}: {msg}");
            assert_eq!(get(&app, org, doc, clerk).await, before, "{content} changed the document");
        }
        // Each type in its OmniBPM form (the spec's date, with one-digit seconds).
        let good = fc(&[
            (n, json!(21)),
            (t, json!("Free text")),
            (d, spec_decimal()),
            (day, json!({"type": "datetime", "value": "2017-12-13T00:00:0.000+08:00"})),
            (urgent, json!(true)),
        ]);
        let r = app
            .ok(org, "document/submit", json!({"document": {"__id__": doc, "latest_version": 1, "field_content": good}, "user": {"__id__": clerk}}))
            .await;
        assert_eq!(r["version"], 2);
        let got = get(&app, org, doc, boss).await;
        let c = &got["field_content"];
        assert_eq!(c[n.to_string()], 21);
        assert_eq!(c[t.to_string()], "Free text");
        assert_eq!(c[d.to_string()], spec_decimal());
        assert_eq!(c[day.to_string()], json!({"type": "datetime", "value": "2017-12-13T00:00:00+08:00"}));
        assert_eq!(c[urgent.to_string()], true);
        assert_eq!(c[total.to_string()], 42, "FORMULA computed: {c}");
        assert_eq!(c["TITLE"], "Types");
        assert_eq!(ids(&sigs(&got, "signatures")[0]["fulfilled_fields_ids"]), sorted(&all));
        assert_eq!(ids(&got["filled_fields_ids"]), sorted(&[n, t, d, day, urgent, total]));
        assert_eq!(ids(&got["formula_recalc_fields"]), [total]);
        // The next step may write Count only; Total follows it.
        let msg = submit_err(&app, org, doc, 2, boss, fc(&[(t, json!("mine"))]), 403).await;
        assert!(msg.contains("Note"), "{msg}");
        submit_err(&app, org, doc, 2, boss, fc(&[(total, json!(1))]), 400).await;
        let r = submit(&app, org, doc, boss, fc(&[(n, json!(5))])).await;
        assert_eq!(r["is_complete"], true);
        let got = get(&app, org, doc, clerk).await;
        assert_eq!(got["field_content"][n.to_string()], 5);
        assert_eq!(got["field_content"][total.to_string()], 10);
        assert_eq!(got["field_content"][t.to_string()], "Free text");
    }

    async fn required_fields_must_be_filled_and_only_editable_ones_written(app) {
        let co = Co::new(&app, "ACME").await;
        let org = &co.org;
        let clerk = co.clerk(&app, "clerk").await;
        let boss = co.clerk(&app, "boss").await;
        let wf = new_workflow(&app, org, "Trip").await;
        let reason = field(&app, org, wf, "Reason", "UTF8").await;
        let amount = field(&app, org, wf, "Amount", "INT").await;
        let approved = field(&app, org, wf, "Approved", "BOOL").await;
        let a = node(&app, org, wf, json!({"note": "Apply", "as_doc_creator": true, "n_sign": 1, "required_fields": refs(&[reason]), "editable_fields": refs(&[amount])})).await;
        let b = node(&app, org, wf, json!({"note": "Approve", "user": {"__id__": boss}, "n_sign": 1, "required_fields": refs(&[approved])})).await;
        link(&app, org, a, b).await;
        activate(&app, org, wf).await;
        let doc = create(&app, org, wf, clerk, "Trip").await;
        let id = doc["__id__"].as_i64().unwrap();
        assert_eq!(ids(&doc["required_fields"]), [reason]);
        assert_eq!(doc["fill_by_current_user"], true);
        let before = get(&app, org, id, clerk).await;
        let msg = submit_err(&app, org, id, 1, clerk, json!({}), 400).await;
        assert!(msg.contains("Reason"), "{msg}");
        let msg = submit_err(&app, org, id, 1, clerk, fc(&[(reason, json!("   "))]), 400).await;
        assert!(msg.contains("Reason"), "blank text is not filled: {msg}");
        let msg = submit_err(&app, org, id, 1, clerk, fc(&[(reason, json!("x")), (approved, json!(true))]), 403).await;
        assert!(msg.contains("Approved"), "{msg}");
        assert_eq!(get(&app, org, id, clerk).await, before);
        submit(&app, org, id, clerk, fc(&[(reason, json!("Visit")), (amount, json!(3))])).await;

        let d = get(&app, org, id, boss).await;
        assert_eq!(ids(&d["required_fields"]), [approved]);
        let msg = submit_err(&app, org, id, 2, boss, json!({}), 400).await;
        assert!(msg.contains("Approved"), "{msg}");
        submit_err(&app, org, id, 2, boss, fc(&[(approved, json!(true)), (amount, json!(4))]), 403).await;
        // false fills a BOOL.
        let r = submit(&app, org, id, boss, fc(&[(approved, json!(false))])).await;
        assert_eq!(r["is_complete"], true);
        let d = get(&app, org, id, clerk).await;
        assert_eq!(d["field_content"][amount.to_string()], 3);
        assert_eq!(d["field_content"][approved.to_string()], false);
    }

    async fn fields_are_shown_as_the_viewers_nodes_allow_and_by_version(app) {
        let co = Co::new(&app, "ACME").await;
        let org = &co.org;
        let clerk = co.clerk(&app, "clerk").await;
        let boss = co.clerk(&app, "boss").await;
        let auditor = co.clerk(&app, "auditor").await;
        let wf = new_workflow(&app, org, "Review").await;
        let summary = field(&app, org, wf, "Summary", "UTF8").await;
        let verdict = field(&app, org, wf, "Verdict", "UTF8").await;
        let secret = field(&app, org, wf, "Secret", "UTF8").await;
        let a = node(&app, org, wf, json!({"note": "Write", "as_doc_creator": true, "n_sign": 1, "visible_fields": refs(&[summary]), "editable_fields": refs(&[summary])})).await;
        let b = node(&app, org, wf, json!({"note": "Judge", "user": {"__id__": boss}, "n_sign": 1, "visible_fields": refs(&[summary]), "editable_fields": refs(&[verdict])})).await;
        link(&app, org, a, b).await;
        activate(&app, org, wf).await;
        perms(&app, &co, wf, json!({"visible_users": refs(&[auditor])})).await;
        let id = create_id(&app, org, wf, clerk, "Review").await;

        let d = get(&app, org, id, clerk).await;
        assert_eq!(ids(&d["document_fields"]), [summary]);
        assert_eq!(ids(&d["hidden_fields"]), sorted(&[verdict, secret]));
        assert_eq!(ids(&d["unused_fields"]), [secret]);
        assert_eq!(content_keys(&d), keys_of(&[]));
        submit(&app, org, id, clerk, fc(&[(summary, json!("short"))])).await;

        let d = get(&app, org, id, boss).await;
        assert_eq!(ids(&d["document_fields"]), sorted(&[summary, verdict]));
        assert_eq!(ids(&d["hidden_fields"]), [secret]);
        assert_eq!(content_keys(&d), keys_of(&[summary]));
        submit(&app, org, id, boss, fc(&[(verdict, json!("fine"))])).await;

        // The writer does not see the verdict; someone with no node sees every field.
        let d = get(&app, org, id, clerk).await;
        assert_eq!(content_keys(&d), keys_of(&[summary]));
        assert_eq!(ids(&d["filled_fields_ids"]), [summary]);
        let d = get(&app, org, id, auditor).await;
        assert_eq!(ids(&d["document_fields"]), sorted(&[summary, verdict, secret]));
        assert_eq!(d["hidden_fields"], json!([]));
        assert_eq!(content_keys(&d), keys_of(&[summary, verdict]));
        assert_eq!(d["field_content"][verdict.to_string()], "fine");
        assert_eq!((d["version"].as_i64(), d["latest_version"].as_i64()), (Some(3), Some(3)));

        // Older versions show the content they had.
        let at = |v: Value| json!({"document": {"__id__": id}, "user": {"__id__": auditor}, "version": v});
        let d = app.ok(org, "document/get", at(json!(2))).await["document"].clone();
        assert_eq!((d["version"].as_i64(), d["latest_version"].as_i64()), (Some(2), Some(3)));
        assert_eq!(content_keys(&d), keys_of(&[summary]));
        assert_eq!(d["field_content"][summary.to_string()], "short");
        let d = app.ok(org, "document/get", at(json!(1))).await["document"].clone();
        assert_eq!(content_keys(&d), keys_of(&[]));
        let d = app.ok(org, "document/get", at(json!(0))).await["document"].clone();
        assert_eq!((d["version"].as_i64(), content_keys(&d)), (Some(3), keys_of(&[summary, verdict])));
        for bad in [json!(4), json!(-1)] {
            app.err(org, "document/get", at(bad), 400).await;
        }
        for bad in [json!("2"), json!(1.5), json!([])] {
            app.err(org, "document/get", at(bad), 400).await;
        }
    }

    async fn reading_a_document_needs_a_part_in_it_or_a_permission(app) {
        let co = Co::new(&app, "ACME").await;
        let org = &co.org;
        let clerk = co.clerk(&app, "clerk").await;
        let boss = co.clerk(&app, "boss").await;
        let stranger = co.clerk(&app, "stranger").await;
        let auditor = co.clerk(&app, "auditor").await;
        let fin = co.user(&app, "fin", "Finance Department", "Specialist").await;
        let admin = co.user_at(&app, "admin", co.dept("HR Department"), co.rank("Specialist"), json!({"with_admin_permissions": true})).await;
        let (wf, _, _) = two_steps(&app, org, "Leave", boss).await;
        let id = create_id(&app, org, wf, clerk, "Leave").await;
        let read = |u: i64| json!({"document": {"__id__": id}, "user": {"__id__": u}});
        get(&app, org, id, clerk).await;
        // The approver of a later step reads it once the step is reached.
        app.err(org, "document/get", read(boss), 403).await;
        for u in [stranger, auditor, fin] {
            let msg = app.err(org, "document/get", read(u), 403).await;
            assert!(msg.contains(&u.to_string()), "{msg}");
        }
        let d = get(&app, org, id, admin).await;
        assert_eq!(d["is_submittable"], false);
        assert_eq!(d["is_cancellable"], false);
        perms(&app, &co, wf, json!({"visible_users": refs(&[auditor])})).await;
        get(&app, org, id, auditor).await;
        app.err(org, "document/get", read(stranger), 403).await;
        perms(&app, &co, wf, json!({"visible_departments": refs(&[co.dept("Finance Department")])})).await;
        get(&app, org, id, fin).await;
        app.err(org, "document/get", read(auditor), 403).await;
        let g = co.group(&app, "Readers", &[stranger]).await;
        perms(&app, &co, wf, json!({"visible_groups": refs(&[g])})).await;
        get(&app, org, id, stranger).await;
        submit(&app, org, id, clerk, json!({})).await;
        get(&app, org, id, boss).await;
        // Having taken part is enough after the step is done.
        submit(&app, org, id, boss, json!({})).await;
        app.ok(org, "workflow_perm/set", json!({"workflow": {"__id__": wf}})).await;
        assert_eq!(get(&app, org, id, boss).await["is_completed"], true);
        app.err(org, "document/get", read(stranger), 403).await;
        // Unknown users and other organizations' users are not found.
        app.err(org, "document/get", read(999_999_999), 404).await;
        let other = Co::new(&app, "OTHER").await;
        let theirs = other.clerk(&app, "theirs").await;
        app.err(org, "document/get", read(theirs), 404).await;
        // Nor is the document through the other organization's key.
        let msg = app.err(&other.org, "document/get", json!({"document": {"__id__": id}, "user": {"__id__": theirs}}), 404).await;
        assert!(msg.contains(&id.to_string()), "{msg}");
    }

    async fn only_the_creator_cancels_and_only_in_process(app) {
        let co = Co::new(&app, "ACME").await;
        let org = &co.org;
        let clerk = co.clerk(&app, "clerk").await;
        let boss = co.clerk(&app, "boss").await;
        let (wf, _, _) = two_steps(&app, org, "Leave", boss).await;
        let id = create_id(&app, org, wf, clerk, "Leave").await;
        submit(&app, org, id, clerk, json!({})).await;
        let cancel = |u: i64| json!({"document": {"__id__": id}, "user": {"__id__": u}});
        let before = get(&app, org, id, boss).await;
        assert_eq!(before["is_cancellable"], false);
        assert_eq!(get(&app, org, id, clerk).await["is_cancellable"], true);
        let msg = app.err(org, "document/cancel", cancel(boss), 403).await;
        assert!(msg.contains("creator"), "{msg}");
        assert_eq!(get(&app, org, id, boss).await, before);
        app.ok(org, "document/cancel", cancel(clerk)).await;
        let d = get(&app, org, id, clerk).await;
        assert_eq!((d["is_cancelled"].as_bool(), d["is_completed"].as_bool()), (Some(true), Some(false)));
        assert_eq!(d["latest_version"], 3);
        assert_eq!((d["current_nodes_ids"].clone(), d["current_users_ids"].clone()), (json!([]), json!([])));
        assert_eq!((d["is_cancellable"].as_bool(), d["is_submittable"].as_bool()), (Some(false), Some(false)));
        // Afterwards nothing moves it.
        let msg = submit_err(&app, org, id, 3, boss, json!({}), 409).await;
        assert!(msg.contains("cancelled"), "{msg}");
        app.err(org, "document/cancel", cancel(clerk), 409).await;
        app.err(org, "document/revoke", cancel(clerk), 409).await;
        assert_eq!(kinds(&logs(&app, org, id).await).last().unwrap(), &("cancel".to_string(), "cancel".to_string()));
        let l = app.ok(org, "document/list", json!({"current_user": {"__id__": clerk}, "created_document": true})).await;
        assert_eq!((ids(&l["cancelled"]), l["processing"].clone()), (vec![id], json!([])));
        let l = app.ok(org, "document/list", json!({"current_user": {"__id__": boss}, "current_document": true})).await;
        assert_eq!(l["processing"], json!([]), "no longer on the boss's desk");
        // A completed document cannot be cancelled.
        let done = create_id(&app, org, wf, clerk, "Done").await;
        submit(&app, org, done, clerk, json!({})).await;
        submit(&app, org, done, boss, json!({})).await;
        let msg = app.err(org, "document/cancel", json!({"document": {"__id__": done}, "user": {"__id__": clerk}}), 409).await;
        assert!(msg.contains("completed"), "{msg}");
        assert_eq!(get(&app, org, done, clerk).await["is_completed"], true);
    }

    async fn revoke_needs_a_completed_document_and_the_revokable_permission(app) {
        let co = Co::new(&app, "ACME").await;
        let org = &co.org;
        let clerk = co.clerk(&app, "clerk").await;
        let boss = co.clerk(&app, "boss").await;
        let (wf, _, _) = two_steps(&app, org, "Leave", boss).await;
        perms(&app, &co, wf, json!({"revokable_users": refs(&[boss])})).await;
        let id = create_id(&app, org, wf, clerk, "Leave").await;
        let revoke = |u: i64| json!({"document": {"__id__": id}, "user": {"__id__": u}});
        // In process: refused even with the permission.
        let msg = app.err(org, "document/revoke", revoke(boss), 409).await;
        assert!(msg.contains("completed"), "{msg}");
        submit(&app, org, id, clerk, json!({})).await;
        submit(&app, org, id, boss, json!({})).await;
        let before = get(&app, org, id, clerk).await;
        assert_eq!(before["is_revokable"], false);
        assert_eq!(get(&app, org, id, boss).await["is_revokable"], true);
        let msg = app.err(org, "document/revoke", revoke(clerk), 403).await;
        assert!(msg.contains("revoke"), "{msg}");
        assert_eq!(get(&app, org, id, clerk).await, before);
        app.ok(org, "document/revoke", revoke(boss)).await;
        let d = get(&app, org, id, clerk).await;
        assert_eq!((d["is_revoked"].as_bool(), d["is_completed"].as_bool()), (Some(true), Some(false)));
        assert_eq!(d["latest_version"], 4);
        assert_eq!(get(&app, org, id, boss).await["is_revokable"], false);
        app.err(org, "document/revoke", revoke(boss), 409).await;
        let l = app.ok(org, "document/list", json!({"current_user": {"__id__": clerk}, "created_document": true})).await;
        assert_eq!((ids(&l["revoked"]), l["completed"].clone()), (vec![id], json!([])));
        let entries = logs(&app, org, id).await;
        let last = entries.last().unwrap();
        assert_eq!((last["action"].as_str(), last["type"].as_str(), last["user"]["__id__"].as_i64()), (Some("revoke"), Some("revoke"), Some(boss)));
        // Through a group too.
        let g = co.group(&app, "Auditors", &[clerk]).await;
        perms(&app, &co, wf, json!({"revokable_groups": refs(&[g])})).await;
        let id2 = create_id(&app, org, wf, clerk, "Again").await;
        submit(&app, org, id2, clerk, json!({})).await;
        submit(&app, org, id2, boss, json!({})).await;
        app.err(org, "document/revoke", json!({"document": {"__id__": id2}, "user": {"__id__": boss}}), 403).await;
        app.ok(org, "document/revoke", json!({"document": {"__id__": id2}, "user": {"__id__": clerk}})).await;
    }

    async fn a_delegate_acts_as_the_user_and_both_are_recorded(app) {
        let co = Co::new(&app, "ACME").await;
        let org = &co.org;
        let boss = co.clerk(&app, "boss").await;
        let sec = co.clerk(&app, "secretary").await;
        let fin = co.clerk(&app, "fin").await;
        let (wf, a, _) = two_steps(&app, org, "Expense", fin).await;
        let v = app
            .ok(org, "document/create", json!({"workflow": {"__id__": wf}, "creator": {"__id__": boss}, "delegated_user": {"__id__": sec}, "document": {"title": "Trip"}}))
            .await;
        let id = v["document"]["__id__"].as_i64().unwrap();
        assert_eq!(v["document"]["creator_id"], boss);
        assert_eq!(ids(&v["document"]["current_users_ids"]), [boss]);
        // The secretary signs for the boss.
        app.ok(org, "document/submit", json!({"document": {"__id__": id, "latest_version": 1}, "user": {"__id__": boss}, "delegated_user": {"__id__": sec}, "comment": "for the boss"}))
            .await;
        let d = get(&app, org, id, fin).await;
        let s = &sigs(&d, "signatures")[0];
        assert_eq!((s["user_id"].as_i64(), s["login_user_id"].as_i64(), s["signed_as_id"].as_i64()), (Some(boss), Some(sec), Some(boss)));
        assert_eq!(ids(&s["fulfilled_nodes_ids"]), [a]);
        let c = &d["comments"][0];
        assert_eq!((c["user_id"].as_i64(), c["login_user"]["__id__"].as_i64(), c["comment"].as_str()), (Some(boss), Some(sec), Some("for the boss")));
        assert_eq!(ids(&d["signed_users_ids"]), [boss], "signed as the boss, not the secretary");
        // A delegate cannot act for someone who may not act.
        submit_err(&app, org, id, 2, boss, json!({}), 403).await;
        let mut body = json!({"document": {"__id__": id, "latest_version": 2}, "user": {"__id__": sec}, "delegated_user": {"__id__": fin}});
        app.err(org, "document/submit", body.clone(), 403).await;
        // The secretary rejects for fin.
        body["user"] = json!({"__id__": fin});
        body["delegated_user"] = json!({"__id__": sec});
        body["signature"] = json!({"__id__": s["__id__"]});
        body["comment"] = json!("redo");
        app.ok(org, "document/reject", body).await;
        let d = get(&app, org, id, fin).await;
        let rej = sigs(&d, "all_signatures").last().unwrap().clone();
        assert_eq!((rej["type"].as_str(), rej["user_id"].as_i64(), rej["login_user_id"].as_i64()), (Some("REJ"), Some(fin), Some(sec)));
        // The boss signs himself; then the secretary cancels for him.
        app.ok(org, "document/submit", json!({"document": {"__id__": id, "latest_version": 3}, "user": {"__id__": boss}})).await;
        app.err(org, "document/cancel", json!({"document": {"__id__": id}, "user": {"__id__": sec}}), 403).await;
        app.ok(org, "document/cancel", json!({"document": {"__id__": id}, "user": {"__id__": boss}, "delegated_user": {"__id__": sec}})).await;
        let who: Vec<(String, i64, i64)> = logs(&app, org, id)
            .await
            .iter()
            .map(|l| (l["action"].as_str().unwrap().to_string(), l["user"]["__id__"].as_i64().unwrap(), l["delegated_user"]["__id__"].as_i64().unwrap()))
            .collect();
        assert_eq!(
            who,
            [
                ("create".to_string(), boss, sec),
                ("sign".to_string(), boss, sec),
                ("reject".to_string(), fin, sec),
                ("sign".to_string(), boss, boss),
                ("cancel".to_string(), boss, sec),
            ]
        );
        // Unknown, inactive or foreign delegates are refused.
        let id2 = create_id(&app, org, wf, boss, "Two").await;
        let with = |d: i64| json!({"document": {"__id__": id2, "latest_version": 1}, "user": {"__id__": boss}, "delegated_user": {"__id__": d}});
        app.err(org, "document/submit", with(999_999_999), 404).await;
        let other = Co::new(&app, "OTHER").await;
        app.err(org, "document/submit", with(other.clerk(&app, "x").await), 404).await;
        app.ok(org, "user/inactivate", json!({"user": {"__id__": sec}})).await;
        app.err(org, "document/submit", with(sec), 403).await;
        assert_eq!(get(&app, org, id2, boss).await["latest_version"], 1);
    }

    async fn concurrent_submits_of_one_version_let_exactly_one_through(app) {
        let co = Co::new(&app, "ACME").await;
        let org = &co.org;
        let twins = co.department(&app, "Twins", co.dept("MIS Department")).await;
        let x = co.user_at(&app, "x", twins, co.rank("Specialist"), json!({})).await;
        let y = co.user_at(&app, "y", twins, co.rank("Specialist"), json!({})).await;
        let clerk = co.clerk(&app, "clerk").await;
        let wf = new_workflow(&app, org, "Both").await;
        node(&app, org, wf, json!({"note": "Twins", "department": {"__id__": twins}, "n_sign": 2})).await;
        activate(&app, org, wf).await;
        let outdated = json!({"RESPONSE": "Outdated Document Version", "RMSG": "Outdated Document Version:Outdated document."});
        for round in 0..10 {
            let id = create_id(&app, org, wf, clerk, &format!("Round {round}")).await;
            let body = |u: i64| json!({"api_key": org.key, "document": {"__id__": id, "latest_version": 1, "field_content": {}}, "user": {"__id__": u}});
            let (rx, ry) = tokio::join!(app.omni("document/submit", body(x)), app.omni("document/submit", body(y)));
            let (winner, loser, lost) = match (rx.0, ry.0) {
                (200, _) => (x, y, ry.clone()),
                (_, 200) => (y, x, rx.clone()),
                _ => panic!("round {round}: neither went through: {rx:?} {ry:?}"),
            };
            assert_eq!(lost, (409, outdated.clone()), "round {round}: {rx:?} {ry:?}");
            let d = get(&app, org, id, clerk).await;
            assert_eq!(d["latest_version"], 2, "round {round}");
            let all = sigs(&d, "all_signatures");
            assert_eq!(all.len(), 1, "round {round}: {all:?}");
            assert_eq!(all[0]["user_id"], winner);
            assert_eq!(ids(&d["current_users_ids"]), [loser]);
            // The loser reads again and signs.
            let r = submit(&app, org, id, loser, json!({})).await;
            assert_eq!(r["is_complete"], true, "round {round}");
        }
    }

    async fn the_log_records_every_action_with_its_details(app) {
        let co = Co::new(&app, "ACME").await;
        let org = &co.org;
        let clerk = co.clerk(&app, "clerk").await;
        let boss = co.clerk(&app, "boss").await;
        let friend = co.clerk(&app, "friend").await;
        let sec = co.clerk(&app, "secretary").await;
        let wf = new_workflow(&app, org, "Logged").await;
        let a = node(&app, org, wf, json!({"note": "Apply", "as_doc_creator": true, "n_sign": 1})).await;
        let b = node(&app, org, wf, json!({"note": "Chosen", "as_specified": true, "job_assignment_node": {"__id__": a}, "job_assignment_type": "ASSIGN", "n_sign": 1})).await;
        link(&app, org, a, b).await;
        activate(&app, org, wf).await;
        let id = create_id(&app, org, wf, clerk, "Logged").await;
        let doc = json!({"__id__": id});
        app.ok(org, "document/assign_agent", json!({"document": doc, "user": {"__id__": clerk}, "node": {"__id__": b}, "agents": refs(&[boss])})).await;
        app.ok(org, "document/cc", json!({"document": doc, "from_user": {"__id__": clerk}, "to_user": {"__id__": friend}, "node": {"__id__": a}, "reply_required": false, "comment": "look"})).await;
        let cc = get(&app, org, id, clerk).await["cc_list"][0]["__id__"].as_i64().unwrap();
        app.ok(org, "document/cc/reply", json!({"document": doc, "user": {"__id__": friend}, "cc": {"__id__": cc}, "comment": "seen"})).await;
        app.ok(org, "document/submit", json!({"document": {"__id__": id, "latest_version": 4}, "user": {"__id__": clerk}, "comment": "signed"})).await;
        let signed = get(&app, org, id, boss).await["signatures"][0]["__id__"].as_i64().unwrap();
        app.ok(org, "document/reject", json!({"document": doc, "user": {"__id__": boss}, "delegated_user": {"__id__": sec}, "signature": {"__id__": signed}, "comment": "again"})).await;

        let entries = logs(&app, org, id).await;
        assert_eq!(
            kinds(&entries),
            pairs(&[("create", "new_document"), ("change", "designate"), ("cc", "to_user"), ("cc_reply", "cc_read"), ("sign", "sign"), ("reject", "reject")])
        );
        for e in &entries {
            assert_eq!(e["creation_time"]["__type__"], "datetime", "{e}");
            assert_eq!(e["user"]["__model__"], "UserProfile", "{e}");
        }
        let who = |i: usize| (entries[i]["user"]["__id__"].as_i64().unwrap(), entries[i]["delegated_user"]["__id__"].as_i64().unwrap());
        assert_eq!([who(0), who(1), who(2), who(3), who(4), who(5)], [(clerk, clerk), (clerk, clerk), (clerk, clerk), (friend, friend), (clerk, clerk), (boss, sec)]);
        assert_eq!(entries[0]["document"]["__id__"], id);
        assert_eq!(entries[1]["node"]["__id__"], b);
        assert_eq!(ids(&entries[1]["users"]), [boss]);
        assert_eq!((entries[2]["cc"]["__id__"].as_i64(), entries[2]["comment"].as_str()), (Some(cc), Some("look")));
        assert_eq!((entries[3]["cc"]["__id__"].as_i64(), entries[3]["comment"].as_str()), (Some(cc), Some("seen")));
        let s = &entries[4]["signature"];
        assert_eq!((s["__id__"].as_i64(), s["type"].as_str(), s["user_id"].as_i64(), s["version"].as_i64()), (Some(signed), Some("NEXT"), Some(clerk), Some(5)));
        assert_eq!(s["is_invalidated"], true, "the reject invalidated it");
        assert_eq!(entries[4]["comment"], "signed");
        let r = &entries[5]["reject"];
        assert_eq!((r["type"].as_str(), r["rejection_target_id"].as_i64(), r["user_id"].as_i64(), r["login_user_id"].as_i64()), (Some("REJ"), Some(signed), Some(boss), Some(sec)));
        assert_eq!(entries[5]["comment"], "again");
        // document/get carries the same log.
        assert_eq!(get(&app, org, id, clerk).await["logs"].as_array().unwrap().len(), 6);
        app.err(org, "document/log", json!({"document": {"__id__": 999_999_999}}), 404).await;
        app.err(org, "document/log", json!({}), 400).await;
    }
}

both! {
    async fn bad_input_is_refused_in_the_omnibpm_form_and_changes_nothing(app) {
        let co = Co::new(&app, "ACME").await;
        let org = &co.org;
        let clerk = co.clerk(&app, "clerk").await;
        let boss = co.clerk(&app, "boss").await;
        let gone = co.user_at(&app, "gone", co.dept("MIS Department"), co.rank("Specialist"), json!({"is_active": false})).await;
        let wf = new_workflow(&app, org, "Leave").await;
        let days = field(&app, org, wf, "Days", "INT").await;
        let a = node(&app, org, wf, json!({"note": "Apply", "as_doc_creator": true, "n_sign": 1, "editable_fields": refs(&[days])})).await;
        let b = node(&app, org, wf, json!({"note": "Chosen", "as_specified": true, "job_assignment_node": {"__id__": a}, "job_assignment_type": "ASSIGN", "n_sign": 1})).await;
        link(&app, org, a, b).await;
        activate(&app, org, wf).await;
        let id = create_id(&app, org, wf, clerk, "Leave").await;
        app.ok(org, "document/cc", json!({"document": {"__id__": id}, "from_user": {"__id__": clerk}, "to_user": {"__id__": boss}, "node": {"__id__": a}, "reply_required": true})).await;
        let cc = get(&app, org, id, clerk).await["cc_list"][0]["__id__"].as_i64().unwrap();
        // Another organization's objects.
        let other = Co::new(&app, "OTHER").await;
        let theirs = other.clerk(&app, "theirs").await;
        let (owf, onode) = one_step(&app, &other.org, "Theirs").await;
        let odoc = create_id(&app, &other.org, owf, theirs, "Theirs").await;
        app.ok(&other.org, "document/submit", json!({"document": {"__id__": odoc, "latest_version": 1}, "user": {"__id__": theirs}})).await;
        let osig = sigs(&get(&app, &other.org, odoc, theirs).await, "signatures")[0]["__id__"].as_i64().unwrap();
        let own_doc = create_id(&app, org, wf, clerk, "Another").await;

        let before = get(&app, org, id, clerk).await;
        let before_log = logs(&app, org, id).await;
        let doc = json!({"__id__": id});
        let me = json!({"__id__": clerk});
        let nul = "a\u{0}b";
        let long = "x".repeat(70 * 1024);
        let submit = |d: Value, extra: Value| {
            let mut b = json!({"document": d, "user": me});
            for (k, v) in extra.as_object().unwrap() {
                b[k] = v.clone();
            }
            b
        };
        // Version 2: created, then CCd.
        let v1 = |fc: Value| json!({"__id__": id, "latest_version": 2, "field_content": fc});
        let cases: Vec<(&str, Value, u16)> = vec![
            // document/get
            ("document/get", json!({"user": me}), 400),
            ("document/get", json!({"document": 5, "user": me}), 400),
            ("document/get", json!({"document": "5", "user": me}), 400),
            ("document/get", json!({"document": {}, "user": me}), 400),
            ("document/get", json!({"document": {"__id__": "abc"}, "user": me}), 400),
            ("document/get", json!({"document": {"__id__": 1.5}, "user": me}), 400),
            ("document/get", json!({"document": {"__id__": 1e30}, "user": me}), 400),
            ("document/get", json!({"document": {"__id__": id, "__model__": "UserProfile"}, "user": me}), 400),
            ("document/get", json!({"document": doc}), 400),
            ("document/get", json!({"document": doc, "user": {"__id__": clerk, "__model__": "Document"}}), 400),
            ("document/get", json!({"document": doc, "user": {"__id__": 999_999_999}}), 404),
            ("document/get", json!({"document": doc, "user": {"__id__": theirs}}), 404),
            ("document/get", json!({"document": {"__id__": odoc}, "user": me}), 404),
            ("document/get", json!({"document": {"__id__": -1}, "user": me}), 404),
            ("document/get", json!({"document": {"__id__": i64::MAX}, "user": me}), 404),
            ("document/get", json!({"document": doc, "user": me, "version": i64::MAX}), 400),
            // document/create
            ("document/create", json!({"creator": me, "document": {"title": "T"}}), 400),
            ("document/create", json!({"workflow": {"__id__": wf}, "document": {"title": "T"}}), 400),
            ("document/create", json!({"workflow": {"__id__": wf}, "creator": me}), 400),
            ("document/create", json!({"workflow": {"__id__": wf}, "creator": me, "document": {}}), 400),
            ("document/create", json!({"workflow": {"__id__": wf}, "creator": me, "document": {"title": 5}}), 400),
            ("document/create", json!({"workflow": {"__id__": wf}, "creator": me, "document": {"title": "x".repeat(501)}}), 400),
            ("document/create", json!({"workflow": {"__id__": wf}, "creator": me, "document": {"title": nul}}), 400),
            ("document/create", json!({"workflow": {"__id__": "x"}, "creator": me, "document": {"title": "T"}}), 400),
            ("document/create", json!({"workflow": {"__id__": wf, "__model__": "Document"}, "creator": me, "document": {"title": "T"}}), 400),
            ("document/create", json!({"workflow": {"__id__": owf}, "creator": me, "document": {"title": "T"}}), 404),
            ("document/create", json!({"workflow": {"__id__": wf}, "creator": {"__id__": theirs}, "document": {"title": "T"}}), 404),
            ("document/create", json!({"workflow": {"__id__": wf}, "creator": me, "delegated_user": {"__id__": theirs}, "document": {"title": "T"}}), 404),
            ("document/create", json!({"workflow": {"__id__": wf}, "creator": {"__id__": gone}, "document": {"title": "T"}}), 403),
            ("document/create", json!({"workflow": {"__id__": wf}, "creator": me, "delegated_user": "me", "document": {"title": "T"}}), 400),
            // document/submit
            ("document/submit", submit(json!({"__id__": id, "field_content": {}}), json!({})), 400),
            ("document/submit", submit(json!({"__id__": id, "latest_version": "1"}), json!({})), 400),
            ("document/submit", submit(json!({"__id__": id, "latest_version": 1.5}), json!({})), 400),
            ("document/submit", submit(json!({"latest_version": 1}), json!({})), 400),
            ("document/submit", submit(v1(json!([])), json!({})), 400),
            ("document/submit", submit(v1(json!("x")), json!({})), 400),
            ("document/submit", submit(v1(fc(&[(days, json!("x"))])), json!({})), 400),
            ("document/submit", submit(v1(json!({"9223372036854775808": 1})), json!({})), 400),
            ("document/submit", submit(v1(json!({"-5": 1})), json!({})), 400),
            ("document/submit", json!({"document": v1(json!({}))}), 400),
            ("document/submit", submit(v1(json!({})), json!({"user": {"__id__": theirs}})), 404),
            ("document/submit", submit(v1(json!({})), json!({"user": {"__id__": 999_999_999}})), 404),
            ("document/submit", submit(v1(json!({})), json!({"delegated_user": {"__id__": theirs}})), 404),
            ("document/submit", submit(v1(json!({})), json!({"comment": 5})), 400),
            ("document/submit", submit(v1(json!({})), json!({"comment": long})), 400),
            ("document/submit", submit(v1(json!({})), json!({"comment": nul})), 400),
            ("document/submit", submit(json!({"__id__": odoc, "latest_version": 2}), json!({})), 404),
            ("document/submit", submit(json!({"__id__": id, "latest_version": 2}), json!({"user": {"__id__": boss}})), 403),
            // document/reject
            ("document/reject", submit(doc.clone(), json!({})), 400),
            ("document/reject", submit(doc.clone(), json!({"signature": {"__id__": "x"}})), 400),
            ("document/reject", submit(doc.clone(), json!({"signature": 5})), 400),
            ("document/reject", submit(doc.clone(), json!({"signature": {"__id__": 999_999_999}})), 404),
            ("document/reject", submit(doc.clone(), json!({"signature": {"__id__": osig}})), 404),
            ("document/reject", submit(json!({"__id__": odoc}), json!({"signature": {"__id__": osig}})), 404),
            // document/cancel, document/revoke
            ("document/cancel", json!({"document": doc}), 400),
            ("document/cancel", json!({"user": me}), 400),
            ("document/cancel", json!({"document": {"__id__": odoc}, "user": me}), 404),
            ("document/cancel", json!({"document": doc, "user": {"__id__": theirs}}), 404),
            ("document/cancel", json!({"document": doc, "user": {"__id__": boss}}), 403),
            ("document/revoke", json!({"document": doc}), 400),
            ("document/revoke", json!({"document": doc, "user": me}), 409),
            ("document/revoke", json!({"document": {"__id__": odoc}, "user": me}), 404),
            // document/assign_agent
            ("document/assign_agent", submit(doc.clone(), json!({"node": {"__id__": b}})), 400),
            ("document/assign_agent", submit(doc.clone(), json!({"node": {"__id__": b}, "agents": {}})), 400),
            ("document/assign_agent", submit(doc.clone(), json!({"node": {"__id__": b}, "agents": []})), 400),
            ("document/assign_agent", submit(doc.clone(), json!({"node": {"__id__": b}, "agents": [5]})), 400),
            ("document/assign_agent", submit(doc.clone(), json!({"node": {"__id__": b}, "agents": refs(&[theirs])})), 400),
            ("document/assign_agent", submit(doc.clone(), json!({"agents": refs(&[boss])})), 400),
            ("document/assign_agent", submit(doc.clone(), json!({"node": {"__id__": onode}, "agents": refs(&[boss])})), 400),
            ("document/assign_agent", submit(doc.clone(), json!({"node": {"__id__": 999_999_999}, "agents": refs(&[boss])})), 400),
            ("document/assign_agent", submit(doc.clone(), json!({"node": {"__id__": b}, "agents": refs(&[boss]), "user": {"__id__": boss}})), 403),
            // document/cc, cc/list_target, cc/reply
            ("document/cc", json!({"document": doc, "from_user": me, "node": {"__id__": a}}), 400),
            ("document/cc", json!({"document": doc, "from_user": me, "to_user": {"__id__": boss}}), 400),
            ("document/cc", json!({"document": doc, "to_user": {"__id__": boss}, "node": {"__id__": a}}), 400),
            ("document/cc", json!({"document": doc, "from_user": me, "to_user": {"__id__": boss}, "node": {"__id__": a}, "reply_required": "yes"}), 400),
            ("document/cc", json!({"document": doc, "from_user": me, "to_user": {"__id__": boss}, "node": {"__id__": a}, "comment": nul}), 400),
            ("document/cc", json!({"document": doc, "from_user": me, "to_user": {"__id__": boss}, "node": {"__id__": a}, "comment": long}), 400),
            ("document/cc", json!({"document": doc, "from_user": me, "to_user": {"__id__": theirs}, "node": {"__id__": a}}), 404),
            ("document/cc", json!({"document": doc, "from_user": me, "to_user": {"__id__": boss}, "node": {"__id__": onode}}), 400),
            ("document/cc", json!({"document": {"__id__": odoc}, "from_user": me, "to_user": {"__id__": boss}, "node": {"__id__": a}}), 404),
            ("document/cc/list_target", json!({"document": doc}), 400),
            ("document/cc/list_target", json!({"document": {"__id__": odoc}, "user": me}), 404),
            ("document/cc/reply", json!({"document": doc, "user": {"__id__": boss}}), 400),
            ("document/cc/reply", json!({"document": doc, "user": {"__id__": boss}, "cc": {"__id__": "x"}}), 400),
            ("document/cc/reply", json!({"document": doc, "user": {"__id__": boss}, "cc": {"__id__": cc}, "comment": nul}), 400),
            ("document/cc/reply", json!({"document": doc, "user": {"__id__": boss}, "cc": {"__id__": cc}, "comment": 7}), 400),
            ("document/cc/reply", json!({"document": {"__id__": own_doc}, "user": {"__id__": boss}, "cc": {"__id__": cc}}), 404),
            ("document/cc/reply", json!({"document": doc, "user": {"__id__": theirs}, "cc": {"__id__": cc}}), 404),
            // document/log
            ("document/log", json!({"document": {"__id__": odoc}}), 404),
            ("document/log", json!({"document": []}), 400),
        ];
        for (path, body, status) in cases {
            let (got, v) = call(&app, org, path, body.clone()).await;
            assert_refused(got, &v, &format!("{path} {body}"));
            assert_eq!(got, status, "{path} {body}: {v}");
            assert_eq!(get(&app, org, id, clerk).await, before, "{path} {body} changed the document");
        }
        // Bodies that are not JSON objects.
        for raw in ["", "not json", "[1, 2]", "\"document\"", "{\"document\": "] {
            let res = app
                .client
                .post(format!("{}/api/v0.1/document/submit/", app.url))
                .header("content-type", "application/json")
                .body(raw.to_string())
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            let v: Value = res.json().await.unwrap();
            assert_refused(status, &v, raw);
        }
        assert_eq!(logs(&app, org, id).await, before_log);
        // The other organization's document is untouched too.
        assert_eq!(get(&app, &other.org, odoc, theirs).await["latest_version"], 2);
    }
}

both! {
    async fn concurrent_commands_on_one_document_serialize_cleanly(app) {
        let co = Co::new(&app, "ACME").await;
        let org = &co.org;
        let clerk = co.clerk(&app, "clerk").await;
        let boss = co.clerk(&app, "boss").await;
        let friend = co.clerk(&app, "friend").await;
        let (wf, a, _) = two_steps(&app, org, "Busy", boss).await;
        for round in 0..5 {
            let id = create_id(&app, org, wf, clerk, &format!("Round {round}")).await;
            let doc = json!({"__id__": id});
            let me = json!({"__id__": clerk});
            let with_key = |mut b: Value| {
                b["api_key"] = json!(org.key);
                b
            };
            let (s, c, x, g, l) = tokio::join!(
                app.omni("document/submit", with_key(json!({"document": {"__id__": id, "latest_version": 1}, "user": me}))),
                app.omni("document/cc", with_key(json!({"document": doc, "from_user": me, "to_user": {"__id__": friend}, "node": {"__id__": a}, "reply_required": true}))),
                app.omni("document/cancel", with_key(json!({"document": doc, "user": me}))),
                app.omni("document/get", with_key(json!({"document": doc, "user": me}))),
                app.omni("document/list", with_key(json!({"current_user": me, "all_document": true}))),
            );
            for (what, (status, v)) in [("submit", &s), ("cc", &c), ("cancel", &x), ("get", &g), ("list", &l)] {
                assert!([200, 403, 409].contains(status), "round {round} {what}: {status} {v}");
            }
            assert_eq!((g.0, l.0), (200, 200));
            let changes = [&s, &c, &x].iter().filter(|r| r.0 == 200).count() as i64;
            let d = get(&app, org, id, clerk).await;
            assert_eq!(d["latest_version"], 1 + changes, "round {round}: {s:?} {c:?} {x:?}");
            assert_eq!(sigs(&d, "all_signatures").len(), usize::from(s.0 == 200), "round {round}");
            assert_eq!(d["cc_list"].as_array().unwrap().len(), usize::from(c.0 == 200), "round {round}");
            assert_eq!(d["is_cancelled"], x.0 == 200, "round {round}");
            let entries = logs(&app, org, id).await;
            assert_eq!(entries.len() as i64, 1 + changes, "round {round}");
        }
    }

    async fn create_answers_exactly_what_get_shows_the_creator(app) {
        // document/create builds its answer from what it wrote; it must be get's answer.
        let org = app.org("ACME").await;
        let clerk = app.user(&org, "clerk").await;
        let boss = app.user(&org, "boss").await;
        let (wf, _) = workflow(
            &app,
            &org,
            "W",
            &[
                json!({"note": "Claim", "as_doc_creator": true, "n_sign": 1}),
                json!({"note": "Approve", "user": {"__id__": boss}, "n_sign": 1}),
            ],
            &[(0, 1)],
        )
        .await;
        field(&app, &org, wf, "Amount", "INT").await;
        activate(&app, &org, wf).await;
        let created = create(&app, &org, wf, clerk, "Taxi").await;
        let id = created["__id__"].as_i64().unwrap();
        assert_eq!(created, get(&app, &org, id, clerk).await);
    }
}

both! {
    async fn nested_users_show_their_department_with_its_parent_and_their_rank(app) {
        let co = Co::new(&app, "ACME").await;
        let org = &co.org;
        let audit = co.department(&app, "Audit", co.dept("MIS Department")).await;
        let alice = co.user_at(&app, "alice", audit, co.rank("Specialist"), json!({})).await;
        let boss = co.user(&app, "boss", "MIS Department", "Manager").await;
        co.set_head(&app, audit, boss).await;
        let (wf, _) = one_step(&app, org, "Leave").await;
        let created = create(&app, org, wf, alice, "T").await;
        let id = created["__id__"].as_i64().unwrap();
        // The answer of create and of get alike (both read only these users' units).
        for doc in [created, get(&app, org, id, alice).await] {
            let c = &doc["creator"];
            assert_eq!(c["department_name"], "Audit", "{c}");
            assert_eq!(c["department"]["parent_department_name"], "MIS Department", "{c}");
            assert_eq!(c["department"]["department_head"]["__id__"], boss, "{c}");
            assert_eq!(c["rank_name"], "Specialist", "{c}");
            assert_eq!(c["rank"]["__id__"], co.rank("Specialist"), "{c}");
        }
    }
}
