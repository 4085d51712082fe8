//! Brity's group management: user groups and bot groups created, edited, deleted and
//! searched (`/tenant/api/v1/private/group/user|bot`), the tenant's user group list and
//! user membership by path (`/group/{tenantId}/...`). Tenant administrators only.

use super::asset_wire::checked_param;
use super::error::BrityError;
use super::tenant_wire::{
    flag, lenient_i64, optional_json, order_by, own_tenant, require_tenant_admin, required_json,
    yn, Paging,
};
use super::Caller;
use crate::AppState;
use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use sluice_domain::GroupId;
use sluice_store::identity::{Page, PageRequest};
use sluice_store::rpa::group_search::{GroupOrder, GroupSearch};
use sluice_store::rpa::groups::{GroupKind, RpaGroup};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/group/{tenant_id}", get(tenant_user_groups))
        .route(
            "/group/{tenant_id}/{group_id}/{user_id}",
            post(add_group_user).delete(remove_group_user),
        )
        .route(
            "/tenant/api/v1/private/group/user",
            post(save_user_group)
                .delete(delete_user_group)
                .get(search_user_groups),
        )
        .route(
            "/tenant/api/v1/private/group/bot",
            post(save_bot_group)
                .delete(delete_bot_group)
                .get(search_bot_groups),
        )
}

/// A group as Brity lists one.
pub(super) fn group_item(g: &RpaGroup) -> Value {
    json!({
        "groupId": g.id.0,
        "groupType": g.kind.brity_type(),
        "groupName": g.name,
        "groupDescription": g.description,
        "useYn": flag(g.is_active),
        "isDefault": flag(g.is_default),
        "isAdmin": flag(g.is_admin),
    })
}

/// A group with every field (the `resultDetail` of create, edit and delete).
fn group_detail(g: &RpaGroup) -> Value {
    json!({
        "groupId": g.id.0,
        "groupType": g.kind.brity_type(),
        "groupName": g.name,
        "groupDescription": g.description,
        "groupOrder": g.sort_order,
        "useYn": flag(g.is_active),
        "isDefault": flag(g.is_default),
        "isMonitoring": flag(g.is_monitoring),
        "isAdmin": flag(g.is_admin),
    })
}

/// A user or bot mapped to a group, as the mapping answers show one (`userId` holds a bot
/// id for bot groups).
pub(super) fn mapping_item(g: &RpaGroup, member: &str) -> Value {
    json!({
        "groupId": g.id.0,
        "userId": member,
        "groupType": g.kind.brity_type(),
        "groupName": g.name,
        "groupDescription": g.description,
    })
}

/// A group id from a path segment.
pub(super) fn group_id(raw: &str) -> Result<GroupId, BrityError> {
    raw.trim()
        .parse()
        .map(GroupId)
        .map_err(|_| BrityError::invalid(format!("groupId {raw:?} is not a number.")))
}

/// Path parameters, with a malformed path answered in Brity's form and every segment
/// checked as a query parameter is (no NUL, which PostgreSQL refuses with a 500; no
/// over-long value).
pub(super) fn path<T: PathSegments>(p: Result<Path<T>, PathRejection>) -> Result<T, BrityError> {
    let v = p
        .map(|Path(v)| v)
        .map_err(|e| BrityError::invalid(format!("Invalid path: {e}")))?;
    for segment in v.segments() {
        checked_param("of the path", segment)?;
    }
    Ok(v)
}

/// The text segments of a path, for [`path`].
pub(super) trait PathSegments {
    fn segments(&self) -> Vec<&str>;
}

impl PathSegments for String {
    fn segments(&self) -> Vec<&str> {
        vec![self]
    }
}

impl PathSegments for (String, String) {
    fn segments(&self) -> Vec<&str> {
        vec![&self.0, &self.1]
    }
}

impl PathSegments for (String, String, String) {
    fn segments(&self) -> Vec<&str> {
        vec![&self.0, &self.1, &self.2]
    }
}

/// The body of a group search (`admin/group/list` and the user and bot group searches).
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(super) struct GroupSearchRequest {
    #[serde(flatten)]
    paging: Paging,
    /// The spec's description writes `Parameter`, its examples `parameter`.
    #[serde(alias = "Parameter", alias = "parameters")]
    parameter: Option<GroupSearchParameter>,
    order_by: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct GroupSearchParameter {
    #[serde(deserialize_with = "lenient_i64")]
    group_type: Option<i64>,
    group_name: Option<String>,
    group_description: Option<String>,
    is_admin_group: Option<String>,
    is_default_group: Option<String>,
}

const GROUP_ORDERS: [(&str, GroupOrder); 4] = [
    ("groupId", GroupOrder::Id),
    ("groupType", GroupOrder::Type),
    ("groupName", GroupOrder::Name),
    ("groupDescription", GroupOrder::Description),
];

/// The store's search and the processed request Brity echoes. `kind` forces the group
/// type (the user and bot group searches); otherwise `groupType` filters.
pub(super) fn group_search(
    req: GroupSearchRequest,
    kind: Option<GroupKind>,
) -> Result<(GroupSearch, Value), BrityError> {
    let page = req.paging.page()?;
    let p = req.parameter.unwrap_or_default();
    let kind = match (kind, p.group_type) {
        (Some(k), _) => Some(k),
        (None, None) => None,
        (None, Some(t)) => Some(
            GroupKind::from_brity_type(t)
                .ok_or_else(|| BrityError::invalid("groupType must be 0 or 1."))?,
        ),
    };
    let is_admin = yn("isAdminGroup", p.is_admin_group.as_deref())?;
    let is_default = yn("isDefaultGroup", p.is_default_group.as_deref())?;
    let (order, descending) = order_by(req.order_by.as_deref(), &GROUP_ORDERS, GroupOrder::Id)?;
    let mut echo = Map::new();
    if let Some(k) = kind {
        echo.insert("groupType".into(), json!(k.brity_type()));
    }
    for (key, value) in [
        ("groupName", &p.group_name),
        ("groupDescription", &p.group_description),
    ] {
        if let Some(v) = value.as_deref().filter(|v| !v.trim().is_empty()) {
            echo.insert(key.into(), json!(v));
        }
    }
    for (key, value) in [("isAdminGroup", is_admin), ("isDefaultGroup", is_default)] {
        if let Some(v) = value {
            echo.insert(key.into(), json!(flag(v)));
        }
    }
    let request = processed_request(page, echo, req.order_by);
    let search = GroupSearch {
        kind,
        name: p.group_name,
        description: p.group_description,
        is_admin,
        is_default,
        order,
        descending,
        page,
    };
    Ok((search, request))
}

/// The `request` member of a search answer: the query as processed.
pub(super) fn processed_request(
    page: PageRequest,
    parameter: Map<String, Value>,
    order_by: Option<String>,
) -> Value {
    json!({
        "offset": page.start,
        "limit": page.limit,
        "parameter": parameter,
        "orderBy": order_by,
    })
}

/// A search answer: `request`, `totalCount`, `list` and `listCount`.
pub(super) fn page_answer<T>(request: Value, page: &Page<T>, item: impl Fn(&T) -> Value) -> Value {
    let list: Vec<Value> = page.items.iter().map(item).collect();
    json!({
        "request": request,
        "totalCount": page.total,
        "listCount": list.len(),
        "list": list,
    })
}

/// `{"result": "SUCCESS", "resultDetail": group}`.
fn success_detail(g: &RpaGroup) -> Json<Value> {
    Json(json!({"result": "SUCCESS", "resultDetail": group_detail(g)}))
}

/// The body of group creation and editing (editing when `groupId` is given).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SaveGroup {
    #[serde(default, deserialize_with = "lenient_i64")]
    group_id: Option<i64>,
    group_name: Option<String>,
    group_description: Option<String>,
}

/// The body of group deletion.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeleteGroup {
    #[serde(default, deserialize_with = "lenient_i64")]
    group_id: Option<i64>,
}

async fn save_group(
    state: &AppState,
    caller: &Caller,
    kind: GroupKind,
    body: Body,
) -> Result<Json<Value>, BrityError> {
    require_tenant_admin(&caller.0)?;
    let req: SaveGroup = required_json(body).await?;
    let org = caller.0.org.id;
    let group = match req.group_id {
        Some(id) => {
            state
                .store
                .edit_rpa_group(
                    org,
                    kind,
                    GroupId(id),
                    req.group_name.as_deref(),
                    req.group_description.as_deref(),
                )
                .await?
        }
        None => {
            let name = req
                .group_name
                .ok_or_else(|| BrityError::invalid("groupName is required."))?;
            state
                .store
                .create_rpa_group(
                    org,
                    kind,
                    &name,
                    req.group_description.as_deref().unwrap_or(""),
                )
                .await?
        }
    };
    Ok(success_detail(&group))
}

/// `kind` `None` deletes a group of either kind: the spec documents bot group deletion at
/// the user group path too.
async fn delete_group(
    state: &AppState,
    caller: &Caller,
    kind: Option<GroupKind>,
    body: Body,
) -> Result<Json<Value>, BrityError> {
    require_tenant_admin(&caller.0)?;
    let req: DeleteGroup = required_json(body).await?;
    let id = req
        .group_id
        .ok_or_else(|| BrityError::invalid("groupId is required."))?;
    let group = state
        .store
        .delete_rpa_group(caller.0.org.id, kind, GroupId(id))
        .await?;
    Ok(success_detail(&group))
}

async fn search_groups(
    state: &AppState,
    caller: &Caller,
    kind: GroupKind,
    body: Body,
) -> Result<Json<Value>, BrityError> {
    require_tenant_admin(&caller.0)?;
    let req: GroupSearchRequest = optional_json(body).await?.unwrap_or_default();
    let (search, request) = group_search(req, Some(kind))?;
    let page = state
        .store
        .search_rpa_groups(caller.0.org.id, None, &search)
        .await?;
    Ok(Json(page_answer(request, &page, group_item)))
}

async fn save_user_group(
    State(state): State<AppState>,
    caller: Caller,
    body: Body,
) -> Result<Json<Value>, BrityError> {
    save_group(&state, &caller, GroupKind::User, body).await
}

async fn save_bot_group(
    State(state): State<AppState>,
    caller: Caller,
    body: Body,
) -> Result<Json<Value>, BrityError> {
    save_group(&state, &caller, GroupKind::Bot, body).await
}

async fn delete_user_group(
    State(state): State<AppState>,
    caller: Caller,
    body: Body,
) -> Result<Json<Value>, BrityError> {
    delete_group(&state, &caller, None, body).await
}

async fn delete_bot_group(
    State(state): State<AppState>,
    caller: Caller,
    body: Body,
) -> Result<Json<Value>, BrityError> {
    delete_group(&state, &caller, Some(GroupKind::Bot), body).await
}

async fn search_user_groups(
    State(state): State<AppState>,
    caller: Caller,
    body: Body,
) -> Result<Json<Value>, BrityError> {
    search_groups(&state, &caller, GroupKind::User, body).await
}

async fn search_bot_groups(
    State(state): State<AppState>,
    caller: Caller,
    body: Body,
) -> Result<Json<Value>, BrityError> {
    search_groups(&state, &caller, GroupKind::Bot, body).await
}

/// `GET /group/{tenantId}`: every user group of the tenant, by id.
async fn tenant_user_groups(
    State(state): State<AppState>,
    caller: Caller,
    tenant: Result<Path<String>, PathRejection>,
) -> Result<Json<Value>, BrityError> {
    let tenant = path(tenant)?;
    require_tenant_admin(&caller.0)?;
    own_tenant(&caller.0, &tenant)?;
    let search = GroupSearch {
        kind: Some(GroupKind::User),
        name: None,
        description: None,
        is_admin: None,
        is_default: None,
        order: GroupOrder::Id,
        descending: false,
        page: PageRequest {
            start: 0,
            limit: i64::MAX,
        },
    };
    let page = state
        .store
        .search_rpa_groups(caller.0.org.id, None, &search)
        .await?;
    Ok(Json(Value::Array(
        page.items.iter().map(group_item).collect(),
    )))
}

/// `POST /group/{tenantId}/{groupId}/{userId}`: adds one user to a user group.
async fn add_group_user(
    State(state): State<AppState>,
    caller: Caller,
    params: Result<Path<(String, String, String)>, PathRejection>,
) -> Result<Json<Value>, BrityError> {
    let (tenant, group, user) = path(params)?;
    require_tenant_admin(&caller.0)?;
    own_tenant(&caller.0, &tenant)?;
    let (group, logins) = state
        .store
        .map_users_to_group(caller.0.org.id, group_id(&group)?, &[user])
        .await?;
    let list: Vec<Value> = logins.iter().map(|l| mapping_item(&group, l)).collect();
    Ok(Json(json!({"result": "SUCCESS", "mappingList": list})))
}

/// `DELETE /group/{tenantId}/{groupId}/{userId}`: removes one user from a user group.
async fn remove_group_user(
    State(state): State<AppState>,
    caller: Caller,
    params: Result<Path<(String, String, String)>, PathRejection>,
) -> Result<Json<Value>, BrityError> {
    let (tenant, group, user) = path(params)?;
    require_tenant_admin(&caller.0)?;
    own_tenant(&caller.0, &tenant)?;
    state
        .store
        .unmap_users_from_group(caller.0.org.id, group_id(&group)?, &[user])
        .await?;
    Ok(Json(json!({"result": "SUCCESS"})))
}
