//! OmniBPM `department/*`.

use crate::both;
use crate::helpers::{bad_request, exact_err, Org, TestApp, MASTER_KEY};
use serde_json::{json, Value};

/// Every department of `org`, as `department/list` shows them.
async fn departments(app: &TestApp, org: &Org) -> Vec<Value> {
    let v = app.ok(org, "department/list", json!({})).await;
    v["departments"].as_array().expect("departments").clone()
}

/// The listed department named `name`.
async fn department(app: &TestApp, org: &Org, name: &str) -> Value {
    departments(app, org)
        .await
        .into_iter()
        .find(|d| d["name"] == name)
        .unwrap_or_else(|| panic!("no department {name}"))
}

/// Creates a department from `body` (the `department` member), returning it.
async fn create(app: &TestApp, org: &Org, body: Value) -> Value {
    app.ok(org, "department/create", json!({ "department": body }))
        .await["department"]
        .clone()
}

fn id(v: &Value) -> i64 {
    v["__id__"].as_i64().expect("__id__")
}

both! {
    async fn list_shows_every_department_with_its_organization_and_one_level_parent(app) {
        let org = app.org("ACME").await;
        let depts = departments(&app, &org).await;
        assert_eq!(depts.len(), 6);
        let ceo = &depts[0];
        assert_eq!(ceo["__model__"], "Department");
        assert!(ceo["__id__"].is_i64(), "{ceo}");
        assert_eq!(ceo["name"], "CEO's Office");
        assert_eq!(ceo["is_active"], true);
        assert_eq!(ceo["parent_department"], json!(null));
        assert_eq!(ceo["department_head"], json!(null));
        assert_eq!(ceo["organization"]["__id__"], org.id);
        assert_eq!(ceo["organization"]["__model__"], "Organization");
        assert_eq!(ceo["organization"]["name"], "ACME Inc.");
        assert_eq!(ceo["organization"]["abbr"], "ACME");
        for d in &depts[1..] {
            assert_eq!(d["__model__"], "Department");
            assert_eq!(d["organization"]["__id__"], org.id);
            let p = &d["parent_department"];
            assert_eq!(p["__id__"], ceo["__id__"], "{d}");
            assert_eq!(p["__model__"], "Department");
            assert_eq!(p["name"], "CEO's Office");
            assert_eq!(p["is_active"], true);
            assert_eq!(p["organization_id"], org.id);
            assert_eq!(p["organization_name"], "ACME Inc.");
            assert_eq!(p["department_head"], json!(null));
            assert_eq!(p["parent_department_id"], json!(null));
            assert!(!p["parent_department"].is_object(), "only one level: {p}");
        }
        // Every id is distinct.
        let mut ids: Vec<i64> = depts.iter().map(id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 6);
    }

    async fn create_under_a_parent_answers_the_parent_with_its_own_parent_id_and_name(app) {
        let org = app.org("ACME").await;
        let alice = app.user(&org, "alice").await;
        let ceo = app.id_of(&org, "department", "CEO's Office").await;
        let mis = app.id_of(&org, "department", "MIS Department").await;
        app.ok(&org, "department/update", json!({"department": {"__id__": mis, "department_head": {"__id__": alice}}})).await;
        let d = create(&app, &org, json!({
            "organization_id": org.id,
            "name": "打雜部",
            "parent_department": {"__id__": mis},
            "department_head": {"__id__": alice}
        })).await;
        assert_eq!(d["__model__"], "Department");
        assert_eq!(d["name"], "打雜部");
        assert_eq!(d["is_active"], true);
        assert_eq!(d["organization"]["__id__"], org.id);
        let head = &d["department_head"];
        assert_eq!(head["__id__"], alice);
        assert_eq!(head["__model__"], "UserProfile");
        assert_eq!(head["username"], "alice@ACME");
        assert_eq!(head["display_name"], "alice");
        let p = &d["parent_department"];
        assert_eq!(p["__id__"], mis);
        assert_eq!(p["__model__"], "Department");
        assert_eq!(p["name"], "MIS Department");
        assert_eq!(p["parent_department_id"], ceo);
        assert_eq!(p["parent_department_name"], "CEO's Office");
        assert_eq!(p["organization_id"], org.id);
        assert_eq!(p["department_head"]["__id__"], alice);
        assert_eq!(p["department_head"]["__model__"], "UserProfile");
        assert!(!p["parent_department"].is_object(), "only one level: {p}");
        // The new department is listed, last, the same way.
        let listed = departments(&app, &org).await;
        assert_eq!(listed.len(), 7);
        assert_eq!(listed[6], d);
    }

    async fn create_without_a_parent_or_with_a_null_parent_makes_a_top_department(app) {
        let org = app.org("ACME").await;
        let a = create(&app, &org, json!({"name": "Board"})).await;
        assert_eq!(a["parent_department"], json!(null));
        assert_eq!(a["department_head"], json!(null));
        let b = create(&app, &org, json!({"__model__": "Department", "name": "Audit", "parent_department": null, "department_head": null})).await;
        assert_eq!(b["parent_department"], json!(null));
        assert_ne!(id(&a), id(&b));
    }

    async fn create_requires_a_name_that_is_not_blank(app) {
        let org = app.org("ACME").await;
        let before = departments(&app, &org).await;
        for body in [json!({}), json!({"name": null}), json!({"name": ""}), json!({"name": "   "}), json!({"name": "a\u{0007}b"})] {
            bad_request(&app, &org, "department/create", json!({"department": body})).await;
        }
        bad_request(&app, &org, "department/create", json!({})).await;
        assert_eq!(departments(&app, &org).await, before);
        // Surrounding blanks are trimmed.
        let d = create(&app, &org, json!({"name": "  Legal  "})).await;
        assert_eq!(d["name"], "Legal");
    }

    async fn names_up_to_200_characters_are_accepted_and_longer_ones_refused(app) {
        let org = app.org("ACME").await;
        let long = "部".repeat(200);
        let d = create(&app, &org, json!({"name": long})).await;
        assert_eq!(d["name"], long.as_str());
        let before = departments(&app, &org).await;
        let msg = bad_request(&app, &org, "department/create", json!({"department": {"name": "x".repeat(201)}})).await;
        assert!(msg.contains("200"), "{msg}");
        bad_request(&app, &org, "department/update", json!({"department": {"__id__": id(&d), "name": "部".repeat(201)}})).await;
        assert_eq!(departments(&app, &org).await, before);
    }

    async fn duplicate_sibling_name_gives_duplicate_name(app) {
        let org = app.org("ACME").await;
        let ceo = app.id_of(&org, "department", "CEO's Office").await;
        let before = departments(&app, &org).await;
        let dup = json!({"RESPONSE": "ERR", "RMSG": "Duplicate Name."});
        for body in [
            json!({"name": "MIS Department", "parent_department": {"__id__": ceo}}),
            json!({"name": "  MIS Department ", "parent_department": {"__id__": ceo}}),
            json!({"name": "CEO's Office"}),
            json!({"name": "CEO's Office", "parent_department": null}),
        ] {
            let (s, v) = app.omni("department/create", json!({"api_key": org.key, "department": body})).await;
            assert_eq!((s, v), (409, dup.clone()), "{body}");
        }
        assert_eq!(departments(&app, &org).await, before);
    }

    async fn the_same_name_under_different_parents_is_allowed(app) {
        let org = app.org("ACME").await;
        let mis = app.id_of(&org, "department", "MIS Department").await;
        let hr = app.id_of(&org, "department", "HR Department").await;
        let a = create(&app, &org, json!({"name": "Support", "parent_department": {"__id__": mis}})).await;
        let b = create(&app, &org, json!({"name": "Support", "parent_department": {"__id__": hr}})).await;
        // A department may even carry its parent's name.
        create(&app, &org, json!({"name": "MIS Department", "parent_department": {"__id__": mis}})).await;
        assert_ne!(id(&a), id(&b));
        assert_eq!(departments(&app, &org).await.len(), 9);
    }

    async fn rename_to_a_sibling_name_gives_duplicate_name_and_changes_nothing(app) {
        let org = app.org("ACME").await;
        let hr = app.id_of(&org, "department", "HR Department").await;
        let before = departments(&app, &org).await;
        exact_err(&app, &org, "department/update", json!({"department": {"__id__": hr, "name": "MIS Department"}}), 409, "Duplicate Name.").await;
        assert_eq!(departments(&app, &org).await, before);
        // Keeping its own name is not a duplicate.
        let v = app.ok(&org, "department/update", json!({"department": {"__id__": hr, "name": "HR Department"}})).await;
        assert_eq!(v["department"]["name"], "HR Department");
    }

    async fn moving_next_to_a_department_of_the_same_name_gives_duplicate_name(app) {
        let org = app.org("ACME").await;
        let ceo = app.id_of(&org, "department", "CEO's Office").await;
        let mis = app.id_of(&org, "department", "MIS Department").await;
        let sub = create(&app, &org, json!({"name": "Sales Department", "parent_department": {"__id__": mis}})).await;
        let top = create(&app, &org, json!({"name": "MIS Department"})).await;
        let before = departments(&app, &org).await;
        exact_err(&app, &org, "department/update", json!({"department": {"__id__": id(&sub), "parent_department": {"__id__": ceo}}}), 409, "Duplicate Name.").await;
        exact_err(&app, &org, "department/update", json!({"department": {"__id__": mis, "parent_department": null}}), 409, "Duplicate Name.").await;
        // Moving and renaming at once is judged by the new name under the new parent.
        exact_err(&app, &org, "department/update", json!({"department": {"__id__": id(&top), "name": "HR Department", "parent_department": {"__id__": ceo}}}), 409, "Duplicate Name.").await;
        assert_eq!(departments(&app, &org).await, before);
        let v = app.ok(&org, "department/update", json!({"department": {"__id__": id(&top), "name": "IT", "parent_department": {"__id__": ceo}}})).await;
        assert_eq!(v["department"]["parent_department"]["__id__"], ceo);
        assert_eq!(v["department"]["name"], "IT");
    }

    async fn update_changes_name_and_head_and_answers_the_whole_department(app) {
        let org = app.org("ACME").await;
        let alice = app.user(&org, "alice").await;
        let bob = app.user(&org, "bob").await;
        let ceo = app.id_of(&org, "department", "CEO's Office").await;
        let mis = app.id_of(&org, "department", "MIS Department").await;
        let d = create(&app, &org, json!({"name": "打雜部", "parent_department": {"__id__": mis}})).await;
        let v = app.ok(&org, "department/update", json!({"department": {"__id__": id(&d), "name": "新雜事部", "department_head": {"__id__": alice}}})).await;
        let u = &v["department"];
        assert_eq!(u["__id__"], id(&d));
        assert_eq!(u["__model__"], "Department");
        assert_eq!(u["name"], "新雜事部");
        assert_eq!(u["is_active"], true);
        assert_eq!(u["organization"]["__id__"], org.id);
        assert_eq!(u["organization_id"], org.id);
        assert_eq!(u["organization_name"], "ACME Inc.");
        assert_eq!(u["parent_department_id"], mis);
        assert_eq!(u["parent_department_name"], "MIS Department");
        assert_eq!(u["parent_department"]["__id__"], mis);
        assert_eq!(u["parent_department"]["parent_department_id"], ceo);
        assert_eq!(u["department_head"]["__id__"], alice);
        assert_eq!(u["department_head"]["username"], "alice@ACME");
        assert_eq!(department(&app, &org, "新雜事部").await, *u);
        // A field left out stays as it is.
        let v = app.ok(&org, "department/update", json!({"department": {"__id__": id(&d), "department_head": {"__id__": bob, "__model__": "UserProfile"}}})).await;
        assert_eq!(v["department"]["name"], "新雜事部");
        assert_eq!(v["department"]["department_head"]["__id__"], bob);
        assert_eq!(v["department"]["parent_department"]["__id__"], mis);
        let v = app.ok(&org, "department/update", json!({"department": {"__id__": id(&d), "name": "Odd Jobs"}})).await;
        assert_eq!(v["department"]["department_head"]["__id__"], bob);
        // A null head clears it.
        let v = app.ok(&org, "department/update", json!({"department": {"__id__": id(&d), "department_head": null}})).await;
        assert_eq!(v["department"]["department_head"], json!(null));
        assert_eq!(department(&app, &org, "Odd Jobs").await["department_head"], json!(null));
    }

    async fn the_head_of_a_parent_shows_in_the_nested_parent(app) {
        let org = app.org("ACME").await;
        let alice = app.user(&org, "alice").await;
        let ceo = app.id_of(&org, "department", "CEO's Office").await;
        app.ok(&org, "department/update", json!({"department": {"__id__": ceo, "department_head": {"__id__": alice}}})).await;
        let mis = department(&app, &org, "MIS Department").await;
        assert_eq!(mis["department_head"], json!(null));
        assert_eq!(mis["parent_department"]["department_head"]["__id__"], alice);
        assert_eq!(mis["parent_department"]["department_head"]["username"], "alice@ACME");
        assert_eq!(department(&app, &org, "CEO's Office").await["department_head"]["display_name"], "alice");
    }

    async fn the_head_must_be_a_user_of_the_same_organization(app) {
        let org = app.org("ACME").await;
        let beta = app.org("BETA").await;
        let stranger = app.user(&beta, "carol").await;
        let mis = app.id_of(&org, "department", "MIS Department").await;
        let before = departments(&app, &org).await;
        app.err(&org, "department/create", json!({"department": {"name": "X", "department_head": {"__id__": stranger}}}), 404).await;
        app.err(&org, "department/create", json!({"department": {"name": "X", "department_head": {"__id__": 987654321}}}), 404).await;
        app.err(&org, "department/update", json!({"department": {"__id__": mis, "department_head": {"__id__": stranger}}}), 404).await;
        app.err(&org, "department/update", json!({"department": {"__id__": mis, "name": "Renamed", "department_head": {"__id__": stranger}}}), 404).await;
        assert_eq!(departments(&app, &org).await, before);
        // And BETA's own department may have its own user as head.
        let beta_mis = app.id_of(&beta, "department", "MIS Department").await;
        app.ok(&beta, "department/update", json!({"department": {"__id__": beta_mis, "department_head": {"__id__": stranger}}})).await;
    }

    async fn update_moves_a_department_under_another_parent_or_to_the_top(app) {
        let org = app.org("ACME").await;
        let mis = app.id_of(&org, "department", "MIS Department").await;
        let hr = app.id_of(&org, "department", "HR Department").await;
        let v = app.ok(&org, "department/update", json!({"department": {"__id__": hr, "parent_department": {"__id__": mis, "__model__": "Department"}}})).await;
        assert_eq!(v["department"]["parent_department"]["__id__"], mis);
        assert_eq!(v["department"]["parent_department"]["name"], "MIS Department");
        assert_eq!(v["department"]["parent_department"]["parent_department_name"], "CEO's Office");
        assert_eq!(department(&app, &org, "HR Department").await["parent_department"]["__id__"], mis);
        let v = app.ok(&org, "department/update", json!({"department": {"__id__": hr, "parent_department": null}})).await;
        assert_eq!(v["department"]["parent_department"], json!(null));
        assert_eq!(department(&app, &org, "HR Department").await["parent_department"], json!(null));
    }

    async fn moving_a_department_under_itself_or_its_descendant_is_refused(app) {
        let org = app.org("ACME").await;
        let ceo = app.id_of(&org, "department", "CEO's Office").await;
        let mis = app.id_of(&org, "department", "MIS Department").await;
        let a = create(&app, &org, json!({"name": "A", "parent_department": {"__id__": mis}})).await;
        let b = create(&app, &org, json!({"name": "B", "parent_department": {"__id__": id(&a)}})).await;
        let before = departments(&app, &org).await;
        for (moved, under) in [(ceo, ceo), (ceo, mis), (ceo, id(&b)), (mis, id(&a)), (mis, id(&b)), (id(&a), id(&b)), (id(&b), id(&b))] {
            let (s, v) = app.omni("department/update", json!({"api_key": org.key, "department": {"__id__": moved, "parent_department": {"__id__": under}}})).await;
            assert_eq!(s, 400, "{moved} under {under}: {v}");
            assert_eq!(v["RESPONSE"], "ERR");
            assert!(v["RMSG"].as_str().unwrap().contains("under itself"), "{v}");
        }
        // Also when renamed at the same time: nothing at all changes.
        app.err(&org, "department/update", json!({"department": {"__id__": mis, "name": "Renamed", "parent_department": {"__id__": id(&b)}}}), 400).await;
        assert_eq!(departments(&app, &org).await, before);
        // Moving a descendant up is fine.
        let v = app.ok(&org, "department/update", json!({"department": {"__id__": id(&b), "parent_department": {"__id__": ceo}}})).await;
        assert_eq!(v["department"]["parent_department"]["__id__"], ceo);
        // Now that B is no longer below A, A may go under B.
        app.ok(&org, "department/update", json!({"department": {"__id__": id(&a), "parent_department": {"__id__": id(&b)}}})).await;
    }

    async fn concurrent_moves_never_make_a_cycle(app) {
        let org = app.org("ACME").await;
        for round in 0..40 {
            let a = id(&create(&app, &org, json!({"name": format!("A{round}")})).await);
            let b = id(&create(&app, &org, json!({"name": format!("B{round}")})).await);
            let body = |moved: i64, under: i64| json!({"api_key": org.key, "department": {"__id__": moved, "parent_department": {"__id__": under}}});
            let ((s1, v1), (s2, v2)) = tokio::join!(
                app.omni("department/update", body(a, b)),
                app.omni("department/update", body(b, a)),
            );
            assert!(matches!((s1, s2), (200, 400) | (400, 200)), "round {round}: {s1} {v1} / {s2} {v2}");
            let depts = departments(&app, &org).await;
            let parent = |x: i64| depts.iter().find(|d| id(d) == x).unwrap()["parent_department"]["__id__"].as_i64();
            assert!(parent(a).is_none() || parent(b).is_none(), "round {round}: cycle between {a} and {b}");
        }
    }

    async fn a_department_with_users_cannot_be_inactivated(app) {
        let org = app.org("ACME").await;
        let alice = app.user(&org, "alice").await;
        let mis = app.id_of(&org, "department", "MIS Department").await;
        let hr = app.id_of(&org, "department", "HR Department").await;
        let before = departments(&app, &org).await;
        let msg = app.err(&org, "department/inactivate", json!({"department": {"__id__": mis}}), 409).await;
        assert!(msg.contains("user"), "{msg}");
        // The same rule holds for update with is_active false.
        app.err(&org, "department/update", json!({"department": {"__id__": mis, "is_active": false}}), 409).await;
        app.err(&org, "department/update", json!({"department": {"__id__": mis, "name": "Renamed", "is_active": false}}), 409).await;
        assert_eq!(departments(&app, &org).await, before);
        // An inactive user still counts.
        app.ok(&org, "user/inactivate", json!({"user": {"__id__": alice}})).await;
        app.err(&org, "department/inactivate", json!({"department": {"__id__": mis}}), 409).await;
        assert_eq!(department(&app, &org, "MIS Department").await["is_active"], true);
        // Once the user has moved away, it can.
        app.ok(&org, "user/update", json!({"user": {"__id__": alice, "department": {"__id__": hr}}})).await;
        app.ok(&org, "department/inactivate", json!({"department": {"__id__": mis}})).await;
        assert_eq!(department(&app, &org, "MIS Department").await["is_active"], false);
    }

    async fn inactivate_and_activate_toggle_is_active_and_inactive_departments_stay_listed(app) {
        let org = app.org("ACME").await;
        let d = create(&app, &org, json!({"name": "打雜部"})).await;
        let v = app.ok(&org, "department/inactivate", json!({"department": {"__id__": id(&d)}})).await;
        assert_eq!(v, json!({"RESPONSE": "OK"}));
        let listed = department(&app, &org, "打雜部").await;
        assert_eq!(listed["is_active"], false);
        assert_eq!(departments(&app, &org).await.len(), 7);
        // Inactivating again is harmless.
        app.ok(&org, "department/inactivate", json!({"department": {"__id__": id(&d)}})).await;
        // Renaming does not activate it.
        let v = app.ok(&org, "department/update", json!({"department": {"__id__": id(&d), "name": "新雜事部"}})).await;
        assert_eq!(v["department"]["is_active"], false);
        let v = app.ok(&org, "department/activate", json!({"department": {"__id__": id(&d), "__model__": "Department"}})).await;
        assert_eq!(v, json!({"RESPONSE": "OK"}));
        assert_eq!(department(&app, &org, "新雜事部").await["is_active"], true);
        // update can toggle is_active too.
        let v = app.ok(&org, "department/update", json!({"department": {"__id__": id(&d), "is_active": false}})).await;
        assert_eq!(v["department"]["is_active"], false);
        let v = app.ok(&org, "department/update", json!({"department": {"__id__": id(&d), "is_active": true}})).await;
        assert_eq!(v["department"]["is_active"], true);
    }

    async fn an_inactive_department_cannot_receive_users(app) {
        let org = app.org("ACME").await;
        let alice = app.user(&org, "alice").await;
        let d = create(&app, &org, json!({"name": "Closed"})).await;
        app.ok(&org, "department/inactivate", json!({"department": {"__id__": id(&d)}})).await;
        let msg = app.err(&org, "user/update", json!({"user": {"__id__": alice, "department": {"__id__": id(&d)}}}), 409).await;
        assert!(msg.contains("inactive"), "{msg}");
        let users = app.ok(&org, "user/list", json!({})).await;
        assert_eq!(users["users"][0]["department"]["name"], "MIS Department", "{users}");
        // Inactivating the empty department again stays fine.
        app.ok(&org, "department/inactivate", json!({"department": {"__id__": id(&d)}})).await;
        assert_eq!(department(&app, &org, "Closed").await["is_active"], false);
    }

    async fn a_department_without_users_can_be_inactivated_even_with_sub_departments(app) {
        let org = app.org("ACME").await;
        app.user(&org, "alice").await;
        let ceo = app.id_of(&org, "department", "CEO's Office").await;
        app.ok(&org, "department/inactivate", json!({"department": {"__id__": ceo}})).await;
        let mis = department(&app, &org, "MIS Department").await;
        assert_eq!(mis["is_active"], true);
        assert_eq!(mis["parent_department"]["is_active"], false);
        assert_eq!(department(&app, &org, "CEO's Office").await["is_active"], false);
    }

    async fn a_department_with_sub_departments_cannot_be_deleted(app) {
        let org = app.org("ACME").await;
        let ceo = app.id_of(&org, "department", "CEO's Office").await;
        let before = departments(&app, &org).await;
        let msg = app.err(&org, "department/delete", json!({"department": {"__id__": ceo}}), 409).await;
        assert!(msg.contains("sub-department"), "{msg}");
        assert_eq!(departments(&app, &org).await, before);
        // Also a child that is inactive keeps its parent.
        let top = create(&app, &org, json!({"name": "Top"})).await;
        let child = create(&app, &org, json!({"name": "Child", "parent_department": {"__id__": id(&top)}})).await;
        app.ok(&org, "department/inactivate", json!({"department": {"__id__": id(&child)}})).await;
        app.err(&org, "department/delete", json!({"department": {"__id__": id(&top)}}), 409).await;
        assert_eq!(departments(&app, &org).await.len(), 8);
        // Children first, then the parent.
        app.ok(&org, "department/delete", json!({"department": {"__id__": id(&child)}})).await;
        app.ok(&org, "department/delete", json!({"department": {"__id__": id(&top)}})).await;
        assert_eq!(departments(&app, &org).await, before);
    }

    async fn a_department_with_users_cannot_be_deleted(app) {
        let org = app.org("ACME").await;
        let alice = app.user(&org, "alice").await;
        let mis = app.id_of(&org, "department", "MIS Department").await;
        let before = departments(&app, &org).await;
        let msg = app.err(&org, "department/delete", json!({"department": {"__id__": mis}}), 409).await;
        assert!(msg.contains("user"), "{msg}");
        app.ok(&org, "user/inactivate", json!({"user": {"__id__": alice}})).await;
        app.err(&org, "department/delete", json!({"department": {"__id__": mis}}), 409).await;
        assert_eq!(departments(&app, &org).await, before);
        app.ok(&org, "user/delete", json!({"user": {"__id__": alice}})).await;
        app.ok(&org, "department/delete", json!({"department": {"__id__": mis}})).await;
        assert!(departments(&app, &org).await.iter().all(|d| d["name"] != "MIS Department"));
    }

    async fn an_empty_department_is_deleted_and_gone(app) {
        let org = app.org("ACME").await;
        let alice = app.user(&org, "alice").await;
        let before = departments(&app, &org).await;
        // Its head belongs to another department: that does not hold it back.
        let d = create(&app, &org, json!({"name": "打雜部", "department_head": {"__id__": alice}})).await;
        let v = app.ok(&org, "department/delete", json!({"department": {"__id__": id(&d)}})).await;
        assert_eq!(v, json!({"RESPONSE": "OK"}));
        assert_eq!(departments(&app, &org).await, before);
        app.err(&org, "department/delete", json!({"department": {"__id__": id(&d)}}), 404).await;
        // An inactive empty department is deleted too; its name is free again.
        let d = create(&app, &org, json!({"name": "打雜部"})).await;
        app.ok(&org, "department/inactivate", json!({"department": {"__id__": id(&d)}})).await;
        app.ok(&org, "department/delete", json!({"department": {"__id__": id(&d)}})).await;
        assert_eq!(departments(&app, &org).await, before);
        // The former head can now be deleted: no department points at them.
        app.ok(&org, "user/delete", json!({"user": {"__id__": alice}})).await;
    }

    async fn unknown_ids_are_not_found(app) {
        let org = app.org("ACME").await;
        let mis = app.id_of(&org, "department", "MIS Department").await;
        let before = departments(&app, &org).await;
        for path in ["department/update", "department/activate", "department/inactivate", "department/delete"] {
            let msg = app.err(&org, path, json!({"department": {"__id__": 987654321, "name": "X"}}), 404).await;
            assert!(msg.contains("987654321"), "{msg}");
        }
        app.err(&org, "department/create", json!({"department": {"name": "X", "parent_department": {"__id__": 987654321}}}), 404).await;
        app.err(&org, "department/update", json!({"department": {"__id__": mis, "parent_department": {"__id__": 987654321}}}), 404).await;
        assert_eq!(departments(&app, &org).await, before);
    }

    async fn another_organizations_departments_are_not_found_and_stay_unchanged(app) {
        let org = app.org("ACME").await;
        let beta = app.org("BETA").await;
        let theirs = create(&app, &beta, json!({"name": "Empty"})).await;
        let their_mis = app.id_of(&beta, "department", "MIS Department").await;
        let ours = app.id_of(&org, "department", "MIS Department").await;
        let before_ours = departments(&app, &org).await;
        let before_theirs = departments(&app, &beta).await;
        for path in ["department/update", "department/activate", "department/inactivate", "department/delete"] {
            app.err(&org, path, json!({"department": {"__id__": id(&theirs), "name": "Hijacked"}}), 404).await;
        }
        app.err(&org, "department/update", json!({"department": {"__id__": their_mis, "parent_department": null}}), 404).await;
        // Nor can one be a parent in this organization, nor this one's in theirs.
        app.err(&org, "department/create", json!({"department": {"name": "X", "parent_department": {"__id__": their_mis}}}), 404).await;
        app.err(&org, "department/update", json!({"department": {"__id__": ours, "parent_department": {"__id__": their_mis}}}), 404).await;
        app.err(&beta, "department/update", json!({"department": {"__id__": id(&theirs), "parent_department": {"__id__": ours}}}), 404).await;
        // organization_id must be the caller's own.
        app.err(&org, "department/create", json!({"department": {"organization_id": beta.id, "name": "X"}}), 404).await;
        app.err(&org, "department/update", json!({"department": {"organization_id": beta.id, "__id__": ours, "name": "X"}}), 404).await;
        assert_eq!(departments(&app, &org).await, before_ours);
        assert_eq!(departments(&app, &beta).await, before_theirs);
        // Lists do not mix.
        assert!(departments(&app, &org).await.iter().all(|d| d["organization"]["__id__"] == org.id));
    }

    async fn a_wrong_model_is_refused(app) {
        let org = app.org("ACME").await;
        let alice = app.user(&org, "alice").await;
        let mis = app.id_of(&org, "department", "MIS Department").await;
        let rank = app.id_of(&org, "rank", "Manager").await;
        let before = departments(&app, &org).await;
        let msg = bad_request(&app, &org, "department/create", json!({"department": {"__model__": "UserRank", "name": "X"}})).await;
        assert!(msg.contains("__model__"), "{msg}");
        for path in ["department/update", "department/activate", "department/inactivate", "department/delete"] {
            let msg = bad_request(&app, &org, path, json!({"department": {"__model__": "UserProfile", "__id__": mis, "name": "X"}})).await;
            assert!(msg.contains("__model__"), "{path}: {msg}");
        }
        // References check theirs as well.
        bad_request(&app, &org, "department/create", json!({"department": {"name": "X", "parent_department": {"__id__": rank, "__model__": "UserRank"}}})).await;
        bad_request(&app, &org, "department/create", json!({"department": {"name": "X", "department_head": {"__id__": alice, "__model__": "Department"}}})).await;
        bad_request(&app, &org, "department/update", json!({"department": {"__id__": mis, "parent_department": {"__id__": rank, "__model__": "UserRank"}}})).await;
        bad_request(&app, &org, "department/update", json!({"department": {"__id__": mis, "name": "X", "department_head": {"__id__": alice, "__model__": "Department"}}})).await;
        assert_eq!(departments(&app, &org).await, before);
    }

    async fn wrong_types_give_400_in_the_omnibpm_error_form(app) {
        let org = app.org("ACME").await;
        let mis = app.id_of(&org, "department", "MIS Department").await;
        let before = departments(&app, &org).await;
        for path in ["department/update", "department/activate", "department/inactivate", "department/delete"] {
            let msg = bad_request(&app, &org, path, json!({"department": {"__id__": "abc"}})).await;
            assert!(msg.contains("department.__id__"), "{path}: {msg}");
            bad_request(&app, &org, path, json!({"department": {"__id__": 1.5}})).await;
            bad_request(&app, &org, path, json!({"department": "MIS Department"})).await;
            bad_request(&app, &org, path, json!({"department": [mis]})).await;
            // No id at all.
            let msg = bad_request(&app, &org, path, json!({"department": {"name": "X"}})).await;
            assert!(msg.contains("__id__"), "{path}: {msg}");
            let msg = bad_request(&app, &org, path, json!({})).await;
            assert!(msg.contains("department"), "{path}: {msg}");
        }
        for dept in [
            json!({"name": 5}),
            json!({"name": ["X"]}),
            json!({"name": "X", "parent_department": "MIS Department"}),
            json!({"name": "X", "parent_department": mis}),
            json!({"name": "X", "parent_department": {"__id__": "abc"}}),
            json!({"name": "X", "parent_department": {}}),
            json!({"name": "X", "department_head": {"__id__": "abc"}}),
            json!({"name": "X", "organization_id": "ACME"}),
            json!({"name": "X", "__client_extra__": "text"}),
        ] {
            bad_request(&app, &org, "department/create", json!({"department": dept})).await;
        }
        let msg = bad_request(&app, &org, "department/create", json!({"department": {"name": "X", "parent_department": {"__id__": "abc"}}})).await;
        assert!(msg.contains("parent_department"), "{msg}");
        bad_request(&app, &org, "department/update", json!({"department": {"__id__": mis, "is_active": "no"}})).await;
        bad_request(&app, &org, "department/update", json!({"department": {"__id__": mis, "name": 7}})).await;
        assert_eq!(departments(&app, &org).await, before);
    }

    async fn a_listed_department_sent_back_to_update_is_accepted(app) {
        let org = app.org("ACME").await;
        let alice = app.user(&org, "alice").await;
        let mis = app.id_of(&org, "department", "MIS Department").await;
        app.ok(&org, "department/update", json!({"department": {"__id__": mis, "department_head": {"__id__": alice}}})).await;
        let mut d = department(&app, &org, "MIS Department").await;
        d["name"] = json!("IT Department");
        let v = app.ok(&org, "department/update", json!({"department": d.clone()})).await;
        let u = &v["department"];
        assert_eq!(u["name"], "IT Department");
        assert_eq!(u["department_head"]["__id__"], alice);
        assert_eq!(u["parent_department"]["__id__"], d["parent_department"]["__id__"]);
        assert_eq!(u["is_active"], true);
    }

    async fn client_extra_is_kept_and_must_be_an_object(app) {
        let org = app.org("ACME").await;
        let d = create(&app, &org, json!({"name": "X", "__client_extra__": {"color": "red"}})).await;
        assert_eq!(d["__client_extra__"], json!({"color": "red"}));
        assert_eq!(department(&app, &org, "X").await["__client_extra__"], json!({"color": "red"}));
        let v = app.ok(&org, "department/update", json!({"department": {"__id__": id(&d), "name": "Y"}})).await;
        assert_eq!(v["department"]["__client_extra__"], json!({"color": "red"}));
        let v = app.ok(&org, "department/update", json!({"department": {"__id__": id(&d), "__client_extra__": {"color": "blue"}}})).await;
        assert_eq!(v["department"]["__client_extra__"], json!({"color": "blue"}));
        bad_request(&app, &org, "department/update", json!({"department": {"__id__": id(&d), "__client_extra__": [1, 2]}})).await;
        assert_eq!(department(&app, &org, "Y").await["__client_extra__"], json!({"color": "blue"}));
    }

    async fn department_endpoints_need_the_organization_key(app) {
        let org = app.org("ACME").await;
        let mis = app.id_of(&org, "department", "MIS Department").await;
        for path in ["department/list", "department/create", "department/update", "department/activate", "department/inactivate", "department/delete"] {
            let body = json!({"department": {"__id__": mis, "name": "X"}});
            let (s, v) = app.omni(path, body.clone()).await;
            assert_eq!((s, v["RESPONSE"].as_str()), (401, Some("ERR")), "{path}");
            let mut with_master = body.clone();
            with_master["api_key"] = json!(MASTER_KEY);
            let (s, _) = app.omni(path, with_master).await;
            assert_eq!(s, 401, "{path}");
            let mut with_bad = body.clone();
            with_bad["api_key"] = json!("not-a-key");
            let (s, _) = app.omni(path, with_bad).await;
            assert_eq!(s, 401, "{path}");
        }
        assert_eq!(department(&app, &org, "MIS Department").await["is_active"], true);
        assert_eq!(departments(&app, &org).await.len(), 6);
    }

    async fn a_department_can_be_created_inactive(app) {
        let org = app.org("ACME").await;
        let v = app.ok(&org, "department/create", json!({"department": {"name": "Dormant", "is_active": false}})).await;
        assert_eq!(v["department"]["is_active"], false, "{v}");
        let v = app.ok(&org, "department/create", json!({"department": {"name": "Awake"}})).await;
        assert_eq!(v["department"]["is_active"], true, "{v}");
    }
}
