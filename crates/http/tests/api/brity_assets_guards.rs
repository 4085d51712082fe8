//! Brity asset guards from the review: copy needs E (or U and A) and is never activated;
//! only a tenant administrator's new upload is auto-activated; S holders grant only their
//! own letters and only owners/administrators change owners; hidden inputs are blank without
//! U; NUL characters are a clear 400 (never a PostgreSQL 500).

use crate::both;
use crate::brity_assets::{ipa, manifest, package, processes, raw_package, upload_ok};
use crate::brity_client::{brity, brity_admin, brity_user, BrityReply};
use crate::brity_jobs_client::{assert_fail, run_job};
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

fn coded(r: &BrityReply, status: u16, value: &str) {
    assert_eq!(r.status, status, "{}", r.body);
    assert_eq!(r.body["errorValue"], value, "{}", r.body);
}

/// Grants `auth` over project `id` to group `gid`, as `token`.
async fn grant(app: &TestApp, token: &str, id: &str, gid: i64, auth: Value) -> BrityReply {
    let mut body = json!({"groupId": gid});
    body.as_object_mut()
        .unwrap()
        .extend(auth.as_object().unwrap().clone());
    call(
        app,
        Method::POST,
        token,
        &format!("/tenant/api/v1/private/project/group/{id}"),
        Some(json!([body])),
    )
    .await
}

fn inputs(p: &Value) -> Vec<Value> {
    serde_json::from_str(p["inputs"].as_str().unwrap()).unwrap()
}

both! {
    async fn copy_needs_execute_and_is_never_activated(app) {
        let org = app.org("GCOPY").await;
        let (_, admin) = brity_admin(&app, &org, "boss").await;
        let (uid, user) = brity_user(&app, &org, "dev").await;
        let up = upload_ok(&app, &admin, &package(&manifest("Source", None, &["Main"]), None), true).await;
        let id = up["id"].as_str().unwrap().to_string();
        let g = app.ok(&org, "group/create", json!({"group": {"name": "Readers"}, "users": [{"__id__": uid}]})).await;
        let gid = g["group"]["__id__"].as_i64().unwrap();
        let copy = |name: &'static str| call(&app, Method::DELETE, &user, "/asset/api/v1/objects/project/copy",
            Some(json!([{"id": id, "targetName": name}])));
        // R alone, or R with U but no A: refused, nothing written.
        assert_eq!(grant(&app, &admin, &id, gid, json!({"authR": 1})).await.status, 200);
        coded(&copy("ReadOnly").await, 403, "NO_AUTHORITY");
        assert_eq!(grant(&app, &admin, &id, gid, json!({"authR": 1, "authU": 1})).await.status, 200);
        coded(&copy("UpdateOnly").await, 403, "NO_AUTHORITY");
        assert!(processes(&app, &admin).await.iter().all(|p| p["project"]["name"] == "Source"));
        // E: copied, but not activated (activating needs A, a separate approval).
        assert_eq!(grant(&app, &admin, &id, gid, json!({"authR": 1, "authE": 1})).await.status, 200);
        let r = copy("Executed").await;
        assert_eq!(r.status, 200, "{}", r.body);
        let copied: Vec<Value> = processes(&app, &user).await.into_iter()
            .filter(|p| p["project"]["name"] == "Executed").collect();
        assert_eq!(copied.len(), 1);
        assert_eq!(copied[0]["activation"], "N");
        let r = call(&app, Method::GET, &user, "/asset/api/v1/objects/type/process/list", None).await;
        assert!(r.body["list"].as_array().unwrap().iter().all(|p| p["project"]["name"] != "Executed"), "{}", r.body);
        // U and A: copied too, still unactivated.
        assert_eq!(grant(&app, &admin, &id, gid, json!({"authR": 1, "authU": 1, "authA": 1})).await.status, 200);
        assert_eq!(copy("Approved").await.status, 200);
        let copied: Vec<Value> = processes(&app, &admin).await.into_iter()
            .filter(|p| p["project"]["name"] == "Approved").collect();
        assert_eq!(copied[0]["activation"], "N");
    }

    async fn only_administrators_auto_activate_new_uploads(app) {
        let org = app.org("GACT").await;
        let (_, admin) = brity_admin(&app, &org, "boss").await;
        let (_, user) = brity_user(&app, &org, "dev").await;
        upload_ok(&app, &user, &package(&manifest("UserNew", None, &["UserMain"]), None), true).await;
        upload_ok(&app, &admin, &package(&manifest("AdminNew", None, &["AdminMain"]), None), true).await;
        let list = processes(&app, &admin).await;
        let activation = |name: &str| list.iter().find(|p| p["name"] == name).unwrap()["activation"].clone();
        assert_eq!(activation("UserMain"), "N");
        assert_eq!(activation("AdminMain"), "Y");
        // The owner holds A over their own object, so a later version may be activated.
        upload_ok(&app, &user, &package(&manifest("UserNew", None, &["UserMain"]), None), true).await;
        let list = processes(&app, &user).await;
        assert_eq!(list[0]["activation"], "Y", "{:?}", list);
        assert_eq!(list[0]["version"], "1.01");
    }

    async fn share_grants_only_held_letters_and_owners_change_owners(app) {
        let org = app.org("GSHR").await;
        let (_, admin) = brity_admin(&app, &org, "boss").await;
        let (uid, user) = brity_user(&app, &org, "dev").await;
        app.user(&org, "ops").await;
        let up = upload_ok(&app, &admin, &package(&manifest("Shared", None, &["Main"]), None), true).await;
        let id = up["id"].as_str().unwrap().to_string();
        let g = app.ok(&org, "group/create", json!({"group": {"name": "Sharers"}, "users": [{"__id__": uid}]})).await;
        let gid = g["group"]["__id__"].as_i64().unwrap();
        let other = app.ok(&org, "group/create", json!({"group": {"name": "Others"}})).await;
        let oid = other["group"]["__id__"].as_i64().unwrap();
        assert_eq!(grant(&app, &admin, &id, gid, json!({"authR": 1, "authS": 1})).await.status, 200);
        // Letters the S holder lacks (A, E, D, U), to another group or to their own: 403.
        for auth in [json!({"authA": 1}), json!({"authE": 1, "authR": 1}), json!({"authD": 1}), json!({"authU": 1})] {
            coded(&grant(&app, &user, &id, oid, auth.clone()).await, 403, "NO_AUTHORITY");
            coded(&grant(&app, &user, &id, gid, auth).await, 403, "NO_AUTHORITY");
        }
        let r = call(&app, Method::GET, &admin, &format!("/tenant/api/v1/private/project/group/{id}"), None).await;
        assert_eq!(r.body.as_array().unwrap().len(), 1, "nothing was granted: {}", r.body);
        // Letters they hold: granted.
        let r = grant(&app, &user, &id, oid, json!({"authR": 1, "authS": 1})).await;
        assert_eq!(r.status, 200, "{}", r.body);
        // An S holder who is not the owner may not change the owner (not even to themselves).
        for to in ["dev", "ops"] {
            let r = call(&app, Method::PUT, &user, "/asset/api/v1/objects/project/owner",
                Some(json!({"objectId": id, "ownerId": to}))).await;
            coded(&r, 403, "NO_AUTHORITY");
        }
        // The administrator may; then the new owner may pass it on.
        let r = call(&app, Method::PUT, &admin, "/asset/api/v1/objects/project/owner",
            Some(json!({"objectId": id, "ownerId": "dev"}))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let r = call(&app, Method::PUT, &user, "/asset/api/v1/objects/project/owner",
            Some(json!({"objectId": id, "ownerId": "ops"}))).await;
        assert_eq!(r.status, 200, "{}", r.body);
    }

    async fn hidden_inputs_are_blank_without_update(app) {
        let org = app.org("GHID").await;
        let (_, admin) = brity_admin(&app, &org, "boss").await;
        let (uid, user) = brity_user(&app, &org, "dev").await;
        let mut m = manifest("Hiding", None, &["Main"]);
        m["processes"][0]["inputs"] = json!([
            {"name": "currency", "type": "string", "default": "USD"},
            {"name": "pin", "type": "string", "default": "1234", "hidden": true}
        ]);
        let up = upload_ok(&app, &admin, &package(&m, None), true).await;
        let id = up["id"].as_str().unwrap().to_string();
        let pid = processes(&app, &admin).await[0]["id"].as_str().unwrap().to_string();
        let r = call(&app, Method::PUT, &admin, "/asset/api/v1/objects/process/targetBot",
            Some(json!({"id": pid, "selectBotType": 1, "inputs": {"pin": {"expression": "'9999'"}}}))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let g = app.ok(&org, "group/create", json!({"group": {"name": "Viewers"}, "users": [{"__id__": uid}]})).await;
        let gid = g["group"]["__id__"].as_i64().unwrap();
        assert_eq!(grant(&app, &admin, &id, gid, json!({"authR": 1})).await.status, 200);
        let pin = |list: &[Value]| inputs(&list[0]).into_iter().find(|i| i["name"] == "pin").unwrap();
        let seen = pin(&processes(&app, &user).await);
        assert_eq!((seen["initValue"].as_str(), seen["expression"].as_str()), (Some(""), Some("")), "{seen}");
        assert_eq!(seen["hidden"], true);
        let shown = inputs(&processes(&app, &user).await[0]);
        assert_eq!(shown[0]["initValue"], "USD", "visible inputs are shown");
        let r = call(&app, Method::GET, &user, "/asset/api/v1/objects/type/process/list", None).await;
        assert_eq!(pin(r.body["list"].as_array().unwrap())["initValue"], "");
        // U holders and the administrator see them.
        let seen = pin(&processes(&app, &admin).await);
        assert_eq!((seen["initValue"].as_str(), seen["expression"].as_str()), (Some("1234"), Some("'9999'")));
        assert_eq!(grant(&app, &admin, &id, gid, json!({"authR": 1, "authU": 1})).await.status, 200);
        assert_eq!(pin(&processes(&app, &user).await)["initValue"], "1234");
    }

    async fn nul_characters_are_a_clear_400(app) {
        let org = app.org("GNUL").await;
        let (_, admin) = brity_admin(&app, &org, "boss").await;
        upload_ok(&app, &admin, &package(&manifest("Clean", None, &["Main"]), None), true).await;
        for path in [
            "/asset/api/v1/objects/project?id=a%00b&detail=Y",
            "/asset/api/v1/objects/project?id=a%00b&version=1.00",
            "/asset/api/v1/objects/process?id=x%00&version=1.00",
            "/asset/api/v1/objects/type/process?searchName=%00",
            "/asset/api/v1/objects/type/process?searchDesc=a%00",
            "/asset/api/v1/objects/type/process/list?searchId=%00&searchParentName=x",
            "/asset/api/v1/objects/type/process/list?searchParentId=%00",
            "/tenant/api/v1/private/project/group/abc%00def",
        ] {
            let r = call(&app, Method::GET, &admin, path, None).await;
            coded(&r, 400, "INVALID_PARAMETER");
        }
        let long = format!("/asset/api/v1/objects/type/process?searchName={}", "x".repeat(1025));
        coded(&call(&app, Method::GET, &admin, &long, None).await, 400, "INVALID_PARAMETER");
        let r = call(&app, Method::DELETE, &admin, "/asset/api/v1/objects/project?id=%00", None).await;
        coded(&r, 400, "INVALID_PARAMETER");
        for (m, path, body) in [
            (Method::POST, "/tenant/api/v1/private/project/group/a%00", json!([{"groupId": 1, "authR": 1}])),
            (Method::DELETE, "/tenant/api/v1/private/project/group/a%00", json!([{"groupId": 1}])),
            (Method::POST, "/asset/api/v1/objects/create/project", json!({"name": "Fine", "desc": "a\u{0}b"})),
            (Method::DELETE, "/asset/api/v1/objects/project/copy", json!([{"id": "x\u{0}", "targetName": "Fine"}])),
            (Method::PUT, "/asset/api/v1/objects/project/owner", json!({"objectId": "x", "ownerId": "a\u{0}"})),
            (Method::PUT, "/asset/api/v1/objects/process/targetBot", json!({"id": "p\u{0}", "selectBotType": 1})),
        ] {
            let r = call(&app, m, &admin, path, Some(body)).await;
            coded(&r, 400, "INVALID_PARAMETER");
            assert!(r.body["params"].as_str().unwrap().contains("NUL"), "{}", r.body);
        }
        // Manifest texts: refused as an invalid object, in the upload's own form.
        for field in ["description", "designerVersion"] {
            let mut m = manifest("Dirty", None, &["Main"]);
            m[field] = json!("a\u{0}b");
            let r = ipa(&app, &admin, "upload", &[("type", "project")], Some(&raw_package(&m))).await;
            assert_eq!((r.status, r.body["message"].as_str()), (400, Some("INVALID_OBJECT")), "{}", r.body);
        }
        let mut m = manifest("Dirty", None, &["Main"]);
        m["processes"][0]["description"] = json!("\u{0}");
        let r = ipa(&app, &admin, "upload", &[("type", "project")], Some(&raw_package(&m))).await;
        assert_eq!((r.status, r.body["message"].as_str()), (400, Some("INVALID_OBJECT")), "{}", r.body);
        let mut m = manifest("Dirty", None, &["Main"]);
        m["description"] = json!("d".repeat(4001));
        let r = ipa(&app, &admin, "upload", &[("type", "project")], Some(&raw_package(&m))).await;
        assert_eq!((r.status, r.body["message"].as_str()), (400, Some("INVALID_OBJECT")), "{}", r.body);
        // More than 500 processes in one package: refused.
        let names: Vec<String> = (0..501).map(|i| format!("P{i}")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let r = ipa(&app, &admin, "upload", &[("type", "project")], Some(&raw_package(&manifest("Huge", None, &refs)))).await;
        assert_eq!((r.status, r.body["message"].as_str()), (400, Some("INVALID_OBJECT")), "{}", r.body);
        // Nothing was stored, and the server still answers.
        let list = processes(&app, &admin).await;
        assert_eq!(list.len(), 1);
        assert_eq!(list[0]["project"]["name"], "Clean");
    }

    async fn a_process_dropped_from_the_activated_version_does_not_run(app) {
        let org = app.org("GDROP").await;
        let (_, admin) = brity_admin(&app, &org, "boss").await;
        upload_ok(&app, &admin, &package(&manifest("Evolving", None, &["Kept", "Dropped"]), None), true).await;
        let list = processes(&app, &admin).await;
        let id_of = |name: &str| list.iter().find(|p| p["name"] == name).unwrap()["id"].clone();
        let (kept, dropped) = (id_of("Kept"), id_of("Dropped"));
        upload_ok(&app, &admin, &package(&manifest("Evolving", None, &["Kept"]), None), true).await;
        let r = run_job(&app, &admin, &admin, json!({"jobType": 1, "processId": dropped})).await;
        assert_fail(&r, 409, "PROCESS_IS_NOT_ACTIVATED");
        // The process still in the activated version passes the activation check (the
        // tenant has no bot, which is the next check).
        let r = run_job(&app, &admin, &admin, json!({"jobType": 1, "processId": kept})).await;
        assert_fail(&r, 409, "NO_AVAILABLE_BOT");
    }

    async fn searches_fold_non_ascii_alike_on_both_backends(app) {
        let org = app.org("GFOLD").await;
        let (_, admin) = brity_admin(&app, &org, "boss").await;
        let mut m = manifest("Summer", None, &["Main"]);
        m["processes"][0]["description"] = json!("Prix Été");
        upload_ok(&app, &admin, &package(&m, None), true).await;
        for search in ["%C3%89t%C3%A9", "PRIX%20%C3%89t", "x%20%C3%89"] {
            let r = call(&app, Method::GET, &admin, &format!("/asset/api/v1/objects/type/process?searchDesc={search}"), None).await;
            assert_eq!(r.body.as_array().map(Vec::len), Some(1), "{search}: {}", r.body);
        }
        let r = call(&app, Method::GET, &admin, "/asset/api/v1/objects/type/process?searchDesc=%C3%89t%C3%A9%20x", None).await;
        assert_eq!(r.body, json!([]));
    }
}
