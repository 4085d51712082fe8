//! Questetra Qrole and RoleMembership.

use crate::both;
use crate::questetra::{add_quser, org_client};
use serde_json::json;

both! {
    async fn qrole_add_find_list_update_delete(app) {
        let org = app.org("QROL").await;
        let q = org_client(&app, &org).await;
        let v = q.post_ok("/API/UGA/Qrole/add", &[("name", "Approver")]).await;
        let id = v["qrole"]["id"].as_i64().unwrap();
        assert_eq!(v, json!({"qrole": {"id": id, "name": "Approver"}}));
        let id_s = id.to_string();
        q.post_ok("/API/UGA/Qrole/add", &[("name", "Auditor")]).await;
        let (code, _, _) = q.post_err("/API/UGA/Qrole/add", &[("name", "Approver")]).await;
        assert_eq!(code, "10004");
        let (code, _, _) = q.post_err("/API/UGA/Qrole/add", &[]).await;
        assert_eq!(code, "10004");
        let v = q.get_ok("/API/User/Qrole/find", &[("name", "Approver")]).await;
        assert_eq!(v["qrole"]["id"], id);
        let v = q.get_ok("/API/User/Qrole/list", &[("query", "au"), ("limit", "10")]).await;
        assert_eq!(v["count"], 1);
        assert_eq!(v["qroles"][0]["name"], "Auditor");
        let v = q.post_ok("/API/UGA/Qrole/update", &[("id", &id_s), ("name", "Signer")]).await;
        assert_eq!(v["qrole"]["name"], "Signer");
        let (code, _, _) = q.post_err("/API/UGA/Qrole/update", &[("id", &id_s), ("name", "Auditor")]).await;
        assert_eq!(code, "10004");
        let (code, _, _) = q.post_err("/API/UGA/Qrole/update", &[("id", "999999"), ("name", "x")]).await;
        assert_eq!(code, "10001");
        // Another tenant cannot see or delete it.
        let other = app.org("QROM").await;
        let q2 = org_client(&app, &other).await;
        let (code, _, _) = q2.get_err("/API/User/Qrole/find", &[("id", &id_s)]).await;
        assert_eq!(code, "10001");
        let (code, _, _) = q2.post_err("/API/UGA/Qrole/delete", &[("id", &id_s)]).await;
        assert_eq!(code, "10001");
        q.post_ok("/API/UGA/Qrole/delete", &[("id", &id_s)]).await;
        let (code, _, _) = q.get_err("/API/User/Qrole/find", &[("id", &id_s)]).await;
        assert_eq!(code, "10001");
    }

    async fn role_membership_add_list_delete(app) {
        let org = app.org("QRMB").await;
        let q = org_client(&app, &org).await;
        let role = q.post_ok("/API/UGA/Qrole/add", &[("name", "Approver")]).await["qrole"]["id"]
            .as_i64().unwrap().to_string();
        let u = add_quser(&q, "Jo", "jo@example.com").await;
        let u_s = u.to_string();
        let v = q.post_ok("/API/UGA/RoleMembership/add", &[("quserId", &u_s), ("qroleId", &role)]).await;
        assert_eq!(v, json!({"roleMembership": {"qroleId": role.parse::<i64>().unwrap(), "qroleName": "Approver",
            "quserEmail": "jo@example.com", "quserId": u, "quserName": "Jo"}}));
        // Again: the same answer, one membership.
        q.post_ok("/API/UGA/RoleMembership/add", &[("quserId", &u_s), ("qroleId", &role)]).await;
        let by_role = q.get_ok("/API/User/RoleMembership/listByQrole", &[("id", &role)]).await;
        assert_eq!(by_role["roleMemberships"].as_array().unwrap().len(), 1);
        let newer = q.get_ok("/API/User/RoleMembership/list", &[("qroleId", &role)]).await;
        assert_eq!(newer, by_role);
        let by_user = q.get_ok("/API/User/RoleMembership/listByQuser", &[("id", &u_s)]).await;
        assert_eq!(by_user["roleMemberships"][0]["qroleName"], "Approver");
        let (code, _, _) = q.post_err("/API/UGA/RoleMembership/add", &[("quserId", "999999"), ("qroleId", &role)]).await;
        assert_eq!(code, "10002");
        let (code, _, input) = q.post_err("/API/UGA/RoleMembership/add", &[("quserId", &u_s), ("qroleId", "999999")]).await;
        assert_eq!((code.as_str(), input), ("10000", json!("qroleId")));
        let (code, _, _) = q.get_err("/API/User/RoleMembership/list", &[]).await;
        assert_eq!(code, "10000");
        q.post_ok("/API/UGA/RoleMembership/delete", &[("quserId", &u_s), ("qroleId", &role)]).await;
        let v = q.get_ok("/API/User/RoleMembership/listByQrole", &[("id", &role)]).await;
        assert_eq!(v, json!({"roleMemberships": []}));
        let (code, _, _) = q.post_err("/API/UGA/RoleMembership/delete", &[("quserId", &u_s), ("qroleId", &role)]).await;
        assert_eq!(code, "10002");
        // Another tenant's role is not found.
        let other = app.org("QRMC").await;
        let q2 = org_client(&app, &other).await;
        let (code, _, _) = q2.get_err("/API/User/RoleMembership/listByQrole", &[("id", &role)]).await;
        assert_eq!(code, "10001");
    }
}
