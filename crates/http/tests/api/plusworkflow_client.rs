//! Calls of the PlusWorkflow dialect and the native role endpoints, shared by the
//! PlusWorkflow, native role and cross-dialect tests.

use crate::helpers::{Org, TestApp};
use serde_json::{json, Value};
use sluice_domain::identity::{NewUser, PersonPatch};
use sluice_domain::OrgId;

/// How a call authenticates.
#[derive(Clone, Copy)]
pub enum Auth<'a> {
    None,
    Bearer(&'a str),
    Basic(&'a str, &'a str),
    /// A raw `Authorization` header value.
    Raw(&'a str),
}

/// A status with the body as JSON and the `WWW-Authenticate` header.
pub struct Reply {
    pub status: u16,
    pub body: Value,
    pub challenge: Option<String>,
}

fn with_auth(req: reqwest::RequestBuilder, auth: Auth<'_>) -> reqwest::RequestBuilder {
    match auth {
        Auth::None => req,
        Auth::Bearer(t) => req.bearer_auth(t),
        Auth::Basic(u, p) => req.basic_auth(u, Some(p)),
        Auth::Raw(v) => req.header("authorization", v),
    }
}

async fn reply(res: reqwest::Response) -> Reply {
    let status = res.status().as_u16();
    let challenge = res
        .headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let text = res.text().await.expect("body");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"))
    };
    Reply {
        status,
        body,
        challenge,
    }
}

/// `GET /PlusWorkflow/api/<path_and_query>`.
pub async fn pw_get(app: &TestApp, auth: Auth<'_>, path_and_query: &str) -> Reply {
    let req = app
        .client
        .get(format!("{}/PlusWorkflow/api/{path_and_query}", app.url));
    reply(with_auth(req, auth).send().await.expect("request")).await
}

/// `POST /PlusWorkflow/api/<path>` with a raw JSON text body.
pub async fn pw_post(app: &TestApp, auth: Auth<'_>, path: &str, body: &str) -> Reply {
    let req = app
        .client
        .post(format!("{}/PlusWorkflow/api/{path}", app.url))
        .header("content-type", "application/json")
        .body(body.to_string());
    reply(with_auth(req, auth).send().await.expect("request")).await
}

/// Asserts a PlusWorkflow error: `status` and exactly `{"success":false,"message":...}`.
pub fn assert_pw_error(r: &Reply, status: u16) {
    assert_eq!(r.status, status, "{}", r.body);
    let obj = r.body.as_object().expect("object");
    assert_eq!(obj.len(), 2, "{}", r.body);
    assert_eq!(r.body["success"], false, "{}", r.body);
    assert!(r.body["message"].is_string(), "{}", r.body);
}

/// Users found by `users/query?<params>` (asserting 200): total and logins.
pub async fn query(app: &TestApp, token: &str, params: &str) -> (i64, Vec<String>) {
    let r = pw_get(app, Auth::Bearer(token), &format!("users/query?{params}")).await;
    assert_eq!(r.status, 200, "{params}: {}", r.body);
    (
        r.body["total"].as_i64().expect("total"),
        logins(&r.body["data"]),
    )
}

/// The `userName`s of a list of UserInfo.
pub fn logins(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("list")
        .iter()
        .map(|u| u["userName"].as_str().expect("userName").to_string())
        .collect()
}

/// Users found by `users/by/roles` (asserting 200), their logins.
pub async fn by_roles(app: &TestApp, token: &str, body: Value) -> Vec<String> {
    let r = pw_post(
        app,
        Auth::Bearer(token),
        "users/by/roles",
        &body.to_string(),
    )
    .await;
    assert_eq!(r.status, 200, "{body}: {}", r.body);
    logins(&r.body)
}

/// An access token for `login@ABBR` (password `secret-pw`, as `TestApp::user` sets it).
pub async fn user_token(app: &TestApp, org: &Org, login: &str) -> String {
    let username = format!("{login}@{}", org.abbr);
    let (s, v) = app
        .token(&[
            ("grant_type", "password"),
            ("username", &username),
            ("password", "secret-pw"),
        ])
        .await;
    assert_eq!(s, 200, "{v}");
    v["access_token"].as_str().expect("token").to_string()
}

/// An organization-level token (client_credentials with the organization's API key).
pub async fn org_token(app: &TestApp, org: &Org) -> String {
    let (s, v) = app
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_id", &org.abbr),
            ("client_secret", &org.key),
        ])
        .await;
    assert_eq!(s, 200, "{v}");
    v["access_token"].as_str().expect("token").to_string()
}

/// Creates an administrator `login@ABBR` through OmniBPM and returns their id and token.
pub async fn admin(app: &TestApp, org: &Org, login: &str) -> (i64, String) {
    let dept = app.id_of(org, "department", "MIS Department").await;
    let rank = app.id_of(org, "rank", "Specialist").await;
    let v = app
        .ok(
            org,
            "user/create",
            json!({"user": {
                "username": format!("{login}@{}", org.abbr), "display_name": login,
                "email": format!("{login}@example.com"), "password": "secret-pw",
                "rank": {"__id__": rank}, "department": {"__id__": dept}
            }, "with_admin_permissions": true}),
        )
        .await;
    let id = v["user"]["__id__"].as_i64().expect("id");
    (id, user_token(app, org, login).await)
}

/// A user with first and last name and personnel number, made through the store (no dialect
/// that sets names may have landed yet), without unit or rank.
pub async fn named_user(
    app: &TestApp,
    org: &Org,
    login: &str,
    first: &str,
    last: &str,
    number: &str,
) -> i64 {
    let user = app
        .store
        .create_user(
            OrgId(org.id),
            NewUser {
                login: login.into(),
                display_name: format!("{first} {last}").trim().to_string(),
                email: format!("{login}@example.com"),
                password: None,
                is_active: true,
                is_external: false,
                is_admin: false,
                rank_id: None,
                department_id: None,
                client_extra: None,
                person: PersonPatch {
                    first_name: Some(first.into()),
                    last_name: Some(last.into()),
                    number: Some(number.into()),
                    ..Default::default()
                },
                created_by: None,
            },
        )
        .await
        .expect("named user");
    user.id.0
}

/// A native API call with a bearer token: status and JSON body (`null` when empty).
pub async fn native(
    app: &TestApp,
    method: reqwest::Method,
    token: Option<&str>,
    path: &str,
    body: Option<&str>,
) -> Reply {
    let mut req = app
        .client
        .request(method, format!("{}/api/v1/{path}", app.url));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req
            .header("content-type", "application/json")
            .body(b.to_string());
    }
    reply(req.send().await.expect("request")).await
}

/// Creates a role through the native API (asserting 201); returns its id.
pub async fn create_role(app: &TestApp, token: &str, body: Value) -> i64 {
    let r = native(
        app,
        reqwest::Method::POST,
        Some(token),
        "roles",
        Some(&body.to_string()),
    )
    .await;
    assert_eq!(r.status, 201, "{body}: {}", r.body);
    r.body["id"].as_i64().expect("id")
}

/// Gives a role to a user through the native API (asserting 201).
pub async fn grant(app: &TestApp, token: &str, role: i64, user: i64) {
    let r = native(
        app,
        reqwest::Method::POST,
        Some(token),
        &format!("roles/{role}/members"),
        Some(&json!({"user_id": user}).to_string()),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
}

/// Records through the native API that a workflow uses a global role (asserting 204).
pub async fn use_role(app: &TestApp, token: &str, role: i64, body: Value) {
    let r = native(
        app,
        reqwest::Method::POST,
        Some(token),
        &format!("roles/{role}/uses"),
        Some(&body.to_string()),
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.body);
}
