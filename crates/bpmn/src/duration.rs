//! ISO 8601 durations of timer events (`timeDuration`).

/// Seconds in an ISO 8601 duration: `PnW` or `PnDTnHnMnS` (each part optional, at least one;
/// seconds may have a fraction, rounded up to whole seconds). Years and months have no fixed
/// length and are refused, as are negative and absurdly long durations (over 100 years).
pub fn parse_duration(text: &str) -> Result<i64, String> {
    let bad = |why: &str| Err(format!("{text:?} is not an ISO 8601 duration ({why})."));
    let s = text.trim();
    let Some(rest) = s.strip_prefix('P') else {
        return bad("it must start with P");
    };
    if rest.is_empty() || rest == "T" || rest.ends_with('T') {
        return bad("no parts");
    }
    const MAX: f64 = 100.0 * 366.0 * 86_400.0;
    let mut total = 0f64;
    let mut in_time = false;
    let mut number = String::new();
    let mut last_rank = 0;
    for c in rest.chars() {
        if c == 'T' {
            if in_time || !number.is_empty() {
                return bad("misplaced T");
            }
            in_time = true;
            continue;
        }
        if c.is_ascii_digit() || c == '.' || c == ',' {
            number.push(if c == ',' { '.' } else { c });
            if number.len() > 20 {
                return bad("number too long");
            }
            continue;
        }
        let (unit, rank) = match (in_time, c) {
            (false, 'W') => (7.0 * 86_400.0, 1),
            (false, 'D') => (86_400.0, 2),
            (true, 'H') => (3_600.0, 3),
            (true, 'M') => (60.0, 4),
            (true, 'S') => (1.0, 5),
            (false, 'Y') | (false, 'M') => {
                return bad("years and months have no fixed length; use weeks or days")
            }
            _ => return bad("unknown unit"),
        };
        if number.is_empty() || rank <= last_rank {
            return bad("parts out of order or without a number");
        }
        if number.contains('.') && rank != 5 {
            return bad("only seconds may have a fraction");
        }
        let n: f64 = match number.parse() {
            Ok(n) => n,
            Err(_) => return bad("bad number"),
        };
        total += n * unit;
        if total > MAX {
            return bad("longer than 100 years");
        }
        number.clear();
        last_rank = rank;
    }
    if !number.is_empty() || last_rank == 0 {
        return bad("a number without a unit");
    }
    Ok(total.ceil() as i64)
}

/// The ISO 8601 form of a number of seconds (`PT1H30M`, `P2DT5S`, `PT0S`).
pub(crate) fn format_duration(seconds: i64) -> String {
    let s = seconds.max(0);
    let (days, rem) = (s / 86_400, s % 86_400);
    let (h, m, sec) = (rem / 3_600, rem % 3_600 / 60, rem % 60);
    let mut out = String::from("P");
    if days > 0 {
        out.push_str(&format!("{days}D"));
    }
    if rem > 0 || days == 0 {
        out.push('T');
        if h > 0 {
            out.push_str(&format!("{h}H"));
        }
        if m > 0 {
            out.push_str(&format!("{m}M"));
        }
        if sec > 0 || rem == 0 {
            out.push_str(&format!("{sec}S"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("PT30S"), Ok(30));
        assert_eq!(parse_duration("PT1H30M"), Ok(5_400));
        assert_eq!(parse_duration("P1DT1S"), Ok(86_401));
        assert_eq!(parse_duration("P2W"), Ok(14 * 86_400));
        assert_eq!(parse_duration(" PT0.5S "), Ok(1));
        assert_eq!(parse_duration("PT1,5S"), Ok(2));
        for bad in [
            "",
            "P",
            "PT",
            "30S",
            "P1M",
            "P1Y",
            "PT1.5H",
            "P1DT",
            "PT5",
            "PT1S1M",
            "P-1D",
            "PT1X",
            "P99999999999999999999999D",
            "P1T1H",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn formats_round_trip() {
        for s in [0, 1, 59, 60, 3_600, 5_400, 86_400, 86_401, 200_000] {
            assert_eq!(parse_duration(&format_duration(s)), Ok(s), "{s}");
        }
        assert_eq!(format_duration(5_400), "PT1H30M");
        assert_eq!(format_duration(86_400), "P1D");
        assert_eq!(format_duration(0), "PT0S");
    }
}
