//! Anniversaries (Brity's holiday calendar): a titled day of a tenant, of a type, maybe a rest
//! day, on the wall clock of a UTC offset. The checks every way of writing one goes through.

use super::RuleError;
use chrono::{Datelike, NaiveDate};

/// Longest title, in characters.
pub const MAX_TITLE_CHARS: usize = 200;
/// anniversaryType: 1 national holiday, 2 company anniversary, 3 lunar calendar, 4 other.
pub const KINDS: std::ops::RangeInclusive<i32> = 1..=4;
/// timezoneOffset in minutes, JavaScript's convention (UTC+9 is -540): UTC+14 .. UTC-12.
pub const OFFSETS: std::ops::RangeInclusive<i32> = -840..=720;

/// An anniversary's fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnniversaryFields {
    pub title: String,
    pub day: NaiveDate,
    pub kind: i32,
    pub rest_day: bool,
    pub offset_minutes: i32,
}

impl AnniversaryFields {
    /// Checks the fields; the error names the Brity field at fault. The title is trimmed.
    pub fn checked(mut self) -> Result<Self, RuleError> {
        let title = self.title.trim();
        if title.is_empty() {
            return Err(RuleError::new("title", "title is required."));
        }
        if title.chars().count() > MAX_TITLE_CHARS || title.chars().any(char::is_control) {
            return Err(RuleError::new(
                "title",
                format!("title must be at most {MAX_TITLE_CHARS} characters, without control characters."),
            ));
        }
        self.title = title.to_string();
        if !(1..=9999).contains(&self.day.year()) {
            return Err(RuleError::new(
                "anniversaryDay",
                "anniversaryDay must be a date of the years 0001 to 9999.",
            ));
        }
        if !KINDS.contains(&self.kind) {
            return Err(RuleError::new(
                "anniversaryType",
                "anniversaryType must be 1 (national holiday), 2 (company anniversary), 3 (lunar calendar) or 4 (other).",
            ));
        }
        if !OFFSETS.contains(&self.offset_minutes) {
            return Err(RuleError::new(
                "timezoneOffset",
                "timezoneOffset must be minutes from -840 (UTC+14) to 720 (UTC-12), as JavaScript's getTimezoneOffset gives them (-540 for UTC+9).",
            ));
        }
        Ok(self)
    }
}

/// A day as Brity writes it, "2022.05.05"; "2022-05-05" is read too.
pub fn parse_day(field: &'static str, text: &str) -> Result<NaiveDate, RuleError> {
    let text = text.trim();
    let bad = || RuleError::new(field, format!("{field} must be a date such as 2022.05.05."));
    // Exactly four digits of year: chrono's %Y would take more, or a sign.
    let ok_shape = text.len() == 10 && text.as_bytes()[..4].iter().all(u8::is_ascii_digit);
    if !ok_shape {
        return Err(bad());
    }
    NaiveDate::parse_from_str(text, "%Y.%m.%d")
        .or_else(|_| NaiveDate::parse_from_str(text, "%Y-%m-%d"))
        .map_err(|_| bad())
}

/// A day as Brity shows it: "2022.05.05".
pub fn format_day(day: NaiveDate) -> String {
    day.format("%Y.%m.%d").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> AnniversaryFields {
        AnniversaryFields {
            title: " Children's Day ".into(),
            day: NaiveDate::from_ymd_opt(2022, 5, 5).expect("date"),
            kind: 1,
            rest_day: true,
            offset_minutes: -540,
        }
    }

    #[test]
    fn days_are_read_in_both_forms_and_shown_with_dots() {
        let day = NaiveDate::from_ymd_opt(2022, 5, 5).expect("date");
        assert_eq!(parse_day("d", "2022.05.05"), Ok(day));
        assert_eq!(parse_day("d", " 2022-05-05 "), Ok(day));
        assert_eq!(format_day(day), "2022.05.05");
        for bad in [
            "",
            "2022.5.5",
            "2022.02.30",
            "22.05.05",
            "+2022.05.05",
            "20220505",
            "2022/05/05",
            "12022.05.05",
            "2022.05.05T00:00",
            "２０２２.05.05",
        ] {
            assert!(parse_day("d", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn fields_are_checked() {
        assert_eq!(
            fields().checked().map(|f| f.title),
            Ok("Children's Day".into())
        );
        let field = |f: AnniversaryFields| f.checked().map_err(|e| e.field).err();
        assert_eq!(
            field(AnniversaryFields {
                title: "  ".into(),
                ..fields()
            }),
            Some("title")
        );
        let long = "x".repeat(MAX_TITLE_CHARS + 1);
        assert_eq!(
            field(AnniversaryFields {
                title: long,
                ..fields()
            }),
            Some("title")
        );
        let tab = "a\tb".to_string();
        assert_eq!(
            field(AnniversaryFields {
                title: tab,
                ..fields()
            }),
            Some("title")
        );
        assert_eq!(
            field(AnniversaryFields {
                kind: 0,
                ..fields()
            }),
            Some("anniversaryType")
        );
        assert_eq!(
            field(AnniversaryFields {
                kind: 5,
                ..fields()
            }),
            Some("anniversaryType")
        );
        for offset in [-841, 721, i32::MIN] {
            assert_eq!(
                field(AnniversaryFields {
                    offset_minutes: offset,
                    ..fields()
                }),
                Some("timezoneOffset")
            );
        }
        let ancient = NaiveDate::from_ymd_opt(0, 1, 1).expect("date");
        assert_eq!(
            field(AnniversaryFields {
                day: ancient,
                ..fields()
            }),
            Some("anniversaryDay")
        );
        assert_eq!(
            field(AnniversaryFields {
                kind: 4,
                offset_minutes: 720,
                ..fields()
            }),
            None
        );
    }
}
