//! Questetra's HTTP-triggered events (`/System/Event/...`, `/System/ReceiveTask/...`): the
//! four forms, parameter mapping, keys (a wrong one answers like an unknown model),
//! idempotent starts (also racing), receives at a case not waiting, bad bodies.

use crate::both;
use crate::bpmn_import::{activate, import_ok, wrap};
use crate::helpers::{Org, TestApp};
use crate::omnibpm_document::{get, Co};
use crate::plusworkflow_client::{admin, native};
use reqwest::Method;
use serde_json::Value;

pub const ORDERS: &str = r#"<bpmn:process id="Orders" name="Orders">
  <bpmn:extensionElements>
    <sluice:field name="Amount" type="INT"/>
    <sluice:field name="Note" type="UTF8"/>
    <sluice:field name="Payload" type="UTF8"/>
  </bpmn:extensionElements>
  <bpmn:startEvent id="FromShop" sluice:bodyField="Payload">
    <bpmn:extensionElements><sluice:parameter name="amount" field="Amount"/></bpmn:extensionElements>
    <bpmn:messageEventDefinition/>
  </bpmn:startEvent>
  <bpmn:receiveTask id="Paid" sluice:bodyField="Payload"/>
  <bpmn:userTask id="Check" name="Check"/>
  <bpmn:endEvent id="End"/>
  <bpmn:sequenceFlow id="f1" sourceRef="FromShop" targetRef="Paid"/>
  <bpmn:sequenceFlow id="f2" sourceRef="Paid" targetRef="Check"/>
  <bpmn:sequenceFlow id="f3" sourceRef="Check" targetRef="End"/>
</bpmn:process>"#;

/// An imported, active model with its keys.
#[allow(dead_code)]
pub struct Model {
    pub org: Org,
    pub admin: i64,
    pub token: String,
    pub wf: i64,
    pub family: i64,
    pub import: Value,
    pub keys: Value,
}

impl Model {
    pub fn key(&self, node: &str) -> String {
        self.keys
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["bpmn_key"] == node)
            .unwrap_or_else(|| panic!("no key for {node}: {}", self.keys))["key"]
            .as_str()
            .unwrap()
            .to_string()
    }

    pub fn field(&self, name: &str) -> String {
        self.import["fields"][name].as_i64().unwrap().to_string()
    }
}

/// Imports `process` into a new organization `abbr`, activates it and lists its keys.
pub async fn model(app: &TestApp, abbr: &str, process: &str) -> Model {
    let co = Co::new(app, abbr).await;
    let (admin_id, token) = admin(app, &co.org, "root").await;
    let import = import_ok(app, &token, &wrap(process)).await;
    let wf = import["id"].as_i64().unwrap();
    activate(app, &co.org, wf).await;
    let r = native(
        app,
        Method::GET,
        Some(&token),
        &format!("workflows/{wf}/event-keys"),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    Model {
        org: co.org,
        admin: admin_id,
        token,
        wf,
        family: import["family_id"].as_i64().unwrap(),
        import,
        keys: r.body,
    }
}

/// A request to `path`: status and body text.
pub async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    content_type: Option<&str>,
    body: impl Into<Vec<u8>>,
    idempotency: Option<&str>,
) -> (u16, String) {
    let mut req = app.client.request(method, format!("{}{path}", app.url));
    if let Some(c) = content_type {
        req = req.header("content-type", c);
    }
    if let Some(k) = idempotency {
        req = req.header("idempotency-key", k);
    }
    let res = req.body(body.into()).send().await.expect("request");
    (res.status().as_u16(), res.text().await.unwrap_or_default())
}

const FORM: Option<&str> = Some("application/x-www-form-urlencoded");

/// Starts a case through the webhook form; returns its id.
pub async fn start_webhook(app: &TestApp, m: &Model, node: &str, body: &str) -> i64 {
    let path = format!(
        "/System/Event/MessageStartHttp/{}/{node}/{}/start",
        m.family,
        m.key(node)
    );
    let (s, t) = call(
        app,
        Method::POST,
        &path,
        Some("application/json"),
        body,
        None,
    )
    .await;
    assert_eq!(s, 200, "{t}");
    t.parse().unwrap_or_else(|_| panic!("not an id: {t}"))
}

fn error_type(body: &str) -> (String, String) {
    let v: Value = serde_json::from_str(body).unwrap_or_else(|_| panic!("not JSON: {body}"));
    let e = &v["errors"][0];
    (
        e["type"].as_str().unwrap_or_default().to_string(),
        e["message"].as_str().unwrap_or_default().to_string(),
    )
}

both! {
    async fn message_starts_map_parameters_and_webhook_bodies(app) {
        let m = model(&app, "EVT", ORDERS).await;
        let (amount, note, payload) = (m.field("Amount"), m.field("Note"), m.field("Payload"));
        // HTTP form: the key and parameters in a form body; unknown parameters are ignored.
        let path = format!("/System/Event/MessageStart/{}/FromShop/start", m.family);
        let body = format!("key={}&amount=12&Note=ignored-by-mapping&junk=1", m.key("FromShop"));
        let (s, t) = call(&app, Method::POST, &path, FORM, body, None).await;
        assert_eq!(s, 200, "{t}");
        let doc: i64 = t.parse().unwrap();
        let d = get(&app, &m.org, doc, m.admin).await;
        let content = &d["field_content"];
        assert_eq!(content[&amount], 12, "{d}");
        assert!(content[&note].is_null() || content[&note] == "", "{d}");
        // The same through the query string (GET), by numeric node id.
        let node = m.import["nodes"]["FromShop"].as_i64().unwrap();
        let path = format!("/System/Event/MessageStart/{}/{node}/start?key={}&amount=7", m.family, m.key("FromShop"));
        let (s, t) = call(&app, Method::GET, &path, None, "", None).await;
        assert_eq!(s, 200, "{t}");
        // A value that is not an INT is refused.
        let path = format!("/System/Event/MessageStart/{}/FromShop/start", m.family);
        let (s, t) = call(&app, Method::POST, &path, FORM, format!("key={}&amount=many", m.key("FromShop")), None).await;
        assert_eq!(s, 400, "{t}");
        // Webhook form: the raw JSON body in the body field.
        let doc = start_webhook(&app, &m, "FromShop", r#"{"order": 5}"#).await;
        let d = get(&app, &m.org, doc, m.admin).await;
        assert_eq!(d["field_content"][&payload], r#"{"order": 5}"#, "{d}");
        // Multipart and other body types are refused.
        let (s, t) = call(&app, Method::POST, &path, Some("application/json"), "{}", None).await;
        assert_eq!(s, 400, "{t}");
    }

    async fn a_wrong_key_answers_like_an_unknown_model(app) {
        let m = model(&app, "EVK", ORDERS).await;
        let key = m.key("FromShop");
        let paths = [
            format!("/System/Event/MessageStart/{}/FromShop/start?key=slu_evt_wrong", m.family),
            format!("/System/Event/MessageStart/{}/FromShop/start", m.family),
            format!("/System/Event/MessageStart/99999/FromShop/start?key={key}"),
            format!("/System/Event/MessageStart/x/FromShop/start?key={key}"),
            format!("/System/Event/MessageStart/{}/Nope/start?key={key}", m.family),
            // The receive task's key does not start cases.
            format!("/System/Event/MessageStart/{}/Paid/start?key={}", m.family, m.key("Paid")),
        ];
        let mut answers = vec![];
        for p in &paths {
            let (s, t) = call(&app, Method::POST, p, None, "", None).await;
            answers.push((s, t));
        }
        let first = answers[0].clone();
        assert_eq!(first.0, 400, "{}", first.1);
        for a in &answers {
            assert_eq!(a, &first);
        }
        let (s, t) = call(&app, Method::POST, &format!("/System/Event/MessageStartHttp/{}/FromShop/slu_evt_x/start", m.family), None, "{}", None).await;
        assert_eq!((s, t), first);
        // Another organization's model with this organization's key: the same.
        let other = model(&app, "EVO", ORDERS).await;
        let (s, t) = call(&app, Method::POST, &format!("/System/Event/MessageStart/{}/FromShop/start?key={key}", other.family), None, "", None).await;
        assert_eq!((s, t), first);
        // Only GET and POST.
        let (s, _) = call(&app, Method::DELETE, &format!("/System/Event/MessageStart/{}/FromShop/start?key={key}", m.family), None, "", None).await;
        assert_eq!(s, 405);
    }

    async fn idempotent_starts_give_one_case(app) {
        let m = model(&app, "EVI", ORDERS).await;
        let path = format!("/System/Event/MessageStartHttp/{}/FromShop/{}/start", m.family, m.key("FromShop"));
        let (s1, a) = call(&app, Method::POST, &path, None, "{}", Some("order-1")).await;
        let (s2, b) = call(&app, Method::POST, &path, None, "{}", Some("order-1")).await;
        assert_eq!((s1, s2), (200, 200));
        assert_eq!(a, b);
        let (_, c) = call(&app, Method::POST, &path, None, "{}", Some("order-2")).await;
        assert_ne!(a, c);
        // Racing retries.
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..8 {
            let (client, url) = (app.client.clone(), format!("{}{path}", app.url));
            set.spawn(async move {
                let r = client.post(url).header("idempotency-key", "race").body("{}").send().await.unwrap();
                (r.status().as_u16(), r.text().await.unwrap())
            });
        }
        // Every racer gets the one case (a loser waits for the winner's transaction).
        let mut ids = std::collections::BTreeSet::new();
        while let Some(r) = set.join_next().await {
            let (s, t) = r.unwrap();
            assert_eq!(s, 200, "{t}");
            ids.insert(t);
        }
        let (s, t) = call(&app, Method::POST, &path, None, "{}", Some("race")).await;
        assert_eq!(s, 200, "{t}");
        ids.insert(t);
        assert_eq!(ids.len(), 1, "{ids:?}");
        // A key over 200 characters is refused.
        let (s, _) = call(&app, Method::POST, &path, None, "{}", Some(&"k".repeat(201))).await;
        assert_eq!(s, 400);
    }

    async fn receives_move_only_a_waiting_case(app) {
        let m = model(&app, "EVR", ORDERS).await;
        let (note, payload) = (m.field("Note"), m.field("Payload"));
        let a = start_webhook(&app, &m, "FromShop", "{}").await;
        let b = start_webhook(&app, &m, "FromShop", "{}").await;
        // HTTP form, parameters by field name (the receive task maps none).
        let path = format!("/System/ReceiveTask/HttpPost/{}/Paid/receive", m.family);
        let body = format!("key={}&processInstanceId={a}&Note=paid", m.key("Paid"));
        let (s, t) = call(&app, Method::POST, &path, FORM, body.clone(), None).await;
        assert_eq!((s, t.as_str()), (200, ""));
        let d = get(&app, &m.org, a, m.admin).await;
        assert_eq!(d["field_content"][&note], "paid", "{d}");
        // Case a no longer waits: a clear error, nothing changes.
        let version = d["latest_version"].clone();
        let (s, t) = call(&app, Method::POST, &path, FORM, body.replace("paid", "again"), None).await;
        assert_eq!(s, 400, "{t}");
        assert!(error_type(&t).1.contains("not waiting"), "{t}");
        let d = get(&app, &m.org, a, m.admin).await;
        assert_eq!((d["latest_version"].clone(), d["field_content"][&note].clone()), (version, "paid".into()), "{d}");
        // Webhook form into case b.
        let path = format!("/System/ReceiveTask/Http/{}/Paid/{b}/{}/receive", m.family, m.key("Paid"));
        let (s, t) = call(&app, Method::POST, &path, None, r#"[1,2]"#, None).await;
        assert_eq!(s, 200, "{t}");
        let d = get(&app, &m.org, b, m.admin).await;
        assert_eq!(d["field_content"][&payload], "[1,2]", "{d}");
        // No processInstanceId; an unknown case answers like a wrong key.
        let (s, t) = call(&app, Method::POST, &format!("/System/ReceiveTask/HttpPost/{}/Paid/receive?key={}", m.family, m.key("Paid")), None, "", None).await;
        assert_eq!(s, 400, "{t}");
        let unknown = call(&app, Method::POST, &format!("/System/ReceiveTask/Http/{}/Paid/424242/{}/receive", m.family, m.key("Paid")), None, "{}", None).await;
        let wrong = call(&app, Method::POST, &format!("/System/ReceiveTask/Http/{}/Paid/{b}/slu_evt_x/receive", m.family), None, "{}", None).await;
        assert_eq!(unknown.0, 400);
        assert_eq!(unknown, wrong);
    }

    async fn bad_bodies_are_refused_and_change_nothing(app) {
        let m = model(&app, "EVB", ORDERS).await;
        let path = format!("/System/Event/MessageStartHttp/{}/FromShop/{}/start", m.family, m.key("FromShop"));
        for body in [&b"not json"[..], b"{\"a\":", b"\xff\xfe"] {
            let (s, t) = call(&app, Method::POST, &path, None, body.to_vec(), None).await;
            assert_eq!(s, 400, "{t}");
            assert_eq!(error_type(&t).0, "Validation", "{t}");
        }
        let big = format!("\"{}\"", "x".repeat(1024 * 1024 + 1));
        let (s, _) = call(&app, Method::POST, &path, None, big, None).await;
        assert_eq!(s, 400);
        let form = format!("/System/Event/MessageStart/{}/FromShop/start", m.family);
        let (s, _) = call(&app, Method::POST, &form, FORM, format!("key={}&amount={}", m.key("FromShop"), "1".repeat(1024 * 1024)), None).await;
        assert_eq!(s, 400);
        let list = app.ok(&m.org, "document/list", serde_json::json!({"current_user": {"__id__": m.admin}, "all_document": true})).await;
        assert_eq!(list["processing"].as_array().map(Vec::len), Some(0), "{list}");
    }
}

both! {
    async fn a_retry_after_a_new_release_answers_the_first_case(app) {
        let m = model(&app, "EVN", ORDERS).await;
        let path = format!("/System/Event/MessageStartHttp/{}/FromShop/{}/start", m.family, m.key("FromShop"));
        let (s, first) = call(&app, Method::POST, &path, None, "{}", Some("order-7")).await;
        assert_eq!(s, 200, "{first}");
        // The model is released again: a new active version with new node ids, the same keys.
        let v2 = import_ok(&app, &m.token, &wrap(ORDERS)).await;
        assert_eq!(v2["family_id"].as_i64(), Some(m.family), "{v2}");
        assert_ne!(v2["nodes"]["FromShop"], m.import["nodes"]["FromShop"], "{v2}");
        activate(&app, &m.org, v2["id"].as_i64().unwrap()).await;
        // The external system retries with the same key: the same case, no second one.
        let (s, again) = call(&app, Method::POST, &path, None, "{}", Some("order-7")).await;
        assert_eq!((s, &again), (200, &first));
        let list = app.ok(&m.org, "document/list", serde_json::json!({"current_user": {"__id__": m.admin}, "all_document": true})).await;
        assert_eq!(list["processing"].as_array().map(Vec::len), Some(1), "{list}");
        // A new key starts a case of the new version; the first case, of the old version,
        // still receives at its own version's task.
        let (s, second) = call(&app, Method::POST, &path, None, "{}", Some("order-8")).await;
        assert_eq!(s, 200, "{second}");
        assert_ne!(second, first);
        let d = get(&app, &m.org, second.parse().unwrap(), m.admin).await;
        assert_eq!(d["workflow"]["__id__"], v2["id"], "{d}");
        let receive = format!("/System/ReceiveTask/Http/{}/Paid/{first}/{}/receive", m.family, m.key("Paid"));
        let (s, t) = call(&app, Method::POST, &receive, None, "{}", None).await;
        assert_eq!(s, 200, "{t}");
        let d = get(&app, &m.org, first.parse().unwrap(), m.admin).await;
        assert_eq!(d["workflow"]["__id__"].as_i64(), Some(m.wf), "{d}");
        assert_eq!(d["latest_version"], 2, "{d}");
    }
}
