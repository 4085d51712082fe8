//! `/api/v1/licenses`: an organization administrator issues bot and designer licenses (the
//! keys are shown once) and lists them. A bot agent activates a bot license with
//! `POST /api/v1/agent/activate` (docs/bot-protocol.md).

use super::body::json_body;
use super::{ApiError, Bearer};
use crate::AppState;
use axum::body::Body;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sluice_domain::{Error as DomainError, OrgId};
use sluice_store::oauth::Principal;
use sluice_store::rpa::licenses::{License, LicenseKind};
use sluice_store::Error as StoreError;

/// Licenses to issue.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct IssueIn {
    /// `bot` or `designer`.
    kind: String,
    /// How many, 1 to 100.
    count: i64,
    /// Days they are valid, 1 to 36500; leave out for licenses that do not expire.
    valid_days: Option<i64>,
    /// Shown by Brity's license list (licenseDescription).
    #[serde(default)]
    description: String,
}

/// A license (its key only in the answer to its issue).
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct LicenseOut {
    /// Public name (`XXXX-XXXX-XXXX`): Brity's licenseKey.
    id: String,
    /// `bot` or `designer`.
    kind: String,
    description: String,
    starts_at: DateTime<Utc>,
    expires_at: Option<DateTime<Utc>>,
    /// The bot it is bound to, once an agent activated it.
    bot_id: Option<String>,
    activated_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    /// The key an agent activates with (`slu_lic_...`): present only when issued.
    #[serde(skip_serializing_if = "Option::is_none")]
    key: Option<String>,
}

impl From<License> for LicenseOut {
    fn from(l: License) -> Self {
        LicenseOut {
            id: l.id,
            kind: l.kind,
            description: l.description,
            starts_at: l.starts_at,
            expires_at: l.expires_at,
            bot_id: l.bot_id,
            activated_at: l.activated_at,
            created_at: l.created_at,
            key: None,
        }
    }
}

/// The organization of an administrator (or of an organization-level credential).
fn admin_org(p: &Principal) -> Result<OrgId, ApiError> {
    match &p.user {
        Some(u) if !u.is_admin => Err(ApiError::from(StoreError::Domain(DomainError::Forbidden(
            "Only an organization administrator may manage licenses.".into(),
        )))),
        _ => Ok(p.org.id),
    }
}

/// Issues licenses to the caller's organization; their keys are shown only in this answer.
#[utoipa::path(post, path = "/api/v1/licenses", tag = "bots",
    security(("bearer" = [])),
    request_body = IssueIn,
    responses(
        (status = 201, description = "The new licenses, with their keys", body = [LicenseOut]),
        (status = 400, description = "Invalid body or field", body = super::error::ErrorBody),
        (status = 401, description = "Missing, invalid or expired token", body = super::error::ErrorBody),
        (status = 403, description = "Not an organization administrator", body = super::error::ErrorBody),
    ))]
pub(crate) async fn issue_licenses(
    State(app): State<AppState>,
    Bearer(p): Bearer,
    body: Body,
) -> Result<(StatusCode, Json<Vec<LicenseOut>>), ApiError> {
    let org = admin_org(&p)?;
    let input: IssueIn = json_body(body).await?;
    let kind = LicenseKind::parse(&input.kind).ok_or_else(|| {
        ApiError::from(StoreError::Domain(DomainError::invalid(
            "kind must be \"bot\" or \"designer\".",
        )))
    })?;
    let issued = app
        .store
        .issue_licenses(
            org,
            p.user.as_ref().map(|u| u.id),
            kind,
            input.count,
            input.valid_days,
            &input.description,
        )
        .await?;
    let out = issued
        .into_iter()
        .map(|i| {
            let mut o = LicenseOut::from(i.license);
            o.key = Some(i.key);
            o
        })
        .collect();
    Ok((StatusCode::CREATED, Json(out)))
}

/// The organization's licenses, newest first (without keys).
#[utoipa::path(get, path = "/api/v1/licenses", tag = "bots",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The licenses", body = [LicenseOut]),
        (status = 401, description = "Missing, invalid or expired token", body = super::error::ErrorBody),
        (status = 403, description = "Not an organization administrator", body = super::error::ErrorBody),
    ))]
pub(crate) async fn list_licenses(
    State(app): State<AppState>,
    Bearer(p): Bearer,
) -> Result<Json<Vec<LicenseOut>>, ApiError> {
    let org = admin_org(&p)?;
    let licenses = app.store.licenses(org).await?;
    Ok(Json(licenses.into_iter().map(LicenseOut::from).collect()))
}
