//! `POST /scheduler/api/v1/jobs/list`: ended jobs only, every filter, the order columns and
//! directions, paging with its default and cap, UTC times, bad input.

use crate::both;
use crate::brity_client::brity;
use crate::brity_jobs_client::*;
use reqwest::Method;
use serde_json::{json, Value};
use std::time::Duration;

async fn list(app: &crate::helpers::TestApp, token: &str, body: Value) -> Value {
    let r = brity(
        app,
        Method::POST,
        Some(token),
        None,
        "/scheduler/api/v1/jobs/list",
        Some(body.clone()),
    )
    .await;
    assert_eq!(r.status, 200, "{body}: {}", r.body);
    r.body
}

fn ids(v: &Value) -> Vec<String> {
    v["list"]
        .as_array()
        .expect("list")
        .iter()
        .map(|j| j["jobId"].as_str().unwrap().to_string())
        .collect()
}

/// Runs a job on `bot` to its end with `result`; its id.
async fn done(
    app: &crate::helpers::TestApp,
    t: &Tenant,
    bot: &Bot,
    process: &str,
    result: &str,
) -> String {
    let id = run_ok(
        app,
        &t.admin,
        process,
        json!({"botSelectType": 3, "botId": bot.id}),
    )
    .await;
    assert_eq!(next(app, bot, 5).await.unwrap()["job_id"], id);
    finish(app, bot, &id, result, json!({"n": result})).await;
    id
}

both! {
    async fn ended_jobs_are_filtered_ordered_and_paged(app) {
        let t = tenant(&app, "LIST").await;
        let (_, other_process) = project(&app, &t.admin, "Payroll").await;
        let a = bot(&app, &t.admin, "a-bot").await;
        let z = bot(&app, &t.admin, "z-bot").await;
        let j1 = done(&app, &t, &z, &t.process_id, "success").await;
        let j2 = done(&app, &t, &a, &t.process_id, "failure").await;
        // Start times are real time: `between` must differ from j2's and j3's.
        tokio::time::sleep(Duration::from_millis(5)).await;
        let between = chrono::Utc::now();
        tokio::time::sleep(Duration::from_millis(5)).await;
        let j3 = done(&app, &t, &a, &other_process, "success").await;
        let j4 = done(&app, &t, &z, &t.process_id, "stopped").await;
        // Waiting and running jobs are not listed.
        run_ok(&app, &t.admin, &t.process_id, json!({"botSelectType": 3, "botId": a.id})).await;
        run_ok(&app, &t.admin, &t.process_id, json!({"botSelectType": 3, "botId": z.id})).await;
        next(&app, &z, 5).await.unwrap();

        // The default: newest start first, ten at most.
        let v = list(&app, &t.admin, json!({})).await;
        assert_eq!(ids(&v).iter().collect::<Vec<_>>(), [&j4, &j3, &j2, &j1]);
        assert_eq!((v["totalCount"].as_i64(), v["listCount"].as_i64()), (Some(4), Some(4)));
        assert_eq!(v["request"], json!({"offset": 0, "limit": 10, "parameter": {}, "orderBy": null}));
        for j in v["list"].as_array().unwrap() {
            assert_eq!(j["statusCode"], "4");
            for k in ["scheduledTime", "startTime", "endTime"] {
                let s = j[k].as_str().unwrap();
                assert!(s.ends_with('Z') && s.len() == 20, "{k}: {s}");
            }
        }
        // The spec's example shape: process, version, time window, result code.
        let from = (between - chrono::Duration::hours(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let to = (between + chrono::Duration::hours(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let body = json!({"offset": 0, "limit": 3, "parameter": {"processId": t.process_id, "version": "1.00",
            "startDatetime": from, "endDatetime": to, "resultCode": 1}});
        let v = list(&app, &t.admin, body.clone()).await;
        assert_eq!(ids(&v).iter().collect::<Vec<_>>(), [&j1]);
        assert_eq!(v["request"]["parameter"], body["parameter"]);
        assert_eq!(v["request"]["limit"], 3);
        let v = list(&app, &t.admin, json!({"parameter": {"processId": t.process_id, "version": "9.99"}})).await;
        assert_eq!(v["totalCount"], 0);
        // A version without a process is not a filter.
        let v = list(&app, &t.admin, json!({"parameter": {"version": "9.99"}})).await;
        assert_eq!(v["totalCount"], 4);
        let v = list(&app, &t.admin, json!({"parameter": {"processId": t.process_id}})).await;
        assert_eq!(ids(&v).iter().collect::<Vec<_>>(), [&j4, &j2, &j1]);
        let v = list(&app, &t.admin, json!({"parameter": {"botId": a.id}})).await;
        assert_eq!(ids(&v).iter().collect::<Vec<_>>(), [&j3, &j2]);
        for (code, expected) in [(1, vec![&j3, &j1]), (2, vec![&j2]), (3, vec![&j4]), (4, vec![])] {
            let v = list(&app, &t.admin, json!({"parameter": {"resultCode": code.to_string()}})).await;
            assert_eq!(ids(&v).iter().collect::<Vec<_>>(), expected, "resultCode {code}");
        }
        // The window applies to the start time, or to the end time with `time: end`.
        let mid = between.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let v = list(&app, &t.admin, json!({"parameter": {"startDatetime": mid}})).await;
        assert_eq!(ids(&v).iter().collect::<Vec<_>>(), [&j4, &j3]);
        let v = list(&app, &t.admin, json!({"parameter": {"endDatetime": mid, "time": "end"}})).await;
        assert_eq!(ids(&v).iter().collect::<Vec<_>>(), [&j2, &j1]);
        let zoned = between.with_timezone(&chrono::FixedOffset::east_opt(9 * 3600).unwrap())
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, false) + "[Asia/Seoul]";
        let v = list(&app, &t.admin, json!({"parameter": {"startDatetime": zoned}})).await;
        assert_eq!(ids(&v).iter().collect::<Vec<_>>(), [&j4, &j3]);

        // Order columns and directions.
        let v = list(&app, &t.admin, json!({"orderBy": "botId asc, startTime desc"})).await;
        let first_bot = if a.id < z.id { [&j3, &j2, &j4, &j1] } else { [&j4, &j1, &j3, &j2] };
        assert_eq!(ids(&v).iter().collect::<Vec<_>>(), first_bot);
        assert_eq!(v["request"]["orderBy"], "botId asc, startTime desc");
        let v = list(&app, &t.admin, json!({"orderBy": "endTime"})).await;
        assert_eq!(ids(&v).iter().collect::<Vec<_>>(), [&j1, &j2, &j3, &j4]);
        let v = list(&app, &t.admin, json!({"orderBy": "scheduledTime DESC"})).await;
        assert_eq!(ids(&v).iter().collect::<Vec<_>>(), [&j4, &j3, &j2, &j1]);

        // Paging.
        let v = list(&app, &t.admin, json!({"offset": 1, "limit": 2})).await;
        assert_eq!(ids(&v).iter().collect::<Vec<_>>(), [&j3, &j2]);
        assert_eq!((v["totalCount"].as_i64(), v["listCount"].as_i64()), (Some(4), Some(2)));
        let v = list(&app, &t.admin, json!({"offset": "3", "limit": "500"})).await;
        assert_eq!(ids(&v).iter().collect::<Vec<_>>(), [&j1]);
        assert_eq!(v["request"]["limit"], 100);
        let v = list(&app, &t.admin, json!({"limit": 0})).await;
        assert_eq!((v["totalCount"].as_i64(), v["listCount"].as_i64()), (Some(4), Some(0)));

        // Refusals.
        for body in [
            json!({"orderBy": "jobId"}),
            json!({"orderBy": "startTime sideways"}),
            json!({"offset": -1}),
            json!({"limit": -5}),
            json!({"limit": "ten"}),
            json!({"parameter": {"resultCode": 5}}),
            json!({"parameter": {"startDatetime": "yesterday"}}),
            json!({"parameter": {"startDatetime": "2021-07-13T00:00:00"}}),
            json!({"parameter": {"time": "middle"}}),
            json!({"parameter": "{not json"}),
        ] {
            let r = brity(&app, Method::POST, Some(&t.admin), None, "/scheduler/api/v1/jobs/list", Some(body.clone())).await;
            assert_fail(&r, 400, "INVALID_PARAMETER");
        }
        let r = brity(&app, Method::POST, None, None, "/scheduler/api/v1/jobs/list", Some(json!({}))).await;
        assert_fail(&r, 401, "UNAUTHORIZED");
    }

    async fn the_list_pages_by_ten_by_default(app) {
        let t = tenant(&app, "TENS").await;
        let b = bot(&app, &t.admin, "worker").await;
        for _ in 0..12 {
            done(&app, &t, &b, &t.process_id, "success").await;
        }
        let v = list(&app, &t.admin, json!({"parameter": {}})).await;
        assert_eq!((v["totalCount"].as_i64(), v["listCount"].as_i64()), (Some(12), Some(10)));
        let v = list(&app, &t.admin, json!({"offset": 10})).await;
        assert_eq!(v["listCount"], 2);
    }
}
