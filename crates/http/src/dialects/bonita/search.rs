//! Bonita's standard search parameters: `p` (page, from 0), `c` (count per page), `f`
//! (`attribute=value` filters, repeatable, all must hold), `o` (`attribute ASC|DESC`), `s`
//! (text search), `d` (deploy: expand an id into its object); and the `Content-Range:
//! p-c/total` header of the answer.

use super::wire::{BonitaError, BonitaResult};
use axum::http::{header, HeaderValue};
use axum::response::IntoResponse;
use axum::Json;
use serde_json::Value;
use sluice_store::identity::directory::{Order, PageRequest};

/// Largest `c` accepted; a client wanting more pages through.
pub(super) const MAX_COUNT: i64 = 1000;
/// `c` when none is given.
const DEFAULT_COUNT: i64 = 10;
/// Longest `s` accepted (longer than any name).
const MAX_TEXT_CHARS: usize = 200;

/// The parsed search parameters of a request.
#[derive(Debug, Default)]
pub(super) struct Search {
    pub page: i64,
    pub count: i64,
    pub filters: Vec<(String, String)>,
    /// Attribute and whether descending.
    pub order: Option<(String, bool)>,
    pub text: Option<String>,
    pub deploys: Vec<String>,
}

impl Search {
    /// Reads the parameters of a raw query string.
    pub fn parse(query: Option<&str>) -> Result<Self, BonitaError> {
        let mut s = Search {
            count: DEFAULT_COUNT,
            ..Default::default()
        };
        for (k, v) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            match k.as_ref() {
                "p" => s.page = number("p", &v, i64::MAX)?,
                "c" => s.count = number("c", &v, MAX_COUNT)?,
                "f" => {
                    let (name, value) = v.split_once('=').ok_or_else(|| {
                        BonitaError::bad_request(format!(
                            "Invalid filter {v:?}: expected attribute=value."
                        ))
                    })?;
                    s.filters.push((name.trim().to_string(), value.to_string()));
                }
                "o" => s.order = Some(order(&v)?),
                "s" => {
                    if v.chars().count() > MAX_TEXT_CHARS {
                        return Err(BonitaError::bad_request(format!(
                            "s is longer than {MAX_TEXT_CHARS} characters."
                        )));
                    }
                    s.text = Some(v.into_owned()).filter(|t| !t.trim().is_empty());
                }
                "d" => s.deploys.push(v.into_owned()),
                // Counters (`n`) and anything else are not part of the identity API.
                _ => {}
            }
        }
        if s.page.checked_mul(s.count).is_none() {
            return Err(BonitaError::bad_request("p is too large."));
        }
        Ok(s)
    }

    /// The page to read.
    pub fn page_request(&self) -> PageRequest {
        PageRequest {
            offset: self.page * self.count,
            limit: self.count,
        }
    }

    /// Whether `d=name` was asked for.
    pub fn deploys(&self, name: &str) -> bool {
        self.deploys.iter().any(|d| d == name)
    }

    /// The order mapped onto a key by `key_of` (`None` for an unknown attribute: 400).
    pub fn order_by<K>(
        &self,
        key_of: impl Fn(&str) -> Option<K>,
    ) -> Result<Option<Order<K>>, BonitaError> {
        match &self.order {
            None => Ok(None),
            Some((attr, descending)) => match key_of(attr) {
                Some(key) => Ok(Some(Order {
                    key,
                    descending: *descending,
                })),
                None => Err(BonitaError::bad_request(format!(
                    "Invalid order attribute: {attr}."
                ))),
            },
        }
    }

    /// The JSON array of a page with its `Content-Range`.
    pub fn reply(&self, items: Vec<Value>, total: i64) -> BonitaResult {
        let range = format!("{}-{}/{}", self.page, self.count, total);
        let mut res = Json(Value::Array(items)).into_response();
        if let Ok(v) = HeaderValue::from_str(&range) {
            res.headers_mut().insert(header::CONTENT_RANGE, v);
        }
        Ok(res)
    }
}

/// The error of a filter attribute this resource does not have.
pub(super) fn unknown_filter(name: &str) -> BonitaError {
    BonitaError::bad_request(format!("Invalid filter attribute: {name}."))
}

fn number(key: &str, v: &str, max: i64) -> Result<i64, BonitaError> {
    let n: i64 = v
        .trim()
        .parse()
        .map_err(|_| BonitaError::bad_request(format!("{key} must be a whole number.")))?;
    if n < 0 || n > max {
        return Err(BonitaError::bad_request(format!(
            "{key} must be between 0 and {max}."
        )));
    }
    Ok(n)
}

/// `attr ASC`, `attr DESC`, `attr` (ascending), or Bonita's `ATTR_ASC` form of memberships.
fn order(v: &str) -> Result<(String, bool), BonitaError> {
    let v = v.trim();
    let mut words = v.split_whitespace();
    let (Some(attr), dir, None) = (words.next(), words.next(), words.next()) else {
        return Err(BonitaError::bad_request(format!(
            "Invalid order {v:?}: expected \"attribute ASC\" or \"attribute DESC\"."
        )));
    };
    match dir.map(str::to_ascii_uppercase).as_deref() {
        None => {
            if let Some(a) = attr.strip_suffix("_ASC") {
                Ok((a.to_string(), false))
            } else if let Some(a) = attr.strip_suffix("_DESC") {
                Ok((a.to_string(), true))
            } else {
                Ok((attr.to_string(), false))
            }
        }
        Some("ASC") => Ok((attr.to_string(), false)),
        Some("DESC") => Ok((attr.to_string(), true)),
        Some(_) => Err(BonitaError::bad_request(format!(
            "Invalid order {v:?}: the direction is ASC or DESC."
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_are_read_in_both_forms() {
        assert_eq!(order("lastname ASC").unwrap(), ("lastname".into(), false));
        assert_eq!(order("lastname desc").unwrap(), ("lastname".into(), true));
        assert_eq!(order("ROLE_NAME_DESC").unwrap(), ("ROLE_NAME".into(), true));
        assert!(order("a b c").is_err());
        assert!(order("a UP").is_err());
    }

    #[test]
    fn bad_paging_is_refused() {
        assert!(Search::parse(Some("p=x")).is_err());
        assert!(Search::parse(Some("c=100000")).is_err());
        assert!(Search::parse(Some("c=-1")).is_err());
        assert!(Search::parse(Some("f=enabled")).is_err());
        let s = Search::parse(Some("p=2&c=5&f=enabled%3Dtrue&d=manager_id")).unwrap();
        assert_eq!(
            s.page_request(),
            PageRequest {
                offset: 10,
                limit: 5
            }
        );
        assert_eq!(s.filters, vec![("enabled".to_string(), "true".to_string())]);
        assert!(s.deploys("manager_id"));
    }
}
