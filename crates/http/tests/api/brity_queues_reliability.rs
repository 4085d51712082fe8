//! Queues under stress: secure queues (password, sealed at rest), expiry driven by the store's
//! clock, durability across a restart, concurrent receivers taking each message once, and
//! two instances on one PostgreSQL database.

use crate::both;
use crate::brity_client::{brity_admin, brity_user};
use crate::brity_queues_client::*;
use crate::helpers::TestApp;
use serde_json::json;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Every stored message: (file name, body, sealed), oldest first, read from the database.
async fn stored_messages(app: &TestApp) -> Vec<(Option<String>, Vec<u8>, bool)> {
    let sql = "SELECT file_name, body, is_sealed FROM rpa_queue_messages ORDER BY seq";
    if app.database_url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(&app.database_url).await.unwrap();
        let rows = sqlx::query_as(sql).fetch_all(&pool).await.unwrap();
        pool.close().await;
        rows
    } else {
        let pool = sqlx::PgPool::connect(&app.database_url).await.unwrap();
        let rows = sqlx::query_as(sql).fetch_all(&pool).await.unwrap();
        pool.close().await;
        rows
    }
}

/// Receives until `total` messages were taken by all receivers together: each receiver's
/// messages. A receiver that finds the queue empty while others still hold messages in
/// flight looks again.
async fn drain(
    receivers: Vec<(String, reqwest::Client, String)>,
    queue: &str,
    total: usize,
) -> Vec<Vec<String>> {
    let taken = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = receivers
        .into_iter()
        .map(|(url, client, token)| {
            let taken = taken.clone();
            let target = format!("{url}{}", path(queue));
            tokio::spawn(async move {
                let mut got = Vec::new();
                let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
                while taken.load(Ordering::SeqCst) < total {
                    assert!(tokio::time::Instant::now() < deadline, "messages lost");
                    let res = client
                        .get(&target)
                        .bearer_auth(&token)
                        .send()
                        .await
                        .unwrap();
                    match res.status().as_u16() {
                        200 => {
                            got.push(res.text().await.unwrap());
                            taken.fetch_add(1, Ordering::SeqCst);
                        }
                        204 => tokio::task::yield_now().await,
                        s => panic!("receive answered {s}: {}", res.text().await.unwrap()),
                    }
                }
                got
            })
        })
        .collect();
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

/// Asserts that `got` holds each of `expected` exactly once.
fn exactly_once(got: &[Vec<String>], expected: &[String]) {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for m in got.iter().flatten() {
        *seen.entry(m.as_str()).or_default() += 1;
    }
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "received twice: {twice:?}");
    for m in expected {
        assert_eq!(seen.get(m.as_str()), Some(&1), "{m} lost");
    }
    assert_eq!(seen.len(), expected.len());
}

both! {
    async fn secure_queues_need_their_password_and_seal_messages(app) {
        let org = app.org("QSE").await;
        let (_, admin) = brity_admin(&app, &org, "boss").await;
        let (_, ann) = brity_user(&app, &org, "ann").await;
        let r = create(&app, &ann, "vault", json!({"isSecureQueue": "Y", "password": "s3cret-pässword"})).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["isSecureQueue"], "Y");
        assert!(r.body.get("password").is_none(), "{}", r.body);
        let listed = list(&app, &admin, None).await.body;
        assert_eq!(listed[0]["isSecureQueue"], "Y");
        assert!(!listed.to_string().contains("s3cret"), "{listed}");

        let pw = Some("s3cret-pässword");
        for wrong in [None, Some("s3cret"), Some("")] {
            let r = send_raw(&app, &ann, "vault", "text/plain", b"top secret".to_vec(), wrong).await;
            assert_coded(&r, 403, "INVALID_QUEUE_PASSWORD", "AUTH_A2");
            let r = receive(&app, &ann, "vault", false, wrong).await;
            assert_eq!(r.status, 403);
            let r = receive(&app, &ann, "vault", true, wrong).await;
            assert_eq!(r.status, 403);
        }
        let r = send_raw(&app, &ann, "vault", "text/plain", b"top secret".to_vec(), pw).await;
        assert_eq!(r.body, json!({"queueSize": 1}), "{}", r.body);
        let r = send_file(&app, &admin, "vault", "payroll.csv", "text/csv", b"name,salary", pw).await;
        assert_eq!(r.body, json!({"queueSize": 2}), "{}", r.body);

        // At rest: sealed, without the clear text or the file's name.
        let rows = stored_messages(&app).await;
        assert_eq!(rows.len(), 2);
        for (name, body, sealed) in &rows {
            assert!(sealed);
            assert_eq!(name, &None);
            let text = String::from_utf8_lossy(body);
            assert!(!text.contains("top secret") && !text.contains("salary") && !text.contains("payroll"));
        }

        let p = receive(&app, &admin, "vault", true, pw).await;
        assert_eq!((p.status, p.text()), (200, "top secret".to_string()));
        assert_eq!(receive(&app, &admin, "vault", false, pw).await.text(), "top secret");
        let f = receive(&app, &ann, "vault", false, pw).await;
        assert_eq!(f.body, b"name,salary");
        assert_eq!(f.content_type.as_deref(), Some("text/csv"));
        assert!(f.disposition.unwrap().contains("filename=\"payroll.csv\""));
        assert_eq!(receive(&app, &ann, "vault", false, pw).await.status, 204);

        // A deleted and re-created queue has its own password.
        assert_eq!(delete(&app, &ann, "vault").await.status, 200);
        create(&app, &ann, "vault", json!({"isSecureQueue": "Y", "password": "new-one"})).await;
        let r = send_raw(&app, &ann, "vault", "text/plain", b"x".to_vec(), pw).await;
        assert_coded(&r, 403, "INVALID_QUEUE_PASSWORD", "AUTH_A2");
        let r = send_raw(&app, &ann, "vault", "text/plain", b"x".to_vec(), Some("new-one")).await;
        assert_eq!(r.status, 200);
    }

    async fn expired_messages_are_never_delivered(app) {
        let org = app.org("QEX").await;
        let (_, admin) = brity_admin(&app, &org, "boss").await;
        create(&app, &admin, "short", json!({"messageExpirationTime": "60"})).await;
        create(&app, &admin, "idle", json!({"messageExpirationTime": 10})).await;
        create_ok(&app, &admin, "forever").await;
        let clock = app.store.clock();
        clock.set(chrono::Utc::now());

        assert_eq!(send_ok(&app, &admin, "short", "a").await, 1);
        assert_eq!(send_ok(&app, &admin, "short", "b").await, 2);
        assert_eq!(send_ok(&app, &admin, "forever", "kept").await, 1);
        clock.advance(chrono::Duration::seconds(30));
        assert_eq!(send_ok(&app, &admin, "short", "c").await, 3);
        // At 60 s, a and b are gone; c lives until 90 s.
        clock.advance(chrono::Duration::seconds(30));
        let p = receive(&app, &admin, "short", true, None).await;
        assert_eq!(p.text(), "c");
        // The size no longer counts what expired.
        assert_eq!(send_ok(&app, &admin, "short", "d").await, 2);
        assert_eq!(receive_text(&app, &admin, "short").await, "c");
        clock.advance(chrono::Duration::seconds(60));
        // d (sent at 60 s) expired at 120 s.
        assert_eq!(receive(&app, &admin, "short", false, None).await.status, 204);
        assert_eq!(receive(&app, &admin, "short", true, None).await.status, 204);
        assert_eq!(send_ok(&app, &admin, "short", "e").await, 1);

        // A queue nobody uses is purged by the worker's sweep, sizes kept right.
        send_ok(&app, &admin, "idle", "x").await;
        send_ok(&app, &admin, "idle", "y").await;
        clock.advance(chrono::Duration::seconds(11));
        let purged = app.store.purge_expired_messages().await.unwrap();
        assert_eq!(purged, 2);
        assert_eq!(app.store.purge_expired_messages().await.unwrap(), 0);
        assert_eq!(send_ok(&app, &admin, "idle", "z").await, 1);

        // Messages of a queue without expiration stay.
        clock.advance(chrono::Duration::days(3650));
        assert_eq!(receive_text(&app, &admin, "forever").await, "kept");
    }

    async fn messages_survive_a_restart(app) {
        let org = app.org("QDU").await;
        let (_, admin) = brity_admin(&app, &org, "boss").await;
        create_ok(&app, &admin, "durable").await;
        create(&app, &admin, "sealed", json!({"isSecureQueue": "Y", "password": "pw"})).await;
        for i in 0..20 {
            send_ok(&app, &admin, "durable", &format!("m{i}")).await;
        }
        send_file(&app, &admin, "durable", "a.bin", "application/octet-stream", &[0, 1, 2], None).await;
        send_raw(&app, &admin, "sealed", "text/plain", b"hush".to_vec(), Some("pw")).await;
        // The first server's store goes away; a new one opens the same database.
        app.store.close().await;
        let again = app.reopen().await;
        for i in 0..20 {
            assert_eq!(receive_text(&again, &admin, "durable").await, format!("m{i}"));
        }
        assert_eq!(receive(&again, &admin, "durable", false, None).await.body, [0, 1, 2]);
        assert_eq!(receive(&again, &admin, "durable", false, None).await.status, 204);
        assert_eq!(receive(&again, &admin, "sealed", false, Some("pw")).await.text(), "hush");
        assert_eq!(send_ok(&again, &admin, "durable", "after").await, 1);
    }

    async fn concurrent_receivers_take_each_message_once(app) {
        let org = app.org("QCO").await;
        let (_, admin) = brity_admin(&app, &org, "boss").await;
        create_ok(&app, &admin, "busy").await;
        let expected: Vec<String> = (0..400).map(|i| format!("m{i:03}")).collect();
        // Eight producers send while eight receivers take.
        let producers: Vec<_> = expected
            .chunks(50)
            .map(|chunk| {
                let (url, client, token) = (app.url.clone(), app.client.clone(), admin.clone());
                let chunk = chunk.to_vec();
                tokio::spawn(async move {
                    for m in chunk {
                        let res = client.post(format!("{url}{}", path("busy")))
                            .bearer_auth(&token).body(m).send().await.unwrap();
                        assert_eq!(res.status(), 200);
                    }
                })
            })
            .collect();
        let receivers = (0..8).map(|_| (app.url.clone(), app.client.clone(), admin.clone())).collect();
        let got = drain(receivers, "busy", expected.len()).await;
        for p in producers {
            p.await.unwrap();
        }
        exactly_once(&got, &expected);
        assert_eq!(receive(&app, &admin, "busy", false, None).await.status, 204);
        // Each producer's messages came out in the order it sent them.
        for got in &got {
            for w in got.windows(2) {
                let n = |m: &str| m[1..].parse::<usize>().unwrap();
                if n(&w[0]) / 50 == n(&w[1]) / 50 {
                    assert!(n(&w[0]) < n(&w[1]), "out of order: {w:?}");
                }
            }
        }
        assert_eq!(send_ok(&app, &admin, "busy", "last").await, 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_never_hand_out_a_message_twice() {
    let Some(one) = TestApp::postgres().await else {
        return;
    };
    let two = one.reopen().await;
    let org = one.org("QTW").await;
    let (_, admin) = brity_admin(&one, &org, "boss").await;
    create_ok(&two, &admin, "twin").await;
    let expected: Vec<String> = (0..400).map(|i| format!("m{i:03}")).collect();
    let producers: Vec<_> = expected
        .chunks(100)
        .enumerate()
        .map(|(i, chunk)| {
            let app = if i % 2 == 0 { &one } else { &two };
            let (url, client, token) = (app.url.clone(), app.client.clone(), admin.clone());
            let chunk = chunk.to_vec();
            tokio::spawn(async move {
                for m in chunk {
                    let res = client
                        .post(format!("{url}{}", path("twin")))
                        .bearer_auth(&token)
                        .body(m)
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(res.status(), 200);
                }
            })
        })
        .collect();
    let receivers = (0..8)
        .map(|i| {
            let app = if i % 2 == 0 { &one } else { &two };
            (app.url.clone(), app.client.clone(), admin.clone())
        })
        .collect();
    let got = drain(receivers, "twin", expected.len()).await;
    for p in producers {
        p.await.unwrap();
    }
    exactly_once(&got, &expected);
    for app in [&one, &two] {
        assert_eq!(receive(app, &admin, "twin", false, None).await.status, 204);
    }
    assert_eq!(send_ok(&one, &admin, "twin", "last").await, 1);
}
