//! Questetra SystemAuthority, and how grants to units and roles make administrators.

use crate::both;
use crate::questetra::{add_qgroup, add_quser, error_of, org_client, user_token, Auth};
use serde_json::json;

/// Whether the caller passes the administrator check of an update (a blank role name is
/// then refused as bad input, so nothing is written).
async fn can_update(q: &crate::questetra::Q<'_>) -> bool {
    q.post("/API/UGA/Qrole/add", &[("name", "")]).await.0 != 403
}

both! {
    async fn grants_to_a_user_keep_is_admin_in_step(app) {
        let org = app.org("QSAU").await;
        let q = org_client(&app, &org).await;
        let u = add_quser(&q, "Kim", "kim@example.com").await;
        let u_s = u.to_string();
        let kim = q.as_(Auth::Basic(format!("kim@{}", org.abbr), "secret-pw1".into()));
        let (s, _) = kim.post("/API/UGA/Qrole/add", &[("name", "R")]).await;
        assert_eq!(s, 403);
        assert_eq!(kim.get_ok("/API/User/SystemAuthority/self", &[]).await, json!({"systemAuthorities": []}));
        let v = q.post_ok("/API/Admin/SystemAuthority/addToQuser", &[("type", "0"), ("quserId", &u_s)]).await;
        let grant = v["systemAuthority"]["id"].as_i64().unwrap();
        assert_eq!(v["systemAuthority"], json!({"id": grant, "type": 0,
            "quser": {"email": "kim@example.com", "id": u, "name": "Kim"},
            "qgroup": null, "leader": null, "descendantQgroups": null, "qrole": null}));
        // Granting again answers the same grant.
        let again = q.post_ok("/API/Admin/SystemAuthority/addToQuser", &[("type", "0"), ("quserId", &u_s)]).await;
        assert_eq!(again["systemAuthority"]["id"], grant);
        // OmniBPM sees the administrator; Basic and bearer credentials both carry it.
        let users = app.ok(&org, "user/list", json!({})).await;
        let omni = users["users"].as_array().unwrap().iter().find(|x| x["__id__"] == u).unwrap().clone();
        assert_eq!(omni["is_admin"], true);
        kim.post_ok("/API/UGA/Qrole/add", &[("name", "R")]).await;
        assert_eq!(kim.get_ok("/API/User/SystemAuthority/self", &[]).await, json!({"systemAuthorities": [0]}));
        let list = kim.get_ok("/API/Admin/SystemAuthority/list", &[("type", "0")]).await;
        assert!(list["systemAuthorities"].as_array().unwrap().iter().any(|g| g["id"] == grant));
        // Revoking clears is_admin.
        q.post_ok("/API/Admin/SystemAuthority/delete", &[("id", &grant.to_string())]).await;
        let (s, _) = kim.post("/API/UGA/Qrole/add", &[("name", "R2")]).await;
        assert_eq!(s, 403);
        let users = app.ok(&org, "user/list", json!({})).await;
        let omni = users["users"].as_array().unwrap().iter().find(|x| x["__id__"] == u).unwrap().clone();
        assert_eq!(omni["is_admin"], false);
        let (code, _, _) = q.post_err("/API/Admin/SystemAuthority/delete", &[("id", &grant.to_string())]).await;
        assert_eq!(code, "10001");
        // Bad input.
        let (code, _, input) = q.post_err("/API/Admin/SystemAuthority/addToQuser", &[("type", "3"), ("quserId", &u_s)]).await;
        assert_eq!((code.as_str(), input), ("10000", json!("type")));
        let (code, _, _) = q.post_err("/API/Admin/SystemAuthority/addToQuser", &[("type", "1"), ("quserId", "999999")]).await;
        assert_eq!(code, "10002");
    }

    async fn grants_to_units_and_roles_make_their_members_administrators(app) {
        let org = app.org("QSAG").await;
        let q = org_client(&app, &org).await;
        let parent = add_qgroup(&q, "HQ").await.to_string();
        let child = q.post_ok("/API/UGA/Qgroup/add", &[("name", "Branch"), ("parentQgroupId", &parent)]).await
            ["qgroup"]["id"].as_i64().unwrap().to_string();
        let member = add_quser(&q, "Lee", "lee@example.com").await.to_string();
        let leader = add_quser(&q, "Max", "max@example.com").await.to_string();
        q.post_ok("/API/UGA/Membership/add", &[("quserId", &member), ("qgroupId", &child)]).await;
        q.post_ok("/API/UGA/Membership/add", &[("quserId", &leader), ("qgroupId", &child), ("role", "_leader")]).await;
        let lee = q.as_(user_token(&app, &format!("lee@{}", org.abbr), "secret-pw1").await);
        let max = q.as_(user_token(&app, &format!("max@{}", org.abbr), "secret-pw1").await);
        assert!(!can_update(&lee).await);
        // Leaders of HQ and the units below it.
        let v = q.post_ok("/API/Admin/SystemAuthority/addToQgroup",
            &[("type", "0"), ("qgroupId", &parent), ("leader", "true"), ("descendantQgroups", "true")]).await;
        assert_eq!(v["systemAuthority"]["leader"], true);
        assert_eq!(v["systemAuthority"]["descendantQgroups"], true);
        assert_eq!(v["systemAuthority"]["qgroup"]["name"], "HQ");
        assert!(can_update(&max).await);
        assert!(!can_update(&lee).await);
        // Every member of the branch itself.
        let unit_grant = q.post_ok("/API/Admin/SystemAuthority/addToQgroup", &[("type", "0"), ("qgroupId", &child)]).await
            ["systemAuthority"]["id"].as_i64().unwrap().to_string();
        assert!(can_update(&lee).await);
        q.post_ok("/API/Admin/SystemAuthority/delete", &[("id", &unit_grant)]).await;
        assert!(!can_update(&lee).await);
        // A role.
        let role = q.post_ok("/API/UGA/Qrole/add", &[("name", "Admins")]).await["qrole"]["id"]
            .as_i64().unwrap().to_string();
        let v = q.post_ok("/API/Admin/SystemAuthority/addToQrole", &[("type", "0"), ("qroleId", &role)]).await;
        assert_eq!(v["systemAuthority"]["qrole"]["name"], "Admins");
        q.post_ok("/API/UGA/RoleMembership/add", &[("quserId", &member), ("qroleId", &role)]).await;
        assert!(can_update(&lee).await);
        // App-creator grants do not make administrators; self lists every type held.
        q.post_ok("/API/Admin/SystemAuthority/addToQrole", &[("type", "1"), ("qroleId", &role)]).await;
        assert_eq!(lee.get_ok("/API/User/SystemAuthority/self", &[]).await, json!({"systemAuthorities": [0, 1]}));
        let list = q.get_ok("/API/Admin/SystemAuthority/list", &[("type", "1")]).await;
        assert_eq!(list["systemAuthorities"].as_array().unwrap().len(), 1);
        let (s, v) = q.get("/API/Admin/SystemAuthority/list", &[("type", "x")]).await;
        assert_eq!(s, 400);
        assert_eq!(error_of(&v).2, json!("type"));
        // Another tenant's unit cannot be granted.
        let other = app.org("QSAH").await;
        let q2 = org_client(&app, &other).await;
        let (code, _, _) = q2.post_err("/API/Admin/SystemAuthority/addToQgroup", &[("type", "0"), ("qgroupId", &parent)]).await;
        assert_eq!(code, "10003");
        let list = q2.get_ok("/API/Admin/SystemAuthority/list", &[]).await;
        assert!(list["systemAuthorities"].as_array().unwrap().iter().all(|g| g["qgroup"].is_null() && g["qrole"].is_null()));
    }
}
