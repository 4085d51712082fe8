//! Rules of every kind, daylight saving in two zones, month ends, ends by date and count,
//! time repeats, rest days, every refusal, hostile input, and rebased expansion checked
//! against plain expansion from the start.

use super::*;
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use proptest::prelude::*;

fn at(t: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(t)
        .unwrap_or_else(|e| panic!("{t}: {e}"))
        .with_timezone(&Utc)
}

fn ats(ts: &[&str]) -> Vec<DateTime<Utc>> {
    ts.iter().map(|t| at(t)).collect()
}

fn spec(start: &str) -> RuleSpec {
    RuleSpec {
        start: start.into(),
        ..RuleSpec::default()
    }
}

fn daily(start: &str) -> RuleSpec {
    RuleSpec {
        freq: Some("DAILY".into()),
        ..spec(start)
    }
}

fn weekly(start: &str, condition: &str) -> RuleSpec {
    RuleSpec {
        freq: Some("WEEKLY".into()),
        condition: Some(condition.into()),
        ..spec(start)
    }
}

fn monthly(start: &str, condition: &str) -> RuleSpec {
    RuleSpec {
        freq: Some("MONTHLY".into()),
        condition: Some(condition.into()),
        ..spec(start)
    }
}

fn until(spec: RuleSpec, until: &str) -> RuleSpec {
    RuleSpec {
        end_type: Some("UNTIL".into()),
        until: Some(until.into()),
        ..spec
    }
}

fn count(spec: RuleSpec, count: u32) -> RuleSpec {
    RuleSpec {
        end_type: Some("COUNT".into()),
        count: Some(count),
        ..spec
    }
}

fn in_zone(spec: RuleSpec, zone: &str) -> RuleSpec {
    RuleSpec {
        time_zone: Some(zone.into()),
        ..spec
    }
}

fn rule(spec: &RuleSpec) -> Recurrence {
    Recurrence::parse(spec).unwrap_or_else(|e| panic!("{spec:?}: {} ({})", e.message, e.field))
}

/// The first `n` runs, found one after the other with `next_after`.
fn runs_with(r: &Recurrence, n: usize, rest: &RestDays) -> Vec<DateTime<Utc>> {
    let mut out = Vec::new();
    let mut t = r.start() - TimeDelta::seconds(1);
    while out.len() < n {
        match r.next_after(t, rest) {
            Some(next) => {
                assert!(next > t);
                out.push(next);
                t = next;
            }
            None => break,
        }
    }
    out
}

fn runs(r: &Recurrence, n: usize) -> Vec<DateTime<Utc>> {
    runs_with(r, n, &RestDays::default())
}

fn refused(spec: &RuleSpec) -> (&'static str, String) {
    match Recurrence::parse(spec) {
        Ok(r) => panic!("accepted {spec:?}: {r:?}"),
        Err(e) => (e.field, e.message),
    }
}

// ---- The spec's examples -------------------------------------------------------------

#[test]
fn spec_example_weekly_monday_to_thursday_until_a_date() {
    // Reservation_Modify's body and the second row of Reservation_Query's answer.
    let r = rule(&until(
        weekly("2021-08-15T15:10:00+09:00", "#2#3#4#5"),
        "2021-08-29",
    ));
    assert_eq!(r.first(), at("2021-08-16T06:10:00Z")); // schDetStartDt
    assert_eq!(r.last(), Some(at("2021-08-26T06:10:00Z"))); // schDetEndDt
    assert_eq!(r.until(), Some(at("2021-08-29T23:59:59+09:00")));
    assert_eq!(
        runs(&r, 100),
        ats(&[
            "2021-08-16T15:10:00+09:00",
            "2021-08-17T15:10:00+09:00",
            "2021-08-18T15:10:00+09:00",
            "2021-08-19T15:10:00+09:00",
            "2021-08-23T15:10:00+09:00",
            "2021-08-24T15:10:00+09:00",
            "2021-08-25T15:10:00+09:00",
            "2021-08-26T15:10:00+09:00",
        ])
    );
}

#[test]
fn spec_example_daily_with_hourly_repeats_until_a_date() {
    // The first row of Reservation_Query's answer: every hour for 24 hours, daily.
    let r = rule(&RuleSpec {
        time_repeat: Some((1, 24)),
        ..until(daily("2021-08-11T12:10:00+09:00"), "2021-08-28")
    });
    assert_eq!(r.first(), at("2021-08-11T03:10:00Z"));
    assert_eq!(r.last(), Some(at("2021-08-28T14:10:00Z"))); // 23:10 on the until day
    let rest = RestDays::default();
    assert_eq!(
        r.next_after(at("2021-08-13T09:30:00Z"), &rest),
        Some(at("2021-08-13T10:10:00Z"))
    );
    // The runs of one day reach into the next morning, up to the next day's first run.
    assert_eq!(
        r.next_after(at("2021-08-13T02:10:00Z"), &rest),
        Some(at("2021-08-13T03:10:00Z"))
    );
    assert_eq!(r.next_after(at("2021-08-28T14:10:00Z"), &rest), None);
}

// ---- Kinds of rules ----------------------------------------------------------------

#[test]
fn once_without_freq() {
    let r = rule(&spec("2024-05-01T10:00:00+02:00"));
    assert_eq!(runs(&r, 5), ats(&["2024-05-01T08:00:00Z"]));
    assert_eq!(r.last(), Some(at("2024-05-01T08:00:00Z")));
    // End fields mean nothing to a one-off run.
    let r = rule(&until(spec("2024-05-01T10:00:00+02:00"), "2000-01-01"));
    assert_eq!(r.until(), None);
}

#[test]
fn once_with_time_repeats() {
    let r = rule(&RuleSpec {
        time_repeat: Some((2, 5)),
        ..spec("2024-05-01T10:00:00Z")
    });
    assert_eq!(
        runs(&r, 10),
        ats(&[
            "2024-05-01T10:00:00Z",
            "2024-05-01T12:00:00Z",
            "2024-05-01T14:00:00Z"
        ])
    );
    assert_eq!(r.last(), Some(at("2024-05-01T14:00:00Z")));
}

#[test]
fn daily_every_third_day() {
    let r = rule(&RuleSpec {
        freq_interval: Some(3),
        ..daily("2024-02-27T08:30:00+09:00")
    });
    assert_eq!(
        runs(&r, 4),
        ats(&[
            "2024-02-27T08:30:00+09:00",
            "2024-03-01T08:30:00+09:00",
            "2024-03-04T08:30:00+09:00",
            "2024-03-07T08:30:00+09:00",
        ])
    );
    assert_eq!(r.last(), None);
    assert_eq!(r.until(), None);
}

#[test]
fn weekly_every_second_week_counts_weeks_from_sunday() {
    // Starts on a Wednesday; Sunday (#1) and Wednesday (#4) of every other week.
    let r = rule(&RuleSpec {
        freq_interval: Some(2),
        ..weekly("2024-01-03T09:00:00Z", "#1#4")
    });
    assert_eq!(
        runs(&r, 5),
        ats(&[
            "2024-01-03T09:00:00Z",
            "2024-01-14T09:00:00Z",
            "2024-01-17T09:00:00Z",
            "2024-01-28T09:00:00Z",
            "2024-01-31T09:00:00Z",
        ])
    );
}

#[test]
fn weekly_start_on_an_unselected_day_begins_at_the_next_selected_one() {
    let r = rule(&weekly("2024-01-06T09:00:00Z", "#2")); // a Saturday; Mondays
    assert_eq!(r.first(), at("2024-01-08T09:00:00Z"));
    assert!(r.start() < r.first());
}

#[test]
fn weekly_condition_order_and_repeats_do_not_matter() {
    let a = rule(&weekly("2024-01-01T09:00:00Z", "#6#2#2#4"));
    let b = rule(&weekly("2024-01-01T09:00:00Z", "#2#4#6"));
    assert_eq!(runs(&a, 9), runs(&b, 9));
}

#[test]
fn monthly_on_the_31st_falls_on_the_last_day_of_shorter_months() {
    let r = rule(&monthly("2024-01-31T10:00:00Z", "D"));
    assert_eq!(
        runs(&r, 7),
        ats(&[
            "2024-01-31T10:00:00Z",
            "2024-02-29T10:00:00Z",
            "2024-03-31T10:00:00Z",
            "2024-04-30T10:00:00Z",
            "2024-05-31T10:00:00Z",
            "2024-06-30T10:00:00Z",
            "2024-07-31T10:00:00Z",
        ])
    );
}

#[test]
fn monthly_on_the_30th_falls_on_the_28th_of_february() {
    let r = rule(&monthly("2023-01-30T10:00:00Z", "D"));
    assert_eq!(
        runs(&r, 4),
        ats(&[
            "2023-01-30T10:00:00Z",
            "2023-02-28T10:00:00Z",
            "2023-03-30T10:00:00Z",
            "2023-04-30T10:00:00Z",
        ])
    );
}

#[test]
fn every_twelve_months_from_the_29th_of_february() {
    let r = rule(&RuleSpec {
        freq_interval: Some(12),
        ..monthly("2024-02-29T10:00:00Z", "D")
    });
    assert_eq!(
        runs(&r, 5),
        ats(&[
            "2024-02-29T10:00:00Z",
            "2025-02-28T10:00:00Z",
            "2026-02-28T10:00:00Z",
            "2027-02-28T10:00:00Z",
            "2028-02-29T10:00:00Z",
        ])
    );
}

#[test]
fn monthly_on_a_date_up_to_the_28th_keeps_it() {
    let r = rule(&RuleSpec {
        freq_interval: Some(2),
        ..monthly("2024-01-15T10:00:00Z", "")
    });
    assert_eq!(
        runs(&r, 3),
        ats(&[
            "2024-01-15T10:00:00Z",
            "2024-03-15T10:00:00Z",
            "2024-05-15T10:00:00Z",
        ])
    );
}

#[test]
fn monthly_on_the_third_tuesday() {
    let r = rule(&monthly("2021-07-20T10:00:00Z", "W"));
    assert_eq!(
        runs(&r, 3),
        ats(&[
            "2021-07-20T10:00:00Z",
            "2021-08-17T10:00:00Z",
            "2021-09-21T10:00:00Z",
        ])
    );
}

#[test]
fn monthly_on_a_fifth_weekday_is_on_the_last_one() {
    // 29 June 2021 is the 5th Tuesday; July and September have only four.
    let r = rule(&monthly("2021-06-29T10:00:00Z", "w"));
    assert_eq!(
        runs(&r, 4),
        ats(&[
            "2021-06-29T10:00:00Z",
            "2021-07-27T10:00:00Z",
            "2021-08-31T10:00:00Z",
            "2021-09-28T10:00:00Z",
        ])
    );
}

// ---- Daylight saving ---------------------------------------------------------------

#[test]
fn berlin_daily_nine_o_clock_stays_at_nine_across_both_changes() {
    let r = rule(&in_zone(
        daily("2024-03-30T09:00:00+01:00"),
        "Europe/Berlin",
    ));
    assert_eq!(
        runs(&r, 2),
        ats(&["2024-03-30T09:00:00+01:00", "2024-03-31T09:00:00+02:00"])
    );
    let r = rule(&in_zone(
        daily("2024-10-26T09:00:00+02:00"),
        "Europe/Berlin",
    ));
    assert_eq!(
        runs(&r, 2),
        ats(&["2024-10-26T09:00:00+02:00", "2024-10-27T09:00:00+01:00"])
    );
}

#[test]
fn without_a_zone_the_offset_of_start_is_kept() {
    // The same rule without timeZone stays at 08:00 UTC (09:00 +01:00) all year.
    let r = rule(&daily("2024-03-30T09:00:00+01:00"));
    assert_eq!(
        runs(&r, 2),
        ats(&["2024-03-30T08:00:00Z", "2024-03-31T08:00:00Z"])
    );
}

#[test]
fn new_york_a_skipped_time_runs_when_the_clocks_jump() {
    // 02:30 does not exist on 10 March 2024: the run is at 03:00 EDT, the moment it would be.
    let r = rule(&in_zone(
        daily("2024-03-09T02:30:00-05:00"),
        "America/New_York",
    ));
    assert_eq!(
        runs(&r, 3),
        ats(&[
            "2024-03-09T02:30:00-05:00",
            "2024-03-10T03:00:00-04:00",
            "2024-03-11T02:30:00-04:00",
        ])
    );
}

#[test]
fn new_york_a_doubled_time_runs_once_at_its_first_instance() {
    let r = rule(&in_zone(
        daily("2024-11-02T01:30:00-04:00"),
        "America/New_York",
    ));
    assert_eq!(
        runs(&r, 3),
        ats(&[
            "2024-11-02T01:30:00-04:00",
            "2024-11-03T01:30:00-04:00", // EDT, not the EST 01:30 an hour later
            "2024-11-04T01:30:00-05:00",
        ])
    );
}

#[test]
fn berlin_hourly_repeats_follow_the_wall_clock_across_the_changes() {
    // Spring: 02:00 does not exist; its run is at 03:00, the same instant as 03:00's.
    let r = rule(&RuleSpec {
        time_repeat: Some((1, 5)),
        ..in_zone(spec("2024-03-31T00:00:00+01:00"), "Europe/Berlin")
    });
    assert_eq!(
        runs(&r, 10),
        ats(&[
            "2024-03-31T00:00:00+01:00",
            "2024-03-31T01:00:00+01:00",
            "2024-03-31T03:00:00+02:00",
            "2024-03-31T04:00:00+02:00",
        ])
    );
    // Autumn: 02:00 exists twice; one run, at the first.
    let r = rule(&RuleSpec {
        time_repeat: Some((1, 4)),
        ..in_zone(spec("2024-10-27T00:00:00+02:00"), "Europe/Berlin")
    });
    assert_eq!(
        runs(&r, 10),
        ats(&[
            "2024-10-27T00:00:00+02:00",
            "2024-10-27T01:00:00+02:00",
            "2024-10-27T02:00:00+02:00",
            "2024-10-27T03:00:00+01:00",
        ])
    );
}

#[test]
fn start_is_read_in_the_named_zone() {
    // 15:10 in Seoul is 08:10 in Berlin (summer): the rule runs at 08:10 Berlin time.
    let r = rule(&in_zone(
        daily("2021-07-15T15:10:00+09:00"),
        "Europe/Berlin",
    ));
    assert_eq!(
        runs(&r, 2),
        ats(&["2021-07-15T08:10:00+02:00", "2021-07-16T08:10:00+02:00"])
    );
    let r = rule(&in_zone(
        daily("2021-12-30T15:10:00+09:00"),
        "Europe/Berlin",
    ));
    assert_eq!(runs(&r, 1), ats(&["2021-12-30T07:10:00+01:00"]));
}

#[test]
fn a_skipped_day_runs_at_the_first_moment_that_exists() {
    // Samoa skipped 30 December 2011 entirely.
    let r = rule(&in_zone(daily("2011-12-29T09:00:00-10:00"), "Pacific/Apia"));
    assert_eq!(
        runs(&r, 3),
        ats(&[
            "2011-12-29T09:00:00-10:00",
            "2011-12-31T00:00:00+14:00",
            "2011-12-31T09:00:00+14:00",
        ])
    );
}

// ---- Ends --------------------------------------------------------------------------

#[test]
fn until_a_date_includes_that_whole_day() {
    let r = rule(&until(daily("2024-01-01T23:30:00+09:00"), "2024-01-03"));
    assert_eq!(
        runs(&r, 10),
        ats(&[
            "2024-01-01T23:30:00+09:00",
            "2024-01-02T23:30:00+09:00",
            "2024-01-03T23:30:00+09:00",
        ])
    );
    assert_eq!(r.last(), Some(at("2024-01-03T23:30:00+09:00")));
}

#[test]
fn until_an_instant_is_inclusive() {
    let r = rule(&until(
        daily("2024-01-01T10:00:00Z"),
        "2024-01-03T10:00:00Z",
    ));
    assert_eq!(runs(&r, 10).len(), 3);
    let r = rule(&until(
        daily("2024-01-01T10:00:00Z"),
        "2024-01-03T09:59:59Z",
    ));
    assert_eq!(runs(&r, 10).len(), 2);
    assert_eq!(r.last(), Some(at("2024-01-02T10:00:00Z")));
    assert_eq!(r.until(), Some(at("2024-01-03T09:59:59Z")));
}

#[test]
fn until_the_start_day_runs_once() {
    let r = rule(&until(daily("2024-01-01T10:00:00Z"), "2024-01-01"));
    assert_eq!(runs(&r, 10), ats(&["2024-01-01T10:00:00Z"]));
}

#[test]
fn count_counts_occurrences() {
    let r = rule(&count(weekly("2024-01-03T09:00:00Z", "#2#4#6"), 4));
    let expected = ats(&[
        "2024-01-03T09:00:00Z",
        "2024-01-05T09:00:00Z",
        "2024-01-08T09:00:00Z",
        "2024-01-10T09:00:00Z",
    ]);
    assert_eq!(runs(&r, 10), expected);
    assert_eq!(r.last(), expected.last().copied());
    assert_eq!(r.count(), Some(4));
}

#[test]
fn count_counts_days_and_each_day_keeps_its_time_repeats() {
    let r = rule(&RuleSpec {
        time_repeat: Some((1, 3)),
        ..count(daily("2024-01-01T10:00:00Z"), 2)
    });
    assert_eq!(runs(&r, 10).len(), 6);
    assert_eq!(r.last(), Some(at("2024-01-02T12:00:00Z")));
}

#[test]
fn end_type_is_inferred_from_the_one_end_given() {
    let r = rule(&RuleSpec {
        until: Some("2024-01-02".into()),
        ..daily("2024-01-01T10:00:00Z")
    });
    assert_eq!(runs(&r, 10).len(), 2);
    let r = rule(&RuleSpec {
        count: Some(3),
        ..daily("2024-01-01T10:00:00Z")
    });
    assert_eq!(runs(&r, 10).len(), 3);
    // endType UNTIL with a count given too (Brity sends "count":"" or a stale value).
    let r = rule(&RuleSpec {
        count: Some(1),
        ..until(daily("2024-01-01T10:00:00Z"), "2024-01-05")
    });
    assert_eq!(runs(&r, 10).len(), 5);
    let r = rule(&RuleSpec {
        end_type: Some("count".into()),
        count: Some(2),
        ..daily("2024-01-01T10:00:00Z")
    });
    assert_eq!(runs(&r, 10).len(), 2);
}

// ---- Time repeats ------------------------------------------------------------------

#[test]
fn time_repeat_period_end_is_excluded() {
    let r = rule(&RuleSpec {
        time_repeat: Some((1, 4)),
        ..count(daily("2024-01-01T09:00:00Z"), 1)
    });
    assert_eq!(
        runs(&r, 10),
        ats(&[
            "2024-01-01T09:00:00Z",
            "2024-01-01T10:00:00Z",
            "2024-01-01T11:00:00Z",
            "2024-01-01T12:00:00Z",
        ])
    );
    let r = rule(&RuleSpec {
        time_repeat: Some((4, 24)),
        ..count(daily("2024-01-01T09:00:00Z"), 2)
    });
    assert_eq!(runs(&r, 20).len(), 12);
    let r = rule(&RuleSpec {
        time_repeat: Some((5, 5)),
        ..count(daily("2024-01-01T09:00:00Z"), 2)
    });
    assert_eq!(runs(&r, 20).len(), 2);
}

// ---- Rest days ---------------------------------------------------------------------

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

#[test]
fn rest_days_are_skipped_when_asked() {
    let rest = RestDays::new([(day(2024, 1, 2), -540), (day(2024, 1, 4), -540)]);
    let skipping = RuleSpec {
        skip_rest_days: true,
        ..daily("2024-01-01T10:00:00+09:00")
    };
    let r = rule(&skipping);
    assert!(r.skips_rest_days());
    assert_eq!(
        runs_with(&r, 3, &rest),
        ats(&[
            "2024-01-01T10:00:00+09:00",
            "2024-01-03T10:00:00+09:00",
            "2024-01-05T10:00:00+09:00",
        ])
    );
    // Rest days aside, schDetStartDt/schDetEndDt are the rule's own.
    let r = rule(&RuleSpec {
        skip_rest_days: false,
        ..skipping
    });
    assert_eq!(runs_with(&r, 2, &rest).len(), 2);
    assert_eq!(runs_with(&r, 2, &rest)[1], at("2024-01-02T10:00:00+09:00"));
}

#[test]
fn a_long_stretch_of_rest_days_is_skipped_in_one_step() {
    // A whole year of consecutive rest days merges into one interval.
    let year = (0..366).map(|i| (day(2024, 1, 1) + TimeDelta::days(i), -540));
    let rest = RestDays::new(year);
    let r = rule(&RuleSpec {
        skip_rest_days: true,
        time_repeat: Some((1, 24)),
        ..daily("2023-12-31T10:00:00+09:00")
    });
    let runs = runs_with(&r, 16, &rest);
    // 10:00 .. 23:00 on 31 December, then nothing until 1 January 2025.
    assert_eq!(runs[13], at("2023-12-31T23:00:00+09:00"));
    assert_eq!(runs[14], at("2025-01-01T00:00:00+09:00"));
    assert_eq!(runs[15], at("2025-01-01T01:00:00+09:00"));
}

#[test]
fn each_rest_day_covers_its_own_offsets_day() {
    // New Year's Day at UTC+0 is 09:00 on 1 January .. 09:00 on 2 January in Seoul.
    let rest = RestDays::new([(day(2024, 1, 1), 0)]);
    assert!(!rest.contains(at("2024-01-01T08:59:59+09:00")));
    assert!(rest.contains(at("2024-01-01T09:00:00+09:00")));
    assert!(rest.contains(at("2024-01-02T08:59:59+09:00")));
    assert!(!rest.contains(at("2024-01-02T09:00:00+09:00")));
    let rest = RestDays::new([(day(2024, 1, 1), 300)]); // UTC-5
    assert!(rest.contains(at("2024-01-01T00:00:00-05:00")));
    assert!(!rest.contains(at("2023-12-31T23:59:59-05:00")));
    assert!(!rest.contains(at("2024-01-02T00:00:00-05:00")));
    assert!(RestDays::default().is_empty());
    assert!(!RestDays::default().contains(at("2024-01-01T00:00:00Z")));
}

#[test]
fn rest_days_that_overlap_or_touch_are_merged() {
    let rest = RestDays::new([
        (day(2024, 1, 3), 0),
        (day(2024, 1, 1), 0),
        (day(2024, 1, 2), 0),
        (day(2024, 1, 2), -540),
        (day(2024, 1, 10), 0),
    ]);
    assert_eq!(
        rest.end_of(at("2024-01-01T12:00:00Z")),
        Some(at("2024-01-04T00:00:00Z"))
    );
    assert_eq!(
        rest.end_of(at("2024-01-10T00:00:00Z")),
        Some(at("2024-01-11T00:00:00Z"))
    );
    assert_eq!(rest.end_of(at("2024-01-05T00:00:00Z")), None);
}

#[test]
fn a_rule_whose_every_run_falls_on_rest_days_gives_up_at_the_bound() {
    // Every Monday for 300 years a separate rest day: more intervals than the bound.
    let mondays = (0..(300 * 53)).map(|w| (day(2024, 1, 1) + TimeDelta::weeks(w), 0));
    let rest = RestDays::new(mondays);
    let r = rule(&RuleSpec {
        skip_rest_days: true,
        ..weekly("2024-01-01T10:00:00Z", "#2")
    });
    assert_eq!(r.next_after(at("2023-01-01T00:00:00Z"), &rest), None);
}

// ---- Refusals ----------------------------------------------------------------------

#[test]
fn every_impossible_rule_is_refused_naming_its_field() {
    let s = "2024-01-01T10:00:00+09:00";
    let long = "x".repeat(65);
    let cases: Vec<(RuleSpec, &str)> = vec![
        (spec(""), "startDt"),
        (spec("2024-01-01"), "startDt"),
        (spec("2024-01-01T10:00:00"), "startDt"),
        (spec("2024-02-30T10:00:00+09:00"), "startDt"),
        (spec("2024-01-01T25:00:00+09:00"), "startDt"),
        (spec(&long), "startDt"),
        (spec("2024-01-01T10:00:00+09:00\0"), "startDt"),
        (
            RuleSpec {
                freq: Some("YEARLY".into()),
                ..spec(s)
            },
            "freq",
        ),
        (
            RuleSpec {
                freq: Some(long.clone()),
                ..spec(s)
            },
            "freq",
        ),
        (
            RuleSpec {
                freq_interval: Some(0),
                ..daily(s)
            },
            "freqInterval",
        ),
        (
            RuleSpec {
                freq_interval: Some(1000),
                ..daily(s)
            },
            "freqInterval",
        ),
        (weekly(s, ""), "condition"),
        (
            RuleSpec {
                condition: None,
                ..weekly(s, "")
            },
            "condition",
        ),
        (weekly(s, "#8"), "condition"),
        (weekly(s, "#0"), "condition"),
        (weekly(s, "#2#"), "condition"),
        (weekly(s, "2#3"), "condition"),
        (weekly(s, "#23"), "condition"),
        (weekly(s, "#MON"), "condition"),
        (weekly(s, &format!("#{long}")), "condition"),
        (monthly(s, "X"), "condition"),
        (monthly(s, "DW"), "condition"),
        (
            RuleSpec {
                end_type: Some("NEVER".into()),
                ..daily(s)
            },
            "endType",
        ),
        (
            RuleSpec {
                until: Some("2025-01-01".into()),
                count: Some(3),
                ..daily(s)
            },
            "endType",
        ),
        (
            RuleSpec {
                end_type: Some("UNTIL".into()),
                ..daily(s)
            },
            "until",
        ),
        (until(daily(s), "2023-12-31"), "until"),
        (until(daily(s), "2024-01-01T09:59:59+09:00"), "until"),
        (until(daily(s), "2024-13-01"), "until"),
        (until(daily(s), "tomorrow"), "until"),
        (until(daily(s), &long), "until"),
        // Starts on a Monday, Saturdays only, ends on Friday: never runs.
        (until(weekly(s, "#7"), "2024-01-05"), "until"),
        (
            RuleSpec {
                end_type: Some("COUNT".into()),
                ..daily(s)
            },
            "count",
        ),
        (count(daily(s), 0), "count"),
        (count(daily(s), 10_000), "count"),
        (
            RuleSpec {
                time_repeat: Some((0, 4)),
                ..daily(s)
            },
            "timeRepeatInterval",
        ),
        (
            RuleSpec {
                time_repeat: Some((25, 25)),
                ..daily(s)
            },
            "timeRepeatInterval",
        ),
        (
            RuleSpec {
                time_repeat: Some((1, 0)),
                ..daily(s)
            },
            "timeRepeatPeriod",
        ),
        (
            RuleSpec {
                time_repeat: Some((1, 25)),
                ..daily(s)
            },
            "timeRepeatPeriod",
        ),
        (
            RuleSpec {
                time_repeat: Some((5, 4)),
                ..daily(s)
            },
            "timeRepeatInterval",
        ),
        (in_zone(daily(s), "Mars/Olympus_Mons"), "timeZone"),
        (in_zone(daily(s), "+09:00"), "timeZone"),
        (in_zone(daily(s), &long), "timeZone"),
        // Starts on the last second of the calendar, on a day it does not run on.
        (weekly("9999-12-31T23:59:59Z", "#1"), "startDt"),
    ];
    for (spec, field) in cases {
        let (got, message) = refused(&spec);
        assert_eq!(got, field, "{spec:?}: {message}");
        assert!(
            message.contains(field) || message.starts_with("The rule"),
            "{message}"
        );
    }
}

#[test]
fn the_examples_own_untouched_fields_are_accepted() {
    // Case and blanks as clients send them.
    let r = rule(&RuleSpec {
        freq: Some("weekly".into()),
        condition: Some(" #2#3 ".into()),
        end_type: Some(" until ".into()),
        until: Some(" 2024-02-01 ".into()),
        ..spec("2024-01-01T10:00:00+09:00")
    });
    assert_eq!(r.first(), at("2024-01-01T10:00:00+09:00"));
    let r = rule(&RuleSpec {
        time_zone: Some(String::new()),
        ..daily("2024-01-01T10:00:00.123456+09:00")
    });
    assert_eq!(r.start(), at("2024-01-01T10:00:00+09:00"));
}

// ---- Hostile input -----------------------------------------------------------------

#[test]
fn calendar_edges_neither_panic_nor_run_past_year_9999() {
    let rest = RestDays::new([(day(9999, 12, 31), -840), (day(1, 1, 1), 720)]);
    let starts = [
        "0001-01-01T00:00:00+14:00",
        "0001-01-01T00:00:00-12:00",
        "9999-12-31T23:59:59-23:59",
        "9999-12-31T23:59:59+23:59",
        "9999-12-30T00:00:00Z",
        "1970-01-01T00:00:00Z",
    ];
    let shapes = [
        daily(""),
        weekly("", "#1#2#3#4#5#6#7"),
        monthly("", "D"),
        monthly("", "W"),
        RuleSpec {
            freq_interval: Some(999),
            ..monthly("", "D")
        },
        count(
            RuleSpec {
                freq_interval: Some(999),
                ..monthly("", "W")
            },
            9999,
        ),
        until(daily(""), "9999-12-31"),
        until(weekly("", "#7"), "9999-12-31T23:59:59-12:00"),
        RuleSpec {
            time_repeat: Some((1, 24)),
            ..daily("")
        },
    ];
    for start in starts {
        for shape in &shapes {
            for zone in [None, Some("Pacific/Kiritimati"), Some("Pacific/Pago_Pago")] {
                let spec = RuleSpec {
                    start: start.into(),
                    time_zone: zone.map(Into::into),
                    skip_rest_days: true,
                    ..shape.clone()
                };
                let Ok(r) = Recurrence::parse(&spec) else {
                    continue;
                };
                for after in [
                    DateTime::<Utc>::MIN_UTC,
                    r.start(),
                    at("9999-12-31T23:59:59Z"),
                    DateTime::<Utc>::MAX_UTC,
                ] {
                    if let Some(t) = r.next_after(after, &rest) {
                        assert!(t > after && t <= at("9999-12-31T23:59:59Z"), "{spec:?}");
                    }
                }
                let _ = r.last();
            }
        }
    }
}

#[test]
fn a_rule_far_from_its_start_is_answered_without_walking_there() {
    // Rebased expansion: a look 500 years in costs what the first one does.
    let r = rule(&RuleSpec {
        time_repeat: Some((1, 24)),
        ..weekly("2024-01-01T10:00:00+09:00", "#2#4#6")
    });
    let rest = RestDays::default();
    let started = std::time::Instant::now();
    for year in 0..500 {
        let t = at("2024-06-01T00:00:00Z") + TimeDelta::days(365 * year);
        assert!(r.next_after(t, &rest).is_some());
    }
    // Generous for debug builds on a shared machine; walking would take minutes.
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
    let r = rule(&count(daily("2024-01-01T10:00:00Z"), 9999));
    assert_eq!(
        r.last(),
        Some(at("2024-01-01T10:00:00Z") + TimeDelta::days(9998))
    );
}

// ---- Rebased expansion against expansion from the start ------------------------------

const ZONES: [&str; 5] = [
    "",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "Asia/Seoul",
];

fn any_spec() -> impl Strategy<Value = RuleSpec> {
    let start = (
        2020i32..2026,
        1u32..=12,
        1u32..=31,
        0u32..24,
        prop::sample::select(vec![0u32, 30]),
        prop::sample::select(vec!["+09:00", "Z", "-05:00", "+05:45"]),
    )
        .prop_filter_map("a real date", |(y, m, d, h, min, off)| {
            NaiveDate::from_ymd_opt(y, m, d)
                .map(|_| format!("{y:04}-{m:02}-{d:02}T{h:02}:{min:02}:00{off}"))
        });
    let shape = prop_oneof![
        Just((None, None)),
        Just((Some("DAILY"), None)),
        prop::collection::vec(1u8..=7, 1..4).prop_map(|days| {
            let c: String = days.iter().map(|d| format!("#{d}")).collect();
            (Some("WEEKLY"), Some(c))
        }),
        Just((Some("MONTHLY"), Some("D".to_string()))),
        Just((Some("MONTHLY"), Some("W".to_string()))),
    ];
    let end = prop_oneof![
        Just((None, None)),
        (1u32..40).prop_map(|c| (Some(c), None)),
        (0i64..400).prop_map(|d| (None, Some(d))),
    ];
    let repeat = prop_oneof![
        Just(None),
        (1u32..=6, 1u32..=24)
            .prop_filter_map("interval within period", |(i, p)| (i <= p)
                .then_some((i, p)))
            .prop_map(Some)
    ];
    (
        start,
        shape,
        1u32..4,
        end,
        repeat,
        prop::sample::select(ZONES.to_vec()),
    )
        .prop_map(
            |(start, (freq, condition), interval, (count, days), repeat, zone)| {
                let until = days.map(|d| {
                    let s = at(&start).date_naive() + TimeDelta::days(d);
                    s.format("%Y-%m-%d").to_string()
                });
                RuleSpec {
                    start,
                    freq: freq.map(Into::into),
                    freq_interval: Some(interval),
                    condition,
                    end_type: None,
                    count,
                    until,
                    time_repeat: repeat,
                    time_zone: Some(zone.into()),
                    skip_rest_days: false,
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn next_after_and_last_agree_with_plain_expansion(
        spec in any_spec(),
        probes in prop::collection::vec(0i64..(200 * 24 * 60), 1..8),
    ) {
        let Ok(r) = Recurrence::parse(&spec) else {
            // Only an until before the first selected day may be refused here.
            return Ok(());
        };
        let ends = r.until().is_some() || r.count().is_some() || spec.freq.is_none();
        let probes: Vec<_> = probes
            .iter()
            .map(|m| r.start() - TimeDelta::days(2) + TimeDelta::minutes(*m))
            .collect();
        // Far enough past the last probe for the next run of any rule generated here.
        let through = if ends {
            DateTime::<Utc>::MAX_UTC
        } else {
            probes.iter().max().copied().unwrap_or(r.start()) + TimeDelta::days(120)
        };
        let all = r.reference_runs(through);
        prop_assert_eq!(all.first().copied(), Some(r.first()));
        if ends {
            prop_assert_eq!(r.last(), all.last().copied());
        }
        let rest = RestDays::default();
        for t in probes {
            let expected = all.iter().copied().find(|run| *run > t);
            prop_assert_eq!(r.next_after(t, &rest), expected, "after {}", t);
        }
    }

    #[test]
    fn skipping_rest_days_never_lands_on_one(
        spec in any_spec(),
        holidays in prop::collection::vec((0i64..200, -840i32..=720), 0..30),
        probe in 0i64..(200 * 24 * 60),
    ) {
        let Ok(r) = Recurrence::parse(&RuleSpec { skip_rest_days: true, ..spec }) else {
            return Ok(());
        };
        let first = r.start().date_naive();
        let rest = RestDays::new(holidays.iter().map(|(d, o)| (first + TimeDelta::days(*d), *o)));
        let t = r.start() + TimeDelta::minutes(probe);
        // Past the last rest day, the next run of any rule generated here is within 120 days.
        let all = r.reference_runs(r.start() + TimeDelta::days(320));
        let expected = all.iter().copied().find(|run| *run > t && !rest.contains(*run));
        prop_assert_eq!(r.next_after(t, &rest), expected);
    }

    #[test]
    fn any_text_is_answered_without_a_panic(
        start in ".{0,70}",
        freq in proptest::option::of("[A-Za-z]{0,8}"),
        condition in proptest::option::of("[#0-9DWdw ]{0,12}"),
        end_type in proptest::option::of("[A-Za-z]{0,6}"),
        until in proptest::option::of(".{0,40}"),
        count in proptest::option::of(any::<u32>()),
        interval in proptest::option::of(any::<u32>()),
        repeat in proptest::option::of((any::<u32>(), any::<u32>())),
        zone in proptest::option::of("[A-Za-z/_+0-9-]{0,30}"),
    ) {
        let spec = RuleSpec {
            start, freq, freq_interval: interval, condition, end_type, count, until,
            time_repeat: repeat, time_zone: zone, skip_rest_days: true,
        };
        if let Ok(r) = Recurrence::parse(&spec) {
            let _ = r.next_after(r.start(), &RestDays::default());
            let _ = r.last();
        }
    }

    #[test]
    fn any_valid_start_is_answered_without_a_panic(
        secs in -62_135_596_800i64..253_402_300_799,
        offset in -86_399i32..86_399,
        interval in 1u32..=999,
        freq in prop::sample::select(vec!["DAILY", "WEEKLY", "MONTHLY", ""]),
        condition in prop::sample::select(vec!["#1#7", "D", "W"]),
    ) {
        let Some(t) = DateTime::from_timestamp(secs, 0) else { return Ok(()) };
        let Some(offset) = chrono::FixedOffset::east_opt(offset) else { return Ok(()) };
        let start = t.with_timezone(&offset).to_rfc3339();
        let condition = if freq == "WEEKLY" { "#1#7" } else { condition };
        let spec = RuleSpec {
            start,
            freq: Some(freq.into()),
            freq_interval: Some(interval),
            condition: Some(condition.into()),
            ..RuleSpec::default()
        };
        if let Ok(r) = Recurrence::parse(&spec) {
            let _ = r.next_after(t + TimeDelta::days(400), &RestDays::default());
            let _ = r.last();
        }
    }
}

/// Cost of `next_after` (run with `cargo test --release -p sluice-domain -- --ignored
/// --nocapture next_after_cost`); the numbers are in docs/dialects/brity.md.
#[test]
#[ignore]
fn next_after_cost() {
    let cases = [
        ("daily", daily("2024-01-01T09:00:00+09:00")),
        (
            "weekly #2#4#6, hourly repeats, Berlin",
            RuleSpec {
                time_repeat: Some((1, 24)),
                ..in_zone(
                    weekly("2024-01-01T09:00:00+01:00", "#2#4#6"),
                    "Europe/Berlin",
                )
            },
        ),
        ("monthly on the 31st", monthly("2024-01-31T09:00:00Z", "D")),
        (
            "monthly, count 9999",
            count(monthly("2024-01-02T09:00:00Z", "W"), 9999),
        ),
    ];
    let holidays =
        RestDays::new((0..3650).map(|d| (day(2024, 1, 1) + TimeDelta::days(d * 7), -540)));
    for (name, spec) in cases {
        for (rest_name, rest, skip) in [
            ("", RestDays::default(), false),
            (", 3,650 weekly rest days", holidays.clone(), true),
        ] {
            let r = rule(&RuleSpec {
                skip_rest_days: skip,
                ..spec.clone()
            });
            let n = 20_000;
            let started = std::time::Instant::now();
            for i in 0..n {
                // Spread over 50 years from the start.
                let t = r.start() + TimeDelta::hours(i64::from(i) * 21 % (50 * 8766));
                std::hint::black_box(r.next_after(t, &rest));
            }
            let per = started.elapsed() / n;
            println!("{name}{rest_name}: {per:?} per next_after");
        }
        let started = std::time::Instant::now();
        for _ in 0..1000 {
            std::hint::black_box(Recurrence::parse(&spec).ok());
        }
        println!("{name}: {:?} per parse", started.elapsed() / 1000);
    }
}
