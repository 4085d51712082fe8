//! The OmniBPM calls every scenario makes: a client, one POST, a fresh organization.

use crate::server::{Server, MASTER_KEY};
use anyhow::{bail, Context};
use serde_json::{json, Value};

/// An HTTP client keeping a connection per concurrent client.
pub fn client(clients: usize) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .build()?)
}

/// The URL of an OmniBPM endpoint (`"user/create"`).
pub fn url(server: &Server, path: &str) -> String {
    format!("{}/api/v0.1/{path}/", server.url)
}

/// POSTs `body`; an answer other than `RESPONSE: OK` is an error.
pub async fn call(client: &reqwest::Client, url: &str, body: &Value) -> anyhow::Result<Value> {
    let res = client.post(url).json(body).send().await?;
    let v: Value = res.json().await?;
    if v["RESPONSE"] != "OK" {
        bail!("{url}: {v}");
    }
    Ok(v)
}

/// Creates an organization named `{prefix}{now}` (default structure); returns its
/// abbreviation and API key.
pub async fn organization(
    client: &reqwest::Client,
    server: &Server,
    prefix: &str,
) -> anyhow::Result<(String, String)> {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_millis();
    let abbr = format!("{prefix}{stamp}");
    let org = call(
        client,
        &url(server, "organization/create"),
        &json!({"api_key": MASTER_KEY, "organization": {"name": abbr, "abbr": abbr}}),
    )
    .await?;
    let key = org["organization"]["api_key"]
        .as_str()
        .context("api key")?
        .to_string();
    Ok((abbr, key))
}
