//! Routing and signature rules, one test per rule, and a property test that random command
//! sequences never leave a case in an impossible state.

use super::*;
use crate::workflow::*;
use crate::*;
use chrono::{DateTime, TimeZone, Utc};
use proptest::prelude::*;
use serde_json::json;
use std::collections::BTreeMap;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap()
}

fn workflow() -> Workflow {
    Workflow {
        id: WorkflowId(1),
        org_id: OrgId(1),
        family_id: FamilyId(1),
        name: "Expense".into(),
        version: 0,
        is_complete: true,
        is_active: true,
        is_hidden: false,
        created_at: t0(),
    }
}

fn spec(assignee: Assignee) -> NodeSpec {
    NodeSpec {
        note: "step".into(),
        n_sign: 1,
        assignee,
        job_assignment: None,
        allow_cc: true,
        cc_targets: CcTargets::default(),
        require_all_cc_response: false,
        autocomplete_condition: None,
        autocomplete_deadline: 0,
        fields: FieldAccess::default(),
        kind: Default::default(),
    }
}

fn node(id: i64, spec: NodeSpec, children: &[i64]) -> Node {
    Node {
        id: NodeId(id),
        org_id: OrgId(1),
        workflow_id: WorkflowId(1),
        spec,
        children: children.iter().copied().map(NodeId).collect(),
        conditions: Default::default(),
        key: None,
        shape: None,
    }
}

fn field(id: i64, name: &str, t: DataType) -> Field {
    Field {
        id: FieldId(id),
        org_id: OrgId(1),
        workflow_id: WorkflowId(1),
        name: name.into(),
        data_type: t,
        formula: None,
        is_active: true,
    }
}

/// A stand-in directory: department 10 = users 2, 3; group 20 = users 4, 5, 6; user 1 in
/// department 11 whose head is 7 (level 3), above it department 12 headed by 8 (level 1).
fn lookup(l: &Lookup) -> Found {
    match l {
        Lookup::Users(u) => Found::Users(u.clone()),
        Lookup::Department(DeptId(10)) => Found::Users(vec![UserId(2), UserId(3)]),
        Lookup::Department(_) => Found::Users(vec![]),
        Lookup::Group(GroupId(20)) => Found::Users(vec![UserId(4), UserId(5), UserId(6)]),
        Lookup::Group(_) => Found::Users(vec![]),
        Lookup::Supervisors { of, rank } => {
            let required = Some(match rank {
                RankId(1) => 1,
                RankId(3) => 3,
                _ => 5,
            });
            let chain = vec![
                ChainLink {
                    user: UserId(7),
                    level: Some(3),
                },
                ChainLink {
                    user: UserId(8),
                    level: Some(1),
                },
            ];
            match of.0 {
                1 => Found::Supervisors {
                    level: Some(5),
                    required,
                    chain,
                },
                7 => Found::Supervisors {
                    level: Some(3),
                    required,
                    chain: chain[1..].to_vec(),
                },
                // User 10 (level 1) works under 7 too.
                10 => Found::Supervisors {
                    level: Some(1),
                    required,
                    chain,
                },
                _ => Found::Supervisors {
                    level: Some(1),
                    required,
                    chain: vec![],
                },
            }
        }
    }
}

fn settle(def: &Definition, case: &mut Case) {
    let mut moves = route::Moves::default();
    loop {
        let pending = case.unresolved(def);
        if pending.is_empty() {
            break;
        }
        for (n, l) in pending {
            case.resolve(def, n, lookup(&l), t0(), &mut moves);
        }
    }
    case.settle(t0());
}

fn start(def: &Definition, creator: i64) -> Case {
    let (mut case, _) = Case::create(def, UserId(creator), t0()).unwrap();
    case.id = DocId(1);
    settle(def, &mut case);
    case
}

fn submit(
    def: &Definition,
    case: &mut Case,
    user: i64,
    values: serde_json::Value,
) -> Result<Outcome> {
    let values: Submission = values
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (FieldId(k.parse().unwrap()), v.clone()))
        .collect();
    let out = case.submit(def, UserId(user), &values, t0())?;
    settle(def, case);
    Ok(out)
}

fn current(case: &Case) -> Vec<i64> {
    case.route.current().map(|(n, _)| n.0).collect()
}

/// creator(1) -> department 10 -> user 9
fn three_steps() -> Definition {
    Definition::new(
        workflow(),
        vec![],
        vec![
            node(1, spec(Assignee::Creator), &[2]),
            node(2, spec(Assignee::Department(DeptId(10))), &[3]),
            node(3, spec(Assignee::User(UserId(9))), &[]),
        ],
    )
}

#[test]
fn a_case_walks_its_nodes_to_completion() {
    let def = three_steps();
    let mut case = start(&def, 1);
    assert_eq!(case.version, 1);
    assert_eq!(current(&case), vec![1]);
    assert_eq!(case.acting_users(), vec![UserId(1)]);
    let out = submit(&def, &mut case, 1, json!({})).unwrap();
    assert_eq!(out.fulfilled, vec![NodeId(1)]);
    assert_eq!(out.moves.completed, vec![NodeId(1)]);
    assert_eq!(current(&case), vec![2]);
    assert_eq!(case.acting_users(), vec![UserId(2), UserId(3)]);
    submit(&def, &mut case, 3, json!({})).unwrap();
    assert_eq!(current(&case), vec![3]);
    submit(&def, &mut case, 9, json!({})).unwrap();
    assert_eq!(case.status, Status::Completed);
    assert_eq!(case.version, 4);
    assert!(case.acting_users().is_empty());
}

#[test]
fn only_a_responsible_user_may_submit() {
    let def = three_steps();
    let mut case = start(&def, 1);
    assert!(matches!(
        submit(&def, &mut case, 2, json!({})),
        Err(Error::Forbidden(_))
    ));
    submit(&def, &mut case, 1, json!({})).unwrap();
    // A user cannot sign the same node twice.
    assert!(submit(&def, &mut case, 1, json!({})).is_err());
    assert_eq!(case.version, 2);
}

#[test]
fn n_sign_needs_that_many_signatures() {
    let mut s = spec(Assignee::Group(GroupId(20)));
    s.n_sign = 2;
    let def = Definition::new(workflow(), vec![], vec![node(1, s, &[])]);
    let mut case = start(&def, 1);
    submit(&def, &mut case, 4, json!({})).unwrap();
    assert_eq!(case.status, Status::Processing);
    assert_eq!(case.acting_users(), vec![UserId(5), UserId(6)]);
    submit(&def, &mut case, 6, json!({})).unwrap();
    assert_eq!(case.status, Status::Completed);
}

#[test]
fn n_sign_above_the_number_of_candidates_needs_them_all() {
    let mut s = spec(Assignee::Department(DeptId(10)));
    s.n_sign = 5;
    let def = Definition::new(workflow(), vec![], vec![node(1, s, &[])]);
    let mut case = start(&def, 1);
    submit(&def, &mut case, 2, json!({})).unwrap();
    assert_eq!(case.status, Status::Processing);
    submit(&def, &mut case, 3, json!({})).unwrap();
    assert_eq!(case.status, Status::Completed);
}

#[test]
fn parallel_branches_join() {
    // 1 -> (2, 3) -> 4
    let def = Definition::new(
        workflow(),
        vec![],
        vec![
            node(1, spec(Assignee::Creator), &[2, 3]),
            node(2, spec(Assignee::User(UserId(2))), &[4]),
            node(3, spec(Assignee::User(UserId(3))), &[4]),
            node(4, spec(Assignee::User(UserId(4))), &[]),
        ],
    );
    let mut case = start(&def, 1);
    submit(&def, &mut case, 1, json!({})).unwrap();
    assert_eq!(current(&case), vec![2, 3]);
    submit(&def, &mut case, 3, json!({})).unwrap();
    assert_eq!(current(&case), vec![2], "the join waits for every parent");
    submit(&def, &mut case, 2, json!({})).unwrap();
    assert_eq!(current(&case), vec![4]);
    submit(&def, &mut case, 4, json!({})).unwrap();
    assert_eq!(case.status, Status::Completed);
}

#[test]
fn one_signature_serves_every_node_of_the_user() {
    let def = Definition::new(
        workflow(),
        vec![],
        vec![
            node(1, spec(Assignee::User(UserId(2))), &[]),
            node(2, spec(Assignee::Department(DeptId(10))), &[]),
        ],
    );
    let mut case = start(&def, 1);
    let out = submit(&def, &mut case, 2, json!({})).unwrap();
    assert_eq!(out.fulfilled, vec![NodeId(1), NodeId(2)]);
    assert_eq!(case.status, Status::Completed);
}

#[test]
fn a_true_autocomplete_condition_skips_the_node() {
    let mut s = spec(Assignee::User(UserId(9)));
    s.autocomplete_condition = Some("Amount < 1000".into());
    let mut first = spec(Assignee::Creator);
    first.fields = FieldAccess::close(Some(vec![FieldId(1)]), None, None, &[FieldId(1)]).unwrap();
    let def = Definition::new(
        workflow(),
        vec![field(1, "Amount", DataType::Int)],
        vec![node(1, first, &[2]), node(2, s, &[])],
    );
    let mut small = start(&def, 1);
    let out = submit(&def, &mut small, 1, json!({"1": 50})).unwrap();
    assert_eq!(out.moves.skipped, vec![NodeId(2)]);
    assert_eq!(small.status, Status::Completed);
    let mut big = start(&def, 1);
    submit(&def, &mut big, 1, json!({"1": 5000})).unwrap();
    assert_eq!(current(&big), vec![2]);
}

#[test]
fn required_editable_and_typed_fields() {
    let mut s = spec(Assignee::Creator);
    s.fields = FieldAccess::close(
        Some(vec![FieldId(1)]),
        Some(vec![FieldId(2)]),
        None,
        &[FieldId(1), FieldId(2), FieldId(3)],
    )
    .unwrap();
    let def = Definition::new(
        workflow(),
        vec![
            field(1, "Name", DataType::Utf8),
            field(2, "Days", DataType::Int),
            field(3, "Note", DataType::Utf8),
        ],
        vec![node(1, s, &[])],
    );
    let mut case = start(&def, 1);
    let e = submit(&def, &mut case, 1, json!({"2": 3})).unwrap_err();
    assert!(
        e.to_string().contains("Required field(s) missing: Name"),
        "{e}"
    );
    assert!(
        submit(&def, &mut case, 1, json!({"1": "  "})).is_err(),
        "blank is not filled"
    );
    assert!(matches!(
        submit(&def, &mut case, 1, json!({"1": "a", "3": "x"})),
        Err(Error::Forbidden(_))
    ));
    assert!(submit(&def, &mut case, 1, json!({"1": "a", "2": "three"})).is_err());
    assert!(submit(&def, &mut case, 1, json!({"1": "a", "99": 1})).is_err());
    assert_eq!(case.version, 1, "refused submits change nothing");
    assert!(case.content.is_empty());
    let out = submit(&def, &mut case, 1, json!({"1": "a", "2": 3})).unwrap();
    assert_eq!(out.fields, vec![FieldId(1), FieldId(2)]);
    assert_eq!(case.content.get(&FieldId(2)), Some(&FieldValue::Int(3)));
}

#[test]
fn supervisors_sign_up_the_chain_to_the_required_rank() {
    // User 1 (level 5) needs rank 1: supervisor 7 (level 3) then 8 (level 1).
    let s = spec(Assignee::Supervisor {
        rank: RankId(1),
        reference_node: None,
        at_least_one: true,
    });
    let def = Definition::new(workflow(), vec![], vec![node(1, s, &[])]);
    let mut case = start(&def, 1);
    assert_eq!(case.acting_users(), vec![UserId(7)]);
    submit(&def, &mut case, 7, json!({})).unwrap();
    assert_eq!(case.acting_users(), vec![UserId(8)]);
    submit(&def, &mut case, 8, json!({})).unwrap();
    assert_eq!(case.status, Status::Completed);
}

#[test]
fn a_supervisor_of_the_rank_completes_at_once() {
    let s = spec(Assignee::Supervisor {
        rank: RankId(3),
        reference_node: None,
        at_least_one: true,
    });
    let def = Definition::new(workflow(), vec![], vec![node(1, s, &[])]);
    let mut case = start(&def, 1);
    submit(&def, &mut case, 7, json!({})).unwrap();
    assert_eq!(case.status, Status::Completed);
}

#[test]
fn at_least_one_supervisor_signs_unless_told_otherwise() {
    // User 8 is at the top (level 1) with nobody above: skipped either way.
    let top = spec(Assignee::Supervisor {
        rank: RankId(3),
        reference_node: None,
        at_least_one: true,
    });
    let def = Definition::new(workflow(), vec![], vec![node(1, top, &[])]);
    assert_eq!(start(&def, 8).status, Status::Completed);
    // User 7 (level 3) already holds rank 3: with at_least_one, 8 still signs.
    let s = spec(Assignee::Supervisor {
        rank: RankId(3),
        reference_node: None,
        at_least_one: true,
    });
    let def = Definition::new(workflow(), vec![], vec![node(1, s, &[])]);
    assert_eq!(start(&def, 7).acting_users(), vec![UserId(8)]);
    let s = spec(Assignee::Supervisor {
        rank: RankId(3),
        reference_node: None,
        at_least_one: false,
    });
    let def = Definition::new(workflow(), vec![], vec![node(1, s, &[])]);
    assert_eq!(start(&def, 7).status, Status::Completed);
    // User 10 (level 1) already holds rank 1: their direct supervisor 7 signs, though only
    // level 3, and that is enough.
    let s = spec(Assignee::Supervisor {
        rank: RankId(1),
        reference_node: None,
        at_least_one: true,
    });
    let def = Definition::new(workflow(), vec![], vec![node(1, s, &[])]);
    let mut case = start(&def, 10);
    assert_eq!(case.acting_users(), vec![UserId(7)]);
    submit(&def, &mut case, 7, json!({})).unwrap();
    assert_eq!(case.status, Status::Completed);
}

#[test]
fn a_reference_node_makes_its_signer_the_reference_user() {
    let s = spec(Assignee::Supervisor {
        rank: RankId(1),
        reference_node: Some(NodeId(1)),
        at_least_one: true,
    });
    let def = Definition::new(
        workflow(),
        vec![],
        vec![
            node(1, spec(Assignee::User(UserId(7))), &[2]),
            node(2, s, &[]),
        ],
    );
    let mut case = start(&def, 1);
    submit(&def, &mut case, 7, json!({})).unwrap();
    assert_eq!(
        case.acting_users(),
        vec![UserId(8)],
        "7's supervisor, not the creator's"
    );
}

#[test]
fn specified_nodes_take_the_agents_assigned_by_their_assigning_node() {
    let mut s = spec(Assignee::Specified);
    s.job_assignment = Some(JobAssignment {
        node: NodeId(1),
        kind: JobAssignmentKind::Assign,
    });
    let mut copy = spec(Assignee::Specified);
    copy.job_assignment = Some(JobAssignment {
        node: NodeId(2),
        kind: JobAssignmentKind::Copy,
    });
    let def = Definition::new(
        workflow(),
        vec![],
        vec![
            node(1, spec(Assignee::Creator), &[2]),
            node(2, s, &[3]),
            node(3, copy, &[]),
        ],
    );
    let mut case = start(&def, 1);
    let e = submit(&def, &mut case, 1, json!({})).unwrap_err();
    assert!(e.to_string().contains("assign_agent"), "{e}");
    assert!(matches!(
        case.assign(&def, UserId(2), NodeId(2), vec![UserId(5)]),
        Err(Error::Forbidden(_))
    ));
    assert!(
        case.assign(&def, UserId(1), NodeId(1), vec![UserId(5)])
            .is_err(),
        "not an ASSIGN node"
    );
    case.assign(&def, UserId(1), NodeId(2), vec![UserId(5), UserId(6)])
        .unwrap();
    submit(&def, &mut case, 1, json!({})).unwrap();
    assert_eq!(case.acting_users(), vec![UserId(5), UserId(6)]);
    submit(&def, &mut case, 6, json!({})).unwrap();
    // COPY: the same users as node 2's signers.
    assert_eq!(case.acting_users(), vec![UserId(6)]);
}

#[test]
fn group_copy_takes_the_signers_of_the_copied_group_node() {
    let mut copy = spec(Assignee::Group(GroupId(20)));
    copy.job_assignment = Some(JobAssignment {
        node: NodeId(1),
        kind: JobAssignmentKind::Copy,
    });
    let def = Definition::new(
        workflow(),
        vec![],
        vec![
            node(1, spec(Assignee::Group(GroupId(20))), &[2]),
            node(2, copy, &[]),
        ],
    );
    let mut case = start(&def, 1);
    submit(&def, &mut case, 5, json!({})).unwrap();
    assert_eq!(case.acting_users(), vec![UserId(5)]);
}

#[test]
fn reject_restores_the_routing_before_the_target_signature() {
    let def = three_steps();
    let mut case = start(&def, 1);
    let before_first = case.route.clone();
    submit(&def, &mut case, 1, json!({})).unwrap();
    submit(&def, &mut case, 2, json!({})).unwrap();
    assert_eq!(current(&case), vec![3]);
    // A non-responsible user cannot reject.
    assert!(case
        .reject(
            UserId(2),
            SignatureKind::Next,
            false,
            before_first.clone(),
            false,
            t0()
        )
        .is_err());
    assert!(case
        .reject(
            UserId(9),
            SignatureKind::Rej,
            false,
            before_first.clone(),
            false,
            t0()
        )
        .is_err());
    assert!(case
        .reject(
            UserId(9),
            SignatureKind::Next,
            true,
            before_first.clone(),
            false,
            t0()
        )
        .is_err());
    case.reject(
        UserId(9),
        SignatureKind::Next,
        false,
        before_first,
        false,
        t0(),
    )
    .unwrap();
    assert_eq!(current(&case), vec![1]);
    assert_eq!(case.acting_users(), vec![UserId(1)]);
    assert_eq!(case.version, 4);
}

#[test]
fn completed_documents_are_revived_only_with_the_permission() {
    let def = three_steps();
    let mut case = start(&def, 1);
    let before = case.route.clone();
    for u in [1, 2, 9] {
        submit(&def, &mut case, u, json!({})).unwrap();
    }
    assert_eq!(case.status, Status::Completed);
    assert!(case
        .reject(
            UserId(5),
            SignatureKind::Next,
            false,
            before.clone(),
            false,
            t0()
        )
        .is_err());
    case.reject(UserId(5), SignatureKind::Next, false, before, true, t0())
        .unwrap();
    assert_eq!(case.status, Status::Processing);
    assert!(case.completed_at.is_none());
}

#[test]
fn cancel_is_for_the_creator_before_completion() {
    let def = three_steps();
    let mut case = start(&def, 1);
    assert!(matches!(case.cancel(UserId(2)), Err(Error::Forbidden(_))));
    case.cancel(UserId(1)).unwrap();
    assert_eq!(case.status, Status::Cancelled);
    assert!(case.acting_users().is_empty());
    assert!(case.cancel(UserId(1)).is_err());
    assert!(submit(&def, &mut case, 1, json!({})).is_err());
}

#[test]
fn revoke_is_for_completed_documents_and_the_permission() {
    let def = three_steps();
    let mut case = start(&def, 1);
    assert!(case.revoke(UserId(1), true).is_err());
    for u in [1, 2, 9] {
        submit(&def, &mut case, u, json!({})).unwrap();
    }
    assert!(case.revoke(UserId(1), false).is_err());
    case.revoke(UserId(1), true).unwrap();
    assert_eq!(case.status, Status::Revoked);
}

#[test]
fn a_node_waits_for_cc_replies_when_told_to() {
    let mut s = spec(Assignee::User(UserId(2)));
    s.require_all_cc_response = true;
    let def = Definition::new(workflow(), vec![], vec![node(1, s, &[])]);
    let mut case = start(&def, 1);
    assert!(
        case.cc(&def, UserId(3), UserId(4), NodeId(1), true, true)
            .is_err(),
        "not responsible"
    );
    assert!(
        case.cc(&def, UserId(2), UserId(4), NodeId(1), true, false)
            .is_err(),
        "not an allowed target"
    );
    let mut cc = case
        .cc(&def, UserId(2), UserId(4), NodeId(1), true, true)
        .unwrap();
    cc.id = CcId(1);
    case.ccs.push(cc);
    assert_eq!(case.acting_users(), vec![UserId(2), UserId(4)]);
    submit(&def, &mut case, 2, json!({})).unwrap();
    assert_eq!(case.status, Status::Processing, "waits for the reply");
    assert!(case.reply(&def, CcId(1), UserId(2), t0()).is_err());
    let moves = case.reply(&def, CcId(1), UserId(4), t0()).unwrap();
    assert_eq!(moves.completed, vec![NodeId(1)]);
    case.settle(t0());
    assert_eq!(case.status, Status::Completed);
    assert!(
        case.reply(&def, CcId(1), UserId(4), t0()).is_err(),
        "answered once"
    );
}

#[test]
fn cc_is_refused_where_the_node_does_not_allow_it() {
    let mut s = spec(Assignee::User(UserId(2)));
    s.allow_cc = false;
    let def = Definition::new(workflow(), vec![], vec![node(1, s, &[])]);
    let mut case = start(&def, 1);
    assert!(case
        .cc(&def, UserId(2), UserId(4), NodeId(1), false, true)
        .is_err());
}

#[test]
fn deadlines_skip_nodes_once_passed() {
    let mut s = spec(Assignee::User(UserId(2)));
    s.autocomplete_deadline = 60;
    let def = Definition::new(
        workflow(),
        vec![],
        vec![
            node(1, s, &[2]),
            node(2, spec(Assignee::User(UserId(3))), &[]),
        ],
    );
    let mut case = start(&def, 1);
    let due = case.deadlines(&def);
    assert_eq!(due, vec![(NodeId(1), t0() + chrono::Duration::seconds(60))]);
    assert!(case.expire(&def, NodeId(1), t0()).is_err(), "not yet");
    let moves = case.expire(&def, NodeId(1), due[0].1).unwrap();
    assert_eq!(moves.skipped, vec![NodeId(1)]);
    settle(&def, &mut case);
    assert_eq!(current(&case), vec![3 - 1]);
    assert!(case.deadlines(&def).is_empty());
}

#[test]
fn a_reject_restarts_the_deadlines_of_the_nodes_it_sends_back_to() {
    let mut s = spec(Assignee::User(UserId(2)));
    s.autocomplete_deadline = 60;
    let def = Definition::new(
        workflow(),
        vec![],
        vec![
            node(1, spec(Assignee::Creator), &[2]),
            node(2, s, &[3]),
            node(3, spec(Assignee::User(UserId(3))), &[]),
        ],
    );
    let mut case = start(&def, 1);
    submit(&def, &mut case, 1, json!({})).unwrap();
    let before_approval = case.route.clone();
    submit(&def, &mut case, 2, json!({})).unwrap();
    assert!(case.deadlines(&def).is_empty());
    // Sent back two hours later: the approval has its full minute again.
    let later = t0() + chrono::Duration::hours(2);
    case.reject(
        UserId(3),
        SignatureKind::Next,
        false,
        before_approval,
        false,
        later,
    )
    .unwrap();
    assert_eq!(current(&case), vec![2]);
    assert_eq!(
        case.deadlines(&def),
        vec![(NodeId(2), later + chrono::Duration::seconds(60))]
    );
    assert!(case.expire(&def, NodeId(2), later).is_err(), "not yet");
}

#[test]
fn a_workflow_without_nodes_refuses_documents() {
    let def = Definition::new(workflow(), vec![], vec![]);
    assert!(Case::create(&def, UserId(1), t0()).is_err());
    let mut w = workflow();
    w.is_active = false;
    assert!(check_can_create_documents(&w).is_err());
}

#[test]
fn abilities_follow_the_state() {
    let def = three_steps();
    let mut case = start(&def, 1);
    let a = Abilities::of(&def, &case, UserId(1), Grants::default());
    assert!(a.is_submittable && a.is_rejectable && a.is_cancellable && a.allow_cc_for_user);
    let b = Abilities::of(&def, &case, UserId(2), Grants::default());
    assert!(!b.is_submittable && !b.is_cancellable && !b.allow_cc_for_user);
    for u in [1, 2, 9] {
        submit(&def, &mut case, u, json!({})).unwrap();
    }
    let c = Abilities::of(
        &def,
        &case,
        UserId(1),
        Grants {
            revokable: true,
            ..Default::default()
        },
    );
    assert!(!c.is_submittable && !c.is_cancellable && c.is_revokable && !c.is_rejectable);
}

#[test]
fn routes_survive_a_round_trip_through_json() {
    let def = three_steps();
    let mut case = start(&def, 1);
    submit(&def, &mut case, 1, json!({})).unwrap();
    let text = serde_json::to_string(&case.route).unwrap();
    let back: Route = serde_json::from_str(&text).unwrap();
    assert_eq!(back, case.route);
}

// Property: whatever sequence of commands users try, a case stays consistent.

#[derive(Debug, Clone)]
enum Cmd {
    Submit(i64),
    Reject(i64, usize),
    Cancel(i64),
    Cc(i64, i64, bool),
    Reply(usize, i64),
    Revoke(i64),
}

fn cmd() -> impl Strategy<Value = Cmd> {
    let user = 1i64..10;
    prop_oneof![
        4 => user.clone().prop_map(Cmd::Submit),
        1 => (user.clone(), 0usize..6).prop_map(|(u, i)| Cmd::Reject(u, i)),
        1 => user.clone().prop_map(Cmd::Cancel),
        1 => (user.clone(), user.clone(), any::<bool>()).prop_map(|(a, b, r)| Cmd::Cc(a, b, r)),
        1 => (0usize..4, user.clone()).prop_map(|(i, u)| Cmd::Reply(i, u)),
        1 => user.prop_map(Cmd::Revoke),
    ]
}

/// 1 -> (2: department 10, n_sign 2, waits for CCs; 3: group 20) -> 4: supervisor of rank 1
fn rich() -> Definition {
    let mut d = spec(Assignee::Department(DeptId(10)));
    d.n_sign = 2;
    d.require_all_cc_response = true;
    Definition::new(
        workflow(),
        vec![],
        vec![
            node(1, spec(Assignee::Creator), &[2, 3]),
            node(2, d, &[4]),
            node(3, spec(Assignee::Group(GroupId(20))), &[4]),
            node(
                4,
                spec(Assignee::Supervisor {
                    rank: RankId(1),
                    reference_node: None,
                    at_least_one: true,
                }),
                &[],
            ),
        ],
    )
}

fn check_invariants(def: &Definition, case: &Case, last_version: i64) {
    assert!(case.version >= last_version);
    for (id, run) in &case.route.nodes {
        let node = def
            .node(*id)
            .expect("only nodes of the workflow are entered");
        if run.state == RunState::Current {
            assert!(
                run.candidates.is_some(),
                "a settled case has resolved every current node"
            );
        }
        // A node is entered only after all its parents are done.
        for p in def.parents(*id) {
            assert!(
                case.route.nodes.get(p).is_some_and(NodeRun::is_done),
                "node {id} entered before parent {p}"
            );
        }
        let mut signers = run.signers.clone();
        signers.sort();
        signers.dedup();
        assert_eq!(
            signers.len(),
            run.signers.len(),
            "nobody signs a node twice"
        );
        if let Assignee::Department(_) | Assignee::Group(_) = node.spec.assignee {
            assert!(run.signers.len() as i64 <= node.spec.n_sign.max(1));
        }
    }
    match case.status {
        Status::Completed => {
            assert!(case.route.is_finished());
            assert!(case.completed_at.is_some());
        }
        Status::Processing => {
            assert!(
                !case.route.is_finished(),
                "in process means something is current"
            );
            assert!(case.completed_at.is_none());
        }
        _ => assert!(case.acting_users().is_empty()),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    #[test]
    fn random_commands_keep_the_case_consistent(cmds in proptest::collection::vec(cmd(), 1..40)) {
        let def = rich();
        let mut case = start(&def, 1);
        // Signature history: route before each sign-off, as the store keeps it.
        let mut history: Vec<(Route, bool)> = Vec::new();
        let mut last = case.version;
        for c in cmds {
            let before = case.clone();
            let result = match c {
                Cmd::Submit(u) => {
                    let route = case.route.clone();
                    let r = case.submit(&def, UserId(u), &BTreeMap::new(), t0()).map(|_| ());
                    if r.is_ok() { history.push((route, false)); }
                    r
                }
                Cmd::Reject(u, i) => match history.get(i).cloned() {
                    Some((route, invalid)) => {
                        let r = case.reject(UserId(u), SignatureKind::Next, invalid, route, u == 9, t0());
                        if r.is_ok() { for h in history.iter_mut().skip(i) { h.1 = true; } }
                        r
                    }
                    None => Ok(()),
                },
                Cmd::Cancel(u) => case.cancel(UserId(u)),
                Cmd::Cc(a, b, r) => {
                    let nodes: Vec<NodeId> = case.route.current().map(|(n, _)| *n).collect();
                    let mut out = Ok(());
                    if let Some(n) = nodes.first() {
                        out = case.cc(&def, UserId(a), UserId(b), *n, r, true).map(|mut cc| {
                            cc.id = CcId(case.ccs.len() as i64 + 1);
                            case.ccs.push(cc);
                        });
                    }
                    out
                }
                Cmd::Reply(i, u) => match case.ccs.get(i).map(|c| c.id) {
                    Some(id) => case.reply(&def, id, UserId(u), t0()).map(|_| ()),
                    None => Ok(()),
                },
                Cmd::Revoke(u) => case.revoke(UserId(u), u == 9),
            };
            if result.is_err() {
                prop_assert_eq!(&case, &before, "a refused command changes nothing");
            }
            settle(&def, &mut case);
            check_invariants(&def, &case, last);
            last = case.version;
        }
    }
}

#[test]
fn a_cc_receiver_sees_what_the_sending_node_shows() {
    let mut s = spec(Assignee::User(UserId(2)));
    s.fields = FieldAccess::close(
        None,
        None,
        Some(vec![FieldId(1)]),
        &[FieldId(1), FieldId(2)],
    )
    .unwrap();
    let def = Definition::new(
        workflow(),
        vec![
            field(1, "Shown", DataType::Utf8),
            field(2, "Secret", DataType::Utf8),
        ],
        vec![node(1, s, &[])],
    );
    let mut case = start(&def, 1);
    let mut cc = case
        .cc(&def, UserId(2), UserId(4), NodeId(1), false, true)
        .unwrap();
    cc.id = CcId(1);
    case.ccs.push(cc);
    let a = Abilities::of(&def, &case, UserId(4), Grants::default());
    assert_eq!(a.visible, [FieldId(1)].into_iter().collect());
    let creator = Abilities::of(&def, &case, UserId(1), Grants::default());
    assert_eq!(creator.visible.len(), 2);
}

mod bpmn;
