//! Documents (cases). Each command is one transaction: load the document (locked on
//! PostgreSQL; SQLite has one writer), let the engine decide, look up what it asks for,
//! then write the document, its signature or CC, its participants and its log together. A
//! write that finds the version changed under it answers "Outdated Document Version".

mod access;
mod commands;
mod create_paths;
mod deadlines;
mod definitions;
mod drafts;
mod inline;
mod lookups;
mod messages;
mod offers;
mod reads;
mod records;
mod serials;
mod service_calls;

pub use commands::{check_title, NewDocument};
pub(crate) use definitions::DefinitionCache;
pub use messages::{ServiceCall, MAX_IDEMPOTENCY_KEY_CHARS};
pub use reads::{DocumentFilter, DocumentView};
pub use records::{
    CcRecord, DocumentRecord, DocumentSummary, LogRecord, SignatureDetail, SignatureRecord,
};
pub(crate) use serials::SerialBlocks;

use sluice_domain::UserId;

/// Who does something: the user acted as, and who actually does it (a delegate, or the
/// same user).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub user: UserId,
    pub delegate: UserId,
}

impl Actor {
    /// `user`, done by `delegate` when one is given.
    pub fn new(user: UserId, delegate: Option<UserId>) -> Self {
        Actor {
            user,
            delegate: delegate.unwrap_or(user),
        }
    }
}

impl crate::Store {
    /// Both users of an actor must be active users of the organization.
    pub(crate) async fn check_actor(
        &self,
        org: sluice_domain::OrgId,
        actor: Actor,
    ) -> crate::Result<()> {
        read!(self, |db| {
            let mut conn = db.acquire().await?;
            check_actor!(conn, org, actor);
        });
        Ok(())
    }
}

/// An actor's users ($2, $3) in organization $1, with whether they are active.
pub(crate) const ACTOR_SQL: &str =
    "SELECT id, is_active FROM users WHERE org_id = $1 AND id IN ($2, $3)";

/// Both users of an actor must be active users of the organization.
macro_rules! check_actor {
    ($ex:expr, $org:expr, $actor:expr) => {{
        let actor: $crate::documents::Actor = $actor;
        let rows: Vec<(i64, bool)> = sqlx::query_as($crate::documents::ACTOR_SQL)
            .bind($org.0)
            .bind(actor.user.0)
            .bind(actor.delegate.0)
            .fetch_all(&mut *$ex)
            .await?;
        $crate::documents::actor_found(&rows, actor)?;
    }};
}

/// `SELECT id, is_active FROM users` rows of an actor's users: both must be there, active.
pub(crate) fn actor_found(rows: &[(i64, bool)], actor: Actor) -> crate::Result<()> {
    for id in [actor.user, actor.delegate] {
        match rows.iter().find(|(i, _)| *i == id.0) {
            None => return Err(sluice_domain::Error::not_found("User", id).into()),
            Some((_, false)) => {
                return Err(
                    sluice_domain::Error::Forbidden(format!("User {id} is inactive.")).into(),
                )
            }
            Some(_) => {}
        }
    }
    Ok(())
}
pub(crate) use check_actor;
