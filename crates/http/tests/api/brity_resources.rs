//! Brity's Common Resource API, string resources: registration in every body form (the
//! spec's multipart, JSON, form-urlencoded), modification keeping the id, the detail view,
//! the list, deletion in every body form, every error, administrators only, and tenants
//! kept apart. Helpers here are shared by the file and secure-value tests.

use crate::both;
use crate::brity_client::{brity_admin, brity_user, BrityReply};
use crate::brity_tenant::assert_coded;
use crate::helpers::{Org, TestApp};
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::io::Write as _;

pub const ASSET: &str = "/asset/api/v1/objects/asset";
pub const CREDENTIAL: &str = "/asset/api/v1/objects/credential";
pub const ASSETS: &str = "/asset/api/v1/objects/type/asset";
pub const CREDENTIALS: &str = "/asset/api/v1/objects/type/credential";

/// The fields of the spec's registration answer of a string resource.
pub const ASSET_FIELDS: &[&str] = &[
    "managerUsrId",
    "createUserId",
    "typeName",
    "type",
    "resolution",
    "largeCategory",
    "designerVersion",
    "id",
    "updateDatetime",
    "os",
    "applyStartDate",
    "updateUserId",
    "isSecureData",
    "filePath",
    "applyEndDate",
    "version",
    "delYn",
    "createDatetime",
    "mediumCategory",
    "name",
    "workType",
    "activation",
    "category",
    "desc",
    "status",
];
/// The fields of the spec's detail view of a shared resource.
pub const DETAIL_FIELDS: &[&str] = &[
    "objectActivation",
    "createUserId",
    "objectStatus",
    "os",
    "isSecureData",
    "updateUserId",
    "version",
    "resolution",
    "largeCategory",
    "updateTimestamp",
    "mediumCategory",
    "userHasAuth",
    "name",
    "designerVersion",
    "category",
    "value",
    "objectId",
    "desc",
];

/// Multipart text fields (name, value).
type Fields<'a> = Vec<(&'a str, String)>;

/// An answer with its raw bytes (to search them for secrets) and headers.
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub raw: Vec<u8>,
    pub body: Value,
}

impl Reply {
    pub fn brity(&self) -> BrityReply {
        BrityReply {
            status: self.status,
            body: self.body.clone(),
        }
    }

    /// Asserts `{"errorValue": value, ...}` with `status`.
    pub fn coded(&self, status: u16, value: &str) {
        assert_coded(&self.brity(), status, value);
    }

    pub fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    }

    /// Whether `needle` occurs anywhere in the raw answer.
    pub fn contains(&self, needle: &str) -> bool {
        self.raw
            .windows(needle.len())
            .any(|w| w == needle.as_bytes())
    }
}

/// Any call: bearer `token`, optional content type and body.
pub async fn call(
    app: &TestApp,
    token: Option<&str>,
    method: Method,
    path: &str,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> Reply {
    let mut req = app.client.request(method, format!("{}{path}", app.url));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(c) = content_type {
        req = req.header("content-type", c);
    }
    let res = req.body(body).send().await.expect("request");
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let raw = res.bytes().await.expect("body").to_vec();
    let body = serde_json::from_slice(&raw).unwrap_or(Value::Null);
    Reply {
        status,
        headers,
        raw,
        body,
    }
}

/// A multipart/form-data call with text `fields` and an optional `file` (name, bytes).
pub async fn multipart(
    app: &TestApp,
    token: &str,
    method: Method,
    path: &str,
    fields: &[(&str, &str)],
    file: Option<(&str, &[u8])>,
) -> Reply {
    let boundary = "sluice-resource-boundary-91c3";
    let mut body = Vec::new();
    for (name, value) in fields {
        write!(
            body,
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        )
        .unwrap();
    }
    if let Some((name, bytes)) = file {
        write!(
            body,
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        )
        .unwrap();
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    write!(body, "--{boundary}--\r\n").unwrap();
    let ct = format!("multipart/form-data; boundary={boundary}");
    call(app, Some(token), method, path, Some(&ct), body).await
}

/// A JSON call.
pub async fn json_call(
    app: &TestApp,
    token: &str,
    method: Method,
    path: &str,
    body: Value,
) -> Reply {
    call(
        app,
        Some(token),
        method,
        path,
        Some("application/json"),
        body.to_string().into_bytes(),
    )
    .await
}

/// A GET.
pub async fn get(app: &TestApp, token: &str, path: &str) -> Reply {
    call(app, Some(token), Method::GET, path, None, Vec::new()).await
}

/// Registers through multipart, asserting 200; the answer.
pub async fn register(app: &TestApp, token: &str, path: &str, fields: &[(&str, &str)]) -> Value {
    let r = multipart(app, token, Method::POST, path, fields, None).await;
    assert_eq!(r.status, 200, "{fields:?}: {}", r.body);
    r.body
}

/// A tenant with an administrator; its administrator's token.
pub async fn admin_of(app: &TestApp, abbr: &str) -> (Org, String) {
    let org = app.org(abbr).await;
    let (_, token) = brity_admin(app, &org, "boss").await;
    (org, token)
}

/// Asserts that `v` has exactly the fields `names` (`extra` more).
pub fn assert_fields(v: &Value, names: &[&str], extra: &[&str]) {
    let got: BTreeSet<&str> = v
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    let want: BTreeSet<&str> = names.iter().chain(extra).copied().collect();
    assert_eq!(got, want, "{v}");
}

/// The names of a list answer, in order.
pub fn names(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("array")
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_string())
        .collect()
}

both! {
    async fn string_resources_are_registered_viewed_modified_listed_and_deleted(app) {
        let (_, token) = admin_of(&app, "RSA").await;
        let id = "43bf2861-fd06-4279-bf55-d585b498c7c1";
        // The spec's multipart example, its odd largeCategory included.
        let v = register(&app, &token, ASSET, &[
            ("id", id), ("name", "APICommons2"), ("category", "string"), ("isSecureData", "N"),
            ("largeCategory", r#"[TestTag", "TESTTag]"#), ("mediumCategory", ""),
            ("desc", "Common resource description"), ("data", "public resource data"),
        ]).await;
        assert_fields(&v, ASSET_FIELDS, &[]);
        let created = v["createDatetime"].as_i64().unwrap();
        assert_eq!(v["updateDatetime"].as_i64(), Some(created));
        assert!(created > 1_600_000_000_000, "epoch ms: {v}");
        assert_eq!(v, json!({
            "managerUsrId": null, "createUserId": "boss", "typeName": "Asset", "type": 6,
            "resolution": null, "largeCategory": "[\"TestTag\",\"TESTTag\"]", "designerVersion": null,
            "id": id, "updateDatetime": created, "os": null, "applyStartDate": null,
            "updateUserId": "boss", "isSecureData": "N", "filePath": "public resource data",
            "applyEndDate": null, "version": "1.00", "delYn": "N", "createDatetime": created,
            "mediumCategory": "", "name": "APICommons2", "workType": null, "activation": "Y",
            "category": "string", "desc": "Common resource description", "status": 1,
        }));

        // The detail view, as the spec's example.
        let d = get(&app, &token, &format!("{ASSET}?id={id}&detail=Y")).await;
        assert_eq!(d.status, 200, "{}", d.body);
        assert_eq!(d.body, json!({
            "objectActivation": "Y", "createUserId": "boss", "objectStatus": 1, "os": null,
            "isSecureData": "N", "updateUserId": "boss", "version": "1.00", "resolution": null,
            "largeCategory": "[\"TestTag\",\"TESTTag\"]", "updateTimestamp": created,
            "mediumCategory": "",
            "userHasAuth": {"A": true, "R": true, "S": true, "D": true, "E": true, "U": true},
            "name": "APICommons2", "designerVersion": null, "category": "string",
            "value": "public resource data", "objectId": id, "desc": "Common resource description",
        }));
        // Without detail=Y the view is the same.
        assert_eq!(get(&app, &token, &format!("{ASSET}?id={id}")).await.body, d.body);

        // A JSON body without an id: a new UUID; largeCategory as a JSON array.
        let r = json_call(&app, &token, Method::POST, ASSET, json!({
            "name": "beta config", "category": "string", "largeCategory": ["A", "B"],
            "data": "x", "desc": "from JSON"})).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let json_id = r.body["id"].as_str().unwrap().to_string();
        assert!(uuid::Uuid::parse_str(&json_id).is_ok(), "{json_id}");
        assert_eq!((r.body["largeCategory"].as_str(), r.body["isSecureData"].as_str()), (Some("[\"A\",\"B\"]"), Some("N")));
        // A form-urlencoded body; no category means a string, no largeCategory is [].
        let r = call(&app, Some(&token), Method::POST, ASSET, Some("application/x-www-form-urlencoded"),
            b"name=Gamma&data=a%26b&id=gamma-1".to_vec()).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!((r.body["id"].as_str(), r.body["filePath"].as_str(), r.body["largeCategory"].as_str(), r.body["category"].as_str()),
            (Some("gamma-1"), Some("a&b"), Some("[]"), Some("string")));

        // Modification keeps the id, the creation and every field left out.
        let before = get(&app, &token, &format!("{ASSET}?id={id}&detail=Y")).await.body;
        let m = register(&app, &token, ASSET, &[("id", id), ("data", "changed"), ("desc", "new desc")]).await;
        assert_eq!((m["id"].as_str(), m["name"].as_str(), m["filePath"].as_str()), (Some(id), Some("APICommons2"), Some("changed")));
        assert_eq!((m["createDatetime"].as_i64(), m["largeCategory"].as_str()), (Some(created), Some("[\"TestTag\",\"TESTTag\"]")));
        assert!(m["updateDatetime"].as_i64().unwrap() >= created);
        let after = get(&app, &token, &format!("{ASSET}?id={id}&detail=Y")).await.body;
        assert_eq!((after["value"].as_str(), after["desc"].as_str()), (Some("changed"), Some("new desc")));
        assert_eq!(after["objectId"], before["objectId"]);
        // Renaming (same name in another case is the resource's own).
        let m = register(&app, &token, ASSET, &[("id", id), ("name", "apicommons2"), ("largeCategory", "[]")]).await;
        assert_eq!((m["name"].as_str(), m["largeCategory"].as_str(), m["filePath"].as_str()), (Some("apicommons2"), Some("[]"), Some("changed")));

        // The list: every field of the example, by name without regard to case.
        let l = get(&app, &token, ASSETS).await;
        assert_eq!(l.status, 200, "{}", l.body);
        assert_eq!(names(&l.body), ["apicommons2", "beta config", "Gamma"]);
        for item in l.body.as_array().unwrap() {
            assert_fields(item, ASSET_FIELDS, &[]);
        }
        assert_eq!(l.body[0]["filePath"], "changed");
        // Sluice's paging of long lists.
        assert_eq!(names(&get(&app, &token, &format!("{ASSETS}?offset=1&limit=1")).await.body), ["beta config"]);
        assert_eq!(names(&get(&app, &token, &format!("{ASSETS}?limit=100000")).await.body).len(), 3);
        get(&app, &token, &format!("{ASSETS}?limit=-1")).await.coded(400, "INVALID_PARAMETER");
        get(&app, &token, &format!("{ASSETS}?offset=x")).await.coded(400, "INVALID_PARAMETER");
        // Credentials are another list.
        assert_eq!(get(&app, &token, CREDENTIALS).await.body, json!([]));

        // Deletion with the id as JSON, form, the spec's text, and a query parameter.
        let d = json_call(&app, &token, Method::DELETE, ASSET, json!({"id": id})).await;
        assert_eq!((d.status, d.body.clone()), (200, json!(true)));
        assert_eq!(d.header("content-type"), "application/json");
        get(&app, &token, &format!("{ASSET}?id={id}&detail=Y")).await.coded(404, "OBJECT_IS_NOT_EXIST");
        json_call(&app, &token, Method::DELETE, ASSET, json!({"id": id})).await.coded(404, "OBJECT_IS_NOT_EXIST");
        let d = call(&app, Some(&token), Method::DELETE, ASSET, Some("application/x-www-form-urlencoded"), b"id=gamma-1".to_vec()).await;
        assert_eq!((d.status, d.body.clone()), (200, json!(true)));
        let d = call(&app, Some(&token), Method::DELETE, ASSET, Some("text/plain"), format!("id: {json_id}").into_bytes()).await;
        assert_eq!((d.status, d.body.clone()), (200, json!(true)), "{}", d.body);
        assert_eq!(get(&app, &token, ASSETS).await.body, json!([]));
        let again = register(&app, &token, ASSET, &[("name", "last"), ("data", "v")]).await;
        let last = again["id"].as_str().unwrap();
        let d = call(&app, Some(&token), Method::DELETE, &format!("{ASSET}?id={last}"), None, Vec::new()).await;
        assert_eq!((d.status, d.body.clone()), (200, json!(true)));
        let d = multipart(&app, &token, Method::DELETE, ASSET, &[("id", "nope")], None).await;
        d.coded(404, "OBJECT_IS_NOT_EXIST");
        call(&app, Some(&token), Method::DELETE, ASSET, None, Vec::new()).await.coded(400, "INVALID_PARAMETER");
        call(&app, Some(&token), Method::DELETE, ASSET, Some("application/json"), b"{\"name\": \"x\"}".to_vec())
            .await.coded(400, "INVALID_PARAMETER");
    }

    async fn bad_input_is_refused_in_brity_form_and_writes_nothing(app) {
        let (_, token) = admin_of(&app, "RSB").await;
        register(&app, &token, ASSET, &[("name", "Taken"), ("data", "v"), ("id", "taken-1")]).await;
        let cases: Vec<(Fields, u16, &str)> = vec![
            (vec![("data", "v".into())], 400, "INVALID_PARAMETER"), // no name
            (vec![("name", "  ".into()), ("data", "v".into())], 400, "INVALID_PARAMETER"),
            (vec![("name", "n".into())], 400, "INVALID_PARAMETER"), // no data
            (vec![("name", "n".into()), ("data", "v".into()), ("category", "folder".into())], 400, "INVALID_PARAMETER"),
            (vec![("name", "n".into()), ("data", "v".into()), ("isSecureData", "maybe".into())], 400, "INVALID_PARAMETER"),
            (vec![("name", "n".into()), ("data", "v".into()), ("id", "a b".into())], 400, "INVALID_PARAMETER"),
            (vec![("name", "n".into()), ("data", "v".into()), ("id", "x".repeat(101))], 400, "INVALID_PARAMETER"),
            (vec![("name", "n\0x".into()), ("data", "v".into())], 400, "INVALID_PARAMETER"),
            (vec![("name", "n".into()), ("data", "v\0".into())], 400, "INVALID_PARAMETER"),
            (vec![("name", "n".into()), ("data", "v".into()), ("desc", "d\0".into())], 400, "INVALID_PARAMETER"),
            (vec![("name", "n".repeat(101)), ("data", "v".into())], 400, "INVALID_PARAMETER"),
            (vec![("name", "n".into()), ("data", "v".into()), ("desc", "d".repeat(4001))], 400, "INVALID_PARAMETER"),
            (vec![("name", "n".into()), ("data", "v".into()), ("mediumCategory", "m".repeat(101))], 400, "INVALID_PARAMETER"),
            (vec![("name", "n".into()), ("data", "v".into()), ("largeCategory", "t,".repeat(21))], 400, "INVALID_PARAMETER"),
            (vec![("name", "n".into()), ("data", "x".repeat(16 * 1024 + 1))], 413, "INVALID_PARAMETER"),
            (vec![("name", "n".into()), ("data", "x".repeat(70 * 1024))], 413, "INVALID_PARAMETER"),
            (vec![("name", "TAKEN".into()), ("data", "v".into())], 400, "ALREADY_USE_NAME"),
            (vec![("name", "n".into()), ("data", "v".into()), ("category", "file".into())], 400, "INVALID_PARAMETER"),
        ];
        for (fields, status, value) in cases {
            let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let r = multipart(&app, &token, Method::POST, ASSET, &f, None).await;
            r.coded(status, value);
            if value == "ALREADY_USE_NAME" {
                assert_eq!((r.body["errorCode"].as_str(), r.body["params"].as_str()), (Some("ASSET_A2"), Some("ALREADY_USE_RESOURCE_NAME")));
            }
        }
        // 16 KiB exactly is accepted.
        register(&app, &token, ASSET, &[("name", "big"), ("data", &"x".repeat(16 * 1024))]).await;
        // Renaming onto a taken name, and bodies of the wrong shape.
        register(&app, &token, ASSET, &[("name", "Other"), ("data", "v"), ("id", "other-1")]).await;
        multipart(&app, &token, Method::POST, ASSET, &[("id", "other-1"), ("name", "taken")], None).await.coded(400, "ALREADY_USE_NAME");
        for (ct, body) in [
            (Some("application/json"), b"{not json".to_vec()),
            (Some("application/json"), b"[1]".to_vec()),
            (Some("application/json"), b"{\"name\": \"j\", \"data\": \"v\", \"file\": \"a.txt\"}".to_vec()),
            (Some("application/json"), b"{\"name\": [\"j\"], \"data\": \"v\"}".to_vec()),
            (Some("application/json"), b"{\"name\": \"j\\u0000\", \"data\": \"v\"}".to_vec()),
            (Some("text/plain"), b"name=j".to_vec()),
            (Some("multipart/form-data; boundary=zz"), b"--zz\r\nbroken".to_vec()),
            (None, Vec::new()),
        ] {
            call(&app, Some(&token), Method::POST, ASSET, ct, body).await.coded(400, "INVALID_PARAMETER");
        }
        // Views: no id, a NUL, an over-long id, unknown ids.
        get(&app, &token, ASSET).await.coded(400, "INVALID_PARAMETER");
        get(&app, &token, &format!("{ASSET}?id=a%00b")).await.coded(400, "INVALID_PARAMETER");
        get(&app, &token, &format!("{ASSET}?id={}", "a".repeat(2000))).await.coded(400, "INVALID_PARAMETER");
        get(&app, &token, &format!("{ASSET}?id=unknown&detail=Y")).await.coded(404, "OBJECT_IS_NOT_EXIST");
        get(&app, &token, &format!("{CREDENTIAL}?id=taken-1&detail=Y")).await.coded(404, "OBJECT_IS_NOT_EXIST");
        json_call(&app, &token, Method::DELETE, CREDENTIAL, json!({"id": "taken-1"})).await.coded(404, "OBJECT_IS_NOT_EXIST");
        // An asset id given to the credential registration is no credential to modify.
        multipart(&app, &token, Method::POST, CREDENTIAL, &[("id", "taken-1"), ("name", "c"), ("data", "v")], None)
            .await.coded(400, "INVALID_PARAMETER");
        // A credential may share a shared resource's name (another kind).
        register(&app, &token, CREDENTIAL, &[("name", "Taken"), ("data", "v")]).await;
        // Nothing refused was written.
        assert_eq!(names(&get(&app, &token, ASSETS).await.body), ["big", "Other", "Taken"]);
        assert_eq!(names(&get(&app, &token, CREDENTIALS).await.body), ["Taken"]);
    }

    async fn only_tenant_administrators_may_call(app) {
        let (org, token) = admin_of(&app, "RSC").await;
        let (_, ana) = brity_user(&app, &org, "ana").await;
        let r = register(&app, &token, ASSET, &[("name", "r"), ("data", "v")]).await;
        let id = r["id"].as_str().unwrap().to_string();
        let c = register(&app, &token, CREDENTIAL, &[("name", "c"), ("data", "v")]).await;
        let cid = c["id"].as_str().unwrap().to_string();
        let calls = [
            (Method::POST, ASSET.to_string()), (Method::GET, format!("{ASSET}?id={id}&detail=Y")),
            (Method::DELETE, format!("{ASSET}?id={id}")), (Method::GET, ASSETS.to_string()),
            (Method::POST, CREDENTIAL.to_string()), (Method::GET, format!("{CREDENTIAL}?id={cid}&detail=Y")),
            (Method::DELETE, format!("{CREDENTIAL}?id={cid}")), (Method::GET, CREDENTIALS.to_string()),
            (Method::GET, format!("{ASSET}?id={id}&isSvg=N")),
        ];
        for (method, path) in &calls {
            let body = b"{\"name\": \"x\", \"data\": \"v\"}".to_vec();
            call(&app, Some(&ana), method.clone(), path, Some("application/json"), body.clone()).await.coded(403, "NO_AUTHORITY");
            call(&app, None, method.clone(), path, Some("application/json"), body.clone()).await.coded(401, "UNAUTHORIZED");
            call(&app, Some("slu_pat_unknown"), method.clone(), path, Some("application/json"), body).await.coded(401, "UNAUTHORIZED");
        }
        // The administrator's server token acting for a user who is not one: refused.
        let r = app.client.get(format!("{}{ASSETS}", app.url)).bearer_auth(&token)
            .header("userAuthentication", format!("Bearer {ana}")).send().await.unwrap();
        assert_eq!(r.status(), 403);
        // The organization's own credential (client_credentials) is an administrator's.
        let (s, t) = app.token(&[("grant_type", "client_credentials"), ("client_id", &org.abbr), ("client_secret", &org.key)]).await;
        assert_eq!(s, 200, "{t}");
        let org_token = t["access_token"].as_str().unwrap();
        let v = register(&app, org_token, ASSET, &[("name", "by org"), ("data", "v")]).await;
        assert_eq!((v["createUserId"].clone(), v["updateUserId"].clone()), (Value::Null, Value::Null));
        assert_eq!(names(&get(&app, org_token, ASSETS).await.body), ["by org", "r"]);
        // Nothing was deleted by the refused calls.
        assert_eq!(get(&app, &token, &format!("{CREDENTIAL}?id={cid}")).await.status, 200);
    }

    async fn concurrent_registrations_keep_names_and_ids_unique(app) {
        let (_, token) = admin_of(&app, "RSF").await;
        // One name registered eight times at once: one wins, the others hear it is taken.
        let tries = (0..8).map(|i| {
            let data = format!("v{i}");
            let token = token.clone();
            let app = &app;
            async move { multipart(app, &token, Method::POST, ASSET, &[("name", "Race"), ("data", &data)], None).await }
        });
        let replies = futures::future::join_all(tries).await;
        assert_eq!(replies.iter().filter(|r| r.status == 200).count(), 1);
        for r in replies.iter().filter(|r| r.status != 200) {
            r.coded(400, "ALREADY_USE_NAME");
        }
        // One new id registered eight times at once: one creates it, the others modify it.
        let tries = (0..8).map(|i| {
            let name = format!("R{i}");
            let token = token.clone();
            let app = &app;
            async move { multipart(app, &token, Method::POST, CREDENTIAL, &[("id", "race-id"), ("name", &name), ("data", "v")], None).await }
        });
        for r in futures::future::join_all(tries).await {
            assert_eq!((r.status, r.body["id"].as_str()), (200, Some("race-id")), "{}", r.body);
        }
        let list = get(&app, &token, CREDENTIALS).await.body;
        assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
        assert_eq!(names(&get(&app, &token, ASSETS).await.body), ["Race"]);
    }

    async fn tenants_never_see_each_others_resources(app) {
        let (_, a) = admin_of(&app, "RSD").await;
        let (_, b) = admin_of(&app, "RSE").await;
        register(&app, &a, ASSET, &[("id", "shared-id"), ("name", "Config"), ("data", "tenant A")]).await;
        let c = register(&app, &a, CREDENTIAL, &[("name", "Erp"), ("data", "pw")]).await;
        let cid = c["id"].as_str().unwrap();
        // B sees none of A's, cannot delete them, and its own id and names are its own.
        assert_eq!(get(&app, &b, ASSETS).await.body, json!([]));
        assert_eq!(get(&app, &b, CREDENTIALS).await.body, json!([]));
        get(&app, &b, &format!("{ASSET}?id=shared-id&detail=Y")).await.coded(404, "OBJECT_IS_NOT_EXIST");
        get(&app, &b, &format!("{CREDENTIAL}?id={cid}&detail=Y")).await.coded(404, "OBJECT_IS_NOT_EXIST");
        json_call(&app, &b, Method::DELETE, ASSET, json!({"id": "shared-id"})).await.coded(404, "OBJECT_IS_NOT_EXIST");
        json_call(&app, &b, Method::DELETE, CREDENTIAL, json!({"id": cid})).await.coded(404, "OBJECT_IS_NOT_EXIST");
        let v = register(&app, &b, ASSET, &[("id", "shared-id"), ("name", "Config"), ("data", "tenant B")]).await;
        assert_eq!(v["filePath"], "tenant B");
        assert_eq!(get(&app, &a, &format!("{ASSET}?id=shared-id")).await.body["value"], "tenant A");
        assert_eq!(get(&app, &b, &format!("{ASSET}?id=shared-id")).await.body["value"], "tenant B");
        assert_eq!(names(&get(&app, &a, CREDENTIALS).await.body), ["Erp"]);
    }
}
