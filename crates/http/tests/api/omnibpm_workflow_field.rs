//! OmniBPM `workflow_field/*`.

use crate::both;
use crate::helpers::{Org, TestApp};
use crate::omnibpm_workflow::{
    create, exact_err, field, fields, fixture, id, listed, node, nums, refs,
};
use serde_json::{json, Value};

/// `(name, data_type, is_active)` of every field of `wf`, in list order.
async fn summary(app: &TestApp, org: &Org, wf: i64) -> Vec<(String, String, bool)> {
    fields(app, org, wf)
        .await
        .iter()
        .map(|f| {
            (
                f["name"].as_str().expect("name").to_string(),
                f["data_type"].as_str().expect("data_type").to_string(),
                f["is_active"].as_bool().expect("is_active"),
            )
        })
        .collect()
}

fn s(name: &str, t: &str, active: bool) -> (String, String, bool) {
    (name.to_string(), t.to_string(), active)
}

async fn formula(app: &TestApp, org: &Org, wf: i64, name: &str, f: &str) -> i64 {
    id(&app
        .ok(org, "workflow_field/create", json!({"workflow": {"__id__": wf}, "field": {"name": name, "data_type": "FORMULA", "formula": f}}))
        .await["field"])
}

both! {
    async fn create_answers_the_field_as_the_spec_shows(app) {
        let org = app.org("ACME").await;
        let wf = create(&app, &org, "Leave").await;
        let v = app.ok(&org, "workflow_field/create", json!({"workflow": {"__id__": wf}, "field": {"name": "NEWFIELD", "data_type": "UTF8"}})).await;
        let f = &v["field"];
        assert_eq!(f["__model__"], "WorkflowField");
        assert_eq!((f["name"].as_str(), f["data_type"].as_str(), f["is_active"].as_bool()), (Some("NEWFIELD"), Some("UTF8"), Some(true)));
        assert_eq!(f["formula"], Value::Null);
        assert_eq!(f["workflow_id"], wf);
        assert_eq!(f["is_complete"], false);
        assert_eq!(f["organization_id"], org.id);
        assert_eq!(f["organization_name"], "ACME Inc.");
        assert_eq!(f["organization"]["__id__"], org.id);
        assert!(f.get("workflow_visible").is_none());
        for t in ["BOOL", "DECIMAL", "INT", "DATE"] {
            let f = app.ok(&org, "workflow_field/create", json!({"workflow": {"__id__": wf}, "field": {"name": t.to_lowercase(), "data_type": t, "__model__": "WorkflowField"}})).await;
            assert_eq!(f["field"]["data_type"], t);
        }
        let t = formula(&app, &org, wf, "Total", "int * decimal").await;
        let listed = fields(&app, &org, wf).await;
        assert_eq!(listed.len(), 6);
        let total = listed.iter().find(|f| id(f) == t).expect("Total");
        assert_eq!((total["formula"].as_str(), total["data_type"].as_str(), total["workflow_visible"].as_bool()), (Some("int * decimal"), Some("FORMULA"), Some(true)));
    }

    async fn a_new_field_shows_to_every_node(app) {
        let fx = fixture(&app, "ACME").await;
        let (org, wf) = (&fx.org, fx.wf);
        let f1 = field(&app, org, wf, "f1", "INT").await;
        let a = id(&node(&app, org, wf, json!({"note": "A", "as_doc_creator": true, "n_sign": 1, "required_fields": refs(&[f1])})).await);
        let b = id(&node(&app, org, wf, json!({"note": "B", "as_doc_creator": true, "n_sign": 1, "visible_fields": refs(&[f1])})).await);
        let f2 = field(&app, org, wf, "f2", "UTF8").await;
        let v = app.ok(org, "workflow_field/batch", json!({"workflow": {"__id__": wf}, "fields": [{"name": "f3", "data_type": "INT"}]})).await;
        let f3 = id(&v["fields"][0]);
        for n in [a, b] {
            let n = listed(&app, org, wf, n).await;
            assert_eq!(nums(&n["visible_fields_ids"]), [f1, f2, f3]);
        }
        let n = listed(&app, org, wf, a).await;
        assert_eq!((nums(&n["required_fields_ids"]), nums(&n["editable_fields_ids"])), (vec![f1], vec![f1]));
        // Nodes of other versions do not see it.
        let other = create(&app, org, "Other").await;
        let c = id(&node(&app, org, other, json!({"note": "C", "as_doc_creator": true, "n_sign": 1})).await);
        field(&app, org, wf, "f4", "INT").await;
        assert_eq!(listed(&app, org, other, c).await["visible_fields_ids"], json!([]));
    }

    async fn names_are_unique_per_version(app) {
        let org = app.org("ACME").await;
        let wf = create(&app, &org, "Leave").await;
        let other = create(&app, &org, "Trip").await;
        field(&app, &org, wf, "Amount", "INT").await;
        exact_err(&app, &org, "workflow_field/create", json!({"workflow": {"__id__": wf}, "field": {"name": "Amount", "data_type": "UTF8"}}), 409, "Duplicate Name.").await;
        exact_err(&app, &org, "workflow_field/create", json!({"workflow": {"__id__": wf}, "field": {"name": " Amount ", "data_type": "UTF8"}}), 409, "Duplicate Name.").await;
        exact_err(&app, &org, "workflow_field/batch", json!({"workflow": {"__id__": wf}, "fields": [{"name": "New", "data_type": "INT"}, {"name": "Amount", "data_type": "INT"}]}), 409, "Duplicate Name.").await;
        exact_err(&app, &org, "workflow_field/batch", json!({"workflow": {"__id__": wf}, "fields": [{"name": "New", "data_type": "INT"}, {"name": "New", "data_type": "UTF8"}]}), 409, "Duplicate Name.").await;
        assert_eq!(summary(&app, &org, wf).await, [s("Amount", "INT", true)]);
        // Another version (even a clone of this one) has its own names.
        field(&app, &org, other, "Amount", "UTF8").await;
        let copy = id(&app.ok(&org, "workflow/clone", json!({"from_workflow": {"__id__": wf}})).await["workflow"]);
        assert_eq!(summary(&app, &org, copy).await, [s("Amount", "INT", true)]);
    }

    async fn batch_creates_fields_in_order_or_none(app) {
        let org = app.org("ACME").await;
        let wf = create(&app, &org, "Leave").await;
        let v = app.ok(&org, "workflow_field/batch", json!({"workflow": {"__id__": wf}, "fields": [
            {"name": "Gender", "data_type": "UTF8"},
            {"name": "Total", "data_type": "FORMULA", "formula": "Age * 2"},
            {"name": "Age", "data_type": "INT"},
        ]})).await;
        let out = v["fields"].as_array().expect("fields");
        let names: Vec<&str> = out.iter().map(|f| f["name"].as_str().expect("name")).collect();
        assert_eq!(names, ["Gender", "Total", "Age"]);
        for f in out {
            assert_eq!((f["is_complete"].as_bool(), f["is_active"].as_bool(), f["__model__"].as_str()), (Some(false), Some(true), Some("WorkflowField")));
            assert_eq!(f["organization"]["__id__"], org.id);
        }
        assert_eq!(summary(&app, &org, wf).await, [s("Gender", "UTF8", true), s("Total", "FORMULA", true), s("Age", "INT", true)]);
        // One bad entry refuses the batch, naming it.
        exact_err(&app, &org, "workflow_field/batch", json!({"workflow": {"__id__": wf}, "fields": [{"name": "A", "data_type": "INT"}, {"name": "B"}]}), 400, "fields[1].data_type is required.").await;
        exact_err(&app, &org, "workflow_field/batch", json!({"workflow": {"__id__": wf}, "fields": [{"name": "A", "data_type": "INT"}, {"name": "B", "data_type": "TEXT"}]}), 400,
                  "fields[1]: data_type \"TEXT\" is not one of UTF8, BOOL, DECIMAL, INT, FORMULA, DATE.").await;
        let msg = app.err(&org, "workflow_field/batch", json!({"workflow": {"__id__": wf}, "fields": [{"name": "A", "data_type": "INT"}, {"name": "B", "data_type": "FORMULA", "formula": "Nope + 1"}]}), 400).await;
        assert!(msg.contains("Nope"), "{msg}");
        app.err(&org, "workflow_field/batch", json!({"workflow": {"__id__": wf}, "fields": {"name": "A", "data_type": "INT"}}), 400).await;
        app.err(&org, "workflow_field/batch", json!({"workflow": {"__id__": wf}}), 400).await;
        assert_eq!(summary(&app, &org, wf).await.len(), 3);
        let v = app.ok(&org, "workflow_field/batch", json!({"workflow": {"__id__": wf}, "fields": []})).await;
        assert_eq!(v["fields"], json!([]));
    }

    async fn fields_are_checked_on_create(app) {
        let org = app.org("ACME").await;
        let wf = create(&app, &org, "Leave").await;
        let amount = field(&app, &org, wf, "Amount", "INT").await;
        let bad = |field: Value| json!({"workflow": {"__id__": wf}, "field": field});
        exact_err(&app, &org, "workflow_field/create", bad(json!({"name": "X", "data_type": "TEXT"})), 400,
                  "field: data_type \"TEXT\" is not one of UTF8, BOOL, DECIMAL, INT, FORMULA, DATE.").await;
        exact_err(&app, &org, "workflow_field/create", bad(json!({"data_type": "INT"})), 400, "field.name is required.").await;
        exact_err(&app, &org, "workflow_field/create", bad(json!({"name": "X"})), 400, "field.data_type is required.").await;
        exact_err(&app, &org, "workflow_field/create", bad(json!({"name": "X", "data_type": "FORMULA"})), 400, "field: A FORMULA field needs a formula.").await;
        exact_err(&app, &org, "workflow_field/create", bad(json!({"name": "X", "data_type": "INT", "formula": "1 + 1"})), 400,
                  "field: formula can only be given for a FORMULA field.").await;
        exact_err(&app, &org, "workflow_field/create", bad(json!({"name": "X", "data_type": "FORMULA", "formula": "Nope * 2"})), 400,
                  "The formula \"Nope * 2\" names Nope, which is not an active field of this workflow (use the field's name or field_<id>).").await;
        exact_err(&app, &org, "workflow_field/create", bad(json!({"name": "X", "data_type": "FORMULA", "formula": "X * 2"})), 400,
                  "The formula of field X refers to itself.").await;
        let msg = app.err(&org, "workflow_field/create", bad(json!({"name": "X", "data_type": "FORMULA", "formula": "(Amount * 2"})), 400).await;
        assert!(msg.starts_with("The formula \"(Amount * 2\" is not valid"), "{msg}");
        for body in [bad(json!({"name": 5, "data_type": "INT"})), bad(json!({"name": "X", "data_type": 1})), bad(json!({"name": "", "data_type": "INT"})),
                     bad(json!({"name": "X", "data_type": "INT", "__model__": "ProcessFlowNode"})), bad(json!("X")), json!({"field": {"name": "X", "data_type": "INT"}})] {
            app.err(&org, "workflow_field/create", body, 400).await;
        }
        // A formula by id, and a blank formula on other types is none.
        let total = formula(&app, &org, wf, "Total", &format!("field_{amount} * 2")).await;
        let v = app.ok(&org, "workflow_field/create", json!({"workflow": {"__id__": wf}, "field": {"name": "Note", "data_type": "UTF8", "formula": ""}})).await;
        assert_eq!(v["field"]["formula"], Value::Null);
        assert_eq!(summary(&app, &org, wf).await, [s("Amount", "INT", true), s("Total", "FORMULA", true), s("Note", "UTF8", true)]);
        assert!(total > amount);
    }

    async fn list_activate_and_inactivate(app) {
        let org = app.org("ACME").await;
        let wf = create(&app, &org, "Leave").await;
        let a = field(&app, &org, wf, "A", "INT").await;
        let b = field(&app, &org, wf, "B", "UTF8").await;
        let c = field(&app, &org, wf, "C", "BOOL").await;
        let v = app.ok(&org, "workflow_field/inactivate", json!({"workflow": {"__id__": wf}, "fields": refs(&[a, c])})).await;
        assert_eq!(v, json!({"RESPONSE": "OK"}));
        let list = fields(&app, &org, wf).await;
        let visible: Vec<(i64, bool, bool)> = list.iter().map(|f| (id(f), f["is_active"].as_bool().expect("a"), f["workflow_visible"].as_bool().expect("v"))).collect();
        assert_eq!(visible, [(a, false, false), (b, true, true), (c, false, false)]);
        app.ok(&org, "workflow_field/activate", json!({"workflow": {"__id__": wf}, "fields": [{"__id__": c, "__model__": "WorkflowField"}]})).await;
        assert_eq!(summary(&app, &org, wf).await, [s("A", "INT", false), s("B", "UTF8", true), s("C", "BOOL", true)]);
        // Fields of another version, unknown or foreign ones; nothing changes.
        let other = create(&app, &org, "Other").await;
        let x = field(&app, &org, other, "X", "INT").await;
        exact_err(&app, &org, "workflow_field/activate", json!({"workflow": {"__id__": wf}, "fields": refs(&[a, x])}), 400,
                  &format!("Field {x} is not a field of workflow {wf}.")).await;
        exact_err(&app, &org, "workflow_field/activate", json!({"workflow": {"__id__": wf}, "fields": refs(&[a, 999_999])}), 404, "Field 999999 does not exist.").await;
        let beta = app.org("BETA").await;
        let theirs_wf = create(&app, &beta, "Theirs").await;
        let theirs = field(&app, &beta, theirs_wf, "T", "INT").await;
        exact_err(&app, &org, "workflow_field/inactivate", json!({"workflow": {"__id__": wf}, "fields": refs(&[theirs])}), 404, &format!("Field {theirs} does not exist.")).await;
        exact_err(&app, &org, "workflow_field/inactivate", json!({"workflow": {"__id__": theirs_wf}, "fields": refs(&[theirs])}), 404, &format!("Workflow {theirs_wf} does not exist.")).await;
        for body in [json!({"workflow": {"__id__": wf}}), json!({"workflow": {"__id__": wf}, "fields": a}), json!({"workflow": {"__id__": wf}, "fields": [a]}),
                     json!({"fields": refs(&[a])}), json!({"workflow": {"__id__": wf}, "fields": [{"__id__": a, "__model__": "UserRank"}]})] {
            app.err(&org, "workflow_field/activate", body, 400).await;
        }
        assert_eq!(summary(&app, &org, wf).await, [s("A", "INT", false), s("B", "UTF8", true), s("C", "BOOL", true)]);
        assert_eq!(summary(&app, &beta, theirs_wf).await, [s("T", "INT", true)]);
    }

    async fn update_renames_and_changes_formulas(app) {
        let org = app.org("ACME").await;
        let wf = create(&app, &org, "Leave").await;
        let a = field(&app, &org, wf, "A", "INT").await;
        let b = field(&app, &org, wf, "B", "INT").await;
        let t = formula(&app, &org, wf, "T", "A + B").await;
        let v = app.ok(&org, "workflow_field/update", json!({"workflow": {"__id__": wf}, "field": {"__id__": t, "name": "UPDATED_FIELDNAME", "formula": "A * B"}})).await;
        let f = &v["field"];
        assert_eq!((id(f), f["name"].as_str(), f["formula"].as_str(), f["data_type"].as_str()), (t, Some("UPDATED_FIELDNAME"), Some("A * B"), Some("FORMULA")));
        assert_eq!(f["__model__"], "WorkflowField");
        assert_eq!(f["organization_id"], org.id);
        // The same type again is accepted; sending back a whole field changes nothing.
        let whole = f.clone();
        let v = app.ok(&org, "workflow_field/update", json!({"workflow": {"__id__": wf}, "field": whole})).await;
        assert_eq!(v["field"], whole);
        let cases = [
            (json!({"__id__": a, "data_type": "UTF8"}), 400, "data_type cannot be changed (the field is INT).".to_string()),
            (json!({"__id__": a, "formula": "B + 1"}), 400, "formula can only be given for a FORMULA field.".to_string()),
            (json!({"__id__": t, "formula": ""}), 400, "A FORMULA field needs a formula.".to_string()),
            (json!({"__id__": t, "formula": "UPDATED_FIELDNAME + 1"}), 400, "The formula of field UPDATED_FIELDNAME refers to itself.".to_string()),
            (json!({"__id__": t, "formula": "C + 1"}), 400, "The formula \"C + 1\" names C, which is not an active field of this workflow (use the field's name or field_<id>).".to_string()),
            (json!({"__id__": a, "name": "B"}), 409, "Duplicate Name.".to_string()),
            (json!({"__id__": a, "name": ""}), 400, "name must not be empty.".to_string()),
            (json!({"name": "X"}), 400, "field.__id__ is required.".to_string()),
            (json!({"__id__": 999_999, "name": "X"}), 404, "Field 999999 does not exist.".to_string()),
        ];
        for (field, status, msg) in cases {
            exact_err(&app, &org, "workflow_field/update", json!({"workflow": {"__id__": wf}, "field": field}), status, &msg).await;
        }
        app.err(&org, "workflow_field/update", json!({"workflow": {"__id__": wf}, "field": {"__id__": a, "data_type": "TEXT"}}), 400).await;
        app.err(&org, "workflow_field/update", json!({"field": {"__id__": a, "name": "X"}}), 400).await;
        let other = create(&app, &org, "Other").await;
        exact_err(&app, &org, "workflow_field/update", json!({"workflow": {"__id__": other}, "field": {"__id__": a, "name": "X"}}), 400,
                  &format!("Field {a} is not a field of workflow {other}.")).await;
        // T names B, so B keeps its name until T names it by id.
        exact_err(&app, &org, "workflow_field/update", json!({"workflow": {"__id__": wf}, "field": {"__id__": b, "name": "C"}}), 409,
                  "This would break the formula of field UPDATED_FIELDNAME: The formula \"A * B\" names B, which is not an active field of this workflow (use the field's name or field_<id>).").await;
        app.ok(&org, "workflow_field/update", json!({"workflow": {"__id__": wf}, "field": {"__id__": t, "formula": format!("A * field_{b}")}})).await;
        let v = app.ok(&org, "workflow_field/update", json!({"workflow": {"__id__": wf}, "field": {"__id__": b, "name": "C"}})).await;
        assert_eq!(v["field"]["name"], "C");
        assert_eq!(v["field"]["formula"], Value::Null);
    }

    async fn fields_that_expressions_use_stay_usable(app) {
        let fx = fixture(&app, "ACME").await;
        let (org, wf) = (&fx.org, fx.wf);
        let amount = field(&app, org, wf, "Amount", "INT").await;
        let days = field(&app, org, wf, "Days", "INT").await;
        let total = formula(&app, org, wf, "Total", "Amount * 2").await;
        let n = id(&node(&app, org, wf, json!({"note": "Skip", "as_doc_creator": true, "n_sign": 1, "autocomplete_condition": format!("field_{days} > 3")})).await);
        exact_err(&app, org, "workflow_field/inactivate", json!({"workflow": {"__id__": wf}, "fields": refs(&[amount])}), 409,
                  "This would break the formula of field Total: The formula \"Amount * 2\" names Amount, which is not an active field of this workflow (use the field's name or field_<id>).").await;
        exact_err(&app, org, "workflow_field/update", json!({"workflow": {"__id__": wf}, "field": {"__id__": amount, "name": "Quantity"}}), 409,
                  "This would break the formula of field Total: The formula \"Amount * 2\" names Amount, which is not an active field of this workflow (use the field's name or field_<id>).").await;
        let msg = app.err(org, "workflow_field/inactivate", json!({"workflow": {"__id__": wf}, "fields": refs(&[days])}), 409).await;
        assert!(msg.starts_with(&format!("This would break the autocomplete_condition of node {n}: ")), "{msg}");
        assert_eq!(fields(&app, org, wf).await.iter().filter(|f| f["is_active"] == true).count(), 3);
        // Once the formula no longer needs it, it can go.
        app.ok(org, "workflow_field/inactivate", json!({"workflow": {"__id__": wf}, "fields": refs(&[total, amount])})).await;
        // Reactivating the formula alone would name an inactive field.
        app.err(org, "workflow_field/activate", json!({"workflow": {"__id__": wf}, "fields": refs(&[total])}), 409).await;
        app.ok(org, "workflow_field/activate", json!({"workflow": {"__id__": wf}, "fields": refs(&[total, amount])})).await;
        // A formula by id survives a rename.
        app.ok(org, "workflow_field/update", json!({"workflow": {"__id__": wf}, "field": {"__id__": days, "name": "Nights"}})).await;
    }

    async fn visible_nodes_choose_which_nodes_see_a_field(app) {
        let fx = fixture(&app, "ACME").await;
        let (org, wf) = (&fx.org, fx.wf);
        let amount = field(&app, org, wf, "Amount", "INT").await;
        let other_field = field(&app, org, wf, "Other", "INT").await;
        let a = id(&node(&app, org, wf, json!({"note": "A", "as_doc_creator": true, "n_sign": 1})).await);
        let b = id(&node(&app, org, wf, json!({"note": "B", "as_doc_creator": true, "n_sign": 1, "required_fields": refs(&[amount])})).await);
        let c = id(&node(&app, org, wf, json!({"note": "C", "as_doc_creator": true, "n_sign": 1, "visible_fields": refs(&[other_field])})).await);
        app.ok(org, "workflow_field/update", json!({"workflow": {"__id__": wf}, "field": {"__id__": amount, "visible_nodes": [{"__id__": a}, {"__id__": c, "__model__": "ProcessFlowNode"}]}})).await;
        let access = |n: Value| (nums(&n["visible_fields_ids"]), nums(&n["editable_fields_ids"]), nums(&n["required_fields_ids"]));
        assert_eq!(access(listed(&app, org, wf, a).await), (vec![amount, other_field], vec![], vec![]));
        assert_eq!(access(listed(&app, org, wf, b).await), (vec![other_field], vec![], vec![]));
        assert_eq!(access(listed(&app, org, wf, c).await), (vec![amount, other_field], vec![], vec![]));
        app.ok(org, "workflow_field/update", json!({"workflow": {"__id__": wf}, "field": {"__id__": amount, "visible_nodes": []}})).await;
        for n in [a, b, c] {
            assert!(!nums(&listed(&app, org, wf, n).await["visible_fields_ids"]).contains(&amount));
        }
        let other = create(&app, org, "Other").await;
        let elsewhere = id(&node(&app, org, other, json!({"note": "E", "as_doc_creator": true, "n_sign": 1})).await);
        exact_err(&app, org, "workflow_field/update", json!({"workflow": {"__id__": wf}, "field": {"__id__": amount, "visible_nodes": refs(&[a, elsewhere])}}), 400,
                  &format!("visible_nodes: node {elsewhere} is not a node of workflow {wf}.")).await;
        exact_err(&app, org, "workflow_field/update", json!({"workflow": {"__id__": wf}, "field": {"__id__": amount, "visible_nodes": refs(&[999_999])}}), 404, "Node 999999 does not exist.").await;
        app.err(org, "workflow_field/update", json!({"workflow": {"__id__": wf}, "field": {"__id__": amount, "visible_nodes": a}}), 400).await;
        assert!(!nums(&listed(&app, org, wf, a).await["visible_fields_ids"]).contains(&amount));
    }

    async fn another_organizations_ids_are_not_found(app) {
        let org = app.org("ACME").await;
        let beta = app.org("BETA").await;
        let theirs = create(&app, &beta, "Theirs").await;
        let f = field(&app, &beta, theirs, "F", "INT").await;
        let mine = create(&app, &org, "Mine").await;
        exact_err(&app, &org, "workflow_field/create", json!({"workflow": {"__id__": theirs}, "field": {"name": "X", "data_type": "INT"}}), 404, &format!("Workflow {theirs} does not exist.")).await;
        exact_err(&app, &org, "workflow_field/batch", json!({"workflow": {"__id__": theirs}, "fields": [{"name": "X", "data_type": "INT"}]}), 404, &format!("Workflow {theirs} does not exist.")).await;
        exact_err(&app, &org, "workflow_field/update", json!({"workflow": {"__id__": mine}, "field": {"__id__": f, "name": "X"}}), 404, &format!("Field {f} does not exist.")).await;
        assert_eq!(summary(&app, &beta, theirs).await, [s("F", "INT", true)]);
    }
}
