//! A job request's estimates (`averageSeconds`, `expectWaitingSeconds`) for each bot
//! selection, computed with the write; one bot polled by several requests at once never
//! holding two jobs; and the end of a job without hidden inputs (PostgreSQL writes it in
//! one statement): retry, callback, stop, duration and the bot's count.

use crate::both;
use crate::brity_assets::{manifest, package, processes, upload_ok};
use crate::brity_client::brity;
use crate::brity_jobs_client::*;
use crate::brity_tenant::make_group;
use reqwest::Method;
use serde_json::{json, Value};
use sluice_domain::OrgId;

/// Requests a job with `extra` fields; its id, averageSeconds and expectWaitingSeconds.
async fn request(app: &crate::helpers::TestApp, t: &Tenant, extra: Value) -> (String, i64, i64) {
    let mut body = json!({"jobType": 1, "processId": t.process_id});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let r = run_job(app, &t.admin, &t.admin, body).await;
    assert_eq!(r.status, 200, "{}", r.body);
    (
        r.body["jobId"].as_str().unwrap().to_string(),
        r.body["averageSeconds"].as_i64().unwrap(),
        r.body["expectWaitingSeconds"].as_i64().unwrap(),
    )
}

/// [`request`]'s estimates.
async fn estimates(app: &crate::helpers::TestApp, t: &Tenant, extra: Value) -> (i64, i64) {
    let (_, avg, wait) = request(app, t, extra).await;
    (avg, wait)
}

both! {
    async fn estimates_follow_the_history_the_queue_and_the_bots(app) {
        let t = tenant(&app, "ESTI").await;
        let empty = make_group(&app, &t.admin, true, "empty").await;
        let to_empty = json!({"botSelectType": 2, "botId": empty.to_string()});
        // No bot up that may run it, no history. (Stopped while waiting: it is deleted.)
        let (id, avg, wait) = request(&app, &t, to_empty.clone()).await;
        assert_eq!((avg, wait), (-1, -1));
        let r = brity(&app, Method::POST, Some(&t.admin), None,
            &format!("/scheduler/api/v1/actions/jobs/{id}/stop"),
            Some(json!({"jobType": 1, "userAuthentication": format!("Bearer {}", t.admin)}))).await;
        assert_eq!(r.status, 200, "{}", r.body);

        let solo = bot(&app, &t.admin, "solo").await;
        // A free bot and nothing ahead: at once. Then one ahead for the one free bot, and no
        // history to tell how long it takes.
        assert_eq!(estimates(&app, &t, json!({})).await, (-1, 0));
        assert_eq!(estimates(&app, &t, json!({})).await, (-1, -1));
        // Run them: a history of successful runs of a few milliseconds (0 s).
        while let Some(c) = next(&app, &solo, 0).await {
            finish(&app, &solo, c["job_id"].as_str().unwrap(), "success", json!({})).await;
        }
        let pool = make_group(&app, &t.admin, true, "pool").await;
        let r = brity(&app, Method::POST, Some(&t.admin), None, &mapping(pool, "bots"),
            Some(json!({"mappingBotList": [solo.id]}))).await;
        assert_eq!(r.status, 200, "{}", r.body);

        // Each selection: the jobs ahead beyond the free bots, an average of 0 s counted as 1.
        assert_eq!(estimates(&app, &t, json!({})).await, (0, 0));
        assert_eq!(estimates(&app, &t, json!({"botSelectType": 1, "botId": ""})).await, (0, 1));
        assert_eq!(estimates(&app, &t, json!({"botSelectType": 3, "botId": solo.id})).await, (0, 2));
        assert_eq!(estimates(&app, &t, json!({"botSelectType": 2, "botId": pool.to_string()})).await, (0, 3));
        // A more urgent job has none of them ahead.
        assert_eq!(estimates(&app, &t, json!({"priority": 1})).await, (0, 0));
        // No bot of the empty group is up.
        assert_eq!(estimates(&app, &t, to_empty).await, (0, -1));
        // Once the bot is busy (with the urgent job) it is not free.
        let c = next(&app, &solo, 0).await.unwrap();
        assert_eq!(estimates(&app, &t, json!({"priority": 1})).await, (0, 1));
        finish(&app, &solo, c["job_id"].as_str().unwrap(), "success", json!({})).await;
    }

    async fn a_bot_polled_many_times_at_once_holds_one_job(app) {
        let t = tenant(&app, "MANY").await;
        let b = bot(&app, &t.admin, "solo").await;
        let mut ids = Vec::new();
        for _ in 0..3 {
            ids.push(run_ok(&app, &t.admin, &t.process_id, json!({})).await);
        }
        let polls: Vec<_> = (0..6).map(|_| {
            let (url, client, secret) = (app.url.clone(), app.client.clone(), b.secret.clone());
            tokio::spawn(async move {
                let res = client.post(format!("{url}/api/v1/agent/jobs/next?wait=0"))
                    .bearer_auth(&secret).send().await.unwrap();
                let status = res.status().as_u16();
                let body: Value = res.json().await.unwrap_or(Value::Null);
                (status, body)
            })
        }).collect();
        let mut claimed = Vec::new();
        for p in polls {
            let (status, body) = p.await.unwrap();
            match status {
                // A claim, or the same claim handed back (not yet acknowledged).
                200 => claimed.push(body["job_id"].as_str().unwrap().to_string()),
                s => assert_eq!(s, 204, "{body}"),
            }
        }
        claimed.dedup();
        assert_eq!(claimed, [ids[0].clone()], "one job, the first");
        let states: Vec<Value> = {
            let mut s = Vec::new();
            for id in &ids {
                s.push(job(&app, &t.admin, id).await.body["statusCode"].clone());
            }
            s
        };
        assert_eq!(states, ["3", "1", "1"]);
        finish(&app, &b, &ids[0], "success", json!({})).await;
        assert_eq!(next(&app, &b, 0).await.unwrap()["job_id"], ids[1]);
    }

    async fn a_job_without_hidden_inputs_ends_with_its_retry_callback_and_count(app) {
        let t = tenant(&app, "PLAI").await;
        let mut settings = app.store.rpa_settings();
        settings.callback_allow_private = true;
        app.store.configure_rpa(settings);
        let mut m = manifest("Plain", None, &["Main"]);
        m["processes"][0]["inputs"] = json!([{"name": "currency", "type": "string", "default": "USD"}]);
        let up = upload_ok(&app, &t.admin, &package(&m, None), true).await;
        let plain = processes(&app, &t.admin).await.into_iter()
            .find(|p| p["project"]["id"] == up["id"]).unwrap()["id"].as_str().unwrap().to_string();
        let b = bot(&app, &t.admin, "solo").await;
        let org = OrgId(t.org.id);

        // A failure is retried once; only the requested run calls back.
        let id = run_ok(&app, &t.admin, &plain, json!({"callbackInfo": "http://127.0.0.1:9/cb",
            "jobRequestOption": {"retryOnFail": {"retryOptionType": 2, "retryCount": 1}}})).await;
        assert_eq!(next(&app, &b, 0).await.unwrap()["job_id"], id);
        finish(&app, &b, &id, "failure", json!({"total": "0"})).await;
        let ended = job(&app, &t.admin, &id).await.body;
        assert_eq!((ended["statusCode"].as_str(), ended["detailCode"].as_str()), (Some("4"), Some("2")));
        assert_eq!(ended["result"], "{\"total\":\"0\"}");
        assert_eq!(app.store.job_callbacks(org, &id).await.unwrap().len(), 1);
        let retry = next(&app, &b, 0).await.expect("the retry");
        assert_eq!((retry["attempt"].as_i64(), retry["inputs"].clone()), (Some(1), json!({"currency": "USD"})));
        let retry_id = retry["job_id"].as_str().unwrap().to_string();
        finish(&app, &b, &retry_id, "success", json!({})).await;
        assert!(app.store.job_callbacks(org, &retry_id).await.unwrap().is_empty());
        assert!(next(&app, &b, 0).await.is_none(), "one retry only");
        // Finished twice: the second is refused.
        let r = agent(&app, &b, Method::POST, &format!("jobs/{retry_id}/finish"), Some(json!({"result": "success"}))).await;
        assert_eq!(r.status, 409, "{}", r.body);

        // A failure after a stop request is a stop, never retried.
        let id = run_ok(&app, &t.admin, &plain, json!({
            "jobRequestOption": {"retryOnFail": {"retryOptionType": 2, "retryCount": 2}}})).await;
        assert_eq!(next(&app, &b, 0).await.unwrap()["job_id"], id);
        let r = brity(&app, Method::POST, Some(&t.admin), None, &format!("/scheduler/api/v1/actions/jobs/{id}/stop"),
            Some(json!({"jobType": 1, "userAuthentication": format!("Bearer {}", t.admin)}))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        finish(&app, &b, &id, "failure", json!({})).await;
        assert_eq!(job(&app, &t.admin, &id).await.body["detailCode"], "3");
        assert!(next(&app, &b, 0).await.is_none(), "no retry after a stop");

        // The successful run's duration makes a history; the bot counts its three runs.
        let (_, avg, _) = request(&app, &t_for(&t, &plain), json!({})).await;
        assert_eq!(avg, 0);
        let bots = brity(&app, Method::POST, Some(&t.admin), None, "/communication/api/v1/botList", Some(json!({}))).await;
        assert_eq!(bots.body["list"][0]["operationCnt"], 3, "{}", bots.body);
    }
}

/// `t` with `process` as its process.
fn t_for(t: &Tenant, process: &str) -> Tenant {
    Tenant {
        org: t.org.clone(),
        admin: t.admin.clone(),
        project_id: t.project_id.clone(),
        process_id: process.to_string(),
    }
}
