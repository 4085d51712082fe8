//! Task-form drafts (Questetra's `Workitem/Form/save` with `saveOnly`): a responsible user
//! writes field values without signing (`Case::save`), and the case's starter renames it.

use super::commands::{
    check_title, load_case, log_entry, micros_now, participant_changes, participants, persist_case,
    sync_deadlines, sync_service_calls, update_document,
};
use super::records::{CcRecord, CcRow, DocRow, CC_COLUMNS, DOC_COLUMNS};
use super::Actor;
use crate::{Result, Store};
use serde_json::json;
use sluice_domain::engine::{Case, Submission};
use sluice_domain::{DocId, Error, NodeId, OrgId, UserId};

/// Renames document `$doc` to `$title` in `$tx`, logged as a `change` (`title`) by `$actor`.
macro_rules! rename {
    ($tx:expr, $doc:expr, $actor:expr, $title:expr, $now:expr) => {{
        let title: &str = $title;
        sqlx::query("UPDATE documents SET title = $1 WHERE id = $2")
            .bind(title)
            .bind($doc.0)
            .execute(&mut *$tx)
            .await?;
        log_entry!(
            $tx,
            $doc,
            $actor,
            "change",
            "title",
            json!({"title": title}),
            $now
        );
    }};
}

/// Only the starter renames a case.
fn check_renamer(creator: UserId, actor: Actor, doc: DocId) -> Result<()> {
    if creator != actor.user {
        return Err(Error::Forbidden(format!(
            "Only the starter of document {doc} may change its title."
        ))
        .into());
    }
    Ok(())
}

impl Store {
    /// `actor` saves `values` on document `doc` without signing (only fields their current
    /// nodes make editable; required ones may stay empty), and renames it to `title` when
    /// given and changed (the starter only). Logged as a `save` (`draft`) with the fields
    /// written. Returns the new version.
    pub async fn save_draft(
        &self,
        org: OrgId,
        doc: DocId,
        actor: Actor,
        values: &Submission,
        title: Option<&str>,
    ) -> Result<i64> {
        let title = title.map(check_title).transpose()?;
        let now = micros_now();
        self.check_actor(org, actor).await?;
        Ok(write_tx!(self, |tx| {
            let (record, _) = load_case!(tx, self, org, doc);
            let mut case = record.case;
            let def = self.definition(org, case.workflow_id).await?;
            let before = case.clone();
            let fields = case.save(&def, actor.user, values)?;
            if let Some(t) = title.as_deref().filter(|t| *t != record.title) {
                check_renamer(case.creator, actor, doc)?;
                rename!(tx, doc, actor, t, now);
            }
            persist_case!(tx, def, &before, &case, now, Some(self));
            log_entry!(
                tx,
                case.id,
                actor,
                "save",
                "draft",
                json!({"fields": fields}),
                now
            );
            case.version
        }))
    }

    /// The starter renames document `doc` (in process or not); nothing is written when the
    /// title is the same.
    pub async fn rename_document(
        &self,
        org: OrgId,
        doc: DocId,
        actor: Actor,
        title: &str,
    ) -> Result<()> {
        let title = check_title(title)?;
        let now = micros_now();
        write_tx!(self, |tx| {
            let row: Option<(i64, String)> = sqlx::query_as(
                "SELECT creator_id, title FROM documents WHERE org_id = $1 AND id = $2",
            )
            .bind(org.0)
            .bind(doc.0)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((creator, old)) = row else {
                return Err(Error::not_found("Document", doc).into());
            };
            check_renamer(UserId(creator), actor, doc)?;
            if old != title {
                rename!(tx, doc, actor, &title, now);
            }
        });
        Ok(())
    }
}
