//! Two Sluice servers on one PostgreSQL database: bots polling both claim every job exactly
//! once, and a job queued through one server wakes a bot waiting on the other at once
//! (LISTEN/NOTIFY). Skipped without `SLUICE_TEST_DATABASE_URL`.

use crate::brity_jobs_client::*;
use crate::helpers::TestApp;
use serde_json::json;
use std::collections::HashMap;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_never_hand_out_a_job_twice() {
    let Some(one) = TestApp::postgres().await else {
        return;
    };
    let two = one.reopen().await;
    start_workers(&one);
    start_workers(&two);
    let t = tenant(&one, "TWIN").await;
    let mut bots = Vec::new();
    for i in 0..6 {
        bots.push(bot(&one, &t.admin, &format!("bot{i}")).await);
    }

    // A bot waiting on the second server is woken by a job queued on the first.
    let waiting = {
        let (url, client, secret) = (two.url.clone(), two.client.clone(), bots[0].secret.clone());
        tokio::spawn(async move {
            let res = client
                .post(format!("{url}/api/v1/agent/jobs/next?wait=8"))
                .bearer_auth(&secret)
                .send()
                .await
                .unwrap();
            (res.status().as_u16(), tokio::time::Instant::now())
        })
    };
    // Nothing shows a long poll parked: wall time for it to start waiting (a late one finds
    // the job at once, so this makes the cross-instance wake-up likely, never flaky).
    tokio::time::sleep(Duration::from_millis(300)).await;
    let queued = tokio::time::Instant::now();
    let first = run_ok(
        &one,
        &t.admin,
        &t.process_id,
        json!({"botSelectType": 3, "botId": bots[0].id}),
    )
    .await;
    let (status, at) = waiting.await.unwrap();
    assert_eq!(status, 200);
    assert!(
        at.duration_since(queued) < Duration::from_secs(3),
        "woken across instances"
    );
    finish(&two, &bots[0], &first, "success", json!({})).await;

    // 60 jobs queued through both servers while six bots poll both and finish at once.
    let mut ids = Vec::new();
    let pollers: Vec<_> = bots
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, b)| {
            let servers = [
                (one.url.clone(), one.client.clone()),
                (two.url.clone(), two.client.clone()),
            ];
            tokio::spawn(async move {
                let mut got = Vec::new();
                let mut idle = 0;
                let mut n = i;
                while idle < 3 {
                    let (url, client) = &servers[n % 2];
                    n += 1;
                    let res = client
                        .post(format!("{url}/api/v1/agent/jobs/next?wait=1"))
                        .bearer_auth(&b.secret)
                        .send()
                        .await
                        .unwrap();
                    if res.status() == 204 {
                        idle += 1;
                        continue;
                    }
                    idle = 0;
                    let claim: serde_json::Value = res.json().await.unwrap();
                    let job = claim["job_id"].as_str().unwrap().to_string();
                    let (url, client) = &servers[n % 2];
                    let res = client
                        .post(format!("{url}/api/v1/agent/jobs/{job}/finish"))
                        .bearer_auth(&b.secret)
                        .json(&json!({"result": "success"}))
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(res.status(), 204);
                    got.push(job);
                }
                got
            })
        })
        .collect();
    for i in 0..60 {
        let app = if i % 2 == 0 { &one } else { &two };
        ids.push(run_ok(app, &t.admin, &t.process_id, json!({})).await);
    }
    let mut claimed: HashMap<String, usize> = HashMap::new();
    for p in pollers {
        for job in p.await.unwrap() {
            *claimed.entry(job).or_default() += 1;
        }
    }
    assert!(
        claimed.values().all(|n| *n == 1),
        "a job claimed twice: {claimed:?}"
    );
    for id in &ids {
        assert_eq!(claimed.get(id), Some(&1), "{id}");
        assert_eq!(job(&two, &t.admin, id).await.body["detailCode"], "1");
    }
}
