//! Delivers Brity job callbacks from the outbox (crates/store/src/rpa/callbacks.rs): when a
//! requested job with a `callbackInfo` ends, its URL receives a `POST` of the job as job get
//! shows it, plus `additionalJsonText` as given, the process's `message` when
//! `resultReqText` asked for it, and the job's image (base64) when it asked for the file.
//! A failure (no answer, or a status other than 2xx) is tried again with exponential
//! back-off. Runs in every `sluice serve`; the outbox's leases keep instances apart.
//! Destinations are checked by the SSRF guard ([`crate::outbound`]) when the job is requested
//! (a host written as an address) and again at each send, on the resolved addresses the post
//! then connects to (DNS rebinding cannot get around it); a refused one fails for good.

use super::jobs_wire::render_job;
use crate::outbound::pinned_client;
// The request checks a host written as an address with the same guard.
pub(crate) use crate::outbound::{literal_address, refused_address};
use base64::Engine;
use serde_json::{json, Value};
use sluice_domain::OrgId;
use sluice_store::rpa::callbacks::DueCallback;
use sluice_store::rpa::job_reads::Viewer;
use sluice_store::Store;
use std::time::Duration;

/// Callbacks posted at once.
const BATCH: i64 = 16;
/// Longest sleep between looks at the outbox (other instances' rows are found so).
const MAX_SLEEP: Duration = Duration::from_secs(30);

/// The body posted for a job.
async fn payload(store: &Store, c: &DueCallback) -> Result<Option<Value>, String> {
    let org = OrgId(c.org_id);
    // The callback goes to the system that requested the job: it sees what its requester
    // could (hidden parameters stay blank).
    let viewer = Viewer {
        user_id: -1,
        is_admin: true,
    };
    let Some(job) = store
        .job(org, viewer, &c.job_id)
        .await
        .map_err(|e| e.to_string())?
    else {
        return Ok(None);
    };
    let mut body = render_job(&job);
    body["additionalJsonText"] = job
        .additional_json
        .clone()
        .map_or(Value::Null, Value::String);
    if job.callback_message {
        body["message"] = Value::String(job.message.clone());
    }
    if job.callback_file {
        let image = store
            .job_image(org, &job.id)
            .await
            .map_err(|e| e.to_string())?;
        body["file"] = image.map_or(Value::Null, |f| {
            json!({
                "fileName": f.name,
                "contentType": f.content_type,
                "content": base64::engine::general_purpose::STANDARD.encode(&f.content),
            })
        });
    }
    Ok(Some(body))
}

async fn deliver(store: &Store, c: &DueCallback) {
    let allow_private = store.rpa_settings().callback_allow_private;
    let outcome = match payload(store, c).await {
        Err(e) => Err((e, false)),
        Ok(None) => Err(("The job no longer exists.".to_string(), true)),
        Ok(Some(body)) => match pinned_client(&c.url, allow_private).await {
            Err(r) => Err((r.message("callback"), r.permanent())),
            Ok(client) => match client.post(&c.url).json(&body).send().await {
                Ok(res) if res.status().is_success() => Ok(()),
                Ok(res) => Err((format!("The receiver answered {}.", res.status()), false)),
                // Never the URL in the message: it may carry the receiver's key.
                Err(e) => Err((e.without_url().to_string(), false)),
            },
        },
    };
    let recorded = match &outcome {
        Ok(()) => store.callback_delivered(c.id).await,
        Err((error, permanent)) => {
            tracing::warn!(job_id = %c.job_id, attempts = c.attempts, error = %error, "job callback failed");
            store.callback_failed(c, error, *permanent).await
        }
    };
    if let Err(e) = recorded {
        tracing::warn!(job_id = %c.job_id, error = %e, "could not record a callback attempt");
    }
}

/// Runs forever: posts due callbacks, then sleeps until the next is due or one is queued.
pub(crate) async fn run(store: Store) {
    loop {
        let notified = store.callbacks_notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        match store.lease_callbacks(BATCH).await {
            Ok(due) if !due.is_empty() => {
                let mut posts = tokio::task::JoinSet::new();
                for c in due {
                    let store = store.clone();
                    posts.spawn(async move { deliver(&store, &c).await });
                }
                while posts.join_next().await.is_some() {}
                continue;
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "callback outbox unavailable"),
        }
        let sleep = match store.next_callback_at().await {
            Ok(Some(at)) => (at - chrono::Utc::now())
                .to_std()
                .unwrap_or(Duration::ZERO)
                .max(Duration::from_millis(20)),
            _ => MAX_SLEEP,
        }
        .min(MAX_SLEEP);
        tokio::select! {
            _ = &mut notified => {}
            _ = tokio::time::sleep(sleep) => {}
        }
    }
}
