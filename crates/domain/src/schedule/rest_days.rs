//! Rest days (anniversaries with restDayYn = Y) as instants: each covers its whole day on the
//! wall clock of its own offset.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};

/// Rest days as UTC intervals: each anniversary with restDayYn = Y covers its whole day in
/// its own offset. Overlapping and adjacent days are merged, so a run of holidays is one
/// interval and skipping it is one step.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RestDays {
    /// Sorted, disjoint, not adjacent: [start, end).
    intervals: Vec<(DateTime<Utc>, DateTime<Utc>)>,
}

impl RestDays {
    /// `offset_minutes` is Brity's timezoneOffset (JavaScript convention: UTC+9 is -540).
    /// Days whose instants chrono cannot represent are left out.
    pub fn new(days: impl IntoIterator<Item = (NaiveDate, i32)>) -> Self {
        let mut intervals: Vec<_> = days
            .into_iter()
            .filter_map(|(day, offset_minutes)| {
                // Local midnight + offset = UTC (local = UTC - offset in this convention).
                let start = day
                    .and_hms_opt(0, 0, 0)?
                    .and_utc()
                    .checked_add_signed(TimeDelta::try_minutes(i64::from(offset_minutes))?)?;
                Some((start, start.checked_add_signed(TimeDelta::days(1))?))
            })
            .collect();
        intervals.sort_unstable();
        let mut merged: Vec<(DateTime<Utc>, DateTime<Utc>)> = Vec::with_capacity(intervals.len());
        for (start, end) in intervals {
            match merged.last_mut() {
                Some(last) if start <= last.1 => last.1 = last.1.max(end),
                _ => merged.push((start, end)),
            }
        }
        RestDays { intervals: merged }
    }

    /// Whether `t` falls on a rest day.
    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        self.end_of(t).is_some()
    }

    /// Whether there is no rest day at all.
    pub fn is_empty(&self) -> bool {
        self.intervals.is_empty()
    }

    /// The end of the rest days `t` falls in (the first instant after them), if it does.
    pub(crate) fn end_of(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let i = self.intervals.partition_point(|(start, _)| *start <= t);
        let (_, end) = self.intervals.get(i.checked_sub(1)?)?;
        (t < *end).then_some(*end)
    }
}
