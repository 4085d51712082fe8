//! Brity group management: user and bot groups created, edited, deleted and searched, the
//! tenant's user group list and membership by path (`/group/{tenantId}/...`).

use crate::both;
use crate::brity_client::{brity, brity_admin, brity_user};
use crate::brity_tenant::{assert_coded, group_names, make_group, ok};
use crate::helpers::{Org, TestApp};
use reqwest::Method;
use serde_json::{json, Value};

const USER_GROUP: &str = "/tenant/api/v1/private/group/user";
const BOT_GROUP: &str = "/tenant/api/v1/private/group/bot";

/// The names of the OmniBPM groups of `org`.
async fn omni_groups(app: &TestApp, org: &Org) -> Vec<String> {
    let v = app.ok(org, "group/list", json!({})).await;
    v["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| g["name"].as_str().expect("name").to_string())
        .collect()
}

fn detail(id: i64, kind: i64, name: &str, desc: &str) -> Value {
    json!({
        "groupId": id, "groupType": kind, "groupName": name, "groupDescription": desc,
        "groupOrder": 0, "useYn": "Y", "isDefault": "N", "isMonitoring": "N", "isAdmin": "N"
    })
}

both! {
    async fn user_and_bot_groups_are_created_edited_and_deleted(app) {
        let a = app.org("AAA").await;
        let (_, boss) = brity_admin(&app, &a, "boss").await;

        let v = ok(&app, &boss, Method::POST, BOT_GROUP,
            Some(json!({"groupName": "group0109", "groupDescription": "Group 0109 Description"}))).await;
        let bots = v["resultDetail"]["groupId"].as_i64().unwrap();
        assert_eq!(v, json!({"result": "SUCCESS", "resultDetail": detail(bots, 1, "group0109", "Group 0109 Description")}));
        let v = ok(&app, &boss, Method::POST, USER_GROUP,
            Some(json!({"groupName": "usergroup0109", "groupDescription": "User Group 0109 Description"}))).await;
        let users = v["resultDetail"]["groupId"].as_i64().unwrap();
        assert_eq!(v, json!({"result": "SUCCESS", "resultDetail": detail(users, 0, "usergroup0109", "User Group 0109 Description")}));
        // The description may be left out.
        let plain = make_group(&app, &boss, false, "plain").await;
        let v = ok(&app, &boss, Method::POST, USER_GROUP, Some(json!({"groupName": "bare"}))).await;
        assert_eq!(v["resultDetail"]["groupDescription"], "");

        // A user group is an OmniBPM group too; a bot group is not.
        let names = omni_groups(&app, &a).await;
        assert!(names.contains(&"usergroup0109".to_string()) && !names.contains(&"group0109".to_string()), "{names:?}");

        // Editing: with groupId; what is left out stays.
        let v = ok(&app, &boss, Method::POST, BOT_GROUP,
            Some(json!({"groupId": bots, "groupName": "group0109_edit", "groupDescription": "Edit group 0109 Description"}))).await;
        assert_eq!(v["resultDetail"], detail(bots, 1, "group0109_edit", "Edit group 0109 Description"));
        let v = ok(&app, &boss, Method::POST, USER_GROUP,
            Some(json!({"groupId": users.to_string(), "groupDescription": "changed"}))).await;
        assert_eq!(v["resultDetail"], detail(users, 0, "usergroup0109", "changed"));
        let v = ok(&app, &boss, Method::POST, USER_GROUP, Some(json!({"groupId": users, "groupName": "usergroup0109_edit"}))).await;
        assert_eq!(v["resultDetail"]["groupName"], "usergroup0109_edit");
        assert!(omni_groups(&app, &a).await.contains(&"usergroup0109_edit".to_string()));

        // Names are unique among user and bot groups alike.
        for (path, body) in [
            (USER_GROUP, json!({"groupName": "group0109_edit"})),
            (BOT_GROUP, json!({"groupName": "usergroup0109_edit"})),
            (USER_GROUP, json!({"groupId": plain, "groupName": "usergroup0109_edit"})),
            (USER_GROUP, json!({"groupName": "All Users"})),
        ] {
            let r = brity(&app, Method::POST, Some(&boss), None, path, Some(body.clone())).await;
            assert_coded(&r, 400, "DUPLICATED_NAME");
        }
        // A group of the other kind is not found at this kind's path.
        let r = brity(&app, Method::POST, Some(&boss), None, USER_GROUP, Some(json!({"groupId": bots, "groupName": "x"}))).await;
        assert_coded(&r, 404, "OBJECT_IS_NOT_EXIST");
        let r = brity(&app, Method::DELETE, Some(&boss), None, BOT_GROUP, Some(json!({"groupId": users}))).await;
        assert_coded(&r, 404, "OBJECT_IS_NOT_EXIST");

        // The system groups are the system's.
        let all_users = ok(&app, &boss, Method::GET, "/group/AAA", None).await[0]["groupId"].as_i64().unwrap();
        let r = brity(&app, Method::POST, Some(&boss), None, USER_GROUP, Some(json!({"groupId": all_users, "groupName": "Everyone"}))).await;
        assert_coded(&r, 403, "NO_AUTHORITY");
        let r = brity(&app, Method::DELETE, Some(&boss), None, USER_GROUP, Some(json!({"groupId": all_users}))).await;
        assert_coded(&r, 403, "NO_AUTHORITY");

        // Deleting answers the group as it was; the bot group at its own path and, as the
        // spec documents, at the user group path too.
        let v = ok(&app, &boss, Method::DELETE, BOT_GROUP, Some(json!({"groupId": bots}))).await;
        assert_eq!(v, json!({"result": "SUCCESS", "resultDetail": detail(bots, 1, "group0109_edit", "Edit group 0109 Description")}));
        let other_bots = make_group(&app, &boss, true, "0203 test").await;
        let v = ok(&app, &boss, Method::DELETE, USER_GROUP, Some(json!({"groupId": other_bots}))).await;
        assert_eq!(v["resultDetail"]["groupType"], 1);
        let v = ok(&app, &boss, Method::DELETE, USER_GROUP, Some(json!({"groupId": users}))).await;
        assert_eq!(v["resultDetail"]["groupName"], "usergroup0109_edit");
        assert!(!omni_groups(&app, &a).await.contains(&"usergroup0109_edit".to_string()));
        for id in [bots, users, 999_999] {
            let r = brity(&app, Method::DELETE, Some(&boss), None, USER_GROUP, Some(json!({"groupId": id}))).await;
            assert_coded(&r, 404, "OBJECT_IS_NOT_EXIST");
        }
        // A deleted name may be used again.
        make_group(&app, &boss, true, "group0109_edit").await;
    }

    async fn group_bodies_are_checked(app) {
        let a = app.org("AAA").await;
        let (_, boss) = brity_admin(&app, &a, "boss").await;
        let g = make_group(&app, &boss, false, "g").await;
        for (method, path, body) in [
            (Method::POST, USER_GROUP, json!({})),
            (Method::POST, USER_GROUP, json!({"groupName": ""})),
            (Method::POST, BOT_GROUP, json!({"groupName": "x".repeat(201)})),
            (Method::POST, BOT_GROUP, json!({"groupName": "ok", "groupDescription": "d".repeat(1001)})),
            (Method::POST, BOT_GROUP, json!({"groupName": "ok", "groupDescription": "a\u{1}b"})),
            (Method::POST, USER_GROUP, json!({"groupId": "seven", "groupName": "x"})),
            (Method::POST, USER_GROUP, json!({"groupId": g, "groupName": " "})),
            (Method::POST, USER_GROUP, json!({"groupName": 5})),
            (Method::DELETE, USER_GROUP, json!({})),
            (Method::DELETE, BOT_GROUP, json!({"groupId": [1]})),
            (Method::GET, USER_GROUP, json!({"limit": -5})),
            (Method::GET, BOT_GROUP, json!({"orderBy": "groupName; DROP TABLE groups"})),
        ] {
            let r = brity(&app, method.clone(), Some(&boss), None, path, Some(body.clone())).await;
            assert_coded(&r, 400, "INVALID_PARAMETER");
        }
        let r = brity(&app, Method::DELETE, Some(&boss), None, USER_GROUP, None).await;
        assert_coded(&r, 400, "INVALID_PARAMETER");
        let r = brity(&app, Method::POST, Some(&boss), None, USER_GROUP, None).await;
        assert_coded(&r, 400, "INVALID_PARAMETER");
        let r = brity(&app, Method::PUT, Some(&boss), None, USER_GROUP, None).await;
        assert_coded(&r, 405, "METHOD_NOT_ALLOWED");
        // Nothing was made.
        let v = ok(&app, &boss, Method::GET, USER_GROUP, Some(json!({"limit": 100}))).await;
        assert_eq!(group_names(&v), ["All Users", "External Users", "g"]);
        let v = ok(&app, &boss, Method::GET, BOT_GROUP, None).await;
        assert_eq!(v["totalCount"], 0);
    }

    async fn user_and_bot_groups_are_searched(app) {
        let a = app.org("AAA").await;
        let (_, boss) = brity_admin(&app, &a, "boss").await;
        for name in ["Users", "user group0110_2", "usergroup0201", "Sales"] {
            make_group(&app, &boss, false, name).await;
        }
        for name in ["new client group", "new client group2", "Robots"] {
            make_group(&app, &boss, true, name).await;
        }

        // The spec's user group example: a name filter, offset and limit.
        let v = ok(&app, &boss, Method::GET, USER_GROUP,
            Some(json!({"offset": 1, "limit": 10, "parameter": {"groupName": "Users"}, "orderBy": ""}))).await;
        assert_eq!(v["request"], json!({"offset": 1, "limit": 10, "parameter": {"groupName": "Users", "groupType": 0}, "orderBy": ""}));
        assert_eq!(v["totalCount"], 3, "{v}");
        assert_eq!(group_names(&v), ["External Users", "Users"]);
        assert_eq!(v["listCount"], 2);
        assert_eq!(v["list"][0].as_object().unwrap().len(), 7);

        // The spec's bot group example: name and description filters, empty flags.
        let v = ok(&app, &boss, Method::GET, BOT_GROUP, Some(json!({
            "offset": 0, "limit": 10,
            "parameter": {"groupName": "Group", "isAdminGroup": "", "isDefaultGroup": "", "groupDescription": "Description"},
            "orderBy": "groupId desc"
        }))).await;
        assert_eq!(group_names(&v), ["new client group2", "new client group"]);
        assert_eq!(v["request"]["parameter"], json!({"groupName": "Group", "groupDescription": "Description", "groupType": 1}));
        assert!(v["list"].as_array().unwrap().iter().all(|g| g["groupType"] == 1));

        // A groupType in the body does not widen a search to the other kind.
        let v = ok(&app, &boss, Method::GET, BOT_GROUP, Some(json!({"parameter": {"groupType": 0}}))).await;
        assert_eq!(v["totalCount"], 3);
        let v = ok(&app, &boss, Method::GET, USER_GROUP, Some(json!({"parameter": null, "offset": null, "orderBy": null}))).await;
        assert_eq!(v["totalCount"], 6);
        // Without a body: every group of the kind, ten at most, by id.
        let v = ok(&app, &boss, Method::GET, USER_GROUP, None).await;
        assert_eq!(group_names(&v), ["All Users", "External Users", "Users", "user group0110_2", "usergroup0201", "Sales"]);
        let v = ok(&app, &boss, Method::GET, USER_GROUP, Some(json!({"orderBy": "groupName", "parameter": {"isDefaultGroup": "N"}}))).await;
        assert_eq!(group_names(&v), ["External Users", "Sales", "user group0110_2", "usergroup0201", "Users"]);
        let v = ok(&app, &boss, Method::GET, USER_GROUP, Some(json!({"parameter": {"isDefaultGroup": "Y"}}))).await;
        assert_eq!(group_names(&v), ["All Users"]);

        // Administrators only.
        let (_, ana) = brity_user(&app, &a, "ana").await;
        for path in [USER_GROUP, BOT_GROUP] {
            let r = brity(&app, Method::GET, Some(&ana), None, path, None).await;
            assert_coded(&r, 403, "NO_AUTHORITY");
            let r = brity(&app, Method::POST, Some(&ana), None, path, Some(json!({"groupName": "mine"}))).await;
            assert_coded(&r, 403, "NO_AUTHORITY");
            let r = brity(&app, Method::DELETE, Some(&ana), None, path, Some(json!({"groupId": 1}))).await;
            assert_coded(&r, 403, "NO_AUTHORITY");
        }

        // Another tenant's groups are not found, listed or changed.
        let b = app.org("BBB").await;
        let (_, boss_b) = brity_admin(&app, &b, "boss").await;
        let v = ok(&app, &boss_b, Method::GET, BOT_GROUP, None).await;
        assert_eq!(v["totalCount"], 0);
        let theirs = ok(&app, &boss, Method::GET, BOT_GROUP, None).await["list"][0]["groupId"].as_i64().unwrap();
        let r = brity(&app, Method::POST, Some(&boss_b), None, BOT_GROUP, Some(json!({"groupId": theirs, "groupName": "taken over"}))).await;
        assert_coded(&r, 404, "OBJECT_IS_NOT_EXIST");
        let r = brity(&app, Method::DELETE, Some(&boss_b), None, BOT_GROUP, Some(json!({"groupId": theirs}))).await;
        assert_coded(&r, 404, "OBJECT_IS_NOT_EXIST");
        // Names are per tenant.
        make_group(&app, &boss_b, true, "Robots").await;
    }

    async fn tenant_group_paths_list_groups_and_members(app) {
        let a = app.org("AAA").await;
        let b = app.org("BBB").await;
        let (_, boss) = brity_admin(&app, &a, "boss").await;
        let (_, boss_b) = brity_admin(&app, &b, "boss").await;
        app.user(&a, "ana").await;
        app.user(&b, "bob").await;
        let g = make_group(&app, &boss, false, "Team").await;
        make_group(&app, &boss, true, "Robots").await;

        // Every user group of the tenant (not bot groups).
        let v = ok(&app, &boss, Method::GET, "/group/AAA", None).await;
        let names: Vec<&str> = v.as_array().unwrap().iter().map(|g| g["groupName"].as_str().unwrap()).collect();
        assert_eq!(names, ["All Users", "External Users", "Team"]);
        assert_eq!(v[2], json!({"groupId": g, "groupType": 0, "groupName": "Team", "groupDescription": "Team description", "useYn": "Y", "isDefault": "N", "isAdmin": "N"}));

        let v = ok(&app, &boss, Method::POST, &format!("/group/AAA/{g}/ANA"), None).await;
        assert_eq!(v, json!({"result": "SUCCESS", "mappingList": [
            {"groupId": g, "userId": "ana", "groupType": 0, "groupName": "Team", "groupDescription": "Team description"}
        ]}));
        // Twice is no error.
        ok(&app, &boss, Method::POST, &format!("/group/AAA/{g}/ana"), None).await;
        let members = ok(&app, &boss, Method::GET, &format!("/tenant/api/v1/private/group/{g}/mapping/users"), None).await;
        assert_eq!(members["totalCount"], 1);
        let v = ok(&app, &boss, Method::DELETE, &format!("/group/AAA/{g}/ana"), None).await;
        assert_eq!(v, json!({"result": "SUCCESS"}));
        let members = ok(&app, &boss, Method::GET, &format!("/tenant/api/v1/private/group/{g}/mapping/users"), None).await;
        assert_eq!(members["totalCount"], 0);

        // Another tenant, its users and its groups are not reachable.
        let r = brity(&app, Method::GET, Some(&boss), None, "/group/BBB", None).await;
        assert_coded(&r, 404, "NOT_AVAILABLE_TENANT");
        let r = brity(&app, Method::POST, Some(&boss_b), None, &format!("/group/AAA/{g}/ana"), None).await;
        assert_coded(&r, 404, "NOT_AVAILABLE_TENANT");
        let r = brity(&app, Method::POST, Some(&boss_b), None, &format!("/group/BBB/{g}/bob"), None).await;
        assert_coded(&r, 404, "OBJECT_IS_NOT_EXIST");
        let r = brity(&app, Method::POST, Some(&boss), None, &format!("/group/AAA/{g}/bob"), None).await;
        assert_coded(&r, 404, "OBJECT_IS_NOT_EXIST");
        // Bad ids, the system groups, non-administrators.
        let r = brity(&app, Method::POST, Some(&boss), None, "/group/AAA/team/ana", None).await;
        assert_coded(&r, 400, "INVALID_PARAMETER");
        let all_users = ok(&app, &boss, Method::GET, "/group/AAA", None).await[0]["groupId"].as_i64().unwrap();
        let r = brity(&app, Method::POST, Some(&boss), None, &format!("/group/AAA/{all_users}/ana"), None).await;
        assert_coded(&r, 403, "NO_AUTHORITY");
        let (_, ana) = brity_user(&app, &a, "ana2").await;
        let r = brity(&app, Method::GET, Some(&ana), None, "/group/AAA", None).await;
        assert_coded(&r, 403, "NO_AUTHORITY");
        let r = brity(&app, Method::POST, Some(&ana), None, &format!("/group/AAA/{g}/ana2"), None).await;
        assert_coded(&r, 403, "NO_AUTHORITY");
        let r = brity(&app, Method::GET, None, None, "/group/AAA", None).await;
        assert_coded(&r, 401, "UNAUTHORIZED");
    }
}

both! {
    async fn nul_and_over_long_path_parameters_are_a_clear_400(app) {
        let a = app.org("AAA").await;
        let (_, boss) = brity_admin(&app, &a, "boss").await;
        app.user(&a, "ana").await;
        let g = make_group(&app, &boss, false, "Team").await;
        let long = "x".repeat(1025);
        for (method, path) in [
            (Method::GET, "/group/AA%00A".to_string()),
            (Method::POST, format!("/group/AAA/{g}/an%00a")),
            (Method::DELETE, format!("/group/AAA/{g}/an%00a")),
            (Method::POST, format!("/group/AAA/{g}/{long}")),
            (Method::GET, format!("/tenant/api/v1/private/group/{g}%00/mapping/users")),
            (Method::POST, format!("/tenant/api/v1/private/group/%00{g}/mapping/users")),
        ] {
            let r = brity(&app, method, Some(&boss), None, &path, Some(json!({"mappingUserList": ["ana"]}))).await;
            assert_coded(&r, 400, "INVALID_PARAMETER");
        }
        let members = ok(&app, &boss, Method::GET, &format!("/tenant/api/v1/private/group/{g}/mapping/users"), None).await;
        assert_eq!(members["totalCount"], 0);
    }
}
