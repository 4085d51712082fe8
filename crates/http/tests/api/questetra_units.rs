//! Questetra Qgroup and Membership: units, their members and leaders.

use crate::both;
use crate::questetra::{add_qgroup, add_quser, org_client, root_unit};
use serde_json::json;

both! {
    async fn qgroup_add_find_list_update_delete(app) {
        let org = app.org("QGRP").await;
        let q = org_client(&app, &org).await;
        let root = root_unit(&q).await;
        let root_s = root.to_string();
        let v = q.post_ok("/API/UGA/Qgroup/add",
            &[("name", "Engineering"), ("parentQgroupId", &root_s), ("email", "eng@example.com")]).await;
        let eng = v["qgroup"]["id"].as_i64().unwrap();
        assert_eq!(v["qgroup"]["email"], "eng@example.com");
        assert_eq!(v["qgroup"]["parentQgroupId"], root);
        assert!(v["qgroup"]["parentQgroupName"].is_string());
        let eng_s = eng.to_string();
        let v = q.post_ok("/API/UGA/Qgroup/add", &[("name", "Platform"), ("parentQgroupId", &eng_s)]).await;
        let platform = v["qgroup"]["id"].as_i64().unwrap().to_string();
        assert_eq!(v["qgroup"]["parentQgroupEmail"], "eng@example.com");
        assert_eq!(v["qgroup"]["email"], "");
        let v = q.get_ok("/API/User/Qgroup/find", &[("name", "Platform")]).await;
        assert_eq!(v["qgroup"]["parentQgroupName"], "Engineering");
        let v = q.get_ok("/API/User/Qgroup/find", &[("id", &eng_s)]).await;
        assert_eq!(v["qgroup"]["name"], "Engineering");
        let v = q.get_ok("/API/User/Qgroup/list", &[("query", "eng@")]).await;
        assert_eq!(v["count"], 1);
        let v = q.get_ok("/API/User/Qgroup/list", &[("limit", "1")]).await;
        assert!(v["count"].as_i64().unwrap() > 2);
        assert_eq!(v["qgroups"].as_array().unwrap().len(), 1);
        // Update: rename, e-mail, move; no cycles.
        let v = q.post_ok("/API/UGA/Qgroup/update",
            &[("id", &platform), ("name", "Infra"), ("email", "infra@example.com"), ("parentQgroupId", &root_s)]).await;
        assert_eq!(v["qgroup"]["name"], "Infra");
        assert_eq!(v["qgroup"]["parentQgroupId"], root);
        q.post_ok("/API/UGA/Qgroup/update", &[("id", &platform), ("parentQgroupId", &eng_s)]).await;
        let (code, _, _) = q.post_err("/API/UGA/Qgroup/update", &[("id", &eng_s), ("parentQgroupId", &platform)]).await;
        assert_eq!(code, "10009");
        // Errors: duplicate sibling name, unknown parent, missing parent.
        let (code, _, _) = q.post_err("/API/UGA/Qgroup/add", &[("name", "Infra"), ("parentQgroupId", &eng_s)]).await;
        assert_eq!(code, "10004");
        let (code, _, _) = q.post_err("/API/UGA/Qgroup/add", &[("name", "X"), ("parentQgroupId", "999999")]).await;
        assert_eq!(code, "10009");
        let (code, _, _) = q.post_err("/API/UGA/Qgroup/add", &[("name", "X")]).await;
        assert_eq!(code, "10009");
        let (code, _, _) = q.post_err("/API/UGA/Qgroup/add",
            &[("name", "X"), ("parentQgroupId", &eng_s), ("email", "bad")]).await;
        assert_eq!(code, "10005");
        // Delete: not with sub-units; then the leaf, then the parent.
        let (code, _, _) = q.post_err("/API/UGA/Qgroup/delete", &[("id", &eng_s)]).await;
        assert_eq!(code, "10000");
        q.post_ok("/API/UGA/Qgroup/delete", &[("id", &platform)]).await;
        q.post_ok("/API/UGA/Qgroup/delete", &[("id", &eng_s)]).await;
        let (code, _, _) = q.get_err("/API/User/Qgroup/find", &[("id", &eng_s)]).await;
        assert_eq!(code, "10001");
        // Another tenant's unit is not found.
        let other = app.org("QGRQ").await;
        let q2 = org_client(&app, &other).await;
        let (code, _, _) = q2.get_err("/API/User/Qgroup/find", &[("id", &root_s)]).await;
        assert_eq!(code, "10001");
        let (code, _, _) = q2.post_err("/API/UGA/Qgroup/delete", &[("id", &root_s)]).await;
        assert_eq!(code, "10001");
    }

    async fn membership_primary_unit_leader_and_promotion(app) {
        let org = app.org("QMEM").await;
        let q = org_client(&app, &org).await;
        let u = add_quser(&q, "Gil", "gil@example.com").await;
        let u_s = u.to_string();
        let a = add_qgroup(&q, "A").await.to_string();
        let b = add_qgroup(&q, "B").await.to_string();
        let c = add_qgroup(&q, "C").await.to_string();
        // The first unit becomes the primary one; others are added.
        let v = q.post_ok("/API/UGA/Membership/add", &[("quserId", &u_s), ("qgroupId", &a)]).await;
        assert_eq!(v, json!({"membership": {"qgroupEmail": "", "qgroupId": a.parse::<i64>().unwrap(),
            "qgroupName": "A", "quserEmail": "gil@example.com", "quserId": u, "quserName": "Gil", "role": null}}));
        q.post_ok("/API/UGA/Membership/add", &[("quserId", &u_s), ("qgroupId", &b), ("role", "_leader")]).await;
        q.post_ok("/API/UGA/Membership/add", &[("quserId", &u_s), ("qgroupId", &c)]).await;
        // Adding again changes nothing.
        q.post_ok("/API/UGA/Membership/add", &[("quserId", &u_s), ("qgroupId", &c)]).await;
        let v = q.get_ok("/API/User/Membership/listByQuser", &[("id", &u_s)]).await;
        let got: Vec<_> = v["memberships"].as_array().unwrap().iter()
            .map(|m| (m["qgroupName"].clone(), m["role"].clone())).collect();
        assert_eq!(got, vec![(json!("A"), json!(null)), (json!("B"), json!("_leader")), (json!("C"), json!(null))]);
        let v = q.get_ok("/API/User/Quser/find", &[("id", &u_s)]).await;
        assert_eq!(v["quser"]["primaryQgroup"]["name"], "A");
        // OmniBPM sees the leader as the department head.
        let depts = app.ok(&org, "department/list", json!({})).await;
        let b_dept = depts["departments"].as_array().unwrap().iter()
            .find(|d| d["name"] == "B").unwrap().clone();
        assert_eq!(b_dept["department_head"]["__id__"], u);
        // A new leader replaces the old one.
        let h = add_quser(&q, "Hal", "hal@example.com").await.to_string();
        q.post_ok("/API/UGA/Membership/add", &[("quserId", &h), ("qgroupId", &b)]).await;
        let v = q.post_ok("/API/UGA/Membership/update", &[("quserId", &h), ("qgroupId", &b), ("role", "_leader")]).await;
        assert_eq!(v["membership"]["role"], "_leader");
        let v = q.get_ok("/API/User/Membership/listByQgroup", &[("id", &b)]).await;
        let got: Vec<_> = v["memberships"].as_array().unwrap().iter()
            .map(|m| (m["quserName"].clone(), m["role"].clone())).collect();
        assert_eq!(got, vec![(json!("Gil"), json!(null)), (json!("Hal"), json!("_leader"))]);
        // Leaving the primary unit promotes the oldest other unit.
        q.post_ok("/API/UGA/Membership/delete", &[("quserId", &u_s), ("qgroupId", &a)]).await;
        let v = q.get_ok("/API/User/Quser/find", &[("id", &u_s)]).await;
        assert_eq!(v["quser"]["primaryQgroup"]["name"], "B");
        q.post_ok("/API/UGA/Membership/delete", &[("quserId", &u_s), ("qgroupId", &b)]).await;
        q.post_ok("/API/UGA/Membership/delete", &[("quserId", &u_s), ("qgroupId", &c)]).await;
        let v = q.get_ok("/API/User/Quser/find", &[("id", &u_s)]).await;
        assert_eq!(v["quser"]["primaryQgroup"], json!(null));
        let v = q.get_ok("/API/User/Membership/listByQuser", &[("id", &u_s)]).await;
        assert_eq!(v, json!({"memberships": []}));
        // Errors.
        let (code, _, _) = q.post_err("/API/UGA/Membership/delete", &[("quserId", &u_s), ("qgroupId", &a)]).await;
        assert_eq!(code, "10002");
        let (code, _, _) = q.post_err("/API/UGA/Membership/add", &[("quserId", &u_s), ("qgroupId", &a), ("role", "boss")]).await;
        assert_eq!(code, "10010");
        let (code, _, _) = q.post_err("/API/UGA/Membership/add", &[("quserId", "999999"), ("qgroupId", &a)]).await;
        assert_eq!(code, "10002");
        let (code, _, _) = q.post_err("/API/UGA/Membership/add", &[("quserId", &u_s), ("qgroupId", "999999")]).await;
        assert_eq!(code, "10003");
        let (code, _, _) = q.post_err("/API/UGA/Membership/update", &[("quserId", &u_s), ("qgroupId", &a), ("role", "_leader")]).await;
        assert_eq!(code, "10002");
        let (code, _, _) = q.get_err("/API/User/Membership/listByQgroup", &[("id", "999999")]).await;
        assert_eq!(code, "10001");
        let (code, _, _) = q.get_err("/API/User/Membership/listByQuser", &[]).await;
        assert_eq!(code, "10001");
        // Another tenant cannot use these ids.
        let other = app.org("QMEN").await;
        let q2 = org_client(&app, &other).await;
        let mine = add_quser(&q2, "Ivy", "ivy@example.com").await.to_string();
        let (code, _, _) = q2.post_err("/API/UGA/Membership/add", &[("quserId", &mine), ("qgroupId", &a)]).await;
        assert_eq!(code, "10003");
        let (code, _, _) = q2.get_err("/API/User/Membership/listByQgroup", &[("id", &b)]).await;
        assert_eq!(code, "10001");
    }
}
