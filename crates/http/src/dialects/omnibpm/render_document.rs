//! OmniBPM's representations of documents, signatures, CCs, comments and logs.

use super::render::{self, datetime, Dir};
use serde_json::{json, Map, Value};
use sluice_domain::engine::{Abilities, Case, Definition, RunState, Status};
use sluice_domain::identity::{username, User};
use sluice_domain::workflow::{Field, FieldContent, Node, Workflow};
use sluice_domain::{FieldId, NodeId, UserId};
use sluice_store::documents::{CcRecord, DocumentView, LogRecord, SignatureRecord};
use std::collections::{BTreeSet, HashMap};

/// Users by id, rendered against one directory.
pub(crate) struct People<'a> {
    pub dir: &'a Dir<'a>,
    pub users: &'a HashMap<UserId, User>,
}

impl People<'_> {
    pub fn user(&self, id: UserId) -> Value {
        match self.users.get(&id) {
            Some(u) => serde_json::to_value(render::user(self.dir, u)).unwrap_or(Value::Null),
            None => json!({"__id__": id.0, "__model__": "UserProfile"}),
        }
    }

    pub fn users(&self, ids: impl IntoIterator<Item = UserId>) -> Vec<Value> {
        ids.into_iter().map(|u| self.user(u)).collect()
    }

    fn login(&self, id: UserId) -> Option<String> {
        self.users
            .get(&id)
            .map(|u| username(&u.login, &self.dir.organization().abbr))
    }

    fn name(&self, id: UserId) -> Option<&str> {
        self.users.get(&id).map(|u| u.display_name.as_str())
    }
}

/// A workflow field as documents show it.
pub(crate) fn field(dir: &Dir, f: &Field) -> Value {
    json!({
        "__id__": f.id.0,
        "__model__": "WorkflowField",
        "name": f.name,
        "data_type": f.data_type.code(),
        "formula": f.formula,
        "is_active": f.is_active,
        "workflow_id": f.workflow_id.0,
        "organization": dir.org(),
        "organization_id": f.org_id.0,
    })
}

/// A workflow node as documents show it (ids for what it refers to).
pub(crate) fn node(dir: &Dir, n: &Node) -> Value {
    use sluice_domain::workflow::Assignee::*;
    let s = &n.spec;
    let (user, dept, group, rank, reference, at_least_one) = match s.assignee {
        User(u) => (Some(u.0), None, None, None, None, None),
        Department(d) => (None, Some(d.0), None, None, None, None),
        Group(g) => (None, None, Some(g.0), None, None, None),
        Supervisor {
            rank,
            reference_node,
            at_least_one,
        } => (
            None,
            None,
            None,
            Some(rank.0),
            reference_node.map(|r| r.0),
            Some(at_least_one),
        ),
        Creator | Specified => (None, None, None, None, None, None),
    };
    json!({
        "__id__": n.id.0,
        "__model__": "ProcessFlowNode",
        "note": s.note,
        "node_type": s.assignee.node_type(),
        "n_sign": s.n_sign,
        "user_id": user,
        "department_id": dept,
        "group_id": group,
        "rank_id": rank,
        "reference_node_id": reference,
        "sign_by_at_least_one_supervisor": at_least_one,
        "as_doc_creator": matches!(s.assignee, Creator),
        "as_specified": matches!(s.assignee, Specified),
        "job_assignment_node_id": s.job_assignment.map(|j| j.node.0),
        "job_assignment_type": s.job_assignment.map(|j| j.kind.code()).unwrap_or(""),
        "allow_cc": s.allow_cc,
        "require_all_cc_response": s.require_all_cc_response,
        "autocomplete_condition": s.autocomplete_condition,
        "autocomplete_deadline": s.autocomplete_deadline,
        "children_set_ids": n.children.iter().map(|c| c.0).collect::<Vec<_>>(),
        "required_fields_ids": s.fields.required.iter().map(|f| f.0).collect::<Vec<_>>(),
        "editable_fields_ids": s.fields.editable.iter().map(|f| f.0).collect::<Vec<_>>(),
        "visible_fields_ids": s.fields.visible.iter().map(|f| f.0).collect::<Vec<_>>(),
        "is_active": true,
        "organization": dir.org(),
        "organization_id": n.org_id.0,
    })
}

/// A signature (`Signature`), ids only as the spec says.
pub(crate) fn signature(p: &People, s: &SignatureRecord) -> Value {
    let ids = |v: &[NodeId]| v.iter().map(|n| n.0).collect::<Vec<_>>();
    json!({
        "__id__": s.id.0,
        "__model__": "Signature",
        "document_id": s.doc_id.0,
        "user_id": s.user_id.0,
        "user_username": p.login(s.user_id),
        "user_name": p.name(s.user_id),
        "login_user_id": s.login_user_id.0,
        "login_user_username": p.login(s.login_user_id),
        "login_user_name": p.name(s.login_user_id),
        "signed_as_id": s.user_id.0,
        "version": s.version,
        "type": s.kind.code(),
        "is_invalidated": s.is_invalidated,
        "comment": s.comment,
        "rejection_target_id": s.rejection_target_id.map(|t| t.0),
        "fulfilled_nodes_ids": ids(&s.detail.fulfilled),
        "completed_nodes_ids": ids(&s.detail.completed),
        "autocompleted_nodes_ids": ids(&s.detail.autocompleted),
        "autocompleted_for_others_nodes_ids": [],
        "fulfilled_fields_ids": s.detail.fields.iter().map(|f| f.0).collect::<Vec<_>>(),
        "creation_time": datetime(&s.created_at),
        "processing_time": 0,
        "organization_id": p.dir.organization().id.0,
    })
}

/// A CC (`CC`), ids only.
pub(crate) fn cc(p: &People, c: &CcRecord) -> Value {
    json!({
        "__id__": c.id.0,
        "__model__": "CC",
        "doc_id": c.doc_id.0,
        "node_id": c.node_id.0,
        "from_user_id": c.from_user_id.0,
        "from_user_username": p.login(c.from_user_id),
        "from_user_name": p.name(c.from_user_id),
        "to_user_id": c.to_user_id.0,
        "to_user_username": p.login(c.to_user_id),
        "to_user_name": p.name(c.to_user_id),
        "parent_cc": c.parent_cc_id.map(|i| i.0),
        "reply_required": c.reply_required,
        "is_complete": c.is_complete,
        "sender_comment_version": c.sender_version,
        "receiver_comment_version": c.receiver_version,
        "organization_id": p.dir.organization().id.0,
    })
}

/// The comments derived from signatures and CCs, in time order.
fn comments(p: &People, sigs: &[SignatureRecord], ccs: &[CcRecord]) -> Vec<Value> {
    let by_id: HashMap<_, _> = sigs.iter().map(|s| (s.id, s)).collect();
    let mut out: Vec<(chrono::DateTime<chrono::Utc>, Value)> = Vec::new();
    for s in sigs.iter().filter(|s| !s.comment.is_empty()) {
        let target = s.rejection_target_id.and_then(|t| by_id.get(&t));
        out.push((
            s.created_at,
            json!({
                "comment": s.comment,
                "user_id": s.user_id.0,
                "user": p.name(s.user_id),
                "login_user": p.user(s.login_user_id),
                "is_rejection": target.is_some(),
                "reject_to_user_id": target.map(|t| t.user_id.0),
                "reject_to_version": target.map(|t| t.version),
                "is_cc_reply": false,
                "sender_cc_id": null,
                "receiver_cc_id": null,
                "datetime": datetime(&s.created_at),
            }),
        ));
    }
    for c in ccs {
        if !c.comment.is_empty() {
            out.push((
                c.created_at,
                json!({
                    "comment": c.comment,
                    "user_id": c.from_user_id.0,
                    "user": p.name(c.from_user_id),
                    "login_user": p.user(c.from_user_id),
                    "is_rejection": false,
                    "reject_to_user_id": null,
                    "reject_to_version": null,
                    "is_cc_reply": false,
                    "sender_cc_id": c.id.0,
                    "receiver_cc_id": null,
                    "datetime": datetime(&c.created_at),
                }),
            ));
        }
        if let (Some(reply), Some(at)) = (&c.reply_comment, c.replied_at) {
            out.push((
                at,
                json!({
                    "comment": reply,
                    "user_id": c.to_user_id.0,
                    "user": p.name(c.to_user_id),
                    "login_user": p.user(c.to_user_id),
                    "is_rejection": false,
                    "reject_to_user_id": null,
                    "reject_to_version": null,
                    "is_cc_reply": true,
                    "sender_cc_id": null,
                    "receiver_cc_id": c.id.0,
                    "datetime": datetime(&at),
                }),
            ));
        }
    }
    out.sort_by_key(|(t, _)| *t);
    out.into_iter().map(|(_, v)| v).collect()
}

/// A log entry with its extra members.
pub(crate) fn log(
    p: &People,
    l: &LogRecord,
    sigs: &HashMap<i64, &SignatureRecord>,
    def: Option<&Definition>,
) -> Value {
    let mut m = Map::new();
    m.insert("action".into(), json!(l.action));
    m.insert("type".into(), json!(l.kind));
    m.insert(
        "user".into(),
        json!({"__model__": "UserProfile", "__id__": l.user_id.0}),
    );
    m.insert(
        "delegated_user".into(),
        json!({"__model__": "UserProfile", "__id__": l.delegated_user_id.0}),
    );
    m.insert(
        "creation_time".into(),
        serde_json::to_value(datetime(&l.created_at)).unwrap_or(Value::Null),
    );
    let d = &l.detail;
    if let Some(c) = d.get("comment") {
        m.insert("comment".into(), c.clone());
    }
    match l.kind.as_str() {
        "new_document" => {
            m.insert("document".into(), json!({"__id__": l.doc_id.0}));
        }
        "sign" | "reject" => {
            let key = if l.kind == "sign" {
                "signature"
            } else {
                "reject"
            };
            let id = d.get(key).and_then(Value::as_i64).unwrap_or_default();
            let sig = sigs
                .get(&id)
                .map(|s| signature(p, s))
                .unwrap_or(json!({"__id__": id}));
            m.insert(key.into(), sig);
        }
        "designate" => {
            let node = d.get("node").and_then(Value::as_i64).unwrap_or_default();
            let rendered = def
                .and_then(|def| def.node(NodeId(node)))
                .map(node_summary)
                .unwrap_or(json!({"__id__": node}));
            m.insert("node".into(), rendered);
            let users: Vec<Value> = d
                .get("users")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_i64)
                .map(|u| json!({"__model__": "UserProfile", "__id__": u}))
                .collect();
            m.insert("users".into(), json!(users));
        }
        "to_user" | "cc_read" => {
            m.insert(
                "cc".into(),
                json!({"__model__": "CC", "__id__": d.get("cc")}),
            );
        }
        _ => {
            for (k, v) in d.as_object().into_iter().flatten() {
                m.entry(k.clone()).or_insert(v.clone());
            }
        }
    }
    Value::Object(m)
}

fn node_summary(n: &Node) -> Value {
    json!({"__id__": n.id.0, "__model__": "ProcessFlowNode", "note": n.spec.note, "node_type": n.spec.assignee.node_type()})
}

/// A workflow as documents nest it.
fn workflow(dir: &Dir, w: &Workflow) -> Value {
    json!({
        "__id__": w.id.0,
        "__model__": "WorkflowDTO",
        "name": w.name,
        "version": w.version,
        "is_complete": w.is_complete,
        "is_active": w.is_active,
        "is_hidden": w.is_hidden,
        "organization": dir.org(),
        "organization_id": w.org_id.0,
    })
}

/// Field content in OmniBPM's form: field id (as a string) to value, and `TITLE`.
fn content(c: &FieldContent, visible: &BTreeSet<FieldId>, title: &str) -> Value {
    let mut m = Map::new();
    for (id, v) in c.iter().filter(|(id, _)| visible.contains(id)) {
        m.insert(id.0.to_string(), v.to_json());
    }
    m.insert("TITLE".into(), json!(title));
    Value::Object(m)
}

/// The whole document as `document/get` shows it to the viewer.
pub(crate) fn document(dir: &Dir, v: &DocumentView) -> Value {
    let p = People {
        dir,
        users: &v.users,
    };
    let case = &v.record.case;
    let def = &v.def;
    let a = Abilities::of(def, case, v.viewer, v.grants);
    let nodes_in = |state: RunState| -> Vec<&Node> {
        case.route
            .nodes
            .iter()
            .filter(|(_, r)| {
                r.state == state || (state == RunState::Complete && r.state == RunState::Skipped)
            })
            .filter_map(|(id, _)| def.node(*id))
            .collect()
    };
    let processing = case.status == Status::Processing;
    let current: Vec<&Node> = if processing {
        nodes_in(RunState::Current)
    } else {
        Vec::new()
    };
    let completed = nodes_in(RunState::Complete);
    let current_users = if processing {
        case.route.current_users()
    } else {
        Vec::new()
    };
    let responsible = case.acting_users();
    let valid: Vec<&SignatureRecord> = v.signatures.iter().filter(|s| !s.is_invalidated).collect();
    let mut signed: Vec<UserId> = valid
        .iter()
        .filter(|s| s.kind.code() == "NEXT")
        .map(|s| s.user_id)
        .collect();
    signed.sort();
    signed.dedup();
    let active: Vec<&Field> = def.active_fields().collect();
    let shown_fields: Vec<&Field> = active
        .iter()
        .copied()
        .filter(|f| a.visible.contains(&f.id))
        .collect();
    let hidden: Vec<&Field> = active
        .iter()
        .copied()
        .filter(|f| !a.visible.contains(&f.id))
        .collect();
    let used: BTreeSet<FieldId> = def
        .nodes
        .iter()
        .flat_map(|n| n.spec.fields.visible.iter().copied())
        .collect();
    let unused: Vec<&Field> = active
        .iter()
        .copied()
        .filter(|f| !used.contains(&f.id))
        .collect();
    let required: Vec<&Field> = active
        .iter()
        .copied()
        .filter(|f| a.required.contains(&f.id))
        .collect();
    let filled: Vec<&Field> = shown_fields
        .iter()
        .copied()
        .filter(|f| v.shown_content.contains_key(&f.id))
        .collect();
    let needs_assignment: Vec<&Node> = def
        .nodes
        .iter()
        .filter(|n| {
            n.spec.job_assignment.is_some_and(|j| {
                j.kind == sluice_domain::workflow::JobAssignmentKind::Assign
                    && a.responsible_nodes.contains(&j.node)
            }) && case.route.agents.get(&n.id).is_none_or(Vec::is_empty)
        })
        .collect();
    let upcoming: Vec<&Node> = current
        .iter()
        .flat_map(|n| n.children.iter())
        .filter(|c| !case.route.nodes.contains_key(c))
        .filter_map(|c| def.node(*c))
        .collect();
    let sig_by_id: HashMap<i64, &SignatureRecord> =
        v.signatures.iter().map(|s| (s.id.0, s)).collect();
    let read_state = true;
    let ids = |ns: &[&Node]| ns.iter().map(|n| n.id.0).collect::<Vec<_>>();
    let fids = |fs: &[&Field]| fs.iter().map(|f| f.id.0).collect::<Vec<_>>();
    let users_ids = |us: &[UserId]| us.iter().map(|u| u.0).collect::<Vec<_>>();
    json!({
        "__id__": case.id.0,
        "__model__": "Document",
        "title": v.record.title,
        "serial": v.record.serial,
        "organization": dir.org(),
        "organization_id": case.org_id.0,
        "workflow": workflow(dir, &v.workflow),
        "workflow_id": case.workflow_id.0,
        "creator": p.user(case.creator),
        "creator_id": case.creator.0,
        "creator_username": p.login(case.creator),
        "creator_name": p.name(case.creator),
        "creation_time": datetime(&v.record.created_at),
        "last_time": datetime(&v.record.last_time),
        "completion_time": case.completed_at.as_ref().map(datetime),
        "deadline": null,
        "version": v.shown_version,
        "latest_version": case.version,
        "is_completed": case.status == Status::Completed,
        "is_cancelled": case.status == Status::Cancelled,
        "is_revoked": case.status == Status::Revoked,
        "is_hidden": false,
        "is_created": true,
        "is_classified": false,
        "is_poked": false,
        "is_read": read_state,
        "is_visible": true,
        "is_creator": v.viewer == case.creator,
        "is_submittable": a.is_submittable,
        "is_rejectable": a.is_rejectable,
        "is_cancellable": a.is_cancellable,
        "is_revokable": a.is_revokable,
        "is_revivable": a.is_revivable,
        "is_ccable": a.allow_cc_for_user,
        "allow_cc_for_user": a.allow_cc_for_user,
        "is_cc_responsible": a.is_cc_responsible,
        "is_cc_reply_readable": a.is_cc_reply_readable,
        "fill_by_current_user": a.is_submittable && !a.editable.is_empty(),
        "disable_file_upload": true,
        "priority_name": "Normal",
        "title_formula": null,
        "web_layout": null,
        "formula_recalc_fields": def.active_fields().filter(|f| f.formula.is_some()).map(|f| f.id.0).collect::<Vec<_>>(),
        "field_content": content(&v.shown_content, &a.visible, &v.record.title),
        "filled_fields": filled.iter().map(|f| field(dir, f)).collect::<Vec<_>>(),
        "filled_fields_ids": fids(&filled),
        "document_fields": shown_fields.iter().map(|f| field(dir, f)).collect::<Vec<_>>(),
        "hidden_fields": hidden.iter().map(|f| field(dir, f)).collect::<Vec<_>>(),
        "unused_fields": unused.iter().map(|f| field(dir, f)).collect::<Vec<_>>(),
        "required_fields": required.iter().map(|f| field(dir, f)).collect::<Vec<_>>(),
        "nodes": def.nodes.iter().map(|n| node(dir, n)).collect::<Vec<_>>(),
        "current_nodes": current.iter().map(|n| node(dir, n)).collect::<Vec<_>>(),
        "current_nodes_ids": ids(&current),
        "completed_nodes": completed.iter().map(|n| node(dir, n)).collect::<Vec<_>>(),
        "completed_nodes_ids": ids(&completed),
        "responsible_nodes": a.responsible_nodes.iter().filter_map(|n| def.node(*n)).map(|n| node(dir, n)).collect::<Vec<_>>(),
        "required_job_assignments": needs_assignment.iter().map(|n| node(dir, n)).collect::<Vec<_>>(),
        "upcomming_tasks": upcoming.iter().map(|n| node(dir, n)).collect::<Vec<_>>(),
        "current_users": p.users(current_users.iter().copied()),
        "current_users_ids": users_ids(&current_users),
        "current_responsible_users": p.users(responsible.iter().copied()),
        "signed_users": p.users(signed.iter().copied()),
        "signed_users_ids": users_ids(&signed),
        "visible_users": p.users(v.participants.iter().copied()),
        "visible_users_ids": users_ids(&v.participants),
        "visible_department_heads": [],
        "visible_department_heads_ids": [],
        "subscribed_users": [],
        "subscribed_users_ids": [],
        "related_documents": [],
        "related_documents_ids": [],
        "attachedfiles": [],
        "signatures": valid.iter().map(|s| signature(&p, s)).collect::<Vec<_>>(),
        "all_signatures": v.signatures.iter().map(|s| signature(&p, s)).collect::<Vec<_>>(),
        "comments": comments(&p, &v.signatures, &v.ccs),
        "cc_list": v.ccs.iter().map(|c| cc(&p, c)).collect::<Vec<_>>(),
        "logs": v.logs.iter().map(|l| log(&p, l, &sig_by_id, Some(def))).collect::<Vec<_>>(),
        "errors": errors(def, case),
    })
}

/// Sluice's extra: why nodes of the case cannot go on by themselves (a service call that
/// failed for good, an exclusive gateway with no flow to take), in node order.
fn errors(def: &Definition, case: &Case) -> Vec<Value> {
    case.route
        .nodes
        .iter()
        .filter_map(|(id, run)| {
            let error = run.error.as_ref()?;
            let n = def.node(*id);
            Some(json!({
                "node_id": id.0,
                "node_note": n.map(|n| n.spec.note.as_str()),
                "node_key": n.and_then(|n| n.key.as_deref()),
                "error": error,
            }))
        })
        .collect()
}
