//! Brity package upload (`ipaUpload/check`, `ipaUpload/upload`): packages built with
//! sluice-package, versions, activation, every failure code, hostile archives. Shared
//! helpers for the other asset tests live here too.

use crate::both;
use crate::brity_client::{brity, brity_admin, brity_user, BrityReply};
use crate::helpers::TestApp;
use reqwest::Method;
use serde_json::{json, Value};
use std::io::Write;

/// A manifest of `name` with processes `processes` (the first is the main one).
pub fn manifest(name: &str, id: Option<&str>, processes: &[&str]) -> Value {
    let mut m = json!({
        "format": 1, "type": "project", "name": name, "description": format!("{name} desc"),
        "designerVersion": "sluice-package 0.1", "mainProcess": processes[0],
        "processes": processes.iter().map(|p| json!({
            "name": p, "description": format!("{p} process"), "command": ["sh", "main.sh"],
            "inputs": [{"name": "currency", "type": "string", "default": "USD"},
                       {"name": "secret", "hidden": true}],
            "outputs": [{"name": "total"}], "credentials": ["erp"],
            "timeoutSeconds": 600, "workType": "background"
        })).collect::<Vec<_>>()
    });
    if let Some(id) = id {
        m["id"] = json!(id);
    }
    m
}

/// A package of `manifest` with a script, built by sluice-package from a folder.
pub fn package(manifest: &Value, password: Option<&str>) -> Vec<u8> {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("sluice-project.json"),
        serde_json::to_vec_pretty(manifest).unwrap(),
    )
    .unwrap();
    std::fs::write(dir.path().join("main.sh"), "echo done\n").unwrap();
    sluice_package::build(dir.path(), password).expect("build")
}

/// A package of `manifest` zipped without sluice-package's checks (for refused ones).
pub fn raw_package(manifest: &Value) -> Vec<u8> {
    let m = serde_json::to_vec(manifest).unwrap();
    raw_zip(&[("sluice-project.json", &m), ("main.sh", b"echo done\n")])
}

/// A zip of raw entries (no checks), for refused packages.
pub fn raw_zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, content) in entries {
        zip.start_file(*name, options).unwrap();
        zip.write_all(content).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// POSTs a multipart form to `/asset/api/v1/ipaUpload/{check|upload}`.
pub async fn ipa(
    app: &TestApp,
    token: &str,
    action: &str,
    fields: &[(&str, &str)],
    file: Option<&[u8]>,
) -> BrityReply {
    let boundary = "sluice-test-boundary-7d1f";
    let mut body = Vec::new();
    for (name, value) in fields {
        write!(
            body,
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        )
        .unwrap();
    }
    if let Some(bytes) = file {
        write!(
            body,
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"pkg.zip\"\r\n\
             Content-Type: application/zip\r\n\r\n"
        )
        .unwrap();
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    write!(body, "--{boundary}--\r\n").unwrap();
    let res = app
        .client
        .post(format!("{}/asset/api/v1/ipaUpload/{action}", app.url))
        .bearer_auth(token)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .expect("request");
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    BrityReply {
        status,
        body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
    }
}

/// Uploads a package as a project, asserting success; the response.
pub async fn upload_ok(app: &TestApp, token: &str, bytes: &[u8], activate: bool) -> Value {
    let mut fields = vec![("type", "project")];
    if activate {
        fields.push(("data", r#"{"autoActivation":"Y"}"#));
    }
    let r = ipa(app, token, "upload", &fields, Some(bytes)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["resultType"], "SUCCESS", "{}", r.body);
    r.body
}

/// The processes the token's user may read (Search_All).
pub async fn processes(app: &TestApp, token: &str) -> Vec<Value> {
    let r = brity(
        app,
        Method::GET,
        Some(token),
        None,
        "/asset/api/v1/objects/type/process",
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let mut list = r.body.as_array().expect("array").clone();
    list.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    list
}

/// Asserts a refused upload: 400 with the upload form and `code`; and the check's verdict.
async fn refused(app: &TestApp, token: &str, fields: &[(&str, &str)], bytes: &[u8], code: &str) {
    let r = ipa(app, token, "upload", fields, Some(bytes)).await;
    assert_eq!(r.status, 400, "{code}: {}", r.body);
    assert_eq!(r.body["resultType"], "FAIL", "{}", r.body);
    assert_eq!(r.body["message"], code, "{}", r.body);
    let c = ipa(app, token, "check", fields, Some(bytes)).await;
    assert_eq!(c.status, 200, "{}", c.body);
    assert_eq!(
        c.body["validationResultList"][0]["type"], "FAIL",
        "{}",
        c.body
    );
    assert_eq!(
        c.body["validationResultList"][0]["message"], code,
        "{}",
        c.body
    );
}

both! {
    async fn upload_creates_a_project_then_new_versions(app) {
        let org = app.org("UPLD").await;
        let (_, admin) = brity_admin(&app, &org, "boss").await;
        let id = "6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b";
        let bytes = package(&manifest("Invoices", Some(id), &["Main", "Helper"]), None);
        // check: what the upload would make.
        let c = ipa(&app, &admin, "check", &[("type", "project")], Some(&bytes)).await;
        assert_eq!(c.status, 200, "{}", c.body);
        let b = &c.body;
        assert_eq!(b["objectType"], "Project");
        assert_eq!(b["objectName"], "Invoices");
        assert_eq!(b["objectId"], id);
        assert_eq!(b["objectVersion"], "1.00");
        assert_eq!(b["attributes"]["isExist"], "N");
        assert_eq!(b["attributes"]["latestProcess"], "Main");
        assert_eq!(b["attributes"]["userPermission"], "A;R;S;D;E;U");
        assert_eq!(b["attributes"]["createdBy"], "boss");
        assert_eq!(b["attributes"]["workType"], "background");
        assert_eq!(b["validationResultList"], json!([{"type": "SUCCESS", "message": null, "target": null}]));
        let list = b["objectList"].as_array().unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list[0]["objectType"], "Process");
        assert_eq!(list[0]["attributes"]["isMain"], "true");
        assert_eq!(list[1]["attributes"]["isMain"], "false");
        assert_eq!(list[0]["attributes"]["Timeout"], "600");
        // A check stores nothing.
        assert!(processes(&app, &admin).await.is_empty());
        let up = upload_ok(&app, &admin, &bytes, true).await;
        assert_eq!(up, json!({"id": id, "name": "Invoices", "version": "1.00", "type": "Project",
            "resultType": "SUCCESS", "message": null}));
        let first = processes(&app, &admin).await;
        assert_eq!(first.len(), 2);
        let helper = &first[0];
        assert_eq!(helper["name"], "Helper");
        assert_eq!(helper["project"], json!({"name": "Invoices", "id": id}));
        assert_eq!(helper["version"], "1.00");
        assert_eq!(helper["activation"], "Y");
        assert_eq!(helper["timeout"], "600");
        assert_eq!(helper["workType"], "background");
        assert_eq!(helper["createUserId"], "boss");
        assert_eq!(helper["status"], 1);
        let inputs: Value = serde_json::from_str(helper["inputs"].as_str().unwrap()).unwrap();
        assert_eq!(inputs[0]["name"], "currency");
        assert_eq!(inputs[0]["initValue"], "USD");
        assert_eq!(inputs[1]["hidden"], true);
        // The same package again: version 1.01 of the same project, same process ids.
        let c = ipa(&app, &admin, "check", &[("type", "project")], Some(&bytes)).await;
        assert_eq!(c.body["attributes"]["isExist"], "Y");
        assert_eq!(c.body["objectVersion"], "1.01");
        assert_eq!(c.body["objectList"][1]["objectId"], helper["id"]);
        let up = upload_ok(&app, &admin, &bytes, false).await;
        assert_eq!((up["id"].as_str(), up["version"].as_str()), (Some(id), Some("1.01")));
        let second = processes(&app, &admin).await;
        assert_eq!(second[0]["id"], helper["id"]);
        assert_eq!(second[0]["version"], "1.01");
        assert_eq!(second[0]["activation"], "N");
        // A package without an id matches the project by name.
        let no_id = package(&manifest("Invoices", None, &["Main"]), None);
        let up = upload_ok(&app, &admin, &no_id, true).await;
        assert_eq!((up["id"].as_str(), up["version"].as_str()), (Some(id), Some("1.02")));
        // Helper is not in 1.02: it is no longer listed.
        let third = processes(&app, &admin).await;
        assert_eq!(third.len(), 1);
        assert_eq!(third[0]["name"], "Main");
    }

    async fn every_documented_failure_code(app) {
        let org = app.org("FAIL").await;
        let (_, admin) = brity_admin(&app, &org, "boss").await;
        let project = [("type", "project")];
        let good = manifest("Orders", Some("0b5e8a7c-1d2e-4f3a-9b8c-7d6e5f4a3b2c"), &["Main"]);
        let encrypted = package(&good, Some("s3cret"));
        refused(&app, &admin, &project, &encrypted, "IPA_WRONG_PASSWORD").await;
        refused(&app, &admin, &[("type", "project"), ("pwd", "wrong")], &encrypted, "IPA_WRONG_PASSWORD").await;
        refused(&app, &admin, &project, b"PK\x03\x04 not really a zip", "COMPRESSED_OBJECT_ERROR").await;
        refused(&app, &admin, &project, &raw_zip(&[("main.sh", b"echo")]), "XML_DATA_IS_EMPTY").await;
        refused(&app, &admin, &project, &raw_zip(&[("sluice-project.json", b"{\"format\":1,")]),
            "INVALID_XML_FORMAT").await;
        refused(&app, &admin, &project, &raw_zip(&[("sluice-project.json", b"\xff\xfe\x00")]),
            "INVALID_XML_FILE").await;
        let mut no_main = good.clone();
        no_main["mainProcess"] = json!("Nowhere");
        refused(&app, &admin, &project, &raw_package(&no_main), "LATEST_PROCESS_IS_NOT_EXIST").await;
        for bad in ["1Orders", "Orders and more", &"x".repeat(65)] {
            let mut m = good.clone();
            m["name"] = json!(bad);
            refused(&app, &admin, &project, &raw_package(&m), "INVALID_OBJECT_NAME").await;
        }
        let mut dup = good.clone();
        dup["processes"] = json!([good["processes"][0], good["processes"][0]]);
        refused(&app, &admin, &project, &raw_package(&dup), "INVALID_OBJECT").await;
        refused(&app, &admin, &[("type", "workflow")], &package(&good, None), "IS_NOT_WORKFLOW_FILE").await;
        let mut flow = manifest("Flow", None, &["Main"]);
        flow["type"] = json!("workflow");
        refused(&app, &admin, &project, &package(&flow, None), "IS_NOT_PROJECT_FILE").await;
        // Missing file.
        let r = ipa(&app, &admin, "upload", &project, None).await;
        assert_eq!((r.status, r.body["message"].as_str()), (400, Some("FILE_IS_NOT_EXIST")), "{}", r.body);
        let r = ipa(&app, &admin, "check", &project, None).await;
        assert_eq!(r.body["validationResultList"][0]["message"], "FILE_IS_NOT_EXIST");
        // The right password uploads; the stored package needs none.
        let up = ipa(&app, &admin, "upload", &[("type", "project"), ("pwd", "s3cret")], Some(&encrypted)).await;
        assert_eq!(up.body["resultType"], "SUCCESS", "{}", up.body);
        // Another package (another id) with a taken name; the same id with another name.
        let other = manifest("Orders", Some("11111111-2222-4333-8444-555555555555"), &["Main"]);
        refused(&app, &admin, &project, &package(&other, None), "DUPLICATE_OBJECT_NAME").await;
        let mut renamed = good.clone();
        renamed["name"] = json!("Renamed");
        refused(&app, &admin, &project, &package(&renamed, None), "OBJECT_NAME_IS_NOT_MATCH").await;
        // The id of a project sent as a process flow.
        let mut as_flow = good.clone();
        as_flow["type"] = json!("workflow");
        refused(&app, &admin, &[("type", "workflow")], &package(&as_flow, None), "OBJECT_ID_IS_NOT_MATCH").await;
        // Not multipart, an unknown type, bad data, no credential.
        let r = brity(&app, Method::POST, Some(&admin), None, "/asset/api/v1/ipaUpload/upload", Some(json!({}))).await;
        assert_eq!((r.status, r.body["errorValue"].as_str()), (400, Some("INVALID_PARAMETER")), "{}", r.body);
        let r = ipa(&app, &admin, "upload", &[("type", "robot")], Some(&package(&good, None))).await;
        assert_eq!(r.status, 400, "{}", r.body);
        let r = ipa(&app, &admin, "upload", &[("type", "project"), ("data", "{oops")], Some(&package(&good, None))).await;
        assert_eq!(r.status, 400, "{}", r.body);
        let r = ipa(&app, "slu_pat_bogus", "upload", &project, Some(&package(&good, None))).await;
        assert_eq!(r.status, 401, "{}", r.body);
        // Only the one good upload is stored.
        assert_eq!(processes(&app, &admin).await.len(), 1);
    }

    async fn hostile_archives_are_refused_and_store_nothing(app) {
        let org = app.org("HOST").await;
        let (_, admin) = brity_admin(&app, &org, "boss").await;
        let project = [("type", "project")];
        let m = serde_json::to_vec(&manifest("Bomb", None, &["Main"])).unwrap();
        let zeros = vec![0u8; 16 * 1024 * 1024];
        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("zip bomb", raw_zip(&[("sluice-project.json", &m), ("zeros.bin", &zeros)])),
            ("traversal", raw_zip(&[("sluice-project.json", &m), ("../../etc/evil.sh", b"x")])),
            ("absolute", raw_zip(&[("sluice-project.json", &m), ("/tmp/evil.sh", b"x")])),
            ("case duplicate", raw_zip(&[("sluice-project.json", &m), ("a.txt", b"1"), ("A.txt", b"2")])),
        ];
        for (what, bytes) in &cases {
            let r = ipa(&app, &admin, "upload", &project, Some(bytes)).await;
            assert_eq!((r.status, r.body["message"].as_str()), (400, Some("COMPRESSED_OBJECT_ERROR")), "{what}: {}", r.body);
        }
        // A symbolic link.
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default();
        zip.start_file("sluice-project.json", options).unwrap();
        zip.write_all(&m).unwrap();
        zip.add_symlink("link", "/etc/passwd", options).unwrap();
        let link = zip.finish().unwrap().into_inner();
        let r = ipa(&app, &admin, "upload", &project, Some(&link)).await;
        assert_eq!(r.body["message"], "COMPRESSED_OBJECT_ERROR", "{}", r.body);
        // Past 10,000 entries.
        let names: Vec<String> = (0..10_001).map(|i| format!("f/{i}")).collect();
        let mut entries: Vec<(&str, &[u8])> = vec![("sluice-project.json", &m)];
        entries.extend(names.iter().map(|n| (n.as_str(), &b""[..])));
        let r = ipa(&app, &admin, "upload", &project, Some(&raw_zip(&entries))).await;
        assert_eq!(r.body["message"], "COMPRESSED_OBJECT_ERROR", "{}", r.body);
        assert!(processes(&app, &admin).await.is_empty());
    }

    async fn new_versions_need_u_and_activation_needs_a(app) {
        let org = app.org("AUTH").await;
        let (_, admin) = brity_admin(&app, &org, "boss").await;
        let (uid, user) = brity_user(&app, &org, "dev").await;
        let bytes = package(&manifest("Payroll", None, &["Main"]), None);
        let first = upload_ok(&app, &admin, &bytes, true).await;
        let id = first["id"].as_str().unwrap().to_string();
        // Without any grant the user may not add a version (and the check says so).
        let r = ipa(&app, &user, "upload", &[("type", "project")], Some(&bytes)).await;
        assert_eq!((r.status, r.body["errorValue"].as_str()), (403, Some("NO_AUTHORITY")), "{}", r.body);
        let c = ipa(&app, &user, "check", &[("type", "project")], Some(&bytes)).await;
        assert_eq!(c.body["validationResultList"][0]["message"], "OBJECT_CAN_NOT_CREATE", "{}", c.body);
        // R and U: a new version, but not activated on request without A.
        let g = app.ok(&org, "group/create", json!({"group": {"name": "Devs"}, "users": [{"__id__": uid}]})).await;
        let gid = g["group"]["__id__"].as_i64().unwrap();
        let r = brity(&app, Method::POST, Some(&admin), None, &format!("/tenant/api/v1/private/project/group/{id}"),
            Some(json!([{"groupId": gid.to_string(), "authU": 1, "authR": 1}]))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let c = ipa(&app, &user, "check", &[("type", "project")], Some(&bytes)).await;
        assert_eq!(c.body["attributes"]["userPermission"], "R;U", "{}", c.body);
        let r = ipa(&app, &user, "upload", &[("type", "project"), ("data", r#"{"autoActivation":"Y"}"#)], Some(&bytes)).await;
        assert_eq!(r.status, 403, "{}", r.body);
        let up = upload_ok(&app, &user, &bytes, false).await;
        assert_eq!(up["version"], "1.01");
        // Jobs run the activated version until the new one is activated.
        let listed = processes(&app, &admin).await;
        let pid = listed[0]["id"].as_str().unwrap();
        let run = app.store.runnable_process(sluice_domain::OrgId(org.id), pid, None).await.unwrap();
        assert_eq!((run.version.as_str(), run.is_activated), ("1.00", true));
        assert_eq!(run.project_name, "Payroll");
        assert_eq!(run.entry["command"], json!(["sh", "main.sh"]));
        assert_eq!(run.inputs[0]["default"], "USD");
        assert_eq!(run.credentials, json!(["erp"]));
        assert_eq!((run.timeout_secs, run.work_type.as_str()), (600, "background"));
        let latest = app.store.runnable_process(sluice_domain::OrgId(org.id), pid, Some("1.01")).await.unwrap();
        assert!(!latest.is_activated);
        // The bytes a bot fetches, by SHA-256, only in the package's tenant.
        let content = app.store.package_content(sluice_domain::OrgId(org.id), &run.package_sha256).await.unwrap();
        let opened = sluice_package::open(&content.expect("stored"), None).unwrap();
        assert_eq!(opened.manifest.name, "Payroll");
        let other = app.org("AUTX").await;
        assert!(app.store.package_content(sluice_domain::OrgId(other.id), &run.package_sha256).await.unwrap().is_none());
        assert!(app.store.runnable_process(sluice_domain::OrgId(other.id), pid, None).await.is_err());
    }

    async fn encrypted_packages_are_stored_decrypted(app) {
        let org = app.org("CRYP").await;
        let (_, admin) = brity_admin(&app, &org, "boss").await;
        let bytes = package(&manifest("Vault", None, &["Main"]), Some("pw"));
        let r = ipa(&app, &admin, "upload", &[("type", "project"), ("pwd", "pw"),
            ("data", r#"{"autoActivation":"Y"}"#)], Some(&bytes)).await;
        assert_eq!(r.body["resultType"], "SUCCESS", "{}", r.body);
        let id = r.body["id"].as_str().unwrap();
        let res = app.client.get(format!("{}/asset/api/v1/objects/project?id={id}&version=1.00", app.url))
            .bearer_auth(&admin).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "application/zip");
        let zip = res.bytes().await.unwrap();
        let opened = sluice_package::open(&zip, None).expect("no password needed");
        assert!(!opened.encrypted);
        assert!(opened.files.contains(&"main.sh".to_string()));
    }
}
