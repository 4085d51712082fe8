//! Black-box tests of the Questetra dialect: the shared client, credentials, the error form
//! and methods. The other families are in `questetra_*.rs`.

use crate::both;
use crate::helpers::{Org, TestApp};
use base64::Engine;
use serde_json::Value;

/// How a Questetra call authenticates.
#[derive(Clone)]
pub enum Auth {
    Bearer(String),
    Basic(String, String),
    Nothing,
}

/// A Questetra client of one test server.
pub struct Q<'a> {
    pub app: &'a TestApp,
    pub auth: Auth,
}

impl<'a> Q<'a> {
    fn with_auth(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.auth {
            Auth::Bearer(t) => req.bearer_auth(t),
            Auth::Basic(u, p) => req.header(
                "authorization",
                format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"))
                ),
            ),
            Auth::Nothing => req,
        }
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> (u16, Value) {
        let res = self.with_auth(req).send().await.expect("request");
        let status = res.status().as_u16();
        let text = res.text().await.expect("body");
        if text.is_empty() {
            return (status, Value::Null);
        }
        let v =
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"));
        (status, v)
    }

    /// GET with query parameters.
    pub async fn get(&self, path: &str, params: &[(&str, &str)]) -> (u16, Value) {
        let req = self
            .app
            .client
            .get(format!("{}{path}", self.app.url))
            .query(params);
        self.send(req).await
    }

    /// POST with a form body.
    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> (u16, Value) {
        let req = self
            .app
            .client
            .post(format!("{}{path}", self.app.url))
            .form(form);
        self.send(req).await
    }

    /// GET that must answer 200.
    pub async fn get_ok(&self, path: &str, params: &[(&str, &str)]) -> Value {
        let (s, v) = self.get(path, params).await;
        assert_eq!(s, 200, "{path} {params:?}: {v}");
        v
    }

    /// POST that must answer 200.
    pub async fn post_ok(&self, path: &str, form: &[(&str, &str)]) -> Value {
        let (s, v) = self.post(path, form).await;
        assert_eq!(s, 200, "{path} {form:?}: {v}");
        v
    }

    /// A POST that must fail with 400 in the Errors form; returns (errorCode, type, input).
    pub async fn post_err(&self, path: &str, form: &[(&str, &str)]) -> (String, String, Value) {
        let (s, v) = self.post(path, form).await;
        assert_eq!(s, 400, "{path} {form:?}: {v}");
        error_of(&v)
    }

    /// A GET that must fail with 400 in the Errors form; returns (errorCode, type, input).
    pub async fn get_err(&self, path: &str, params: &[(&str, &str)]) -> (String, String, Value) {
        let (s, v) = self.get(path, params).await;
        assert_eq!(s, 400, "{path} {params:?}: {v}");
        error_of(&v)
    }

    /// The same server with other credentials.
    pub fn as_(&self, auth: Auth) -> Q<'a> {
        Q {
            app: self.app,
            auth,
        }
    }
}

/// The one error of an Errors body.
pub fn error_of(v: &Value) -> (String, String, Value) {
    let errors = v["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("not Errors: {v}"));
    assert_eq!(errors.len(), 1, "{v}");
    let e = &errors[0];
    (
        e["errorCode"].as_str().expect("errorCode").to_string(),
        e["type"].as_str().expect("type").to_string(),
        e["input"].clone(),
    )
}

/// The organization's own client (a client_credentials token): an administrator.
pub async fn org_client<'a>(app: &'a TestApp, org: &Org) -> Q<'a> {
    let (s, v) = app
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_id", &org.abbr),
            ("client_secret", &org.key),
        ])
        .await;
    assert_eq!(s, 200, "{v}");
    Q {
        app,
        auth: Auth::Bearer(v["access_token"].as_str().unwrap().to_string()),
    }
}

/// A bearer token for `login@ABBR` with `password`.
pub async fn user_token(app: &TestApp, username: &str, password: &str) -> Auth {
    let (s, v) = app
        .token(&[
            ("grant_type", "password"),
            ("username", username),
            ("password", password),
        ])
        .await;
    assert_eq!(s, 200, "{v}");
    Auth::Bearer(v["access_token"].as_str().unwrap().to_string())
}

/// Adds a Quser (password `secret-pw1`) through `q`; returns its id.
pub async fn add_quser(q: &Q<'_>, name: &str, email: &str) -> i64 {
    let v = q
        .post_ok(
            "/API/UGA/Quser/add",
            &[("name", name), ("email", email), ("password", "secret-pw1")],
        )
        .await;
    v["quser"]["id"].as_i64().expect("id")
}

/// The id of the organization's root unit (OmniBPM's default tree).
pub async fn root_unit(q: &Q<'_>) -> i64 {
    let v = q.get_ok("/API/User/Qgroup/list", &[]).await;
    v["qgroups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["parentQgroupId"].is_null())
        .expect("a top unit")["id"]
        .as_i64()
        .unwrap()
}

/// A new unit under the root; returns its id.
pub async fn add_qgroup(q: &Q<'_>, name: &str) -> i64 {
    let root = root_unit(q).await.to_string();
    let v = q
        .post_ok(
            "/API/UGA/Qgroup/add",
            &[("name", name), ("parentQgroupId", &root)],
        )
        .await;
    v["qgroup"]["id"].as_i64().expect("id")
}

both! {
    async fn credentials_are_required_and_challenged(app) {
        let org = app.org("QAUTH").await;
        let q = org_client(&app, &org).await;
        let none = q.as_(Auth::Nothing);
        let res = app.client.get(format!("{}/API/User/Quser/list", app.url)).send().await.unwrap();
        assert_eq!(res.status().as_u16(), 401);
        let challenge = res.headers()["www-authenticate"].to_str().unwrap().to_string();
        assert!(challenge.contains("Bearer") && challenge.contains("Basic"), "{challenge}");
        let (s, v) = none.get("/API/User/Quser/list", &[]).await;
        assert_eq!(s, 401);
        assert_eq!(error_of(&v).1, "Unauthorized");
        let (s, _) = q.as_(Auth::Bearer("nope".into())).get("/API/User/Quser/list", &[]).await;
        assert_eq!(s, 401);
        let (s, _) = q
            .as_(Auth::Basic(format!("nobody@{}", org.abbr), "x".into()))
            .post("/API/UGA/Quser/add", &[("name", "a"), ("email", "a@x.y"), ("password", "p")])
            .await;
        assert_eq!(s, 401);
    }

    async fn basic_and_bearer_users_may_read_but_only_administrators_update(app) {
        let org = app.org("QPERM").await;
        let admin = org_client(&app, &org).await;
        add_quser(&admin, "Alice", "alice@example.com").await;
        let basic = admin.as_(Auth::Basic(format!("alice@{}", org.abbr), "secret-pw1".into()));
        let me = basic.get_ok("/API/User/Quser/self", &[]).await;
        assert_eq!(me["quser"]["email"], "alice@example.com");
        let bearer = admin.as_(user_token(&app, &format!("alice@{}", org.abbr), "secret-pw1").await);
        bearer.get_ok("/API/User/Quser/list", &[]).await;
        bearer.get_ok("/API/User/Qgroup/list", &[]).await;
        for path in ["/API/UGA/Quser/add", "/API/UGA/Qgroup/add", "/API/UGA/Qrole/add",
                     "/API/UGA/Membership/add", "/API/UGA/RoleMembership/add",
                     "/API/Admin/SystemAuthority/addToQuser"] {
            let (s, v) = bearer.post(path, &[("name", "x")]).await;
            assert_eq!(s, 403, "{path}: {v}");
            assert_eq!(error_of(&v).1, "Forbidden");
        }
        let (s, _) = basic.get("/API/Admin/SystemAuthority/list", &[]).await;
        assert_eq!(s, 403);
    }

    async fn wrong_methods_and_bodies_are_refused_in_the_errors_form(app) {
        let org = app.org("QMETH").await;
        let q = org_client(&app, &org).await;
        let (s, v) = q.get("/API/UGA/Quser/add", &[]).await;
        assert_eq!(s, 405, "{v}");
        assert_eq!(error_of(&v).1, "MethodNotAllowed");
        let (s, _) = q.post("/API/User/Quser/list", &[]).await;
        assert_eq!(s, 405);
        let Auth::Bearer(token) = q.auth.clone() else { unreachable!() };
        let res = app.client.post(format!("{}/API/UGA/Qrole/add", app.url))
            .bearer_auth(token)
            .json(&serde_json::json!({"name": "x"}))
            .send().await.unwrap();
        assert_eq!(res.status().as_u16(), 400);
        // Parameters in the query string of a POST count too.
        let (s, v) = q.post("/API/UGA/Qrole/add?name=FromQuery", &[]).await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["qrole"]["name"], "FromQuery");
    }
}
