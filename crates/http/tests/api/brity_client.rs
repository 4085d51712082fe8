//! Calls of the Brity dialect, shared by the Brity tests: personal API tokens for users and
//! requests with Brity's `Authorization` / `userAuthentication` headers.

use crate::helpers::{Org, TestApp};
use crate::plusworkflow_client::{admin, native, user_token};
use reqwest::Method;
use serde_json::{json, Value};

/// A status with the body as JSON (`null` when empty).
pub struct BrityReply {
    pub status: u16,
    pub body: Value,
}

/// A personal API token for a user who already has an OAuth2 token.
pub async fn personal_token(app: &TestApp, oauth_token: &str) -> String {
    let r = native(
        app,
        Method::POST,
        Some(oauth_token),
        "me/tokens",
        Some(&json!({"name": "integration"}).to_string()),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body["token"].as_str().expect("token").to_string()
}

/// A tenant administrator `login@ABBR` and their personal API token.
pub async fn brity_admin(app: &TestApp, org: &Org, login: &str) -> (i64, String) {
    let (id, oauth) = admin(app, org, login).await;
    (id, personal_token(app, &oauth).await)
}

/// An ordinary user (made with `TestApp::user`) and their personal API token.
pub async fn brity_user(app: &TestApp, org: &Org, login: &str) -> (i64, String) {
    let id = app.user(org, login).await;
    let oauth = user_token(app, org, login).await;
    (id, personal_token(app, &oauth).await)
}

/// A Brity call: `Authorization: Bearer <token>`, an optional `userAuthentication` header,
/// and an optional JSON body.
pub async fn brity(
    app: &TestApp,
    method: Method,
    token: Option<&str>,
    user_auth: Option<&str>,
    path_and_query: &str,
    body: Option<Value>,
) -> BrityReply {
    let mut req = app
        .client
        .request(method, format!("{}{path_and_query}", app.url));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(u) = user_auth {
        req = req.header("userAuthentication", format!("Bearer {u}"));
    }
    if let Some(b) = body {
        req = req
            .header("content-type", "application/json")
            .body(b.to_string());
    }
    let res = req.send().await.expect("request");
    let status = res.status().as_u16();
    let text = res.text().await.expect("body");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    BrityReply { status, body }
}
