//! Scheduler precision: `--reservations` active reservations (1,000 by default) on a release
//! `sluice serve` going by the real clock, their first occurrences spread over `--spread`
//! seconds (0: all at the same second). Bots speaking the agent protocol over HTTP (no
//! process is run) long-poll for the jobs; an occurrence's lateness is the time from the
//! occurrence to the moment a bot received its job (queueing by the scheduler plus
//! dispatch). Reports p50, p99 and max lateness, and any occurrence that did not fire, fired
//! twice or fired early.

use crate::jobs::{package, tenant, upload, Api};
use crate::omni::client;
use crate::server::Server;
use crate::stats::Latencies;
use anyhow::{bail, Context};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

#[derive(clap::Args)]
pub struct SchedulesArgs {
    /// Active reservations (each fires once during the run).
    #[arg(long, default_value_t = 1_000)]
    reservations: usize,
    /// Seconds over which the occurrences are spread.
    #[arg(long, default_value_t = 60)]
    spread: u64,
    /// Bots polling for the jobs.
    #[arg(long, default_value_t = 8)]
    bots: usize,
}

/// A job a bot received: when (ns since the epoch) and the reservation's number.
struct Received {
    at_ns: u128,
    n: usize,
}

fn now_ns() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

/// `secs` since the epoch as an RFC 3339 UTC time (`2030-03-01T00:00:00Z`).
fn rfc3339(secs: u64) -> String {
    // Howard Hinnant's civil_from_days.
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// Activates `count` bots; their secrets.
async fn bots(api: &Api, count: usize) -> anyhow::Result<Vec<String>> {
    let licenses = api
        .send(
            reqwest::Method::POST,
            "/api/v1/licenses",
            Some(json!({"kind": "bot", "count": count})),
        )
        .await?;
    let mut secrets = Vec::new();
    for i in 0..count {
        let key = licenses[i]["key"].as_str().context("license key")?;
        let v: Value = api
            .http
            .post(format!("{}/api/v1/agent/activate", api.base))
            .json(&json!({"license_key": key, "name": format!("sched-{i}"),
                "computer_name": "bench", "ip_addr": "127.0.0.1", "os": "bench",
                "agent_version": "bench"}))
            .send()
            .await?
            .json()
            .await?;
        secrets.push(v["bot_secret"].as_str().context("bot secret")?.to_string());
    }
    Ok(secrets)
}

/// A bot: long-polls for jobs, reports each at once as received, and finishes it.
async fn poll(
    http: reqwest::Client,
    base: String,
    secret: String,
    tx: tokio::sync::mpsc::UnboundedSender<Received>,
) -> anyhow::Result<()> {
    loop {
        let res = http
            .post(format!("{base}/api/v1/agent/jobs/next?wait=5"))
            .bearer_auth(&secret)
            .send()
            .await?;
        if res.status() == 204 {
            continue;
        }
        if !res.status().is_success() {
            bail!("jobs/next: {}", res.status());
        }
        let claim: Value = res.json().await?;
        let at_ns = now_ns();
        let n = claim["inputs"]["n"].as_u64().context("input n")? as usize;
        if tx.send(Received { at_ns, n }).is_err() {
            return Ok(());
        }
        let job = claim["job_id"].as_str().context("job_id")?;
        http.post(format!("{base}/api/v1/agent/jobs/{job}/finish"))
            .bearer_auth(&secret)
            .json(&json!({"result": "success"}))
            .send()
            .await?;
    }
}

/// How long after `at_ns` the reservation list first shows all `n` reservations with a
/// job queued (`schCount`), polling every 20 ms.
async fn all_queued(api: &Api, n: usize, at_ns: u128) -> anyhow::Result<Duration> {
    let until = Duration::from_nanos(at_ns.saturating_sub(now_ns()) as u64);
    tokio::time::sleep(until).await;
    loop {
        let mut queued = 0;
        for page in 0..n.div_ceil(100) {
            let v = api
                .send(
                    reqwest::Method::POST,
                    "/scheduler/api/v1/schedulings/list",
                    Some(json!({"offset": page * 100, "limit": 100})),
                )
                .await?;
            queued += v["list"].as_array().map_or(0, |l| {
                l.iter()
                    .filter(|r| r["schCount"].as_i64().unwrap_or(0) > 0)
                    .count()
            });
        }
        let t = now_ns();
        if queued >= n {
            return Ok(Duration::from_nanos(t.saturating_sub(at_ns) as u64));
        }
        if t > at_ns + 120_000_000_000 {
            bail!("only {queued} of {n} reservations queued a job within 2 minutes");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub async fn run(server: &Server, clients: usize, args: &SchedulesArgs) -> anyhow::Result<()> {
    let n = args.reservations;
    let http = client(clients.max(args.bots))?;
    let api = Arc::new(tenant(&http, server).await?);
    let dir = std::env::temp_dir().join(format!("sluice-bench-sched-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let process = upload(&api, &package(&server.bin, &dir)?).await?;
    let _ = std::fs::remove_dir_all(&dir);
    let secrets = bots(&api, args.bots).await?;

    // The occurrences start after the reservations are made: 10 s, plus 20 ms each.
    let margin = 10 + (n as u64 * 20).div_ceil(1000);
    let first = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs() + margin;
    let spread = args.spread;
    let occurrence = move |i: usize| first + (i as u64 * spread) / n.max(1) as u64;
    let made = Instant::now();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (api, next, process) = (api.clone(), next.clone(), process.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= n {
                    return anyhow::Ok(());
                }
                api.send(
                    reqwest::Method::POST,
                    "/scheduler/api/v1/schedulings/job",
                    Some(
                        json!({"jobType": 1, "processId": process, "botSelectType": 1,
                        "startDt": rfc3339(occurrence(i)), "freq": "DAILY",
                        "name": format!("bench {i}"), "parameter": {"n": i}}),
                    ),
                )
                .await?;
            }
        }));
    }
    for t in tasks {
        t.await??;
    }
    let made = made.elapsed();
    println!(
        "{n} reservations made in {:.2} s ({:.0}/s)",
        made.as_secs_f64(),
        n as f64 / made.as_secs_f64()
    );
    if SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs() >= first {
        bail!("making the reservations took longer than the {margin} s margin");
    }

    // With every occurrence at one instant, a client also watches the list: when it shows
    // them all queued is the scheduler's share of the lateness, without the bots'.
    let watcher = (spread == 0).then(|| {
        let api = api.clone();
        tokio::spawn(async move { all_queued(&api, n, u128::from(first) * 1_000_000_000).await })
    });
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let pollers: Vec<_> = secrets
        .into_iter()
        .map(|s| tokio::spawn(poll(http.clone(), api.base.clone(), s, tx.clone())))
        .collect();
    drop(tx);
    let last = occurrence(n - 1);
    let deadline = Instant::now() + Duration::from_secs(last.saturating_sub(first) + margin + 30);
    let mut fired: HashMap<usize, u32> = HashMap::new();
    let (mut lateness, mut early) = (Latencies::new(), 0usize);
    while fired.len() < n {
        let left = deadline.saturating_duration_since(Instant::now());
        let Ok(Some(r)) = tokio::time::timeout(left, rx.recv()).await else {
            break;
        };
        *fired.entry(r.n).or_default() += 1;
        let due_ns = u128::from(occurrence(r.n)) * 1_000_000_000;
        match r.at_ns.checked_sub(due_ns) {
            Some(late) => lateness.record(Duration::from_nanos(late as u64)),
            None => early += 1,
        }
    }
    // Anything queued twice would arrive within a moment of the first.
    tokio::time::sleep(Duration::from_secs(2)).await;
    while let Ok(r) = rx.try_recv() {
        *fired.entry(r.n).or_default() += 1;
    }
    for p in pollers {
        p.abort();
    }
    lateness.report(
        &format!("lateness (occurrence -> job received by a bot), spread over {spread} s"),
        Duration::from_secs(spread.max(1)),
    );
    if let Some(w) = watcher {
        let all = w.await??;
        println!(
            "all {n} queued within {:.0} ms of their time (seen by a client listing them every 20 ms)",
            all.as_secs_f64() * 1000.0
        );
    }
    let twice = fired.values().filter(|c| **c > 1).count();
    println!(
        "fired {} of {n}; twice: {twice}; early: {early}",
        fired.len()
    );
    if fired.len() < n || twice > 0 || early > 0 {
        bail!("the scheduler missed, repeated or anticipated occurrences");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn utc_times() {
        assert_eq!(super::rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::rfc3339(1_709_164_800), "2024-02-29T00:00:00Z");
        assert_eq!(super::rfc3339(1_900_000_000), "2030-03-17T17:46:40Z");
    }
}
