//! The native API (`/api/v1`): bearer authentication (RFC 6750), `/me`, health checks, the
//! OpenAPI document and the JSON error shape.

use crate::both;
use crate::helpers::{Org, TestApp, MASTER_KEY};
use reqwest::header::HeaderMap;
use serde_json::{json, Value};

/// A response with its headers and JSON body.
struct Reply {
    status: u16,
    headers: HeaderMap,
    body: Value,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts the native error shape with `status` and `code`.
    fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "{}", self.body);
        assert_eq!(self.body["code"], code, "{}", self.body);
        assert!(self.body["message"].is_string(), "{}", self.body);
        assert!(self.body["type"].is_string(), "{}", self.body);
        let keys: Vec<&String> = self.body.as_object().unwrap().keys().collect();
        assert_eq!(keys.len(), 3, "exactly code, message, type: {}", self.body);
        assert!(self
            .header("content-type")
            .unwrap_or_default()
            .starts_with("application/json"));
    }
}

async fn send(req: reqwest::RequestBuilder) -> Reply {
    let res = req.send().await.expect("request");
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let text = res.text().await.expect("body");
    let body =
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text:?}"));
    Reply {
        status,
        headers,
        body,
    }
}

async fn get(app: &TestApp, path: &str, authorization: Option<&str>) -> Reply {
    let mut req = app.client.get(format!("{}{path}", app.url));
    if let Some(a) = authorization {
        req = req.header("authorization", a);
    }
    send(req).await
}

async fn me(app: &TestApp, token: &str) -> Reply {
    get(app, "/api/v1/me", Some(&format!("Bearer {token}"))).await
}

/// An access token of `login@ABBR` (password `secret-pw`, as `app.user` sets).
async fn user_token(app: &TestApp, org: &Org, login: &str) -> String {
    let username = format!("{login}@{}", org.abbr);
    let (s, v) = app
        .token(&[
            ("grant_type", "password"),
            ("username", &username),
            ("password", "secret-pw"),
        ])
        .await;
    assert_eq!(s, 200, "{v}");
    v["access_token"].as_str().unwrap().to_string()
}

/// An organization-level access token (client_credentials).
async fn org_token(app: &TestApp, org: &Org) -> String {
    let (s, v) = app
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_id", &org.abbr),
            ("client_secret", &org.key),
        ])
        .await;
    assert_eq!(s, 200, "{v}");
    v["access_token"].as_str().unwrap().to_string()
}

fn assert_invalid_token(r: &Reply) {
    r.assert_error(401, "invalid_token");
    let challenge = r.header("www-authenticate").unwrap_or_default();
    assert!(
        challenge.starts_with(r#"Bearer realm="sluice""#),
        "{challenge:?}"
    );
    assert!(
        challenge.contains(r#"error="invalid_token""#),
        "{challenge:?}"
    );
}

both! {
    async fn me_shows_the_user_and_organization_of_a_user_token(app) {
        let org = app.org("ACME").await;
        let alice = app.user(&org, "alice").await;
        let r = me(&app, &user_token(&app, &org, "alice").await).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["organization"], json!({"id": org.id, "name": "ACME Inc.", "abbr": "ACME"}));
        let u = &r.body["user"];
        assert_eq!(u["id"], alice);
        assert_eq!(u["username"], "alice@ACME");
        assert_eq!(u["login"], "alice");
        assert_eq!(u["display_name"], "alice");
        assert_eq!(u["email"], "alice@example.com");
        assert_eq!(u["is_admin"], false);
        assert_eq!(u["is_external"], false);
        // Nothing secret is shown.
        let text = r.body.to_string();
        assert!(!text.contains("secret-pw") && !text.contains(&org.key), "{text}");
        assert!(u.get("password").is_none() && u.get("password_hash").is_none(), "{u}");
    }

    async fn me_follows_changes_to_the_user(app) {
        let org = app.org("ACME").await;
        let alice = app.user(&org, "alice").await;
        let token = user_token(&app, &org, "alice").await;
        app.ok(&org, "user/update", json!({"user": {"__id__": alice, "display_name": "Alice A."}})).await;
        assert_eq!(me(&app, &token).await.body["user"]["display_name"], "Alice A.");
    }

    async fn me_with_an_organization_token_has_no_user(app) {
        let org = app.org("ACME").await;
        let r = me(&app, &org_token(&app, &org).await).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["user"], Value::Null);
        assert_eq!(r.body["organization"]["abbr"], "ACME");
        assert_eq!(r.body["organization"]["id"], org.id);
        assert_eq!(r.body["client_id"], "ACME");
    }

    async fn missing_token_is_challenged(app) {
        let r = get(&app, "/api/v1/me", None).await;
        r.assert_error(401, "missing_token");
        assert_eq!(r.body["type"], "auth");
        // RFC 6750 §3.1: no error code when the request carried no credentials.
        assert_eq!(r.header("www-authenticate"), Some(r#"Bearer realm="sluice""#));
    }

    async fn bad_tokens_are_invalid_token(app) {
        let org = app.org("ACME").await;
        app.user(&org, "alice").await;
        let good = user_token(&app, &org, "alice").await;
        let tampered = format!("{}x", good);
        for auth in [
            "Bearer nonsense".to_string(),
            format!("Bearer {tampered}"),
            format!("Bearer {}", &good[..good.len() - 1]),
            format!("Bearer {}", org.key),          // an API key is no bearer token
            format!("Bearer {MASTER_KEY}"),
            "Bearer x'; DROP TABLE oauth_tokens;--".to_string(),
            "Bearer ".to_string(),
            "Bearer".to_string(),
        ] {
            let r = get(&app, "/api/v1/me", Some(&auth)).await;
            assert_eq!(r.status, 401, "{auth:?}: {}", r.body);
            let challenge = r.header("www-authenticate").unwrap_or_default();
            assert!(challenge.starts_with(r#"Bearer realm="sluice""#), "{auth:?}: {challenge:?}");
            assert!(["invalid_token", "missing_token"].contains(&r.body["code"].as_str().unwrap()), "{}", r.body);
        }
        assert_invalid_token(&me(&app, "nonsense").await);
        assert_invalid_token(&me(&app, &tampered).await);
        // Another scheme is no bearer token either.
        let r = get(&app, "/api/v1/me", Some("Basic YWRtaW46eA==")).await;
        assert_eq!(r.status, 401);
        assert!(r.header("www-authenticate").unwrap_or_default().starts_with("Bearer"));
        // The good token still works, and the scheme is case-insensitive (RFC 7235 §2.1).
        assert_eq!(me(&app, &good).await.status, 200);
        assert_eq!(get(&app, "/api/v1/me", Some(&format!("bearer {good}"))).await.status, 200);
    }

    async fn token_of_an_inactivated_user_stops_working(app) {
        let org = app.org("ACME").await;
        let alice = app.user(&org, "alice").await;
        app.user(&org, "bob").await;
        let token = user_token(&app, &org, "alice").await;
        let bob = user_token(&app, &org, "bob").await;
        assert_eq!(me(&app, &token).await.status, 200);
        app.ok(&org, "user/inactivate", json!({"user": {"__id__": alice}})).await;
        assert_invalid_token(&me(&app, &token).await);
        // Other users are not affected.
        assert_eq!(me(&app, &bob).await.status, 200);
    }

    async fn token_of_a_deleted_user_stops_working(app) {
        let org = app.org("ACME").await;
        let alice = app.user(&org, "alice").await;
        let token = user_token(&app, &org, "alice").await;
        app.ok(&org, "user/delete", json!({"user": {"__id__": alice}})).await;
        assert_invalid_token(&me(&app, &token).await);
    }

    async fn tokens_of_an_inactive_or_deleted_organization_stop_working(app) {
        let org = app.org("ACME").await;
        app.user(&org, "alice").await;
        let user = user_token(&app, &org, "alice").await;
        let client = org_token(&app, &org).await;
        let (s, _) = app.omni("organization/inactivate", json!({"api_key": MASTER_KEY, "organization": {"__id__": org.id}})).await;
        assert_eq!(s, 200);
        assert_invalid_token(&me(&app, &user).await);
        assert_invalid_token(&me(&app, &client).await);
        let (s, _) = app.omni("organization/activate", json!({"api_key": MASTER_KEY, "organization": {"__id__": org.id}})).await;
        assert_eq!(s, 200);
        assert_eq!(me(&app, &client).await.status, 200);
        let (s, v) = app.omni("organization/delete", json!({"api_key": MASTER_KEY, "organization": {"__id__": org.id}})).await;
        assert_eq!(s, 200, "{v}");
        assert_invalid_token(&me(&app, &user).await);
        assert_invalid_token(&me(&app, &client).await);
        // A new organization with the same abbreviation does not inherit them.
        app.org("ACME").await;
        assert_invalid_token(&me(&app, &client).await);
    }

    async fn health_checks_answer(app) {
        let r = get(&app, "/healthz", None).await;
        assert_eq!((r.status, &r.body["status"]), (200, &json!("ok")));
        let r = get(&app, "/readyz", None).await;
        assert_eq!((r.status, &r.body["status"]), (200, &json!("ok")), "{}", r.body);
        assert!(["sqlite", "postgres"].contains(&r.body["store"].as_str().unwrap()), "{}", r.body);
    }

    async fn openapi_document_describes_the_native_api(app) {
        let r = get(&app, "/api/v1/openapi.json", None).await;
        assert_eq!(r.status, 200);
        let doc = &r.body;
        assert!(doc["openapi"].as_str().unwrap().starts_with("3."), "{}", doc["openapi"]);
        assert!(doc["info"]["title"].is_string());
        assert!(doc["info"]["version"].is_string());
        let me = &doc["paths"]["/api/v1/me"]["get"];
        assert!(me.is_object(), "no GET /api/v1/me: {}", doc["paths"]);
        assert!(me["responses"]["200"].is_object());
        assert!(me["responses"]["401"].is_object());
        assert_eq!(me["security"], json!([{"bearer": []}]));
        assert!(doc["paths"]["/healthz"]["get"].is_object());
        assert!(doc["paths"]["/readyz"]["get"].is_object());
        assert_eq!(doc["components"]["securitySchemes"]["bearer"]["type"], "http");
        assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
        // Every schema reference resolves.
        let text = doc.to_string();
        for part in text.split("\"$ref\":\"").skip(1) {
            let target = &part[..part.find('"').unwrap()];
            let name = target.strip_prefix("#/components/schemas/").unwrap_or_else(|| panic!("{target}"));
            assert!(doc["components"]["schemas"][name].is_object(), "unresolved {target}");
        }
        // The document served is the one the crate builds.
        assert_eq!(doc, &serde_json::to_value(sluice_http::openapi()).unwrap());
    }

    async fn unknown_paths_are_json_404s(app) {
        for path in ["/api/v1/nope", "/api/v1/", "/nope", "/api/v2/me", "/api/v1/me/extra", "/oauth2/nope"] {
            let r = get(&app, path, None).await;
            r.assert_error(404, "not_found");
        }
        let r = send(app.client.post(format!("{}/api/v1/nope", app.url)).json(&json!({}))).await;
        r.assert_error(404, "not_found");
    }

    async fn wrong_method_on_a_native_path_is_a_json_405(app) {
        let r = send(app.client.post(format!("{}/api/v1/me", app.url)).json(&json!({}))).await;
        r.assert_error(405, "method_not_allowed");
        assert!(r.header("allow").unwrap_or_default().contains("GET"), "{:?}", r.headers);
    }

    async fn responses_carry_a_request_id(app) {
        let r = get(&app, "/healthz", None).await;
        let id = r.header("x-request-id").expect("x-request-id");
        assert!(!id.is_empty());
        let r2 = get(&app, "/healthz", None).await;
        assert_ne!(r2.header("x-request-id"), Some(id), "ids are per request");
        // On errors too, and a caller's own id is kept.
        let r = send(app.client.get(format!("{}/api/v1/me", app.url)).header("x-request-id", "my-trace-42")).await;
        assert_eq!(r.status, 401);
        assert_eq!(r.header("x-request-id"), Some("my-trace-42"));
    }
}
