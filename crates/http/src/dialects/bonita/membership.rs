//! `/bonita/API/identity/membership`: a user in a group (unit) with a role. Sluice also
//! keeps memberships with a unit only (the user's primary unit among them) or a role only;
//! Bonita shows the missing half as `"-1"`.

use super::search::{unknown_filter, Search};
use super::session::Call;
use super::wire::{optional_id, parse_id, BonitaError, BonitaResult, Item};
use super::{render, user};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde_json::Value;
use sluice_domain::identity::Membership;
use sluice_domain::{DeptId, OrgId, RoleId, UserId};
use sluice_store::identity::directory::{MembershipFilter, MembershipOrder, MembershipQuery};
use sluice_store::identity::NewMembership;
use std::collections::HashMap;

fn order_key(attr: &str) -> Option<MembershipOrder> {
    Some(match attr.to_ascii_uppercase().as_str() {
        "ROLE_NAME" => MembershipOrder::RoleName,
        "GROUP_NAME" => MembershipOrder::UnitName,
        "ASSIGNED_DATE" => MembershipOrder::AssignedAt,
        _ => return None,
    })
}

/// Renders memberships with the deploys asked for, one query per deployed kind.
async fn render_all(
    app: &AppState,
    org: OrgId,
    items: &[Membership],
    s: &Search,
) -> Result<Vec<Value>, BonitaError> {
    let mut roles = HashMap::new();
    if s.deploys("role_id") {
        let ids: Vec<RoleId> = distinct(items.iter().filter_map(|m| m.role_id));
        for r in app.store.roles_by_ids(org, &ids).await? {
            roles.insert(r.id, render::role(&r));
        }
    }
    let mut groups = HashMap::new();
    if s.deploys("group_id") {
        let ids: Vec<DeptId> = distinct(items.iter().filter_map(|m| m.department_id));
        for u in app.store.units_by_ids(org, &ids).await? {
            groups.insert(u.id, render::group(&u));
        }
    }
    let mut users = HashMap::new();
    let deploy_user = s.deploys("user_id");
    let deploy_by = s.deploys("assigned_by_user_id");
    if deploy_user || deploy_by {
        let ids: Vec<UserId> = distinct(items.iter().flat_map(|m| {
            [
                Some(m.user_id).filter(|_| deploy_user),
                m.assigned_by.filter(|_| deploy_by),
            ]
            .into_iter()
            .flatten()
        }));
        let profiles = app.store.profiles_by_ids(org, &ids).await?;
        let rendered = user::render_users(app, org, &profiles, &Search::default()).await?;
        for (p, v) in profiles.iter().zip(rendered) {
            users.insert(p.user.id, v);
        }
    }
    Ok(items
        .iter()
        .map(|m| {
            let mut obj = render::membership(m);
            let deployed = [
                ("role_id", m.role_id.and_then(|r| roles.get(&r))),
                ("group_id", m.department_id.and_then(|d| groups.get(&d))),
                ("user_id", users.get(&m.user_id).filter(|_| deploy_user)),
                (
                    "assigned_by_user_id",
                    m.assigned_by
                        .and_then(|u| users.get(&u))
                        .filter(|_| deploy_by),
                ),
            ];
            for (key, value) in deployed {
                if let Some(v) = value {
                    obj.insert(key.into(), v.clone());
                }
            }
            Value::Object(obj)
        })
        .collect())
}

fn distinct<T: Ord + Copy>(ids: impl Iterator<Item = T>) -> Vec<T> {
    let mut v: Vec<T> = ids.collect();
    v.sort();
    v.dedup();
    v
}

/// `GET /API/identity/membership?f=user_id=…` (the user filter is mandatory, as in Bonita).
pub(super) async fn search(
    State(app): State<AppState>,
    call: Call,
    RawQuery(query): RawQuery,
) -> BonitaResult {
    let s = Search::parse(query.as_deref())?;
    let mut user = None;
    let mut filters = Vec::new();
    for (name, value) in &s.filters {
        match name.as_str() {
            "user_id" => user = Some(UserId(parse_id(name, value)?)),
            "group_id" => filters.push(MembershipFilter::Unit(DeptId(parse_id(name, value)?))),
            "role_id" => filters.push(MembershipFilter::Role(RoleId(parse_id(name, value)?))),
            other => return Err(unknown_filter(other)),
        }
    }
    let user = user.ok_or_else(|| BonitaError::bad_request("The filter user_id is mandatory."))?;
    let q = MembershipQuery {
        user,
        filters,
        order: s.order_by(order_key)?,
        page: s.page_request(),
    };
    let page = app.store.search_memberships(call.org.id, &q).await?;
    let items = render_all(&app, call.org.id, &page.items, &s).await?;
    s.reply(items, page.total)
}

/// `POST /API/identity/membership`: `user_id` with `group_id`, `role_id` or both.
pub(super) async fn create(State(app): State<AppState>, call: Call, body: Bytes) -> BonitaResult {
    call.require_admin()?;
    let item = Item::parse(&body)?;
    let user_id = UserId(parse_id("user_id", &item.required_text("user_id")?)?);
    let new = NewMembership {
        user_id,
        department_id: item.opt_id("group_id")?.flatten().map(DeptId),
        role_id: item.opt_id("role_id")?.flatten().map(RoleId),
        assigned_by: Some(call.user.id),
    };
    if let Some(r) = new.role_id {
        super::role::global_role(&app, call.org.id, r).await?;
    }
    let m = match app.store.add_membership(call.org.id, new).await {
        Err(sluice_store::Error::Domain(sluice_domain::Error::Conflict(_))) => {
            return Err(BonitaError::new(
                StatusCode::CONFLICT,
                "The membership already exists.",
            ))
        }
        other => other?,
    };
    Ok(Json(Value::Object(render::membership(&m))).into_response())
}

/// `DELETE /API/identity/membership/{user_id}/{group_id}/{role_id}` (`-1` for none).
pub(super) async fn delete(
    State(app): State<AppState>,
    call: Call,
    Path((user, group, role)): Path<(String, String, String)>,
) -> BonitaResult {
    call.require_admin()?;
    let not_found = || BonitaError::not_found("The membership does not exist.");
    let user = UserId(parse_id("user_id", &user).map_err(|_| not_found())?);
    let group = optional_id("group_id", &group)
        .map_err(|_| not_found())?
        .map(DeptId);
    let role = optional_id("role_id", &role)
        .map_err(|_| not_found())?
        .map(RoleId);
    match app
        .store
        .remove_membership(call.org.id, user, group, role)
        .await
    {
        Ok(()) => Ok(StatusCode::OK.into_response()),
        Err(sluice_store::Error::Domain(sluice_domain::Error::NotFound(_))) => {
            // The primary unit is shown as a membership but is the user's own unit.
            let primary = match app.store.user(call.org.id, user).await {
                Ok(u) => u.department_id,
                Err(_) => None,
            };
            if role.is_none() && group.is_some() && primary == group {
                return Err(BonitaError::forbidden(
                    "This is the user's primary unit; move the user to another unit instead.",
                ));
            }
            Err(not_found())
        }
        Err(e) => Err(e.into()),
    }
}
