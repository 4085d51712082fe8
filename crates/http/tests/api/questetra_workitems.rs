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
        // A node part that is no node of the case's version is as unknown as a bad case.
        let made_up = ((a << 21) | 999).to_string();
        for path in ["/API/OR/Workitem/Star/add", "/API/OR/Workitem/Star/remove"] {
            let (code, _, input) = alice.post_err(path, &[("workitemId", &made_up)]).await;
            assert_eq!((code.as_str(), input), ("10000", json!("workitemId")));
        }

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

const RECORDS: &str = "/API/OR/Workitem/list";

fn records(v: &Value) -> Vec<(i64, String, String)> {
    v["workitems"]
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {v}"))
        .iter()
        .map(|w| {
            (
                w["processInstanceId"].as_i64().unwrap(),
                w["nodeName"].as_str().unwrap().to_string(),
                w["state"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

both! {
    async fn task_records_list_done_and_current_tasks(app) {
        let w = World::new(&app, "QWR").await;
        let a = w.start("alice", "Trip A").await;
        let b = w.start("alice", "Trip B").await;
        submit(&app, &w.co.org, a, w.users[0], json!({})).await;
        let alice = w.as_("alice");
        let bob = w.as_("bob");
        let v = alice.get_ok(RECORDS, &[]).await;
        assert_eq!(v["count"], 2);
        assert_eq!(
            records(&v),
            vec![(a, "Apply".into(), "ENDED".into()), (b, "Apply".into(), "ALLOCATED".into())]
        );
        let done = &v["workitems"][0];
        assert!(done["endDatetime"].is_string());
        assert_eq!(done["allocatedQuserId"], w.users[0]);
        assert!(done["data"].is_object(), "{done}");
        assert_eq!(done["nodeNumber"], w.apply);
        assert!(v["workitems"][1]["endDatetime"].is_null());
        assert_eq!(records(&bob.get_ok(RECORDS, &[]).await), vec![(a, "Approve".into(), "ALLOCATED".into())]);

        // Criteria: states, model, case, title, starred, direction; paging.
        let crit = |x: &str| format!("<workitem-criteria>{x}</workitem-criteria>");
        let me = &alice;
        let q = |c: String| async move { me.get_ok(RECORDS, &[("criteria", c.as_str())]).await };
        assert_eq!(records(&q(crit("<states><state>ALLOCATED</state></states>")).await), vec![(b, "Apply".into(), "ALLOCATED".into())]);
        assert_eq!(q(crit("<states><state>ENDED</state><state>ALLOCATED</state></states>")).await["count"], 2);
        assert_eq!(q(crit(&format!("<process-instance-id>{b}</process-instance-id>"))).await["count"], 1);
        assert_eq!(q(crit(&format!("<process-model-info-id>{}</process-model-info-id>", w.family))).await["count"], 2);
        assert_eq!(q(crit("<process-model-info-id>999999</process-model-info-id>")).await["count"], 0);
        assert_eq!(records(&q(crit("<process-instance-title>trip a</process-instance-title>")).await)[0].0, a);
        assert_eq!(q(crit("<starred>true</starred>")).await["count"], 0);
        assert_eq!(q(crit("<date-from>2000-01-01</date-from><date-to>#now</date-to>")).await["count"], 2);
        assert_eq!(q(crit("<date-to>2000-01-01</date-to>")).await["count"], 0);
        assert_eq!(records(&q(crit("<sort-direction>ASC</sort-direction>")).await)[0].0, b);
        let v = alice.get_ok(RECORDS, &[("limit", "1"), ("start", "1")]).await;
        assert_eq!(v["count"], 2);
        assert_eq!(records(&v), vec![(b, "Apply".into(), "ALLOCATED".into())]);

        // Refusals name the parameter.
        for bad in [
            "<process-instance-criteria/>",
            &crit("<states><state>WAITING</state></states>"),
            &crit("<node-name>x</node-name>"),
            &crit("<date-from>yesterday</date-from>"),
            &crit("<starred>maybe</starred>"),
            "<workitem-criteria>",
        ] {
            let (_, _, input) = alice.get_err(RECORDS, &[("criteria", bad)]).await;
            assert_eq!(input, json!("criteria"), "{bad}");
        }
        let (_, _, input) = alice.get_err(RECORDS, &[("limit", "1001")]).await;
        assert_eq!(input, json!("limit"));

        // CSV forms.
        let (s, ct, body) = crate::questetra_process_instances::raw_get(&alice, "/API/OR/Workitem/listCsv", &[]).await;
        assert_eq!(s, 200);
        assert!(ct.starts_with("text/csv; charset=UTF-8"), "{ct}");
        let text = String::from_utf8(body).unwrap();
        assert_eq!(text.lines().count(), 3, "{text}");
        assert!(text.contains("Trip A") && text.contains("ENDED"));
        let (s, ct, body) = crate::questetra_process_instances::raw_get(&alice, "/API/OR/Workitem/listCsvUtf16", &[]).await;
        assert_eq!(s, 200);
        assert!(ct.contains("UTF-16LE"));
        assert_eq!(&body[..2], &[0xFF, 0xFE]);

        // The client has no records; another organization's Alice sees only hers.
        assert_eq!(w.client.get_ok(RECORDS, &[]).await["count"], 0);
        let other = World::new(&app, "QWS").await;
        let c = other.start("alice", "C").await;
        assert_eq!(records(&other.as_("alice").get_ok(RECORDS, &[]).await), vec![(c, "Apply".into(), "ALLOCATED".into())]);
        let (s, _) = alice.post(RECORDS, &[]).await;
        assert_eq!(s, 405);
        let (s, _) = alice.as_(Auth::Nothing).get(RECORDS, &[]).await;
        assert_eq!(s, 401);
    }
}

const OFFERED: &str = "/API/PE/Workitem/listOffered";
const ACCEPT: &str = "/API/PE/Workitem/batchAccept";

both! {
    async fn pool_tasks_are_offered_until_one_accepts(app) {
        use crate::omnibpm_document::{activate, create_id, link, new_workflow, node, perms};
        let w = World::new(&app, "QWO").await;
        let org = &w.co.org;
        let pool = w.co.department(&app, "Pool", w.co.dept("CEO's Office")).await;
        let pw = json!({"password": "secret-pw1"});
        let rank = w.co.rank("Specialist");
        let p1 = w.co.user_at(&app, "p1", pool, rank, pw.clone()).await;
        let p2 = w.co.user_at(&app, "p2", pool, rank, pw.clone()).await;
        let wf = new_workflow(&app, org, "Pooled").await;
        let apply = node(&app, org, wf, json!({"note": "Apply", "as_doc_creator": true, "n_sign": 1})).await;
        let review = node(&app, org, wf, json!({"note": "Review", "department": {"__id__": pool}, "n_sign": 1})).await;
        link(&app, org, apply, review).await;
        activate(&app, org, wf).await;
        perms(&app, &w.co, wf, json!({})).await;
        let doc = create_id(&app, org, wf, w.users[0], "Pooled case").await;
        submit(&app, org, doc, w.users[0], json!({})).await;

        let (one, two) = (w.as_("p1"), w.as_("p2"));
        for q in [&one, &two] {
            let v = q.get_ok(OFFERED, &[]).await;
            assert_eq!(nodes(&v), vec![(doc, "Review".into())]);
            assert_eq!(v["workitems"][0]["state"], "OFFERED");
            assert_eq!(q.get_ok(MINE, &[]).await["count"], 0, "offered, not yet mine");
        }
        let wid = one.get_ok(OFFERED, &[]).await["workitems"][0]["id"].as_i64().unwrap();

        // Task records show the offer as OFFERED (allocated to nobody); criteria pick states.
        let state = |s: &str| format!("<workitem-criteria><states>{s}</states></workitem-criteria>");
        let offered = vec![(doc, "Review".to_string(), "OFFERED".to_string())];
        let v = one.get_ok(RECORDS, &[]).await;
        assert_eq!(records(&v), offered);
        assert!(v["workitems"][0]["allocatedQuserId"].is_null(), "{v}");
        let v = one.get_ok(RECORDS, &[("criteria", &state("<state>OFFERED</state>"))]).await;
        assert_eq!((v["count"].as_i64(), records(&v)), (Some(1), offered.clone()));
        let v = one.get_ok(RECORDS, &[("criteria", &state("<state>ENDED</state><state>OFFERED</state>"))]).await;
        assert_eq!(records(&v), offered);
        let v = one.get_ok(RECORDS, &[("criteria", &state("<state>ALLOCATED</state>"))]).await;
        assert_eq!(v["count"], 0);
        let v = one.get_ok(RECORDS, &[("criteria", &state("<state>ALLOCATED</state><state>ENDED</state>"))]).await;
        assert_eq!(v["count"], 0);
        // The starter's own record is not offered.
        let v = w.as_("alice").get_ok(RECORDS, &[("criteria", &state("<state>OFFERED</state>"))]).await;
        assert_eq!(v["count"], 0);

        // p1 accepts (with an id that is not offered beside it): the task is p1's alone.
        let v = one.post_ok(ACCEPT, &[("workitemIds", &format!("{wid},12345"))]).await;
        let results = v["results"].as_array().unwrap();
        assert_eq!(results.len(), 2);
        assert_eq!(results[0]["success"], true);
        assert_eq!(results[0]["workitemId"], wid);
        assert_eq!(results[0]["workitem"]["state"], "ALLOCATED");
        assert_eq!(results[0]["workitem"]["allocatedQuserId"], p1);
        assert_eq!(results[1]["success"], false);
        assert_eq!(results[1]["error"]["input"], "workitemIds");
        assert_eq!(nodes(&one.get_ok(MINE, &[]).await), vec![(doc, "Review".into())]);
        assert_eq!(one.get_ok(OFFERED, &[]).await["count"], 0);
        assert_eq!(two.get_ok(OFFERED, &[]).await["count"], 0);
        assert_eq!(two.get_ok(MINE, &[]).await["count"], 0);
        assert_eq!(one.get_ok(RECORDS, &[("criteria", &state("<state>OFFERED</state>"))]).await["count"], 0);
        let v = one.get_ok(RECORDS, &[("criteria", &state("<state>ALLOCATED</state>"))]).await;
        assert_eq!(records(&v), vec![(doc, "Review".to_string(), "ALLOCATED".to_string())]);
        assert_eq!(v["workitems"][0]["allocatedQuserId"], p1);
        assert_eq!(two.get_ok(RECORDS, &[]).await["count"], 0);
        // p2 is too late; accepting again is refused per id too.
        let v = two.post_ok(ACCEPT, &[("workitemIds", &wid.to_string())]).await;
        assert_eq!(v["results"][0]["success"], false);
        let v = one.post_ok(ACCEPT, &[("workitemIds", &wid.to_string())]).await;
        assert_eq!(v["results"][0]["success"], false);
        // p1 signs it; p2 never could after the accept.
        submit(&app, org, doc, p1, json!({})).await;
        assert_eq!(one.get_ok(MINE, &[]).await["count"], 0);
        let _ = p2;

        // Bad input; the client; another organization.
        for bad in ["", "x", "1,,y", "-1"] {
            let (_, _, input) = one.post_err(ACCEPT, &[("workitemIds", bad)]).await;
            assert_eq!(input, json!("workitemIds"), "{bad:?}");
        }
        let many: Vec<String> = (0..101).map(|i| i.to_string()).collect();
        let (_, _, input) = one.post_err(ACCEPT, &[("workitemIds", &many.join(","))]).await;
        assert_eq!(input, json!("workitemIds"));
        let (s, _) = w.client.post(ACCEPT, &[("workitemIds", "1")]).await;
        assert_eq!(s, 403);
        assert_eq!(w.client.get_ok(OFFERED, &[]).await["count"], 0);
        let other = World::new(&app, "QWP").await;
        let v = other.as_("alice").post_ok(ACCEPT, &[("workitemIds", &wid.to_string())]).await;
        assert_eq!(v["results"][0]["success"], false);
        let (s, _) = one.get(ACCEPT, &[]).await;
        assert_eq!(s, 405);
        let (s, _) = one.as_(Auth::Nothing).get(OFFERED, &[]).await;
        assert_eq!(s, 401);
    }
}

const REALLOCATE: &str = "/API/PIM/Workitem/reallocate";

both! {
    async fn managers_reallocate_current_tasks(app) {
        let w = World::new(&app, "QWM").await;
        let a = w.start("alice", "A").await;
        let alice = w.as_("alice");
        let wid = alice.get_ok(MINE, &[]).await["workitems"][0]["id"].as_i64().unwrap().to_string();
        let (bob_id, carol_id) = (w.users[1].to_string(), w.users[2].to_string());

        // Only managers: not the task's own user, not a data viewer.
        let (s, _) = alice.post(REALLOCATE, &[("workitemId", &wid), ("quserId", &bob_id)]).await;
        assert_eq!(s, 403);
        let fam = w.family.to_string();
        w.client.post_ok("/API/Admin/ProcessAuthority/addToQuser", &[("processModelInfoId", &fam), ("type", "1"), ("quserId", &w.users[3].to_string())]).await;
        let dave = w.as_("dave");
        dave.post_ok(REALLOCATE, &[("workitemId", &wid), ("quserId", &bob_id)]).await;
        assert_eq!(alice.get_ok(MINE, &[]).await["count"], 0);
        assert_eq!(nodes(&w.as_("bob").get_ok(MINE, &[]).await), vec![(a, "Apply".into())]);
        // The client may too; qgroupId is accepted.
        let root = crate::questetra::root_unit(&w.client).await.to_string();
        w.client.post_ok(REALLOCATE, &[("workitemId", &wid), ("quserId", &carol_id), ("qgroupId", &root)]).await;
        assert_eq!(w.as_("bob").get_ok(MINE, &[]).await["count"], 0);
        assert_eq!(nodes(&w.as_("carol").get_ok(MINE, &[]).await), vec![(a, "Apply".into())]);

        // Refusals name their parameter.
        for (params, input) in [
            (vec![("workitemId", wid.as_str()), ("quserId", "999999")], "quserId"),
            (vec![("workitemId", wid.as_str()), ("quserId", "x")], "quserId"),
            (vec![("workitemId", wid.as_str())], "quserId"),
            (vec![("workitemId", "x"), ("quserId", bob_id.as_str())], "workitemId"),
            (vec![("workitemId", "999999999999"), ("quserId", bob_id.as_str())], "workitemId"),
        ] {
            let (_, _, got) = dave.post_err(REALLOCATE, &params).await;
            assert_eq!(got, json!(input), "{params:?}");
        }
        // Another organization's user, and another organization's client.
        let other = World::new(&app, "QWN").await;
        let (_, _, got) = dave.post_err(REALLOCATE, &[("workitemId", &wid), ("quserId", &other.users[1].to_string())]).await;
        assert_eq!(got, json!("quserId"));
        let (_, _, got) = other.client.post_err(REALLOCATE, &[("workitemId", &wid), ("quserId", &other.users[1].to_string())]).await;
        assert_eq!(got, json!("workitemId"));
        // A signed task is no longer reallocated; nor is a stopped case's.
        submit(&app, &w.co.org, a, w.users[2], json!({})).await;
        let (_, _, got) = dave.post_err(REALLOCATE, &[("workitemId", &wid), ("quserId", &bob_id)]).await;
        assert_eq!(got, json!("workitemId"));
        w.client.post_ok("/API/OR/ProcessInstance/stop", &[("processInstanceId", &a.to_string())]).await;
        let approve = format!("{}", (a << 21) | 1);
        let (_, _, got) = dave.post_err(REALLOCATE, &[("workitemId", &approve), ("quserId", &carol_id)]).await;
        assert_eq!(got, json!("workitemId"));
        let (s, _) = dave.get(REALLOCATE, &[]).await;
        assert_eq!(s, 405);
    }
}
