//! Sluice's HTTP surface. One listener serves the native API (`/api/v1`), OAuth2
//! (`/oauth2/token`), health checks and every API dialect under its own mount point. Each
//! dialect only translates: wire format in, store/domain call, wire format out.

#![recursion_limit = "256"] // document/get's json! literal is large

mod credentials;
mod dialects;
mod native;
mod oauth2;
mod observability;
mod outbound;
pub mod service_tasks;

use axum::Router;
use sluice_store::Store;
use std::sync::Arc;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    /// Key that encrypts credentials at rest (used by later dialects).
    pub secret_key: Arc<[u8; 32]>,
}

/// The whole application: every surface, with request ids, tracing and panic containment.
pub fn router(state: AppState) -> Router {
    let app = Router::new()
        .merge(native::router())
        .merge(oauth2::router())
        .nest("/api/v0.1", dialects::omnibpm::router())
        // Bonita's router holds `/bonita/API/...`, `/bonita/loginservice` and `/bonita/logoutservice`.
        .merge(dialects::bonita::router())
        .nest("/PlusWorkflow/api", dialects::plusworkflow::router())
        // Questetra's router holds `/API/...` (and later `/System/...`).
        .merge(dialects::questetra::router())
        // Brity's router holds `/asset/...`, `/scheduler/...`, `/tenant/...`,
        // `/communication/...` and `/group/...`.
        .merge(dialects::brity::router())
        // The mount point itself is OmniBPM's too (`nest` leaves it to the outer fallback).
        .route(
            "/api/v0.1",
            axum::routing::any(dialects::omnibpm::not_found),
        )
        .route(
            "/api/v0.1/",
            axum::routing::any(dialects::omnibpm::not_found),
        )
        .fallback(native::not_found)
        .with_state(state);
    observability::layer(app)
}

/// Delivers Brity job callbacks until the process ends (`sluice serve` runs it).
pub async fn run_callback_worker(store: Store) {
    dialects::brity::callbacks::run(store).await
}

/// The OpenAPI document of the native API.
pub fn openapi() -> utoipa::openapi::OpenApi {
    native::openapi()
}
