//! OmniBPM `workflow_node/*`.

use crate::both;
use crate::helpers::TestApp;
use crate::omnibpm_workflow::{
    exact_err, field, fixture, id, ids_of, listed, node, nodes, nums, refs, Fx,
};
use serde_json::{json, Value};

/// Asserts that creating `node` in the fixture's workflow fails with `status`; returns RMSG.
async fn refused(app: &TestApp, fx: &Fx, node: Value, status: u16) -> String {
    app.err(
        &fx.org,
        "workflow_node/create",
        json!({"workflow": {"__id__": fx.wf}, "node": node}),
        status,
    )
    .await
}

async fn creator(app: &TestApp, fx: &Fx, note: &str) -> i64 {
    id(&node(
        app,
        &fx.org,
        fx.wf,
        json!({"note": note, "as_doc_creator": true, "n_sign": 1}),
    )
    .await)
}

async fn link(app: &TestApp, fx: &Fx, parent: i64, child: i64) -> Value {
    app.ok(
        &fx.org,
        "workflow_node/add_child",
        json!({"node": {"__id__": parent}, "child": {"__id__": child}}),
    )
    .await["node"]
        .clone()
}

/// Members every node shows the same way.
fn assert_common(n: &Value, fx: &Fx) {
    assert_eq!(n["__model__"], "ProcessFlowNode", "{n}");
    assert!(n["__id__"].is_i64());
    assert_eq!(n["workflow_id"], fx.wf);
    assert_eq!(n["is_active"], true);
    assert_eq!(n["is_complete"], false);
    assert_eq!(n["organization_id"], fx.org.id);
    assert_eq!(n["organization_name"], format!("{} Inc.", fx.org.abbr));
    assert_eq!(n["organization"]["__id__"], fx.org.id);
    assert_eq!(n["organization"]["__model__"], "Organization");
    for null in ["min_rank", "max_rank", "trigger_workflow"] {
        assert_eq!(n[null], Value::Null, "{null}");
    }
    assert_eq!(n["deadline"], 0);
    assert_eq!(n["trigger_workflow_field_content"], json!({}));
    assert_eq!(n["is_notifying_member_on_enter"], false);
    assert_eq!(n["children_set"], json!([]));
    assert_eq!(n["children_set_ids"], json!([]));
}

both! {
    async fn each_kind_of_assignee_has_its_node_type_and_objects(app) {
        let fx = fixture(&app, "ACME").await;
        let (org, wf) = (&fx.org, fx.wf);

        let d = node(&app, org, wf, json!({"note": "部門節點", "department": {"__id__": fx.mis}, "n_sign": 1})).await;
        assert_common(&d, &fx);
        assert_eq!((d["node_type"].as_str(), d["note"].as_str(), d["n_sign"].as_i64()), (Some("department"), Some("部門節點"), Some(1)));
        assert_eq!(d["department"]["__id__"], fx.mis);
        assert_eq!(d["department"]["__model__"], "Department");
        assert_eq!(d["department"]["name"], "MIS Department");
        assert_eq!((d["department_id"].as_i64(), d["department_name"].as_str()), (Some(fx.mis), Some("MIS Department")));
        for null in ["user", "group", "rank", "user_id", "group_id", "group_name", "rank_id", "reference_node", "reference_node_id", "job_assignment_node", "job_assignment_node_id"] {
            assert_eq!(d[null], Value::Null, "{null}");
        }
        assert_eq!((d["as_doc_creator"].as_bool(), d["as_specified"].as_bool()), (Some(false), Some(false)));

        let g = node(&app, org, wf, json!({"note": "群組節點", "group": {"__id__": fx.reviewers, "__model__": "GroupProfile"}, "n_sign": 2})).await;
        assert_common(&g, &fx);
        assert_eq!((g["node_type"].as_str(), g["n_sign"].as_i64()), (Some("group"), Some(2)));
        assert_eq!((g["group_id"].as_i64(), g["group_name"].as_str()), (Some(fx.reviewers), Some("Reviewers")));
        assert_eq!(g["group"]["__model__"], "GroupProfile");
        assert_eq!(g["group"]["name"], "Reviewers");

        let u = node(&app, org, wf, json!({"note": "user節點", "user": {"__id__": fx.bob}, "n_sign": 1})).await;
        assert_common(&u, &fx);
        assert_eq!((u["node_type"].as_str(), u["user_id"].as_i64()), (Some("user"), Some(fx.bob)));
        assert_eq!(u["user"]["username"], "bob@ACME");
        assert_eq!(u["user"]["__model__"], "UserProfile");
        assert_eq!((u["as_doc_creator"].as_bool(), u["as_specified"].as_bool()), (Some(false), Some(false)));

        let c = node(&app, org, wf, json!({"note": "發起人節點", "as_doc_creator": true, "n_sign": 1})).await;
        assert_common(&c, &fx);
        assert_eq!((c["node_type"].as_str(), c["as_doc_creator"].as_bool(), c["as_specified"].as_bool()), (Some("user"), Some(true), Some(false)));
        assert_eq!(c["user"], Value::Null);

        let r = node(&app, org, wf, json!({"note": "主管簽核節點(發起人)", "rank": {"__id__": fx.manager}, "reference_node": null, "n_sign": 1})).await;
        assert_common(&r, &fx);
        assert_eq!((r["node_type"].as_str(), r["rank_id"].as_i64(), r["rank_name"].as_str()), (Some("userrank"), Some(fx.manager), Some("Manager")));
        assert_eq!(r["rank"]["__model__"], "UserRank");
        assert_eq!(r["rank"]["level"], 3);
        assert_eq!((r["reference_node"].clone(), r["reference_node_id"].clone()), (Value::Null, Value::Null));
        assert_eq!(r["sign_by_at_least_one_supervisor"], true);
        let r2 = node(&app, org, wf, json!({"note": "主管", "rank": {"__id__": fx.manager}, "reference_node": {"__id__": id(&u)}, "sign_by_at_least_one_supervisor": false, "n_sign": 1})).await;
        assert_eq!(r2["reference_node_id"], id(&u));
        assert_eq!(r2["reference_node"], json!({"__id__": id(&u), "__model__": "ProcessFlowNode", "note": "user節點"}));
        assert_eq!(r2["sign_by_at_least_one_supervisor"], false);

        let s = node(&app, org, wf, json!({"note": "待指定負責人節點", "as_specified": true, "job_assignment_node": {"__id__": id(&c)}, "job_assignment_type": "ASSIGN", "n_sign": 1})).await;
        assert_common(&s, &fx);
        assert_eq!((s["node_type"].as_str(), s["as_specified"].as_bool(), s["as_doc_creator"].as_bool()), (Some("user"), Some(true), Some(false)));
        assert_eq!((s["job_assignment_node_id"].as_i64(), s["job_assignment_type"].as_str()), (Some(id(&c)), Some("ASSIGN")));
        assert_eq!(s["job_assignment_node"], json!({"__id__": id(&c), "__model__": "ProcessFlowNode", "note": "發起人節點"}));
        let copy = node(&app, org, wf, json!({"note": "同步", "as_specified": true, "job_assignment_node": {"__id__": id(&s)}, "job_assignment_type": "COPY", "n_sign": 1})).await;
        assert_eq!(copy["job_assignment_type"], "COPY");
        let g2 = node(&app, org, wf, json!({"note": "群組同步", "group": {"__id__": fx.reviewers}, "job_assignment_node": {"__id__": id(&g)}, "job_assignment_type": "COPY", "n_sign": 1})).await;
        assert_eq!(g2["job_assignment_node_id"], id(&g));
        let d2 = node(&app, org, wf, json!({"note": "部門指定", "department": {"__id__": fx.mis}, "job_assignment_node": {"__id__": id(&c)}, "job_assignment_type": "ASSIGN", "n_sign": 1})).await;
        assert_eq!(d2["job_assignment_type"], "ASSIGN");

        // The list shows them all, in creation order, as create answered them.
        let listed_nodes = nodes(&app, org, wf).await;
        assert_eq!(listed_nodes, vec![d, g, u, c, r, r2, s, copy, g2, d2]);
    }

    async fn nodes_get_defaults_for_what_is_not_given(app) {
        let fx = fixture(&app, "ACME").await;
        let (org, wf) = (&fx.org, fx.wf);
        let f1 = field(&app, org, wf, "Amount", "INT").await;
        let f2 = field(&app, org, wf, "Reason", "UTF8").await;
        let n = node(&app, org, wf, json!({"note": "Start", "as_doc_creator": true, "n_sign": 1})).await;
        assert_eq!((n["allow_cc"].as_bool(), n["require_all_cc_response"].as_bool()), (Some(true), Some(false)));
        assert_eq!(nums(&n["allowed_cc_groups_ids"]), [fx.all_users]);
        assert_eq!(n["allowed_cc_groups"][0]["name"], "All Users");
        assert_eq!(n["allowed_cc_users"], json!([]));
        assert_eq!(n["allowed_cc_users_ids"], json!([]));
        assert_eq!(n["allowed_cc_departments"], json!([]));
        assert_eq!(n["allowed_cc_departments_ids"], json!([]));
        assert_eq!((n["autocomplete_condition"].clone(), n["autocomplete_deadline"].as_i64()), (Value::Null, Some(0)));
        assert_eq!((n["job_assignment_node"].clone(), n["job_assignment_type"].as_str()), (Value::Null, Some("")));
        assert_eq!(nums(&n["visible_fields_ids"]), [f1, f2]);
        assert_eq!(ids_of(&n["visible_fields"]), [f1, f2]);
        assert_eq!(n["visible_fields"][0]["__model__"], "WorkflowField");
        assert_eq!(n["visible_fields"][0]["name"], "Amount");
        assert_eq!((n["required_fields"].clone(), n["required_fields_ids"].clone()), (json!([]), json!([])));
        assert_eq!((n["editable_fields"].clone(), n["editable_fields_ids"].clone()), (json!([]), json!([])));

        // Given values are kept; "" or null mean no job assignment.
        let n = node(&app, org, wf, json!({
            "note": "CC", "department": {"__id__": fx.mis}, "n_sign": 1, "allow_cc": false, "require_all_cc_response": true,
            "allowed_cc_users": refs(&[fx.bob, fx.alice]), "allowed_cc_departments": refs(&[fx.mis]),
            "autocomplete_condition": "Amount > 3", "autocomplete_deadline": 3600,
            "job_assignment_node": "", "job_assignment_type": ""
        })).await;
        assert_eq!((n["allow_cc"].as_bool(), n["require_all_cc_response"].as_bool()), (Some(false), Some(true)));
        let mut users = vec![fx.alice, fx.bob];
        users.sort();
        assert_eq!(nums(&n["allowed_cc_users_ids"]), users);
        assert_eq!(n["allowed_cc_users"][0]["__model__"], "UserProfile");
        assert_eq!(nums(&n["allowed_cc_departments_ids"]), [fx.mis]);
        assert_eq!(n["allowed_cc_departments"][0]["name"], "MIS Department");
        assert_eq!(n["allowed_cc_groups_ids"], json!([]));
        assert_eq!((n["autocomplete_condition"].as_str(), n["autocomplete_deadline"].as_i64()), (Some("Amount > 3"), Some(3600)));
        assert_eq!((n["job_assignment_node"].clone(), n["job_assignment_type"].as_str()), (Value::Null, Some("")));
        let n = node(&app, org, wf, json!({"note": "Null", "group": {"__id__": fx.reviewers}, "n_sign": 1, "job_assignment_node": null, "job_assignment_type": null, "allowed_cc_groups": []})).await;
        assert_eq!(n["job_assignment_type"], "");
        // An empty CC choice is the default.
        assert_eq!(nums(&n["allowed_cc_groups_ids"]), [fx.all_users]);
    }

    async fn field_access_follows_the_closure_rule(app) {
        let fx = fixture(&app, "ACME").await;
        let (org, wf) = (&fx.org, fx.wf);
        let f1 = field(&app, org, wf, "f1", "INT").await;
        let f2 = field(&app, org, wf, "f2", "INT").await;
        let f3 = field(&app, org, wf, "f3", "INT").await;
        let f4 = field(&app, org, wf, "f4", "INT").await;
        let n = node(&app, org, wf, json!({"note": "N", "as_doc_creator": true, "n_sign": 1,
            "required_fields": refs(&[f1]), "editable_fields": refs(&[f2]), "visible_fields": [{"__id__": f3, "__model__": "WorkflowField"}]})).await;
        assert_eq!(nums(&n["required_fields_ids"]), [f1]);
        assert_eq!(nums(&n["editable_fields_ids"]), [f1, f2]);
        assert_eq!(nums(&n["visible_fields_ids"]), [f1, f2, f3]);
        assert_eq!(ids_of(&n["editable_fields"]), [f1, f2]);
        assert!(!nums(&n["visible_fields_ids"]).contains(&f4));
        // Without visible_fields every field shows.
        let n = node(&app, org, wf, json!({"note": "M", "as_doc_creator": true, "n_sign": 1, "editable_fields": refs(&[f4])})).await;
        assert_eq!(nums(&n["visible_fields_ids"]), [f1, f2, f3, f4]);
        assert_eq!(nums(&n["editable_fields_ids"]), [f4]);
        let msg = refused(&app, &fx, json!({"note": "E", "as_doc_creator": true, "n_sign": 1, "visible_fields": []}), 400).await;
        assert_eq!(msg, "visible_fields cannot be empty: a node must show at least one field.");
        // Fields of another version or organization.
        let other = crate::omnibpm_workflow::create(&app, org, "Other").await;
        let foreign = field(&app, org, other, "g", "INT").await;
        let msg = refused(&app, &fx, json!({"note": "E", "as_doc_creator": true, "n_sign": 1, "required_fields": refs(&[foreign])}), 400).await;
        assert_eq!(msg, format!("required_fields: field {foreign} is not a field of this workflow."));
        exact_err(&app, org, "workflow_node/create", json!({"workflow": {"__id__": wf}, "node": {"note": "E", "as_doc_creator": true, "n_sign": 1, "visible_fields": refs(&[999_999])}}), 404, "Field 999999 does not exist.").await;
        refused(&app, &fx, json!({"note": "E", "as_doc_creator": true, "n_sign": 1, "visible_fields": [{"__id__": f1, "__model__": "UserProfile"}]}), 400).await;
        refused(&app, &fx, json!({"note": "E", "as_doc_creator": true, "n_sign": 1, "visible_fields": f1}), 400).await;
        assert_eq!(nodes(&app, org, wf).await.len(), 2);
    }

    async fn invalid_nodes_are_refused(app) {
        let fx = fixture(&app, "ACME").await;
        let (org, wf) = (&fx.org, fx.wf);
        let start = creator(&app, &fx, "Start").await;
        let group = id(&node(&app, org, wf, json!({"note": "G", "group": {"__id__": fx.reviewers}, "n_sign": 1})).await);
        let other_group = id(&app.ok(org, "group/create", json!({"group": {"name": "Others"}})).await["group"]);
        let reference_msg = format!("reference_node {start} is for rank (supervisor) nodes only.");
        let cases: Vec<(Value, &str)> = vec![
            (json!({"note": "x", "n_sign": 1, "user": {"__id__": fx.bob}, "group": {"__id__": fx.reviewers}}),
             "A node has one kind of assignee: give only one of department, group, user, rank, as_doc_creator and as_specified (got group, user)."),
            (json!({"note": "x", "n_sign": 1, "as_doc_creator": true, "as_specified": true, "job_assignment_node": {"__id__": start}, "job_assignment_type": "ASSIGN"}),
             "A node has one kind of assignee: give only one of department, group, user, rank, as_doc_creator and as_specified (got as_doc_creator, as_specified)."),
            (json!({"note": "x", "n_sign": 1}), "A node needs one of department, group, user, rank, as_doc_creator or as_specified."),
            (json!({"note": "x", "n_sign": 1, "as_doc_creator": false, "user": null}), "A node needs one of department, group, user, rank, as_doc_creator or as_specified."),
            (json!({"note": "x", "n_sign": 1, "as_specified": true}),
             "A to-be-specified node (as_specified) needs job_assignment_node and job_assignment_type."),
            (json!({"note": "x", "n_sign": 1, "as_specified": true, "job_assignment_node": {"__id__": start}}),
             "job_assignment_type (ASSIGN or COPY) is required with job_assignment_node."),
            (json!({"note": "x", "n_sign": 1, "as_specified": true, "job_assignment_type": "ASSIGN"}),
             "job_assignment_node is required with job_assignment_type."),
            (json!({"note": "x", "n_sign": 1, "user": {"__id__": fx.bob}, "job_assignment_node": {"__id__": start}, "job_assignment_type": "ASSIGN"}),
             "job_assignment_type ASSIGN is for to-be-specified, department and group nodes."),
            (json!({"note": "x", "n_sign": 1, "as_doc_creator": true, "job_assignment_node": {"__id__": start}, "job_assignment_type": "ASSIGN"}),
             "job_assignment_type ASSIGN is for to-be-specified, department and group nodes."),
            (json!({"note": "x", "n_sign": 1, "department": {"__id__": fx.mis}, "job_assignment_node": {"__id__": start}, "job_assignment_type": "COPY"}),
             "job_assignment_type COPY is for to-be-specified and group nodes."),
            (json!({"note": "x", "n_sign": 1, "as_specified": true, "job_assignment_node": {"__id__": start}, "job_assignment_type": "COPY"}),
             "job_assignment_type COPY needs a job_assignment_node that is itself to be specified."),
            (json!({"note": "x", "n_sign": 1, "group": {"__id__": other_group}, "job_assignment_node": {"__id__": group}, "job_assignment_type": "COPY"}),
             "job_assignment_type COPY on a group node needs a job_assignment_node of the same group."),
            (json!({"note": "x", "n_sign": 1, "group": {"__id__": fx.reviewers}, "job_assignment_node": {"__id__": start}, "job_assignment_type": "COPY"}),
             "job_assignment_type COPY on a group node needs a job_assignment_node of the same group."),
            (json!({"note": "x", "n_sign": 1, "as_specified": true, "job_assignment_node": {"__id__": start}, "job_assignment_type": "assign"}),
             "job_assignment_type \"assign\" is not ASSIGN or COPY."),
            (json!({"note": "x", "n_sign": 0, "as_doc_creator": true}), "n_sign must be at least 1."),
            (json!({"note": "x", "n_sign": -2, "as_doc_creator": true}), "n_sign must be at least 1."),
            (json!({"n_sign": 1, "as_doc_creator": true}), "note is required."),
            (json!({"note": " ", "n_sign": 1, "as_doc_creator": true}), "note must not be empty."),
            (json!({"note": "x", "as_doc_creator": true}), "n_sign is required."),
            (json!({"note": "x", "n_sign": 1, "as_doc_creator": true, "autocomplete_deadline": -1}), "autocomplete_deadline cannot be negative."),
            (json!({"note": "x", "n_sign": 1, "as_doc_creator": true, "autocomplete_deadline": i64::MAX}), "autocomplete_deadline is at most 3162240000 seconds (100 years)."),
            (json!({"note": "x", "n_sign": 1, "user": {"__id__": fx.bob}, "reference_node": {"__id__": start}}),
             &reference_msg),
        ];
        for (body, msg) in cases {
            exact_err(&app, org, "workflow_node/create", json!({"workflow": {"__id__": wf}, "node": body.clone()}), 400, msg).await;
        }
        for body in [
            json!({"note": "x", "n_sign": "1", "as_doc_creator": true}),
            json!({"note": 5, "n_sign": 1, "as_doc_creator": true}),
            json!({"note": "x", "n_sign": 1, "user": "bob"}),
            json!({"note": "x", "n_sign": 1, "user": {"__id__": fx.bob, "__model__": "GroupProfile"}}),
            json!({"note": "x", "n_sign": 1, "as_doc_creator": "yes"}),
            json!({"note": "x", "n_sign": 1, "as_specified": true, "job_assignment_node": 5, "job_assignment_type": "ASSIGN"}),
            json!({"note": "x", "n_sign": 1, "as_specified": true, "job_assignment_node": "5", "job_assignment_type": "ASSIGN"}),
            json!({"note": "x", "n_sign": 1, "as_doc_creator": true, "allowed_cc_users": {"__id__": 1}}),
            json!({"note": "x", "n_sign": 1, "as_doc_creator": true, "allow_cc": "no"}),
            json!({"note": "x", "n_sign": 1, "as_doc_creator": true, "autocomplete_condition": 5}),
        ] {
            let msg = refused(&app, &fx, body.clone(), 400).await;
            assert!(msg.contains("node") || msg.contains("__model__"), "{body}: {msg}");
        }
        let msg = refused(&app, &fx, json!({"note": "x", "n_sign": "1", "as_doc_creator": true}), 400).await;
        assert!(msg.starts_with("Invalid node.n_sign"), "{msg}");
        app.err(org, "workflow_node/create", json!({"workflow": {"__id__": wf}}), 400).await;
        app.err(org, "workflow_node/create", json!({"workflow": {"__id__": wf}, "node": "x"}), 400).await;
        app.err(org, "workflow_node/create", json!({"workflow": {"__id__": wf}, "node": {"__model__": "Department", "note": "x", "n_sign": 1, "as_doc_creator": true}}), 400).await;
        app.err(org, "workflow_node/create", json!({"node": {"note": "x", "n_sign": 1, "as_doc_creator": true}}), 400).await;
        assert_eq!(nodes(&app, org, wf).await.len(), 2);
    }

    async fn unknown_and_foreign_ids_are_not_found(app) {
        let fx = fixture(&app, "ACME").await;
        let beta = fixture(&app, "BETA").await;
        let (org, wf) = (&fx.org, fx.wf);
        let theirs = id(&node(&app, &beta.org, beta.wf, json!({"note": "T", "as_doc_creator": true, "n_sign": 1})).await);
        let cases = [
            (json!({"user": {"__id__": beta.bob}}), format!("User {} does not exist.", beta.bob)),
            (json!({"group": {"__id__": beta.reviewers}}), format!("Group {} does not exist.", beta.reviewers)),
            (json!({"department": {"__id__": beta.mis}}), format!("Department {} does not exist.", beta.mis)),
            (json!({"rank": {"__id__": beta.manager}}), format!("Rank {} does not exist.", beta.manager)),
            (json!({"rank": {"__id__": fx.manager}, "reference_node": {"__id__": theirs}}), format!("Node {theirs} does not exist.")),
            (json!({"as_specified": true, "job_assignment_node": {"__id__": 999_999}, "job_assignment_type": "ASSIGN"}), "Node 999999 does not exist.".to_string()),
            (json!({"as_doc_creator": true, "allowed_cc_users": refs(&[fx.bob, beta.alice])}), format!("User {} does not exist.", beta.alice)),
            (json!({"as_doc_creator": true, "allowed_cc_groups": refs(&[beta.all_users])}), format!("Group {} does not exist.", beta.all_users)),
            (json!({"as_doc_creator": true, "allowed_cc_departments": refs(&[beta.mis])}), format!("Department {} does not exist.", beta.mis)),
        ];
        for (mut body, msg) in cases {
            body["note"] = json!("x");
            body["n_sign"] = json!(1);
            exact_err(&app, org, "workflow_node/create", json!({"workflow": {"__id__": wf}, "node": body}), 404, &msg).await;
        }
        exact_err(&app, org, "workflow_node/create", json!({"workflow": {"__id__": beta.wf}, "node": {"note": "x", "n_sign": 1, "as_doc_creator": true}}), 404, &format!("Workflow {} does not exist.", beta.wf)).await;
        for (path, body) in [
            ("workflow_node/delete", json!({"node": {"__id__": theirs}})),
            ("workflow_node/update", json!({"node": {"__id__": theirs, "note": "Mine"}})),
            ("workflow_node/add_child", json!({"node": {"__id__": theirs}, "child": {"__id__": theirs}})),
            ("workflow_node/remove_child", json!({"node": {"__id__": theirs}, "child": {"__id__": theirs}})),
        ] {
            exact_err(&app, org, path, body, 404, &format!("Node {theirs} does not exist.")).await;
        }
        // A node of another version of the same organization is a bad reference, not unknown.
        let other = crate::omnibpm_workflow::create(&app, org, "Other").await;
        let elsewhere = id(&node(&app, org, other, json!({"note": "E", "as_doc_creator": true, "n_sign": 1})).await);
        exact_err(&app, org, "workflow_node/create", json!({"workflow": {"__id__": wf}, "node": {"note": "x", "n_sign": 1, "as_specified": true, "job_assignment_node": {"__id__": elsewhere}, "job_assignment_type": "ASSIGN"}}), 400,
                  &format!("job_assignment_node {elsewhere} is not a node of this workflow.")).await;
        assert!(nodes(&app, org, wf).await.is_empty());
        assert_eq!(nodes(&app, &beta.org, beta.wf).await.len(), 1);
    }

    async fn update_replaces_the_node_and_keeps_its_links(app) {
        let fx = fixture(&app, "ACME").await;
        let (org, wf) = (&fx.org, fx.wf);
        let amount = field(&app, org, wf, "Amount", "INT").await;
        let parent = id(&node(&app, org, wf, json!({"note": "P", "user": {"__id__": fx.bob}, "n_sign": 1})).await);
        let a = id(&node(&app, org, wf, json!({"note": "發起人節點", "as_doc_creator": true, "n_sign": 1, "required_fields": refs(&[amount]), "allowed_cc_users": refs(&[fx.alice])})).await);
        let b = id(&node(&app, org, wf, json!({"note": "B", "as_specified": true, "n_sign": 1, "job_assignment_node": {"__id__": a}, "job_assignment_type": "ASSIGN"})).await);
        let c = id(&node(&app, org, wf, json!({"note": "C", "rank": {"__id__": fx.manager}, "reference_node": {"__id__": a}, "n_sign": 1})).await);
        let d = id(&node(&app, org, wf, json!({"note": "D", "department": {"__id__": fx.mis}, "n_sign": 1})).await);
        link(&app, &fx, parent, a).await;
        link(&app, &fx, a, d).await;
        let v = app.ok(org, "workflow_node/update", json!({"node": {"__id__": a, "note": "New Name"}})).await;
        assert_eq!(v.as_object().expect("object").len(), 4, "{v}");
        let new = id(&v["node"]);
        assert!(new != a && new > d, "{new}");
        assert_eq!(nums(&v["job_assigned_nodes_ids"]), [b]);
        assert_eq!(nums(&v["referenced_nodes_ids"]), [c]);
        let n = &v["node"];
        assert_eq!((n["note"].as_str(), n["as_doc_creator"].as_bool(), n["node_type"].as_str()), (Some("New Name"), Some(true), Some("user")));
        assert_eq!(nums(&n["required_fields_ids"]), [amount]);
        assert_eq!(nums(&n["allowed_cc_users_ids"]), [fx.alice]);
        assert_eq!(nums(&n["children_set_ids"]), [d]);
        assert_eq!(n["children_set"][0]["note"], "D");
        assert_eq!(n["__model__"], "ProcessFlowNode");
        // Every reference moved to the new id; the old node is gone.
        let list = nodes(&app, org, wf).await;
        assert_eq!(ids_of(&json!(list)), [parent, b, c, d, new]);
        let get = |i: i64| list.iter().find(|n| id(n) == i).expect("node").clone();
        assert_eq!(nums(&get(parent)["children_set_ids"]), [new]);
        assert_eq!(get(b)["job_assignment_node_id"], new);
        assert_eq!(get(b)["job_assignment_node"]["note"], "New Name");
        assert_eq!(get(c)["reference_node_id"], new);
        exact_err(&app, org, "workflow_node/delete", json!({"node": {"__id__": a}}), 404, &format!("Node {a} does not exist.")).await;
        exact_err(&app, org, "workflow_node/update", json!({"node": {"__id__": a, "note": "x"}}), 404, &format!("Node {a} does not exist.")).await;

        // Changing the kind and the field access: what is not given stays.
        let v = app.ok(org, "workflow_node/update", json!({"node": {"__id__": new, "user": {"__id__": fx.alice}, "visible_fields": refs(&[amount]), "required_fields": []}})).await;
        let newer = &v["node"];
        assert_eq!((newer["node_type"].as_str(), newer["user_id"].as_i64(), newer["as_doc_creator"].as_bool()), (Some("user"), Some(fx.alice), Some(false)));
        assert_eq!(newer["note"], "New Name");
        assert_eq!(newer["required_fields_ids"], json!([]));
        assert_eq!(nums(&newer["editable_fields_ids"]), [amount]);
        assert_eq!(nums(&v["job_assigned_nodes_ids"]), [b]);
        // Sending back a whole node it answered changes nothing but the id.
        let whole = newer.clone();
        let v = app.ok(org, "workflow_node/update", json!({"node": whole})).await;
        let mut again = v["node"].clone();
        assert_ne!(id(&again), id(&whole));
        again["__id__"] = whole["__id__"].clone();
        assert_eq!(again, whole);
        app.err(org, "workflow_node/update", json!({"node": {"note": "x"}}), 400).await;
        app.err(org, "workflow_node/update", json!({"node": {"__id__": b, "n_sign": 0}}), 400).await;
    }

    async fn update_must_suit_the_nodes_that_depend_on_it(app) {
        let fx = fixture(&app, "ACME").await;
        let (org, wf) = (&fx.org, fx.wf);
        let start = creator(&app, &fx, "Start").await;
        let e = id(&node(&app, org, wf, json!({"note": "E", "as_specified": true, "n_sign": 1, "job_assignment_node": {"__id__": start}, "job_assignment_type": "ASSIGN"})).await);
        let f = id(&node(&app, org, wf, json!({"note": "F", "as_specified": true, "n_sign": 1, "job_assignment_node": {"__id__": e}, "job_assignment_type": "COPY"})).await);
        exact_err(&app, org, "workflow_node/update", json!({"node": {"__id__": e, "department": {"__id__": fx.mis}, "job_assignment_type": ""}}), 400,
                  &format!("Node {f} depends on node {e}: job_assignment_type COPY needs a job_assignment_node that is itself to be specified.")).await;
        exact_err(&app, org, "workflow_node/update", json!({"node": {"__id__": e, "job_assignment_node": {"__id__": e}}}), 400,
                  "A node cannot be its own job_assignment_node.").await;
        let ids: Vec<i64> = nodes(&app, org, wf).await.iter().map(id).collect();
        assert_eq!(ids, [start, e, f]);
    }

    async fn a_node_others_refer_to_cannot_be_deleted(app) {
        let fx = fixture(&app, "ACME").await;
        let (org, wf) = (&fx.org, fx.wf);
        let a = creator(&app, &fx, "A").await;
        let b = id(&node(&app, org, wf, json!({"note": "B", "as_specified": true, "n_sign": 1, "job_assignment_node": {"__id__": a}, "job_assignment_type": "ASSIGN"})).await);
        let c = id(&node(&app, org, wf, json!({"note": "C", "rank": {"__id__": fx.manager}, "reference_node": {"__id__": b}, "n_sign": 1})).await);
        link(&app, &fx, a, b).await;
        link(&app, &fx, b, c).await;
        exact_err(&app, org, "workflow_node/delete", json!({"node": {"__id__": a}}), 409,
                  &format!("Node {a} assigns the responsible users of node(s) {b}; change those first.")).await;
        exact_err(&app, org, "workflow_node/delete", json!({"node": {"__id__": b}}), 409,
                  &format!("Node {b} is the reference node of node(s) {c}; change those first.")).await;
        // Deleting goes from the dependants up, and takes the links along.
        let v = app.ok(org, "workflow_node/delete", json!({"node": {"__id__": c}})).await;
        assert_eq!(v, json!({"RESPONSE": "OK"}));
        assert_eq!(listed(&app, org, wf, b).await["children_set_ids"], json!([]));
        app.ok(org, "workflow_node/delete", json!({"node": {"__id__": b}})).await;
        assert_eq!(listed(&app, org, wf, a).await["children_set_ids"], json!([]));
        app.ok(org, "workflow_node/delete", json!({"node": {"__id__": a}})).await;
        assert!(nodes(&app, org, wf).await.is_empty());
        app.err(org, "workflow_node/delete", json!({"node": {}}), 400).await;
        app.err(org, "workflow_node/delete", json!({}), 400).await;
    }

    async fn children_are_linked_and_unlinked_without_cycles(app) {
        let fx = fixture(&app, "ACME").await;
        let (org, wf) = (&fx.org, fx.wf);
        let a = creator(&app, &fx, "A").await;
        let b = creator(&app, &fx, "發起人節點").await;
        let c = creator(&app, &fx, "C").await;
        let v = app.ok(org, "workflow_node/add_child", json!({"node": {"__id__": a}, "child": {"__id__": b}})).await;
        let n = &v["node"];
        assert_eq!(id(n), a);
        assert_eq!(nums(&n["children_set_ids"]), [b]);
        let child = &n["children_set"][0];
        assert_eq!((id(child), child["note"].as_str(), child["__model__"].as_str()), (b, Some("發起人節點"), Some("ProcessFlowNode")));
        assert_eq!(child["children_set_ids"], json!([]));
        assert_eq!(child["as_doc_creator"], true);
        assert_eq!(child["job_assignment_type"], "");
        assert_eq!(child["organization_id"], fx.org.id);
        // Nested nodes leave out the repeated objects.
        for absent in ["children_set", "organization", "allowed_cc_groups", "visible_fields"] {
            assert!(child.get(absent).is_none(), "{absent}: {child}");
        }
        assert!(child.get("allowed_cc_groups_ids").is_some());
        // Linking twice is harmless.
        link(&app, &fx, a, b).await;
        link(&app, &fx, b, c).await;
        assert_eq!(nums(&link(&app, &fx, a, c).await["children_set_ids"]), [b, c]);
        exact_err(&app, org, "workflow_node/add_child", json!({"node": {"__id__": c}, "child": {"__id__": a}}), 400,
                  &format!("Linking node {c} to child {a} would make a cycle.")).await;
        exact_err(&app, org, "workflow_node/add_child", json!({"node": {"__id__": a}, "child": {"__id__": a}}), 400,
                  "A node cannot be its own child.").await;
        let other = crate::omnibpm_workflow::create(&app, org, "Other").await;
        let elsewhere = id(&node(&app, org, other, json!({"note": "E", "as_doc_creator": true, "n_sign": 1})).await);
        exact_err(&app, org, "workflow_node/add_child", json!({"node": {"__id__": a}, "child": {"__id__": elsewhere}}), 400,
                  &format!("Node {elsewhere} is not a node of the same workflow as node {a}.")).await;
        exact_err(&app, org, "workflow_node/add_child", json!({"node": {"__id__": a}, "child": {"__id__": 999_999}}), 404, "Node 999999 does not exist.").await;
        app.err(org, "workflow_node/add_child", json!({"node": {"__id__": a}}), 400).await;
        app.err(org, "workflow_node/add_child", json!({"node": {"__id__": a}, "child": b}), 400).await;
        let v = app.ok(org, "workflow_node/remove_child", json!({"node": {"__id__": a}, "child": {"__id__": b}})).await;
        assert_eq!(nums(&v["node"]["children_set_ids"]), [c]);
        // Removing a link that is not there is harmless; after removing, the cycle is fine.
        app.ok(org, "workflow_node/remove_child", json!({"node": {"__id__": a}, "child": {"__id__": b}})).await;
        app.ok(org, "workflow_node/remove_child", json!({"node": {"__id__": a}, "child": {"__id__": c}})).await;
        app.ok(org, "workflow_node/remove_child", json!({"node": {"__id__": b}, "child": {"__id__": c}})).await;
        link(&app, &fx, c, a).await;
        let list = nodes(&app, org, wf).await;
        let links: Vec<Vec<i64>> = list.iter().map(|n| nums(&n["children_set_ids"])).collect();
        assert_eq!(links, [vec![], vec![], vec![a]]);
    }

    async fn autocomplete_conditions_are_checked_against_the_fields(app) {
        let fx = fixture(&app, "ACME").await;
        let (org, wf) = (&fx.org, fx.wf);
        let amount = field(&app, org, wf, "Amount", "INT").await;
        let n = node(&app, org, wf, json!({"note": "x", "n_sign": 1, "as_doc_creator": true, "autocomplete_condition": format!("field_{amount} > 3 && Amount < 10")})).await;
        assert_eq!(n["autocomplete_condition"], format!("field_{amount} > 3 && Amount < 10"));
        let msg = refused(&app, &fx, json!({"note": "x", "n_sign": 1, "as_doc_creator": true, "autocomplete_condition": "Nope > 3"}), 400).await;
        assert!(msg.starts_with("autocomplete_condition: ") && msg.contains("Nope"), "{msg}");
        let msg = refused(&app, &fx, json!({"note": "x", "n_sign": 1, "as_doc_creator": true, "autocomplete_condition": "(Amount > 3"}), 400).await;
        assert!(msg.starts_with("autocomplete_condition: "), "{msg}");
        // Clearing a condition on update.
        let v = app.ok(org, "workflow_node/update", json!({"node": {"__id__": id(&n), "autocomplete_condition": null}})).await;
        assert_eq!(v["node"]["autocomplete_condition"], Value::Null);
    }
}
