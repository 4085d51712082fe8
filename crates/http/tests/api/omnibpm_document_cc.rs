//! OmniBPM document CCs: who may send them and to whom, replies, nodes that wait for them,
//! the flags and log entries they show, on both backends.

use crate::both;
use crate::helpers::TestApp;
use crate::omnibpm_document::*;
use serde_json::{json, Value};

/// A `document/cc` body.
fn cc_body(doc: i64, from: i64, to: i64, node: i64, reply_required: bool, comment: &str) -> Value {
    json!({"document": {"__id__": doc}, "from_user": {"__id__": from}, "to_user": {"__id__": to}, "node": {"__id__": node}, "reply_required": reply_required, "comment": comment})
}

/// A `document/cc/reply` body.
fn reply_body(doc: i64, user: i64, cc: i64, comment: &str) -> Value {
    json!({"document": {"__id__": doc}, "user": {"__id__": user}, "cc": {"__id__": cc}, "comment": comment})
}

/// The users `user` may CC the document to.
async fn targets(app: &TestApp, co: &Co, doc: i64, user: i64) -> Vec<i64> {
    let v = app
        .ok(
            &co.org,
            "document/cc/list_target",
            json!({"document": {"__id__": doc}, "user": {"__id__": user}}),
        )
        .await;
    ids(&v["users"])
}

both! {
    async fn a_cc_is_sent_read_and_answered(app) {
        let co = Co::new(&app, "ACME").await;
        let org = &co.org;
        let clerk = co.clerk(&app, "clerk").await;
        let boss = co.clerk(&app, "boss").await;
        let friend = co.clerk(&app, "friend").await;
        let other = co.clerk(&app, "other").await;
        let (wf, a, b) = two_steps(&app, org, "Leave", boss).await;
        let id = create_id(&app, org, wf, clerk, "Leave").await;
        // The receiver cannot read the document before the CC.
        app.err(org, "document/get", json!({"document": {"__id__": id}, "user": {"__id__": friend}}), 403).await;
        let d = get(&app, org, id, clerk).await;
        assert_eq!(d["allow_cc_for_user"], true);
        let v = app.ok(org, "document/cc", cc_body(id, clerk, friend, a, false, "FYI")).await;
        let d = &v["document"];
        assert_eq!(d["latest_version"], 2);
        let cc = &d["cc_list"][0];
        assert_eq!(
            (cc["from_user_id"].as_i64(), cc["to_user_id"].as_i64(), cc["doc_id"].as_i64(), cc["sender_comment_version"].as_i64(), cc["receiver_comment_version"].as_i64()),
            (Some(clerk), Some(friend), Some(id), Some(2), Some(-1))
        );
        assert_eq!((cc["is_complete"].as_bool(), cc["parent_cc"].clone(), cc["__model__"].as_str()), (Some(false), json!(null), Some("CC")));
        let cc_id = cc["__id__"].as_i64().unwrap();
        let c = &d["comments"][0];
        assert_eq!((c["comment"].as_str(), c["sender_cc_id"].as_i64(), c["is_cc_reply"].as_bool(), c["user_id"].as_i64()), (Some("FYI"), Some(cc_id), Some(false), Some(clerk)));
        // The receiver reads it, and may answer it once.
        let d = get(&app, org, id, friend).await;
        assert_eq!((d["is_cc_responsible"].as_bool(), d["is_submittable"].as_bool(), d["allow_cc_for_user"].as_bool()), (Some(true), Some(false), Some(false)));
        assert_eq!(get(&app, org, id, clerk).await["is_cc_reply_readable"], false);
        let before = get(&app, org, id, clerk).await;
        let msg = app.err(org, "document/cc/reply", reply_body(id, other, cc_id, "me?"), 403).await;
        assert!(msg.contains(&cc_id.to_string()), "{msg}");
        app.err(org, "document/cc/reply", reply_body(id, clerk, cc_id, "me?"), 403).await;
        app.err(org, "document/cc/reply", reply_body(id, friend, 999_999_999, "?"), 404).await;
        assert_eq!(get(&app, org, id, clerk).await, before);
        let v = app.ok(org, "document/cc/reply", reply_body(id, friend, cc_id, "Noted")).await;
        let r = &v["cc"];
        assert_eq!((r["__id__"].as_i64(), r["is_complete"].as_bool(), r["receiver_comment_version"].as_i64(), r["sender_comment_version"].as_i64()), (Some(cc_id), Some(true), Some(3), Some(2)));
        assert_eq!((r["from_user"]["__id__"].as_i64(), r["to_user"]["__id__"].as_i64(), r["doc"]["__id__"].as_i64()), (Some(clerk), Some(friend), Some(id)));
        let msg = app.err(org, "document/cc/reply", reply_body(id, friend, cc_id, "Again"), 409).await;
        assert!(msg.contains("answered"), "{msg}");
        let d = get(&app, org, id, clerk).await;
        assert_eq!((d["is_cc_reply_readable"].as_bool(), d["latest_version"].as_i64()), (Some(true), Some(3)));
        let reply = d["comments"].as_array().unwrap().last().unwrap().clone();
        assert_eq!((reply["comment"].as_str(), reply["is_cc_reply"].as_bool(), reply["receiver_cc_id"].as_i64(), reply["user_id"].as_i64()), (Some("Noted"), Some(true), Some(cc_id), Some(friend)));
        assert_eq!(get(&app, org, id, friend).await["is_cc_responsible"], false);
        // A CC without reply_required does not hold the node up; the routing is untouched.
        assert_eq!((current(&d), ids(&d["current_users_ids"])), (vec![a], vec![clerk]));
        submit(&app, org, id, clerk, json!({})).await;
        assert_eq!(current(&get(&app, org, id, clerk).await), [b]);
        let kinds = kinds(&logs(&app, org, id).await);
        assert_eq!(kinds, pairs(&[("create", "new_document"), ("cc", "to_user"), ("cc_reply", "cc_read"), ("sign", "sign")]));
        // The receiver can still read it afterwards, and the sender's list of CC targets is gone.
        get(&app, org, id, friend).await;
        assert_eq!(targets(&app, &co, id, clerk).await, Vec::<i64>::new());
    }

    async fn only_a_responsible_user_of_the_current_node_sends_ccs(app) {
        let co = Co::new(&app, "ACME").await;
        let org = &co.org;
        let clerk = co.clerk(&app, "clerk").await;
        let boss = co.clerk(&app, "boss").await;
        let friend = co.clerk(&app, "friend").await;
        let (wf, a, b) = two_steps(&app, org, "Leave", boss).await;
        let id = create_id(&app, org, wf, clerk, "Leave").await;
        let before = get(&app, org, id, clerk).await;
        // Not responsible for the node; a node that is not current; another workflow's node.
        let msg = app.err(org, "document/cc", cc_body(id, boss, friend, a, false, "x"), 403).await;
        assert!(msg.contains(&boss.to_string()), "{msg}");
        app.err(org, "document/cc", cc_body(id, clerk, friend, b, false, "x"), 403).await;
        app.err(org, "document/cc", cc_body(id, boss, friend, b, false, "x"), 403).await;
        let (other_wf, other_node) = one_step(&app, org, "Other").await;
        let _ = other_wf;
        app.err(org, "document/cc", cc_body(id, clerk, friend, other_node, false, "x"), 400).await;
        app.err(org, "document/cc", cc_body(id, clerk, 999_999_999, a, false, "x"), 404).await;
        let gone = co.user_at(&app, "gone", co.dept("MIS Department"), co.rank("Specialist"), json!({"is_active": false})).await;
        app.err(org, "document/cc", cc_body(id, clerk, gone, a, false, "x"), 403).await;
        assert_eq!(get(&app, org, id, clerk).await, before, "refused CCs change nothing");
        assert_eq!(targets(&app, &co, id, boss).await, Vec::<i64>::new());
        // A delegate sends for the responsible user.
        let sec = co.clerk(&app, "sec").await;
        let mut body = cc_body(id, clerk, friend, a, false, "for clerk");
        body["delegated_user"] = json!({"__id__": sec});
        app.ok(org, "document/cc", body).await;
        let last = logs(&app, org, id).await.last().unwrap().clone();
        assert_eq!((last["user"]["__id__"].as_i64(), last["delegated_user"]["__id__"].as_i64()), (Some(clerk), Some(sec)));
        // No CC once the document is done.
        submit(&app, org, id, clerk, json!({})).await;
        submit(&app, org, id, boss, json!({})).await;
        let msg = app.err(org, "document/cc", cc_body(id, boss, friend, b, false, "late"), 409).await;
        assert!(msg.contains("completed"), "{msg}");
        assert_eq!(get(&app, org, id, boss).await["allow_cc_for_user"], false);
    }

    async fn ccs_go_only_to_the_allowed_targets_of_the_node(app) {
        let co = Co::new(&app, "ACME").await;
        let org = &co.org;
        let clerk = co.clerk(&app, "clerk").await;
        let boss = co.clerk(&app, "boss").await;
        let advisor = co.clerk(&app, "advisor").await;
        let fin1 = co.user(&app, "fin1", "Finance Department", "Specialist").await;
        let fin2 = co.user(&app, "fin2", "Finance Department", "Manager").await;
        let m1 = co.user(&app, "m1", "Sales Department", "Specialist").await;
        let ext = co.user_at(&app, "ext", co.dept("Sales Department"), co.rank("Specialist"), json!({"is_external": true})).await;
        let club = co.group(&app, "Club", &[m1]).await;
        let wf = new_workflow(&app, org, "Targets").await;
        let a = node(&app, org, wf, json!({"note": "Apply", "as_doc_creator": true, "n_sign": 1, "allowed_cc_users": refs(&[advisor])})).await;
        let b = node(&app, org, wf, json!({"note": "Also mine", "as_doc_creator": true, "n_sign": 1, "allowed_cc_departments": refs(&[co.dept("Finance Department")]), "allowed_cc_groups": refs(&[club])})).await;
        let c = node(&app, org, wf, json!({"note": "Anyone", "user": {"__id__": boss}, "n_sign": 1})).await;
        link(&app, org, a, c).await;
        link(&app, org, b, c).await;
        activate(&app, org, wf).await;
        let id = create_id(&app, org, wf, clerk, "Targets").await;
        // On two current nodes, the targets are their union.
        assert_eq!(targets(&app, &co, id, clerk).await, sorted(&[advisor, fin1, fin2, m1]));
        let before = get(&app, org, id, clerk).await;
        let msg = app.err(org, "document/cc", cc_body(id, clerk, fin1, a, false, "x"), 403).await;
        assert!(msg.contains(&fin1.to_string()), "{msg}");
        app.err(org, "document/cc", cc_body(id, clerk, boss, a, false, "x"), 403).await;
        app.err(org, "document/cc", cc_body(id, clerk, advisor, b, false, "x"), 403).await;
        app.err(org, "document/cc", cc_body(id, clerk, ext, b, false, "x"), 403).await;
        assert_eq!(get(&app, org, id, clerk).await, before);
        app.ok(org, "document/cc", cc_body(id, clerk, advisor, a, false, "x")).await;
        app.ok(org, "document/cc", cc_body(id, clerk, fin2, b, false, "x")).await;
        app.ok(org, "document/cc", cc_body(id, clerk, m1, b, false, "x")).await;
        // Without allowed lists, "All Users": every active internal user.
        submit(&app, org, id, clerk, json!({})).await;
        assert_eq!(targets(&app, &co, id, boss).await, sorted(&[clerk, boss, advisor, fin1, fin2, m1]));
        app.ok(org, "document/cc", cc_body(id, boss, fin1, c, false, "x")).await;
        app.err(org, "document/cc", cc_body(id, boss, ext, c, false, "x"), 403).await;
        assert_eq!(get(&app, org, id, clerk).await["cc_list"].as_array().unwrap().len(), 4);
    }

    async fn a_node_that_does_not_allow_cc_refuses_them(app) {
        let co = Co::new(&app, "ACME").await;
        let org = &co.org;
        let clerk = co.clerk(&app, "clerk").await;
        let friend = co.clerk(&app, "friend").await;
        let wf = new_workflow(&app, org, "Closed").await;
        let a = node(&app, org, wf, json!({"note": "Apply", "as_doc_creator": true, "n_sign": 1, "allow_cc": false})).await;
        activate(&app, org, wf).await;
        let id = create_id(&app, org, wf, clerk, "Closed").await;
        let d = get(&app, org, id, clerk).await;
        assert_eq!((d["allow_cc_for_user"].as_bool(), d["is_ccable"].as_bool()), (Some(false), Some(false)));
        let msg = app.err(org, "document/cc", cc_body(id, clerk, friend, a, false, "x"), 403).await;
        assert!(msg.contains("CC"), "{msg}");
        assert_eq!(get(&app, org, id, clerk).await, d);
        assert_eq!(targets(&app, &co, id, clerk).await, Vec::<i64>::new());
    }

    async fn a_node_requiring_all_cc_responses_waits_for_the_replies(app) {
        let co = Co::new(&app, "ACME").await;
        let org = &co.org;
        let clerk = co.clerk(&app, "clerk").await;
        let boss = co.clerk(&app, "boss").await;
        let advisor = co.clerk(&app, "advisor").await;
        let lawyer = co.clerk(&app, "lawyer").await;
        let fin = co.clerk(&app, "fin").await;
        let wf = new_workflow(&app, org, "Careful").await;
        let a = node(&app, org, wf, json!({"note": "Apply", "as_doc_creator": true, "n_sign": 1})).await;
        let b = node(&app, org, wf, json!({"note": "Consult", "user": {"__id__": boss}, "n_sign": 1, "require_all_cc_response": true})).await;
        let c = node(&app, org, wf, json!({"note": "Pay", "user": {"__id__": fin}, "n_sign": 1})).await;
        link(&app, org, a, b).await;
        link(&app, org, b, c).await;
        activate(&app, org, wf).await;
        let id = create_id(&app, org, wf, clerk, "Careful").await;
        submit(&app, org, id, clerk, json!({})).await;
        app.ok(org, "document/cc", cc_body(id, boss, advisor, b, true, "Your view?")).await;
        app.ok(org, "document/cc", cc_body(id, boss, lawyer, b, true, "Yours?")).await;
        // An answer that is not required does not hold it up.
        app.ok(org, "document/cc", cc_body(id, boss, fin, b, false, "FYI")).await;
        let d = get(&app, org, id, clerk).await;
        assert_eq!(ids(&d["current_responsible_users"]), sorted(&[boss, advisor, lawyer]));
        let l = app.ok(org, "document/list", json!({"current_user": {"__id__": advisor}, "current_document": true})).await;
        assert_eq!(ids(&l["processing"]), [id], "a reply owed puts it on the advisor's desk");
        let r = submit(&app, org, id, boss, json!({})).await;
        assert_eq!(r["is_complete"], false);
        let d = get(&app, org, id, clerk).await;
        assert_eq!(current(&d), [b], "waits for the replies");
        assert_eq!((d["current_users_ids"].clone(), ids(&d["current_responsible_users"])), (json!([]), sorted(&[advisor, lawyer])));
        let ccs: Vec<i64> = d["cc_list"].as_array().unwrap().iter().map(|c| c["__id__"].as_i64().unwrap()).collect();
        app.ok(org, "document/cc/reply", reply_body(id, advisor, ccs[0], "Fine")).await;
        assert_eq!(current(&get(&app, org, id, clerk).await), [b]);
        app.ok(org, "document/cc/reply", reply_body(id, lawyer, ccs[1], "Fine too")).await;
        // The last reply completes the node.
        let d = get(&app, org, id, clerk).await;
        assert_eq!((current(&d), ids(&d["current_users_ids"])), (vec![c], vec![fin]));
        let s = sigs(&d, "signatures").last().unwrap().clone();
        assert_eq!((s["type"].as_str(), s["user_id"].as_i64(), ids(&s["completed_nodes_ids"])), (Some("CC"), Some(lawyer), vec![b]));
        let l = app.ok(org, "document/list", json!({"current_user": {"__id__": advisor}, "current_document": true})).await;
        assert_eq!(l["processing"], json!([]));
        assert_eq!(submit(&app, org, id, fin, json!({})).await["is_complete"], true);
        // The fin CC is still open and may be answered after completion.
        app.ok(org, "document/cc/reply", reply_body(id, fin, ccs[2], "ok")).await;
        let _ = a;

        // Replies that come before the signature: the signature completes the node.
        let id = create_id(&app, org, wf, clerk, "Early").await;
        submit(&app, org, id, clerk, json!({})).await;
        app.ok(org, "document/cc", cc_body(id, boss, advisor, b, true, "?")).await;
        let cc = get(&app, org, id, boss).await["cc_list"][0]["__id__"].as_i64().unwrap();
        app.ok(org, "document/cc/reply", reply_body(id, advisor, cc, "!")).await;
        assert_eq!(current(&get(&app, org, id, clerk).await), [b]);
        submit(&app, org, id, boss, json!({})).await;
        assert_eq!(current(&get(&app, org, id, clerk).await), [c]);
    }

    async fn a_signer_may_cc_themselves(app) {
        // The sender is among the node's targets ("All Users"); both backends accept it.
        let co = Co::new(&app, "ACME").await;
        let org = &co.org;
        let clerk = co.clerk(&app, "clerk").await;
        let boss = co.clerk(&app, "boss").await;
        let (wf, a, _) = two_steps(&app, org, "Self", boss).await;
        let id = create_id(&app, org, wf, clerk, "Self").await;
        let v = app.ok(org, "document/cc", cc_body(id, clerk, clerk, a, true, "note to self")).await;
        assert_eq!(v["document"]["cc_list"][0]["to_user_id"], clerk);
        let cc = v["document"]["cc_list"][0]["__id__"].as_i64().unwrap();
        app.ok(org, "document/cc/reply", reply_body(id, clerk, cc, "done")).await;
    }
}
