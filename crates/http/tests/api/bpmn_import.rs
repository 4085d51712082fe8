//! Native `POST /api/v1/workflows/import`: a BPMN 2.0 model becomes a finalized, inactive
//! version whose cases run through OmniBPM; refusals list every unsupported element; only
//! administrators import; hostile files are refused cleanly.

use crate::both;
use crate::helpers::{Org, TestApp};
use crate::omnibpm_document::{get, ids, submit, Co};
use crate::plusworkflow_client::{admin, native, org_token, user_token, Reply};
use reqwest::Method;
use serde_json::{json, Value};

/// POSTs a BPMN file to the import endpoint (`query`: e.g. `?name=X`).
pub async fn post_bpmn(
    app: &TestApp,
    token: &str,
    xml: impl Into<Vec<u8>>,
    content_type: &str,
    query: &str,
) -> Reply {
    let res = app
        .client
        .post(format!("{}/api/v1/workflows/import{query}", app.url))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(xml.into())
        .send()
        .await
        .expect("request");
    let status = res.status().as_u16();
    let text = res.text().await.expect("body");
    Reply {
        status,
        body: serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}")),
        challenge: None,
    }
}

/// Imports (asserting 201) and returns the answer.
pub async fn import_ok(app: &TestApp, token: &str, xml: &str) -> Value {
    let r = post_bpmn(app, token, xml, "application/xml", "").await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body
}

/// The whole definitions element around a process.
pub fn wrap(process: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xmlns:sluice="https://sluice.dev/bpmn" id="D">
{process}
</bpmn:definitions>"#
    )
}

/// Activates an imported (finalized) version through OmniBPM.
pub async fn activate(app: &TestApp, org: &Org, wf: i64) {
    app.ok(
        org,
        "workflow/activate",
        json!({"workflow": {"__id__": wf}}),
    )
    .await;
}

/// Creates a case as `creator` and signs every current task as `creator` until the case
/// completes (at most `steps` submissions); returns the finished document.
pub async fn run_to_end(
    app: &TestApp,
    org: &Org,
    wf: i64,
    creator: i64,
    content: Value,
    steps: usize,
) -> Value {
    let doc = app
        .ok(org, "document/create", json!({"workflow": {"__id__": wf}, "creator": {"__id__": creator}, "document": {"title": "Case"}}))
        .await["document"]["__id__"]
        .as_i64()
        .expect("document id");
    for _ in 0..steps {
        let d = get(app, org, doc, creator).await;
        if d["is_completed"] == true {
            return d;
        }
        submit(app, org, doc, creator, content.clone()).await;
    }
    let d = get(app, org, doc, creator).await;
    assert_eq!(d["is_completed"], true, "{d}");
    d
}

const PURCHASE: &str = r#"<bpmn:process id="Purchase" name="Purchase">
  <bpmn:extensionElements>
    <sluice:field name="Amount" type="INT"/>
    <sluice:field name="Note" type="UTF8"/>
  </bpmn:extensionElements>
  <bpmn:documentation>Buying things</bpmn:documentation>
  <bpmn:startEvent id="Start"/>
  <bpmn:userTask id="Request" name="Request" sluice:requiredFields="Amount"/>
  <bpmn:exclusiveGateway id="Big" default="ToEnd"/>
  <bpmn:userTask id="Approve" name="Approve" sluice:assignee="user:BOSS"/>
  <bpmn:endEvent id="End"/>
  <bpmn:sequenceFlow id="f1" sourceRef="Start" targetRef="Request"/>
  <bpmn:sequenceFlow id="f2" sourceRef="Request" targetRef="Big"/>
  <bpmn:sequenceFlow id="f3" sourceRef="Big" targetRef="Approve">
    <bpmn:conditionExpression>Amount &gt;= 1000</bpmn:conditionExpression>
  </bpmn:sequenceFlow>
  <bpmn:sequenceFlow id="ToEnd" sourceRef="Big" targetRef="End"/>
  <bpmn:sequenceFlow id="f4" sourceRef="Approve" targetRef="End"/>
</bpmn:process>"#;

both! {
    async fn an_imported_model_routes_cases_by_its_gateway(app) {
        let co = Co::new(&app, "ACME").await;
        let org = &co.org;
        let (_, token) = admin(&app, org, "root").await;
        let clerk = co.clerk(&app, "clerk").await;
        let boss = co.clerk(&app, "boss").await;
        let xml = wrap(&PURCHASE.replace("BOSS", &boss.to_string()));
        let r = import_ok(&app, &token, &xml).await;
        assert_eq!((r["name"].as_str(), r["version"].as_i64()), (Some("Purchase"), Some(0)), "{r}");
        let wf = r["id"].as_i64().unwrap();
        assert!(r["family_id"].is_i64());
        let nodes = r["nodes"].as_object().unwrap();
        assert_eq!(nodes.len(), 5, "{r}");
        let approve = nodes["Approve"].as_i64().unwrap();
        let amount = r["fields"]["Amount"].as_i64().unwrap().to_string();
        assert!(r["warnings"][0].as_str().unwrap().contains("documentation"), "{r}");
        // Finalized and inactive: documents wait for activation.
        let msg = app
            .err(org, "document/create", json!({"workflow": {"__id__": wf}, "creator": {"__id__": clerk}, "document": {"title": "x"}}), 409)
            .await;
        assert!(msg.contains("not active"), "{msg}");
        activate(&app, org, wf).await;
        // Small amount: the default flow ends the case after the request.
        let d = run_to_end(&app, org, wf, clerk, json!({&amount: 5}), 3).await;
        assert!(!d["completed_nodes_ids"].to_string().contains(&approve.to_string()), "{d}");
        // Large amount: the boss approves.
        let doc = app
            .ok(org, "document/create", json!({"workflow": {"__id__": wf}, "creator": {"__id__": clerk}, "document": {"title": "Big"}}))
            .await["document"]["__id__"].as_i64().unwrap();
        submit(&app, org, doc, clerk, json!({&amount: 5000})).await;
        let d = get(&app, org, doc, boss).await;
        assert_eq!(ids(&d["current_nodes_ids"]), [approve], "{d}");
        submit(&app, org, doc, boss, json!({})).await;
        assert_eq!(get(&app, org, doc, clerk).await["is_completed"], true);
        // The same name again: the next version of the family; ?name= renames.
        let again = import_ok(&app, &token, &xml).await;
        assert_eq!((again["version"].as_i64(), &again["family_id"]), (Some(1), &r["family_id"]));
        let r = post_bpmn(&app, &token, xml.as_str(), "text/xml; charset=utf-8", "?name=Buying").await;
        assert_eq!((r.status, r.body["name"].as_str(), r.body["version"].as_i64()), (201, Some("Buying"), Some(0)), "{}", r.body);
    }

    async fn unsupported_elements_are_listed_all_at_once(app) {
        let org = app.org("ACME").await;
        let (_, token) = admin(&app, &org, "root").await;
        let xml = wrap(r#"<bpmn:process id="P">
  <bpmn:startEvent id="S"/><bpmn:subProcess id="Sub"/><bpmn:inclusiveGateway id="Inc"/>
  <bpmn:task id="Loop"><bpmn:standardLoopCharacteristics/></bpmn:task>
  <bpmn:sequenceFlow id="f" sourceRef="S" targetRef="Sub"/>
</bpmn:process>"#);
        let r = post_bpmn(&app, &token, xml, "application/xml", "").await;
        assert_eq!((r.status, r.body["code"].as_str(), r.body["type"].as_str()), (400, Some("unsupported_bpmn"), Some("invalid_request")), "{}", r.body);
        let mut ids: Vec<&str> = r.body["problems"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap()).collect();
        ids.sort();
        assert_eq!(ids, ["Inc", "Loop", "Sub"], "{}", r.body);
        assert_eq!(r.body["problems"][0]["element"], "subProcess");
        assert!(r.body["message"].as_str().unwrap().contains("subProcess \"Sub\""), "{}", r.body);
        // Nothing was written.
        assert_eq!(app.ok(&org, "workflow/list", json!({})).await["workflows"], json!([]));
        // Thousands of refused elements: the answer lists 200 and counts the rest.
        let many: String = (0..3000).map(|i| format!(r#"<bpmn:scriptTask id="S{i}"/>"#)).collect();
        let r = post_bpmn(&app, &token, wrap(&format!(r#"<bpmn:process id="P">{many}</bpmn:process>"#)), "application/xml", "").await;
        assert_eq!((r.status, r.body["problems"].as_array().map(Vec::len), r.body["more"].as_u64()), (400, Some(200), Some(2800)), "{}", r.body["message"]);
        let message = r.body["message"].as_str().unwrap();
        assert!(message.len() < 2000 && message.ends_with("and 2990 more"), "{message}");
    }

    async fn invalid_and_hostile_files_are_refused(app) {
        let org = app.org("ACME").await;
        let (_, token) = admin(&app, &org, "root").await;
        let invalid = wrap(r#"<bpmn:process id="P"><bpmn:task id="T" sluice:requiredFields="Nope"/></bpmn:process>"#);
        let r = post_bpmn(&app, &token, invalid, "application/xml", "").await;
        assert_eq!((r.status, r.body["code"].as_str()), (400, Some("invalid_bpmn")), "{}", r.body);
        assert_eq!(r.body["problems"][0]["id"], "T");
        let bomb = r#"<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><d>&b;</d>"#;
        let xxe = r#"<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><d>&x;</d>"#;
        let deep = wrap(&format!("{}{}", "<a>".repeat(100_000), "</a>".repeat(100_000)));
        let big = wrap(&format!("<!-- {} -->", "x".repeat(5 * 1024 * 1024)));
        for (what, body) in [("bomb", bomb.to_string()), ("xxe", xxe.to_string()), ("deep", deep), ("big", big),
                             ("not xml", "hello".to_string()), ("not bpmn", "<a/>".to_string()),
                             ("no process", wrap(""))] {
            let r = post_bpmn(&app, &token, body, "application/xml", "").await;
            assert_eq!((r.status, r.body["code"].as_str()), (400, Some("invalid_bpmn")), "{what}: {}", r.body);
            assert_eq!(r.body["problems"], json!([]), "{what}");
        }
        let r = post_bpmn(&app, &token, vec![0xff, 0xfe, 0x00], "application/xml", "").await;
        assert_eq!(r.status, 400, "{}", r.body);
        // The server is still there.
        let ok = wrap(r#"<bpmn:process id="P"><bpmn:task id="T"/></bpmn:process>"#);
        assert_eq!(post_bpmn(&app, &token, ok, "application/xml", "").await.status, 201);
    }

    async fn only_administrators_import_xml(app) {
        let org = app.org("ACME").await;
        let (_, admin_token) = admin(&app, &org, "root").await;
        app.user(&org, "bob").await;
        let bob = user_token(&app, &org, "bob").await;
        let xml = wrap(r#"<bpmn:process id="P" name="P"><bpmn:task id="T"/></bpmn:process>"#);
        let r = post_bpmn(&app, &bob, xml.as_str(), "application/xml", "").await;
        assert_eq!((r.status, r.body["code"].as_str()), (403, Some("forbidden")), "{}", r.body);
        let org_level = org_token(&app, &org).await;
        assert_eq!(post_bpmn(&app, &org_level, xml.as_str(), "application/xml", "").await.status, 403);
        let r = post_bpmn(&app, "nope", xml.as_str(), "application/xml", "").await;
        assert_eq!(r.status, 401);
        let r = post_bpmn(&app, &admin_token, xml.as_str(), "application/json", "").await;
        assert_eq!((r.status, r.body["code"].as_str()), (415, Some("unsupported_media_type")), "{}", r.body);
        // A directory reference must be the organization's own.
        let other = app.org("OTHER").await;
        let (stranger, _) = admin(&app, &other, "root").await;
        let foreign = wrap(&format!(r#"<bpmn:process id="P" name="F"><bpmn:userTask id="T" sluice:assignee="user:{stranger}"/></bpmn:process>"#));
        let r = post_bpmn(&app, &admin_token, foreign, "application/xml", "").await;
        assert!(matches!(r.status, 400 | 404 | 409), "{}: {}", r.status, r.body);
        assert_eq!(app.ok(&org, "workflow/list", json!({})).await["workflows"], json!([]));
        let r = native(&app, Method::GET, Some(&admin_token), "workflows/import", None).await;
        assert_eq!(r.status, 405);
    }
}
