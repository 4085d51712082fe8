//! `organization/*`: list, create, activate, inactivate and delete with the master key;
//! get, update and importusers with the organization's own key.

use super::render;
use super::user::login_of;
use super::wire::{
    check_model, client_extra, ok, ok_with, present, MasterCall, OmniError, OmniResult, OrgCall,
    Ref,
};
use crate::AppState;
use axum::extract::State;
use serde::Deserialize;
use serde_json::Value;
use sluice_domain::identity::{NewOrganization, NewUser, Password};
use sluice_domain::{DeptId, OrgId, RankId};
use sluice_store::identity::ImportedUser;

#[derive(Deserialize)]
#[serde(expecting = "an Organization object")]
struct OrgIn {
    #[serde(rename = "__model__")]
    model: Option<String>,
    #[serde(rename = "__id__", default, deserialize_with = "super::wire::opt_id")]
    id: Option<i64>,
    name: Option<String>,
    abbr: Option<String>,
    #[serde(rename = "__client_extra__", default, deserialize_with = "present")]
    client_extra: Option<Option<Value>>,
}

impl MasterCall {
    fn organization(&self) -> Result<OrgIn, OmniError> {
        let o: OrgIn = self.body.required("organization")?;
        check_model(o.model.as_deref(), "Organization")?;
        Ok(o)
    }

    fn organization_id(&self) -> Result<OrgId, OmniError> {
        self.organization()?
            .id
            .map(OrgId)
            .ok_or_else(|| OmniError::bad_request("organization.__id__ is required."))
    }
}

pub(super) async fn list(State(app): State<AppState>, _call: MasterCall) -> OmniResult {
    let orgs = app.store.list_organizations().await?;
    let out: Vec<_> = orgs.iter().map(|o| render::organization(o, None)).collect();
    ok_with("organizations", out)
}

pub(super) async fn create(State(app): State<AppState>, call: MasterCall) -> OmniResult {
    let o = call.organization()?;
    let new = NewOrganization {
        name: o
            .name
            .ok_or_else(|| OmniError::bad_request("organization.name is required."))?,
        abbr: o
            .abbr
            .ok_or_else(|| OmniError::bad_request("organization.abbr is required."))?,
        client_extra: client_extra(o.client_extra.flatten())?,
        default_structure: call.body.optional("default_structure")?.unwrap_or(true),
    };
    let (org, key) = app.store.create_organization(new).await?;
    ok_with("organization", render::organization(&org, Some(&key)))
}

pub(super) async fn inactivate(State(app): State<AppState>, call: MasterCall) -> OmniResult {
    app.store
        .set_organization_active(call.organization_id()?, false)
        .await?;
    ok()
}

pub(super) async fn activate(State(app): State<AppState>, call: MasterCall) -> OmniResult {
    app.store
        .set_organization_active(call.organization_id()?, true)
        .await?;
    ok()
}

pub(super) async fn delete(State(app): State<AppState>, call: MasterCall) -> OmniResult {
    app.store
        .delete_organization(call.organization_id()?)
        .await?;
    ok()
}

pub(super) async fn get(call: OrgCall) -> OmniResult {
    ok_with(
        "organization",
        render::organization(&call.org, Some(&call.api_key)),
    )
}

pub(super) async fn update(State(app): State<AppState>, call: OrgCall) -> OmniResult {
    let o: OrgIn = call.body.required("organization")?;
    check_model(o.model.as_deref(), "Organization")?;
    if o.id.is_some_and(|id| id != call.org.id.0) {
        return Err(
            sluice_domain::Error::not_found("Organization", o.id.unwrap_or_default()).into(),
        );
    }
    if o.abbr.as_deref().is_some_and(|a| a != call.org.abbr) {
        return Err(OmniError::bad_request("abbr cannot be changed."));
    }
    let extra = o.client_extra.map(client_extra).transpose()?;
    let org = app
        .store
        .update_organization(call.org.id, o.name, extra)
        .await?;
    ok_with(
        "organization",
        render::organization(&org, Some(&call.api_key)),
    )
}

#[derive(Deserialize)]
#[serde(expecting = "a UserProfile object")]
struct ImportIn {
    display_name: String,
    username: String,
    email: String,
    is_external: bool,
    is_active: bool,
    department: Ref,
    rank: Ref,
    #[serde(default)]
    password: Option<String>,
}

/// Reads entry `i` of `users`; errors name it as `users[i]` and the path of the bad value.
fn import_entry(i: usize, entry: Value) -> Result<ImportIn, OmniError> {
    serde_path_to_error::deserialize(entry).map_err(|e| {
        let path = e.path().to_string();
        let at = if path == "." {
            String::new()
        } else {
            format!(".{path}")
        };
        OmniError::bad_request(format!("Invalid users[{i}]{at}: {}.", e.inner()))
    })
}

pub(super) async fn import_users(State(app): State<AppState>, call: OrgCall) -> OmniResult {
    let entries: Vec<Value> = call.body.required("users")?;
    let mut users = Vec::with_capacity(entries.len());
    for (i, e) in entries.into_iter().enumerate() {
        let e = import_entry(i, e)?;
        let at = |err: OmniError| OmniError::bad_request(format!("users[{i}]: {}", err.message()));
        users.push(ImportedUser {
            user: NewUser {
                login: login_of(&e.username, &call.org).map_err(at)?,
                display_name: e.display_name,
                email: e.email,
                password: e.password.map(Password),
                is_active: e.is_active,
                is_external: e.is_external,
                is_admin: false,
                rank_id: Some(RankId(e.rank.id_of("UserRank").map_err(at)?)),
                department_id: Some(DeptId(e.department.id_of("Department").map_err(at)?)),
                client_extra: None,
                person: Default::default(),
                created_by: None,
            },
        });
    }
    app.store.import_users(call.org.id, users).await?;
    ok()
}
