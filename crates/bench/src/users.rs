//! OmniBPM identity load: `user/create` from concurrent clients, then `user/list`.

use crate::omni::{call, client, organization, url};
use crate::server::Server;
use crate::stats::Latencies;
use anyhow::{bail, Context};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

#[derive(clap::Args)]
pub struct UsersArgs {
    /// Users to create.
    #[arg(long, default_value_t = 10_000)]
    users: usize,
    /// Give each user a password (argon2id hashing dominates then).
    #[arg(long)]
    with_password: bool,
    /// How many `user/list` calls to time.
    #[arg(long, default_value_t = 30)]
    lists: usize,
}

pub async fn run(server: &Server, clients: usize, args: &UsersArgs) -> anyhow::Result<()> {
    let http = client(clients)?;
    let api = |p: &str| url(server, p);
    let (abbr, key) = organization(&http, server, "BENCH").await?;
    let depts = call(&http, &api("department/list"), &json!({"api_key": key})).await?;
    let ranks = call(&http, &api("rank/list"), &json!({"api_key": key})).await?;
    let dept = depts["departments"][1]["__id__"]
        .as_i64()
        .context("department")?;
    let rank = ranks["ranks"][3]["__id__"].as_i64().context("rank")?;

    println!(
        "scenario users: {} users, {clients} clients, passwords: {}",
        args.users, args.with_password
    );
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (http, next, key, url, total, pw) = (
            http.clone(),
            next.clone(),
            key.clone(),
            api("user/create"),
            args.users,
            args.with_password,
        );
        let abbr = abbr.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Latencies::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let mut user = json!({
                    "username": format!("user{i}@{abbr}"),
                    "display_name": format!("User {i}"),
                    "email": format!("user{i}@example.com"),
                    "rank": {"__id__": rank},
                    "department": {"__id__": dept},
                });
                if pw {
                    user["password"] = json!(format!("password-{i}"));
                }
                let t = Instant::now();
                call(&http, &url, &json!({"api_key": key, "user": user})).await?;
                lat.record(t.elapsed());
            }
            anyhow::Ok(lat)
        }));
    }
    let mut create = Latencies::new();
    for t in tasks {
        create.merge(&t.await??);
    }
    create.report("user/create", started.elapsed());

    let mut list = Latencies::new();
    let mut bytes = 0;
    let started = Instant::now();
    for _ in 0..args.lists {
        let t = Instant::now();
        let res = http
            .post(api("user/list"))
            .json(&json!({"api_key": key}))
            .send()
            .await?;
        let body = res.bytes().await?;
        list.record(t.elapsed());
        bytes = body.len();
    }
    let v: Value = serde_json::from_slice(
        &http
            .post(api("user/list"))
            .json(&json!({"api_key": key}))
            .send()
            .await?
            .bytes()
            .await?,
    )?;
    let n = v["users"].as_array().map(Vec::len).unwrap_or(0);
    if n != args.users {
        bail!("user/list returned {n} users, expected {}", args.users);
    }
    list.report(
        &format!(
            "user/list ({n} users, {:.1} MB, one client)",
            bytes as f64 / 1e6
        ),
        started.elapsed(),
    );
    Ok(())
}
