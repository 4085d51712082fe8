//! Organizations: the tenants. Everything else belongs to exactly one of them.

use crate::OrgId;
use chrono::{DateTime, Utc};

/// Abbreviation of the platform's own organization, home of the administrator `admin`.
pub const SYSTEM_ABBR: &str = "SYSTEM";

/// A tenant.
#[derive(Debug, Clone, PartialEq)]
pub struct Organization {
    pub id: OrgId,
    pub name: String,
    /// Unique upper-case abbreviation; users' full names are `login@ABBR`.
    pub abbr: String,
    pub is_active: bool,
    /// The platform's own organization: hidden from tenant listings, never deleted.
    pub is_system: bool,
    /// Client-owned JSON object, stored as text.
    pub client_extra: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// What creating an organization needs.
#[derive(Debug, Clone)]
pub struct NewOrganization {
    pub name: String,
    pub abbr: String,
    pub client_extra: Option<String>,
    /// Create the default departments and ranks.
    pub default_structure: bool,
}

/// Root of the default department tree.
pub const DEFAULT_ROOT_DEPARTMENT: &str = "CEO's Office";
/// Default departments, children of [`DEFAULT_ROOT_DEPARTMENT`].
pub const DEFAULT_DEPARTMENTS: [&str; 5] = [
    "MIS Department",
    "Finance Department",
    "HR Department",
    "Sales Department",
    "Purchasing Department",
];
/// Default ranks with their levels (smaller is higher).
pub const DEFAULT_RANKS: [(&str, i64); 4] = [
    ("Executive Officer", 1),
    ("Director", 2),
    ("Manager", 3),
    ("Specialist", 4),
];

/// Refuses abbreviations the platform keeps for itself.
pub fn check_abbr_available(abbr: &str) -> crate::Result<()> {
    if abbr == SYSTEM_ABBR {
        Err(crate::Error::invalid(format!(
            "The abbreviation {SYSTEM_ABBR} is reserved."
        )))
    } else {
        Ok(())
    }
}

/// An inactive organization's credentials stop working until it is activated again.
pub fn check_usable(org: &Organization) -> crate::Result<()> {
    if org.is_active {
        Ok(())
    } else {
        Err(crate::Error::Forbidden(format!(
            "Organization {} is inactive.",
            org.abbr
        )))
    }
}
