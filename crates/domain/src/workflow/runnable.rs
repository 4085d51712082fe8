//! The rules a version with BPMN node kinds must meet before cases can run on it: checked
//! when a version is finalized and when a model is imported. A version made only of
//! OmniBPM tasks always meets them.

use super::field::{DataType, Field};
use super::kind::{HttpCall, MessageTrigger, NodeKind, Timer};
use super::node::Node;
use crate::{Error, FieldId, NodeId, Result};
use std::collections::HashMap;

/// HTTP methods a service task may use.
const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/// Checks every node of a version; the error names the node and what is wrong with it.
pub fn check_runnable(nodes: &[Node], fields: &[Field]) -> Result<()> {
    let mut parents: HashMap<NodeId, usize> = HashMap::new();
    let mut parent_of: HashMap<NodeId, NodeId> = HashMap::new();
    for n in nodes {
        for c in &n.children {
            *parents.entry(*c).or_default() += 1;
            parent_of.insert(*c, n.id);
        }
    }
    let by_id: HashMap<NodeId, &Node> = nodes.iter().map(|n| (n.id, n)).collect();
    let field = |id: &FieldId| fields.iter().find(|f| f.id == *id && f.is_active);
    for n in nodes {
        let name = || match &n.key {
            Some(key) => format!("{} {key:?}", n.spec.kind.code()),
            None => format!("{} {}", n.spec.kind.code(), n.id),
        };
        let bad = |why: String| Err(Error::invalid(format!("{}: {why}", name())));
        let n_parents = parents.get(&n.id).copied().unwrap_or(0);
        let is_gateway = matches!(n.spec.kind, NodeKind::ExclusiveGateway { .. });
        if !is_gateway && !n.conditions.is_empty() {
            return bad("only the flows out of an exclusive gateway can have conditions.".into());
        }
        if let Some(c) = n.conditions.keys().find(|c| !n.children.contains(c)) {
            return bad(format!(
                "a condition is given for node {c}, which is not a child."
            ));
        }
        for condition in n.conditions.values() {
            super::expr::check(condition, fields, None)
                .map_err(|e| Error::invalid(format!("{}: flow condition: {e}", name())))?;
        }
        let fields_ok = |ids: &mut dyn Iterator<Item = &FieldId>, what: &str| -> Result<()> {
            for id in ids {
                match field(id) {
                    Some(f) if f.data_type != DataType::Formula => {}
                    Some(f) => {
                        return bad(format!("{what}: {} is a FORMULA field.", f.name));
                    }
                    None => return bad(format!("{what}: field {id} is not a field of it.")),
                }
            }
            Ok(())
        };
        let trigger_ok = |m: &MessageTrigger| -> Result<()> {
            fields_ok(&mut m.parameters.values(), "parameters")?;
            if let Some(b) = &m.body_field {
                fields_ok(&mut std::iter::once(b), "body field")?;
                if field(b).is_some_and(|f| f.data_type != DataType::Utf8) {
                    return bad("the body field must be a UTF8 field.".into());
                }
            }
            Ok(())
        };
        let timer_ok = |t: &Timer| match t {
            Timer::After { seconds } if *seconds <= 0 => {
                bad("a timer duration must be positive.".into())
            }
            _ => Ok(()),
        };
        match &n.spec.kind {
            NodeKind::Task | NodeKind::ParallelGateway => {}
            NodeKind::Start { message } => {
                if n_parents > 0 {
                    return bad("a start event cannot have incoming flows.".into());
                }
                if let Some(m) = message {
                    trigger_ok(m)?;
                }
            }
            NodeKind::End => {
                if !n.children.is_empty() {
                    return bad("an end event cannot have outgoing flows.".into());
                }
            }
            NodeKind::ExclusiveGateway { default } => {
                if n.children.is_empty() {
                    return bad("a gateway needs an outgoing flow.".into());
                }
                if let Some(d) = default {
                    if !n.children.contains(d) {
                        return bad(format!("its default flow goes to {d}, not a child."));
                    }
                    if n.conditions.contains_key(d) {
                        return bad("its default flow cannot have a condition.".into());
                    }
                }
            }
            NodeKind::Receive(m) => trigger_ok(m)?,
            NodeKind::Timer(t) => timer_ok(t)?,
            NodeKind::TimerBoundary(t) => {
                timer_ok(t)?;
                let on_task = n_parents == 1
                    && parent_of
                        .get(&n.id)
                        .and_then(|p| by_id.get(p))
                        .is_some_and(|p| p.spec.kind.is_task());
                if !on_task {
                    return bad("a boundary timer must be attached to exactly one task.".into());
                }
            }
            NodeKind::Service(call) => {
                check_call(call).map_err(|why| Error::invalid(format!("{}: {why}", name())))?;
                fields_ok(&mut call.body_fields.iter(), "body fields")?;
                fields_ok(&mut call.result.values(), "result fields")?;
            }
        }
    }
    Ok(())
}

fn check_call(call: &HttpCall) -> std::result::Result<(), String> {
    if !METHODS.contains(&call.method.as_str()) {
        return Err(format!(
            "method {:?} is not one of {}.",
            call.method,
            METHODS.join(", ")
        ));
    }
    let url = call.url.to_ascii_lowercase();
    let has_host = |rest: &str| !rest.is_empty() && !rest.starts_with('/');
    let ok = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .is_some_and(has_host);
    if !ok || call.url.len() > 2000 || call.url.chars().any(char::is_whitespace) {
        return Err(format!("url {:?} is not an http(s) URL.", call.url));
    }
    // Credentials in the URL would be shown wherever the model is (export, logs).
    let authority = url.split(['/', '?', '#']).nth(2).unwrap_or("");
    if authority.contains('@') {
        return Err("url must not hold a user name or password.".into());
    }
    if call.retries > HttpCall::MAX_RETRIES {
        return Err(format!(
            "retries is {}; at most {} are allowed.",
            call.retries,
            HttpCall::MAX_RETRIES
        ));
    }
    if call.backoff_seconds == 0 || call.backoff_seconds > 86_400 {
        return Err("backoff_seconds must be between 1 and 86400.".into());
    }
    if let Some(p) = call
        .result
        .keys()
        .find(|p| !p.is_empty() && !p.starts_with('/'))
    {
        return Err(format!("result pointer {p:?} is not a JSON pointer."));
    }
    Ok(())
}
