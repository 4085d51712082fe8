//! Brity user management: create/modify, search and delete, tenant administrators only,
//! the representative administrator rule, tenant isolation, bad input, and users made
//! through Brity seen by the other dialects.

use crate::both;
use crate::brity_client::{brity, brity_admin, brity_user};
use crate::brity_tenant::{assert_coded, ok};
use crate::helpers::TestApp;
use crate::plusworkflow_client::org_token;
use reqwest::Method;
use serde_json::{json, Value};

const USER: &str = "/tenant/api/v1/private/user";

fn user_path(login: &str, tenant: &str) -> String {
    format!("{USER}/{login}/{tenant}")
}

/// The OmniBPM user `login@ABBR` from `user/list`, if listed.
async fn omni_user(app: &TestApp, org: &crate::helpers::Org, login: &str) -> Option<Value> {
    let list = app.ok(org, "user/list", json!({})).await;
    let username = format!("{login}@{}", org.abbr);
    list["users"]
        .as_array()
        .expect("users")
        .iter()
        .find(|u| u["username"] == username.as_str())
        .cloned()
}

both! {
    async fn users_are_created_modified_found_and_deleted(app) {
        let a = app.org("AAA").await;
        let (_, boss) = brity_admin(&app, &a, "boss").await;

        // The spec's example creates a user; the answer has exactly the documented fields.
        let v = ok(&app, &boss, Method::POST, USER, Some(json!({
            "userId": "test", "userNm": "testman", "email": "testman@samsung.com",
            "tenantId": "AAA", "cmpnyNm": "SamsungSDS", "deptNm": "Samsung SDS department",
            "phoneNumber": "phone number", "createUserAlarmInfo": 1
        }))).await;
        let created = json!({
            "userNm": "testman", "createUserId": "boss", "phoneNumber": "phone number",
            "updateUserId": "boss", "cmpnyNm": "SamsungSDS", "statusCd": "STS_010100",
            "deptNm": "Samsung SDS department", "userId": "test", "email": "testman@samsung.com"
        });
        assert_eq!(v, created);
        assert_eq!(ok(&app, &boss, Method::GET, &user_path("test", "AAA"), None).await, created);
        assert_eq!(ok(&app, &boss, Method::GET, &user_path("TEST", "aaa"), None).await, created);

        // The same user in every dialect: OmniBPM lists it.
        let omni = omni_user(&app, &a, "test").await.expect("OmniBPM lists the Brity user");
        assert_eq!((&omni["display_name"], &omni["email"], &omni["is_admin"]),
            (&json!("testman"), &json!("testman@samsung.com"), &json!(false)));

        // A second request for the login modifies it; absent fields keep their value, and
        // the last updater is recorded.
        let org = org_token(&app, &a).await;
        let v = ok(&app, &org, Method::POST, USER, Some(json!({
            "userId": "Test", "userNm": "Test Man", "phoneNumber": "+1 555 0100"
        }))).await;
        assert_eq!(v, json!({
            "userNm": "Test Man", "createUserId": "boss", "phoneNumber": "+1 555 0100",
            "updateUserId": null, "cmpnyNm": "SamsungSDS", "statusCd": "STS_010100",
            "deptNm": "Samsung SDS department", "userId": "test", "email": "testman@samsung.com"
        }));
        let omni = omni_user(&app, &a, "test").await.expect("still listed");
        assert_eq!(omni["display_name"], "Test Man");
        assert_eq!(omni_user(&app, &a, "Test").await, None, "no second user was made");

        // Without a Brity department name, the user's primary unit is shown; OmniBPM users
        // are Brity users too. Inactive users have another status.
        app.user(&a, "omni").await;
        let v = ok(&app, &boss, Method::GET, &user_path("omni", "AAA"), None).await;
        assert_eq!((&v["deptNm"], &v["createUserId"], &v["cmpnyNm"]), (&json!("MIS Department"), &Value::Null, &json!("")));
        app.ok(&a, "user/inactivate", json!({"user": {"__id__": omni_user(&app, &a, "omni").await.unwrap()["__id__"]}})).await;
        let v = ok(&app, &boss, Method::GET, &user_path("omni", "AAA"), None).await;
        assert_eq!(v["statusCd"], "STS_010200");

        // A password (Sluice's addition) lets the user sign in.
        ok(&app, &boss, Method::POST, USER, Some(json!({"userId": "pw", "userNm": "Pw", "password": "pw-secret-1"}))).await;
        let (s, _) = app.token(&[("grant_type", "password"), ("username", "pw@AAA"), ("password", "pw-secret-1")]).await;
        assert_eq!(s, 200);

        // Deletion.
        let v = ok(&app, &boss, Method::DELETE, &user_path("test", "AAA"), None).await;
        assert_eq!(v, json!({"result": "SUCCESS"}));
        let r = brity(&app, Method::GET, Some(&boss), None, &user_path("test", "AAA"), None).await;
        assert_coded(&r, 404, "OBJECT_IS_NOT_EXIST");
        let r = brity(&app, Method::DELETE, Some(&boss), None, &user_path("test", "AAA"), None).await;
        assert_coded(&r, 404, "OBJECT_IS_NOT_EXIST");
        assert_eq!(omni_user(&app, &a, "test").await, None);
    }

    async fn the_representative_administrator_cannot_be_deleted(app) {
        let a = app.org("AAA").await;
        let (_, boss) = brity_admin(&app, &a, "boss").await;
        let (_, second) = brity_admin(&app, &a, "second").await;
        // Neither the representative itself nor another administrator may delete it.
        for token in [&boss, &second] {
            let r = brity(&app, Method::DELETE, Some(token), None, &user_path("boss", "AAA"), None).await;
            assert_coded(&r, 409, "INVALID_STATE");
            assert!(r.body["params"].as_str().unwrap().contains("representative"), "{}", r.body);
        }
        ok(&app, &boss, Method::GET, &user_path("boss", "AAA"), None).await;
        // Other administrators may be deleted.
        ok(&app, &boss, Method::DELETE, &user_path("second", "AAA"), None).await;
        // A department head may not (the rule every dialect keeps).
        let head = app.user(&a, "head").await;
        let mis = app.id_of(&a, "department", "MIS Department").await;
        app.ok(&a, "department/update", json!({"department": {"__id__": mis, "department_head": {"__id__": head}}})).await;
        let r = brity(&app, Method::DELETE, Some(&boss), None, &user_path("head", "AAA"), None).await;
        assert_coded(&r, 409, "INVALID_STATE");
    }

    async fn only_tenant_administrators_manage_users(app) {
        let a = app.org("AAA").await;
        let (_, boss) = brity_admin(&app, &a, "boss").await;
        let (_, ana) = brity_user(&app, &a, "ana").await;
        let body = json!({"userId": "new", "userNm": "New"});
        for (token, user_auth) in [(&ana, None), (&boss, Some(ana.as_str()))] {
            let r = brity(&app, Method::POST, Some(token), user_auth, USER, Some(body.clone())).await;
            assert_coded(&r, 403, "NO_AUTHORITY");
            let r = brity(&app, Method::GET, Some(token), user_auth, &user_path("boss", "AAA"), None).await;
            assert_coded(&r, 403, "NO_AUTHORITY");
            let r = brity(&app, Method::DELETE, Some(token), user_auth, &user_path("ana", "AAA"), None).await;
            assert_coded(&r, 403, "NO_AUTHORITY");
        }
        let r = brity(&app, Method::GET, Some(&boss), None, &user_path("new", "AAA"), None).await;
        assert_coded(&r, 404, "OBJECT_IS_NOT_EXIST");
        ok(&app, &boss, Method::GET, &user_path("ana", "AAA"), None).await;
        let r = brity(&app, Method::POST, None, None, USER, Some(body)).await;
        assert_coded(&r, 401, "UNAUTHORIZED");
    }

    async fn tenants_are_isolated_and_bad_input_writes_nothing(app) {
        let a = app.org("AAA").await;
        let b = app.org("BBB").await;
        let (_, boss) = brity_admin(&app, &a, "boss").await;
        let (_, boss_b) = brity_admin(&app, &b, "boss").await;
        app.user(&b, "bob").await;

        // Another tenant's id is not available, in the path and in the body.
        for (method, path) in [(Method::GET, user_path("bob", "BBB")), (Method::DELETE, user_path("bob", "BBB")), (Method::GET, user_path("boss", "NOPE"))] {
            let r = brity(&app, method, Some(&boss), None, &path, None).await;
            assert_coded(&r, 404, "NOT_AVAILABLE_TENANT");
            assert_eq!(r.body["errorCode"], "TENANT_T2");
        }
        let r = brity(&app, Method::POST, Some(&boss), None, USER, Some(json!({"userId": "x", "userNm": "X", "tenantId": "BBB"}))).await;
        assert_coded(&r, 404, "NOT_AVAILABLE_TENANT");
        // Another tenant's user is not found in one's own tenant.
        let r = brity(&app, Method::GET, Some(&boss), None, &user_path("bob", "AAA"), None).await;
        assert_coded(&r, 404, "OBJECT_IS_NOT_EXIST");
        // The same login in two tenants is two users.
        ok(&app, &boss, Method::POST, USER, Some(json!({"userId": "bob", "userNm": "Bob of A"}))).await;
        let v = ok(&app, &boss_b, Method::GET, &user_path("bob", "BBB"), None).await;
        assert_eq!(v["userNm"], "bob");

        for body in [
            json!({"userNm": "No id"}),
            json!({"userId": "", "userNm": "Empty"}),
            json!({"userId": "a b", "userNm": "Space"}),
            json!({"userId": "fresh"}),
            json!({"userId": "fresh", "userNm": " "}),
            json!({"userId": "fresh", "userNm": "F", "email": "not-an-address"}),
            json!({"userId": "fresh", "userNm": "F", "cmpnyNm": "x".repeat(201)}),
            json!({"userId": "fresh", "userNm": "F", "phoneNumber": "1\u{0}2"}),
            json!({"userId": "fresh", "userNm": "F", "password": ""}),
            json!({"userId": 7, "userNm": "F"}),
            json!(["fresh"]),
        ] {
            let r = brity(&app, Method::POST, Some(&boss), None, USER, Some(body.clone())).await;
            assert_coded(&r, 400, "INVALID_PARAMETER");
        }
        let r = brity(&app, Method::POST, Some(&boss), None, USER, None).await;
        assert_coded(&r, 400, "INVALID_PARAMETER");
        let res = app.client.post(format!("{}{USER}", app.url)).bearer_auth(&boss)
            .header("content-type", "application/json").body("{\"userId\": ").send().await.unwrap();
        assert_eq!(res.status(), 400);
        let r = brity(&app, Method::GET, Some(&boss), None, &user_path("fresh", "AAA"), None).await;
        assert_coded(&r, 404, "OBJECT_IS_NOT_EXIST");
        // A modification with a bad field changes nothing.
        let r = brity(&app, Method::POST, Some(&boss), None, USER, Some(json!({"userId": "bob", "userNm": "Changed", "email": "bad"}))).await;
        assert_coded(&r, 400, "INVALID_PARAMETER");
        let v = ok(&app, &boss, Method::GET, &user_path("bob", "AAA"), None).await;
        assert_eq!(v["userNm"], "Bob of A");
        // Paths that cannot name a user.
        let r = brity(&app, Method::GET, Some(&boss), None, &user_path("a%20b", "AAA"), None).await;
        assert_coded(&r, 404, "OBJECT_IS_NOT_EXIST");
        let r = brity(&app, Method::PUT, Some(&boss), None, &user_path("bob", "AAA"), None).await;
        assert_coded(&r, 405, "METHOD_NOT_ALLOWED");
    }
}

both! {
    async fn nul_and_over_long_path_parameters_are_a_clear_400(app) {
        let a = app.org("AAA").await;
        let (_, boss) = brity_admin(&app, &a, "boss").await;
        let long = "x".repeat(1025);
        for (method, path) in [
            (Method::GET, format!("{USER}/bo%00ss/AAA")),
            (Method::GET, format!("{USER}/boss/AA%00A")),
            (Method::DELETE, format!("{USER}/bo%00ss/AAA")),
            (Method::GET, format!("{USER}/{long}/AAA")),
        ] {
            let r = brity(&app, method, Some(&boss), None, &path, None).await;
            assert_coded(&r, 400, "INVALID_PARAMETER");
        }
        // Nothing was deleted.
        ok(&app, &boss, Method::GET, &user_path("boss", "AAA"), None).await;
    }
}
