//! Request ids, tracing spans and panic containment for every surface.
//!
//! Spans record the method and the path only: query strings may carry keys
//! (Questetra's `?key=`), and bodies carry passwords and API keys, so neither is logged.

use axum::http::{HeaderName, Request, Response, StatusCode};
use axum::Router;
use std::time::Duration;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use tracing::Span;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

pub(crate) fn layer(app: Router) -> Router {
    let trace = TraceLayer::new_for_http()
        .make_span_with(|req: &Request<_>| {
            let id = req
                .headers()
                .get(&REQUEST_ID)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-");
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
        })
        .on_request(())
        .on_response(|res: &Response<_>, latency: Duration, _span: &Span| {
            let status = res.status();
            if status.is_server_error() {
                tracing::error!(status = status.as_u16(), latency_ms = latency.as_millis() as u64, "request failed");
            } else {
                tracing::debug!(status = status.as_u16(), latency_us = latency.as_micros() as u64, "request done");
            }
        })
        .on_failure(());
    app.layer(CatchPanicLayer::custom(|_| {
        let body = r#"{"code":"internal","message":"Internal server error.","type":"internal"}"#;
        Response::builder()
            .status(StatusCode::INTERNAL_SERVER_ERROR)
            .header("content-type", "application/json")
            .body(axum::body::Body::from(body))
            .expect("static response")
    }))
    .layer(PropagateRequestIdLayer::new(REQUEST_ID))
    .layer(trace)
    .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}
