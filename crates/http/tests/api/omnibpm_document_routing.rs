//! OmniBPM documents walked through every kind of node and routing rule, on both backends:
//! who may sign each node, joins, skips, deadlines, rejects and revivals.

use crate::both;
use crate::helpers::TestApp;
use crate::omnibpm_document::*;
use serde_json::{json, Value};

/// An organization whose MIS Department has a sub-department "MIS Support", with heads:
/// `ceo` (Executive Officer) heads CEO's Office, `mgr` (Manager) the MIS Department, `lead`
/// (Specialist) MIS Support, where `clerk` (Specialist) works.
struct Tree {
    co: Co,
    support: i64,
    ceo: i64,
    mgr: i64,
    lead: i64,
    clerk: i64,
}

async fn tree(app: &TestApp) -> Tree {
    let co = Co::new(app, "ACME").await;
    let support = co
        .department(app, "MIS Support", co.dept("MIS Department"))
        .await;
    let ceo = co
        .user(app, "ceo", "CEO's Office", "Executive Officer")
        .await;
    let mgr = co.user(app, "mgr", "MIS Department", "Manager").await;
    let lead = co
        .user_at(app, "lead", support, co.rank("Specialist"), json!({}))
        .await;
    let clerk = co
        .user_at(app, "clerk", support, co.rank("Specialist"), json!({}))
        .await;
    co.set_head(app, co.dept("CEO's Office"), ceo).await;
    co.set_head(app, co.dept("MIS Department"), mgr).await;
    co.set_head(app, support, lead).await;
    Tree {
        co,
        support,
        ceo,
        mgr,
        lead,
        clerk,
    }
}

/// A workflow of one supervisor node requiring `rank` (with extra node members); returns
/// the workflow and the node.
async fn supervisor_flow(
    app: &TestApp,
    co: &Co,
    name: &str,
    rank: &str,
    extra: Value,
) -> (i64, i64) {
    let wf = new_workflow(app, &co.org, name).await;
    let mut n = json!({"note": "Supervisors", "rank": {"__id__": co.rank(rank)}, "reference_node": null, "n_sign": 1});
    for (k, v) in extra.as_object().into_iter().flatten() {
        n[k] = v.clone();
    }
    let s = node(app, &co.org, wf, n).await;
    activate(app, &co.org, wf).await;
    (wf, s)
}

/// Current users of a document, read as `viewer`.
async fn current_users(app: &TestApp, co: &Co, doc: i64, viewer: i64) -> Vec<i64> {
    ids(&get(app, &co.org, doc, viewer).await["current_users_ids"])
}

both! {
    async fn user_and_creator_nodes_take_exactly_their_user(app) {
        let co = Co::new(&app, "ACME").await;
        let org = &co.org;
        let clerk = co.clerk(&app, "clerk").await;
        let boss = co.clerk(&app, "boss").await;
        let other = co.clerk(&app, "other").await;
        let (wf, a, b) = two_steps(&app, org, "Leave", boss).await;
        let id = create_id(&app, org, wf, clerk, "Leave").await;
        let d = get(&app, org, id, clerk).await;
        assert_eq!((current(&d), ids(&d["current_users_ids"])), (vec![a], vec![clerk]));
        assert_eq!(d["current_nodes"][0]["as_doc_creator"], true);
        assert_eq!(ids(&d["upcomming_tasks"]), [b]);
        for u in [boss, other] {
            let msg = submit_err(&app, org, id, 1, u, json!({}), 403).await;
            assert!(msg.contains(&u.to_string()), "{msg}");
        }
        submit(&app, org, id, clerk, json!({})).await;
        let d = get(&app, org, id, boss).await;
        assert_eq!((current(&d), ids(&d["current_users_ids"])), (vec![b], vec![boss]));
        assert_eq!(ids(&d["responsible_nodes"]), [b]);
        submit_err(&app, org, id, 2, clerk, json!({}), 403).await;
        submit_err(&app, org, id, 2, other, json!({}), 403).await;
        let r = submit(&app, org, id, boss, json!({})).await;
        assert_eq!(r["is_complete"], true);
        assert_eq!(r["is_completed"], true, "the spec's text names it is_completed");
        // Done: nothing is current, nobody signs.
        let d = get(&app, org, id, boss).await;
        assert_eq!((d["current_nodes_ids"].clone(), ids(&d["completed_nodes_ids"])), (json!([]), vec![a, b]));
        submit_err(&app, org, id, 3, boss, json!({}), 409).await;
    }

    async fn a_department_node_takes_any_member_and_n_sign_members(app) {
        let co = Co::new(&app, "ACME").await;
        let org = &co.org;
        let legal = co.department(&app, "Legal", co.dept("CEO's Office")).await;
        let contracts = co.department(&app, "Contracts", legal).await;
        let l1 = co.user_at(&app, "l1", legal, co.rank("Specialist"), json!({})).await;
        let l2 = co.user_at(&app, "l2", legal, co.rank("Manager"), json!({})).await;
        let l3 = co.user_at(&app, "l3", legal, co.rank("Specialist"), json!({})).await;
        let gone = co.user_at(&app, "gone", legal, co.rank("Specialist"), json!({"is_active": false})).await;
        let sub = co.user_at(&app, "sub", contracts, co.rank("Specialist"), json!({})).await;
        let clerk = co.clerk(&app, "clerk").await;
        let wf = new_workflow(&app, org, "Legal check").await;
        let one = node(&app, org, wf, json!({"note": "Anyone", "department": {"__id__": legal}, "n_sign": 1})).await;
        let two = node(&app, org, wf, json!({"note": "Two of them", "department": {"__id__": legal}, "n_sign": 2})).await;
        link(&app, org, one, two).await;
        activate(&app, org, wf).await;
        let id = create_id(&app, org, wf, clerk, "Contract").await;
        assert_eq!(current_users(&app, &co, id, clerk).await, [l1, l2, l3], "active members, not sub-departments");
        for u in [clerk, sub] {
            submit_err(&app, org, id, 1, u, json!({}), 403).await;
        }
        let _ = gone;
        submit(&app, org, id, l3, json!({})).await;
        let d = get(&app, org, id, l1).await;
        assert_eq!((current(&d), ids(&d["current_users_ids"])), (vec![two], vec![l1, l2, l3]));
        // n_sign 2: one signature leaves the node current, without the signer.
        let r = submit(&app, org, id, l1, json!({})).await;
        assert_eq!(r["is_complete"], false);
        let d = get(&app, org, id, l1).await;
        assert_eq!((current(&d), ids(&d["current_users_ids"])), (vec![two], vec![l2, l3]));
        assert_eq!(d["is_submittable"], false);
        submit_err(&app, org, id, 3, l1, json!({}), 403).await;
        let r = submit(&app, org, id, l2, json!({})).await;
        assert_eq!(r["is_complete"], true);
        let d = get(&app, org, id, clerk).await;
        assert_eq!(ids(&d["signed_users_ids"]), [l1, l2, l3]);
        let fulfilled: Vec<Vec<i64>> = sigs(&d, "signatures").iter().map(|s| ids(&s["fulfilled_nodes_ids"])).collect();
        assert_eq!(fulfilled, [vec![one], vec![two], vec![two]]);
        let completed: Vec<Vec<i64>> = sigs(&d, "signatures").iter().map(|s| ids(&s["completed_nodes_ids"])).collect();
        assert_eq!(completed, [vec![one], vec![], vec![two]]);
    }

    async fn a_group_node_takes_its_members_and_all_users_takes_everyone(app) {
        let co = Co::new(&app, "ACME").await;
        let org = &co.org;
        let r1 = co.clerk(&app, "r1").await;
        let r2 = co.user(&app, "r2", "Sales Department", "Director").await;
        let clerk = co.clerk(&app, "clerk").await;
        let ext = co.user_at(&app, "ext", co.dept("Sales Department"), co.rank("Specialist"), json!({"is_external": true})).await;
        let reviewers = co.group(&app, "Reviewers", &[r1, r2]).await;
        let wf = new_workflow(&app, org, "Review").await;
        // n_sign above the member count: every member signs.
        let g = node(&app, org, wf, json!({"note": "Reviewers", "group": {"__id__": reviewers}, "n_sign": 5})).await;
        let all = node(&app, org, wf, json!({"note": "Anybody", "group": {"__id__": co.all_users}, "n_sign": 1})).await;
        link(&app, org, g, all).await;
        activate(&app, org, wf).await;
        let id = create_id(&app, org, wf, clerk, "Review").await;
        assert_eq!(current_users(&app, &co, id, clerk).await, sorted(&[r1, r2]));
        submit_err(&app, org, id, 1, clerk, json!({}), 403).await;
        assert_eq!(submit(&app, org, id, r2, json!({})).await["is_complete"], false);
        assert_eq!(current(&get(&app, org, id, clerk).await), [g]);
        submit(&app, org, id, r1, json!({})).await;
        // "All Users": every active internal user, not external ones.
        let d = get(&app, org, id, clerk).await;
        assert_eq!(current(&d), [all]);
        assert_eq!(ids(&d["current_users_ids"]), sorted(&[r1, r2, clerk]));
        submit_err(&app, org, id, 3, ext, json!({}), 403).await;
        let r = submit(&app, org, id, clerk, json!({})).await;
        assert_eq!(r["is_complete"], true);

        // Who may sign is decided when the node is entered: later membership changes do
        // not move the work.
        let id = create_id(&app, org, wf, clerk, "Fixed").await;
        let r3 = co.clerk(&app, "r3").await;
        app.ok(org, "group/user/add", json!({"group": {"__id__": reviewers}, "users": refs(&[r3])})).await;
        app.ok(org, "group/user/remove", json!({"group": {"__id__": reviewers}, "users": refs(&[r1])})).await;
        assert_eq!(current_users(&app, &co, id, clerk).await, sorted(&[r1, r2]));
        submit_err(&app, org, id, 1, r3, json!({}), 403).await;
        submit(&app, org, id, r1, json!({})).await;
        submit(&app, org, id, r2, json!({})).await;
        // The next document takes the new members.
        let id = create_id(&app, org, wf, clerk, "New members").await;
        assert_eq!(current_users(&app, &co, id, clerk).await, sorted(&[r2, r3]));
    }

    async fn a_supervisor_node_walks_up_until_the_required_rank(app) {
        let t = tree(&app).await;
        let (co, org) = (&t.co, &t.co.org);
        let (wf, s) = supervisor_flow(&app, co, "To a director", "Director", json!({})).await;
        let id = create_id(&app, org, wf, t.clerk, "Budget").await;
        let d = get(&app, org, id, t.clerk).await;
        assert_eq!((current(&d), ids(&d["current_users_ids"])), (vec![s], vec![t.lead]));
        assert_eq!(d["current_nodes"][0]["node_type"], "userrank");
        submit_err(&app, org, id, 1, t.mgr, json!({}), 403).await;
        submit_err(&app, org, id, 1, t.ceo, json!({}), 403).await;
        // The lead (a Specialist) is not enough: the MIS manager is asked next, then the CEO.
        assert_eq!(submit(&app, org, id, t.lead, json!({})).await["is_complete"], false);
        let d = get(&app, org, id, t.clerk).await;
        assert_eq!((current(&d), ids(&d["current_users_ids"])), (vec![s], vec![t.mgr]));
        submit_err(&app, org, id, 2, t.lead, json!({}), 403).await;
        assert_eq!(submit(&app, org, id, t.mgr, json!({})).await["is_complete"], false);
        assert_eq!(current_users(&app, co, id, t.clerk).await, [t.ceo]);
        assert_eq!(submit(&app, org, id, t.ceo, json!({})).await["is_complete"], true);
        let d = get(&app, org, id, t.clerk).await;
        let completed: Vec<Vec<i64>> = sigs(&d, "signatures").iter().map(|s| ids(&s["completed_nodes_ids"])).collect();
        assert_eq!(completed, [vec![], vec![], vec![s]]);
        assert_eq!(ids(&d["signed_users_ids"]), sorted(&[t.lead, t.mgr, t.ceo]));

        // A Manager is enough for this one: lead, then the MIS manager.
        let (wf, _) = supervisor_flow(&app, co, "To a manager", "Manager", json!({})).await;
        let id = create_id(&app, org, wf, t.clerk, "Small").await;
        submit(&app, org, id, t.lead, json!({})).await;
        assert_eq!(submit(&app, org, id, t.mgr, json!({})).await["is_complete"], true);

        // Inactive heads are left out of the chain.
        app.ok(org, "user/inactivate", json!({"user": {"__id__": t.lead}})).await;
        let id = create_id(&app, org, wf, t.clerk, "No lead").await;
        assert_eq!(current_users(&app, co, id, t.clerk).await, [t.mgr]);
        assert_eq!(submit(&app, org, id, t.mgr, json!({})).await["is_complete"], true);
        let _ = t.support;
    }

    async fn a_supervisor_node_refers_to_the_signer_of_its_reference_node(app) {
        let t = tree(&app).await;
        let (co, org) = (&t.co, &t.co.org);
        let fin_clerk = co.user(&app, "fin_clerk", "Finance Department", "Specialist").await;
        let fin_mgr = co.user(&app, "fin_mgr", "Finance Department", "Manager").await;
        co.set_head(&app, co.dept("Finance Department"), fin_mgr).await;
        let wf = new_workflow(&app, org, "Refer").await;
        let a = node(&app, org, wf, json!({"note": "Finance", "department": {"__id__": co.dept("Finance Department")}, "n_sign": 1})).await;
        let s = node(&app, org, wf, json!({"note": "Their manager", "rank": {"__id__": co.rank("Manager")}, "reference_node": {"__id__": a}, "n_sign": 1})).await;
        link(&app, org, a, s).await;
        activate(&app, org, wf).await;
        let id = create_id(&app, org, wf, t.clerk, "Refer").await;
        submit(&app, org, id, fin_clerk, json!({})).await;
        // The reference is who signed the Finance node, not the creator (whose chain is the lead).
        let d = get(&app, org, id, t.clerk).await;
        assert_eq!((current(&d), ids(&d["current_users_ids"])), (vec![s], vec![fin_mgr]));
        submit_err(&app, org, id, 2, t.lead, json!({}), 403).await;
        assert_eq!(submit(&app, org, id, fin_mgr, json!({})).await["is_complete"], true);
        // The Finance manager signing the Finance node is their own reference: the CEO is next.
        let id = create_id(&app, org, wf, t.clerk, "Refer 2").await;
        submit(&app, org, id, fin_mgr, json!({})).await;
        assert_eq!(current_users(&app, co, id, t.clerk).await, [t.ceo]);
    }

    async fn sign_by_at_least_one_supervisor_decides_for_a_high_enough_reference(app) {
        let t = tree(&app).await;
        let (co, org) = (&t.co, &t.co.org);
        let director = co.user(&app, "director", "MIS Department", "Director").await;
        // The creator outranks the requirement; no supervisor needed: skipped.
        let (wf, s) = supervisor_flow(&app, co, "Optional", "Manager", json!({"sign_by_at_least_one_supervisor": false})).await;
        let d = create(&app, org, wf, director, "Skip").await;
        assert_eq!((d["is_completed"].as_bool(), ids(&d["completed_nodes_ids"])), (Some(true), vec![s]));
        assert_eq!(d["signatures"], json!([]));
        // ...but a lower-ranked creator still goes up the chain.
        let id = create_id(&app, org, wf, t.clerk, "Walk").await;
        assert_eq!(current_users(&app, co, id, t.clerk).await, [t.lead]);
        // By default one supervisor signs even so.
        let (wf, s) = supervisor_flow(&app, co, "Always", "Manager", json!({})).await;
        let id = create_id(&app, org, wf, director, "Sign").await;
        let d = get(&app, org, id, director).await;
        assert_eq!((current(&d), ids(&d["current_users_ids"])), (vec![s], vec![t.mgr]));
        assert_eq!(submit(&app, org, id, t.mgr, json!({})).await["is_complete"], true);
        let (wf, _) = supervisor_flow(&app, co, "Explicit", "Manager", json!({"sign_by_at_least_one_supervisor": true})).await;
        let id = create_id(&app, org, wf, director, "Sign").await;
        assert_eq!(current_users(&app, co, id, director).await, [t.mgr]);
        // One supervisor is all it takes, even one ranked below the requirement: the
        // creator already meets it.
        let (wf, _) = supervisor_flow(&app, co, "Director", "Director", json!({})).await;
        let id = create_id(&app, org, wf, director, "One is enough").await;
        assert_eq!(current_users(&app, co, id, director).await, [t.mgr]);
        assert_eq!(submit(&app, org, id, t.mgr, json!({})).await["is_complete"], true);
        // A Specialist still needs a Director: lead, manager, then the CEO.
        let id = create_id(&app, org, wf, t.clerk, "All the way").await;
        submit(&app, org, id, t.lead, json!({})).await;
        submit(&app, org, id, t.mgr, json!({})).await;
        assert_eq!(current_users(&app, co, id, t.clerk).await, [t.ceo]);
    }

    async fn a_supervisor_node_with_nobody_above_is_skipped(app) {
        let t = tree(&app).await;
        let (co, org) = (&t.co, &t.co.org);
        let wf = new_workflow(&app, org, "Top").await;
        let s = node(&app, org, wf, json!({"note": "Supervisors", "rank": {"__id__": co.rank("Director")}, "n_sign": 1})).await;
        let b = node(&app, org, wf, json!({"note": "Back to me", "as_doc_creator": true, "n_sign": 1})).await;
        link(&app, org, s, b).await;
        activate(&app, org, wf).await;
        // The CEO heads the top department: nobody is above.
        let d = create(&app, org, wf, t.ceo, "From the top").await;
        assert_eq!((current(&d), ids(&d["completed_nodes_ids"])), (vec![b], vec![s]));
        assert_eq!(ids(&d["current_users_ids"]), [t.ceo]);
        // Someone in a department without heads above them.
        let hr = co.user(&app, "hr", "HR Department", "Specialist").await;
        app.ok(org, "department/update", json!({"department": {"__id__": co.dept("CEO's Office"), "department_head": null}})).await;
        let d = create(&app, org, wf, hr, "No heads").await;
        assert_eq!((current(&d), ids(&d["completed_nodes_ids"])), (vec![b], vec![s]));
        // The MIS manager's chain is just the (now headless) top: skipped too.
        let d = create(&app, org, wf, t.mgr, "Manager").await;
        assert_eq!(current(&d), [b]);
    }

    async fn a_to_be_specified_node_takes_the_agents_its_assigning_node_chose(app) {
        let co = Co::new(&app, "ACME").await;
        let org = &co.org;
        let clerk = co.clerk(&app, "clerk").await;
        let x = co.clerk(&app, "x").await;
        let y = co.user(&app, "y", "Sales Department", "Director").await;
        let boss = co.clerk(&app, "boss").await;
        let gone = co.user_at(&app, "gone", co.dept("MIS Department"), co.rank("Specialist"), json!({"is_active": false})).await;
        let wf = new_workflow(&app, org, "Assign").await;
        let a = node(&app, org, wf, json!({"note": "Apply", "as_doc_creator": true, "n_sign": 1})).await;
        let b = node(&app, org, wf, json!({"note": "Chosen", "as_specified": true, "job_assignment_node": {"__id__": a}, "job_assignment_type": "ASSIGN", "n_sign": 1})).await;
        link(&app, org, a, b).await;
        activate(&app, org, wf).await;
        let id = create_id(&app, org, wf, clerk, "Assign").await;
        let d = get(&app, org, id, clerk).await;
        assert_eq!(ids(&d["required_job_assignments"]), [b]);
        // The assigning node cannot be signed before the agents are chosen.
        let msg = submit_err(&app, org, id, 1, clerk, json!({}), 400).await;
        assert!(msg.contains("assign_agent"), "{msg}");
        assert_eq!(get(&app, org, id, clerk).await, d);
        let assign = |user: i64, node: i64, agents: &[i64]| json!({"document": {"__id__": id}, "user": {"__id__": user}, "node": {"__id__": node}, "agents": refs(agents)});
        let msg = app.err(org, "document/assign_agent", assign(boss, b, &[x]), 403).await;
        assert!(msg.contains(&boss.to_string()), "{msg}");
        app.err(org, "document/assign_agent", assign(clerk, b, &[]), 400).await;
        app.err(org, "document/assign_agent", assign(clerk, a, &[x]), 400).await;
        app.err(org, "document/assign_agent", assign(clerk, b, &[gone]), 400).await;
        app.err(org, "document/assign_agent", assign(clerk, b, &[999_999_999]), 400).await;
        assert_eq!(get(&app, org, id, clerk).await, d, "refused assignments change nothing");
        app.ok(org, "document/assign_agent", assign(clerk, b, &[y, x, y])).await;
        let d = get(&app, org, id, clerk).await;
        assert_eq!((d["latest_version"].as_i64(), d["required_job_assignments"].clone()), (Some(2), json!([])));
        submit(&app, org, id, clerk, json!({})).await;
        let d = get(&app, org, id, x).await;
        assert_eq!((current(&d), ids(&d["current_users_ids"])), (vec![b], sorted(&[x, y])));
        submit_err(&app, org, id, 3, boss, json!({}), 403).await;
        // The signer of the assigning node may still change the agents before anyone signs.
        app.ok(org, "document/assign_agent", assign(clerk, b, &[boss])).await;
        assert_eq!(current_users(&app, &co, id, boss).await, [boss]);
        submit_err(&app, org, id, 4, x, json!({}), 403).await;
        assert_eq!(submit(&app, org, id, boss, json!({})).await["is_complete"], true);
        let msg = app.err(org, "document/assign_agent", assign(clerk, b, &[x]), 409).await;
        assert!(msg.contains("completed") || msg.contains("complete"), "{msg}");
        let designations: Vec<Vec<i64>> = logs(&app, org, id).await.iter().filter(|l| l["type"] == "designate").map(|l| ids(&l["users"])).collect();
        assert_eq!(designations, [sorted(&[x, y]), vec![boss]], "each agent once");
    }

    async fn department_and_group_nodes_with_assign_take_agents_among_their_members(app) {
        let co = Co::new(&app, "ACME").await;
        let org = &co.org;
        let legal = co.department(&app, "Legal", co.dept("CEO's Office")).await;
        let l1 = co.user_at(&app, "l1", legal, co.rank("Specialist"), json!({})).await;
        let l2 = co.user_at(&app, "l2", legal, co.rank("Specialist"), json!({})).await;
        let g1 = co.clerk(&app, "g1").await;
        let g2 = co.clerk(&app, "g2").await;
        let clerk = co.clerk(&app, "clerk").await;
        let group = co.group(&app, "Panel", &[g1, g2]).await;
        let wf = new_workflow(&app, org, "Assign").await;
        let a = node(&app, org, wf, json!({"note": "Apply", "as_doc_creator": true, "n_sign": 1})).await;
        let dn = node(&app, org, wf, json!({"note": "Legal", "department": {"__id__": legal}, "job_assignment_node": {"__id__": a}, "job_assignment_type": "ASSIGN", "n_sign": 1})).await;
        let gn = node(&app, org, wf, json!({"note": "Panel", "group": {"__id__": group}, "job_assignment_node": {"__id__": a}, "job_assignment_type": "ASSIGN", "n_sign": 1})).await;
        link(&app, org, a, dn).await;
        link(&app, org, a, gn).await;
        activate(&app, org, wf).await;
        let id = create_id(&app, org, wf, clerk, "Assign").await;
        assert_eq!(ids(&get(&app, org, id, clerk).await["required_job_assignments"]), sorted(&[dn, gn]));
        let assign = |node: i64, agents: &[i64]| json!({"document": {"__id__": id}, "user": {"__id__": clerk}, "node": {"__id__": node}, "agents": refs(agents)});
        let msg = app.err(org, "document/assign_agent", assign(dn, &[g1]), 400).await;
        assert!(msg.contains(&g1.to_string()), "{msg}");
        app.err(org, "document/assign_agent", assign(dn, &[l1, clerk]), 400).await;
        app.err(org, "document/assign_agent", assign(gn, &[l1]), 400).await;
        app.ok(org, "document/assign_agent", assign(dn, &[l2])).await;
        // One of the two still missing.
        let msg = submit_err(&app, org, id, 2, clerk, json!({}), 400).await;
        assert!(msg.contains("Panel"), "{msg}");
        app.ok(org, "document/assign_agent", assign(gn, &[g2])).await;
        submit(&app, org, id, clerk, json!({})).await;
        let d = get(&app, org, id, clerk).await;
        assert_eq!((current(&d), ids(&d["current_users_ids"])), (sorted(&[dn, gn]), sorted(&[l2, g2])));
        submit_err(&app, org, id, 4, l1, json!({}), 403).await;
        submit_err(&app, org, id, 4, g1, json!({}), 403).await;
        submit(&app, org, id, l2, json!({})).await;
        assert_eq!(submit(&app, org, id, g2, json!({})).await["is_complete"], true);
    }

    async fn copy_nodes_take_the_signers_of_their_job_assignment_node(app) {
        let co = Co::new(&app, "ACME").await;
        let org = &co.org;
        let r1 = co.clerk(&app, "r1").await;
        let r2 = co.clerk(&app, "r2").await;
        let clerk = co.clerk(&app, "clerk").await;
        let panel = co.group(&app, "Panel", &[r1, r2]).await;
        // Group COPY: the same group, the same signer.
        let wf = new_workflow(&app, org, "Copy group").await;
        let g1 = node(&app, org, wf, json!({"note": "First look", "group": {"__id__": panel}, "n_sign": 1})).await;
        let g2 = node(&app, org, wf, json!({"note": "Second look", "group": {"__id__": panel}, "job_assignment_node": {"__id__": g1}, "job_assignment_type": "COPY", "n_sign": 1})).await;
        link(&app, org, g1, g2).await;
        activate(&app, org, wf).await;
        let id = create_id(&app, org, wf, clerk, "Copy").await;
        assert_eq!(current_users(&app, &co, id, clerk).await, sorted(&[r1, r2]));
        submit(&app, org, id, r2, json!({})).await;
        let d = get(&app, org, id, clerk).await;
        assert_eq!((current(&d), ids(&d["current_users_ids"])), (vec![g2], vec![r2]));
        submit_err(&app, org, id, 2, r1, json!({}), 403).await;
        assert_eq!(submit(&app, org, id, r2, json!({})).await["is_complete"], true);

        // To-be-specified COPY: the signers of the assigned node.
        let x = co.clerk(&app, "x").await;
        let y = co.clerk(&app, "y").await;
        let wf = new_workflow(&app, org, "Copy specified").await;
        let a = node(&app, org, wf, json!({"note": "Apply", "as_doc_creator": true, "n_sign": 1})).await;
        let s1 = node(&app, org, wf, json!({"note": "Chosen", "as_specified": true, "job_assignment_node": {"__id__": a}, "job_assignment_type": "ASSIGN", "n_sign": 1})).await;
        let s2 = node(&app, org, wf, json!({"note": "Chosen again", "as_specified": true, "job_assignment_node": {"__id__": s1}, "job_assignment_type": "COPY", "n_sign": 1})).await;
        link(&app, org, a, s1).await;
        link(&app, org, s1, s2).await;
        activate(&app, org, wf).await;
        let id = create_id(&app, org, wf, clerk, "Copy").await;
        assert_eq!(ids(&get(&app, org, id, clerk).await["required_job_assignments"]), [s1]);
        app.ok(org, "document/assign_agent", json!({"document": {"__id__": id}, "user": {"__id__": clerk}, "node": {"__id__": s1}, "agents": refs(&[x, y])})).await;
        submit(&app, org, id, clerk, json!({})).await;
        submit(&app, org, id, y, json!({})).await;
        let d = get(&app, org, id, clerk).await;
        assert_eq!((current(&d), ids(&d["current_users_ids"])), (vec![s2], vec![y]));
        submit_err(&app, org, id, 4, x, json!({}), 403).await;
        assert_eq!(submit(&app, org, id, y, json!({})).await["is_complete"], true);

        // A COPY node entered beside its job-assignment node, before anyone signed that:
        // its agents.
        let wf = new_workflow(&app, org, "Copy beside").await;
        let a = node(&app, org, wf, json!({"note": "Apply", "as_doc_creator": true, "n_sign": 1})).await;
        let s1 = node(&app, org, wf, json!({"note": "Chosen", "as_specified": true, "job_assignment_node": {"__id__": a}, "job_assignment_type": "ASSIGN", "n_sign": 1})).await;
        let s2 = node(&app, org, wf, json!({"note": "Beside", "as_specified": true, "job_assignment_node": {"__id__": s1}, "job_assignment_type": "COPY", "n_sign": 1})).await;
        link(&app, org, a, s1).await;
        link(&app, org, a, s2).await;
        activate(&app, org, wf).await;
        let id = create_id(&app, org, wf, clerk, "Beside").await;
        app.ok(org, "document/assign_agent", json!({"document": {"__id__": id}, "user": {"__id__": clerk}, "node": {"__id__": s1}, "agents": refs(&[x, y])})).await;
        submit(&app, org, id, clerk, json!({})).await;
        let d = get(&app, org, id, clerk).await;
        assert_eq!((current(&d), ids(&d["current_users_ids"])), (sorted(&[s1, s2]), sorted(&[x, y])));
        assert_eq!(ids(&get(&app, org, id, x).await["responsible_nodes"]), sorted(&[s1, s2]));
        submit(&app, org, id, x, json!({})).await;
        assert_eq!(get(&app, org, id, clerk).await["is_completed"], true);
    }

    async fn parallel_branches_join(app) {
        let co = Co::new(&app, "ACME").await;
        let org = &co.org;
        let clerk = co.clerk(&app, "clerk").await;
        let u1 = co.clerk(&app, "u1").await;
        let u2 = co.clerk(&app, "u2").await;
        let u3 = co.clerk(&app, "u3").await;
        let wf = new_workflow(&app, org, "Fork").await;
        let a = node(&app, org, wf, json!({"note": "Apply", "as_doc_creator": true, "n_sign": 1})).await;
        let b = node(&app, org, wf, json!({"note": "Left", "user": {"__id__": u1}, "n_sign": 1})).await;
        let c = node(&app, org, wf, json!({"note": "Right", "user": {"__id__": u2}, "n_sign": 1})).await;
        let d = node(&app, org, wf, json!({"note": "Join", "user": {"__id__": u3}, "n_sign": 1})).await;
        for (p, ch) in [(a, b), (a, c), (b, d), (c, d)] {
            link(&app, org, p, ch).await;
        }
        activate(&app, org, wf).await;
        let id = create_id(&app, org, wf, clerk, "Fork").await;
        submit(&app, org, id, clerk, json!({})).await;
        let doc = get(&app, org, id, clerk).await;
        assert_eq!((current(&doc), ids(&doc["current_users_ids"])), (sorted(&[b, c]), sorted(&[u1, u2])));
        submit(&app, org, id, u2, json!({})).await;
        // The join waits for its other parent.
        let doc = get(&app, org, id, clerk).await;
        assert_eq!((current(&doc), ids(&doc["completed_nodes_ids"])), (vec![b], sorted(&[a, c])));
        assert_eq!(ids(&doc["upcomming_tasks"]), [d]);
        submit_err(&app, org, id, 3, u3, json!({}), 403).await;
        submit(&app, org, id, u1, json!({})).await;
        let doc = get(&app, org, id, clerk).await;
        assert_eq!((current(&doc), ids(&doc["current_users_ids"])), (vec![d], vec![u3]));
        assert_eq!(submit(&app, org, id, u3, json!({})).await["is_complete"], true);
        assert_eq!(ids(&get(&app, org, id, clerk).await["completed_nodes_ids"]), sorted(&[a, b, c, d]));
    }

    async fn one_signature_serves_every_current_node_of_the_user(app) {
        let co = Co::new(&app, "ACME").await;
        let org = &co.org;
        let clerk = co.clerk(&app, "clerk").await;
        let u = co.clerk(&app, "u").await;
        let v = co.clerk(&app, "v").await;
        let pair = co.group(&app, "Pair", &[u, v]).await;
        let wf = new_workflow(&app, org, "Double").await;
        let a = node(&app, org, wf, json!({"note": "Apply", "as_doc_creator": true, "n_sign": 1})).await;
        let b = node(&app, org, wf, json!({"note": "Personal", "user": {"__id__": u}, "n_sign": 1})).await;
        let c = node(&app, org, wf, json!({"note": "Pair", "group": {"__id__": pair}, "n_sign": 1})).await;
        let d = node(&app, org, wf, json!({"note": "Close", "as_doc_creator": true, "n_sign": 1})).await;
        for (p, ch) in [(a, b), (a, c), (b, d), (c, d)] {
            link(&app, org, p, ch).await;
        }
        activate(&app, org, wf).await;
        let id = create_id(&app, org, wf, clerk, "Double").await;
        submit(&app, org, id, clerk, json!({})).await;
        assert_eq!(ids(&get(&app, org, id, u).await["responsible_nodes"]), sorted(&[b, c]));
        assert_eq!(ids(&get(&app, org, id, v).await["responsible_nodes"]), [c]);
        let r = submit(&app, org, id, u, json!({})).await;
        assert_eq!(r["version"], 3, "one signature, one version");
        let doc = get(&app, org, id, clerk).await;
        let s = sigs(&doc, "signatures").last().unwrap().clone();
        assert_eq!((ids(&s["fulfilled_nodes_ids"]), ids(&s["completed_nodes_ids"])), (sorted(&[b, c]), sorted(&[b, c])));
        assert_eq!(current(&doc), [d]);
        submit_err(&app, org, id, 3, v, json!({}), 403).await;
        // The creator signs again for the last node.
        assert_eq!(submit(&app, org, id, clerk, json!({})).await["is_complete"], true);
    }

    async fn an_autocomplete_condition_skips_its_node(app) {
        let co = Co::new(&app, "ACME").await;
        let org = &co.org;
        let clerk = co.clerk(&app, "clerk").await;
        let boss = co.clerk(&app, "boss").await;
        let fin = co.clerk(&app, "fin").await;
        let wf = new_workflow(&app, org, "Spend").await;
        let amount = field(&app, org, wf, "Amount", "INT").await;
        let a = node(&app, org, wf, json!({"note": "Apply", "as_doc_creator": true, "n_sign": 1, "required_fields": refs(&[amount])})).await;
        let b = node(&app, org, wf, json!({"note": "Big only", "user": {"__id__": boss}, "n_sign": 1, "autocomplete_condition": "Amount < 100"})).await;
        let c = node(&app, org, wf, json!({"note": "Pay", "user": {"__id__": fin}, "n_sign": 1})).await;
        link(&app, org, a, b).await;
        link(&app, org, b, c).await;
        activate(&app, org, wf).await;
        let small = create_id(&app, org, wf, clerk, "Small").await;
        submit(&app, org, small, clerk, fc(&[(amount, json!(50))])).await;
        let d = get(&app, org, small, clerk).await;
        assert_eq!((current(&d), ids(&d["completed_nodes_ids"])), (vec![c], sorted(&[a, b])));
        let s = &sigs(&d, "signatures")[0];
        assert_eq!((ids(&s["completed_nodes_ids"]), ids(&s["autocompleted_nodes_ids"])), (vec![a], vec![b]));
        let big = create_id(&app, org, wf, clerk, "Big").await;
        submit(&app, org, big, clerk, fc(&[(amount, json!(500))])).await;
        assert_eq!(current(&get(&app, org, big, clerk).await), [b]);

        // Roots are checked at creation, against empty fields; a true condition skips them,
        // one that cannot be evaluated or is not a boolean does not.
        let wf = new_workflow(&app, org, "Roots").await;
        let amount = field(&app, org, wf, "Amount", "INT").await;
        let always = node(&app, org, wf, json!({"note": "Always skipped", "user": {"__id__": boss}, "n_sign": 1, "autocomplete_condition": "true"})).await;
        let empty = node(&app, org, wf, json!({"note": "Needs Amount", "user": {"__id__": boss}, "n_sign": 1, "autocomplete_condition": "Amount > 0"})).await;
        let number = node(&app, org, wf, json!({"note": "Not boolean", "user": {"__id__": fin}, "n_sign": 1, "autocomplete_condition": format!("field_{amount} + 1")})).await;
        activate(&app, org, wf).await;
        let d = create(&app, org, wf, clerk, "Roots").await;
        assert_eq!((current(&d), ids(&d["completed_nodes_ids"])), (sorted(&[empty, number]), vec![always]));
    }

    async fn an_autocomplete_deadline_skips_its_node_once_it_passes(app) {
        let co = Co::new(&app, "ACME").await;
        let org = &co.org;
        let clerk = co.clerk(&app, "clerk").await;
        let boss = co.clerk(&app, "boss").await;
        let wf = new_workflow(&app, org, "Timed").await;
        let a = node(&app, org, wf, json!({"note": "Quick look", "user": {"__id__": boss}, "n_sign": 1, "autocomplete_deadline": 1})).await;
        let b = node(&app, org, wf, json!({"note": "Close", "as_doc_creator": true, "n_sign": 1})).await;
        link(&app, org, a, b).await;
        activate(&app, org, wf).await;
        let id = create_id(&app, org, wf, clerk, "Timed").await;
        assert_eq!(current(&get(&app, org, id, clerk).await), [a]);
        let d = wait_for(&app, org, id, clerk, |d| current(d) == [b]).await;
        assert_eq!((ids(&d["completed_nodes_ids"]), d["latest_version"].as_i64()), (vec![a], Some(2)));
        assert_eq!(d["signatures"], json!([]));
        assert_eq!(ids(&d["current_users_ids"]), [clerk]);
        assert!(kinds(&logs(&app, org, id).await).contains(&("autocomplete".to_string(), "deadline".to_string())));
        submit_err(&app, org, id, 2, boss, json!({}), 403).await;
        assert_eq!(submit(&app, org, id, clerk, json!({})).await["is_complete"], true);

        // A node signed in time is not skipped afterwards; a slower parallel one is.
        let wf = new_workflow(&app, org, "Race").await;
        let fast = node(&app, org, wf, json!({"note": "Signed in time", "as_doc_creator": true, "n_sign": 1, "autocomplete_deadline": 1})).await;
        let slow = node(&app, org, wf, json!({"note": "Left alone", "user": {"__id__": boss}, "n_sign": 1, "autocomplete_deadline": 2})).await;
        let end = node(&app, org, wf, json!({"note": "End", "user": {"__id__": boss}, "n_sign": 1})).await;
        link(&app, org, fast, end).await;
        link(&app, org, slow, end).await;
        activate(&app, org, wf).await;
        let id = create_id(&app, org, wf, clerk, "Race").await;
        submit(&app, org, id, clerk, json!({})).await;
        let d = wait_for(&app, org, id, clerk, |d| current(d) == [end]).await;
        assert_eq!(d["latest_version"], 3, "created, signed, one skip: {d}");
        let s = &sigs(&d, "signatures")[0];
        assert_eq!(ids(&s["completed_nodes_ids"]), [fast]);
        assert_eq!(ids(&d["completed_nodes_ids"]), sorted(&[fast, slow]));
        assert_eq!(submit(&app, org, id, boss, json!({})).await["is_complete"], true);
    }

    async fn a_reject_goes_back_to_a_signature(app) {
        let co = Co::new(&app, "ACME").await;
        let org = &co.org;
        let clerk = co.clerk(&app, "clerk").await;
        let boss = co.clerk(&app, "boss").await;
        let fin = co.clerk(&app, "fin").await;
        let wf = new_workflow(&app, org, "Expense").await;
        let note = field(&app, org, wf, "Note", "UTF8").await;
        let a = node(&app, org, wf, json!({"note": "Apply", "as_doc_creator": true, "n_sign": 1, "editable_fields": refs(&[note])})).await;
        let b = node(&app, org, wf, json!({"note": "Approve", "user": {"__id__": boss}, "n_sign": 1})).await;
        let c = node(&app, org, wf, json!({"note": "Pay", "user": {"__id__": fin}, "n_sign": 1})).await;
        link(&app, org, a, b).await;
        link(&app, org, b, c).await;
        activate(&app, org, wf).await;
        let id = create_id(&app, org, wf, clerk, "Expense").await;
        submit(&app, org, id, clerk, fc(&[(note, json!("taxi"))])).await;
        submit(&app, org, id, boss, json!({})).await;
        let d = get(&app, org, id, fin).await;
        assert_eq!(d["is_rejectable"], true);
        let s1 = sigs(&d, "signatures")[0]["__id__"].as_i64().unwrap();
        let s2 = sigs(&d, "signatures")[1]["__id__"].as_i64().unwrap();
        app.ok(org, "document/reject", json!({"document": {"__id__": id, "latest_version": 3}, "user": {"__id__": fin}, "signature": {"__id__": s2.to_string()}, "comment": "Receipt missing"})).await;

        let d = get(&app, org, id, fin).await;
        assert_eq!((current(&d), ids(&d["current_users_ids"])), (vec![b], vec![boss]));
        assert_eq!((ids(&d["completed_nodes_ids"]), d["latest_version"].as_i64()), (vec![a], Some(4)));
        let all = sigs(&d, "all_signatures");
        let summary: Vec<(i64, &str, bool)> = all.iter().map(|s| (s["user_id"].as_i64().unwrap(), s["type"].as_str().unwrap(), s["is_invalidated"].as_bool().unwrap())).collect();
        assert_eq!(summary, [(clerk, "NEXT", false), (boss, "NEXT", true), (fin, "REJ", false)]);
        let valid: Vec<i64> = sigs(&d, "signatures").iter().map(|s| s["__id__"].as_i64().unwrap()).collect();
        let rej = all[2]["__id__"].as_i64().unwrap();
        assert_eq!(valid, [s1, rej]);
        assert_eq!((all[2]["rejection_target_id"].as_i64(), all[2]["version"].as_i64()), (Some(s2), Some(4)));
        assert_eq!(ids(&d["signed_users_ids"]), [clerk]);
        assert_eq!(d["field_content"][note.to_string()], "taxi", "values are kept");
        let c = d["comments"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(
            (c["comment"].as_str(), c["is_rejection"].as_bool(), c["reject_to_user_id"].as_i64(), c["reject_to_version"].as_i64(), c["user_id"].as_i64()),
            (Some("Receipt missing"), Some(true), Some(boss), Some(3), Some(fin))
        );
        let first = &d["comments"][0];
        assert_eq!((first["is_rejection"].as_bool(), first["reject_to_user_id"].clone(), first["reject_to_version"].clone()), (Some(false), json!(null), json!(null)));
        let last = logs(&app, org, id).await.last().unwrap().clone();
        assert_eq!((last["action"].as_str(), last["type"].as_str(), last["reject"]["__id__"].as_i64()), (Some("reject"), Some("reject"), Some(rej)));
        assert_eq!(last["comment"], "Receipt missing");
        // fin is no longer on turn; the boss signs again and fin pays.
        assert_eq!(get(&app, org, id, fin).await["is_submittable"], false);
        submit_err(&app, org, id, 4, fin, json!({}), 403).await;
        submit(&app, org, id, boss, json!({})).await;

        // Back to the first signature: everything after it is invalidated.
        app.ok(org, "document/reject", json!({"document": {"__id__": id}, "user": {"__id__": fin}, "signature": {"__id__": s1}, "comment": "From scratch"})).await;
        let d = get(&app, org, id, clerk).await;
        assert_eq!((current(&d), ids(&d["current_users_ids"]), d["completed_nodes_ids"].clone()), (vec![a], vec![clerk], json!([])));
        let invalid: Vec<bool> = sigs(&d, "all_signatures").iter().map(|s| s["is_invalidated"].as_bool().unwrap()).collect();
        assert_eq!(invalid, [true, true, false, true, false]);
        assert_eq!(d["signed_users_ids"], json!([]));
        submit(&app, org, id, clerk, json!({})).await;
        submit(&app, org, id, boss, json!({})).await;
        assert_eq!(submit(&app, org, id, fin, json!({})).await["is_complete"], true);
    }

    async fn rejects_need_responsibility_and_a_valid_target(app) {
        let co = Co::new(&app, "ACME").await;
        let org = &co.org;
        let clerk = co.clerk(&app, "clerk").await;
        let boss = co.clerk(&app, "boss").await;
        let (wf, _, _) = two_steps(&app, org, "Leave", boss).await;
        let id = create_id(&app, org, wf, clerk, "Leave").await;
        submit(&app, org, id, clerk, json!({})).await;
        let other = create_id(&app, org, wf, clerk, "Other").await;
        submit(&app, org, other, clerk, json!({})).await;
        let theirs = sigs(&get(&app, org, other, clerk).await, "signatures")[0]["__id__"].as_i64().unwrap();
        let before = get(&app, org, id, boss).await;
        let mine = sigs(&before, "signatures")[0]["__id__"].as_i64().unwrap();
        let reject = |user: i64, sig: i64| json!({"document": {"__id__": id}, "user": {"__id__": user}, "signature": {"__id__": sig}, "comment": "no"});
        // Only a responsible user of a current node rejects.
        let msg = app.err(org, "document/reject", reject(clerk, mine), 403).await;
        assert!(msg.contains(&clerk.to_string()), "{msg}");
        // Only to a signature of this document.
        app.err(org, "document/reject", reject(boss, theirs), 404).await;
        app.err(org, "document/reject", reject(boss, 999_999_999), 404).await;
        // With a stale version, the outdated error.
        let (status, v) = call(&app, org, "document/reject", json!({"document": {"__id__": id, "latest_version": 1}, "user": {"__id__": boss}, "signature": {"__id__": mine}})).await;
        assert_eq!((status, v), (409, json!({"RESPONSE": "Outdated Document Version", "RMSG": "Outdated Document Version:Outdated document."})));
        assert_eq!(get(&app, org, id, boss).await, before, "refused rejects change nothing");
        app.ok(org, "document/reject", reject(boss, mine)).await;
        // Not to a REJ signature, nor to an invalidated one.
        let d = get(&app, org, id, clerk).await;
        let rej = sigs(&d, "all_signatures")[1]["__id__"].as_i64().unwrap();
        let msg = app.err(org, "document/reject", reject(clerk, rej), 400).await;
        assert!(msg.contains("signature"), "{msg}");
        app.err(org, "document/reject", reject(clerk, mine), 400).await;
        assert_eq!(get(&app, org, id, clerk).await, d);
        // Not on a cancelled document.
        submit(&app, org, id, clerk, json!({})).await;
        let fresh = sigs(&get(&app, org, id, boss).await, "signatures").last().unwrap()["__id__"].as_i64().unwrap();
        app.ok(org, "document/cancel", json!({"document": {"__id__": id}, "user": {"__id__": clerk}})).await;
        app.err(org, "document/reject", reject(boss, fresh), 409).await;
    }

    async fn a_completed_document_is_revived_only_with_the_revivable_permission(app) {
        let co = Co::new(&app, "ACME").await;
        let org = &co.org;
        let clerk = co.clerk(&app, "clerk").await;
        let boss = co.clerk(&app, "boss").await;
        let (wf, a, b) = two_steps(&app, org, "Leave", boss).await;
        let id = create_id(&app, org, wf, clerk, "Leave").await;
        submit(&app, org, id, clerk, json!({})).await;
        submit(&app, org, id, boss, json!({})).await;
        let before = get(&app, org, id, boss).await;
        assert_eq!((before["is_completed"].as_bool(), before["is_rejectable"].as_bool(), before["is_revivable"].as_bool()), (Some(true), Some(false), Some(false)));
        let s2 = sigs(&before, "signatures")[1]["__id__"].as_i64().unwrap();
        let reject = |user: i64| json!({"document": {"__id__": id}, "user": {"__id__": user}, "signature": {"__id__": s2}, "comment": "reopen"});
        let msg = app.err(org, "document/reject", reject(boss), 403).await;
        assert!(msg.contains("revivable"), "{msg}");
        assert_eq!(get(&app, org, id, boss).await, before);
        perms(&app, &co, wf, json!({"revivable_users": refs(&[boss])})).await;
        let d = get(&app, org, id, boss).await;
        assert_eq!((d["is_rejectable"].as_bool(), d["is_revivable"].as_bool()), (Some(true), Some(true)));
        assert_eq!(get(&app, org, id, clerk).await["is_revivable"], false);
        app.err(org, "document/reject", reject(clerk), 403).await;
        app.ok(org, "document/reject", reject(boss)).await;
        let d = get(&app, org, id, boss).await;
        assert_eq!((d["is_completed"].as_bool(), d["completion_time"].clone()), (Some(false), json!(null)));
        assert_eq!((current(&d), ids(&d["completed_nodes_ids"]), ids(&d["current_users_ids"])), (vec![b], vec![a], vec![boss]));
        let l = app.ok(org, "document/list", json!({"current_user": {"__id__": clerk}, "created_document": true})).await;
        assert_eq!((ids(&l["processing"]), l["completed"].clone()), (vec![id], json!([])));
        let l = app.ok(org, "document/list", json!({"current_user": {"__id__": boss}, "current_document": true})).await;
        assert_eq!(ids(&l["processing"]), [id]);
        assert_eq!(submit(&app, org, id, boss, json!({})).await["is_complete"], true);
        // A revoked document stays revoked.
        perms(&app, &co, wf, json!({"revivable_users": refs(&[boss]), "revokable_users": refs(&[boss])})).await;
        app.ok(org, "document/revoke", json!({"document": {"__id__": id}, "user": {"__id__": boss}})).await;
        let last = sigs(&get(&app, org, id, boss).await, "signatures").last().unwrap()["__id__"].as_i64().unwrap();
        app.err(org, "document/reject", json!({"document": {"__id__": id}, "user": {"__id__": boss}, "signature": {"__id__": last}}), 409).await;
    }

    async fn a_node_sent_back_to_by_a_reject_gets_its_deadline_anew(app) {
        let co = Co::new(&app, "ACME").await;
        let org = &co.org;
        let clerk = co.clerk(&app, "clerk").await;
        let boss = co.clerk(&app, "boss").await;
        let fin = co.clerk(&app, "fin").await;
        let idle = co.clerk(&app, "idle").await;
        let wf = new_workflow(&app, org, "Timed reject").await;
        let a = node(&app, org, wf, json!({"note": "Apply", "as_doc_creator": true, "n_sign": 1})).await;
        let b = node(&app, org, wf, json!({"note": "Approve", "user": {"__id__": boss}, "n_sign": 1, "autocomplete_deadline": 2})).await;
        let c = node(&app, org, wf, json!({"note": "Pay", "user": {"__id__": fin}, "n_sign": 1})).await;
        // A marker entered with the approval, skipped at the same deadline.
        let m = node(&app, org, wf, json!({"note": "Marker", "user": {"__id__": idle}, "n_sign": 1, "autocomplete_deadline": 2})).await;
        link(&app, org, a, b).await;
        link(&app, org, b, c).await;
        link(&app, org, a, m).await;
        activate(&app, org, wf).await;
        let id = create_id(&app, org, wf, clerk, "Timed").await;
        submit(&app, org, id, clerk, json!({})).await;
        submit(&app, org, id, boss, json!({})).await;
        // Once the marker is skipped, the approval's first deadline has passed.
        let d = wait_for(&app, org, id, clerk, |d| current(d) == [c]).await;
        assert!(ids(&d["completed_nodes_ids"]).contains(&m), "{d}");
        let boss_sig = sigs(&d, "signatures")[1]["__id__"].as_i64().unwrap();
        app.ok(org, "document/reject", json!({"document": {"__id__": id}, "user": {"__id__": fin}, "signature": {"__id__": boss_sig}})).await;
        let sent_back = std::time::Instant::now();
        // The routing before the boss signed: the approval and the marker are current again,
        // each for a full deadline from the reject.
        assert_eq!(current(&get(&app, org, id, clerk).await), [b, m]);
        // The worker skips the two nodes one transaction at a time: wait for both.
        let d = wait_for(&app, org, id, clerk, |d| current(d) == [c]).await;
        let waited = sent_back.elapsed();
        assert!(waited >= std::time::Duration::from_millis(1500), "skipped after {waited:?}: {d}");
        assert_eq!(current(&d), [c]);
    }

    async fn a_huge_agent_list_is_refused_cleanly(app) {
        let co = Co::new(&app, "ACME").await;
        let org = &co.org;
        let clerk = co.clerk(&app, "clerk").await;
        let x = co.clerk(&app, "x").await;
        let wf = new_workflow(&app, org, "Assign").await;
        let a = node(&app, org, wf, json!({"note": "Apply", "as_doc_creator": true, "n_sign": 1})).await;
        let b = node(&app, org, wf, json!({"note": "Chosen", "as_specified": true, "job_assignment_node": {"__id__": a}, "job_assignment_type": "ASSIGN", "n_sign": 1})).await;
        link(&app, org, a, b).await;
        activate(&app, org, wf).await;
        let id = create_id(&app, org, wf, clerk, "Assign").await;
        let before = get(&app, org, id, clerk).await;
        let mut many: Vec<i64> = (1..=70_000).collect();
        many.push(x);
        let (status, v) = call(&app, org, "document/assign_agent", json!({"document": {"__id__": id}, "user": {"__id__": clerk}, "node": {"__id__": b}, "agents": refs(&many)})).await;
        assert_refused(status, &v, "70,000 agents");
        assert_eq!(get(&app, org, id, clerk).await, before);
        // Repeats count once.
        let repeated = vec![x; 70_000];
        app.ok(org, "document/assign_agent", json!({"document": {"__id__": id}, "user": {"__id__": clerk}, "node": {"__id__": b}, "agents": refs(&repeated)})).await;
        submit(&app, org, id, clerk, json!({})).await;
        assert_eq!(current_users(&app, &co, id, clerk).await, [x]);
    }
}

/// A deadline that passes while no server runs is carried out when one starts: deadlines
/// are rows, not timers.
async fn deadline_missed_while_down_is_carried_out_at_start(down: TestApp) {
    let co = Co::new(&down, "ACME").await;
    let org = &co.org;
    let clerk = co.clerk(&down, "clerk").await;
    let boss = co.clerk(&down, "boss").await;
    let fin = co.clerk(&down, "fin").await;
    let wf = new_workflow(&down, org, "Timed").await;
    let a = node(
        &down,
        org,
        wf,
        json!({"note": "Apply", "as_doc_creator": true, "n_sign": 1}),
    )
    .await;
    let b = node(&down, org, wf, json!({"note": "Approve", "user": {"__id__": boss}, "n_sign": 1, "autocomplete_deadline": 3600})).await;
    let c = node(
        &down,
        org,
        wf,
        json!({"note": "Pay", "user": {"__id__": fin}, "n_sign": 1}),
    )
    .await;
    link(&down, org, a, b).await;
    link(&down, org, b, c).await;
    activate(&down, org, wf).await;
    let id = create_id(&down, org, wf, clerk, "Timed").await;
    submit(&down, org, id, clerk, json!({})).await;
    // No worker runs here: the deadline (an hour on) waits.
    assert_eq!(current(&get(&down, org, id, clerk).await), [b]);
    // A server starting on the same database after the deadline (its clock stands two hours
    // on) carries it out.
    let up = down.reopen().await;
    up.store
        .clock()
        .set(chrono::Utc::now() + chrono::Duration::hours(2));
    let d = wait_for(&up, org, id, clerk, |d| current(d) == [c]).await;
    assert!(ids(&d["completed_nodes_ids"]).contains(&b), "{d}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deadline_missed_while_down_is_carried_out_at_start_sqlite() {
    deadline_missed_while_down_is_carried_out_at_start(TestApp::sqlite_with(false).await).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deadline_missed_while_down_is_carried_out_at_start_postgres() {
    if let Some(app) = TestApp::postgres_with(false).await {
        deadline_missed_while_down_is_carried_out_at_start(app).await
    }
}
