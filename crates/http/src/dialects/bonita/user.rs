//! `/bonita/API/identity/user`: users with their person details.

use super::render;
use super::search::{unknown_filter, Search};
use super::session::Call;
use super::wire::{optional_id, parse_bool, parse_id, path_id, BonitaError, BonitaResult, Item};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::response::IntoResponse;
use axum::Json;
use serde_json::Value;
use sluice_domain::identity::{person, ContactKind, NewUser, Password, PersonPatch, Profile};
use sluice_domain::{validate, OrgId, UserId};
use sluice_store::identity::directory::{UserFilter, UserOrder, UserQuery};
use sluice_store::identity::ProfilePatch;
use std::collections::HashMap;

fn filter(name: &str, value: &str) -> Result<UserFilter, BonitaError> {
    Ok(match name {
        "enabled" => UserFilter::Active(parse_bool(name, value)?),
        "manager_id" => UserFilter::Manager(optional_id(name, value)?.map(UserId)),
        "group_id" => UserFilter::Unit(sluice_domain::DeptId(parse_id(name, value)?)),
        "role_id" => UserFilter::Role(sluice_domain::RoleId(parse_id(name, value)?)),
        "userName" => UserFilter::Login(value.to_string()),
        "firstname" => UserFilter::FirstName(value.to_string()),
        "lastname" => UserFilter::LastName(value.to_string()),
        "job_title" => UserFilter::JobTitle(value.to_string()),
        other => return Err(unknown_filter(other)),
    })
}

fn order_key(attr: &str) -> Option<UserOrder> {
    Some(match attr {
        "id" => UserOrder::Id,
        "firstname" => UserOrder::FirstName,
        "lastname" => UserOrder::LastName,
        "userName" => UserOrder::Login,
        "title" => UserOrder::Title,
        "job_title" => UserOrder::JobTitle,
        "enabled" => UserOrder::Active,
        "creation_date" => UserOrder::CreatedAt,
        "last_update_date" => UserOrder::UpdatedAt,
        "last_connection" => UserOrder::LastLogin,
        _ => return None,
    })
}

/// Renders users with the deploys asked for, each loaded in one query for the whole page.
pub(super) async fn render_users(
    app: &AppState,
    org: OrgId,
    users: &[Profile],
    search: &Search,
) -> Result<Vec<Value>, BonitaError> {
    let mut managers = HashMap::new();
    if search.deploys("manager_id") {
        let mut ids: Vec<UserId> = users.iter().filter_map(|u| u.person.manager_id).collect();
        ids.sort();
        ids.dedup();
        for m in app.store.profiles_by_ids(org, &ids).await? {
            managers.insert(m.user.id, m);
        }
    }
    let ids: Vec<UserId> = users.iter().map(|u| u.user.id).collect();
    let mut contacts = Vec::new();
    for (deploy, kind) in [
        ("professional_data", ContactKind::Professional),
        ("personal_data", ContactKind::Personal),
    ] {
        if search.deploys(deploy) {
            let found: HashMap<UserId, _> = app
                .store
                .contacts_by_users(org, &ids, kind)
                .await?
                .into_iter()
                .collect();
            contacts.push((deploy, found));
        }
    }
    Ok(users
        .iter()
        .map(|u| {
            let mut obj = render::user(u);
            if let Some(m) = u.person.manager_id.and_then(|m| managers.get(&m)) {
                obj.insert("manager_id".into(), Value::Object(render::user(m)));
            }
            for (deploy, found) in &contacts {
                if let Some(c) = found.get(&u.user.id) {
                    obj.insert((*deploy).into(), render::contact(u.user.id.0, c));
                }
            }
            Value::Object(obj)
        })
        .collect())
}

/// `GET /API/identity/user?p&c&f&o&s&d`.
pub(super) async fn search(
    State(app): State<AppState>,
    call: Call,
    RawQuery(query): RawQuery,
) -> BonitaResult {
    let s = Search::parse(query.as_deref())?;
    let filters = s
        .filters
        .iter()
        .map(|(n, v)| filter(n, v))
        .collect::<Result<Vec<_>, _>>()?;
    let q = UserQuery {
        filters,
        text: s.text.clone(),
        order: s.order_by(order_key)?,
        page: s.page_request(),
    };
    let page = app.store.search_profiles(call.org.id, &q).await?;
    let items = render_users(&app, call.org.id, &page.items, &s).await?;
    s.reply(items, page.total)
}

/// `GET /API/identity/user/{id}?d=professional_data&d=manager_id`.
pub(super) async fn get(
    State(app): State<AppState>,
    call: Call,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> BonitaResult {
    let s = Search::parse(query.as_deref())?;
    let id = UserId(path_id("User", &id)?);
    let profile = app.store.profile(call.org.id, id).await?;
    reply_one(&app, call.org.id, profile, &s).await
}

async fn reply_one(app: &AppState, org: OrgId, p: Profile, s: &Search) -> BonitaResult {
    let mut items = render_users(app, org, std::slice::from_ref(&p), s).await?;
    Ok(Json(items.pop().unwrap_or(Value::Null)).into_response())
}

/// The login of a `userName`: bare, or `login@ABBR` of the session's organization.
fn login_of(call: &Call, user_name: &str) -> Result<String, BonitaError> {
    let login = match user_name.rsplit_once('@') {
        Some((login, abbr)) if abbr == call.org.abbr => login,
        _ => user_name,
    };
    Ok(validate::login(login)?)
}

/// The person fields of a user item.
fn person_patch(item: &Item) -> Result<PersonPatch, BonitaError> {
    Ok(PersonPatch {
        first_name: item.text("firstname")?.map(|v| v.trim().to_string()),
        last_name: item.text("lastname")?.map(|v| v.trim().to_string()),
        title: item.text("title")?,
        job_title: item.text("job_title")?,
        number: None,
        icon: item.text("icon")?,
        manager_id: item.opt_id("manager_id")?.map(|m| m.map(UserId)),
    })
}

/// A new password, checked against `password_confirm` when that is given.
fn password(item: &Item) -> Result<Option<Password>, BonitaError> {
    let Some(p) = item.text("password")? else {
        return Ok(None);
    };
    if let Some(confirm) = item.text("password_confirm")? {
        if confirm != p {
            return Err(BonitaError::bad_request(
                "password and password_confirm differ.",
            ));
        }
    }
    Ok(Some(Password(p)))
}

/// `POST /API/identity/user`: `userName` and `password` are mandatory; a new user is
/// disabled unless `enabled` is `"true"`, as in Bonita.
pub(super) async fn create(State(app): State<AppState>, call: Call, body: Bytes) -> BonitaResult {
    call.require_admin()?;
    let item = Item::parse(&body)?;
    let login = login_of(&call, &item.required_text("userName")?)?;
    let password = password(&item)?
        .filter(|p| !p.0.is_empty())
        .ok_or_else(|| BonitaError::bad_request("password is mandatory."))?;
    let person = person_patch(&item)?;
    let display_name = person::display_name_of(
        person.first_name.as_deref().unwrap_or_default(),
        person.last_name.as_deref().unwrap_or_default(),
        &login,
    );
    let new = NewUser {
        login,
        display_name,
        email: String::new(),
        password: Some(password),
        is_active: item.flag("enabled")?.unwrap_or(false),
        is_external: false,
        is_admin: false,
        rank_id: None,
        department_id: None,
        client_extra: None,
        person,
        created_by: Some(call.user.id),
    };
    let user = app.store.create_user(call.org.id, new).await?;
    let profile = app.store.profile(call.org.id, user.id).await?;
    reply_one(&app, call.org.id, profile, &Search::default()).await
}

/// `PUT /API/identity/user/{id}`: names, titles, icon, manager, `enabled`, password.
pub(super) async fn update(
    State(app): State<AppState>,
    call: Call,
    Path(id): Path<String>,
    body: Bytes,
) -> BonitaResult {
    call.require_admin()?;
    let id = UserId(path_id("User", &id)?);
    let item = Item::parse(&body)?;
    if let Some(name) = item.text("userName")? {
        let current = app.store.user(call.org.id, id).await?;
        if login_of(&call, &name)?.to_lowercase() != current.login.to_lowercase() {
            return Err(BonitaError::bad_request(
                "userName cannot be changed: it is the user's login in every dialect.",
            ));
        }
    }
    let patch = ProfilePatch {
        person: person_patch(&item)?,
        is_active: item.flag("enabled")?,
        password: password(&item)?.filter(|p| !p.0.is_empty()),
        display_name_from_names: true,
    };
    let profile = app.store.update_profile(call.org.id, id, patch).await?;
    reply_one(&app, call.org.id, profile, &Search::default()).await
}

/// `DELETE /API/identity/user/{id}`.
pub(super) async fn delete(
    State(app): State<AppState>,
    call: Call,
    Path(id): Path<String>,
) -> BonitaResult {
    call.require_admin()?;
    let id = UserId(path_id("User", &id)?);
    if id == call.user.id {
        return Err(BonitaError::forbidden(
            "You cannot delete your own account.",
        ));
    }
    app.store.delete_user(call.org.id, id).await?;
    Ok(axum::http::StatusCode::OK.into_response())
}
