//! Roles: what a user does (Bonita role, Questetra role, PlusWorkflow role). A role is
//! organization-wide, or scoped to a package of workflows or one workflow (PlusWorkflow's
//! process roles). Who holds a role is a [`Membership`](super::Membership).

use crate::{validate, OrgId, Result, RoleId, UserId};
use chrono::{DateTime, Utc};

/// A role.
#[derive(Debug, Clone, PartialEq)]
pub struct Role {
    pub id: RoleId,
    pub org_id: OrgId,
    /// Unique within its scope; PlusWorkflow's text role id.
    pub name: String,
    /// `None`: shown as `name`.
    pub display_name: Option<String>,
    pub description: String,
    pub icon: String,
    pub scope: RoleScope,
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Where a role applies.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RoleScope {
    /// `None` with `process_id` `None`: organization-wide (global).
    pub package_id: Option<String>,
    pub process_id: Option<String>,
}

impl RoleScope {
    pub fn is_global(&self) -> bool {
        self.package_id.is_none() && self.process_id.is_none()
    }
}

/// A role to create.
#[derive(Debug, Clone, Default)]
pub struct NewRole {
    pub name: String,
    pub display_name: Option<String>,
    pub description: String,
    pub icon: String,
    pub scope: RoleScope,
    pub created_by: Option<UserId>,
}

/// Changes to a role; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct RolePatch {
    pub name: Option<String>,
    pub display_name: Option<Option<String>>,
    pub description: Option<String>,
    pub icon: Option<String>,
}

/// Longest description or icon path accepted.
pub const MAX_TEXT_CHARS: usize = 4096;

/// Checks a role's name (the same rule as every other named object).
pub fn check_name(name: &str) -> Result<String> {
    validate::name("name", name)
}

/// Checks a free-text attribute (description, icon path, contact field).
pub fn check_text(field: &str, value: &str) -> Result<String> {
    if value.chars().count() > MAX_TEXT_CHARS || value.contains('\0') {
        return Err(crate::Error::invalid(format!(
            "{field} must be at most {MAX_TEXT_CHARS} characters of text."
        )));
    }
    Ok(value.to_string())
}

impl NewRole {
    /// Validates every field; returns the cleaned role.
    pub fn checked(mut self) -> Result<Self> {
        self.name = check_name(&self.name)?;
        if let Some(d) = &self.display_name {
            self.display_name = Some(check_text("displayName", d)?);
        }
        self.description = check_text("description", &self.description)?;
        self.icon = check_text("icon", &self.icon)?;
        for (field, v) in [
            ("packageId", &self.scope.package_id),
            ("processDefId", &self.scope.process_id),
        ] {
            if let Some(v) = v {
                check_text(field, v)?;
            }
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_roles_are_checked() {
        let ok = NewRole {
            name: "Approver".into(),
            ..Default::default()
        };
        assert!(ok.checked().is_ok());
        let blank = NewRole::default();
        assert!(blank.checked().is_err());
        let long = NewRole {
            name: "x".into(),
            description: "d".repeat(MAX_TEXT_CHARS + 1),
            ..Default::default()
        };
        assert!(long.checked().is_err());
    }

    #[test]
    fn a_role_without_scope_is_global() {
        assert!(RoleScope::default().is_global());
        let scoped = RoleScope {
            package_id: Some("p".into()),
            process_id: None,
        };
        assert!(!scoped.is_global());
    }
}
