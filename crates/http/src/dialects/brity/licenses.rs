//! Brity's license API for tenant administrators: `activatedCount`, `list` and `initialize`
//! under `/tenant/api/v1/private/license/`, over the licenses issued with the native
//! `POST /api/v1/licenses`.

use super::auth::Caller;
use super::jobs_wire::{nonempty, object, object_body, paging, parse_time, time, time_or_null, yn};
use super::BrityError;
use crate::AppState;
use axum::body::Body;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Map, Value};
use sluice_store::oauth::Principal;
use sluice_store::rpa::licenses::{Initialized, License, LicenseFilter, LicenseKind};

/// The fixed order of the license list, as Brity echoes it.
const LIST_ORDER: &str = "licenseType, tenantName, licenseStatus desc, clientId, licenseKey";

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/tenant/api/v1/private/license/activatedCount",
            post(activated_count),
        )
        .route("/tenant/api/v1/private/license/list", post(list))
        .route(
            "/tenant/api/v1/private/license/initialize",
            post(initialize),
        )
}

/// Only a tenant administrator (or the tenant's own client credential) may call these.
fn require_admin(p: &Principal) -> Result<(), BrityError> {
    if p.user.as_ref().is_none_or(|u| u.is_admin) {
        Ok(())
    } else {
        Err(BrityError::forbidden(
            "Only a tenant administrator may use the license API.",
        ))
    }
}

/// A `tenantId` other than the caller's own tenant (its organization's abbreviation) is
/// "not available", as an unknown one is.
fn check_tenant(p: &Principal, tenant_id: Option<&str>, function: &str) -> Result<(), BrityError> {
    match tenant_id {
        Some(t) if p.org.is_system || !p.org.abbr.eq_ignore_ascii_case(t.trim()) => {
            Err(BrityError::coded(
                StatusCode::NOT_FOUND,
                "NOT_AVAILABLE_TENANT",
                "TENANT_T2",
                format!("[{function}] tenant is not available. tenantId : {t}"),
            ))
        }
        _ => Ok(()),
    }
}

fn invalid(e: String) -> BrityError {
    BrityError::invalid(e)
}

async fn activated_count(
    State(app): State<AppState>,
    Caller(p): Caller,
    body: Body,
) -> Result<Json<Value>, BrityError> {
    require_admin(&p)?;
    let body = object_body(body).await?;
    let tenant = nonempty(&body, "tenantId").map_err(invalid)?;
    check_tenant(
        &p,
        tenant.as_deref(),
        "getLicenseActivatedCountStatusOpenAPIByParam",
    )?;
    let usable_only = yn(body.get("usablePeriodOnly"), "usablePeriodOnly")
        .map_err(invalid)?
        .unwrap_or(false);
    let c = app.store.license_counts(p.org.id, usable_only).await?;
    Ok(Json(json!({
        "tenantInfo": {
            "tenantDescription": null,
            "tenantName": p.org.name,
            "tenantId": p.org.abbr,
        },
        "licenseCount": {
            "designerTotalCount": c.designer_total,
            "designerActivatedCount": c.designer_activated,
            "botTotalCount": c.bot_total,
            "botActivatedCount": c.bot_activated,
        }
    })))
}

fn filter(p: &Map<String, Value>) -> Result<LicenseFilter, String> {
    let (kind, kind_unknown) = match nonempty(p, "licenseType")?.as_deref() {
        None => (None, false),
        Some("1") => (Some(LicenseKind::Bot), false),
        Some("2") => (Some(LicenseKind::Designer), false),
        // Brity's other types (Designer Lite, Attended Bot, Stand-alone Designer...):
        // Sluice issues none of them.
        Some("201" | "3" | "4" | "401") => (None, true),
        Some(_) => return Err("licenseType must be 1, 2, 201, 3, 4 or 401.".into()),
    };
    let time_of = |field: &str| -> Result<_, String> {
        nonempty(p, field)?
            .map(|t| parse_time(field, &t))
            .transpose()
    };
    Ok(LicenseFilter {
        key: nonempty(p, "licenseKey")?,
        client_id: nonempty(p, "clientId")?,
        description: nonempty(p, "licenseDescription")?,
        activated: yn(p.get("licenseStatus"), "licenseStatus")?,
        kind,
        kind_unknown,
        expires_from: time_of("licenseExpirationDateFrom")?,
        expires_to: time_of("licenseExpirationDateTo")?,
    })
}

fn render(l: &License, p: &Principal) -> Value {
    let kind = LicenseKind::parse(&l.kind).unwrap_or(LicenseKind::Bot);
    json!({
        "licenseKey": l.id,
        "licenseType": kind.brity_type(),
        "licenseStartDate": time(l.starts_at),
        "licenseEndDate": time_or_null(l.expires_at),
        "licenseStatus": if l.bot_id.is_some() { "Y" } else { "N" },
        "licenseDescription": l.description,
        "tenantId": p.org.abbr,
        "tenantName": p.org.name,
        "tenantUseYn": if p.org.is_active { "Y" } else { "N" },
        "clientId": l.bot_id.clone().unwrap_or_default(),
        "agentVersion": l.agent_version.clone().filter(|_| l.bot_id.is_some()).unwrap_or_default(),
        "clientActivateDt": time_or_null(l.activated_at),
        "latestIssueTokenDt": time_or_null(l.token_issued_at),
    })
}

async fn list(
    State(app): State<AppState>,
    Caller(p): Caller,
    body: Body,
) -> Result<Json<Value>, BrityError> {
    require_admin(&p)?;
    let body = object_body(body).await?;
    let (offset, limit) = paging(&body).map_err(invalid)?;
    let params = object(&body, "parameter")
        .map_err(invalid)?
        .unwrap_or_default();
    let tenant = nonempty(&params, "tenantId").map_err(invalid)?;
    check_tenant(&p, tenant.as_deref(), "getLicenseListOpenAPIByParam")?;
    let f = filter(&params).map_err(invalid)?;
    let (licenses, total) = app.store.license_page(p.org.id, &f, offset, limit).await?;
    let list: Vec<Value> = licenses.iter().map(|l| render(l, &p)).collect();
    Ok(Json(json!({
        "request": {"offset": offset, "limit": limit, "parameter": params, "orderBy": LIST_ORDER},
        "totalCount": total,
        "listCount": list.len(),
        "list": list,
    })))
}

async fn initialize(
    State(app): State<AppState>,
    Caller(p): Caller,
    body: Body,
) -> Result<Json<Value>, BrityError> {
    const FUNCTION: &str = "requestInitializeLicenseProcess";
    require_admin(&p)?;
    let body = object_body(body).await?;
    let tenant = nonempty(&body, "tenantId").map_err(invalid)?;
    check_tenant(&p, tenant.as_deref(), FUNCTION)?;
    let key = nonempty(&body, "licenseKey")
        .map_err(invalid)?
        .ok_or_else(|| BrityError::invalid("licenseKey is required."))?;
    match app.store.initialize_license(p.org.id, &key).await? {
        Initialized::Done => Ok(Json(json!({"resultCode": "true"}))),
        Initialized::NotActivated => Err(BrityError::coded(
            StatusCode::BAD_REQUEST,
            "INACTIVATE_CLIENT_FAILED",
            "TENANT_M4",
            format!("[{FUNCTION}] This license has not activated status. licenseKey : {key}"),
        )),
        Initialized::NotFound => Err(BrityError::not_found(format!(
            "[{FUNCTION}] The license does not exist. licenseKey : {key}"
        ))),
    }
}
