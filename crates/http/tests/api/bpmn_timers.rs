//! Timers and service-task retries across restarts and instances: a timer event and a
//! boundary timer whose time passed while no server ran fire once at the next start; two
//! servers on one database, both running the deadline worker, fire each timer once; a
//! service-task retry pending when the server stops is made once by the next one.
//!
//! The workers go by the store's clock (`Store::clock`), which the tests move forward
//! instead of sleeping.

use crate::helpers::TestApp;
use crate::omnibpm_document::{get, kinds, logs};
use crate::questetra_events::{model, start_webhook, Model};
use axum::routing::post;
use axum::Router;
use chrono::{Duration, Utc};
use serde_json::Value;
use sluice_domain::engine::RunState;
use sluice_domain::{DocId, NodeId, OrgId};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Message start, a one-hour timer, then a review task with a two-hour interrupting
/// boundary timer leading to an escalation task.
const TIMERS: &str = r#"<bpmn:process id="Timers" name="Timers">
  <bpmn:startEvent id="Go"><bpmn:messageEventDefinition/></bpmn:startEvent>
  <bpmn:intermediateCatchEvent id="Wait">
    <bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition>
  </bpmn:intermediateCatchEvent>
  <bpmn:userTask id="Review" name="Review"/>
  <bpmn:boundaryEvent id="Late" attachedToRef="Review">
    <bpmn:timerEventDefinition><bpmn:timeDuration>PT2H</bpmn:timeDuration></bpmn:timerEventDefinition>
  </bpmn:boundaryEvent>
  <bpmn:userTask id="Escalate" name="Escalate"/>
  <bpmn:endEvent id="End"/>
  <bpmn:endEvent id="LateEnd"/>
  <bpmn:sequenceFlow id="f1" sourceRef="Go" targetRef="Wait"/>
  <bpmn:sequenceFlow id="f2" sourceRef="Wait" targetRef="Review"/>
  <bpmn:sequenceFlow id="f3" sourceRef="Review" targetRef="End"/>
  <bpmn:sequenceFlow id="f4" sourceRef="Late" targetRef="Escalate"/>
  <bpmn:sequenceFlow id="f5" sourceRef="Escalate" targetRef="LateEnd"/>
</bpmn:process>"#;

fn node(m: &Model, key: &str) -> i64 {
    m.import["nodes"][key].as_i64().unwrap()
}

fn current(doc: &Value) -> Vec<i64> {
    let mut ids: Vec<i64> = doc["current_nodes_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    ids.sort();
    ids
}

/// Waits (polling, at most 20 s) until every case in `docs` stands at `key` alone.
async fn all_at(app: &TestApp, m: &Model, docs: &[i64], key: &str) {
    let want = vec![node(m, key)];
    for _ in 0..400 {
        let mut done = true;
        for doc in docs {
            if current(&get(app, &m.org, *doc, m.admin).await) != want {
                done = false;
                break;
            }
        }
        if done {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the cases never all reached {key}");
}

/// How many log entries of case `doc` are `(action, kind)`.
async fn count(app: &TestApp, m: &Model, doc: i64, action: &str, kind: &str) -> usize {
    kinds(&logs(app, &m.org, doc).await)
        .iter()
        .filter(|(a, k)| a == action && k == kind)
        .count()
}

/// A server without a deadline worker (`None`: PostgreSQL not configured).
async fn without_worker(postgres: bool) -> Option<TestApp> {
    if postgres {
        TestApp::postgres_with(false).await
    } else {
        Some(TestApp::sqlite_with(false).await)
    }
}

/// Cases start on a server with no deadline worker (as if stopped for timers); the timer's
/// hour passes; the next server's worker fires it once, and later the boundary timer once,
/// with a third server on the same database running its worker too.
async fn timers_fire_once_across_a_restart(postgres: bool) {
    let Some(first) = without_worker(postgres).await else {
        return;
    };
    let m = model(&first, "TMR", TIMERS).await;
    let docs = [
        start_webhook(&first, &m, "Go", "{}").await,
        start_webhook(&first, &m, "Go", "{}").await,
    ];
    for doc in docs {
        assert_eq!(
            current(&get(&first, &m.org, doc, m.admin).await),
            [node(&m, "Wait")]
        );
    }
    // The next server comes up when the hour has passed.
    let second = first.reopen().await;
    second.store.clock().set(Utc::now() + Duration::minutes(90));
    all_at(&second, &m, &docs, "Review").await;
    // A third server joins; both workers reach the boundary timer's time together.
    let third = first.reopen().await;
    let later = Utc::now() + Duration::hours(5);
    second.store.clock().set(later);
    third.store.clock().set(later);
    all_at(&third, &m, &docs, "Escalate").await;
    // A look again by both finds nothing left.
    assert_eq!(second.store.expire_deadlines(later, 100).await.unwrap(), 0);
    assert_eq!(third.store.expire_deadlines(later, 100).await.unwrap(), 0);
    for doc in docs {
        assert_eq!(count(&first, &m, doc, "timer", "timer").await, 1);
        assert_eq!(count(&first, &m, doc, "timer", "boundary").await, 1);
    }
    assert_eq!(second.store.next_deadline().await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn timers_fire_once_across_a_restart_sqlite() {
    timers_fire_once_across_a_restart(false).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn timers_fire_once_across_a_restart_postgres() {
    timers_fire_once_across_a_restart(true).await
}

/// Two servers on one PostgreSQL database, both running the deadline worker, reach the
/// time of many timers at once: each fires once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_fire_each_timer_once() {
    let Some(one) = TestApp::postgres().await else {
        return;
    };
    let two = one.reopen().await;
    let m = model(&one, "TMT", TIMERS).await;
    let mut docs = Vec::new();
    for i in 0..24 {
        let server = if i % 2 == 0 { &one } else { &two };
        docs.push(start_webhook(server, &m, "Go", "{}").await);
    }
    let at = Utc::now() + Duration::minutes(90);
    one.store.clock().set(at);
    two.store.clock().set(at);
    // Both also expire by hand at the same moment, racing their own workers: what each
    // reports having fired adds up to at most one per case.
    let (a, b) = tokio::join!(
        one.store.expire_deadlines(at, 100),
        two.store.expire_deadlines(at, 100)
    );
    let fired = a.unwrap() + b.unwrap();
    assert!(fired <= docs.len(), "{fired}");
    all_at(&one, &m, &docs, "Review").await;
    for doc in &docs {
        assert_eq!(
            count(&one, &m, *doc, "timer", "timer").await,
            1,
            "case {doc}"
        );
    }
}

/// An endpoint whose first call fails (500) and whose later ones answer 200; counts calls.
async fn flaky() -> (String, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = calls.clone();
    let app = Router::new().route(
        "/flaky",
        post(move || async move {
            if seen.fetch_add(1, Ordering::SeqCst) == 0 {
                (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "{}")
            } else {
                (axum::http::StatusCode::OK, r#"{"ok": true}"#)
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/flaky", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    (url, calls)
}

fn service(url: &str) -> String {
    format!(
        r#"<bpmn:process id="Calls" name="Calls">
  <bpmn:startEvent id="Go"><bpmn:messageEventDefinition/></bpmn:startEvent>
  <bpmn:serviceTask id="Call" sluice:method="POST" sluice:url="{url}" sluice:retries="3" sluice:backoff="60"/>
  <bpmn:userTask id="Check" name="Check"/>
  <bpmn:endEvent id="End"/>
  <bpmn:sequenceFlow id="f1" sourceRef="Go" targetRef="Call"/>
  <bpmn:sequenceFlow id="f2" sourceRef="Call" targetRef="Check"/>
  <bpmn:sequenceFlow id="f3" sourceRef="Check" targetRef="End"/>
</bpmn:process>"#
    )
}

/// Runs the service-task worker on `app` (loopback endpoints allowed).
fn service_worker(app: &TestApp) -> tokio::task::JoinHandle<()> {
    let mut settings = app.store.rpa_settings();
    settings.callback_allow_private = true;
    app.store.configure_rpa(settings);
    tokio::spawn(sluice_http::service_tasks::run(app.store.clone()))
}

/// The first call fails and its retry is due a minute later; the server stops before. The
/// next two servers on the database, both with the worker, make the retry once.
async fn a_pending_retry_is_made_once_after_a_restart(postgres: bool) {
    let Some(first) = without_worker(postgres).await else {
        return;
    };
    let (url, calls) = flaky().await;
    let m = model(&first, "TMS", &service(&url)).await;
    let t0 = Utc::now() + Duration::seconds(5);
    first.store.clock().set(t0);
    let worker = service_worker(&first);
    let doc = start_webhook(&first, &m, "Go", "{}").await;
    let call = NodeId(node(&m, "Call"));
    // The first call is made and fails; its retry waits for t0 + 60 s.
    for _ in 0..400 {
        if calls.load(Ordering::SeqCst) == 1
            && first.store.next_service_call().await.unwrap() >= Some(t0 + Duration::seconds(59))
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    worker.abort();
    let _ = worker.await;
    // Two servers come up after the retry's time.
    let (second, third) = (first.reopen().await, first.reopen().await);
    let later = t0 + Duration::minutes(10);
    second.store.clock().set(later);
    third.store.clock().set(later);
    let _w2 = service_worker(&second);
    let _w3 = service_worker(&third);
    all_at(&second, &m, &[doc], "Check").await;
    let case = second
        .store
        .service_call_case(OrgId(m.org.id), DocId(doc))
        .await
        .unwrap();
    assert_eq!(case.route.nodes[&call].state, RunState::Complete);
    assert!(case.route.nodes[&call].error.is_none());
    assert_eq!(second.store.next_service_call().await.unwrap(), None);
    // Nothing more is called, by either.
    second.store.clock().set(later + Duration::hours(1));
    third.store.clock().set(later + Duration::hours(1));
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_pending_retry_is_made_once_after_a_restart_sqlite() {
    a_pending_retry_is_made_once_after_a_restart(false).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_pending_retry_is_made_once_after_a_restart_postgres() {
    a_pending_retry_is_made_once_after_a_restart(true).await
}
