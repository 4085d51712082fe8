//! Brity process inquiry: Search_All, Query_Search, changed since, the paged list with its
//! parameters and limits; authorities (no R: not listed) and tenant isolation.

use crate::both;
use crate::brity_assets::{manifest, package, processes, upload_ok};
use crate::brity_client::{brity, brity_admin, brity_user};
use reqwest::Method;
use serde_json::{json, Value};

async fn get(app: &crate::helpers::TestApp, token: &str, path: &str) -> (u16, Value) {
    let r = brity(app, Method::GET, Some(token), None, path, None).await;
    (r.status, r.body)
}

fn names(list: &Value) -> Vec<String> {
    let mut n: Vec<String> = list
        .as_array()
        .expect("array")
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect();
    n.sort();
    n
}

both! {
    async fn search_changed_and_list(app) {
        let org = app.org("INQ").await;
        let (_, admin) = brity_admin(&app, &org, "boss").await;
        let mut m = manifest("Billing", None, &["Invoice_Run", "Dunning"]);
        m["processes"][1]["description"] = json!("Sends 100% reminders");
        upload_ok(&app, &admin, &package(&m, None), true).await;
        // `datetime` has whole seconds: the second upload comes more than a second later.
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        let before = chrono::Utc::now();
        upload_ok(&app, &admin, &package(&manifest("Reports", None, &["Monthly"]), None), false).await;
        // Search_All.
        assert_eq!(names(&Value::Array(processes(&app, &admin).await)), ["Dunning", "Invoice_Run", "Monthly"]);
        // Query_Search: case-insensitive substrings; % is literal.
        let (s, v) = get(&app, &admin, "/asset/api/v1/objects/type/process?searchName=invoice").await;
        assert_eq!((s, names(&v)), (200, vec!["Invoice_Run".to_string()]));
        let (_, v) = get(&app, &admin, "/asset/api/v1/objects/type/process?searchDesc=100%25").await;
        assert_eq!(names(&v), ["Dunning"]);
        let (_, v) = get(&app, &admin, "/asset/api/v1/objects/type/process?searchDesc=1%25%25").await;
        assert_eq!(names(&v), Vec::<String>::new());
        let (_, v) = get(&app, &admin, "/asset/api/v1/objects/type/process?searchName=_").await;
        assert_eq!(names(&v), ["Invoice_Run"]);
        // Changed since (URI-encoded +TZD, and a + that arrived as a space).
        let since = before.format("%Y-%m-%dT%H:%M:%S+00:00").to_string().replace('+', "%2B");
        let (s, v) = get(&app, &admin, &format!("/asset/api/v1/objects/type/process/changed?datetime={since}&authType=R")).await;
        assert_eq!((s, names(&v)), (200, vec!["Monthly".to_string()]), "{v}");
        let raw = before.format("%Y-%m-%dT%H:%M:%S+00:00").to_string();
        let (_, v) = get(&app, &admin, &format!("/asset/api/v1/objects/type/process/changed?datetime={raw}")).await;
        assert_eq!(names(&v), ["Monthly"]);
        let (_, v) = get(&app, &admin, "/asset/api/v1/objects/type/process/changed?datetime=2000-01-01T00:00:00%2B09:00&authType=E").await;
        assert_eq!(v.as_array().unwrap().len(), 3);
        for bad in ["datetime=yesterday", "", "datetime=2000-01-01T00:00:00Z&authType=Q"] {
            let (s, v) = get(&app, &admin, &format!("/asset/api/v1/objects/type/process/changed?{bad}")).await;
            assert_eq!((s, v["errorValue"].as_str()), (400, Some("INVALID_PARAMETER")), "{bad}: {v}");
        }
        // The list: approved only by default; every filter; paging.
        let (s, v) = get(&app, &admin, "/asset/api/v1/objects/type/process/list").await;
        assert_eq!(s, 200, "{v}");
        assert_eq!((v["total"].as_i64(), v["offset"].as_i64(), v["limit"].as_i64()), (Some(2), Some(0), Some(100)));
        let first = &v["list"][0];
        assert_eq!(first["name"], "Dunning");
        assert_eq!(first["ownerId"], "boss");
        assert_eq!(first["downloadUrl"], format!("/asset/api/v1/objects/process?id={}&version=1.00", first["id"].as_str().unwrap()));
        let (_, v) = get(&app, &admin, "/asset/api/v1/objects/type/process/list?activationOnly=N").await;
        assert_eq!(v["total"], 3);
        let (_, v) = get(&app, &admin, "/asset/api/v1/objects/type/process/list?activationOnly=N&limit=1&offset=1").await;
        assert_eq!((v["total"].as_i64(), v["list"].as_array().unwrap().len()), (Some(3), 1));
        assert_eq!(v["list"][0]["name"], "Invoice_Run");
        let (_, v) = get(&app, &admin, "/asset/api/v1/objects/type/process/list?activationOnly=N&limit=1000").await;
        assert_eq!(v["limit"], 100);
        let (_, v) = get(&app, &admin, "/asset/api/v1/objects/type/process/list?activationOnly=N&offset=5").await;
        assert_eq!((v["total"].as_i64(), v["list"].as_array().unwrap().len()), (Some(3), 0));
        let (_, v) = get(&app, &admin, "/asset/api/v1/objects/type/process/list?activationOnly=N&searchParentName=report").await;
        assert_eq!(names(&v["list"]), ["Monthly"]);
        let project_id = first["project"]["id"].as_str().unwrap().to_string();
        let (_, v) = get(&app, &admin, &format!("/asset/api/v1/objects/type/process/list?searchParentId={project_id}&searchName=dun")).await;
        assert_eq!(names(&v["list"]), ["Dunning"]);
        let pid = first["id"].as_str().unwrap();
        let (_, v) = get(&app, &admin, &format!("/asset/api/v1/objects/type/process/list?searchId={pid}&authType=d")).await;
        assert_eq!(v["total"], 1);
        for bad in ["limit=0", "limit=x", "offset=-1", "authType=Z"] {
            let (s, v) = get(&app, &admin, &format!("/asset/api/v1/objects/type/process/list?{bad}")).await;
            assert_eq!(s, 400, "{bad}: {v}");
        }
        // The downloadUrl gives the package of that version.
        let res = app.client.get(format!("{}/asset/api/v1/objects/process?id={pid}&version=1.00", app.url))
            .bearer_auth(&admin).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let zip = res.bytes().await.unwrap();
        assert_eq!(sluice_package::open(&zip, None).unwrap().manifest.name, "Billing");
        // No credential.
        let r = brity(&app, Method::GET, None, None, "/asset/api/v1/objects/type/process", None).await;
        assert_eq!((r.status, r.body["errorValue"].as_str()), (401, Some("UNAUTHORIZED")));
    }

    async fn unreadable_processes_are_not_listed(app) {
        let org = app.org("AUTHR").await;
        let (_, admin) = brity_admin(&app, &org, "boss").await;
        let (uid, user) = brity_user(&app, &org, "dev").await;
        let (_, other) = brity_user(&app, &org, "ops").await;
        let secret = upload_ok(&app, &admin, &package(&manifest("Secret", None, &["Hidden"]), None), true).await;
        let shared = upload_ok(&app, &admin, &package(&manifest("Shared", None, &["Visible"]), None), true).await;
        // The user's own project is theirs: all authorities. Their autoActivation is not
        // honoured on a new object (only a tenant administrator's is), so it stays
        // unactivated and `list` shows it only with activationOnly=N.
        upload_ok(&app, &user, &package(&manifest("Mine", None, &["Own"]), None), true).await;
        assert_eq!(names(&Value::Array(processes(&app, &user).await)), ["Own"]);
        assert_eq!(processes(&app, &user).await[0]["activation"], "N");
        // A group with E only over Shared: still not listed (no R).
        let g = app.ok(&org, "group/create", json!({"group": {"name": "Runners"}, "users": [{"__id__": uid}]})).await;
        let gid = g["group"]["__id__"].as_i64().unwrap();
        let grant = |auth: Value| {
            let id = shared["id"].as_str().unwrap().to_string();
            let app = &app;
            let admin = admin.clone();
            async move {
                let mut body = json!({"groupId": gid});
                body.as_object_mut().unwrap().extend(auth.as_object().unwrap().clone());
                let r = brity(app, Method::POST, Some(&admin), None,
                    &format!("/tenant/api/v1/private/project/group/{id}"), Some(json!([body]))).await;
                assert_eq!(r.status, 200, "{}", r.body);
            }
        };
        grant(json!({"authE": 1})).await;
        assert_eq!(names(&Value::Array(processes(&app, &user).await)), ["Own"]);
        // R: listed; the list filters by the authority asked.
        grant(json!({"authR": 1})).await;
        assert_eq!(names(&Value::Array(processes(&app, &user).await)), ["Own", "Visible"]);
        let (_, v) = get(&app, &user, "/asset/api/v1/objects/type/process/list?authType=E&activationOnly=N").await;
        assert_eq!(names(&v["list"]), ["Own"]);
        let (_, v) = get(&app, &user, "/asset/api/v1/objects/type/process/changed?datetime=2000-01-01T00:00:00%2B00:00&authType=D").await;
        assert_eq!(names(&v), ["Own"]);
        // Someone outside the group sees nothing of it; the admin sees everything.
        assert!(processes(&app, &other).await.is_empty());
        assert_eq!(processes(&app, &admin).await.len(), 3);
        // Unreadable objects: 403 on view, 403 on download.
        let id = secret["id"].as_str().unwrap();
        let (s, v) = get(&app, &user, &format!("/asset/api/v1/objects/project?id={id}&detail=Y")).await;
        assert_eq!((s, v["errorValue"].as_str()), (403, Some("NO_AUTHORITY")), "{v}");
        let (s, _) = get(&app, &user, &format!("/asset/api/v1/objects/project?id={id}&version=1.00")).await;
        assert_eq!(s, 403);
        // The userAuthentication header acts for that user.
        let r = brity(&app, Method::GET, Some(&admin), Some(&other), "/asset/api/v1/objects/type/process", None).await;
        assert_eq!(r.body, json!([]));
    }

    async fn tenants_never_see_each_other(app) {
        let a = app.org("TENA").await;
        let b = app.org("TENB").await;
        let (_, admin_a) = brity_admin(&app, &a, "boss").await;
        let (_, admin_b) = brity_admin(&app, &b, "boss").await;
        let id = "2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c6d";
        let up = upload_ok(&app, &admin_a, &package(&manifest("Shared_Name", Some(id), &["Main"]), None), true).await;
        assert_eq!(up["id"], id);
        assert!(processes(&app, &admin_b).await.is_empty());
        let (_, v) = get(&app, &admin_b, "/asset/api/v1/objects/type/process/list?activationOnly=N").await;
        assert_eq!(v["total"], 0);
        for path in [format!("/asset/api/v1/objects/project?id={id}&detail=Y"),
                     format!("/tenant/api/v1/private/project/group/{id}")] {
            let (s, v) = get(&app, &admin_b, &path).await;
            assert_eq!((s, v["errorValue"].as_str()), (404, Some("OBJECT_IS_NOT_EXIST")), "{path}: {v}");
        }
        let r = brity(&app, Method::DELETE, Some(&admin_b), None, &format!("/asset/api/v1/objects/project?id={id}"), None).await;
        assert_eq!(r.status, 404);
        // The same package (same manifest id and name) uploads in the other tenant as its
        // own project, and re-uploads there as new versions of it.
        let bytes = package(&manifest("Shared_Name", Some(id), &["Main"]), None);
        let up_b = upload_ok(&app, &admin_b, &bytes, true).await;
        assert_ne!(up_b["id"], id);
        let again = upload_ok(&app, &admin_b, &bytes, true).await;
        assert_eq!((&again["id"], again["version"].as_str()), (&up_b["id"], Some("1.01")));
        assert_eq!(processes(&app, &admin_a).await[0]["version"], "1.00");
        // A user's token with another tenant's userAuthentication is refused.
        let r = brity(&app, Method::GET, Some(&admin_a), Some(&admin_b), "/asset/api/v1/objects/type/process", None).await;
        assert_eq!(r.status, 401);
    }
}
