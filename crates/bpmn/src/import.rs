//! BPMN 2.0 XML to a workflow definition with provisional ids.

use crate::{
    duration::parse_duration, ImportError, Imported, Problem, BPMNDI_NS, BPMN_NS, DC_NS,
    MAX_ATTRIBUTES, MAX_BYTES, MAX_DEPTH, MAX_FLOW_NODES, MAX_XML_NODES, SLUICE_NS,
};
use roxmltree::{Document, Node as X, ParsingOptions};
use sluice_domain::workflow::{
    expr, AssigneeChoice, CcTargets, DataType, Field, HttpCall, JobAssignmentKind, MessageTrigger,
    NewField, Node, NodeKind, NodePatch, Shape, Timer,
};
use sluice_domain::{DeptId, FieldId, GroupId, NodeId, OrgId, RankId, UserId, WorkflowId};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Reads a BPMN 2.0 file. Never panics; refuses what is too large, too deep, has a DOCTYPE
/// or uses elements outside the subset (docs/bpmn.md).
pub fn import(bytes: &[u8]) -> Result<Imported, ImportError> {
    if bytes.len() > MAX_BYTES {
        return Err(ImportError::Malformed(format!(
            "The file is larger than {} MiB.",
            MAX_BYTES / (1024 * 1024)
        )));
    }
    let text = decode(bytes)?;
    // Before the parser, which recurses per level.
    check_depth_text(&text)?;
    let opts = ParsingOptions {
        allow_dtd: false,
        nodes_limit: MAX_XML_NODES,
    };
    let doc = Document::parse_with_options(&text, opts).map_err(|e| {
        ImportError::Malformed(match e {
            roxmltree::Error::DtdDetected => {
                "A DOCTYPE (DTD) is not accepted in a BPMN file.".to_string()
            }
            roxmltree::Error::NodesLimitReached => {
                format!("The file has more than {MAX_XML_NODES} XML nodes.")
            }
            other => format!("The file is not well-formed XML: {other}."),
        })
    })?;
    check_depth(&doc)?;
    let root = doc.root_element();
    if !is_bpmn(root, "definitions") {
        return Err(ImportError::Malformed(format!(
            "The root element must be BPMN 2.0 definitions ({BPMN_NS}), not {:?}.",
            root.tag_name().name()
        )));
    }
    Reader::default().read(root)
}

/// UTF-8 (with or without a BOM); ISO-8859-1 when the XML declaration says so.
fn decode(bytes: &[u8]) -> Result<Cow<'_, str>, ImportError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(Cow::Borrowed(s)),
        Err(_) => {
            let head = String::from_utf8_lossy(&bytes[..bytes.len().min(200)]).to_ascii_lowercase();
            let decl = head.split("?>").next().unwrap_or("");
            if decl.starts_with("<?xml") && (decl.contains("iso-8859-1") || decl.contains("latin1"))
            {
                Ok(Cow::Owned(bytes.iter().map(|&b| b as char).collect()))
            } else {
                Err(ImportError::Malformed(
                    "The file is not UTF-8 (or ISO-8859-1 as its XML declaration says).".into(),
                ))
            }
        }
    }
}

/// Refuses nesting deeper than [`MAX_DEPTH`], and elements with more than
/// [`MAX_ATTRIBUTES`] attributes, by scanning the text: tags, skipping comments,
/// CDATA, processing instructions, declarations and quoted attribute values. Only an upper
/// bound matters here; the parser judges well-formedness.
fn check_depth_text(text: &str) -> Result<(), ImportError> {
    let b = text.as_bytes();
    let too_deep = || {
        Err(ImportError::Malformed(format!(
            "The file nests elements more than {MAX_DEPTH} deep."
        )))
    };
    let skip_to = |from: usize, end: &[u8]| -> usize {
        b[from..]
            .windows(end.len())
            .position(|w| w == end)
            .map_or(b.len(), |p| from + p + end.len())
    };
    let mut depth = 0usize;
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'<' {
            i += 1;
            continue;
        }
        let rest = &b[i..];
        if rest.starts_with(b"<!--") {
            i = skip_to(i + 4, b"-->");
        } else if rest.starts_with(b"<![CDATA[") {
            i = skip_to(i + 9, b"]]>");
        } else if rest.starts_with(b"<?") {
            i = skip_to(i + 2, b"?>");
        } else if rest.starts_with(b"</") {
            depth = depth.saturating_sub(1);
            i = skip_to(i + 2, b">");
        } else if rest.starts_with(b"<!") {
            i = skip_to(i + 2, b">");
        } else {
            // A start tag: find its end outside quotes, counting its attributes (the
            // parser's duplicate-attribute check is quadratic in them).
            let mut j = i + 1;
            let mut quote = None;
            let mut attributes = 0usize;
            while j < b.len() {
                match (quote, b[j]) {
                    (None, q @ (b'"' | b'\'')) => quote = Some(q),
                    (Some(q), c) if c == q => quote = None,
                    (None, b'=') => {
                        attributes += 1;
                        if attributes > MAX_ATTRIBUTES {
                            return Err(ImportError::Malformed(format!(
                                "An element has more than {MAX_ATTRIBUTES} attributes."
                            )));
                        }
                    }
                    (None, b'>') => break,
                    _ => {}
                }
                j += 1;
            }
            if j > i + 1 && b[j.min(b.len() - 1)] == b'>' && b[j - 1] != b'/' {
                depth += 1;
                if depth > MAX_DEPTH {
                    return too_deep();
                }
            }
            i = j + 1;
        }
    }
    Ok(())
}

/// Refuses nesting deeper than [`MAX_DEPTH`] (a walk without recursion).
fn check_depth(doc: &Document) -> Result<(), ImportError> {
    let mut depth = vec![0u32; doc.descendants().count() + 1];
    for n in doc.descendants() {
        let d = n.parent().map_or(0, |p| depth[p.id().get_usize()] + 1);
        depth[n.id().get_usize()] = d;
        if d as usize > MAX_DEPTH {
            return Err(ImportError::Malformed(format!(
                "The file nests elements more than {MAX_DEPTH} deep."
            )));
        }
    }
    Ok(())
}

fn is_bpmn(n: X, local: &str) -> bool {
    n.is_element() && n.tag_name().namespace() == Some(BPMN_NS) && n.tag_name().name() == local
}

fn ns<'a>(n: X<'a, '_>) -> Option<&'a str> {
    n.tag_name().namespace()
}

fn local<'a>(n: X<'a, '_>) -> &'a str {
    n.tag_name().name()
}

fn id_of(n: X) -> String {
    n.attribute("id").unwrap_or("").to_string()
}

fn sluice<'a>(n: X<'a, '_>, attr: &str) -> Option<&'a str> {
    n.attribute((SLUICE_NS, attr))
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// The flow node kinds of the subset.
const FLOW_NODES: &[&str] = &[
    "startEvent",
    "endEvent",
    "task",
    "userTask",
    "exclusiveGateway",
    "parallelGateway",
    "receiveTask",
    "intermediateCatchEvent",
    "boundaryEvent",
    "serviceTask",
];

/// BPMN flow elements outside the subset (a process with only these still counts as having
/// flow nodes, so that it is refused rather than skipped).
const OTHER_FLOW_NODES: &[&str] = &[
    "subProcess",
    "adHocSubProcess",
    "transaction",
    "callActivity",
    "inclusiveGateway",
    "eventBasedGateway",
    "complexGateway",
    "intermediateThrowEvent",
    "sendTask",
    "scriptTask",
    "manualTask",
    "businessRuleTask",
    "callChoreography",
    "choreographyTask",
    "subChoreography",
];

/// Elements that have no effect on execution: read, ignored, reported.
fn ignored_reason(name: &str) -> Option<&'static str> {
    Some(match name {
        "documentation" => "documentation has no effect",
        "textAnnotation" | "association" => "annotations have no effect",
        "group" | "category" => "groups have no effect",
        "laneSet" | "lane" => "lanes have no effect on who signs; use sluice:assignee",
        "dataObject"
        | "dataObjectReference"
        | "dataStoreReference"
        | "dataStore"
        | "property"
        | "ioSpecification"
        | "dataInputAssociation"
        | "dataOutputAssociation" => {
            "data objects have no effect; a case's data are its fields (sluice:field)"
        }
        "potentialOwner" | "performer" | "humanPerformer" | "resourceRole" => {
            "resource assignments have no effect; use sluice:assignee"
        }
        "messageFlow" => "message flows have no effect; messages arrive over HTTP",
        _ => return None,
    })
}

#[derive(Default)]
struct Reader {
    unsupported: Vec<Problem>,
    invalid: Vec<Problem>,
    warnings: Vec<String>,
    foreign: BTreeSet<String>,
}

struct Flow<'a, 'i> {
    x: X<'a, 'i>,
    id: String,
    source: String,
    target: String,
    condition: Option<String>,
}

impl Reader {
    fn refuse(&mut self, x: X, message: impl Into<String>) {
        self.unsupported.push(Problem {
            element: local(x).to_string(),
            id: id_of(x),
            message: message.into(),
        });
    }

    fn invalid(&mut self, x: X, message: impl Into<String>) {
        self.invalid.push(Problem {
            element: local(x).to_string(),
            id: id_of(x),
            message: message.into(),
        });
    }

    fn warn(&mut self, x: X, why: &str) {
        let id = id_of(x);
        let what = if id.is_empty() {
            local(x).to_string()
        } else {
            format!("{} {id:?}", local(x))
        };
        self.warnings.push(format!("{what} ignored: {why}."));
    }

    fn read(mut self, defs: X) -> Result<Imported, ImportError> {
        let mut processes = Vec::new();
        for c in defs.children().filter(X::is_element) {
            match (ns(c), local(c)) {
                (Some(BPMN_NS), "process") => {
                    let has_flow = c.children().any(|n| {
                        ns(n) == Some(BPMN_NS)
                            && (FLOW_NODES.contains(&local(n))
                                || OTHER_FLOW_NODES.contains(&local(n)))
                    });
                    if has_flow {
                        processes.push(c);
                    }
                }
                (Some(BPMN_NS), "collaboration") => {
                    for m in c.children().filter(X::is_element) {
                        if let Some(why) = ignored_reason(local(m)) {
                            self.warn(m, why);
                        }
                    }
                }
                _ => {}
            }
        }
        let process = match processes.as_slice() {
            [] => {
                return Err(ImportError::Malformed(
                    "The file has no process with flow nodes.".into(),
                ))
            }
            [p] => *p,
            many => {
                // Every pool's own unsupported elements too: one answer lists them all.
                let mut problems: Vec<Problem> = many
                    .iter()
                    .map(|p| Problem {
                        element: "process".into(),
                        id: id_of(*p),
                        message: "only one pool with flow nodes is supported".into(),
                    })
                    .collect();
                for p in many {
                    problems.extend(Reader::default().process(defs, *p).0.unsupported);
                }
                return Err(ImportError::Unsupported(problems));
            }
        };
        let imported = self.process(defs, process);
        let mut me = imported.0;
        if !me.foreign.is_empty() {
            let names: Vec<String> = std::mem::take(&mut me.foreign).into_iter().collect();
            me.warnings.push(format!(
                "Extension elements of other tools ignored: {}.",
                names.join(", ")
            ));
        }
        if !me.unsupported.is_empty() {
            return Err(ImportError::Unsupported(me.unsupported));
        }
        if !me.invalid.is_empty() {
            return Err(ImportError::Invalid(me.invalid));
        }
        let mut out = imported.1;
        if let Err(e) = sluice_domain::workflow::check_runnable(&out.nodes, &out.fields) {
            return Err(ImportError::Invalid(vec![Problem {
                element: "process".into(),
                id: id_of(process),
                message: e.to_string(),
            }]));
        }
        let mut seen = BTreeSet::new();
        out.warnings = me
            .warnings
            .into_iter()
            .filter(|w| seen.insert(w.clone()))
            .collect();
        Ok(out)
    }

    /// Reads the process; the model is meaningful only if no problem was recorded.
    fn process(mut self, defs: X, p: X) -> (Reader, Imported) {
        let mut fields = Vec::new();
        let mut elements: Vec<X> = Vec::new();
        let mut flows: Vec<Flow> = Vec::new();
        let has_parallel = p.children().any(|n| is_bpmn(n, "parallelGateway"));
        for c in p.children().filter(X::is_element) {
            if ns(c) != Some(BPMN_NS) {
                self.foreign.insert(local(c).to_string());
                continue;
            }
            let name = local(c);
            if FLOW_NODES.contains(&name) {
                elements.push(c);
            } else if name == "sequenceFlow" {
                let condition = c
                    .children()
                    .find(|n| is_bpmn(*n, "conditionExpression"))
                    .map(|n| text_of(n).trim().to_string())
                    .filter(|t| !t.is_empty());
                for n in c.children().filter(X::is_element) {
                    self.element_child(n, c);
                }
                flows.push(Flow {
                    x: c,
                    id: id_of(c),
                    source: c.attribute("sourceRef").unwrap_or("").to_string(),
                    target: c.attribute("targetRef").unwrap_or("").to_string(),
                    condition,
                });
            } else if name == "extensionElements" {
                for e in c.children().filter(X::is_element) {
                    if ns(e) == Some(SLUICE_NS) && local(e) == "field" {
                        fields.push(e);
                    } else {
                        self.foreign.insert(local(e).to_string());
                    }
                }
            } else if let Some(why) = ignored_reason(name) {
                self.warn(c, why);
            } else {
                self.refuse(c, "not supported");
            }
        }
        if elements.len() > MAX_FLOW_NODES {
            self.invalid(p, format!("more than {MAX_FLOW_NODES} flow nodes"));
        }
        let fields = self.fields(&fields);
        // Provisional ids: document order.
        let mut ids: HashMap<String, NodeId> = HashMap::new();
        for (i, e) in elements.iter().enumerate() {
            let id = id_of(*e);
            if id.is_empty() {
                self.invalid(*e, "a flow node needs an id");
            } else if ids.insert(id.clone(), NodeId(i as i64 + 1)).is_some() {
                self.invalid(*e, "duplicate id");
            }
        }
        let shapes = shapes(defs);
        let mut nodes: Vec<Node> = elements
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let key = id_of(*e);
                let spec = self.spec(*e, &fields, &ids, has_parallel);
                Node {
                    id: NodeId(i as i64 + 1),
                    org_id: OrgId(0),
                    workflow_id: WorkflowId(0),
                    spec,
                    children: Vec::new(),
                    conditions: BTreeMap::new(),
                    shape: shapes.get(&key).copied(),
                    key: Some(key),
                }
            })
            .collect();
        self.link(&mut nodes, &elements, &flows, &ids, &fields);
        self.check_acyclic(p, &nodes);
        let name = p
            .attribute("name")
            .or(defs.attribute("name"))
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .unwrap_or(p.attribute("id").unwrap_or("Imported process"));
        let name: String = name.chars().take(200).collect();
        let imported = Imported {
            name,
            fields,
            nodes,
            warnings: Vec::new(),
        };
        (self, imported)
    }

    /// A child element of a flow node or flow that the subset has no use for: reported, or
    /// refused when it changes what the element does.
    fn element_child(&mut self, n: X, owner: X) {
        if ns(n) != Some(BPMN_NS) {
            return;
        }
        let name = local(n);
        if matches!(name, "incoming" | "outgoing" | "conditionExpression") {
            return;
        }
        if name == "extensionElements" {
            for e in n.children().filter(X::is_element) {
                if ns(e) != Some(SLUICE_NS) {
                    self.foreign.insert(local(e).to_string());
                }
            }
        } else if let Some(why) = ignored_reason(name) {
            self.warn(n, why);
        } else if !name.ends_with("EventDefinition") && name != "timeDuration" {
            let owner_id = id_of(owner);
            self.unsupported.push(Problem {
                element: name.to_string(),
                id: owner_id,
                message: format!("not supported (in {})", local(owner)),
            });
        }
    }

    fn fields(&mut self, decls: &[X]) -> Vec<Field> {
        let mut fields: Vec<Field> = Vec::new();
        for (i, d) in decls.iter().enumerate() {
            let t = match DataType::parse(d.attribute("type").unwrap_or("UTF8").trim()) {
                Ok(t) => t,
                Err(e) => {
                    self.invalid(*d, e.to_string());
                    continue;
                }
            };
            let new = NewField {
                name: d.attribute("name").unwrap_or("").to_string(),
                data_type: t,
                formula: d.attribute("formula").map(str::to_string),
            }
            .checked();
            match new {
                Ok(f) if fields.iter().any(|o| o.name == f.name) => {
                    self.invalid(*d, format!("duplicate field name {:?}", f.name))
                }
                Ok(f) => fields.push(Field {
                    id: FieldId(i as i64 + 1),
                    org_id: OrgId(0),
                    workflow_id: WorkflowId(0),
                    name: f.name,
                    data_type: f.data_type,
                    formula: f.formula,
                    is_active: true,
                }),
                Err(e) => self.invalid(*d, e.to_string()),
            }
        }
        for f in &fields {
            if let Some(formula) = &f.formula {
                if let Err(e) = expr::check(formula, &fields, Some(f.id)) {
                    self.invalid.push(Problem {
                        element: "field".into(),
                        id: f.name.clone(),
                        message: e.to_string(),
                    });
                }
            }
        }
        fields
    }

    /// The node's spec; problems are recorded.
    fn spec(
        &mut self,
        e: X,
        fields: &[Field],
        ids: &HashMap<String, NodeId>,
        has_parallel: bool,
    ) -> sluice_domain::workflow::NodeSpec {
        let mut defs = Vec::new();
        for c in e.children().filter(X::is_element) {
            if ns(c) == Some(BPMN_NS) && local(c).ends_with("EventDefinition") {
                defs.push(c);
            } else if ns(c) == Some(BPMN_NS) && local(c) == "eventDefinitionRef" {
                self.refuse(e, "event definitions by reference are not supported");
            } else {
                self.element_child(c, e);
            }
        }
        let name = local(e);
        if e.attribute("isForCompensation") == Some("true") {
            self.refuse(e, "compensation is not supported");
        }
        let is_task = matches!(name, "task" | "userTask");
        let kind = match name {
            "startEvent" => match defs.as_slice() {
                [] => NodeKind::Start { message: None },
                [d] if local(*d) == "messageEventDefinition" => NodeKind::Start {
                    message: Some(self.trigger(e, fields)),
                },
                _ => {
                    self.refuse_defs(e, &defs);
                    NodeKind::Task
                }
            },
            "endEvent" => match defs.as_slice() {
                [] => NodeKind::End,
                [d] if local(*d) == "terminateEventDefinition" && !has_parallel => {
                    self.warnings.push(format!(
                        "endEvent {:?}: a terminate end event is read as a plain end event (one path only).",
                        id_of(e)
                    ));
                    NodeKind::End
                }
                _ => {
                    self.refuse_defs(e, &defs);
                    NodeKind::Task
                }
            },
            "task" | "userTask" => {
                if e.attribute("default").is_some() {
                    self.refuse(e, "conditional flows out of tasks are not supported");
                }
                NodeKind::Task
            }
            "exclusiveGateway" => NodeKind::ExclusiveGateway { default: None },
            "parallelGateway" => NodeKind::ParallelGateway,
            "receiveTask" => NodeKind::Receive(self.trigger(e, fields)),
            "intermediateCatchEvent" => match defs.as_slice() {
                [d] if local(*d) == "timerEventDefinition" => NodeKind::Timer(self.timer(e, *d)),
                _ => {
                    self.refuse_defs(e, &defs);
                    NodeKind::Task
                }
            },
            "boundaryEvent" => match defs.as_slice() {
                [d] if local(*d) == "timerEventDefinition" => {
                    if e.attribute("cancelActivity") == Some("false") {
                        self.refuse(e, "non-interrupting boundary events are not supported");
                    }
                    let host = e.attribute("attachedToRef").unwrap_or("");
                    let host_ok = e.parent().into_iter().flat_map(|p| p.children()).any(|s| {
                        (is_bpmn(s, "task") || is_bpmn(s, "userTask"))
                            && s.attribute("id") == Some(host)
                    });
                    if !host_ok {
                        self.refuse(
                            e,
                            format!("a timer boundary event must be attached to a user task, not {host:?}"),
                        );
                    }
                    NodeKind::TimerBoundary(self.timer(e, *d))
                }
                _ => {
                    self.refuse_defs(e, &defs);
                    NodeKind::Task
                }
            },
            "serviceTask" => NodeKind::Service(self.http_call(e, fields)),
            _ => NodeKind::Task,
        };
        let takes_defs = matches!(
            name,
            "startEvent" | "endEvent" | "intermediateCatchEvent" | "boundaryEvent"
        );
        if !takes_defs && !defs.is_empty() {
            self.refuse_defs(e, &defs);
        }
        let note = e
            .attribute("name")
            .map(|n| n.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| id_of(e));
        let note: String = note.chars().take(200).collect();
        let mut patch = NodePatch {
            note: Some(if note.is_empty() {
                name.to_string()
            } else {
                note
            }),
            n_sign: Some(1),
            assignee: Some(AssigneeChoice::Creator),
            ..Default::default()
        };
        if is_task {
            self.task_patch(e, &mut patch, fields, ids);
        }
        let mut spec = match patch.clone().apply(None, fields) {
            Ok(s) => s,
            Err(err) => {
                self.invalid(e, err.to_string());
                NodePatch {
                    note: Some(name.to_string()),
                    n_sign: Some(1),
                    assignee: Some(AssigneeChoice::Creator),
                    ..Default::default()
                }
                .apply(None, &[])
                .expect("a plain task spec is valid")
            }
        };
        spec.kind = kind;
        spec
    }

    fn refuse_defs(&mut self, e: X, defs: &[X]) {
        let names: Vec<&str> = defs.iter().map(|d| local(*d)).collect();
        let what = if names.is_empty() {
            "without an event definition".to_string()
        } else {
            format!("with {}", names.join(", "))
        };
        self.refuse(e, format!("{} {what} is not supported", local(e)));
    }

    /// The sluice attributes of a user task (docs/bpmn.md); without them the case's creator
    /// signs it.
    fn task_patch(
        &mut self,
        e: X,
        patch: &mut NodePatch,
        fields: &[Field],
        ids: &HashMap<String, NodeId>,
    ) {
        let node_ref = |me: &mut Reader, attr: &str| -> Option<NodeId> {
            let key = sluice(e, attr)?;
            let id = ids.get(key).copied();
            if id.is_none() {
                me.invalid(
                    e,
                    format!("sluice:{attr} {key:?} is not a flow node of the process"),
                );
            }
            id
        };
        if let Some(a) = sluice(e, "assignee") {
            let (kind, value) = a.split_once(':').unwrap_or((a, ""));
            let num = |me: &mut Reader| -> i64 {
                value.trim().parse().unwrap_or_else(|_| {
                    me.invalid(
                        e,
                        format!("sluice:assignee {a:?}: {kind} needs a numeric id"),
                    );
                    0
                })
            };
            patch.assignee = match kind.trim() {
                "user" => Some(AssigneeChoice::User(UserId(num(self)))),
                "department" => Some(AssigneeChoice::Department(DeptId(num(self)))),
                "group" => Some(AssigneeChoice::Group(GroupId(num(self)))),
                "rank" => Some(AssigneeChoice::Rank(RankId(num(self)))),
                "creator" => Some(AssigneeChoice::Creator),
                "specified" => Some(AssigneeChoice::Specified),
                other => {
                    self.invalid(
                        e,
                        format!("sluice:assignee kind {other:?} is not user, department, group, rank, creator or specified"),
                    );
                    patch.assignee
                }
            };
        }
        if sluice(e, "referenceNode").is_some() {
            patch.reference_node = Some(node_ref(self, "referenceNode"));
        }
        if let Some(b) = self.flag(e, "atLeastOne") {
            patch.at_least_one_supervisor = Some(b);
        }
        if let Some(n) = self.int(e, "nSign") {
            patch.n_sign = Some(n);
        }
        if sluice(e, "jobAssignmentNode").is_some() {
            patch.job_assignment_node = Some(node_ref(self, "jobAssignmentNode"));
        }
        if let Some(t) = sluice(e, "jobAssignmentType") {
            match JobAssignmentKind::parse(t) {
                Ok(k) => patch.job_assignment_kind = Some(k),
                Err(err) => self.invalid(e, err.to_string()),
            }
        }
        patch.allow_cc = self.flag(e, "allowCc");
        patch.require_all_cc_response = self.flag(e, "requireAllCcResponse");
        let users = self.ints(e, "ccUsers");
        let groups = self.ints(e, "ccGroups");
        let depts = self.ints(e, "ccDepartments");
        if users.is_some() || groups.is_some() || depts.is_some() {
            patch.cc_targets = Some(CcTargets {
                users: users.unwrap_or_default().into_iter().map(UserId).collect(),
                groups: groups
                    .unwrap_or_default()
                    .into_iter()
                    .map(GroupId)
                    .collect(),
                departments: depts.unwrap_or_default().into_iter().map(DeptId).collect(),
            });
        }
        if let Some(c) = sluice(e, "autocompleteCondition") {
            patch.autocomplete_condition = Some(Some(c.to_string()));
        }
        if let Some(d) = sluice(e, "autocompleteDeadline") {
            let secs = if d.starts_with('P') {
                parse_duration(d)
            } else {
                d.parse::<i64>()
                    .map_err(|_| format!("{d:?} is neither seconds nor an ISO 8601 duration"))
            };
            match secs {
                Ok(s) if s >= 0 => patch.autocomplete_deadline = Some(s),
                Ok(_) => self.invalid(e, "sluice:autocompleteDeadline cannot be negative"),
                Err(m) => self.invalid(e, format!("sluice:autocompleteDeadline: {m}")),
            }
        }
        patch.required_fields = self.field_list(e, "requiredFields", fields);
        patch.editable_fields = self.field_list(e, "editableFields", fields);
        patch.visible_fields = self.field_list(e, "visibleFields", fields);
    }

    fn flag(&mut self, e: X, attr: &str) -> Option<bool> {
        match sluice(e, attr)? {
            "true" | "1" => Some(true),
            "false" | "0" => Some(false),
            other => {
                self.invalid(e, format!("sluice:{attr} {other:?} is not true or false"));
                None
            }
        }
    }

    fn int(&mut self, e: X, attr: &str) -> Option<i64> {
        let v = sluice(e, attr)?;
        match v.parse() {
            Ok(n) => Some(n),
            Err(_) => {
                self.invalid(e, format!("sluice:{attr} {v:?} is not an integer"));
                None
            }
        }
    }

    fn ints(&mut self, e: X, attr: &str) -> Option<Vec<i64>> {
        let v = sluice(e, attr)?;
        let mut out = Vec::new();
        for part in v.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match part.parse() {
                Ok(n) => out.push(n),
                Err(_) => self.invalid(e, format!("sluice:{attr}: {part:?} is not an id")),
            }
        }
        Some(out)
    }

    fn field_id(&mut self, e: X, what: &str, name: &str, fields: &[Field]) -> Option<FieldId> {
        let f = fields.iter().find(|f| f.name == name).map(|f| f.id);
        if f.is_none() {
            self.invalid(
                e,
                format!("{what}: {name:?} is not a declared field (sluice:field)"),
            );
        }
        f
    }

    fn field_list(&mut self, e: X, attr: &str, fields: &[Field]) -> Option<Vec<FieldId>> {
        let v = e.attribute((SLUICE_NS, attr))?;
        let what = format!("sluice:{attr}");
        Some(
            v.split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .filter_map(|n| self.field_id(e, &what, n, fields))
                .collect(),
        )
    }

    /// A message start's or receive task's mapping: `<sluice:parameter name= field=/>`
    /// elements, `sluice:bodyField`, `sluice:runAs`.
    fn trigger(&mut self, e: X, fields: &[Field]) -> MessageTrigger {
        let mut t = MessageTrigger::default();
        for p in sluice_children(e, "parameter") {
            let name = p.attribute("name").unwrap_or("").trim();
            let field = p.attribute("field").unwrap_or("").trim();
            if name.is_empty() {
                self.invalid(e, "sluice:parameter needs a name");
                continue;
            }
            if let Some(id) = self.field_id(e, "sluice:parameter", field, fields) {
                t.parameters.insert(name.to_string(), id);
            }
        }
        if let Some(b) = sluice(e, "bodyField") {
            t.body_field = self.field_id(e, "sluice:bodyField", b, fields);
        }
        if local(e) == "startEvent" {
            t.run_as = self.int(e, "runAs").map(UserId);
        } else if sluice(e, "runAs").is_some() {
            self.invalid(e, "sluice:runAs is for message start events only");
        }
        t
    }

    fn timer(&mut self, e: X, def: X) -> Timer {
        let parts: Vec<X> = def.children().filter(X::is_element).collect();
        let fallback = Timer::After { seconds: 0 };
        match parts.as_slice() {
            [p] if is_bpmn(*p, "timeDuration") => match parse_duration(&text_of(*p)) {
                Ok(seconds) => Timer::After { seconds },
                Err(m) => {
                    self.invalid(e, m);
                    fallback
                }
            },
            [p] if is_bpmn(*p, "timeDate") => {
                let t = text_of(*p);
                match chrono::DateTime::parse_from_rfc3339(t.trim()) {
                    Ok(at) => Timer::At { at: at.into() },
                    Err(_) => {
                        self.invalid(
                            e,
                            format!(
                                "timeDate {:?} is not an ISO 8601 date-time with an offset",
                                t.trim()
                            ),
                        );
                        fallback
                    }
                }
            }
            [p] if is_bpmn(*p, "timeCycle") => {
                self.refuse(e, "cycle timers (timeCycle) are not supported");
                fallback
            }
            _ => {
                self.invalid(e, "a timer needs one timeDuration or timeDate");
                fallback
            }
        }
    }

    /// A service task's HTTP call (sluice attributes; `<sluice:result pointer= field=/>`).
    fn http_call(&mut self, e: X, fields: &[Field]) -> HttpCall {
        let mut call = HttpCall {
            method: "POST".into(),
            url: String::new(),
            body_fields: Vec::new(),
            result: BTreeMap::new(),
            retries: 3,
            backoff_seconds: 10,
        };
        let Some(url) = sluice(e, "url") else {
            self.refuse(
                e,
                "only service tasks with a Sluice HTTP call (sluice:url) are supported",
            );
            return call;
        };
        call.url = url.to_string();
        if let Some(m) = sluice(e, "method") {
            call.method = m.to_ascii_uppercase();
        }
        if !matches!(
            call.method.as_str(),
            "GET" | "POST" | "PUT" | "PATCH" | "DELETE"
        ) {
            self.invalid(
                e,
                format!(
                    "sluice:method {:?} is not GET, POST, PUT, PATCH or DELETE",
                    call.method
                ),
            );
        }
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            self.invalid(e, format!("sluice:url {url:?} is not an http(s) URL"));
        }
        call.body_fields = self.field_list(e, "bodyFields", fields).unwrap_or_default();
        for r in sluice_children(e, "result") {
            let pointer = r.attribute("pointer").unwrap_or("").to_string();
            if !(pointer.is_empty() || pointer.starts_with('/')) {
                self.invalid(
                    e,
                    format!("sluice:result pointer {pointer:?} is not a JSON pointer"),
                );
            }
            let field = r.attribute("field").unwrap_or("").trim();
            if let Some(id) = self.field_id(e, "sluice:result", field, fields) {
                call.result.insert(pointer, id);
            }
        }
        if let Some(n) = self.int(e, "retries") {
            if !(0..=HttpCall::MAX_RETRIES as i64).contains(&n) {
                self.invalid(
                    e,
                    format!("sluice:retries must be 0 to {}", HttpCall::MAX_RETRIES),
                );
            }
            call.retries = n.clamp(0, HttpCall::MAX_RETRIES as i64) as u32;
        }
        if let Some(n) = self.int(e, "backoff") {
            if !(1..=86_400).contains(&n) {
                self.invalid(e, "sluice:backoff must be 1 to 86400 seconds");
            }
            call.backoff_seconds = n.clamp(1, 86_400) as u32;
        }
        call
    }

    /// Sequence flows to children (in document order), conditions, defaults, boundaries.
    fn link(
        &mut self,
        nodes: &mut [Node],
        elements: &[X],
        flows: &[Flow],
        ids: &HashMap<String, NodeId>,
        fields: &[Field],
    ) {
        let index = |id: NodeId| (id.0 - 1) as usize;
        let mut flow_targets: HashMap<&str, (NodeId, NodeId)> = HashMap::new();
        for f in flows {
            let (Some(&s), Some(&t)) = (ids.get(&f.source), ids.get(&f.target)) else {
                // A flow to a refused element is reported with that element.
                if !ids.contains_key(&f.source) && !is_refused_ref(elements, &f.source, self)
                    || !ids.contains_key(&f.target) && !is_refused_ref(elements, &f.target, self)
                {
                    self.invalid(
                        f.x,
                        "sourceRef or targetRef is not a flow node of the process",
                    );
                }
                continue;
            };
            if flow_targets.insert(f.id.as_str(), (s, t)).is_some() {
                self.invalid(f.x, "another sequence flow has the same id");
                continue;
            }
            let source_kind = local(elements[index(s)]);
            if nodes[index(s)].children.contains(&t) {
                self.invalid(f.x, "two sequence flows join the same nodes");
                continue;
            }
            if matches!(nodes[index(t)].spec.kind, NodeKind::TimerBoundary(_)) {
                self.invalid(f.x, "a boundary event has no incoming flows");
            }
            nodes[index(s)].children.push(t);
            if let Some(c) = &f.condition {
                let is_default = elements[index(s)].attribute("default") == Some(f.id.as_str());
                if source_kind != "exclusiveGateway" {
                    self.refuse(
                        f.x,
                        format!("conditional flows are supported out of exclusive gateways only, not out of a {source_kind}"),
                    );
                } else if is_default {
                    self.warnings.push(format!(
                        "sequenceFlow {:?}: the condition of a default flow is ignored.",
                        f.id
                    ));
                } else if let Err(e) = expr::check(c, fields, None) {
                    self.invalid(f.x, format!("condition: {e}"));
                } else {
                    nodes[index(s)].conditions.insert(t, c.clone());
                }
            }
        }
        for (i, e) in elements.iter().enumerate() {
            if let Some(d) = e.attribute("default") {
                if local(*e) != "exclusiveGateway" {
                    continue;
                }
                match flow_targets.get(d) {
                    Some(&(s, t)) if index(s) == i => {
                        nodes[i].spec.kind = NodeKind::ExclusiveGateway { default: Some(t) };
                    }
                    _ => self.invalid(
                        *e,
                        format!("default {d:?} is not a flow out of this gateway"),
                    ),
                }
            }
            if local(*e) == "boundaryEvent" {
                if let Some(&host) = e.attribute("attachedToRef").and_then(|h| ids.get(h)) {
                    nodes[index(host)].children.push(NodeId(i as i64 + 1));
                }
            }
        }
    }

    /// Cycles are refused: a case's route runs each node once.
    fn check_acyclic(&mut self, p: X, nodes: &[Node]) {
        let mut indegree: HashMap<NodeId, usize> = nodes.iter().map(|n| (n.id, 0)).collect();
        for n in nodes {
            for c in &n.children {
                *indegree.entry(*c).or_default() += 1;
            }
        }
        let by_id: HashMap<NodeId, &Node> = nodes.iter().map(|n| (n.id, n)).collect();
        let mut ready: Vec<NodeId> = indegree
            .iter()
            .filter(|(_, d)| **d == 0)
            .map(|(id, _)| *id)
            .collect();
        let mut done = 0;
        while let Some(id) = ready.pop() {
            done += 1;
            for c in by_id.get(&id).map(|n| n.children.as_slice()).unwrap_or(&[]) {
                let d = indegree.get_mut(c).expect("children are nodes");
                *d -= 1;
                if *d == 0 {
                    ready.push(*c);
                }
            }
        }
        if done < nodes.len() {
            let mut on_cycle: Vec<&str> = nodes
                .iter()
                .filter(|n| indegree[&n.id] > 0)
                .filter_map(|n| n.key.as_deref())
                .collect();
            on_cycle.sort_unstable();
            self.refuse(
                p,
                format!(
                    "cycles (loops back) are not supported; nodes on or after one: {}",
                    on_cycle.join(", ")
                ),
            );
        }
    }
}

/// Whether `id` names a process element that was already refused (so a flow to it needs no
/// second report).
fn is_refused_ref(_elements: &[X], id: &str, r: &Reader) -> bool {
    r.unsupported.iter().any(|p| p.id == id)
}

fn sluice_children<'a, 'i>(e: X<'a, 'i>, name: &'static str) -> impl Iterator<Item = X<'a, 'i>> {
    e.children()
        .filter(|c| is_bpmn(*c, "extensionElements"))
        .flat_map(|x| x.children())
        .filter(move |c| ns(*c) == Some(SLUICE_NS) && local(*c) == name)
}

fn text_of(n: X) -> String {
    n.descendants()
        .filter(X::is_text)
        .filter_map(|t| t.text())
        .collect()
}

/// BPMNShape bounds by element id (the first diagram that draws an element wins).
fn shapes(defs: X) -> HashMap<String, Shape> {
    let mut out = HashMap::new();
    for s in defs
        .descendants()
        .filter(|n| n.is_element() && ns(*n) == Some(BPMNDI_NS) && local(*n) == "BPMNShape")
    {
        let Some(el) = s.attribute("bpmnElement") else {
            continue;
        };
        let Some(b) = s
            .children()
            .find(|c| c.is_element() && ns(*c) == Some(DC_NS) && local(*c) == "Bounds")
        else {
            continue;
        };
        let num = |a: &str| b.attribute(a).and_then(|v| v.trim().parse::<f64>().ok());
        if let (Some(x), Some(y), Some(width), Some(height)) =
            (num("x"), num("y"), num("width"), num("height"))
        {
            if [x, y, width, height].iter().all(|v| v.is_finite()) {
                out.entry(el.to_string()).or_insert(Shape {
                    x,
                    y,
                    width,
                    height,
                });
            }
        }
    }
    out
}
