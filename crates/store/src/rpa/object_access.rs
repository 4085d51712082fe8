//! Who may do what to a Brity object (project, process flow or outline, and the processes
//! inside a project). Authorities are letters: U update, R read, E execute, A approve,
//! D delete, S share. An organization administrator and the object's owner hold all of them;
//! anyone else holds the union of the authorities of the permission groups (user groups) they
//! belong to (`rpa_object_groups`). See docs/dialects/brity.md.

use crate::{Result, Store};
use sluice_domain::identity::User;
use sluice_domain::OrgId;

/// Every authority letter, in Brity's order.
pub const ALL_AUTHORITIES: &str = "UREADS";

/// The authorities one user holds over one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Authorities(u8);

impl Authorities {
    /// All six letters.
    pub fn all() -> Self {
        Self::parse(ALL_AUTHORITIES)
    }

    /// The letters of `text` that are authorities (others are ignored; callers validate).
    pub fn parse(text: &str) -> Self {
        Self(
            text.chars()
                .filter_map(|c| ALL_AUTHORITIES.find(c.to_ascii_uppercase()))
                .fold(0, |bits, i| bits | (1 << i)),
        )
    }

    /// Whether `letter` (one of "UREADS") is held.
    pub fn has(self, letter: char) -> bool {
        ALL_AUTHORITIES
            .find(letter)
            .is_some_and(|i| self.0 & (1 << i) != 0)
    }

    pub fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    /// The held letters in Brity's order ("URE" ...).
    pub fn letters(self) -> String {
        ALL_AUTHORITIES.chars().filter(|c| self.has(*c)).collect()
    }
}

/// SQL (one `$N` placeholder pair) that is true when user `$U` of organization `$O` may
/// read the object whose id column is `o.id` and owner column `o.owner_id`. Written as a
/// format template: callers substitute the placeholders' numbers. Used by list queries so
/// unreadable objects are filtered in SQL, not after paging.
pub fn readable_sql(user_param: usize, is_admin_param: usize, letter: char) -> String {
    format!(
        "(${is_admin_param} OR o.owner_id = ${user_param} OR EXISTS (SELECT 1 FROM rpa_object_groups og \
         JOIN group_members gm ON gm.group_id = og.group_id \
         WHERE og.object_id = o.id AND gm.user_id = ${user_param} AND og.authorities LIKE '%{letter}%'))"
    )
}

#[derive(sqlx::FromRow)]
struct Grant {
    owner_id: Option<i64>,
    authorities: Option<String>,
}

impl Store {
    /// The authorities `user` holds over object `object_id` (a project, process flow or
    /// outline); `None` if the organization has no such object.
    pub async fn object_authorities(
        &self,
        org: OrgId,
        user: &User,
        object_id: &str,
    ) -> Result<Option<Authorities>> {
        let rows: Vec<Grant> = read!(self, |db| {
            sqlx::query_as(
                "SELECT o.owner_id, og.authorities FROM rpa_projects o \
                 LEFT JOIN rpa_object_groups og ON og.object_id = o.id AND og.group_id IN \
                 (SELECT group_id FROM group_members WHERE user_id = $3) \
                 WHERE o.org_id = $1 AND o.id = $2",
            )
            .bind(org.0)
            .bind(object_id)
            .bind(user.id.0)
            .fetch_all(db)
            .await?
        });
        if rows.is_empty() {
            return Ok(None);
        }
        if user.is_admin || rows[0].owner_id == Some(user.id.0) {
            return Ok(Some(Authorities::all()));
        }
        Ok(Some(rows.iter().fold(Authorities::default(), |acc, g| {
            acc.union(Authorities::parse(g.authorities.as_deref().unwrap_or("")))
        })))
    }

    /// The authorities `user` holds over the project that holds process `process_id`, with
    /// that project's id; `None` if the organization has no such process.
    pub async fn process_authorities(
        &self,
        org: OrgId,
        user: &User,
        process_id: &str,
    ) -> Result<Option<(String, Authorities)>> {
        let project: Option<String> = read!(self, |db| {
            sqlx::query_scalar("SELECT project_id FROM rpa_processes WHERE org_id = $1 AND id = $2")
                .bind(org.0)
                .bind(process_id)
                .fetch_optional(db)
                .await?
        });
        let Some(project) = project else {
            return Ok(None);
        };
        let auth = self.object_authorities(org, user, &project).await?;
        Ok(auth.map(|a| (project, a)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_round_trip_in_brity_order() {
        let a = Authorities::parse("sDrE");
        assert_eq!(a.letters(), "REDS");
        assert!(a.has('R') && a.has('E') && !a.has('U'));
        assert_eq!(Authorities::all().letters(), "UREADS");
        assert_eq!(Authorities::parse("xyz"), Authorities::default());
    }
}
