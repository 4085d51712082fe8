//! One identity model behind every dialect: a user, role or membership made through one
//! dialect is the same object (same id) in OmniBPM, Bonita, Questetra and PlusWorkflow, and
//! no dialect shows another organization's objects.

use crate::bonita::{admin_session, id, Bonita};
use crate::both;
use crate::helpers::{Org, TestApp};
use crate::plusworkflow_client::{
    assert_pw_error, by_roles, create_role, logins, org_token, pw_get, query, use_role, Auth,
};
use crate::questetra::{add_quser, org_client};
use serde_json::{json, Value};

/// The OmniBPM user with this id from `user/list`.
async fn omni_user(app: &TestApp, org: &Org, user: i64) -> Value {
    let list = app.ok(org, "user/list", json!({})).await;
    list["users"]
        .as_array()
        .expect("users")
        .iter()
        .find(|u| u["__id__"] == user)
        .unwrap_or_else(|| panic!("user {user} not in OmniBPM's list: {list}"))
        .clone()
}

/// The PlusWorkflow UserInfo with this `objectId` among every user of the organization.
async fn pw_user(app: &TestApp, token: &str, user: i64) -> Value {
    let r = pw_get(app, Auth::Bearer(token), "users/query?limit=1000").await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["data"]
        .as_array()
        .expect("data")
        .iter()
        .find(|u| u["objectId"] == user)
        .unwrap_or_else(|| panic!("user {user} not found by PlusWorkflow: {}", r.body))
        .clone()
}

both! {
    async fn an_omnibpm_user_is_the_same_user_in_every_dialect(app) {
        let (org, bonita) = admin_session(&app, "ACME").await;
        let olga = app.user(&org, "olga").await;
        let pw = org_token(&app, &org).await;
        // Bonita: the same id, the login as userName, the display name as first name.
        let b = bonita.ok(&format!("/API/identity/user/{olga}")).await;
        assert_eq!((id(&b), &b["userName"], &b["firstname"], &b["lastname"]),
            (olga.to_string(), &json!("olga"), &json!("olga"), &json!("")));
        // Questetra.
        let q = org_client(&app, &org).await;
        let v = q.get_ok("/API/User/Quser/find", &[("id", &olga.to_string())]).await;
        assert_eq!((&v["quser"]["id"], &v["quser"]["email"]), (&json!(olga), &json!("olga@example.com")), "{v}");
        // PlusWorkflow.
        let r = pw_get(&app, Auth::Bearer(&pw), "users/by/login?username=olga").await;
        assert_eq!((r.status, &r.body["objectId"], &r.body["fullName"]), (200, &json!(olga), &json!("olga ")), "{}", r.body);
        assert_eq!(r.body["positions"][0]["name"], "MIS Department");
    }

    async fn a_bonita_user_is_seen_by_omnibpm_and_plusworkflow(app) {
        let (org, bonita) = admin_session(&app, "ACME").await;
        let pw = org_token(&app, &org).await;
        let u = bonita.created("/API/identity/user", json!({
            "userName": "walter.bates", "password": "bpm-secret", "password_confirm": "bpm-secret",
            "firstname": "Walter", "lastname": "Bates", "enabled": "true"
        })).await;
        let walter: i64 = id(&u).parse().unwrap();
        let o = omni_user(&app, &org, walter).await;
        assert_eq!((&o["username"], &o["display_name"]), (&json!("walter.bates@ACME"), &json!("Walter Bates")), "{o}");
        let p = pw_user(&app, &pw, walter).await;
        assert_eq!((&p["userName"], &p["firstName"], &p["lastName"], &p["fullName"]),
            (&json!("walter.bates"), &json!("Walter"), &json!("Bates"), &json!("Walter Bates")));
        // Found by PlusWorkflow's name prefix and login substring searches.
        assert_eq!(query(&app, &pw, "query=bat").await.1, vec!["walter.bates"]);
        assert_eq!(query(&app, &pw, "query=r.ba").await.1, vec!["walter.bates"]);
        // Its Bonita credentials work in PlusWorkflow (Basic login@ABBR).
        let r = pw_get(&app, Auth::Basic("walter.bates@ACME", "bpm-secret"), "users/current").await;
        assert_eq!(r.body["objectId"], walter, "{}", r.body);
    }

    async fn a_questetra_user_is_seen_by_omnibpm_and_plusworkflow(app) {
        let org = app.org("ACME").await;
        let pw = org_token(&app, &org).await;
        let q = org_client(&app, &org).await;
        let quinn = add_quser(&q, "Quinn Doe", "quinn@example.com").await;
        let o = omni_user(&app, &org, quinn).await;
        assert_eq!((&o["display_name"], &o["email"]), (&json!("Quinn Doe"), &json!("quinn@example.com")), "{o}");
        let p = pw_user(&app, &pw, quinn).await;
        // No first/last name: the display name is the first name.
        assert_eq!((&p["firstName"], &p["lastName"], &p["fullName"], &p["email"]),
            (&json!("Quinn Doe"), &json!(""), &json!("Quinn Doe "), &json!("quinn@example.com")));
        assert_eq!(query(&app, &pw, "query=quinn").await.0, 1);
    }

    async fn roles_made_through_questetra_and_bonita_are_found_by_plusworkflow(app) {
        let (org, bonita) = admin_session(&app, "ACME").await;
        let pw = org_token(&app, &org).await;
        let q = org_client(&app, &org).await;
        // Questetra role with a member.
        let role = q.post_ok("/API/UGA/Qrole/add", &[("name", "Approver")]).await["qrole"]["id"]
            .as_i64().unwrap();
        let jo = add_quser(&q, "Jo", "jo@example.com").await;
        q.post_ok("/API/UGA/RoleMembership/add", &[("quserId", &jo.to_string()), ("qroleId", &role.to_string())]).await;
        let found = by_roles(&app, &pw, json!([{"roleIds": ["Approver"]}])).await;
        let r = pw_get(&app, Auth::Bearer(&pw), &format!("users/by/login?username={}", found[0])).await;
        assert_eq!((found.len(), &r.body["objectId"]), (1, &json!(jo)));
        // The global Questetra role used by a process (native API) is found by processDefId.
        use_role(&app, &pw, role, json!({"package_id": "pkg", "process_id": "invoices"})).await;
        let by_process = by_roles(&app, &pw, json!([{"packageId": "pkg", "processDefId": "invoices"}])).await;
        assert_eq!(by_process, found);
        // A Bonita role held within a Bonita group: found by role name, and the group is a
        // position of the user.
        let group = bonita.created("/API/identity/group", json!({"name": "auditors"})).await;
        let brole = bonita.created("/API/identity/role", json!({"name": "member"})).await;
        let ann = app.user(&org, "ann").await;
        bonita.created("/API/identity/membership",
            json!({"user_id": ann.to_string(), "group_id": id(&group), "role_id": id(&brole)})).await;
        assert_eq!(by_roles(&app, &pw, json!([{"roleIds": ["member"]}])).await, vec!["ann"]);
        let r = pw_get(&app, Auth::Bearer(&pw), "users/by/login?username=ann").await;
        let units: Vec<&str> = r.body["positions"].as_array().unwrap().iter()
            .map(|p| p["name"].as_str().unwrap()).collect();
        assert_eq!(units, vec!["MIS Department", "auditors"]);
        // Roles made through the native API are Questetra and Bonita roles too.
        let native = create_role(&app, &pw, json!({"name": "Native"})).await;
        let v = q.get_ok("/API/User/Qrole/find", &[("id", &native.to_string())]).await;
        assert_eq!(v["qrole"]["name"], "Native", "{v}");
        let b = bonita.ok(&format!("/API/identity/role/{native}")).await;
        assert_eq!(b["name"], "Native");
    }

    async fn no_dialect_shows_another_organizations_users(app) {
        let (a, bonita_a) = admin_session(&app, "AAA").await;
        let (b, bonita_b) = admin_session(&app, "BBB").await;
        let pw_a = org_token(&app, &a).await;
        let pw_b = org_token(&app, &b).await;
        let qa = org_client(&app, &a).await;
        let qb = org_client(&app, &b).await;
        let omni_a = app.user(&a, "samename").await;
        let bonita_user_a: i64 = id(&bonita_a.created("/API/identity/user", json!({
            "userName": "bonly", "password": "bpm-secret", "firstname": "Bo", "lastname": "Only"
        })).await).parse().unwrap();
        let quser_a = add_quser(&qa, "Qonly", "qonly@example.com").await;
        app.user(&b, "samename").await;
        for user in [omni_a, bonita_user_a, quser_a] {
            // PlusWorkflow: B's searches never list A's users.
            let r = pw_get(&app, Auth::Bearer(&pw_b), "users/query?limit=1000").await;
            assert!(r.body["data"].as_array().unwrap().iter().all(|u| u["objectId"] != user), "{}", r.body);
            // Bonita: A's id is not found in B.
            assert_eq!(bonita_b.get(&format!("/API/identity/user/{user}")).await.status, 404);
            // Questetra: not found either.
            let (s, _) = qb.get("/API/User/Quser/find", &[("id", &user.to_string())]).await;
            assert_ne!(s, 200, "Questetra found {user} in the other tenant");
            // OmniBPM: not in B's list.
            let list = app.ok(&b, "user/list", json!({})).await;
            assert!(list["users"].as_array().unwrap().iter().all(|u| u["__id__"] != user));
        }
        for login in ["bonly", "qonly"] {
            assert_pw_error(&pw_get(&app, Auth::Bearer(&pw_b), &format!("users/by/login?username={login}")).await, 404);
        }
        // Searches by text in every dialect stay in the tenant.
        let (_, names) = query(&app, &pw_b, "query=only").await;
        assert!(names.is_empty(), "{names:?}");
        let r = bonita_b.get("/API/identity/user?s=only").await;
        assert_eq!(r.body.as_array().map(Vec::len), Some(0), "{}", r.body);
        let v = qb.get_ok("/API/User/Quser/list", &[("query", "only")]).await;
        assert_eq!(v["qusers"].as_array().map(Vec::len), Some(0), "{v}");
        // Each tenant's samename is its own.
        let a_same = logins(&pw_get(&app, Auth::Bearer(&pw_a), "users/query?query=samename").await.body["data"]);
        assert_eq!(a_same, vec!["samename"]);
        let r = pw_get(&app, Auth::Bearer(&pw_a), "users/by/login?username=samename").await;
        assert_eq!(r.body["objectId"], omni_a);
        // Basic credentials of B's administrator see only B.
        let bb = Bonita::login(&app, "boss@BBB", "secret-pw").await;
        assert_eq!(bb.get(&format!("/API/identity/user/{omni_a}")).await.status, 404);
    }
}
