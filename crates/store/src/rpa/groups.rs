//! User groups and bot ("client") groups as Brity manages them. Both are rows of `groups`
//! (one id space, migration 0004): kind 'user' is also the group every other dialect sees,
//! kind 'bot' only Brity sees. The system groups (All Users, External Users) are user groups
//! the system maintains; All Users is Brity's default group.

use crate::{Result, Store};
use sluice_domain::identity::{group as rules, Group, SystemGroup};
use sluice_domain::{validate, Error, GroupId, OrgId};

/// Longest group description.
pub const MAX_DESCRIPTION_CHARS: usize = 1000;

/// What a group holds: users or bots (Brity `groupType` 0 and 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GroupKind {
    User,
    Bot,
}

impl GroupKind {
    /// The stored `groups.kind`.
    pub fn code(self) -> &'static str {
        match self {
            GroupKind::User => "user",
            GroupKind::Bot => "bot",
        }
    }

    /// Brity's `groupType`.
    pub fn brity_type(self) -> i64 {
        match self {
            GroupKind::User => 0,
            GroupKind::Bot => 1,
        }
    }

    pub fn from_brity_type(t: i64) -> Option<Self> {
        match t {
            0 => Some(GroupKind::User),
            1 => Some(GroupKind::Bot),
            _ => None,
        }
    }

    fn from_code(code: &str) -> Self {
        if code == "bot" {
            GroupKind::Bot
        } else {
            GroupKind::User
        }
    }

    /// How a missing group of this kind is named in messages.
    pub(crate) fn noun(self) -> &'static str {
        match self {
            GroupKind::User => "User group",
            GroupKind::Bot => "Bot group",
        }
    }
}

/// A user or bot group with Brity's flags.
#[derive(Debug, Clone, PartialEq)]
pub struct RpaGroup {
    pub id: GroupId,
    pub kind: GroupKind,
    pub name: String,
    pub description: String,
    pub sort_order: i64,
    pub is_active: bool,
    pub is_default: bool,
    pub is_admin: bool,
    pub is_monitoring: bool,
    pub system: Option<SystemGroup>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct RpaGroupRow {
    id: i64,
    org_id: i64,
    kind: String,
    name: String,
    description: String,
    sort_order: i64,
    is_active: bool,
    is_default: bool,
    is_admin_group: bool,
    is_monitoring: bool,
    system_kind: Option<String>,
}

impl RpaGroupRow {
    /// The domain's view, for its edit rules.
    pub(crate) fn as_group(&self) -> Group {
        Group {
            id: GroupId(self.id),
            org_id: OrgId(self.org_id),
            name: self.name.clone(),
            is_active: self.is_active,
            system: self.system_kind.as_deref().and_then(SystemGroup::from_code),
            client_extra: None,
        }
    }
}

impl From<RpaGroupRow> for RpaGroup {
    fn from(r: RpaGroupRow) -> Self {
        RpaGroup {
            id: GroupId(r.id),
            kind: GroupKind::from_code(&r.kind),
            system: r.system_kind.as_deref().and_then(SystemGroup::from_code),
            name: r.name,
            description: r.description,
            sort_order: r.sort_order,
            is_active: r.is_active,
            is_default: r.is_default,
            is_admin: r.is_admin_group,
            is_monitoring: r.is_monitoring,
        }
    }
}

/// The columns of [`RpaGroupRow`] from `groups g`. All Users is the default group.
pub(crate) const RPA_GROUP_COLUMNS: &str = "g.id, g.org_id, g.kind, g.name, g.description, \
     g.sort_order, g.is_active, \
     (g.is_default_group OR COALESCE(g.system_kind, '') = 'all_users') AS is_default, \
     g.is_admin_group, g.is_monitoring, g.system_kind";

/// Loads group `$id` of the organization inside a transaction (any kind), or `None`.
macro_rules! rpa_group_in_tx {
    ($tx:expr, $org:expr, $id:expr) => {{
        let sql = format!(
            "SELECT {} FROM groups g WHERE g.org_id = $1 AND g.id = $2",
            $crate::rpa::groups::RPA_GROUP_COLUMNS
        );
        let row: Option<$crate::rpa::groups::RpaGroupRow> = sqlx::query_as(&sql)
            .bind($org.0)
            .bind($id.0)
            .fetch_optional(&mut *$tx)
            .await?;
        row
    }};
}
pub(crate) use rpa_group_in_tx;

/// The group of `kind` (any kind when `None`) or a not-found error naming it.
pub(crate) fn of_kind(
    row: Option<RpaGroupRow>,
    kind: Option<GroupKind>,
    id: GroupId,
) -> Result<RpaGroupRow> {
    match row {
        Some(r) if kind.is_none_or(|k| k.code() == r.kind) => Ok(r),
        _ => Err(Error::not_found(kind.map_or("Group", GroupKind::noun), id).into()),
    }
}

/// A checked description (free text, bounded).
fn description(value: &str) -> Result<String> {
    super::tenant_users::free_text("groupDescription", value, MAX_DESCRIPTION_CHARS)
}

/// Whether the name is used by another group of the organization (user and bot groups
/// share one name space, as they share ids).
macro_rules! check_name_free {
    ($tx:expr, $org:expr, $name:expr, $except:expr) => {{
        let taken = scalar_i64!(
            &mut *$tx,
            "SELECT COUNT(*) FROM groups WHERE org_id = $1 AND name = $2 AND id <> $3",
            $org.0,
            $name,
            $except
        );
        if taken > 0 {
            return Err(Error::DuplicateName.into());
        }
    }};
}

impl Store {
    /// One group of the organization; of `kind` when given.
    pub async fn rpa_group(
        &self,
        org: OrgId,
        id: GroupId,
        kind: Option<GroupKind>,
    ) -> Result<RpaGroup> {
        let sql =
            format!("SELECT {RPA_GROUP_COLUMNS} FROM groups g WHERE g.org_id = $1 AND g.id = $2");
        let row: Option<RpaGroupRow> = read!(self, |db| {
            sqlx::query_as(&sql)
                .bind(org.0)
                .bind(id.0)
                .fetch_optional(db)
                .await?
        });
        of_kind(row, kind, id).map(RpaGroup::from)
    }

    /// Creates an active user or bot group.
    pub async fn create_rpa_group(
        &self,
        org: OrgId,
        kind: GroupKind,
        name: &str,
        desc: &str,
    ) -> Result<RpaGroup> {
        let name = validate::name("groupName", name)?;
        let desc = description(desc)?;
        let id = write_tx!(self, |tx| {
            check_name_free!(tx, org, &name, 0i64);
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO groups (org_id, name, is_active, kind, description) \
                 VALUES ($1, $2, TRUE, $3, $4) RETURNING id",
            )
            .bind(org.0)
            .bind(&name)
            .bind(kind.code())
            .bind(&desc)
            .fetch_one(&mut *tx)
            .await?;
            GroupId(id)
        });
        self.rpa_group(org, id, Some(kind)).await
    }

    /// Renames a group and/or changes its description; system groups refuse.
    pub async fn edit_rpa_group(
        &self,
        org: OrgId,
        kind: GroupKind,
        id: GroupId,
        name: Option<&str>,
        desc: Option<&str>,
    ) -> Result<RpaGroup> {
        let name = name.map(|n| validate::name("groupName", n)).transpose()?;
        let desc = desc.map(description).transpose()?;
        write_tx!(self, |tx| {
            let row = of_kind(rpa_group_in_tx!(tx, org, id), Some(kind), id)?;
            rules::check_editable(&row.as_group())?;
            if let Some(name) = &name {
                check_name_free!(tx, org, name, id.0);
            }
            sqlx::query(
                "UPDATE groups SET name = COALESCE($1, name), \
                 description = COALESCE($2, description) WHERE org_id = $3 AND id = $4",
            )
            .bind(&name)
            .bind(&desc)
            .bind(org.0)
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
        });
        self.rpa_group(org, id, Some(kind)).await
    }

    /// Deletes a group (of `kind` when given) with its members, bots and mappings; system
    /// groups refuse. Returns the group as it was.
    pub async fn delete_rpa_group(
        &self,
        org: OrgId,
        kind: Option<GroupKind>,
        id: GroupId,
    ) -> Result<RpaGroup> {
        let row = write_tx!(self, |tx| {
            let row = of_kind(rpa_group_in_tx!(tx, org, id), kind, id)?;
            rules::check_editable(&row.as_group())?;
            sqlx::query("DELETE FROM groups WHERE org_id = $1 AND id = $2")
                .bind(org.0)
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
            row
        });
        Ok(RpaGroup::from(row))
    }
}
