//! Daily serial numbers of documents ("Process-20171210-00001"), per organization.
//!
//! On SQLite the counter row is bumped inside the creating transaction: one writer, exact and
//! gapless. On PostgreSQL that row would serialize every create of an organization behind
//! the previous one's commit, so each instance reserves blocks of numbers in a short
//! transaction of its own and hands them out from memory: numbers stay unique and rise
//! within an instance, but may leave gaps (a restart, a create that fails, several
//! instances). See docs/dialects/omnibpm.md.

use crate::{Result, Store};
use chrono::{DateTime, Utc};
use sluice_domain::OrgId;
use std::collections::HashMap;
use std::sync::Mutex;

/// Numbers reserved at a time on PostgreSQL (one reservation per this many creates).
const BLOCK: i64 = 128;

/// Reserved, unused numbers: (organization, day) to (next, last).
#[derive(Default)]
pub(crate) struct SerialBlocks {
    blocks: Mutex<HashMap<(i64, String), (i64, i64)>>,
    /// Held while a block is reserved: the creates that find the block used up at the same
    /// moment wait for that one reservation instead of each reserving (and queueing on the
    /// counter row, one commit after another, which made the slowest creates' latency).
    refill: tokio::sync::Mutex<()>,
}

impl SerialBlocks {
    fn take(&self, key: &(i64, String)) -> Option<i64> {
        let mut blocks = self.blocks.lock().ok()?;
        let (next, last) = blocks.get_mut(key)?;
        if *next > *last {
            return None;
        }
        *next += 1;
        Some(*next - 1)
    }

    fn put(&self, key: (i64, String), first: i64, last: i64) {
        if let Ok(mut blocks) = self.blocks.lock() {
            // Yesterday's blocks are of no use any more.
            blocks.retain(|(_, day), _| *day >= key.1);
            // Two reservations raced: keep the later block, so numbers only rise.
            if blocks.get(&key).is_some_and(|(_, held)| *held > last) {
                return;
            }
            blocks.insert(key, (first, last));
        }
    }
}

/// The serial's text.
pub(crate) fn format(day: &str, n: i64) -> String {
    format!("Process-{day}-{n:05}")
}

/// The day part of a serial (UTC).
pub(crate) fn day(now: DateTime<Utc>) -> String {
    now.format("%Y%m%d").to_string()
}

impl Store {
    /// A serial number reserved ahead (PostgreSQL); `None` on SQLite, which counts inside
    /// the creating transaction.
    pub(crate) async fn reserved_serial(
        &self,
        org: OrgId,
        now: DateTime<Utc>,
    ) -> Result<Option<String>> {
        let pool = match &self.backend {
            crate::db::Backend::Sqlite { .. } => return Ok(None),
            crate::db::Backend::Postgres(pool) => pool,
        };
        let key = (org.0, day(now));
        if let Some(n) = self.serials.take(&key) {
            return Ok(Some(format(&key.1, n)));
        }
        let _refill = self.serials.refill.lock().await;
        if let Some(n) = self.serials.take(&key) {
            return Ok(Some(format(&key.1, n)));
        }
        let last: i64 = sqlx::query_scalar(
            "INSERT INTO document_serials (org_id, day, last) VALUES ($1, $2, $3) \
             ON CONFLICT (org_id, day) DO UPDATE SET last = document_serials.last + $3 \
             RETURNING last",
        )
        .bind(org.0)
        .bind(&key.1)
        .bind(BLOCK)
        .fetch_one(pool)
        .await?;
        let first = last - BLOCK + 1;
        self.serials.put(key.clone(), first + 1, last);
        Ok(Some(format(&key.1, first)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_hand_out_rising_numbers_and_keep_the_later_block() {
        let b = SerialBlocks::default();
        let key = (1, "20261123".to_string());
        assert_eq!(b.take(&key), None);
        b.put(key.clone(), 34, 64);
        // A slower, earlier reservation arrives after: it is not used.
        b.put(key.clone(), 2, 32);
        assert_eq!(b.take(&key), Some(34));
        assert_eq!(b.take(&key), Some(35));
        b.put((1, "20261124".to_string()), 1, 32);
        assert_eq!(b.take(&key), None, "yesterday's block is dropped");
        assert_eq!(format("20261123", 7), "Process-20261123-00007");
    }
}
