//! OmniBPM `workflow/*` and `workflow_perm/*`, and the fixtures of the workflow tests.

use crate::both;
pub use crate::helpers::exact_err;
use crate::helpers::{Org, TestApp};
use serde_json::{json, Value};

pub fn id(v: &Value) -> i64 {
    v["__id__"]
        .as_i64()
        .unwrap_or_else(|| panic!("no __id__ in {v}"))
}

pub fn refs(ids: &[i64]) -> Value {
    ids.iter().map(|i| json!({"__id__": i})).collect()
}

/// The `__id__`s of a list of objects.
pub fn ids_of(list: &Value) -> Vec<i64> {
    list.as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(id)
        .collect()
}

/// The numbers of a list of ids.
pub fn nums(list: &Value) -> Vec<i64> {
    list.as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|v| v.as_i64().expect("id"))
        .collect()
}

/// An organization with a workflow and the objects nodes refer to.
pub struct Fx {
    pub org: Org,
    /// Workflow "Leave" version 0 (editable).
    pub wf: i64,
    pub alice: i64,
    pub bob: i64,
    /// "Reviewers", with alice.
    pub reviewers: i64,
    pub all_users: i64,
    /// The MIS department and the Manager rank.
    pub mis: i64,
    pub manager: i64,
}

pub async fn fixture(app: &TestApp, abbr: &str) -> Fx {
    let org = app.org(abbr).await;
    let alice = app.user(&org, "alice").await;
    let bob = app.user(&org, "bob").await;
    let reviewers = id(&app
        .ok(
            &org,
            "group/create",
            json!({"group": {"name": "Reviewers"}, "users": refs(&[alice])}),
        )
        .await["group"]);
    let groups = app.ok(&org, "group/list", json!({})).await;
    let all_users = groups["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .find(|g| g["name"] == "All Users")
        .map(id)
        .expect("All Users");
    let mis = app.id_of(&org, "department", "MIS Department").await;
    let manager = app.id_of(&org, "rank", "Manager").await;
    let wf = create(app, &org, "Leave").await;
    Fx {
        org,
        wf,
        alice,
        bob,
        reviewers,
        all_users,
        mis,
        manager,
    }
}

/// Creates a workflow, returning its id.
pub async fn create(app: &TestApp, org: &Org, name: &str) -> i64 {
    id(&app
        .ok(org, "workflow/create", json!({"workflow": {"name": name}}))
        .await["workflow"])
}

/// Creates a node of `wf`, returning it.
pub async fn node(app: &TestApp, org: &Org, wf: i64, node: Value) -> Value {
    app.ok(
        org,
        "workflow_node/create",
        json!({"workflow": {"__id__": wf}, "node": node}),
    )
    .await["node"]
        .clone()
}

/// Creates a field of `wf`, returning its id.
pub async fn field(app: &TestApp, org: &Org, wf: i64, name: &str, data_type: &str) -> i64 {
    id(&app
        .ok(
            org,
            "workflow_field/create",
            json!({"workflow": {"__id__": wf}, "field": {"name": name, "data_type": data_type}}),
        )
        .await["field"])
}

/// The nodes of `wf` as `workflow_node/list` shows them.
pub async fn nodes(app: &TestApp, org: &Org, wf: i64) -> Vec<Value> {
    app.ok(
        org,
        "workflow_node/list",
        json!({"workflow": {"__id__": wf}}),
    )
    .await["nodes"]
        .as_array()
        .expect("nodes")
        .clone()
}

/// The listed node with this id.
pub async fn listed(app: &TestApp, org: &Org, wf: i64, node: i64) -> Value {
    nodes(app, org, wf)
        .await
        .into_iter()
        .find(|n| id(n) == node)
        .unwrap_or_else(|| panic!("no node {node}"))
}

/// The fields of `wf` as `workflow_field/list` shows them.
pub async fn fields(app: &TestApp, org: &Org, wf: i64) -> Vec<Value> {
    app.ok(
        org,
        "workflow_field/list",
        json!({"workflow": {"__id__": wf}}),
    )
    .await["fields"]
        .as_array()
        .expect("fields")
        .clone()
}

/// `(id, name, version, is_active)` of every version `workflow/list` shows.
async fn listing(app: &TestApp, org: &Org, name: Option<&str>) -> Vec<(i64, String, i64, bool)> {
    let body = match name {
        Some(n) => json!({"name": n}),
        None => json!({}),
    };
    app.ok(org, "workflow/list", body).await["workflows"]
        .as_array()
        .expect("workflows")
        .iter()
        .map(|w| {
            (
                id(w),
                w["name"].as_str().expect("name").to_string(),
                w["version"].as_i64().expect("version"),
                w["is_active"].as_bool().expect("is_active"),
            )
        })
        .collect()
}

async fn call(app: &TestApp, org: &Org, path: &str, wf: i64) -> Value {
    app.ok(org, path, json!({"workflow": {"__id__": wf}})).await["workflow"].clone()
}

async fn clone(app: &TestApp, org: &Org, wf: i64) -> Value {
    app.ok(
        org,
        "workflow/clone",
        json!({"from_workflow": {"__id__": wf}}),
    )
    .await["workflow"]
        .clone()
}

/// The twelve lists of `workflow_perm/list`, as ids.
async fn perms(app: &TestApp, org: &Org, wf: i64) -> Value {
    let v = app
        .ok(
            org,
            "workflow_perm/list",
            json!({"workflow": {"__id__": wf}}),
        )
        .await;
    let mut out = serde_json::Map::new();
    for grant in ["creatable", "visible", "revokable", "revivable"] {
        for subject in ["users", "groups", "departments"] {
            let key = format!("{grant}_{subject}");
            out.insert(key.clone(), json!(ids_of(&v[&key])));
        }
    }
    assert_eq!(v.as_object().expect("object").len(), 13, "{v}");
    Value::Object(out)
}

/// Expected permission lists: the given ones, every other list empty.
fn perm_lists(given: &[(&str, &[i64])]) -> Value {
    let mut out = serde_json::Map::new();
    for grant in ["creatable", "visible", "revokable", "revivable"] {
        for subject in ["users", "groups", "departments"] {
            out.insert(format!("{grant}_{subject}"), json!([]));
        }
    }
    for (k, v) in given {
        out.insert(k.to_string(), json!(v));
    }
    Value::Object(out)
}

both! {
    async fn create_answers_the_version_as_the_spec_shows(app) {
        let org = app.org("ACME").await;
        let v = app.ok(&org, "workflow/create", json!({"workflow": {"name": "測試流程"}})).await;
        let w = &v["workflow"];
        assert_eq!(w["__model__"], "WorkflowDTO");
        assert_eq!(w["name"], "測試流程");
        assert_eq!(w["version"], 0);
        assert_eq!(w["is_complete"], false);
        assert_eq!(w["is_active"], false);
        assert_eq!(w["is_hidden"], false);
        assert_eq!(w["organization_id"], org.id);
        assert_eq!(w["organization_name"], "ACME Inc.");
        assert_eq!(w["organization"]["__id__"], org.id);
        assert_eq!(w["organization"]["abbr"], "ACME");
        assert!(w["__id__"].is_i64());
        // Served without the trailing slash too, and with `apikey`.
        let res = app
            .client
            .post(format!("{}/api/v0.1/workflow/create", app.url))
            .json(&json!({"apikey": org.key, "workflow": {"name": "Other"}}))
            .send()
            .await
            .expect("request");
        assert_eq!(res.status().as_u16(), 200);
        let v: Value = res.json().await.expect("json");
        assert_eq!(v["workflow"]["name"], "Other");
        assert_eq!(listing(&app, &org, None).await.len(), 2);
    }

    async fn a_taken_name_gives_duplicate_name(app) {
        let org = app.org("ACME").await;
        create(&app, &org, "Leave").await;
        exact_err(&app, &org, "workflow/create", json!({"workflow": {"name": "Leave"}}), 409, "Duplicate Name.").await;
        exact_err(&app, &org, "workflow/create", json!({"workflow": {"name": " Leave "}}), 409, "Duplicate Name.").await;
        assert_eq!(listing(&app, &org, None).await.len(), 1);
        // Another organization may use the name.
        let beta = app.org("BETA").await;
        create(&app, &beta, "Leave").await;
    }

    async fn create_needs_a_name_of_the_right_type(app) {
        let org = app.org("ACME").await;
        for body in [json!({}), json!({"workflow": "Leave"}), json!({"workflow": {}}), json!({"workflow": {"name": ""}}),
                     json!({"workflow": {"name": "  "}}), json!({"workflow": {"name": 5}}), json!({"workflow": {"name": "x".repeat(201)}}),
                     json!({"workflow": {"name": "Leave", "__model__": "Department"}})] {
            let msg = app.err(&org, "workflow/create", body.clone(), 400).await;
            assert!(!msg.is_empty(), "{body}");
        }
        let msg = app.err(&org, "workflow/create", json!({"workflow": {"name": 5}}), 400).await;
        assert!(msg.contains("workflow.name"), "{msg}");
        assert!(listing(&app, &org, None).await.is_empty());
        let (status, v) = app.omni("workflow/create", json!({"workflow": {"name": "Leave"}})).await;
        assert_eq!((status, v["RESPONSE"].as_str()), (401, Some("ERR")));
    }

    async fn clone_numbers_the_new_version_above_every_version(app) {
        let org = app.org("ACME").await;
        let v0 = create(&app, &org, "Leave").await;
        let v1 = clone(&app, &org, v0).await;
        assert_eq!((v1["name"].as_str(), v1["version"].as_i64()), (Some("Leave"), Some(1)));
        assert_eq!((v1["is_complete"].as_bool(), v1["is_active"].as_bool()), (Some(false), Some(false)));
        // Cloning an older version still goes above all.
        let v2 = clone(&app, &org, v0).await;
        assert_eq!(v2["version"], 2);
        call(&app, &org, "workflow/finalize", id(&v2)).await;
        call(&app, &org, "workflow/activate", id(&v2)).await;
        let v3 = clone(&app, &org, id(&v1)).await;
        assert_eq!((v3["version"].as_i64(), v3["is_complete"].as_bool(), v3["is_active"].as_bool()), (Some(3), Some(false), Some(false)));
        let versions: Vec<i64> = listing(&app, &org, Some("Leave")).await.iter().map(|w| w.2).collect();
        assert_eq!(versions, [3, 2, 1, 0]);
        exact_err(&app, &org, "workflow/clone", json!({"from_workflow": {"__id__": 999_999}}), 404, "Workflow 999999 does not exist.").await;
        app.err(&org, "workflow/clone", json!({}), 400).await;
    }

    async fn clone_copies_fields_and_nodes_with_new_ids(app) {
        let fx = fixture(&app, "ACME").await;
        let (org, wf) = (&fx.org, fx.wf);
        let amount = field(&app, org, wf, "Amount", "INT").await;
        let days = field(&app, org, wf, "Days", "INT").await;
        let total = id(&app.ok(org, "workflow_field/create", json!({"workflow": {"__id__": wf}, "field": {"name": "Total", "data_type": "FORMULA", "formula": format!("field_{amount} * Days")}})).await["field"]);
        let start = node(&app, org, wf, json!({"note": "Start", "as_doc_creator": true, "n_sign": 1, "required_fields": refs(&[amount])})).await;
        let pick = node(&app, org, wf, json!({"note": "Pick", "group": {"__id__": fx.reviewers}, "n_sign": 1, "allowed_cc_users": refs(&[fx.bob])})).await;
        let done = node(&app, org, wf, json!({"note": "Do", "as_specified": true, "n_sign": 1, "job_assignment_node": {"__id__": id(&pick)}, "job_assignment_type": "ASSIGN", "visible_fields": refs(&[days]), "autocomplete_condition": format!("field_{days} > 3")})).await;
        let boss = node(&app, org, wf, json!({"note": "Boss", "rank": {"__id__": fx.manager}, "reference_node": {"__id__": id(&done)}, "n_sign": 1})).await;
        for (p, c) in [(&start, &pick), (&pick, &done), (&done, &boss)] {
            app.ok(org, "workflow_node/add_child", json!({"node": {"__id__": id(p)}, "child": {"__id__": id(c)}})).await;
        }
        let copy = id(&clone(&app, org, wf).await);

        let old_fields = fields(&app, org, wf).await;
        let new_fields = fields(&app, org, copy).await;
        let names = |l: &[Value]| l.iter().map(|f| f["name"].as_str().expect("name").to_string()).collect::<Vec<_>>();
        assert_eq!(names(&new_fields), ["Amount", "Days", "Total"]);
        assert_eq!(names(&old_fields), names(&new_fields));
        let new_id = |name: &str| id(new_fields.iter().find(|f| f["name"] == name).expect("field"));
        for f in &new_fields {
            assert!(![amount, days, total].contains(&id(f)), "{f}");
            assert_eq!(f["workflow_id"], copy);
        }
        let total_copy = new_fields.iter().find(|f| f["name"] == "Total").expect("Total");
        assert_eq!(total_copy["formula"], format!("field_{} * Days", new_id("Amount")));

        let old_nodes = nodes(&app, org, wf).await;
        let new_nodes = nodes(&app, org, copy).await;
        assert_eq!(new_nodes.len(), 4);
        let by_note = |l: &[Value], note: &str| l.iter().find(|n| n["note"] == note).expect("node").clone();
        for n in &new_nodes {
            assert!(!old_nodes.iter().any(|o| id(o) == id(n)), "{n}");
            assert_eq!(n["workflow_id"], copy);
        }
        let (s, p, d, b) = (by_note(&new_nodes, "Start"), by_note(&new_nodes, "Pick"), by_note(&new_nodes, "Do"), by_note(&new_nodes, "Boss"));
        assert_eq!(nums(&s["children_set_ids"]), [id(&p)]);
        assert_eq!(nums(&p["children_set_ids"]), [id(&d)]);
        assert_eq!(nums(&d["children_set_ids"]), [id(&b)]);
        assert_eq!(nums(&s["required_fields_ids"]), [new_id("Amount")]);
        assert_eq!(nums(&p["allowed_cc_users_ids"]), [fx.bob]);
        assert_eq!(nums(&p["allowed_cc_groups_ids"]), Vec::<i64>::new());
        assert_eq!(nums(&s["allowed_cc_groups_ids"]), [fx.all_users]);
        assert_eq!(d["job_assignment_node_id"], id(&p));
        assert_eq!(d["job_assignment_type"], "ASSIGN");
        assert_eq!(nums(&d["visible_fields_ids"]), [new_id("Days")]);
        assert_eq!(d["autocomplete_condition"], format!("field_{} > 3", new_id("Days")));
        assert_eq!(b["reference_node_id"], id(&d));
        // The original is untouched.
        let o = by_note(&old_nodes, "Do");
        assert_eq!(o["job_assignment_node_id"], id(&pick));
        assert_eq!(nums(&by_note(&old_nodes, "Start")["children_set_ids"]), [id(&pick)]);
    }

    async fn save_as_makes_a_new_name_with_version_zero(app) {
        let fx = fixture(&app, "ACME").await;
        let (org, wf) = (&fx.org, fx.wf);
        let amount = field(&app, org, wf, "Amount", "INT").await;
        let first = node(&app, org, wf, json!({"note": "Start", "as_doc_creator": true, "n_sign": 1})).await;
        let second = node(&app, org, wf, json!({"note": "Boss", "user": {"__id__": fx.bob}, "n_sign": 1})).await;
        app.ok(org, "workflow_node/add_child", json!({"node": {"__id__": id(&first)}, "child": {"__id__": id(&second)}})).await;
        call(&app, org, "workflow/finalize", wf).await;
        call(&app, org, "workflow/activate", wf).await;
        let v = app.ok(org, "workflow/save_as", json!({"workflow": {"__id__": wf}, "new_name": "APPLE"})).await;
        let w = &v["workflow"];
        assert_eq!((w["name"].as_str(), w["version"].as_i64()), (Some("APPLE"), Some(0)));
        assert_eq!(w["__model__"], "WorkflowDTO");
        // As the spec's example shows, a finalized active source gives a finalized active copy.
        assert_eq!((w["is_complete"].as_bool(), w["is_active"].as_bool(), w["is_hidden"].as_bool()), (Some(true), Some(true), Some(false)));
        let copy = id(w);
        assert_ne!(copy, wf);
        let f = fields(&app, org, copy).await;
        assert_eq!(f.len(), 1);
        assert_ne!(id(&f[0]), amount);
        let n = nodes(&app, org, copy).await;
        assert_eq!(n.len(), 2);
        assert_eq!(nums(&n[0]["children_set_ids"]), [id(&n[1])]);
        // Both names stay active: they are different families.
        let mut names: Vec<(String, bool)> = listing(&app, org, None).await.into_iter().map(|w| (w.1, w.3)).collect();
        names.sort();
        assert_eq!(names, [("APPLE".to_string(), true), ("Leave".to_string(), true)]);
        // The new family has its own (default) permissions.
        app.ok(org, "workflow_perm/set", json!({"workflow": {"__id__": wf}, "visible_users": refs(&[fx.bob])})).await;
        assert_eq!(perms(&app, org, copy).await, perm_lists(&[("creatable_groups", &[fx.all_users])]));
        // An editable source gives an editable, inactive copy.
        let draft = create(&app, org, "Draft").await;
        let v = app.ok(org, "workflow/save_as", json!({"workflow": {"__id__": draft}, "new_name": "Draft 2"})).await;
        assert_eq!((v["workflow"]["is_complete"].as_bool(), v["workflow"]["is_active"].as_bool()), (Some(false), Some(false)));
        exact_err(&app, org, "workflow/save_as", json!({"workflow": {"__id__": wf}, "new_name": "APPLE"}), 409, "Duplicate Name.").await;
        exact_err(&app, org, "workflow/save_as", json!({"workflow": {"__id__": wf}, "new_name": "Leave"}), 409, "Duplicate Name.").await;
        app.err(org, "workflow/save_as", json!({"workflow": {"__id__": wf}}), 400).await;
        app.err(org, "workflow/save_as", json!({"workflow": {"__id__": wf}, "new_name": ""}), 400).await;
        app.err(org, "workflow/save_as", json!({"workflow": {"__id__": 999_999}, "new_name": "X"}), 404).await;
    }

    async fn list_filters_by_name_and_leaves_hidden_versions_out(app) {
        let org = app.org("ACME").await;
        let leave = create(&app, &org, "Leave").await;
        let trip = create(&app, &org, "Trip").await;
        let leave1 = id(&clone(&app, &org, leave).await);
        let leave2 = id(&clone(&app, &org, leave1).await);
        let all = listing(&app, &org, None).await;
        let order: Vec<(i64, i64)> = all.iter().map(|w| (w.0, w.2)).collect();
        assert_eq!(order, [(leave2, 2), (leave1, 1), (leave, 0), (trip, 0)]);
        let only: Vec<i64> = listing(&app, &org, Some("Trip")).await.iter().map(|w| w.0).collect();
        assert_eq!(only, [trip]);
        assert!(listing(&app, &org, Some("Nothing")).await.is_empty());
        let v = app.ok(&org, "workflow/hide", json!({"workflow": {"__id__": leave1}})).await;
        assert_eq!(v, json!({"RESPONSE": "OK"}));
        let ids: Vec<i64> = listing(&app, &org, Some("Leave")).await.iter().map(|w| w.0).collect();
        assert_eq!(ids, [leave2, leave]);
        // A hidden version can still be used by id.
        let w = call(&app, &org, "workflow/finalize", leave1).await;
        assert_eq!(w["is_hidden"], true);
        app.err(&org, "workflow/list", json!({"name": 5}), 400).await;
        // Other organizations' workflows are not listed.
        let beta = app.org("BETA").await;
        assert!(listing(&app, &beta, None).await.is_empty());
    }

    async fn update_renames_every_version(app) {
        let org = app.org("ACME").await;
        let v0 = create(&app, &org, "Leave").await;
        let v1 = id(&clone(&app, &org, v0).await);
        create(&app, &org, "Trip").await;
        let v = app.ok(&org, "workflow/update", json!({"workflow": {"__id__": v1, "name": "新流程名稱", "version": 7, "is_active": true}})).await;
        assert_eq!((v["workflow"]["name"].as_str(), v["workflow"]["version"].as_i64(), v["workflow"]["is_active"].as_bool()), (Some("新流程名稱"), Some(1), Some(false)));
        let names: Vec<(i64, String)> = listing(&app, &org, Some("新流程名稱")).await.into_iter().map(|w| (w.0, w.1)).collect();
        assert_eq!(names, [(v1, "新流程名稱".to_string()), (v0, "新流程名稱".to_string())]);
        assert!(listing(&app, &org, Some("Leave")).await.is_empty());
        // The old name is free again; a taken one is refused; the same one is accepted.
        create(&app, &org, "Leave").await;
        exact_err(&app, &org, "workflow/update", json!({"workflow": {"__id__": v0, "name": "Trip"}}), 409, "Duplicate Name.").await;
        app.ok(&org, "workflow/update", json!({"workflow": {"__id__": v0, "name": "新流程名稱"}})).await;
        app.err(&org, "workflow/update", json!({"workflow": {"__id__": v0}}), 400).await;
        app.err(&org, "workflow/update", json!({"workflow": {"name": "X"}}), 400).await;
        app.err(&org, "workflow/update", json!({"workflow": {"__id__": 999_999, "name": "X"}}), 404).await;
    }

    async fn finalize_ends_editing_of_nodes_and_fields(app) {
        let fx = fixture(&app, "ACME").await;
        let (org, wf) = (&fx.org, fx.wf);
        let f = field(&app, org, wf, "Amount", "INT").await;
        let a = id(&node(&app, org, wf, json!({"note": "A", "as_doc_creator": true, "n_sign": 1})).await);
        let b = id(&node(&app, org, wf, json!({"note": "B", "user": {"__id__": fx.bob}, "n_sign": 1})).await);
        let w = call(&app, org, "workflow/finalize", wf).await;
        assert_eq!((w["is_complete"].as_bool(), w["is_active"].as_bool(), w["__model__"].as_str()), (Some(true), Some(false), Some("WorkflowDTO")));
        let refused = [
            ("workflow_node/create", json!({"workflow": {"__id__": wf}, "node": {"note": "C", "as_doc_creator": true, "n_sign": 1}})),
            ("workflow_node/update", json!({"node": {"__id__": a, "note": "A2"}})),
            ("workflow_node/delete", json!({"node": {"__id__": b}})),
            ("workflow_node/add_child", json!({"node": {"__id__": a}, "child": {"__id__": b}})),
            ("workflow_node/remove_child", json!({"node": {"__id__": a}, "child": {"__id__": b}})),
            ("workflow_field/create", json!({"workflow": {"__id__": wf}, "field": {"name": "X", "data_type": "INT"}})),
            ("workflow_field/batch", json!({"workflow": {"__id__": wf}, "fields": [{"name": "X", "data_type": "INT"}]})),
            ("workflow_field/inactivate", json!({"workflow": {"__id__": wf}, "fields": refs(&[f])})),
            ("workflow_field/activate", json!({"workflow": {"__id__": wf}, "fields": refs(&[f])})),
            ("workflow_field/update", json!({"workflow": {"__id__": wf}, "field": {"__id__": f, "name": "Y"}})),
        ];
        for (path, body) in refused {
            let msg = app.err(org, path, body, 409).await;
            assert_eq!(msg, format!("Workflow {wf} is finalized; clone it to make changes."), "{path}");
        }
        assert_eq!(nodes(&app, org, wf).await.len(), 2);
        assert_eq!(fields(&app, org, wf).await.len(), 1);
        // Finalizing again is harmless; a clone is editable.
        call(&app, org, "workflow/finalize", wf).await;
        let copy = id(&clone(&app, org, wf).await);
        node(&app, org, copy, json!({"note": "C", "as_doc_creator": true, "n_sign": 1})).await;
        // Nodes report the version's state.
        assert!(nodes(&app, org, wf).await.iter().all(|n| n["is_complete"] == true));
        assert!(nodes(&app, org, copy).await.iter().all(|n| n["is_complete"] == false));
    }

    async fn activate_needs_a_finalized_version_and_deactivates_the_others(app) {
        let org = app.org("ACME").await;
        let v0 = create(&app, &org, "Leave").await;
        let v1 = id(&clone(&app, &org, v0).await);
        let other = create(&app, &org, "Trip").await;
        exact_err(&app, &org, "workflow/activate", json!({"workflow": {"__id__": v0}}), 409,
                  &format!("Workflow {v0} is not finalized; finalize it before activating it.")).await;
        for w in [v0, v1, other] {
            call(&app, &org, "workflow/finalize", w).await;
        }
        let w = call(&app, &org, "workflow/activate", v0).await;
        assert_eq!(w["is_active"], true);
        call(&app, &org, "workflow/activate", other).await;
        let w = call(&app, &org, "workflow/activate", v1).await;
        assert_eq!((w["is_active"].as_bool(), w["is_complete"].as_bool()), (Some(true), Some(true)));
        let active: Vec<(i64, bool)> = listing(&app, &org, None).await.into_iter().map(|w| (w.0, w.3)).collect();
        assert_eq!(active, [(v1, true), (v0, false), (other, true)]);
        // Activating the active version again keeps it active.
        call(&app, &org, "workflow/activate", v1).await;
        let w = call(&app, &org, "workflow/inactivate", v1).await;
        assert_eq!(w["is_active"], false);
        let active: Vec<bool> = listing(&app, &org, Some("Leave")).await.into_iter().map(|w| w.3).collect();
        assert_eq!(active, [false, false]);
        app.err(&org, "workflow/activate", json!({"workflow": {"__id__": 999_999}}), 404).await;
        app.err(&org, "workflow/inactivate", json!({"workflow": {}}), 400).await;
    }

    async fn delete_removes_a_version_without_documents(app) {
        let fx = fixture(&app, "ACME").await;
        let (org, wf) = (&fx.org, fx.wf);
        let copy = id(&clone(&app, org, wf).await);
        let f = field(&app, org, copy, "Amount", "INT").await;
        let a = id(&node(&app, org, copy, json!({"note": "A", "as_doc_creator": true, "n_sign": 1})).await);
        let b = id(&node(&app, org, copy, json!({"note": "B", "as_specified": true, "n_sign": 1, "job_assignment_node": {"__id__": a}, "job_assignment_type": "ASSIGN"})).await);
        let c = id(&node(&app, org, copy, json!({"note": "C", "rank": {"__id__": fx.manager}, "reference_node": {"__id__": b}, "n_sign": 1})).await);
        for (p, ch) in [(a, b), (b, c)] {
            app.ok(org, "workflow_node/add_child", json!({"node": {"__id__": p}, "child": {"__id__": ch}})).await;
        }
        call(&app, org, "workflow/finalize", copy).await;
        call(&app, org, "workflow/activate", copy).await;
        let v = app.ok(org, "workflow/delete", json!({"workflow": {"__id__": copy}})).await;
        assert_eq!(v, json!({"RESPONSE": "OK"}));
        let ids: Vec<i64> = listing(&app, org, None).await.iter().map(|w| w.0).collect();
        assert_eq!(ids, [wf]);
        for (path, body) in [
            ("workflow/finalize", json!({"workflow": {"__id__": copy}})),
            ("workflow/delete", json!({"workflow": {"__id__": copy}})),
            ("workflow_node/list", json!({"workflow": {"__id__": copy}})),
            ("workflow_field/list", json!({"workflow": {"__id__": copy}})),
            ("workflow_node/delete", json!({"node": {"__id__": a}})),
            ("workflow_field/activate", json!({"workflow": {"__id__": wf}, "fields": refs(&[f])})),
        ] {
            app.err(org, path, body, 404).await;
        }
        // The name stays while a version has it; the last version takes it (and its
        // permissions) along.
        app.ok(org, "workflow_perm/set", json!({"workflow": {"__id__": wf}, "visible_users": refs(&[fx.bob])})).await;
        exact_err(&app, org, "workflow/create", json!({"workflow": {"name": "Leave"}}), 409, "Duplicate Name.").await;
        app.ok(org, "workflow/delete", json!({"workflow": {"__id__": wf}})).await;
        assert!(listing(&app, org, None).await.is_empty());
        let again = create(&app, org, "Leave").await;
        assert_eq!(perms(&app, org, again).await, perm_lists(&[("creatable_groups", &[fx.all_users])]));
        app.err(org, "workflow/delete", json!({}), 400).await;
    }

    async fn a_new_workflow_lets_all_users_create_documents(app) {
        let fx = fixture(&app, "ACME").await;
        let v = app.ok(&fx.org, "workflow_perm/list", json!({"workflow": {"__id__": fx.wf}})).await;
        assert_eq!(v["RESPONSE"], "OK");
        let groups = v["creatable_groups"].as_array().expect("groups");
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0]["name"], "All Users");
        assert_eq!(groups[0]["__model__"], "GroupProfile");
        assert_eq!(groups[0]["organization"]["__id__"], fx.org.id);
        assert_eq!(perms(&app, &fx.org, fx.wf).await, perm_lists(&[("creatable_groups", &[fx.all_users])]));
    }

    async fn perm_set_replaces_every_permission_of_the_name(app) {
        let fx = fixture(&app, "ACME").await;
        let (org, wf) = (&fx.org, fx.wf);
        let v1 = id(&clone(&app, org, wf).await);
        let v = app.ok(org, "workflow_perm/set", json!({
            "workflow": {"__id__": wf},
            "revokable_groups": refs(&[fx.reviewers]),
            "visible_users": refs(&[fx.bob, fx.alice]),
            "creatable_users": [{"__id__": fx.alice, "__model__": "UserProfile"}],
            "revivable_departments": refs(&[fx.mis]),
            "creatable_departments": [],
        })).await;
        assert_eq!(v, json!({"RESPONSE": "OK"}));
        let want = perm_lists(&[
            ("revokable_groups", &[fx.reviewers]),
            ("visible_users", &[fx.alice, fx.bob]),
            ("creatable_users", &[fx.alice]),
            ("revivable_departments", &[fx.mis]),
        ]);
        assert_eq!(perms(&app, org, wf).await, want);
        // Every version shares them.
        assert_eq!(perms(&app, org, v1).await, want);
        // Nested objects are full users, groups and departments.
        let full = app.ok(org, "workflow_perm/list", json!({"workflow": {"__id__": v1}})).await;
        assert_eq!(full["creatable_users"][0]["username"], "alice@ACME");
        assert_eq!(full["creatable_users"][0]["__model__"], "UserProfile");
        assert_eq!(full["revokable_groups"][0]["name"], "Reviewers");
        assert_eq!(full["revivable_departments"][0]["name"], "MIS Department");
        assert_eq!(full["revivable_departments"][0]["__model__"], "Department");
        // Lists not given are cleared.
        app.ok(org, "workflow_perm/set", json!({"workflow": {"__id__": v1}, "creatable_groups": refs(&[fx.all_users])})).await;
        assert_eq!(perms(&app, org, wf).await, perm_lists(&[("creatable_groups", &[fx.all_users])]));
        app.ok(org, "workflow_perm/set", json!({"workflow": {"__id__": wf}})).await;
        assert_eq!(perms(&app, org, wf).await, perm_lists(&[]));
    }

    async fn perm_set_refuses_unknown_subjects_and_bad_input(app) {
        let fx = fixture(&app, "ACME").await;
        let (org, wf) = (&fx.org, fx.wf);
        let beta = fixture(&app, "BETA").await;
        exact_err(&app, org, "workflow_perm/set", json!({"workflow": {"__id__": wf}, "visible_users": refs(&[fx.bob, beta.bob])}), 404,
                  &format!("User {} does not exist.", beta.bob)).await;
        exact_err(&app, org, "workflow_perm/set", json!({"workflow": {"__id__": wf}, "visible_groups": refs(&[beta.reviewers])}), 404,
                  &format!("Group {} does not exist.", beta.reviewers)).await;
        exact_err(&app, org, "workflow_perm/set", json!({"workflow": {"__id__": wf}, "visible_departments": refs(&[beta.mis])}), 404,
                  &format!("Department {} does not exist.", beta.mis)).await;
        exact_err(&app, org, "workflow_perm/set", json!({"workflow": {"__id__": beta.wf}, "visible_users": refs(&[fx.bob])}), 404,
                  &format!("Workflow {} does not exist.", beta.wf)).await;
        for body in [
            json!({"workflow": {"__id__": wf}, "visible_users": fx.bob}),
            json!({"workflow": {"__id__": wf}, "visible_users": [fx.bob]}),
            json!({"workflow": {"__id__": wf}, "visible_users": [{"__id__": "x"}]}),
            json!({"workflow": {"__id__": wf}, "visible_users": [{"__id__": fx.bob, "__model__": "GroupProfile"}]}),
            json!({"visible_users": refs(&[fx.bob])}),
        ] {
            app.err(org, "workflow_perm/set", body, 400).await;
        }
        // Nothing changed.
        assert_eq!(perms(&app, org, wf).await, perm_lists(&[("creatable_groups", &[fx.all_users])]));
        app.err(org, "workflow_perm/list", json!({"workflow": {"__id__": beta.wf}}), 404).await;
    }

    async fn perm_delete_removes_one_subject(app) {
        let fx = fixture(&app, "ACME").await;
        let (org, wf) = (&fx.org, fx.wf);
        app.ok(org, "workflow_perm/set", json!({
            "workflow": {"__id__": wf},
            "visible_users": refs(&[fx.alice, fx.bob]),
            "creatable_users": refs(&[fx.alice]),
            "creatable_groups": refs(&[fx.reviewers]),
            "visible_departments": refs(&[fx.mis]),
        })).await;
        let v = app.ok(org, "workflow_perm/delete", json!({"workflow": {"__id__": wf}, "user": {"__id__": fx.alice}})).await;
        assert_eq!(v, json!({"RESPONSE": "OK"}));
        assert_eq!(perms(&app, org, wf).await, perm_lists(&[
            ("visible_users", &[fx.bob]),
            ("creatable_groups", &[fx.reviewers]),
            ("visible_departments", &[fx.mis]),
        ]));
        app.ok(org, "workflow_perm/delete", json!({"workflow": {"__id__": wf}, "group": {"__id__": fx.reviewers}})).await;
        app.ok(org, "workflow_perm/delete", json!({"workflow": {"__id__": wf}, "department": {"__id__": fx.mis}})).await;
        // A subject without permissions is fine.
        app.ok(org, "workflow_perm/delete", json!({"workflow": {"__id__": wf}, "group": {"__id__": fx.all_users}})).await;
        assert_eq!(perms(&app, org, wf).await, perm_lists(&[("visible_users", &[fx.bob])]));
        for body in [
            json!({"workflow": {"__id__": wf}}),
            json!({"workflow": {"__id__": wf}, "user": {"__id__": fx.bob}, "group": {"__id__": fx.reviewers}}),
            json!({"workflow": {"__id__": wf}, "user": {"__id__": fx.bob}, "department": {"__id__": fx.mis}}),
            json!({"workflow": {"__id__": wf}, "user": "bob"}),
            json!({"user": {"__id__": fx.bob}}),
        ] {
            app.err(org, "workflow_perm/delete", body, 400).await;
        }
        let beta = fixture(&app, "BETA").await;
        app.err(org, "workflow_perm/delete", json!({"workflow": {"__id__": wf}, "user": {"__id__": beta.bob}}), 404).await;
        app.err(org, "workflow_perm/delete", json!({"workflow": {"__id__": beta.wf}, "user": {"__id__": fx.bob}}), 404).await;
        assert_eq!(perms(&app, org, wf).await, perm_lists(&[("visible_users", &[fx.bob])]));
    }

    async fn another_organizations_workflows_are_not_found(app) {
        let org = app.org("ACME").await;
        let beta = app.org("BETA").await;
        let theirs = create(&app, &beta, "Theirs").await;
        for path in ["workflow/finalize", "workflow/activate", "workflow/inactivate", "workflow/hide", "workflow/delete",
                     "workflow_perm/list", "workflow_node/list", "workflow_field/list"] {
            exact_err(&app, &org, path, json!({"workflow": {"__id__": theirs}}), 404, &format!("Workflow {theirs} does not exist.")).await;
        }
        exact_err(&app, &org, "workflow/update", json!({"workflow": {"__id__": theirs, "name": "Mine"}}), 404, &format!("Workflow {theirs} does not exist.")).await;
        exact_err(&app, &org, "workflow/clone", json!({"from_workflow": {"__id__": theirs}}), 404, &format!("Workflow {theirs} does not exist.")).await;
        exact_err(&app, &org, "workflow/save_as", json!({"workflow": {"__id__": theirs}, "new_name": "Mine"}), 404, &format!("Workflow {theirs} does not exist.")).await;
        assert!(listing(&app, &org, None).await.is_empty());
        let w = &listing(&app, &beta, None).await[0];
        assert_eq!((w.0, w.1.as_str(), w.3), (theirs, "Theirs", false));
    }

    async fn workflow_references_must_be_well_formed(app) {
        let org = app.org("ACME").await;
        let wf = create(&app, &org, "Leave").await;
        for body in [json!({}), json!({"workflow": null}), json!({"workflow": wf}), json!({"workflow": {"__id__": "one"}}),
                     json!({"workflow": {"__id__": wf, "__model__": "Workflow"}}), json!({"workflow": "x"})] {
            for path in ["workflow/finalize", "workflow/hide", "workflow_node/list", "workflow_field/list", "workflow_perm/list"] {
                let msg = app.err(&org, path, body.clone(), 400).await;
                assert!(msg.to_lowercase().contains("workflow"), "{path} {body}: {msg}");
            }
        }
        app.err(&org, "workflow/clone", json!({"from_workflow": {"__id__": wf, "__model__": "UserProfile"}}), 400).await;
    }
}
