//! OmniBPM `group/*` and `group/user/*`.

use crate::both;
use crate::helpers::{bad_request, exact_err, Org, TestApp};
use serde_json::{json, Value};

fn id(v: &Value) -> i64 {
    v["__id__"]
        .as_i64()
        .unwrap_or_else(|| panic!("no __id__ in {v}"))
}

/// Every group of `org`, as `group/list` shows them.
async fn groups(app: &TestApp, org: &Org) -> Vec<Value> {
    let v = app.ok(org, "group/list", json!({})).await;
    v["groups"].as_array().expect("groups").clone()
}

/// The group names `group/list` shows, in order.
async fn group_names(app: &TestApp, org: &Org) -> Vec<String> {
    groups(app, org)
        .await
        .iter()
        .map(|g| g["name"].as_str().expect("name").to_string())
        .collect()
}

/// The listed group named `name`.
async fn group(app: &TestApp, org: &Org, name: &str) -> Value {
    groups(app, org)
        .await
        .into_iter()
        .find(|g| g["name"] == name)
        .unwrap_or_else(|| panic!("no group {name}"))
}

/// The id of the group named `name`.
async fn group_id(app: &TestApp, org: &Org, name: &str) -> i64 {
    id(&group(app, org, name).await)
}

/// Creates a group with members, returning its id.
async fn create(app: &TestApp, org: &Org, name: &str, users: &[i64]) -> i64 {
    let v = app
        .ok(
            org,
            "group/create",
            json!({"group": {"name": name}, "users": refs(users)}),
        )
        .await;
    id(&v["group"])
}

fn refs(users: &[i64]) -> Value {
    users.iter().map(|u| json!({"__id__": u})).collect()
}

fn ids(v: &Value) -> Vec<i64> {
    v["users"]
        .as_array()
        .expect("users")
        .iter()
        .map(id)
        .collect()
}

/// The ids of a group's members.
async fn members(app: &TestApp, org: &Org, group: i64) -> Vec<i64> {
    ids(&app
        .ok(org, "group/user/list", json!({"group": {"__id__": group}}))
        .await)
}

/// Creates a user with the given flags through `user/create`.
async fn user_with(app: &TestApp, org: &Org, login: &str, external: bool, active: bool) -> i64 {
    let dept = app.id_of(org, "department", "MIS Department").await;
    let rank = app.id_of(org, "rank", "Specialist").await;
    let v = app
        .ok(
            org,
            "user/create",
            json!({"user": {
                "username": format!("{login}@{}", org.abbr),
                "display_name": login,
                "email": format!("{login}@example.com"),
                "rank": {"__id__": rank},
                "department": {"__id__": dept},
                "is_external": external,
                "is_active": active
            }}),
        )
        .await;
    id(&v["user"])
}

both! {
    // ---------------------------------------------------------------- group/list

    async fn list_has_all_users_and_external_users_with_the_group_fields(app) {
        let org = app.org("ACME").await;
        let list = groups(&app, &org).await;
        assert_eq!(list.len(), 2);
        for (g, name) in list.iter().zip(["All Users", "External Users"]) {
            assert_eq!(g["name"], name);
            assert_eq!(g["__model__"], "GroupProfile");
            assert!(g["__id__"].is_i64(), "{g}");
            assert_eq!(g["is_active"], true);
            assert_eq!(g["organization_id"], org.id);
            assert_eq!(g["organization_name"], "ACME Inc.");
            assert_eq!(g["organization"]["__id__"], org.id);
            assert_eq!(g["organization"]["__model__"], "Organization");
            assert_eq!(g["organization"]["abbr"], "ACME");
        }
        assert_ne!(list[0]["__id__"], list[1]["__id__"]);
    }

    async fn list_shows_only_this_organizations_groups_in_creation_order(app) {
        let a = app.org("ACME").await;
        let b = app.org("BETA").await;
        create(&app, &a, "Zeta", &[]).await;
        create(&app, &b, "Theirs", &[]).await;
        create(&app, &a, "Alpha", &[]).await;
        assert_eq!(group_names(&app, &a).await, ["All Users", "External Users", "Zeta", "Alpha"]);
        assert_eq!(group_names(&app, &b).await, ["All Users", "External Users", "Theirs"]);
        let a_ids: Vec<i64> = groups(&app, &a).await.iter().map(id).collect();
        let b_ids: Vec<i64> = groups(&app, &b).await.iter().map(id).collect();
        assert!(a_ids.iter().all(|i| !b_ids.contains(i)));
    }

    // ---------------------------------------------------------------- system groups

    async fn all_users_holds_the_active_internal_users(app) {
        let org = app.org("ACME").await;
        let all = group_id(&app, &org, "All Users").await;
        assert_eq!(members(&app, &org, all).await, Vec::<i64>::new());
        let alice = user_with(&app, &org, "alice", false, true).await;
        let _ext = user_with(&app, &org, "ext", true, true).await;
        let _idle = user_with(&app, &org, "idle", false, false).await;
        let bob = user_with(&app, &org, "bob", false, true).await;
        let other = app.org("BETA").await;
        app.user(&other, "stranger").await;
        let v = app.ok(&org, "group/user/list", json!({"group": {"__id__": all}})).await;
        assert_eq!(ids(&v), [alice, bob]);
        let u = &v["users"][0];
        assert_eq!(u["__model__"], "UserProfile");
        assert_eq!(u["username"], "alice@ACME");
        assert_eq!(u["rank_name"], "Specialist");
        assert_eq!(u["department_name"], "MIS Department");
        assert_eq!(u["organization_id"], org.id);
    }

    async fn external_users_holds_the_active_external_users(app) {
        let org = app.org("ACME").await;
        let ext = group_id(&app, &org, "External Users").await;
        user_with(&app, &org, "alice", false, true).await;
        let e1 = user_with(&app, &org, "e1", true, true).await;
        user_with(&app, &org, "e2", true, false).await;
        let e3 = user_with(&app, &org, "e3", true, true).await;
        assert_eq!(members(&app, &org, ext).await, [e1, e3]);
    }

    async fn system_group_membership_follows_the_users(app) {
        let org = app.org("ACME").await;
        let all = group_id(&app, &org, "All Users").await;
        let ext = group_id(&app, &org, "External Users").await;
        let alice = app.user(&org, "alice").await;
        let e = user_with(&app, &org, "e", true, true).await;
        app.ok(&org, "user/inactivate", json!({"user": {"__id__": alice}})).await;
        app.ok(&org, "user/update", json!({"user": {"__id__": e, "is_active": false}})).await;
        assert_eq!(members(&app, &org, all).await, Vec::<i64>::new());
        assert_eq!(members(&app, &org, ext).await, Vec::<i64>::new());
        app.ok(&org, "user/activate", json!({"user": {"__id__": alice}})).await;
        app.ok(&org, "user/activate", json!({"user": {"__id__": e}})).await;
        assert_eq!(members(&app, &org, all).await, [alice]);
        assert_eq!(members(&app, &org, ext).await, [e]);
        app.ok(&org, "user/delete", json!({"user": {"__id__": alice}})).await;
        assert_eq!(members(&app, &org, all).await, Vec::<i64>::new());
    }

    async fn system_groups_cannot_be_edited(app) {
        let org = app.org("ACME").await;
        let alice = app.user(&org, "alice").await;
        let e = user_with(&app, &org, "e", true, true).await;
        let before = groups(&app, &org).await;
        for (name, member, outsider) in [("All Users", alice, e), ("External Users", e, alice)] {
            let g = group_id(&app, &org, name).await;
            let attempts = [
                ("group/user/add", json!({"group": {"__id__": g}, "users": [{"__id__": outsider}]})),
                ("group/user/remove", json!({"group": {"__id__": g}, "users": [{"__id__": member}]})),
                ("group/update", json!({"group": {"__id__": g, "name": "Renamed"}})),
                ("group/update", json!({"group": {"__id__": g, "is_active": false}})),
                ("group/inactivate", json!({"group": {"__id__": g}})),
                ("group/activate", json!({"group": {"__id__": g}})),
                ("group/delete", json!({"group": {"__id__": g}})),
            ];
            for (path, body) in attempts {
                let msg = app.err(&org, path, body, 403).await;
                assert!(msg.contains(name), "{path}: {msg}");
            }
            assert_eq!(members(&app, &org, g).await, [member]);
        }
        assert_eq!(groups(&app, &org).await, before);
    }

    async fn system_group_names_are_taken(app) {
        let org = app.org("ACME").await;
        for name in ["All Users", "External Users"] {
            exact_err(&app, &org, "group/create", json!({"group": {"name": name}}), 409, "Duplicate Name.").await;
        }
        let g = create(&app, &org, "Team", &[]).await;
        exact_err(&app, &org, "group/update", json!({"group": {"__id__": g, "name": "All Users"}}), 409, "Duplicate Name.").await;
        assert_eq!(group_names(&app, &org).await, ["All Users", "External Users", "Team"]);
    }

    // ---------------------------------------------------------------- group/create

    async fn create_returns_the_group(app) {
        let org = app.org("ACME").await;
        let v = app.ok(&org, "group/create", json!({"group": {"name": "B工作小組"}})).await;
        assert_eq!(v.as_object().unwrap().len(), 2, "{v}");
        let g = &v["group"];
        assert_eq!(g["name"], "B工作小組");
        assert_eq!(g["__model__"], "GroupProfile");
        assert!(g["__id__"].is_i64(), "{g}");
        assert_eq!(g["is_active"], true);
        assert_eq!(g["organization_id"], org.id);
        assert_eq!(g["organization_name"], "ACME Inc.");
        assert_eq!(g["organization"]["__id__"], org.id);
        assert_eq!(g["organization"]["__model__"], "Organization");
        assert_eq!(group(&app, &org, "B工作小組").await, *g);
        assert_eq!(members(&app, &org, id(g)).await, Vec::<i64>::new());
    }

    async fn create_with_users_makes_them_members(app) {
        let org = app.org("ACME").await;
        let a = app.user(&org, "alice").await;
        let _not_a_member = app.user(&org, "bob").await;
        let c = app.user(&org, "carol").await;
        let v = app.ok(&org, "group/create", json!({
            "group": {"name": "Team", "__model__": "GroupProfile"},
            "users": [{"__id__": c}, {"__id__": a, "__model__": "UserProfile"}, {"__id__": c}]
        })).await;
        assert_eq!(members(&app, &org, id(&v["group"])).await, [a, c], "members in user order, once each");
        // `users` may be given empty or null.
        let empty = app.ok(&org, "group/create", json!({"group": {"name": "Empty"}, "users": []})).await;
        assert_eq!(members(&app, &org, id(&empty["group"])).await, Vec::<i64>::new());
        let null = app.ok(&org, "group/create", json!({"group": {"name": "Null"}, "users": null})).await;
        assert_eq!(members(&app, &org, id(&null["group"])).await, Vec::<i64>::new());
    }

    async fn create_keeps_client_extra(app) {
        let org = app.org("ACME").await;
        let v = app.ok(&org, "group/create", json!({"group": {"name": "Team", "__client_extra__": {"k": [1, 2]}}})).await;
        assert_eq!(v["group"]["__client_extra__"], json!({"k": [1, 2]}));
        assert_eq!(group(&app, &org, "Team").await["__client_extra__"], json!({"k": [1, 2]}));
    }

    async fn create_refuses_a_name_taken_in_the_same_organization(app) {
        let org = app.org("ACME").await;
        create(&app, &org, "Team", &[]).await;
        exact_err(&app, &org, "group/create", json!({"group": {"name": "Team"}}), 409, "Duplicate Name.").await;
        // Surrounding blanks do not make a new name.
        exact_err(&app, &org, "group/create", json!({"group": {"name": "  Team "}}), 409, "Duplicate Name.").await;
        // An inactive group still holds its name.
        let g = group_id(&app, &org, "Team").await;
        app.ok(&org, "group/inactivate", json!({"group": {"__id__": g}})).await;
        exact_err(&app, &org, "group/create", json!({"group": {"name": "Team"}}), 409, "Duplicate Name.").await;
        assert_eq!(group_names(&app, &org).await, ["All Users", "External Users", "Team"]);
    }

    async fn same_group_name_in_another_organization_is_fine(app) {
        let a = app.org("ACME").await;
        let b = app.org("BETA").await;
        let ga = create(&app, &a, "Team", &[]).await;
        let gb = create(&app, &b, "Team", &[]).await;
        assert_ne!(ga, gb);
        assert_eq!(group_names(&app, &b).await, ["All Users", "External Users", "Team"]);
    }

    async fn create_needs_a_name(app) {
        let org = app.org("ACME").await;
        assert_eq!(bad_request(&app, &org, "group/create", json!({"group": {}})).await, "group.name is required.");
        assert_eq!(bad_request(&app, &org, "group/create", json!({"users": []})).await, "group is required.");
        bad_request(&app, &org, "group/create", json!({"group": {"name": "   "}})).await;
        bad_request(&app, &org, "group/create", json!({"group": {"name": "x".repeat(201)}})).await;
        assert_eq!(groups(&app, &org).await.len(), 2);
    }

    async fn create_with_an_unknown_or_foreign_user_creates_nothing(app) {
        let a = app.org("ACME").await;
        let b = app.org("BETA").await;
        let mine = app.user(&a, "alice").await;
        let theirs = app.user(&b, "bob").await;
        let msg = app.err(&a, "group/create", json!({"group": {"name": "Team"}, "users": [{"__id__": mine}, {"__id__": theirs}]}), 404).await;
        assert_eq!(msg, format!("User {theirs} does not exist."));
        app.err(&a, "group/create", json!({"group": {"name": "Team"}, "users": [{"__id__": 999_999}]}), 404).await;
        assert_eq!(group_names(&app, &a).await, ["All Users", "External Users"]);
        // The name is still free.
        create(&app, &a, "Team", &[mine]).await;
    }

    // ---------------------------------------------------------------- group/update

    async fn update_renames_the_group(app) {
        let org = app.org("ACME").await;
        let a = app.user(&org, "alice").await;
        let g = create(&app, &org, "B工作小組", &[a]).await;
        let v = app.ok(&org, "group/update", json!({"group": {"__id__": g, "name": "C工作小組"}})).await;
        assert_eq!(v, json!({"RESPONSE": "OK"}));
        assert_eq!(group_names(&app, &org).await, ["All Users", "External Users", "C工作小組"]);
        assert_eq!(group_id(&app, &org, "C工作小組").await, g);
        assert_eq!(members(&app, &org, g).await, [a], "members stay");
        // The old name is free again.
        create(&app, &org, "B工作小組", &[]).await;
    }

    async fn update_to_the_current_name_is_an_error(app) {
        let org = app.org("ACME").await;
        let g = create(&app, &org, "Team", &[]).await;
        let (status, v) = app.omni("group/update", json!({"api_key": org.key, "group": {"__id__": g, "name": "Team"}})).await;
        assert_eq!(v["RESPONSE"], "ERR", "{v}");
        assert_eq!(status, 400, "{v}");
        assert!(v["RMSG"].as_str().unwrap().contains("same"), "{v}");
        assert_eq!(group_names(&app, &org).await, ["All Users", "External Users", "Team"]);
    }

    async fn update_to_another_groups_name_is_a_duplicate(app) {
        let org = app.org("ACME").await;
        create(&app, &org, "One", &[]).await;
        let two = create(&app, &org, "Two", &[]).await;
        exact_err(&app, &org, "group/update", json!({"group": {"__id__": two, "name": "One"}}), 409, "Duplicate Name.").await;
        assert_eq!(group_names(&app, &org).await, ["All Users", "External Users", "One", "Two"]);
        // A name used only in another organization is fine.
        let other = app.org("BETA").await;
        create(&app, &other, "Three", &[]).await;
        app.ok(&org, "group/update", json!({"group": {"__id__": two, "name": "Three"}})).await;
    }

    async fn update_with_is_active_inactivates_and_activates(app) {
        let org = app.org("ACME").await;
        let g = create(&app, &org, "Team", &[]).await;
        let v = app.ok(&org, "group/update", json!({"group": {"__id__": g, "is_active": false}})).await;
        assert_eq!(v, json!({"RESPONSE": "OK"}));
        assert_eq!(group(&app, &org, "Team").await["is_active"], false);
        app.ok(&org, "group/update", json!({"group": {"__id__": g, "is_active": true}})).await;
        assert_eq!(group(&app, &org, "Team").await["is_active"], true);
        // Renaming and inactivating in one call.
        app.ok(&org, "group/update", json!({"group": {"__id__": g, "name": "Old Team", "is_active": false}})).await;
        let listed = group(&app, &org, "Old Team").await;
        assert_eq!((id(&listed), &listed["is_active"]), (g, &json!(false)));
    }

    async fn update_changes_client_extra(app) {
        let org = app.org("ACME").await;
        let g = create(&app, &org, "Team", &[]).await;
        app.ok(&org, "group/update", json!({"group": {"__id__": g, "__client_extra__": {"k": "v"}}})).await;
        let listed = group(&app, &org, "Team").await;
        assert_eq!((&listed["__client_extra__"], &listed["is_active"]), (&json!({"k": "v"}), &json!(true)));
        app.ok(&org, "group/update", json!({"group": {"__id__": g, "__client_extra__": null}})).await;
        assert_eq!(group(&app, &org, "Team").await["__client_extra__"], json!({}));
    }

    async fn update_needs_something_to_change(app) {
        let org = app.org("ACME").await;
        let g = create(&app, &org, "Team", &[]).await;
        bad_request(&app, &org, "group/update", json!({"group": {"__id__": g}})).await;
        assert_eq!(bad_request(&app, &org, "group/update", json!({"group": {"name": "X"}})).await, "group.__id__ is required.");
        bad_request(&app, &org, "group/update", json!({"group": {"__id__": g, "name": ""}})).await;
        app.err(&org, "group/update", json!({"group": {"__id__": 999_999, "name": "X"}}), 404).await;
        assert_eq!(group_names(&app, &org).await, ["All Users", "External Users", "Team"]);
    }

    // ---------------------------------------------------------------- activate / inactivate / delete

    async fn inactivate_and_activate_switch_is_active(app) {
        let org = app.org("ACME").await;
        let a = app.user(&org, "alice").await;
        let g = create(&app, &org, "Team", &[a]).await;
        let v = app.ok(&org, "group/inactivate", json!({"group": {"__id__": g}})).await;
        assert_eq!(v, json!({"RESPONSE": "OK"}));
        assert_eq!(group(&app, &org, "Team").await["is_active"], false);
        assert_eq!(members(&app, &org, g).await, [a], "an inactive group keeps its members");
        let v = app.ok(&org, "group/activate", json!({"group": {"__id__": g, "__model__": "GroupProfile"}})).await;
        assert_eq!(v, json!({"RESPONSE": "OK"}));
        assert_eq!(group(&app, &org, "Team").await["is_active"], true);
    }

    async fn delete_removes_the_group_but_not_its_users(app) {
        let org = app.org("ACME").await;
        let a = app.user(&org, "alice").await;
        let g = create(&app, &org, "Team", &[a]).await;
        let keep = create(&app, &org, "Keep", &[a]).await;
        let v = app.ok(&org, "group/delete", json!({"group": {"__id__": g}})).await;
        assert_eq!(v, json!({"RESPONSE": "OK"}));
        assert_eq!(group_names(&app, &org).await, ["All Users", "External Users", "Keep"]);
        app.err(&org, "group/user/list", json!({"group": {"__id__": g}}), 404).await;
        app.err(&org, "group/delete", json!({"group": {"__id__": g}}), 404).await;
        app.err(&org, "group/user/add", json!({"group": {"__id__": g}, "users": [{"__id__": a}]}), 404).await;
        let users = app.ok(&org, "user/list", json!({})).await;
        assert_eq!(ids(&users), [a]);
        assert_eq!(members(&app, &org, keep).await, [a]);
        // The name is free again, and the new group starts empty.
        let again = create(&app, &org, "Team", &[]).await;
        assert_eq!(members(&app, &org, again).await, Vec::<i64>::new());
    }

    async fn unknown_groups_are_not_found(app) {
        let org = app.org("ACME").await;
        let a = app.user(&org, "alice").await;
        for path in ["group/inactivate", "group/activate", "group/delete", "group/user/list"] {
            assert_eq!(app.err(&org, path, json!({"group": {"__id__": 999_999}}), 404).await, "Group 999999 does not exist.");
            assert_eq!(bad_request(&app, &org, path, json!({"group": {}})).await, "group.__id__ is required.");
            assert_eq!(bad_request(&app, &org, path, json!({})).await, "group is required.");
        }
        for path in ["group/user/add", "group/user/remove"] {
            app.err(&org, path, json!({"group": {"__id__": 999_999}, "users": [{"__id__": a}]}), 404).await;
        }
    }

    // ---------------------------------------------------------------- group/user/*

    async fn add_returns_every_member_of_the_group(app) {
        let org = app.org("ACME").await;
        let a = app.user(&org, "hello").await;
        let b = app.user(&org, "contador").await;
        let c = app.user(&org, "carol").await;
        let g = create(&app, &org, "Team", &[a]).await;
        let v = app.ok(&org, "group/user/add", json!({"group": {"__id__": g}, "users": [{"__id__": b}]})).await;
        assert_eq!(v.as_object().unwrap().len(), 2, "{v}");
        assert_eq!(ids(&v), [a, b]);
        let added = &v["users"][1];
        assert_eq!(added["username"], "contador@ACME");
        assert_eq!(added["__model__"], "UserProfile");
        assert_eq!(added["rank_name"], "Specialist");
        assert_eq!(added["department_name"], "MIS Department");
        assert_eq!(added["organization_name"], "ACME Inc.");
        // Adding a member again, or several at once, keeps each member once.
        let v = app.ok(&org, "group/user/add", json!({"group": {"__id__": g}, "users": [{"__id__": c}, {"__id__": a}, {"__id__": c}]})).await;
        assert_eq!(ids(&v), [a, b, c]);
        assert_eq!(members(&app, &org, g).await, [a, b, c]);
        // An empty list changes nothing and still answers the members.
        let v = app.ok(&org, "group/user/add", json!({"group": {"__id__": g}, "users": []})).await;
        assert_eq!(ids(&v), [a, b, c]);
    }

    async fn add_to_an_inactive_group_is_refused(app) {
        let org = app.org("ACME").await;
        let a = app.user(&org, "alice").await;
        let b = app.user(&org, "bob").await;
        let g = create(&app, &org, "Team", &[a]).await;
        app.ok(&org, "group/inactivate", json!({"group": {"__id__": g}})).await;
        let msg = app.err(&org, "group/user/add", json!({"group": {"__id__": g}, "users": [{"__id__": b}]}), 409).await;
        assert!(msg.contains("inactive"), "{msg}");
        assert_eq!(members(&app, &org, g).await, [a]);
        app.ok(&org, "group/activate", json!({"group": {"__id__": g}})).await;
        let v = app.ok(&org, "group/user/add", json!({"group": {"__id__": g}, "users": [{"__id__": b}]})).await;
        assert_eq!(ids(&v), [a, b]);
    }

    async fn add_of_an_unknown_user_adds_nobody(app) {
        let org = app.org("ACME").await;
        let a = app.user(&org, "alice").await;
        let b = app.user(&org, "bob").await;
        let g = create(&app, &org, "Team", &[]).await;
        let msg = app.err(&org, "group/user/add", json!({"group": {"__id__": g}, "users": [{"__id__": a}, {"__id__": 999_999}, {"__id__": b}]}), 404).await;
        assert_eq!(msg, "User 999999 does not exist.");
        assert_eq!(members(&app, &org, g).await, Vec::<i64>::new());
    }

    async fn long_user_lists_are_answered_not_failed(app) {
        // Tens of thousands of ids exceed what one SQL statement may bind (SQLite 32766,
        // PostgreSQL 65535); the answer is still the first unknown user, not a fault.
        let org = app.org("ACME").await;
        let a = app.user(&org, "alice").await;
        let g = create(&app, &org, "Team", &[]).await;
        let many: Vec<i64> = std::iter::once(a).chain(10_000_000..10_070_000).collect();
        for path in ["group/user/add", "group/user/remove"] {
            let msg = app.err(&org, path, json!({"group": {"__id__": g}, "users": refs(&many)}), 404).await;
            assert_eq!(msg, "User 10000000 does not exist.");
        }
        let msg = app.err(&org, "group/create", json!({"group": {"name": "Big"}, "users": refs(&many)}), 404).await;
        assert_eq!(msg, "User 10000000 does not exist.");
        assert_eq!(members(&app, &org, g).await, Vec::<i64>::new());
        assert_eq!(group_names(&app, &org).await, ["All Users", "External Users", "Team"]);
        // The same user listed many times is one member.
        let v = app.ok(&org, "group/user/add", json!({"group": {"__id__": g}, "users": refs(&vec![a; 40_000])})).await;
        assert_eq!(ids(&v), [a]);
    }

    async fn inactive_users_can_be_added_and_stay_members(app) {
        let org = app.org("ACME").await;
        let a = app.user(&org, "alice").await;
        let idle = user_with(&app, &org, "idle", false, false).await;
        let ext = user_with(&app, &org, "ext", true, true).await;
        let g = create(&app, &org, "Team", &[a]).await;
        let v = app.ok(&org, "group/user/add", json!({"group": {"__id__": g}, "users": [{"__id__": idle}, {"__id__": ext}]})).await;
        assert_eq!(ids(&v), [a, idle, ext]);
        app.ok(&org, "user/inactivate", json!({"user": {"__id__": a}})).await;
        assert_eq!(members(&app, &org, g).await, [a, idle, ext]);
    }

    async fn remove_returns_the_remaining_members(app) {
        let org = app.org("ACME").await;
        let a = app.user(&org, "hello").await;
        let b = app.user(&org, "contador").await;
        let c = app.user(&org, "carol").await;
        let g = create(&app, &org, "Team", &[a, b, c]).await;
        let v = app.ok(&org, "group/user/remove", json!({"group": {"__id__": g}, "users": [{"__id__": b}]})).await;
        assert_eq!(ids(&v), [a, c]);
        assert_eq!(v["users"][1]["username"], "carol@ACME");
        // Removing a user who is not a member is harmless.
        let v = app.ok(&org, "group/user/remove", json!({"group": {"__id__": g}, "users": [{"__id__": b}]})).await;
        assert_eq!(ids(&v), [a, c]);
        // The spec's example: removing everyone answers an empty list.
        let v = app.ok(&org, "group/user/remove", json!({"group": {"__id__": g}, "users": [{"__id__": c}, {"__id__": a}]})).await;
        assert_eq!(v, json!({"users": [], "RESPONSE": "OK"}));
        assert_eq!(members(&app, &org, g).await, Vec::<i64>::new());
        // The users themselves remain.
        assert_eq!(ids(&app.ok(&org, "user/list", json!({})).await), [a, b, c]);
    }

    async fn remove_works_on_an_inactive_group(app) {
        let org = app.org("ACME").await;
        let a = app.user(&org, "alice").await;
        let g = create(&app, &org, "Team", &[a]).await;
        app.ok(&org, "group/inactivate", json!({"group": {"__id__": g}})).await;
        let v = app.ok(&org, "group/user/remove", json!({"group": {"__id__": g}, "users": [{"__id__": a}]})).await;
        assert_eq!(ids(&v), Vec::<i64>::new());
    }

    async fn members_need_a_users_list(app) {
        let org = app.org("ACME").await;
        let a = app.user(&org, "alice").await;
        let g = create(&app, &org, "Team", &[a]).await;
        for path in ["group/user/add", "group/user/remove"] {
            assert_eq!(bad_request(&app, &org, path, json!({"group": {"__id__": g}})).await, "users is required.");
            assert_eq!(bad_request(&app, &org, path, json!({"group": {"__id__": g}, "users": null})).await, "users is required.");
        }
        assert_eq!(members(&app, &org, g).await, [a]);
    }

    // ---------------------------------------------------------------- tenancy

    async fn another_organizations_groups_are_invisible_and_untouchable(app) {
        let a = app.org("ACME").await;
        let b = app.org("BETA").await;
        let mine = app.user(&a, "alice").await;
        let theirs = app.user(&b, "bob").await;
        let their_group = create(&app, &b, "Their Team", &[theirs]).await;
        let their_all = group_id(&app, &b, "All Users").await;
        let before = groups(&app, &b).await;
        assert_eq!(group_names(&app, &a).await, ["All Users", "External Users"]);
        let attempts = [
            ("group/user/list", json!({"group": {"__id__": their_group}})),
            ("group/user/list", json!({"group": {"__id__": their_all}})),
            ("group/user/add", json!({"group": {"__id__": their_group}, "users": [{"__id__": mine}]})),
            ("group/user/add", json!({"group": {"__id__": their_group}, "users": [{"__id__": theirs}]})),
            ("group/user/remove", json!({"group": {"__id__": their_group}, "users": [{"__id__": theirs}]})),
            ("group/update", json!({"group": {"__id__": their_group, "name": "Hacked"}})),
            ("group/update", json!({"group": {"__id__": their_group, "is_active": false}})),
            ("group/inactivate", json!({"group": {"__id__": their_group}})),
            ("group/activate", json!({"group": {"__id__": their_group}})),
            ("group/delete", json!({"group": {"__id__": their_group}})),
            ("group/delete", json!({"group": {"__id__": their_all}})),
        ];
        for (path, body) in attempts {
            let msg = app.err(&a, path, body.clone(), 404).await;
            assert!(msg.starts_with("Group "), "{path} {body}: {msg}");
        }
        assert_eq!(groups(&app, &b).await, before);
        assert_eq!(members(&app, &b, their_group).await, [theirs]);
    }

    async fn another_organizations_users_cannot_join_or_leave_this_organizations_groups(app) {
        let a = app.org("ACME").await;
        let b = app.org("BETA").await;
        let mine = app.user(&a, "alice").await;
        let theirs = app.user(&b, "bob").await;
        let g = create(&app, &a, "Team", &[mine]).await;
        for path in ["group/user/add", "group/user/remove"] {
            let msg = app.err(&a, path, json!({"group": {"__id__": g}, "users": [{"__id__": theirs}]}), 404).await;
            assert_eq!(msg, format!("User {theirs} does not exist."));
            // Mixed with a user of this organization, nothing happens either.
            app.err(&a, path, json!({"group": {"__id__": g}, "users": [{"__id__": mine}, {"__id__": theirs}]}), 404).await;
            assert_eq!(members(&app, &a, g).await, [mine]);
        }
        // Nor do they appear in this organization's system groups.
        let all = group_id(&app, &a, "All Users").await;
        assert_eq!(members(&app, &a, all).await, [mine]);
    }

    // ---------------------------------------------------------------- bad input

    async fn malformed_group_requests_are_refused_in_the_omnibpm_error_form(app) {
        let org = app.org("ACME").await;
        let a = app.user(&org, "alice").await;
        let g = create(&app, &org, "Team", &[a]).await;
        let before = groups(&app, &org).await;
        let cases = [
            ("group/create", json!({"group": "Team2"})),
            ("group/create", json!({"group": {"name": 5}})),
            ("group/create", json!({"group": {"name": "Team2", "__model__": "UserProfile"}})),
            ("group/create", json!({"group": {"name": "Team2"}, "users": {"__id__": a}})),
            ("group/create", json!({"group": {"name": "Team2"}, "users": a})),
            ("group/create", json!({"group": {"name": "Team2"}, "users": [a]})),
            ("group/create", json!({"group": {"name": "Team2"}, "users": [{"__id__": format!("id-{a}")}]})),
            ("group/create", json!({"group": {"name": "Team2"}, "users": [{"__id__": a, "__model__": "Department"}]})),
            ("group/create", json!({"group": {"name": "Team2", "__client_extra__": "x"}})),
            ("group/update", json!({"group": {"__id__": format!("id-{g}"), "name": "Team2"}})),
            ("group/update", json!({"group": {"__id__": g, "is_active": "no"}})),
            ("group/update", json!({"group": {"__id__": g, "name": "Team2", "__model__": "Department"}})),
            ("group/inactivate", json!({"group": {"__id__": format!("id-{g}")}})),
            ("group/activate", json!({"group": [g]})),
            ("group/delete", json!({"group": {"__id__": g, "__model__": "UserProfile"}})),
            ("group/user/list", json!({"group": {"__id__": true}})),
            ("group/user/add", json!({"group": {"__id__": g}, "users": "alice@ACME"})),
            ("group/user/add", json!({"group": {"__id__": g}, "users": [{"__id__": format!("id-{a}")}]})),
            ("group/user/add", json!({"group": {"__id__": g}, "users": [{"id": a}]})),
            ("group/user/remove", json!({"group": {"__id__": g}, "users": {"__id__": a}})),
            ("group/user/remove", json!({"group": {"__id__": g}, "users": [{"__id__": a, "__model__": "GroupProfile"}]})),
        ];
        for (path, body) in cases {
            bad_request(&app, &org, path, body).await;
        }
        let msg = bad_request(&app, &org, "group/user/add", json!({"group": {"__id__": g}, "users": [{"__id__": "one"}]})).await;
        assert!(msg.contains("users") && msg.contains("__id__"), "the bad value is named: {msg}");
        let msg = bad_request(&app, &org, "group/update", json!({"group": {"__id__": g, "__model__": "Department", "name": "x"}})).await;
        assert!(msg.contains("__model__"), "{msg}");
        assert_eq!(groups(&app, &org).await, before);
        assert_eq!(members(&app, &org, g).await, [a]);
    }
}
