//! Permission groups of projects, process flows and outlines:
//! `GET|POST|DELETE /tenant/api/v1/private/{project|workflow|workspace}/group/{objectId}`.
//! Each grant gives a user group some of the U/R/E/A/D/S authorities (`authU`... as 1/0).

use super::asset_wire::{checked_param, json_body, lenient_i64, lenient_string, yn};
use super::{BrityError, Caller};
use crate::AppState;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use sluice_store::rpa::object_access::Authorities;
use sluice_store::rpa::object_groups::ObjectGroup;

pub(crate) fn router() -> Router<AppState> {
    let mut router = Router::new();
    for category in ["project", "workflow", "workspace"] {
        router = router.route(
            &format!("/tenant/api/v1/private/{category}/group/{{object_id}}"),
            get(move |s, c, p| list(s, c, p, category))
                .post(move |s, c, p, b| set(s, c, p, b, category))
                .delete(move |s, c, p, b| remove(s, c, p, b, category)),
        );
    }
    router
}

fn render(groups: &[ObjectGroup]) -> Value {
    Value::Array(
        groups
            .iter()
            .map(|g| {
                let a = Authorities::parse(&g.authorities);
                let bit = |c: char| i32::from(a.has(c));
                json!({
                    "groupId": g.group_id,
                    "groupName": g.name,
                    "groupDescription": g.description,
                    "authU": bit('U'), "authR": bit('R'), "authE": bit('E'),
                    "authA": bit('A'), "authD": bit('D'), "authS": bit('S'),
                    "isAdmin": yn(g.is_admin_group),
                    "isDefault": yn(g.is_default_group),
                })
            })
            .collect(),
    )
}

async fn list(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(object_id): Path<String>,
    category: &'static str,
) -> Result<Json<Value>, BrityError> {
    let object_id = checked_param("objectId", &object_id)?;
    let groups = state
        .store
        .object_groups(&caller, category, object_id)
        .await?;
    Ok(Json(render(&groups)))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Grant {
    #[serde(deserialize_with = "lenient_string")]
    group_id: Option<String>,
    #[serde(default, deserialize_with = "lenient_i64")]
    auth_u: Option<i64>,
    #[serde(default, deserialize_with = "lenient_i64")]
    auth_r: Option<i64>,
    #[serde(default, deserialize_with = "lenient_i64")]
    auth_e: Option<i64>,
    #[serde(default, deserialize_with = "lenient_i64")]
    auth_a: Option<i64>,
    #[serde(default, deserialize_with = "lenient_i64")]
    auth_d: Option<i64>,
    #[serde(default, deserialize_with = "lenient_i64")]
    auth_s: Option<i64>,
}

/// A `groupId` as a number.
fn group_id(raw: Option<&str>, at: usize) -> Result<i64, BrityError> {
    raw.and_then(|g| g.trim().parse().ok())
        .ok_or_else(|| BrityError::invalid(format!("[{at}].groupId must be a group id.")))
}

async fn set(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(object_id): Path<String>,
    body: Body,
    category: &'static str,
) -> Result<Json<Value>, BrityError> {
    let object_id = checked_param("objectId", &object_id)?;
    let body: Vec<Grant> = json_body(body).await?;
    let mut grants: Vec<(i64, Authorities)> = Vec::with_capacity(body.len());
    for (i, g) in body.iter().enumerate() {
        let id = group_id(g.group_id.as_deref(), i)?;
        let mut letters = String::new();
        for (letter, value) in [
            ('U', g.auth_u),
            ('R', g.auth_r),
            ('E', g.auth_e),
            ('A', g.auth_a),
            ('D', g.auth_d),
            ('S', g.auth_s),
        ] {
            match value.unwrap_or(0) {
                0 => {}
                1 => letters.push(letter),
                other => {
                    return Err(BrityError::invalid(format!(
                        "[{i}].auth{letter} is {other}; only 1 or 0 is allowed."
                    )))
                }
            }
        }
        // A group named twice: the last grant wins.
        grants.retain(|(g, _)| *g != id);
        grants.push((id, Authorities::parse(&letters)));
    }
    let groups = state
        .store
        .set_object_groups(&caller, category, object_id, &grants)
        .await?;
    Ok(Json(render(&groups)))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GroupRef {
    #[serde(deserialize_with = "lenient_string")]
    group_id: Option<String>,
}

async fn remove(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(object_id): Path<String>,
    body: Body,
    category: &'static str,
) -> Result<Json<Value>, BrityError> {
    let object_id = checked_param("objectId", &object_id)?;
    let body: Vec<GroupRef> = json_body(body).await?;
    let ids = body
        .iter()
        .enumerate()
        .map(|(i, g)| group_id(g.group_id.as_deref(), i))
        .collect::<Result<Vec<_>, _>>()?;
    state
        .store
        .delete_object_groups(&caller, category, object_id, &ids)
        .await?;
    Ok(Json(json!({"result": "true"})))
}
