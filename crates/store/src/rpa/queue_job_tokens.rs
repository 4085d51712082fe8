//! Job tokens: how a running bot process reads and writes queues. A claimed job's token is
//! `slu_job_` and an HMAC-SHA256 of the job id under a key derived from the server's secret
//! key, so only the server can make one, every instance makes the same, and a claim handed
//! out again carries the same token without the token being stored: the job row keeps its
//! SHA-256 (to find the job). The agent hands it to the process (`SLUICE_JOB_TOKEN`). The
//! queue endpoints, and only they, accept it as a bearer token acting for the job's
//! requester in the job's tenant, while the job runs. See docs/bot-protocol.md.

use crate::oauth::Principal;
use crate::{secrets, Result, Store};
use sha2::{Digest, Sha256};

/// The prefix of every job token, so secret scanners recognise a leaked one.
pub const JOB_TOKEN_PREFIX: &str = "slu_job";

/// HMAC-SHA256 (RFC 2104).
fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut block = [0u8; 64];
    if key.len() > block.len() {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let inner = Sha256::new()
        .chain_update(block.map(|b| b ^ 0x36))
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(block.map(|b| b ^ 0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}

/// The token of job `job_id`. The server's secret key also seals values at rest, so the
/// tokens get a key of their own derived from it.
pub(crate) fn job_token(secret_key: &[u8; 32], job_id: &str) -> String {
    let key = hmac_sha256(secret_key, b"sluice job token v1");
    format!(
        "{JOB_TOKEN_PREFIX}_{}",
        hex::encode(hmac_sha256(&key, job_id.as_bytes()))
    )
}

/// Whether a bearer value is a job token (and so only for the queue endpoints).
pub fn is_job_token(token: &str) -> bool {
    token
        .strip_prefix(JOB_TOKEN_PREFIX)
        .is_some_and(|rest| rest.starts_with('_'))
}

impl Store {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231() {
        // Test cases 2 and 6 (a key longer than the block).
        assert_eq!(
            hex::encode(hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(
            hex::encode(hmac_sha256(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn tokens_are_per_job_and_per_key() {
        let t = job_token(&[1; 32], "1626767500820-79937415-fa8f8e4e");
        assert!(is_job_token(&t) && t.len() == "slu_job_".len() + 64);
        assert_eq!(t, job_token(&[1; 32], "1626767500820-79937415-fa8f8e4e"));
        assert_ne!(t, job_token(&[1; 32], "1626767500820-79937415-fa8f8e4f"));
        assert_ne!(t, job_token(&[2; 32], "1626767500820-79937415-fa8f8e4e"));
        assert!(!is_job_token("slu_jobx") && !is_job_token("slu_pat_x"));
    }
}
