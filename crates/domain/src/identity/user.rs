//! Users: people (and service accounts) of one organization.

use crate::{DeptId, Error, OrgId, RankId, Result, UserId};

/// A user.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: UserId,
    pub org_id: OrgId,
    /// Unique in the organization, compared without regard to case.
    pub login: String,
    pub display_name: String,
    pub email: String,
    pub is_active: bool,
    pub is_external: bool,
    /// May administer the organization.
    pub is_admin: bool,
    pub rank_id: Option<RankId>,
    pub department_id: Option<DeptId>,
    pub client_extra: Option<String>,
}

/// The few fields other objects show of a user (a department's head, say).
#[derive(Debug, Clone, PartialEq)]
pub struct UserRef {
    pub id: UserId,
    pub login: String,
    pub display_name: String,
}

/// A password in clear, on its way to being hashed; never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(pub String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

/// A user to create, as a client sent it; the store applies the field rules.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub login: String,
    pub display_name: String,
    pub email: String,
    /// `None` for users who never log in with a password (single sign-on, robots).
    pub password: Option<Password>,
    pub is_active: bool,
    pub is_external: bool,
    pub is_admin: bool,
    /// Required by OmniBPM; dialects without ranks or units leave them empty.
    pub rank_id: Option<RankId>,
    pub department_id: Option<DeptId>,
    pub client_extra: Option<String>,
    /// First and last name, titles, number, manager (dialects that have them).
    pub person: super::PersonPatch,
    /// `None`: the tenant administrator, an import or a key that stands for no user.
    pub created_by: Option<crate::UserId>,
}

/// The fields `user/update` may change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct UserPatch {
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub password: Option<Password>,
    pub is_active: Option<bool>,
    pub rank_id: Option<RankId>,
    pub department_id: Option<DeptId>,
    /// `Some(None)` clears it.
    pub client_extra: Option<Option<String>>,
}

/// The full username: `login@ABBR`.
pub fn username(login: &str, abbr: &str) -> String {
    format!("{login}@{abbr}")
}

/// A department head cannot be deleted. The message keeps the shape OmniBPM clients match.
pub fn check_can_delete(headed_departments: &[String]) -> Result<()> {
    if headed_departments.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = headed_departments
        .iter()
        .map(|d| format!("<Department: {d}>"))
        .collect();
    Err(Error::conflict(format!(
        "Cannot delete user who is the head of <QuerySet [{}]>",
        list.join(", ")
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn department_head_cannot_be_deleted() {
        assert!(check_can_delete(&[]).is_ok());
        assert_eq!(
            check_can_delete(&["MIS".into()]),
            Err(Error::conflict(
                "Cannot delete user who is the head of <QuerySet [<Department: MIS>]>"
            ))
        );
    }

    #[test]
    fn username_joins_login_and_abbreviation() {
        assert_eq!(username("hello", "ORG"), "hello@ORG");
    }
}
