//! Import: the subset, the sluice extensions, refusals, warnings and hostile files.

use sluice_bpmn::{export, import, ImportError, Imported};
use sluice_domain::workflow::{Assignee, DataType, JobAssignmentKind, NodeKind, Timer};
use sluice_domain::{FieldId, NodeId, UserId};

fn wrap(process: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"
  xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xmlns:sluice="https://sluice.dev/bpmn" id="D" name="Defs">
{process}
</bpmn:definitions>"#
    )
}

fn ok(xml: &str) -> Imported {
    match import(xml.as_bytes()) {
        Ok(m) => m,
        Err(e) => panic!("refused: {e}"),
    }
}

fn by_key<'a>(m: &'a Imported, key: &str) -> &'a sluice_domain::workflow::Node {
    m.nodes
        .iter()
        .find(|n| n.key.as_deref() == Some(key))
        .unwrap_or_else(|| panic!("no node {key}"))
}

fn id(m: &Imported, key: &str) -> NodeId {
    by_key(m, key).id
}

/// A model that uses every supported element and extension.
pub const FULL: &str = r#"
<bpmn:process id="P" name="Purchase" isExecutable="true">
  <bpmn:extensionElements>
    <sluice:field name="Amount" type="INT"/>
    <sluice:field name="Note" type="UTF8"/>
    <sluice:field name="Double" type="FORMULA" formula="Amount * 2"/>
    <sluice:field name="Ticket" type="UTF8"/>
  </bpmn:extensionElements>
  <bpmn:startEvent id="Start" name="Start"/>
  <bpmn:startEvent id="MsgStart" name="By message" sluice:bodyField="Note" sluice:runAs="7">
    <bpmn:extensionElements><sluice:parameter name="amount" field="Amount"/></bpmn:extensionElements>
    <bpmn:messageEventDefinition/>
  </bpmn:startEvent>
  <bpmn:userTask id="Request" name="Request" sluice:assignee="creator" sluice:requiredFields="Amount" sluice:visibleFields="Amount,Note"/>
  <bpmn:exclusiveGateway id="Big" name="Big?" default="F_small"/>
  <bpmn:userTask id="Approve" name="Approve" sluice:assignee="rank:3" sluice:referenceNode="Request" sluice:atLeastOne="false" sluice:nSign="2" sluice:allowCc="true" sluice:ccUsers="4,5" sluice:requireAllCcResponse="true" sluice:autocompleteCondition="Amount &lt; 10" sluice:autocompleteDeadline="PT1H" sluice:editableFields="Note"/>
  <bpmn:boundaryEvent id="Late" attachedToRef="Approve">
    <bpmn:timerEventDefinition><bpmn:timeDuration>P2D</bpmn:timeDuration></bpmn:timerEventDefinition>
  </bpmn:boundaryEvent>
  <bpmn:task id="Escalate" name="Escalate" sluice:assignee="user:9" sluice:jobAssignmentNode="Request" sluice:jobAssignmentType="COPY"/>
  <bpmn:parallelGateway id="Split"/>
  <bpmn:receiveTask id="Wait" name="Wait for invoice" sluice:bodyField="Note"/>
  <bpmn:intermediateCatchEvent id="Pause">
    <bpmn:timerEventDefinition><bpmn:timeDate>2030-01-02T03:04:05Z</bpmn:timeDate></bpmn:timerEventDefinition>
  </bpmn:intermediateCatchEvent>
  <bpmn:serviceTask id="Call" name="Open ticket" sluice:method="post" sluice:url="https://example.test/tickets" sluice:bodyFields="Amount,Note" sluice:retries="2" sluice:backoff="5">
    <bpmn:extensionElements><sluice:result pointer="/id" field="Ticket"/></bpmn:extensionElements>
  </bpmn:serviceTask>
  <bpmn:parallelGateway id="Join"/>
  <bpmn:endEvent id="End"/>
  <bpmn:sequenceFlow id="F1" sourceRef="Start" targetRef="Request"/>
  <bpmn:sequenceFlow id="F1m" sourceRef="MsgStart" targetRef="Request"/>
  <bpmn:sequenceFlow id="F2" sourceRef="Request" targetRef="Big"/>
  <bpmn:sequenceFlow id="F_big" sourceRef="Big" targetRef="Approve">
    <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">Amount &gt;= 1000</bpmn:conditionExpression>
  </bpmn:sequenceFlow>
  <bpmn:sequenceFlow id="F_small" sourceRef="Big" targetRef="Split"/>
  <bpmn:sequenceFlow id="F3" sourceRef="Approve" targetRef="Split"/>
  <bpmn:sequenceFlow id="F4" sourceRef="Late" targetRef="Escalate"/>
  <bpmn:sequenceFlow id="F5" sourceRef="Escalate" targetRef="End2"/>
  <bpmn:sequenceFlow id="F6" sourceRef="Split" targetRef="Wait"/>
  <bpmn:sequenceFlow id="F7" sourceRef="Split" targetRef="Pause"/>
  <bpmn:sequenceFlow id="F7b" sourceRef="Split" targetRef="Call"/>
  <bpmn:sequenceFlow id="F8" sourceRef="Wait" targetRef="Join"/>
  <bpmn:sequenceFlow id="F9" sourceRef="Pause" targetRef="Join"/>
  <bpmn:sequenceFlow id="F9b" sourceRef="Call" targetRef="Join"/>
  <bpmn:sequenceFlow id="F10" sourceRef="Join" targetRef="End"/>
  <bpmn:endEvent id="End2"/>
</bpmn:process>
<bpmndi:BPMNDiagram id="Dg"><bpmndi:BPMNPlane id="Pl" bpmnElement="P">
  <bpmndi:BPMNShape id="S1" bpmnElement="Request"><dc:Bounds x="10" y="20" width="100" height="80"/></bpmndi:BPMNShape>
</bpmndi:BPMNPlane></bpmndi:BPMNDiagram>"#;

#[test]
fn reads_every_supported_element() {
    let m = ok(&wrap(FULL));
    assert_eq!(m.name, "Purchase");
    assert!(m.warnings.is_empty(), "{:?}", m.warnings);
    let names: Vec<(&str, DataType)> = m
        .fields
        .iter()
        .map(|f| (f.name.as_str(), f.data_type))
        .collect();
    assert_eq!(
        names,
        [
            ("Amount", DataType::Int),
            ("Note", DataType::Utf8),
            ("Double", DataType::Formula),
            ("Ticket", DataType::Utf8)
        ]
    );
    assert_eq!(m.fields[0].id, FieldId(1));
    // Provisional ids in document order.
    let keys: Vec<&str> = m.nodes.iter().map(|n| n.key.as_deref().unwrap()).collect();
    assert_eq!(keys[..3], ["Start", "MsgStart", "Request"]);
    assert_eq!(m.nodes[0].id, NodeId(1));

    let start = by_key(&m, "MsgStart");
    let NodeKind::Start { message: Some(t) } = &start.spec.kind else {
        panic!("{:?}", start.spec.kind)
    };
    assert_eq!(t.parameters["amount"], FieldId(1));
    assert_eq!(t.body_field, Some(FieldId(2)));
    assert_eq!(t.run_as, Some(UserId(7)));
    assert_eq!(
        by_key(&m, "Start").spec.kind,
        NodeKind::Start { message: None }
    );

    let req = by_key(&m, "Request");
    assert_eq!(req.spec.assignee, Assignee::Creator);
    assert_eq!(req.spec.fields.required.len(), 1);
    assert_eq!(req.spec.fields.visible.len(), 2);
    assert_eq!(req.shape.unwrap().x, 10.0);
    assert_eq!(req.children, [id(&m, "Big")]);

    let big = by_key(&m, "Big");
    assert_eq!(
        big.spec.kind,
        NodeKind::ExclusiveGateway {
            default: Some(id(&m, "Split"))
        }
    );
    assert_eq!(big.children, [id(&m, "Approve"), id(&m, "Split")]);
    assert_eq!(big.conditions[&id(&m, "Approve")], "Amount >= 1000");

    let approve = by_key(&m, "Approve");
    assert_eq!(
        approve.spec.assignee,
        Assignee::Supervisor {
            rank: sluice_domain::RankId(3),
            reference_node: Some(id(&m, "Request")),
            at_least_one: false
        }
    );
    assert_eq!(approve.spec.n_sign, 2);
    assert!(approve.spec.allow_cc && approve.spec.require_all_cc_response);
    assert_eq!(approve.spec.cc_targets.users, [UserId(4), UserId(5)]);
    assert_eq!(approve.spec.autocomplete_deadline, 3600);
    assert_eq!(
        approve.spec.autocomplete_condition.as_deref(),
        Some("Amount < 10")
    );
    // The boundary timer hangs off the task, after its flows.
    assert_eq!(approve.children, [id(&m, "Split"), id(&m, "Late")]);
    assert_eq!(
        by_key(&m, "Late").spec.kind,
        NodeKind::TimerBoundary(Timer::After { seconds: 172_800 })
    );
    let esc = by_key(&m, "Escalate");
    assert_eq!(esc.spec.assignee, Assignee::User(UserId(9)));
    let ja = esc.spec.job_assignment.unwrap();
    assert_eq!(
        (ja.node, ja.kind),
        (id(&m, "Request"), JobAssignmentKind::Copy)
    );

    assert_eq!(by_key(&m, "Split").children.len(), 3);
    assert!(
        matches!(by_key(&m, "Wait").spec.kind, NodeKind::Receive(ref t) if t.body_field == Some(FieldId(2)))
    );
    let NodeKind::Timer(Timer::At { at }) = by_key(&m, "Pause").spec.kind else {
        panic!()
    };
    assert_eq!(at.to_rfc3339(), "2030-01-02T03:04:05+00:00");
    let NodeKind::Service(call) = &by_key(&m, "Call").spec.kind else {
        panic!()
    };
    assert_eq!(call.method, "POST");
    assert_eq!(call.body_fields, [FieldId(1), FieldId(2)]);
    assert_eq!(call.result["/id"], FieldId(4));
    assert_eq!((call.retries, call.backoff_seconds), (2, 5));
    assert_eq!(by_key(&m, "End").spec.kind, NodeKind::End);
}

#[test]
fn plain_tasks_go_to_the_creator_and_names_fall_back() {
    let m = ok(&wrap(
        r#"<bpmn:process id="Proc"><bpmn:task id="T"/></bpmn:process>"#,
    ));
    assert_eq!(m.name, "Defs");
    let t = by_key(&m, "T");
    assert_eq!(t.spec.assignee, Assignee::Creator);
    assert_eq!(t.spec.note, "T");
    assert_eq!(t.spec.n_sign, 1);
}

#[test]
fn refuses_every_unsupported_element_at_once() {
    let xml = wrap(
        r#"<bpmn:process id="P">
  <bpmn:startEvent id="S"/>
  <bpmn:subProcess id="Sub"/>
  <bpmn:callActivity id="Call"/>
  <bpmn:inclusiveGateway id="Inc"/>
  <bpmn:eventBasedGateway id="Ev"/>
  <bpmn:intermediateThrowEvent id="Throw"/>
  <bpmn:sendTask id="Send"/>
  <bpmn:scriptTask id="Script"/>
  <bpmn:task id="Loop"><bpmn:multiInstanceLoopCharacteristics/></bpmn:task>
  <bpmn:startEvent id="Sig"><bpmn:signalEventDefinition/></bpmn:startEvent>
  <bpmn:userTask id="U"/>
  <bpmn:boundaryEvent id="Err" attachedToRef="U"><bpmn:errorEventDefinition/></bpmn:boundaryEvent>
  <bpmn:boundaryEvent id="Soft" attachedToRef="U" cancelActivity="false"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1M</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>
  <bpmn:intermediateCatchEvent id="Cycle"><bpmn:timerEventDefinition><bpmn:timeCycle>R3/PT1H</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
  <bpmn:serviceTask id="Java"/>
  <bpmn:sequenceFlow id="Cond" sourceRef="S" targetRef="U"><bpmn:conditionExpression>true</bpmn:conditionExpression></bpmn:sequenceFlow>
</bpmn:process>"#,
    );
    let Err(ImportError::Unsupported(ps)) = import(xml.as_bytes()) else {
        panic!("not refused")
    };
    let ids: Vec<&str> = ps.iter().map(|p| p.id.as_str()).collect();
    for want in [
        "Sub", "Call", "Inc", "Ev", "Throw", "Send", "Script", "Loop", "Sig", "Err", "Soft",
        "Cycle", "Java", "Cond",
    ] {
        assert!(ids.contains(&want), "{want} missing from {ids:?}");
    }
    let text = ImportError::Unsupported(ps).to_string();
    assert!(text.contains("subProcess \"Sub\""), "{text}");
}

#[test]
fn refuses_cycles_pools_and_misplaced_boundaries() {
    let cycle = wrap(
        r#"<bpmn:process id="P"><bpmn:task id="A"/><bpmn:task id="B"/>
  <bpmn:sequenceFlow id="f1" sourceRef="A" targetRef="B"/><bpmn:sequenceFlow id="f2" sourceRef="B" targetRef="A"/>
</bpmn:process>"#,
    );
    let Err(ImportError::Unsupported(ps)) = import(cycle.as_bytes()) else {
        panic!()
    };
    assert!(ps[0].message.contains("cycles"), "{ps:?}");

    let pools = wrap(
        r#"<bpmn:process id="P1"><bpmn:task id="A"/></bpmn:process><bpmn:process id="P2"><bpmn:task id="B"/></bpmn:process>"#,
    );
    let Err(ImportError::Unsupported(ps)) = import(pools.as_bytes()) else {
        panic!()
    };
    assert_eq!(ps.len(), 2);

    let on_gateway = wrap(
        r#"<bpmn:process id="P"><bpmn:exclusiveGateway id="G"/>
  <bpmn:boundaryEvent id="B" attachedToRef="G"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1M</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>
</bpmn:process>"#,
    );
    assert!(matches!(
        import(on_gateway.as_bytes()),
        Err(ImportError::Unsupported(_))
    ));
}

#[test]
fn collaboration_with_one_pool_and_ignored_elements_warns() {
    let xml = wrap(
        r#"<bpmn:collaboration id="C">
  <bpmn:participant id="Pa" processRef="P"/><bpmn:participant id="Ext" name="Customer"/>
  <bpmn:messageFlow id="MF" sourceRef="Ext" targetRef="T"/>
</bpmn:collaboration>
<bpmn:process id="P" name="Named">
  <bpmn:documentation>About</bpmn:documentation>
  <bpmn:laneSet id="LS"><bpmn:lane id="L"><bpmn:flowNodeRef>T</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
  <bpmn:task id="T"><bpmn:documentation>Doc</bpmn:documentation><bpmn:extensionElements><x:meta xmlns:x="urn:x"/></bpmn:extensionElements></bpmn:task>
  <bpmn:textAnnotation id="Note"><bpmn:text>hi</bpmn:text></bpmn:textAnnotation>
  <bpmn:association id="As" sourceRef="T" targetRef="Note"/>
  <bpmn:dataObject id="DO"/>
</bpmn:process>"#,
    );
    let m = ok(&xml);
    assert_eq!(m.name, "Named");
    let all = m.warnings.join("\n");
    for want in [
        "messageFlow \"MF\"",
        "laneSet \"LS\"",
        "textAnnotation \"Note\"",
        "association \"As\"",
        "documentation",
        "dataObject \"DO\"",
        "meta",
    ] {
        assert!(all.contains(want), "{want} not in {all}");
    }
}

#[test]
fn invalid_content_is_listed() {
    let xml = wrap(
        r#"<bpmn:process id="P">
  <bpmn:extensionElements><sluice:field name="A" type="INT"/><sluice:field name="A" type="INT"/><sluice:field name="B" type="TEXT"/></bpmn:extensionElements>
  <bpmn:exclusiveGateway id="G" default="nope"/>
  <bpmn:task id="T1" sluice:assignee="robot" sluice:requiredFields="Missing" sluice:nSign="x"/>
  <bpmn:task id="T2"/>
  <bpmn:intermediateCatchEvent id="W"><bpmn:timerEventDefinition><bpmn:timeDuration>P1M</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
  <bpmn:sequenceFlow id="f1" sourceRef="G" targetRef="T1"><bpmn:conditionExpression>(A +</bpmn:conditionExpression></bpmn:sequenceFlow>
  <bpmn:sequenceFlow id="f2" sourceRef="G" targetRef="T2"/>
  <bpmn:sequenceFlow id="f3" sourceRef="T2" targetRef="Ghost"/>
</bpmn:process>"#,
    );
    let Err(ImportError::Invalid(ps)) = import(xml.as_bytes()) else {
        panic!("accepted")
    };
    let text = ImportError::Invalid(ps).to_string();
    assert!(!text.contains("needs one of"), "{text}");
    for want in [
        "duplicate field name",
        "TEXT",
        "\"nope\"",
        "robot",
        "Missing",
        "\"x\"",
        "P1M",
        "f1",
        "f3",
    ] {
        assert!(text.contains(want), "{want} not in {text}");
    }
}

#[test]
fn hostile_files_are_refused() {
    let malformed = |bytes: &[u8]| matches!(import(bytes), Err(ImportError::Malformed(_)));
    let bomb = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&lol2;</bpmn:definitions>"#;
    assert!(malformed(bomb.as_bytes()));
    let xxe =
        r#"<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><d>&x;</d>"#;
    assert!(malformed(xxe.as_bytes()));
    assert!(malformed(&vec![b' '; 6 * 1024 * 1024]));
    let deep = format!("{}{}", "<a>".repeat(200_000), "</a>".repeat(200_000));
    assert!(malformed(wrap(&deep).as_bytes()));
    let deep64 = format!("{}{}", "<a>".repeat(100), "</a>".repeat(100));
    assert!(malformed(wrap(&deep64).as_bytes()));
    let wide = "<x/>".repeat(250_000);
    assert!(malformed(wrap(&wide).as_bytes()));
    // Many attributes on one element: refused before the (quadratic) duplicate check.
    let started = std::time::Instant::now();
    let attrs: String = (0..400_000).map(|i| format!(" a{i}=\"\"")).collect();
    assert!(malformed(format!("<d{attrs}/>").as_bytes()));
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert!(malformed(b"not xml"));
    assert!(malformed(b"<root/>"));
    assert!(malformed(b"\xff\xfe<"));
    assert!(malformed(wrap("<bpmn:process id=\"P\"/>").as_bytes()));
    assert!(malformed(
        wrap("<bpmn:process id=\"P\"><bpmn:task id=\"T\"></bpmn:process>").as_bytes()
    ));
}

#[test]
fn latin1_files_are_decoded() {
    let xml = wrap(r#"<bpmn:process id="P" name="Caf\xE9"><bpmn:task id="T"/></bpmn:process>"#)
        .replace("encoding=\"UTF-8\"", "encoding=\"ISO-8859-1\"");
    let bytes: Vec<u8> = xml
        .replace("\\xE9", "\u{e9}")
        .chars()
        .map(|c| c as u32 as u8)
        .collect();
    assert_eq!(import(&bytes).unwrap().name, "Café");
}

#[test]
fn round_trip_keeps_the_model() {
    let first = ok(&wrap(FULL));
    let xml = export(&first.name, &first.fields, &first.nodes);
    let second = ok(&xml);
    assert_eq!(second.name, first.name);
    assert_eq!(second.fields, first.fields);
    assert_eq!(second.nodes.len(), first.nodes.len());
    for (a, b) in first.nodes.iter().zip(&second.nodes) {
        assert_eq!(a.key, b.key);
        assert_eq!(a.spec, b.spec, "{:?}", a.key);
        assert_eq!(a.children, b.children, "{:?}", a.key);
        assert_eq!(a.conditions, b.conditions, "{:?}", a.key);
    }
    // The drawn shape is kept; the others are laid out, and a third pass changes nothing.
    assert_eq!(
        by_key(&second, "Request").shape,
        by_key(&first, "Request").shape
    );
    assert!(second.nodes.iter().all(|n| n.shape.is_some()));
    let third = ok(&export(&second.name, &second.fields, &second.nodes));
    assert_eq!(third, second);
}
