//! Native `GET /api/v1/workflows/{id}/event-keys` and `POST .../{node}/rotate`: keys shown to
//! administrators only, stable across listings and new versions, rotation ends the old key.

use crate::both;
use crate::bpmn_import::{activate, import_ok, wrap};
use crate::plusworkflow_client::{native, user_token};
use crate::questetra_events::{call, model, ORDERS};
use reqwest::Method;

both! {
    async fn administrators_see_keys_with_their_urls(app) {
        let m = model(&app, "KEY", ORDERS).await;
        let keys = m.keys.as_array().unwrap();
        assert_eq!(keys.len(), 2, "{}", m.keys);
        let start = keys.iter().find(|k| k["bpmn_key"] == "FromShop").unwrap();
        let key = start["key"].as_str().unwrap();
        assert!(key.starts_with("slu_evt_") && key.len() == 51, "{key}");
        assert_eq!(start["kind"], "start");
        assert_eq!(start["http_url"], format!("/System/Event/MessageStart/{}/FromShop/start?key={key}", m.family));
        assert_eq!(start["webhook_url"], format!("/System/Event/MessageStartHttp/{}/FromShop/{key}/start", m.family));
        let paid = keys.iter().find(|k| k["bpmn_key"] == "Paid").unwrap();
        assert_eq!(paid["kind"], "receive");
        assert!(paid["webhook_url"].as_str().unwrap().contains("/{processInstanceId}/"), "{paid}");
        assert_ne!(paid["key"], start["key"]);
        // The same keys on the next listing.
        let again = native(&app, Method::GET, Some(&m.token), &format!("workflows/{}/event-keys", m.wf), None).await;
        assert_eq!(again.body, m.keys);
        // Not an administrator: 403; unknown or other organization's version: 404.
        let dept = app.id_of(&m.org, "department", "MIS Department").await;
        let rank = app.id_of(&m.org, "rank", "Specialist").await;
        app.ok(&m.org, "user/create", serde_json::json!({"user": {
            "username": format!("clerk@{}", m.org.abbr), "display_name": "clerk",
            "email": "clerk@example.com", "password": "secret-pw",
            "rank": {"__id__": rank}, "department": {"__id__": dept}
        }})).await;
        let clerk = user_token(&app, &m.org, "clerk").await;
        let r = native(&app, Method::GET, Some(&clerk), &format!("workflows/{}/event-keys", m.wf), None).await;
        assert_eq!(r.status, 403, "{}", r.body);
        let other = model(&app, "KEY3", ORDERS).await;
        let r = native(&app, Method::GET, Some(&other.token), &format!("workflows/{}/event-keys", m.wf), None).await;
        assert_eq!(r.status, 404, "{}", r.body);
        let r = native(&app, Method::GET, Some(&m.token), "workflows/abc/event-keys", None).await;
        assert_eq!(r.status, 404, "{}", r.body);
        let r = native(&app, Method::GET, None, &format!("workflows/{}/event-keys", m.wf), None).await;
        assert_eq!(r.status, 401, "{}", r.body);
    }

    async fn rotation_ends_the_old_key(app) {
        let m = model(&app, "ROT", ORDERS).await;
        let old = m.key("FromShop");
        let node = m.import["nodes"]["FromShop"].as_i64().unwrap();
        let r = native(&app, Method::POST, Some(&m.token), &format!("workflows/{}/event-keys/{node}/rotate", m.wf), None).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let new = r.body["key"].as_str().unwrap().to_string();
        assert_ne!(new, old);
        assert!(r.body["rotated_at"].is_string(), "{}", r.body);
        let path = |k: &str| format!("/System/Event/MessageStartHttp/{}/FromShop/{k}/start", m.family);
        assert_eq!(call(&app, Method::POST, &path(&old), None, "{}", None).await.0, 400);
        assert_eq!(call(&app, Method::POST, &path(&new), None, "{}", None).await.0, 200);
        // A node that is no event, and an unknown node: 404.
        let check = m.import["nodes"]["Check"].as_i64().unwrap();
        let r = native(&app, Method::POST, Some(&m.token), &format!("workflows/{}/event-keys/{check}/rotate", m.wf), None).await;
        assert_eq!(r.status, 404, "{}", r.body);
    }

    async fn a_new_version_keeps_the_keys(app) {
        let m = model(&app, "VER", ORDERS).await;
        let v2 = import_ok(&app, &m.token, &wrap(ORDERS)).await;
        assert_eq!(v2["family_id"].as_i64(), Some(m.family), "{v2}");
        let wf2 = v2["id"].as_i64().unwrap();
        activate(&app, &m.org, wf2).await;
        let r = native(&app, Method::GET, Some(&m.token), &format!("workflows/{wf2}/event-keys"), None).await;
        let keys: Vec<_> = r.body.as_array().unwrap().iter().map(|k| (k["bpmn_key"].clone(), k["key"].clone())).collect();
        let before: Vec<_> = m.keys.as_array().unwrap().iter().map(|k| (k["bpmn_key"].clone(), k["key"].clone())).collect();
        assert_eq!(keys, before);
        // The configured URL starts cases of the new active version.
        let path = format!("/System/Event/MessageStartHttp/{}/FromShop/{}/start", m.family, m.key("FromShop"));
        assert_eq!(call(&app, Method::POST, &path, None, "{}", None).await.0, 200);
    }

    async fn versions_share_keys_whichever_is_listed_first(app) {
        let co = crate::omnibpm_document::Co::new(&app, "ORD").await;
        let (_, token) = crate::plusworkflow_client::admin(&app, &co.org, "root").await;
        // Three versions, none listed yet; the newest is listed first, the oldest last.
        let mut versions = Vec::new();
        for _ in 0..3 {
            versions.push(import_ok(&app, &token, &wrap(ORDERS)).await["id"].as_i64().unwrap());
        }
        let mut listed = Vec::new();
        for wf in versions.iter().rev() {
            let r = native(&app, Method::GET, Some(&token), &format!("workflows/{wf}/event-keys"), None).await;
            assert_eq!(r.status, 200, "{}", r.body);
            let keys: Vec<_> = r.body.as_array().unwrap().iter().map(|k| (k["bpmn_key"].clone(), k["key"].clone())).collect();
            assert!(!keys.is_empty());
            listed.push(keys);
        }
        assert_eq!(listed[0], listed[1]);
        assert_eq!(listed[1], listed[2]);
    }
}
