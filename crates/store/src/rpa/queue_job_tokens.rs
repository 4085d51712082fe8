//! Job tokens: how a running bot process reads and writes queues. When a bot claims a job,
//! the server issues a random token (`slu_job_...`, 256 bits) and keeps its SHA-256 on the
//! job row; the agent hands it to the process (`SLUICE_JOB_TOKEN`). The queue endpoints,
//! and only they, accept it as a bearer token acting for the job's requester in the job's
//! tenant, while the job runs. See docs/bot-protocol.md.

use crate::oauth::Principal;
use crate::{secrets, Result, Store};

/// The prefix of every job token, so secret scanners recognise a leaked one.
pub const JOB_TOKEN_PREFIX: &str = "slu_job";

/// A new job token and the hash stored on the job row.
pub(crate) fn new_job_token() -> (String, String) {
    let token = secrets::generate_token(JOB_TOKEN_PREFIX);
    let hash = secrets::hash_key(&token);
    (token, hash)
}

/// Whether a bearer value is a job token (and so only for the queue endpoints).
pub fn is_job_token(token: &str) -> bool {
    token
        .strip_prefix(JOB_TOKEN_PREFIX)
        .is_some_and(|rest| rest.starts_with('_'))
}

impl Store {
    /// Issues a new token for a claimed job whose claim is handed out again (its first
    /// answer may have been lost with the token): the old token stops working.
    pub(crate) async fn reissue_job_token(&self, job_seq: i64) -> Result<String> {
        let (token, hash) = new_job_token();
        write_tx!(self, |tx| {
            sqlx::query("UPDATE rpa_jobs SET job_token_hash = $2 WHERE seq = $1 AND status = 3")
                .bind(job_seq)
                .bind(&hash)
                .execute(&mut *tx)
                .await?;
        });
        Ok(token)
    }

    /// The principal a job token acts as: the job's requester in the job's tenant, while the
    /// job runs. `None` for an unknown token, a job no longer running, or a requester who
    /// was deleted or made inactive.
    pub async fn principal_for_job_token(&self, token: &str) -> Result<Option<Principal>> {
        if !is_job_token(token) || token.len() > 200 {
            return Ok(None);
        }
        let hash = secrets::hash_key(token);
        let row: Option<(i64, Option<i64>)> = read!(self, |db| {
            sqlx::query_as(
                "SELECT org_id, user_id FROM rpa_jobs WHERE job_token_hash = $1 AND status = 3",
            )
            .bind(&hash)
            .fetch_optional(db)
            .await?
        });
        let Some((org, Some(user))) = row else {
            return Ok(None);
        };
        match self.principal(org, Some(user), None, None).await {
            Ok(p) => Ok(Some(p)),
            Err(crate::Error::Domain(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }
}
