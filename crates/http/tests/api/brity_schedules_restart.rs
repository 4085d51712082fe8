//! The scheduler across restarts and instances: a server that stops and another that starts
//! on its database later neither repeat an occurrence nor lose the one that was due (the
//! latest missed fires once); two servers on one PostgreSQL database, both scheduling, queue
//! each occurrence of many reservations exactly once; a change made through one server
//! wakes the scheduler of the other.

use crate::both;
use crate::brity_jobs_client::*;
use crate::brity_schedules_client::*;
use crate::helpers::TestApp;
use serde_json::json;
use std::collections::HashMap;

both! {
    async fn a_restart_neither_repeats_nor_loses_an_occurrence(app) {
        let first = start_scheduler(&app, at("2030-02-27T00:00:00Z"));
        let t = tenant(&app, "RSTA").await;
        let b = bot(&app, &t.admin, "alpha").await;
        let id = create_ok(&app, &t.admin, body(&t.process_id, "2030-03-01T09:00:00+09:00",
            json!({"freq": "DAILY", "parameter": {"currency": "D"}}))).await;
        step(&app, at("2030-03-01T00:00:00Z")).await;
        assert_eq!(tags(&drain(&app, &b).await), ["D"]);
        // The server stops (its scheduler with it); another starts on the same database two
        // and a half days later: the 2nd was missed, the 3rd fires once, late.
        first.abort();
        let _ = first.await;
        let other = app.reopen().await;
        let _second = start_scheduler(&other, at("2030-03-03T12:00:00Z"));
        other.store.scheduler_passed(at("2030-03-03T12:00:00Z")).await;
        assert_eq!(tags(&drain(&other, &b).await), ["D"]);
        let r = reservation(&other, &t.admin, &id).await;
        assert_eq!((r["schCount"].as_i64(), r["missedCount"].as_i64(), r["nextJobTime"].as_str()),
            (Some(2), Some(1), Some("2030-03-04T00:00:00Z")));
        // The first server coming back at the same moment finds nothing left to do.
        let _again = start_scheduler(&app, at("2030-03-03T12:00:00Z"));
        app.store.scheduler_passed(at("2030-03-03T12:00:00Z")).await;
        assert!(drain(&app, &b).await.is_empty());
        // Both go on to the next occurrence: one job.
        step(&app, at("2030-03-04T00:00:00Z")).await;
        step(&other, at("2030-03-04T00:00:00Z")).await;
        assert_eq!(tags(&drain(&app, &b).await), ["D"]);
        assert_eq!(reservation(&app, &t.admin, &id).await["schCount"], 3);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_queue_each_occurrence_once() {
    let Some(one) = TestApp::postgres().await else {
        return;
    };
    let two = one.reopen().await;
    let t = tenant(&one, "TWRS").await;
    let b = bot(&one, &t.admin, "alpha").await;
    one.store.clock().set(at("2030-02-27T00:00:00Z"));
    two.store.clock().set(at("2030-02-27T00:00:00Z"));
    const N: usize = 60;
    let mut ids = Vec::new();
    for i in 0..N {
        // Every reservation is due at the same instants; half also repeat every hour.
        let repeat = if i % 2 == 0 {
            json!({"timeRepeatYn": "Y", "timeRepeatInterval": 1, "timeRepeatPeriod": 2})
        } else {
            json!({})
        };
        let mut extra = json!({"freq": "DAILY", "parameter": {"currency": format!("r{i}")}});
        for (k, v) in repeat.as_object().unwrap() {
            extra[k] = v.clone();
        }
        let server = if i % 2 == 0 { &one } else { &two };
        ids.push(
            create_ok(
                server,
                &t.admin,
                body(&t.process_id, "2030-03-01T09:00:00+09:00", extra),
            )
            .await,
        );
    }
    let _s1 = start_scheduler(&one, at("2030-02-27T00:00:00Z"));
    let _s2 = start_scheduler(&two, at("2030-02-27T00:00:00Z"));
    for (run, expected) in [
        ("2030-03-01T00:00:00Z", N),
        ("2030-03-01T01:00:00Z", N / 2),
        ("2030-03-02T00:00:00Z", N),
    ] {
        // Both instances reach the occurrence at the same moment.
        one.store.clock().set(at(run));
        two.store.clock().set(at(run));
        tokio::join!(
            one.store.scheduler_passed(at(run)),
            two.store.scheduler_passed(at(run))
        );
        let mut seen: HashMap<String, usize> = HashMap::new();
        for tag in tags(&drain(&one, &b).await) {
            *seen.entry(tag).or_default() += 1;
        }
        assert_eq!(seen.len(), expected, "{run}: {seen:?}");
        assert!(
            seen.values().all(|n| *n == 1),
            "{run}: an occurrence queued twice: {seen:?}"
        );
    }
    let page = list(&one, &t.admin, json!({"limit": 100})).await;
    for r in page["list"].as_array().unwrap() {
        let repeats = r["timeRepeatYn"] == "Y";
        assert_eq!(r["schCount"], if repeats { 3 } else { 2 }, "{r}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_change_through_one_instance_wakes_the_scheduler_of_the_other() {
    let Some(one) = TestApp::postgres().await else {
        return;
    };
    let two = one.reopen().await;
    let t = tenant(&one, "TWRW").await;
    let b = bot(&one, &t.admin, "alpha").await;
    // The second server's clock stands still and it has nothing to do: only a NOTIFY from
    // the first can wake its scheduler.
    let _s2 = start_scheduler(&two, at("2030-03-01T00:00:00Z"));
    two.store.scheduler_passed(at("2030-03-01T00:00:00Z")).await;
    one.store.clock().set(at("2030-03-01T00:00:00Z"));
    create_ok(
        &one,
        &t.admin,
        body(
            &t.process_id,
            "2030-03-01T09:00:00+09:00",
            json!({"parameter": {"currency": "woken"}}),
        ),
    )
    .await;
    let claim = next(&two, &b, 10)
        .await
        .expect("queued by the other instance");
    assert_eq!(claim["inputs"]["currency"], "woken");
}
