//! Who may do what: workflow permissions of a user, CC targets, agents.

/// Whether user `u` (joined as `u`) matches a row with `user_id`, `department_id` and
/// `group_id` columns under alias `$t`: the user, their department, or a group they belong
/// to (system groups by the user's external flag).
macro_rules! subject_matches {
    ($t:literal) => {
        concat!(
            "(",
            $t,
            ".user_id = u.id OR ",
            $t,
            ".department_id = u.department_id OR ",
            $t,
            ".group_id IN (SELECT group_id FROM group_members WHERE user_id = u.id) OR ",
            $t,
            ".group_id IN (SELECT g.id FROM groups g WHERE g.org_id = u.org_id AND ",
            "((g.system_kind = 'all_users' AND NOT u.is_external) OR ",
            "(g.system_kind = 'external_users' AND u.is_external))))"
        )
    };
}
pub(crate) use subject_matches;

/// Permission rows of family `$1` that apply to user `$2` of organization `$3`.
pub(crate) const GRANTS_SQL: &str = concat!(
    "SELECT p.is_creatable, p.is_visible, p.is_revokable, p.is_revivable ",
    "FROM workflow_permissions p JOIN users u ON u.id = $2 AND u.org_id = $3 ",
    "WHERE p.family_id = $1 AND ",
    subject_matches!("p")
);

/// What user `$user` may do on the documents of family `$family`.
macro_rules! grants {
    ($ex:expr, $org:expr, $family:expr, $user:expr) => {{
        let rows: Vec<(bool, bool, bool, bool)> =
            sqlx::query_as($crate::documents::access::GRANTS_SQL)
                .bind($family.0)
                .bind($user.0)
                .bind($org.0)
                .fetch_all(&mut *$ex)
                .await?;
        $crate::documents::access::fold_grants(rows)
    }};
}
pub(crate) use grants;

/// The union of the permission rows (`GRANTS_SQL`) that apply.
pub(crate) fn fold_grants(rows: Vec<(bool, bool, bool, bool)>) -> sluice_domain::workflow::Grants {
    rows.into_iter().fold(
        sluice_domain::workflow::Grants::default(),
        |acc, (creatable, visible, revokable, revivable)| {
            acc.union(sluice_domain::workflow::Grants {
                creatable,
                visible,
                revokable,
                revivable,
            })
        },
    )
}

/// Whether user `$2` (active, of organization `$3`) is among node `$1`'s CC targets.
pub(crate) const CC_TARGET_SQL: &str = concat!(
    "SELECT COUNT(*) FROM workflow_node_cc_targets t ",
    "JOIN users u ON u.id = $2 AND u.org_id = $3 AND u.is_active ",
    "WHERE t.node_id = $1 AND ",
    subject_matches!("t")
);

/// Active users of the organization whom any of the listed nodes may CC.
pub(crate) fn cc_targets_sql(nodes: usize) -> String {
    format!(
        "SELECT {} FROM users u WHERE u.org_id = $1 AND u.is_active AND EXISTS (\
         SELECT 1 FROM workflow_node_cc_targets t WHERE t.node_id IN ({}) AND {}) ORDER BY u.id",
        crate::identity::USER_COLUMNS
            .split(", ")
            .map(|c| format!("u.{c}"))
            .collect::<Vec<_>>()
            .join(", "),
        crate::identity::placeholders(2, nodes),
        subject_matches!("t")
    )
}
