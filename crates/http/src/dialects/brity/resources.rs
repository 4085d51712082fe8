//! Brity's Common Resource API for tenant administrators: string and file shared resources
//! (`/asset/api/v1/objects/asset`) and credentials (`/asset/api/v1/objects/credential`) —
//! register or modify (POST), view or download (GET), delete (DELETE) — and their lists
//! (`/asset/api/v1/objects/type/asset|credential`). Credentials and secure strings are
//! sealed at rest and never answered in clear; bots receive the ones their process
//! declares with their claim (native/agent.rs).

use super::asset_wire::{checked_param, codes as asset_codes, param, query, required};
use super::resource_form::{read_change, read_part, too_large};
use super::resource_wire::{detail, summary};
use super::tenant_wire::require_tenant_admin;
use super::{BrityError, Caller};
use crate::AppState;
use axum::extract::multipart::Multipart;
use axum::extract::{DefaultBodyLimit, FromRequest, RawQuery, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::Value;
use sluice_domain::Error as DomainError;
use sluice_store::oauth::Principal;
use sluice_store::rpa::resources::{ResourceKind, MAX_FILE_BYTES, MAX_LIST};
use sluice_store::Error as StoreError;

/// Largest request body: a file resource at its limit and the other fields.
const MAX_BODY_BYTES: usize = MAX_FILE_BYTES + 1024 * 1024;
/// Largest delete body (it holds an id).
const MAX_DELETE_BODY: usize = 64 * 1024;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/asset/api/v1/objects/asset",
            get(view_asset).post(put_asset).delete(delete_asset),
        )
        .route(
            "/asset/api/v1/objects/credential",
            get(view_credential)
                .post(put_credential)
                .delete(delete_credential),
        )
        .route("/asset/api/v1/objects/type/asset", get(list_assets))
        .route(
            "/asset/api/v1/objects/type/credential",
            get(list_credentials),
        )
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
}

/// "It must be called with the administrator's authentication token."
fn admin(p: &Principal) -> Result<(), BrityError> {
    require_tenant_admin(p).map_err(|_| {
        BrityError::forbidden("Only a tenant administrator may use the shared resource API.")
    })
}

fn not_found(kind: ResourceKind, id: &str) -> BrityError {
    let what = match kind {
        ResourceKind::Asset => "Shared resource",
        ResourceKind::Credential => "Credential",
    };
    BrityError::not_found(format!("{what} {id} does not exist."))
}

async fn put(
    state: AppState,
    caller: Principal,
    kind: ResourceKind,
    req: Request,
) -> Result<Json<Value>, BrityError> {
    admin(&caller)?;
    let change = read_change(req).await?;
    match state
        .store
        .put_resource(&state.secret_key, &caller, kind, &change)
        .await
    {
        Ok(r) => Ok(Json(summary(&r))),
        Err(StoreError::Domain(DomainError::DuplicateName)) => Err(BrityError::coded(
            StatusCode::BAD_REQUEST,
            "ALREADY_USE_NAME",
            asset_codes::IN_USE,
            match kind {
                ResourceKind::Asset => "ALREADY_USE_RESOURCE_NAME",
                ResourceKind::Credential => "ALREADY_USE_CREDENTIAL_NAME",
            },
        )),
        Err(e) => Err(e.into()),
    }
}

async fn put_asset(
    State(state): State<AppState>,
    Caller(caller): Caller,
    req: Request,
) -> Result<Json<Value>, BrityError> {
    put(state, caller, ResourceKind::Asset, req).await
}

async fn put_credential(
    State(state): State<AppState>,
    Caller(caller): Caller,
    req: Request,
) -> Result<Json<Value>, BrityError> {
    put(state, caller, ResourceKind::Credential, req).await
}

/// The detail view; for a file resource, `isSvg` asks for its content instead.
async fn view(
    state: AppState,
    caller: Principal,
    kind: ResourceKind,
    raw: Option<String>,
) -> Result<Response, BrityError> {
    admin(&caller)?;
    let q = query(raw.as_deref())?;
    let id = required(&q, "id")?;
    if kind == ResourceKind::Asset {
        if let Some(svg) = param(&q, "isSvg") {
            return download(&state, &caller, id, svg).await;
        }
    }
    let r = state
        .store
        .resource(caller.org.id, kind, id)
        .await?
        .ok_or_else(|| not_found(kind, id))?;
    Ok(Json(detail(&r)).into_response())
}

async fn view_asset(
    State(state): State<AppState>,
    Caller(caller): Caller,
    RawQuery(raw): RawQuery,
) -> Result<Response, BrityError> {
    view(state, caller, ResourceKind::Asset, raw).await
}

async fn view_credential(
    State(state): State<AppState>,
    Caller(caller): Caller,
    RawQuery(raw): RawQuery,
) -> Result<Response, BrityError> {
    view(state, caller, ResourceKind::Credential, raw).await
}

/// Whether a file is an SVG image: its name says so and it holds an `<svg` element early.
fn is_svg(name: &str, content: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&content[..content.len().min(4096)]).to_ascii_lowercase();
    name.to_ascii_lowercase().ends_with(".svg") && head.contains("<svg")
}

/// `filename*` (RFC 5987) of a Content-Disposition, with an ASCII `filename` fallback.
fn disposition(kind: &str, name: &str) -> String {
    let fallback: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || " ._-()".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("{kind}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

/// A file resource's content: `isSvg=N` as an attachment; `isSvg=Y` inline as an image,
/// for SVG files only, under a policy that runs nothing it may hold.
async fn download(
    state: &AppState,
    caller: &Principal,
    id: &str,
    svg: &str,
) -> Result<Response, BrityError> {
    let as_svg = match svg.to_ascii_uppercase().as_str() {
        "Y" => true,
        "N" => false,
        _ => {
            return Err(BrityError::invalid(format!(
                "isSvg must be Y or N, not {svg:?}."
            )))
        }
    };
    let Some(file) = state.store.resource_file(caller.org.id, id).await? else {
        return Err(
            match state
                .store
                .resource(caller.org.id, ResourceKind::Asset, id)
                .await?
            {
                Some(_) => BrityError::invalid(format!(
                    "Shared resource {id} is not a file resource: view it with detail=Y."
                )),
                None => not_found(ResourceKind::Asset, id),
            },
        );
    };
    if as_svg && !is_svg(&file.name, &file.content) {
        return Err(BrityError::invalid(format!(
            "Shared resource {id} is not an SVG image: download it with isSvg=N."
        )));
    }
    let mut res = file.content.into_response();
    let headers = res.headers_mut();
    let (content_type, kind) = if as_svg {
        ("image/svg+xml", "inline")
    } else {
        ("application/octet-stream", "attachment")
    };
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&disposition(kind, &file.name)) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; sandbox"),
    );
    Ok(res)
}

/// The id of a delete: the query's `id`, or the body's — JSON `{"id"}` (or a JSON
/// string), `id=...` form-encoded, a multipart `id` part, or the spec's `id: ...` text.
async fn delete_id(raw: Option<String>, req: Request) -> Result<String, BrityError> {
    let q = query(raw.as_deref())?;
    if let Some(id) = param(&q, "id") {
        return Ok(id.to_string());
    }
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.to_ascii_lowercase().starts_with("multipart/form-data"));
    let found = if multipart {
        let mut form = Multipart::from_request(req, &()).await.map_err(|e| {
            BrityError::invalid(format!(
                "The multipart body is malformed: {}",
                e.body_text()
            ))
        })?;
        let mut id = None;
        while let Some(field) = form.next_field().await.map_err(|e| {
            BrityError::invalid(format!(
                "The multipart body is malformed: {}",
                e.body_text()
            ))
        })? {
            if field.name() == Some("id") {
                let bytes = read_part(field, "The part id", MAX_DELETE_BODY).await?;
                id = Some(String::from_utf8_lossy(&bytes).into_owned());
            }
        }
        id
    } else {
        let bytes = axum::body::to_bytes(req.into_body(), MAX_DELETE_BODY)
            .await
            .map_err(|_| too_large("The request body", MAX_DELETE_BODY))?;
        let text = String::from_utf8_lossy(&bytes);
        id_in_text(text.trim())
    };
    let id = found
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| BrityError::invalid("The parameter id is required."))?;
    checked_param("id", &id)?;
    Ok(id)
}

/// The id in a delete body's text, whichever of the accepted forms it takes.
fn id_in_text(text: &str) -> Option<String> {
    if let Ok(v) = serde_json::from_str::<Value>(text) {
        return match v {
            Value::Object(map) => match map.get("id") {
                Some(Value::String(s)) => Some(s.clone()),
                Some(Value::Number(n)) => Some(n.to_string()),
                _ => None,
            },
            Value::String(s) => Some(s),
            _ => None,
        };
    }
    if let Some((k, v)) = text.split_once(':') {
        if k.trim().eq_ignore_ascii_case("id") {
            return Some(v.trim().trim_matches('"').to_string());
        }
    }
    form_urlencoded::parse(text.as_bytes())
        .find(|(k, _)| k == "id")
        .map(|(_, v)| v.into_owned())
}

async fn delete(
    state: AppState,
    caller: Principal,
    kind: ResourceKind,
    raw: Option<String>,
    req: Request,
) -> Result<Json<Value>, BrityError> {
    admin(&caller)?;
    let id = delete_id(raw, req).await?;
    if state
        .store
        .delete_resource(caller.org.id, kind, &id)
        .await?
    {
        Ok(Json(Value::Bool(true)))
    } else {
        Err(not_found(kind, &id))
    }
}

async fn delete_asset(
    State(state): State<AppState>,
    Caller(caller): Caller,
    RawQuery(raw): RawQuery,
    req: Request,
) -> Result<Json<Value>, BrityError> {
    delete(state, caller, ResourceKind::Asset, raw, req).await
}

async fn delete_credential(
    State(state): State<AppState>,
    Caller(caller): Caller,
    RawQuery(raw): RawQuery,
    req: Request,
) -> Result<Json<Value>, BrityError> {
    delete(state, caller, ResourceKind::Credential, raw, req).await
}

/// A non-negative integer query parameter.
fn count(
    q: &std::collections::HashMap<String, String>,
    name: &str,
) -> Result<Option<i64>, BrityError> {
    param(q, name)
        .map(|v| {
            v.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
                BrityError::invalid(format!("{name} must be a number of 0 or more."))
            })
        })
        .transpose()
}

/// Every resource of `kind`, by name; Sluice's `offset` and `limit` page lists longer
/// than [`MAX_LIST`].
async fn list(
    state: AppState,
    caller: Principal,
    kind: ResourceKind,
    raw: Option<String>,
) -> Result<Json<Value>, BrityError> {
    admin(&caller)?;
    let q = query(raw.as_deref())?;
    let offset = count(&q, "offset")?.unwrap_or(0);
    let limit = count(&q, "limit")?.unwrap_or(MAX_LIST).min(MAX_LIST);
    let rows = state
        .store
        .resources(caller.org.id, kind, offset, limit)
        .await?;
    Ok(Json(Value::Array(rows.iter().map(summary).collect())))
}

async fn list_assets(
    State(state): State<AppState>,
    Caller(caller): Caller,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, BrityError> {
    list(state, caller, ResourceKind::Asset, raw).await
}

async fn list_credentials(
    State(state): State<AppState>,
    Caller(caller): Caller,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, BrityError> {
    list(state, caller, ResourceKind::Credential, raw).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delete_bodies_in_every_form() {
        assert_eq!(id_in_text(r#"{"id": "a-1"}"#).as_deref(), Some("a-1"));
        assert_eq!(id_in_text(r#""a-1""#).as_deref(), Some("a-1"));
        assert_eq!(
            id_in_text("id: 43bf2861-fd06").as_deref(),
            Some("43bf2861-fd06")
        );
        assert_eq!(id_in_text("id=a%2D1&x=2").as_deref(), Some("a-1"));
        assert_eq!(id_in_text("nothing"), None);
        assert_eq!(id_in_text(r#"{"name": "x"}"#), None);
    }

    #[test]
    fn svg_files_and_dispositions() {
        assert!(is_svg(
            "a.SVG",
            b"<?xml version=\"1.0\"?>\n<svg xmlns=\"...\"/>"
        ));
        assert!(!is_svg("a.svg", b"\x89PNG"));
        assert!(!is_svg("a.txt", b"<svg/>"));
        assert_eq!(
            disposition("attachment", "hello - copy (2).txt"),
            "attachment; filename=\"hello - copy (2).txt\"; filename*=UTF-8''hello%20-%20copy%20%282%29.txt"
        );
        assert_eq!(
            disposition("inline", "r\u{e9}sum\u{e9}\".svg"),
            "inline; filename=\"r_sum__.svg\"; filename*=UTF-8''r%C3%A9sum%C3%A9%22.svg"
        );
    }
}
