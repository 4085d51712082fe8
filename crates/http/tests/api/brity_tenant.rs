//! Brity tenant search: tenants by user and password, tenants by client id, and the group
//! management list with its administrator-group visibility rule. Shared helpers of the
//! Brity tenant, user and group tests are here too.

use crate::both;
use crate::brity_client::{brity, brity_admin, brity_user, BrityReply};
use crate::helpers::{Org, TestApp, ADMIN_PASSWORD, MASTER_KEY};
use crate::plusworkflow_client::org_token;
use reqwest::Method;
use serde_json::{json, Value};

/// Asserts a Brity error `{"errorValue","errorCode","params"}` with this status and value.
pub fn assert_coded(r: &BrityReply, status: u16, value: &str) {
    assert_eq!(r.status, status, "{}", r.body);
    let obj = r.body.as_object().expect("error object");
    assert_eq!(obj.len(), 3, "{}", r.body);
    assert_eq!(r.body["errorValue"], value, "{}", r.body);
    assert!(r.body["errorCode"].is_string(), "{}", r.body);
    assert!(r.body["params"].is_string(), "{}", r.body);
}

/// A Brity call that must answer 200; its body.
pub async fn ok(
    app: &TestApp,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Value {
    let r = brity(app, method.clone(), Some(token), None, path, body.clone()).await;
    assert_eq!(r.status, 200, "{method} {path} {body:?}: {}", r.body);
    r.body
}

/// Creates a user group (or a bot group when `bot`) through Brity; its id.
pub async fn make_group(app: &TestApp, token: &str, bot: bool, name: &str) -> i64 {
    let path = if bot { "bot" } else { "user" };
    let v = ok(
        app,
        token,
        Method::POST,
        &format!("/tenant/api/v1/private/group/{path}"),
        Some(json!({"groupName": name, "groupDescription": format!("{name} description")})),
    )
    .await;
    v["resultDetail"]["groupId"].as_i64().expect("groupId")
}

/// The platform administrator's access token (a bearer usable on every surface).
pub async fn platform_admin_token(app: &TestApp) -> String {
    let (s, v) = app
        .token(&[
            ("grant_type", "password"),
            ("username", "admin"),
            ("password", ADMIN_PASSWORD),
        ])
        .await;
    assert_eq!(s, 200, "{v}");
    v["access_token"].as_str().expect("token").to_string()
}

fn tenant(org: &Org) -> Value {
    json!({
        "tenantId": org.abbr,
        "tenantName": format!("{} Inc.", org.abbr),
        "preName": "",
        "isCatalog": "Y",
        "sortOrder": 0
    })
}

const TENANT_LIST: &str = "/tenant/api/v1/private/tenant/list";
const BY_CLIENT: &str = "/tenant/api/v1/private/catalog/tenantinfoByUserId";
const GROUP_LIST: &str = "/tenant/api/v1/admin/group/list";

/// The names listed by a group list answer, in order.
pub fn group_names(v: &Value) -> Vec<String> {
    v["list"]
        .as_array()
        .expect("list")
        .iter()
        .map(|g| g["groupName"].as_str().expect("groupName").to_string())
        .collect()
}

both! {
    async fn tenant_list_checks_the_password_without_saying_what_was_wrong(app) {
        let a = app.org("AAA").await;
        let b = app.org("BBB").await;
        let (_, boss) = brity_admin(&app, &a, "boss").await;
        let (_, ana) = brity_user(&app, &a, "ana").await;
        app.user(&b, "bob").await;

        // Any caller of the tenant may ask; bare logins are the caller's tenant's.
        for token in [&boss, &ana] {
            let v = ok(&app, token, Method::POST, TENANT_LIST,
                Some(json!({"userId": "ana", "password": "secret-pw"}))).await;
            assert_eq!(v, json!([tenant(&a)]));
        }
        let v = ok(&app, &boss, Method::POST, TENANT_LIST,
            Some(json!({"userId": "ana@AAA", "password": "secret-pw"}))).await;
        assert_eq!(v, json!([tenant(&a)]));

        // A wrong password, an unknown user and another tenant's user are refused alike.
        let mut bodies = Vec::new();
        for (user, pw) in [("ana", "wrong-pw"), ("ghost", "secret-pw"), ("bob@BBB", "secret-pw"), ("bob", "secret-pw")] {
            let r = brity(&app, Method::POST, Some(&boss), None, TENANT_LIST,
                Some(json!({"userId": user, "password": pw}))).await;
            assert_coded(&r, 400, "LOGIN_FAILED");
            bodies.push(r.body);
        }
        assert!(bodies.windows(2).all(|w| w[0] == w[1]), "{bodies:?}");

        // The platform administrator may ask about any tenant.
        let platform = platform_admin_token(&app).await;
        let v = ok(&app, &platform, Method::POST, TENANT_LIST,
            Some(json!({"userId": "bob@BBB", "password": "secret-pw"}))).await;
        assert_eq!(v, json!([tenant(&b)]));

        // An inactive tenant is not in use.
        let (s, v) = app.omni("organization/inactivate", json!({"api_key": MASTER_KEY, "organization": {"__id__": b.id}})).await;
        assert_eq!(s, 200, "{v}");
        let r = brity(&app, Method::POST, Some(&platform), None, TENANT_LIST,
            Some(json!({"userId": "bob@BBB", "password": "secret-pw"}))).await;
        assert_coded(&r, 400, "LOGIN_FAILED");

        // Bad input and missing credentials.
        for body in [json!({"userId": "ana"}), json!({"password": "x"}), json!({"userId": 5, "password": "x"})] {
            let r = brity(&app, Method::POST, Some(&boss), None, TENANT_LIST, Some(body)).await;
            assert_coded(&r, 400, "INVALID_PARAMETER");
        }
        let r = brity(&app, Method::POST, Some(&boss), None, TENANT_LIST, None).await;
        assert_coded(&r, 400, "INVALID_PARAMETER");
        let r = brity(&app, Method::POST, None, None, TENANT_LIST,
            Some(json!({"userId": "ana", "password": "secret-pw"}))).await;
        assert_coded(&r, 401, "UNAUTHORIZED");
    }

    async fn tenants_of_a_client_id(app) {
        let a = app.org("AAA").await;
        let b = app.org("BBB").await;
        let (_, boss_a) = brity_admin(&app, &a, "boss").await;
        let (_, boss_b) = brity_admin(&app, &b, "boss").await;
        app.user(&a, "ana").await;
        app.user(&a, "same").await;
        app.user(&b, "same").await;

        let ask = |token: String, body: Value| {
            let app = &app;
            async move { ok(app, &token, Method::POST, BY_CLIENT, Some(body)).await }
        };
        assert_eq!(ask(boss_a.clone(), json!({"clientId": "userid", "clientType": 8})).await, json!([]));
        assert_eq!(ask(boss_a.clone(), json!({"clientId": "ANA", "clientType": 8})).await, json!([tenant(&a)]));
        assert_eq!(ask(boss_a.clone(), json!({"clientId": "ana", "clientType": "2"})).await, json!([tenant(&a)]));
        assert_eq!(ask(boss_a.clone(), json!({"clientId": "ana"})).await, json!([tenant(&a)]));
        // A tenant sees only itself; the platform administrator every tenant.
        assert_eq!(ask(boss_b.clone(), json!({"clientId": "ana", "clientType": 8})).await, json!([]));
        assert_eq!(ask(boss_b.clone(), json!({"clientId": "same", "clientType": 8})).await, json!([tenant(&b)]));
        let platform = platform_admin_token(&app).await;
        assert_eq!(ask(platform.clone(), json!({"clientId": "same", "clientType": 8})).await, json!([tenant(&a), tenant(&b)]));
        // An unknown bot is an empty list.
        assert_eq!(ask(boss_a.clone(), json!({"clientId": "BOT-00001", "clientType": 1})).await, json!([]));
        // The organization's own client may ask too.
        let org = org_token(&app, &a).await;
        assert_eq!(ask(org, json!({"clientId": "ana", "clientType": 8})).await, json!([tenant(&a)]));

        for body in [json!({"clientId": "ana", "clientType": 5}), json!({"clientType": 8}), json!({"clientId": " ", "clientType": 8}), json!({"clientId": "ana", "clientType": "x"})] {
            let r = brity(&app, Method::POST, Some(&boss_a), None, BY_CLIENT, Some(body.clone())).await;
            assert_coded(&r, 400, "INVALID_PARAMETER");
        }
        let r = brity(&app, Method::POST, Some("slu_pat_nope"), None, BY_CLIENT, Some(json!({"clientId": "ana"}))).await;
        assert_coded(&r, 401, "UNAUTHORIZED");
    }

    async fn group_list_shows_administrators_every_group_and_others_their_own(app) {
        let a = app.org("AAA").await;
        let (_, boss) = brity_admin(&app, &a, "boss").await;
        let (_, ana) = brity_user(&app, &a, "ana").await;
        let mine = make_group(&app, &boss, false, "Mine").await;
        make_group(&app, &boss, false, "Others").await;
        let my_bots = make_group(&app, &boss, true, "My bots").await;
        make_group(&app, &boss, true, "Other bots").await;
        ok(&app, &boss, Method::POST, &format!("/tenant/api/v1/private/group/{mine}/mapping/users"),
            Some(json!({"mappingUserList": ["ana"]}))).await;
        ok(&app, &boss, Method::POST, &format!("/tenant/api/v1/private/group/{mine}/mapping/groups"),
            Some(json!({"mappingGroupList": [{"groupId": my_bots, "authU": 0, "authR": 1, "authM": 0}]}))).await;

        // The administrator sees every group, the system groups among them.
        let v = ok(&app, &boss, Method::POST, GROUP_LIST, Some(json!({"limit": 100}))).await;
        assert_eq!(group_names(&v), ["All Users", "External Users", "Mine", "Others", "My bots", "Other bots"]);
        assert_eq!(v["totalCount"], 6);
        assert_eq!(v["listCount"], 6);
        let all_users = &v["list"][0];
        assert_eq!(all_users.as_object().unwrap().len(), 7, "{all_users}");
        assert_eq!((&all_users["groupType"], &all_users["useYn"], &all_users["isDefault"], &all_users["isAdmin"]),
            (&json!(0), &json!("Y"), &json!("Y"), &json!("N")));
        assert_eq!(v["list"][4]["groupType"], 1);
        assert_eq!(v["list"][4]["groupDescription"], "My bots description");

        // Anyone else: the user groups they belong to and the bot groups mapped to them.
        let v = ok(&app, &ana, Method::POST, GROUP_LIST, None).await;
        assert_eq!(group_names(&v), ["All Users", "Mine", "My bots"]);
        assert_eq!(v["totalCount"], 3);
        // The same user acting through userAuthentication under the administrator's token.
        let r = brity(&app, Method::POST, Some(&boss), Some(&ana), GROUP_LIST, None).await;
        assert_eq!(group_names(&r.body), ["All Users", "Mine", "My bots"]);

        // Filters, order and paging; the request comes back as processed.
        let v = ok(&app, &boss, Method::POST, GROUP_LIST, Some(json!({
            "offset": 0, "limit": 10,
            "parameter": {"groupType": 1, "groupName": "BOTS", "isAdminGroup": "N", "isDefaultGroup": "N"},
            "orderBy": "groupName desc"
        }))).await;
        assert_eq!(group_names(&v), ["Other bots", "My bots"]);
        assert_eq!(v["request"], json!({"offset": 0, "limit": 10, "orderBy": "groupName desc",
            "parameter": {"groupType": 1, "groupName": "BOTS", "isAdminGroup": "N", "isDefaultGroup": "N"}}));
        let v = ok(&app, &boss, Method::POST, GROUP_LIST, Some(json!({"Parameter": {"isDefaultGroup": "Y"}}))).await;
        assert_eq!(group_names(&v), ["All Users"]);
        let v = ok(&app, &boss, Method::POST, GROUP_LIST, Some(json!({"parameter": {"isAdminGroup": "Y"}}))).await;
        assert_eq!(v["totalCount"], 0);
        let v = ok(&app, &boss, Method::POST, GROUP_LIST, Some(json!({"offset": 1, "limit": 2, "orderBy": "groupType desc"}))).await;
        assert_eq!(group_names(&v), ["My bots", "Others"]);
        assert_eq!((v["totalCount"].as_i64(), v["listCount"].as_i64()), (Some(6), Some(2)));
        let v = ok(&app, &boss, Method::POST, GROUP_LIST, Some(json!({"limit": "1000", "offset": "5"}))).await;
        assert_eq!((v["request"]["limit"].as_i64(), v["listCount"].as_i64()), (Some(100), Some(1)));
        let v = ok(&app, &boss, Method::POST, GROUP_LIST, Some(json!({"limit": 0}))).await;
        assert_eq!((v["totalCount"].as_i64(), v["listCount"].as_i64()), (Some(6), Some(0)));
        let v = ok(&app, &boss, Method::POST, GROUP_LIST, Some(json!({"parameter": {"groupName": "%"}}))).await;
        assert_eq!(v["totalCount"], 0);

        for body in [
            json!({"orderBy": "name"}), json!({"orderBy": "groupId sideways"}),
            json!({"parameter": {"groupType": 2}}), json!({"parameter": {"isAdminGroup": "yes"}}),
            json!({"limit": -1}), json!({"offset": -1}), json!({"limit": "ten"}), json!([1]),
        ] {
            let r = brity(&app, Method::POST, Some(&boss), None, GROUP_LIST, Some(body.clone())).await;
            assert_coded(&r, 400, "INVALID_PARAMETER");
        }
        let r = brity(&app, Method::POST, None, None, GROUP_LIST, None).await;
        assert_coded(&r, 401, "UNAUTHORIZED");
        let r = brity(&app, Method::PUT, Some(&boss), None, GROUP_LIST, None).await;
        assert_coded(&r, 405, "METHOD_NOT_ALLOWED");

        // Another tenant sees none of these groups.
        let b = app.org("BBB").await;
        let (_, boss_b) = brity_admin(&app, &b, "boss").await;
        let v = ok(&app, &boss_b, Method::POST, GROUP_LIST, None).await;
        assert_eq!(group_names(&v), ["All Users", "External Users"]);
    }
}
