//! Quser: users (`/API/UGA/Quser/*` updates, `/API/User/Quser/*` retrievals).

use super::render;
use super::wire::{self, ok, Caller, Params, QError, QResult};
use crate::AppState;
use axum::extract::State;
use serde_json::json;
use sluice_domain::identity::Password;
use sluice_domain::{DeptId, UserId};
use sluice_store::identity::AccountChange;

/// Where the store's messages point, for the parameter an error names.
const HINTS: &[(&str, &str)] = &[
    ("name", "name"),
    ("email", "email"),
    ("The e-mail", "email"),
    ("User with e-mail", "email"),
    ("password", "password"),
    ("Unit", "primaryQgroupId"),
];

/// `POST /API/UGA/Quser/add` (name, email, password).
pub(crate) async fn add(State(app): State<AppState>, caller: Caller, p: Params) -> QResult {
    caller.require_admin()?;
    let name = p.required("name")?;
    let email = p.required("email")?;
    let password = p.required("password")?;
    let account = app
        .store
        .create_account(
            caller.org.id,
            name,
            email,
            Some(&Password(password.to_string())),
            caller.user_id(),
        )
        .await
        .map_err(|e| QError::store(e, HINTS))?;
    ok(json!({"quser": render::quser(&account)}))
}

/// `POST /API/UGA/Quser/update` (id; name, email, password, primaryQgroupId optional).
pub(crate) async fn update(State(app): State<AppState>, caller: Caller, p: Params) -> QResult {
    caller.require_admin()?;
    let id = p.required_id("id")?;
    let change = AccountChange {
        name: p.text("name").map(str::to_string),
        email: p.text("email").map(str::to_string),
        password: p.text("password").map(|s| Password(s.to_string())),
        primary_unit: p.id("primaryQgroupId")?.map(DeptId),
    };
    let account = app
        .store
        .change_account(caller.org.id, UserId(id), change)
        .await
        .map_err(|e| QError::store(e, &[&[("User", "id")], HINTS].concat()))?;
    ok(json!({"quser": render::quser_with_primary(&account)}))
}

/// `POST /API/UGA/Quser/delete` (id; delegateQuserId, delegateQgroupId optional).
pub(crate) async fn delete(State(app): State<AppState>, caller: Caller, p: Params) -> QResult {
    caller.require_admin()?;
    let id = UserId(p.required_id("id")?);
    let delegate_user = p.id("delegateQuserId")?.map(UserId);
    let delegate_unit = p.id("delegateQgroupId")?.map(DeptId);
    if caller.user_id() == Some(id) {
        return Err(QError::param(
            "id",
            "A user cannot delete their own account.",
        ));
    }
    let own = format!("User {id} ");
    let hints: &[(&str, &str)] = &[
        (&own, "id"),
        ("User", "delegateQuserId"),
        ("The delegate", "delegateQuserId"),
        ("Unit", "delegateQgroupId"),
    ];
    app.store
        .delete_account(caller.org.id, id, delegate_user, delegate_unit)
        .await
        .map_err(|e| QError::store(e, hints))?;
    wire::done()
}

/// `GET /API/User/Quser/find` (id or email; id wins when both are given).
pub(crate) async fn find(State(app): State<AppState>, caller: Caller, p: Params) -> QResult {
    let found = match (p.id("id")?, p.text("email")) {
        (Some(id), _) => app.store.account(caller.org.id, UserId(id)).await,
        (None, Some(email)) => app.store.account_by_email(caller.org.id, email).await,
        (None, None) => return Err(QError::validation("id or email is required.")),
    };
    let account = found.map_err(|e| QError::store(e, &[("User with", "email"), ("User", "id")]))?;
    ok(json!({"quser": render::quser_with_primary(&account)}))
}

/// `GET /API/User/Quser/self`: the caller's own account.
pub(crate) async fn me(State(app): State<AppState>, caller: Caller) -> QResult {
    let Some(user) = &caller.user else {
        return Err(QError::validation(
            "The credential stands for the organization, not for a user.",
        ));
    };
    let account = app
        .store
        .account(caller.org.id, user.id)
        .await
        .map_err(|e| QError::store(e, &[]))?;
    ok(json!({"quser": render::quser_with_primary(&account)}))
}

/// `GET /API/User/Quser/list` (query, start, limit).
pub(crate) async fn list(State(app): State<AppState>, caller: Caller, p: Params) -> QResult {
    let page = wire::page(&p)?;
    let found = app
        .store
        .search_accounts(caller.org.id, wire::query(&p)?, page)
        .await
        .map_err(|e| QError::store(e, &[]))?;
    let qusers: Vec<_> = found.items.iter().map(render::quser).collect();
    ok(json!({"count": found.total, "qusers": qusers}))
}
