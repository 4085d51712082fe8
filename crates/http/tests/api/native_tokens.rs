//! Native `/api/v1/me/tokens`: personal API tokens are created (value shown once), act as
//! their user on every bearer surface, are listed without values, and stop working when
//! revoked; other users' tokens cannot be touched.

use crate::both;
use crate::plusworkflow_client::*;
use reqwest::Method;
use serde_json::json;

both! {
    async fn personal_tokens_act_as_their_user_until_revoked(app) {
        let org = app.org("ACME").await;
        let (boss, oauth) = admin(&app, &org, "boss").await;
        let r = native(&app, Method::POST, Some(&oauth), "me/tokens",
            Some(&json!({"name": "nightly sync", "valid_days": 30}).to_string())).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let token = r.body["token"].as_str().unwrap().to_string();
        assert!(token.starts_with("slu_pat_"), "{token}");
        assert_eq!(r.body["name"], "nightly sync");
        assert!(r.body["expires_at"].is_string());
        let id = r.body["id"].as_i64().unwrap();
        // It is a bearer token of its user.
        let me = native(&app, Method::GET, Some(&token), "me", None).await;
        assert_eq!((me.status, &me.body["user"]["id"]), (200, &json!(boss)), "{}", me.body);
        // Listed without its value.
        let l = native(&app, Method::GET, Some(&oauth), "me/tokens", None).await;
        assert_eq!(l.status, 200);
        assert_eq!(l.body.as_array().unwrap().len(), 1);
        assert_eq!(l.body[0]["id"], id);
        assert!(l.body[0].get("token").is_none(), "{}", l.body);
        // Another user cannot revoke it.
        app.user(&org, "bob").await;
        let bob = user_token(&app, &org, "bob").await;
        let other = native(&app, Method::DELETE, Some(&bob), &format!("me/tokens/{id}"), None).await;
        assert_eq!(other.status, 404, "{}", other.body);
        // Revoked: 204, then the token is refused at once.
        let d = native(&app, Method::DELETE, Some(&token), &format!("me/tokens/{id}"), None).await;
        assert_eq!(d.status, 204);
        let me = native(&app, Method::GET, Some(&token), "me", None).await;
        assert_eq!(me.status, 401);
        let again = native(&app, Method::DELETE, Some(&oauth), &format!("me/tokens/{id}"), None).await;
        assert_eq!(again.status, 404);
    }

    async fn bad_token_requests_are_refused(app) {
        let org = app.org("ACME").await;
        let (_, oauth) = admin(&app, &org, "boss").await;
        for body in [json!({}), json!({"name": ""}), json!({"name": "x", "valid_days": 0}),
                     json!({"name": "x", "valid_days": 99999}), json!({"name": "x", "extra": 1})] {
            let r = native(&app, Method::POST, Some(&oauth), "me/tokens", Some(&body.to_string())).await;
            assert_eq!(r.status, 400, "{body}: {}", r.body);
        }
        let r = native(&app, Method::GET, Some(&oauth), "me/tokens", None).await;
        assert_eq!(r.body, json!([]));
        // An organization-level credential has no user to own a token.
        let org_level = org_token(&app, &org).await;
        let r = native(&app, Method::POST, Some(&org_level), "me/tokens",
            Some(&json!({"name": "x"}).to_string())).await;
        assert_eq!(r.status, 403, "{}", r.body);
        let r = native(&app, Method::GET, None, "me/tokens", None).await;
        assert_eq!(r.status, 401);
        let r = native(&app, Method::GET, Some("slu_pat_0000"), "me", None).await;
        assert_eq!(r.status, 401);
    }
}

both! {
    async fn a_user_holds_at_most_100_tokens(app) {
        let org = app.org("ACME").await;
        let (_, oauth) = admin(&app, &org, "boss").await;
        let create = |name: String| {
            let (app, oauth) = (&app, &oauth);
            async move {
                native(app, Method::POST, Some(oauth), "me/tokens", Some(&json!({"name": name}).to_string())).await
            }
        };
        let mut first = None;
        for i in 0..100 {
            let r = create(format!("t{i}")).await;
            assert_eq!(r.status, 201, "{}", r.body);
            first.get_or_insert(r.body["id"].as_i64().unwrap());
        }
        let r = create("one too many".into()).await;
        assert_eq!(r.status, 400, "{}", r.body);
        assert!(r.body.to_string().contains("at most 100"), "{}", r.body);
        let l = native(&app, Method::GET, Some(&oauth), "me/tokens", None).await;
        assert_eq!(l.body.as_array().unwrap().len(), 100);
        // Revoking one makes room; another user has their own allowance.
        let d = native(&app, Method::DELETE, Some(&oauth), &format!("me/tokens/{}", first.unwrap()), None).await;
        assert_eq!(d.status, 204);
        assert_eq!(create("replacement".into()).await.status, 201);
        app.user(&org, "bob").await;
        let bob = user_token(&app, &org, "bob").await;
        let r = native(&app, Method::POST, Some(&bob), "me/tokens", Some(&json!({"name": "mine"}).to_string())).await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
}
