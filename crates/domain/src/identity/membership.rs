//! Memberships: a user in a unit (department), in a role, or in a role within a unit
//! (Bonita's user/group/role triple). A user's primary unit (`User::department_id`) counts
//! as a unit membership without a role and needs no membership of its own.

use crate::{DeptId, Error, Result, RoleId, UserId};
use chrono::{DateTime, Utc};

/// A membership.
#[derive(Debug, Clone, PartialEq)]
pub struct Membership {
    pub user_id: UserId,
    pub department_id: Option<DeptId>,
    pub role_id: Option<RoleId>,
    /// `None`: assigned by the tenant administrator or an import.
    pub assigned_by: Option<UserId>,
    pub assigned_at: DateTime<Utc>,
}

/// A membership names a unit, a role or both.
pub fn check_triple(department: Option<DeptId>, role: Option<RoleId>) -> Result<()> {
    if department.is_none() && role.is_none() {
        return Err(Error::invalid(
            "A membership needs a unit (group), a role, or both.",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_membership_names_something() {
        assert!(check_triple(None, None).is_err());
        assert!(check_triple(Some(DeptId(1)), None).is_ok());
        assert!(check_triple(None, Some(RoleId(1))).is_ok());
    }
}
