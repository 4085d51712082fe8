//! Groups of users, including the two whose membership the system maintains.

use super::User;
use crate::{Error, GroupId, OrgId, Result};

/// A group the system creates in every organization and keeps up to date itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SystemGroup {
    /// Every active internal user.
    AllUsers,
    /// Every active external user.
    ExternalUsers,
}

impl SystemGroup {
    /// Both system groups, in the order they are created.
    pub const ALL: [SystemGroup; 2] = [SystemGroup::AllUsers, SystemGroup::ExternalUsers];

    /// The group's name.
    pub fn name(self) -> &'static str {
        match self {
            SystemGroup::AllUsers => "All Users",
            SystemGroup::ExternalUsers => "External Users",
        }
    }

    /// The stored code of the group.
    pub fn code(self) -> &'static str {
        match self {
            SystemGroup::AllUsers => "all_users",
            SystemGroup::ExternalUsers => "external_users",
        }
    }

    /// Parses a stored code.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.code() == code)
    }

    /// Whether the system counts `user` as a member.
    pub fn contains(self, user: &User) -> bool {
        user.is_active
            && match self {
                SystemGroup::AllUsers => !user.is_external,
                SystemGroup::ExternalUsers => user.is_external,
            }
    }

    /// The `is_external` value of this group's members.
    pub fn members_external(self) -> bool {
        self == SystemGroup::ExternalUsers
    }
}

/// A group.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub id: GroupId,
    pub org_id: OrgId,
    pub name: String,
    pub is_active: bool,
    pub system: Option<SystemGroup>,
    pub client_extra: Option<String>,
}

/// System groups are the system's: no renaming, inactivating, deleting or editing members.
pub fn check_editable(group: &Group) -> Result<()> {
    match group.system {
        Some(g) => Err(Error::Forbidden(format!(
            "The system group {} is maintained by the system and cannot be edited.",
            g.name()
        ))),
        None => Ok(()),
    }
}

/// Users can be added only to an active group the system does not maintain.
pub fn check_can_add_members(group: &Group) -> Result<()> {
    check_editable(group)?;
    if group.is_active {
        Ok(())
    } else {
        Err(Error::conflict(format!(
            "Group {} is inactive; activate it before adding users.",
            group.name
        )))
    }
}

/// `group/update` must change the name.
pub fn check_rename(group: &Group, new_name: &str) -> Result<()> {
    check_editable(group)?;
    if group.name == new_name {
        Err(Error::invalid(
            "The new name is the same as the current name.",
        ))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DeptId, RankId, UserId};

    fn user(active: bool, external: bool) -> User {
        User {
            id: UserId(1),
            org_id: OrgId(1),
            login: "a".into(),
            display_name: "A".into(),
            email: String::new(),
            is_active: active,
            is_external: external,
            is_admin: false,
            rank_id: Some(RankId(1)),
            department_id: Some(DeptId(1)),
            client_extra: None,
        }
    }

    fn group(system: Option<SystemGroup>, active: bool) -> Group {
        Group {
            id: GroupId(1),
            org_id: OrgId(1),
            name: "g".into(),
            is_active: active,
            system,
            client_extra: None,
        }
    }

    #[test]
    fn system_groups_hold_active_users_by_kind() {
        assert!(SystemGroup::AllUsers.contains(&user(true, false)));
        assert!(!SystemGroup::AllUsers.contains(&user(true, true)));
        assert!(!SystemGroup::AllUsers.contains(&user(false, false)));
        assert!(SystemGroup::ExternalUsers.contains(&user(true, true)));
    }

    #[test]
    fn members_cannot_be_added_to_system_or_inactive_groups() {
        assert!(check_can_add_members(&group(None, true)).is_ok());
        assert!(check_can_add_members(&group(None, false)).is_err());
        assert!(check_can_add_members(&group(Some(SystemGroup::AllUsers), true)).is_err());
    }

    #[test]
    fn rename_must_change_the_name() {
        assert!(check_rename(&group(None, true), "g").is_err());
        assert!(check_rename(&group(None, true), "h").is_ok());
        assert!(check_rename(&group(Some(SystemGroup::ExternalUsers), true), "h").is_err());
    }
}
