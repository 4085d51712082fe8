//! The native API under `/api/v1`, the health checks, and the OpenAPI document generated
//! from the handlers' annotations.

mod agent;
mod auth;
mod body;
mod error;
mod event_keys;
mod health;
mod licenses;
mod me;
mod roles;
mod tokens;
mod workflows;

pub(crate) use auth::Bearer;
pub(crate) use error::ApiError;

use crate::AppState;
use axum::routing::get;
use axum::{Json, Router};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(OpenApi)]
#[openapi(
    info(title = "Sluice native API", description = "Sluice's own API. Dialect APIs (OmniBPM, Questetra, PlusWorkflow, Bonita, Brity RPA) are documented by their vendors' specifications."),
    components(schemas(error::ErrorBody)),
    modifiers(&BearerScheme)
)]
struct ApiDoc;

struct BearerScheme;

impl utoipa::Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

fn documented() -> OpenApiRouter<AppState> {
    let router = OpenApiRouter::with_openapi(ApiDoc::openapi());
    let router = workflows::routes(router);
    let router = event_keys::routes(router);
    router
        .routes(routes!(me::get_me))
        .routes(routes!(tokens::create_token, tokens::list_tokens))
        .routes(routes!(tokens::revoke_token))
        .routes(routes!(roles::create_role, roles::list_roles))
        .routes(routes!(roles::get_role, roles::delete_role))
        .routes(routes!(roles::add_member))
        .routes(routes!(roles::remove_member))
        .routes(routes!(roles::add_use))
        .routes(routes!(licenses::issue_licenses, licenses::list_licenses))
        .routes(routes!(agent::activate))
        .routes(routes!(agent::hello))
        .routes(routes!(agent::next_job))
        .routes(routes!(agent::package))
        .routes(routes!(agent::control))
        .routes(routes!(agent::progress))
        .routes(routes!(agent::upload_file))
        .routes(routes!(agent::finish))
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
}

/// The OpenAPI document of the native API.
pub(crate) fn openapi() -> utoipa::openapi::OpenApi {
    documented().into_openapi()
}

pub(crate) fn router() -> Router<AppState> {
    let (router, doc) = documented().split_for_parts();
    let doc = std::sync::Arc::new(doc);
    router
        .route(
            "/api/v1/openapi.json",
            get(move || {
                let doc = doc.clone();
                async move { Json(doc.as_ref().clone()) }
            }),
        )
        // Axum answers a wrong method with an empty 405; give it the native error shape
        // (the `Allow` header is still set).
        .method_not_allowed_fallback(method_not_allowed)
}

async fn method_not_allowed() -> ApiError {
    ApiError::method_not_allowed()
}

/// Answer for paths no surface serves.
pub(crate) async fn not_found() -> ApiError {
    ApiError::not_found("No such endpoint.")
}
