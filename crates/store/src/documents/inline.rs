//! The reads of document submit and create on SQLite, on the request's thread (see
//! `crate::inline`): the same SQL as the macros that serve PostgreSQL.

use super::access::{fold_grants, GRANTS_SQL};
use super::lookups::{
    supervisors, supervisors_sql, users_sql, DEPARTMENT_SQL, GROUP_MEMBERS_SQL, RANK_LEVEL_SQL,
    USER_LEVEL_SQL,
};
use super::records::{CcRecord, CcRow, DocRow, DocumentRecord, CC_COLUMNS, DOC_COLUMNS};
use super::{actor_found, Actor, ACTOR_SQL};
use crate::inline::{all, first, time, time_req};
use crate::Result;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, ToSql};
use sluice_domain::engine::{Case, Definition, Found, Lookup, Moves};
use sluice_domain::workflow::Grants;
use sluice_domain::{DocId, Error, FamilyId, OrgId, UserId};

/// Both users of the actor are active users of the organization (`check_actor!`).
pub(crate) fn check_actor(conn: &Connection, org: OrgId, actor: Actor) -> Result<()> {
    let args: [&dyn ToSql; 3] = [&org.0, &actor.user.0, &actor.delegate.0];
    let rows = all(conn, ACTOR_SQL, &args, |r| Ok((r.get(0)?, r.get(1)?)))?;
    actor_found(&rows, actor)
}

/// A document and its CCs (`load_case!`, without a lock).
pub(crate) fn load_case(
    conn: &Connection,
    org: OrgId,
    doc: DocId,
) -> Result<(DocumentRecord, Vec<CcRecord>)> {
    let sql = format!("SELECT {DOC_COLUMNS} FROM documents WHERE org_id = $1 AND id = $2");
    let row = first(conn, &sql, &[&org.0, &doc.0], |r| {
        Ok(DocRow {
            id: r.get(0)?,
            org_id: r.get(1)?,
            workflow_id: r.get(2)?,
            family_id: r.get(3)?,
            title: r.get(4)?,
            serial: r.get(5)?,
            creator_id: r.get(6)?,
            status: r.get(7)?,
            version: r.get(8)?,
            field_content: r.get(9)?,
            route: r.get(10)?,
            created_at: time_req(r, 11)?,
            last_time: time_req(r, 12)?,
            completed_at: time(r, 13)?,
            cc_count: r.get(14)?,
        })
    })?;
    let row = row.ok_or_else(|| Error::not_found("Document", doc))?;
    let ccs: Vec<CcRecord> = if row.cc_count == 0 {
        Vec::new()
    } else {
        let sql = format!("SELECT {CC_COLUMNS} FROM document_ccs WHERE doc_id = $1 ORDER BY id");
        all(conn, &sql, &[&doc.0], |r| {
            Ok(CcRow {
                id: r.get(0)?,
                doc_id: r.get(1)?,
                node_id: r.get(2)?,
                from_user_id: r.get(3)?,
                to_user_id: r.get(4)?,
                parent_cc_id: r.get(5)?,
                reply_required: r.get(6)?,
                is_complete: r.get(7)?,
                comment: r.get(8)?,
                reply_comment: r.get(9)?,
                sender_version: r.get(10)?,
                receiver_version: r.get(11)?,
                created_at: time_req(r, 12)?,
                replied_at: time(r, 13)?,
            })
        })?
        .into_iter()
        .map(CcRecord::from)
        .collect()
    };
    let record = row.into_record(ccs.iter().map(CcRecord::state).collect())?;
    Ok((record, ccs))
}

/// What `user` may do on the documents of `family` (`grants!`).
pub(crate) fn grants(
    conn: &Connection,
    org: OrgId,
    family: FamilyId,
    user: UserId,
) -> Result<Grants> {
    let rows = all(conn, GRANTS_SQL, &[&family.0, &user.0, &org.0], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
    })?;
    Ok(fold_grants(rows))
}

/// Looks up every responsible-user question the engine has, then settles the case
/// (`resolve_case!`).
pub(crate) fn resolve_case(
    conn: &Connection,
    org: OrgId,
    def: &Definition,
    case: &mut Case,
    moves: &mut Moves,
    now: DateTime<Utc>,
) -> Result<()> {
    loop {
        let pending = case.unresolved(def);
        if pending.is_empty() {
            break;
        }
        for (node, l) in pending {
            let found = lookup(conn, org, l)?;
            case.resolve(def, node, found, now, moves);
        }
    }
    case.settle(now);
    Ok(())
}

/// Answers one of the engine's directory questions (`lookup!`).
fn lookup(conn: &Connection, org: OrgId, lookup: Lookup) -> Result<Found> {
    let ids = |sql: &str, args: &[&dyn ToSql]| -> Result<Found> {
        let ids = all(conn, sql, args, |r| r.get(0))?;
        Ok(Found::Users(ids.into_iter().map(UserId).collect()))
    };
    match lookup {
        Lookup::Users(users) if users.is_empty() => Ok(Found::Users(Vec::new())),
        Lookup::Users(users) => {
            let mut args: Vec<&dyn ToSql> = vec![&org.0];
            args.extend(users.iter().map(|u| &u.0 as &dyn ToSql));
            ids(&users_sql(users.len()), &args)
        }
        Lookup::Department(d) => ids(DEPARTMENT_SQL, &[&org.0, &d.0]),
        Lookup::Group(g) => ids(GROUP_MEMBERS_SQL, &[&org.0, &g.0]),
        Lookup::Supervisors { of, rank } => {
            let level: Option<Option<i64>> =
                first(conn, USER_LEVEL_SQL, &[&org.0, &of.0], |r| r.get(0))?;
            let required: Option<i64> =
                first(conn, RANK_LEVEL_SQL, &[&org.0, &rank.0], |r| r.get(0))?;
            let heads = all(conn, supervisors_sql(), &[&of.0], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?;
            Ok(supervisors(of, level.flatten(), required, heads))
        }
    }
}
