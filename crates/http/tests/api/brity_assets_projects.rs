//! Brity projects: view, create, delete, stop/restart, owner change (project, process flow,
//! outline), permission groups, copy with renames and its failure codes, targetBot.

use crate::both;
use crate::brity_assets::{ipa, manifest, package, processes, upload_ok};
use crate::brity_client::{brity, brity_admin, brity_user, BrityReply};
use crate::helpers::TestApp;
use reqwest::Method;
use serde_json::{json, Value};

async fn call(
    app: &TestApp,
    m: Method,
    token: &str,
    path: &str,
    body: Option<Value>,
) -> BrityReply {
    brity(app, m, Some(token), None, path, body).await
}

fn coded(r: &BrityReply, status: u16, value: &str, params: Option<&str>) {
    assert_eq!(r.status, status, "{}", r.body);
    assert_eq!(r.body["errorValue"], value, "{}", r.body);
    if let Some(p) = params {
        assert_eq!(r.body["params"], p, "{}", r.body);
    }
}

both! {
    async fn create_view_stop_and_delete(app) {
        let org = app.org("PROJ").await;
        let (_, admin) = brity_admin(&app, &org, "boss").await;
        let (_, user) = brity_user(&app, &org, "dev").await;
        // Create (Authorization + userAuthentication: the project is the user's).
        let r = brity(&app, Method::POST, Some(&admin), Some(&user), "/asset/api/v1/objects/create/project",
            Some(json!({"name": "newProjectName", "desc": "newProjectDescription"}))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let p = &r.body;
        for (k, v) in [("typeName", json!("Project")), ("type", json!(1)), ("version", json!("1.00")),
            ("delYn", json!("N")), ("activation", json!("N")), ("category", json!("project")),
            ("status", json!(1)), ("createUserId", json!("dev")), ("workType", json!("foreground")),
            ("desc", json!("newProjectDescription")), ("managerUsrId", Value::Null)] {
            assert_eq!(p[k], v, "{k}: {p}");
        }
        assert!(p["createDatetime"].as_i64().unwrap() > 1_600_000_000_000);
        let id = p["id"].as_str().unwrap().to_string();
        assert_eq!(uuid::Uuid::parse_str(&id).unwrap().to_string(), id);
        // Name rules and duplicates.
        for (name, params) in [("", "EMPTY_STRING"), ("9lives", "START_WITH_NUMBER"), ("a b", "INVALID_CHARACTER"),
            ("CON", "USE_RESERVED_WORD")] {
            let r = call(&app, Method::POST, &admin, "/asset/api/v1/objects/create/project", Some(json!({"name": name}))).await;
            coded(&r, 400, "INVALID_OBJECT_NAME", Some(params));
        }
        let long = "n".repeat(65);
        let r = call(&app, Method::POST, &admin, "/asset/api/v1/objects/create/project", Some(json!({"name": long}))).await;
        coded(&r, 400, "INVALID_OBJECT_NAME", Some("TOO_LONG_NAME"));
        let r = call(&app, Method::POST, &admin, "/asset/api/v1/objects/create/project", Some(json!({"name": "NEWPROJECTNAME"}))).await;
        coded(&r, 400, "ALREADY_USE_NAME", Some("ALREADY_USE_PROJECT_NAME"));
        assert_eq!(r.body["errorCode"], "ASSET_A2");
        let r = call(&app, Method::POST, &admin, "/asset/api/v1/objects/create/project", Some(json!({"desc": "x"}))).await;
        coded(&r, 400, "INVALID_PARAMETER", None);
        // View.
        let r = call(&app, Method::GET, &user, &format!("/asset/api/v1/objects/project?id={id}&detail=Y"), None).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let v = &r.body;
        assert_eq!(v["objectId"], id);
        assert_eq!(v["objectActivation"], "N");
        assert_eq!(v["objectStatus"], 1);
        assert_eq!(v["ownerId"], "dev");
        assert_eq!(v["category"], "project");
        assert_eq!(v["userHasAuth"], json!({"A": true, "R": true, "S": true, "D": true, "E": true, "U": true}));
        assert_eq!(v["downloadUrl"], format!("/asset/api/v1/objects/project?id={id}&version=1.00"));
        let r = call(&app, Method::GET, &user, "/asset/api/v1/objects/project?id=nope&detail=Y", None).await;
        coded(&r, 404, "OBJECT_IS_NOT_EXIST", None);
        let r = call(&app, Method::GET, &user, "/asset/api/v1/objects/project", None).await;
        coded(&r, 400, "INVALID_PARAMETER", None);
        // An empty project has no package to download.
        let r = call(&app, Method::GET, &user, &format!("/asset/api/v1/objects/project?id={id}&version=1.00"), None).await;
        coded(&r, 404, "OBJECT_IS_NOT_EXIST", None);
        // Stop and restart a project with processes: their status follows.
        let up = upload_ok(&app, &admin, &package(&manifest("Runner", None, &["Main"]), None), true).await;
        let rid = up["id"].as_str().unwrap().to_string();
        let r = call(&app, Method::POST, &admin, "/asset/api/v1/objects/project/status",
            Some(json!({"objectId": rid, "objectStatus": "0"}))).await;
        assert_eq!((r.status, &r.body), (200, &json!({"result": "SUCCESS"})));
        assert_eq!(processes(&app, &admin).await[0]["status"], 2);
        let run = app.store.runnable_process(sluice_domain::OrgId(org.id),
            processes(&app, &admin).await[0]["id"].as_str().unwrap(), None).await.unwrap();
        assert_eq!(run.project_status, 2);
        let r = call(&app, Method::POST, &admin, "/asset/api/v1/objects/project/status",
            Some(json!({"objectId": rid, "objectStatus": 1}))).await;
        assert_eq!(r.status, 200);
        assert_eq!(processes(&app, &admin).await[0]["status"], 1);
        let r = call(&app, Method::POST, &admin, "/asset/api/v1/objects/project/status",
            Some(json!({"objectId": rid, "objectStatus": 5}))).await;
        coded(&r, 400, "INVALID_PARAMETER", None);
        // The user may not stop or delete the admin's project (no U, no D).
        let r = call(&app, Method::POST, &user, "/asset/api/v1/objects/project/status",
            Some(json!({"objectId": rid, "objectStatus": 0}))).await;
        coded(&r, 403, "NO_AUTHORITY", None);
        let r = call(&app, Method::DELETE, &user, &format!("/asset/api/v1/objects/project?id={rid}"), None).await;
        coded(&r, 403, "NO_AUTHORITY", None);
        // Delete: the project, its processes and its package go.
        let r = call(&app, Method::DELETE, &admin, &format!("/asset/api/v1/objects/project?id={rid}"), None).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(processes(&app, &admin).await.is_empty());
        let r = call(&app, Method::GET, &admin, &format!("/asset/api/v1/objects/project?id={rid}&detail=Y"), None).await;
        coded(&r, 404, "OBJECT_IS_NOT_EXIST", None);
        // The name is free again.
        upload_ok(&app, &admin, &package(&manifest("Runner", None, &["Main"]), None), true).await;
        let r = call(&app, Method::DELETE, &user, &format!("/asset/api/v1/objects/project?id={id}"), None).await;
        assert_eq!(r.status, 200, "the owner may delete");
    }

    async fn owner_change_of_projects_flows_and_outlines(app) {
        let org = app.org("OWNR").await;
        let (_, admin) = brity_admin(&app, &org, "boss").await;
        let (_, user) = brity_user(&app, &org, "dev").await;
        let up = upload_ok(&app, &admin, &package(&manifest("Owned", None, &["Main"]), None), true).await;
        let id = up["id"].as_str().unwrap().to_string();
        let r = call(&app, Method::PUT, &admin, "/asset/api/v1/objects/project/owner",
            Some(json!({"objectId": id, "ownerId": "dev"}))).await;
        assert_eq!((r.status, &r.body), (200, &json!({"result": "Success", "name": "Owned"})));
        // The new owner holds every authority; the listing names them.
        let r = call(&app, Method::GET, &user, &format!("/asset/api/v1/objects/project?id={id}&detail=Y"), None).await;
        assert_eq!(r.body["ownerId"], "dev");
        assert_eq!(processes(&app, &user).await.len(), 1);
        let r = call(&app, Method::PUT, &admin, "/asset/api/v1/objects/project/owner",
            Some(json!({"objectId": id, "ownerId": "ghost"}))).await;
        coded(&r, 404, "OBJECT_IS_NOT_EXIST", None);
        let r = call(&app, Method::PUT, &admin, "/asset/api/v1/objects/project/owner", Some(json!({"objectId": id}))).await;
        coded(&r, 400, "INVALID_PARAMETER", None);
        // A project is not a process flow.
        let r = call(&app, Method::PUT, &admin, "/asset/api/v1/objects/workflow/owner",
            Some(json!({"objectId": id, "ownerId": "dev"}))).await;
        coded(&r, 404, "OBJECT_IS_NOT_EXIST", None);
        // Process flows and outlines come as packages of that type.
        for (kind, path) in [("workflow", "workflow"), ("workspace", "workspace")] {
            let mut m = manifest(&format!("Obj_{kind}"), None, &["Main"]);
            m["type"] = json!(kind);
            let r = ipa(&app, &admin, "upload", &[("type", kind)], Some(&package(&m, None))).await;
            assert_eq!(r.body["resultType"], "SUCCESS", "{}", r.body);
            let oid = r.body["id"].as_str().unwrap();
            let r = call(&app, Method::PUT, &admin, &format!("/asset/api/v1/objects/{path}/owner"),
                Some(json!({"objectId": oid, "ownerId": "dev"}))).await;
            assert_eq!(r.status, 200, "{}", r.body);
            let r = call(&app, Method::GET, &user, &format!("/tenant/api/v1/private/{path}/group/{oid}"), None).await;
            assert_eq!((r.status, &r.body), (200, &json!([])));
        }
        // Only S holders change owners.
        let r = call(&app, Method::PUT, &admin, "/asset/api/v1/objects/project/owner",
            Some(json!({"objectId": id, "ownerId": "boss"}))).await;
        assert_eq!(r.status, 200);
        let r = call(&app, Method::PUT, &user, "/asset/api/v1/objects/project/owner",
            Some(json!({"objectId": id, "ownerId": "dev"}))).await;
        coded(&r, 403, "NO_AUTHORITY", None);
    }

    async fn permission_groups(app) {
        let org = app.org("PGRP").await;
        let (_, admin) = brity_admin(&app, &org, "boss").await;
        let (uid, user) = brity_user(&app, &org, "dev").await;
        let up = upload_ok(&app, &admin, &package(&manifest("Guarded", None, &["Main"]), None), true).await;
        let id = up["id"].as_str().unwrap().to_string();
        let path = format!("/tenant/api/v1/private/project/group/{id}");
        let g = app.ok(&org, "group/create", json!({"group": {"name": "dw22"}, "users": [{"__id__": uid}]})).await;
        let gid = g["group"]["__id__"].as_i64().unwrap();
        let r = call(&app, Method::GET, &admin, &path, None).await;
        assert_eq!((r.status, &r.body), (200, &json!([])));
        let r = call(&app, Method::POST, &admin, &path, Some(json!([
            {"groupId": gid.to_string(), "authU": 0, "authR": 1, "authE": 0, "authA": 0, "authD": 1, "authS": 0}
        ]))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body, json!([{"groupId": gid, "groupName": "dw22", "groupDescription": "",
            "authU": 0, "authR": 1, "authE": 0, "authA": 0, "authD": 1, "authS": 0,
            "isAdmin": "N", "isDefault": "N"}]));
        // The member now reads (but may not change the groups: no S).
        let r = call(&app, Method::GET, &user, &path, None).await;
        assert_eq!(r.body[0]["authR"], 1);
        let r = call(&app, Method::GET, &user, &format!("/asset/api/v1/objects/project?id={id}&detail=Y"), None).await;
        assert_eq!(r.body["userHasAuth"], json!({"A": false, "R": true, "S": false, "D": true, "E": false, "U": false}));
        let r = call(&app, Method::POST, &user, &path, Some(json!([{"groupId": gid, "authS": 1}]))).await;
        coded(&r, 403, "NO_AUTHORITY", None);
        // Modify: replaces the grant.
        let r = call(&app, Method::POST, &admin, &path, Some(json!([{"groupId": gid, "authS": 1, "authR": "1"}]))).await;
        assert_eq!((r.body[0]["authS"].as_i64(), r.body[0]["authD"].as_i64()), (Some(1), Some(0)), "{}", r.body);
        // Bad input.
        for bad in [json!([{"groupId": gid, "authU": 2}]), json!([{"authU": 1}]), json!([{"groupId": "x"}]),
                    json!({"groupId": gid}), json!([{"groupId": gid, "authZ": 1}])] {
            let r = call(&app, Method::POST, &admin, &path, Some(bad.clone())).await;
            coded(&r, 400, "INVALID_PARAMETER", None);
        }
        let r = call(&app, Method::POST, &admin, &path, Some(json!([{"groupId": 999999, "authR": 1}]))).await;
        coded(&r, 404, "OBJECT_IS_NOT_EXIST", None);
        let other = app.org("PGRQ").await;
        let og = app.ok(&other, "group/create", json!({"group": {"name": "theirs"}})).await;
        let r = call(&app, Method::POST, &admin, &path, Some(json!([{"groupId": og["group"]["__id__"], "authR": 1}]))).await;
        coded(&r, 404, "OBJECT_IS_NOT_EXIST", None);
        let r = call(&app, Method::GET, &admin, "/tenant/api/v1/private/project/group/no-such-object", None).await;
        coded(&r, 404, "OBJECT_IS_NOT_EXIST", None);
        // Delete.
        let r = call(&app, Method::DELETE, &admin, &path, Some(json!([{"groupId": gid.to_string()}]))).await;
        assert_eq!((r.status, &r.body), (200, &json!({"result": "true"})));
        let r = call(&app, Method::GET, &admin, &path, None).await;
        assert_eq!(r.body, json!([]));
        let r = call(&app, Method::GET, &user, &path, None).await;
        coded(&r, 403, "NO_AUTHORITY", None);
        assert!(processes(&app, &user).await.is_empty());
    }

    async fn copy_with_renames_and_failure_codes(app) {
        let org = app.org("COPY").await;
        let (_, admin) = brity_admin(&app, &org, "boss").await;
        let (_, user) = brity_user(&app, &org, "dev").await;
        let up = upload_ok(&app, &admin, &package(&manifest("Origin", None, &["ProcessA", "ProcessB"]), None), true).await;
        let id = up["id"].as_str().unwrap().to_string();
        upload_ok(&app, &admin, &package(&manifest("Origin", None, &["ProcessA", "ProcessB", "ProcessC"]), None), false).await;
        // Without a version: the latest activated one (1.00, two processes).
        let r = call(&app, Method::DELETE, &admin, "/asset/api/v1/objects/project/copy", Some(json!([{
            "id": id, "targetName": "Copied", "names": {"ProcessA": "Renamed", "TaskA": "TaskB"}
        }]))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let new_id = r.body["projectId"].as_str().unwrap().to_string();
        assert_ne!(new_id, id);
        let (_, list) = (0, processes(&app, &admin).await);
        let copied: Vec<&Value> = list.iter().filter(|p| p["project"]["id"] == new_id.as_str()).collect();
        let names: Vec<&str> = copied.iter().map(|p| p["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["ProcessB", "Renamed"]);
        // A copy is never activated: activating it is a separate approval (A).
        assert!(copied.iter().all(|p| p["version"] == "1.00" && p["activation"] == "N"));
        // The copy's package carries the new names.
        let res = app.client.get(format!("{}/asset/api/v1/objects/project?id={new_id}&version=1.00", app.url))
            .bearer_auth(&admin).send().await.unwrap();
        let m = sluice_package::open(&res.bytes().await.unwrap(), None).unwrap().manifest;
        assert_eq!((m.name.as_str(), m.main_process.as_str(), m.id.as_deref()), ("Copied", "Renamed", None));
        // A named version (POST accepted too), and several at once.
        let r = call(&app, Method::POST, &admin, "/asset/api/v1/objects/project/copy", Some(json!([
            {"id": id, "version": "1.01", "targetName": "Copy_Two"},
            {"id": id, "version": "1.00", "targetName": "Copy_Three"}
        ]))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body.as_array().unwrap().len(), 2);
        assert_eq!(processes(&app, &admin).await.iter().filter(|p| p["project"]["name"] == "Copy_Two").count(), 3);
        // Failure codes.
        let copy = |body: Value| call(&app, Method::DELETE, &admin, "/asset/api/v1/objects/project/copy", Some(body));
        let r = copy(json!([{"id": id, "targetName": "Copied"}])).await;
        coded(&r, 400, "ALREADY_USE_NAME", Some("ALREADY_USE_PROJECT_NAME"));
        assert_eq!(r.body["errorCode"], "ASSET_A2");
        let r = copy(json!([{"id": id, "targetName": "origin"}])).await;
        coded(&r, 400, "ALREADY_USE_NAME", Some("ALREADY_USE_PROJECT_NAME"));
        for (name, params) in [("", "EMPTY_STRING"), ("1x", "START_WITH_NUMBER"), ("a-b", "INVALID_CHARACTER"),
            ("nul", "USE_RESERVED_WORD")] {
            let r = copy(json!([{"id": id, "targetName": name}])).await;
            coded(&r, 400, "INVALID_OBJECT_NAME", Some(params));
        }
        let r = copy(json!([{"id": id, "targetName": "X".repeat(65)}])).await;
        coded(&r, 400, "INVALID_OBJECT_NAME", Some("TOO_LONG_NAME"));
        let r = copy(json!([{"id": id, "targetName": "Fine", "names": {"ProcessA": "bad name"}}])).await;
        coded(&r, 400, "INVALID_OBJECT_NAME", Some("INVALID_CHARACTER"));
        let r = copy(json!([{"id": id, "targetName": "Fine", "names": {"ProcessA": "ProcessB"}}])).await;
        coded(&r, 400, "DUPLICATED_NAME", None);
        let r = copy(json!([{"id": id, "targetName": "Fine", "names": {"ProcessA": "Fine"}}])).await;
        coded(&r, 400, "DUPLICATED_NAME", None);
        let r = copy(json!([{"id": id, "targetName": "Same1"}, {"id": id, "targetName": "same1"}])).await;
        coded(&r, 400, "ALREADY_USE_NAME", None);
        let r = copy(json!([{"id": id, "version": "9.99", "targetName": "Fine"}])).await;
        coded(&r, 404, "OBJECT_IS_NOT_EXIST", None);
        let r = copy(json!([{"id": "missing", "targetName": "Fine"}])).await;
        coded(&r, 404, "OBJECT_IS_NOT_EXIST", None);
        let r = copy(json!([])).await;
        coded(&r, 400, "INVALID_PARAMETER", None);
        let r = copy(json!([{"targetName": "Fine"}])).await;
        coded(&r, 400, "INVALID_PARAMETER", None);
        // A project with no activated version needs a version; without R no copy.
        let fresh = upload_ok(&app, &admin, &package(&manifest("Draft", None, &["Main"]), None), false).await;
        let r = copy(json!([{"id": fresh["id"], "targetName": "Fine"}])).await;
        coded(&r, 404, "OBJECT_IS_NOT_EXIST", None);
        let r = call(&app, Method::DELETE, &user, "/asset/api/v1/objects/project/copy",
            Some(json!([{"id": id, "targetName": "Fine"}]))).await;
        coded(&r, 403, "NO_AUTHORITY", None);
        // Nothing of the failed copies was written.
        assert!(processes(&app, &admin).await.iter().all(|p| p["project"]["name"] != "Fine"));
    }

    async fn target_bot_sets_execution_options(app) {
        let org = app.org("TBOT").await;
        let (_, admin) = brity_admin(&app, &org, "boss").await;
        let (_, user) = brity_user(&app, &org, "dev").await;
        upload_ok(&app, &admin, &package(&manifest("Exec", None, &["Main"]), None), true).await;
        let pid = processes(&app, &admin).await[0]["id"].as_str().unwrap().to_string();
        let put = |token: String, body: Value| {
            let app = &app;
            async move { call(app, Method::PUT, &token, "/asset/api/v1/objects/process/targetBot", Some(body)).await }
        };
        let r = put(admin.clone(), json!({"id": pid, "version": "1.00", "selectBotType": 1,
            "inputs": {"currency": {"expression": "'EUR'"}}})).await;
        assert_eq!((r.status, &r.body), (200, &json!({"result": "success"})));
        let run = app.store.runnable_process(sluice_domain::OrgId(org.id), &pid, None).await.unwrap();
        assert_eq!((run.bot_select_type, run.bot_target.as_deref()), (1, None));
        assert_eq!(run.input_expressions, json!({"currency": {"expression": "'EUR'"}}));
        // The expression shows in the inquiry.
        let inputs: Value = serde_json::from_str(processes(&app, &admin).await[0]["inputs"].as_str().unwrap()).unwrap();
        assert_eq!(inputs[0]["expression"], "'EUR'");
        // Options carry over to a new version.
        upload_ok(&app, &admin, &package(&manifest("Exec", None, &["Main"]), None), true).await;
        let run = app.store.runnable_process(sluice_domain::OrgId(org.id), &pid, None).await.unwrap();
        assert_eq!((run.version.as_str(), &run.input_expressions), ("1.01", &json!({"currency": {"expression": "'EUR'"}})));
        // Unknown bots, bot groups, inputs, versions; bad types; no U.
        let r = put(admin.clone(), json!({"id": pid, "selectBotType": 1, "botId": "BOT-99999"})).await;
        coded(&r, 404, "OBJECT_IS_NOT_EXIST", None);
        let r = put(admin.clone(), json!({"id": pid, "selectBotType": 2, "botId": "424242"})).await;
        coded(&r, 404, "OBJECT_IS_NOT_EXIST", None);
        let r = put(admin.clone(), json!({"id": pid, "selectBotType": 2, "botId": "abc"})).await;
        coded(&r, 400, "INVALID_PARAMETER", None);
        let r = put(admin.clone(), json!({"id": pid, "selectBotType": 3})).await;
        coded(&r, 400, "INVALID_PARAMETER", None);
        let r = put(admin.clone(), json!({"id": pid, "selectBotType": 9})).await;
        coded(&r, 400, "INVALID_PARAMETER", None);
        let r = put(admin.clone(), json!({"id": pid, "inputs": {"nope": {"expression": "1"}}})).await;
        coded(&r, 400, "INVALID_PARAMETER", None);
        let r = put(admin.clone(), json!({"id": pid, "inputs": {"currency": "1"}})).await;
        coded(&r, 400, "INVALID_PARAMETER", None);
        let r = put(admin.clone(), json!({"id": pid, "version": "7.00"})).await;
        coded(&r, 404, "OBJECT_IS_NOT_EXIST", None);
        let r = put(admin.clone(), json!({"id": "missing"})).await;
        coded(&r, 404, "OBJECT_IS_NOT_EXIST", None);
        let r = put(user.clone(), json!({"id": pid, "selectBotType": 1})).await;
        coded(&r, 403, "NO_AUTHORITY", None);
        // A bot group of the tenant (not a user group).
        let g = call(&app, Method::POST, &admin, "/tenant/api/v1/private/group/bot",
            Some(json!({"groupName": "Night_bots"}))).await;
        assert_eq!(g.status, 200, "{}", g.body);
        let bots = g.body["resultDetail"]["groupId"].as_i64().unwrap();
        let r = put(admin.clone(), json!({"id": pid, "selectBotType": 2, "botId": bots.to_string()})).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let run = app.store.runnable_process(sluice_domain::OrgId(org.id), &pid, None).await.unwrap();
        assert_eq!((run.bot_select_type, run.bot_target), (2, Some(bots.to_string())));
        let users = app.ok(&org, "group/create", json!({"group": {"name": "Humans"}})).await;
        let r = put(admin.clone(), json!({"id": pid, "selectBotType": 2,
            "botId": users["group"]["__id__"].to_string()})).await;
        coded(&r, 404, "OBJECT_IS_NOT_EXIST", None);
    }
}
