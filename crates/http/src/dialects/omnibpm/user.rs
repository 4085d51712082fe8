//! `user/*`: users of the organization.

use super::directory;
use super::render::{self, Dir};
use super::wire::{
    check_model, client_extra, ok, ok_with, present, OmniError, OmniResult, OrgCall, Ref,
};
use crate::AppState;
use axum::extract::State;
use serde::Deserialize;
use serde_json::Value;
use sluice_domain::identity::{NewUser, Organization, Password, User, UserPatch};
use sluice_domain::{validate, DeptId, RankId, UserId};

/// The login of a full username, which must name this organization (`login@ABBR`).
pub(super) fn login_of(username: &str, org: &Organization) -> Result<String, OmniError> {
    let (login, abbr) = validate::split_username(username)?;
    if abbr != org.abbr {
        return Err(OmniError::bad_request(format!(
            "username must end with @{} (the organization's abbreviation).",
            org.abbr
        )));
    }
    Ok(validate::login(login)?)
}

#[derive(Deserialize)]
#[serde(expecting = "a UserProfile object")]
struct UserIn {
    #[serde(rename = "__model__")]
    model: Option<String>,
    #[serde(rename = "__id__", default, deserialize_with = "super::wire::opt_id")]
    id: Option<i64>,
    username: Option<String>,
    display_name: Option<String>,
    email: Option<String>,
    password: Option<String>,
    is_active: Option<bool>,
    is_external: Option<bool>,
    with_admin_permissions: Option<bool>,
    rank: Option<Ref>,
    department: Option<Ref>,
    #[serde(rename = "__client_extra__", default, deserialize_with = "present")]
    client_extra: Option<Option<Value>>,
}

impl UserIn {
    fn read(call: &OrgCall) -> Result<Self, OmniError> {
        let u: UserIn = call.body.required("user")?;
        check_model(u.model.as_deref(), "UserProfile")?;
        Ok(u)
    }

    fn id(&self) -> Result<UserId, OmniError> {
        self.id
            .map(UserId)
            .ok_or_else(|| OmniError::bad_request("user.__id__ is required."))
    }

    fn rank(&self) -> Result<Option<RankId>, OmniError> {
        self.rank
            .as_ref()
            .map(|r| r.id_of("UserRank").map(RankId))
            .transpose()
    }

    fn department(&self) -> Result<Option<DeptId>, OmniError> {
        self.department
            .as_ref()
            .map(|d| d.id_of("Department").map(DeptId))
            .transpose()
    }
}

/// Renders users with one load of the organization's departments and ranks.
pub(super) async fn reply_users(
    app: &AppState,
    call: &OrgCall,
    key: &'static str,
    users: &[User],
) -> OmniResult {
    let (depts, ranks) = directory(app, &call.org).await?;
    let dir = Dir::new(&call.org, &depts, &ranks);
    let out: Vec<_> = users.iter().map(|u| render::user(&dir, u)).collect();
    ok_with(key, out)
}

async fn reply_user(app: &AppState, call: &OrgCall, user: &User) -> OmniResult {
    let (depts, ranks) = directory(app, &call.org).await?;
    let dir = Dir::new(&call.org, &depts, &ranks);
    ok_with("user", render::user(&dir, user))
}

pub(super) async fn list(State(app): State<AppState>, call: OrgCall) -> OmniResult {
    let users = app.store.list_users(call.org.id).await?;
    reply_users(&app, &call, "users", &users).await
}

pub(super) async fn create(State(app): State<AppState>, call: OrgCall) -> OmniResult {
    let u = UserIn::read(&call)?;
    let username = u
        .username
        .as_deref()
        .ok_or_else(|| OmniError::bad_request("user.username is required."))?;
    let is_admin = match u.with_admin_permissions {
        Some(v) => v,
        None => call
            .body
            .optional("with_admin_permissions")?
            .unwrap_or(false),
    };
    let new = NewUser {
        login: login_of(username, &call.org)?,
        display_name: u
            .display_name
            .clone()
            .ok_or_else(|| OmniError::bad_request("user.display_name is required."))?,
        email: u.email.clone().unwrap_or_default(),
        password: u.password.clone().map(Password),
        is_active: u.is_active.unwrap_or(true),
        is_external: u.is_external.unwrap_or(false),
        is_admin,
        rank_id: Some(
            u.rank()?
                .ok_or_else(|| OmniError::bad_request("user.rank is required."))?,
        ),
        department_id: Some(
            u.department()?
                .ok_or_else(|| OmniError::bad_request("user.department is required."))?,
        ),
        client_extra: client_extra(u.client_extra.flatten())?,
        person: Default::default(),
        created_by: None,
    };
    let user = app.store.create_user(call.org.id, new).await?;
    reply_user(&app, &call, &user).await
}

pub(super) async fn inactivate(State(app): State<AppState>, call: OrgCall) -> OmniResult {
    let id = UserIn::read(&call)?.id()?;
    app.store.set_user_active(call.org.id, id, false).await?;
    ok()
}

pub(super) async fn activate(State(app): State<AppState>, call: OrgCall) -> OmniResult {
    let id = UserIn::read(&call)?.id()?;
    app.store.set_user_active(call.org.id, id, true).await?;
    ok()
}

/// Changes only what the spec lists (rank, department, display_name, email, password,
/// is_active, client_extra); other members, such as a whole object sent back, are ignored.
pub(super) async fn update(State(app): State<AppState>, call: OrgCall) -> OmniResult {
    let u = UserIn::read(&call)?;
    let patch = UserPatch {
        display_name: u.display_name.clone(),
        email: u.email.clone(),
        password: u.password.clone().map(Password),
        is_active: u.is_active,
        rank_id: u.rank()?,
        department_id: u.department()?,
        client_extra: u.client_extra.clone().map(client_extra).transpose()?,
    };
    let user = app.store.update_user(call.org.id, u.id()?, patch).await?;
    reply_user(&app, &call, &user).await
}

pub(super) async fn delete(State(app): State<AppState>, call: OrgCall) -> OmniResult {
    let id = UserIn::read(&call)?.id()?;
    app.store.delete_user(call.org.id, id).await?;
    ok()
}
