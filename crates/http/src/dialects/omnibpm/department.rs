//! `department/*`: the unit tree.

use super::directory;
use super::render::{self, Dir};
use super::wire::{
    check_model, client_extra, ok, ok_with, present, OmniError, OmniResult, OrgCall, Ref,
};
use crate::AppState;
use axum::extract::State;
use serde::Deserialize;
use serde_json::Value;
use sluice_domain::identity::{DepartmentPatch, NewDepartment};
use sluice_domain::{DeptId, Error, UserId};

#[derive(Deserialize)]
#[serde(expecting = "a Department object")]
struct DeptIn {
    #[serde(rename = "__model__")]
    model: Option<String>,
    #[serde(rename = "__id__", default, deserialize_with = "super::wire::opt_id")]
    id: Option<i64>,
    organization_id: Option<i64>,
    name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    parent_department: Option<Option<Ref>>,
    #[serde(default, deserialize_with = "present")]
    department_head: Option<Option<Ref>>,
    is_active: Option<bool>,
    #[serde(rename = "__client_extra__", default, deserialize_with = "present")]
    client_extra: Option<Option<Value>>,
}

impl DeptIn {
    fn read(call: &OrgCall) -> Result<Self, OmniError> {
        let d: DeptIn = call.body.required("department")?;
        check_model(d.model.as_deref(), "Department")?;
        if d.organization_id.is_some_and(|o| o != call.org.id.0) {
            return Err(
                Error::not_found("Organization", d.organization_id.unwrap_or_default()).into(),
            );
        }
        Ok(d)
    }

    fn id(&self) -> Result<DeptId, OmniError> {
        self.id
            .map(DeptId)
            .ok_or_else(|| OmniError::bad_request("department.__id__ is required."))
    }

    fn parent(&self) -> Result<Option<Option<DeptId>>, OmniError> {
        self.parent_department
            .as_ref()
            .map(|p| {
                p.as_ref()
                    .map(|r| r.id_of("Department").map(DeptId))
                    .transpose()
            })
            .transpose()
    }

    fn head(&self) -> Result<Option<Option<UserId>>, OmniError> {
        self.department_head
            .as_ref()
            .map(|h| {
                h.as_ref()
                    .map(|r| r.id_of("UserProfile").map(UserId))
                    .transpose()
            })
            .transpose()
    }
}

async fn reply(app: &AppState, call: &OrgCall, id: DeptId) -> OmniResult {
    let (depts, ranks) = directory(app, &call.org).await?;
    let dir = Dir::new(&call.org, &depts, &ranks);
    let d = depts
        .iter()
        .find(|d| d.id == id)
        .ok_or_else(|| Error::not_found("Department", id))?;
    ok_with("department", render::department(&dir, d))
}

pub(super) async fn list(State(app): State<AppState>, call: OrgCall) -> OmniResult {
    let (depts, ranks) = directory(&app, &call.org).await?;
    let dir = Dir::new(&call.org, &depts, &ranks);
    let out: Vec<_> = depts.iter().map(|d| render::department(&dir, d)).collect();
    ok_with("departments", out)
}

pub(super) async fn create(State(app): State<AppState>, call: OrgCall) -> OmniResult {
    let d = DeptIn::read(&call)?;
    let new = NewDepartment {
        name: d
            .name
            .clone()
            .ok_or_else(|| OmniError::bad_request("department.name is required."))?,
        parent_id: d.parent()?.flatten(),
        head_id: d.head()?.flatten(),
        is_active: d.is_active.unwrap_or(true),
        client_extra: client_extra(d.client_extra.flatten())?,
    };
    let created = app.store.create_department(call.org.id, new).await?;
    reply(&app, &call, created.id).await
}

pub(super) async fn inactivate(State(app): State<AppState>, call: OrgCall) -> OmniResult {
    let id = DeptIn::read(&call)?.id()?;
    app.store
        .set_department_active(call.org.id, id, false)
        .await?;
    ok()
}

pub(super) async fn activate(State(app): State<AppState>, call: OrgCall) -> OmniResult {
    let id = DeptIn::read(&call)?.id()?;
    app.store
        .set_department_active(call.org.id, id, true)
        .await?;
    ok()
}

pub(super) async fn update(State(app): State<AppState>, call: OrgCall) -> OmniResult {
    let d = DeptIn::read(&call)?;
    let id = d.id()?;
    let patch = DepartmentPatch {
        name: d.name.clone(),
        parent_id: d.parent()?,
        head_id: d.head()?,
        is_active: d.is_active,
        client_extra: d.client_extra.clone().map(client_extra).transpose()?,
    };
    app.store.update_department(call.org.id, id, patch).await?;
    reply(&app, &call, id).await
}

pub(super) async fn delete(State(app): State<AppState>, call: OrgCall) -> OmniResult {
    let id = DeptIn::read(&call)?.id()?;
    app.store.delete_department(call.org.id, id).await?;
    ok()
}
