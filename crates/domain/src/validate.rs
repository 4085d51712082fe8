//! Field rules shared by every object and every dialect.

use crate::{Error, Result};
use serde_json::Value;

/// Longest accepted name of anything (organization, department, rank, group, display name).
pub const MAX_NAME_CHARS: usize = 200;
/// Longest accepted login (the part before `@ABBR`).
pub const MAX_LOGIN_CHARS: usize = 150;
/// Longest accepted e-mail address (RFC 5321 path limit).
pub const MAX_EMAIL_CHARS: usize = 254;
/// Longest accepted password; longer input is refused rather than truncated.
pub const MAX_PASSWORD_CHARS: usize = 1024;
/// Longest accepted organization abbreviation.
pub const MAX_ABBR_CHARS: usize = 32;
/// Largest `client_extra` document, serialized.
pub const MAX_CLIENT_EXTRA_BYTES: usize = 64 * 1024;

/// A required, human-readable name: trimmed, not empty, no control characters, bounded.
pub fn name(field: &str, value: &str) -> Result<String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(Error::invalid(format!("{field} must not be empty.")));
    }
    if v.chars().count() > MAX_NAME_CHARS {
        return Err(Error::invalid(format!(
            "{field} is longer than {MAX_NAME_CHARS} characters."
        )));
    }
    if v.chars().any(char::is_control) {
        return Err(Error::invalid(format!(
            "{field} must not contain control characters."
        )));
    }
    Ok(v.to_string())
}

/// An organization abbreviation: upper-case letters, digits and `_`, starting with a letter.
pub fn abbr(value: &str) -> Result<String> {
    let ok_len = !value.is_empty() && value.len() <= MAX_ABBR_CHARS;
    let ok_chars = value
        .chars()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    let ok_start = value.starts_with(|c: char| c.is_ascii_uppercase());
    if ok_len && ok_chars && ok_start {
        Ok(value.to_string())
    } else {
        Err(Error::invalid(format!(
            "abbr must be 1 to {MAX_ABBR_CHARS} upper-case letters, digits or '_', starting with a letter."
        )))
    }
}

/// A login: letters, digits and `.`, `_`, `-`, `+`; no `@`, spaces or path characters.
pub fn login(value: &str) -> Result<String> {
    let ok_len = !value.is_empty() && value.chars().count() <= MAX_LOGIN_CHARS;
    let ok_chars = value
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '+'));
    if ok_len && ok_chars {
        Ok(value.to_string())
    } else {
        Err(Error::invalid(format!(
            "login must be 1 to {MAX_LOGIN_CHARS} letters, digits or '.', '_', '-', '+'."
        )))
    }
}

/// Splits a full username `login@ABBR` into its login and organization abbreviation.
pub fn split_username(username: &str) -> Result<(&str, &str)> {
    match username.rsplit_once('@') {
        Some((login, abbr)) if !login.is_empty() && !abbr.is_empty() => Ok((login, abbr)),
        _ => Err(Error::invalid(
            "username must have the form login@ORGANIZATION_ABBR.",
        )),
    }
}

/// An e-mail address; empty is allowed where `required` is false.
pub fn email(value: &str, required: bool) -> Result<String> {
    let v = value.trim();
    if v.is_empty() {
        return if required {
            Err(Error::invalid("email must not be empty."))
        } else {
            Ok(String::new())
        };
    }
    let well_formed = matches!(v.split_once('@'), Some((local, domain))
        if !local.is_empty() && !domain.is_empty() && !domain.contains('@'));
    if !well_formed || v.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::invalid(format!(
            "email {v:?} is not a valid address."
        )));
    }
    if v.chars().count() > MAX_EMAIL_CHARS {
        return Err(Error::invalid(format!(
            "email is longer than {MAX_EMAIL_CHARS} characters."
        )));
    }
    Ok(v.to_string())
}

/// A password to be hashed: not empty and bounded (argon2 input is unbounded otherwise).
pub fn password(value: &str) -> Result<()> {
    if value.is_empty() {
        return Err(Error::invalid("password must not be empty."));
    }
    if value.chars().count() > MAX_PASSWORD_CHARS {
        return Err(Error::invalid(format!(
            "password is longer than {MAX_PASSWORD_CHARS} characters."
        )));
    }
    Ok(())
}

/// `client_extra`: any JSON object (or null), bounded in size. Returns its stored text.
pub fn client_extra(value: &Value) -> Result<Option<String>> {
    match value {
        Value::Null => Ok(None),
        Value::Object(_) => {
            let text = value.to_string();
            if text.len() > MAX_CLIENT_EXTRA_BYTES {
                Err(Error::invalid(format!(
                    "__client_extra__ is larger than {MAX_CLIENT_EXTRA_BYTES} bytes."
                )))
            } else {
                Ok(Some(text))
            }
        }
        _ => Err(Error::invalid("__client_extra__ must be a JSON object.")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(name("name", "  MIS ").unwrap(), "MIS");
        assert!(name("name", "   ").is_err());
        assert!(name("name", &"x".repeat(MAX_NAME_CHARS + 1)).is_err());
        assert!(name("name", "a\u{0}b").is_err());
        assert_eq!(name("name", "打雜部").unwrap(), "打雜部");
    }

    #[test]
    fn abbreviations_are_upper_case_identifiers() {
        assert!(abbr("DEMO_EN").is_ok());
        assert!(abbr("demo").is_err());
        assert!(abbr("1ABC").is_err());
        assert!(abbr("A B").is_err());
        assert!(abbr("").is_err());
    }

    #[test]
    fn usernames_split_at_the_last_at_sign() {
        assert_eq!(split_username("hello@ORG").unwrap(), ("hello", "ORG"));
        assert!(split_username("hello").is_err());
        assert!(split_username("@ORG").is_err());
        assert!(split_username("hello@").is_err());
    }

    #[test]
    fn logins_refuse_path_and_sql_characters() {
        assert!(login("a.b-c_d+e").is_ok());
        for bad in ["../etc", "a b", "x'; DROP TABLE users;--", "a/b", "a@b", ""] {
            assert!(login(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn client_extra_must_be_an_object() {
        assert_eq!(client_extra(&Value::Null).unwrap(), None);
        assert!(client_extra(&serde_json::json!([1])).is_err());
        assert!(client_extra(&serde_json::json!({"a": 1}))
            .unwrap()
            .is_some());
    }

    proptest! {
        #[test]
        fn name_never_panics_and_output_is_trimmed(s in ".*") {
            if let Ok(n) = name("name", &s) {
                prop_assert_eq!(n.trim(), n.as_str());
                prop_assert!(!n.is_empty());
            }
        }

        #[test]
        fn accepted_logins_never_contain_at_or_slash(s in ".*") {
            if let Ok(l) = login(&s) {
                prop_assert!(!l.contains('@') && !l.contains('/'));
            }
        }
    }
}
