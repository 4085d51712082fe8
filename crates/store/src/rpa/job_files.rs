//! Result files a bot uploads while it runs a job (`.png`/`.jpg` ones are the job's images,
//! which Brity's result-file download and callbacks deliver). Kept 30 days, as Brity does.

use super::bots::{now_ms, BotAuth};
use super::dispatch::JobUpdate;
use crate::{Result, Store};
use chrono::{DateTime, Utc};
use sluice_domain::{Error, OrgId};

/// Largest file a bot may upload.
pub const MAX_FILE_BYTES: usize = 20 * 1024 * 1024;
/// Most files one job may have.
pub const MAX_FILES_PER_JOB: i64 = 100;
/// How long result files are kept.
pub const FILE_RETENTION_DAYS: i64 = 30;

/// A stored result file.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct JobFile {
    pub name: String,
    pub content_type: String,
    pub content: Vec<u8>,
    pub created_at: DateTime<Utc>,
}

/// A file name as a bot may give it: a plain name, no folders.
pub fn file_name(name: &str) -> std::result::Result<String, Error> {
    let n = name.trim();
    let bad = n.is_empty()
        || n.chars().count() > 255
        || n == "."
        || n == ".."
        || n.chars().any(|c| c == '/' || c == '\\' || c.is_control());
    if bad {
        return Err(Error::invalid(
            "name must be a plain file name (1 to 255 characters, no folders).",
        ));
    }
    Ok(n.to_string())
}

/// The content type of a file by its extension, and whether it is one of the job's images.
pub fn content_type(name: &str) -> (&'static str, bool) {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "png" => ("image/png", true),
        "jpg" | "jpeg" => ("image/jpeg", true),
        "gif" => ("image/gif", false),
        "txt" | "log" => ("text/plain", false),
        "csv" => ("text/csv", false),
        "json" => ("application/json", false),
        "pdf" => ("application/pdf", false),
        _ => ("application/octet-stream", false),
    }
}

impl Store {
    /// Stores (or replaces) result file `name` of `bot`'s running job.
    pub async fn add_job_file(
        &self,
        bot: &BotAuth,
        job_id: &str,
        name: &str,
        content: &[u8],
    ) -> Result<JobUpdate> {
        let name = file_name(name)?;
        if content.len() > MAX_FILE_BYTES {
            return Err(
                Error::invalid(format!("A file may be at most {MAX_FILE_BYTES} bytes.")).into(),
            );
        }
        let (ctype, is_image) = content_type(&name);
        let now = now_ms();
        let stored = write_tx!(self, |tx| {
            // An upload acknowledges the claim too (docs/bot-protocol.md, jobs/next).
            let running: Option<i64> = sqlx::query_scalar(
                "UPDATE rpa_jobs SET claim_acked = TRUE \
                 WHERE org_id = $1 AND id = $2 AND bot_id = $3 AND status = 3 RETURNING seq",
            )
            .bind(bot.org_id)
            .bind(job_id)
            .bind(&bot.id)
            .fetch_optional(&mut *tx)
            .await?;
            if running.is_none() {
                return Ok(false);
            }
            let files: i64 = scalar_i64!(
                &mut *tx,
                "SELECT COUNT(*) FROM rpa_job_files WHERE job_id = $1 AND name <> $2",
                job_id,
                &name
            );
            if files >= MAX_FILES_PER_JOB {
                return Err(Error::invalid(format!(
                    "A job may have at most {MAX_FILES_PER_JOB} files."
                ))
                .into());
            }
            sqlx::query(
                "INSERT INTO rpa_job_files (org_id, job_id, name, content_type, is_image, size, \
                 content, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                 ON CONFLICT (job_id, name) DO UPDATE SET content_type = excluded.content_type, \
                 is_image = excluded.is_image, size = excluded.size, content = excluded.content, \
                 created_at = excluded.created_at",
            )
            .bind(bot.org_id)
            .bind(job_id)
            .bind(&name)
            .bind(ctype)
            .bind(is_image)
            .bind(content.len() as i64)
            .bind(content)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            true
        });
        if stored {
            Ok(JobUpdate::Done)
        } else {
            self.why_not_running(bot, job_id).await
        }
    }

    /// The job's image (the last one uploaded), if it has one.
    pub async fn job_image(&self, org: OrgId, job_id: &str) -> Result<Option<JobFile>> {
        Ok(read!(self, |db| {
            sqlx::query_as(
                "SELECT name, content_type, content, created_at FROM rpa_job_files \
                 WHERE org_id = $1 AND job_id = $2 AND is_image ORDER BY created_at DESC, id DESC LIMIT 1",
            )
            .bind(org.0)
            .bind(job_id)
            .fetch_optional(db)
            .await?
        }))
    }

    /// Deletes result files older than the retention period; returns how many.
    pub async fn purge_job_files(&self) -> Result<u64> {
        let cutoff = now_ms() - chrono::Duration::days(FILE_RETENTION_DAYS);
        Ok(write_tx!(self, |tx| {
            sqlx::query("DELETE FROM rpa_job_files WHERE created_at < $1")
                .bind(cutoff)
                .execute(&mut *tx)
                .await?
                .rows_affected()
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_types() {
        assert!(file_name("shot.png").is_ok());
        for bad in ["", "..", "a/b.png", "a\\b", "x\u{0}y"] {
            assert!(file_name(bad).is_err(), "{bad:?}");
        }
        assert_eq!(content_type("A.PNG"), ("image/png", true));
        assert_eq!(content_type("a.jpeg"), ("image/jpeg", true));
        assert_eq!(content_type("report"), ("application/octet-stream", false));
    }
}
