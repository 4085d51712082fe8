//! Questetra Workitem: My Tasks (`/API/PE/Workitem/listAllocated`), on both backends.

use crate::both;
use crate::omnibpm_document::submit;
use crate::questetra::Auth;
use crate::questetra_process_instances::World;
use serde_json::{json, Value};

const MINE: &str = "/API/PE/Workitem/listAllocated";

fn nodes(v: &Value) -> Vec<(i64, String)> {
    v["workitems"]
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {v}"))
        .iter()
        .map(|w| {
            (
                w["processInstanceId"].as_i64().unwrap(),
                w["nodeName"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

both! {
    async fn my_tasks_follow_the_case(app) {
        let w = World::new(&app, "QWA").await;
        let a = w.start("alice", "A").await;
        let b = w.start("alice", "B").await;
        let alice = w.as_("alice");
        let v = alice.get_ok(MINE, &[]).await;
        assert_eq!(v["count"], 2);
        assert_eq!(nodes(&v), vec![(b, "Apply".into()), (a, "Apply".into())]);
        let item = &v["workitems"][1];
        assert_eq!(item["state"], "ALLOCATED");
        assert_eq!(item["nodeNumber"], w.apply);
        assert_eq!(item["allocatedQuserId"], w.users[0]);
        assert_eq!(item["processModelInfoId"], w.family);
        let first_id = item["id"].clone();
        assert_ne!(first_id, v["workitems"][0]["id"]);
        assert_eq!(w.as_("bob").get_ok(MINE, &[]).await, json!({"count": 0, "workitems": []}));

        // A star on a task stars its case.
        let wid = first_id.to_string();
        alice.post_ok("/API/OR/Workitem/Star/add", &[("workitemId", &wid)]).await;
        assert_eq!(alice.get_ok(MINE, &[]).await["workitems"][1]["starred"], true);
        let pi = alice.get_ok("/API/OR/ProcessInstance/view", &[("processInstanceId", &a.to_string())]).await;
        assert_eq!(pi["processInstance"]["starred"], true);
        alice.post_ok("/API/OR/Workitem/Star/remove", &[("workitemId", &wid)]).await;
        assert_eq!(alice.get_ok(MINE, &[]).await["workitems"][1]["starred"], false);
        let (_, _, input) = w.as_("carol").post_err("/API/OR/Workitem/Star/add", &[("workitemId", &wid)]).await;
        assert_eq!(input, json!("workitemId"));
        let (_, _, input) = alice.post_err("/API/OR/Workitem/Star/add", &[("workitemId", "x")]).await;
        assert_eq!(input, json!("workitemId"));

        // Alice signs A: it moves to Bob, with a work item id of its own.
        submit(&app, &w.co.org, a, w.users[0], json!({})).await;
        assert_eq!(nodes(&alice.get_ok(MINE, &[]).await), vec![(b, "Apply".into())]);
        let v = w.as_("bob").get_ok(MINE, &[]).await;
        assert_eq!(nodes(&v), vec![(a, "Approve".into())]);
        assert_ne!(v["workitems"][0]["id"], first_id);
        // The same task keeps its id.
        assert_eq!(w.as_("bob").get_ok(MINE, &[]).await["workitems"][0]["id"], v["workitems"][0]["id"]);

        // Stopped and finished cases leave My Tasks.
        alice.post_ok("/API/OR/ProcessInstance/stop", &[("processInstanceId", &b.to_string())]).await;
        assert_eq!(alice.get_ok(MINE, &[]).await["count"], 0);
        submit(&app, &w.co.org, a, w.users[1], json!({})).await;
        assert_eq!(w.as_("bob").get_ok(MINE, &[]).await["count"], 0);

        // The organization's client has no tasks; another organization's Alice has hers only.
        assert_eq!(w.client.get_ok(MINE, &[]).await["count"], 0);
        let other = World::new(&app, "QWB").await;
        let c = other.start("alice", "C").await;
        assert_eq!(nodes(&other.as_("alice").get_ok(MINE, &[]).await), vec![(c, "Apply".into())]);
        let (s, _) = alice.post(MINE, &[]).await;
        assert_eq!(s, 405);
        let (s, _) = alice.as_(Auth::Nothing).get(MINE, &[]).await;
        assert_eq!(s, 401);
    }
}
