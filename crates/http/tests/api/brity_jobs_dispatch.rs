//! Dispatch: exactly one bot gets each job however many poll at once, a bot runs one job at
//! a time, lower priority numbers first then first come first served, bot selection (any,
//! bot group, one bot), the long poll woken by a new job, and stop in its three cases.

use crate::both;
use crate::brity_client::brity;
use crate::brity_jobs_client::*;
use crate::brity_tenant::make_group;
use reqwest::Method;
use serde_json::json;
use std::collections::HashMap;
use std::time::Duration;

both! {
    async fn each_job_goes_to_exactly_one_bot(app) {
        let t = tenant(&app, "ONCE").await;
        let mut bots = Vec::new();
        for i in 0..6 {
            bots.push(bot(&app, &t.admin, &format!("bot{i}")).await);
        }
        // Six bots already waiting; one job: one of them gets it, woken by the job.
        let polls: Vec<_> = bots.iter().cloned().map(|b| {
            let app = (app.url.clone(), app.client.clone());
            tokio::spawn(async move {
                let res = app.1.post(format!("{}/api/v1/agent/jobs/next?wait=3", app.0))
                    .bearer_auth(&b.secret).send().await.unwrap();
                let status = res.status().as_u16();
                (status, res.text().await.unwrap(), tokio::time::Instant::now())
            })
        }).collect();
        // Nothing shows a long poll parked: wall time for the six to start waiting (a late
        // one finds the job at once, so this makes the wake-up likely, never flaky).
        tokio::time::sleep(Duration::from_millis(300)).await;
        let queued_at = tokio::time::Instant::now();
        let id = run_ok(&app, &t.admin, &t.process_id, json!({})).await;
        let mut winners = Vec::new();
        for p in polls {
            let (status, body, at) = p.await.unwrap();
            if status == 200 {
                assert!(body.contains(&id), "{body}");
                // Woken by the job, not by the end of the wait.
                assert!(at.duration_since(queued_at) < Duration::from_secs(2));
                winners.push(body);
            } else {
                assert_eq!(status, 204, "{body}");
            }
        }
        assert_eq!(winners.len(), 1);

        // Many jobs, bots polling and finishing concurrently: each job is claimed once.
        let mut ids = Vec::new();
        for _ in 0..30 {
            ids.push(run_ok(&app, &t.admin, &t.process_id, json!({})).await);
        }
        let workers: Vec<_> = bots.iter().cloned().map(|b| {
            let (url, client) = (app.url.clone(), app.client.clone());
            tokio::spawn(async move {
                let mut got = Vec::new();
                loop {
                    let res = client.post(format!("{url}/api/v1/agent/jobs/next?wait=0"))
                        .bearer_auth(&b.secret).send().await.unwrap();
                    if res.status() == 204 {
                        return got;
                    }
                    let claim: serde_json::Value = res.json().await.unwrap();
                    let job = claim["job_id"].as_str().unwrap().to_string();
                    let res = client.post(format!("{url}/api/v1/agent/jobs/{job}/finish"))
                        .bearer_auth(&b.secret).json(&json!({"result": "success"})).send().await.unwrap();
                    assert_eq!(res.status(), 204);
                    got.push(job);
                }
            })
        }).collect();
        let mut claimed: HashMap<String, usize> = HashMap::new();
        for w in workers {
            for job in w.await.unwrap() {
                *claimed.entry(job).or_default() += 1;
            }
        }
        // The first job's claim was never acknowledged: its bot got it back and finished it.
        assert_eq!(claimed.len(), 31);
        assert!(claimed.values().all(|n| *n == 1), "{claimed:?}");
        ids.push(id);
        for id in &ids {
            assert!(claimed.contains_key(id), "{id} never claimed");
        }
        let r = brity(&app, Method::POST, Some(&t.admin), None, "/scheduler/api/v1/jobs/list",
            Some(json!({"limit": 100, "parameter": {"resultCode": 1}}))).await;
        assert_eq!(r.body["totalCount"], 31);
    }

    async fn lower_priority_numbers_first_then_first_come(app) {
        let t = tenant(&app, "PRIO").await;
        let b = bot(&app, &t.admin, "solo").await;
        let mut queued = Vec::new();
        for (name, priority) in [("a", 5), ("b", 1), ("c", 5), ("d", 3), ("e", 1)] {
            let id = run_ok(&app, &t.admin, &t.process_id, json!({"priority": priority})).await;
            queued.push((name, id));
        }
        let mut order = Vec::new();
        // With jobs ahead of it, a job does not start at once.
        let r = run_job(&app, &t.admin, &t.admin, json!({"jobType": 1, "processId": t.process_id})).await;
        assert!(r.body["expectWaitingSeconds"].as_i64().unwrap() != 0, "{}", r.body);
        let last = r.body["jobId"].as_str().unwrap().to_string();
        queued.push(("default", last));
        let name_of = |id: &str| queued.iter().find(|(_, i)| i == id).unwrap().0;
        while let Some(claim) = next(&app, &b, 0).await {
            let id = claim["job_id"].as_str().unwrap().to_string();
            order.push(name_of(&id));
            finish(&app, &b, &id, "success", json!({})).await;
        }
        assert_eq!(order, ["b", "e", "d", "a", "c", "default"]);
    }

    async fn jobs_go_to_the_chosen_bot_group_or_any_bot(app) {
        let t = tenant(&app, "SELB").await;
        let grouped = bot(&app, &t.admin, "grouped").await;
        let loner = bot(&app, &t.admin, "loner").await;
        let chosen = bot(&app, &t.admin, "chosen").await;
        let g = make_group(&app, &t.admin, true, "pool").await;
        let r = brity(&app, Method::POST, Some(&t.admin), None, &mapping(g, "bots"),
            Some(json!({"mappingBotList": [grouped.id]}))).await;
        assert_eq!(r.status, 200, "{}", r.body);

        // 3: one bot.
        let id = run_ok(&app, &t.admin, &t.process_id, json!({"botSelectType": "3", "botId": chosen.id})).await;
        assert!(next(&app, &grouped, 0).await.is_none());
        assert!(next(&app, &loner, 0).await.is_none());
        let c = next(&app, &chosen, 0).await.unwrap();
        assert_eq!(c["job_id"], id);
        finish(&app, &chosen, &id, "success", json!({})).await;
        // 2: a bot of the group.
        let id = run_ok(&app, &t.admin, &t.process_id, json!({"botSelectType": 2, "botId": g.to_string()})).await;
        assert!(next(&app, &loner, 0).await.is_none());
        assert!(next(&app, &chosen, 0).await.is_none());
        assert_eq!(next(&app, &grouped, 0).await.unwrap()["job_id"], id);
        finish(&app, &grouped, &id, "success", json!({})).await;
        // 1: any bot (an administrator may use them all).
        let id = run_ok(&app, &t.admin, &t.process_id, json!({"botSelectType": 1, "botId": ""})).await;
        assert_eq!(next(&app, &loner, 0).await.unwrap()["job_id"], id);
        finish(&app, &loner, &id, "success", json!({})).await;
        // The version's default selection (targetBot) applies when the request names none.
        let r = brity(&app, Method::PUT, Some(&t.admin), None, "/asset/api/v1/objects/process/targetBot",
            Some(json!({"id": t.process_id, "version": "1.00", "selectBotType": 3, "botId": chosen.id,
                "inputs": {"currency": {"expression": "KRW"}}}))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let id = run_ok(&app, &t.admin, &t.process_id, json!({})).await;
        assert!(next(&app, &loner, 0).await.is_none());
        let c = next(&app, &chosen, 0).await.unwrap();
        assert_eq!(c["job_id"], id);
        assert_eq!(c["inputs"]["currency"], "KRW");
        let jobs = brity(&app, Method::GET, Some(&t.admin), None, &format!("/scheduler/api/v1/jobs/{id}"), None).await;
        assert_eq!(jobs.body["botId"], chosen.id.as_str());
    }

    async fn a_bot_runs_one_job_at_a_time(app) {
        let t = tenant(&app, "ONEB").await;
        let b = bot(&app, &t.admin, "solo").await;
        let first = run_ok(&app, &t.admin, &t.process_id, json!({})).await;
        let second = run_ok(&app, &t.admin, &t.process_id, json!({})).await;
        let claim = next(&app, &b, 0).await.unwrap();
        assert_eq!(claim["job_id"], first);
        // A claim the bot never acknowledged (its answer may have been lost) is handed back
        // as it was, not failed.
        assert_eq!(next(&app, &b, 0).await.unwrap(), claim);
        assert_eq!(job(&app, &t.admin, &first).await.body["statusCode"], "3");
        // Its first control poll acknowledges it. An agent asks for work only when idle: the
        // job it was running is lost with its previous run, and fails.
        let r = agent(&app, &b, Method::GET, &format!("jobs/{first}/control?wait=0"), None).await;
        assert_eq!(r.body, json!({"stop": false}));
        assert_eq!(next(&app, &b, 0).await.unwrap()["job_id"], second);
        let lost = job(&app, &t.admin, &first).await.body;
        assert_eq!((lost["statusCode"].as_str(), lost["detailCode"].as_str()), (Some("4"), Some("2")));
        // A restarted agent says hello: its running job fails at once.
        let r = agent(&app, &b, Method::POST, "hello", Some(json!({"computer_name": "pc2", "ip_addr": "10.0.0.8", "os": "Linux", "agent_version": "0.2.0"}))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["bot_id"], b.id.as_str());
        assert_eq!(r.body["heartbeat_seconds"], 10);
        let lost = job(&app, &t.admin, &second).await.body;
        assert_eq!(lost["detailCode"], "2");
        let bots = brity(&app, Method::POST, Some(&t.admin), None, "/communication/api/v1/botList", Some(json!({}))).await;
        assert_eq!((bots.body["list"][0]["computerName"].as_str(), bots.body["list"][0]["computerIpAddr"].as_str()),
            (Some("pc2"), Some("10.0.0.8")));
    }

    async fn stop_asks_the_bot_fails_a_lost_job_or_deletes_a_waiting_one(app) {
        let t = tenant(&app, "STOP").await;
        let b = bot(&app, &t.admin, "solo").await;
        let stop = |id: &str| format!("/scheduler/api/v1/actions/jobs/{id}/stop");
        let body = json!({"jobType": 1, "userAuthentication": format!("Bearer {}", t.admin)});

        // 3. Waiting: deleted.
        let waiting = run_ok(&app, &t.admin, &t.process_id, json!({})).await;
        let r = brity(&app, Method::POST, Some(&t.admin), None, &stop(&waiting), Some(body.clone())).await;
        assert_eq!((r.status, r.body.clone()), (200, json!({"resultCode": "SUCCESS"})));
        assert_fail(&job(&app, &t.admin, &waiting).await, 404, "JOB_INFO_NOT_EXIST");
        assert!(next(&app, &b, 0).await.is_none());

        // 1. Running on a bot that is up: the bot's control poll answers at once.
        let running = run_ok(&app, &t.admin, &t.process_id, json!({"jobRequestOption": {"retryOnFail": {"retryOptionType": 2, "retryCount": 3}}})).await;
        next(&app, &b, 5).await.unwrap();
        let watcher = {
            let (url, client, secret, id) = (app.url.clone(), app.client.clone(), b.secret.clone(), running.clone());
            tokio::spawn(async move {
                let started = tokio::time::Instant::now();
                let res = client.get(format!("{url}/api/v1/agent/jobs/{id}/control?wait=20"))
                    .bearer_auth(&secret).send().await.unwrap();
                (res.json::<serde_json::Value>().await.unwrap(), started.elapsed())
            })
        };
        // Nothing shows the control poll parked: wall time for it to start waiting (a late
        // one sees the stop at once, so the assertions hold either way).
        tokio::time::sleep(Duration::from_millis(200)).await;
        let r = brity(&app, Method::POST, Some(&t.admin), None, &stop(&running), Some(body.clone())).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let (control, took) = watcher.await.unwrap();
        assert_eq!(control, json!({"stop": true}));
        assert!(took < Duration::from_secs(5), "{took:?}");
        // The killed process looks failed to the agent: it is recorded as stopped, not retried.
        finish(&app, &b, &running, "failure", json!({})).await;
        let ended = job(&app, &t.admin, &running).await.body;
        assert_eq!((ended["detailCode"].as_str(), ended["detailName"].as_str()), (Some("3"), Some("STOP")));
        assert!(next(&app, &b, 0).await.is_none(), "a stopped job is not retried");
        // Ended: nothing to stop.
        let r = brity(&app, Method::POST, Some(&t.admin), None, &stop(&running), Some(body.clone())).await;
        assert_fail(&r, 409, "JOB_ALREADY_ENDED");
        let r = brity(&app, Method::POST, Some(&t.admin), None, &stop("1-2-3"), Some(body.clone())).await;
        assert_fail(&r, 404, "JOB_INFO_NOT_EXIST");

        // 2. Recorded as running on a bot that is down: failed at once.
        let lost = run_ok(&app, &t.admin, &t.process_id, json!({"jobRequestOption": {"retryOnFail": {"retryOptionType": 2, "retryCount": 3}}})).await;
        next(&app, &b, 5).await.unwrap();
        let mut settings = app.store.rpa_settings();
        settings.bot_lapse = Duration::from_millis(50);
        app.store.configure_rpa(settings);
        // The lapse goes by the wall clock (last_seen_at is real time): let it pass.
        tokio::time::sleep(Duration::from_millis(120)).await;
        let r = brity(&app, Method::POST, Some(&t.admin), None, &stop(&lost), Some(body.clone())).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let ended = job(&app, &t.admin, &lost).await.body;
        assert_eq!((ended["statusCode"].as_str(), ended["detailCode"].as_str()), (Some("4"), Some("2")));
        let r = agent(&app, &b, Method::GET, &format!("jobs/{lost}/control?wait=0"), None).await;
        assert_eq!(r.body, json!({"stop": true}));
        settings.bot_lapse = Duration::from_secs(30);
        app.store.configure_rpa(settings);
        assert!(next(&app, &b, 0).await.is_none(), "a stopped job is not retried");

        // Only the requester, an administrator or a holder of E may stop a job.
        let (_, ana) = crate::brity_client::brity_user(&app, &t.org, "ana").await;
        let other = run_ok(&app, &t.admin, &t.process_id, json!({})).await;
        let r = brity(&app, Method::POST, Some(&t.admin), None, &stop(&other),
            Some(json!({"jobType": 1, "userAuthentication": format!("Bearer {ana}")}))).await;
        assert_fail(&r, 403, "NO_AUTHORITY");
        let r = brity(&app, Method::POST, Some(&t.admin), None, &stop(&other),
            Some(json!({"jobType": 9, "userAuthentication": format!("Bearer {}", t.admin)}))).await;
        assert_fail(&r, 400, "INVALID_PARAMETER");
        assert_eq!(job(&app, &t.admin, &other).await.body["statusCode"], "1");
    }
}
