//! Brity's group mappings (`/tenant/api/v1/private/group/{groupId}/mapping/...`): users in
//! user groups, bots in bot groups, and bot groups under user groups with their U/R/M
//! authorities; the paged lists of a group's users and bots. Tenant administrators only.

use super::error::BrityError;
use super::groups::{group_id, mapping_item, page_answer, path, processed_request};
use super::tenant_wire::{
    lenient_i64, optional_json, order_by, require_tenant_admin, required_json, Paging,
};
use super::Caller;
use crate::AppState;
use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use sluice_domain::GroupId;
use sluice_store::rpa::group_mappings::{BotGroupAuthority, BotGroupGrant};
use sluice_store::rpa::groups::GroupKind;
use sluice_store::rpa::mapped_members::{
    MappedBot, MappedBotOrder, MappedBotSearch, MappedUser, MappedUserOrder, MappedUserSearch,
};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/tenant/api/v1/private/group/{group_id}/mapping/groups",
            post(map_bot_groups).delete(unmap_bot_groups),
        )
        .route(
            "/tenant/api/v1/private/group/{group_id}/mapping/users",
            post(map_users).delete(unmap_users).get(mapped_users),
        )
        .route(
            "/tenant/api/v1/private/group/{group_id}/mapping/bots",
            post(map_bots).delete(unmap_bots).get(mapped_bots),
        )
}

/// The group id of the path, for a tenant administrator.
fn admin_and_group(
    caller: &Caller,
    p: Result<Path<String>, PathRejection>,
) -> Result<GroupId, BrityError> {
    let raw = path(p)?;
    require_tenant_admin(&caller.0)?;
    group_id(&raw)
}

/// A list of ids sent as strings or numbers (a number is its decimal text).
fn id_list(field: &str, values: Option<Vec<Value>>) -> Result<Vec<String>, BrityError> {
    let values = values.ok_or_else(|| BrityError::invalid(format!("{field} is required.")))?;
    values
        .into_iter()
        .map(|v| match v {
            Value::String(s) => Ok(s.trim().to_string()),
            Value::Number(n) => Ok(n.to_string()),
            other => Err(BrityError::invalid(format!(
                "{field} must list ids, not {other}."
            ))),
        })
        .collect()
}

/// `createTimestamp` as the spec shows it: `2023-01-18T08:38:28.343+00:00`.
fn timestamp(t: Option<chrono::DateTime<chrono::Utc>>) -> Value {
    t.map_or(Value::Null, |t| {
        json!(t.format("%Y-%m-%dT%H:%M:%S%.3f%:z").to_string())
    })
}

fn grant_item(g: &BotGroupGrant) -> Value {
    json!({
        "createUserId": g.created_by,
        "createTimestamp": timestamp(g.created_at),
        "id": {"groupId": g.bot_group.0, "parentGroupId": g.user_group.0},
        "authR": i64::from(g.authority.read),
        "authU": i64::from(g.authority.update),
        "authM": i64::from(g.authority.monitor),
    })
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct MapBotGroups {
    mapping_group_list: Option<Vec<BotGroupEntry>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BotGroupEntry {
    #[serde(default, deserialize_with = "lenient_i64")]
    group_id: Option<i64>,
    #[serde(default, rename = "authU", deserialize_with = "lenient_i64")]
    auth_u: Option<i64>,
    #[serde(default, rename = "authR", deserialize_with = "lenient_i64")]
    auth_r: Option<i64>,
    #[serde(default, rename = "authM", deserialize_with = "lenient_i64")]
    auth_m: Option<i64>,
}

/// An authority flag: 1 held, 0 (or absent) not held.
fn authority(name: &str, v: Option<i64>) -> Result<bool, BrityError> {
    match v.unwrap_or(0) {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err(BrityError::invalid(format!("{name} must be 0 or 1."))),
    }
}

/// `POST …/{groupId}/mapping/groups`: maps bot groups under user group `groupId`.
async fn map_bot_groups(
    State(state): State<AppState>,
    caller: Caller,
    p: Result<Path<String>, PathRejection>,
    body: Body,
) -> Result<Json<Value>, BrityError> {
    let group = admin_and_group(&caller, p)?;
    let req: MapBotGroups = required_json(body).await?;
    let entries = req
        .mapping_group_list
        .ok_or_else(|| BrityError::invalid("mappingGroupList is required."))?;
    let grants = entries
        .into_iter()
        .map(|e| {
            let id = e
                .group_id
                .ok_or_else(|| BrityError::invalid("Every mapping needs a groupId."))?;
            let auth = BotGroupAuthority {
                update: authority("authU", e.auth_u)?,
                read: authority("authR", e.auth_r)?,
                monitor: authority("authM", e.auth_m)?,
            };
            Ok((GroupId(id), auth))
        })
        .collect::<Result<Vec<_>, BrityError>>()?;
    let actor = caller.0.user.as_ref().map(|u| u.id);
    let mapped = state
        .store
        .map_bot_groups_to_user_group(caller.0.org.id, group, actor, &grants)
        .await?;
    let list: Vec<Value> = mapped.iter().map(grant_item).collect();
    Ok(Json(json!({"result": "SUCCESS", "mappingGroupList": list})))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct IdLists {
    mapping_group_list: Option<Vec<Value>>,
    mapping_user_list: Option<Vec<Value>>,
    mapping_bot_list: Option<Vec<Value>>,
}

/// `DELETE …/{groupId}/mapping/groups`: unmaps bot groups from user group `groupId`.
async fn unmap_bot_groups(
    State(state): State<AppState>,
    caller: Caller,
    p: Result<Path<String>, PathRejection>,
    body: Body,
) -> Result<Json<Value>, BrityError> {
    let group = admin_and_group(&caller, p)?;
    let req: IdLists = required_json(body).await?;
    let ids = id_list("mappingGroupList", req.mapping_group_list)?
        .iter()
        .map(|raw| group_id(raw))
        .collect::<Result<Vec<_>, _>>()?;
    state
        .store
        .unmap_bot_groups_from_user_group(caller.0.org.id, group, &ids)
        .await?;
    Ok(Json(json!({"result": "SUCCESS"})))
}

/// `POST …/{groupId}/mapping/users`: adds users (logins) to user group `groupId`.
async fn map_users(
    State(state): State<AppState>,
    caller: Caller,
    p: Result<Path<String>, PathRejection>,
    body: Body,
) -> Result<Json<Value>, BrityError> {
    let group = admin_and_group(&caller, p)?;
    let req: IdLists = required_json(body).await?;
    let logins = id_list("mappingUserList", req.mapping_user_list)?;
    let (group, logins) = state
        .store
        .map_users_to_group(caller.0.org.id, group, &logins)
        .await?;
    let list: Vec<Value> = logins.iter().map(|l| mapping_item(&group, l)).collect();
    Ok(Json(json!({"result": "SUCCESS", "mappingList": list})))
}

/// `DELETE …/{groupId}/mapping/users`: removes users (logins) from user group `groupId`.
async fn unmap_users(
    State(state): State<AppState>,
    caller: Caller,
    p: Result<Path<String>, PathRejection>,
    body: Body,
) -> Result<Json<Value>, BrityError> {
    let group = admin_and_group(&caller, p)?;
    let req: IdLists = required_json(body).await?;
    let logins = id_list("mappingUserList", req.mapping_user_list)?;
    state
        .store
        .unmap_users_from_group(caller.0.org.id, group, &logins)
        .await?;
    Ok(Json(json!({"result": "SUCCESS"})))
}

/// `POST …/{groupId}/mapping/bots`: adds bots to bot group `groupId`.
async fn map_bots(
    State(state): State<AppState>,
    caller: Caller,
    p: Result<Path<String>, PathRejection>,
    body: Body,
) -> Result<Json<Value>, BrityError> {
    let group = admin_and_group(&caller, p)?;
    let req: IdLists = required_json(body).await?;
    let bots = id_list("mappingBotList", req.mapping_bot_list)?;
    let (group, bots) = state
        .store
        .map_bots_to_group(caller.0.org.id, group, &bots)
        .await?;
    let list: Vec<Value> = bots.iter().map(|b| mapping_item(&group, b)).collect();
    Ok(Json(json!({"result": "SUCCESS", "mappingList": list})))
}

/// `DELETE …/{groupId}/mapping/bots`: removes bots from bot group `groupId`. The spec's
/// example names the list `mappingGroupList`; both names are accepted.
async fn unmap_bots(
    State(state): State<AppState>,
    caller: Caller,
    p: Result<Path<String>, PathRejection>,
    body: Body,
) -> Result<Json<Value>, BrityError> {
    let group = admin_and_group(&caller, p)?;
    let req: IdLists = required_json(body).await?;
    let bots = id_list(
        "mappingBotList",
        req.mapping_bot_list.or(req.mapping_group_list),
    )?;
    state
        .store
        .unmap_bots_from_group(caller.0.org.id, group, &bots)
        .await?;
    Ok(Json(json!({"result": "SUCCESS"})))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct MappedUsersRequest {
    #[serde(flatten)]
    paging: Paging,
    #[serde(alias = "parameters")]
    parameter: Option<MappedUsersParameter>,
    order_by: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct MappedUsersParameter {
    user_nm: Option<String>,
    user_id: Option<String>,
    #[serde(alias = "dptSq")]
    dept_sq: Option<String>,
}

const USER_ORDERS: [(&str, MappedUserOrder); 5] = [
    ("userId", MappedUserOrder::Login),
    ("userNm", MappedUserOrder::Name),
    ("email", MappedUserOrder::Email),
    ("deptSq", MappedUserOrder::Department),
    ("dptSq", MappedUserOrder::Department),
];

fn user_item(u: &MappedUser) -> Value {
    json!({
        "userId": u.login,
        "userNm": u.display_name,
        "email": u.email,
        "dptSq": u.department_id.map_or(String::new(), |d| d.to_string()),
    })
}

/// The non-empty text parameters, for the echoed request.
fn echo(fields: &[(&str, &Option<String>)]) -> Map<String, Value> {
    fields
        .iter()
        .filter_map(|(k, v)| {
            v.as_deref()
                .filter(|v| !v.trim().is_empty())
                .map(|v| (k.to_string(), json!(v)))
        })
        .collect()
}

/// `GET …/{groupId}/mapping/users`: a page of user group `groupId`'s users.
async fn mapped_users(
    State(state): State<AppState>,
    caller: Caller,
    p: Result<Path<String>, PathRejection>,
    body: Body,
) -> Result<Json<Value>, BrityError> {
    let group = admin_and_group(&caller, p)?;
    let req: MappedUsersRequest = optional_json(body).await?.unwrap_or_default();
    let page = req.paging.page()?;
    let (order, descending) = order_by(
        req.order_by.as_deref(),
        &USER_ORDERS,
        MappedUserOrder::Login,
    )?;
    let prm = req.parameter.unwrap_or_default();
    let mut parameter = echo(&[
        ("userNm", &prm.user_nm),
        ("userId", &prm.user_id),
        ("deptSq", &prm.dept_sq),
    ]);
    parameter.insert("groupId".into(), json!(group.0));
    let search = MappedUserSearch {
        name: prm.user_nm,
        login: prm.user_id,
        department: prm.dept_sq,
        order,
        descending,
        page,
    };
    let (_, found) = state
        .store
        .group_users_page(caller.0.org.id, group, &search)
        .await?;
    let request = processed_request(page, parameter, req.order_by);
    Ok(Json(page_answer(request, &found, user_item)))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct MappedBotsRequest {
    #[serde(flatten)]
    paging: Paging,
    #[serde(alias = "parameters")]
    parameter: Option<MappedBotsParameter>,
    order_by: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct MappedBotsParameter {
    bot_nm: Option<String>,
    bot_id: Option<String>,
}

const BOT_ORDERS: [(&str, MappedBotOrder); 2] = [
    ("botId", MappedBotOrder::Id),
    ("botNm", MappedBotOrder::Name),
];

fn bot_item(b: &MappedBot) -> Value {
    json!({"botId": b.id, "botNm": b.name})
}

/// `GET …/{groupId}/mapping/bots`: a page of bot group `groupId`'s bots.
async fn mapped_bots(
    State(state): State<AppState>,
    caller: Caller,
    p: Result<Path<String>, PathRejection>,
    body: Body,
) -> Result<Json<Value>, BrityError> {
    let group = admin_and_group(&caller, p)?;
    let req: MappedBotsRequest = optional_json(body).await?.unwrap_or_default();
    let page = req.paging.page()?;
    let (order, descending) = order_by(req.order_by.as_deref(), &BOT_ORDERS, MappedBotOrder::Id)?;
    let prm = req.parameter.unwrap_or_default();
    let mut parameter = echo(&[("botNm", &prm.bot_nm), ("botId", &prm.bot_id)]);
    parameter.insert("groupId".into(), json!(group.0));
    parameter.insert("groupType".into(), json!(GroupKind::Bot.brity_type()));
    let search = MappedBotSearch {
        name: prm.bot_nm,
        id: prm.bot_id,
        order,
        descending,
        page,
    };
    let (_, found) = state
        .store
        .group_bots_page(caller.0.org.id, group, &search)
        .await?;
    let request = processed_request(page, parameter, req.order_by);
    Ok(Json(page_answer(request, &found, bot_item)))
}
