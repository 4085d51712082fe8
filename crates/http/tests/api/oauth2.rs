//! `POST /oauth2/token` (RFC 6749): the password, client_credentials and refresh_token grants.

use crate::both;
use crate::helpers::{Org, TestApp, ADMIN_PASSWORD, MASTER_KEY};
use reqwest::header::HeaderMap;
use serde_json::{json, Value};

/// A token response with its headers.
struct Reply {
    status: u16,
    headers: HeaderMap,
    body: Value,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts an RFC 6749 §5.2 error with `status` and `code`.
    fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(
            (self.status, self.body["error"].as_str()),
            (status, Some(code)),
            "{}",
            self.body
        );
        assert!(
            self.body["error_description"].is_string(),
            "error_description: {}",
            self.body
        );
        assert_eq!(self.header("cache-control"), Some("no-store"));
        assert!(
            self.body.get("access_token").is_none(),
            "no token on error: {}",
            self.body
        );
    }
}

/// POSTs a form to `/oauth2/token`, optionally with HTTP Basic client credentials.
async fn token(app: &TestApp, form: &[(&str, &str)], basic: Option<(&str, &str)>) -> Reply {
    let mut req = app
        .client
        .post(format!("{}/oauth2/token", app.url))
        .form(form);
    if let Some((id, secret)) = basic {
        req = req.basic_auth(id, Some(secret));
    }
    let res = req.send().await.expect("request");
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let text = res.text().await.expect("body");
    let body =
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"));
    Reply {
        status,
        headers,
        body,
    }
}

async fn password_grant(app: &TestApp, username: &str, password: &str) -> Reply {
    token(
        app,
        &[
            ("grant_type", "password"),
            ("username", username),
            ("password", password),
        ],
        None,
    )
    .await
}

/// `GET /api/v1/me` with a bearer token: status and body.
async fn me(app: &TestApp, access_token: &str) -> (u16, Value) {
    let res = app
        .client
        .get(format!("{}/api/v1/me", app.url))
        .bearer_auth(access_token)
        .send()
        .await
        .expect("request");
    let status = res.status().as_u16();
    (status, res.json().await.expect("json"))
}

fn access(r: &Reply) -> String {
    r.body["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("access_token: {}", r.body))
        .to_string()
}

fn refresh(r: &Reply) -> String {
    r.body["refresh_token"]
        .as_str()
        .unwrap_or_else(|| panic!("refresh_token: {}", r.body))
        .to_string()
}

async fn set_user_active(app: &TestApp, org: &Org, id: i64, active: bool) {
    let path = if active {
        "user/activate"
    } else {
        "user/inactivate"
    };
    app.ok(org, path, json!({"user": {"__id__": id}})).await;
}

async fn set_org_active(app: &TestApp, org: &Org, active: bool) {
    let path = if active {
        "organization/activate"
    } else {
        "organization/inactivate"
    };
    let (s, v) = app
        .omni(
            path,
            json!({"api_key": MASTER_KEY, "organization": {"__id__": org.id}}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
}

both! {
    async fn password_grant_issues_a_bearer_token_pair(app) {
        let org = app.org("ACME").await;
        app.user(&org, "alice").await;
        let r = password_grant(&app, "alice@ACME", "secret-pw").await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["token_type"], "Bearer");
        assert!(r.body["expires_in"].as_i64().unwrap() > 0, "{}", r.body);
        let (a, rt) = (access(&r), refresh(&r));
        assert!(a.len() >= 32 && rt.len() >= 32, "{}", r.body);
        assert_ne!(a, rt);
        assert_eq!(r.header("cache-control"), Some("no-store"));
        assert_eq!(r.header("pragma"), Some("no-cache"));
        assert!(r.header("content-type").unwrap().starts_with("application/json"));
        // The token works, for the right user.
        let (s, v) = me(&app, &a).await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["user"]["username"], "alice@ACME");
        assert_eq!(v["organization"]["abbr"], "ACME");
        // Each grant issues fresh tokens.
        let r2 = password_grant(&app, "alice@ACME", "secret-pw").await;
        assert_eq!(r2.status, 200);
        assert_ne!(access(&r2), a);
        assert_ne!(refresh(&r2), rt);
    }

    async fn password_grant_also_accepts_a_json_body_and_a_public_client_id(app) {
        let org = app.org("ACME").await;
        app.user(&org, "alice").await;
        let res = app.client.post(format!("{}/oauth2/token", app.url))
            .json(&json!({"grant_type": "password", "username": "alice@ACME", "password": "secret-pw"}))
            .send().await.unwrap();
        assert_eq!(res.status().as_u16(), 200);
        let v: Value = res.json().await.unwrap();
        assert_eq!(v["token_type"], "Bearer");
        let r = token(&app, &[("grant_type", "password"), ("username", "alice@ACME"),
            ("password", "secret-pw"), ("client_id", "my-cli")], None).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let (_, v) = me(&app, &access(&r)).await;
        assert_eq!(v["client_id"], "my-cli");
    }

    async fn platform_administrator_logs_in_as_admin(app) {
        let r = password_grant(&app, "admin", ADMIN_PASSWORD).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let (s, v) = me(&app, &access(&r)).await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["user"]["login"], "admin");
        assert_eq!(v["user"]["is_admin"], true);
        assert_eq!(v["organization"]["abbr"], "SYSTEM");
        password_grant(&app, "admin", "wrong").await.assert_error(400, "invalid_grant");
        // The master API key is not the administrator's password.
        password_grant(&app, "admin", MASTER_KEY).await.assert_error(400, "invalid_grant");
    }

    async fn bad_credentials_fail_alike_with_invalid_grant(app) {
        let org = app.org("ACME").await;
        app.user(&org, "alice").await;
        let mut descriptions = Vec::new();
        for (user, pw) in [
            ("alice@ACME", "wrong-pw"),
            ("alice@ACME", "SECRET-PW"),
            ("nobody@ACME", "secret-pw"),
            ("alice@NOSUCH", "secret-pw"),
            ("alice", "secret-pw"),
            ("@ACME", "secret-pw"),
            ("alice@", "secret-pw"),
            ("x'; DROP TABLE users;--@ACME", "secret-pw"),
            ("alice@ACME", "' OR '1'='1"),
        ] {
            let r = password_grant(&app, user, pw).await;
            r.assert_error(400, "invalid_grant");
            descriptions.push(r.body["error_description"].clone());
        }
        // Nothing tells an unknown user from a wrong password.
        assert!(descriptions.windows(2).all(|w| w[0] == w[1]), "{descriptions:?}");
        assert_eq!(password_grant(&app, "alice@ACME", "secret-pw").await.status, 200);
    }

    async fn user_without_a_password_cannot_log_in(app) {
        let org = app.org("ACME").await;
        let dept = app.id_of(&org, "department", "MIS Department").await;
        let rank = app.id_of(&org, "rank", "Specialist").await;
        app.ok(&org, "user/create", json!({"user": {"username": "nopw@ACME", "display_name": "No password",
            "rank": {"__id__": rank}, "department": {"__id__": dept}}})).await;
        password_grant(&app, "nopw@ACME", "").await.assert_error(400, "invalid_request");
        password_grant(&app, "nopw@ACME", "anything").await.assert_error(400, "invalid_grant");
    }

    async fn inactive_user_or_organization_cannot_log_in(app) {
        let org = app.org("ACME").await;
        let alice = app.user(&org, "alice").await;
        set_user_active(&app, &org, alice, false).await;
        password_grant(&app, "alice@ACME", "secret-pw").await.assert_error(400, "invalid_grant");
        set_user_active(&app, &org, alice, true).await;
        assert_eq!(password_grant(&app, "alice@ACME", "secret-pw").await.status, 200);
        set_org_active(&app, &org, false).await;
        password_grant(&app, "alice@ACME", "secret-pw").await.assert_error(400, "invalid_grant");
        set_org_active(&app, &org, true).await;
        assert_eq!(password_grant(&app, "alice@ACME", "secret-pw").await.status, 200);
    }

    async fn malformed_requests_are_invalid_request(app) {
        let org = app.org("ACME").await;
        app.user(&org, "alice").await;
        // No grant_type at all, or an empty one.
        token(&app, &[("username", "alice@ACME"), ("password", "secret-pw")], None).await
            .assert_error(400, "invalid_request");
        token(&app, &[("grant_type", "")], None).await.assert_error(400, "invalid_request");
        token(&app, &[], None).await.assert_error(400, "invalid_request");
        // Missing parameters of the password grant.
        token(&app, &[("grant_type", "password"), ("password", "secret-pw")], None).await
            .assert_error(400, "invalid_request");
        token(&app, &[("grant_type", "password"), ("username", "alice@ACME")], None).await
            .assert_error(400, "invalid_request");
        // refresh_token grant without a refresh token.
        token(&app, &[("grant_type", "refresh_token")], None).await.assert_error(400, "invalid_request");
        // A repeated parameter (RFC 6749 §3.2).
        token(&app, &[("grant_type", "password"), ("username", "alice@ACME"), ("username", "bob@ACME"),
            ("password", "secret-pw")], None).await.assert_error(400, "invalid_request");
        // A JSON body that is not an object.
        let res = app.client.post(format!("{}/oauth2/token", app.url))
            .header("content-type", "application/json").body("[1, 2]").send().await.unwrap();
        assert_eq!(res.status().as_u16(), 400);
        let v: Value = res.json().await.unwrap();
        assert_eq!(v["error"], "invalid_request");
        let res = app.client.post(format!("{}/oauth2/token", app.url))
            .header("content-type", "application/json").body("{not json").send().await.unwrap();
        assert_eq!(res.status().as_u16(), 400);
        let v: Value = res.json().await.unwrap();
        assert_eq!(v["error"], "invalid_request");
        // A secret without a client id.
        token(&app, &[("grant_type", "client_credentials"), ("client_secret", &org.key)], None).await
            .assert_error(400, "invalid_request");
    }

    async fn unknown_grant_types_are_unsupported(app) {
        for grant in ["authorization_code", "implicit", "urn:ietf:params:oauth:grant-type:jwt-bearer", "PASSWORD"] {
            token(&app, &[("grant_type", grant), ("username", "admin"), ("password", ADMIN_PASSWORD)], None)
                .await
                .assert_error(400, "unsupported_grant_type");
        }
    }

    async fn client_credentials_in_the_body_give_an_organization_token(app) {
        let org = app.org("ACME").await;
        let r = token(&app, &[("grant_type", "client_credentials"), ("client_id", "ACME"),
            ("client_secret", &org.key)], None).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["token_type"], "Bearer");
        assert!(r.body["expires_in"].as_i64().unwrap() > 0);
        assert_eq!(r.header("cache-control"), Some("no-store"));
        // RFC 6749 §4.4.3: no refresh token for client credentials (omitted, not null).
        assert!(r.body.get("refresh_token").is_none(), "{}", r.body);
        let (s, v) = me(&app, &access(&r)).await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["user"], Value::Null);
        assert_eq!(v["organization"]["abbr"], "ACME");
        assert_eq!(v["organization"]["id"], org.id);
        assert_eq!(v["client_id"], "ACME");
    }

    async fn client_credentials_over_http_basic_give_an_organization_token(app) {
        let org = app.org("ACME").await;
        let r = token(&app, &[("grant_type", "client_credentials")], Some(("ACME", &org.key))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let (s, v) = me(&app, &access(&r)).await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["user"], Value::Null);
        assert_eq!(v["organization"]["abbr"], "ACME");
        // A scope asked for is kept and echoed.
        let r = token(&app, &[("grant_type", "client_credentials"), ("scope", "read")],
            Some(("ACME", &org.key))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["scope"], "read");
        assert_eq!(me(&app, &access(&r)).await.1["scope"], "read");
    }

    async fn wrong_client_secret_is_invalid_client(app) {
        let acme = app.org("ACME").await;
        let beta = app.org("BETA").await;
        let cases: [(&str, &str); 5] = [
            ("ACME", "wrong-secret"),
            ("ACME", &beta.key),        // another organization's key
            ("BETA", &acme.key),        // right key, wrong client id
            ("NOSUCH", &acme.key),
            ("SYSTEM", MASTER_KEY),     // the master key is no client secret
        ];
        for (id, secret) in cases {
            // In the body: 401 without a Basic challenge.
            let r = token(&app, &[("grant_type", "client_credentials"), ("client_id", id),
                ("client_secret", secret)], None).await;
            r.assert_error(401, "invalid_client");
            assert_eq!(r.header("www-authenticate"), None, "{id}");
            // Over HTTP Basic: 401 with the challenge (RFC 6749 §5.2).
            let r = token(&app, &[("grant_type", "client_credentials")], Some((id, secret))).await;
            r.assert_error(401, "invalid_client");
            let challenge = r.header("www-authenticate").unwrap_or_default();
            assert!(challenge.starts_with("Basic"), "{id}: {challenge:?}");
        }
        // No client authentication at all.
        token(&app, &[("grant_type", "client_credentials")], None).await.assert_error(401, "invalid_client");
        token(&app, &[("grant_type", "client_credentials"), ("client_id", "ACME")], None).await
            .assert_error(401, "invalid_client");
        // Malformed Basic credentials.
        let res = app.client.post(format!("{}/oauth2/token", app.url))
            .header("authorization", "Basic %%%not-base64")
            .form(&[("grant_type", "client_credentials")]).send().await.unwrap();
        assert_eq!(res.status().as_u16(), 401);
        assert!(res.headers().get("www-authenticate").is_some());
        let v: Value = res.json().await.unwrap();
        assert_eq!(v["error"], "invalid_client");
    }

    async fn inactive_organization_cannot_use_client_credentials(app) {
        let org = app.org("ACME").await;
        set_org_active(&app, &org, false).await;
        token(&app, &[("grant_type", "client_credentials")], Some(("ACME", &org.key))).await
            .assert_error(401, "invalid_client");
        set_org_active(&app, &org, true).await;
        let r = token(&app, &[("grant_type", "client_credentials")], Some(("ACME", &org.key))).await;
        assert_eq!(r.status, 200, "{}", r.body);
    }

    async fn password_grant_through_a_confidential_client_must_stay_in_its_organization(app) {
        let acme = app.org("ACME").await;
        let beta = app.org("BETA").await;
        app.user(&acme, "alice").await;
        let form = [("grant_type", "password"), ("username", "alice@ACME"), ("password", "secret-pw")];
        let r = token(&app, &form, Some(("ACME", &acme.key))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(me(&app, &access(&r)).await.1["user"]["username"], "alice@ACME");
        token(&app, &form, Some(("BETA", &beta.key))).await.assert_error(400, "invalid_grant");
        // A client that presents a wrong secret is refused whatever the grant.
        token(&app, &form, Some(("ACME", "wrong"))).await.assert_error(401, "invalid_client");
    }

    async fn refresh_token_grant_rotates_the_refresh_token(app) {
        let org = app.org("ACME").await;
        app.user(&org, "alice").await;
        let first = password_grant(&app, "alice@ACME", "secret-pw").await;
        let old_refresh = refresh(&first);
        let r = token(&app, &[("grant_type", "refresh_token"), ("refresh_token", &old_refresh)], None).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["token_type"], "Bearer");
        assert_eq!(r.header("cache-control"), Some("no-store"));
        let (new_access, new_refresh) = (access(&r), refresh(&r));
        assert_ne!(new_refresh, old_refresh);
        assert_ne!(new_access, access(&first));
        let (s, v) = me(&app, &new_access).await;
        assert_eq!((s, v["user"]["username"].as_str()), (200, Some("alice@ACME")));
        // The old refresh token is spent.
        token(&app, &[("grant_type", "refresh_token"), ("refresh_token", &old_refresh)], None).await
            .assert_error(400, "invalid_grant");
        // The new one works once.
        let r = token(&app, &[("grant_type", "refresh_token"), ("refresh_token", &new_refresh)], None).await;
        assert_eq!(r.status, 200, "{}", r.body);
        token(&app, &[("grant_type", "refresh_token"), ("refresh_token", &new_refresh)], None).await
            .assert_error(400, "invalid_grant");
    }

    async fn refresh_token_keeps_client_and_scope(app) {
        let org = app.org("ACME").await;
        app.user(&org, "alice").await;
        let r = token(&app, &[("grant_type", "password"), ("username", "alice@ACME"), ("password", "secret-pw"),
            ("client_id", "my-cli"), ("scope", "read write")], None).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let r = token(&app, &[("grant_type", "refresh_token"), ("refresh_token", &refresh(&r)),
            ("client_id", "my-cli")], None).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["scope"], "read write");
        let (_, v) = me(&app, &access(&r)).await;
        assert_eq!((v["client_id"].as_str(), v["scope"].as_str()), (Some("my-cli"), Some("read write")));
        // Another client cannot use it.
        token(&app, &[("grant_type", "refresh_token"), ("refresh_token", &refresh(&r)),
            ("client_id", "other-cli")], None).await.assert_error(400, "invalid_grant");
    }

    async fn tokens_are_not_interchangeable(app) {
        let org = app.org("ACME").await;
        app.user(&org, "alice").await;
        let r = password_grant(&app, "alice@ACME", "secret-pw").await;
        // An access token is no refresh token, and the reverse.
        token(&app, &[("grant_type", "refresh_token"), ("refresh_token", &access(&r))], None).await
            .assert_error(400, "invalid_grant");
        let (s, _) = me(&app, &refresh(&r)).await;
        assert_eq!(s, 401);
        // Garbage, and an API key, are no refresh tokens.
        for bogus in ["garbage", "slrt_0000", &org.key, MASTER_KEY] {
            token(&app, &[("grant_type", "refresh_token"), ("refresh_token", bogus)], None).await
                .assert_error(400, "invalid_grant");
        }
        // The refresh token still works after all that.
        let r2 = token(&app, &[("grant_type", "refresh_token"), ("refresh_token", &refresh(&r))], None).await;
        assert_eq!(r2.status, 200, "{}", r2.body);
    }

    async fn refresh_fails_once_the_user_or_organization_is_inactive(app) {
        let org = app.org("ACME").await;
        let alice = app.user(&org, "alice").await;
        let r = password_grant(&app, "alice@ACME", "secret-pw").await;
        set_user_active(&app, &org, alice, false).await;
        token(&app, &[("grant_type", "refresh_token"), ("refresh_token", &refresh(&r))], None).await
            .assert_error(400, "invalid_grant");
        set_user_active(&app, &org, alice, true).await;
        let r = password_grant(&app, "alice@ACME", "secret-pw").await;
        set_org_active(&app, &org, false).await;
        token(&app, &[("grant_type", "refresh_token"), ("refresh_token", &refresh(&r))], None).await
            .assert_error(400, "invalid_grant");
    }

    async fn refresh_fails_once_the_user_is_deleted(app) {
        let org = app.org("ACME").await;
        let alice = app.user(&org, "alice").await;
        let r = password_grant(&app, "alice@ACME", "secret-pw").await;
        app.ok(&org, "user/delete", json!({"user": {"__id__": alice}})).await;
        token(&app, &[("grant_type", "refresh_token"), ("refresh_token", &refresh(&r))], None).await
            .assert_error(400, "invalid_grant");
        assert_eq!(me(&app, &access(&r)).await.0, 401);
        // A new user with the same login does not inherit the old tokens.
        app.user(&org, "alice").await;
        assert_eq!(me(&app, &access(&r)).await.0, 401);
    }

    async fn password_change_leaves_the_new_password_working_only(app) {
        let org = app.org("ACME").await;
        let alice = app.user(&org, "alice").await;
        app.ok(&org, "user/update", json!({"user": {"__id__": alice, "password": "new-secret"}})).await;
        password_grant(&app, "alice@ACME", "secret-pw").await.assert_error(400, "invalid_grant");
        assert_eq!(password_grant(&app, "alice@ACME", "new-secret").await.status, 200);
    }

    async fn token_endpoint_answers_post_only(app) {
        let res = app.client.get(format!("{}/oauth2/token?grant_type=password&username=admin&password={ADMIN_PASSWORD}", app.url))
            .send().await.unwrap();
        assert_eq!(res.status().as_u16(), 405);
        assert!(res.headers().get("allow").is_some_and(|v| v.to_str().unwrap().contains("POST")));
        let v: Value = res.json().await.expect("a JSON error");
        assert_eq!(v["error"], "invalid_request");
        assert!(v.get("access_token").is_none());
    }
}

both! {
    async fn hostile_parameters_are_refused_without_a_server_error(app) {
        let org = app.org("ACME").await;
        app.user(&org, "alice").await;
        let long = "x".repeat(10_000);
        // NUL and other control characters, and over-long values, in every free-text parameter.
        for bad in ["a\u{0}b", "\u{0}", "line\nbreak", long.as_str()] {
            let user_in_org = format!("{bad}@ACME");
            let org_of_user = format!("alice@{bad}");
            for username in [bad, user_in_org.as_str(), org_of_user.as_str()] {
                password_grant(&app, username, "secret-pw").await.assert_error(400, "invalid_grant");
            }
            password_grant(&app, "alice@ACME", bad).await.assert_error(400, "invalid_grant");
            let r = token(&app, &[("grant_type", "password"), ("username", "alice@ACME"),
                ("password", "secret-pw"), ("client_id", bad)], None).await;
            r.assert_error(400, "invalid_request");
            let r = token(&app, &[("grant_type", "password"), ("username", "alice@ACME"),
                ("password", "secret-pw"), ("scope", bad)], None).await;
            assert_eq!(r.status, 400, "{}", r.body);
            assert!(["invalid_request", "invalid_scope"].contains(&r.body["error"].as_str().unwrap()), "{}", r.body);
            token(&app, &[("grant_type", "client_credentials"), ("client_id", bad), ("client_secret", &org.key)], None)
                .await.assert_error(401, "invalid_client");
            token(&app, &[("grant_type", "refresh_token"), ("refresh_token", bad)], None)
                .await.assert_error(400, "invalid_grant");
            token(&app, &[("grant_type", bad)], None).await.assert_error(400, "unsupported_grant_type");
        }
        // Sane values still work afterwards.
        let r = token(&app, &[("grant_type", "password"), ("username", "alice@ACME"),
            ("password", "secret-pw"), ("client_id", "cli-1.0_beta"), ("scope", "read write:all")], None).await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
}

both! {
    async fn a_public_client_cannot_pose_as_an_organization_client(app) {
        let acme = app.org("ACME").await;
        app.org("BETA").await;
        app.user(&acme, "alice").await;
        for id in ["ACME", "BETA", "SYSTEM"] {
            let r = token(&app, &[("grant_type", "password"), ("username", "alice@ACME"),
                ("password", "secret-pw"), ("client_id", id)], None).await;
            r.assert_error(401, "invalid_client");
        }
        // With the secret, the organization's own client is fine.
        let r = token(&app, &[("grant_type", "password"), ("username", "alice@ACME"), ("password", "secret-pw"),
            ("client_id", "ACME"), ("client_secret", &acme.key)], None).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(me(&app, &access(&r)).await.1["client_id"], "ACME");
    }

    async fn a_confidential_client_refreshes_only_with_its_credentials(app) {
        let acme = app.org("ACME").await;
        let beta = app.org("BETA").await;
        app.user(&acme, "alice").await;
        let form = [("grant_type", "password"), ("username", "alice@ACME"), ("password", "secret-pw")];
        let fresh = || async { refresh(&token(&app, &form, Some(("ACME", &acme.key))).await) };
        // With the client's credentials (Basic or body), the token rotates as usual.
        let rt = fresh().await;
        let r = token(&app, &[("grant_type", "refresh_token"), ("refresh_token", &rt)], Some(("ACME", &acme.key))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let (s, v) = me(&app, &access(&r)).await;
        assert_eq!((s, v["client_id"].as_str()), (200, Some("ACME")));
        let r = token(&app, &[("grant_type", "refresh_token"), ("refresh_token", &refresh(&r)),
            ("client_id", "ACME"), ("client_secret", &acme.key)], None).await;
        assert_eq!(r.status, 200, "{}", r.body);
        // A leaked refresh token is useless without the client's secret.
        let rt = fresh().await;
        token(&app, &[("grant_type", "refresh_token"), ("refresh_token", &rt)], None).await
            .assert_error(400, "invalid_grant");
        let rt = fresh().await;
        token(&app, &[("grant_type", "refresh_token"), ("refresh_token", &rt), ("client_id", "ACME")], None).await
            .assert_error(401, "invalid_client");
        let rt = fresh().await;
        token(&app, &[("grant_type", "refresh_token"), ("refresh_token", &rt)], Some(("ACME", "wrong"))).await
            .assert_error(401, "invalid_client");
        // Nor can another organization's client use it.
        let rt = fresh().await;
        token(&app, &[("grant_type", "refresh_token"), ("refresh_token", &rt)], Some(("BETA", &beta.key))).await
            .assert_error(400, "invalid_grant");
        // And a confidential client cannot take over another client's or organization's tokens.
        let public = token(&app, &[("grant_type", "password"), ("username", "alice@ACME"),
            ("password", "secret-pw"), ("client_id", "my-cli")], None).await;
        token(&app, &[("grant_type", "refresh_token"), ("refresh_token", &refresh(&public))],
            Some(("ACME", &acme.key))).await.assert_error(400, "invalid_grant");
        let anonymous = password_grant(&app, "alice@ACME", "secret-pw").await;
        token(&app, &[("grant_type", "refresh_token"), ("refresh_token", &refresh(&anonymous))],
            Some(("BETA", &beta.key))).await.assert_error(400, "invalid_grant");
    }

    async fn concurrent_refreshes_of_one_token_succeed_once(app) {
        let org = app.org("ACME").await;
        app.user(&org, "alice").await;
        let rt = refresh(&password_grant(&app, "alice@ACME", "secret-pw").await);
        let attempts = (0..8).map(|_| {
            let (client, url, rt) = (app.client.clone(), app.url.clone(), rt.clone());
            tokio::spawn(async move {
                client.post(format!("{url}/oauth2/token"))
                    .form(&[("grant_type", "refresh_token"), ("refresh_token", rt.as_str())])
                    .send().await.unwrap().status().as_u16()
            })
        });
        let mut statuses = Vec::new();
        for a in attempts.collect::<Vec<_>>() {
            statuses.push(a.await.unwrap());
        }
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 400, 400, 400, 400, 400, 400, 400]);
    }
}
