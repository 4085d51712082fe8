//! A workflow definition to BPMN 2.0 XML with diagram interchange.

use crate::duration::format_duration;
use crate::layout::{layout, waypoints, Item};
use crate::{BPMNDI_NS, BPMN_NS, DC_NS, DI_NS, SLUICE_NS};
use sluice_domain::workflow::{
    expr, Assignee, Field, HttpCall, MessageTrigger, Node, NodeKind, Timer,
};
use sluice_domain::{FieldId, NodeId};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt::Write;

/// One element of the exported process: a node, or a start/end event synthesized for a
/// workflow that has none (built through OmniBPM).
struct El<'a> {
    xml_id: String,
    node: Option<&'a Node>,
    synthetic: Option<bool>, // Some(true): start, Some(false): end
}

/// The BPMN 2.0 XML of a workflow version. `fields` and `nodes` are the version's; field
/// references are written by name, and `field_<id>` in expressions as `field_<n>` where n is
/// the field's position (the ids a re-import gives). Nodes are written in id order; a
/// workflow without start events gets one before its roots and an end event after its
/// leaves (docs/bpmn.md).
pub fn export(name: &str, fields: &[Field], nodes: &[Node]) -> String {
    let fields: Vec<&Field> = fields.iter().filter(|f| f.is_active).collect();
    let positions: HashMap<FieldId, FieldId> = fields
        .iter()
        .enumerate()
        .map(|(i, f)| (f.id, FieldId(i as i64 + 1)))
        .collect();
    let field_name: HashMap<FieldId, &str> =
        fields.iter().map(|f| (f.id, f.name.as_str())).collect();
    let remap = |s: &str| expr::remap_field_ids(s, &positions);

    let mut nodes: Vec<&Node> = nodes.iter().collect();
    nodes.sort_by_key(|n| n.id);
    let mut used: HashSet<String> = nodes.iter().filter_map(|n| n.key.clone()).collect();
    let mut fresh = |base: &str| -> String {
        let mut id = base.to_string();
        let mut k = 1;
        while used.contains(&id) {
            k += 1;
            id = format!("{base}_{k}");
        }
        used.insert(id.clone());
        id
    };
    let mut els: Vec<El> = Vec::new();
    let mut index: HashMap<NodeId, usize> = HashMap::new();
    for n in &nodes {
        let xml_id = n
            .key
            .clone()
            .unwrap_or_else(|| fresh(&format!("Node_{}", n.id)));
        index.insert(n.id, els.len());
        els.push(El {
            xml_id,
            node: Some(n),
            synthetic: None,
        });
    }
    // The task each boundary event hangs off.
    let mut host: HashMap<NodeId, NodeId> = HashMap::new();
    for n in &nodes {
        for c in &n.children {
            if matches!(kind_of(&nodes, *c), Some(NodeKind::TimerBoundary(_))) {
                host.insert(*c, n.id);
            }
        }
    }
    let mut edges: Vec<(usize, usize, Option<String>)> = Vec::new();
    for n in &nodes {
        for c in &n.children {
            if host.get(c) == Some(&n.id) {
                continue;
            }
            if let Some(&t) = index.get(c) {
                edges.push((index[&n.id], t, n.conditions.get(c).map(|s| remap(s))));
            }
        }
    }
    let has_start = nodes
        .iter()
        .any(|n| matches!(n.spec.kind, NodeKind::Start { .. }));
    if !has_start && !nodes.is_empty() {
        let targets: HashSet<usize> = edges.iter().map(|e| e.1).collect();
        let roots: Vec<usize> = (0..els.len())
            .filter(|i| !targets.contains(i) && !host.contains_key(&els[*i].node.unwrap().id))
            .collect();
        let sources: HashSet<usize> = edges.iter().map(|e| e.0).collect();
        let leaves: Vec<usize> = (0..els.len()).filter(|i| !sources.contains(i)).collect();
        let start = els.len();
        els.push(El {
            xml_id: fresh("StartEvent_1"),
            node: None,
            synthetic: Some(true),
        });
        let end = els.len();
        els.push(El {
            xml_id: fresh("EndEvent_1"),
            node: None,
            synthetic: Some(false),
        });
        edges.extend(roots.into_iter().map(|r| (start, r, None)));
        edges.extend(leaves.into_iter().map(|l| (l, end, None)));
    }
    // `Flow_<source>_<target>`, made unique: ids with `_` in them could otherwise meet
    // (`a_b` -> `c` and `a` -> `b_c`).
    let mut used: HashSet<String> = els.iter().map(|e| e.xml_id.clone()).collect();
    let mut flow_ids: HashMap<(usize, usize), String> = HashMap::new();
    for (s, t, _) in &edges {
        let base = format!("Flow_{}_{}", els[*s].xml_id, els[*t].xml_id);
        let mut id = base.clone();
        let mut n = 2;
        while !used.insert(id.clone()) {
            id = format!("{base}_{n}");
            n += 1;
        }
        flow_ids.insert((*s, *t), id);
    }
    let flow_id = |s: usize, t: usize| {
        flow_ids
            .get(&(s, t))
            .cloned()
            .unwrap_or_else(|| format!("Flow_{}_{}", els[s].xml_id, els[t].xml_id))
    };

    // Diagram.
    let items: Vec<Item> = els
        .iter()
        .map(|e| Item {
            size: size(e),
            shape: e.node.and_then(|n| n.shape),
            host: e.node.and_then(|n| host.get(&n.id)).map(|h| index[h]),
        })
        .collect();
    let layout_edges: Vec<(usize, usize)> = edges
        .iter()
        .map(|e| (e.0, e.1))
        .chain(host.iter().map(|(b, h)| (index[h], index[b])))
        .collect();
    let shapes = layout(&items, &layout_edges);

    let mut x = String::new();
    let _ = writeln!(x, r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    let _ = writeln!(
        x,
        r#"<bpmn:definitions xmlns:bpmn="{BPMN_NS}" xmlns:bpmndi="{BPMNDI_NS}" xmlns:dc="{DC_NS}" xmlns:di="{DI_NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:sluice="{SLUICE_NS}" id="Definitions_1" targetNamespace="{SLUICE_NS}" exporter="Sluice" exporterVersion="{}">"#,
        env!("CARGO_PKG_VERSION")
    );
    let _ = writeln!(
        x,
        r#"  <bpmn:process id="Process_1" name="{}" isExecutable="true">"#,
        esc(name)
    );
    if !fields.is_empty() {
        x.push_str("    <bpmn:extensionElements>\n");
        for f in &fields {
            let _ = write!(
                x,
                r#"      <sluice:field name="{}" type="{}""#,
                esc(&f.name),
                f.data_type.code()
            );
            if let Some(formula) = &f.formula {
                let _ = write!(x, r#" formula="{}""#, esc(&remap(formula)));
            }
            x.push_str("/>\n");
        }
        x.push_str("    </bpmn:extensionElements>\n");
    }
    let id_of = |n: NodeId| index.get(&n).map(|&i| els[i].xml_id.as_str()).unwrap_or("");
    let names = |ids: &mut dyn Iterator<Item = &FieldId>| -> String {
        ids.filter_map(|f| field_name.get(f).copied())
            .collect::<Vec<_>>()
            .join(",")
    };
    for (i, e) in els.iter().enumerate() {
        let incoming: Vec<String> = edges
            .iter()
            .filter(|f| f.1 == i)
            .map(|f| flow_id(f.0, f.1))
            .collect();
        let outgoing: Vec<String> = edges
            .iter()
            .filter(|f| f.0 == i)
            .map(|f| flow_id(f.0, f.1))
            .collect();
        let Some(n) = e.node else {
            let tag = if e.synthetic == Some(true) {
                "startEvent"
            } else {
                "endEvent"
            };
            let name = if tag == "startEvent" { "Start" } else { "End" };
            let _ = writeln!(
                x,
                r#"    <bpmn:{tag} id="{}" name="{name}">"#,
                esc(&e.xml_id)
            );
            flows_refs(&mut x, &incoming, &outgoing);
            let _ = writeln!(x, "    </bpmn:{tag}>");
            continue;
        };
        let mut attrs = format!(r#" id="{}" name="{}""#, esc(&e.xml_id), esc(&n.spec.note));
        let mut ext = String::new();
        let mut inner = String::new();
        let tag = match &n.spec.kind {
            NodeKind::Task => {
                task_attrs(&mut attrs, n, &id_of, &names, fields.len(), &remap);
                "userTask"
            }
            NodeKind::Start { message } => {
                if let Some(m) = message {
                    trigger(&mut attrs, &mut ext, m, &field_name);
                    inner.push_str("      <bpmn:messageEventDefinition/>\n");
                }
                "startEvent"
            }
            NodeKind::End => "endEvent",
            NodeKind::ExclusiveGateway { default } => {
                if let Some(d) = default {
                    if let Some(&t) = index.get(d) {
                        let _ = write!(attrs, r#" default="{}""#, esc(&flow_id(i, t)));
                    }
                }
                "exclusiveGateway"
            }
            NodeKind::ParallelGateway => "parallelGateway",
            NodeKind::Receive(m) => {
                trigger(&mut attrs, &mut ext, m, &field_name);
                "receiveTask"
            }
            NodeKind::Timer(t) => {
                inner.push_str(&timer(t));
                "intermediateCatchEvent"
            }
            NodeKind::TimerBoundary(t) => {
                if let Some(h) = host.get(&n.id) {
                    let _ = write!(
                        attrs,
                        r#" attachedToRef="{}" cancelActivity="true""#,
                        esc(id_of(*h))
                    );
                }
                inner.push_str(&timer(t));
                "boundaryEvent"
            }
            NodeKind::Service(call) => {
                service(&mut attrs, &mut ext, call, &field_name);
                "serviceTask"
            }
        };
        let _ = writeln!(x, "    <bpmn:{tag}{attrs}>");
        if !ext.is_empty() {
            let _ = write!(
                x,
                "      <bpmn:extensionElements>\n{ext}      </bpmn:extensionElements>\n"
            );
        }
        flows_refs(&mut x, &incoming, &outgoing);
        x.push_str(&inner);
        let _ = writeln!(x, "    </bpmn:{tag}>");
    }
    for (s, t, cond) in &edges {
        let id = flow_id(*s, *t);
        let _ = write!(
            x,
            r#"    <bpmn:sequenceFlow id="{}" sourceRef="{}" targetRef="{}""#,
            esc(&id),
            esc(&els[*s].xml_id),
            esc(&els[*t].xml_id)
        );
        match cond {
            Some(c) => {
                let _ = write!(
                    x,
                    ">\n      <bpmn:conditionExpression xsi:type=\"bpmn:tFormalExpression\">{}</bpmn:conditionExpression>\n    </bpmn:sequenceFlow>\n",
                    esc(c)
                );
            }
            None => x.push_str("/>\n"),
        }
    }
    x.push_str("  </bpmn:process>\n");
    x.push_str("  <bpmndi:BPMNDiagram id=\"BPMNDiagram_1\">\n");
    x.push_str("    <bpmndi:BPMNPlane id=\"BPMNPlane_1\" bpmnElement=\"Process_1\">\n");
    for (i, e) in els.iter().enumerate() {
        let s = shapes[i];
        let _ = write!(
            x,
            "      <bpmndi:BPMNShape id=\"{}_di\" bpmnElement=\"{}\">\n        <dc:Bounds x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/>\n      </bpmndi:BPMNShape>\n",
            esc(&e.xml_id),
            esc(&e.xml_id),
            s.x,
            s.y,
            s.width,
            s.height
        );
    }
    for (s, t, _) in &edges {
        let id = flow_id(*s, *t);
        let _ = writeln!(
            x,
            "      <bpmndi:BPMNEdge id=\"{}_di\" bpmnElement=\"{}\">",
            esc(&id),
            esc(&id)
        );
        for (px, py) in waypoints(shapes[*s], shapes[*t], items[*s].host.is_some()) {
            let _ = writeln!(x, "        <di:waypoint x=\"{px}\" y=\"{py}\"/>");
        }
        x.push_str("      </bpmndi:BPMNEdge>\n");
    }
    x.push_str("    </bpmndi:BPMNPlane>\n  </bpmndi:BPMNDiagram>\n</bpmn:definitions>\n");
    x
}

fn kind_of<'a>(nodes: &[&'a Node], id: NodeId) -> Option<&'a NodeKind> {
    nodes.iter().find(|n| n.id == id).map(|n| &n.spec.kind)
}

/// The symbol size bpmn-js uses for the element.
fn size(e: &El) -> (f64, f64) {
    match e.node.map(|n| &n.spec.kind) {
        None
        | Some(NodeKind::Start { .. })
        | Some(NodeKind::End)
        | Some(NodeKind::Timer(_))
        | Some(NodeKind::TimerBoundary(_)) => (36.0, 36.0),
        Some(NodeKind::ExclusiveGateway { .. }) | Some(NodeKind::ParallelGateway) => (50.0, 50.0),
        _ => (100.0, 80.0),
    }
}

fn flows_refs(x: &mut String, incoming: &[String], outgoing: &[String]) {
    for f in incoming {
        let _ = writeln!(x, "      <bpmn:incoming>{}</bpmn:incoming>", esc(f));
    }
    for f in outgoing {
        let _ = writeln!(x, "      <bpmn:outgoing>{}</bpmn:outgoing>", esc(f));
    }
}

fn attr(attrs: &mut String, name: &str, value: &str) {
    let _ = write!(attrs, r#" sluice:{name}="{}""#, esc(value));
}

/// The engine's assignee rules as sluice attributes (always written, so that a re-import
/// does not fall back to the creator).
fn task_attrs<'a>(
    attrs: &mut String,
    n: &Node,
    id_of: &dyn Fn(NodeId) -> &'a str,
    names: &dyn Fn(&mut dyn Iterator<Item = &FieldId>) -> String,
    field_count: usize,
    remap: &dyn Fn(&str) -> String,
) {
    let s = &n.spec;
    let assignee = match s.assignee {
        Assignee::User(u) => format!("user:{u}"),
        Assignee::Department(d) => format!("department:{d}"),
        Assignee::Group(g) => format!("group:{g}"),
        Assignee::Supervisor { rank, .. } => format!("rank:{rank}"),
        Assignee::Creator => "creator".into(),
        Assignee::Specified => "specified".into(),
    };
    attr(attrs, "assignee", &assignee);
    if let Assignee::Supervisor {
        reference_node,
        at_least_one,
        ..
    } = s.assignee
    {
        if let Some(r) = reference_node {
            attr(attrs, "referenceNode", id_of(r));
        }
        attr(
            attrs,
            "atLeastOne",
            if at_least_one { "true" } else { "false" },
        );
    }
    attr(attrs, "nSign", &s.n_sign.to_string());
    if let Some(j) = s.job_assignment {
        attr(attrs, "jobAssignmentNode", id_of(j.node));
        attr(attrs, "jobAssignmentType", j.kind.code());
    }
    if s.allow_cc {
        attr(attrs, "allowCc", "true");
    }
    let join = |v: Vec<i64>| {
        v.iter()
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(",")
    };
    let cc = &s.cc_targets;
    if !cc.users.is_empty() {
        attr(
            attrs,
            "ccUsers",
            &join(cc.users.iter().map(|u| u.0).collect()),
        );
    }
    if !cc.groups.is_empty() {
        attr(
            attrs,
            "ccGroups",
            &join(cc.groups.iter().map(|u| u.0).collect()),
        );
    }
    if !cc.departments.is_empty() {
        attr(
            attrs,
            "ccDepartments",
            &join(cc.departments.iter().map(|u| u.0).collect()),
        );
    }
    if s.require_all_cc_response {
        attr(attrs, "requireAllCcResponse", "true");
    }
    if let Some(c) = &s.autocomplete_condition {
        attr(attrs, "autocompleteCondition", &remap(c));
    }
    if s.autocomplete_deadline > 0 {
        attr(
            attrs,
            "autocompleteDeadline",
            &s.autocomplete_deadline.to_string(),
        );
    }
    let f = &s.fields;
    if !f.required.is_empty() {
        attr(attrs, "requiredFields", &names(&mut f.required.iter()));
    }
    if !f.editable.is_empty() {
        attr(attrs, "editableFields", &names(&mut f.editable.iter()));
    }
    // Every field is the default; write the list only when it is narrower.
    let visible: BTreeSet<&FieldId> = f.visible.iter().collect();
    if visible.len() < field_count || field_count == 0 && !visible.is_empty() {
        attr(attrs, "visibleFields", &names(&mut f.visible.iter()));
    }
}

fn trigger(
    attrs: &mut String,
    ext: &mut String,
    m: &MessageTrigger,
    field_name: &HashMap<FieldId, &str>,
) {
    if let Some(b) = m.body_field.and_then(|b| field_name.get(&b)) {
        attr(attrs, "bodyField", b);
    }
    if let Some(u) = m.run_as {
        attr(attrs, "runAs", &u.to_string());
    }
    for (p, f) in &m.parameters {
        if let Some(name) = field_name.get(f) {
            let _ = writeln!(
                ext,
                r#"        <sluice:parameter name="{}" field="{}"/>"#,
                esc(p),
                esc(name)
            );
        }
    }
}

fn service(
    attrs: &mut String,
    ext: &mut String,
    call: &HttpCall,
    field_name: &HashMap<FieldId, &str>,
) {
    attr(attrs, "method", &call.method);
    attr(attrs, "url", &call.url);
    let body: Vec<&str> = call
        .body_fields
        .iter()
        .filter_map(|f| field_name.get(f).copied())
        .collect();
    if !body.is_empty() {
        attr(attrs, "bodyFields", &body.join(","));
    }
    attr(attrs, "retries", &call.retries.to_string());
    attr(attrs, "backoff", &call.backoff_seconds.to_string());
    for (pointer, f) in &call.result {
        if let Some(name) = field_name.get(f) {
            let _ = writeln!(
                ext,
                r#"        <sluice:result pointer="{}" field="{}"/>"#,
                esc(pointer),
                esc(name)
            );
        }
    }
}

fn timer(t: &Timer) -> String {
    let body = match t {
        Timer::After { seconds } => format!(
            "<bpmn:timeDuration xsi:type=\"bpmn:tFormalExpression\">{}</bpmn:timeDuration>",
            format_duration(*seconds)
        ),
        Timer::At { at } => format!(
            "<bpmn:timeDate xsi:type=\"bpmn:tFormalExpression\">{}</bpmn:timeDate>",
            at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
        ),
    };
    format!("      <bpmn:timerEventDefinition>{body}</bpmn:timerEventDefinition>\n")
}

/// XML attribute and text escaping.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c => out.push(c),
        }
    }
    out
}
