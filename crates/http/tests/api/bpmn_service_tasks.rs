//! BPMN service tasks through the background worker, against a local endpoint: results
//! mapped into fields, retries then a visible error, an endpoint that is down, a wrong
//! result type, and a pending call that survives a restart.

use crate::both;
use crate::helpers::TestApp;
use crate::questetra_events::{call, model, Model};
use axum::routing::post;
use axum::{Json, Router};
use reqwest::Method;
use serde_json::{json, Value};
use sluice_domain::engine::RunState;
use sluice_domain::{DocId, OrgId};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the endpoint received, in order.
type Seen = Arc<Mutex<Vec<Value>>>;

/// A local endpoint: `/ok` answers a ticket, `/fail` a 500, `/bad` a wrong type.
async fn endpoint() -> (String, Seen) {
    let seen: Seen = Default::default();
    let (a, b, c) = (seen.clone(), seen.clone(), seen.clone());
    let app = Router::new()
        .route(
            "/ok",
            post(move |Json(v): Json<Value>| async move {
                a.lock().unwrap().push(v);
                Json(json!({"ticket": {"id": "T-1"}, "n": 5}))
            }),
        )
        .route(
            "/fail",
            post(move |Json(v): Json<Value>| async move {
                b.lock().unwrap().push(v);
                axum::http::StatusCode::INTERNAL_SERVER_ERROR
            }),
        )
        .route(
            "/bad",
            post(move |Json(v): Json<Value>| async move {
                c.lock().unwrap().push(v);
                Json(json!({"ticket": {"id": "T-1"}, "n": "five"}))
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    (url, seen)
}

fn process(url: &str, retries: u32) -> String {
    format!(
        r#"<bpmn:process id="Tickets" name="Tickets">
  <bpmn:extensionElements>
    <sluice:field name="Note" type="UTF8"/>
    <sluice:field name="Ticket" type="UTF8"/>
    <sluice:field name="N" type="INT"/>
  </bpmn:extensionElements>
  <bpmn:startEvent id="Go"><bpmn:messageEventDefinition/></bpmn:startEvent>
  <bpmn:serviceTask id="Open" sluice:method="POST" sluice:url="{url}"
      sluice:bodyFields="Note" sluice:retries="{retries}" sluice:backoff="1">
    <bpmn:extensionElements>
      <sluice:result pointer="/ticket/id" field="Ticket"/>
      <sluice:result pointer="/n" field="N"/>
    </bpmn:extensionElements>
  </bpmn:serviceTask>
  <bpmn:userTask id="Check" name="Check"/>
  <bpmn:endEvent id="End"/>
  <bpmn:sequenceFlow id="f1" sourceRef="Go" targetRef="Open"/>
  <bpmn:sequenceFlow id="f2" sourceRef="Open" targetRef="Check"/>
  <bpmn:sequenceFlow id="f3" sourceRef="Check" targetRef="End"/>
</bpmn:process>"#
    )
}

/// Lets the worker call loopback endpoints and runs it on `app`.
fn worker(app: &TestApp) {
    let mut settings = app.store.rpa_settings();
    settings.callback_allow_private = true;
    app.store.configure_rpa(settings);
    tokio::spawn(sluice_http::service_tasks::run(app.store.clone()));
}

async fn start(app: &TestApp, m: &Model) -> i64 {
    let path = format!(
        "/System/Event/MessageStart/{}/Go/start?key={}&Note=hello",
        m.family,
        m.key("Go")
    );
    let (s, t) = call(app, Method::POST, &path, None, "", None).await;
    assert_eq!(s, 200, "{t}");
    t.parse().unwrap()
}

/// Waits (polling the store, at most 20 s) until the node `key` of case `doc` is done or
/// shows an error; returns the case.
async fn settled(app: &TestApp, m: &Model, doc: i64, key: &str) -> sluice_domain::engine::Case {
    let node = sluice_domain::NodeId(m.import["nodes"][key].as_i64().unwrap());
    for _ in 0..400 {
        let case = app
            .store
            .service_call_case(OrgId(m.org.id), DocId(doc))
            .await
            .unwrap();
        let run = &case.route.nodes[&node];
        if run.state != RunState::Current || run.error.is_some() {
            return case;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the service call never settled");
}

both! {
    async fn a_call_maps_its_results_and_moves_on(app) {
        let (url, seen) = endpoint().await;
        worker(&app);
        let m = model(&app, "SVC", &process(&format!("{url}/ok"), 0)).await;
        let doc = start(&app, &m).await;
        let case = settled(&app, &m, doc, "Open").await;
        let check = sluice_domain::NodeId(m.import["nodes"]["Check"].as_i64().unwrap());
        assert_eq!(case.route.nodes[&check].state, RunState::Current);
        let f = |n: &str| sluice_domain::FieldId(m.field(n).parse().unwrap());
        assert_eq!(case.content[&f("Ticket")].to_json(), json!("T-1"));
        assert_eq!(case.content[&f("N")].to_json(), json!(5));
        assert_eq!(seen.lock().unwrap().clone(), vec![json!({"Note": "hello"})]);
        let shown = crate::omnibpm_document::get(&app, &m.org, doc, m.admin).await;
        assert_eq!(shown["errors"], json!([]));
    }

    async fn failures_are_retried_then_shown(app) {
        let (url, seen) = endpoint().await;
        worker(&app);
        let m = model(&app, "SVF", &process(&format!("{url}/fail"), 1)).await;
        let doc = start(&app, &m).await;
        let case = settled(&app, &m, doc, "Open").await;
        let open = sluice_domain::NodeId(m.import["nodes"]["Open"].as_i64().unwrap());
        let run = &case.route.nodes[&open];
        assert_eq!(run.state, RunState::Current);
        assert!(run.error.as_deref().unwrap().contains("500"), "{:?}", run.error);
        // OmniBPM's document/get shows it (Sluice's `errors` extra).
        let shown = crate::omnibpm_document::get(&app, &m.org, doc, m.admin).await;
        let errors = shown["errors"].as_array().unwrap();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!((errors[0]["node_id"].as_i64(), errors[0]["node_key"].as_str()), (Some(open.0), Some("Open")));
        assert_eq!(errors[0]["error"].as_str(), run.error.as_deref());
        // The first call and one retry, no more.
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(seen.lock().unwrap().len(), 2);
    }

    async fn a_wrong_result_type_and_a_dead_endpoint_fail(app) {
        let (url, _) = endpoint().await;
        worker(&app);
        let m = model(&app, "SVB", &process(&format!("{url}/bad"), 0)).await;
        let doc = start(&app, &m).await;
        let case = settled(&app, &m, doc, "Open").await;
        let open = sluice_domain::NodeId(m.import["nodes"]["Open"].as_i64().unwrap());
        assert!(case.route.nodes[&open].error.as_deref().unwrap().contains("/n"), "{:?}", case.route.nodes[&open].error);
        // Nothing listens on port 9 of loopback.
        let m = model(&app, "SVD", &process("http://127.0.0.1:9/x", 0)).await;
        let doc = start(&app, &m).await;
        let case = settled(&app, &m, doc, "Open").await;
        assert!(case.route.nodes[&open_of(&m)].error.is_some());
    }

    async fn private_addresses_need_the_flag(app) {
        tokio::spawn(sluice_http::service_tasks::run(app.store.clone()));
        let m = model(&app, "SVP", &process("http://127.0.0.1:9/x", 3)).await;
        let doc = start(&app, &m).await;
        let case = settled(&app, &m, doc, "Open").await;
        let error = case.route.nodes[&open_of(&m)].error.clone().unwrap();
        assert!(error.contains("loopback or private"), "{error}");
    }

    async fn a_pending_call_survives_a_restart(app) {
        let (url, seen) = endpoint().await;
        // No worker on the first server: the call waits in the database.
        let m = model(&app, "SVR", &process(&format!("{url}/ok"), 0)).await;
        let doc = start(&app, &m).await;
        let second = app.reopen().await;
        worker(&second);
        let case = settled(&second, &m, doc, "Open").await;
        assert!(case.route.nodes[&open_of(&m)].error.is_none());
        assert_eq!(seen.lock().unwrap().len(), 1);
    }
}

fn open_of(m: &Model) -> sluice_domain::NodeId {
    sluice_domain::NodeId(m.import["nodes"]["Open"].as_i64().unwrap())
}

both! {
    async fn a_stopped_case_is_not_called(app) {
        let (url, seen) = endpoint().await;
        let m = model(&app, "STP", &process(&format!("{url}/ok"), 0)).await;
        // The case waits at the service task; no worker runs yet.
        let doc = start(&app, &m).await;
        assert!(app.store.next_service_call().await.unwrap().is_some());
        // Stopped through Questetra by the organization's own client (not document/cancel).
        let q = crate::questetra::org_client(&app, &m.org).await;
        q.post_ok("/API/OR/ProcessInstance/stop", &[("processInstanceId", &doc.to_string())]).await;
        worker(&app);
        for _ in 0..400 {
            if app.store.next_service_call().await.unwrap().is_none() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(app.store.next_service_call().await.unwrap().is_none(), "the stale call was not dropped");
        assert!(seen.lock().unwrap().is_empty(), "a stopped case was called");
    }
}

both! {
    async fn a_stale_worker_cannot_record_over_a_newer_attempt(app) {
        // No worker runs: the test plays two workers through the store's calls.
        let m = model(&app, "SVS", &process("http://127.0.0.1:9/x", 3)).await;
        let doc = start(&app, &m).await;
        let store = &app.store;
        // To the microsecond, as PostgreSQL keeps times.
        let now = chrono::SubsecRound::trunc_subsecs(chrono::Utc::now(), 6) + chrono::Duration::seconds(1);
        let due = store.due_service_calls(now, 10).await.unwrap();
        let lease = Duration::from_secs(60);
        let slow = store.claim_service_call(&due[0], now, lease).await.unwrap().expect("claimed");
        // The slow worker's lease runs out and another worker claims the call again.
        let later = now + chrono::Duration::seconds(61);
        let due = store.due_service_calls(later, 10).await.unwrap();
        let fresh = store.claim_service_call(&due[0], later, lease).await.unwrap().expect("claimed again");
        assert_eq!((slow.doc.0, slow.attempt, fresh.attempt), (doc, 1, 2));
        // Whatever the slow worker reports now is refused and changes nothing.
        let ticket = sluice_domain::FieldId(m.field("Ticket").parse().unwrap());
        let values = |t: &str| {
            let v = sluice_domain::workflow::FieldValue::parse_text(sluice_domain::workflow::DataType::Utf8, "Ticket", t).unwrap();
            sluice_domain::engine::Values::from([(ticket, v)])
        };
        let conflict = |r: &sluice_store::Result<()>| {
            matches!(r, Err(sluice_store::Error::Domain(sluice_domain::Error::Conflict(_))))
        };
        let late = store.service_call_succeeded(&slow, values("T-late")).await.map(|_| ());
        assert!(conflict(&late), "{late:?}");
        let retry = store.service_call_failed(&slow, "late failure", Some(later + chrono::Duration::hours(1))).await;
        assert!(conflict(&retry), "{retry:?}");
        let fail = store.service_call_failed(&slow, "late failure", None).await;
        assert!(conflict(&fail), "{fail:?}");
        store.drop_service_call(&slow).await.unwrap();
        let case = store.service_call_case(OrgId(m.org.id), DocId(doc)).await.unwrap();
        let run = &case.route.nodes[&open_of(&m)];
        assert_eq!((run.state, run.error.as_deref(), case.version), (RunState::Current, None, 1));
        assert!(!case.content.contains_key(&ticket));
        // The call is still pending for the newer attempt (its lease, not the late retry),
        // whose answer is recorded.
        assert_eq!(store.next_service_call().await.unwrap(), Some(later + chrono::Duration::from_std(lease).unwrap()));
        store.service_call_succeeded(&fresh, values("T-2")).await.expect("the newer attempt");
        let case = store.service_call_case(OrgId(m.org.id), DocId(doc)).await.unwrap();
        assert_eq!(case.content[&ticket].to_json(), json!("T-2"));
        assert_eq!(case.route.nodes[&open_of(&m)].state, RunState::Complete);
    }
}
