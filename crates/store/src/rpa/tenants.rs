//! Brity tenants: a tenant is an organization in use (active, not the platform's own), and
//! its `tenantId` is the organization's abbreviation. Which tenants a login, a bot or a
//! user's credentials reach (docs/dialects/brity.md, "Tenants, users and groups").

use crate::identity::{OrgRow, ORG_COLUMNS};
use crate::{Result, Store};
use sluice_domain::identity::Organization;
use sluice_domain::{validate, Error, OrgId};

/// The message of every refused tenant-list login, whichever part was wrong.
pub const LOGIN_REFUSED: &str = "The user ID or password is incorrect.";

/// Organizations in use, as `o`, for the tenant lookups below.
fn tenant_select() -> String {
    let cols = ORG_COLUMNS.replace(", ", ", o.");
    format!("SELECT o.{cols} FROM organizations o WHERE o.is_system = FALSE AND o.is_active = TRUE")
}

impl Store {
    /// The tenants in use where an active user has this login (without regard to case), by
    /// id; only `scope`'s when given. A malformed login names no one: an empty list.
    pub async fn tenants_of_login(
        &self,
        scope: Option<OrgId>,
        login: &str,
    ) -> Result<Vec<Organization>> {
        if validate::login(login).is_err() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "{} AND ($1 < 0 OR o.id = $1) AND EXISTS (SELECT 1 FROM users u \
             WHERE u.org_id = o.id AND lower(u.login) = lower($2) AND u.is_active = TRUE) \
             ORDER BY o.id",
            tenant_select()
        );
        let rows: Vec<OrgRow> = read!(self, |db| {
            sqlx::query_as(&sql)
                .bind(scope.map_or(-1, |o| o.0))
                .bind(login)
                .fetch_all(db)
                .await?
        });
        Ok(rows.into_iter().map(Organization::from).collect())
    }

    /// The tenant in use of the bot with this id (`BOT-…`), if any; only `scope`'s when given.
    pub async fn tenants_of_bot(
        &self,
        scope: Option<OrgId>,
        bot_id: &str,
    ) -> Result<Vec<Organization>> {
        let sql = format!(
            "{} AND ($1 < 0 OR o.id = $1) AND EXISTS (SELECT 1 FROM bots b \
             WHERE b.org_id = o.id AND b.id = $2) ORDER BY o.id",
            tenant_select()
        );
        let rows: Vec<OrgRow> = read!(self, |db| {
            sqlx::query_as(&sql)
                .bind(scope.map_or(-1, |o| o.0))
                .bind(bot_id)
                .fetch_all(db)
                .await?
        });
        Ok(rows.into_iter().map(Organization::from).collect())
    }

    /// The tenants a user reaches with a password: a bare login is looked up in `caller`'s
    /// organization, a full `login@ABBR` in that one, which must be `caller`'s unless
    /// `any_tenant` (the platform administrator). The password is checked like any login
    /// (argon2, a decoy hash for unknown users); every refusal is the same
    /// [`LOGIN_REFUSED`], so the answer never tells which part was wrong. The platform's
    /// own organization is no tenant: its users reach none.
    pub async fn tenants_for_password(
        &self,
        caller: &Organization,
        any_tenant: bool,
        user_id: &str,
        password: &str,
    ) -> Result<Vec<Organization>> {
        let refused = || Error::Unauthenticated(LOGIN_REFUSED.into());
        let username = if user_id.contains('@') {
            user_id.to_string()
        } else {
            format!("{user_id}@{}", caller.abbr)
        };
        let (org, _) = match self.authenticate_password(&username, password).await {
            Ok(found) => found,
            Err(crate::Error::Domain(_)) => return Err(refused().into()),
            Err(e) => return Err(e),
        };
        if org.id != caller.id && !any_tenant {
            return Err(refused().into());
        }
        Ok(if org.is_system { Vec::new() } else { vec![org] })
    }
}
