//! Request ids, tracing spans and panic containment for every surface.
//!
//! Spans record the method and the path only: query strings may carry keys
//! (Questetra's `?key=`), and bodies carry passwords and API keys, so neither is logged. The
//! webhook forms of Questetra's events carry their API key in the path: that segment is
//! masked ([`loggable_path`]).

use axum::http::{HeaderName, Request, Response, StatusCode};
use axum::Router;
use std::borrow::Cow;
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
            tracing::info_span!("request", method = %req.method(), path = %loggable_path(req.uri().path()), request_id = %id)
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

/// The path with the API key of a webhook event URL masked:
/// `/System/Event/MessageStartHttp/{model}/{node}/{key}/start` and
/// `/System/ReceiveTask/Http/{model}/{node}/{case}/{key}/receive`.
fn loggable_path(path: &str) -> Cow<'_, str> {
    let key_at = if path.starts_with("/System/Event/MessageStartHttp/") {
        6
    } else if path.starts_with("/System/ReceiveTask/Http/") {
        7
    } else {
        return Cow::Borrowed(path);
    };
    let masked: Vec<&str> = path
        .split('/')
        .enumerate()
        .map(|(i, s)| if i == key_at { "***" } else { s })
        .collect();
    Cow::Owned(masked.join("/"))
}

#[cfg(test)]
mod tests {
    use super::loggable_path;

    #[test]
    fn webhook_keys_are_masked_in_logged_paths() {
        assert_eq!(
            loggable_path("/System/Event/MessageStartHttp/12/Start_1/slu_evt_secret/start"),
            "/System/Event/MessageStartHttp/12/Start_1/***/start"
        );
        assert_eq!(
            loggable_path("/System/ReceiveTask/Http/12/Wait/99/slu_evt_secret/receive"),
            "/System/ReceiveTask/Http/12/Wait/99/***/receive"
        );
        assert_eq!(
            loggable_path("/API/OR/ProcessInstance/list"),
            "/API/OR/ProcessInstance/list"
        );
    }
}
