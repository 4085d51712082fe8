//! OmniBPM case load: each client creates a document in a three-node approval workflow
//! (creator, then an approver, then finance) and submits it through to completion.

use crate::omni::{call, client, organization, url};
use crate::server::Server;
use crate::stats::Latencies;
use anyhow::{bail, Context};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

#[derive(clap::Args)]
pub struct CasesArgs {
    /// Cases to run to completion.
    #[arg(long, default_value_t = 5_000)]
    cases: usize,
}

pub async fn run(server: &Server, clients: usize, args: &CasesArgs) -> anyhow::Result<()> {
    let http = client(clients)?;
    let api = |p: &str| url(server, p);
    let (abbr, key) = organization(&http, server, "CASES").await?;
    let k = |mut body: Value| {
        body["api_key"] = json!(key);
        body
    };
    let depts = call(&http, &api("department/list"), &k(json!({}))).await?;
    let ranks = call(&http, &api("rank/list"), &k(json!({}))).await?;
    let dept = depts["departments"][1]["__id__"]
        .as_i64()
        .context("department")?;
    let rank = ranks["ranks"][3]["__id__"].as_i64().context("rank")?;
    let mut users = Vec::new();
    for login in ["clerk", "approver", "finance"] {
        let u = call(
            &http,
            &api("user/create"),
            &k(json!({"user": {
                "username": format!("{login}@{abbr}"), "display_name": login,
                "email": format!("{login}@example.com"),
                "rank": {"__id__": rank}, "department": {"__id__": dept}}})),
        )
        .await?;
        users.push(u["user"]["__id__"].as_i64().context("user")?);
    }
    let wf = call(
        &http,
        &api("workflow/create"),
        &k(json!({"workflow": {"name": "Expense"}})),
    )
    .await?;
    let wf = wf["workflow"]["__id__"].as_i64().context("workflow")?;
    let field = call(
        &http,
        &api("workflow_field/create"),
        &k(json!({"workflow": {"__id__": wf}, "field": {"name": "Amount", "data_type": "INT"}})),
    )
    .await?;
    let field = field["field"]["__id__"].as_i64().context("field")?;
    let mut nodes = Vec::new();
    for (i, node) in [
        json!({"note": "Claim", "as_doc_creator": true, "n_sign": 1,
               "required_fields": [{"__id__": field}]}),
        json!({"note": "Approve", "user": {"__id__": users[1]}, "n_sign": 1}),
        json!({"note": "Finance", "user": {"__id__": users[2]}, "n_sign": 1}),
    ]
    .into_iter()
    .enumerate()
    {
        let n = call(
            &http,
            &api("workflow_node/create"),
            &k(json!({"workflow": {"__id__": wf}, "node": node})),
        )
        .await?;
        let id = n["node"]["__id__"].as_i64().context("node")?;
        if i > 0 {
            call(
                &http,
                &api("workflow_node/add_child"),
                &k(json!({"node": {"__id__": nodes[i - 1]}, "child": {"__id__": id}})),
            )
            .await?;
        }
        nodes.push(id);
    }
    call(
        &http,
        &api("workflow/finalize"),
        &k(json!({"workflow": {"__id__": wf}})),
    )
    .await?;
    call(
        &http,
        &api("workflow/activate"),
        &k(json!({"workflow": {"__id__": wf}})),
    )
    .await?;

    println!(
        "scenario cases: {} cases of 3 steps, {clients} clients",
        args.cases
    );
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (http, next, key, total, users) = (
            http.clone(),
            next.clone(),
            key.clone(),
            args.cases,
            users.clone(),
        );
        let (create_url, submit_url) = (api("document/create"), api("document/submit"));
        tasks.push(tokio::spawn(async move {
            let (mut create, mut submit) = (Latencies::new(), Latencies::new());
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let t = Instant::now();
                let doc = call(&http, &create_url, &json!({"api_key": key, "workflow": {"__id__": wf},
                    "creator": {"__id__": users[0]}, "document": {"title": format!("Claim {i}")}})).await?;
                create.record(t.elapsed());
                let id = doc["document"]["__id__"].as_i64().context("document id")?;
                let mut version = doc["document"]["latest_version"].as_i64().context("version")?;
                for (step, user) in users.iter().enumerate() {
                    let content = if step == 0 { json!({field.to_string(): 100 + i}) } else { json!({}) };
                    let t = Instant::now();
                    let r = call(&http, &submit_url, &json!({"api_key": key, "user": {"__id__": user},
                        "document": {"__id__": id, "latest_version": version, "field_content": content},
                        "comment": "ok"})).await?;
                    submit.record(t.elapsed());
                    version = r["version"].as_i64().context("version")?;
                    if (step == 2) != r["is_complete"].as_bool().unwrap_or(false) {
                        bail!("case {id}: unexpected completion state after step {step}: {r}");
                    }
                }
            }
            anyhow::Ok((create, submit))
        }));
    }
    let (mut create, mut submit) = (Latencies::new(), Latencies::new());
    for t in tasks {
        let (c, s) = t.await??;
        create.merge(&c);
        submit.merge(&s);
    }
    let elapsed = started.elapsed();
    println!(
        "completed cases: {} in {:.2} s = {:.0}/s",
        args.cases,
        elapsed.as_secs_f64(),
        args.cases as f64 / elapsed.as_secs_f64()
    );
    create.report("document/create", elapsed);
    submit.report("document/submit", elapsed);
    Ok(())
}
