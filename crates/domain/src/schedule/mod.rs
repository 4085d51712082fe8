//! Recurrence of Brity reservations (scheduled jobs): the rule a reservation states, checked
//! and expanded into occurrences over an IANA time zone, with rest days (anniversaries)
//! skipped. Pure: the store loads the rule and the rest days, this decides the times.
//! See docs/dialects/brity.md, "Reservations: recurrence".
//!
//! How it works: the rule is expanded by the `rrule` crate (RFC 5545) over *local wall-clock
//! times* (computed in a zone without daylight saving, so no local time is ever skipped),
//! and each local time is then placed on the time line by [`zone::Zone::resolve`] with a
//! fixed policy for times that do not exist or exist twice. Expansion starts from the
//! period just before the time asked about (`rebase`), never from the start of the rule, so
//! finding the next run costs the same in the rule's first week as in its hundredth year.

pub mod anniversary;
mod pattern;
mod recurrence;
mod rest_days;
mod rule;
mod zone;

#[cfg(test)]
mod tests;

pub use recurrence::Recurrence;
pub use rest_days::RestDays;

/// The rule fields of a reservation as Brity sends them (already extracted from JSON; the
/// HTTP layer turns "" into None and "1" into 1).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RuleSpec {
    /// `startDt`, RFC 3339 with offset; required.
    pub start: String,
    /// `freq`: DAILY | WEEKLY | MONTHLY (any case); None = runs once at `start`.
    pub freq: Option<String>,
    /// `freqInterval`: every N days/weeks/months (default 1).
    pub freq_interval: Option<u32>,
    /// `condition`: weekly "#2#3#4" (#1 = Sunday); monthly "D" (date) | "W" (weekday).
    pub condition: Option<String>,
    /// `endType`: UNTIL | COUNT (any case); None = no end (or the one of until/count given).
    pub end_type: Option<String>,
    /// `count`: how many occurrences (days) before the rule ends.
    pub count: Option<u32>,
    /// `until`: "2022-01-22" (a date: inclusive, the whole day in the rule's zone) or RFC 3339.
    pub until: Option<String>,
    /// (`timeRepeatInterval` h, `timeRepeatPeriod` h) when `timeRepeatYn` = Y.
    pub time_repeat: Option<(u32, u32)>,
    /// `timeZone` (Sluice extension): IANA name; None = the fixed offset of `start`.
    pub time_zone: Option<String>,
    /// `notIncludeHolidayYn` = Y: no run on a rest day.
    pub skip_rest_days: bool,
}

/// A rule that cannot be scheduled: `field` is the Brity field name (e.g. "freqInterval"),
/// `message` says what is wrong in words a client can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct RuleError {
    pub field: &'static str,
    pub message: String,
}

impl RuleError {
    pub(crate) fn new(field: &'static str, message: impl Into<String>) -> Self {
        RuleError {
            field,
            message: message.into(),
        }
    }
}

/// Limits of a rule, public so the HTTP layer and the docs can quote them.
pub mod limits {
    /// `freqInterval` is 1..=MAX_INTERVAL.
    pub const MAX_INTERVAL: u32 = 999;
    /// `count` is 1..=MAX_COUNT.
    pub const MAX_COUNT: u32 = 9_999;
    /// `timeRepeatInterval` and `timeRepeatPeriod` are 1..=MAX_REPEAT_HOURS.
    pub const MAX_REPEAT_HOURS: u32 = 24;
    /// Longest accepted text of any rule field (dates, names, conditions).
    pub const MAX_FIELD_LEN: usize = 64;
    /// No occurrence is produced after the last day of this year.
    pub const LAST_YEAR: i32 = 9999;
    /// `next_after` passes at most this many rest-day intervals before it gives up and
    /// treats the rule as having no further run (see docs).
    pub const MAX_REST_SKIPS: usize = 10_000;
}
