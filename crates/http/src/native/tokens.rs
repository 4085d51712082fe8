//! `/api/v1/me/tokens`: personal API tokens, the bearer values integrations present (Brity's
//! `Authorization` and `userAuthentication`). A token acts as the user who made it.

use super::body::json_body;
use super::{ApiError, Bearer};
use crate::AppState;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use sluice_domain::{Error as DomainError, OrgId, UserId};
use sluice_store::oauth::Principal;
use sluice_store::rpa::api_tokens::ApiToken;
use sluice_store::Error as StoreError;

/// A token to create.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TokenIn {
    /// What the token is for.
    name: String,
    /// Days until it expires, 1 to 3650; leave out for a token that does not expire.
    valid_days: Option<i64>,
}

/// A personal API token (never its value, except once at creation).
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct TokenOut {
    id: i64,
    name: String,
    created_at: DateTime<Utc>,
    expires_at: Option<DateTime<Utc>>,
    /// The token itself: present only in the answer to its creation.
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<String>,
}

impl From<ApiToken> for TokenOut {
    fn from(t: ApiToken) -> Self {
        TokenOut {
            id: t.id,
            name: t.name,
            created_at: t.created_at.trunc_subsecs(6),
            expires_at: t.expires_at.map(|e| e.trunc_subsecs(6)),
            token: None,
        }
    }
}

/// The user a token would act for; organization-level credentials have none.
fn user_of(p: &Principal) -> Result<(OrgId, UserId), ApiError> {
    p.user.as_ref().map(|u| (p.org.id, u.id)).ok_or_else(|| {
        ApiError::from(StoreError::Domain(DomainError::Forbidden(
            "Personal API tokens belong to a user; this credential has none.".into(),
        )))
    })
}

/// Creates a personal API token; its value is shown only in this answer.
#[utoipa::path(post, path = "/api/v1/me/tokens", tag = "identity",
    security(("bearer" = [])),
    request_body = TokenIn,
    responses(
        (status = 201, description = "The new token, with its value", body = TokenOut),
        (status = 400, description = "Invalid body or field", body = super::error::ErrorBody),
        (status = 401, description = "Missing, invalid or expired token", body = super::error::ErrorBody),
        (status = 403, description = "The credential has no user", body = super::error::ErrorBody),
    ))]
pub(crate) async fn create_token(
    State(app): State<AppState>,
    Bearer(p): Bearer,
    body: Body,
) -> Result<(StatusCode, Json<TokenOut>), ApiError> {
    let (org, user) = user_of(&p)?;
    let input: TokenIn = json_body(body).await?;
    let made = app
        .store
        .create_api_token(org, user, &input.name, input.valid_days)
        .await?;
    let mut out = TokenOut::from(made.token);
    out.token = Some(made.value);
    Ok((StatusCode::CREATED, Json(out)))
}

/// The caller's personal API tokens, newest first.
#[utoipa::path(get, path = "/api/v1/me/tokens", tag = "identity",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The tokens (without their values)", body = [TokenOut]),
        (status = 401, description = "Missing, invalid or expired token", body = super::error::ErrorBody),
        (status = 403, description = "The credential has no user", body = super::error::ErrorBody),
    ))]
pub(crate) async fn list_tokens(
    State(app): State<AppState>,
    Bearer(p): Bearer,
) -> Result<Json<Vec<TokenOut>>, ApiError> {
    let (org, user) = user_of(&p)?;
    let tokens = app.store.api_tokens(org, user).await?;
    Ok(Json(tokens.into_iter().map(TokenOut::from).collect()))
}

/// Revokes one of the caller's tokens at once.
#[utoipa::path(delete, path = "/api/v1/me/tokens/{id}", tag = "identity",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Token id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, description = "Missing, invalid or expired token", body = super::error::ErrorBody),
        (status = 403, description = "The credential has no user", body = super::error::ErrorBody),
        (status = 404, description = "The caller has no such token", body = super::error::ErrorBody),
    ))]
pub(crate) async fn revoke_token(
    State(app): State<AppState>,
    Bearer(p): Bearer,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let (org, user) = user_of(&p)?;
    let Ok(id) = id.parse::<i64>() else {
        return Err(ApiError::not_found("No such token."));
    };
    if app.store.revoke_api_token(org, user, id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("No such token."))
    }
}
