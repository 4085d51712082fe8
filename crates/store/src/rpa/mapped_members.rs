//! The users of a user group and the bots of a bot group, a page at a time: filters, order
//! and page in SQL (one `COUNT(*)`, one page query). A system group's users are derived
//! from the users' flags, as everywhere else.

use super::group_search::{bind_all, contains, push_page};
use super::groups::{GroupKind, RpaGroup};
use crate::identity::directory::{Arg, Sql};
use crate::identity::{Page, PageRequest};
use crate::{Result, Store};
use sluice_domain::identity::SystemGroup;
use sluice_domain::{GroupId, OrgId};

/// A member of a user group as Brity lists one.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct MappedUser {
    pub login: String,
    pub display_name: String,
    pub email: String,
    /// The primary unit's id, if any (Brity's `dptSq`).
    pub department_id: Option<i64>,
}

/// What group members may be ordered by (Brity's `userId`, `userNm`, `email`, `deptSq`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MappedUserOrder {
    Login,
    Name,
    Email,
    Department,
}

/// A search of a user group's members. Text filters match anywhere, without regard to
/// case; `department` matches the primary unit's id exactly or its name anywhere.
#[derive(Debug, Clone)]
pub struct MappedUserSearch {
    pub name: Option<String>,
    pub login: Option<String>,
    pub department: Option<String>,
    pub order: MappedUserOrder,
    pub descending: bool,
    pub page: PageRequest,
}

/// A bot of a bot group as Brity lists one.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct MappedBot {
    pub id: String,
    pub name: String,
}

/// What a bot group's bots may be ordered by (Brity's `botId`, `botNm`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MappedBotOrder {
    Id,
    Name,
}

/// A search of a bot group's bots (text filters match anywhere, without regard to case).
#[derive(Debug, Clone)]
pub struct MappedBotSearch {
    pub name: Option<String>,
    pub id: Option<String>,
    pub order: MappedBotOrder,
    pub descending: bool,
    pub page: PageRequest,
}

/// Runs the count and the page of a search built in `w` (`$count_sql` and `$page_sql` hold
/// `{}` for its text).
macro_rules! count_then_page {
    ($store:expr, $w:expr, $count_sql:expr, $page_sql:expr, $page:expr) => {{
        let count_args = $w.args.clone();
        let count_sql = $count_sql;
        push_page(&mut $w, $page);
        let page_sql = $page_sql;
        read!($store, |db| {
            let total = bind_all!(sqlx::query_scalar::<_, i64>(&count_sql), &count_args)
                .fetch_one(db)
                .await?;
            let rows = if $page.limit <= 0 || $page.start >= total {
                Vec::new()
            } else {
                bind_all!(sqlx::query_as(&page_sql), &$w.args)
                    .fetch_all(db)
                    .await?
            };
            (total, rows)
        })
    }};
}

impl Store {
    /// A page of the members of user group `group`, with the group.
    pub async fn group_users_page(
        &self,
        org: OrgId,
        group: GroupId,
        q: &MappedUserSearch,
    ) -> Result<(RpaGroup, Page<MappedUser>)> {
        let g = self.rpa_group(org, group, Some(GroupKind::User)).await?;
        let mut w = Sql::default();
        let o = w.arg(Arg::Int(org.0));
        let from = match g.system {
            Some(kind) => {
                let ext = w.arg(Arg::Bool(SystemGroup::members_external(kind)));
                format!(
                    " FROM users u LEFT JOIN departments d ON d.id = u.department_id \
                     WHERE u.org_id = {o} AND u.is_active = TRUE AND u.is_external = {ext}"
                )
            }
            None => {
                let id = w.arg(Arg::Int(group.0));
                format!(
                    " FROM group_members m JOIN users u ON u.id = m.user_id \
                     LEFT JOIN departments d ON d.id = u.department_id \
                     WHERE m.group_id = {id} AND u.org_id = {o}"
                )
            }
        };
        w.push(&from);
        let unicode = self.folds_unicode();
        for (column, text) in [("u.display_name", &q.name), ("u.login", &q.login)] {
            if let Some(p) = contains(text.as_deref(), unicode) {
                let p = w.arg(Arg::Text(p));
                w.push(&format!(" AND lower({column}) LIKE {p} ESCAPE '\\'"));
            }
        }
        if let Some(dept) = q
            .department
            .as_deref()
            .map(str::trim)
            .filter(|d| !d.is_empty())
        {
            let exact = w.arg(Arg::Text(dept.to_string()));
            let p = w.arg(Arg::Text(contains(Some(dept), unicode).unwrap_or_default()));
            w.push(&format!(
                " AND (CAST(u.department_id AS TEXT) = {exact} \
                 OR lower(d.name) LIKE {p} ESCAPE '\\')"
            ));
        }
        let key = match q.order {
            MappedUserOrder::Login => "lower(u.login)",
            MappedUserOrder::Name => "lower(u.display_name)",
            MappedUserOrder::Email => "lower(u.email)",
            MappedUserOrder::Department => "u.department_id",
        };
        let dir = if q.descending { "DESC" } else { "ASC" };
        let count_sql = format!("SELECT COUNT(*){}", w.text);
        w.push(&format!(" ORDER BY {key} {dir}, u.id {dir}"));
        let (total, items): (i64, Vec<MappedUser>) = count_then_page!(
            self,
            w,
            count_sql,
            format!(
                "SELECT u.login, u.display_name, u.email, u.department_id{}",
                w.text
            ),
            q.page
        );
        Ok((g, Page { items, total }))
    }

    /// A page of the bots of bot group `group`, with the group.
    pub async fn group_bots_page(
        &self,
        org: OrgId,
        group: GroupId,
        q: &MappedBotSearch,
    ) -> Result<(RpaGroup, Page<MappedBot>)> {
        let g = self.rpa_group(org, group, Some(GroupKind::Bot)).await?;
        let mut w = Sql::default();
        let id = w.arg(Arg::Int(group.0));
        let o = w.arg(Arg::Int(org.0));
        w.push(&format!(
            " FROM bot_group_bots gb JOIN bots b ON b.id = gb.bot_id \
             WHERE gb.bot_group_id = {id} AND b.org_id = {o}"
        ));
        let unicode = self.folds_unicode();
        for (column, text) in [("b.name", &q.name), ("b.id", &q.id)] {
            if let Some(p) = contains(text.as_deref(), unicode) {
                let p = w.arg(Arg::Text(p));
                w.push(&format!(" AND lower({column}) LIKE {p} ESCAPE '\\'"));
            }
        }
        let key = match q.order {
            MappedBotOrder::Id => "b.id",
            MappedBotOrder::Name => "lower(b.name)",
        };
        let dir = if q.descending { "DESC" } else { "ASC" };
        let count_sql = format!("SELECT COUNT(*){}", w.text);
        w.push(&format!(" ORDER BY {key} {dir}, b.id {dir}"));
        let (total, items): (i64, Vec<MappedBot>) = count_then_page!(
            self,
            w,
            count_sql,
            format!("SELECT b.id, b.name{}", w.text),
            q.page
        );
        Ok((g, Page { items, total }))
    }
}
