//! Brity jobs: a job requested through the scheduler API and carried out through the bot
//! protocol (claim, package, progress, files, finish), job get with hidden parameters, the
//! result image, execute authority, refusals and tenant isolation.

use crate::both;
use crate::brity_client::{brity, brity_user};
use crate::brity_jobs_client::*;
use crate::brity_tenant::make_group;
use reqwest::Method;
use serde_json::{json, Value};

const PNG: &[u8] = b"\x89PNG\r\n\x1a\nnot really an image";

both! {
    async fn a_job_runs_on_a_bot_from_request_to_result(app) {
        let t = tenant(&app, "JOBA").await;
        let b = bot(&app, &t.admin, "alpha").await;
        let r = run_job(&app, &t.admin, &t.admin, json!({
            "jobType": "1", "processId": t.process_id,
            "jobParameter": "{\"currency\":\"EUR\",\"secret\":\"s3cr3t\"}"})).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let id = r.body["jobId"].as_str().unwrap().to_string();
        let parts: Vec<&str> = id.split('-').collect();
        assert!(parts.len() == 3 && parts[0].len() >= 13 && parts[1].len() == 8 && parts[2].len() == 8, "{id}");
        // No history yet; an idle bot is up: it starts at once.
        assert_eq!(r.body, json!({"jobId": id, "averageSeconds": -1, "expectWaitingSeconds": 0,
            "resultCode": "SUCCESS", "jobType": 1}));

        let waiting = job(&app, &t.admin, &id).await.body;
        assert_eq!((waiting["statusCode"].as_str(), waiting["statusName"].as_str()), (Some("1"), Some("JOB_WAIT")));
        assert_eq!((waiting["botId"].as_str(), waiting["startTime"].clone()), (Some(""), Value::Null));

        let claim = next(&app, &b, 5).await.expect("a job");
        assert_eq!(claim["job_id"], id);
        assert_eq!(claim["attempt"], 0);
        assert_eq!(claim["inputs"], json!({"currency": "EUR", "secret": "s3cr3t"}));
        assert_eq!(claim["credentials"], json!({}));
        let p = &claim["process"];
        assert_eq!((p["id"].as_str(), p["name"].as_str(), p["project_name"].as_str()),
            (Some(t.process_id.as_str()), Some("Main"), Some("Invoices")));
        assert_eq!(p["command"], json!(["sh", "main.sh"]));
        assert_eq!((p["timeout_secs"].as_i64(), p["work_type"].as_str(), p["version"].as_str()),
            (Some(600), Some("background"), Some("1.00")));
        let sha = p["package_sha256"].as_str().unwrap();
        let pkg = app.client.get(format!("{}/api/v1/agent/packages/{sha}", app.url))
            .bearer_auth(&b.secret).send().await.unwrap();
        assert_eq!(pkg.status(), 200);
        assert_eq!(pkg.headers()["content-type"], "application/zip");
        assert!(pkg.bytes().await.unwrap().starts_with(b"PK"));

        let running = job(&app, &t.admin, &id).await.body;
        assert_eq!((running["statusCode"].as_str(), running["statusName"].as_str()), (Some("3"), Some("JOB_RUNNING")));
        assert_eq!((running["botId"].as_str(), running["botName"].as_str()), (Some(b.id.as_str()), Some("alpha")));
        assert!(running["startTime"].as_str().unwrap().ends_with('Z'));

        let r = agent(&app, &b, Method::POST, &format!("jobs/{id}/progress"), Some(json!({"step": "Reading mail", "percentage": 40}))).await;
        assert_eq!(r.status, 204, "{}", r.body);
        let bots = brity(&app, Method::POST, Some(&t.admin), None, "/communication/api/v1/botList", Some(json!({}))).await;
        let row = &bots.body["list"][0];
        assert_eq!((row["jobId"].as_str(), row["currentStepName"].as_str(), row["percentage"].as_str()),
            (Some(id.as_str()), Some("Reading mail"), Some("40")));
        assert_eq!((row["botRunningStatus"].as_i64(), row["jobStatus"].as_i64(), row["processName"].as_str()),
            (Some(3), Some(3), Some("Main")));
        for (name, bytes) in [("shot.png", PNG), ("log.txt", b"log".as_slice())] {
            let res = app.client.post(format!("{}/api/v1/agent/jobs/{id}/files?name={name}", app.url))
                .bearer_auth(&b.secret).body(bytes.to_vec()).send().await.unwrap();
            assert_eq!(res.status(), 201);
        }
        // Control: no stop requested.
        let r = agent(&app, &b, Method::GET, &format!("jobs/{id}/control?wait=0"), None).await;
        assert_eq!((r.status, r.body.clone()), (200, json!({"stop": false})));
        finish(&app, &b, &id, "success", json!({"total": "42"})).await;

        let ended = job(&app, &t.admin, &id).await.body;
        assert_eq!((ended["statusCode"].as_str(), ended["statusName"].as_str()), (Some("4"), Some("JOB_END")));
        assert_eq!((ended["detailCode"].as_str(), ended["detailName"].as_str()), (Some("1"), Some("SUCCESS")));
        assert_eq!(ended["result"], "{\"total\":\"42\"}");
        assert_eq!((ended["jobUser"].as_str(), ended["version"].as_str(), ended["projectName"].as_str()),
            (Some("boss"), Some("1.00"), Some("Invoices")));
        let shown: Value = serde_json::from_str(ended["jobParameter"].as_str().unwrap()).unwrap();
        assert_eq!(shown, json!({"currency": {"value": "EUR", "hidden": "false"},
            "secret": {"value": "", "hidden": "true"}}));
        let keys: Vec<&str> = ended.as_object().unwrap().keys().map(String::as_str).collect();
        for k in ["jobId", "processId", "version", "botId", "jobUser", "jobParameter", "statusCode",
            "statusName", "detailCode", "detailName", "result", "scheduledTime", "startTime",
            "endTime", "processName", "projectName", "botName"] {
            assert!(keys.contains(&k), "{k} in {ended}");
        }
        assert_eq!(keys.len(), 17, "{ended}");

        // The image, for those who may execute the process.
        let res = app.client.get(format!("{}/scheduler/api/v1/jobs/{id}/file?fileType=1", app.url))
            .bearer_auth(&t.admin).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "image/png");
        assert_eq!(res.bytes().await.unwrap().as_ref(), PNG);
        let r = brity(&app, Method::GET, Some(&t.admin), None, &format!("/scheduler/api/v1/jobs/{id}/file?fileType=2"), None).await;
        assert_fail(&r, 400, "INVALID_PARAMETER");
        // Progress and files after the end are refused.
        let r = agent(&app, &b, Method::POST, &format!("jobs/{id}/progress"), Some(json!({"step": "x", "percentage": 1}))).await;
        assert_eq!(r.status, 409, "{}", r.body);
        let r = agent(&app, &b, Method::POST, &format!("jobs/{id}/finish"), Some(json!({"result": "success"}))).await;
        assert_eq!(r.status, 409, "{}", r.body);

        // History now gives an average; the bot counts the job it ran.
        let r = run_job(&app, &t.admin, &t.admin, json!({"jobType": 1, "processId": t.process_id})).await;
        assert!(r.body["averageSeconds"].as_i64().unwrap() >= 0, "{}", r.body);
        let bots = brity(&app, Method::POST, Some(&t.admin), None, "/communication/api/v1/botList", Some(json!({}))).await;
        assert_eq!(bots.body["list"][0]["operationCnt"], 1);
        assert_eq!(bots.body["list"][0]["botRunningStatus"], 2);
        // A job without an image has no file.
        let second = r.body["jobId"].as_str().unwrap();
        let r = brity(&app, Method::GET, Some(&t.admin), None, &format!("/scheduler/api/v1/jobs/{second}/file"), None).await;
        assert_fail(&r, 404, "JOB_FILE_NOT_EXIST");
    }

    async fn execute_authority_and_bot_rights_are_checked(app) {
        let t = tenant(&app, "AUTH").await;
        let admin_bot = bot(&app, &t.admin, "admins-bot").await;
        let (_, ana) = brity_user(&app, &t.org, "ana").await;
        // No E on the process.
        let r = run_job(&app, &t.admin, &ana, json!({"jobType": 1, "processId": t.process_id})).await;
        assert_fail(&r, 403, "NO_AUTHORITY");
        // Read only: ana's group gets R.
        let team = make_group(&app, &t.admin, false, "team").await;
        let ok = brity(&app, Method::POST, Some(&t.admin), None, &mapping(team, "users"),
            Some(json!({"mappingUserList": ["ana"]}))).await;
        assert_eq!(ok.status, 200, "{}", ok.body);
        let grant = |e: i64| json!([{"groupId": team, "authR": 1, "authE": e}]);
        let path = format!("/tenant/api/v1/private/project/group/{}", t.project_id);
        assert_eq!(brity(&app, Method::POST, Some(&t.admin), None, &path, Some(grant(0))).await.status, 200);
        let r = run_job(&app, &t.admin, &ana, json!({"jobType": 1, "processId": t.process_id})).await;
        assert_fail(&r, 403, "NO_AUTHORITY");
        // The admin's job: ana sees it without parameters, result or image.
        let id = run_ok(&app, &t.admin, &t.process_id, json!({"jobParameter": {"currency": "JPY"}})).await;
        let claim = next(&app, &admin_bot, 5).await.unwrap();
        let res = app.client.post(format!("{}/api/v1/agent/jobs/{id}/files?name=a.jpg", app.url))
            .bearer_auth(&admin_bot.secret).body(PNG.to_vec()).send().await.unwrap();
        assert_eq!(res.status(), 201);
        finish(&app, &admin_bot, claim["job_id"].as_str().unwrap(), "success", json!({"total": "1"})).await;
        let seen = job(&app, &ana, &id).await.body;
        assert_eq!((seen["jobParameter"].as_str(), seen["result"].as_str()), (Some("{}"), Some("{}")));
        assert_eq!(seen["detailCode"], "1");
        let r = brity(&app, Method::GET, Some(&ana), None, &format!("/scheduler/api/v1/jobs/{id}/file"), None).await;
        assert_fail(&r, 403, "NO_AUTHORITY");
        let mine = job(&app, &t.admin, &id).await.body;
        assert!(mine["jobParameter"].as_str().unwrap().contains("JPY"));

        // With E, but no bot ana may use.
        assert_eq!(brity(&app, Method::POST, Some(&t.admin), None, &path, Some(grant(1))).await.status, 200);
        let r = run_job(&app, &t.admin, &ana, json!({"jobType": 1, "processId": t.process_id})).await;
        assert_fail(&r, 409, "NO_AVAILABLE_BOT");
        let r = run_job(&app, &t.admin, &ana, json!({"jobType": 1, "processId": t.process_id, "botSelectType": 3, "botId": admin_bot.id})).await;
        assert_fail(&r, 403, "NO_AUTHORITY");
        // A bot group with U for ana's group: her jobs go to its bots only.
        let theirs = bot(&app, &t.admin, "team-bot").await;
        let pool = make_group(&app, &t.admin, true, "pool").await;
        assert_eq!(brity(&app, Method::POST, Some(&t.admin), None, &mapping(pool, "bots"),
            Some(json!({"mappingBotList": [theirs.id]}))).await.status, 200);
        let r = run_job(&app, &t.admin, &ana, json!({"jobType": 1, "processId": t.process_id, "botSelectType": 2, "botId": pool.to_string()})).await;
        assert_fail(&r, 403, "NO_AUTHORITY");
        assert_eq!(brity(&app, Method::POST, Some(&t.admin), None, &mapping(team, "groups"),
            Some(json!({"mappingGroupList": [{"groupId": pool, "authU": 1}]}))).await.status, 200);
        let id = run_ok(&app, &ana, &t.process_id, json!({})).await;
        assert!(next(&app, &admin_bot, 0).await.is_none(), "the admin's bot is not ana's");
        let claim = next(&app, &theirs, 5).await.expect("ana's bot gets it");
        assert_eq!(claim["job_id"], id);
        let r = run_job(&app, &t.admin, &ana, json!({"jobType": 1, "processId": t.process_id, "botSelectType": 2, "botId": pool})).await;
        assert_eq!(r.status, 200, "{}", r.body);

        // A stopped project does not run; a restarted one does.
        let status = |s: i64| json!({"objectId": t.project_id, "objectStatus": s});
        let r = brity(&app, Method::POST, Some(&t.admin), None, "/asset/api/v1/objects/project/status", Some(status(0))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let r = run_job(&app, &t.admin, &t.admin, json!({"jobType": 1, "processId": t.process_id})).await;
        assert_fail(&r, 409, "PROJECT_IS_STOPPED");
        brity(&app, Method::POST, Some(&t.admin), None, "/asset/api/v1/objects/project/status", Some(status(1))).await;
        run_ok(&app, &t.admin, &t.process_id, json!({})).await;
        // A project never activated does not run.
        let bytes = crate::brity_assets::package(&crate::brity_assets::manifest("Draft", None, &["Main"]), None);
        let up = crate::brity_assets::upload_ok(&app, &t.admin, &bytes, false).await;
        let draft = crate::brity_assets::processes(&app, &t.admin).await.into_iter()
            .find(|p| p["project"]["id"] == up["id"]).unwrap();
        let r = run_job(&app, &t.admin, &t.admin, json!({"jobType": 1, "processId": draft["id"]})).await;
        assert_fail(&r, 409, "PROCESS_IS_NOT_ACTIVATED");
    }

    async fn bad_requests_are_refused_in_the_scheduler_form(app) {
        let t = tenant(&app, "BADR").await;
        let b = bot(&app, &t.admin, "alpha").await;
        let p = t.process_id.as_str();
        for (body, status, detail) in [
            (json!({"processId": p}), 400, "INVALID_PARAMETER"),
            (json!({"jobType": "x", "processId": p}), 400, "INVALID_PARAMETER"),
            (json!({"jobType": 7, "processId": p}), 400, "INVALID_PARAMETER"),
            (json!({"jobType": 21, "processId": p}), 400, "JOB_TYPE_NOT_SUPPORTED"),
            (json!({"jobType": 1}), 400, "INVALID_PARAMETER"),
            (json!({"jobType": 1, "processId": "no-such-process"}), 404, "PROCESS_INFO_NOT_EXIST"),
            (json!({"jobType": 1, "processId": p, "priority": 0}), 400, "INVALID_PARAMETER"),
            (json!({"jobType": 1, "processId": p, "priority": "high"}), 400, "INVALID_PARAMETER"),
            (json!({"jobType": 1, "processId": p, "jobParameter": "[1, 2]"}), 400, "INVALID_PARAMETER"),
            (json!({"jobType": 1, "processId": p, "jobParameter": "{oops"}), 400, "INVALID_PARAMETER"),
            (json!({"jobType": 1, "processId": p, "botSelectType": 4}), 400, "INVALID_PARAMETER"),
            (json!({"jobType": 1, "processId": p, "botSelectType": 3}), 400, "INVALID_PARAMETER"),
            (json!({"jobType": 1, "processId": p, "botSelectType": 3, "botId": "BOT-NONE0"}), 404, "BOT_INFO_NOT_EXIST"),
            (json!({"jobType": 1, "processId": p, "botSelectType": 2, "botId": "abc"}), 400, "INVALID_PARAMETER"),
            (json!({"jobType": 1, "processId": p, "botSelectType": 2, "botId": "99999"}), 404, "BOT_GROUP_INFO_NOT_EXIST"),
            (json!({"jobType": 1, "processId": p, "callbackInfo": "ftp://example.com/x"}), 400, "INVALID_PARAMETER"),
            (json!({"jobType": 1, "processId": p, "callbackInfo": "not a url"}), 400, "INVALID_PARAMETER"),
            // Callbacks never go to link-local (cloud metadata), unspecified or multicast
            // addresses, nor by default to loopback or private ones.
            (json!({"jobType": 1, "processId": p, "callbackInfo": "http://127.0.0.1:8080/x"}), 400, "INVALID_PARAMETER: callbackInfo may not point to a loopback or private address"),
            (json!({"jobType": 1, "processId": p, "callbackInfo": "http://10.1.2.3/x"}), 400, "INVALID_PARAMETER: callbackInfo may not point to a loopback"),
            (json!({"jobType": 1, "processId": p, "callbackInfo": "http://[::ffff:192.168.0.1]/x"}), 400, "INVALID_PARAMETER: callbackInfo may not point to a loopback"),
            (json!({"jobType": 1, "processId": p, "callbackInfo": "http://2130706433/x"}), 400, "INVALID_PARAMETER: callbackInfo may not point to a loopback"),
            (json!({"jobType": 1, "processId": p, "callbackInfo": "http://169.254.169.254/latest/meta-data"}), 400, "INVALID_PARAMETER: callbackInfo may not point to a link-local"),
            (json!({"jobType": 1, "processId": p, "callbackInfo": "http://[fe80::1]/x"}), 400, "INVALID_PARAMETER: callbackInfo may not point to a link-local"),
            (json!({"jobType": 1, "processId": p, "callbackInfo": "http://0.0.0.0/x"}), 400, "INVALID_PARAMETER: callbackInfo may not point to a link-local"),
            (json!({"jobType": 1, "processId": p, "callbackInfo": "http://224.0.0.1/x"}), 400, "INVALID_PARAMETER: callbackInfo may not point to a link-local"),
            (json!({"jobType": 1, "processId": p, "callbackInfo": "http://127.0.0.1:1/x", "resultReqText": "{\"file\":\"maybe\"}"}), 400, "INVALID_PARAMETER"),
            (json!({"jobType": 1, "processId": p, "jobRequestOption": "{\"retryOnFail\":{\"retryOptionType\":2,\"retryCount\":100}}"}), 400, "INVALID_PARAMETER"),
            (json!({"jobType": 1, "processId": p, "jobRequestOption": "{\"retryOnFail\":{\"retryOptionType\":1}}"}), 400, "INVALID_PARAMETER"),
            (json!({"jobType": 1, "processId": p, "jobRequestOption": 5}), 400, "INVALID_PARAMETER"),
        ] {
            let r = run_job(&app, &t.admin, &t.admin, body.clone()).await;
            assert_fail(&r, status, detail);
        }
        // Nothing was queued.
        assert!(next(&app, &b, 0).await.is_none());
        // Credentials.
        let r = brity(&app, Method::POST, None, None, "/scheduler/api/v1/jobs", Some(json!({"jobType": 1, "processId": p}))).await;
        assert_fail(&r, 401, "UNAUTHORIZED");
        let r = run_job(&app, &t.admin, "slu_pat_nonsense", json!({"jobType": 1, "processId": p})).await;
        assert_fail(&r, 401, "UNAUTHORIZED");
        let r = brity(&app, Method::GET, Some("slu_pat_nonsense"), None, "/scheduler/api/v1/jobs/1-2-3", None).await;
        assert_fail(&r, 401, "UNAUTHORIZED");
        // Malformed bodies.
        let res = app.client.post(format!("{}/scheduler/api/v1/jobs", app.url)).bearer_auth(&t.admin)
            .header("content-type", "application/json").body("{not json").send().await.unwrap();
        assert_eq!(res.status(), 400);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["resultCode"], "FAIL");
        let r = job(&app, &t.admin, "1626302689640-3a7405d0-e6de74d0").await;
        assert_fail(&r, 404, "JOB_INFO_NOT_EXIST");
        // The bot protocol's refusals.
        for (path, body) in [
            ("jobs/next?wait=31", None),
            ("jobs/next?wait=x", None),
        ] {
            assert_eq!(agent(&app, &b, Method::POST, path, body).await.status, 400, "{path}");
        }
        let r = native(&app, Method::POST, Some("slu_bot_nonsense"), "agent/jobs/next?wait=0", None).await;
        assert_eq!(r.status, 401);
        let r = native(&app, Method::POST, None, "agent/jobs/next?wait=0", None).await;
        assert_eq!(r.status, 401);
        let id = run_ok(&app, &t.admin, p, json!({})).await;
        next(&app, &b, 5).await.unwrap();
        for (path, body) in [
            (format!("jobs/{id}/progress"), json!({"step": "x", "percentage": 101})),
            (format!("jobs/{id}/progress"), json!({"percentage": "half"})),
            (format!("jobs/{id}/finish"), json!({"result": "done"})),
            (format!("jobs/{id}/finish"), json!({"result": "success", "outputs": [1]})),
        ] {
            let r = agent(&app, &b, Method::POST, &path, Some(body.clone())).await;
            assert_eq!(r.status, 400, "{path} {body}: {}", r.body);
            assert_eq!(r.body["type"], "invalid_request", "{}", r.body);
        }
        for name in ["", "../x.png", "a/b.png"] {
            let res = app.client.post(format!("{}/api/v1/agent/jobs/{id}/files?name={}", app.url, urlencode(name)))
                .bearer_auth(&b.secret).body("x").send().await.unwrap();
            assert_eq!(res.status(), 400, "{name:?}");
        }
        let res = app.client.post(format!("{}/api/v1/agent/jobs/{id}/files", app.url))
            .bearer_auth(&b.secret).body("x").send().await.unwrap();
        assert_eq!(res.status(), 400);
        let res = app.client.post(format!("{}/api/v1/agent/jobs/{id}/files?name=big.png", app.url))
            .bearer_auth(&b.secret).body(vec![0u8; 20 * 1024 * 1024 + 1]).send().await.unwrap();
        assert_eq!(res.status(), 413);
        let r = agent(&app, &b, Method::GET, "jobs/nope/control?wait=0", None).await;
        assert_eq!(r.status, 404);
        let r = agent(&app, &b, Method::GET, "packages/0000", None).await;
        assert_eq!(r.status, 404);
        // The job is still running, untouched by the refusals.
        assert_eq!(job(&app, &t.admin, &id).await.body["statusCode"], "3");
    }

    async fn nul_bytes_and_over_long_ids_are_refused_not_500(app) {
        let t = tenant(&app, "NULB").await;
        let b = bot(&app, &t.admin, "alpha").await;
        let p = t.process_id.clone();
        // Paths (%00 and an over-long id) in the scheduler form.
        let long = "x".repeat(300);
        for path in ["/scheduler/api/v1/jobs/1-2%003".to_string(), format!("/scheduler/api/v1/jobs/{long}"),
            "/scheduler/api/v1/jobs/a%00b/file".to_string()] {
            let r = brity(&app, Method::GET, Some(&t.admin), None, &path, None).await;
            assert_fail(&r, 400, "INVALID_PARAMETER");
        }
        let r = brity(&app, Method::POST, Some(&t.admin), None, "/scheduler/api/v1/actions/jobs/a%00b/stop",
            Some(json!({"jobType": 1, "userAuthentication": format!("Bearer {}", t.admin)}))).await;
        assert_fail(&r, 400, "INVALID_PARAMETER");
        // Bodies and filters.
        for body in [json!({"jobType": 1, "processId": "p\u{0}"}),
            json!({"jobType": 1, "processId": p, "botSelectType": 3, "botId": "BOT-\u{0}"}),
            json!({"jobType": 1, "processId": "x".repeat(5000)})] {
            assert_fail(&run_job(&app, &t.admin, &t.admin, body).await, 400, "INVALID_PARAMETER");
        }
        for parameter in [json!({"processId": "a\u{0}"}), json!({"botId": "\u{0}"}), json!({"version": "1\u{0}"})] {
            let r = brity(&app, Method::POST, Some(&t.admin), None, "/scheduler/api/v1/jobs/list",
                Some(json!({"parameter": parameter}))).await;
            assert_fail(&r, 400, "INVALID_PARAMETER");
        }
        let lic = "/tenant/api/v1/private/license/list";
        for parameter in [json!({"licenseKey": "A\u{0}"}), json!({"clientId": "\u{0}"}), json!({"licenseDescription": "\u{0}"})] {
            let r = brity(&app, Method::POST, Some(&t.admin), None, lic, Some(json!({"parameter": parameter}))).await;
            crate::brity_tenant::assert_coded(&r, 400, "INVALID_PARAMETER");
        }
        let r = brity(&app, Method::POST, Some(&t.admin), None, "/tenant/api/v1/private/license/initialize",
            Some(json!({"licenseKey": "A\u{0}"}))).await;
        crate::brity_tenant::assert_coded(&r, 400, "INVALID_PARAMETER");
        let r = brity(&app, Method::POST, Some(&t.admin), None, "/communication/api/v1/botList",
            Some(json!({"parameter": {"srchTextName": "a\u{0}"}}))).await;
        assert_eq!(r.status, 400, "{}", r.body);
        let r = brity(&app, Method::POST, Some(&t.admin), None, "/communication/api/v1/botList?srchTextName=a%00", Some(json!({}))).await;
        assert_eq!(r.status, 400, "{}", r.body);
        // The bot protocol, in the native form.
        for (method, path, body) in [
            (Method::GET, "jobs/a%00b/control?wait=0", None),
            (Method::POST, "jobs/a%00b/progress", Some(json!({"step": "s", "percentage": 1}))),
            (Method::POST, "jobs/a%00b/finish", Some(json!({"result": "success"}))),
            (Method::GET, "packages/a%00b", None),
            (Method::POST, "hello", Some(json!({"computer_name": "pc\u{0}"}))),
        ] {
            let r = agent(&app, &b, method, path, body).await;
            assert_eq!((r.status, r.body["code"].as_str()), (400, Some("invalid_request")), "{path}: {}", r.body);
        }
        let id = run_ok(&app, &t.admin, &p, json!({})).await;
        next(&app, &b, 5).await.unwrap();
        for (path, body) in [(format!("jobs/{id}/progress"), json!({"step": "s\u{0}", "percentage": 1})),
            (format!("jobs/{id}/finish"), json!({"result": "success", "message": "m\u{0}"}))] {
            let r = agent(&app, &b, Method::POST, &path, Some(body)).await;
            assert_eq!(r.status, 400, "{path}: {}", r.body);
        }
        let r = activate(&app, "slu_lic_\u{0}", "n").await;
        assert_eq!(r.status, 400, "{}", r.body);
        finish(&app, &b, &id, "success", json!({})).await;
    }

    async fn tenants_never_see_each_others_jobs_bots_or_packages(app) {
        let a = tenant(&app, "TENA").await;
        let b = tenant(&app, "TENB").await;
        let bot_a = bot(&app, &a.admin, "alpha").await;
        let bot_b = bot(&app, &b.admin, "alpha").await;
        // A package only A has (both tenants uploaded the same "Invoices" bytes).
        let (_, only_a) = project(&app, &a.admin, "OnlyA").await;
        let id = run_ok(&app, &a.admin, &only_a, json!({})).await;
        // B's bot is never given A's job.
        assert!(next(&app, &bot_b, 0).await.is_none());
        let claim = next(&app, &bot_a, 5).await.unwrap();
        let sha = claim["process"]["package_sha256"].as_str().unwrap();
        // B cannot see, stop or run A's things.
        assert_fail(&job(&app, &b.admin, &id).await, 404, "JOB_INFO_NOT_EXIST");
        let r = brity(&app, Method::POST, Some(&b.admin), None, &format!("/scheduler/api/v1/actions/jobs/{id}/stop"), Some(json!({"jobType": 1}))).await;
        assert_fail(&r, 404, "JOB_INFO_NOT_EXIST");
        let r = run_job(&app, &b.admin, &b.admin, json!({"jobType": 1, "processId": only_a})).await;
        assert_fail(&r, 404, "PROCESS_INFO_NOT_EXIST");
        let r = run_job(&app, &b.admin, &b.admin, json!({"jobType": 1, "processId": b.process_id, "botSelectType": 3, "botId": bot_a.id})).await;
        assert_fail(&r, 404, "BOT_INFO_NOT_EXIST");
        // A user token of A with B's Authorization is refused.
        let r = run_job(&app, &b.admin, &a.admin, json!({"jobType": 1, "processId": b.process_id})).await;
        assert_fail(&r, 401, "UNAUTHORIZED");
        let r = brity(&app, Method::POST, Some(&b.admin), None, "/scheduler/api/v1/jobs/list", Some(json!({}))).await;
        assert_eq!(r.body["totalCount"], 0);
        let r = brity(&app, Method::POST, Some(&b.admin), None, "/communication/api/v1/botList", Some(json!({}))).await;
        let ids: Vec<&str> = r.body["list"].as_array().unwrap().iter().map(|b| b["botId"].as_str().unwrap()).collect();
        assert_eq!(ids, [bot_b.id.as_str()]);
        // B's bot cannot touch A's job or package.
        assert_eq!(agent(&app, &bot_b, Method::GET, &format!("packages/{sha}"), None).await.status, 404);
        for (path, body) in [
            (format!("jobs/{id}/progress"), json!({"step": "x", "percentage": 1})),
            (format!("jobs/{id}/finish"), json!({"result": "success"})),
        ] {
            assert_eq!(agent(&app, &bot_b, Method::POST, &path, Some(body)).await.status, 404, "{path}");
        }
        assert_eq!(agent(&app, &bot_b, Method::GET, &format!("jobs/{id}/control?wait=0"), None).await.status, 404);
        assert_eq!(job(&app, &a.admin, &id).await.body["statusCode"], "3");
    }
}

/// Percent-encodes a query value.
fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
