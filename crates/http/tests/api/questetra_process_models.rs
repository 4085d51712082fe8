//! Questetra ProcessModel (`/API/Admin/ProcessModel/list`, `/API/PE/ProcessModel/listStartable`,
//! `/API/PMM/ProcessModel/{id}/stop|release`) and ProcessAuthority
//! (`/API/Admin/ProcessAuthority/*`), on both backends.

use crate::both;
use crate::questetra::{add_qgroup, error_of};
use crate::questetra_process_instances::{ids, World};
use serde_json::json;

/// A model with a message start and two none starts, each to its own task.
const STARTS: &str = r#"<bpmn:process id="Starts" name="Starts">
  <bpmn:startEvent id="Shop" name="Shop"><bpmn:messageEventDefinition/></bpmn:startEvent>
  <bpmn:startEvent id="ByPhone" name="By phone"/>
  <bpmn:startEvent id="ByMail" name="By mail"/>
  <bpmn:userTask id="Order" name="Order"/>
  <bpmn:userTask id="Phone" name="Phone"/>
  <bpmn:userTask id="Mail" name="Mail"/>
  <bpmn:endEvent id="End"/>
  <bpmn:sequenceFlow id="f0" sourceRef="Shop" targetRef="Order"/>
  <bpmn:sequenceFlow id="f1" sourceRef="ByPhone" targetRef="Phone"/>
  <bpmn:sequenceFlow id="f2" sourceRef="ByMail" targetRef="Mail"/>
  <bpmn:sequenceFlow id="f3" sourceRef="Order" targetRef="End"/>
  <bpmn:sequenceFlow id="f4" sourceRef="Phone" targetRef="End"/>
  <bpmn:sequenceFlow id="f5" sourceRef="Mail" targetRef="End"/>
</bpmn:process>"#;

both! {
    async fn list_stop_and_release(app) {
        let w = World::new(&app, "QMA").await;
        let fam = w.family.to_string();
        let v = w.client.get_ok("/API/Admin/ProcessModel/list", &[]).await;
        assert_eq!(v["count"], 1);
        let m = &v["processModelInfos"][0];
        assert_eq!(m["processModelInfoId"], w.family);
        assert_eq!(m["processModelInfoHasActiveProcessModel"], true);
        assert_eq!(w.client.get_ok("/API/Admin/ProcessModel/list", &[("query", "xpen")]).await["count"], 1);
        assert_eq!(w.client.get_ok("/API/Admin/ProcessModel/list", &[("query", "nothing")]).await["count"], 0);
        assert_eq!(w.client.get_ok("/API/Admin/ProcessModel/list", &[("category", "HR")]).await["count"], 0);
        assert_eq!(w.client.get_ok("/API/Admin/ProcessModel/list", &[("limit", "0")]).await["processModelInfos"], json!([]));
        let (s, _) = w.as_("alice").get("/API/Admin/ProcessModel/list", &[]).await;
        assert_eq!(s, 403);

        // Startable: the start node, for a user with the creatable permission.
        let v = w.as_("alice").get_ok("/API/PE/ProcessModel/listStartable", &[]).await;
        assert_eq!(v["count"], 1);
        let a = &v["startableActivities"][0];
        assert_eq!((a["nodeNumber"].as_i64(), a["nodeName"].as_str()), (Some(w.apply), Some("Apply")));
        assert_eq!(a["processModelInfoId"], w.family);

        // Stop: only administrators (and the app's administrators); then nothing starts.
        let (s, v) = w.as_("alice").post(&format!("/API/PMM/ProcessModel/{fam}/stop"), &[]).await;
        assert_eq!((s, error_of(&v).0.as_str()), (403, "403"));
        w.client.post_ok("/API/Admin/ProcessAuthority/addToQuser", &[
            ("processModelInfoId", &fam), ("type", "0"), ("quserId", &w.users[0].to_string())]).await;
        w.as_("alice").post_ok(&format!("/API/PMM/ProcessModel/{fam}/stop"), &[]).await;
        let v = w.client.get_ok("/API/Admin/ProcessModel/list", &[]).await;
        assert_eq!(v["processModelInfos"][0]["processModelInfoHasActiveProcessModel"], false);
        assert_eq!(w.as_("alice").get_ok("/API/PE/ProcessModel/listStartable", &[]).await["count"], 0);
        let (_, _, input) = w.client.post_err(&format!("/API/PMM/ProcessModel/{fam}/stop"), &[]).await;
        assert_eq!(input, json!("processModelInfoId"));
        let (_, _, input) = w.client.post_err("/API/PMM/ProcessModel/999999/stop", &[]).await;
        assert_eq!(input, json!("processModelInfoId"));
        let (_, _, input) = w.client.post_err("/API/PMM/ProcessModel/abc/stop", &[]).await;
        assert_eq!(input, json!("processModelInfoId"));
        let (s, _) = w.client.get(&format!("/API/PMM/ProcessModel/{fam}/stop"), &[]).await;
        assert_eq!(s, 405);

        // Release activates the latest finalized version again.
        let v = w.client.post_ok(&format!("/API/PMM/ProcessModel/{fam}/release"), &[("note", "again")]).await;
        assert_eq!(v["processModelInfoId"], w.family);
        assert!(v["processModelId"].is_i64());
        w.start("alice", "After release").await;

        // Another organization sees none of it.
        let other = World::new(&app, "QMB").await;
        let (_, _, input) = other.client.post_err(&format!("/API/PMM/ProcessModel/{fam}/stop"), &[]).await;
        assert_eq!(input, json!("processModelInfoId"));
        let v = other.client.get_ok("/API/Admin/ProcessModel/list", &[]).await;
        assert_eq!(v["count"], 1);
        assert_ne!(v["processModelInfos"][0]["processModelInfoId"], w.family);
    }

    async fn authorities_to_users_units_and_roles(app) {
        let w = World::new(&app, "QMC").await;
        let fam = w.family.to_string();
        let q = &w.client;
        let carol = w.users[2].to_string();
        let v = q.post_ok("/API/Admin/ProcessAuthority/addToQuser", &[("processModelInfoId", &fam), ("type", "2"), ("quserId", &carol)]).await;
        let a = &v["processAuthority"];
        let id = a["id"].as_i64().unwrap();
        assert_eq!(a["type"], 2);
        assert_eq!(a["processModelInfo"], json!({"id": w.family, "name": "Expense"}));
        assert_eq!(a["quser"]["id"], w.users[2]);
        assert!(a["qgroup"].is_null() && a["qrole"].is_null());
        // Granting again answers the same grant.
        let again = q.post_ok("/API/Admin/ProcessAuthority/addToQuser", &[("processModelInfoId", &fam), ("type", "2"), ("quserId", &carol)]).await;
        assert_eq!(again["processAuthority"]["id"], id);

        // A unit: its members see every case.
        let unit = add_qgroup(q, "Audit").await.to_string();
        q.post_ok("/API/UGA/Membership/add", &[("quserId", &w.users[3].to_string()), ("qgroupId", &unit)]).await;
        let case = w.start("alice", "Audited").await;
        assert_eq!(w.as_("dave").get_ok("/API/OR/ProcessInstance/list", &[]).await["count"], 0);
        let v = q.post_ok("/API/Admin/ProcessAuthority/addToQgroup", &[("processModelInfoId", &fam), ("type", "2"), ("qgroupId", &unit), ("descendantQgroups", "true")]).await;
        assert_eq!(v["processAuthority"]["qgroup"]["name"], "Audit");
        assert_eq!(v["processAuthority"]["descendantQgroups"], true);
        assert_eq!(v["processAuthority"]["leader"], false);
        assert_eq!(ids(&w.as_("dave").get_ok("/API/OR/ProcessInstance/list", &[]).await), vec![case]);

        // A role: its holders see every case.
        let role = q.post_ok("/API/UGA/Qrole/add", &[("name", "Auditors")]).await["qrole"]["id"].as_i64().unwrap().to_string();
        q.post_ok("/API/UGA/RoleMembership/add", &[("quserId", &w.users[1].to_string()), ("qroleId", &role)]).await;
        let v = q.post_ok("/API/Admin/ProcessAuthority/addToQrole", &[("processModelInfoId", &fam), ("type", "1"), ("qroleId", &role)]).await;
        assert_eq!(v["processAuthority"]["qrole"]["name"], "Auditors");
        assert_eq!(ids(&w.as_("bob").get_ok("/API/OR/ProcessInstance/list", &[]).await), vec![case]);

        // Lists, by type.
        let all = q.get_ok("/API/Admin/ProcessAuthority/list", &[("processModelInfoId", &fam)]).await;
        assert_eq!(all["processAuthorities"].as_array().unwrap().len(), 3);
        let managers = q.get_ok("/API/Admin/ProcessAuthority/list", &[("processModelInfoId", &fam), ("type", "1")]).await;
        assert_eq!(managers["processAuthorities"].as_array().unwrap().len(), 1);

        // Delete: the user no longer sees the case.
        let carol_q = w.as_("carol");
        assert_eq!(carol_q.get_ok("/API/OR/ProcessInstance/list", &[]).await["count"], 1);
        q.post_ok("/API/Admin/ProcessAuthority/delete", &[("id", &id.to_string())]).await;
        assert_eq!(carol_q.get_ok("/API/OR/ProcessInstance/list", &[]).await["count"], 0);
        let (code, _, _) = q.post_err("/API/Admin/ProcessAuthority/delete", &[("id", &id.to_string())]).await;
        assert_eq!(code, "10001");

        // Refusals.
        let (s, _) = carol_q.post("/API/Admin/ProcessAuthority/addToQuser", &[("processModelInfoId", &fam), ("type", "2"), ("quserId", &carol)]).await;
        assert_eq!(s, 403);
        let (s, _) = carol_q.get("/API/Admin/ProcessAuthority/list", &[("processModelInfoId", &fam)]).await;
        assert_eq!(s, 403);
        let (_, _, input) = q.post_err("/API/Admin/ProcessAuthority/addToQuser", &[("processModelInfoId", &fam), ("type", "4"), ("quserId", &carol)]).await;
        assert_eq!(input, json!("type"));
        let (_, _, input) = q.post_err("/API/Admin/ProcessAuthority/addToQuser", &[("processModelInfoId", &fam), ("quserId", &carol)]).await;
        assert_eq!(input, json!("type"));
        let (code, _, _) = q.post_err("/API/Admin/ProcessAuthority/addToQuser", &[("processModelInfoId", &fam), ("type", "2"), ("quserId", "999999")]).await;
        assert_eq!(code, "10002");
        let (_, _, input) = q.post_err("/API/Admin/ProcessAuthority/addToQuser", &[("processModelInfoId", "999999"), ("type", "2"), ("quserId", &carol)]).await;
        assert_eq!(input, json!("processModelInfoId"));
        let (code, _, _) = q.post_err("/API/Admin/ProcessAuthority/addToQgroup", &[("processModelInfoId", &fam), ("type", "2"), ("qgroupId", "999999")]).await;
        assert_eq!(code, "10003");
        let (_, _, input) = q.post_err("/API/Admin/ProcessAuthority/addToQrole", &[("processModelInfoId", &fam), ("type", "2"), ("qroleId", "999999")]).await;
        assert_eq!(input, json!("qroleId"));
        let (_, _, input) = q.get_err("/API/Admin/ProcessAuthority/list", &[]).await;
        assert_eq!(input, json!("processModelInfoId"));

        // Another organization cannot grant over this model, nor to its users.
        let other = World::new(&app, "QMD").await;
        let (_, _, input) = other.client.post_err("/API/Admin/ProcessAuthority/addToQuser", &[("processModelInfoId", &fam), ("type", "2"), ("quserId", &other.users[0].to_string())]).await;
        assert_eq!(input, json!("processModelInfoId"));
        let (code, _, _) = other.client.post_err("/API/Admin/ProcessAuthority/addToQuser", &[("processModelInfoId", &other.family.to_string()), ("type", "2"), ("quserId", &carol)]).await;
        assert_eq!(code, "10002");
        let (code, _, _) = other.client.post_err("/API/Admin/ProcessAuthority/delete", &[("id", &v["processAuthority"]["id"].to_string())]).await;
        assert_eq!(code, "10001");
    }
}

both! {
    async fn message_starts_are_not_startable_and_start_enters_the_named_start(app) {
        let m = crate::questetra_events::model(&app, "QMS", STARTS).await;
        let client = crate::questetra::org_client(&app, &m.org).await;
        let root = client.as_(crate::questetra::Auth::Basic(format!("root@{}", m.org.abbr), "secret-pw".into()));
        let node = |k: &str| m.import["nodes"][k].as_i64().unwrap();
        let v = root.get_ok("/API/PE/ProcessModel/listStartable", &[]).await;
        let mut names: Vec<&str> = v["startableActivities"].as_array().unwrap().iter().map(|a| a["nodeName"].as_str().unwrap()).collect();
        names.sort();
        assert_eq!((v["count"].as_i64(), names), (Some(2), vec!["By mail", "By phone"]));
        assert_eq!(client.get_ok("/API/PE/ProcessModel/listStartable", &[]).await["count"], 2);

        // A message start is refused; a none start enters itself only.
        let fam = m.family.to_string();
        let start = |n: i64| {
            let fam = fam.clone();
            let root = &root;
            async move {
                root.post("/API/PE/ProcessInstance/start", &[("processModelInfoId", &fam), ("nodeNumber", &n.to_string())]).await
            }
        };
        let (s, v) = start(node("Shop")).await;
        assert_eq!((s, error_of(&v).2), (400, json!("nodeNumber")), "{v}");
        let (s, v) = start(node("Phone")).await;
        assert_eq!((s, error_of(&v).2), (400, json!("nodeNumber")), "{v}");
        for (at, task) in [("ByMail", "Mail"), ("ByPhone", "Phone")] {
            let (s, v) = start(node(at)).await;
            assert_eq!(s, 200, "{v}");
            let id = v["workitem"]["processInstanceId"].to_string();
            let pi = root.get_ok("/API/OR/ProcessInstance/view", &[("processInstanceId", &id)]).await;
            assert_eq!(pi["processInstance"]["activeTokenNodeName"], json!([task]), "started at {at}");
        }
    }
}
