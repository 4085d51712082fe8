//! The fast ways of writing a new case, for versions without deadlines or service calls
//! (which rewrite side tables and take the general path, `insert_case!`): on SQLite the
//! whole write on the request's thread (`Writer::run_inline`), on PostgreSQL one statement
//! of data-modifying CTEs, which needs no BEGIN/COMMIT around it. Both write exactly what
//! `insert_case!` writes; the API tests run every create through them.

use super::commands::{create_statements_sqlite, NewCase};
use crate::group_commit::Writer;
use crate::identity::users_units::unit_row;
use crate::identity::{UserRow, DEPT_SELECT, USER_COLUMNS};
use crate::inline::{execute_all, first, sql_time};
use crate::Result;
use chrono::{DateTime, Utc};
use sluice_domain::engine::{Case, Definition};
use sluice_domain::identity::{Department, Rank, User};
use sluice_domain::workflow::{check_can_create_documents, Grants, Workflow};
use sluice_domain::{DocId, Error, FamilyId, OrgId, UserId};
use sqlx::PgConnection;
use std::collections::HashMap;
use std::sync::Arc;

/// The version's family, state and name (`version_row!`, which adds PostgreSQL's shared
/// lock: a concurrent workflow/delete or inactivation waits for the new case).
pub(super) const CREATE_WORKFLOW: &str = "SELECT w.family_id, w.is_active, w.is_hidden, f.name \
    FROM workflows w JOIN workflow_families f ON f.id = w.family_id \
    WHERE w.org_id = $1 AND w.id = $2";
/// The next serial number of the day (SQLite; PostgreSQL reserves blocks, `serials`).
pub(super) const CREATE_SERIAL: &str = "INSERT INTO document_serials (org_id, day, last) \
    VALUES ($1, $2, 1) ON CONFLICT (org_id, day) DO UPDATE SET last = document_serials.last + 1 \
    RETURNING last";
/// The document row; `$11` is both its creation and last time.
pub(super) const CREATE_DOCUMENT: &str = "INSERT INTO documents (org_id, workflow_id, \
    family_id, title, serial, creator_id, status, version, field_content, route, created_at, \
    last_time, completed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12) \
    RETURNING id";

/// `CREATE_WORKFLOW`'s row: family, active, hidden, name.
pub(super) type VersionRow = (i64, bool, bool, String);

/// The version as it is now, from `CREATE_WORKFLOW`'s row (family, flags and name; a
/// cached definition does not follow them).
pub(super) fn version_of(def: &Definition, row: Option<VersionRow>) -> Option<Workflow> {
    row.map(|(family, is_active, is_hidden, name)| Workflow {
        family_id: FamilyId(family),
        is_active,
        is_hidden,
        name,
        ..def.workflow.clone()
    })
}

/// The version a document is created in, from `CREATE_WORKFLOW`'s row, if it may be.
pub(super) fn creating_in(def: &Definition, row: Option<VersionRow>) -> Result<Workflow> {
    let Some(workflow) = version_of(def, row) else {
        return Err(Error::not_found("Workflow", def.workflow.id).into());
    };
    check_can_create_documents(&workflow)?;
    Ok(workflow)
}

/// SQLite: reads the version and lets `admit` judge it (`creating_in` for a create),
/// counts the serial, writes the document and everything `create_batch_sql` writes, then
/// runs `then` with the new id (anything else the same write must do, in its savepoint), all
/// on this thread. Sets the case's id.
#[allow(clippy::too_many_arguments)]
pub(super) async fn create_inline(
    writer: &Arc<Writer>,
    org: OrgId,
    def: &Definition,
    case: &mut Case,
    new: &NewCase<'_>,
    now: DateTime<Utc>,
    admit: impl FnOnce(&Definition, Option<VersionRow>) -> Result<Workflow>,
    then: impl FnOnce(&rusqlite::Connection, i64) -> Result<()>,
) -> Result<(Workflow, String)> {
    let versions = !case.content.is_empty();
    let statements = create_statements_sqlite(new.participants.len(), versions);
    let content = serde_json::to_string(&case.content).map_err(anyhow::Error::from)?;
    let route = serde_json::to_string(&case.route).map_err(anyhow::Error::from)?;
    let at = sql_time(&now);
    let completed_at = case.completed_at.as_ref().map(sql_time);
    let view: &Case = case;
    let (workflow, serial, id) = writer
        .run_inline(|c| {
            let row = first(c, CREATE_WORKFLOW, &[&org.0, &def.workflow.id.0], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })?;
            let workflow = admit(def, row)?;
            let day = super::serials::day(now);
            let seq: i64 = first(c, CREATE_SERIAL, &[&org.0, &day], |r| r.get(0))?
                .ok_or_else(|| anyhow::anyhow!("no serial returned"))?;
            let serial = super::serials::format(&day, seq);
            let id: i64 = first(
                c,
                CREATE_DOCUMENT,
                &[
                    &org.0,
                    &workflow.id.0,
                    &workflow.family_id.0,
                    &new.title,
                    &serial,
                    &new.actor.user.0,
                    &view.status.code(),
                    &view.version,
                    &content,
                    &route,
                    &at,
                    &completed_at,
                ],
                |r| r.get(0),
            )?
            .ok_or_else(|| anyhow::anyhow!("no document id returned"))?;
            let detail = new.detail(id).to_string();
            let mut args: Vec<&dyn rusqlite::ToSql> = vec![
                &id,
                &new.actor.user.0,
                &new.actor.delegate.0,
                &view.version,
                &detail,
                &at,
                &new.log_kind,
            ];
            for (user, acting, read) in &new.participants {
                args.extend([&user.0 as &dyn rusqlite::ToSql, acting, read]);
            }
            if versions {
                args.push(&content);
            }
            execute_all(c, &statements, &args)?;
            then(c, id)?;
            Ok((workflow, serial, id))
        })
        .await?;
    case.id = DocId(id);
    Ok((workflow, serial))
}

/// What a create answers besides the new id (set on the case).
pub(super) struct Created {
    pub workflow: Workflow,
    /// The creator's permissions.
    pub grants: Grants,
    /// The users the answer shows (`shown`), with their departments (and those
    /// departments' parents) and ranks.
    pub users: HashMap<UserId, User>,
    pub departments: Vec<Department>,
    pub ranks: Vec<Rank>,
}

/// PostgreSQL: the whole create as one statement with the reserved `serial`, which also
/// checks the actor (both users active) and the creator's permission and reads the users
/// of the answer (`shown`, which holds the actor's): the document is written only if all
/// is well, and the errors are told as the checks read first elsewhere would tell them.
/// Sets the case's id.
#[allow(clippy::too_many_arguments)]
pub(super) async fn create_checked(
    conn: &mut PgConnection,
    org: OrgId,
    def: &Definition,
    case: &mut Case,
    new: &NewCase<'_>,
    serial: &str,
    now: DateTime<Utc>,
    shown: &[UserId],
) -> Result<Created> {
    use sqlx::{FromRow, Row};
    let sql = create_statement_postgres(new.participants.len(), !case.content.is_empty());
    let shown: Vec<i64> = shown.iter().map(|u| u.0).collect();
    let mut q = sqlx::query(&sql)
        .bind(org.0)
        .bind(def.workflow.id.0)
        .bind(new.title)
        .bind(serial)
        .bind(new.actor.user.0)
        .bind(new.actor.delegate.0)
        .bind(case.status.code())
        .bind(case.version)
        .bind(serde_json::to_string(&case.content).map_err(anyhow::Error::from)?)
        .bind(serde_json::to_string(&case.route).map_err(anyhow::Error::from)?)
        .bind(now)
        .bind(case.completed_at)
        .bind(new.log_detail.to_string())
        .bind(new.log_kind)
        .bind(def.workflow.family_id.0)
        .bind(shown);
    for (user, acting, read) in &new.participants {
        q = q.bind(user.0).bind(*acting).bind(*read);
    }
    let rows = q.fetch_all(conn).await?;
    let mut users = HashMap::new();
    let (mut grants, mut departments, mut ranks) = (Grants::default(), Vec::new(), Vec::new());
    for row in &rows {
        if row.try_get::<String, _>("kind")? != "u" {
            unit_row(row, &mut departments, &mut ranks)?;
            continue;
        }
        let flag = |column: &str| -> Result<bool> {
            Ok(row.try_get::<Option<bool>, _>(column)?.unwrap_or(false))
        };
        grants = Grants {
            creatable: flag("creatable")?,
            visible: flag("visible")?,
            revokable: flag("revokable")?,
            revivable: flag("revivable")?,
        };
        let user = User::from(UserRow::from_row(row)?);
        users.insert(user.id, user);
    }
    let found: Vec<(i64, bool)> = users
        .values()
        .map(|u: &User| (u.id.0, u.is_active))
        .collect();
    super::actor_found(&found, new.actor)?;
    super::commands::check_creatable(&grants, new.actor, def.workflow.id)?;
    // Every row carries the version row (NULL when there is none) and the new id.
    let (mut version, mut id) = (None, None);
    if let Some(r) = rows.first() {
        if let Some(family) = r.try_get::<Option<i64>, _>("w_family")? {
            let (active, hidden) = (r.try_get("w_active")?, r.try_get("w_hidden")?);
            version = Some((family, active, hidden, r.try_get("w_name")?));
        }
        id = r.try_get::<Option<i64>, _>("doc_id")?;
    }
    let workflow = creating_in(def, version)?;
    let id = id.ok_or_else(|| anyhow::anyhow!("document not inserted"))?;
    case.id = DocId(id);
    Ok(Created {
        workflow,
        grants,
        users,
        departments,
        ranks,
    })
}

/// The statement of `create_checked`. Its parameters: $1 organization, $2 version, $3 title,
/// $4 serial, $5 creator, $6 delegate, $7 status, $8 version number, $9 field content, $10
/// route, $11 time, $12 completion time, $13 log detail (without the document), $14 log
/// kind, $15 family, $16 the users to show, then three per participant row (user, acting,
/// read version).
///
/// It reads the users to show (`a`), the creator's permissions (`g`) and whether both of
/// the actor's users are active (`ok`), and the version row under a shared lock (`w`: a
/// concurrent workflow/delete or inactivation waits for the new case); only if the actor
/// may create in an active version does it write the document, its log entry, participants
/// and field history. It answers the users' rows (kind `u`, with the permissions), their
/// departments with parents (`d`) and ranks (`r`), each row with the version row (`w_…`,
/// NULL for no version) and the new document's id (NULL when it was not written).
fn create_statement_postgres(participants: usize, versions: bool) -> String {
    let rows: Vec<String> = (0..participants)
        .map(|i| {
            let k = 17 + 3 * i;
            format!("(${k}::BIGINT, ${}::BOOLEAN, ${}::BIGINT)", k + 1, k + 2)
        })
        .collect();
    let mut ctes = vec![
        format!("a AS (SELECT {USER_COLUMNS} FROM users WHERE org_id = $1 AND id = ANY($16))"),
        format!("g AS ({CREATOR_GRANTS})"),
        "ok AS (SELECT COUNT(*) = CASE WHEN $5::BIGINT = $6::BIGINT THEN 1 ELSE 2 END AS ok          FROM a WHERE a.id IN ($5, $6) AND a.is_active)"
            .to_string(),
        format!("w AS ({CREATE_WORKFLOW} FOR SHARE OF w)"),
        "d AS (INSERT INTO documents (org_id, workflow_id, family_id, title, serial, creator_id, \
         status, version, field_content, route, created_at, last_time, completed_at) \
         SELECT $1, $2, w.family_id, $3, $4, $5, $7, $8, $9, $10, $11, $11, $12 FROM w, g, ok \
         WHERE w.is_active AND g.creatable AND ok.ok RETURNING id)"
            .to_string(),
        "l AS (INSERT INTO document_logs (doc_id, user_id, delegated_user_id, action, kind, \
         detail, created_at) SELECT d.id, $5, $6, 'create', $14, \
         ($13::JSONB || jsonb_build_object('document', jsonb_build_object('__id__', d.id)))::TEXT, \
         $11 FROM d)"
            .to_string(),
        format!(
            "p AS (INSERT INTO document_participants (doc_id, user_id, is_current, \
             read_version) SELECT d.id, v.u, v.c, v.r FROM d, (VALUES {}) AS v (u, c, r))",
            rows.join(", ")
        ),
    ];
    if versions {
        ctes.push(
            "v AS (INSERT INTO document_versions (doc_id, version, field_content) \
             SELECT d.id, $8, $9 FROM d)"
                .to_string(),
        );
    }
    format!(
        "WITH {} SELECT x.*, w.family_id AS w_family, w.is_active AS w_active, \
         w.is_hidden AS w_hidden, w.name AS w_name, d.id AS doc_id FROM ({}) x \
         LEFT JOIN w ON TRUE LEFT JOIN d ON TRUE",
        ctes.join(", "),
        shown_users_sql()
    )
}

/// The creator's permissions on family `$15` (user `$5` of organization `$1`), folded like
/// `GRANTS_SQL`; one row whatever matches.
const CREATOR_GRANTS: &str = concat!(
    "SELECT bool_or(p.is_creatable) AS creatable, bool_or(p.is_visible) AS visible, ",
    "bool_or(p.is_revokable) AS revokable, bool_or(p.is_revivable) AS revivable ",
    "FROM workflow_permissions p JOIN users u ON u.id = $5 AND u.org_id = $1 ",
    "WHERE p.family_id = $15 AND ",
    super::access::subject_matches!("p")
);

/// The rows `create_checked` reads: kind `u` (the users of `a`, with the permissions of
/// `g`), `d` (their departments and those departments' parents) and `r` (their ranks), in
/// one shape: each kind's columns are those its row type reads, the others NULL.
fn shown_users_sql() -> String {
    format!(
        "SELECT 'u' AS kind, a.id, a.org_id, NULL::TEXT AS name, NULL::BIGINT AS parent_id, \
         a.is_active, a.client_extra, NULL::BIGINT AS head_id, NULL::TEXT AS head_login, \
         NULL::TEXT AS head_display_name, NULL::BIGINT AS level, a.login, a.display_name, \
         a.email, a.is_external, a.is_admin, a.rank_id, a.department_id, g.creatable, \
         g.visible, g.revokable, g.revivable FROM a, g \
         UNION ALL SELECT 'd', d.id, d.org_id, d.name, d.parent_id, d.is_active, \
         d.client_extra, d.head_id, d.head_login, d.head_display_name, NULL, NULL, NULL, NULL, \
         NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM ({DEPT_SELECT}) d \
         WHERE d.org_id = $1 AND (d.id IN (SELECT department_id FROM a) OR d.id IN \
         (SELECT p.parent_id FROM departments p WHERE p.id IN (SELECT department_id FROM a))) \
         UNION ALL SELECT 'r', r.id, r.org_id, r.name, NULL, r.is_active, r.client_extra, \
         NULL, NULL, NULL, r.level, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, \
         NULL FROM ranks r WHERE r.org_id = $1 AND r.id IN (SELECT rank_id FROM a)"
    )
}
