//! Brity message queues through the HTTP API: `--producers` clients send `--messages` texts
//! of `--size` bytes to one queue while `--consumers` clients receive them, all at once.
//! Reports messages per second (each sent and received), the calls per second, p50/p99 of
//! sends and receives, and checks that every message was received exactly once.

use crate::jobs::{tenant, Api};
use crate::omni::client;
use crate::server::Server;
use crate::stats::Latencies;
use anyhow::{bail, Context};
use serde_json::json;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(clap::Args)]
pub struct QueuesArgs {
    /// Messages sent (and received).
    #[arg(long, default_value_t = 20_000)]
    messages: usize,
    /// Concurrent senders.
    #[arg(long, default_value_t = 8)]
    producers: usize,
    /// Concurrent receivers.
    #[arg(long, default_value_t = 8)]
    consumers: usize,
    /// Bytes per message.
    #[arg(long, default_value_t = 100)]
    size: usize,
}

/// A message body: its number, padded to `size` bytes.
fn body(n: usize, size: usize) -> String {
    let mut s = format!("{n:08}");
    while s.len() < size {
        s.push('.');
    }
    s
}

pub async fn run(server: &Server, args: &QueuesArgs) -> anyhow::Result<()> {
    if args.producers == 0 || args.consumers == 0 || args.size < 8 {
        bail!("--producers and --consumers must be at least 1 and --size at least 8");
    }
    let http = client(args.producers + args.consumers)?;
    let api = Arc::new(tenant(&http, server).await?);
    api.send(
        reqwest::Method::POST,
        "/asset/api/v1/messageQueue/use/1/bench",
        Some(json!({"desc": "sluice-bench", "isUsed": "Y"})),
    )
    .await?;
    let url = format!("{}/asset/api/v1/messageQueue/bench", api.base);
    let next = Arc::new(AtomicUsize::new(0));
    let received = Arc::new(AtomicUsize::new(0));
    let empty = Arc::new(AtomicU64::new(0));
    let seen = Arc::new(Mutex::new(vec![false; args.messages]));
    let failed = Arc::new(AtomicBool::new(false));
    let started = Instant::now();

    let producers: Vec<_> = (0..args.producers)
        .map(|_| {
            let (api, url, next, failed) = (api.clone(), url.clone(), next.clone(), failed.clone());
            let (total, size) = (args.messages, args.size);
            tokio::spawn(async move {
                let mut lat = Latencies::new();
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= total || failed.load(Ordering::Relaxed) {
                        return Ok::<_, anyhow::Error>(lat);
                    }
                    let t = Instant::now();
                    let res = send(&api, &url, body(n, size)).await;
                    if res.is_err() {
                        failed.store(true, Ordering::Relaxed);
                    }
                    res?;
                    lat.record(t.elapsed());
                }
            })
        })
        .collect();
    let consumers: Vec<_> = (0..args.consumers)
        .map(|_| {
            let (api, url, received, empty, seen, failed) = (
                api.clone(),
                url.clone(),
                received.clone(),
                empty.clone(),
                seen.clone(),
                failed.clone(),
            );
            let total = args.messages;
            tokio::spawn(async move {
                let mut lat = Latencies::new();
                let mut last = Instant::now();
                while received.load(Ordering::Relaxed) < total {
                    if failed.load(Ordering::Relaxed) {
                        bail!("a sender failed");
                    }
                    let t = Instant::now();
                    match receive(&api, &url).await? {
                        Some(text) => {
                            lat.record(t.elapsed());
                            last = Instant::now();
                            let n: usize = text.get(..8).context("short message")?.parse()?;
                            let mut seen = seen.lock().expect("seen");
                            match seen.get_mut(n) {
                                Some(s) if !*s => *s = true,
                                _ => bail!("message {n} received twice or unknown"),
                            }
                            received.fetch_add(1, Ordering::Relaxed);
                        }
                        None => {
                            empty.fetch_add(1, Ordering::Relaxed);
                            if last.elapsed() > Duration::from_secs(30) {
                                bail!("no message for 30 s: messages lost");
                            }
                            // The queue is empty for now: a polling client waits a moment.
                            tokio::time::sleep(Duration::from_millis(1)).await;
                        }
                    }
                }
                Ok(lat)
            })
        })
        .collect();

    let mut sends = Latencies::new();
    for p in producers {
        sends.merge(&p.await??);
    }
    let mut receives = Latencies::new();
    for c in consumers {
        receives.merge(&c.await??);
    }
    let elapsed = started.elapsed();
    if seen.lock().expect("seen").iter().any(|s| !s) {
        bail!("a message was never received");
    }
    let calls = 2 * args.messages as u64 + empty.load(Ordering::Relaxed);
    println!(
        "queues: {} producers, {} consumers, {} messages of {} bytes",
        args.producers, args.consumers, args.messages, args.size
    );
    println!(
        "messages sent and received: {} in {:.2} s = {:.0}/s (every message exactly once)",
        args.messages,
        elapsed.as_secs_f64(),
        args.messages as f64 / elapsed.as_secs_f64()
    );
    println!(
        "HTTP calls: {calls} = {:.0}/s ({} receives found the queue empty)",
        calls as f64 / elapsed.as_secs_f64(),
        empty.load(Ordering::Relaxed)
    );
    sends.report("send", elapsed);
    receives.report("receive (a message)", elapsed);
    Ok(())
}

async fn send(api: &Api, url: &str, text: String) -> anyhow::Result<()> {
    let res = api
        .http
        .post(url)
        .bearer_auth(&api.token)
        .header("content-type", "text/plain")
        .body(text)
        .send()
        .await?;
    let status = res.status();
    if !status.is_success() {
        bail!("send: {status} {}", res.text().await.unwrap_or_default());
    }
    // Read the answer (`{"queueSize": n}`) so the connection is reused.
    res.bytes().await?;
    Ok(())
}

async fn receive(api: &Api, url: &str) -> anyhow::Result<Option<String>> {
    let res = api.http.get(url).bearer_auth(&api.token).send().await?;
    match res.status().as_u16() {
        200 => Ok(Some(res.text().await?)),
        204 => Ok(None),
        s => bail!("receive: {s} {}", res.text().await.unwrap_or_default()),
    }
}
