//! Native `/api/v1/roles`: roles with scopes, role members, uses of global roles; who may
//! call, bad input and tenant isolation.

use crate::both;
use crate::plusworkflow_client::*;
use reqwest::Method;
use serde_json::json;

both! {
    async fn roles_are_created_read_listed_and_deleted(app) {
        let org = app.org("ACME").await;
        let (boss, token) = admin(&app, &org, "boss").await;
        let r = native(&app, Method::POST, Some(&token), "roles", Some(&json!({
            "name": "uczestnik_1", "display_name": "Participant", "description": "Fills forms",
            "package_id": "suncode_api", "process_id": "zapisformularza"
        }).to_string())).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let id = r.body["id"].as_i64().unwrap();
        assert_eq!(r.body["name"], "uczestnik_1");
        assert_eq!(r.body["display_name"], "Participant");
        assert_eq!(r.body["description"], "Fills forms");
        assert_eq!(r.body["package_id"], "suncode_api");
        assert_eq!(r.body["process_id"], "zapisformularza");
        assert_eq!(r.body["created_by"], boss);
        assert!(r.body["created_at"].is_string() && r.body["updated_at"].is_string());
        let got = native(&app, Method::GET, Some(&token), &format!("roles/{id}"), None).await;
        assert_eq!((got.status, &got.body), (200, &r.body));
        // A global role (empty scope texts are no scope); names are unique per scope only.
        let global = create_role(&app, &token, json!({"name": "uczestnik_1", "package_id": "", "process_id": ""})).await;
        let g = native(&app, Method::GET, Some(&token), &format!("roles/{global}"), None).await;
        assert_eq!((&g.body["package_id"], &g.body["process_id"], &g.body["description"], &g.body["display_name"]),
            (&json!(null), &json!(null), &json!(""), &json!(null)));
        let dup = native(&app, Method::POST, Some(&token), "roles", Some(r#"{"name":"uczestnik_1"}"#)).await;
        assert_eq!((dup.status, &dup.body["code"]), (409, &json!("duplicate_name")), "{}", dup.body);
        create_role(&app, &token, json!({"name": "third", "package_id": "suncode_api"})).await;
        // Paged list in id order.
        let l = native(&app, Method::GET, Some(&token), "roles?offset=1&limit=1", None).await;
        assert_eq!(l.status, 200, "{}", l.body);
        assert_eq!(l.body["total"], 3);
        assert_eq!(l.body["items"].as_array().unwrap().len(), 1);
        assert_eq!(l.body["items"][0]["id"], global);
        let l = native(&app, Method::GET, Some(&token), "roles", None).await;
        assert_eq!(l.body["items"].as_array().unwrap().len(), 3);
        // Delete: 204, then 404.
        let d = native(&app, Method::DELETE, Some(&token), &format!("roles/{id}"), None).await;
        assert_eq!(d.status, 204);
        for m in [Method::GET, Method::DELETE] {
            let r = native(&app, m, Some(&token), &format!("roles/{id}"), None).await;
            assert_eq!((r.status, &r.body["code"]), (404, &json!("not_found")));
        }
    }

    async fn members_are_added_and_removed(app) {
        let org = app.org("ACME").await;
        let other = app.org("OTHER").await;
        let token = org_token(&app, &org).await;
        let role = create_role(&app, &token, json!({"name": "approver"})).await;
        let bob = app.user(&org, "bob").await;
        let eve = app.user(&other, "eve").await;
        let path = format!("roles/{role}/members");
        let r = native(&app, Method::POST, Some(&token), &path, Some(&json!({"user_id": bob}).to_string())).await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!((&r.body["role_id"], &r.body["user_id"], &r.body["assigned_by"]), (&json!(role), &json!(bob), &json!(null)));
        let again = native(&app, Method::POST, Some(&token), &path, Some(&json!({"user_id": bob}).to_string())).await;
        assert_eq!((again.status, &again.body["code"]), (409, &json!("conflict")));
        // Another organization's user, an unknown user, an unknown role: not found.
        for (p, user) in [(path.clone(), eve), (path.clone(), 999_999), ("roles/999999/members".to_string(), bob)] {
            let r = native(&app, Method::POST, Some(&token), &p, Some(&json!({"user_id": user}).to_string())).await;
            assert_eq!((r.status, &r.body["code"]), (404, &json!("not_found")), "{p} {user}");
        }
        let found = by_roles(&app, &token, json!([{"roleIds": ["approver"]}])).await;
        assert_eq!(found, vec!["bob"]);
        let del = native(&app, Method::DELETE, Some(&token), &format!("{path}/{bob}"), None).await;
        assert_eq!(del.status, 204, "{}", del.body);
        for p in [format!("{path}/{bob}"), format!("{path}/{eve}"), format!("roles/999999/members/{bob}")] {
            let r = native(&app, Method::DELETE, Some(&token), &p, None).await;
            assert_eq!((r.status, &r.body["code"]), (404, &json!("not_found")), "{p}");
        }
        assert!(by_roles(&app, &token, json!([{"roleIds": ["approver"]}])).await.is_empty());
        // Deleting a role takes its memberships with it.
        grant(&app, &token, role, bob).await;
        native(&app, Method::DELETE, Some(&token), &format!("roles/{role}"), None).await;
        assert!(by_roles(&app, &token, json!([{}])).await.is_empty());
    }

    async fn uses_are_recorded_for_global_roles_only(app) {
        let org = app.org("ACME").await;
        let token = org_token(&app, &org).await;
        let global = create_role(&app, &token, json!({"name": "clerk"})).await;
        let scoped = create_role(&app, &token, json!({"name": "clerk", "process_id": "p"})).await;
        use_role(&app, &token, global, json!({"process_id": "invoices"})).await;
        // Recording it again is no error.
        use_role(&app, &token, global, json!({"process_id": "invoices", "package_id": null})).await;
        let r = native(&app, Method::POST, Some(&token), &format!("roles/{scoped}/uses"),
            Some(r#"{"process_id":"invoices"}"#)).await;
        assert_eq!((r.status, &r.body["code"]), (404, &json!("not_found")), "{}", r.body);
        for body in [r#"{"process_id":""}"#, r#"{}"#, r#"{"process_id":5}"#, r#"{"process_id":"x","extra":1}"#] {
            let r = native(&app, Method::POST, Some(&token), &format!("roles/{global}/uses"), Some(body)).await;
            assert_eq!((r.status, &r.body["code"]), (400, &json!("invalid_request")), "{body}: {}", r.body);
        }
        let bob = app.user(&org, "bob").await;
        grant(&app, &token, global, bob).await;
        assert_eq!(by_roles(&app, &token, json!([{"processDefId": "invoices"}])).await, vec!["bob"]);
    }

    async fn only_administrators_manage_roles(app) {
        let org = app.org("ACME").await;
        let token = org_token(&app, &org).await;
        let role = create_role(&app, &token, json!({"name": "r"})).await;
        app.user(&org, "bob").await;
        let plain = user_token(&app, &org, "bob").await;
        let calls = [
            (Method::POST, "roles".to_string(), Some(r#"{"name":"x"}"#)),
            (Method::GET, "roles".to_string(), None),
            (Method::GET, format!("roles/{role}"), None),
            (Method::DELETE, format!("roles/{role}"), None),
            (Method::POST, format!("roles/{role}/members"), Some(r#"{"user_id":1}"#)),
            (Method::DELETE, format!("roles/{role}/members/1"), None),
            (Method::POST, format!("roles/{role}/uses"), Some(r#"{"process_id":"p"}"#)),
        ];
        for (m, p, b) in &calls {
            let r = native(&app, m.clone(), Some(&plain), p, *b).await;
            assert_eq!((r.status, &r.body["code"]), (403, &json!("forbidden")), "{m} {p}");
            let r = native(&app, m.clone(), None, p, *b).await;
            assert_eq!((r.status, &r.body["code"]), (401, &json!("missing_token")), "{m} {p}");
            let r = native(&app, m.clone(), Some("bogus"), p, *b).await;
            assert_eq!((r.status, &r.body["code"]), (401, &json!("invalid_token")), "{m} {p}");
        }
        // The role is still there.
        let r = native(&app, Method::GET, Some(&token), &format!("roles/{role}"), None).await;
        assert_eq!(r.status, 200);
    }

    async fn bad_input_is_invalid_request(app) {
        let org = app.org("ACME").await;
        let token = org_token(&app, &org).await;
        let big = format!(r#"{{"name":"{}"}}"#, "x".repeat(70 * 1024));
        let long_description = json!({"name": "n", "description": "d".repeat(5000)}).to_string();
        for body in ["", "{", "[]", "null", r#"{"name":5}"#, r#"{}"#, r#"{"name":""}"#, r#"{"name":"  "}"#,
            r#"{"name":"a","color":"red"}"#, r#"{"name":"a","package_id":7}"#, r#"{"name":"a\u0000"}"#,
            &long_description, &big] {
            let r = native(&app, Method::POST, Some(&token), "roles", Some(body)).await;
            assert_eq!((r.status, &r.body["code"]), (400, &json!("invalid_request")), "{body:.80}: {}", r.body);
        }
        for q in ["limit=1001", "limit=-1", "limit=x", "offset=-1", "offset=1e3", "offset=99999999999999999999"] {
            let r = native(&app, Method::GET, Some(&token), &format!("roles?{q}"), None).await;
            assert_eq!((r.status, &r.body["code"]), (400, &json!("invalid_request")), "{q}: {}", r.body);
        }
        for p in ["roles/abc", "roles/1.5", "roles/99999999999999999999"] {
            let r = native(&app, Method::GET, Some(&token), p, None).await;
            assert_eq!((r.status, &r.body["code"]), (400, &json!("invalid_request")), "{p}");
        }
        let r = native(&app, Method::DELETE, Some(&token), "roles/1/members/x", None).await;
        assert_eq!(r.status, 404, "unknown role first: {}", r.body);
        let role = create_role(&app, &token, json!({"name": "r"})).await;
        let r = native(&app, Method::DELETE, Some(&token), &format!("roles/{role}/members/x"), None).await;
        assert_eq!((r.status, &r.body["code"]), (400, &json!("invalid_request")));
        for body in ["", r#"{"user_id":"1"}"#, r#"{"user":1}"#, "[]"] {
            let r = native(&app, Method::POST, Some(&token), &format!("roles/{role}/members"), Some(body)).await;
            assert_eq!((r.status, &r.body["code"]), (400, &json!("invalid_request")), "{body}");
        }
        let r = native(&app, Method::PUT, Some(&token), "roles", Some("{}")).await;
        assert_eq!((r.status, &r.body["code"]), (405, &json!("method_not_allowed")));
    }

    async fn roles_stay_in_their_organization(app) {
        let a = app.org("AAA").await;
        let b = app.org("BBB").await;
        let ta = org_token(&app, &a).await;
        let tb = org_token(&app, &b).await;
        let ra = create_role(&app, &ta, json!({"name": "r"})).await;
        create_role(&app, &tb, json!({"name": "r"})).await;
        let bea = app.user(&b, "bea").await;
        for (m, p, body) in [
            (Method::GET, format!("roles/{ra}"), None),
            (Method::DELETE, format!("roles/{ra}"), None),
            (Method::POST, format!("roles/{ra}/members"), Some(json!({"user_id": bea}).to_string())),
            (Method::DELETE, format!("roles/{ra}/members/{bea}"), None),
            (Method::POST, format!("roles/{ra}/uses"), Some(r#"{"process_id":"p"}"#.to_string())),
        ] {
            let r = native(&app, m.clone(), Some(&tb), &p, body.as_deref()).await;
            assert_eq!((r.status, &r.body["code"]), (404, &json!("not_found")), "{m} {p}");
        }
        let l = native(&app, Method::GET, Some(&tb), "roles", None).await;
        assert_eq!(l.body["total"], 1);
        assert_ne!(l.body["items"][0]["id"], ra);
        let r = native(&app, Method::GET, Some(&ta), &format!("roles/{ra}"), None).await;
        assert_eq!(r.status, 200);
    }
}
