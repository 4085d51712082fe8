//! Questetra message starts: each client POSTs a JSON body to the webhook form of a message
//! start event (`/System/Event/MessageStartHttp/{model}/{node}/{key}/start`) of an imported
//! BPMN model; every request starts a case that waits at a user task.

use crate::omni::{call, client, organization, url};
use crate::server::Server;
use crate::stats::Latencies;
use anyhow::{bail, Context};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

#[derive(clap::Args)]
pub struct MessageStartsArgs {
    /// Cases to start.
    #[arg(long, default_value_t = 20_000)]
    cases: usize,
    /// Send an `Idempotency-Key` header (a new key per request).
    #[arg(long)]
    idempotency: bool,
}

const MODEL: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:sluice="https://sluice.dev/bpmn" id="D">
<bpmn:process id="Orders" name="Orders">
  <bpmn:extensionElements><sluice:field name="Payload" type="UTF8"/></bpmn:extensionElements>
  <bpmn:startEvent id="FromShop" sluice:bodyField="Payload"><bpmn:messageEventDefinition/></bpmn:startEvent>
  <bpmn:userTask id="Check" name="Check"/>
  <bpmn:endEvent id="End"/>
  <bpmn:sequenceFlow id="f1" sourceRef="FromShop" targetRef="Check"/>
  <bpmn:sequenceFlow id="f2" sourceRef="Check" targetRef="End"/>
</bpmn:process>
</bpmn:definitions>"#;

/// Sends `req` and returns its JSON answer; a status other than `ok` is an error.
async fn json(req: reqwest::RequestBuilder, ok: u16) -> anyhow::Result<Value> {
    let res = req.send().await?;
    let status = res.status().as_u16();
    let text = res.text().await?;
    if status != ok {
        bail!("HTTP {status}: {text}");
    }
    Ok(serde_json::from_str(&text)?)
}

pub async fn run(server: &Server, clients: usize, args: &MessageStartsArgs) -> anyhow::Result<()> {
    let http = client(clients)?;
    let (abbr, key) = organization(&http, server, "MSG").await?;
    let k = |mut body: Value| {
        body["api_key"] = json!(key);
        body
    };
    let depts = call(&http, &url(server, "department/list"), &k(json!({}))).await?;
    let ranks = call(&http, &url(server, "rank/list"), &k(json!({}))).await?;
    let dept = depts["departments"][1]["__id__"]
        .as_i64()
        .context("department")?;
    let rank = ranks["ranks"][3]["__id__"].as_i64().context("rank")?;
    call(
        &http,
        &url(server, "user/create"),
        &k(json!({"user": {
            "username": format!("root@{abbr}"), "display_name": "root",
            "email": "root@example.com", "password": "bench-password",
            "rank": {"__id__": rank}, "department": {"__id__": dept}},
            "with_admin_permissions": true})),
    )
    .await?;
    let token = json(
        http.post(format!("{}/oauth2/token", server.url)).form(&[
            ("grant_type", "password"),
            ("username", &format!("root@{abbr}")),
            ("password", "bench-password"),
        ]),
        200,
    )
    .await?;
    let token = token["access_token"].as_str().context("token")?.to_string();
    let import = json(
        http.post(format!("{}/api/v1/workflows/import", server.url))
            .bearer_auth(&token)
            .header("content-type", "application/xml")
            .body(MODEL),
        201,
    )
    .await?;
    let wf = import["id"].as_i64().context("workflow id")?;
    let family = import["family_id"].as_i64().context("family id")?;
    call(
        &http,
        &url(server, "workflow/activate"),
        &k(json!({"workflow": {"__id__": wf}})),
    )
    .await?;
    let keys = json(
        http.get(format!("{}/api/v1/workflows/{wf}/event-keys", server.url))
            .bearer_auth(&token),
        200,
    )
    .await?;
    let event_key = keys
        .as_array()
        .and_then(|ks| ks.iter().find(|k| k["bpmn_key"] == "FromShop"))
        .and_then(|k| k["key"].as_str())
        .context("event key")?
        .to_string();
    let start_url = format!(
        "{}/System/Event/MessageStartHttp/{family}/FromShop/{event_key}/start",
        server.url
    );

    println!(
        "scenario message-starts: {} cases over the webhook form, {clients} clients{}",
        args.cases,
        if args.idempotency {
            ", with Idempotency-Key"
        } else {
            ""
        }
    );
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (http, next, start_url, total, keyed) = (
            http.clone(),
            next.clone(),
            start_url.clone(),
            args.cases,
            args.idempotency,
        );
        tasks.push(tokio::spawn(async move {
            let mut starts = Latencies::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let body = format!(r#"{{"order":{i},"items":[{{"sku":"A-{i}","qty":2}}]}}"#);
                let mut req = http
                    .post(&start_url)
                    .header("content-type", "application/json")
                    .body(body);
                if keyed {
                    req = req.header("idempotency-key", format!("order-{i}"));
                }
                let t = Instant::now();
                let res = req.send().await?;
                let status = res.status().as_u16();
                let text = res.text().await?;
                starts.record(t.elapsed());
                if status != 200 || text.parse::<i64>().is_err() {
                    bail!("start {i}: HTTP {status}: {text}");
                }
            }
            anyhow::Ok(starts)
        }));
    }
    let mut starts = Latencies::new();
    for t in tasks {
        starts.merge(&t.await??);
    }
    let elapsed = started.elapsed();
    starts.report("message start (webhook)", elapsed);
    Ok(())
}
