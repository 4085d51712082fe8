//! Task records of a user (Questetra's `/API/OR/Workitem/list`): the nodes the user signed
//! (`ENDED`, one per valid `NEXT` signature) and the nodes of running cases awaiting the
//! user now (`ALLOCATED`, or `OFFERED` while offered to several users). Both come from one
//! `UNION ALL` filtered, counted and paged in SQL; the page's cases are then read in one
//! query.

use super::instances::{Bind, ProcessInstance};
use super::Viewer;
use crate::identity::PageRequest;
use crate::{Result, Store};
use chrono::{DateTime, Utc};
use sluice_domain::engine::{offered_nodes, Route};
use sluice_domain::{NodeId, OrgId, UserId, WorkflowId};

/// A task record's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkitemState {
    /// Awaits the user now.
    Allocated,
    /// Offered to the user and others (`engine::offered_nodes`) until one accepts.
    Offered,
    /// Signed by the user.
    Ended,
}

impl WorkitemState {
    pub fn code(self) -> &'static str {
        match self {
            Self::Allocated => "ALLOCATED",
            Self::Offered => "OFFERED",
            Self::Ended => "ENDED",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "ALLOCATED" => Some(Self::Allocated),
            "OFFERED" => Some(Self::Offered),
            "ENDED" => Some(Self::Ended),
            _ => None,
        }
    }
}

/// The search conditions of a task-record list (all optional).
#[derive(Debug, Clone, Default)]
pub struct WorkitemFilter {
    pub families: Vec<i64>,
    pub instance: Option<i64>,
    pub states: Vec<WorkitemState>,
    pub title: Option<String>,
    /// Bounds on the record's time: the signature for `ENDED`, the case's last change for
    /// `ALLOCATED` and `OFFERED`.
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub starred: Option<bool>,
    pub ascending: bool,
}

impl WorkitemFilter {
    /// Whether records in `state` match (every state does when none is named).
    pub fn wants(&self, state: WorkitemState) -> bool {
        self.states.is_empty() || self.states.contains(&state)
    }
}

/// One task record.
#[derive(Debug, Clone)]
pub struct WorkitemRecord {
    pub instance: ProcessInstance,
    pub node_id: i64,
    pub node_name: String,
    pub node_index: usize,
    pub state: WorkitemState,
    /// When the node was entered (its allocation).
    pub allocated_at: DateTime<Utc>,
    /// When the user signed it (`ENDED`).
    pub ended_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct ItemRow {
    doc_id: i64,
    ended: bool,
    detail: Option<String>,
    at: DateTime<Utc>,
}

/// `$2`'s records: a signature row or a current participation. `$1` org.
const ITEMS: &str = "WITH items(doc_id, ended, detail, at, seq) AS (\
       SELECT s.doc_id, TRUE, s.detail, s.created_at, s.id FROM signatures s \
       WHERE s.user_id = $2 AND s.kind = 'NEXT' AND NOT s.is_invalidated \
       UNION ALL SELECT p.doc_id, FALSE, NULL, pd.last_time, 0 FROM document_participants p \
       JOIN documents pd ON pd.id = p.doc_id \
       WHERE p.user_id = $2 AND p.is_current AND pd.status = 'processing') \
     SELECT i.doc_id, i.ended, i.detail, i.at FROM items i JOIN documents d ON d.id = i.doc_id \
     WHERE d.org_id = $1";

/// `live`: the cases with a node of the wanted kind awaiting the user, when the states ask
/// for one of `ALLOCATED` and `OFFERED` only.
fn conditions(f: &WorkitemFilter, live: Option<&[i64]>, binds: &mut Vec<Bind>) -> String {
    let mut sql = String::new();
    let mut next = |b: Bind| {
        binds.push(b);
        format!("${}", binds.len())
    };
    if !f.families.is_empty() {
        let ps: Vec<String> = f.families.iter().map(|id| next(Bind::Int(*id))).collect();
        sql += &format!(" AND d.family_id IN ({})", ps.join(", "));
    }
    if let Some(id) = f.instance {
        sql += &format!(" AND d.id = {}", next(Bind::Int(id)));
    }
    let ended = f.wants(WorkitemState::Ended);
    match live {
        Some(ids) => {
            let ps: Vec<String> = ids.iter().map(|id| next(Bind::Int(*id))).collect();
            let cases = if ps.is_empty() {
                "1 = 0".to_string()
            } else {
                format!("i.doc_id IN ({})", ps.join(", "))
            };
            sql += &if ended {
                format!(" AND (i.ended OR {cases})")
            } else {
                format!(" AND NOT i.ended AND {cases}")
            };
        }
        None if f.states.is_empty() => {}
        None => {
            let awaiting = f.wants(WorkitemState::Allocated) || f.wants(WorkitemState::Offered);
            if ended != awaiting {
                sql += &format!(" AND i.ended = {}", next(Bind::Bool(ended)));
            }
        }
    }
    if let Some(t) = &f.title {
        let p = next(Bind::Text(super::models::like_pattern(Some(t))));
        sql += &format!(" AND lower(d.title) LIKE {p} ESCAPE '\\'");
    }
    if let Some(v) = f.from {
        sql += &format!(" AND i.at >= {}", next(Bind::Time(v)));
    }
    if let Some(v) = f.to {
        sql += &format!(" AND i.at <= {}", next(Bind::Time(v)));
    }
    if let Some(s) = f.starred {
        sql += &format!(
            " AND {}EXISTS (SELECT 1 FROM process_stars s WHERE s.doc_id = d.id AND s.user_id = $2)",
            if s { "" } else { "NOT " }
        );
    }
    sql
}

impl Store {
    /// The task records of `user` matching `filter`, newest first (or oldest with
    /// `ascending`), paged; with the count of all that match. A current participation whose
    /// case awaits the user at several nodes answers each of them.
    pub async fn workitem_records(
        &self,
        org: OrgId,
        user: UserId,
        filter: &WorkitemFilter,
        page: PageRequest,
    ) -> Result<(i64, Vec<WorkitemRecord>)> {
        // Which nodes are offered is known from each case's routing state only: asked for
        // one kind alone, the cases with such a node are found first (at most
        // `MAX_WORKITEMS`, as in My Tasks) and bound into the query.
        let (allocated, offered) = (
            filter.wants(WorkitemState::Allocated),
            filter.wants(WorkitemState::Offered),
        );
        let live: Option<Vec<i64>> = if allocated != offered {
            let items = if offered {
                self.offered_workitems(org, user).await?
            } else {
                self.allocated_workitems(org, user).await?
            };
            let mut ids: Vec<i64> = items.iter().map(|w| w.instance.id.0).collect();
            ids.sort_unstable();
            ids.dedup();
            Some(ids)
        } else {
            None
        };
        let mut binds = vec![Bind::Int(org.0), Bind::Int(user.0)];
        let cond = conditions(filter, live.as_deref(), &mut binds);
        let dir = if filter.ascending { "ASC" } else { "DESC" };
        let count_sql = format!("SELECT COUNT(*) FROM ({ITEMS}{cond}) c");
        let n = binds.len();
        let list_sql = format!(
            "{ITEMS}{cond} ORDER BY i.at {dir}, i.doc_id {dir}, i.seq {dir} LIMIT ${} OFFSET ${}",
            n + 1,
            n + 2
        );
        let (count, rows): (i64, Vec<ItemRow>) = read!(self, |db| {
            let mut cq = sqlx::query_scalar::<_, i64>(&count_sql);
            let mut lq = sqlx::query_as::<_, ItemRow>(&list_sql);
            for b in &binds {
                (cq, lq) = match b {
                    Bind::Int(v) => (cq.bind(*v), lq.bind(*v)),
                    Bind::Text(v) => (cq.bind(v.clone()), lq.bind(v.clone())),
                    Bind::Time(v) => (cq.bind(*v), lq.bind(*v)),
                    Bind::Bool(v) => (cq.bind(*v), lq.bind(*v)),
                };
            }
            let count = cq.fetch_one(db).await?;
            let rows = lq.bind(page.limit).bind(page.start).fetch_all(db).await?;
            (count, rows)
        });
        let mut ids: Vec<i64> = rows.iter().map(|r| r.doc_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let viewer = Viewer {
            user: Some(user),
            admin: false,
        };
        let instances = self
            .process_instances_by_id(org, viewer, &ids, true)
            .await?;
        let by_id: std::collections::HashMap<i64, &(ProcessInstance, String)> =
            instances.iter().map(|x| (x.0.id.0, x)).collect();
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let Some((instance, route)) = by_id.get(&row.doc_id) else {
                continue;
            };
            let def = self
                .definition(org, WorkflowId(instance.workflow_id.0))
                .await?;
            let Ok(route) = serde_json::from_str::<Route>(route) else {
                continue;
            };
            let offers = offered_nodes(&route, &def, user);
            let nodes: Vec<(NodeId, WorkitemState, Option<DateTime<Utc>>)> = if row.ended {
                let detail: crate::documents::SignatureDetail = row
                    .detail
                    .as_deref()
                    .and_then(|d| serde_json::from_str(d).ok())
                    .unwrap_or_default();
                detail
                    .fulfilled
                    .into_iter()
                    .map(|n| (n, WorkitemState::Ended, Some(row.at)))
                    .collect()
            } else {
                route
                    .current()
                    .filter(|(_, run)| run.awaits(user))
                    .map(|(n, _)| {
                        let state = if offers.contains(n) {
                            WorkitemState::Offered
                        } else {
                            WorkitemState::Allocated
                        };
                        (*n, state, None)
                    })
                    .filter(|(_, state, _)| filter.wants(*state))
                    .collect()
            };
            for (node, state, ended_at) in nodes {
                let Some(index) = def.nodes.iter().position(|n| n.id == node) else {
                    continue;
                };
                let allocated_at = route
                    .nodes
                    .get(&node)
                    .map_or(instance.started_at, |r| r.entered_at);
                out.push(WorkitemRecord {
                    instance: instance.clone(),
                    node_id: node.0,
                    node_name: def.nodes[index].spec.note.clone(),
                    node_index: index,
                    state,
                    allocated_at,
                    ended_at,
                });
            }
        }
        Ok((count, out))
    }
}
