//! `document/list`: the flags (OR), the narrowing filters (AND), the four state arrays and
//! the simplified objects, on both backends.

use crate::both;
use crate::helpers::TestApp;
use crate::omnibpm_document::*;
use serde_json::{json, Value};

/// Lists as `user` with the given filters; returns `(processing, completed, revoked, cancelled)` ids.
async fn list(app: &TestApp, co: &Co, user: i64, filters: Value) -> [Vec<i64>; 4] {
    let mut body = filters;
    body["current_user"] = json!({"__id__": user});
    let v = app.ok(&co.org, "document/list", body).await;
    ["processing", "completed", "revoked", "cancelled"].map(|k| ids(&v[k]))
}

fn none() -> Vec<i64> {
    Vec::new()
}

fn at(t: &Value) -> Value {
    json!({"__type__": "datetime", "__value__": t["__value__"]})
}

both! {
    async fn each_flag_alone_and_together(app) {
        let co = Co::new(&app, "ACME").await;
        let org = &co.org;
        let alice = co.clerk(&app, "alice").await;
        let bob = co.clerk(&app, "bob").await;
        let carol = co.clerk(&app, "carol").await;
        let dave = co.clerk(&app, "dave").await;
        let (wf, _, _) = two_steps(&app, org, "Leave", bob).await;
        perms(&app, &co, wf, json!({"revokable_users": refs(&[carol]), "visible_users": refs(&[dave])})).await;
        // d1: alice's, on bob's desk. d2: alice's, completed. d3: bob's, cancelled.
        // d4: carol's, revoked. d5: carol's, on her own desk.
        let d1 = create_id(&app, org, wf, alice, "d1").await;
        submit(&app, org, d1, alice, json!({})).await;
        let d2 = create_id(&app, org, wf, alice, "d2").await;
        submit(&app, org, d2, alice, json!({})).await;
        submit(&app, org, d2, bob, json!({})).await;
        let d3 = create_id(&app, org, wf, bob, "d3").await;
        app.ok(org, "document/cancel", json!({"document": {"__id__": d3}, "user": {"__id__": bob}})).await;
        let d4 = create_id(&app, org, wf, carol, "d4").await;
        submit(&app, org, d4, carol, json!({})).await;
        submit(&app, org, d4, bob, json!({})).await;
        app.ok(org, "document/revoke", json!({"document": {"__id__": d4}, "user": {"__id__": carol}})).await;
        let d5 = create_id(&app, org, wf, carol, "d5").await;

        let flag = |k: &str| json!({k: true});
        assert_eq!(list(&app, &co, bob, flag("current_document")).await, [vec![d1], none(), none(), none()]);
        assert_eq!(list(&app, &co, bob, flag("signed_document")).await, [none(), vec![d2], vec![d4], none()]);
        assert_eq!(list(&app, &co, bob, flag("created_document")).await, [none(), none(), none(), vec![d3]]);
        assert_eq!(list(&app, &co, bob, flag("archived_document")).await, [none(), vec![d2], vec![d4], vec![d3]]);
        assert_eq!(list(&app, &co, bob, flag("all_document")).await, [vec![d1], vec![d2], vec![d4], vec![d3]]);
        assert_eq!(list(&app, &co, alice, flag("current_document")).await, [none(), none(), none(), none()]);
        assert_eq!(list(&app, &co, alice, flag("signed_document")).await, [vec![d1], vec![d2], none(), none()]);
        assert_eq!(list(&app, &co, alice, flag("created_document")).await, [vec![d1], vec![d2], none(), none()]);
        assert_eq!(list(&app, &co, alice, flag("archived_document")).await, [none(), vec![d2], none(), none()]);
        assert_eq!(list(&app, &co, carol, flag("current_document")).await, [vec![d5], none(), none(), none()]);
        // The visible permission shows every document of the workflow (and only that).
        assert_eq!(list(&app, &co, dave, flag("all_document")).await, [sorted(&[d1, d5]), vec![d2], vec![d4], vec![d3]]);
        assert_eq!(list(&app, &co, dave, flag("archived_document")).await, [none(), vec![d2], vec![d4], vec![d3]]);
        assert_eq!(list(&app, &co, dave, flag("current_document")).await, [none(), none(), none(), none()]);
        // Flags are alternatives (OR); false flags add nothing.
        assert_eq!(
            list(&app, &co, bob, json!({"current_document": true, "created_document": true})).await,
            [vec![d1], none(), none(), vec![d3]]
        );
        assert_eq!(
            list(&app, &co, bob, json!({"current_document": true, "signed_document": true, "created_document": false})).await,
            [vec![d1], vec![d2], vec![d4], none()]
        );
        assert_eq!(
            list(&app, &co, alice, json!({"current_document": true, "archived_document": true, "signed_document": true})).await,
            [vec![d1], vec![d2], none(), none()]
        );
        // Newest first.
        let all = list(&app, &co, dave, json!({"all_document": true})).await;
        assert_eq!(all[0], sorted(&[d1, d5]));
        let v = app.ok(org, "document/list", json!({"current_user": {"__id__": dave}, "all_document": true})).await;
        let order: Vec<i64> = v["processing"].as_array().unwrap().iter().map(|d| d["__id__"].as_i64().unwrap()).collect();
        assert_eq!(order, [d5, d1]);
        // An organization administrator sees everything.
        let admin = co.user_at(&app, "admin", co.dept("HR Department"), co.rank("Manager"), json!({"with_admin_permissions": true})).await;
        assert_eq!(list(&app, &co, admin, flag("all_document")).await, [sorted(&[d1, d5]), vec![d2], vec![d4], vec![d3]]);
        assert_eq!(list(&app, &co, admin, flag("created_document")).await, [none(), none(), none(), none()]);
    }

    async fn creator_and_creation_time_narrow_the_list(app) {
        let co = Co::new(&app, "ACME").await;
        let org = &co.org;
        let alice = co.clerk(&app, "alice").await;
        let bob = co.clerk(&app, "bob").await;
        let boss = co.clerk(&app, "boss").await;
        let (wf, _, _) = two_steps(&app, org, "Leave", boss).await;
        let mut docs = Vec::new();
        for (i, who) in [alice, bob, alice].iter().enumerate() {
            let d = create(&app, org, wf, *who, &format!("d{i}")).await;
            submit(&app, org, d["__id__"].as_i64().unwrap(), *who, json!({})).await;
            docs.push(d);
        }
        let id = |i: usize| docs[i]["__id__"].as_i64().unwrap();
        let time = |i: usize| at(&docs[i]["creation_time"]);
        let cur = |extra: Value| {
            let mut f = json!({"current_document": true});
            for (k, v) in extra.as_object().unwrap() {
                f[k] = v.clone();
            }
            f
        };
        assert_eq!(list(&app, &co, boss, cur(json!({}))).await[0], sorted(&[id(0), id(1), id(2)]));
        // AND: the creator...
        assert_eq!(list(&app, &co, boss, cur(json!({"creator": {"__id__": alice}}))).await[0], sorted(&[id(0), id(2)]));
        assert_eq!(list(&app, &co, boss, cur(json!({"creator": {"__id__": boss}}))).await[0], none());
        // ...and the creation time, both bounds inclusive, as the documents show it.
        assert_eq!(list(&app, &co, boss, cur(json!({"created_after": time(1)}))).await[0], sorted(&[id(1), id(2)]));
        assert_eq!(list(&app, &co, boss, cur(json!({"created_before": time(1)}))).await[0], sorted(&[id(0), id(1)]));
        assert_eq!(list(&app, &co, boss, cur(json!({"created_after": time(1), "created_before": time(1)}))).await[0], [id(1)]);
        assert_eq!(
            list(&app, &co, boss, cur(json!({"created_after": time(0), "created_before": time(2), "creator": {"__id__": alice}}))).await[0],
            sorted(&[id(0), id(2)])
        );
        let day = |s: &str| json!({"__type__": "datetime", "__value__": s});
        assert_eq!(list(&app, &co, boss, cur(json!({"created_after": day("2999-01-01T00:00:00+08:00")}))).await[0], none());
        assert_eq!(list(&app, &co, boss, cur(json!({"created_before": day("2017-08-01T12:20:57.560650+08:00")}))).await[0], none());
        assert_eq!(list(&app, &co, boss, cur(json!({"created_after": day("2017-08-01T12:20:57.560650+08:00")}))).await[0].len(), 3);
        // The narrowing filters apply to every flag.
        assert_eq!(
            list(&app, &co, alice, json!({"created_document": true, "signed_document": true, "created_before": time(0)})).await[0],
            [id(0)]
        );
    }

    async fn the_simplified_objects_and_the_refusals(app) {
        let co = Co::new(&app, "ACME").await;
        let org = &co.org;
        let alice = co.clerk(&app, "alice").await;
        let (wf, _) = one_step(&app, org, "Leave").await;
        let d = create(&app, org, wf, alice, "Trip").await;
        let v = app.ok(org, "document/list", json!({"current_user": {"__id__": alice}, "created_document": true})).await;
        let keys = |o: &Value| {
            let mut k: Vec<String> = o.as_object().unwrap().keys().cloned().collect();
            k.sort();
            k
        };
        assert_eq!(keys(&v), ["RESPONSE", "cancelled", "completed", "processing", "revoked"]);
        let s = &v["processing"][0];
        assert_eq!(
            keys(s),
            ["__id__", "creation_time", "creator_display_name", "creator_id", "creator_username", "last_time", "latest_version", "title", "workflow_id", "workflow_name"]
        );
        assert_eq!(
            (s["__id__"].clone(), s["workflow_id"].as_i64(), s["workflow_name"].as_str(), s["title"].as_str(), s["latest_version"].as_i64()),
            (d["__id__"].clone(), Some(wf), Some("Leave"), Some("Trip"), Some(1))
        );
        assert_eq!((s["creator_id"].as_i64(), s["creator_username"].as_str(), s["creator_display_name"].as_str()), (Some(alice), Some("alice@ACME"), Some("alice name")));
        assert_eq!((s["creation_time"].clone(), s["last_time"].clone()), (d["creation_time"].clone(), d["last_time"].clone()));
        assert_eq!(s["creation_time"]["__type__"], "datetime");
        // The last change moves last_time.
        submit(&app, org, d["__id__"].as_i64().unwrap(), alice, json!({})).await;
        let v = app.ok(org, "document/list", json!({"current_user": {"__id__": alice}, "created_document": true})).await;
        let s = &v["completed"][0];
        assert_eq!(s["latest_version"], 2);
        assert!(s["last_time"]["__value__"].as_str() >= d["last_time"]["__value__"].as_str());

        // At least one flag; well-formed members; a known user.
        let who = json!({"__id__": alice});
        let refused = [
            (json!({"current_user": who}), 400),
            (json!({"current_user": who, "current_document": false, "all_document": false}), 400),
            (json!({"created_document": true}), 400),
            (json!({"current_user": who, "current_document": "yes"}), 400),
            (json!({"current_user": who, "all_document": 1}), 400),
            (json!({"current_user": who, "all_document": true, "created_after": "yesterday"}), 400),
            (json!({"current_user": who, "all_document": true, "created_after": {"__type__": "datetime"}}), 400),
            (json!({"current_user": who, "all_document": true, "created_before": {"__value__": "2017-13-01T00:00:00Z"}}), 400),
            (json!({"current_user": who, "all_document": true, "created_before": 17}), 400),
            (json!({"current_user": who, "all_document": true, "creator": "alice"}), 400),
            (json!({"current_user": who, "all_document": true, "creator": {"__id__": alice, "__model__": "Document"}}), 400),
            (json!({"current_user": {"__id__": 999_999_999}, "all_document": true}), 404),
            (json!({"current_user": "alice", "all_document": true}), 400),
        ];
        for (body, status) in refused {
            app.err(org, "document/list", body, status).await;
        }
        let other = Co::new(&app, "OTHER").await;
        let theirs = other.clerk(&app, "theirs").await;
        app.err(org, "document/list", json!({"current_user": {"__id__": theirs}, "all_document": true}), 404).await;
        let l = list(&app, &other, theirs, json!({"all_document": true})).await;
        assert_eq!(l, [none(), none(), none(), none()], "another organization's documents are not listed");
    }
}
