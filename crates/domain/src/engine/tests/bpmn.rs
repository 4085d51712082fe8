//! The BPMN node kinds: gateways with dead-path elimination, message starts, receive tasks,
//! timers, boundary timers and service tasks, and the rules `check_runnable` enforces.

use super::*;

/// A node of `kind` (tasks are the creator's).
fn k(id: i64, kind: NodeKind, children: &[i64]) -> Node {
    let mut s = spec(Assignee::Creator);
    s.kind = kind;
    node(id, s, children)
}

fn task(id: i64, children: &[i64]) -> Node {
    k(id, NodeKind::Task, children)
}

fn none_start(id: i64, children: &[i64]) -> Node {
    k(id, NodeKind::Start { message: None }, children)
}

fn message_start(id: i64, children: &[i64]) -> Node {
    let trigger = MessageTrigger {
        parameters: BTreeMap::from([("amount".into(), FieldId(1))]),
        ..Default::default()
    };
    k(
        id,
        NodeKind::Start {
            message: Some(trigger),
        },
        children,
    )
}

fn end(id: i64) -> Node {
    k(id, NodeKind::End, &[])
}

fn def_of(nodes: Vec<Node>) -> Definition {
    Definition::new(
        workflow(),
        vec![
            field(1, "amount", DataType::Int),
            field(2, "answer", DataType::Utf8),
        ],
        nodes,
    )
}

fn states(case: &Case) -> BTreeMap<i64, RunState> {
    case.route
        .nodes
        .iter()
        .map(|(id, r)| (id.0, r.state))
        .collect()
}

fn values(pairs: &[(i64, FieldValue)]) -> Values {
    pairs
        .iter()
        .map(|(f, v)| (FieldId(*f), v.clone()))
        .collect()
}

/// start(1) -> task(2) -> xor(3) -[amount > 100]-> task(4) -> merge(6) -> end(7)
///                               -[default]-----> task(5) -> merge(6)
fn approval(amount_condition: &str) -> Definition {
    let mut xor = k(
        3,
        NodeKind::ExclusiveGateway {
            default: Some(NodeId(5)),
        },
        &[4, 5],
    );
    xor.conditions.insert(NodeId(4), amount_condition.into());
    def_of(vec![
        none_start(1, &[2]),
        task(2, &[3]),
        xor,
        task(4, &[6]),
        task(5, &[6]),
        k(6, NodeKind::ExclusiveGateway { default: None }, &[7]),
        end(7),
    ])
}

#[test]
fn an_exclusive_gateway_takes_the_flow_whose_condition_holds_and_the_join_does_not_wait() {
    let def = approval("amount > 100");
    let mut case = start(&def, 1);
    assert_eq!(current(&case), vec![2]);
    submit(&def, &mut case, 1, json!({})).unwrap_or_else(|e| panic!("{e}"));
    // amount is unset: the condition does not hold, the default flow is taken.
    assert_eq!(current(&case), vec![5]);
    assert_eq!(states(&case)[&4], RunState::Dead);
    submit(&def, &mut case, 1, json!({})).unwrap();
    assert_eq!(case.status, Status::Completed);
    assert_eq!(states(&case)[&6], RunState::Complete);
    assert_eq!(states(&case)[&7], RunState::Complete);
}

#[test]
fn a_condition_that_holds_chooses_its_branch() {
    let mut def = approval("amount > 100");
    // Let the first task write the amount.
    def.nodes[1].spec.fields.editable.insert(FieldId(1));
    def.nodes[1].spec.fields.visible.insert(FieldId(1));
    let mut case = start(&def, 1);
    submit(&def, &mut case, 1, json!({"1": 250})).unwrap();
    assert_eq!(current(&case), vec![4]);
    assert_eq!(states(&case)[&5], RunState::Dead);
}

#[test]
fn a_gateway_with_no_flow_to_take_stays_with_an_error() {
    let mut xor = k(3, NodeKind::ExclusiveGateway { default: None }, &[4]);
    xor.conditions.insert(NodeId(4), "amount > 100".into());
    let def = def_of(vec![none_start(1, &[3]), xor, end(4)]);
    let case = start(&def, 1);
    assert_eq!(current(&case), vec![3]);
    assert!(case.route.nodes[&NodeId(3)].error.is_some());
    assert_eq!(case.status, Status::Processing);
    assert!(case.acting_users().is_empty());
}

#[test]
fn a_parallel_split_runs_both_branches_and_the_join_waits_for_both() {
    let def = def_of(vec![
        none_start(1, &[2]),
        k(2, NodeKind::ParallelGateway, &[3, 4]),
        task(3, &[5]),
        k(4, NodeKind::Task, &[5]),
        k(5, NodeKind::ParallelGateway, &[6]),
        task(6, &[]),
    ]);
    let mut case = start(&def, 1);
    assert_eq!(current(&case), vec![3, 4]);
    let mut one = case.clone();
    // One signature serves both tasks of the creator; sign them one at a time instead.
    one.route.nodes.get_mut(&NodeId(4)).unwrap().candidates = Some(vec![UserId(2)]);
    submit(&def, &mut one, 1, json!({})).unwrap();
    assert_eq!(current(&one), vec![4]);
    submit(&def, &mut one, 2, json!({})).unwrap();
    assert_eq!(current(&one), vec![6]);
    submit(&def, &mut case, 1, json!({})).unwrap();
    assert_eq!(current(&case), vec![6]);
}

#[test]
fn a_message_start_starts_there_and_writes_its_values() {
    let def = def_of(vec![
        none_start(1, &[3]),
        message_start(2, &[4]),
        task(3, &[]),
        k(4, NodeKind::Receive(MessageTrigger::default()), &[5]),
        end(5),
    ]);
    let (mut case, _) = Case::create_by_message(
        &def,
        UserId(1),
        NodeId(2),
        &values(&[(1, FieldValue::Int(7))]),
        t0(),
    )
    .unwrap();
    settle(&def, &mut case);
    assert_eq!(current(&case), vec![4]);
    assert_eq!(states(&case)[&1], RunState::Dead);
    assert_eq!(states(&case)[&3], RunState::Dead);
    assert_eq!(case.content[&FieldId(1)], FieldValue::Int(7));
    // document/create starts at the none start only.
    let other = start(&def, 1);
    assert_eq!(current(&other), vec![3]);
    assert_eq!(states(&other)[&2], RunState::Dead);
    // Only message starts can be started by a message.
    let err = Case::create_by_message(&def, UserId(1), NodeId(1), &Values::new(), t0());
    assert!(matches!(err, Err(Error::NotFound(..))), "{err:?}");
    // A wrongly typed value is refused.
    let err = Case::create_by_message(
        &def,
        UserId(1),
        NodeId(2),
        &values(&[(1, FieldValue::Text("x".into()))]),
        t0(),
    );
    assert!(matches!(err, Err(Error::Invalid(_))), "{err:?}");
}

#[test]
fn a_model_with_only_message_starts_refuses_document_create() {
    let def = def_of(vec![message_start(1, &[2]), end(2)]);
    assert!(Case::create(&def, UserId(1), t0()).is_err());
}

#[test]
fn a_receive_task_waits_for_its_message() {
    let def = def_of(vec![
        none_start(1, &[2]),
        task(2, &[3]),
        k(3, NodeKind::Receive(MessageTrigger::default()), &[4]),
        end(4),
    ]);
    let mut case = start(&def, 1);
    let before = case.clone();
    // Not waiting there yet: refused, nothing changes.
    let err = case.receive(&def, NodeId(3), &Values::new(), t0());
    assert!(matches!(err, Err(Error::Conflict(_))), "{err:?}");
    assert_eq!(case, before);
    submit(&def, &mut case, 1, json!({})).unwrap();
    assert_eq!(current(&case), vec![3]);
    assert!(case.acting_users().is_empty());
    let version = case.version;
    case.receive(
        &def,
        NodeId(3),
        &values(&[(2, FieldValue::Text("yes".into()))]),
        t0(),
    )
    .unwrap();
    settle(&def, &mut case);
    assert_eq!(case.status, Status::Completed);
    assert_eq!(case.version, version + 1);
    assert_eq!(case.content[&FieldId(2)], FieldValue::Text("yes".into()));
    // Not a receive task.
    let err = case.receive(&def, NodeId(2), &Values::new(), t0());
    assert!(err.is_err());
}

#[test]
fn a_timer_event_fires_at_its_time() {
    let def = def_of(vec![
        none_start(1, &[2]),
        k(2, NodeKind::Timer(Timer::After { seconds: 60 }), &[3]),
        end(3),
    ]);
    assert!(def.has_deadlines());
    let mut case = start(&def, 1);
    let due = t0() + chrono::Duration::seconds(60);
    assert_eq!(case.deadlines(&def), vec![(NodeId(2), due)]);
    assert!(case
        .expire(&def, NodeId(2), due - chrono::Duration::seconds(1))
        .is_err());
    case.expire(&def, NodeId(2), due).unwrap();
    settle(&def, &mut case);
    assert_eq!(case.status, Status::Completed);
    assert!(case.deadlines(&def).is_empty());
}

/// start(1) -> task(2) -> end(3); a boundary timer(4) on task 2 -> task(5)
fn escalation() -> Definition {
    def_of(vec![
        none_start(1, &[2]),
        task(2, &[3, 4]),
        end(3),
        k(
            4,
            NodeKind::TimerBoundary(Timer::After { seconds: 3600 }),
            &[5],
        ),
        task(5, &[]),
    ])
}

#[test]
fn a_task_done_in_time_leaves_its_boundary_timer_behind() {
    let def = escalation();
    let mut case = start(&def, 1);
    assert_eq!(current(&case), vec![2]);
    assert_eq!(case.deadlines(&def).len(), 1);
    submit(&def, &mut case, 1, json!({})).unwrap();
    assert_eq!(case.status, Status::Completed);
    assert_eq!(states(&case)[&4], RunState::Dead);
    assert_eq!(states(&case)[&5], RunState::Dead);
}

#[test]
fn a_boundary_timer_interrupts_its_task() {
    let def = escalation();
    let mut case = start(&def, 1);
    let due = t0() + chrono::Duration::hours(1);
    assert_eq!(case.deadlines(&def), vec![(NodeId(2), due)]);
    case.expire(&def, NodeId(2), due).unwrap();
    settle(&def, &mut case);
    assert_eq!(current(&case), vec![5]);
    assert_eq!(states(&case)[&2], RunState::Skipped);
    assert_eq!(states(&case)[&3], RunState::Dead);
    assert_eq!(states(&case)[&4], RunState::Complete);
}

#[test]
fn service_calls_succeed_or_leave_a_visible_error() {
    let call = HttpCall {
        method: "POST".into(),
        url: "https://example.com/score".into(),
        body_fields: vec![FieldId(1)],
        result: BTreeMap::from([("/answer".into(), FieldId(2))]),
        retries: 2,
        backoff_seconds: 5,
    };
    let def = def_of(vec![
        none_start(1, &[2]),
        k(2, NodeKind::Service(call), &[3]),
        end(3),
    ]);
    assert!(def.has_service_tasks());
    let mut case = start(&def, 1);
    assert_eq!(case.service_calls(&def), vec![NodeId(2)]);
    case.service_failed(&def, NodeId(2), "HTTP 503").unwrap();
    assert_eq!(
        case.route.nodes[&NodeId(2)].error.as_deref(),
        Some("HTTP 503")
    );
    assert!(case.service_calls(&def).is_empty());
    assert_eq!(case.status, Status::Processing);
    case.service_done(
        &def,
        NodeId(2),
        &values(&[(2, FieldValue::Text("ok".into()))]),
        t0(),
    )
    .unwrap();
    settle(&def, &mut case);
    assert_eq!(case.status, Status::Completed);
    assert!(case.route.nodes[&NodeId(2)].error.is_none());
}

#[test]
fn runnable_rules() {
    let fields = vec![
        field(1, "amount", DataType::Int),
        field(2, "answer", DataType::Utf8),
    ];
    let ok = approval("amount > 100");
    check_runnable(&ok.nodes, &fields).unwrap();
    // An OmniBPM-only version passes.
    check_runnable(&three_steps().nodes, &[]).unwrap();
    let refused = |nodes: Vec<Node>| check_runnable(&nodes, &fields).unwrap_err().to_string();
    // A condition out of a task.
    let mut t = task(1, &[2]);
    t.conditions.insert(NodeId(2), "true".into());
    assert!(refused(vec![t, end(2)]).contains("exclusive gateway"));
    // A condition that does not compile, or names an unknown field.
    let mut x = k(1, NodeKind::ExclusiveGateway { default: None }, &[2]);
    x.conditions.insert(NodeId(2), "nosuch > 1".into());
    assert!(refused(vec![x, end(2)]).contains("condition"));
    // A default flow that is not a child.
    let x = k(
        1,
        NodeKind::ExclusiveGateway {
            default: Some(NodeId(9)),
        },
        &[2],
    );
    assert!(refused(vec![x, end(2)]).contains("default"));
    // An end event with outgoing flows, a start with incoming ones.
    assert!(refused(vec![k(1, NodeKind::End, &[2]), task(2, &[])]).contains("end event"));
    assert!(refused(vec![task(1, &[2]), none_start(2, &[])]).contains("start event"));
    // A boundary timer not on a task.
    let b = k(2, NodeKind::TimerBoundary(Timer::After { seconds: 5 }), &[]);
    assert!(refused(vec![k(1, NodeKind::ParallelGateway, &[2]), b]).contains("boundary"));
    // A zero timer.
    let z = k(1, NodeKind::Timer(Timer::After { seconds: 0 }), &[]);
    assert!(refused(vec![z]).contains("positive"));
    // A message body field that is not text; a parameter to an unknown field.
    let m = MessageTrigger {
        body_field: Some(FieldId(1)),
        ..Default::default()
    };
    assert!(refused(vec![k(1, NodeKind::Receive(m), &[])]).contains("UTF8"));
    let m = MessageTrigger {
        parameters: BTreeMap::from([("x".into(), FieldId(9))]),
        ..Default::default()
    };
    assert!(refused(vec![k(1, NodeKind::Receive(m), &[])]).contains("field 9"));
    // Service calls: method, URL, retries.
    let call = |method: &str, url: &str, retries: u32| HttpCall {
        method: method.into(),
        url: url.into(),
        body_fields: vec![],
        result: BTreeMap::new(),
        retries,
        backoff_seconds: 1,
    };
    for (c, why) in [
        (call("FETCH", "https://a.example", 1), "method"),
        (call("GET", "ftp://a.example", 1), "url"),
        (call("GET", "https://", 1), "url"),
        (call("GET", "https://a.example", 11), "retries"),
        (call("GET", "https://user:pw@a.example/x", 1), "password"),
    ] {
        assert!(
            refused(vec![k(1, NodeKind::Service(c), &[])]).contains(why),
            "{why}"
        );
    }
}

#[test]
fn node_kinds_survive_a_round_trip_through_json() {
    for kind in [
        NodeKind::Task,
        NodeKind::Start { message: None },
        NodeKind::ExclusiveGateway {
            default: Some(NodeId(3)),
        },
        NodeKind::Timer(Timer::At { at: t0() }),
        NodeKind::Receive(MessageTrigger {
            body_field: Some(FieldId(2)),
            ..Default::default()
        }),
    ] {
        let text = serde_json::to_string(&kind).unwrap();
        assert_eq!(serde_json::from_str::<NodeKind>(&text).unwrap(), kind);
    }
}

#[test]
fn form_parameters_convert_to_field_types() {
    assert_eq!(
        FieldValue::parse_text(DataType::Int, "n", " 12 ").unwrap(),
        FieldValue::Int(12)
    );
    assert_eq!(
        FieldValue::parse_text(DataType::Bool, "b", "TRUE").unwrap(),
        FieldValue::Bool(true)
    );
    assert_eq!(
        FieldValue::parse_text(DataType::Decimal, "d", "1.5").unwrap(),
        FieldValue::Decimal(1.5)
    );
    assert!(matches!(
        FieldValue::parse_text(DataType::Date, "d", "2026-03-01").unwrap(),
        FieldValue::Date(_)
    ));
    assert!(FieldValue::parse_text(DataType::Int, "n", "twelve").is_err());
    assert!(FieldValue::parse_text(DataType::Formula, "f", "1").is_err());
}

proptest! {
    /// Whatever the amounts and the order in which parallel branches are signed, a case of
    /// a model with an exclusive choice inside a parallel split completes, no node is both
    /// off the path and signed, and exactly one branch of the choice ran.
    #[test]
    fn gateways_never_leave_a_case_stuck(amount in -5i64..5, order in proptest::bool::ANY) {
        // start(1) -> and(2) -> [task(3), xor(4)]; xor -[amount > 0]-> task(5) | default task(6);
        // task 5, task 6 -> merge(7); task 3, merge 7 -> and(8) -> end(9)
        let mut xor = k(4, NodeKind::ExclusiveGateway { default: Some(NodeId(6)) }, &[5, 6]);
        xor.conditions.insert(NodeId(5), "amount > 0".into());
        let mut t3 = task(3, &[8]);
        t3.spec.assignee = Assignee::User(UserId(2));
        let def = def_of(vec![
            none_start(1, &[2]),
            k(2, NodeKind::ParallelGateway, &[3, 4]),
            t3,
            xor,
            task(5, &[7]),
            task(6, &[7]),
            k(7, NodeKind::ExclusiveGateway { default: None }, &[8]),
            k(8, NodeKind::ParallelGateway, &[9]),
            end(9),
        ]);
        let (mut case, _) = Case::create(&def, UserId(1), t0()).unwrap();
        case.content.insert(FieldId(1), FieldValue::Int(amount));
        // Re-route with the amount in place (as a message start would have it).
        let (route, _) = Route::start(&def, &case.content, t0());
        case.route = route;
        settle(&def, &mut case);
        let users = if order { [1, 2] } else { [2, 1] };
        for u in users {
            submit(&def, &mut case, u, json!({})).unwrap();
        }
        prop_assert_eq!(case.status, Status::Completed);
        let s = states(&case);
        let ran = [5, 6].iter().filter(|n| s[n] == RunState::Complete).count();
        prop_assert_eq!(ran, 1);
        prop_assert_eq!(s[&if amount > 0 { 6 } else { 5 }], RunState::Dead);
        for r in case.route.nodes.values() {
            prop_assert!(r.state != RunState::Dead || r.signers.is_empty());
            prop_assert!(r.state != RunState::Current);
        }
    }
}

#[test]
fn a_saved_draft_writes_editable_fields_without_signing() {
    let mut def = approval("amount > 100");
    def.nodes[1].spec.fields.editable.insert(FieldId(1));
    def.nodes[1].spec.fields.visible.insert(FieldId(1));
    let mut case = start(&def, 1);
    let values: Submission = BTreeMap::from([(FieldId(1), json!(12))]);
    assert_eq!(
        case.save(&def, UserId(1), &values).unwrap(),
        vec![FieldId(1)]
    );
    assert_eq!(case.version, 2);
    assert_eq!(current(&case), vec![2]);
    assert_eq!(case.content[&FieldId(1)], FieldValue::Int(12));
    // Not editable, not responsible, wrong type: refused, unchanged.
    let before = case.clone();
    let text: Submission = BTreeMap::from([(FieldId(2), json!("x"))]);
    assert!(case.save(&def, UserId(1), &text).is_err());
    assert!(case.save(&def, UserId(9), &values).is_err());
    let wrong: Submission = BTreeMap::from([(FieldId(1), json!("twelve"))]);
    assert!(case.save(&def, UserId(1), &wrong).is_err());
    assert_eq!(case, before);
}

#[test]
fn long_chains_route_without_deep_recursion() {
    // start -> 3,000 parallel gateways -> xor -> [task | 3,000-node dead branch] -> end,
    // routed on a thread with a small stack: routing must not recurse per node.
    std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(|| {
            const N: i64 = 3_000;
            let mut nodes = vec![none_start(1, &[2])];
            for i in 2..2 + N {
                nodes.push(k(i, NodeKind::ParallelGateway, &[i + 1]));
            }
            let xor = 2 + N;
            let (task_id, dead_first, end_id) = (xor + 1, xor + 2, xor + 2 + N);
            nodes.push(k(
                xor,
                NodeKind::ExclusiveGateway {
                    default: Some(NodeId(task_id)),
                },
                &[task_id, dead_first],
            ));
            nodes
                .last_mut()
                .unwrap()
                .conditions
                .insert(NodeId(dead_first), "amount > 100".into());
            nodes.push(task(task_id, &[end_id]));
            for i in dead_first..end_id {
                nodes.push(k(i, NodeKind::ParallelGateway, &[i + 1]));
            }
            nodes.push(end(end_id));
            let def = def_of(nodes);
            let mut case = start(&def, 1);
            assert_eq!(current(&case), vec![task_id]);
            assert_eq!(states(&case)[&(end_id - 1)], RunState::Dead);
            submit(&def, &mut case, 1, json!({})).unwrap();
            assert_eq!(case.status, Status::Completed);
        })
        .unwrap()
        .join()
        .unwrap();
}
