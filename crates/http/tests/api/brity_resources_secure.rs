//! Secure values: credentials and secure string resources are sealed at rest (the stored
//! rows and, on SQLite, the database files never hold the clear text), never answered in
//! clear by any endpoint, and handed to a bot only inside the claim of a job whose process
//! declares them — in their own tenant only.

use crate::both;
use crate::brity_assets::{package, processes, upload_ok};
use crate::brity_client::brity_user;
use crate::brity_jobs_client::{bot, finish, next, run_ok};
use crate::brity_resources::*;
use crate::helpers::TestApp;
use reqwest::Method;
use serde_json::{json, Value};

/// The fields of the spec's credential registration answer and detail view.
const CREDENTIAL_FIELDS: &[&str] = &[
    "managerUsrId",
    "createUserId",
    "updateDatetime",
    "os",
    "applyStartDate",
    "updateUserId",
    "filePath",
    "typeName",
    "applyEndDate",
    "type",
    "version",
    "resolution",
    "largeCategory",
    "delYn",
    "createDatetime",
    "mediumCategory",
    "name",
    "workType",
    "designerVersion",
    "id",
    "activation",
    "category",
    "desc",
    "status",
];
const CREDENTIAL_DETAIL_FIELDS: &[&str] = &[
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
    "value",
    "objectId",
    "desc",
];

fn secret(tag: &str) -> String {
    format!("{tag}-{}", uuid::Uuid::new_v4().simple())
}

type StoredRow = (String, String, String, Option<String>, Option<Vec<u8>>);

/// Whether `needle` is stored in clear: in any column of `rpa_resources`, or (SQLite, with
/// `files`) anywhere in the database files, the write-ahead log and free pages included.
async fn stored_in_clear(app: &TestApp, needle: &str, files: bool) -> bool {
    let sql =
        "SELECT name, description, large_category, text_value, sealed_value FROM rpa_resources";
    let rows: Vec<StoredRow> = if let Some(path) = app.database_url.strip_prefix("sqlite://") {
        let dir = std::path::Path::new(path).parent().unwrap();
        for entry in std::fs::read_dir(dir).unwrap().filter(|_| files) {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap_or_default();
            if bytes.windows(needle.len()).any(|w| w == needle.as_bytes()) {
                return true;
            }
        }
        let pool = sqlx::SqlitePool::connect(&app.database_url).await.unwrap();
        let rows = sqlx::query_as(sql).fetch_all(&pool).await.unwrap();
        pool.close().await;
        rows
    } else {
        let pool = sqlx::PgPool::connect(&app.database_url).await.unwrap();
        let rows = sqlx::query_as(sql).fetch_all(&pool).await.unwrap();
        pool.close().await;
        rows
    };
    assert!(!rows.is_empty());
    rows.iter().any(|(n, d, l, t, s)| {
        [n, d, l].iter().any(|x| x.contains(needle))
            || t.as_deref().is_some_and(|t| t.contains(needle))
            || s.as_deref()
                .is_some_and(|s| s.windows(needle.len()).any(|w| w == needle.as_bytes()))
    })
}

/// The sealed bytes of resource `id`.
async fn sealed_of(app: &TestApp, id: &str) -> Vec<u8> {
    let sql = "SELECT sealed_value FROM rpa_resources WHERE id = $1";
    if app.database_url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(&app.database_url).await.unwrap();
        let v: Vec<u8> = sqlx::query_scalar(sql)
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap();
        pool.close().await;
        v
    } else {
        let pool = sqlx::PgPool::connect(&app.database_url).await.unwrap();
        let v: Vec<u8> = sqlx::query_scalar(sql)
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap();
        pool.close().await;
        v
    }
}

/// The server's key, as the test harness configures it.
fn server_key() -> [u8; 32] {
    sluice_store::secrets::derive_secret_key("test-secret-key-that-is-long-enough-0123")
}

both! {
    async fn secure_values_are_sealed_at_rest_and_never_answered_in_clear(app) {
        let (org, token) = admin_of(&app, "RVA").await;
        let password = secret("pw");
        let mail = secret("mail");
        let mut answers: Vec<Reply> = Vec::new();

        // A credential (a JSON object of fields), as the spec's example otherwise.
        let cid = "43bf2861-fd06-4279-bf55-d585b498c111";
        let fields = json!({"userId": "robot", "password": password}).to_string();
        let r = multipart(&app, &token, Method::POST, CREDENTIAL, &[
            ("id", cid), ("name", "APICredential2"), ("largeCategory", r#"["Credential", "TEST]""#),
            ("mediumCategory", ""), ("desc", "Description of public API resources"), ("data", &fields),
        ], None).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_fields(&r.body, CREDENTIAL_FIELDS, &[]);
        assert_eq!(
            (r.body["typeName"].as_str(), r.body["type"].as_i64(), r.body["category"].clone(), r.body["largeCategory"].as_str()),
            (Some("Credential"), Some(14), Value::Null, Some("[\"Credential\",\"TEST\"]"))
        );
        let file_path = r.body["filePath"].as_str().unwrap().to_string();
        assert!(file_path.parse::<u64>().is_ok(), "an opaque number: {file_path}");
        answers.push(r);
        // The value is sealed as documented: for `credential:<org>:<id>`, under the server key.
        let sealed = sealed_of(&app, cid).await;
        let opened = sluice_store::sealed::open(&server_key(), &format!("credential:{}:{cid}", org.id), &sealed).unwrap();
        assert_eq!(opened, fields.as_bytes());

        let d = get(&app, &token, &format!("{CREDENTIAL}?id={cid}&detail=Y")).await;
        assert_eq!(d.status, 200, "{}", d.body);
        assert_fields(&d.body, CREDENTIAL_DETAIL_FIELDS, &[]);
        assert_eq!(d.body["isSecureData"], "Y");
        let digest = d.body["value"].as_str().unwrap().to_string();
        assert_eq!(digest.len(), 32, "{digest}");
        answers.push(d);

        // A secure string resource.
        let s = register(&app, &token, ASSET, &[("name", "Mailbox"), ("isSecureData", "Y"), ("data", &mail)]).await;
        let sid = s["id"].as_str().unwrap().to_string();
        assert_eq!(s["isSecureData"], "Y");
        assert!(s["filePath"].as_str().unwrap().parse::<u64>().is_ok(), "{s}");
        let sv = get(&app, &token, &format!("{ASSET}?id={sid}&detail=Y")).await;
        assert_eq!(sv.body["value"].as_str().map(str::len), Some(32), "{}", sv.body);
        answers.push(sv);
        answers.push(get(&app, &token, ASSETS).await);
        answers.push(get(&app, &token, CREDENTIALS).await);
        answers.push(get(&app, &token, &format!("{ASSET}?id={sid}&isSvg=N")).await);
        answers.push(get(&app, &token, &format!("{CREDENTIAL}?id={cid}&isSvg=N")).await);
        // A modification leaving the value alone keeps the sealed bytes (and the digest);
        // a new value is sealed anew.
        let m = multipart(&app, &token, Method::POST, CREDENTIAL, &[("id", cid), ("desc", "new desc")], None).await;
        assert_eq!((m.status, m.body["id"].as_str()), (200, Some(cid)));
        answers.push(m);
        let same = get(&app, &token, &format!("{CREDENTIAL}?id={cid}")).await;
        assert_eq!((same.body["value"].as_str(), same.body["desc"].as_str()), (Some(digest.as_str()), Some("new desc")));
        let password2 = secret("pw2");
        let m = json_call(&app, &token, Method::POST, CREDENTIAL,
            json!({"id": cid, "data": {"userId": "robot", "password": password2}})).await;
        assert_eq!(m.status, 200, "{}", m.body);
        answers.push(m);
        let changed = get(&app, &token, &format!("{CREDENTIAL}?id={cid}")).await;
        assert_ne!(changed.body["value"].as_str(), Some(digest.as_str()));
        answers.push(changed);

        for a in &answers {
            for s in [&password, &mail, &password2] {
                assert!(!a.contains(s), "a secret in an answer: {}", String::from_utf8_lossy(&a.raw));
            }
        }
        for s in [&password, &mail, &password2] {
            assert!(!stored_in_clear(&app, s, true).await, "{s} is stored in clear");
        }

        // Secure → plain takes new data (the secret is never revealed); plain → secure seals.
        multipart(&app, &token, Method::POST, ASSET, &[("id", &sid), ("isSecureData", "N")], None)
            .await.coded(400, "INVALID_PARAMETER");
        let p = register(&app, &token, ASSET, &[("id", &sid), ("isSecureData", "N"), ("data", "public now")]).await;
        assert_eq!((p["isSecureData"].as_str(), p["filePath"].as_str()), (Some("N"), Some("public now")));
        let plain_secret = secret("was-plain");
        register(&app, &token, ASSET, &[("id", &sid), ("data", &plain_secret)]).await;
        let sealed = register(&app, &token, ASSET, &[("id", &sid), ("isSecureData", "Y")]).await;
        assert_ne!(sealed["filePath"].as_str(), Some(plain_secret.as_str()));
        let v = get(&app, &token, &format!("{ASSET}?id={sid}&detail=Y")).await;
        assert!(!v.contains(&plain_secret) && !get(&app, &token, ASSETS).await.contains(&plain_secret));
        // (Its plain past may linger in SQLite's free pages: only the row is checked.)
        assert!(!stored_in_clear(&app, &plain_secret, false).await);

        // Credentials: a text that starts as an object must be one; no category, no file.
        for fields in [
            vec![("name", "bad"), ("data", "{\"userId\": ")],
            vec![("name", "bad"), ("data", "v"), ("category", "string")],
            vec![("name", "bad")],
            vec![("name", "apicredential2"), ("data", "v")],
        ] {
            let r = multipart(&app, &token, Method::POST, CREDENTIAL, &fields, None).await;
            assert_eq!(r.status, 400, "{fields:?}: {}", r.body);
        }
        // A plain-text credential is fine; credentials are always secure.
        let t = register(&app, &token, CREDENTIAL, &[("name", "Token"), ("data", "just text"), ("isSecureData", "N")]).await;
        let tid = t["id"].as_str().unwrap();
        assert_eq!(get(&app, &token, &format!("{CREDENTIAL}?id={tid}")).await.body["isSecureData"], "Y");
        assert!(!stored_in_clear(&app, "just text", true).await);
        assert_eq!(names(&get(&app, &token, CREDENTIALS).await.body), ["APICredential2", "Token"]);
        let d = json_call(&app, &token, Method::DELETE, CREDENTIAL, json!({"id": tid})).await;
        assert_eq!((d.status, d.body.clone()), (200, json!(true)));
        assert_eq!(names(&get(&app, &token, CREDENTIALS).await.body), ["APICredential2"]);
    }

    async fn bots_receive_exactly_the_credentials_their_process_declares(app) {
        let (_, admin) = admin_of(&app, "RVB").await;
        let (_, other) = admin_of(&app, "RVC").await;
        let manifest = json!({
            "format": 1, "type": "project", "name": "Vault", "mainProcess": "Main",
            "processes": [
                {"name": "Main", "command": ["sh", "main.sh"], "credentials": ["erp", "Mail", "Absent"]},
                {"name": "Plain", "command": ["sh", "main.sh"]},
            ]
        });
        upload_ok(&app, &admin, &package(&manifest, None), true).await;
        let procs = processes(&app, &admin).await;
        let id_of = |name: &str| procs.iter().find(|p| p["name"] == name).unwrap()["id"].as_str().unwrap().to_string();
        let (main, plain) = (id_of("Main"), id_of("Plain"));
        let b = bot(&app, &admin, "vault-bot").await;
        let run = |process: String| {
            let (app, admin, bot_id) = (&app, admin.clone(), b.id.clone());
            async move { run_ok(app, &admin, &process, json!({"botSelectType": 3, "botId": bot_id})).await }
        };

        // Another tenant's "erp" is never this tenant's.
        register(&app, &other, CREDENTIAL, &[("name", "erp"), ("data", "other tenant")]).await;
        let job = run(main.clone()).await;
        let claim = next(&app, &b, 5).await.unwrap();
        assert_eq!((claim["job_id"].as_str(), claim["credentials"].clone()), (Some(job.as_str()), json!({})));
        finish(&app, &b, &job, "success", json!({})).await;

        // A credential (found without regard to case, handed out under the declared name),
        // a secure string, a plain string that is not declared, a credential not declared.
        let password = secret("pw");
        let mail = secret("mail");
        register(&app, &admin, CREDENTIAL, &[("name", "ERP"), ("data", &json!({"userId": "robot", "password": password}).to_string())]).await;
        register(&app, &admin, ASSET, &[("name", "mail"), ("isSecureData", "Y"), ("data", &mail)]).await;
        register(&app, &admin, ASSET, &[("name", "Unrelated"), ("data", "u")]).await;
        register(&app, &admin, CREDENTIAL, &[("name", "Unrelated"), ("data", "u")]).await;
        let job = run(main.clone()).await;
        let claim = next(&app, &b, 5).await.unwrap();
        assert_eq!(claim["credentials"], json!({
            "erp": {"userId": "robot", "password": password},
            "Mail": {"value": mail},
        }));
        finish(&app, &b, &job, "success", json!({})).await;

        // A process that declares none receives none.
        let job = run(plain).await;
        let claim = next(&app, &b, 5).await.unwrap();
        assert_eq!((claim["job_id"].as_str(), claim["credentials"].clone()), (Some(job.as_str()), json!({})));
        // A claim handed back (never acknowledged) carries them again, the same.
        let again = next(&app, &b, 5).await.unwrap();
        assert_eq!(again["job_id"], job.as_str());
        finish(&app, &b, &job, "success", json!({})).await;

        // A credential wins over a string resource of the same name; without it the
        // string resource is given; a plain text credential is {"value"}.
        register(&app, &admin, ASSET, &[("name", "erp"), ("data", "string erp")]).await;
        register(&app, &admin, CREDENTIAL, &[("name", "Absent"), ("data", "plain pw")]).await;
        let job = run(main.clone()).await;
        let claim = next(&app, &b, 5).await.unwrap();
        assert_eq!(claim["credentials"]["erp"]["password"], password.as_str());
        assert_eq!(claim["credentials"]["Absent"], json!({"value": "plain pw"}));
        finish(&app, &b, &job, "success", json!({})).await;
        let cid = get(&app, &admin, CREDENTIALS).await.body.as_array().unwrap().iter()
            .find(|c| c["name"] == "ERP").unwrap()["id"].as_str().unwrap().to_string();
        let d = json_call(&app, &admin, Method::DELETE, CREDENTIAL, json!({"id": cid})).await;
        assert_eq!(d.status, 200);
        let job = run(main).await;
        let claim = next(&app, &b, 5).await.unwrap();
        assert_eq!(claim["credentials"]["erp"], json!({"value": "string erp"}));
        finish(&app, &b, &job, "success", json!({})).await;
        // The job's own views never show a credential.
        let j = crate::brity_jobs_client::job(&app, &admin, &job).await;
        assert!(!j.body.to_string().contains(&password) && !j.body.to_string().contains(&mail));
    }

    async fn only_versions_an_administrator_activated_receive_credentials(app) {
        let (org, admin) = admin_of(&app, "RVD").await;
        let (_, dev) = brity_user(&app, &org, "dev").await;
        register(&app, &admin, CREDENTIAL, &[("name", "erp"), ("data", "s3cret")]).await;
        let manifest = |description: &str| json!({
            "format": 1, "type": "project", "name": "Exfil", "mainProcess": "Main",
            "description": description,
            "processes": [{"name": "Main", "command": ["sh", "main.sh"], "credentials": ["erp"]}]
        });
        // A user uploads a new project (not activated: they own it), then activates a new
        // version themselves with the A authority every owner has: it runs, without credentials.
        upload_ok(&app, &dev, &package(&manifest("v1"), None), false).await;
        upload_ok(&app, &dev, &package(&manifest("v2"), None), true).await;
        let main = processes(&app, &admin).await.iter().find(|p| p["name"] == "Main").unwrap()["id"]
            .as_str().unwrap().to_string();
        let b = bot(&app, &admin, "approval-bot").await;
        let select = json!({"botSelectType": 3, "botId": b.id});
        let job = run_ok(&app, &admin, &main, select.clone()).await;
        let claim = next(&app, &b, 5).await.unwrap();
        assert_eq!((claim["job_id"].as_str(), claim["credentials"].clone()), (Some(job.as_str()), json!({})));
        finish(&app, &b, &job, "success", json!({})).await;
        // The version an administrator uploads with activation gets them.
        upload_ok(&app, &admin, &package(&manifest("v3"), None), true).await;
        let job = run_ok(&app, &admin, &main, select).await;
        let claim = next(&app, &b, 5).await.unwrap();
        assert_eq!((claim["job_id"].as_str(), claim["credentials"].clone()), (Some(job.as_str()), json!({"erp": {"value": "s3cret"}})));
        finish(&app, &b, &job, "success", json!({})).await;
    }
}
