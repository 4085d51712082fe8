//! Bonita: the session client the other `bonita_*` tests use, and the session endpoints
//! (`loginservice`, `logoutservice`, `API/system/session/unusedid`, CSRF header).

use crate::both;
use crate::helpers::{Org, TestApp};
use reqwest::header::HeaderMap;
use reqwest::Method;
use serde_json::{json, Value};

/// A logged-in Bonita client: the session cookie and the API token.
pub struct Bonita {
    pub base: String,
    pub client: reqwest::Client,
    pub session: String,
    pub token: String,
}

/// An answer: status, headers and JSON body (`Null` when empty).
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Reply {
    /// Asserts Bonita's error form with `status`; returns the message.
    pub fn error(&self, status: u16) -> String {
        assert_eq!(self.status, status, "{}", self.body);
        let obj = self.body.as_object().expect("error object");
        assert!(
            obj["exception"].as_str().unwrap().starts_with("class "),
            "{}",
            self.body
        );
        obj["message"].as_str().expect("message").to_string()
    }

    pub fn content_range(&self) -> String {
        self.headers["content-range"].to_str().unwrap().to_string()
    }
}

/// The value of cookie `name` among the `Set-Cookie` headers.
pub fn set_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next()?.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// POSTs a login form.
pub async fn login_form(app: &TestApp, form: &[(&str, &str)]) -> reqwest::Response {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{}/bonita/loginservice", app.url))
        .form(form)
        .send()
        .await
        .expect("login")
}

impl Bonita {
    /// Logs `login@ABBR` in with `redirect=false`.
    pub async fn login(app: &TestApp, username: &str, password: &str) -> Self {
        let res = login_form(
            app,
            &[
                ("username", username),
                ("password", password),
                ("redirect", "false"),
            ],
        )
        .await;
        assert_eq!(res.status().as_u16(), 204, "login of {username}");
        Bonita {
            base: format!("{}/bonita", app.url),
            client: app.client.clone(),
            session: set_cookie(res.headers(), "JSESSIONID").expect("JSESSIONID"),
            token: set_cookie(res.headers(), "X-Bonita-API-Token").expect("token cookie"),
        }
    }

    /// A request with the session cookies and, unless `csrf` is false, the token header.
    pub async fn send(&self, method: Method, path: &str, body: Option<Value>, csrf: bool) -> Reply {
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.base))
            .header(
                "cookie",
                format!(
                    "JSESSIONID={}; X-Bonita-API-Token={}",
                    self.session, self.token
                ),
            );
        if csrf {
            req = req.header("X-Bonita-API-Token", &self.token);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("request");
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let text = res.text().await.expect("body");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"))
        };
        Reply {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(Method::GET, path, None, true).await
    }
    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.send(Method::POST, path, Some(body), true).await
    }
    pub async fn put(&self, path: &str, body: Value) -> Reply {
        self.send(Method::PUT, path, Some(body), true).await
    }
    pub async fn delete(&self, path: &str) -> Reply {
        self.send(Method::DELETE, path, None, true).await
    }

    /// GET asserting 200; the body.
    pub async fn ok(&self, path: &str) -> Value {
        let r = self.get(path).await;
        assert_eq!(r.status, 200, "GET {path}: {}", r.body);
        r.body
    }

    /// POST asserting 200; the body.
    pub async fn created(&self, path: &str, body: Value) -> Value {
        let r = self.post(path, body).await;
        assert_eq!(r.status, 200, "POST {path}: {}", r.body);
        r.body
    }
}

/// Creates an organization and an administrator `boss@ABBR` (password `secret-pw`), logged
/// in through Bonita.
pub async fn admin_session(app: &TestApp, abbr: &str) -> (Org, Bonita) {
    let org = app.org(abbr).await;
    let dept = app.id_of(&org, "department", "MIS Department").await;
    let rank = app.id_of(&org, "rank", "Specialist").await;
    app.ok(
        &org,
        "user/create",
        json!({"user": {
            "username": format!("boss@{abbr}"), "display_name": "Boss",
            "email": "boss@example.com", "password": "secret-pw",
            "with_admin_permissions": true,
            "rank": {"__id__": rank}, "department": {"__id__": dept}
        }}),
    )
    .await;
    let bonita = Bonita::login(app, &format!("boss@{abbr}"), "secret-pw").await;
    (org, bonita)
}

/// A user id as Bonita shows it.
pub fn id(v: &Value) -> String {
    v["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {v}"))
        .to_string()
}

both! {
    async fn login_sets_the_session_cookies(app) {
        let (org, _) = admin_session(&app, "ACME").await;
        app.user(&org, "walter").await;
        let res = login_form(&app, &[("username", "walter@ACME"), ("password", "secret-pw"), ("redirect", "false")]).await;
        assert_eq!(res.status().as_u16(), 204);
        let cookies: Vec<String> = res.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_string()).collect();
        let session = cookies.iter().find(|c| c.starts_with("JSESSIONID=")).expect("session cookie");
        assert!(session.contains("HttpOnly") && session.contains("Path=/bonita"), "{session}");
        let token = cookies.iter().find(|c| c.starts_with("X-Bonita-API-Token=")).expect("token cookie");
        assert!(!token.contains("HttpOnly"), "scripts read the token: {token}");

        // Without redirect=false the login redirects, to redirectURL when it is local only.
        let res = login_form(&app, &[("username", "walter@ACME"), ("password", "secret-pw"), ("redirectURL", "/bonita/portal")]).await;
        assert_eq!(res.status().as_u16(), 302);
        assert_eq!(res.headers()["location"], "/bonita/portal");
        let res = login_form(&app, &[("username", "walter@ACME"), ("password", "secret-pw"), ("redirectURL", "https://evil.example/")]).await;
        assert_eq!(res.headers()["location"], "/bonita/apps/appDirectoryBonita");
    }

    async fn bad_logins_are_401(app) {
        let (org, _) = admin_session(&app, "ACME").await;
        app.user(&org, "walter").await;
        for form in [
            vec![("username", "walter@ACME"), ("password", "wrong"), ("redirect", "false")],
            vec![("username", "walter"), ("password", "secret-pw"), ("redirect", "false")],
            vec![("username", "nobody@ACME"), ("password", "secret-pw"), ("redirect", "false")],
            vec![("password", "secret-pw"), ("redirect", "false")],
            vec![("username", "admin"), ("password", crate::helpers::ADMIN_PASSWORD), ("redirect", "false")],
        ] {
            let res = login_form(&app, &form).await;
            assert_eq!(res.status().as_u16(), 401, "{form:?}");
            assert!(set_cookie(res.headers(), "JSESSIONID").is_none());
            let body: Value = res.json().await.unwrap();
            assert!(body["exception"].is_string() && body["message"].is_string(), "{body}");
        }
    }

    async fn unusedid_names_the_user_and_echoes_the_token(app) {
        let (org, admin) = admin_session(&app, "ACME").await;
        let r = admin.get("/API/system/session/unusedid").await;
        assert_eq!(r.status, 200);
        assert_eq!(r.body["user_name"], "boss");
        let users = admin.ok("/API/identity/user?f=userName%3Dboss").await;
        assert_eq!(r.body["user_id"], users[0]["id"]);
        assert_eq!(r.headers["x-bonita-api-token"].to_str().unwrap(), admin.token);
        let _ = org;
    }

    async fn calls_without_a_session_are_401(app) {
        let (_, admin) = admin_session(&app, "ACME").await;
        let res = app.client.get(format!("{}/bonita/API/identity/user", app.url)).send().await.unwrap();
        assert_eq!(res.status().as_u16(), 401);
        let res = app.client.get(format!("{}/bonita/API/identity/user", app.url))
            .header("cookie", "JSESSIONID=forged").send().await.unwrap();
        assert_eq!(res.status().as_u16(), 401);
        let body: Value = res.json().await.unwrap();
        assert!(body["exception"].as_str().unwrap().starts_with("class "));
        // A session works for reads.
        assert_eq!(admin.get("/API/identity/user").await.status, 200);
    }

    async fn changes_need_the_api_token_header(app) {
        let (_, admin) = admin_session(&app, "ACME").await;
        let role = json!({"name": "clerk"});
        let r = admin.send(Method::POST, "/API/identity/role", Some(role.clone()), false).await;
        r.error(401);
        let mut forged = Bonita { token: "wrong".into(), ..admin };
        forged.token = "wrong".into();
        let r = forged.send(Method::POST, "/API/identity/role", Some(role.clone()), true).await;
        assert_eq!(r.status, 401);
        // Nothing was written.
        let real = Bonita { token: String::new(), ..forged };
        let r = real.send(Method::GET, "/API/identity/role?f=name%3Dclerk", None, false).await;
        assert_eq!(r.body, json!([]));
    }

    async fn logout_ends_the_session(app) {
        let (_, admin) = admin_session(&app, "ACME").await;
        let res = app.client.get(format!("{}/bonita/logoutservice?redirect=false", app.url))
            .header("cookie", format!("JSESSIONID={}", admin.session)).send().await.unwrap();
        assert_eq!(res.status().as_u16(), 200);
        assert_eq!(set_cookie(res.headers(), "JSESSIONID").as_deref(), Some(""));
        admin.get("/API/identity/user").await.error(401);
    }

    async fn inactive_users_lose_their_session(app) {
        let (org, admin) = admin_session(&app, "ACME").await;
        app.user(&org, "walter").await;
        let walter = Bonita::login(&app, "walter@ACME", "secret-pw").await;
        let found = admin.ok("/API/identity/user?f=userName%3Dwalter").await;
        let r = admin.put(&format!("/API/identity/user/{}", id(&found[0])), json!({"enabled": "false"})).await;
        assert_eq!(r.status, 200, "{}", r.body);
        walter.get("/API/identity/user").await.error(401);
    }

    async fn unknown_paths_and_methods_answer_in_bonitas_form(app) {
        let (_, admin) = admin_session(&app, "ACME").await;
        admin.get("/API/identity/nothing").await.error(404);
        admin.get("/nothing").await.error(404);
        admin.send(Method::PATCH, "/API/identity/user", None, true).await.error(405);
        admin.get("/API/identity/user/abc").await.error(404);
    }
}
