//! Answers to the engine's directory questions, inside the command's transaction.

/// Active members of group `$2` of organization `$1`; the system groups' members are
/// derived from the users table.
pub(crate) const GROUP_MEMBERS_SQL: &str = "SELECT m.user_id FROM group_members m \
     JOIN users u ON u.id = m.user_id WHERE m.group_id = $2 AND u.org_id = $1 AND u.is_active \
     UNION SELECT u.id FROM users u JOIN groups g ON g.id = $2 AND g.org_id = u.org_id \
     WHERE u.org_id = $1 AND u.is_active AND ((g.system_kind = 'all_users' AND NOT u.is_external) \
     OR (g.system_kind = 'external_users' AND u.is_external))";

/// The department heads above user `$1`, nearest first, with their rank levels: the
/// user's department, then its parents (at most 64 levels up).
const SUPERVISORS_SQL: &str = "WITH RECURSIVE up (dept_id, depth) AS ( \
       SELECT department_id, 0 FROM users WHERE id = $1 AND department_id IS NOT NULL \
       UNION ALL \
       SELECT d.parent_id, up.depth + 1 FROM departments d JOIN up ON d.id = up.dept_id \
       WHERE d.parent_id IS NOT NULL AND up.depth < 64) \
     SELECT h.id, r.level FROM up JOIN departments d ON d.id = up.dept_id \
     JOIN users h ON h.id = d.head_user_id AND h.is_active \
     LEFT JOIN ranks r ON r.id = h.rank_id ORDER BY up.depth";

/// Answers one [`sluice_domain::engine::Lookup`] on `$ex` for organization `$org`.
macro_rules! lookup {
    ($ex:expr, $org:expr, $lookup:expr) => {{
        use sluice_domain::engine::{Found, Lookup};
        use sluice_domain::UserId;
        match $lookup {
            Lookup::Users(users) if users.is_empty() => Found::Users(Vec::new()),
            Lookup::Users(users) => {
                let sql = $crate::documents::lookups::users_sql(users.len());
                let mut q = sqlx::query_scalar::<_, i64>(&sql).bind($org.0);
                for u in &users {
                    q = q.bind(u.0);
                }
                Found::Users(
                    q.fetch_all(&mut *$ex)
                        .await?
                        .into_iter()
                        .map(UserId)
                        .collect(),
                )
            }
            Lookup::Department(d) => {
                let ids: Vec<i64> = sqlx::query_scalar($crate::documents::lookups::DEPARTMENT_SQL)
                    .bind($org.0)
                    .bind(d.0)
                    .fetch_all(&mut *$ex)
                    .await?;
                Found::Users(ids.into_iter().map(UserId).collect())
            }
            Lookup::Group(g) => {
                let ids: Vec<i64> =
                    sqlx::query_scalar($crate::documents::lookups::GROUP_MEMBERS_SQL)
                        .bind($org.0)
                        .bind(g.0)
                        .fetch_all(&mut *$ex)
                        .await?;
                Found::Users(ids.into_iter().map(UserId).collect())
            }
            Lookup::Supervisors { of, rank } => {
                let level: Option<Option<i64>> =
                    sqlx::query_scalar($crate::documents::lookups::USER_LEVEL_SQL)
                        .bind($org.0)
                        .bind(of.0)
                        .fetch_optional(&mut *$ex)
                        .await?;
                let required: Option<i64> =
                    sqlx::query_scalar($crate::documents::lookups::RANK_LEVEL_SQL)
                        .bind($org.0)
                        .bind(rank.0)
                        .fetch_optional(&mut *$ex)
                        .await?;
                let heads: Vec<(i64, Option<i64>)> =
                    sqlx::query_as($crate::documents::lookups::supervisors_sql())
                        .bind(of.0)
                        .fetch_all(&mut *$ex)
                        .await?;
                $crate::documents::lookups::supervisors(of, level.flatten(), required, heads)
            }
        }
    }};
}
pub(crate) use lookup;

/// SQL of the users lookup for `n` users ($1 organization, then the users).
pub(crate) fn users_sql(n: usize) -> String {
    format!(
        "SELECT id FROM users WHERE org_id = $1 AND is_active AND id IN ({}) ORDER BY id",
        crate::identity::placeholders(2, n)
    )
}

/// Active users ($1 organization) of department $2.
pub(crate) const DEPARTMENT_SQL: &str =
    "SELECT id FROM users WHERE org_id = $1 AND department_id = $2 AND is_active ORDER BY id";

/// Rank level of user $2 of organization $1.
pub(crate) const USER_LEVEL_SQL: &str = "SELECT r.level FROM users u \
     LEFT JOIN ranks r ON r.id = u.rank_id WHERE u.org_id = $1 AND u.id = $2";

/// Level of rank $2 of organization $1.
pub(crate) const RANK_LEVEL_SQL: &str = "SELECT level FROM ranks WHERE org_id = $1 AND id = $2";

/// The supervisors answer: `heads` (`SUPERVISORS_SQL` rows) without `of` or repeats.
pub(crate) fn supervisors(
    of: sluice_domain::UserId,
    level: Option<i64>,
    required: Option<i64>,
    heads: Vec<(i64, Option<i64>)>,
) -> sluice_domain::engine::Found {
    use sluice_domain::engine::ChainLink;
    let mut chain: Vec<ChainLink> = Vec::new();
    for (id, level) in heads {
        if id != of.0 && !chain.iter().any(|l| l.user.0 == id) {
            chain.push(ChainLink {
                user: sluice_domain::UserId(id),
                level,
            });
        }
    }
    sluice_domain::engine::Found::Supervisors {
        level,
        required,
        chain,
    }
}

pub(crate) fn supervisors_sql() -> &'static str {
    SUPERVISORS_SQL
}
