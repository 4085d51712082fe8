//! `POST users/by/roles`: users holding package or process roles.

use super::auth::Caller;
use super::error::PwError;
use super::user_info::UserInfo;
use crate::AppState;
use axum::body::Body;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use sluice_store::identity::RoleFilter;

/// Largest accepted body (far above 100 conditions of 1,000 role names).
const MAX_BODY_BYTES: usize = 1024 * 1024;

/// One element of the request list; every member optional.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RoleCondition {
    package_id: Option<String>,
    process_def_id: Option<String>,
    role_ids: Option<Vec<String>>,
}

impl From<RoleCondition> for RoleFilter {
    fn from(c: RoleCondition) -> Self {
        // An empty text is a condition left out, as an empty form field is.
        let given = |v: Option<String>| v.filter(|s| !s.is_empty());
        RoleFilter {
            package_id: given(c.package_id),
            process_id: given(c.process_def_id),
            role_names: c.role_ids,
        }
    }
}

/// Users (in id order) with a role matching any element of the list.
pub(crate) async fn by_roles(
    State(app): State<AppState>,
    Caller(who): Caller,
    body: Body,
) -> Result<Json<Vec<UserInfo>>, PwError> {
    let bytes = axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| {
            PwError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("The request body is larger than {MAX_BODY_BYTES} bytes."),
            )
        })?;
    let de = &mut serde_json::Deserializer::from_slice(&bytes);
    let conditions: Vec<RoleCondition> = serde_path_to_error::deserialize(de).map_err(|e| {
        let at = e.path().to_string();
        let at = if at == "." {
            String::new()
        } else {
            format!(" at {at}")
        };
        PwError::bad_request(format!(
            "The body must be a JSON list of {{packageId, processDefId, roleIds}}{at}: {}",
            e.inner()
        ))
    })?;
    let filters: Vec<RoleFilter> = conditions.into_iter().map(RoleFilter::from).collect();
    let users = app.store.users_by_roles(who.org.id, &filters).await?;
    Ok(Json(users.into_iter().map(UserInfo::from).collect()))
}
