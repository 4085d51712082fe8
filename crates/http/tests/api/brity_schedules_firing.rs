//! The scheduler, driven by the manual clock: each occurrence queues one job (claimed here
//! by a bot), rest days are skipped, time repeats run until the count ends, missed
//! occurrences fire once, an occurrence the owner cannot run is a visible failure, and
//! inactive or deleted reservations stay quiet. One test runs on the real clock.

use crate::both;
use crate::brity_client::brity;
use crate::brity_jobs_client::*;
use crate::brity_schedules_client::*;
use reqwest::Method;
use serde_json::{json, Value};

/// Adds an anniversary of the tenant on `day` (`YYYY.MM.DD`, Seoul's offset).
async fn anniversary(app: &crate::helpers::TestApp, token: &str, day: &str, rest: &str) {
    let r = brity(
        app,
        Method::POST,
        Some(token),
        None,
        "/scheduler/api/v1/anniversary",
        Some(
            json!({"title": format!("day {day}"), "anniversaryDay": day, "anniversaryType": 1,
            "restDayYn": rest, "timezoneOffset": "-540"}),
        ),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
}

/// Steps to `t` and claims what the bot got: the tags of the jobs queued.
async fn fire(app: &crate::helpers::TestApp, b: &Bot, t: &str) -> Vec<String> {
    step(app, at(t)).await;
    tags(&drain(app, b).await)
}

both! {
    async fn weekly_runs_skip_rest_days(app) {
        let _scheduler = start_scheduler(&app, at("2030-01-06T00:00:00Z"));
        let t = tenant(&app, "FIRA").await;
        let b = bot(&app, &t.admin, "alpha").await;
        // Wednesday 9 January is a rest day in Seoul; Monday 14th an anniversary, not one.
        anniversary(&app, &t.admin, "2030.01.09", "Y").await;
        anniversary(&app, &t.admin, "2030.01.14", "N").await;
        // Mondays, Wednesdays and Fridays at 09:00 in Seoul (00:00 UTC).
        let id = create_ok(&app, &t.admin, body(&t.process_id, "2030-01-07T09:00:00+09:00",
            json!({"freq": "WEEKLY", "condition": "#2#4#6", "notIncludeHolidayYn": "Y",
                "parameter": {"currency": "W"}}))).await;
        assert_eq!(reservation(&app, &t.admin, &id).await["nextJobTime"], "2030-01-07T00:00:00Z");

        assert!(fire(&app, &b, "2030-01-06T23:59:59Z").await.is_empty());
        assert_eq!(fire(&app, &b, "2030-01-07T00:00:00Z").await, ["W"]);
        let r = reservation(&app, &t.admin, &id).await;
        assert_eq!((r["nextJobTime"].as_str(), r["schCount"].as_i64()), (Some("2030-01-11T00:00:00Z"), Some(1)));
        assert!(fire(&app, &b, "2030-01-09T00:00:00Z").await.is_empty(), "a rest day");
        assert_eq!(fire(&app, &b, "2030-01-11T00:00:00Z").await, ["W"]);
        assert_eq!(fire(&app, &b, "2030-01-14T00:00:00Z").await, ["W"], "not a rest day");
        // A rest day added after the reservation is skipped as well.
        anniversary(&app, &t.admin, "2030.01.16", "Y").await;
        assert!(fire(&app, &b, "2030-01-16T00:00:00Z").await.is_empty());
        assert_eq!(fire(&app, &b, "2030-01-18T00:00:00Z").await, ["W"]);
        let r = reservation(&app, &t.admin, &id).await;
        assert_eq!((r["schCount"].as_i64(), r["missedCount"].as_i64(), r["nextJobTime"].as_str()),
            (Some(4), Some(0), Some("2030-01-21T00:00:00Z")));
    }

    async fn time_repeats_run_until_the_count_ends(app) {
        let _scheduler = start_scheduler(&app, at("2030-02-27T00:00:00Z"));
        let t = tenant(&app, "FIRB").await;
        let b = bot(&app, &t.admin, "alpha").await;
        // Two days, each at 09:00, 11:00 and 13:00 in Seoul (every 2 hours for 5 hours).
        let id = create_ok(&app, &t.admin, body(&t.process_id, "2030-03-01T09:00:00+09:00",
            json!({"freq": "DAILY", "endType": "COUNT", "count": "2", "timeRepeatYn": "Y",
                "timeRepeatInterval": 2, "timeRepeatPeriod": 5, "parameter": {"currency": "R"}}))).await;
        let r = reservation(&app, &t.admin, &id).await;
        assert_eq!((r["schDetStartDt"].as_str(), r["schDetEndDt"].as_str(), r["timeRepeatYn"].as_str()),
            (Some("2030-03-01T00:00:00Z"), Some("2030-03-02T04:00:00Z"), Some("Y")));
        assert_eq!((r["timeRepeatInterval"].as_i64(), r["timeRepeatPeriod"].as_i64()), (Some(2), Some(5)));
        for run in ["2030-03-01T00:00:00Z", "2030-03-01T02:00:00Z", "2030-03-01T04:00:00Z",
                    "2030-03-02T00:00:00Z", "2030-03-02T02:00:00Z", "2030-03-02T04:00:00Z"] {
            let before = (at(run) - chrono::Duration::seconds(1)).to_rfc3339();
            assert!(fire(&app, &b, &before).await.is_empty(), "nothing before {run}");
            assert_eq!(fire(&app, &b, run).await, ["R"], "{run}");
        }
        let r = reservation(&app, &t.admin, &id).await;
        assert_eq!((r["schCount"].as_i64(), r["nextJobTime"].clone()), (Some(6), Value::Null));
        assert!(fire(&app, &b, "2030-03-03T00:00:00Z").await.is_empty(), "the count ended");
    }

    async fn daylight_saving_and_month_ends_fire_as_a_user_expects(app) {
        let _scheduler = start_scheduler(&app, at("2030-03-29T00:00:00Z"));
        let t = tenant(&app, "FIRH").await;
        let b = bot(&app, &t.admin, "alpha").await;
        // Daily at 02:30 in Berlin. On Sunday 31 March 2030 the clocks jump from 02:00 to
        // 03:00: that day's run is at the jump (03:00 CEST); the next days at 02:30 CEST.
        let daily = create_ok(&app, &t.admin, body(&t.process_id, "2030-03-30T02:30:00+01:00",
            json!({"freq": "DAILY", "timeZone": "Europe/Berlin", "parameter": {"currency": "B"}}))).await;
        assert_eq!(fire(&app, &b, "2030-03-30T01:30:00Z").await, ["B"]);
        assert_eq!(reservation(&app, &t.admin, &daily).await["nextJobTime"], "2030-03-31T01:00:00Z");
        assert_eq!(fire(&app, &b, "2030-03-31T01:00:00Z").await, ["B"]);
        assert_eq!(reservation(&app, &t.admin, &daily).await["nextJobTime"], "2030-04-01T00:30:00Z");
        delete(&app, &t.admin, &daily).await;
        // Monthly on the 31st: on the last day of the shorter months.
        let monthly = create_ok(&app, &t.admin, body(&t.process_id, "2030-01-31T09:00:00+09:00",
            json!({"freq": "MONTHLY", "condition": "D", "parameter": {"currency": "M"}}))).await;
        assert_eq!(reservation(&app, &t.admin, &monthly).await["nextJobTime"], "2030-04-30T00:00:00Z");
        assert_eq!(fire(&app, &b, "2030-04-30T00:00:00Z").await, ["M"]);
        assert_eq!(reservation(&app, &t.admin, &monthly).await["nextJobTime"], "2030-05-31T00:00:00Z");
        delete(&app, &t.admin, &monthly).await;
        // From 29 February (a leap year), monthly: the 29th of each month, and 28 February
        // in a common year.
        let leap = create_ok(&app, &t.admin, body(&t.process_id, "2032-02-29T09:00:00+09:00",
            json!({"freq": "MONTHLY", "condition": "D", "freqInterval": 12, "parameter": {"currency": "L"}}))).await;
        let r = reservation(&app, &t.admin, &leap).await;
        assert_eq!((r["schDetStartDt"].as_str(), r["nextJobTime"].as_str()),
            (Some("2032-02-29T00:00:00Z"), Some("2032-02-29T00:00:00Z")));
        assert_eq!(fire(&app, &b, "2032-02-29T00:00:00Z").await, ["L"]);
        assert_eq!(reservation(&app, &t.admin, &leap).await["nextJobTime"], "2033-02-28T00:00:00Z");
    }

    async fn missed_occurrences_fire_once_and_the_older_are_passed_over(app) {
        let _scheduler = start_scheduler(&app, at("2030-02-27T00:00:00Z"));
        let t = tenant(&app, "FIRC").await;
        let b = bot(&app, &t.admin, "alpha").await;
        let id = create_ok(&app, &t.admin, body(&t.process_id, "2030-03-01T09:00:00+09:00",
            json!({"freq": "DAILY", "parameter": {"currency": "D"}}))).await;
        assert_eq!(fire(&app, &b, "2030-03-01T00:00:00Z").await, ["D"]);
        // The clock jumps three and a half days: the occurrences of the 2nd, 3rd and 4th
        // are due; the latest fires, late, once.
        step(&app, at("2030-03-04T12:00:00Z")).await;
        let claims = drain(&app, &b).await;
        assert_eq!(tags(&claims), ["D"]);
        let job_id = claims[0]["job_id"].as_str().unwrap();
        assert_eq!(job(&app, &t.admin, job_id).await.body["scheduledTime"], "2030-03-04T12:00:00Z");
        let r = reservation(&app, &t.admin, &id).await;
        assert_eq!((r["schCount"].as_i64(), r["missedCount"].as_i64(), r["nextJobTime"].as_str()),
            (Some(2), Some(2), Some("2030-03-05T00:00:00Z")));
        assert_eq!(fire(&app, &b, "2030-03-05T00:00:00Z").await, ["D"]);
    }

    async fn an_occurrence_the_owner_cannot_run_is_a_visible_failure(app) {
        let _scheduler = start_scheduler(&app, at("2030-02-27T00:00:00Z"));
        let t = tenant(&app, "FIRD").await;
        let b = bot(&app, &t.admin, "alpha").await;
        let id = create_ok(&app, &t.admin, body(&t.process_id, "2030-03-01T09:00:00+09:00",
            json!({"freq": "DAILY", "parameter": {"currency": "F"}}))).await;
        let status = |s: i64| json!({"objectId": t.project_id, "objectStatus": s});
        let r = brity(&app, Method::POST, Some(&t.admin), None, "/asset/api/v1/objects/project/status", Some(status(0))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(fire(&app, &b, "2030-03-01T00:00:00Z").await.is_empty());
        let r = reservation(&app, &t.admin, &id).await;
        assert_eq!((r["schCount"].as_i64(), r["lastError"].as_str(), r["lastErrorTime"].as_str()),
            (Some(1), Some("The process's project is stopped."), Some("2030-03-01T00:00:00Z")));
        assert_eq!(r["nextJobTime"], "2030-03-02T00:00:00Z", "the reservation goes on");
        let ended = brity(&app, Method::POST, Some(&t.admin), None, "/scheduler/api/v1/jobs/list",
            Some(json!({"parameter": {"processId": t.process_id}}))).await;
        assert_eq!(ended.body["totalCount"], 1, "{}", ended.body);
        let failed = &ended.body["list"][0];
        assert_eq!((failed["detailName"].as_str(), failed["jobUser"].as_str(), failed["processName"].as_str()),
            (Some("FAILURE"), Some("boss"), Some("Main")));
        // Running again, the next occurrence is a job and the error is cleared.
        brity(&app, Method::POST, Some(&t.admin), None, "/asset/api/v1/objects/project/status", Some(status(1))).await;
        assert_eq!(fire(&app, &b, "2030-03-02T00:00:00Z").await, ["F"]);
        let r = reservation(&app, &t.admin, &id).await;
        assert_eq!((r["schCount"].as_i64(), r["lastError"].clone()), (Some(2), Value::Null));
    }

    async fn inactive_and_deleted_reservations_stay_quiet(app) {
        let _scheduler = start_scheduler(&app, at("2030-02-27T00:00:00Z"));
        let t = tenant(&app, "FIRE").await;
        let b = bot(&app, &t.admin, "alpha").await;
        let daily = |tag: &str, inactive: &str| body(&t.process_id, "2030-03-01T09:00:00+09:00",
            json!({"freq": "DAILY", "inActiveYn": inactive, "parameter": {"currency": tag}}));
        let off = create_ok(&app, &t.admin, daily("off", "Y")).await;
        let gone = create_ok(&app, &t.admin, daily("gone", "N")).await;
        create_ok(&app, &t.admin, daily("on", "N")).await;
        assert_eq!(delete(&app, &t.admin, &gone).await.status, 200);
        assert_eq!(fire(&app, &b, "2030-03-01T00:00:00Z").await, ["on"]);
        // Made active again, it runs from its next occurrence on (the one it slept through
        // is not made up).
        step(&app, at("2030-03-01T06:00:00Z")).await;
        let r = modify(&app, &t.admin, &off, daily("off", "N")).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let mut got = fire(&app, &b, "2030-03-02T00:00:00Z").await;
        got.sort();
        assert_eq!(got, ["off", "on"]);
        assert_eq!(reservation(&app, &t.admin, &off).await["missedCount"], 0);
    }

    async fn a_reservation_due_now_wakes_the_scheduler(app) {
        // The clock stands still: only the new reservation's signal can wake the scheduler.
        let _scheduler = start_scheduler(&app, at("2030-03-01T00:00:00Z"));
        app.store.scheduler_passed(at("2030-03-01T00:00:00Z")).await;
        let t = tenant(&app, "FIRF").await;
        let b = bot(&app, &t.admin, "alpha").await;
        create_ok(&app, &t.admin, body(&t.process_id, "2030-03-01T09:00:00+09:00",
            json!({"parameter": {"currency": "now"}}))).await;
        let claim = next(&app, &b, 10).await.expect("queued at once");
        assert_eq!(claim["inputs"]["currency"], "now");
    }

    async fn the_real_clock_fires_within_a_second(app) {
        tokio::spawn(app.store.clone().run_scheduler());
        let t = tenant(&app, "FIRG").await;
        let b = bot(&app, &t.admin, "alpha").await;
        let start = chrono::Utc::now() + chrono::Duration::milliseconds(2500);
        let start = chrono::DateTime::from_timestamp(start.timestamp(), 0).unwrap();
        create_ok(&app, &t.admin, body(&t.process_id, &start.to_rfc3339(),
            json!({"parameter": {"currency": "real"}}))).await;
        let claim = next(&app, &b, 10).await.expect("a job");
        let late = chrono::Utc::now() - start;
        assert_eq!(claim["inputs"]["currency"], "real");
        assert!(late >= chrono::Duration::zero(), "early by {late}");
        assert!(late < chrono::Duration::seconds(1), "late by {late}");
    }
}
