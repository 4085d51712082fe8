//! Questetra WorkitemForm (`/API/PE/Workitem/Form/viewXml`, `/API/PE/Workitem/Form/save`):
//! the form's XML, drafts, completing a task, validation errors that write nothing, and
//! refusals, on both backends.

use crate::both;
use crate::helpers::TestApp;
use crate::omnibpm_document::{activate, field, get, link, new_workflow, node, perms, refs};
use crate::questetra::{root_unit, Auth, Q};
use crate::questetra_process_instances::World;
use base64::Engine;
use serde_json::json;
use std::collections::HashMap;

const VIEW: &str = "/API/PE/Workitem/Form/viewXml";
const SAVE: &str = "/API/PE/Workitem/Form/save";

/// A World with a "Form" model: Apply (the starter: Reason required, Amount and Due
/// editable, Approved read only, Secret hidden) then Approve (Bob: Approved required).
struct Forms<'a> {
    w: World<'a>,
    family: i64,
    apply: i64,
    f: HashMap<&'static str, i64>,
}

impl<'a> Forms<'a> {
    async fn new(app: &'a TestApp, abbr: &str) -> Forms<'a> {
        let w = World::new(app, abbr).await;
        let org = &w.co.org;
        let wf = new_workflow(app, org, "Form").await;
        let mut f = HashMap::new();
        for (name, t) in [
            ("Reason", "UTF8"),
            ("Amount", "INT"),
            ("Due", "DATE"),
            ("Approved", "BOOL"),
            ("Secret", "UTF8"),
        ] {
            f.insert(name, field(app, org, wf, name, t).await);
        }
        let apply = node(
            app,
            org,
            wf,
            json!({"note": "Apply", "as_doc_creator": true, "n_sign": 1,
            "required_fields": refs(&[f["Reason"]]),
            "editable_fields": refs(&[f["Amount"], f["Due"]]),
            "visible_fields": refs(&[f["Approved"]])}),
        )
        .await;
        let approve = node(
            app,
            org,
            wf,
            json!({"note": "Approve", "user": {"__id__": w.users[1]}, "n_sign": 1,
            "required_fields": refs(&[f["Approved"]])}),
        )
        .await;
        link(app, org, apply, approve).await;
        activate(app, org, wf).await;
        perms(app, &w.co, wf, json!({})).await;
        let models = w
            .client
            .get_ok("/API/Admin/ProcessModel/list", &[("query", "Form")])
            .await;
        let family = models["processModelInfos"][0]["processModelInfoId"]
            .as_i64()
            .unwrap();
        Forms {
            w,
            family,
            apply,
            f,
        }
    }

    /// Starts a case as Alice; returns (case, work item id).
    async fn start(&self, title: &str) -> (i64, String) {
        let wi = self
            .w
            .start_at("alice", self.family, self.apply, title)
            .await;
        (
            wi["processInstanceId"].as_i64().unwrap(),
            wi["id"].as_i64().unwrap().to_string(),
        )
    }

    fn key(&self, field: &str, form: &str) -> String {
        format!("data[{}].{form}", self.f[field])
    }

    /// The case's version, as OmniBPM shows it to Alice.
    async fn version(&self, doc: i64) -> i64 {
        get(self.w.client.app, &self.w.co.org, doc, self.w.users[0]).await["latest_version"]
            .as_i64()
            .unwrap()
    }
}

/// A request answered as text: status, content type, body.
async fn raw(q: &Q<'_>, post: bool, path: &str, params: &[(&str, &str)]) -> (u16, String, String) {
    let url = format!("{}{path}", q.app.url);
    let mut req = if post {
        q.app.client.post(url).form(params)
    } else {
        q.app.client.get(url).query(params)
    };
    if let Auth::Basic(u, p) = &q.auth {
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"));
        req = req.header("authorization", format!("Basic {basic}"));
    }
    let res = req.send().await.expect("request");
    let status = res.status().as_u16();
    let ct = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, ct, res.text().await.unwrap())
}

/// A parsed XML answer: the text of each child of `el` by name.
fn texts(el: roxmltree::Node<'_, '_>) -> HashMap<String, String> {
    el.children()
        .filter(|c| c.is_element())
        .map(|c| {
            (
                c.tag_name().name().to_string(),
                c.text().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// An answer that must be 200 with well-formed XML; its text.
async fn xml(q: &Q<'_>, post: bool, path: &str, params: &[(&str, &str)]) -> String {
    let (s, ct, body) = raw(q, post, path, params).await;
    assert_eq!(s, 200, "{path} {params:?}: {body}");
    assert_eq!(ct, "text/xml; charset=UTF-8");
    if let Err(e) = roxmltree::Document::parse(&body) {
        panic!("{e}: {body}");
    }
    body
}

/// The form of a work item as `q`: the root's texts and each form-data's texts by number.
async fn view(
    q: &Q<'_>,
    wid: &str,
) -> (
    HashMap<String, String>,
    HashMap<i64, HashMap<String, String>>,
    String,
) {
    let body = xml(q, false, VIEW, &[("workitemId", wid)]).await;
    let doc = roxmltree::Document::parse(&body).unwrap();
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "workitem-form");
    let fields = root
        .children()
        .filter(|c| c.has_tag_name("form-data"))
        .map(|c| {
            let t = texts(c);
            (t["number"].parse::<i64>().unwrap(), t)
        })
        .collect();
    (texts(root), fields, body)
}

/// Saves as `q`; returns (success, [(key, detail)]).
async fn save(q: &Q<'_>, params: &[(&str, &str)]) -> (bool, Vec<(String, String)>) {
    let body = xml(q, true, SAVE, params).await;
    let doc = roxmltree::Document::parse(&body).unwrap();
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "workitem-form-result");
    let errors = root
        .descendants()
        .filter(|c| c.has_tag_name("error"))
        .map(|e| {
            let t = texts(e);
            (t["key"].clone(), t["detail"].clone())
        })
        .collect();
    (texts(root)["success"] == "true", errors)
}

/// The JSON error of a refused request: (status, input).
async fn refused(
    q: &Q<'_>,
    post: bool,
    path: &str,
    params: &[(&str, &str)],
) -> (u16, serde_json::Value) {
    let (s, _, body) = raw(q, post, path, params).await;
    let v: serde_json::Value =
        serde_json::from_str(&body).unwrap_or_else(|_| panic!("not JSON ({s}): {body}"));
    (s, v["errors"][0]["input"].clone())
}

both! {
    async fn the_form_shows_fields_as_the_task_allows(app) {
        let t = Forms::new(&app, "QFA").await;
        let root = root_unit(&t.w.client).await;
        t.w.client.post_ok("/API/UGA/Membership/add", &[("quserId", &t.w.users[0].to_string()), ("qgroupId", &root.to_string())]).await;
        let (doc, wid) = t.start("Taxi <&> \"now\"").await;
        let alice = t.w.as_("alice");
        let (top, fields, body) = view(&alice, &wid).await;
        assert!(body.starts_with("<?xml"), "{body}");
        assert_eq!(top["title"], "Taxi <&> \"now\"");
        assert_eq!(top["title-accessibility"], "3");
        assert_eq!(top["process-model-info-id"], t.family.to_string());
        assert_eq!(top["node-number"], t.apply.to_string());
        assert_eq!(top["process-instance-id"], doc.to_string());
        assert_eq!(top["workitem-id"], wid);
        assert_eq!(top["task-name"], "Apply");
        assert_eq!(top["qgroup-id"], root.to_string());
        // (accessibility, data type, required) per field.
        let shape = |name: &str| {
            let f = &fields[&t.f[name]];
            (f["accessibility"].clone(), f["data-type"].clone(), f["required"].clone(), f["name"].clone())
        };
        assert_eq!(shape("Reason"), ("3".into(), "0".into(), "true".into(), "Reason".into()));
        assert_eq!(shape("Amount"), ("3".into(), "12".into(), "false".into(), "Amount".into()));
        assert_eq!(shape("Due"), ("3".into(), "5".into(), "false".into(), "Due".into()));
        assert_eq!(shape("Approved"), ("1".into(), "11".into(), "false".into(), "Approved".into()));
        assert_eq!(shape("Secret").0, "0");
        assert!(!fields[&t.f["Secret"]].contains_key("value"), "hidden fields show no value");
        assert_eq!(fields.len(), 5);

        let parsed = roxmltree::Document::parse(&body).unwrap();
        let path = |names: &[&str]| -> Vec<String> {
            parsed.descendants()
                .filter(|n| n.has_tag_name(names[names.len() - 1]))
                .filter(|n| n.parent().is_some_and(|p| p.has_tag_name(names[0])))
                .map(|n| n.text().unwrap_or("").to_string())
                .collect()
        };
        assert_eq!(path(&["executing-role", "qgroup-id"]), vec![root.to_string()]);
        assert_eq!(path(&["user-select", "flow-id"]), vec!["0".to_string()]);
        assert_eq!(path(&["item", "value"]), vec!["true".to_string(), "false".to_string()]);

        // Bob has no task in the case yet.
        let (s, input) = refused(&t.w.as_("bob"), false, VIEW, &[("workitemId", &wid)]).await;
        assert_eq!((s, input), (400, json!("workitemId")));
    }

    async fn a_draft_is_kept_and_the_submit_moves_the_case_on(app) {
        let t = Forms::new(&app, "QFB").await;
        let (doc, wid) = t.start("Trip").await;
        let alice = t.w.as_("alice");
        let (reason, amount, due) = (t.key("Reason", "input"), t.key("Amount", "input"), t.key("Due", "input"));
        let before = t.version(doc).await;
        let (ok, errors) = save(&alice, &[("workitemId", &wid), ("saveOnly", "true"),
            (&reason, "Visit"), (&amount, "42"), (&due, "2024-01-31"), ("title", "Trip to Kyoto")]).await;
        assert!(ok, "{errors:?}");
        assert_eq!(t.version(doc).await, before + 1);
        let (top, fields, _) = view(&alice, &wid).await;
        assert_eq!(top["title"], "Trip to Kyoto");
        assert_eq!(fields[&t.f["Reason"]]["value"], "Visit");
        assert_eq!(fields[&t.f["Amount"]]["value"], "42");
        assert_eq!(fields[&t.f["Due"]]["value"], "2024-01-31");
        // Still Alice's task.
        assert_eq!(alice.get_ok("/API/PE/Workitem/listAllocated", &[]).await["count"], 1);

        // Submitting (saveOnly absent) completes the task with the saved values.
        let (ok, errors) = save(&alice, &[("workitemId", &wid), (&amount, "43"), ("flow", "0")]).await;
        assert!(ok, "{errors:?}");
        assert_eq!(alice.get_ok("/API/PE/Workitem/listAllocated", &[]).await["count"], 0);
        let bob = t.w.as_("bob");
        let mine = bob.get_ok("/API/PE/Workitem/listAllocated", &[]).await;
        assert_eq!(mine["workitems"][0]["nodeName"], "Approve");
        let bob_wid = mine["workitems"][0]["id"].to_string();
        let pi = alice.get_ok("/API/OR/ProcessInstance/view", &[("processInstanceId", &doc.to_string())]).await;
        let data = &pi["processInstance"]["data"];
        assert_eq!(data[t.f["Reason"].to_string()]["value"], "Visit");
        assert_eq!(data[t.f["Amount"].to_string()]["value"], 43);
        // The old work item is no longer Alice's.
        let (s, input) = refused(&alice, false, VIEW, &[("workitemId", &wid)]).await;
        assert_eq!((s, input), (400, json!("workitemId")));

        // Bob: the title is read only; Approved is a select he must fill.
        let (top, fields, _) = view(&bob, &bob_wid).await;
        assert_eq!(top["title-accessibility"], "1");
        assert_eq!(fields[&t.f["Approved"]]["accessibility"], "3");
        let (ok, errors) = save(&bob, &[("workitemId", &bob_wid), ("title", "Renamed")]).await;
        assert!(!ok);
        let keys: Vec<&str> = errors.iter().map(|e| e.0.as_str()).collect();
        assert_eq!(keys, vec![t.key("Approved", "selects").as_str(), "title"]);
        let (ok, errors) = save(&bob, &[("workitemId", &bob_wid), (&t.key("Approved", "selects"), "true")]).await;
        assert!(ok, "{errors:?}");
        let pi = alice.get_ok("/API/OR/ProcessInstance/view", &[("processInstanceId", &doc.to_string())]).await;
        assert_eq!(pi["processInstance"]["processInstanceState"], "ENDED");
        assert_eq!(pi["processInstance"]["processInstanceTitle"], "Trip to Kyoto");
        assert_eq!(pi["processInstance"]["data"][t.f["Approved"].to_string()]["value"], true);
    }

    async fn bad_values_and_missing_required_fields_write_nothing(app) {
        let t = Forms::new(&app, "QFC").await;
        let (doc, wid) = t.start("Trip").await;
        let alice = t.w.as_("alice");
        let before = t.version(doc).await;
        let (reason, amount, due) = (t.key("Reason", "input"), t.key("Amount", "input"), t.key("Due", "input"));
        let long = "x".repeat(501);
        let (approved, secret, reason_sel) = (t.key("Approved", "selects"), t.key("Secret", "input"), t.key("Reason", "selects"));
        for (params, keys) in [
            (vec![(amount.as_str(), "many"), (reason.as_str(), "x")], vec![amount.clone()]),
            (vec![(due.as_str(), "31/01/2024"), (reason.as_str(), "x")], vec![due.clone()]),
            // Read only and hidden fields are not written; the wrong form of a parameter.
            (vec![(approved.as_str(), "true"), (reason.as_str(), "x")], vec![approved.clone()]),
            (vec![(secret.as_str(), "x"), (reason.as_str(), "x")], vec![secret.clone()]),
            (vec![(reason_sel.as_str(), "x"), (reason.as_str(), "x")], vec![reason_sel.clone()]),
            // A title longer than 500 characters.
            (vec![("title", long.as_str()), (reason.as_str(), "x")], vec!["title".to_string()]),
            // Required: missing, or blank.
            (vec![(amount.as_str(), "1")], vec![reason.clone()]),
            (vec![(reason.as_str(), "   ")], vec![reason.clone()]),
        ] {
            let mut p = vec![("workitemId", wid.as_str())];
            p.extend(params.iter().copied());
            let (ok, errors) = save(&alice, &p).await;
            assert!(!ok, "{p:?}");
            let got: Vec<String> = errors.iter().map(|e| e.0.clone()).collect();
            assert_eq!(got, keys, "{p:?}");
            assert!(errors.iter().all(|e| !e.1.is_empty()));
            assert_eq!(t.version(doc).await, before, "nothing written: {p:?}");
        }
        // A draft may leave required fields empty, but not hold bad values.
        let (ok, _) = save(&alice, &[("workitemId", &wid), ("saveOnly", "true"), (&amount, "1.5")]).await;
        assert!(!ok);
        assert_eq!(t.version(doc).await, before);
        let (ok, errors) = save(&alice, &[("workitemId", &wid), ("saveOnly", "TRUE"), (&amount, "7")]).await;
        assert!(ok, "{errors:?}");
        assert_eq!(alice.get_ok("/API/PE/Workitem/listAllocated", &[]).await["count"], 1);
        // saveOnly=false completes (Reason is still required).
        let (ok, errors) = save(&alice, &[("workitemId", &wid), ("saveOnly", "false")]).await;
        assert!(!ok);
        assert_eq!(errors[0].0, reason);
    }

    async fn refusals_name_their_parameter(app) {
        let t = Forms::new(&app, "QFD").await;
        let (doc, wid) = t.start("Trip").await;
        let alice = t.w.as_("alice");
        let reason = t.key("Reason", "input");
        let approve_wid = ((doc << 21) | 1).to_string();
        let unknown_node = ((doc << 21) | 999).to_string();
        for (q, path, params, input) in [
            (&alice, VIEW, vec![], "workitemId"),
            (&alice, VIEW, vec![("workitemId", "x")], "workitemId"),
            (&alice, VIEW, vec![("workitemId", "999999999999")], "workitemId"),
            (&alice, VIEW, vec![("workitemId", approve_wid.as_str())], "workitemId"),
            (&alice, VIEW, vec![("workitemId", unknown_node.as_str())], "workitemId"),
            (&alice, SAVE, vec![("workitemId", wid.as_str()), ("saveOnly", "maybe")], "saveOnly"),
            (&alice, SAVE, vec![("workitemId", wid.as_str()), ("flow", "5")], "flow"),
            (&alice, SAVE, vec![("workitemId", wid.as_str()), ("flow", "x")], "flow"),
            (&alice, SAVE, vec![("workitemId", wid.as_str()), ("qgroupId", "999999")], "qgroupId"),
            (&alice, SAVE, vec![("workitemId", "-1")], "workitemId"),
        ] {
            let post = path == SAVE;
            let (s, got) = refused(q, post, path, &params).await;
            assert_eq!((s, got), (400, json!(input)), "{path} {params:?}");
        }
        // Not your task; another organization's user; the organization's client.
        let (s, input) = refused(&t.w.as_("bob"), true, SAVE, &[("workitemId", &wid), (&reason, "x")]).await;
        assert_eq!((s, input), (400, json!("workitemId")));
        let other = World::new(&app, "QFE").await;
        let (s, input) = refused(&other.as_("alice"), false, VIEW, &[("workitemId", &wid)]).await;
        assert_eq!((s, input), (400, json!("workitemId")));
        let (s, v) = t.w.client.get(VIEW, &[("workitemId", &wid)]).await;
        assert_eq!(s, 403, "{v}");
        // Methods and credentials.
        let (s, _) = alice.post(VIEW, &[("workitemId", &wid)]).await;
        assert_eq!(s, 405);
        let (s, _) = alice.get(SAVE, &[("workitemId", &wid)]).await;
        assert_eq!(s, 405);
        let (s, _) = alice.as_(Auth::Nothing).get(VIEW, &[("workitemId", &wid)]).await;
        assert_eq!(s, 401);
        // A unit that is the caller's is accepted; a stopped case's task is gone.
        let root = root_unit(&t.w.client).await.to_string();
        t.w.client.post_ok("/API/UGA/Membership/add", &[("quserId", &t.w.users[0].to_string()), ("qgroupId", &root)]).await;
        let (ok, errors) = save(&alice, &[("workitemId", &wid), ("saveOnly", "true"), ("qgroupId", &root)]).await;
        assert!(ok, "{errors:?}");
        alice.post_ok("/API/OR/ProcessInstance/stop", &[("processInstanceId", &doc.to_string())]).await;
        let (s, input) = refused(&alice, true, SAVE, &[("workitemId", &wid), (&reason, "x")]).await;
        assert_eq!((s, input), (400, json!("workitemId")));
    }
}
