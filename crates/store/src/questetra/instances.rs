//! Process instances (Questetra's ProcessInstance) over documents: the list with its search
//! conditions, one case, stars, stop and delete. Who sees a case: the organization's client
//! and system administrators see all; a user sees the cases they started or have a part in
//! (`document_participants`) and every case of a family they hold a process authority or
//! the visible permission over (`HELD`). Everything is filtered and paged in SQL.

use super::{ProcessAuthorityKind, Viewer, HELD};
use crate::identity::PageRequest;
use crate::{Result, Store};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use sluice_domain::engine::Route;
use sluice_domain::workflow::FieldContent;
use sluice_domain::{DocId, Error, OrgId, UserId, WorkflowId};
use std::collections::HashMap;

/// Questetra's process states over Sluice's document statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcessState {
    /// processing
    Started,
    /// completed
    Ended,
    /// cancelled (stopped) or revoked
    Failed,
}

impl ProcessState {
    pub fn code(self) -> &'static str {
        match self {
            Self::Started => "STARTED",
            Self::Ended => "ENDED",
            Self::Failed => "FAILED",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Some(match code {
            "STARTED" => Self::Started,
            "ENDED" => Self::Ended,
            "FAILED" => Self::Failed,
            _ => return None,
        })
    }

    fn of_status(status: &str) -> Self {
        match status {
            "processing" => Self::Started,
            "completed" => Self::Ended,
            _ => Self::Failed,
        }
    }

    fn statuses(self) -> &'static [&'static str] {
        match self {
            Self::Started => &["processing"],
            Self::Ended => &["completed"],
            Self::Failed => &["cancelled", "revoked"],
        }
    }
}

/// The key a list is sorted by (ties by id, the same way).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InstanceOrder {
    #[default]
    StartDatetime,
    EndDatetime,
    Id,
    Title,
}

impl InstanceOrder {
    fn column(self) -> &'static str {
        match self {
            Self::StartDatetime => "d.created_at",
            Self::EndDatetime => "COALESCE(d.completed_at, d.last_time)",
            Self::Id => "d.id",
            Self::Title => "d.title",
        }
    }
}

/// The search conditions of a list (all optional; empty lists match everything).
#[derive(Debug, Clone, Default)]
pub struct InstanceFilter {
    pub families: Vec<i64>,
    pub states: Vec<ProcessState>,
    pub title: Option<String>,
    pub started_from: Option<DateTime<Utc>>,
    pub started_to: Option<DateTime<Utc>>,
    pub ended_from: Option<DateTime<Utc>>,
    pub ended_to: Option<DateTime<Utc>>,
    pub init_user: Option<i64>,
    pub init_unit: Option<i64>,
    pub starred: Option<bool>,
    pub order: InstanceOrder,
    pub ascending: bool,
}

/// One field's value as Questetra's ProcessData shows it.
#[derive(Debug, Clone)]
pub struct ProcessDatum {
    pub field_id: i64,
    pub name: String,
    pub data_type: &'static str,
    pub view_order: usize,
    pub value: Value,
}

/// A case as Questetra shows it.
#[derive(Debug, Clone)]
pub struct ProcessInstance {
    pub id: DocId,
    pub family_id: i64,
    pub family_name: String,
    pub workflow_id: WorkflowId,
    pub version: i64,
    pub title: String,
    pub serial: String,
    pub state: ProcessState,
    pub creator_id: i64,
    pub creator_name: String,
    pub creator_unit_id: Option<i64>,
    pub creator_unit_name: Option<String>,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub starred: bool,
    /// Names of the nodes the case waits at.
    pub active_nodes: Vec<String>,
    /// Field values (`None` where the viewer may see only the progress, and in lists).
    pub data: Option<Vec<ProcessDatum>>,
    /// Why nodes cannot go on by themselves (a service call that failed for good, a gateway
    /// with no flow to take): (node id, node name, message).
    pub errors: Vec<(i64, String, String)>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    family_id: i64,
    family_name: String,
    workflow_id: i64,
    version: i64,
    title: String,
    serial: String,
    status: String,
    creator_id: i64,
    creator_name: String,
    creator_unit_id: Option<i64>,
    creator_unit_name: Option<String>,
    created_at: DateTime<Utc>,
    completed_at: Option<DateTime<Utc>>,
    last_time: DateTime<Utc>,
    starred: bool,
    route: String,
    field_content: String,
}

/// A value bound to a placeholder of a built query.
pub(crate) enum Bind {
    Int(i64),
    Text(String),
    Time(DateTime<Utc>),
    Bool(bool),
}

/// Binds `$binds` in order to query `$q`.
macro_rules! bind_all {
    ($q:expr, $binds:expr) => {{
        let mut q = $q;
        for b in $binds {
            q = match b {
                Bind::Int(v) => q.bind(*v),
                Bind::Text(v) => q.bind(v.clone()),
                Bind::Time(v) => q.bind(*v),
                Bind::Bool(v) => q.bind(*v),
            };
        }
        q
    }};
}

const SELECT: &str = "SELECT d.id, d.family_id, f.name AS family_name, d.workflow_id, \
     w.version, d.title, d.serial, d.status, d.creator_id, cu.display_name AS creator_name, \
     cu.department_id AS creator_unit_id, cd.name AS creator_unit_name, d.created_at, \
     d.completed_at, d.last_time, \
     EXISTS (SELECT 1 FROM process_stars s WHERE s.doc_id = d.id AND s.user_id = $2) AS starred, \
     d.route, d.field_content";

/// `FROM` and the visibility condition: `$1` org, `$2` user, `$3` sees all.
const FROM: &str = "FROM documents d JOIN workflows w ON w.id = d.workflow_id \
     JOIN workflow_families f ON f.id = d.family_id JOIN users cu ON cu.id = d.creator_id \
     LEFT JOIN departments cd ON cd.id = cu.department_id \
     WHERE d.org_id = $1 AND ($3 OR d.creator_id = $2 \
     OR EXISTS (SELECT 1 FROM document_participants p WHERE p.doc_id = d.id AND p.user_id = $2) \
     OR d.family_id IN (SELECT family_id FROM held))";

/// The end of a case that has ended: completion, or the last change of a stopped one.
const END: &str = "(CASE WHEN d.status = 'processing' THEN NULL \
     ELSE COALESCE(d.completed_at, d.last_time) END)";

fn conditions(f: &InstanceFilter, binds: &mut Vec<Bind>) -> String {
    let mut sql = String::new();
    let next = |b: Bind, binds: &mut Vec<Bind>| {
        binds.push(b);
        format!("${}", binds.len())
    };
    if !f.families.is_empty() {
        let ps: Vec<String> = f
            .families
            .iter()
            .map(|id| next(Bind::Int(*id), binds))
            .collect();
        sql += &format!(" AND d.family_id IN ({})", ps.join(", "));
    }
    if !f.states.is_empty() {
        let ps: Vec<String> = f
            .states
            .iter()
            .flat_map(|s| s.statuses())
            .map(|s| next(Bind::Text((*s).into()), binds))
            .collect();
        sql += &format!(" AND d.status IN ({})", ps.join(", "));
    }
    if let Some(t) = &f.title {
        let p = next(Bind::Text(super::models::like_pattern(Some(t))), binds);
        sql += &format!(" AND lower(d.title) LIKE {p} ESCAPE '\\'");
    }
    for (value, op, column) in [
        (f.started_from, ">=", "d.created_at"),
        (f.started_to, "<=", "d.created_at"),
        (f.ended_from, ">=", END),
        (f.ended_to, "<=", END),
    ] {
        if let Some(v) = value {
            let p = next(Bind::Time(v), binds);
            sql += &format!(" AND {column} {op} {p}");
        }
    }
    if let Some(u) = f.init_user {
        sql += &format!(" AND d.creator_id = {}", next(Bind::Int(u), binds));
    }
    if let Some(g) = f.init_unit {
        sql += &format!(" AND cu.department_id = {}", next(Bind::Int(g), binds));
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
    /// The cases the viewer sees that match `filter`, sorted and paged; with the count of
    /// all that match.
    pub async fn process_instances(
        &self,
        org: OrgId,
        viewer: Viewer,
        filter: &InstanceFilter,
        page: PageRequest,
    ) -> Result<(i64, Vec<ProcessInstance>)> {
        let mut binds = vec![
            Bind::Int(org.0),
            Bind::Int(viewer.user_id()),
            Bind::Bool(viewer.sees_all()),
        ];
        let cond = conditions(filter, &mut binds);
        let dir = if filter.ascending { "ASC" } else { "DESC" };
        let count_sql = format!("{HELD} SELECT COUNT(*) {FROM}{cond}");
        let n = binds.len();
        let list_sql = format!(
            "{HELD} {SELECT} {FROM}{cond} ORDER BY {} {dir}, d.id {dir} LIMIT ${} OFFSET ${}",
            filter.order.column(),
            n + 1,
            n + 2
        );
        let (count, rows): (i64, Vec<Row>) = read!(self, |db| {
            let count: i64 = bind_all!(sqlx::query_scalar(&count_sql), &binds)
                .fetch_one(db)
                .await?;
            let rows: Vec<Row> = bind_all!(sqlx::query_as(&list_sql), &binds)
                .bind(page.limit)
                .bind(page.start)
                .fetch_all(db)
                .await?;
            (count, rows)
        });
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            out.push(self.instance_of(org, row, false).await?);
        }
        Ok((count, out))
    }

    /// One case the viewer sees, with its data unless the viewer may see only its progress.
    pub async fn process_instance(
        &self,
        org: OrgId,
        viewer: Viewer,
        id: DocId,
    ) -> Result<ProcessInstance> {
        let row = self.instance_row(org, viewer, id).await?;
        let with_data = viewer.sees_all()
            || viewer.user.is_some_and(|u| u.0 == row.creator_id)
            || self.takes_part(id, viewer.user).await?
            || self
                .process_authority_kinds(org, viewer, sluice_domain::FamilyId(row.family_id))
                .await?
                .iter()
                .any(|k| *k != ProcessAuthorityKind::ProgressViewer);
        self.instance_of(org, row, with_data).await
    }

    /// The listed cases the viewer sees, in the order given, each with its routing state
    /// (and its data with `with_data`).
    pub(crate) async fn process_instances_by_id(
        &self,
        org: OrgId,
        viewer: Viewer,
        ids: &[i64],
        with_data: bool,
    ) -> Result<Vec<(ProcessInstance, String)>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "{HELD} {SELECT} {FROM} AND d.id IN ({})",
            crate::identity::placeholders(4, ids.len())
        );
        let rows: Vec<Row> = read!(self, |db| {
            let mut q = sqlx::query_as(&sql)
                .bind(org.0)
                .bind(viewer.user_id())
                .bind(viewer.sees_all());
            for id in ids {
                q = q.bind(*id);
            }
            q.fetch_all(db).await?
        });
        let mut by_id: HashMap<i64, Row> = rows.into_iter().map(|r| (r.id, r)).collect();
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(row) = by_id.remove(id) {
                let route = row.route.clone();
                out.push((self.instance_of(org, row, with_data).await?, route));
            }
        }
        Ok(out)
    }

    async fn instance_row(&self, org: OrgId, viewer: Viewer, id: DocId) -> Result<Row> {
        let sql = format!("{HELD} {SELECT} {FROM} AND d.id = $4");
        let row: Option<Row> = read!(self, |db| {
            sqlx::query_as(&sql)
                .bind(org.0)
                .bind(viewer.user_id())
                .bind(viewer.sees_all())
                .bind(id.0)
                .fetch_optional(db)
                .await?
        });
        row.ok_or_else(|| Error::not_found("Process", id).into())
    }

    async fn takes_part(&self, id: DocId, user: Option<UserId>) -> Result<bool> {
        let Some(user) = user else { return Ok(false) };
        Ok(read!(self, |db| {
            scalar_i64!(
                db,
                "SELECT COUNT(*) FROM document_participants WHERE doc_id = $1 AND user_id = $2",
                id.0,
                user.0
            )
        }) > 0)
    }

    /// The row as Questetra shows it: node names and field names from the (cached)
    /// definition of its version.
    async fn instance_of(&self, org: OrgId, row: Row, with_data: bool) -> Result<ProcessInstance> {
        let def = self.definition(org, WorkflowId(row.workflow_id)).await?;
        let corrupt = |what: &str| {
            crate::Error::Unexpected(anyhow::anyhow!("document {} has a corrupt {what}", row.id))
        };
        let route: Route = serde_json::from_str(&row.route).map_err(|_| corrupt("route"))?;
        let names: HashMap<_, _> = def.nodes.iter().map(|n| (n.id, &n.spec.note)).collect();
        let state = ProcessState::of_status(&row.status);
        // A stopped case keeps its routing state; it waits nowhere.
        let active_nodes = route
            .current()
            .filter(|_| state == ProcessState::Started)
            .filter_map(|(id, _)| names.get(id).map(|n| n.to_string()))
            .collect();
        let errors = route
            .nodes
            .iter()
            .filter_map(|(id, run)| {
                let message = run.error.clone()?;
                let name = names.get(id).map(|n| n.to_string()).unwrap_or_default();
                Some((id.0, name, message))
            })
            .collect();
        let data = if with_data {
            let content: FieldContent =
                serde_json::from_str(&row.field_content).map_err(|_| corrupt("field_content"))?;
            Some(
                def.fields
                    .iter()
                    .filter(|f| f.is_active)
                    .enumerate()
                    .map(|(i, f)| ProcessDatum {
                        field_id: f.id.0,
                        name: f.name.clone(),
                        data_type: f.data_type.code(),
                        view_order: i,
                        value: content.get(&f.id).map_or(Value::Null, |v| json!(v)),
                    })
                    .collect(),
            )
        } else {
            None
        };
        Ok(ProcessInstance {
            id: DocId(row.id),
            family_id: row.family_id,
            family_name: row.family_name,
            workflow_id: WorkflowId(row.workflow_id),
            version: row.version,
            title: row.title,
            serial: row.serial,
            state,
            creator_id: row.creator_id,
            creator_name: row.creator_name,
            creator_unit_id: row.creator_unit_id,
            creator_unit_name: row.creator_unit_name,
            started_at: row.created_at,
            ended_at: match state {
                ProcessState::Started => None,
                _ => Some(row.completed_at.unwrap_or(row.last_time)),
            },
            starred: row.starred,
            active_nodes,
            data,
            errors,
        })
    }

    /// Puts the user's star on a case they see, or takes it off (either is idempotent).
    pub async fn star_process_instance(
        &self,
        org: OrgId,
        viewer: Viewer,
        id: DocId,
        on: bool,
    ) -> Result<()> {
        let Some(user) = viewer.user else {
            return Err(Error::invalid("Stars belong to users; sign in as a user.").into());
        };
        self.instance_row(org, viewer, id).await?;
        write_tx!(self, |tx| {
            let sql = if on {
                "INSERT INTO process_stars (user_id, doc_id) VALUES ($1, $2) ON CONFLICT DO NOTHING"
            } else {
                "DELETE FROM process_stars WHERE user_id = $1 AND doc_id = $2"
            };
            sqlx::query(sql)
                .bind(user.0)
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }

    /// Whether the viewer may stop or delete any case of the family: the client, system
    /// administrators, app administrators and process managers.
    async fn manages(&self, org: OrgId, viewer: Viewer, family: i64) -> Result<bool> {
        Ok(self
            .process_authority_kinds(org, viewer, sluice_domain::FamilyId(family))
            .await?
            .iter()
            .any(|k| k.manages()))
    }

    /// Stops a running case: its creator cancels it as `document/cancel` does; a manager
    /// (who may not be its creator) cancels it for the creator the same way, logged as a
    /// `cancel` by the manager (by the creator, with `stopped_by` "client", for the
    /// organization's client).
    pub async fn stop_process_instance(&self, org: OrgId, viewer: Viewer, id: DocId) -> Result<()> {
        let row = self.instance_row(org, viewer, id).await?;
        if row.status != "processing" {
            return Err(Error::conflict(format!("Process {id} is not running.")).into());
        }
        let actor = |u: i64| crate::documents::Actor::new(UserId(u), None);
        if let Some(u) = viewer.user.filter(|u| u.0 == row.creator_id) {
            return self.cancel_document(org, id, actor(u.0)).await;
        }
        if !self.manages(org, viewer, row.family_id).await? {
            return Err(Error::Forbidden(format!(
                "Only the starter of process {id} or a process manager may stop it."
            ))
            .into());
        }
        let (user, detail) = match viewer.user {
            Some(u) => (u.0, json!({})),
            None => (row.creator_id, json!({"stopped_by": "client"})),
        };
        self.cancel_document_for_creator(org, id, actor(user), detail)
            .await
    }

    /// Deletes a case with everything it has: its starter while nobody else has signed,
    /// CC'd or replied, or a manager at any time.
    pub async fn delete_process_instance(
        &self,
        org: OrgId,
        viewer: Viewer,
        id: DocId,
    ) -> Result<()> {
        let row = self.instance_row(org, viewer, id).await?;
        let allowed = if self.manages(org, viewer, row.family_id).await? {
            true
        } else if viewer.user.is_some_and(|u| u.0 == row.creator_id) {
            let others = read!(self, |db| {
                scalar_i64!(
                    db,
                    "SELECT (SELECT COUNT(*) FROM signatures WHERE doc_id = $1 AND \
                 (user_id <> $2 OR login_user_id <> $2)) + \
                 (SELECT COUNT(*) FROM document_ccs WHERE doc_id = $1)",
                    id.0,
                    row.creator_id
                )
            });
            others == 0
        } else {
            false
        };
        if !allowed {
            return Err(Error::Forbidden(format!(
                "Process {id} may be deleted by its starter while no one else has taken part, \
                 or by a process manager."
            ))
            .into());
        }
        write_tx!(self, |tx| {
            sqlx::query("DELETE FROM documents WHERE org_id = $1 AND id = $2")
                .bind(org.0)
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }
}
