//! Anniversaries: the organization's calendar of named days, some of them rest days that
//! reservations may skip (Brity's `/scheduler/api/v1/anniversary`). The fields are checked by
//! `sluice_domain::schedule::anniversary`; reservations read the rest days through
//! [`Store::rest_days`], and every change of the calendar has the reservations that skip rest
//! days worked out again (`reschedule_rest_days`).

use crate::{Error, Result, Store};
use chrono::{DateTime, Days, NaiveDate, Utc};
use sluice_domain::schedule::anniversary::AnniversaryFields;
use sluice_domain::schedule::RestDays;
use sluice_domain::{OrgId, UserId};

/// A stored anniversary.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Anniversary {
    /// `AN_` and 32 hex digits.
    pub id: String,
    pub title: String,
    pub day: NaiveDate,
    pub kind: i32,
    pub is_rest_day: bool,
    pub offset_minutes: i32,
}

impl Anniversary {
    fn fields(&self) -> AnniversaryFields {
        AnniversaryFields {
            title: self.title.clone(),
            day: self.day,
            kind: self.kind,
            rest_day: self.is_rest_day,
            offset_minutes: self.offset_minutes,
        }
    }
}

/// A change to an anniversary: the fields given; `None` keeps the stored value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AnniversaryPatch {
    pub title: Option<String>,
    pub day: Option<NaiveDate>,
    pub kind: Option<i32>,
    pub rest_day: Option<bool>,
    pub offset_minutes: Option<i32>,
}

impl AnniversaryPatch {
    /// The fields of `row` with this patch applied (not yet checked).
    fn applied_to(&self, row: &Anniversary) -> AnniversaryFields {
        AnniversaryFields {
            title: self.title.clone().unwrap_or_else(|| row.title.clone()),
            day: self.day.unwrap_or(row.day),
            kind: self.kind.unwrap_or(row.kind),
            rest_day: self.rest_day.unwrap_or(row.is_rest_day),
            offset_minutes: self.offset_minutes.unwrap_or(row.offset_minutes),
        }
    }
}

/// A write of the calendar.
enum Change<'a> {
    /// New fields (checked) and who adds them.
    Add(AnniversaryFields, Option<UserId>),
    /// Anniversary `id` and what changes.
    Fix(&'a str, AnniversaryPatch),
}

/// What an add or fix came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnniversaryWrite {
    Done(Anniversary),
    /// No such anniversary in the organization.
    NotFound,
    /// The organization has an anniversary of this title on this day already.
    Duplicate,
}

/// Filters of the list; `None` is no filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AnniversaryFilter {
    /// Days from (inclusive).
    pub from: Option<NaiveDate>,
    /// Days up to (inclusive).
    pub to: Option<NaiveDate>,
    /// Part of the title, without regard to case.
    pub title: Option<String>,
    pub kind: Option<i32>,
}

const COLUMNS: &str = "id, title, day, kind, is_rest_day, offset_minutes";

/// A new anniversary id: `AN_` and 32 hex digits, as Brity's.
fn new_id() -> String {
    format!("AN_{}", uuid::Uuid::new_v4().simple())
}

/// `text` made safe for `LIKE … ESCAPE '\'`, folded as the backend's `lower()` folds
/// (PostgreSQL every letter, SQLite ASCII letters only), between `%`s.
fn like_anywhere(text: &str, full_unicode: bool) -> String {
    let folded = if full_unicode {
        text.to_lowercase()
    } else {
        text.to_ascii_lowercase()
    };
    let mut p = String::with_capacity(folded.len() + 2);
    p.push('%');
    for c in folded.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

fn invalid(e: sluice_domain::schedule::RuleError) -> Error {
    Error::Domain(sluice_domain::Error::invalid(e.message))
}

impl Store {
    /// A page of the organization's anniversaries, by day (then id), and how many match.
    pub async fn anniversary_page(
        &self,
        org: OrgId,
        filter: &AnniversaryFilter,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<Anniversary>, i64)> {
        // One SQL text for every combination: absent filters are NULL. The index
        // (org_id, day) serves the tenant, the day range and the order.
        let sql_where = "WHERE org_id = $1 \
             AND ($2 IS NULL OR day >= $2) \
             AND ($3 IS NULL OR day <= $3) \
             AND ($4 IS NULL OR lower(title) LIKE $4 ESCAPE '\\') \
             AND ($5 IS NULL OR kind = $5)";
        let count_sql = format!("SELECT COUNT(*) FROM rpa_anniversaries {sql_where}");
        let page_sql = format!(
            "SELECT {COLUMNS} FROM rpa_anniversaries {sql_where} ORDER BY day, id LIMIT $6 OFFSET $7"
        );
        let title = filter
            .title
            .as_deref()
            .map(|t| like_anywhere(t, self.is_postgres()));
        macro_rules! bind_filters {
            ($q:expr) => {
                $q.bind(org.0)
                    .bind(filter.from)
                    .bind(filter.to)
                    .bind(title.clone())
                    .bind(filter.kind)
            };
        }
        Ok(read!(self, |db| {
            let total: i64 = bind_filters!(sqlx::query_scalar(&count_sql))
                .fetch_one(db)
                .await?;
            let rows: Vec<Anniversary> = if limit == 0 || offset >= total {
                Vec::new()
            } else {
                bind_filters!(sqlx::query_as(&page_sql))
                    .bind(limit)
                    .bind(offset)
                    .fetch_all(db)
                    .await?
            };
            (rows, total)
        }))
    }

    /// Adds an anniversary.
    pub async fn add_anniversary(
        &self,
        org: OrgId,
        by: Option<UserId>,
        fields: AnniversaryFields,
    ) -> Result<AnniversaryWrite> {
        let fields = fields.checked().map_err(invalid)?;
        let (written, _) = self.write_anniversary(org, Change::Add(fields, by)).await?;
        self.calendar_changed(org, &written, None).await;
        Ok(written)
    }

    /// Changes the fields `patch` gives of anniversary `id` (the others keep their value).
    pub async fn fix_anniversary(
        &self,
        org: OrgId,
        id: &str,
        patch: AnniversaryPatch,
    ) -> Result<AnniversaryWrite> {
        let (written, before) = self.write_anniversary(org, Change::Fix(id, patch)).await?;
        self.calendar_changed(org, &written, before.as_ref()).await;
        Ok(written)
    }

    /// Deletes anniversary `id`; `None` when there is none.
    pub async fn delete_anniversary(&self, org: OrgId, id: &str) -> Result<Option<Anniversary>> {
        let deleted: Option<Anniversary> = write_tx!(self, |tx| {
            sqlx::query_as(&format!(
                "DELETE FROM rpa_anniversaries WHERE org_id = $1 AND id = $2 RETURNING {COLUMNS}"
            ))
            .bind(org.0)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
        });
        if let Some(before) = &deleted {
            if before.is_rest_day {
                self.reschedule_after_calendar_change(org).await;
            }
        }
        Ok(deleted)
    }

    /// Anniversary `id` of the organization.
    pub async fn anniversary(&self, org: OrgId, id: &str) -> Result<Option<Anniversary>> {
        Ok(read!(self, |db| {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM rpa_anniversaries WHERE org_id = $1 AND id = $2"
            ))
            .bind(org.0)
            .bind(id)
            .fetch_optional(db)
            .await?
        }))
    }

    /// The organization's rest days (anniversaries with restDayYn = Y) that may cover any
    /// instant of `from`..=`to`: one indexed query. A day covers its whole day in its own
    /// offset (up to 14 hours from UTC), hence the day on either side.
    pub async fn rest_days(
        &self,
        org: OrgId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<RestDays> {
        if from > to {
            return Ok(RestDays::default());
        }
        let first = from.date_naive().checked_sub_days(Days::new(1));
        let last = to.date_naive().checked_add_days(Days::new(1));
        let rows: Vec<(NaiveDate, i32)> = read!(self, |db| {
            sqlx::query_as(
                "SELECT day, offset_minutes FROM rpa_anniversaries \
                 WHERE org_id = $1 AND day >= $2 AND day <= $3 AND is_rest_day",
            )
            .bind(org.0)
            .bind(first.unwrap_or(from.date_naive()))
            .bind(last.unwrap_or(to.date_naive()))
            .fetch_all(db)
            .await?
        });
        Ok(RestDays::new(rows))
    }

    /// Adds or fixes an anniversary in one transaction; also answers the row as it was.
    async fn write_anniversary(
        &self,
        org: OrgId,
        change: Change<'_>,
    ) -> Result<(AnniversaryWrite, Option<Anniversary>)> {
        let now = self.clock().now();
        let lock = self.row_lock();
        let outcome = async {
            Ok(write_tx!(self, |tx| {
                let (id, fields, by, before) = match &change {
                    Change::Add(fields, by) => (new_id(), fields.clone(), *by, None),
                    Change::Fix(id, patch) => {
                        let row: Option<Anniversary> = sqlx::query_as(&format!(
                            "SELECT {COLUMNS} FROM rpa_anniversaries WHERE org_id = $1 AND id = $2{lock}"
                        ))
                        .bind(org.0)
                        .bind(id)
                        .fetch_optional(&mut *tx)
                        .await?;
                        let Some(row) = row else {
                            return Ok((AnniversaryWrite::NotFound, None));
                        };
                        let fields = patch.applied_to(&row).checked().map_err(invalid)?;
                        if fields == row.fields() {
                            return Ok((AnniversaryWrite::Done(row.clone()), Some(row)));
                        }
                        (id.to_string(), fields, None, Some(row))
                    }
                };
                // Checked first for a clear answer; the unique index settles races.
                let taken: Option<i32> = sqlx::query_scalar(
                    "SELECT 1 FROM rpa_anniversaries WHERE org_id = $1 AND day = $2 \
                     AND lower(title) = lower($3) AND id <> $4",
                )
                .bind(org.0)
                .bind(fields.day)
                .bind(&fields.title)
                .bind(&id)
                .fetch_optional(&mut *tx)
                .await?;
                if taken.is_some() {
                    return Ok((AnniversaryWrite::Duplicate, before));
                }
                let row: Anniversary = if before.is_none() {
                    sqlx::query_as(&format!(
                        "INSERT INTO rpa_anniversaries (id, org_id, title, day, kind, is_rest_day, \
                         offset_minutes, created_by, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING {COLUMNS}"
                    ))
                    .bind(&id)
                    .bind(org.0)
                    .bind(&fields.title)
                    .bind(fields.day)
                    .bind(fields.kind)
                    .bind(fields.rest_day)
                    .bind(fields.offset_minutes)
                    .bind(by.map(|u| u.0))
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await?
                } else {
                    sqlx::query_as(&format!(
                        "UPDATE rpa_anniversaries SET title = $3, day = $4, kind = $5, \
                         is_rest_day = $6, offset_minutes = $7, updated_at = $8 \
                         WHERE org_id = $2 AND id = $1 RETURNING {COLUMNS}"
                    ))
                    .bind(&id)
                    .bind(org.0)
                    .bind(&fields.title)
                    .bind(fields.day)
                    .bind(fields.kind)
                    .bind(fields.rest_day)
                    .bind(fields.offset_minutes)
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await?
                };
                (AnniversaryWrite::Done(row), before)
            }))
        }
        .await;
        match outcome {
            // Another writer took the title on that day between the check and the write.
            Err(Error::Domain(sluice_domain::Error::DuplicateName)) => {
                Ok((AnniversaryWrite::Duplicate, None))
            }
            other => other,
        }
    }

    /// After a write: reservations that skip rest days work out their next run again when a
    /// rest day came, went or moved.
    async fn calendar_changed(
        &self,
        org: OrgId,
        written: &AnniversaryWrite,
        before: Option<&Anniversary>,
    ) {
        let AnniversaryWrite::Done(after) = written else {
            return;
        };
        let rest_before = before.filter(|b| b.is_rest_day).map(Anniversary::fields);
        let rest_after = after.is_rest_day.then(|| after.fields());
        let moved = |f: &AnniversaryFields| (f.day, f.offset_minutes);
        if rest_before.as_ref().map(moved) != rest_after.as_ref().map(moved) {
            self.reschedule_after_calendar_change(org).await;
        }
    }

    async fn reschedule_after_calendar_change(&self, org: OrgId) {
        // The anniversary is written; a failure here leaves stored next runs as they were,
        // and the scheduler still checks the calendar when each run is due.
        if let Err(e) = self.reschedule_rest_days(org).await {
            tracing::error!(error = ?e, org = org.0, "reservations could not be rescheduled after a calendar change");
        }
    }
}
