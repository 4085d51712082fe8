//! A checked rule and the runs it makes: its occurrences (days), each with its time repeats,
//! bounded by its end, with rest days skipped when asked.

use super::limits::{LAST_YEAR, MAX_REST_SKIPS};
use super::pattern::Pattern;
use super::rest_days::RestDays;
use super::rule::{self, End};
use super::zone::Zone;
use super::{RuleError, RuleSpec};
use chrono::{DateTime, Days, NaiveDate, NaiveDateTime, TimeDelta, Utc};

/// Runs of an occurrence may spill up to a day past it, and offset changes shift local
/// times by up to a day more: looking this many local days back from the time asked about
/// finds every run after it.
const LOOK_BACK_DAYS: u64 = 3;

/// A reservation's checked rule. Cheap to clone; every question about it is answered by
/// expanding a few periods around the time asked about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recurrence {
    start: DateTime<Utc>,
    /// `start` on the wall clock of `zone`: occurrences keep its time of day.
    start_local: NaiveDateTime,
    zone: Zone,
    pattern: Pattern,
    end: End,
    /// (every `.0` hours, for `.1` hours): runs at +0, +.0, … while < +.1 hours.
    repeat: Option<(u32, u32)>,
    skip_rest_days: bool,
    /// The first run, rest days aside (schDetStartDt).
    first: DateTime<Utc>,
}

impl Recurrence {
    /// Checks a rule; the error names the Brity field at fault. A rule that never runs (an
    /// `until` before its first weekday, say) is refused too.
    pub fn parse(spec: &RuleSpec) -> Result<Recurrence, RuleError> {
        let parts = rule::parse(spec)?;
        let mut recurrence = Recurrence {
            start: parts.start,
            start_local: parts.zone.to_local(parts.start),
            zone: parts.zone,
            pattern: parts.pattern,
            end: parts.end,
            repeat: parts.repeat,
            skip_rest_days: spec.skip_rest_days,
            first: parts.start,
        };
        recurrence.first = recurrence.run_after(None).ok_or_else(|| match parts.end {
            End::Until(_) => RuleError::new(
                "until",
                "The rule has no occurrence between startDt and until.",
            ),
            _ => RuleError::new(
                "startDt",
                format!(
                    "The rule has no occurrence before the year {}.",
                    LAST_YEAR + 1
                ),
            ),
        })?;
        Ok(recurrence)
    }

    /// `startDt`, as an instant.
    pub fn start(&self) -> DateTime<Utc> {
        self.start
    }

    /// The first run, rest days aside (schDetStartDt): the start itself, or the first
    /// selected day after it.
    pub fn first(&self) -> DateTime<Utc> {
        self.first
    }

    /// The UNTIL bound (schUntil), if the rule ends by date: the end of the until day
    /// (23:59:59 in the rule's zone), or the instant given.
    pub fn until(&self) -> Option<DateTime<Utc>> {
        match self.end {
            End::Until(until) => Some(until),
            _ => None,
        }
    }

    /// The COUNT bound, if the rule ends after a number of occurrences (days).
    pub fn count(&self) -> Option<u32> {
        match self.end {
            End::Count(count) => Some(count),
            _ => None,
        }
    }

    /// Whether runs on rest days are skipped (notIncludeHolidayYn = Y).
    pub fn skips_rest_days(&self) -> bool {
        self.skip_rest_days
    }

    /// The first occurrence strictly after `after` that is not on a rest day (when the rule
    /// skips rest days); None when the rule has ended. Each rest interval met costs one more
    /// look; after [`MAX_REST_SKIPS`] the rule is taken to have no further run.
    pub fn next_after(&self, after: DateTime<Utc>, rest: &RestDays) -> Option<DateTime<Utc>> {
        let mut after = after;
        for _ in 0..=MAX_REST_SKIPS {
            let run = self.run_after(Some(after))?;
            if !self.skip_rest_days {
                return Some(run);
            }
            match rest.end_of(run) {
                None => return Some(run),
                // Runs from the end of the rest days on (the end itself is not a rest day).
                Some(end) => after = end - TimeDelta::nanoseconds(1),
            }
        }
        None
    }

    /// The last occurrence (ignoring rest days), if the rule ends (schDetEndDt).
    pub fn last(&self) -> Option<DateTime<Utc>> {
        match self.end {
            End::Never if self.pattern != Pattern::Once => None,
            End::Never => self.last_until(horizon()),
            End::Until(until) => self.last_until(until.min(horizon())),
            End::Count(count) => {
                let rebase = self
                    .pattern
                    .rebase_to_occurrence(self.start_local, u64::from(count) - 1)?;
                let left = u64::from(count).checked_sub(rebase.skipped)?;
                let occurrence = self
                    .pattern
                    .expand(rebase.from, Some(u32::try_from(left).ok()?))
                    .last();
                match occurrence.and_then(|o| self.runs(o).last()) {
                    Some(run) if run <= horizon() => Some(run),
                    _ => self.last_until(horizon()), // counted past the calendar's end
                }
            }
        }
    }

    /// Tests' reference: the runs up to `through`, expanded from the start with no rebasing.
    #[cfg(test)]
    pub(super) fn reference_runs(&self, through: DateTime<Utc>) -> Vec<DateTime<Utc>> {
        let bound = self.bound().min(through);
        let mut runs: Vec<DateTime<Utc>> = Vec::new();
        'expand: for occurrence in self.pattern.expand(self.start_local, self.count()) {
            for run in self.runs(occurrence) {
                if run > bound {
                    break 'expand;
                }
                if runs.last().is_none_or(|last| run > *last) {
                    runs.push(run);
                }
            }
        }
        runs
    }

    /// The first run strictly after `after` (None: the first run of all), rest days aside.
    fn run_after(&self, after: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
        let day = match after {
            Some(after) if after >= self.start => {
                if after >= horizon() {
                    return None;
                }
                let local = self.zone.to_local(after).date();
                local.checked_sub_days(Days::new(LOOK_BACK_DAYS))?
            }
            _ => self.start_local.date(),
        };
        let bound = self.bound();
        for occurrence in self.occurrences_from(day)? {
            for run in self.runs(occurrence) {
                if run > bound {
                    return None;
                }
                if after.is_none_or(|after| run > after) {
                    return Some(run);
                }
            }
        }
        None
    }

    /// The last run at or before `bound`: expansion from the period of `bound`, or of an
    /// earlier one when that period's first run is after `bound`.
    fn last_until(&self, bound: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let mut day = self.zone.to_local(bound).date();
        // Every period holds an occurrence: the second period looked at always has one.
        for _ in 0..3 {
            let mut last = None;
            let from = self.pattern.rebase(self.start_local, day)?.from;
            'expand: for occurrence in self.occurrences_from(day)? {
                for run in self.runs(occurrence) {
                    if run > bound {
                        break 'expand;
                    }
                    last = Some(run);
                }
            }
            if last.is_some() || from <= self.start_local {
                return last;
            }
            day = from.date().checked_sub_days(Days::new(1))?;
        }
        None
    }

    /// The occurrences (local times) from the period holding local day `day` on, within the
    /// rule's COUNT.
    fn occurrences_from(&self, day: NaiveDate) -> Option<Box<dyn Iterator<Item = NaiveDateTime>>> {
        let rebase = self.pattern.rebase(self.start_local, day)?;
        let count = match self.end {
            End::Count(count) => match u64::from(count).checked_sub(rebase.skipped) {
                Some(left) if left > 0 => Some(u32::try_from(left).ok()?),
                _ => return None, // counted out before this period
            },
            _ => None,
        };
        Some(self.pattern.expand(rebase.from, count))
    }

    /// The runs of one occurrence, as instants in order: the occurrence, then its time
    /// repeats (wall-clock hours later, while within the period; the period's end excluded).
    fn runs(&self, occurrence: NaiveDateTime) -> impl Iterator<Item = DateTime<Utc>> + '_ {
        let (every, period) = self.repeat.unwrap_or((1, 1));
        (0..period).step_by(every as usize).map_while(move |hours| {
            let local = occurrence.checked_add_signed(TimeDelta::hours(i64::from(hours)))?;
            self.zone.resolve(local)
        })
    }

    /// The last instant a run may have: the UNTIL bound, and the end of year 9999.
    fn bound(&self) -> DateTime<Utc> {
        match self.end {
            End::Until(until) => until.min(horizon()),
            _ => horizon(),
        }
    }
}

/// No run after the end of year [`LAST_YEAR`] (UTC): far enough for any schedule, and the
/// calendar arithmetic below stays well inside chrono's range.
fn horizon() -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(LAST_YEAR, 12, 31)
        .and_then(|d| d.and_hms_opt(23, 59, 59))
        .map(|t| t.and_utc())
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}
