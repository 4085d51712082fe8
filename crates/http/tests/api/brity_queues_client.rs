//! Calls of Brity's queue endpoints, shared by the queue tests.

use crate::brity_client::{brity, BrityReply};
use crate::helpers::TestApp;
use reqwest::Method;
use serde_json::{json, Value};

/// A received message (or the error answer): status, headers that matter and raw body.
pub struct Received {
    pub status: u16,
    pub content_type: Option<String>,
    pub disposition: Option<String>,
    pub nosniff: bool,
    pub body: Vec<u8>,
}

impl Received {
    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("UTF-8")
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("JSON")
    }
}

pub fn path(name: &str) -> String {
    format!("/asset/api/v1/messageQueue/{name}")
}

/// `POST messageQueue/use/1/{name}` with a JSON body.
pub async fn create(app: &TestApp, token: &str, name: &str, body: Value) -> BrityReply {
    brity(
        app,
        Method::POST,
        Some(token),
        None,
        &format!("/asset/api/v1/messageQueue/use/1/{name}"),
        Some(body),
    )
    .await
}

/// Creates a plain queue (asserting 200).
pub async fn create_ok(app: &TestApp, token: &str, name: &str) -> Value {
    let r = create(app, token, name, json!({"desc": "", "isUsed": "Y"})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body
}

/// A send with a raw body of `content_type`, optionally a `password` header.
pub async fn send_raw(
    app: &TestApp,
    token: &str,
    name: &str,
    content_type: &str,
    body: Vec<u8>,
    password: Option<&str>,
) -> BrityReply {
    let mut req = app
        .client
        .post(format!("{}{}", app.url, path(name)))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(body);
    if let Some(p) = password {
        req = req.header("password", p);
    }
    reply(req.send().await.expect("request")).await
}

/// Sends a text (asserting 200); the answered `queueSize`.
pub async fn send_ok(app: &TestApp, token: &str, name: &str, text: &str) -> i64 {
    let r = send_raw(app, token, name, "text/plain", text.into(), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["queueSize"].as_i64().expect("queueSize")
}

/// A multipart body with a `file` field (and an unrelated field first).
pub fn multipart(file_name: &str, content_type: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "sluice-queue-boundary-7d1e";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nignored\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
         Content-Type: {content_type}\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Sends a file as multipart.
pub async fn send_file(
    app: &TestApp,
    token: &str,
    name: &str,
    file_name: &str,
    content_type: &str,
    bytes: &[u8],
    password: Option<&str>,
) -> BrityReply {
    let (ctype, body) = multipart(file_name, content_type, bytes);
    send_raw(app, token, name, &ctype, body, password).await
}

/// `GET messageQueue/{name}` (`peek=Y` when asked).
pub async fn receive(
    app: &TestApp,
    token: &str,
    name: &str,
    peek: bool,
    password: Option<&str>,
) -> Received {
    let q = if peek { "?peek=Y" } else { "" };
    let mut req = app
        .client
        .get(format!("{}{}{q}", app.url, path(name)))
        .bearer_auth(token);
    if let Some(p) = password {
        req = req.header("password", p);
    }
    let res = req.send().await.expect("request");
    let header = |h: &str| {
        res.headers()
            .get(h)
            .map(|v| v.to_str().expect("header").to_string())
    };
    let (content_type, disposition) = (header("content-type"), header("content-disposition"));
    let nosniff = header("x-content-type-options").as_deref() == Some("nosniff")
        && header("content-security-policy").is_some_and(|p| p.contains("sandbox"));
    Received {
        status: res.status().as_u16(),
        content_type,
        disposition,
        nosniff,
        body: res.bytes().await.expect("body").to_vec(),
    }
}

/// Receives a text message (asserting 200).
pub async fn receive_text(app: &TestApp, token: &str, name: &str) -> String {
    let r = receive(app, token, name, false, None).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    r.text()
}

/// `POST messageQueue/list`.
pub async fn list(app: &TestApp, token: &str, body: Option<Value>) -> BrityReply {
    brity(
        app,
        Method::POST,
        Some(token),
        None,
        "/asset/api/v1/messageQueue/list",
        body,
    )
    .await
}

/// The names `messageQueue/list` answers, in order.
pub async fn names(app: &TestApp, token: &str, search: Option<&str>) -> Vec<String> {
    let r = list(app, token, search.map(|s| json!({"searchName": s}))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body
        .as_array()
        .expect("array")
        .iter()
        .map(|q| q["name"].as_str().expect("name").to_string())
        .collect()
}

/// `DELETE messageQueue/end/1/{name}`.
pub async fn delete(app: &TestApp, token: &str, name: &str) -> BrityReply {
    brity(
        app,
        Method::DELETE,
        Some(token),
        None,
        &format!("/asset/api/v1/messageQueue/end/1/{name}"),
        None,
    )
    .await
}

/// Status and body (JSON when it is JSON).
pub async fn reply(res: reqwest::Response) -> BrityReply {
    let status = res.status().as_u16();
    let text = res.text().await.expect("body");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    BrityReply { status, body }
}

/// Asserts Brity's `{"errorValue","errorCode","params"}` with `status`.
pub fn assert_coded(r: &BrityReply, status: u16, value: &str, code: &str) {
    assert_eq!(r.status, status, "{}", r.body);
    assert_eq!(r.body.as_object().map(|o| o.len()), Some(3), "{}", r.body);
    assert_eq!(r.body["errorValue"], value, "{}", r.body);
    assert_eq!(r.body["errorCode"], code, "{}", r.body);
}
