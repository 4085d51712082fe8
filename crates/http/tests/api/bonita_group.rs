//! Bonita `/API/identity/group`, `role` and `membership`.

use crate::bonita::{admin_session, id};
use crate::both;
use serde_json::json;

both! {
    async fn groups_form_a_hierarchy_with_paths(app) {
        let (_, admin) = admin_session(&app, "ACME").await;
        let acme = admin.created("/API/identity/group", json!({"name": "acme", "displayName": "Acme", "description": "top"})).await;
        assert_eq!(acme["path"], "/acme");
        assert_eq!(acme["parent_path"], "");
        assert_eq!(acme["displayName"], "Acme");
        assert_eq!(acme["icon"], "");
        let hr = admin.created("/API/identity/group", json!({"name": "hr", "parent_group_id": id(&acme)})).await;
        assert_eq!(hr["path"], "/acme/hr");
        assert_eq!(hr["parent_path"], "/acme");
        assert_eq!(hr["displayName"], "hr");
        let pay = admin.created("/API/identity/group", json!({"name": "payroll", "parent_group_id": id(&hr)})).await;
        assert_eq!(pay["path"], "/acme/hr/payroll");
        // Rename the top: every descendant's path follows.
        let r = admin.put(&format!("/API/identity/group/{}", id(&acme)), json!({"name": "acme-corp"})).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["path"], "/acme-corp");
        let got = admin.ok(&format!("/API/identity/group/{}", id(&pay))).await;
        assert_eq!(got["path"], "/acme-corp/hr/payroll");
        assert_eq!(got["parent_path"], "/acme-corp/hr");
        // Move payroll to the top.
        let r = admin.put(&format!("/API/identity/group/{}", id(&pay)), json!({"parent_group_id": "-1"})).await;
        assert_eq!(r.body["path"], "/payroll");
        // Not under itself or a descendant.
        admin.put(&format!("/API/identity/group/{}", id(&acme)), json!({"parent_group_id": id(&hr)})).await.error(400);
        // Search by parent path.
        let r = admin.get("/API/identity/group?f=parent_path%3D/acme-corp").await;
        assert_eq!(r.body.as_array().unwrap().len(), 1);
        assert_eq!(r.body[0]["name"], "hr");
        assert_eq!(r.content_range(), "0-10/1");
        let r = admin.get("/API/identity/group?s=pay&o=name%20DESC").await;
        assert_eq!(r.body[0]["name"], "payroll");
        admin.get("/API/identity/group?f=color%3Dred").await.error(400);
        admin.get("/API/identity/group?o=color").await.error(400);
    }

    async fn omnibpm_departments_are_groups(app) {
        let (org, admin) = admin_session(&app, "ACME").await;
        let r = admin.get("/API/identity/group?f=name%3DMIS%20Department&c=100").await;
        assert_eq!(r.body.as_array().unwrap().len(), 1, "{}", r.body);
        assert!(r.body[0]["path"].as_str().unwrap().ends_with("/MIS Department"));
        assert_eq!(r.body[0]["created_by_user_id"], "-1");
        // A department made through OmniBPM now has its creation date.
        let (_, v) = app.omni("department/create", json!({"api_key": org.key, "department": {"name": "Lab"}})).await;
        let lab = v["department"]["__id__"].as_i64().expect("id");
        let g = admin.ok(&format!("/API/identity/group/{lab}")).await;
        assert_eq!(g["path"], "/Lab");
        assert_eq!(g["creation_date"].as_str().unwrap().len(), 23, "{g}");
    }

    async fn bad_groups_are_refused(app) {
        let (_, admin) = admin_session(&app, "ACME").await;
        admin.post("/API/identity/group", json!({"displayName": "x"})).await.error(400);
        admin.post("/API/identity/group", json!({"name": "a/b"})).await.error(400);
        admin.post("/API/identity/group", json!({"name": "x", "parent_group_id": "999999"})).await.error(404);
        admin.created("/API/identity/group", json!({"name": "x"})).await;
        admin.post("/API/identity/group", json!({"name": "x"})).await.error(409);
        admin.put("/API/identity/group/999999", json!({"name": "y"})).await.error(404);
        admin.delete("/API/identity/group/999999").await.error(404);
    }

    async fn delete_groups(app) {
        let (_, admin) = admin_session(&app, "ACME").await;
        let top = admin.created("/API/identity/group", json!({"name": "top"})).await;
        let sub = admin.created("/API/identity/group", json!({"name": "sub", "parent_group_id": id(&top)})).await;
        // A group with subgroups stays (the domain rule of every dialect).
        admin.delete(&format!("/API/identity/group/{}", id(&top))).await.error(409);
        assert_eq!(admin.delete(&format!("/API/identity/group/{}", id(&sub))).await.status, 200);
        assert_eq!(admin.delete(&format!("/API/identity/group/{}", id(&top))).await.status, 200);
        admin.get(&format!("/API/identity/group/{}", id(&top))).await.error(404);
    }

    async fn roles_crud_and_search(app) {
        let (_, admin) = admin_session(&app, "ACME").await;
        let r = admin.created("/API/identity/role", json!({"name": "member", "displayName": "Member", "description": "d"})).await;
        assert_eq!(r["name"], "member");
        assert_eq!(r["displayName"], "Member");
        assert!(r["creation_date"].as_str().unwrap().len() == 23);
        let path = format!("/API/identity/role/{}", id(&r));
        assert_eq!(admin.ok(&path).await, r);
        let u = admin.put(&path, json!({"description": "changed", "icon": "i.png"})).await;
        assert_eq!(u.body["description"], "changed");
        assert_eq!(u.body["icon"], "i.png");
        admin.created("/API/identity/role", json!({"name": "manager"})).await;
        let s = admin.get("/API/identity/role?o=name%20DESC&c=1").await;
        assert_eq!(s.body[0]["name"], "member");
        assert_eq!(s.content_range(), "0-1/2");
        let s = admin.get("/API/identity/role?f=displayName%3DMember").await;
        assert_eq!(s.body.as_array().unwrap().len(), 1);
        admin.post("/API/identity/role", json!({"name": "manager"})).await.error(409);
        admin.post("/API/identity/role", json!({})).await.error(400);
        admin.get("/API/identity/role?f=x%3Dy").await.error(400);
        assert_eq!(admin.delete(&path).await.status, 200);
        admin.get(&path).await.error(404);
    }

    async fn memberships(app) {
        let (org, admin) = admin_session(&app, "ACME").await;
        let user = admin.created("/API/identity/user", json!({"userName": "walter", "password": "pw-123456"})).await;
        let uid = id(&user);
        let group = admin.created("/API/identity/group", json!({"name": "acme"})).await;
        let role = admin.created("/API/identity/role", json!({"name": "member"})).await;
        let m = admin.created("/API/identity/membership", json!({"user_id": uid, "group_id": id(&group), "role_id": id(&role)})).await;
        assert_eq!(m["user_id"], uid.as_str());
        assert_eq!(m["group_id"], id(&group));
        assert_eq!(m["role_id"], id(&role));
        assert_eq!(m["assigned_date"].as_str().unwrap().len(), 23);
        admin.post("/API/identity/membership", json!({"user_id": uid, "group_id": id(&group), "role_id": id(&role)})).await.error(409);
        let s = admin.get(&format!("/API/identity/membership?f=user_id%3D{uid}&d=role_id&d=group_id&d=user_id&o=ROLE_NAME_ASC")).await;
        assert_eq!(s.status, 200, "{}", s.body);
        assert_eq!(s.content_range(), "0-10/1");
        assert_eq!(s.body[0]["role_id"]["name"], "member");
        assert_eq!(s.body[0]["group_id"]["path"], "/acme");
        assert_eq!(s.body[0]["user_id"]["userName"], "walter");
        // The user search follows memberships.
        let r = admin.get(&format!("/API/identity/user?f=group_id%3D{}", id(&group))).await;
        assert_eq!(r.body.as_array().unwrap().len(), 1);
        let r = admin.get(&format!("/API/identity/user?f=role_id%3D{}&f=group_id%3D{}", id(&role), id(&group))).await;
        assert_eq!(r.body[0]["userName"], "walter");
        // The filter user_id is mandatory.
        admin.get("/API/identity/membership").await.error(400);
        admin.get(&format!("/API/identity/membership?f=user_id%3D{uid}&o=COLOR_ASC")).await.error(400);
        admin.post("/API/identity/membership", json!({"user_id": uid})).await.error(400);
        admin.post("/API/identity/membership", json!({"user_id": uid, "role_id": "999999"})).await.error(404);
        let del = format!("/API/identity/membership/{uid}/{}/{}", id(&group), id(&role));
        assert_eq!(admin.delete(&del).await.status, 200);
        admin.delete(&del).await.error(404);
        let s = admin.get(&format!("/API/identity/membership?f=user_id%3D{uid}")).await;
        assert_eq!(s.body, json!([]));
        // An OmniBPM user's primary unit shows as a membership without a role, which stays.
        let omni = app.user(&org, "omni").await;
        let s = admin.get(&format!("/API/identity/membership?f=user_id%3D{omni}")).await;
        assert_eq!(s.body.as_array().unwrap().len(), 1);
        assert_eq!(s.body[0]["role_id"], "-1");
        let dept = s.body[0]["group_id"].as_str().unwrap().to_string();
        admin.delete(&format!("/API/identity/membership/{omni}/{dept}/-1")).await.error(403);
    }
}
