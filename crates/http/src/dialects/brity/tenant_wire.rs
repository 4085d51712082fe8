//! Wire helpers of Brity's tenant, user and group endpoints: JSON bodies (also on GET, as
//! the spec sends them), paging, `Y`/`N` flags, `orderBy`, the `tenantId` check and the
//! tenant-administrator check.

use super::error::BrityError;
use axum::body::Body;
use axum::http::StatusCode;
use serde::de::{DeserializeOwned, Deserializer};
use serde::Deserialize;
use sluice_domain::identity::User;
use sluice_store::identity::PageRequest;
use sluice_store::oauth::Principal;

/// Rows of a page when `limit` is not given.
pub(crate) const DEFAULT_LIMIT: i64 = 10;
/// Most rows of one page; a larger `limit` is lowered to it.
pub(crate) const MAX_LIMIT: i64 = 100;

/// Reads a JSON body; an empty body is `None`. Malformed JSON, a wrong type or a NUL
/// character is a 400 naming where.
pub(crate) async fn optional_json<T: DeserializeOwned>(
    body: Body,
) -> Result<Option<T>, BrityError> {
    super::json_body::read_json(body).await
}

/// Reads a JSON body that must be present.
pub(crate) async fn required_json<T: DeserializeOwned>(body: Body) -> Result<T, BrityError> {
    optional_json(body)
        .await?
        .ok_or_else(|| BrityError::invalid("The request body is missing."))
}

/// A number sent as a JSON number or as a numeric string (`"limit": "10"` appears in the
/// spec); an empty string or `null` is absent.
pub(crate) fn lenient_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Int(i64),
        Text(String),
    }
    match Option::<Raw>::deserialize(d)? {
        None => Ok(None),
        Some(Raw::Int(i)) => Ok(Some(i)),
        Some(Raw::Text(t)) if t.trim().is_empty() => Ok(None),
        Some(Raw::Text(t)) => t
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| serde::de::Error::custom(format!("{t:?} is not an integer"))),
    }
}

/// `offset` and `limit` as sent.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Paging {
    #[serde(deserialize_with = "lenient_i64")]
    pub offset: Option<i64>,
    #[serde(deserialize_with = "lenient_i64")]
    pub limit: Option<i64>,
}

impl Paging {
    /// The page: `offset` 0 and `limit` 10 when absent, `limit` lowered to 100; negative
    /// values are refused.
    pub fn page(&self) -> Result<PageRequest, BrityError> {
        let start = self.offset.unwrap_or(0);
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if start < 0 {
            return Err(BrityError::invalid("offset must not be negative."));
        }
        if limit < 0 {
            return Err(BrityError::invalid("limit must be 0 to 100."));
        }
        Ok(PageRequest {
            start,
            limit: limit.min(MAX_LIMIT),
        })
    }
}

/// A `"Y"`/`"N"` flag; empty is absent.
pub(crate) fn yn(field: &str, value: Option<&str>) -> Result<Option<bool>, BrityError> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) if v.eq_ignore_ascii_case("Y") => Ok(Some(true)),
        Some(v) if v.eq_ignore_ascii_case("N") => Ok(Some(false)),
        Some(_) => Err(BrityError::invalid(format!(
            "{field} must be \"Y\" or \"N\"."
        ))),
    }
}

/// `"Y"` or `"N"`.
pub(crate) fn flag(b: bool) -> &'static str {
    if b {
        "Y"
    } else {
        "N"
    }
}

/// Parses `orderBy` (`"column"` or `"column asc|desc"`, any case) against the allowed
/// columns; empty is `default`. Returns the key and whether descending.
pub(crate) fn order_by<K: Copy>(
    value: Option<&str>,
    columns: &[(&str, K)],
    default: K,
) -> Result<(K, bool), BrityError> {
    let v = value.map(str::trim).unwrap_or("");
    if v.is_empty() {
        return Ok((default, false));
    }
    let allowed = || {
        let names: Vec<&str> = columns.iter().map(|(n, _)| *n).collect();
        BrityError::invalid(format!(
            "orderBy must be one of {} with an optional asc or desc.",
            names.join(", ")
        ))
    };
    let mut words = v.split_whitespace();
    let column = words.next().unwrap_or("");
    let descending = match words.next() {
        None => false,
        Some(d) if d.eq_ignore_ascii_case("asc") => false,
        Some(d) if d.eq_ignore_ascii_case("desc") => true,
        Some(_) => return Err(allowed()),
    };
    if words.next().is_some() {
        return Err(allowed());
    }
    let key = columns
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(column))
        .map(|(_, k)| *k)
        .ok_or_else(allowed)?;
    Ok((key, descending))
}

/// Brity's answer for a tenant other than the caller's (the spec's documented error).
pub(crate) fn tenant_not_available(tenant_id: &str) -> BrityError {
    BrityError::coded(
        StatusCode::NOT_FOUND,
        "NOT_AVAILABLE_TENANT",
        "TENANT_T2",
        format!("tenant is not available. tenantId : {tenant_id}"),
    )
}

/// Checks that `tenant_id` names the caller's tenant: its organization's abbreviation
/// (any case). The platform's own organization is no tenant. Another tenant's id is "not
/// available", as an unknown one is.
pub(crate) fn own_tenant(p: &Principal, tenant_id: &str) -> Result<(), BrityError> {
    if p.org.is_system || !p.org.abbr.eq_ignore_ascii_case(tenant_id.trim()) {
        return Err(tenant_not_available(tenant_id));
    }
    Ok(())
}

/// Whether the caller is a tenant administrator: an administrator user (directly or by a
/// unit or role grant) or the organization's own client (a `client_credentials` token).
pub(crate) fn is_tenant_admin(p: &Principal) -> bool {
    p.user.as_ref().is_none_or(|u| u.is_admin)
}

/// Refuses callers who are not tenant administrators (user and group management).
pub(crate) fn require_tenant_admin(p: &Principal) -> Result<(), BrityError> {
    if is_tenant_admin(p) {
        Ok(())
    } else {
        Err(BrityError::forbidden(
            "Only a tenant administrator may use this API.",
        ))
    }
}

/// The caller's user, for `createUserId` and the like.
pub(crate) fn acting_user(p: &Principal) -> Option<&User> {
    p.user.as_ref()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Copy, Debug, PartialEq)]
    enum K {
        A,
        B,
    }

    #[test]
    fn order_by_accepts_a_column_and_a_direction() {
        let cols = [("groupId", K::A), ("groupName", K::B)];
        assert_eq!(order_by(None, &cols, K::A).unwrap(), (K::A, false));
        assert_eq!(order_by(Some(" "), &cols, K::A).unwrap(), (K::A, false));
        assert_eq!(
            order_by(Some("groupname DESC"), &cols, K::A).unwrap(),
            (K::B, true)
        );
        assert_eq!(
            order_by(Some("groupId asc"), &cols, K::B).unwrap(),
            (K::A, false)
        );
        for bad in ["nope", "groupId up", "groupId desc x", "groupId; DROP"] {
            assert!(order_by(Some(bad), &cols, K::A).is_err(), "{bad}");
        }
    }

    #[test]
    fn paging_defaults_caps_and_refuses_negatives() {
        let p = Paging::default().page().unwrap();
        assert_eq!((p.start, p.limit), (0, DEFAULT_LIMIT));
        let p = Paging {
            offset: Some(5),
            limit: Some(1000),
        }
        .page()
        .unwrap();
        assert_eq!((p.start, p.limit), (5, MAX_LIMIT));
        assert!(Paging {
            offset: Some(-1),
            limit: None
        }
        .page()
        .is_err());
        assert!(Paging {
            offset: None,
            limit: Some(-1)
        }
        .page()
        .is_err());
    }

    #[test]
    fn flags_are_y_or_n() {
        assert_eq!(yn("f", Some("y")).unwrap(), Some(true));
        assert_eq!(yn("f", Some("N")).unwrap(), Some(false));
        assert_eq!(yn("f", Some("")).unwrap(), None);
        assert!(yn("f", Some("yes")).is_err());
    }
}
