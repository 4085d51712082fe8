//! Questetra Quser: add, find, self, list, update, delete.

use crate::both;
use crate::questetra::{add_qgroup, add_quser, org_client, Auth};
use serde_json::json;

both! {
    async fn quser_add_answers_the_quser_and_signs_in_by_login_from_the_email(app) {
        let org = app.org("QUSR").await;
        let q = org_client(&app, &org).await;
        let v = q.post_ok("/API/UGA/Quser/add",
            &[("name", "Jane Doe"), ("email", "Jane.Doe@example.com"), ("password", "pw-123456")]).await;
        let id = v["quser"]["id"].as_i64().unwrap();
        assert_eq!(v, json!({"quser": {"email": "Jane.Doe@example.com", "id": id, "name": "Jane Doe"}}));
        // The login is the local part; a second user with the same local part gets a suffix.
        let second = add_quser(&q, "Other Jane", "jane.doe@other.example").await;
        let me = q.as_(Auth::Basic(format!("Jane.Doe@{}", org.abbr), "pw-123456".into()))
            .get_ok("/API/User/Quser/self", &[]).await;
        assert_eq!(me["quser"]["id"], id);
        let me2 = q.as_(Auth::Basic(format!("jane.doe2@{}", org.abbr), "secret-pw1".into()))
            .get_ok("/API/User/Quser/self", &[]).await;
        assert_eq!(me2["quser"]["id"], second);
        // The same object in OmniBPM.
        let list = app.ok(&org, "user/list", json!({})).await;
        let omni = list["users"].as_array().unwrap().iter().find(|u| u["__id__"] == id).unwrap().clone();
        assert_eq!(omni["display_name"], "Jane Doe");
        assert_eq!(omni["username"], format!("Jane.Doe@{}", org.abbr));
    }

    async fn quser_add_refuses_bad_input_and_a_taken_email(app) {
        let org = app.org("QUSB").await;
        let q = org_client(&app, &org).await;
        add_quser(&q, "A", "a@example.com").await;
        let (code, kind, input) = q.post_err("/API/UGA/Quser/add",
            &[("name", "B"), ("email", "A@EXAMPLE.com"), ("password", "pw")]).await;
        assert_eq!((code.as_str(), kind.as_str(), input), ("10005", "InvalidEmail", json!("email")));
        let (code, _, _) = q.post_err("/API/UGA/Quser/add",
            &[("name", "B"), ("email", "not-an-email"), ("password", "pw")]).await;
        assert_eq!(code, "10005");
        let (code, kind, _) = q.post_err("/API/UGA/Quser/add",
            &[("email", "b@example.com"), ("password", "pw")]).await;
        assert_eq!((code.as_str(), kind.as_str()), ("10004", "InvalidName"));
        let (code, _, _) = q.post_err("/API/UGA/Quser/add",
            &[("name", "B"), ("email", "b@example.com")]).await;
        assert_eq!(code, "10006");
        let long = "n".repeat(300);
        let (code, _, _) = q.post_err("/API/UGA/Quser/add",
            &[("name", &long), ("email", "b@example.com"), ("password", "pw")]).await;
        assert_eq!(code, "10004");
        // Nothing was written.
        let v = q.get_ok("/API/User/Quser/list", &[]).await;
        assert_eq!(v["count"], 1);
    }

    async fn quser_find_by_id_or_email_with_the_primary_unit(app) {
        let org = app.org("QFND").await;
        let q = org_client(&app, &org).await;
        let id = add_quser(&q, "Bo", "bo@example.com").await;
        let unit = add_qgroup(&q, "Sales").await;
        let v = q.get_ok("/API/User/Quser/find", &[("id", &id.to_string())]).await;
        assert_eq!(v["quser"]["primaryQgroup"], json!(null));
        q.post_ok("/API/UGA/Membership/add", &[("quserId", &id.to_string()), ("qgroupId", &unit.to_string())]).await;
        let v = q.get_ok("/API/User/Quser/find", &[("email", "BO@example.com")]).await;
        assert_eq!(v["quser"]["id"], id);
        assert_eq!(v["quser"]["primaryQgroup"]["id"], unit);
        assert_eq!(v["quser"]["primaryQgroup"]["name"], "Sales");
        assert!(v["quser"]["primaryQgroup"]["parentQgroupId"].is_i64());
        let (code, _, input) = q.get_err("/API/User/Quser/find", &[("id", "999999")]).await;
        assert_eq!((code.as_str(), input), ("10001", json!("id")));
        let (code, _, _) = q.get_err("/API/User/Quser/find", &[("email", "nobody@example.com")]).await;
        assert_eq!(code, "10005");
        let (code, _, _) = q.get_err("/API/User/Quser/find", &[("id", "abc")]).await;
        assert_eq!(code, "10001");
        let (code, _, _) = q.get_err("/API/User/Quser/find", &[]).await;
        assert_eq!(code, "10000");
    }

    async fn quser_list_searches_and_pages_in_the_database(app) {
        let org = app.org("QLST").await;
        let q = org_client(&app, &org).await;
        for i in 0..5 {
            add_quser(&q, &format!("Member {i}"), &format!("m{i}@example.com")).await;
        }
        add_quser(&q, "Outsider", "out_side@example.org").await;
        let v = q.get_ok("/API/User/Quser/list", &[("query", "member"), ("start", "1"), ("limit", "2")]).await;
        assert_eq!(v["count"], 5);
        let names: Vec<_> = v["qusers"].as_array().unwrap().iter().map(|u| u["name"].clone()).collect();
        assert_eq!(names, vec![json!("Member 1"), json!("Member 2")]);
        let v = q.get_ok("/API/User/Quser/list", &[("query", "example.org")]).await;
        assert_eq!(v["count"], 1);
        // LIKE wildcards in the query match literally.
        let v = q.get_ok("/API/User/Quser/list", &[("query", "t_s")]).await;
        assert_eq!(v["count"], 1);
        let v = q.get_ok("/API/User/Quser/list", &[("query", "%")]).await;
        assert_eq!(v["count"], 0);
        let v = q.get_ok("/API/User/Quser/list", &[("limit", "0")]).await;
        assert_eq!((v["count"].clone(), v["qusers"].clone()), (json!(6), json!([])));
        let (code, kind, _) = q.get_err("/API/User/Quser/list", &[("limit", "1001")]).await;
        assert_eq!((code.as_str(), kind.as_str()), ("10013", "InvalidLimit"));
        let (code, _, _) = q.get_err("/API/User/Quser/list", &[("start", "-1")]).await;
        assert_eq!(code, "10012");
        // Another organization sees none of them.
        let other = app.org("QLSU").await;
        let q2 = org_client(&app, &other).await;
        let v = q2.get_ok("/API/User/Quser/list", &[("query", "member")]).await;
        assert_eq!(v["count"], 0);
    }

    async fn quser_update_changes_fields_and_the_primary_unit(app) {
        let org = app.org("QUPD").await;
        let q = org_client(&app, &org).await;
        let id = add_quser(&q, "Cy", "cy@example.com").await.to_string();
        let other = add_quser(&q, "Di", "di@example.com").await;
        let first = add_qgroup(&q, "First").await.to_string();
        let second = add_qgroup(&q, "Second").await.to_string();
        q.post_ok("/API/UGA/Membership/add", &[("quserId", &id), ("qgroupId", &first)]).await;
        let v = q.post_ok("/API/UGA/Quser/update", &[("id", &id), ("name", "Cyrus"),
            ("email", "cyrus@example.com"), ("password", "new-pass-1"), ("primaryQgroupId", &second)]).await;
        assert_eq!(v["quser"]["name"], "Cyrus");
        assert_eq!(v["quser"]["email"], "cyrus@example.com");
        assert_eq!(v["quser"]["primaryQgroup"]["name"], "Second");
        // The former primary unit stays one of the user's units.
        let v = q.get_ok("/API/User/Membership/listByQuser", &[("id", &id)]).await;
        let units: Vec<_> = v["memberships"].as_array().unwrap().iter().map(|m| m["qgroupName"].clone()).collect();
        assert_eq!(units, vec![json!("Second"), json!("First")]);
        // The new password works.
        q.as_(Auth::Basic(format!("cy@{}", org.abbr), "new-pass-1".into()))
            .get_ok("/API/User/Quser/self", &[]).await;
        // Errors: a taken e-mail, unknown ids, another tenant's id.
        let (code, _, _) = q.post_err("/API/UGA/Quser/update", &[("id", &id), ("email", "DI@example.com")]).await;
        assert_eq!(code, "10005");
        let (code, _, _) = q.post_err("/API/UGA/Quser/update", &[("id", "987654"), ("name", "x")]).await;
        assert_eq!(code, "10001");
        let (code, _, input) = q.post_err("/API/UGA/Quser/update", &[("id", &id), ("primaryQgroupId", "987654")]).await;
        assert_eq!((code.as_str(), input), ("10000", json!("primaryQgroupId")));
        let foreign = app.org("QUPF").await;
        let fq = org_client(&app, &foreign).await;
        let (code, _, _) = fq.post_err("/API/UGA/Quser/update", &[("id", &other.to_string()), ("name", "hijack")]).await;
        assert_eq!(code, "10001");
        let v = q.get_ok("/API/User/Quser/find", &[("id", &other.to_string())]).await;
        assert_eq!(v["quser"]["name"], "Di");
    }

    async fn quser_delete_checks_delegates_and_heads(app) {
        let org = app.org("QDEL").await;
        let q = org_client(&app, &org).await;
        let id = add_quser(&q, "Ed", "ed@example.com").await.to_string();
        let delegate = add_quser(&q, "Fa", "fa@example.com").await.to_string();
        let unit = add_qgroup(&q, "Ops").await.to_string();
        let (code, _, _) = q.post_err("/API/UGA/Quser/delete", &[("id", &id), ("delegateQuserId", "999999")]).await;
        assert_eq!(code, "10007");
        let (code, _, _) = q.post_err("/API/UGA/Quser/delete", &[("id", &id), ("delegateQgroupId", "999999")]).await;
        assert_eq!(code, "10008");
        // A unit's leader cannot be deleted.
        q.post_ok("/API/UGA/Membership/add", &[("quserId", &id), ("qgroupId", &unit), ("role", "_leader")]).await;
        let (code, _, _) = q.post_err("/API/UGA/Quser/delete", &[("id", &id)]).await;
        assert_eq!(code, "10000");
        q.post_ok("/API/UGA/Membership/update", &[("quserId", &id), ("qgroupId", &unit)]).await;
        let (s, v) = q.post("/API/UGA/Quser/delete",
            &[("id", &id), ("delegateQuserId", &delegate), ("delegateQgroupId", &unit)]).await;
        assert_eq!((s, v), (200, serde_json::Value::Null));
        let (code, _, _) = q.get_err("/API/User/Quser/find", &[("id", &id)]).await;
        assert_eq!(code, "10001");
        let (code, _, _) = q.post_err("/API/UGA/Quser/delete", &[("id", &id)]).await;
        assert_eq!(code, "10001");
    }
}
