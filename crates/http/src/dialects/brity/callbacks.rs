//! Delivers Brity job callbacks from the outbox (crates/store/src/rpa/callbacks.rs): when a
//! requested job with a `callbackInfo` ends, its URL receives a `POST` of the job as job get
//! shows it, plus `additionalJsonText` as given, the process's `message` when
//! `resultReqText` asked for it, and the job's image (base64) when it asked for the file.
//! A failure (no answer, or a status other than 2xx) is tried again with exponential
//! back-off. Runs in every `sluice serve`; the outbox's leases keep instances apart.
//! Destinations are checked against [`refused_address`] when the job is requested (a host
//! written as an address) and again at each send, on the resolved addresses the post then
//! connects to (DNS rebinding cannot get around it); a refused one fails for good.

use super::jobs_wire::render_job;
use base64::Engine;
use serde_json::{json, Value};
use sluice_domain::OrgId;
use sluice_store::rpa::callbacks::DueCallback;
use sluice_store::rpa::job_reads::Viewer;
use sluice_store::Store;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// Longest wait for a receiver's answer.
const TIMEOUT: Duration = Duration::from_secs(10);
/// Callbacks posted at once.
const BATCH: i64 = 16;
/// Longest sleep between looks at the outbox (other instances' rows are found so).
const MAX_SLEEP: Duration = Duration::from_secs(30);

/// Why a callback may not go to `ip`, if it may not: link-local (cloud metadata lives
/// there), unspecified, broadcast and multicast addresses never; loopback and private
/// ranges unless the operator allows them (`sluice serve --callback-allow-private`).
pub(crate) fn refused_address(ip: IpAddr, allow_private: bool) -> Option<&'static str> {
    // An IPv4-mapped IPv6 address (`::ffff:127.0.0.1`) is the IPv4 address it maps.
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    let (never, private) = match ip {
        IpAddr::V4(a) => {
            let [o0, o1, ..] = a.octets();
            (
                a.is_link_local()
                    || a.is_unspecified()
                    || a.is_broadcast()
                    || a.is_multicast()
                    || o0 == 0,
                a.is_loopback()
                    || a.is_private()
                    // Shared address space (carrier-grade NAT), 100.64.0.0/10.
                    || (o0 == 100 && (64..128).contains(&o1)),
            )
        }
        IpAddr::V6(a) => {
            let first = a.segments()[0];
            (
                // fe80::/10 link-local.
                (first & 0xffc0) == 0xfe80 || a.is_unspecified() || a.is_multicast(),
                // fc00::/7 unique local.
                a.is_loopback() || (first & 0xfe00) == 0xfc00,
            )
        }
    };
    if never {
        Some("a link-local, unspecified, broadcast or multicast address")
    } else if private && !allow_private {
        Some("a loopback or private address (the server must be started with --callback-allow-private)")
    } else {
        None
    }
}

/// The address a URL's host is written as, if it is one.
pub(crate) fn literal_address(url: &reqwest::Url) -> Option<IpAddr> {
    let host = url.host_str()?;
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()
}

/// The client that posts to `url`, pinned to the addresses its host resolves to now that
/// pass [`refused_address`] (so a second, rebinding lookup cannot change where it goes).
/// `Err((why, permanent))`: a refused destination is permanent, a failed lookup is not.
async fn client_for(url: &str, allow_private: bool) -> Result<reqwest::Client, (String, bool)> {
    let builder = || {
        reqwest::Client::builder()
            .timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
    };
    let url = reqwest::Url::parse(url).map_err(|_| ("Not a URL.".to_string(), true))?;
    let refused = |why: &str| (format!("The callback URL points to {why}."), true);
    let built = if let Some(ip) = literal_address(&url) {
        if let Some(why) = refused_address(ip, allow_private) {
            return Err(refused(why));
        }
        builder().build()
    } else {
        let host = url
            .host_str()
            .ok_or_else(|| ("No host.".to_string(), true))?;
        let port = url.port_or_known_default().unwrap_or(80);
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
            .await
            .map_err(|e| (format!("Cannot resolve the callback host: {e}"), false))?
            .collect();
        let allowed: Vec<SocketAddr> = addrs
            .iter()
            .copied()
            .filter(|a| refused_address(a.ip(), allow_private).is_none())
            .collect();
        if allowed.is_empty() {
            let why = addrs
                .first()
                .and_then(|a| refused_address(a.ip(), allow_private))
                .unwrap_or("no address");
            return Err(refused(&format!("a host resolving to {why}")));
        }
        builder().resolve_to_addrs(host, &allowed).build()
    };
    built.map_err(|e| (format!("Cannot build the HTTP client: {e}"), false))
}

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
        Ok(Some(body)) => match client_for(&c.url, allow_private).await {
            Err(e) => Err(e),
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
