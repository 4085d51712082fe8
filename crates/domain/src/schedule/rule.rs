//! Checking a [`RuleSpec`] field by field into the parts of a [`Recurrence`], each refusal
//! naming the Brity field at fault.

use super::limits::{MAX_COUNT, MAX_FIELD_LEN, MAX_INTERVAL, MAX_REPEAT_HOURS};
use super::pattern::{MonthlyOn, Pattern};
use super::zone::Zone;
use super::{RuleError, RuleSpec};
use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc, Weekday};

/// How a rule ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum End {
    Never,
    /// The last instant a run may have (inclusive).
    Until(DateTime<Utc>),
    /// The number of occurrences (days); their time repeats belong to them.
    Count(u32),
}

/// A checked rule, before its first occurrence is looked for.
pub(crate) struct Parts {
    pub(crate) start: DateTime<Utc>,
    pub(crate) zone: Zone,
    pub(crate) pattern: Pattern,
    pub(crate) end: End,
    pub(crate) repeat: Option<(u32, u32)>,
}

pub(crate) fn parse(spec: &RuleSpec) -> Result<Parts, RuleError> {
    let start = text("startDt", Some(&spec.start))?.unwrap_or_default();
    if start.is_empty() {
        return Err(RuleError::new("startDt", "startDt is required."));
    }
    let start = DateTime::parse_from_rfc3339(start).map_err(|_| {
        RuleError::new(
            "startDt",
            "startDt must be a date and time with its offset, such as 2021-07-15T15:10:00+09:00.",
        )
    })?;
    // Whole seconds: rules are expanded to the second.
    let start = start.with_nanosecond(0).unwrap_or(start);
    let zone = match text("timeZone", spec.time_zone.as_ref())? {
        None | Some("") => Zone::Fixed(*start.offset()),
        Some(name) => Zone::Iana(name.parse().map_err(|_| {
            RuleError::new(
                "timeZone",
                format!("timeZone {name:?} is not an IANA time zone name such as Asia/Seoul."),
            )
        })?),
    };
    let start = start.with_timezone(&Utc);
    let start_local = zone.to_local(start);
    let pattern = pattern(spec, start_local)?;
    let end = if pattern == Pattern::Once {
        End::Never // a one-off run has no end condition to apply
    } else {
        end(spec, zone, start)?
    };
    let repeat = match spec.time_repeat {
        None => None,
        Some((interval, period)) => {
            let hours = 1..=MAX_REPEAT_HOURS;
            if !hours.contains(&interval) {
                return Err(RuleError::new(
                    "timeRepeatInterval",
                    format!("timeRepeatInterval must be a whole number of hours from 1 to {MAX_REPEAT_HOURS}."),
                ));
            }
            if !hours.contains(&period) {
                return Err(RuleError::new(
                    "timeRepeatPeriod",
                    format!("timeRepeatPeriod must be a whole number of hours from 1 to {MAX_REPEAT_HOURS}."),
                ));
            }
            if interval > period {
                return Err(RuleError::new(
                    "timeRepeatInterval",
                    "timeRepeatInterval must not be longer than timeRepeatPeriod.",
                ));
            }
            Some((interval, period))
        }
    };
    Ok(Parts {
        start,
        zone,
        pattern,
        end,
        repeat,
    })
}

fn pattern(spec: &RuleSpec, start: NaiveDateTime) -> Result<Pattern, RuleError> {
    let freq = text("freq", spec.freq.as_ref())?.unwrap_or_default();
    if freq.is_empty() {
        return Ok(Pattern::Once);
    }
    let interval = spec.freq_interval.unwrap_or(1);
    if !(1..=MAX_INTERVAL).contains(&interval) {
        return Err(RuleError::new(
            "freqInterval",
            format!("freqInterval must be a whole number from 1 to {MAX_INTERVAL}."),
        ));
    }
    let condition = text("condition", spec.condition.as_ref())?
        .unwrap_or_default()
        .trim();
    match freq.to_ascii_uppercase().as_str() {
        "DAILY" => Ok(Pattern::Daily { interval }),
        "WEEKLY" => Ok(Pattern::Weekly {
            interval,
            days: weekdays(condition)?,
        }),
        "MONTHLY" => {
            let on = match condition.to_ascii_uppercase().as_str() {
                // No condition: by date, the simpler reading of "every month from startDt".
                "" | "D" => MonthlyOn::Date(start.day()),
                "W" => {
                    let nth = (start.day() - 1) / 7 + 1;
                    let nth = if nth >= 5 { -1 } else { nth as i16 };
                    MonthlyOn::Weekday(nth, start.weekday())
                }
                _ => {
                    return Err(RuleError::new(
                        "condition",
                        "condition of a MONTHLY rule must be D (on the date of startDt) or W (on its weekday, such as the 3rd Tuesday).",
                    ))
                }
            };
            Ok(Pattern::Monthly { interval, on })
        }
        _ => Err(RuleError::new(
            "freq",
            "freq must be DAILY, WEEKLY or MONTHLY (or empty to run once).",
        )),
    }
}

/// "#2#3#4" → Monday, Tuesday, Wednesday (#1 = Sunday .. #7 = Saturday).
fn weekdays(condition: &str) -> Result<Vec<Weekday>, RuleError> {
    let bad = || {
        RuleError::new(
            "condition",
            "condition of a WEEKLY rule lists its days as #1 (Sunday) to #7 (Saturday), such as #2#4 for Monday and Wednesday.",
        )
    };
    let rest = condition.strip_prefix('#').ok_or_else(bad)?;
    let mut days = Vec::new();
    for token in rest.split('#') {
        let n: u8 = match token.trim() {
            t if t.len() == 1 => t.parse().map_err(|_| bad())?,
            _ => return Err(bad()),
        };
        if !(1..=7).contains(&n) {
            return Err(bad());
        }
        let day = SUNDAY_FIRST[usize::from(n - 1)];
        if !days.contains(&day) {
            days.push(day);
        }
    }
    days.sort_by_key(|d: &Weekday| d.num_days_from_sunday());
    Ok(days)
}

const SUNDAY_FIRST: [Weekday; 7] = [
    Weekday::Sun,
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
];

fn end(spec: &RuleSpec, zone: Zone, start: DateTime<Utc>) -> Result<End, RuleError> {
    let until = text("until", spec.until.as_ref())?.filter(|u| !u.trim().is_empty());
    let end_type = text("endType", spec.end_type.as_ref())?
        .unwrap_or_default()
        .trim()
        .to_ascii_uppercase();
    // Without endType, the one end condition given (if any) is meant.
    let end_type = match (end_type.as_str(), until, spec.count) {
        ("", None, None) => return Ok(End::Never),
        ("", Some(_), None) => "UNTIL",
        ("", None, Some(_)) => "COUNT",
        ("", Some(_), Some(_)) => {
            return Err(RuleError::new(
                "endType",
                "endType must say whether the rule ends by UNTIL or by COUNT.",
            ))
        }
        (e, _, _) => e,
    };
    match end_type {
        "UNTIL" => {
            let until = until.ok_or_else(|| {
                RuleError::new("until", "until is required when endType is UNTIL.")
            })?;
            let until = parse_until(until.trim(), zone)?;
            if until < start {
                return Err(RuleError::new("until", "until is before startDt."));
            }
            Ok(End::Until(until))
        }
        "COUNT" => match spec.count {
            Some(count) if (1..=MAX_COUNT).contains(&count) => Ok(End::Count(count)),
            Some(_) => Err(RuleError::new(
                "count",
                format!("count must be a whole number from 1 to {MAX_COUNT}."),
            )),
            None => Err(RuleError::new(
                "count",
                "count is required when endType is COUNT.",
            )),
        },
        _ => Err(RuleError::new(
            "endType",
            "endType must be UNTIL or COUNT (or empty for no end).",
        )),
    }
}

/// A date is its whole day in the rule's zone (the end of the day is the bound); a date and
/// time with offset is that instant.
fn parse_until(until: &str, zone: Zone) -> Result<DateTime<Utc>, RuleError> {
    if let Ok(day) = NaiveDate::parse_from_str(until, "%Y-%m-%d") {
        let last_second = NaiveTime::from_hms_opt(23, 59, 59).unwrap_or_default();
        return zone
            .resolve(day.and_time(last_second))
            .ok_or_else(|| RuleError::new("until", "until is out of range."));
    }
    DateTime::parse_from_rfc3339(until)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            RuleError::new(
                "until",
                "until must be a date (2022-01-22, the whole day included) or a date and time with its offset.",
            )
        })
}

/// A text field, refused when longer than any valid value could be (or holding NUL).
fn text<'a>(field: &'static str, value: Option<&'a String>) -> Result<Option<&'a str>, RuleError> {
    match value {
        Some(v) if v.len() > MAX_FIELD_LEN || v.contains('\0') => Err(RuleError::new(
            field,
            format!("{field} is not a valid value (too long or with a NUL character)."),
        )),
        v => Ok(v.map(String::as_str)),
    }
}
