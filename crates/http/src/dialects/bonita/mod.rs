//! The Bonita dialect: the identity REST API at `/bonita/API/identity/...` with session
//! login at `/bonita/loginservice`. See docs/dialects/bonita.md for the mapping onto the
//! domain.

mod contact;
mod group;
mod membership;
mod render;
mod role;
mod search;
mod session;
mod user;
mod wire;

use crate::AppState;
use axum::http::StatusCode;
use axum::routing::{any, get, post, MethodRouter};
use axum::Router;
use wire::BonitaError;

/// Every Bonita endpoint, with full paths; unknown `/bonita/...` paths get Bonita's 404.
pub(crate) fn router() -> Router<AppState> {
    let api = "/bonita/API/identity";
    let routes: Vec<(String, MethodRouter<AppState>)> = vec![
        ("/bonita/loginservice".into(), post(session::login)),
        (
            "/bonita/logoutservice".into(),
            get(session::logout).post(session::logout),
        ),
        (
            "/bonita/API/system/session/{id}".into(),
            get(session::current),
        ),
        (format!("{api}/user"), get(user::search).post(user::create)),
        (
            format!("{api}/user/{{id}}"),
            get(user::get).put(user::update).delete(user::delete),
        ),
        (
            format!("{api}/group"),
            get(group::search).post(group::create),
        ),
        (
            format!("{api}/group/{{id}}"),
            get(group::get).put(group::update).delete(group::delete),
        ),
        (format!("{api}/role"), get(role::search).post(role::create)),
        (
            format!("{api}/role/{{id}}"),
            get(role::get).put(role::update).delete(role::delete),
        ),
        (
            format!("{api}/membership"),
            get(membership::search).post(membership::create),
        ),
        (
            format!("{api}/membership/{{user}}/{{group}}/{{role}}"),
            axum::routing::delete(membership::delete),
        ),
        (
            format!("{api}/professionalcontactdata"),
            post(contact::create_professional),
        ),
        (
            format!("{api}/professionalcontactdata/{{id}}"),
            get(contact::get_professional).put(contact::update_professional),
        ),
        (
            format!("{api}/personalcontactdata"),
            post(contact::create_personal),
        ),
        (
            format!("{api}/personalcontactdata/{{id}}"),
            get(contact::get_personal).put(contact::update_personal),
        ),
    ];
    let mut router = Router::new();
    for (path, handler) in routes {
        router = router.route(&path, handler.fallback(method_not_allowed));
    }
    router
        .route("/bonita", any(not_found))
        .route("/bonita/{*rest}", any(not_found))
}

async fn not_found() -> BonitaError {
    BonitaError::not_found("Unknown Bonita resource.")
}

async fn method_not_allowed() -> BonitaError {
    BonitaError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "This method is not allowed on this resource.",
    )
}
