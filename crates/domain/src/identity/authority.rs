//! System authorities (Questetra's system privileges): system administrator, app creator
//! and user manager, granted to a user, a unit or a role. The direct system-administrator
//! grant to a user is `User::is_admin`, the same flag OmniBPM's `is_admin` shows.

use crate::{DeptId, Error, Result, RoleId, UserId};

/// The kind of authority, with Questetra's type numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthorityKind {
    SystemAdministrator = 0,
    AppCreator = 1,
    UserManager = 2,
}

impl AuthorityKind {
    /// Parses Questetra's type number.
    pub fn from_code(code: i64) -> Result<Self> {
        match code {
            0 => Ok(Self::SystemAdministrator),
            1 => Ok(Self::AppCreator),
            2 => Ok(Self::UserManager),
            _ => Err(Error::invalid(
                "type must be 0 (system administrator), 1 (app creator) or 2 (user manager).",
            )),
        }
    }

    pub fn code(self) -> i64 {
        self as i64
    }
}

/// Who holds an authority.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grantee {
    User(UserId),
    /// Members of a unit; only its leader if `leader_only`; also members of the units
    /// below it if `descendants`.
    Unit {
        id: DeptId,
        leader_only: bool,
        descendants: bool,
    },
    Role(RoleId),
}

/// A granted authority.
#[derive(Debug, Clone, PartialEq)]
pub struct SystemAuthority {
    pub id: i64,
    pub kind: AuthorityKind,
    pub grantee: Grantee,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_numbers_round_trip() {
        for k in [
            AuthorityKind::SystemAdministrator,
            AuthorityKind::AppCreator,
            AuthorityKind::UserManager,
        ] {
            assert_eq!(AuthorityKind::from_code(k.code()), Ok(k));
        }
        assert!(AuthorityKind::from_code(3).is_err());
        assert!(AuthorityKind::from_code(-1).is_err());
    }
}
