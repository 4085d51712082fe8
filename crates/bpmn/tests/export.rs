//! Export: OmniBPM-built workflows (tasks only, no keys, no shapes) get start and end
//! events and an automatic layout; names and expressions survive.

use sluice_bpmn::{export, import};
use sluice_domain::workflow::{
    Assignee, CcTargets, DataType, Field, FieldAccess, Node, NodeKind, NodeSpec,
};
use sluice_domain::{FieldId, NodeId, OrgId, UserId, WorkflowId};
use std::collections::BTreeMap;

fn field(id: i64, name: &str) -> Field {
    Field {
        id: FieldId(id),
        org_id: OrgId(1),
        workflow_id: WorkflowId(1),
        name: name.into(),
        data_type: DataType::Int,
        formula: None,
        is_active: true,
    }
}

fn task(id: i64, note: &str, children: &[i64]) -> Node {
    Node {
        id: NodeId(id),
        org_id: OrgId(1),
        workflow_id: WorkflowId(1),
        spec: NodeSpec {
            note: note.into(),
            n_sign: 1,
            assignee: Assignee::User(UserId(3)),
            job_assignment: None,
            allow_cc: false,
            cc_targets: CcTargets::default(),
            require_all_cc_response: false,
            autocomplete_condition: Some("field_41 > 2 && Days < 9".into()),
            autocomplete_deadline: 0,
            fields: FieldAccess {
                required: [FieldId(41)].into(),
                editable: [FieldId(41)].into(),
                visible: [FieldId(41), FieldId(40)].into(),
            },
            kind: NodeKind::Task,
        },
        children: children.iter().map(|c| NodeId(*c)).collect(),
        conditions: BTreeMap::new(),
        key: None,
        shape: None,
    }
}

#[test]
fn omnibpm_workflows_get_start_end_and_layout() {
    // 10 -> {11, 12} -> 13: a split and a join.
    let fields = [field(40, "Days"), field(41, "Count")];
    let nodes = [
        task(10, "Draft", &[11, 12]),
        task(11, "Check <A & B>", &[13]),
        task(12, "Check C", &[13]),
        task(13, "Sign", &[]),
    ];
    let xml = export("Leave & travel", &fields, &nodes);
    assert!(xml.contains(r#"id="Node_10""#));
    assert!(xml.contains(r#"name="Check &lt;A &amp; B&gt;""#));
    assert!(xml.contains(r#"id="Flow_Node_10_Node_11""#));
    assert!(xml.contains("<bpmndi:BPMNEdge"));
    // field_41 is written as the field's position: field_2.
    assert!(
        xml.contains("field_2 &gt; 2 &amp;&amp; Days &lt; 9"),
        "{xml}"
    );

    let m = import(xml.as_bytes()).unwrap();
    assert_eq!(m.name, "Leave & travel");
    assert_eq!(m.nodes.len(), 6);
    let start = m
        .nodes
        .iter()
        .find(|n| n.key.as_deref() == Some("StartEvent_1"))
        .unwrap();
    let end = m
        .nodes
        .iter()
        .find(|n| n.key.as_deref() == Some("EndEvent_1"))
        .unwrap();
    assert_eq!(start.spec.kind, NodeKind::Start { message: None });
    assert_eq!(end.spec.kind, NodeKind::End);
    assert_eq!(start.children, [NodeId(1)]);
    assert_eq!(m.nodes[3].children, [end.id]);
    let sign = &m.nodes[3];
    assert_eq!(sign.spec.assignee, Assignee::User(UserId(3)));
    assert_eq!(
        sign.spec.autocomplete_condition.as_deref(),
        Some("field_2 > 2 && Days < 9")
    );
    assert_eq!(sign.spec.fields.required, [FieldId(2)].into());
    // Laid out left to right by longest path; the branches stacked.
    let s = |i: usize| m.nodes[i].shape.unwrap();
    assert!(s(4).x < s(0).x && s(0).x < s(1).x && s(1).x < s(3).x && s(3).x < s(5).x);
    assert_eq!(s(1).x, s(2).x);
    assert!(s(2).y > s(1).y);
}

#[test]
fn an_empty_workflow_exports_a_process_without_nodes() {
    let xml = export("Empty", &[], &[]);
    assert!(xml.contains("<bpmn:process"));
    assert!(import(xml.as_bytes()).is_err());
}

#[test]
fn flow_ids_stay_unique_when_keys_hold_underscores() {
    // a_b -> c and a -> b_c would both be Flow_a_b_c.
    let fields = [field(40, "Days"), field(41, "Count")];
    let keyed = |id: i64, key: &str, children: &[i64]| Node {
        key: Some(key.into()),
        ..task(id, key, children)
    };
    let nodes = [
        keyed(1, "a_b", &[2]),
        keyed(2, "c", &[]),
        keyed(3, "a", &[4]),
        keyed(4, "b_c", &[]),
    ];
    let xml = export("Underscores", &fields, &nodes);
    assert_eq!(xml.matches(r#"id="Flow_a_b_c""#).count(), 1, "{xml}");
    let again = import(xml.as_bytes()).expect("re-import");
    let children = |key: &str| {
        let n = again
            .nodes
            .iter()
            .find(|n| n.key.as_deref() == Some(key))
            .expect(key);
        n.children
            .iter()
            .map(|c| {
                again
                    .nodes
                    .iter()
                    .find(|m| m.id == *c)
                    .unwrap()
                    .key
                    .clone()
                    .unwrap()
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(children("a_b"), ["c"]);
    assert_eq!(children("a"), ["b_c"]);
}
