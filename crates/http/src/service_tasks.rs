//! BPMN service tasks: a worker in every `sluice serve` makes each due task's HTTP call
//! (`HttpCall`: method, URL, a JSON object of `body_fields` by field name, `result` JSON
//! pointers into fields) and moves the case on with the results.
//!
//! - Pending calls are rows (`document_service_calls`), so they survive restarts; an
//!   instance claims a call before making it (`Store::claim_service_call`: one instance
//!   wins, and the claim's lease covers a worker dying mid-call).
//! - A failure (no answer within [`crate::outbound::TIMEOUT`], a status other than 2xx, a
//!   body that is not JSON when results are mapped, a missing result or one of the wrong
//!   type) is tried again after `backoff_seconds`, doubling each time, `retries` times; then
//!   the case shows the error on the node (`NodeRun.error`) and no more calls are made. A
//!   destination refused by the SSRF guard fails at once, for good.
//! - Destinations go through the SSRF guard shared with Brity callbacks
//!   ([`crate::outbound::pinned_client`]): the host's addresses are resolved once, checked,
//!   and the client is pinned to them, so a second, rebinding lookup cannot change where the
//!   call goes. Private addresses only with `--callback-allow-private`. Redirects are not
//!   followed.

use crate::outbound::pinned_client;
use serde_json::{Map, Value};
use sluice_domain::engine::{Case, Definition, Values};
use sluice_domain::workflow::{FieldValue, HttpCall, NodeKind};
use sluice_store::documents::ServiceCall;
use sluice_store::Store;
use std::sync::Arc;
use std::time::Duration;

/// How long a claimed call is not handed to another worker.
const LEASE: Duration = Duration::from_secs(60);
/// Calls taken per pass.
const BATCH: i64 = 16;
/// Longest sleep between looks at pending calls (new calls are found so).
const POLL: Duration = Duration::from_millis(250);
/// Largest answer read from an endpoint.
const MAX_ANSWER_BYTES: usize = 1024 * 1024;

/// Why a call failed; `permanent` ends retrying at once.
struct Failure {
    message: String,
    permanent: bool,
}

impl Failure {
    fn retry(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            permanent: false,
        }
    }

    fn permanent(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            permanent: true,
        }
    }
}

/// Runs forever: makes due calls, then sleeps until the next one is due (at most [`POLL`]).
pub async fn run(store: Store) {
    loop {
        let changed = store.clock().changed();
        tokio::pin!(changed);
        let now = store.clock().now();
        match store.due_service_calls(now, BATCH).await {
            Ok(due) => {
                let mut calls = tokio::task::JoinSet::new();
                for call in &due {
                    match store.claim_service_call(call, now, LEASE).await {
                        Ok(Some(claimed)) => {
                            let store = store.clone();
                            calls.spawn(async move { execute(&store, claimed).await });
                        }
                        Ok(None) => {} // another instance took it
                        Err(e) => tracing::warn!(error = %e, "could not claim a service call"),
                    }
                }
                while calls.join_next().await.is_some() {}
                if due.len() as i64 == BATCH {
                    continue;
                }
            }
            Err(e) => tracing::warn!(error = %e, "could not read pending service calls"),
        }
        let wait = match store.next_service_call().await {
            Ok(Some(at)) => store.clock().wait_for(at).unwrap_or(POLL).min(POLL),
            _ => POLL,
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = &mut changed => {}
        }
    }
}

/// Makes one claimed call and records its outcome.
async fn execute(store: &Store, call: ServiceCall) {
    let (outcome, http) = match task(store, &call).await {
        // A case that no longer waits there (stopped, cancelled, moved on) is not called.
        Ok((case, def, _)) if !case.service_calls(&def).contains(&call.node) => {
            forget(store, &call).await;
            return;
        }
        Ok((case, def, http)) => (attempt(store, &case, &def, &http).await, Some(http)),
        Err(f) => (Err(f), None),
    };
    let recorded = match outcome {
        Ok(values) => store
            .service_call_succeeded(&call, values)
            .await
            .map(|_| ()),
        Err(f) => {
            let delay = http
                .filter(|_| !f.permanent)
                .and_then(|h| backoff(&h, call.attempt));
            let retry_at = delay.map(|d| store.clock().now() + d);
            tracing::warn!(doc = call.doc.0, node = call.node.0, attempt = call.attempt,
                final_failure = retry_at.is_none(), error = %f.message, "service call failed");
            store.service_call_failed(&call, &f.message, retry_at).await
        }
    };
    match recorded {
        Ok(()) => {}
        // The case was cancelled or moved on during the call: its row must not be claimed
        // again when the lease runs out.
        Err(sluice_store::Error::Domain(e)) => {
            tracing::info!(doc = call.doc.0, node = call.node.0, error = %e, "service call outcome not recorded: the case moved on");
            forget(store, &call).await;
        }
        Err(e) => {
            tracing::warn!(doc = call.doc.0, node = call.node.0, error = %e, "could not record a service call");
        }
    }
}

async fn forget(store: &Store, call: &ServiceCall) {
    if let Err(e) = store.drop_service_call(call).await {
        tracing::warn!(doc = call.doc.0, node = call.node.0, error = %e, "could not drop a stale service call");
    }
}

/// After the `attempt`-th call (1 = the first) failed: `backoff_seconds`, doubling per
/// retry, while retries remain.
fn backoff(http: &HttpCall, attempt: i64) -> Option<chrono::Duration> {
    if attempt > i64::from(http.retries) {
        return None;
    }
    let doublings = u32::try_from(attempt - 1).unwrap_or(0).min(20);
    let seconds = i64::from(http.backoff_seconds).saturating_mul(1 << doublings);
    Some(chrono::Duration::seconds(seconds.min(86_400)))
}

/// The case, its workflow and the node's call.
async fn task(
    store: &Store,
    call: &ServiceCall,
) -> Result<(Case, Arc<Definition>, HttpCall), Failure> {
    let case = store
        .service_call_case(call.org, call.doc)
        .await
        .map_err(|e| Failure::retry(format!("Cannot read the case: {e}")))?;
    let def = store
        .definition(call.org, case.workflow_id)
        .await
        .map_err(|e| Failure::retry(format!("Cannot read the workflow: {e}")))?;
    let http = def
        .nodes
        .iter()
        .find(|n| n.id == call.node)
        .and_then(|n| match &n.spec.kind {
            NodeKind::Service(h) => Some(h.clone()),
            _ => None,
        })
        .ok_or_else(|| Failure::permanent("The node is not a service task."))?;
    Ok((case, def, http))
}

/// One try: the request, its answer, the result mapping.
async fn attempt(
    store: &Store,
    case: &Case,
    def: &Definition,
    http: &HttpCall,
) -> Result<Values, Failure> {
    let method = reqwest::Method::from_bytes(http.method.to_ascii_uppercase().as_bytes())
        .map_err(|_| Failure::permanent("The HTTP method is not valid."))?;
    let allow_private = store.rpa_settings().callback_allow_private;
    let client = pinned_client(&http.url, allow_private)
        .await
        .map_err(|r| Failure {
            message: r.message("service"),
            permanent: r.permanent(),
        })?;
    let mut request = client.request(method.clone(), &http.url);
    if !matches!(method, reqwest::Method::GET | reqwest::Method::HEAD) {
        let mut body = Map::new();
        for id in &http.body_fields {
            if let Some(field) = def.fields.iter().find(|f| f.id == *id) {
                let value = case
                    .content
                    .get(id)
                    .map_or(Value::Null, FieldValue::to_json);
                body.insert(field.name.clone(), value);
            }
        }
        request = request.json(&Value::Object(body));
    }
    // Never the URL in a message: it may carry the endpoint's key.
    let mut res = request
        .send()
        .await
        .map_err(|e| Failure::retry(format!("No answer: {}", e.without_url())))?;
    if !res.status().is_success() {
        return Err(Failure::retry(format!(
            "The endpoint answered {}.",
            res.status()
        )));
    }
    let mut answer = Vec::new();
    while let Some(chunk) = res
        .chunk()
        .await
        .map_err(|e| Failure::retry(format!("The answer broke off: {}", e.without_url())))?
    {
        if answer.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(Failure::retry(format!(
                "The answer is larger than {MAX_ANSWER_BYTES} bytes."
            )));
        }
        answer.extend_from_slice(&chunk);
    }
    map_results(def, http, &answer)
}

/// The answer's values for the fields `result` names (JSON pointers), type-checked.
fn map_results(def: &Definition, http: &HttpCall, answer: &[u8]) -> Result<Values, Failure> {
    let mut values = Values::new();
    if http.result.is_empty() {
        return Ok(values);
    }
    let json: Value =
        serde_json::from_slice(answer).map_err(|_| Failure::retry("The answer is not JSON."))?;
    for (pointer, id) in &http.result {
        let field = def
            .fields
            .iter()
            .find(|f| f.id == *id)
            .ok_or_else(|| Failure::permanent(format!("No field {} for {pointer}.", id.0)))?;
        let value = json
            .pointer(pointer)
            .ok_or_else(|| Failure::retry(format!("The answer has no {pointer}.")))?;
        let value = FieldValue::parse(field.data_type, &field.name, value)
            .map_err(|e| Failure::retry(format!("Result {pointer}: {e}")))?;
        values.insert(*id, value);
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(retries: u32, backoff_seconds: u32) -> HttpCall {
        HttpCall {
            method: "POST".into(),
            url: "http://example.com".into(),
            body_fields: vec![],
            result: Default::default(),
            retries,
            backoff_seconds,
        }
    }

    #[test]
    fn backoff_doubles_until_retries_are_spent() {
        let c = call(3, 10);
        assert_eq!(backoff(&c, 1), Some(chrono::Duration::seconds(10)));
        assert_eq!(backoff(&c, 2), Some(chrono::Duration::seconds(20)));
        assert_eq!(backoff(&c, 3), Some(chrono::Duration::seconds(40)));
        assert_eq!(backoff(&c, 4), None);
        assert_eq!(backoff(&call(0, 10), 1), None);
    }
}
