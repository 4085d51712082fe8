//! Bonita sessions: `/bonita/loginservice`, `/bonita/logoutservice`,
//! `/bonita/API/system/session/unusedid`, and the [`Call`] every API handler takes (the
//! `JSESSIONID` cookie, plus the `X-Bonita-API-Token` header on calls that change data).

use super::wire::{BonitaError, BonitaResult};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, RawQuery, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use sluice_domain::identity::{Organization, User};
use sluice_store::secrets;

pub(super) const SESSION_COOKIE: &str = "JSESSIONID";
pub(super) const TOKEN_COOKIE: &str = "X-Bonita-API-Token";
const TOKEN_HEADER: &str = "X-Bonita-API-Token";
/// Where Bonita sends a browser after login when no `redirectURL` is given.
const HOME: &str = "/bonita/apps/appDirectoryBonita";

/// An authenticated API call: the session's organization and user.
pub(crate) struct Call {
    pub org: Organization,
    pub user: User,
    /// The hash of the session's `X-Bonita-API-Token`.
    csrf_hash: String,
}

impl Call {
    /// Changes need an administrator of the organization.
    pub fn require_admin(&self) -> Result<(), BonitaError> {
        if self.user.is_admin {
            Ok(())
        } else {
            Err(BonitaError::forbidden(
                "Only an administrator of the organization may change its directory.",
            ))
        }
    }
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub(super) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim_matches('"'))
}

impl FromRequestParts<AppState> for Call {
    type Rejection = BonitaError;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Some(id) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(BonitaError::unauthorized());
        };
        let Some(session) = app.store.bonita_session(id).await? else {
            return Err(BonitaError::unauthorized());
        };
        // Calls that change data carry the CSRF token in a header (a cookie alone is sent by
        // any page the browser visits).
        if !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
            let presented = parts
                .headers
                .get(TOKEN_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            if !secrets::key_matches(presented, &session.csrf_hash) {
                return Err(BonitaError::new(
                    StatusCode::UNAUTHORIZED,
                    "The X-Bonita-API-Token header is missing or does not match the session.",
                ));
            }
        }
        let principal = session.principal;
        let user = principal.user.ok_or_else(BonitaError::unauthorized)?;
        Ok(Call {
            org: principal.org,
            user,
            csrf_hash: session.csrf_hash,
        })
    }
}

/// The parameters of a login or logout: the query string and a form-encoded body.
fn form(query: Option<&str>, body: &[u8]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .into_owned()
        .collect();
    out.extend(form_urlencoded::parse(body).into_owned());
    out
}

fn param<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// A same-site path to redirect to: `redirectURL` when it is a local absolute path,
/// otherwise `fallback` (never another site: an open redirect would help phishing).
fn redirect_target(form: &[(String, String)], fallback: &str) -> String {
    match param(form, "redirectURL").map(str::trim) {
        Some(u) if u.starts_with('/') && !u.starts_with("//") && !u.contains('\\') => u.to_string(),
        _ => fallback.to_string(),
    }
}

/// `redirect=false` answers without a redirect; anything else (or nothing) redirects.
fn wants_redirect(form: &[(String, String)]) -> bool {
    param(form, "redirect").map(str::trim) != Some("false")
}

fn set_cookie(headers: &mut HeaderMap, value: String) {
    if let Ok(v) = HeaderValue::from_str(&value) {
        headers.append(header::SET_COOKIE, v);
    }
}

/// `POST /bonita/loginservice`: `username` (`login@ABBR`) and `password`, form-encoded.
pub(super) async fn login(
    State(app): State<AppState>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> BonitaResult {
    if body.len() > super::wire::MAX_BODY_BYTES {
        return Err(BonitaError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "The request body is too large.",
        ));
    }
    let form = form(query.as_deref(), &body);
    let (Some(username), Some(password)) = (param(&form, "username"), param(&form, "password"))
    else {
        return Err(BonitaError::new(
            StatusCode::UNAUTHORIZED,
            "username and password are required.",
        ));
    };
    let (org, user) = match app.store.authenticate_password(username, password).await {
        Ok(found) if !found.0.is_system => found,
        Ok(_) | Err(sluice_store::Error::Domain(_)) => {
            return Err(BonitaError::new(
                StatusCode::UNAUTHORIZED,
                "The username or password is incorrect.",
            ))
        }
        Err(e) => return Err(e.into()),
    };
    let session = app.store.create_bonita_session(org.id, user.id).await?;
    let mut headers = HeaderMap::new();
    set_cookie(
        &mut headers,
        format!(
            "{SESSION_COOKIE}={}; Path=/bonita; HttpOnly; SameSite=Lax",
            session.session_id
        ),
    );
    // Readable by scripts: a page copies it into the header of its changing calls.
    set_cookie(
        &mut headers,
        format!(
            "{TOKEN_COOKIE}={}; Path=/bonita; SameSite=Lax",
            session.api_token
        ),
    );
    set_cookie(&mut headers, "bonita.tenant=1; Path=/bonita".to_string());
    if let Ok(v) = HeaderValue::from_str(&session.api_token) {
        headers.insert(TOKEN_HEADER, v);
    }
    if wants_redirect(&form) {
        return Ok(redirect(headers, &redirect_target(&form, HOME)));
    }
    Ok((StatusCode::NO_CONTENT, headers).into_response())
}

fn redirect(mut headers: HeaderMap, to: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(to) {
        headers.insert(header::LOCATION, v);
    }
    (StatusCode::FOUND, headers).into_response()
}

/// `GET|POST /bonita/logoutservice`: ends the session (if any) and clears its cookies.
pub(super) async fn logout(
    State(app): State<AppState>,
    RawQuery(query): RawQuery,
    request_headers: HeaderMap,
    body: Bytes,
) -> BonitaResult {
    if let Some(id) = cookie(&request_headers, SESSION_COOKIE) {
        app.store.delete_bonita_session(id).await?;
    }
    let form = form(query.as_deref(), &body);
    let mut headers = HeaderMap::new();
    for name in [SESSION_COOKIE, TOKEN_COOKIE] {
        set_cookie(&mut headers, format!("{name}=; Path=/bonita; Max-Age=0"));
    }
    if wants_redirect(&form) {
        return Ok(redirect(headers, &redirect_target(&form, "/bonita/")));
    }
    Ok((StatusCode::OK, headers).into_response())
}

/// `GET /bonita/API/system/session/unusedid`: who the session is, and its API token (the
/// one from the request's cookie, once checked against the session: only its hash is kept).
pub(super) async fn current(call: Call, request_headers: HeaderMap) -> BonitaResult {
    let mut headers = HeaderMap::new();
    let token =
        cookie(&request_headers, TOKEN_COOKIE).filter(|t| secrets::key_matches(t, &call.csrf_hash));
    if let Some(v) = token.and_then(|t| HeaderValue::from_str(t).ok()) {
        headers.insert(TOKEN_HEADER, v);
    }
    let body = serde_json::json!({
        "user_id": call.user.id.0.to_string(),
        "user_name": call.user.login,
        "is_technical_user": "false",
        "is_guest_user": "false",
        "version": env!("CARGO_PKG_VERSION"),
        "copyright": "Sluice",
        "conf": "[]",
        "tenant": "1",
    });
    Ok((headers, Json(body)).into_response())
}
