//! Which days a rule runs on, as an RFC 5545 rule expanded by the `rrule` crate over local
//! wall-clock times, and where to start expanding for a given time (`rebase`).

use chrono::{Datelike, Days, Months, NaiveDate, NaiveDateTime, Weekday};
use rrule::{Frequency, NWeekday, RRule, Tz};

/// The days of a rule. Every period (day, week, month) of a repeating rule holds at least
/// one occurrence, which `rebase` relies on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Pattern {
    /// No `freq`: the start only.
    Once,
    Daily {
        interval: u32,
    },
    /// `days`: the selected weekdays, Sunday first, sorted, not empty.
    Weekly {
        interval: u32,
        days: Vec<Weekday>,
    },
    Monthly {
        interval: u32,
        on: MonthlyOn,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MonthlyOn {
    /// "D": the start's day of the month; a 29th, 30th or 31st falls on the last day of a
    /// shorter month (as Outlook does; RFC 5545 alone would skip that month).
    Date(u32),
    /// "W": the n-th (1..=4) given weekday of the month, or the last one (-1) when the start
    /// is a 5th weekday (a month with only four has no 5th; its last is what users mean).
    Weekday(i16, Weekday),
}

/// Where expansion starts: the first local time of a period (the start itself in the first
/// period) and how many occurrences the periods before it held (for COUNT).
pub(crate) struct Rebase {
    pub(crate) from: NaiveDateTime,
    pub(crate) skipped: u64,
}

impl Pattern {
    /// The expansion from the period that contains local day `day` (or from the start when
    /// `day` is before it). None when the period lies beyond chrono's calendar.
    pub(crate) fn rebase(&self, start: NaiveDateTime, day: NaiveDate) -> Option<Rebase> {
        let elapsed = (day - start.date()).num_days();
        if elapsed <= 0 {
            return self.period(start, 0);
        }
        let elapsed = elapsed as u64;
        let period = match self {
            Pattern::Once => 0,
            Pattern::Daily { interval } => elapsed / u64::from(*interval),
            Pattern::Weekly { interval, .. } => {
                let weeks = (elapsed + u64::from(start.weekday().num_days_from_sunday())) / 7;
                weeks / u64::from(*interval)
            }
            Pattern::Monthly { interval, .. } => {
                let months = i64::from(day.year() - start.year()) * 12 + i64::from(day.month0())
                    - i64::from(start.month0());
                months.max(0) as u64 / u64::from(*interval)
            }
        };
        self.period(start, period)
    }

    /// The expansion from the period that holds occurrence `n` (0 = the first).
    pub(crate) fn rebase_to_occurrence(&self, start: NaiveDateTime, n: u64) -> Option<Rebase> {
        let period = match self {
            Pattern::Once => 0,
            Pattern::Daily { .. } | Pattern::Monthly { .. } => n,
            Pattern::Weekly { days, .. } => {
                let first_week = first_week_len(start, days);
                if n < first_week {
                    0
                } else {
                    1 + (n - first_week) / days.len() as u64
                }
            }
        };
        self.period(start, period)
    }

    /// Where period `p` (0 = the start's) begins, and how many occurrences came before it:
    /// one per day or month; in weeks, those of the start's week on or after its day, then
    /// all the selected days of each later week.
    fn period(&self, start: NaiveDateTime, p: u64) -> Option<Rebase> {
        if p == 0 {
            return Some(Rebase {
                from: start,
                skipped: 0,
            });
        }
        match self {
            Pattern::Once => None,
            Pattern::Daily { interval } => Some(Rebase {
                from: start.checked_add_days(Days::new(p.checked_mul(u64::from(*interval))?))?,
                skipped: p,
            }),
            Pattern::Weekly { interval, days } => {
                // Weeks begin on Sunday (Brity's #1), also for counting every N weeks.
                let first_sunday = start.date().checked_sub_days(Days::new(u64::from(
                    start.weekday().num_days_from_sunday(),
                )))?;
                let days_on = p.checked_mul(u64::from(*interval))?.checked_mul(7)?;
                Some(Rebase {
                    from: first_sunday
                        .checked_add_days(Days::new(days_on))?
                        .and_time(start.time()),
                    skipped: first_week_len(start, days) + (p - 1) * days.len() as u64,
                })
            }
            Pattern::Monthly { interval, .. } => {
                let months = u32::try_from(p.checked_mul(u64::from(*interval))?).ok()?;
                Some(Rebase {
                    from: start
                        .date()
                        .with_day(1)?
                        .checked_add_months(Months::new(months))?
                        .and_time(start.time()),
                    skipped: p,
                })
            }
        }
    }

    /// The occurrences from `from` on (local times), at most `count` of them.
    pub(crate) fn expand(
        &self,
        from: NaiveDateTime,
        count: Option<u32>,
    ) -> Box<dyn Iterator<Item = NaiveDateTime>> {
        let (freq, interval) = match self {
            Pattern::Once => return Box::new(std::iter::once(from)),
            Pattern::Daily { interval } => (Frequency::Daily, *interval),
            Pattern::Weekly { interval, .. } => (Frequency::Weekly, *interval),
            Pattern::Monthly { interval, .. } => (Frequency::Monthly, *interval),
        };
        // Local wall-clock times are expanded in UTC, a zone where none is skipped or
        // doubled; `Zone::resolve` places them on the time line afterwards.
        let mut rule = RRule::new(freq)
            .interval(u16::try_from(interval).unwrap_or(u16::MAX))
            .week_start(Weekday::Sun);
        match self {
            Pattern::Weekly { days, .. } => {
                rule = rule.by_weekday(days.iter().map(|d| NWeekday::Every(*d)).collect());
            }
            Pattern::Monthly {
                on: MonthlyOn::Date(day),
                ..
            } if *day > 28 => {
                // The last of 28..=day that the month has: the day itself, or the month's end.
                rule = rule
                    .by_month_day((28..=*day as i8).collect())
                    .by_set_pos(vec![-1]);
            }
            Pattern::Monthly {
                on: MonthlyOn::Date(day),
                ..
            } => rule = rule.by_month_day(vec![*day as i8]),
            Pattern::Monthly {
                on: MonthlyOn::Weekday(n, weekday),
                ..
            } => rule = rule.by_weekday(vec![NWeekday::Nth(*n, *weekday)]),
            _ => {}
        }
        if let Some(count) = count {
            rule = rule.count(count);
        }
        match rule.build(from.and_utc().with_timezone(&Tz::UTC)) {
            Ok(set) => Box::new((&set).into_iter().map(|t| t.naive_utc())),
            // Only a rule `Recurrence::parse` did not check could fail here; it has no runs.
            Err(_) => Box::new(std::iter::empty()),
        }
    }
}

/// How many selected days of the start's week are on or after the start's day.
fn first_week_len(start: NaiveDateTime, days: &[Weekday]) -> u64 {
    let from = start.weekday().num_days_from_sunday();
    days.iter()
        .filter(|d| d.num_days_from_sunday() >= from)
        .count() as u64
}
