//! How a registration or modification of a shared resource or credential becomes a row:
//! the checks that need no stored row, and the columns a change leaves — fields left out
//! keep their stored value, a value that must be secure is sealed here, and a sealed value
//! is never turned back into clear text by a change.

use super::resources::{Category, ResourceChange, ResourceKind};
use super::resources::{
    MAX_DESC_CHARS, MAX_FILE_BYTES, MAX_FILE_NAME_CHARS, MAX_ID_CHARS, MAX_MEDIUM_CHARS,
    MAX_NAME_CHARS, MAX_TAGS, MAX_TAG_CHARS, MAX_VALUE_BYTES,
};
use crate::{sealed, Result};
use sluice_domain::Error;

/// The columns of the stored row a modification starts from.
pub(super) const CURRENT_COLUMNS: &str = "kind, name, description, large_category, \
     medium_category, category, is_secure, text_value, sealed_value, file_name, file_size";

/// The stored row a modification starts from.
#[derive(sqlx::FromRow)]
pub(super) struct Current {
    pub kind: String,
    name: String,
    description: String,
    large_category: String,
    medium_category: String,
    category: String,
    is_secure: bool,
    text_value: Option<String>,
    sealed_value: Option<Vec<u8>>,
    file_name: Option<String>,
    file_size: i64,
}

/// Every column a write sets (the file's bytes apart).
pub(super) struct Row {
    pub category: &'static str,
    pub name: String,
    pub description: String,
    pub large_category: String,
    pub medium_category: String,
    pub is_secure: bool,
    pub text_value: Option<String>,
    pub sealed_value: Option<Vec<u8>>,
    pub file_name: Option<String>,
    pub file_size: i64,
}

/// What becomes of a file's bytes.
pub(super) enum Content<'a> {
    Keep,
    Set(Option<&'a [u8]>),
}

/// The place a sealed value is bound to.
pub(crate) fn place(kind: ResourceKind, org: i64, id: &str) -> String {
    format!("{}:{org}:{id}", kind.as_str())
}

pub(super) fn bad(msg: impl Into<String>) -> crate::Error {
    Error::invalid(msg).into()
}

/// A text field: no NUL (PostgreSQL refuses one) and at most `max` characters.
fn check_text(field: &str, value: &str, max: usize) -> Result<()> {
    if value.contains('\0') {
        return Err(bad(format!("{field} may not hold a NUL character.")));
    }
    if value.chars().count() > max {
        return Err(bad(format!("{field} is longer than {max} characters.")));
    }
    Ok(())
}

/// Brity's ids are UUIDs; any id of letters, digits, `-`, `_` and `.` is taken.
pub fn check_id(id: &str) -> Result<()> {
    let ok = !id.is_empty()
        && id.chars().count() <= MAX_ID_CHARS
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(bad(format!(
            "id must be 1 to {MAX_ID_CHARS} letters, digits, '-', '_' or '.'."
        )))
    }
}

/// The checks that need no stored row.
pub(super) fn check_change(kind: ResourceKind, c: &ResourceChange) -> Result<()> {
    if let Some(id) = &c.id {
        check_id(id)?;
    }
    if let Some(name) = &c.name {
        check_text("name", name, MAX_NAME_CHARS)?;
        if name.trim().is_empty() {
            return Err(bad("name may not be empty."));
        }
        if name.chars().any(char::is_control) {
            return Err(bad("name may not hold control characters."));
        }
    }
    if let Some(d) = &c.description {
        check_text("desc", d, MAX_DESC_CHARS)?;
    }
    if let Some(m) = &c.medium_category {
        check_text("mediumCategory", m, MAX_MEDIUM_CHARS)?;
    }
    if let Some(tags) = &c.large_category {
        if tags.len() > MAX_TAGS {
            return Err(bad(format!(
                "largeCategory holds more than {MAX_TAGS} tags."
            )));
        }
        for t in tags {
            check_text("A largeCategory tag", t, MAX_TAG_CHARS)?;
        }
    }
    if let Some(text) = &c.text {
        if text.contains('\0') {
            return Err(bad("data may not hold a NUL character."));
        }
        if text.len() > MAX_VALUE_BYTES {
            return Err(bad(format!("data is larger than {MAX_VALUE_BYTES} bytes.")));
        }
    }
    if let Some(f) = &c.file {
        check_text("The file name", &f.name, MAX_FILE_NAME_CHARS)?;
        if f.name.trim().is_empty() || f.name.chars().any(char::is_control) {
            return Err(bad(
                "The file needs a file name without control characters.",
            ));
        }
        if f.bytes.len() > MAX_FILE_BYTES {
            return Err(bad(format!(
                "The file is larger than {MAX_FILE_BYTES} bytes."
            )));
        }
    }
    if kind == ResourceKind::Credential {
        if c.file.is_some() {
            return Err(bad("A credential holds data, not a file."));
        }
        if c.category.is_some() {
            return Err(bad("A credential has no category."));
        }
        if let Some(text) = &c.text {
            check_credential_value(text)?;
        }
    }
    Ok(())
}

/// A credential's value is a text or a JSON object of fields (`{"userId", "password"}`);
/// a text that starts as an object must be one, so a typo is not handed out as text.
fn check_credential_value(text: &str) -> Result<()> {
    if text.trim_start().starts_with('{')
        && !matches!(
            serde_json::from_str::<serde_json::Value>(text),
            Ok(serde_json::Value::Object(_))
        )
    {
        return Err(bad(
            "data starts as a JSON object but is not one: send a valid object of fields or plain text.",
        ));
    }
    Ok(())
}

/// Works out every column of the row a change leaves, sealing a value that must be.
pub(super) fn plan<'c>(
    key: &[u8; 32],
    place: &str,
    kind: ResourceKind,
    c: &'c ResourceChange,
    current: Option<&Current>,
) -> Result<(Row, Content<'c>)> {
    let category = match kind {
        ResourceKind::Credential => None,
        ResourceKind::Asset => Some(
            c.category
                .or_else(|| current.and_then(|r| Category::parse(&r.category)))
                .unwrap_or(if c.file.is_some() {
                    Category::File
                } else {
                    Category::String
                }),
        ),
    };
    let same_category = current.is_some_and(|r| r.category == category.map_or("", |c| c.as_str()));
    let was_secure = same_category && current.is_some_and(|r| r.is_secure);
    let secure = match kind {
        ResourceKind::Credential => true,
        ResourceKind::Asset => c.secure.unwrap_or(was_secure),
    };
    let name = match (&c.name, current) {
        (Some(n), _) => n.trim().to_string(),
        (None, Some(r)) => r.name.clone(),
        (None, None) => return Err(bad("name is required.")),
    };
    // A field left out keeps its stored value, or takes its default.
    let kept = |given: &Option<String>, stored: fn(&Current) -> &String| {
        given
            .clone()
            .or_else(|| current.map(|r| stored(r).clone()))
            .unwrap_or_default()
    };
    let large_category = match (&c.large_category, current) {
        (Some(tags), _) => serde_json::to_string(tags).map_err(anyhow::Error::from)?,
        (None, Some(r)) => r.large_category.clone(),
        (None, None) => "[]".to_string(),
    };
    let mut row = Row {
        category: category.map_or("", Category::as_str),
        name,
        description: kept(&c.description, |r| &r.description),
        large_category,
        medium_category: kept(&c.medium_category, |r| &r.medium_category),
        is_secure: secure,
        text_value: None,
        sealed_value: None,
        file_name: None,
        file_size: 0,
    };
    let mut content = Content::Set(None);
    if category == Some(Category::File) {
        if secure {
            return Err(bad(
                "isSecureData Y is for string resources: a file resource cannot be secure.",
            ));
        }
        if c.text.as_deref().is_some_and(|t| !t.is_empty()) {
            return Err(bad(
                "data is for string resources: send a file resource's content as the part file.",
            ));
        }
        match (&c.file, current.filter(|_| same_category)) {
            (Some(f), _) => {
                row.file_name = Some(f.name.trim().to_string());
                row.file_size = f.bytes.len() as i64;
                content = Content::Set(Some(&f.bytes));
            }
            (None, Some(r)) => {
                row.file_name = r.file_name.clone();
                row.file_size = r.file_size;
                content = Content::Keep;
            }
            (None, None) => return Err(bad("file is required for a file resource.")),
        }
        return Ok((row, content));
    }
    if c.file.is_some() {
        return Err(bad("file is for file resources (category file)."));
    }
    let text = match (&c.text, current.filter(|_| same_category)) {
        (Some(t), _) => t.clone(),
        (None, Some(r)) if r.is_secure == secure => {
            // Unchanged: the stored value stays as it is.
            row.text_value = r.text_value.clone();
            row.sealed_value = r.sealed_value.clone();
            return Ok((row, content));
        }
        (None, Some(r)) if secure => r.text_value.clone().unwrap_or_default(),
        (None, Some(_)) => {
            return Err(bad(
                "A secure value is never revealed: send new data to make the resource plain.",
            ))
        }
        (None, None) => return Err(bad("data is required.")),
    };
    if secure {
        row.sealed_value = Some(sealed::seal(key, place, text.as_bytes()));
    } else {
        row.text_value = Some(text);
    }
    Ok((row, content))
}

#[cfg(test)]
mod tests {
    use super::super::resources::FileUpload;
    use super::*;

    const KEY: [u8; 32] = [3u8; 32];

    fn change(text: Option<&str>) -> ResourceChange {
        ResourceChange {
            name: Some("n".into()),
            text: text.map(str::to_string),
            ..Default::default()
        }
    }

    fn stored(category: &str, secure: bool, text: Option<&str>) -> Current {
        Current {
            kind: "asset".into(),
            name: "stored".into(),
            description: "d".into(),
            large_category: "[\"t\"]".into(),
            medium_category: "m".into(),
            category: category.into(),
            is_secure: secure,
            text_value: text.map(str::to_string),
            sealed_value: secure.then(|| sealed::seal(&KEY, "p", b"old")),
            file_name: (category == "file").then(|| "a.txt".to_string()),
            file_size: 3,
        }
    }

    #[test]
    fn ids_names_and_sizes_are_checked() {
        for id in ["", "a b", "x/y", "é", &"a".repeat(101)] {
            assert!(check_id(id).is_err(), "{id:?}");
        }
        check_id("43bf2861-fd06-4279-bf55-d585b111c7xx").unwrap();
        let asset = ResourceKind::Asset;
        for c in [
            ResourceChange {
                name: Some(" ".into()),
                ..Default::default()
            },
            ResourceChange {
                name: Some("a\tb".into()),
                ..Default::default()
            },
            ResourceChange {
                name: Some("n".repeat(101)),
                ..Default::default()
            },
            ResourceChange {
                description: Some("x\0".into()),
                ..Default::default()
            },
            ResourceChange {
                large_category: Some(vec!["t".into(); 21]),
                ..Default::default()
            },
            ResourceChange {
                text: Some("x".repeat(MAX_VALUE_BYTES + 1)),
                ..Default::default()
            },
        ] {
            assert!(check_change(asset, &c).is_err(), "{c:?}");
        }
        let cred = ResourceKind::Credential;
        assert!(check_change(cred, &change(Some("{\"user\": "))).is_err());
        check_change(
            cred,
            &change(Some("{\"userId\": \"u\", \"password\": \"p\"}")),
        )
        .unwrap();
        check_change(cred, &change(Some("plain {text}"))).unwrap();
        let with_file = ResourceChange {
            file: Some(FileUpload {
                name: "a".into(),
                bytes: vec![],
            }),
            ..Default::default()
        };
        assert!(check_change(cred, &with_file).is_err());
    }

    #[test]
    fn secure_values_are_sealed_and_never_unsealed_by_a_change() {
        let asset = ResourceKind::Asset;
        let mut c = change(Some("p@ss"));
        c.secure = Some(true);
        let (row, _) = plan(&KEY, "asset:1:a", asset, &c, None).unwrap();
        assert_eq!(row.text_value, None);
        let sealed = row.sealed_value.unwrap();
        assert_eq!(sealed::open(&KEY, "asset:1:a", &sealed).unwrap(), b"p@ss");

        // Plain → secure without new data seals the stored text.
        let c = ResourceChange {
            secure: Some(true),
            ..Default::default()
        };
        let (row, _) = plan(
            &KEY,
            "asset:1:a",
            asset,
            &c,
            Some(&stored("string", false, Some("v"))),
        )
        .unwrap();
        assert_eq!(
            sealed::open(&KEY, "asset:1:a", &row.sealed_value.unwrap()).unwrap(),
            b"v"
        );
        // Secure → plain needs new data.
        let c = ResourceChange {
            secure: Some(false),
            ..Default::default()
        };
        assert!(plan(&KEY, "p", asset, &c, Some(&stored("string", true, None))).is_err());
        let mut c = change(Some("new"));
        c.secure = Some(false);
        let (row, _) = plan(&KEY, "p", asset, &c, Some(&stored("string", true, None))).unwrap();
        assert_eq!(
            (row.text_value.as_deref(), row.sealed_value),
            (Some("new"), None)
        );
        // Unchanged: the sealed bytes stay.
        let old = stored("string", true, None);
        let (row, _) = plan(&KEY, "p", asset, &ResourceChange::default(), Some(&old)).unwrap();
        assert_eq!(row.sealed_value, old.sealed_value);
        // A credential is always sealed.
        let (row, _) = plan(
            &KEY,
            "c",
            ResourceKind::Credential,
            &change(Some("x")),
            None,
        )
        .unwrap();
        assert!(row.is_secure && row.text_value.is_none() && row.sealed_value.is_some());
    }

    #[test]
    fn fields_left_out_keep_their_stored_values() {
        let asset = ResourceKind::Asset;
        let old = stored("string", false, Some("v"));
        let nothing = ResourceChange::default();
        let (row, _) = plan(&KEY, "p", asset, &nothing, Some(&old)).unwrap();
        assert_eq!(
            (
                row.name.as_str(),
                row.description.as_str(),
                row.large_category.as_str()
            ),
            ("stored", "d", "[\"t\"]")
        );
        assert_eq!(
            (row.medium_category.as_str(), row.text_value.as_deref()),
            ("m", Some("v"))
        );
        let (row, _) = plan(&KEY, "p", asset, &change(Some("w")), None).unwrap();
        assert_eq!(
            (row.description.as_str(), row.large_category.as_str()),
            ("", "[]")
        );
    }

    #[test]
    fn categories_need_their_own_value() {
        let asset = ResourceKind::Asset;
        assert!(
            plan(&KEY, "p", asset, &change(None), None).is_err(),
            "data required"
        );
        let mut c = change(None);
        c.category = Some(Category::File);
        assert!(plan(&KEY, "p", asset, &c, None).is_err(), "file required");
        c.file = Some(FileUpload {
            name: "f.txt".into(),
            bytes: b"hi".to_vec(),
        });
        let (row, content) = plan(&KEY, "p", asset, &c, None).unwrap();
        assert_eq!((row.category, row.file_size), ("file", 2));
        assert!(matches!(content, Content::Set(Some(b"hi"))));
        c.secure = Some(true);
        assert!(plan(&KEY, "p", asset, &c, None).is_err(), "no secure files");
        // A file resource turned into a string one needs data, and drops the bytes.
        let mut c = ResourceChange {
            category: Some(Category::String),
            ..Default::default()
        };
        assert!(plan(&KEY, "p", asset, &c, Some(&stored("file", false, None))).is_err());
        c.text = Some("t".into());
        let (row, content) =
            plan(&KEY, "p", asset, &c, Some(&stored("file", false, None))).unwrap();
        assert_eq!(
            (row.file_name, row.text_value.as_deref()),
            (None, Some("t"))
        );
        assert!(matches!(content, Content::Set(None)));
        // A modification without a file keeps the stored one.
        let nothing = ResourceChange::default();
        let (row, content) = plan(
            &KEY,
            "p",
            asset,
            &nothing,
            Some(&stored("file", false, None)),
        )
        .unwrap();
        assert_eq!(row.file_name.as_deref(), Some("a.txt"));
        assert!(matches!(content, Content::Keep));
    }
}
