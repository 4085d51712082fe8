//! `POST /oauth2/token` (RFC 6749): the `password`, `client_credentials` and `refresh_token`
//! grants.
//!
//! Clients: a confidential client is an organization, `client_id` its abbreviation and
//! `client_secret` its API key; it may use `client_credentials` (a token for the
//! organization itself). The `password` and `refresh_token` grants also accept public
//! clients (no secret, and no `client_id` or one that is not an organization's abbreviation,
//! printable ASCII), as first-party tools do. Tokens issued to a confidential client are
//! refreshed only by that client, authenticated (RFC 6749 §6).

use crate::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use base64::Engine;
use serde_json::json;
use sluice_store::oauth::IssuedTokens;
use sluice_store::Error as StoreError;
use std::collections::HashMap;

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/oauth2/token", post(token).fallback(method_not_allowed))
}

/// Longest accepted `client_id` of a public client (it is stored with the tokens).
const MAX_CLIENT_ID_CHARS: usize = 255;
/// Longest accepted `scope` (it is stored with the tokens).
const MAX_SCOPE_CHARS: usize = 1024;

/// The token endpoint takes POST only (RFC 6749 §3.2); answer other methods in its error form.
async fn method_not_allowed() -> Response {
    let mut res =
        OAuthError::new("invalid_request", "The token endpoint accepts POST only.").into_response();
    *res.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
    res
}

/// An RFC 6749 §5.2 error.
struct OAuthError {
    code: &'static str,
    description: String,
    /// The client tried HTTP Basic: answer 401 with a challenge.
    basic_challenge: bool,
}

impl OAuthError {
    fn new(code: &'static str, description: impl Into<String>) -> Self {
        Self {
            code,
            description: description.into(),
            basic_challenge: false,
        }
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let status = match self.code {
            "invalid_client" => StatusCode::UNAUTHORIZED,
            "server_error" => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        };
        let mut res = (
            status,
            Json(json!({"error": self.code, "error_description": self.description})),
        )
            .into_response();
        let h = res.headers_mut();
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
        if self.code == "invalid_client" && self.basic_challenge {
            h.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(r#"Basic realm="sluice""#),
            );
        }
        res
    }
}

impl From<StoreError> for OAuthError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Domain(d) => OAuthError::new("invalid_grant", d.to_string()),
            other => {
                tracing::error!(error = ?other, "token request failed");
                OAuthError::new("server_error", "The server could not complete the request.")
            }
        }
    }
}

/// Client credentials from `Authorization: Basic` (RFC 6749 §2.3.1) or the body.
struct Client {
    id: Option<String>,
    secret: Option<String>,
    via_basic: bool,
}

fn client(headers: &HeaderMap, form: &HashMap<String, String>) -> Result<Client, OAuthError> {
    if let Some(v) = headers.get(header::AUTHORIZATION) {
        let v = v.to_str().unwrap_or_default();
        if let Some(b64) = v
            .strip_prefix("Basic ")
            .or_else(|| v.strip_prefix("basic "))
        {
            let bad = || OAuthError {
                basic_challenge: true,
                ..OAuthError::new("invalid_client", "Malformed Basic credentials.")
            };
            let raw = base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .map_err(|_| bad())?;
            let raw = String::from_utf8(raw).map_err(|_| bad())?;
            let (id, secret) = raw.split_once(':').ok_or_else(bad)?;
            let decode = |s: &str| {
                form_urlencoded::parse(format!("x={s}").as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned())
            };
            return Ok(Client {
                id: decode(id),
                secret: decode(secret),
                via_basic: true,
            });
        }
    }
    Ok(Client {
        id: form.get("client_id").cloned(),
        secret: form.get("client_secret").cloned(),
        via_basic: false,
    })
}

fn parse_body(headers: &HeaderMap, body: &Bytes) -> Result<HashMap<String, String>, OAuthError> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        let map: HashMap<String, serde_json::Value> = serde_json::from_slice(body)
            .map_err(|_| OAuthError::new("invalid_request", "The body is not a JSON object."))?;
        return Ok(map
            .into_iter()
            .filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_string())))
            .collect());
    }
    let mut out = HashMap::new();
    for (k, v) in form_urlencoded::parse(body) {
        if out.insert(k.to_string(), v.into_owned()).is_some() {
            return Err(OAuthError::new(
                "invalid_request",
                format!("Parameter {k} is repeated."),
            ));
        }
    }
    Ok(out)
}

fn required<'a>(form: &'a HashMap<String, String>, name: &str) -> Result<&'a str, OAuthError> {
    form.get(name)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| OAuthError::new("invalid_request", format!("Parameter {name} is required.")))
}

async fn token(State(app): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    match issue(&app, &headers, &body).await {
        Ok(t) => {
            // RFC 6749 §5.1: optional members are left out, not sent as null.
            let mut body = json!({
                "access_token": t.access_token,
                "token_type": "Bearer",
                "expires_in": t.expires_in,
            });
            if let Some(r) = t.refresh_token {
                body["refresh_token"] = json!(r);
            }
            if let Some(sc) = t.scope {
                body["scope"] = json!(sc);
            }
            let mut res = Json(body).into_response();
            let h = res.headers_mut();
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
            res
        }
        Err(e) => e.into_response(),
    }
}

async fn issue(
    app: &AppState,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<IssuedTokens, OAuthError> {
    let form = parse_body(headers, body)?;
    let client = client(headers, &form)?;
    let scope = form
        .get("scope")
        .map(String::as_str)
        .filter(|s| !s.is_empty());
    if let Some(sc) = scope {
        check_scope(sc)?;
    }
    let grant = required(&form, "grant_type")?;
    // A client that presents a secret must be a valid confidential client, whatever the grant.
    let confidential = match (&client.id, &client.secret) {
        (Some(id), Some(secret)) => {
            Some(authenticate_client(app, id, secret, client.via_basic).await?)
        }
        (None, Some(_)) => {
            return Err(OAuthError::new(
                "invalid_request",
                "client_secret without client_id.",
            ))
        }
        _ => None,
    };
    if confidential.is_none() {
        if let Some(id) = &client.id {
            // A public client's id is stored with its tokens: it must be a sane identifier.
            check_client_id(id)?;
            // RFC 6749 §3.2.1: a confidential client must authenticate; naming it is not
            // enough (its tokens would otherwise be indistinguishable from the real client's).
            if app.store.organization_by_abbr(id).await?.is_some() {
                return Err(OAuthError {
                    basic_challenge: true,
                    ..OAuthError::new(
                        "invalid_client",
                        format!(
                            "Client {id} is confidential: authenticate with its client_secret."
                        ),
                    )
                });
            }
        }
    }
    match grant {
        "password" => {
            let username = required(&form, "username")?;
            let password = required(&form, "password")?;
            let (org, user) = app.store.authenticate_password(username, password).await?;
            if let Some(c) = &confidential {
                if c.id != org.id {
                    return Err(OAuthError::new("invalid_grant", "The user does not belong to this client's organization."));
                }
            }
            Ok(app.store.issue_tokens(org.id, Some(user.id), client.id.as_deref(), scope).await?)
        }
        "client_credentials" => {
            let Some(org) = confidential else {
                return Err(OAuthError {
                    basic_challenge: true,
                    ..OAuthError::new("invalid_client", "client_credentials needs client_id and client_secret.")
                });
            };
            Ok(app.store.issue_tokens(org.id, None, client.id.as_deref(), scope).await?)
        }
        "refresh_token" => {
            let refresh = required(&form, "refresh_token")?;
            // RFC 6749 §6: a confidential client authenticates to refresh its tokens.
            Ok(app
                .store
                .refresh_tokens_as(refresh, client.id.as_deref(), confidential.is_some())
                .await?)
        }
        other => Err(OAuthError::new(
            "unsupported_grant_type",
            format!("Grant type {other} is not supported (password, client_credentials, refresh_token)."),
        )),
    }
}

/// RFC 6749 Appendix A.1: `client-id = *VSCHAR` (printable ASCII), bounded.
fn check_client_id(id: &str) -> Result<(), OAuthError> {
    let printable = id.chars().all(|c| (' '..='~').contains(&c));
    if printable && id.chars().count() <= MAX_CLIENT_ID_CHARS {
        Ok(())
    } else {
        Err(OAuthError::new(
            "invalid_request",
            format!("client_id must be at most {MAX_CLIENT_ID_CHARS} printable ASCII characters."),
        ))
    }
}

/// RFC 6749 §3.3: space-separated scope tokens of NQCHAR (printable ASCII but `"` and `\`).
fn check_scope(scope: &str) -> Result<(), OAuthError> {
    let ok_chars = scope
        .chars()
        .all(|c| c == ' ' || (('!'..='~').contains(&c) && c != '"' && c != '\\'));
    if ok_chars && scope.chars().count() <= MAX_SCOPE_CHARS {
        Ok(())
    } else {
        Err(OAuthError::new(
            "invalid_scope",
            format!("scope must be at most {MAX_SCOPE_CHARS} characters of space-separated scope tokens."),
        ))
    }
}

async fn authenticate_client(
    app: &AppState,
    id: &str,
    secret: &str,
    via_basic: bool,
) -> Result<sluice_domain::identity::Organization, OAuthError> {
    let refused = || OAuthError {
        basic_challenge: via_basic,
        ..OAuthError::new("invalid_client", "Client authentication failed.")
    };
    match app.store.organization_by_api_key(secret).await? {
        Some(org) if org.abbr == id && org.is_active && !org.is_system => Ok(org),
        _ => Err(refused()),
    }
}
