//! Test harness: a real server on 127.0.0.1:0 over a fresh database, driven through HTTP.
//!
//! Every test runs twice: on a new SQLite file, and on a new PostgreSQL schema when
//! `SLUICE_TEST_DATABASE_URL` is set (CI sets it; see README).

use serde_json::{json, Value};
use sluice_http::AppState;
use sluice_store::bootstrap::BootstrapOptions;
use sluice_store::{Store, StoreOptions};
use std::sync::Arc;

pub const MASTER_KEY: &str = "test-master-key-0123456789abcdef0123456789abcdef";
pub const ADMIN_PASSWORD: &str = "test-admin-password";

/// A running server and a client for it.
pub struct TestApp {
    pub url: String,
    pub database_url: String,
    pub client: reqwest::Client,
    #[allow(dead_code)]
    pub store: Store,
    _sqlite_dir: Option<tempfile::TempDir>,
    pg_schema: Option<(String, String)>,
}

/// An organization made for a test, with its API key.
#[derive(Clone, Debug)]
pub struct Org {
    pub id: i64,
    pub abbr: String,
    pub key: String,
}

impl TestApp {
    pub async fn sqlite() -> Self {
        Self::sqlite_with(true).await
    }

    /// `None` (and the test passes vacuously, saying so) when no PostgreSQL is configured.
    pub async fn postgres() -> Option<Self> {
        Self::postgres_with(true).await
    }

    /// A server without the background deadline worker (as if it were down for it).
    pub async fn sqlite_with(deadline_worker: bool) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}/sluice.db", dir.path().display());
        Self::start(url, Some(dir), None, deadline_worker).await
    }

    /// A second server, with its deadline worker, over this one's database (a restart).
    pub async fn reopen(&self) -> Self {
        Self::start(self.database_url.clone(), None, None, true).await
    }

    /// See [`TestApp::sqlite_with`].
    pub async fn postgres_with(deadline_worker: bool) -> Option<Self> {
        let Ok(base) = std::env::var("SLUICE_TEST_DATABASE_URL") else {
            eprintln!("SLUICE_TEST_DATABASE_URL is not set: PostgreSQL variant skipped");
            return None;
        };
        let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
        let admin = sqlx::PgPool::connect(&base)
            .await
            .expect("connect to SLUICE_TEST_DATABASE_URL");
        sqlx::query(&format!("CREATE SCHEMA {schema}"))
            .execute(&admin)
            .await
            .expect("create schema");
        admin.close().await;
        let sep = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
        Some(Self::start(url, None, Some((base, schema)), deadline_worker).await)
    }

    async fn start(
        database_url: String,
        dir: Option<tempfile::TempDir>,
        pg_schema: Option<(String, String)>,
        deadline_worker: bool,
    ) -> Self {
        let mut options = StoreOptions::new(database_url.clone());
        options.max_connections = Some(4);
        let store = Store::connect(&options).await.expect("store");
        let boot = store
            .bootstrap(&BootstrapOptions {
                master_api_key: Some(MASTER_KEY.into()),
                admin_password: Some(ADMIN_PASSWORD.into()),
                secret_key: Some("test-secret-key-that-is-long-enough-0123".into()),
            })
            .await
            .expect("bootstrap");
        if deadline_worker {
            tokio::spawn(store.clone().run_deadline_worker());
        }
        let app = sluice_http::router(AppState {
            store: store.clone(),
            secret_key: Arc::new(boot.secret_key),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
        TestApp {
            url,
            database_url,
            client: reqwest::Client::new(),
            store,
            _sqlite_dir: dir,
            pg_schema,
        }
    }

    /// POSTs a JSON body to an OmniBPM path (`"user/create"`), returning status and body.
    pub async fn omni(&self, path: &str, body: Value) -> (u16, Value) {
        let res = self
            .client
            .post(format!("{}/api/v0.1/{path}/", self.url))
            .json(&body)
            .send()
            .await
            .expect("request");
        let status = res.status().as_u16();
        let text = res.text().await.expect("body");
        let value =
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"));
        (status, value)
    }

    /// Like [`omni`](Self::omni) with the organization's key, asserting `RESPONSE: OK`.
    pub async fn ok(&self, org: &Org, path: &str, mut body: Value) -> Value {
        body["api_key"] = json!(org.key);
        let (status, v) = self.omni(path, body).await;
        assert_eq!(
            (status, v["RESPONSE"].as_str()),
            (200, Some("OK")),
            "{path}: {v}"
        );
        v
    }

    /// Like [`omni`](Self::omni) with the organization's key, asserting an ERR with `status`.
    pub async fn err(&self, org: &Org, path: &str, mut body: Value, status: u16) -> String {
        body["api_key"] = json!(org.key);
        let (got, v) = self.omni(path, body).await;
        assert_eq!(v["RESPONSE"], "ERR", "{path}: {v}");
        assert_eq!(got, status, "{path}: {v}");
        v["RMSG"].as_str().expect("RMSG").to_string()
    }

    /// Creates an organization (with the default departments and ranks).
    pub async fn org(&self, abbr: &str) -> Org {
        let (status, v) = self
            .omni(
                "organization/create",
                json!({"api_key": MASTER_KEY, "organization": {"name": format!("{abbr} Inc."), "abbr": abbr}}),
            )
            .await;
        assert_eq!(status, 200, "{v}");
        Org {
            id: v["organization"]["__id__"].as_i64().expect("id"),
            abbr: abbr.to_string(),
            key: v["organization"]["api_key"]
                .as_str()
                .expect("key")
                .to_string(),
        }
    }

    /// The id of a department or rank of `org` by name.
    pub async fn id_of(&self, org: &Org, kind: &str, name: &str) -> i64 {
        let list = self.ok(org, &format!("{kind}/list"), json!({})).await;
        let key = if kind == "rank" {
            "ranks"
        } else {
            "departments"
        };
        list[key]
            .as_array()
            .expect("list")
            .iter()
            .find(|o| o["name"] == name)
            .unwrap_or_else(|| panic!("no {kind} {name}"))["__id__"]
            .as_i64()
            .expect("id")
    }

    /// Creates a user `login@ABBR` in the default MIS department as a Specialist.
    pub async fn user(&self, org: &Org, login: &str) -> i64 {
        let dept = self.id_of(org, "department", "MIS Department").await;
        let rank = self.id_of(org, "rank", "Specialist").await;
        let v = self
            .ok(
                org,
                "user/create",
                json!({"user": {
                    "username": format!("{login}@{}", org.abbr),
                    "display_name": login,
                    "email": format!("{login}@example.com"),
                    "password": "secret-pw",
                    "rank": {"__id__": rank},
                    "department": {"__id__": dept}
                }}),
            )
            .await;
        v["user"]["__id__"].as_i64().expect("user id")
    }

    /// POSTs a form to `/oauth2/token`.
    pub async fn token(&self, form: &[(&str, &str)]) -> (u16, Value) {
        let res = self
            .client
            .post(format!("{}/oauth2/token", self.url))
            .form(form)
            .send()
            .await
            .expect("request");
        (res.status().as_u16(), res.json().await.expect("json"))
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some((base, schema)) = self.pg_schema.take() {
            // Best effort: drop the test's schema from a thread of its own (no async drop).
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .ok()?;
                rt.block_on(async {
                    let pool = sqlx::PgPool::connect(&base).await.ok()?;
                    sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                        .execute(&pool)
                        .await
                        .ok()?;
                    pool.close().await;
                    Some(())
                })
            })
            .join();
        }
    }
}

/// Defines a test that runs on SQLite and on PostgreSQL:
/// `both!(async fn name(app) { ... });` gives `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! both {
    ($(async fn $name:ident($app:ident) $body:block)*) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn run($app: $crate::helpers::TestApp) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                run($crate::helpers::TestApp::sqlite().await).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(app) = $crate::helpers::TestApp::postgres().await {
                    run(app).await
                }
            }
        }
    )*};
}

/// Asserts an exact OmniBPM error body and status.
pub async fn exact_err(
    app: &TestApp,
    org: &Org,
    path: &str,
    mut body: Value,
    status: u16,
    msg: &str,
) {
    body["api_key"] = json!(org.key);
    let (got, v) = app.omni(path, body).await;
    assert_eq!(
        (got, v),
        (status, json!({"RESPONSE": "ERR", "RMSG": msg})),
        "{path}"
    );
}

/// Asserts a 400 in the OmniBPM error form (exactly `RESPONSE` and `RMSG`), returning RMSG.
pub async fn bad_request(app: &TestApp, org: &Org, path: &str, mut body: Value) -> String {
    body["api_key"] = json!(org.key);
    let (got, v) = app.omni(path, body.clone()).await;
    assert_eq!(got, 400, "{path} {body}: {v}");
    let obj = v.as_object().expect("object");
    assert_eq!(obj.len(), 2, "{v}");
    assert_eq!(v["RESPONSE"], "ERR", "{v}");
    v["RMSG"].as_str().expect("RMSG").to_string()
}
