//! The zone a rule's wall-clock times are read in, and the policy for local times that do not
//! exist (spring forward) or exist twice (fall back).

use chrono::{DateTime, FixedOffset, LocalResult, NaiveDateTime, TimeDelta, TimeZone, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Zone {
    /// The offset of `startDt` when no time zone is named: no daylight saving.
    Fixed(FixedOffset),
    Iana(chrono_tz::Tz),
}

impl Zone {
    /// The wall-clock time at `t` (always exactly one).
    pub(crate) fn to_local(self, t: DateTime<Utc>) -> NaiveDateTime {
        match self {
            Zone::Fixed(offset) => t.with_timezone(&offset).naive_local(),
            Zone::Iana(tz) => t.with_timezone(&tz).naive_local(),
        }
    }

    /// The instant a wall-clock time names. A time that exists twice is its first instance
    /// (RFC 5545 3.3.5; cron does the same). A time skipped by a change of offset is the
    /// instant the clocks jump (02:30 on a spring-forward day runs at 03:00, as cron runs it):
    /// later local times never map to earlier instants, so runs stay in order (02:00 and
    /// 03:00 of that day are one run at 03:00). None only outside chrono's range.
    pub(crate) fn resolve(self, local: NaiveDateTime) -> Option<DateTime<Utc>> {
        match self {
            Zone::Fixed(offset) => single(offset.from_local_datetime(&local)),
            Zone::Iana(tz) => match tz.from_local_datetime(&local) {
                LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
                LocalResult::Ambiguous(a, b) => Some(a.min(b).with_timezone(&Utc)),
                LocalResult::None => gap_end(tz, local),
            },
        }
    }
}

fn single(r: LocalResult<DateTime<FixedOffset>>) -> Option<DateTime<Utc>> {
    r.single().map(|t| t.with_timezone(&Utc))
}

/// The first instant whose wall-clock time is after `local`, a time inside a gap: a binary
/// search over the instants around it. Offsets lie within ±15 h and no gap is longer than
/// a day, so the instant is within ±40 h of `local` read as UTC.
fn gap_end(tz: chrono_tz::Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    let window = TimeDelta::hours(40).num_seconds();
    let guess = local.and_utc().timestamp();
    let after = |secs: i64| {
        DateTime::from_timestamp(secs, 0).map(|t| t.with_timezone(&tz).naive_local() > local)
    };
    // `lo`'s wall clock is before `local`, `hi`'s after it.
    let (mut lo, mut hi) = (guess - window, guess + window);
    if after(lo)? || !after(hi)? {
        return None; // not a gap this search understands; never expected
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if after(mid)? {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    DateTime::from_timestamp(hi, 0)
}
