//! `GET users/query`, `GET users/by/login` and `GET users/current`.

use super::auth::Caller;
use super::error::PwError;
use super::user_info::UserInfo;
use crate::AppState;
use axum::extract::{RawQuery, State};
use axum::Json;
use serde::Serialize;
use sluice_store::identity::MAX_PAGE;

/// Page size when the client sends no `limit` (ExtJS stores' default, which PlusWorkflow's
/// web client uses).
const DEFAULT_LIMIT: u32 = 25;

/// The answer of `users/query`.
#[derive(Serialize)]
pub(crate) struct UserPage {
    total: i64,
    data: Vec<UserInfo>,
}

/// The query string's parameters; for a parameter given twice, the first counts.
fn params(raw: Option<&str>) -> Vec<(String, String)> {
    form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// A non-negative integer parameter, `default` when absent or empty.
fn number(params: &[(String, String)], name: &str, default: u64) -> Result<u64, PwError> {
    match param(params, name).map(str::trim) {
        None | Some("") => Ok(default),
        Some(v) => v.parse().map_err(|_| {
            PwError::bad_request(format!("{name} must be a non-negative integer, not {v:?}."))
        }),
    }
}

/// Users whose first or last name starts with `query`, or whose login contains it.
pub(crate) async fn query(
    State(app): State<AppState>,
    Caller(who): Caller,
    RawQuery(raw): RawQuery,
) -> Result<Json<UserPage>, PwError> {
    let params = params(raw.as_deref());
    let phrase = param(&params, "query").unwrap_or_default().trim();
    let start = number(&params, "start", 0)?;
    let limit = number(&params, "limit", u64::from(DEFAULT_LIMIT))?;
    let limit = u32::try_from(limit)
        .ok()
        .filter(|l| *l <= MAX_PAGE)
        .ok_or_else(|| PwError::bad_request(format!("limit must be at most {MAX_PAGE}.")))?;
    let (total, entries) = app
        .store
        .search_directory(who.org.id, phrase, start, limit)
        .await?;
    Ok(Json(UserPage {
        total,
        data: entries.into_iter().map(UserInfo::from).collect(),
    }))
}

/// One user by login (`username`); `login@ABBR` of the caller's organization also works.
pub(crate) async fn by_login(
    State(app): State<AppState>,
    Caller(who): Caller,
    RawQuery(raw): RawQuery,
) -> Result<Json<UserInfo>, PwError> {
    let params = params(raw.as_deref());
    let username = param(&params, "username").unwrap_or_default().trim();
    if username.is_empty() {
        return Err(PwError::bad_request("The parameter username is required."));
    }
    let login = match username.rsplit_once('@') {
        Some((login, abbr)) if abbr.eq_ignore_ascii_case(&who.org.abbr) => login,
        _ => username,
    };
    match app
        .store
        .directory_entry_by_login(who.org.id, login)
        .await?
    {
        Some(entry) => Ok(Json(entry.into())),
        None => Err(PwError::not_found(format!("User {username} not found."))),
    }
}

/// The user the credential stands for.
pub(crate) async fn current(
    State(app): State<AppState>,
    Caller(who): Caller,
) -> Result<Json<UserInfo>, PwError> {
    let Some(user) = who.user else {
        return Err(PwError::not_found(
            "The credential belongs to the organization, not to a user.",
        ));
    };
    let entry = app.store.directory_entry(who.org.id, user.id).await?;
    Ok(Json(entry.into()))
}
