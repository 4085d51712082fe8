//! Questetra ProcessInstance (`/API/OR/ProcessInstance/*`, `/API/PE/ProcessInstance/start`)
//! over Sluice's cases, on both backends.

use crate::both;
use crate::helpers::TestApp;
use crate::omnibpm_document::{perms, two_steps, Co};
use crate::questetra::{add_quser, error_of, org_client, Auth, Q};
use base64::Engine;
use serde_json::{json, Value};

/// An organization with a two-step model (the starter applies, Bob approves) that every
/// user may start, and users Alice, Bob, Carol and Dave (password `secret-pw1`).
pub struct World<'a> {
    pub co: Co,
    pub client: Q<'a>,
    pub family: i64,
    pub apply: i64,
    pub approve: i64,
    pub users: Vec<i64>,
}

impl<'a> World<'a> {
    pub async fn new(app: &'a TestApp, abbr: &str) -> World<'a> {
        let co = Co::new(app, abbr).await;
        let client = org_client(app, &co.org).await;
        let mut users = Vec::new();
        for name in ["Alice", "Bob", "Carol", "Dave"] {
            let email = format!("{}@example.com", name.to_lowercase());
            users.push(add_quser(&client, name, &email).await);
        }
        let (wf, apply, approve) = two_steps(app, &co.org, "Expense", users[1]).await;
        perms(app, &co, wf, json!({})).await;
        let models = client.get_ok("/API/Admin/ProcessModel/list", &[]).await;
        let family = models["processModelInfos"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["processModelInfoName"] == "Expense")
            .expect("the model")["processModelInfoId"]
            .as_i64()
            .unwrap();
        World {
            co,
            client,
            family,
            apply,
            approve,
            users,
        }
    }

    /// A user's client by name (lower case).
    pub fn as_(&self, login: &str) -> Q<'a> {
        self.client.as_(Auth::Basic(
            format!("{login}@{}", self.co.org.abbr),
            "secret-pw1".into(),
        ))
    }

    /// Starts a case as `login`; returns its id.
    pub async fn start(&self, login: &str, title: &str) -> i64 {
        self.start_at(login, self.family, self.apply, title).await["processInstanceId"]
            .as_i64()
            .expect("id")
    }

    /// Starts a case of model `family` at start node `node` as `login`; returns the answer's
    /// `workitem`.
    pub async fn start_at(&self, login: &str, family: i64, node: i64, title: &str) -> Value {
        let v = self
            .as_(login)
            .post_ok(
                "/API/PE/ProcessInstance/start",
                &[
                    ("processModelInfoId", &family.to_string()),
                    ("nodeNumber", &node.to_string()),
                    ("title", title),
                ],
            )
            .await;
        v["workitem"].clone()
    }
}

/// The ids of a ProcessInstanceList, in order.
pub fn ids(v: &Value) -> Vec<i64> {
    v["processInstances"]
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {v}"))
        .iter()
        .map(|p| p["processInstanceId"].as_i64().unwrap())
        .collect()
}

/// A GET answered as bytes, with its content type.
pub async fn raw_get(q: &Q<'_>, path: &str, params: &[(&str, &str)]) -> (u16, String, Vec<u8>) {
    let mut req = q
        .app
        .client
        .get(format!("{}{path}", q.app.url))
        .query(params);
    req = match &q.auth {
        Auth::Bearer(t) => req.bearer_auth(t),
        Auth::Basic(u, p) => req.header(
            "authorization",
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"))
            ),
        ),
        Auth::Nothing => req,
    };
    let res = req.send().await.expect("request");
    let status = res.status().as_u16();
    let ct = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, ct, res.bytes().await.expect("body").to_vec())
}

const LIST: &str = "/API/OR/ProcessInstance/list";

fn crit(inner: &str) -> String {
    format!("<process-instance-criteria>{inner}</process-instance-criteria>")
}

both! {
    async fn start_view_and_who_sees_a_case(app) {
        let w = World::new(&app, "QPI").await;
        let alice = w.as_("alice");
        let v = alice.post_ok("/API/PE/ProcessInstance/start", &[
            ("processModelInfoId", &w.family.to_string()),
            ("nodeNumber", &w.apply.to_string()),
            ("title", "Taxi"),
        ]).await;
        let wi = &v["workitem"];
        let id = wi["processInstanceId"].as_i64().unwrap();
        assert_eq!(wi["nodeNumber"], w.apply);
        assert_eq!(wi["nodeName"], "Apply");
        assert_eq!(wi["state"], "ALLOCATED");
        assert_eq!(wi["processModelInfoId"], w.family);
        assert_eq!(wi["processInstanceTitle"], "Taxi");
        assert_eq!(wi["allocatedQuserId"], w.users[0]);
        assert!(wi["id"].as_i64().unwrap() > 0);

        let pi = alice.get_ok("/API/OR/ProcessInstance/view", &[("processInstanceId", &id.to_string())]).await;
        let pi = &pi["processInstance"];
        assert_eq!(pi["processInstanceId"], id);
        assert_eq!(pi["processInstanceState"], "STARTED");
        assert_eq!(pi["processInstanceInitQuserId"], w.users[0]);
        assert_eq!(pi["processInstanceInitQuserName"], "Alice");
        assert_eq!(pi["processModelInfoName"], "Expense");
        assert!(pi["processModelVersion"].is_i64());
        assert_eq!(pi["activeTokenNodeName"], json!(["Apply"]));
        assert_eq!(pi["starred"], false);
        assert!(pi["processInstanceEndDatetime"].is_null());
        assert!(pi["data"].is_object());
        assert!(pi["processInstanceStartDatetime"].as_str().unwrap().ends_with("+0000"));

        // Alice and the organization's client see it; Bob (not yet asked), Carol do not.
        assert_eq!(ids(&alice.get_ok(LIST, &[]).await), vec![id]);
        assert_eq!(ids(&w.client.get_ok(LIST, &[]).await), vec![id]);
        assert_eq!(w.as_("bob").get_ok(LIST, &[]).await["count"], 0);
        let carol = w.as_("carol");
        assert_eq!(carol.get_ok(LIST, &[]).await, json!({"count": 0, "processInstances": []}));
        let (code, _, input) = carol.get_err("/API/OR/ProcessInstance/view", &[("processInstanceId", &id.to_string())]).await;
        assert_eq!((code.as_str(), input), ("10000", json!("processInstanceId")));

        // A data viewer sees every case with its data; a progress viewer without it.
        w.client.post_ok("/API/Admin/ProcessAuthority/addToQuser", &[
            ("processModelInfoId", &w.family.to_string()), ("type", "2"), ("quserId", &w.users[2].to_string())]).await;
        w.client.post_ok("/API/Admin/ProcessAuthority/addToQuser", &[
            ("processModelInfoId", &w.family.to_string()), ("type", "3"), ("quserId", &w.users[3].to_string())]).await;
        assert_eq!(ids(&carol.get_ok(LIST, &[]).await), vec![id]);
        let v = carol.get_ok("/API/OR/ProcessInstance/view", &[("processInstanceId", &id.to_string())]).await;
        assert!(v["processInstance"]["data"].is_object());
        let v = w.as_("dave").get_ok("/API/OR/ProcessInstance/view", &[("processInstanceId", &id.to_string())]).await;
        assert!(v["processInstance"].get("data").is_none(), "{v}");
        assert_eq!(v["processInstance"]["activeTokenNodeName"], json!(["Apply"]));
    }

    async fn start_refusals(app) {
        let w = World::new(&app, "QPS").await;
        let alice = w.as_("alice");
        let fam = w.family.to_string();
        // A node that is not a start node.
        let (code, _, input) = alice.post_err("/API/PE/ProcessInstance/start",
            &[("processModelInfoId", &fam), ("nodeNumber", &w.approve.to_string())]).await;
        assert_eq!((code.as_str(), input), ("10000", json!("nodeNumber")));
        // Unknown model, missing and bad parameters.
        let (_, _, input) = alice.post_err("/API/PE/ProcessInstance/start",
            &[("processModelInfoId", "999999"), ("nodeNumber", "1")]).await;
        assert_eq!(input, json!("processModelInfoId"));
        let (_, _, input) = alice.post_err("/API/PE/ProcessInstance/start", &[("processModelInfoId", &fam)]).await;
        assert_eq!(input, json!("nodeNumber"));
        let (_, _, input) = alice.post_err("/API/PE/ProcessInstance/start",
            &[("processModelInfoId", "x"), ("nodeNumber", "1")]).await;
        assert_eq!(input, json!("processModelInfoId"));
        // The organization's client is no user; no credentials; GET.
        let (s, v) = w.client.post("/API/PE/ProcessInstance/start",
            &[("processModelInfoId", &fam), ("nodeNumber", &w.apply.to_string())]).await;
        assert_eq!((s, error_of(&v).0.as_str()), (403, "403"));
        let (s, _) = alice.as_(Auth::Nothing).post("/API/PE/ProcessInstance/start", &[]).await;
        assert_eq!(s, 401);
        let (s, _) = alice.get("/API/PE/ProcessInstance/start", &[]).await;
        assert_eq!(s, 405);
        // A stopped model starts nothing.
        w.client.post_ok(&format!("/API/PMM/ProcessModel/{fam}/stop"), &[]).await;
        let (_, _, input) = alice.post_err("/API/PE/ProcessInstance/start",
            &[("processModelInfoId", &fam), ("nodeNumber", &w.apply.to_string())]).await;
        assert_eq!(input, json!("processModelInfoId"));
        assert_eq!(w.client.get_ok(LIST, &[]).await["count"], 0);
    }

    async fn criteria_filter_sort_and_refuse(app) {
        let w = World::new(&app, "QPC").await;
        let a = w.start("alice", "Taxi to airport").await;
        let b = w.start("alice", "Hotel").await;
        let c = w.start("carol", "Taxi home").await;
        let q = &w.client;
        assert_eq!(ids(&q.get_ok(LIST, &[]).await), vec![c, b, a]);
        let get = |x: String| async move { ids(&q.get_ok(LIST, &[("criteria", &x)]).await) };
        assert_eq!(get(crit("<title>taxi</title>")).await, vec![c, a]);
        // The organization's client is nobody: #me is refused.
        let (_, _, input) = q.get_err(LIST, &[("criteria", &crit("<init-quser-id>#me</init-quser-id>"))]).await;
        assert_eq!(input, json!("criteria"));
        assert_eq!(w.as_("alice").get_ok(LIST, &[("criteria", &crit("<init-quser-id>#me</init-quser-id>"))]).await["count"], 2);
        assert_eq!(get(crit(&format!("<init-quser-id>{}</init-quser-id>", w.users[2]))).await, vec![c]);
        assert_eq!(get(crit(&format!("<process-model-info-id>{}</process-model-info-id>", w.family))).await.len(), 3);
        assert_eq!(get(crit("<process-model-info-id>999999</process-model-info-id>")).await.len(), 0);
        assert_eq!(get(crit("<states><state>STARTED</state></states>")).await.len(), 3);
        assert_eq!(get(crit("<states><state>ENDED</state><state>FAILED</state></states>")).await.len(), 0);
        assert_eq!(get(crit("<sort-property>processInstanceId</sort-property><sort-direction>ASC</sort-direction>")).await, vec![a, b, c]);
        assert_eq!(get(crit("<sort-property>processInstanceTitle</sort-property><sort-direction>asc</sort-direction>")).await, vec![b, c, a]);
        assert_eq!(get(crit("<start-date-from>#today</start-date-from>")).await.len(), 3);
        assert_eq!(get(crit("<start-date-to>2001-01-01</start-date-to>")).await.len(), 0);
        assert_eq!(get(crit("<start-date-from>2001-01-01</start-date-from><start-date-to>#now</start-date-to>")).await.len(), 3);
        assert_eq!(get(crit("<end-date-from>2001-01-01</end-date-from>")).await.len(), 0);
        // XML with a prolog, a comment and an entity.
        assert_eq!(get(format!("<?xml version=\"1.0\"?><!-- x -->{}", crit("<title>Taxi &amp;</title>"))).await.len(), 0);
        // Refusals name `criteria`.
        for bad in [
            crit("<color>red</color>"),
            crit("<states><state>RUNNING</state></states>"),
            crit("<start-date-from>yesterday</start-date-from>"),
            crit("<sort-property>price</sort-property>"),
            crit("<data>1</data>"),
            crit("<title>x</titl>"),
            crit("<title>a&#0;b</title>"),
            "<workitem-criteria/>".into(),
            "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><process-instance-criteria>&e;</process-instance-criteria>".into(),
            "not xml".into(),
            format!("{}{}", "<a>".repeat(50), "</a>".repeat(50)),
        ] {
            let (code, _, input) = q.get_err(LIST, &[("criteria", &bad)]).await;
            assert_eq!((code.as_str(), input), ("10000", json!("criteria")), "{bad:.80}");
        }
    }

    async fn paging_and_csv(app) {
        let w = World::new(&app, "QPP").await;
        let mut all = Vec::new();
        for i in 0..5 {
            all.push(w.start("alice", &format!("Case {i}")).await);
        }
        all.reverse();
        let q = &w.client;
        let v = q.get_ok(LIST, &[("limit", "2"), ("start", "1")]).await;
        assert_eq!(v["count"], 5);
        assert_eq!(ids(&v), all[1..3].to_vec());
        assert_eq!(ids(&q.get_ok(LIST, &[("limit", "2"), ("start", "4")]).await), all[4..].to_vec());
        assert_eq!(ids(&q.get_ok(LIST, &[("limit", "0")]).await), Vec::<i64>::new());
        let (code, _, _) = q.get_err(LIST, &[("limit", "1001")]).await;
        assert_eq!(code, "10013");
        let (code, _, _) = q.get_err(LIST, &[("start", "-1")]).await;
        assert_eq!(code, "10012");

        // A title a spreadsheet would run, and one with a comma and a quote.
        let f = w.start("alice", "=SUM(A1)").await;
        let g = w.start("alice", "Lunch, \"team\"").await;
        let (s, ct, body) = raw_get(q, "/API/OR/ProcessInstance/listCsv", &[("limit", "3")]).await;
        assert_eq!(s, 200);
        assert!(ct.starts_with("text/csv"), "{ct}");
        let text = String::from_utf8(body).unwrap();
        let lines: Vec<&str> = text.split("\r\n").collect();
        assert_eq!(lines.len(), 5, "{text}"); // header, 3 rows, and the final CRLF
        assert!(lines[0].starts_with("processInstanceId,processInstanceIdForView,processInstanceTitle,"));
        assert!(lines[1].starts_with(&format!("{g},")) && lines[1].contains(",\"Lunch, \"\"team\"\"\","), "{}", lines[1]);
        assert!(lines[2].starts_with(&format!("{f},")) && lines[2].contains(",'=SUM(A1),"), "{}", lines[2]);
        let (s, ct, body) = raw_get(q, "/API/OR/ProcessInstance/listCsvUtf16", &[("limit", "3")]).await;
        assert_eq!(s, 200);
        assert!(ct.contains("UTF-16LE"), "{ct}");
        assert_eq!(&body[..2], &[0xFF, 0xFE]);
        let units: Vec<u16> = body[2..].chunks(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
        assert_eq!(String::from_utf16(&units).unwrap(), text);
        // CSV refusals are in the Errors form.
        let (s, ct, body) = raw_get(q, "/API/OR/ProcessInstance/listCsv", &[("criteria", "<x/>")]).await;
        assert_eq!(s, 400);
        assert!(ct.starts_with("application/json"));
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(error_of(&v).2, json!("criteria"));
    }

    async fn stars_stop_and_delete(app) {
        let w = World::new(&app, "QPD").await;
        let a = w.start("alice", "A").await;
        let b = w.start("alice", "B").await;
        let alice = w.as_("alice");
        let star = |id: i64, op: &str| format!("/API/OR/ProcessInstance/{id}/Star/{op}");
        alice.post_ok(&star(a, "add"), &[]).await;
        alice.post_ok(&star(a, "add"), &[]).await;
        let v = alice.get_ok(LIST, &[("criteria", &crit("<starred>true</starred>"))]).await;
        assert_eq!(ids(&v), vec![a]);
        assert_eq!(v["processInstances"][0]["starred"], true);
        assert_eq!(ids(&alice.get_ok(LIST, &[("criteria", &crit("<starred>false</starred>"))]).await), vec![b]);
        // Stars are the user's own.
        assert_eq!(w.client.get_ok(LIST, &[]).await["processInstances"][1]["starred"], false);
        alice.post_ok(&star(a, "remove"), &[]).await;
        assert_eq!(alice.get_ok(LIST, &[("criteria", &crit("<starred>true</starred>"))]).await["count"], 0);
        let (_, _, input) = w.as_("carol").post_err(&star(a, "add"), &[]).await;
        assert_eq!(input, json!("processInstanceId"));
        let (_, _, input) = alice.post_err("/API/OR/ProcessInstance/x/Star/add", &[]).await;
        assert_eq!(input, json!("processInstanceId"));

        // Stop: not Bob (he only approves later), then Alice; not twice.
        let id = |x: i64| x.to_string();
        let (s, _) = w.as_("bob").post("/API/OR/ProcessInstance/stop", &[("processInstanceId", &id(a))]).await;
        assert_eq!(s, 400); // Bob does not see the case yet
        alice.post_ok("/API/OR/ProcessInstance/stop", &[("processInstanceId", &id(a))]).await;
        let v = alice.get_ok("/API/OR/ProcessInstance/view", &[("processInstanceId", &id(a))]).await;
        assert_eq!(v["processInstance"]["processInstanceState"], "FAILED");
        assert!(v["processInstance"]["processInstanceEndDatetime"].is_string());
        assert_eq!(v["processInstance"]["activeTokenNodeName"], json!([]));
        let (_, _, input) = alice.post_err("/API/OR/ProcessInstance/stop", &[("processInstanceId", &id(a))]).await;
        assert_eq!(input, json!("processInstanceId"));
        assert_eq!(ids(&alice.get_ok(LIST, &[("criteria", &crit("<states><state>FAILED</state></states>"))]).await), vec![a]);
        // A data viewer may not stop; a process manager may.
        let fam = w.family.to_string();
        w.client.post_ok("/API/Admin/ProcessAuthority/addToQuser", &[("processModelInfoId", &fam), ("type", "2"), ("quserId", &id(w.users[2]))]).await;
        w.client.post_ok("/API/Admin/ProcessAuthority/addToQuser", &[("processModelInfoId", &fam), ("type", "1"), ("quserId", &id(w.users[3]))]).await;
        let (s, v) = w.as_("carol").post("/API/OR/ProcessInstance/stop", &[("processInstanceId", &id(b))]).await;
        assert_eq!((s, error_of(&v).0.as_str()), (403, "403"));
        w.as_("dave").post_ok("/API/OR/ProcessInstance/stop", &[("processInstanceId", &id(b))]).await;
        // OmniBPM agrees: the case is cancelled.
        let doc = app.ok(&w.co.org, "document/get", json!({"document": {"__id__": b}, "user": {"__id__": w.users[0]}})).await;
        assert_eq!(doc["document"]["is_cancelled"], true, "{doc}");
        // Logged as OmniBPM's cancel, by the manager who stopped it (by the starter for the
        // organization's client).
        let last_cancel = |logs: Vec<serde_json::Value>| {
            let l = logs.last().expect("a log entry").clone();
            (l["action"].as_str().map(String::from), l["type"].as_str().map(String::from), l["user"]["__id__"].as_i64())
        };
        let cancel = (Some("cancel".to_string()), Some("cancel".to_string()));
        let (action, kind, by) = last_cancel(crate::omnibpm_document::logs(&app, &w.co.org, b).await);
        assert_eq!(((action, kind), by), (cancel.clone(), Some(w.users[3])));
        let e = w.start("alice", "E").await;
        w.client.post_ok("/API/OR/ProcessInstance/stop", &[("processInstanceId", &id(e))]).await;
        let (action, kind, by) = last_cancel(crate::omnibpm_document::logs(&app, &w.co.org, e).await);
        assert_eq!(((action, kind), by), (cancel, Some(w.users[0])));
        let (_, _, input) = w.client.post_err("/API/OR/ProcessInstance/stop", &[("processInstanceId", &id(e))]).await;
        assert_eq!(input, json!("processInstanceId"));

        // Delete: the starter while nobody else took part; Carol (viewer) may not.
        let c = w.start("alice", "C").await;
        let (s, _) = w.as_("carol").post("/API/OR/ProcessInstance/delete", &[("processInstanceId", &id(c))]).await;
        assert_eq!(s, 403);
        alice.post_ok(&star(c, "add"), &[]).await;
        alice.post_ok("/API/OR/ProcessInstance/delete", &[("processInstanceId", &id(c))]).await;
        let (_, _, input) = alice.get_err("/API/OR/ProcessInstance/view", &[("processInstanceId", &id(c))]).await;
        assert_eq!(input, json!("processInstanceId"));
        // Once Bob has signed, Alice may no longer delete; a manager may.
        let d = w.start("alice", "D").await;
        crate::omnibpm_document::submit(&app, &w.co.org, d, w.users[0], json!({})).await;
        crate::omnibpm_document::submit(&app, &w.co.org, d, w.users[1], json!({})).await;
        let v = alice.get_ok("/API/OR/ProcessInstance/view", &[("processInstanceId", &id(d))]).await;
        assert_eq!(v["processInstance"]["processInstanceState"], "ENDED");
        let (s, _) = alice.post("/API/OR/ProcessInstance/delete", &[("processInstanceId", &id(d))]).await;
        assert_eq!(s, 403);
        w.as_("dave").post_ok("/API/OR/ProcessInstance/delete", &[("processInstanceId", &id(d))]).await;
        let (_, _, input) = alice.post_err("/API/OR/ProcessInstance/delete", &[("processInstanceId", &id(d))]).await;
        assert_eq!(input, json!("processInstanceId"));
        let (_, _, input) = alice.post_err("/API/OR/ProcessInstance/delete", &[]).await;
        assert_eq!(input, json!("processInstanceId"));
    }

    async fn other_organizations_and_files(app) {
        let w = World::new(&app, "QPX").await;
        let a = w.start("alice", "Mine").await;
        let other = World::new(&app, "QPY").await;
        other.start("alice", "Theirs").await;
        assert_eq!(ids(&w.client.get_ok(LIST, &[]).await), vec![a]);
        assert_eq!(other.client.get_ok(LIST, &[]).await["count"], 1);
        for path in ["/API/OR/ProcessInstance/view"] {
            let (_, _, input) = other.client.get_err(path, &[("processInstanceId", &a.to_string())]).await;
            assert_eq!(input, json!("processInstanceId"));
        }
        for path in ["/API/OR/ProcessInstance/stop", "/API/OR/ProcessInstance/delete"] {
            let (_, _, input) = other.client.post_err(path, &[("processInstanceId", &a.to_string())]).await;
            assert_eq!(input, json!("processInstanceId"));
        }
        let (_, _, input) = other.as_("alice").post_err(&format!("/API/OR/ProcessInstance/{a}/Star/add"), &[]).await;
        assert_eq!(input, json!("processInstanceId"));
        // The other organization's model cannot start here.
        let (_, _, input) = other.as_("alice").post_err("/API/PE/ProcessInstance/start",
            &[("processModelInfoId", &w.family.to_string()), ("nodeNumber", &w.apply.to_string())]).await;
        assert_eq!(input, json!("processModelInfoId"));
        // Files: Sluice has no file fields, so none exists.
        let (code, _, input) = w.client.get_err("/API/OR/ProcessInstance/File/download",
            &[("id", "1"), ("processDataInstanceId", "2")]).await;
        assert_eq!((code.as_str(), input), ("10001", json!("id")));
        let (_, _, input) = w.client.get_err("/API/OR/ProcessInstance/File/download", &[("id", "1")]).await;
        assert_eq!(input, json!("processDataInstanceId"));
        let (s, _) = w.client.post("/API/OR/ProcessInstance/File/download", &[]).await;
        assert_eq!(s, 405);
        let (s, _) = w.client.as_(Auth::Nothing).get(LIST, &[]).await;
        assert_eq!(s, 401);
    }
}

/// A service task whose URL the worker refuses (loopback, without the flag that allows it).
const REFUSED_CALL: &str = r#"<bpmn:process id="Calls" name="Calls">
  <bpmn:startEvent id="Go"><bpmn:messageEventDefinition/></bpmn:startEvent>
  <bpmn:serviceTask id="Open" name="Open ticket" sluice:method="POST" sluice:url="http://127.0.0.1:9/x" sluice:retries="0"/>
  <bpmn:endEvent id="End"/>
  <bpmn:sequenceFlow id="f1" sourceRef="Go" targetRef="Open"/>
  <bpmn:sequenceFlow id="f2" sourceRef="Open" targetRef="End"/>
</bpmn:process>"#;

both! {
    async fn view_shows_a_service_tasks_error(app) {
        tokio::spawn(sluice_http::service_tasks::run(app.store.clone()));
        let m = crate::questetra_events::model(&app, "QPE", REFUSED_CALL).await;
        let path = format!("/System/Event/MessageStart/{}/Go/start?key={}", m.family, m.key("Go"));
        let (s, id) = crate::questetra_events::call(&app, reqwest::Method::POST, &path, None, "", None).await;
        assert_eq!(s, 200, "{id}");
        let client = org_client(&app, &m.org).await;
        let view = || async { client.get_ok("/API/OR/ProcessInstance/view", &[("processInstanceId", &id)]).await };
        // The worker records the refusal on its first pass (polled, at most 20 s).
        let mut errors = json!([]);
        for _ in 0..400 {
            errors = view().await["processInstance"]["errors"].clone();
            if errors.as_array().is_some_and(|e| !e.is_empty()) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(errors.as_array().map(Vec::len), Some(1), "{errors}");
        assert_eq!(errors[0]["nodeNumber"], m.import["nodes"]["Open"]);
        assert_eq!(errors[0]["nodeName"], "Open ticket");
        assert!(errors[0]["message"].as_str().unwrap().contains("loopback or private"), "{errors}");
        // Lists do not carry them.
        let list = client.get_ok(LIST, &[]).await;
        assert!(list["processInstances"][0].get("errors").is_none(), "{list}");
    }
}
