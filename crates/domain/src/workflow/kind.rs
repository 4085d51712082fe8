//! What a node does when a case reaches it. Every node made through the OmniBPM API is a
//! [`NodeKind::Task`]; the other kinds come from BPMN 2.0 models (docs/bpmn.md): events,
//! gateways, receive tasks, timers and HTTP service tasks.

use crate::{FieldId, NodeId, UserId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// The behaviour of a node. Stored as JSON beside the node (`workflow_nodes.behaviour`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NodeKind {
    /// A human step: its responsible users sign it (BPMN user task; every OmniBPM node).
    #[default]
    Task,
    /// Where a case starts. A start without a message is where `document/create` starts; a
    /// message start is triggered over HTTP only (Questetra's message start event).
    Start {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<MessageTrigger>,
    },
    /// Where a path ends; the case completes when nothing is current any more.
    End,
    /// Passes the case on along the first outgoing flow whose condition
    /// ([`super::Node::conditions`]) holds (a flow without one always holds), else along
    /// `default`. Several incoming flows
    /// merge: it waits for those still on the case's path.
    ExclusiveGateway {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        default: Option<NodeId>,
    },
    /// Splits along every outgoing flow; joins by waiting for every incoming one still on
    /// the case's path.
    ParallelGateway,
    /// Waits for an HTTP message (Questetra's receive task), then moves on.
    Receive(MessageTrigger),
    /// Waits until a time (BPMN intermediate timer catch event).
    Timer(Timer),
    /// A timer on the task it is a child of (BPMN timer boundary event): when it fires before
    /// the task completes, the task is interrupted and the case goes on from here instead.
    TimerBoundary(Timer),
    /// Calls an HTTP endpoint from the background worker, then moves on.
    Service(HttpCall),
}

impl NodeKind {
    /// The stored kind name (`workflow_nodes.kind`).
    pub fn code(&self) -> &'static str {
        match self {
            NodeKind::Task => "task",
            NodeKind::Start { .. } => "start",
            NodeKind::End => "end",
            NodeKind::ExclusiveGateway { .. } => "exclusive_gateway",
            NodeKind::ParallelGateway => "parallel_gateway",
            NodeKind::Receive(_) => "receive",
            NodeKind::Timer(_) => "timer",
            NodeKind::TimerBoundary(_) => "timer_boundary",
            NodeKind::Service(_) => "service",
        }
    }

    /// Whether people sign it (only tasks have responsible users).
    pub fn is_task(&self) -> bool {
        matches!(self, NodeKind::Task)
    }

    /// The message trigger of a message start event or receive task.
    pub fn message(&self) -> Option<&MessageTrigger> {
        match self {
            NodeKind::Start { message } => message.as_ref(),
            NodeKind::Receive(m) => Some(m),
            _ => None,
        }
    }
}

/// How an HTTP message's data reaches the case's fields (Questetra's two forms).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageTrigger {
    /// HTTP form: request parameter name to field. Empty: a parameter named like a field
    /// goes to that field.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub parameters: BTreeMap<String, FieldId>,
    /// Webhook form: the string field that receives the raw JSON body. Without it the node
    /// does not accept the webhook form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_field: Option<FieldId>,
    /// Message starts: the user the case is created as (its creator). `None`: the
    /// organization's earliest administrator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_as: Option<UserId>,
}

/// When a timer fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Timer {
    /// This many seconds after the node is entered (BPMN `timeDuration`).
    After { seconds: i64 },
    /// At this time (BPMN `timeDate`); at once when it has passed.
    At { at: DateTime<Utc> },
}

impl Timer {
    /// When a timer armed at `entered` fires.
    pub fn due(&self, entered: DateTime<Utc>) -> DateTime<Utc> {
        match *self {
            Timer::After { seconds } => entered + chrono::Duration::seconds(seconds),
            Timer::At { at } => at,
        }
    }
}

/// An HTTP call made by a service task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpCall {
    /// GET, POST, PUT, PATCH or DELETE.
    pub method: String,
    pub url: String,
    /// Fields sent as a JSON object `{field name: value}` (none: no body).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub body_fields: Vec<FieldId>,
    /// JSON pointer (RFC 6901) into the response body to the field that receives it.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub result: BTreeMap<String, FieldId>,
    /// Attempts after the first one before the case is marked with the error.
    #[serde(default = "HttpCall::default_retries")]
    pub retries: u32,
    /// Seconds before the first retry; each further retry waits twice as long.
    #[serde(default = "HttpCall::default_backoff")]
    pub backoff_seconds: u32,
}

impl HttpCall {
    pub const MAX_RETRIES: u32 = 10;

    fn default_retries() -> u32 {
        3
    }

    fn default_backoff() -> u32 {
        10
    }
}

/// Where a node is drawn (BPMN diagram interchange bounds), kept so that an export shows
/// an imported model as it was drawn.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Shape {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

impl NodeKind {
    /// The same kind with its references to nodes and fields translated (a copy of the
    /// version). Ids without a translation are kept.
    pub fn remapped(
        &self,
        nodes: &HashMap<NodeId, NodeId>,
        fields: &HashMap<FieldId, FieldId>,
    ) -> NodeKind {
        let field = |f: &FieldId| fields.get(f).copied().unwrap_or(*f);
        let trigger = |m: &MessageTrigger| MessageTrigger {
            parameters: m
                .parameters
                .iter()
                .map(|(p, f)| (p.clone(), field(f)))
                .collect(),
            body_field: m.body_field.as_ref().map(field),
            run_as: m.run_as,
        };
        match self {
            NodeKind::Start { message } => NodeKind::Start {
                message: message.as_ref().map(trigger),
            },
            NodeKind::Receive(m) => NodeKind::Receive(trigger(m)),
            NodeKind::ExclusiveGateway { default } => NodeKind::ExclusiveGateway {
                default: default.map(|d| nodes.get(&d).copied().unwrap_or(d)),
            },
            NodeKind::Service(call) => NodeKind::Service(HttpCall {
                body_fields: call.body_fields.iter().map(field).collect(),
                result: call
                    .result
                    .iter()
                    .map(|(p, f)| (p.clone(), field(f)))
                    .collect(),
                ..call.clone()
            }),
            other => other.clone(),
        }
    }
}
