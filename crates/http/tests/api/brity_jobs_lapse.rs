//! The background workers: a bot whose heartbeat lapses has its running job failed and, when
//! the job asked for it, retried (at most the requested count); callbacks are posted to the
//! requester's receiver, retried with back-off after a failure, and never sent for retries.

use crate::both;
use crate::brity_jobs_client::*;
use base64::Engine;
use serde_json::json;
use sluice_domain::OrgId;
use sluice_store::rpa::runtime::RpaSettings;
use std::time::Duration;

/// Short lapses and back-offs, so the tests wait on signals, not on the defaults.
fn quick(app: &crate::helpers::TestApp) {
    app.store.configure_rpa(RpaSettings {
        bot_lapse: Duration::from_secs(1),
        callback_backoff: Duration::from_millis(200),
        callback_attempts: 5,
        // The receivers of these tests listen on 127.0.0.1.
        callback_allow_private: true,
    });
    start_workers(app);
}

both! {
    async fn a_waiting_job_whose_bot_group_is_deleted_fails_and_calls_back(app) {
        quick(&app);
        let t = tenant(&app, "GONE").await;
        let mut rx = receiver(&[]).await;
        let g = crate::brity_tenant::make_group(&app, &t.admin, true, "doomed").await;
        let parked = bot(&app, &t.admin, "parked").await;
        let r = crate::brity_client::brity(&app, reqwest::Method::POST, Some(&t.admin), None,
            &mapping(g, "bots"), Some(json!({"mappingBotList": [parked.id]}))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let id = run_ok(&app, &t.admin, &t.process_id, json!({
            "botSelectType": 2, "botId": g.to_string(), "callbackInfo": rx.url,
            "jobRequestOption": "{\"retryOnFail\":{\"retryOptionType\":2,\"retryCount\":3}}"})).await;
        // The group goes before any bot took the job: no bot can ever take it now.
        let r = crate::brity_client::brity(&app, reqwest::Method::DELETE, Some(&t.admin), None,
            "/tenant/api/v1/private/group/bot", Some(json!({"groupId": g}))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let (_, posted) = rx.next().await;
        assert_eq!(posted["jobId"], id);
        assert_eq!((posted["statusCode"].as_str(), posted["detailName"].as_str()), (Some("4"), Some("FAILURE")));
        let ended = job(&app, &t.admin, &id).await.body;
        assert_eq!(ended["detailCode"], "2", "{ended}");
        // Not retried: a retry could not run either.
        assert!(next(&app, &parked, 0).await.is_none());
        let list = crate::brity_client::brity(&app, reqwest::Method::POST, Some(&t.admin), None,
            "/scheduler/api/v1/jobs/list", Some(json!({"parameter": {"processId": t.process_id}}))).await;
        assert_eq!(list.body["totalCount"], 1, "{}", list.body);
    }

    async fn a_silent_bots_job_fails_and_is_retried_up_to_the_count(app) {
        quick(&app);
        let t = tenant(&app, "LAPS").await;
        let mut rx = receiver(&[]).await;
        let silent = bot(&app, &t.admin, "silent").await;
        let id = run_ok(&app, &t.admin, &t.process_id, json!({
            "callbackInfo": rx.url,
            "jobParameter": {"currency": "EUR"},
            "jobRequestOption": "{\"retryOnFail\":{\"retryOptionType\":2,\"retryCount\":2}}"})).await;
        let claim = next(&app, &silent, 5).await.unwrap();
        assert_eq!(claim["job_id"], id);
        // The bot goes silent: the worker fails the job, which calls back once.
        let (_, posted) = rx.next().await;
        assert_eq!(posted["jobId"], id);
        assert_eq!((posted["statusCode"].as_str(), posted["detailCode"].as_str(), posted["detailName"].as_str()),
            (Some("4"), Some("2"), Some("FAILURE")));
        // Its retry waits for another bot, with the same inputs.
        let other = bot(&app, &t.admin, "other").await;
        let retry = next(&app, &other, 5).await.expect("the retry");
        assert_eq!(retry["attempt"], 1);
        assert_ne!(retry["job_id"], id);
        assert_eq!(retry["inputs"]["currency"], "EUR");
        let retry_id = retry["job_id"].as_str().unwrap().to_string();
        finish(&app, &other, &retry_id, "failure", json!({})).await;
        let last = next(&app, &other, 5).await.expect("the second retry");
        assert_eq!(last["attempt"], 2);
        let last_id = last["job_id"].as_str().unwrap().to_string();
        finish(&app, &other, &last_id, "timeout", json!({})).await;
        // Two retries asked for, two made.
        assert!(next(&app, &other, 0).await.is_none());
        let ended = job(&app, &t.admin, &last_id).await.body;
        assert_eq!(ended["detailCode"], "4");
        // Retried runs call back never.
        let org = OrgId(t.org.id);
        for j in [&retry_id, &last_id] {
            assert!(app.store.job_callbacks(org, j).await.unwrap().is_empty(), "{j}");
        }
        assert_eq!(callback_settled(&app, t.org.id, &id, "delivered").await, 1);
        assert_eq!(app.store.job_callbacks(org, &id).await.unwrap().len(), 1);
        assert!(rx.rx.try_recv().is_err(), "one callback only");
        // jobs/list shows the three runs.
        let list = crate::brity_client::brity(&app, reqwest::Method::POST, Some(&t.admin), None,
            "/scheduler/api/v1/jobs/list", Some(json!({"parameter": {"processId": t.process_id}}))).await;
        assert_eq!(list.body["totalCount"], 3);
        // The silent bot is down in botList.
        let bots = crate::brity_client::brity(&app, reqwest::Method::POST, Some(&t.admin), None,
            "/communication/api/v1/botList", Some(json!({"parameter": {"botStatus": 3}}))).await;
        let down: Vec<&str> = bots.body["list"].as_array().unwrap().iter().map(|b| b["botId"].as_str().unwrap()).collect();
        assert!(down.contains(&silent.id.as_str()), "{}", bots.body);
        assert_eq!(bots.body["list"][0]["botRunningStatus"], 1);
    }

    async fn a_polling_bot_keeps_its_job(app) {
        quick(&app);
        let t = tenant(&app, "ALIV").await;
        let b = bot(&app, &t.admin, "busy").await;
        let id = run_ok(&app, &t.admin, &t.process_id, json!({})).await;
        next(&app, &b, 5).await.unwrap();
        // Three lapses long, the bot keeps long-polling its control: its job stays running.
        let until = tokio::time::Instant::now() + Duration::from_secs(3);
        while tokio::time::Instant::now() < until {
            let r = agent(&app, &b, reqwest::Method::GET, &format!("jobs/{id}/control?wait=30"), None).await;
            assert_eq!(r.body, json!({"stop": false}));
        }
        assert_eq!(job(&app, &t.admin, &id).await.body["statusCode"], "3");
        finish(&app, &b, &id, "success", json!({})).await;
    }

    async fn any_bot_call_is_a_heartbeat(app) {
        quick(&app);
        let t = tenant(&app, "BEAT").await;
        let b = bot(&app, &t.admin, "slow").await;
        let id = run_ok(&app, &t.admin, &t.process_id, json!({})).await;
        let claim = next(&app, &b, 5).await.unwrap();
        let sha = claim["process"]["package_sha256"].as_str().unwrap().to_string();
        // Three lapses long the bot never polls: it downloads its package and uploads
        // results (as a slow extraction or upload does). Those calls keep it up.
        let until = tokio::time::Instant::now() + Duration::from_secs(3);
        while tokio::time::Instant::now() < until {
            let r = agent(&app, &b, reqwest::Method::GET, &format!("packages/{sha}"), None).await;
            assert_eq!(r.status, 200);
            // The lapse goes by the wall clock: a call every 200 ms through three lapses.
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        assert_eq!(job(&app, &t.admin, &id).await.body["statusCode"], "3");
        finish(&app, &b, &id, "success", json!({})).await;
        assert_eq!(job(&app, &t.admin, &id).await.body["detailCode"], "1");
    }

    async fn hidden_values_are_blanked_once_no_run_needs_them(app) {
        let t = tenant(&app, "HIDE").await;
        let b = bot(&app, &t.admin, "alpha").await;
        let id = run_ok(&app, &t.admin, &t.process_id, json!({
            "jobParameter": {"currency": "EUR", "secret": "hush"},
            "jobRequestOption": {"retryOnFail": {"retryOptionType": 2, "retryCount": 1}}})).await;
        let stored = |id: String| {
            let store = app.store.clone();
            async move {
                let viewer = sluice_store::rpa::job_reads::Viewer { user_id: -1, is_admin: true };
                store.job(OrgId(t.org.id), viewer, &id).await.unwrap().unwrap().parameters
            }
        };
        assert!(stored(id.clone()).await.contains("hush"));
        let claim = next(&app, &b, 5).await.unwrap();
        assert_eq!(claim["inputs"]["secret"], "hush");
        finish(&app, &b, &id, "failure", json!({})).await;
        // The ended run keeps no hidden value; its retry still carries it to its bot.
        let params: serde_json::Value = serde_json::from_str(&stored(id.clone()).await).unwrap();
        assert_eq!((params["secret"].as_str(), params["currency"].as_str()), (Some(""), Some("EUR")));
        let retry = next(&app, &b, 5).await.unwrap();
        assert_eq!(retry["inputs"]["secret"], "hush");
        let retry_id = retry["job_id"].as_str().unwrap().to_string();
        finish(&app, &b, &retry_id, "success", json!({})).await;
        assert!(!stored(retry_id).await.contains("hush"));
    }

    async fn callbacks_go_only_to_allowed_addresses(app) {
        quick(&app);
        let t = tenant(&app, "SSRF").await;
        let b = bot(&app, &t.admin, "alpha").await;
        // Link-local (cloud metadata) is refused even when private addresses are allowed.
        let r = run_job(&app, &t.admin, &t.admin, json!({"jobType": 1, "processId": t.process_id,
            "callbackInfo": "http://169.254.169.254/latest/meta-data"})).await;
        assert_fail(&r, 400, "INVALID_PARAMETER: callbackInfo may not point to a link-local");
        // Without --callback-allow-private: a literal loopback address is refused at once...
        let mut settings = app.store.rpa_settings();
        settings.callback_allow_private = false;
        app.store.configure_rpa(settings);
        let mut rx = receiver(&[]).await;
        let r = run_job(&app, &t.admin, &t.admin, json!({"jobType": 1, "processId": t.process_id,
            "callbackInfo": rx.url})).await;
        assert_fail(&r, 400, "INVALID_PARAMETER: callbackInfo may not point to a loopback or private address (the server must be started with --callback-allow-private)");
        // ... and a name resolving to one is refused when sent: failed for good, not retried.
        let by_name = rx.url.replace("127.0.0.1", "localhost");
        let id = run_ok(&app, &t.admin, &t.process_id, json!({"callbackInfo": by_name})).await;
        next(&app, &b, 5).await.unwrap();
        finish(&app, &b, &id, "success", json!({})).await;
        assert_eq!(callback_settled(&app, t.org.id, &id, "failed").await, 1);
        let cbs = app.store.job_callbacks(OrgId(t.org.id), &id).await.unwrap();
        assert!(cbs[0].last_error.contains("a host resolving to a loopback or private address"), "{}", cbs[0].last_error);
        // The receiver queues a post before answering it, and the outcome is recorded after
        // the answer: a post would be here by now.
        assert!(rx.rx.try_recv().is_err(), "nothing was posted");
    }

    async fn callbacks_retry_with_back_off_and_carry_what_was_asked(app) {
        quick(&app);
        let t = tenant(&app, "CALL").await;
        let b = bot(&app, &t.admin, "alpha").await;
        // The receiver fails twice, then accepts.
        let mut rx = receiver(&[500, 503]).await;
        let id = run_ok(&app, &t.admin, &t.process_id, json!({
            "callbackInfo": rx.url,
            "resultReqText": "{\"file\": \"Y\", \"message\":\"Y\"}",
            "additionalJsonText": "{\"botId\":\"[BOTID]\", \"chatroomId\":\"7\"}",
            "jobParameter": {"currency": "EUR", "secret": "hush"}})).await;
        next(&app, &b, 5).await.unwrap();
        let png = b"\x89PNG\r\n\x1a\nimage".to_vec();
        let res = app.client.post(format!("{}/api/v1/agent/jobs/{id}/files?name=result.png", app.url))
            .bearer_auth(&b.secret).body(png.clone()).send().await.unwrap();
        assert_eq!(res.status(), 201);
        finish(&app, &b, &id, "success", json!({"total": "9"})).await;
        let (first_at, first) = rx.next().await;
        let (second_at, _) = rx.next().await;
        let (third_at, body) = rx.next().await;
        assert!(second_at - first_at >= Duration::from_millis(200), "back-off");
        assert!(third_at - second_at >= Duration::from_millis(400), "doubled back-off");
        assert_eq!(first, body);
        assert_eq!(body["jobId"], id);
        assert_eq!((body["detailCode"].as_str(), body["result"].as_str()), (Some("1"), Some("{\"total\":\"9\"}")));
        assert_eq!(body["additionalJsonText"], "{\"botId\":\"[BOTID]\", \"chatroomId\":\"7\"}");
        assert_eq!(body["message"], "success!");
        assert_eq!(body["file"]["fileName"], "result.png");
        assert_eq!(body["file"]["contentType"], "image/png");
        let content = base64::engine::general_purpose::STANDARD.decode(body["file"]["content"].as_str().unwrap()).unwrap();
        assert_eq!(content, png);
        // Hidden parameters stay blank in callbacks too.
        assert!(!body["jobParameter"].as_str().unwrap().contains("hush"), "{body}");
        assert_eq!(callback_settled(&app, t.org.id, &id, "delivered").await, 3);

        // Without file and message only the job and the additional text; a receiver that
        // never accepts is given up after the configured attempts.
        let mut never = receiver(&[500; 10]).await;
        let id = run_ok(&app, &t.admin, &t.process_id, json!({"callbackInfo": never.url})).await;
        next(&app, &b, 5).await.unwrap();
        finish(&app, &b, &id, "failure", json!({})).await;
        for _ in 0..5 {
            let (_, body) = never.next().await;
            assert_eq!(body["detailCode"], "2");
            assert!(body.get("file").is_none() && body.get("message").is_none(), "{body}");
            assert_eq!(body["additionalJsonText"], serde_json::Value::Null);
        }
        assert_eq!(callback_settled(&app, t.org.id, &id, "failed").await, 5);
        let cbs = app.store.job_callbacks(OrgId(t.org.id), &id).await.unwrap();
        assert!(cbs[0].last_error.contains("500"), "{}", cbs[0].last_error);
    }

    async fn callbacks_survive_a_restart(app) {
        let t = tenant(&app, "REST").await;
        let b = bot(&app, &t.admin, "alpha").await;
        let mut rx = receiver(&[]).await;
        // As `sluice serve --callback-allow-private` (the receiver listens on 127.0.0.1).
        let mut settings = app.store.rpa_settings();
        settings.callback_allow_private = true;
        app.store.configure_rpa(settings);
        let id = run_ok(&app, &t.admin, &t.process_id, json!({"callbackInfo": rx.url})).await;
        next(&app, &b, 5).await.unwrap();
        // No deliverer runs: the callback waits in the outbox.
        finish(&app, &b, &id, "success", json!({})).await;
        let cbs = app.store.job_callbacks(OrgId(t.org.id), &id).await.unwrap();
        assert_eq!((cbs[0].state.as_str(), cbs[0].attempts), ("pending", 0));
        // Another server over the same database delivers it.
        let again = app.reopen().await;
        start_workers(&again);
        let (_, body) = rx.next().await;
        assert_eq!(body["jobId"], id);
        assert_eq!(callback_settled(&again, t.org.id, &id, "delivered").await, 1);
    }
}
