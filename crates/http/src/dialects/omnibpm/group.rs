//! `group/*`: groups and their members.

use super::render::{self, Dir};
use super::user::reply_users;
use super::wire::{
    check_model, client_extra, ok, ok_with, present, OmniError, OmniResult, OrgCall, Ref,
};
use crate::AppState;
use axum::extract::State;
use serde::Deserialize;
use serde_json::Value;
use sluice_domain::{GroupId, UserId};

#[derive(Deserialize)]
#[serde(expecting = "a GroupProfile object")]
struct GroupIn {
    #[serde(rename = "__model__")]
    model: Option<String>,
    #[serde(rename = "__id__", default, deserialize_with = "super::wire::opt_id")]
    id: Option<i64>,
    name: Option<String>,
    is_active: Option<bool>,
    #[serde(rename = "__client_extra__", default, deserialize_with = "present")]
    client_extra: Option<Option<Value>>,
}

impl GroupIn {
    fn read(call: &OrgCall) -> Result<Self, OmniError> {
        let g: GroupIn = call.body.required("group")?;
        check_model(g.model.as_deref(), "GroupProfile")?;
        Ok(g)
    }

    fn id(&self) -> Result<GroupId, OmniError> {
        self.id
            .map(GroupId)
            .ok_or_else(|| OmniError::bad_request("group.__id__ is required."))
    }
}

fn user_ids(call: &OrgCall, required: bool) -> Result<Vec<UserId>, OmniError> {
    let refs: Vec<Ref> = if required {
        call.body.required("users")?
    } else {
        call.body.optional("users")?.unwrap_or_default()
    };
    refs.iter()
        .map(|r| r.id_of("UserProfile").map(UserId))
        .collect()
}

pub(super) async fn list(State(app): State<AppState>, call: OrgCall) -> OmniResult {
    let groups = app.store.list_groups(call.org.id).await?;
    let dir = Dir::new(&call.org, &[], &[]);
    let out: Vec<_> = groups.iter().map(|g| render::group(&dir, g)).collect();
    ok_with("groups", out)
}

pub(super) async fn create(State(app): State<AppState>, call: OrgCall) -> OmniResult {
    let g = GroupIn::read(&call)?;
    let name = g
        .name
        .ok_or_else(|| OmniError::bad_request("group.name is required."))?;
    let members = user_ids(&call, false)?;
    let extra = client_extra(g.client_extra.flatten())?;
    let group = app
        .store
        .create_group(call.org.id, &name, extra, &members)
        .await?;
    let dir = Dir::new(&call.org, &[], &[]);
    ok_with("group", render::group(&dir, &group))
}

pub(super) async fn inactivate(State(app): State<AppState>, call: OrgCall) -> OmniResult {
    let id = GroupIn::read(&call)?.id()?;
    app.store
        .update_group(call.org.id, id, None, Some(false), None)
        .await?;
    ok()
}

pub(super) async fn activate(State(app): State<AppState>, call: OrgCall) -> OmniResult {
    let id = GroupIn::read(&call)?.id()?;
    app.store
        .update_group(call.org.id, id, None, Some(true), None)
        .await?;
    ok()
}

pub(super) async fn update(State(app): State<AppState>, call: OrgCall) -> OmniResult {
    let g = GroupIn::read(&call)?;
    let id = g.id()?;
    if g.name.is_none() && g.is_active.is_none() && g.client_extra.is_none() {
        return Err(OmniError::bad_request(
            "Nothing to update: give group.name or group.is_active.",
        ));
    }
    let extra = g.client_extra.map(client_extra).transpose()?;
    app.store
        .update_group(call.org.id, id, g.name, g.is_active, extra)
        .await?;
    ok()
}

pub(super) async fn delete(State(app): State<AppState>, call: OrgCall) -> OmniResult {
    let id = GroupIn::read(&call)?.id()?;
    app.store.delete_group(call.org.id, id).await?;
    ok()
}

pub(super) async fn members(State(app): State<AppState>, call: OrgCall) -> OmniResult {
    let id = GroupIn::read(&call)?.id()?;
    let users = app.store.group_members(call.org.id, id).await?;
    reply_users(&app, &call, "users", &users).await
}

pub(super) async fn add_members(State(app): State<AppState>, call: OrgCall) -> OmniResult {
    let id = GroupIn::read(&call)?.id()?;
    let users = app
        .store
        .add_group_members(call.org.id, id, &user_ids(&call, true)?)
        .await?;
    reply_users(&app, &call, "users", &users).await
}

pub(super) async fn remove_members(State(app): State<AppState>, call: OrgCall) -> OmniResult {
    let id = GroupIn::read(&call)?.id()?;
    let users = app
        .store
        .remove_group_members(call.org.id, id, &user_ids(&call, true)?)
        .await?;
    reply_users(&app, &call, "users", &users).await
}
