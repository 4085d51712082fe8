//! OmniBPM `user/*` and `organization/importusers`.

use crate::both;
use crate::helpers::{bad_request, exact_err, Org, TestApp};
use serde_json::{json, Value};

fn id(v: &Value) -> i64 {
    v["__id__"]
        .as_i64()
        .unwrap_or_else(|| panic!("no __id__ in {v}"))
}

/// Every user of `org`, as `user/list` shows them.
async fn users(app: &TestApp, org: &Org) -> Vec<Value> {
    let v = app.ok(org, "user/list", json!({})).await;
    v["users"].as_array().expect("users").clone()
}

/// The usernames `user/list` shows, in order.
async fn usernames(app: &TestApp, org: &Org) -> Vec<String> {
    users(app, org)
        .await
        .iter()
        .map(|u| u["username"].as_str().expect("username").to_string())
        .collect()
}

/// The listed user with `id`.
async fn listed(app: &TestApp, org: &Org, user: i64) -> Value {
    users(app, org)
        .await
        .into_iter()
        .find(|u| id(u) == user)
        .unwrap_or_else(|| panic!("no user {user}"))
}

/// The ids of a group's members, by group name.
async fn members_of(app: &TestApp, org: &Org, group: &str) -> Vec<i64> {
    let groups = app.ok(org, "group/list", json!({})).await;
    let g = groups["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .find(|g| g["name"] == group)
        .unwrap_or_else(|| panic!("no group {group}"))
        .clone();
    let v = app
        .ok(org, "group/user/list", json!({"group": {"__id__": id(&g)}}))
        .await;
    v["users"]
        .as_array()
        .expect("users")
        .iter()
        .map(id)
        .collect()
}

/// The ids of MIS Department and the Specialist rank.
async fn placement(app: &TestApp, org: &Org) -> (i64, i64) {
    (
        app.id_of(org, "department", "MIS Department").await,
        app.id_of(org, "rank", "Specialist").await,
    )
}

/// A `user/create` body member for `login@ABBR`.
fn new_user(org: &Org, login: &str, dept: i64, rank: i64) -> Value {
    json!({
        "username": format!("{login}@{}", org.abbr),
        "display_name": format!("User {login}"),
        "email": format!("{login}@example.com"),
        "password": "secret-pw",
        "rank": {"__id__": rank},
        "department": {"__id__": dept}
    })
}

/// An `importusers` entry for `login@ABBR`.
fn import_entry(org: &Org, login: &str, dept: i64, rank: i64) -> Value {
    json!({
        "is_external": false,
        "display_name": format!("Imported {login}"),
        "username": format!("{login}@{}", org.abbr),
        "email": format!("{login}@example.com"),
        "is_active": true,
        "department": {"__id__": dept},
        "rank": {"__id__": rank}
    })
}

/// A new department, inactivated.
async fn inactive_department(app: &TestApp, org: &Org) -> i64 {
    let v = app
        .ok(
            org,
            "department/create",
            json!({"department": {"name": "Closed Department"}}),
        )
        .await;
    let dept = id(&v["department"]);
    app.ok(
        org,
        "department/inactivate",
        json!({"department": {"__id__": dept}}),
    )
    .await;
    dept
}

/// A new rank, inactivated.
async fn inactive_rank(app: &TestApp, org: &Org) -> i64 {
    let v = app
        .ok(
            org,
            "rank/create",
            json!({"rank": {"name": "Retired", "level": 9}}),
        )
        .await;
    let rank = id(&v["rank"]);
    app.ok(org, "rank/inactivate", json!({"rank": {"__id__": rank}}))
        .await;
    rank
}

/// Whether a password grant with these credentials succeeds.
async fn can_log_in(app: &TestApp, username: &str, password: &str) -> bool {
    let (status, _) = app
        .token(&[
            ("grant_type", "password"),
            ("username", username),
            ("password", password),
        ])
        .await;
    status == 200
}

/// Whether any key of `v`, at any depth, mentions a password.
fn mentions_password(v: &Value) -> bool {
    match v {
        Value::Object(m) => m
            .iter()
            .any(|(k, v)| k.to_lowercase().contains("password") || mentions_password(v)),
        Value::Array(a) => a.iter().any(mentions_password),
        _ => false,
    }
}

both! {
    // ---------------------------------------------------------------- user/create

    async fn create_returns_the_user_profile_with_nested_rank_department_and_organization(app) {
        let org = app.org("ACME").await;
        let (dept, rank) = placement(&app, &org).await;
        let v = app.ok(&org, "user/create", json!({"user": {
            "username": "alejandro@ACME",
            "email": "alejandro@email.com",
            "password": "123456",
            "display_name": "Alejandro Valverde",
            "rank": {"__id__": rank},
            "department": {"__id__": dept},
            "__client_extra__": {"save": "anything"}
        }})).await;
        assert_eq!(v.as_object().unwrap().len(), 2, "{v}");
        let u = &v["user"];
        assert_eq!(u["__model__"], "UserProfile");
        assert!(u["__id__"].is_i64(), "{u}");
        assert_eq!(u["username"], "alejandro@ACME");
        assert_eq!(u["email"], "alejandro@email.com");
        assert_eq!(u["display_name"], "Alejandro Valverde");
        assert_eq!(u["is_active"], true);
        assert_eq!(u["is_external"], false);
        assert_eq!(u["__client_extra__"], json!({"save": "anything"}));
        assert_eq!(u["organization_id"], org.id);
        assert_eq!(u["organization_name"], "ACME Inc.");
        assert_eq!(u["organization"]["__id__"], org.id);
        assert_eq!(u["organization"]["__model__"], "Organization");
        assert_eq!(u["organization"]["name"], "ACME Inc.");
        assert_eq!(u["organization"]["abbr"], "ACME");
        assert_eq!(u["rank_id"], rank);
        assert_eq!(u["rank_name"], "Specialist");
        assert_eq!(u["rank"]["__id__"], rank);
        assert_eq!(u["rank"]["__model__"], "UserRank");
        assert_eq!(u["rank"]["name"], "Specialist");
        assert_eq!(u["rank"]["level"], 4);
        assert_eq!(u["department_id"], dept);
        assert_eq!(u["department_name"], "MIS Department");
        assert_eq!(u["department"]["__id__"], dept);
        assert_eq!(u["department"]["__model__"], "Department");
        assert_eq!(u["department"]["name"], "MIS Department");
        assert_eq!(u["department"]["organization_id"], org.id);
        assert!(!mentions_password(&v), "a password is never returned: {v}");
        // The list shows the same representation.
        assert_eq!(listed(&app, &org, id(u)).await, *u);
    }

    async fn created_user_logs_in_with_the_password_which_is_never_listed(app) {
        let org = app.org("ACME").await;
        app.user(&org, "alice").await;
        assert!(can_log_in(&app, "alice@ACME", "secret-pw").await);
        assert!(!can_log_in(&app, "alice@ACME", "wrong-pw").await);
        let v = app.ok(&org, "user/list", json!({})).await;
        assert!(!mentions_password(&v), "{v}");
        assert!(!v.to_string().contains("secret-pw"));
        assert!(!v.to_string().contains("argon2"), "no hash either: {v}");
    }

    async fn client_extra_defaults_to_an_empty_object(app) {
        let org = app.org("ACME").await;
        let u = app.user(&org, "alice").await;
        assert_eq!(listed(&app, &org, u).await["__client_extra__"], json!({}));
    }

    async fn create_accepts_external_inactive_and_admin_users(app) {
        let org = app.org("ACME").await;
        let (dept, rank) = placement(&app, &org).await;
        let mut body = new_user(&org, "ext", dept, rank);
        body["is_external"] = json!(true);
        body["is_active"] = json!(false);
        body["with_admin_permissions"] = json!(true);
        let u = app.ok(&org, "user/create", json!({"user": body})).await["user"].clone();
        assert_eq!((&u["is_external"], &u["is_active"], &u["is_admin"]), (&json!(true), &json!(false), &json!(true)));
        // with_admin_permissions may also stand beside `user`, as the spec describes it.
        let u = app.ok(&org, "user/create", json!({
            "user": new_user(&org, "boss", dept, rank), "with_admin_permissions": true
        })).await["user"].clone();
        assert_eq!(u["is_admin"], true);
        let u = app.user(&org, "plain").await;
        assert_eq!(listed(&app, &org, u).await["is_admin"], false);
    }

    async fn create_without_a_password_makes_a_user_who_cannot_log_in_with_one(app) {
        let org = app.org("ACME").await;
        let (dept, rank) = placement(&app, &org).await;
        let mut body = new_user(&org, "sso", dept, rank);
        body.as_object_mut().unwrap().remove("password");
        app.ok(&org, "user/create", json!({"user": body})).await;
        assert!(!can_log_in(&app, "sso@ACME", "").await);
        assert!(!can_log_in(&app, "sso@ACME", "secret-pw").await);
    }

    async fn list_shows_every_user_of_the_organization_in_creation_order(app) {
        let org = app.org("ACME").await;
        let other = app.org("BETA").await;
        assert_eq!(app.ok(&org, "user/list", json!({})).await, json!({"RESPONSE": "OK", "users": []}));
        app.user(&org, "carol").await;
        app.user(&other, "zed").await;
        app.user(&org, "alice").await;
        app.user(&org, "bob").await;
        assert_eq!(usernames(&app, &org).await, ["carol@ACME", "alice@ACME", "bob@ACME"]);
        assert_eq!(usernames(&app, &other).await, ["zed@BETA"]);
        for u in users(&app, &org).await {
            assert_eq!(u["__model__"], "UserProfile");
            assert_eq!(u["organization_id"], org.id);
            assert_eq!(u["rank_name"], "Specialist");
            assert_eq!(u["department_name"], "MIS Department");
        }
    }

    async fn username_must_end_with_this_organizations_abbreviation(app) {
        let org = app.org("ACME").await;
        app.org("BETA").await;
        let (dept, rank) = placement(&app, &org).await;
        for username in ["bob@BETA", "bob@acme", "bob@ACMEX", "bob@ACM", "bob", "@ACME", "bob@",
                         "bob@ACME@ACME", "b ob@ACME", "../bob@ACME", ""] {
            let mut body = new_user(&org, "x", dept, rank);
            body["username"] = json!(username);
            bad_request(&app, &org, "user/create", json!({"user": body})).await;
        }
        let mut body = new_user(&org, "x", dept, rank);
        body["username"] = json!("bob@BETA");
        let msg = bad_request(&app, &org, "user/create", json!({"user": body})).await;
        assert!(msg.contains("@ACME"), "{msg}");
        assert_eq!(users(&app, &org).await, Vec::<Value>::new());
    }

    async fn username_is_required(app) {
        let org = app.org("ACME").await;
        let (dept, rank) = placement(&app, &org).await;
        let mut body = new_user(&org, "x", dept, rank);
        body.as_object_mut().unwrap().remove("username");
        let msg = bad_request(&app, &org, "user/create", json!({"user": body})).await;
        assert!(msg.contains("username"), "{msg}");
    }

    async fn display_name_is_required_and_not_blank(app) {
        let org = app.org("ACME").await;
        let (dept, rank) = placement(&app, &org).await;
        let mut body = new_user(&org, "x", dept, rank);
        body.as_object_mut().unwrap().remove("display_name");
        let msg = bad_request(&app, &org, "user/create", json!({"user": body.clone()})).await;
        assert!(msg.contains("display_name"), "{msg}");
        body["display_name"] = json!("   ");
        bad_request(&app, &org, "user/create", json!({"user": body})).await;
        assert_eq!(users(&app, &org).await.len(), 0);
    }

    async fn duplicate_login_is_refused_without_regard_to_case(app) {
        let org = app.org("ACME").await;
        let (dept, rank) = placement(&app, &org).await;
        app.user(&org, "alice").await;
        for login in ["alice", "ALICE", "Alice"] {
            exact_err(&app, &org, "user/create", json!({"user": new_user(&org, login, dept, rank)}), 409, "Duplicate Name.").await;
        }
        assert_eq!(usernames(&app, &org).await, ["alice@ACME"]);
    }

    async fn duplicate_login_is_refused_without_regard_to_case_beyond_ascii(app) {
        // Logins may hold any letters; case is ignored for all of them, on every backend.
        let org = app.org("ACME").await;
        let (dept, rank) = placement(&app, &org).await;
        app.user(&org, "ärger").await;
        app.user(&org, "ÉMILE").await;
        app.user(&org, "王小明").await;
        for login in ["ÄRGER", "Ärger", "émile", "Émile", "王小明"] {
            exact_err(&app, &org, "user/create", json!({"user": new_user(&org, login, dept, rank)}), 409, "Duplicate Name.").await;
        }
        assert_eq!(usernames(&app, &org).await, ["ärger@ACME", "ÉMILE@ACME", "王小明@ACME"]);
        // Logging in ignores case the same way.
        assert!(can_log_in(&app, "ÄRGER@ACME", "secret-pw").await);
        assert!(can_log_in(&app, "émile@ACME", "secret-pw").await);
    }

    async fn concurrent_creates_of_one_login_make_one_user(app) {
        let org = app.org("ACME").await;
        let (dept, rank) = placement(&app, &org).await;
        let mut tasks = Vec::new();
        for i in 0..8 {
            let login = if i % 2 == 0 { "race" } else { "RACE" };
            let body = json!({"api_key": org.key, "user": new_user(&org, login, dept, rank)});
            let (client, url) = (app.client.clone(), app.url.clone());
            tasks.push(tokio::spawn(async move {
                let res = client.post(format!("{url}/api/v0.1/user/create/")).json(&body).send().await.unwrap();
                (res.status().as_u16(), res.json::<Value>().await.unwrap())
            }));
        }
        let mut created = 0;
        for t in tasks {
            let (status, v) = t.await.unwrap();
            match status {
                200 => created += 1,
                409 => assert_eq!(v, json!({"RESPONSE": "ERR", "RMSG": "Duplicate Name."})),
                other => panic!("{other}: {v}"),
            }
        }
        assert_eq!(created, 1);
        assert_eq!(users(&app, &org).await.len(), 1);
    }

    async fn same_login_in_another_organization_is_fine(app) {
        let a = app.org("ACME").await;
        let b = app.org("BETA").await;
        let ua = app.user(&a, "alice").await;
        let ub = app.user(&b, "alice").await;
        assert_ne!(ua, ub);
        assert_eq!(usernames(&app, &b).await, ["alice@BETA"]);
    }

    async fn rank_and_department_are_required(app) {
        let org = app.org("ACME").await;
        let (dept, rank) = placement(&app, &org).await;
        for (field, msg) in [("rank", "user.rank is required."), ("department", "user.department is required.")] {
            let mut body = new_user(&org, "x", dept, rank);
            body.as_object_mut().unwrap().remove(field);
            exact_err(&app, &org, "user/create", json!({"user": body.clone()}), 400, msg).await;
            body[field] = json!(null);
            exact_err(&app, &org, "user/create", json!({"user": body}), 400, msg).await;
        }
        assert_eq!(users(&app, &org).await.len(), 0);
    }

    async fn unknown_rank_or_department_is_not_found(app) {
        let org = app.org("ACME").await;
        let (dept, rank) = placement(&app, &org).await;
        let mut body = new_user(&org, "x", dept, rank);
        body["rank"] = json!({"__id__": 999_999});
        assert_eq!(app.err(&org, "user/create", json!({"user": body}), 404).await, "Rank 999999 does not exist.");
        let mut body = new_user(&org, "x", dept, rank);
        body["department"] = json!({"__id__": 999_999});
        assert_eq!(app.err(&org, "user/create", json!({"user": body}), 404).await, "Department 999999 does not exist.");
        assert_eq!(users(&app, &org).await.len(), 0);
    }

    async fn rank_or_department_of_another_organization_is_not_found(app) {
        let org = app.org("ACME").await;
        let other = app.org("BETA").await;
        let (dept, rank) = placement(&app, &org).await;
        let (their_dept, their_rank) = placement(&app, &other).await;
        app.err(&org, "user/create", json!({"user": new_user(&org, "x", their_dept, rank)}), 404).await;
        app.err(&org, "user/create", json!({"user": new_user(&org, "x", dept, their_rank)}), 404).await;
        assert_eq!(users(&app, &org).await.len(), 0);
        assert_eq!(users(&app, &other).await.len(), 0);
    }

    async fn inactive_department_or_rank_is_refused_on_create(app) {
        let org = app.org("ACME").await;
        let (dept, rank) = placement(&app, &org).await;
        let closed = inactive_department(&app, &org).await;
        let retired = inactive_rank(&app, &org).await;
        let msg = app.err(&org, "user/create", json!({"user": new_user(&org, "x", closed, rank)}), 409).await;
        assert!(msg.contains("inactive"), "{msg}");
        let msg = app.err(&org, "user/create", json!({"user": new_user(&org, "x", dept, retired)}), 409).await;
        assert!(msg.contains("inactive"), "{msg}");
        assert_eq!(users(&app, &org).await.len(), 0);
    }

    async fn field_rules_are_checked_on_create(app) {
        let org = app.org("ACME").await;
        let (dept, rank) = placement(&app, &org).await;
        let cases = [
            ("email", json!("not-an-address")),
            ("email", json!("a b@example.com")),
            ("password", json!("")),
            ("password", json!("x".repeat(2000))),
            ("display_name", json!("x".repeat(201))),
            ("__client_extra__", json!([1, 2])),
            ("__client_extra__", json!("text")),
        ];
        for (field, value) in cases {
            let mut body = new_user(&org, "x", dept, rank);
            body[field] = value;
            bad_request(&app, &org, "user/create", json!({"user": body})).await;
        }
        // An empty email is allowed on user/create.
        let mut body = new_user(&org, "noemail", dept, rank);
        body["email"] = json!("");
        let u = app.ok(&org, "user/create", json!({"user": body})).await;
        assert_eq!(u["user"]["email"], "");
        assert_eq!(usernames(&app, &org).await, ["noemail@ACME"]);
    }

    // ---------------------------------------------------------------- user/update

    async fn update_changes_display_name_email_and_client_extra(app) {
        let org = app.org("ACME").await;
        let (dept, rank) = placement(&app, &org).await;
        let mut body = new_user(&org, "alejandro", dept, rank);
        body["__client_extra__"] = json!({"save": "anything"});
        let created = app.ok(&org, "user/create", json!({"user": body})).await["user"].clone();
        let v = app.ok(&org, "user/update", json!({"user": {
            "display_name": "Alejandro Valverde Belmonte",
            "__id__": id(&created),
            "email": "balaverde@email.com",
            "__client_extra__": {"save": "anything updated"}
        }})).await;
        let u = &v["user"];
        assert_eq!(u["display_name"], "Alejandro Valverde Belmonte");
        assert_eq!(u["email"], "balaverde@email.com");
        assert_eq!(u["__client_extra__"], json!({"save": "anything updated"}));
        // Everything else is as it was.
        let mut expected = created.clone();
        expected["display_name"] = u["display_name"].clone();
        expected["email"] = u["email"].clone();
        expected["__client_extra__"] = u["__client_extra__"].clone();
        assert_eq!(*u, expected);
        assert_eq!(listed(&app, &org, id(&created)).await, expected);
    }

    async fn update_of_one_field_leaves_the_others_alone(app) {
        let org = app.org("ACME").await;
        let u = app.user(&org, "alice").await;
        let before = listed(&app, &org, u).await;
        let after = app.ok(&org, "user/update", json!({"user": {"__id__": u, "email": "new@example.com"}})).await["user"].clone();
        let mut expected = before.clone();
        expected["email"] = json!("new@example.com");
        assert_eq!(after, expected);
        assert!(can_log_in(&app, "alice@ACME", "secret-pw").await, "password untouched");
    }

    async fn update_changes_the_password(app) {
        let org = app.org("ACME").await;
        let u = app.user(&org, "alice").await;
        let v = app.ok(&org, "user/update", json!({"user": {"__id__": u, "password": "brand-new-pw"}})).await;
        assert!(!mentions_password(&v), "{v}");
        assert!(can_log_in(&app, "alice@ACME", "brand-new-pw").await);
        assert!(!can_log_in(&app, "alice@ACME", "secret-pw").await);
        bad_request(&app, &org, "user/update", json!({"user": {"__id__": u, "password": ""}})).await;
        assert!(can_log_in(&app, "alice@ACME", "brand-new-pw").await);
    }

    async fn update_moves_the_user_to_another_rank_and_department(app) {
        let org = app.org("ACME").await;
        let u = app.user(&org, "alice").await;
        let hr = app.id_of(&org, "department", "HR Department").await;
        let manager = app.id_of(&org, "rank", "Manager").await;
        let v = app.ok(&org, "user/update", json!({"user": {
            "__id__": u, "rank": {"__id__": manager, "__model__": "UserRank"}, "department": {"__id__": hr, "__model__": "Department"}
        }})).await;
        let u = &v["user"];
        assert_eq!((&u["rank_id"], &u["rank_name"], &u["rank"]["name"]), (&json!(manager), &json!("Manager"), &json!("Manager")));
        assert_eq!((&u["department_id"], &u["department_name"], &u["department"]["name"]), (&json!(hr), &json!("HR Department"), &json!("HR Department")));
        // One of them alone.
        let mis = app.id_of(&org, "department", "MIS Department").await;
        let v = app.ok(&org, "user/update", json!({"user": {"__id__": id(u), "department": {"__id__": mis}}})).await;
        assert_eq!((&v["user"]["department_name"], &v["user"]["rank_name"]), (&json!("MIS Department"), &json!("Manager")));
    }

    async fn update_ignores_username_is_external_and_other_unlisted_members(app) {
        let org = app.org("ACME").await;
        let u = app.user(&org, "alice").await;
        let before = listed(&app, &org, u).await;
        // A client sends back the whole object it fetched, with changes it may not make.
        let mut sent = before.clone();
        sent["username"] = json!("renamed@ACME");
        sent["is_external"] = json!(true);
        sent["organization_id"] = json!(12345);
        sent["organization_name"] = json!("Elsewhere");
        sent["rank_name"] = json!("Boss");
        sent["department_name"] = json!("Nowhere");
        sent["misc_data"] = json!("");
        sent["is_admin"] = json!(true);
        sent["with_admin_permissions"] = json!(true);
        sent["display_name"] = json!("Alice Changed");
        let after = app.ok(&org, "user/update", json!({"user": sent})).await["user"].clone();
        let mut expected = before.clone();
        expected["display_name"] = json!("Alice Changed");
        assert_eq!(after, expected);
        assert_eq!(usernames(&app, &org).await, ["alice@ACME"]);
        assert!(can_log_in(&app, "alice@ACME", "secret-pw").await);
        // Still an internal user: a member of All Users, not of External Users.
        assert_eq!(members_of(&app, &org, "All Users").await, [u]);
        assert_eq!(members_of(&app, &org, "External Users").await, Vec::<i64>::new());
    }

    async fn update_with_null_client_extra_clears_it(app) {
        let org = app.org("ACME").await;
        let (dept, rank) = placement(&app, &org).await;
        let mut body = new_user(&org, "alice", dept, rank);
        body["__client_extra__"] = json!({"k": 1});
        let u = id(&app.ok(&org, "user/create", json!({"user": body})).await["user"]);
        let v = app.ok(&org, "user/update", json!({"user": {"__id__": u, "__client_extra__": null}})).await;
        assert_eq!(v["user"]["__client_extra__"], json!({}));
    }

    async fn update_with_is_active_works_like_inactivate_and_activate(app) {
        let org = app.org("ACME").await;
        let u = app.user(&org, "alice").await;
        let v = app.ok(&org, "user/update", json!({"user": {"__id__": u, "is_active": false}})).await;
        assert_eq!(v["user"]["is_active"], false);
        assert_eq!(listed(&app, &org, u).await["is_active"], false);
        assert!(!can_log_in(&app, "alice@ACME", "secret-pw").await);
        let v = app.ok(&org, "user/update", json!({"user": {"__id__": u, "is_active": true}})).await;
        assert_eq!(v["user"]["is_active"], true);
        assert!(can_log_in(&app, "alice@ACME", "secret-pw").await);
    }

    async fn inactive_department_or_rank_is_refused_on_update(app) {
        let org = app.org("ACME").await;
        let u = app.user(&org, "alice").await;
        let before = listed(&app, &org, u).await;
        let closed = inactive_department(&app, &org).await;
        let retired = inactive_rank(&app, &org).await;
        let msg = app.err(&org, "user/update", json!({"user": {"__id__": u, "department": {"__id__": closed}}}), 409).await;
        assert!(msg.contains("inactive"), "{msg}");
        let msg = app.err(&org, "user/update", json!({"user": {"__id__": u, "rank": {"__id__": retired}}}), 409).await;
        assert!(msg.contains("inactive"), "{msg}");
        // Refused as a whole: the other changes of the same request are not applied either.
        app.err(&org, "user/update", json!({"user": {"__id__": u, "display_name": "Changed", "department": {"__id__": closed}}}), 409).await;
        assert_eq!(listed(&app, &org, u).await, before);
    }

    async fn update_to_a_rank_or_department_of_another_organization_is_not_found(app) {
        let org = app.org("ACME").await;
        let other = app.org("BETA").await;
        let u = app.user(&org, "alice").await;
        let before = listed(&app, &org, u).await;
        let (their_dept, their_rank) = placement(&app, &other).await;
        app.err(&org, "user/update", json!({"user": {"__id__": u, "department": {"__id__": their_dept}}}), 404).await;
        app.err(&org, "user/update", json!({"user": {"__id__": u, "rank": {"__id__": their_rank}}}), 404).await;
        assert_eq!(listed(&app, &org, u).await, before);
    }

    async fn update_needs_the_users_id(app) {
        let org = app.org("ACME").await;
        app.user(&org, "alice").await;
        let msg = bad_request(&app, &org, "user/update", json!({"user": {"display_name": "x"}})).await;
        assert_eq!(msg, "user.__id__ is required.");
        app.err(&org, "user/update", json!({"user": {"__id__": 999_999, "display_name": "x"}}), 404).await;
    }

    async fn update_checks_the_field_rules(app) {
        let org = app.org("ACME").await;
        let u = app.user(&org, "alice").await;
        let before = listed(&app, &org, u).await;
        for (field, value) in [("email", json!("nope")), ("display_name", json!(" ")), ("__client_extra__", json!(5))] {
            bad_request(&app, &org, "user/update", json!({"user": {"__id__": u, field: value}})).await;
        }
        assert_eq!(listed(&app, &org, u).await, before);
    }

    // ---------------------------------------------------------------- activate / inactivate

    async fn inactivate_and_activate_switch_is_active(app) {
        let org = app.org("ACME").await;
        let u = app.user(&org, "alice").await;
        let other = app.user(&org, "bob").await;
        let v = app.ok(&org, "user/inactivate", json!({"user": {"__id__": u}})).await;
        assert_eq!(v, json!({"RESPONSE": "OK"}));
        assert_eq!(listed(&app, &org, u).await["is_active"], false);
        assert_eq!(listed(&app, &org, other).await["is_active"], true);
        assert!(!can_log_in(&app, "alice@ACME", "secret-pw").await);
        // Inactivating twice is harmless.
        app.ok(&org, "user/inactivate", json!({"user": {"__id__": u}})).await;
        let v = app.ok(&org, "user/activate", json!({"user": {"__id__": u, "__model__": "UserProfile"}})).await;
        assert_eq!(v, json!({"RESPONSE": "OK"}));
        assert_eq!(listed(&app, &org, u).await["is_active"], true);
        assert!(can_log_in(&app, "alice@ACME", "secret-pw").await);
    }

    async fn inactive_users_leave_all_users_and_come_back_when_activated(app) {
        let org = app.org("ACME").await;
        let a = app.user(&org, "alice").await;
        let b = app.user(&org, "bob").await;
        assert_eq!(members_of(&app, &org, "All Users").await, [a, b]);
        app.ok(&org, "user/inactivate", json!({"user": {"__id__": a}})).await;
        assert_eq!(members_of(&app, &org, "All Users").await, [b]);
        app.ok(&org, "user/activate", json!({"user": {"__id__": a}})).await;
        assert_eq!(members_of(&app, &org, "All Users").await, [a, b]);
    }

    async fn activate_and_inactivate_of_unknown_users_are_not_found(app) {
        let org = app.org("ACME").await;
        for path in ["user/activate", "user/inactivate", "user/delete"] {
            assert_eq!(app.err(&org, path, json!({"user": {"__id__": 999_999}}), 404).await, "User 999999 does not exist.");
            assert_eq!(bad_request(&app, &org, path, json!({"user": {}})).await, "user.__id__ is required.");
            assert_eq!(bad_request(&app, &org, path, json!({})).await, "user is required.");
        }
    }

    // ---------------------------------------------------------------- user/delete

    async fn delete_removes_the_user(app) {
        let org = app.org("ACME").await;
        let a = app.user(&org, "alice").await;
        app.user(&org, "bob").await;
        let v = app.ok(&org, "user/delete", json!({"user": {"__id__": a}})).await;
        assert_eq!(v, json!({"RESPONSE": "OK"}));
        assert_eq!(usernames(&app, &org).await, ["bob@ACME"]);
        assert!(!can_log_in(&app, "alice@ACME", "secret-pw").await);
        app.err(&org, "user/delete", json!({"user": {"__id__": a}}), 404).await;
        app.err(&org, "user/update", json!({"user": {"__id__": a, "display_name": "x"}}), 404).await;
        // The login is free again.
        app.user(&org, "alice").await;
        assert_eq!(usernames(&app, &org).await, ["bob@ACME", "alice@ACME"]);
    }

    async fn deleting_a_department_head_fails_with_the_spec_message(app) {
        let org = app.org("ACME").await;
        let u = app.user(&org, "alice").await;
        let mis = app.id_of(&org, "department", "MIS Department").await;
        app.ok(&org, "department/update", json!({"department": {"__id__": mis, "department_head": {"__id__": u}}})).await;
        exact_err(&app, &org, "user/delete", json!({"user": {"__id__": u}}), 409,
            "Cannot delete user who is the head of <QuerySet [<Department: MIS Department>]>").await;
        assert_eq!(usernames(&app, &org).await, ["alice@ACME"]);
        // Heading two departments lists both.
        let hr = app.id_of(&org, "department", "HR Department").await;
        app.ok(&org, "department/update", json!({"department": {"__id__": hr, "department_head": {"__id__": u}}})).await;
        exact_err(&app, &org, "user/delete", json!({"user": {"__id__": u}}), 409,
            "Cannot delete user who is the head of <QuerySet [<Department: MIS Department>, <Department: HR Department>]>").await;
        // Once no longer a head, the user can be deleted.
        for d in [mis, hr] {
            app.ok(&org, "department/update", json!({"department": {"__id__": d, "department_head": null}})).await;
        }
        app.ok(&org, "user/delete", json!({"user": {"__id__": u}})).await;
        assert_eq!(users(&app, &org).await.len(), 0);
    }

    async fn deleting_a_user_removes_them_from_groups(app) {
        let org = app.org("ACME").await;
        let a = app.user(&org, "alice").await;
        let b = app.user(&org, "bob").await;
        app.ok(&org, "group/create", json!({"group": {"name": "Team"}, "users": [{"__id__": a}, {"__id__": b}]})).await;
        assert_eq!(members_of(&app, &org, "Team").await, [a, b]);
        app.ok(&org, "user/delete", json!({"user": {"__id__": a}})).await;
        assert_eq!(members_of(&app, &org, "Team").await, [b]);
        assert_eq!(members_of(&app, &org, "All Users").await, [b]);
        // A new user with the same login is not a member.
        let a2 = app.user(&org, "alice").await;
        assert_eq!(members_of(&app, &org, "Team").await, [b]);
        assert_eq!(members_of(&app, &org, "All Users").await, [b, a2]);
    }

    // ---------------------------------------------------------------- tenancy

    async fn another_organizations_users_are_invisible_and_untouchable(app) {
        let a = app.org("ACME").await;
        let b = app.org("BETA").await;
        let theirs = app.user(&b, "bob").await;
        let before = users(&app, &b).await;
        assert_eq!(users(&app, &a).await.len(), 0);
        let (dept, rank) = placement(&app, &a).await;
        let attempts = [
            ("user/update", json!({"user": {"__id__": theirs, "display_name": "Hacked", "is_active": false}})),
            ("user/update", json!({"user": {"__id__": theirs, "department": {"__id__": dept}, "rank": {"__id__": rank}}})),
            ("user/inactivate", json!({"user": {"__id__": theirs}})),
            ("user/activate", json!({"user": {"__id__": theirs}})),
            ("user/delete", json!({"user": {"__id__": theirs}})),
        ];
        for (path, body) in attempts {
            let msg = app.err(&a, path, body, 404).await;
            assert_eq!(msg, format!("User {theirs} does not exist."));
        }
        assert_eq!(users(&app, &b).await, before);
        assert!(can_log_in(&app, "bob@BETA", "secret-pw").await);
    }

    // ---------------------------------------------------------------- bad input

    async fn malformed_user_requests_are_refused_in_the_omnibpm_error_form(app) {
        let org = app.org("ACME").await;
        let u = app.user(&org, "alice").await;
        let before = users(&app, &org).await;
        let (dept, rank) = placement(&app, &org).await;
        let good = new_user(&org, "new", dept, rank);
        let with = |field: &str, value: Value| {
            let mut b = good.clone();
            b[field] = value;
            json!({"user": b})
        };
        let cases = [
            ("user/create", json!({"user": "alice@ACME"})),
            ("user/create", json!({"user": [good.clone()]})),
            ("user/create", with("__model__", json!("GroupProfile"))),
            ("user/create", with("rank", json!({"__id__": format!("id-{rank}")}))),
            ("user/create", with("rank", json!(rank))),
            ("user/create", with("rank", json!({"__id__": rank, "__model__": "Department"}))),
            ("user/create", with("department", json!({"__id__": dept, "__model__": "UserRank"}))),
            ("user/create", with("department", json!({}))),
            ("user/create", with("username", json!(42))),
            ("user/create", with("is_active", json!("yes"))),
            ("user/create", with("is_external", json!(1))),
            ("user/create", with("display_name", json!(["a"]))),
            ("user/update", json!({"user": {"__id__": format!("id-{u}"), "display_name": "x"}})),
            ("user/update", json!({"user": {"__id__": u, "is_active": "false"}})),
            ("user/update", json!({"user": {"__id__": u, "__model__": "Department"}})),
            ("user/update", json!({"user": {"__id__": u, "rank": {"__id__": 1.5}}})),
            ("user/delete", json!({"user": {"__id__": format!("id-{u}")}})),
            ("user/delete", json!({"user": {"__id__": u, "__model__": "UserRank"}})),
            ("user/activate", json!({"user": {"__id__": null}})),
            ("user/inactivate", json!({"user": u})),
        ];
        for (path, body) in cases {
            bad_request(&app, &org, path, body).await;
        }
        let msg = bad_request(&app, &org, "user/create", with("rank", json!({"__id__": "five"}))).await;
        assert!(msg.contains("user.rank.__id__"), "the path of the bad value is named: {msg}");
        let msg = bad_request(&app, &org, "user/update", json!({"user": {"__id__": "one"}})).await;
        assert!(msg.contains("user.__id__"), "{msg}");
        let msg = bad_request(&app, &org, "user/create", with("__model__", json!("GroupProfile"))).await;
        assert!(msg.contains("__model__"), "{msg}");
        assert_eq!(users(&app, &org).await, before);
    }

    // ---------------------------------------------------------------- organization/importusers

    async fn importusers_creates_users_with_every_documented_field(app) {
        let org = app.org("ACME").await;
        let (dept, rank) = placement(&app, &org).await;
        let hr = app.id_of(&org, "department", "HR Department").await;
        let manager = app.id_of(&org, "rank", "Manager").await;
        let v = app.ok(&org, "organization/importusers", json!({"users": [
            {
                "is_external": false,
                "display_name": "Super New User",
                "username": "new2@ACME",
                "email": "new2@email.com",
                "is_active": true,
                "department": {"__id__": dept},
                "rank": {"__id__": rank}
            },
            {
                "is_external": true,
                "display_name": "Outside Helper",
                "username": "helper@ACME",
                "email": "helper@email.com",
                "is_active": false,
                "department": {"__id__": hr, "__model__": "Department"},
                "rank": {"__id__": manager, "__model__": "UserRank"}
            }
        ]})).await;
        assert_eq!(v, json!({"RESPONSE": "OK"}));
        let list = users(&app, &org).await;
        assert_eq!(list.len(), 2);
        let u = &list[0];
        assert_eq!(u["__model__"], "UserProfile");
        assert_eq!(u["username"], "new2@ACME");
        assert_eq!(u["display_name"], "Super New User");
        assert_eq!(u["email"], "new2@email.com");
        assert_eq!((&u["is_active"], &u["is_external"]), (&json!(true), &json!(false)));
        assert_eq!((&u["department_id"], &u["rank_id"]), (&json!(dept), &json!(rank)));
        assert_eq!(u["organization_id"], org.id);
        let h = &list[1];
        assert_eq!(h["username"], "helper@ACME");
        assert_eq!((&h["is_active"], &h["is_external"]), (&json!(false), &json!(true)));
        assert_eq!((&h["department_name"], &h["rank_name"]), (&json!("HR Department"), &json!("Manager")));
        assert_eq!(members_of(&app, &org, "All Users").await, [id(u)]);
        // helper is external but inactive: not in External Users.
        assert_eq!(members_of(&app, &org, "External Users").await, Vec::<i64>::new());
    }

    async fn importusers_sets_an_optional_password(app) {
        let org = app.org("ACME").await;
        let (dept, rank) = placement(&app, &org).await;
        let mut with_pw = import_entry(&org, "pw", dept, rank);
        with_pw["password"] = json!("imported-pw");
        let without = import_entry(&org, "nopw", dept, rank);
        app.ok(&org, "organization/importusers", json!({"users": [with_pw, without]})).await;
        assert!(can_log_in(&app, "pw@ACME", "imported-pw").await);
        assert!(!can_log_in(&app, "nopw@ACME", "imported-pw").await);
        assert!(!mentions_password(&app.ok(&org, "user/list", json!({})).await));
    }

    async fn importusers_updates_existing_users_matched_by_login(app) {
        let org = app.org("ACME").await;
        let (dept, rank) = placement(&app, &org).await;
        let alice = app.user(&org, "alice").await;
        let hr = app.id_of(&org, "department", "HR Department").await;
        let manager = app.id_of(&org, "rank", "Manager").await;
        let mut changed = import_entry(&org, "ALICE", hr, manager);
        changed["display_name"] = json!("Alice Imported");
        changed["email"] = json!("alice.new@example.com");
        changed["is_external"] = json!(true);
        let fresh = import_entry(&org, "bob", dept, rank);
        app.ok(&org, "organization/importusers", json!({"users": [changed.clone(), fresh.clone()]})).await;
        let list = users(&app, &org).await;
        assert_eq!(list.len(), 2, "alice is updated, not duplicated: {list:?}");
        let a = &list[0];
        assert_eq!(id(a), alice);
        assert_eq!(a["username"], "alice@ACME", "the login keeps its spelling");
        assert_eq!(a["display_name"], "Alice Imported");
        assert_eq!(a["email"], "alice.new@example.com");
        assert_eq!(a["is_external"], true);
        assert_eq!((&a["department_name"], &a["rank_name"]), (&json!("HR Department"), &json!("Manager")));
        assert!(can_log_in(&app, "alice@ACME", "secret-pw").await, "no password given: it stays");
        assert_eq!(members_of(&app, &org, "External Users").await, [alice]);
        // Re-running the same import changes nothing.
        let snapshot = users(&app, &org).await;
        app.ok(&org, "organization/importusers", json!({"users": [changed, fresh]})).await;
        assert_eq!(users(&app, &org).await, snapshot);
    }

    async fn importusers_matches_logins_without_regard_to_case_beyond_ascii(app) {
        let org = app.org("ACME").await;
        let (dept, rank) = placement(&app, &org).await;
        let u = app.user(&org, "ärger").await;
        let mut e = import_entry(&org, "ÄRGER", dept, rank);
        e["display_name"] = json!("Updated");
        app.ok(&org, "organization/importusers", json!({"users": [e]})).await;
        let list = users(&app, &org).await;
        assert_eq!(list.len(), 1, "{list:?}");
        assert_eq!((id(&list[0]), &list[0]["display_name"]), (u, &json!("Updated")));
        // In one batch, the same login in two spellings is refused.
        let batch = json!({"users": [import_entry(&org, "élan", dept, rank), import_entry(&org, "ÉLAN", dept, rank)]});
        let msg = app.err(&org, "organization/importusers", batch, 400).await;
        assert!(msg.contains("users[1]"), "{msg}");
        assert_eq!(users(&app, &org).await.len(), 1);
    }

    async fn importusers_can_inactivate_an_existing_user(app) {
        let org = app.org("ACME").await;
        let (dept, rank) = placement(&app, &org).await;
        let alice = app.user(&org, "alice").await;
        let mut entry = import_entry(&org, "alice", dept, rank);
        entry["is_active"] = json!(false);
        app.ok(&org, "organization/importusers", json!({"users": [entry]})).await;
        assert_eq!(listed(&app, &org, alice).await["is_active"], false);
        assert!(!can_log_in(&app, "alice@ACME", "secret-pw").await);
    }

    async fn importusers_is_all_or_nothing(app) {
        let org = app.org("ACME").await;
        let other = app.org("BETA").await;
        let (dept, rank) = placement(&app, &org).await;
        let (their_dept, _) = placement(&app, &other).await;
        let closed = inactive_department(&app, &org).await;
        let retired = inactive_rank(&app, &org).await;
        app.user(&org, "alice").await;
        let before = users(&app, &org).await;
        let mut alice_changed = import_entry(&org, "alice", dept, rank);
        alice_changed["display_name"] = json!("Should not stick");
        let bad_entries = [
            (import_entry(&org, "bad", closed, rank), 409),
            (import_entry(&org, "bad", dept, retired), 409),
            (import_entry(&org, "bad", their_dept, rank), 404),
            (import_entry(&org, "bad", 999_999, rank), 404),
            ({ let mut e = import_entry(&org, "bad", dept, rank); e["username"] = json!("bad@BETA"); e }, 400),
            ({ let mut e = import_entry(&org, "bad", dept, rank); e["username"] = json!("bad"); e }, 400),
            ({ let mut e = import_entry(&org, "bad", dept, rank); e["email"] = json!("not-an-address"); e }, 400),
            ({ let mut e = import_entry(&org, "bad", dept, rank); e["email"] = json!(""); e }, 400),
            ({ let mut e = import_entry(&org, "bad", dept, rank); e["display_name"] = json!(""); e }, 400),
            ({ let mut e = import_entry(&org, "bad", dept, rank); e["password"] = json!(""); e }, 400),
            ({ let mut e = import_entry(&org, "bad", dept, rank); e["rank"]["__model__"] = json!("Department"); e }, 400),
            // The same login twice in one batch (case-insensitively).
            (import_entry(&org, "NEW1", dept, rank), 400),
        ];
        for (bad, status) in bad_entries {
            let batch = json!({"users": [
                import_entry(&org, "new1", dept, rank),
                alice_changed.clone(),
                import_entry(&org, "new2", dept, rank),
                bad.clone()
            ]});
            let msg = app.err(&org, "organization/importusers", batch, status).await;
            assert!(msg.contains("users[3]"), "the bad entry is named ({bad}): {msg}");
            assert_eq!(users(&app, &org).await, before, "nothing of the batch is written ({bad})");
        }
        assert_eq!(usernames(&app, &other).await, Vec::<String>::new());
        // The bad entry first is named as users[0].
        let msg = app.err(&org, "organization/importusers",
            json!({"users": [import_entry(&org, "bad", closed, rank), import_entry(&org, "fine", dept, rank)]}), 409).await;
        assert!(msg.contains("users[0]"), "{msg}");
        assert_eq!(users(&app, &org).await, before);
    }

    async fn importusers_requires_every_documented_field(app) {
        let org = app.org("ACME").await;
        let (dept, rank) = placement(&app, &org).await;
        for field in ["display_name", "username", "email", "is_external", "is_active", "department", "rank"] {
            let mut bad = import_entry(&org, "bad", dept, rank);
            bad.as_object_mut().unwrap().remove(field);
            let batch = json!({"users": [import_entry(&org, "good", dept, rank), bad]});
            let msg = bad_request(&app, &org, "organization/importusers", batch).await;
            assert!(msg.contains("users[1]"), "the entry is named ({field}): {msg}");
            assert!(msg.contains(field), "the field is named: {msg}");
            // null is not a value either.
            let mut bad = import_entry(&org, "bad", dept, rank);
            bad[field] = json!(null);
            let batch = json!({"users": [import_entry(&org, "good", dept, rank), bad]});
            let msg = bad_request(&app, &org, "organization/importusers", batch).await;
            assert!(msg.contains("users[1]"), "the entry is named ({field} null): {msg}");
        }
        assert_eq!(users(&app, &org).await.len(), 0);
    }

    async fn importusers_refuses_wrong_types_and_a_missing_list(app) {
        let org = app.org("ACME").await;
        let (dept, rank) = placement(&app, &org).await;
        let entry = import_entry(&org, "x", dept, rank);
        assert_eq!(bad_request(&app, &org, "organization/importusers", json!({})).await, "users is required.");
        let with = |field: &str, value: Value| {
            let mut e = entry.clone();
            e[field] = value;
            json!({"users": [e]})
        };
        let cases = [
            json!({"users": entry.clone()}),
            json!({"users": "x@ACME"}),
            json!({"users": [entry.clone(), 5]}),
            with("is_active", json!("true")),
            with("is_external", json!(0)),
            with("department", json!({"__id__": format!("id-{dept}")})),
            with("rank", json!(rank)),
            with("username", json!(["x@ACME"])),
        ];
        for body in cases {
            bad_request(&app, &org, "organization/importusers", body).await;
        }
        assert_eq!(users(&app, &org).await.len(), 0);
        // An empty list is fine and does nothing.
        assert_eq!(app.ok(&org, "organization/importusers", json!({"users": []})).await, json!({"RESPONSE": "OK"}));
    }

    async fn importusers_cannot_reach_another_organization(app) {
        let a = app.org("ACME").await;
        let b = app.org("BETA").await;
        let bob = app.user(&b, "bob").await;
        let before = users(&app, &b).await;
        let (dept, rank) = placement(&app, &a).await;
        // A username of the other organization is refused, not matched.
        let mut e = import_entry(&a, "bob", dept, rank);
        e["username"] = json!("bob@BETA");
        app.err(&a, "organization/importusers", json!({"users": [e]}), 400).await;
        // The same login in this organization makes a new user here.
        app.ok(&a, "organization/importusers", json!({"users": [import_entry(&a, "bob", dept, rank)]})).await;
        assert_eq!(usernames(&app, &a).await, ["bob@ACME"]);
        assert_ne!(id(&users(&app, &a).await[0]), bob);
        assert_eq!(users(&app, &b).await, before);
    }

    async fn ids_written_as_numeric_strings_are_accepted(app) {
        // The spec's own examples send `"__id__": "52"` (document/reject, document/cc).
        let org = app.org("ACME").await;
        let u = app.user(&org, "alice").await;
        let v = app
            .ok(&org, "user/update", json!({"user": {"__id__": u.to_string(), "display_name": "Alice"}}))
            .await;
        assert_eq!(v["user"]["display_name"], "Alice");
        assert_eq!(v["user"]["__id__"], u);
    }

    async fn concurrent_imports_keep_each_all_or_nothing(app) {
        // Writers that fail after writing share commits with writers that succeed (SQLite's
        // group commit): each failed import must leave nothing, each good one everything.
        let org = app.org("ACME").await;
        let dept = app.id_of(&org, "department", "MIS Department").await;
        let rank = app.id_of(&org, "rank", "Specialist").await;
        let bad_dept = inactive_department(&app, &org).await;
        let calls = (0..16).map(|i| {
            let mut users: Vec<Value> = (0..5).map(|j| import_entry(&org, &format!("u{i}x{j}"), dept, rank)).collect();
            if i % 2 == 1 {
                users.push(import_entry(&org, &format!("u{i}bad"), bad_dept, rank));
            }
            let mut body = json!({"users": users});
            body["api_key"] = json!(org.key);
            let app = &app;
            async move { app.omni("organization/importusers", body).await.0 }
        });
        let statuses = futures::future::join_all(calls).await;
        for (i, s) in statuses.iter().enumerate() {
            assert_eq!(*s, if i % 2 == 1 { 409 } else { 200 }, "import {i}");
        }
        let mut names = usernames(&app, &org).await;
        names.sort();
        let mut want: Vec<String> = (0..16)
            .filter(|i| i % 2 == 0)
            .flat_map(|i| (0..5).map(move |j| format!("u{i}x{j}@ACME")))
            .collect();
        want.sort();
        assert_eq!(names, want);
    }

    async fn writes_cancelled_by_departing_clients_leave_all_or_nothing(app) {
        // Clients that give up mid-request cancel their writers anywhere: waiting for the
        // writer, inside their transaction, or during the commit. Each import must still be
        // all or nothing, and the server must go on writing.
        let org = app.org("ACME").await;
        let dept = app.id_of(&org, "department", "MIS Department").await;
        let rank = app.id_of(&org, "rank", "Specialist").await;
        let impatient = reqwest::Client::new();
        for round in 0..3 {
            let calls = (0..24).map(|i| {
                let users: Vec<Value> = (0..20)
                    .map(|j| import_entry(&org, &format!("r{round}i{i}x{j}"), dept, rank))
                    .collect();
                let body = json!({"api_key": org.key, "users": users});
                let (client, url) = (&impatient, format!("{}/api/v0.1/organization/importusers/", app.url));
                // Patience from 2 to 46 ms: some finish, the others give up at every stage.
                let patience = std::time::Duration::from_millis(2 + (i as u64 % 12) * 4);
                async move { client.post(url).timeout(patience).json(&body).send().await.map(|r| r.status().as_u16()) }
            });
            futures::future::join_all(calls).await;
        }
        // The server still writes.
        let v = app.ok(&org, "organization/importusers", json!({"users": [import_entry(&org, "after", dept, rank)]})).await;
        assert_eq!(v["RESPONSE"], "OK");
        let names = usernames(&app, &org).await;
        assert!(names.contains(&"after@ACME".to_string()));
        // Every import is all or nothing.
        for round in 0..3 {
            for i in 0..24 {
                let n = names.iter().filter(|u| u.starts_with(&format!("r{round}i{i}x"))).count();
                assert!(n == 0 || n == 20, "import {round}/{i} left {n} of 20 users");
            }
        }
    }
}
