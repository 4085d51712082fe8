//! Brity's queues through HTTP: create (the example's fields, names, flags), send a text or
//! a file, receive and peek, delete, list, who may do what, and every documented refusal.

use crate::both;
use crate::brity_client::{brity_admin, brity_user};
use crate::brity_queues_client::*;
use reqwest::Method;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Posts to a queue over a plain connection, reading the answer while writing: headers
/// declaring `declared` bytes (or a chunked body when `None`), then `body` in 1 MiB pieces.
/// The status, if an answer arrived, and the answer. A server refusing a body mid-way closes the
/// connection, which may reset it before the answer is read: callers that send more than the
/// server reads accept either.
async fn raw_post(
    app: &crate::helpers::TestApp,
    token: &str,
    name: &str,
    content_type: &str,
    declared: Option<usize>,
    body: Vec<u8>,
) -> (Option<u16>, String) {
    let host = app.url.trim_start_matches("http://").to_string();
    let conn = tokio::net::TcpStream::connect(&host)
        .await
        .expect("connect");
    let (mut rd, mut wr) = conn.into_split();
    let framing = match declared {
        Some(n) => format!("Content-Length: {n}"),
        None => "Transfer-Encoding: chunked".to_string(),
    };
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: {content_type}\r\n{framing}\r\nConnection: close\r\n\r\n",
        path(name)
    );
    let writer = tokio::spawn(async move {
        wr.write_all(head.as_bytes()).await?;
        for piece in body.chunks(1024 * 1024) {
            if declared.is_none() {
                wr.write_all(format!("{:x}\r\n", piece.len()).as_bytes())
                    .await?;
            }
            wr.write_all(piece).await?;
            if declared.is_none() {
                wr.write_all(b"\r\n").await?;
            }
        }
        if declared.is_none() {
            wr.write_all(b"0\r\n\r\n").await?;
        }
        // Keep the writing half open until the answer is read.
        Ok::<_, std::io::Error>(wr)
    });
    let mut answer = Vec::new();
    let _ = rd.read_to_end(&mut answer).await;
    let _ = writer.await;
    let answer = String::from_utf8_lossy(&answer).to_string();
    let status = answer.split(' ').nth(1).and_then(|s| s.parse().ok());
    (status, answer)
}

both! {
    async fn create_answers_the_example_and_lists_the_queue(app) {
        let org = app.org("QUE").await;
        let (_, admin) = brity_admin(&app, &org, "boss").await;
        let r = create(&app, &admin, "new123", json!({
            "desc": "Request to create a new queue", "messageExpirationTime": "0",
            "isSystemQueue": "N", "isUsed": "Y", "isSecureQueue": "N", "password": "",
            "name": "new123"
        })).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let id = r.body["id"].as_str().expect("id").to_string();
        assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");
        assert_eq!(r.body, json!({
            "desc": "Request to create a new queue", "messageExpirationTime": "0",
            "isSystemQueue": "N", "isUsed": "Y", "isSecureQueue": "N", "name": "new123",
            "historicalDataRetention": "", "id": id, "version": "1.00", "activation": "Y",
            "queueName": "new123"
        }));

        // A number for the expiration, an empty body for the rest.
        let r = create(&app, &admin, "timed", json!({"messageExpirationTime": 90})).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["messageExpirationTime"], "90");
        assert_eq!(r.body["isUsed"], "Y");
        assert_eq!(r.body["desc"], "");
        let r = crate::brity_client::brity(&app, Method::POST, Some(&admin), None,
            "/asset/api/v1/messageQueue/use/1/bare", None).await;
        assert_eq!(r.status, 200, "{}", r.body);

        let r = list(&app, &admin, Some(json!({"searchName": "NEW"}))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let q = &r.body[0];
        let created = q["createDatetime"].as_i64().expect("createDatetime");
        assert!(created > 1_600_000_000_000, "epoch ms: {created}");
        assert_eq!(r.body, json!([{
            "managerUsrId": null, "createUserId": "boss", "isSecureQueue": "N",
            "typeName": "Queue", "type": 15, "messageExpirationTime": "0",
            "historicalDataRetention": "", "id": id, "updateDatetime": created,
            "updateUserId": "boss", "isUsed": "Y", "delYn": "N", "createDatetime": created,
            "name": "new123", "desc": "Request to create a new queue", "status": 1
        }]));
    }

    async fn create_refuses_bad_names_duplicates_and_bad_fields(app) {
        let org = app.org("QUB").await;
        let (_, admin) = brity_admin(&app, &org, "boss").await;
        let (_, user) = brity_user(&app, &org, "ann").await;
        create_ok(&app, &admin, "Orders").await;
        for name in ["orders", "ORDERS"] {
            let r = create(&app, &user, name, json!({})).await;
            assert_coded(&r, 400, "ALREADY_USE_NAME", "ASSET_A2");
            assert_eq!(r.body["params"], "ALREADY_USE_QUEUE_NAME");
        }
        for (name, problem) in [
            ("1st", "START_WITH_NUMBER"),
            ("a-b", "INVALID_CHARACTER"),
            ("a%20b", "INVALID_CHARACTER"),
            ("a%00b", "INVALID_CHARACTER"),
            ("list", "USE_RESERVED_WORD"),
            ("LIST", "USE_RESERVED_WORD"),
            ("con", "USE_RESERVED_WORD"),
            (&"q".repeat(65), "TOO_LONG_NAME"),
        ] {
            let r = create(&app, &admin, name, json!({})).await;
            assert_coded(&r, 400, "INVALID_OBJECT_NAME", "ASSET_A1");
            assert_eq!(r.body["params"], problem, "{name}");
        }
        assert_eq!(create(&app, &admin, &"q".repeat(64), json!({})).await.status, 200);
        assert_eq!(create(&app, &admin, "큐_1", json!({})).await.status, 200);

        for body in [
            json!({"name": "other"}),
            json!({"messageExpirationTime": "-1"}),
            json!({"messageExpirationTime": "soon"}),
            json!({"messageExpirationTime": 1.5}),
            json!({"messageExpirationTime": 400_000_000}),
            json!({"isUsed": "yes"}),
            json!({"isSecureQueue": "Y"}),
            json!({"isSecureQueue": "Y", "password": ""}),
            json!({"isSecureQueue": "N", "password": "pw"}),
            json!({"isSecureQueue": "Y", "password": "p".repeat(129)}),
            json!({"desc": "d".repeat(4001)}),
            json!({"desc": "a\u{0}b"}),
            json!({"unknown": 1}),
            json!([1]),
        ] {
            let r = create(&app, &admin, "fresh", body.clone()).await;
            assert_coded(&r, 400, "INVALID_PARAMETER", "COMMON_C1");
            assert!(!r.body["params"].as_str().unwrap().is_empty(), "{body}");
        }
        // Nothing was created by the refusals.
        assert!(names(&app, &admin, Some("fresh")).await.is_empty());
        // The body's name may repeat the path's.
        assert_eq!(create(&app, &admin, "fresh", json!({"name": "fresh"})).await.status, 200);

        // A system queue is for tenant administrators.
        let r = create(&app, &user, "sys", json!({"isSystemQueue": "Y"})).await;
        assert_coded(&r, 403, "NO_AUTHORITY", "AUTH_A2");
        let r = create(&app, &admin, "sys", json!({"isSystemQueue": "Y"})).await;
        assert_eq!(r.body["isSystemQueue"], "Y");

        // Credentials.
        let r = crate::brity_client::brity(&app, Method::POST, None, None,
            "/asset/api/v1/messageQueue/use/1/anon", Some(json!({}))).await;
        assert_coded(&r, 401, "UNAUTHORIZED", "AUTH_A1");
        let r = create(&app, "slu_pat_not-a-token", "anon", json!({})).await;
        assert_coded(&r, 401, "UNAUTHORIZED", "AUTH_A1");
    }

    async fn texts_and_files_come_back_oldest_first(app) {
        let org = app.org("QUT").await;
        let (_, admin) = brity_admin(&app, &org, "boss").await;
        let (_, user) = brity_user(&app, &org, "ann").await;
        create_ok(&app, &admin, "work").await;
        assert_eq!(send_ok(&app, &user, "work", "first").await, 1);
        let r = send_raw(&app, &user, "work", "application/json", br#"{"n":2}"#.to_vec(), None).await;
        assert_eq!(r.body, json!({"queueSize": 2}));
        let pdf = b"%PDF-1.7\x00\xff binary".to_vec();
        let r = send_file(&app, &user, "Work", "docs/résumé.pdf", "application/pdf", &pdf, None).await;
        assert_eq!(r.body, json!({"queueSize": 3}));
        // A name in another case is the same queue.
        assert_eq!(send_ok(&app, &admin, "WORK", "fourth").await, 4);

        // Peek leaves the message.
        for _ in 0..2 {
            let p = receive(&app, &admin, "work", true, None).await;
            assert_eq!((p.status, p.text()), (200, "first".to_string()));
        }
        let r = receive(&app, &admin, "work", false, None).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.text(), "first");
        assert_eq!(r.content_type.as_deref(), Some("text/plain"));
        assert_eq!(r.disposition, None);
        assert!(r.nosniff, "a message never runs as a page on Sluice's origin");
        let r = receive(&app, &user, "work", false, None).await;
        assert_eq!(r.content_type.as_deref(), Some("application/json"));
        assert_eq!(r.json(), json!({"n": 2}));
        let r = receive(&app, &user, "work", false, None).await;
        assert_eq!(r.body, pdf);
        assert_eq!(r.content_type.as_deref(), Some("application/pdf"));
        assert_eq!(
            r.disposition.as_deref(),
            Some("attachment; filename=\"r_sum_.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf")
        );
        assert_eq!(receive_text(&app, &user, "work").await, "fourth");

        // Empty: 204, for receive and peek.
        for peek in [false, true] {
            let r = receive(&app, &user, "work", peek, None).await;
            assert_eq!((r.status, r.body.len()), (204, 0));
        }
        assert_eq!(send_ok(&app, &user, "work", "again").await, 1);
        // peek=N takes; any other value is refused (and takes nothing).
        let r = crate::brity_client::brity(&app, Method::GET, Some(&user), None,
            &format!("{}?peek=maybe", path("work")), None).await;
        assert_coded(&r, 400, "INVALID_PARAMETER", "COMMON_C1");
        let r = app.client.get(format!("{}{}?peek=n", app.url, path("work")))
            .bearer_auth(&user).send().await.unwrap();
        assert_eq!(r.text().await.unwrap(), "again");
    }

    async fn sends_and_receives_are_refused_clearly(app) {
        let org = app.org("QUR").await;
        let (_, admin) = brity_admin(&app, &org, "boss").await;
        create_ok(&app, &admin, "open").await;
        let r = create(&app, &admin, "closed", json!({"isUsed": "N"})).await;
        assert_eq!(r.body["isUsed"], "N");

        // The documented failure: the queue must have been created in advance.
        for name in ["missing", "1bad", "a%00b", &"x".repeat(2000)] {
            let r = send_raw(&app, &admin, name, "text/plain", b"hi".to_vec(), None).await;
            assert_coded(&r, 404, "OBJECT_IS_NOT_EXIST", "COMMON_C2");
            let r = crate::brity_client::brity(&app, Method::GET, Some(&admin), None, &path(name), None).await;
            assert_coded(&r, 404, "OBJECT_IS_NOT_EXIST", "COMMON_C2");
        }
        // A queue not in use takes and gives nothing.
        let r = send_raw(&app, &admin, "closed", "text/plain", b"hi".to_vec(), None).await;
        assert_coded(&r, 409, "QUEUE_IS_NOT_USED", "COMMON_C3");
        let r = crate::brity_client::brity(&app, Method::GET, Some(&admin), None, &path("closed"), None).await;
        assert_coded(&r, 409, "QUEUE_IS_NOT_USED", "COMMON_C3");

        let r = send_raw(&app, &admin, "open", "text/plain", Vec::new(), None).await;
        assert_coded(&r, 400, "INVALID_PARAMETER", "COMMON_C1");
        let (ctype, body) = multipart("x.txt", "text/plain", b"x");
        let no_file = String::from_utf8(body).unwrap().replace("name=\"file\"", "name=\"other\"");
        let r = send_raw(&app, &admin, "open", &ctype, no_file.into_bytes(), None).await;
        assert_coded(&r, 400, "INVALID_PARAMETER", "COMMON_C1");
        let r = send_raw(&app, &admin, "open", "multipart/form-data; boundary=zz", b"garbage".to_vec(), None).await;
        assert_coded(&r, 400, "INVALID_PARAMETER", "COMMON_C1");
        let r = send_raw(&app, &admin, "open", "multipart/form-data", b"garbage".to_vec(), None).await;
        assert_coded(&r, 400, "INVALID_PARAMETER", "COMMON_C1");

        // Over the limit (10 MiB): refused with 413, as a text, as a file, and as a body of
        // no declared length (cut off as it passes the limit).
        const LIMIT: usize = 10 * 1024 * 1024;
        // A declared length over the limit is refused before any of the body is read: the
        // answer comes though the body is never sent.
        for ctype in ["text/plain", "multipart/form-data; boundary=b"] {
            let (status, answer) =
                raw_post(&app, &admin, "open", ctype, Some(LIMIT + 70 * 1024), Vec::new()).await;
            assert_eq!(status, Some(413), "{answer}");
            assert!(answer.contains(r#""errorValue":"MESSAGE_TOO_LARGE""#), "{answer}");
        }
        let (status, _) =
            raw_post(&app, &admin, "open", "text/plain", Some(LIMIT + 1), Vec::new()).await;
        assert_eq!(status, Some(413));
        // A file over the limit within a multipart body, and a text streamed without a
        // declared length, are cut off as they pass it.
        let (ctype, file) = multipart("big.bin", "application/octet-stream", &vec![1; LIMIT + 1]);
        let (len, streamed) = (file.len(), vec![b'z'; LIMIT + 1024 * 1024]);
        for (status, answer) in [
            raw_post(&app, &admin, "open", &ctype, Some(len), file).await,
            raw_post(&app, &admin, "open", "text/plain", None, streamed).await,
        ] {
            assert!(matches!(status, Some(413) | None), "{answer}");
        }
        // Exactly the limit is fine; nothing refused was kept.
        let r = send_raw(&app, &admin, "open", "text/plain", vec![b'a'; LIMIT], None).await;
        assert_eq!(r.body, json!({"queueSize": 1}));
        assert_eq!(receive(&app, &admin, "open", false, None).await.body.len(), LIMIT);
        assert_eq!(receive(&app, &admin, "open", false, None).await.status, 204);

        // Other methods get Brity's form.
        let r = crate::brity_client::brity(&app, Method::PUT, Some(&admin), None, &path("open"), None).await;
        assert_coded(&r, 405, "METHOD_NOT_ALLOWED", "COMMON_C1");
    }

    async fn creators_and_administrators_delete_queues(app) {
        let org = app.org("QUD").await;
        let (_, admin) = brity_admin(&app, &org, "boss").await;
        let (_, ann) = brity_user(&app, &org, "ann").await;
        let (_, bob) = brity_user(&app, &org, "bob").await;
        create_ok(&app, &ann, "anns").await;
        create_ok(&app, &ann, "second").await;
        for i in 0..3 {
            send_ok(&app, &bob, "anns", &format!("m{i}")).await;
        }
        let r = delete(&app, &bob, "anns").await;
        assert_coded(&r, 403, "NO_AUTHORITY", "AUTH_A2");
        let r = delete(&app, &ann, "ANNS").await;
        assert_eq!((r.status, r.body.clone()), (200, json!({"result": "SUCC"})));
        let r = delete(&app, &ann, "anns").await;
        assert_coded(&r, 404, "OBJECT_IS_NOT_EXIST", "COMMON_C2");
        let r = send_raw(&app, &bob, "anns", "text/plain", b"late".to_vec(), None).await;
        assert_coded(&r, 404, "OBJECT_IS_NOT_EXIST", "COMMON_C2");
        // The messages went with it: a new queue of that name starts empty.
        create_ok(&app, &bob, "anns").await;
        assert_eq!(receive(&app, &bob, "anns", false, None).await.status, 204);
        assert_eq!(send_ok(&app, &bob, "anns", "new").await, 1);
        // An administrator deletes anyone's queue.
        let r = delete(&app, &admin, "second").await;
        assert_eq!(r.status, 200, "{}", r.body);
        for name in ["1bad", "a%00b"] {
            assert_coded(&delete(&app, &admin, name).await, 404, "OBJECT_IS_NOT_EXIST", "COMMON_C2");
        }
    }

    async fn list_searches_names_in_order(app) {
        let org = app.org("QUL").await;
        let (_, admin) = brity_admin(&app, &org, "boss").await;
        let (_, ann) = brity_user(&app, &org, "ann").await;
        for name in ["beta_queue", "Alpha_queue", "gamma", "a_b", "axb"] {
            create_ok(&app, &ann, name).await;
        }
        // Every user of the tenant sees every queue, ordered by name without regard to case.
        assert_eq!(
            names(&app, &admin, None).await,
            ["a_b", "Alpha_queue", "axb", "beta_queue", "gamma"]
        );
        assert_eq!(names(&app, &admin, Some("QUEUE")).await, ["Alpha_queue", "beta_queue"]);
        assert_eq!(names(&app, &admin, Some("")).await.len(), 5);
        // `_` and `%` are taken literally.
        assert_eq!(names(&app, &ann, Some("a_")).await, ["a_b", "Alpha_queue", "beta_queue"]);
        assert!(names(&app, &ann, Some("%")).await.is_empty());
        let r = list(&app, &ann, Some(json!({"searchName": "a\u{0}"}))).await;
        assert_coded(&r, 400, "INVALID_PARAMETER", "COMMON_C1");
        let r = list(&app, &ann, Some(json!({"searchName": 5}))).await;
        assert_coded(&r, 400, "INVALID_PARAMETER", "COMMON_C1");
    }

    async fn tenants_never_see_each_other_s_queues(app) {
        let a = app.org("QTA").await;
        let b = app.org("QTB").await;
        let (_, alice) = brity_admin(&app, &a, "boss").await;
        let (_, bert) = brity_admin(&app, &b, "boss").await;
        create_ok(&app, &alice, "shared").await;
        let r = send_raw(&app, &bert, "shared", "text/plain", b"x".to_vec(), None).await;
        assert_coded(&r, 404, "OBJECT_IS_NOT_EXIST", "COMMON_C2");
        // The same name in another tenant is another queue.
        create_ok(&app, &bert, "shared").await;
        send_ok(&app, &alice, "shared", "for a").await;
        assert_eq!(send_ok(&app, &bert, "shared", "for b").await, 1);
        assert_eq!(receive_text(&app, &bert, "shared").await, "for b");
        assert_eq!(receive(&app, &bert, "shared", false, None).await.status, 204);
        assert_eq!(names(&app, &bert, None).await, ["shared"]);
        let r = delete(&app, &bert, "shared").await;
        assert_eq!(r.status, 200);
        assert_eq!(receive_text(&app, &alice, "shared").await, "for a");
        assert_coded(&delete(&app, &bert, "shared").await, 404, "OBJECT_IS_NOT_EXIST", "COMMON_C2");
    }
}
