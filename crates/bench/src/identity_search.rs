//! Identity search: N users with first and last names (OmniBPM `importusers` in batches,
//! names set through Bonita `PUT user/{id}`), then the latency of the searches each dialect
//! offers: PlusWorkflow `users/query` (name prefix, login substring), Questetra
//! `Quser/list?query=` and Bonita's user search (`s`, `f`, `o`, `p`/`c`).

use crate::omni::{call, client, organization, url};
use crate::server::Server;
use crate::stats::Latencies;
use anyhow::{bail, Context};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

const FIRST: [&str; 20] = [
    "Anna", "Adam", "Barbara", "Bartosz", "Celina", "Damian", "Ewa", "Filip", "Grace", "Hugo",
    "Irena", "Jan", "Karolina", "Lukas", "Maria", "Noah", "Olga", "Piotr", "Rosa", "Tomasz",
];
const LAST: [&str; 20] = [
    "Nowak",
    "Kowalski",
    "Wisniewski",
    "Smith",
    "Johnson",
    "Brown",
    "Garcia",
    "Muller",
    "Schmidt",
    "Rossi",
    "Dubois",
    "Novak",
    "Horvat",
    "Jensen",
    "Larsen",
    "Silva",
    "Costa",
    "Kim",
    "Tanaka",
    "Ivanov",
];
/// Users per `importusers` call.
const BATCH: usize = 1000;

#[derive(clap::Args)]
pub struct IdentitySearchArgs {
    /// Users to create.
    #[arg(long, default_value_t = 10_000)]
    users: usize,
    /// Calls timed per kind of search.
    #[arg(long, default_value_t = 300)]
    searches: usize,
    /// Concurrent clients while searching (latency is reported per call).
    #[arg(long, default_value_t = 4)]
    search_clients: usize,
}

fn login(i: usize) -> String {
    format!("user{i:05}")
}

/// The value of cookie `name` among the `Set-Cookie` headers.
fn cookie(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next()?.split_once('='))
        .find(|(k, _)| k.trim() == name)
        .map(|(_, v)| v.to_string())
}

/// Times `n` GETs of `urls` (taken in turn) from `clients` concurrent clients. Each request
/// gets `headers`; an answer other than 200 is an error.
async fn time_gets(
    http: &reqwest::Client,
    clients: usize,
    n: usize,
    urls: Arc<Vec<String>>,
    headers: reqwest::header::HeaderMap,
) -> anyhow::Result<Latencies> {
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..clients.max(1) {
        let (http, next, urls, headers) =
            (http.clone(), next.clone(), urls.clone(), headers.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Latencies::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    break;
                }
                let u = &urls[i % urls.len()];
                let t = Instant::now();
                let res = http.get(u).headers(headers.clone()).send().await?;
                let status = res.status();
                let body = res.bytes().await?;
                lat.record(t.elapsed());
                if !status.is_success() {
                    bail!("{u}: {status} {}", String::from_utf8_lossy(&body));
                }
            }
            anyhow::Ok(lat)
        }));
    }
    let mut all = Latencies::new();
    for t in tasks {
        all.merge(&t.await??);
    }
    Ok(all)
}

pub async fn run(server: &Server, clients: usize, args: &IdentitySearchArgs) -> anyhow::Result<()> {
    let http = client(clients.max(args.search_clients))?;
    let api = |p: &str| url(server, p);
    let (abbr, key) = organization(&http, server, "IDS").await?;
    let depts = call(&http, &api("department/list"), &json!({"api_key": key})).await?;
    let ranks = call(&http, &api("rank/list"), &json!({"api_key": key})).await?;
    let dept = depts["departments"][1]["__id__"]
        .as_i64()
        .context("department")?;
    let rank = ranks["ranks"][3]["__id__"].as_i64().context("rank")?;
    println!(
        "scenario identity-search: {} users, {clients} clients to set up, {} searches per kind from {} clients",
        args.users, args.searches, args.search_clients
    );

    // An administrator for the Bonita session and the bearer token.
    call(
        &http,
        &api("user/create"),
        &json!({"api_key": key, "user": {
        "username": format!("boss@{abbr}"), "display_name": "Boss", "email": "boss@example.com",
        "password": "bench-secret-pw", "rank": {"__id__": rank}, "department": {"__id__": dept},
    }, "with_admin_permissions": true}),
    )
    .await?;

    // Users in batches.
    let started = Instant::now();
    let mut import = Latencies::new();
    for chunk in (0..args.users).collect::<Vec<_>>().chunks(BATCH) {
        let users: Vec<Value> = chunk
            .iter()
            .map(|&i| {
                json!({"username": format!("{}@{abbr}", login(i)), "display_name": login(i),
                    "email": format!("{}@example.com", login(i)), "is_active": true, "is_external": false,
                    "department": {"__id__": dept}, "rank": {"__id__": rank}})
            })
            .collect();
        let t = Instant::now();
        call(
            &http,
            &api("organization/importusers"),
            &json!({"api_key": key, "users": users}),
        )
        .await?;
        import.record(t.elapsed());
    }
    import.report(
        &format!("importusers ({BATCH} users per call)"),
        started.elapsed(),
    );

    // Their ids, then names through Bonita.
    let list = call(&http, &api("user/list"), &json!({"api_key": key})).await?;
    let ids: HashMap<String, i64> = list["users"]
        .as_array()
        .context("users")?
        .iter()
        .filter_map(|u| Some((u["username"].as_str()?.to_string(), u["__id__"].as_i64()?)))
        .collect();
    let res = http
        .post(format!("{}/bonita/loginservice", server.url))
        .form(&[
            ("username", format!("boss@{abbr}").as_str()),
            ("password", "bench-secret-pw"),
            ("redirect", "false"),
        ])
        .send()
        .await?;
    let session = cookie(&res, "JSESSIONID").context("Bonita JSESSIONID")?;
    let csrf = cookie(&res, "X-Bonita-API-Token").context("Bonita token")?;
    let mut bonita = reqwest::header::HeaderMap::new();
    bonita.insert(
        "cookie",
        format!("JSESSIONID={session}; X-Bonita-API-Token={csrf}").parse()?,
    );
    bonita.insert("X-Bonita-API-Token", csrf.parse()?);

    let next = Arc::new(AtomicUsize::new(0));
    let ids = Arc::new(ids);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (http, next, ids, headers, abbr) = (
            http.clone(),
            next.clone(),
            ids.clone(),
            bonita.clone(),
            abbr.clone(),
        );
        let (base, total) = (server.url.clone(), args.users);
        tasks.push(tokio::spawn(async move {
            let mut lat = Latencies::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let id = ids
                    .get(&format!("{}@{abbr}", login(i)))
                    .context("imported user")?;
                let body = json!({"firstname": FIRST[i % FIRST.len()],
                    "lastname": format!("{}{}", LAST[(i / FIRST.len()) % LAST.len()], i)});
                let t = Instant::now();
                let res = http
                    .put(format!("{base}/bonita/API/identity/user/{id}"))
                    .headers(headers.clone())
                    .json(&body)
                    .send()
                    .await?;
                let status = res.status();
                let text = res.text().await?;
                lat.record(t.elapsed());
                if !status.is_success() {
                    bail!("Bonita PUT user/{id}: {status} {text}");
                }
            }
            anyhow::Ok(lat)
        }));
    }
    let mut rename = Latencies::new();
    for t in tasks {
        rename.merge(&t.await??);
    }
    rename.report(
        "Bonita PUT user/{id} (first and last name)",
        started.elapsed(),
    );

    // An organization token for PlusWorkflow and Questetra.
    let token: Value = http
        .post(format!("{}/oauth2/token", server.url))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", abbr.as_str()),
            ("client_secret", key.as_str()),
        ])
        .send()
        .await?
        .json()
        .await?;
    let token = token["access_token"].as_str().context("access token")?;
    let mut bearer = reqwest::header::HeaderMap::new();
    bearer.insert("authorization", format!("Bearer {token}").parse()?);

    // Phrases: name prefixes (2 to 4 letters) and login fragments.
    let prefixes: Vec<String> = FIRST
        .iter()
        .chain(LAST.iter())
        .enumerate()
        .map(|(i, n)| n[..(2 + i % 3).min(n.len())].to_lowercase())
        .collect();
    let fragments: Vec<String> = (0..50)
        .map(|i| format!("{:03}", (i * 137) % 1000))
        .collect();
    let pw = |q: &str| {
        format!(
            "{}/PlusWorkflow/api/users/query?query={q}&start=0&limit=25",
            server.url
        )
    };
    let kinds: Vec<(&str, Vec<String>, &reqwest::header::HeaderMap)> = vec![
        ("PlusWorkflow users/query (name prefix)", prefixes.iter().map(|q| pw(q)).collect(), &bearer),
        ("PlusWorkflow users/query (login substring)", fragments.iter().map(|q| pw(q)).collect(), &bearer),
        (
            "PlusWorkflow users/query (no phrase, page 200 of 25)",
            vec![format!("{}/PlusWorkflow/api/users/query?start=5000&limit=25", server.url)],
            &bearer,
        ),
        (
            "Questetra Quser/list?query=",
            prefixes.iter().map(|q| format!("{}/API/User/Quser/list?query={q}&start=0&limit=25", server.url)).collect(),
            &bearer,
        ),
        (
            "Bonita user search (s, f=enabled, o=lastname, p/c)",
            prefixes
                .iter()
                .map(|q| format!("{}/bonita/API/identity/user?p=0&c=25&s={q}&f=enabled%3Dtrue&o=lastname%20ASC", server.url))
                .collect(),
            &bonita,
        ),
    ];
    for (name, urls, headers) in kinds {
        let started = Instant::now();
        let lat = time_gets(
            &http,
            args.search_clients,
            args.searches,
            Arc::new(urls),
            headers.clone(),
        )
        .await?;
        lat.report(name, started.elapsed());
    }

    // A sanity check that the searches find what they should.
    let v: Value = http
        .get(pw("ann"))
        .headers(bearer.clone())
        .send()
        .await?
        .json()
        .await?;
    let expected = (0..args.users).filter(|i| i % FIRST.len() == 0).count();
    if v["total"].as_u64() != Some(expected as u64) {
        bail!(
            "users/query?query=ann found {} users, expected {expected}",
            v["total"]
        );
    }
    Ok(())
}
