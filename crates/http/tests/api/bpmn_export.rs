//! Native `GET /api/v1/workflows/{id}/bpmn` (administrators): any version as BPMN 2.0 XML with diagram
//! interchange; OmniBPM-built workflows get start/end events and a layout and re-import
//! into a model that runs; import → export → import → export is stable; organizations are
//! kept apart.

use crate::both;
use crate::bpmn_import::{activate, import_ok, post_bpmn, run_to_end, wrap};
use crate::helpers::TestApp;
use crate::omnibpm_document::{workflow, Co};
use crate::plusworkflow_client::{admin, user_token};
use serde_json::json;

/// GETs a version's BPMN: status, content type and text.
async fn get_bpmn(app: &TestApp, token: Option<&str>, id: &str) -> (u16, String, String) {
    let mut req = app
        .client
        .get(format!("{}/api/v1/workflows/{id}/bpmn", app.url));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.expect("request");
    let status = res.status().as_u16();
    let ct = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    (status, ct, res.text().await.expect("body"))
}

const MODEL: &str = r#"<bpmn:process id="Trip" name="Trip">
  <bpmn:extensionElements>
    <sluice:field name="Days" type="INT"/>
    <sluice:field name="Long" type="FORMULA" formula="field_1 &gt; 3"/>
  </bpmn:extensionElements>
  <bpmn:startEvent id="Start"/>
  <bpmn:userTask id="Ask" name="Ask" sluice:requiredFields="Days"/>
  <bpmn:parallelGateway id="Split"/>
  <bpmn:userTask id="Book" name="Book" sluice:assignee="specified"/>
  <bpmn:boundaryEvent id="Late" attachedToRef="Book"><bpmn:timerEventDefinition><bpmn:timeDuration>PT4H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>
  <bpmn:exclusiveGateway id="HowLong" default="Short"/>
  <bpmn:intermediateCatchEvent id="Wait"><bpmn:timerEventDefinition><bpmn:timeDuration>PT5M</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
  <bpmn:parallelGateway id="Join"/>
  <bpmn:endEvent id="End"/>
  <bpmn:endEvent id="LateEnd"/>
  <bpmn:sequenceFlow id="a" sourceRef="Start" targetRef="Ask"/>
  <bpmn:sequenceFlow id="b" sourceRef="Ask" targetRef="Split"/>
  <bpmn:sequenceFlow id="c" sourceRef="Split" targetRef="Book"/>
  <bpmn:sequenceFlow id="d" sourceRef="Split" targetRef="HowLong"/>
  <bpmn:sequenceFlow id="e" sourceRef="HowLong" targetRef="Wait"><bpmn:conditionExpression>Long</bpmn:conditionExpression></bpmn:sequenceFlow>
  <bpmn:sequenceFlow id="Short" sourceRef="HowLong" targetRef="Join"/>
  <bpmn:sequenceFlow id="f" sourceRef="Wait" targetRef="Join"/>
  <bpmn:sequenceFlow id="g" sourceRef="Book" targetRef="Join"/>
  <bpmn:sequenceFlow id="h" sourceRef="Join" targetRef="End"/>
  <bpmn:sequenceFlow id="i" sourceRef="Late" targetRef="LateEnd"/>
</bpmn:process>"#;

both! {
    async fn omnibpm_workflows_export_with_start_end_and_layout_and_run_again(app) {
        let co = Co::new(&app, "ACME").await;
        let org = &co.org;
        let (_, token) = admin(&app, org, "root").await;
        let clerk = co.clerk(&app, "clerk").await;
        let (wf, ids) = workflow(&app, org, "Leave & more", &[
            json!({"note": "Apply", "as_doc_creator": true, "n_sign": 1}),
            json!({"note": "Check <A>", "as_doc_creator": true, "n_sign": 1}),
            json!({"note": "Check B", "as_doc_creator": true, "n_sign": 1}),
            json!({"note": "Sign", "as_doc_creator": true, "n_sign": 1}),
        ], &[(0, 1), (0, 2), (1, 3), (2, 3)]).await;
        // Administrators read it; other users may not (a model holds its service endpoints).
        let bob = user_token(&app, org, &{ app.user(org, "bob").await; "bob".to_string() }).await;
        let (status, _, body) = get_bpmn(&app, Some(&bob), &wf.to_string()).await;
        assert_eq!(status, 403, "{body}");
        let (status, ct, xml) = get_bpmn(&app, Some(&token), &wf.to_string()).await;
        assert_eq!(status, 200, "{xml}");
        assert!(ct.starts_with("application/xml"), "{ct}");
        for want in ["<bpmn:startEvent id=\"StartEvent_1\"", "<bpmn:endEvent id=\"EndEvent_1\"",
                     &format!("<bpmn:userTask id=\"Node_{}\" name=\"Check &lt;A&gt;\"", ids[1]),
                     &format!("id=\"Flow_Node_{}_Node_{}\"", ids[0], ids[2]),
                     "<bpmndi:BPMNShape", "<dc:Bounds", "<di:waypoint", "name=\"Leave &amp; more\""] {
            assert!(xml.contains(want), "{want} not in {xml}");
        }
        // Re-imported, it is the same steps between a start and an end, and it runs.
        let r = import_ok(&app, &token, &xml).await;
        assert_eq!(r["name"], "Leave & more");
        assert_eq!(r["version"], 1, "a new version of the same family");
        let nodes = r["nodes"].as_object().unwrap();
        assert_eq!(nodes.len(), 6, "{r}");
        let id = r["id"].as_i64().unwrap();
        activate(&app, org, id).await;
        run_to_end(&app, org, id, clerk, json!({}), 6).await;
    }

    async fn import_export_import_is_stable(app) {
        let org = app.org("ACME").await;
        let (_, token) = admin(&app, &org, "root").await;
        let first = import_ok(&app, &token, &wrap(MODEL)).await;
        let (s, _, a) = get_bpmn(&app, Some(&token), &first["id"].to_string()).await;
        assert_eq!(s, 200);
        assert!(a.contains("attachedToRef=\"Book\""), "{a}");
        assert!(a.contains("formula=\"field_1 &gt; 3\""), "{a}");
        assert!(a.contains("<bpmn:timeDuration xsi:type=\"bpmn:tFormalExpression\">PT4H</bpmn:timeDuration>"), "{a}");
        assert!(a.contains("default=\"Flow_HowLong_Join\""), "{a}");
        let second = import_ok(&app, &token, &a).await;
        assert_eq!(second["nodes"].as_object().unwrap().len(), first["nodes"].as_object().unwrap().len());
        assert_eq!(second["fields"].as_object().unwrap().keys().collect::<Vec<_>>(), ["Days", "Long"]);
        let (_, _, b) = get_bpmn(&app, Some(&token), &second["id"].to_string()).await;
        assert_eq!(a, b);
    }

    async fn export_is_scoped_to_the_organization(app) {
        let org = app.org("ACME").await;
        let (_, token) = admin(&app, &org, "root").await;
        let other = app.org("OTHER").await;
        let (_, stranger) = admin(&app, &other, "root").await;
        let r = import_ok(&app, &token, &wrap(MODEL)).await;
        let id = r["id"].to_string();
        let (s, _, body) = get_bpmn(&app, Some(&stranger), &id).await;
        assert_eq!(s, 404, "{body}");
        assert!(body.contains("\"not_found\""), "{body}");
        for bad in ["999999", "abc", "-1"] {
            assert_eq!(get_bpmn(&app, Some(&token), bad).await.0, 404, "{bad}");
        }
        assert_eq!(get_bpmn(&app, None, &id).await.0, 401);
        assert_eq!(post_bpmn(&app, &stranger, "<a/>", "application/xml", "").await.status, 400);
    }
}
