//! Licenses (native issue and list, agent activation, Brity's activatedCount, list and
//! initialize with their documented errors) and Brity's botList (filters, visibility,
//! the monitoring URL).

use crate::both;
use crate::brity_client::{brity, brity_user, BrityReply};
use crate::brity_jobs_client::*;
use crate::brity_tenant::{assert_coded, make_group};
use reqwest::Method;
use serde_json::{json, Value};
use std::time::Duration;

async fn post(app: &crate::helpers::TestApp, token: &str, path: &str, body: Value) -> BrityReply {
    brity(app, Method::POST, Some(token), None, path, Some(body)).await
}

/// Gives user group `group` Brity's monitoring right.
async fn set_monitoring(app: &crate::helpers::TestApp, group: i64) {
    let sql = "UPDATE groups SET is_monitoring = TRUE WHERE id = $1";
    if app.database_url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(&app.database_url).await.unwrap();
        sqlx::query(sql).bind(group).execute(&pool).await.unwrap();
        pool.close().await;
    } else {
        let pool = sqlx::PgPool::connect(&app.database_url).await.unwrap();
        sqlx::query(sql).bind(group).execute(&pool).await.unwrap();
        pool.close().await;
    }
}

/// Makes the license of bot `bot` expire now.
async fn expire_license(app: &crate::helpers::TestApp, bot: &str) {
    let sql = "UPDATE rpa_licenses SET expires_at = starts_at WHERE bot_id = $1";
    if app.database_url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(&app.database_url).await.unwrap();
        sqlx::query(sql).bind(bot).execute(&pool).await.unwrap();
        pool.close().await;
    } else {
        let pool = sqlx::PgPool::connect(&app.database_url).await.unwrap();
        sqlx::query(sql).bind(bot).execute(&pool).await.unwrap();
        pool.close().await;
    }
}

const COUNT: &str = "/tenant/api/v1/private/license/activatedCount";
const LIST: &str = "/tenant/api/v1/private/license/list";
const INIT: &str = "/tenant/api/v1/private/license/initialize";

both! {
    async fn an_expired_license_stops_its_bot_and_bots_fetch_only_their_jobs_package(app) {
        let t = tenant(&app, "LEXP").await;
        let b = bot(&app, &t.admin, "alpha").await;
        let other = bot(&app, &t.admin, "beta").await;
        let id = run_ok(&app, &t.admin, &t.process_id, json!({"botSelectType": 3, "botId": b.id})).await;
        let claim = next(&app, &b, 5).await.unwrap();
        assert_eq!(claim["job_id"], id);
        let sha = claim["process"]["package_sha256"].as_str().unwrap().to_string();
        // The package of the job a bot runs, and no other bot's (even of the same tenant).
        assert_eq!(agent(&app, &b, Method::GET, &format!("packages/{sha}"), None).await.status, 200);
        let r = agent(&app, &other, Method::GET, &format!("packages/{sha}"), None).await;
        assert_eq!((r.status, r.body["code"].as_str()), (404, Some("not_found")), "{}", r.body);
        finish(&app, &b, &id, "success", json!({})).await;
        assert_eq!(agent(&app, &b, Method::GET, &format!("packages/{sha}"), None).await.status, 404);
        // Its license expires: the bot's secret no longer works, and it gets no job.
        run_ok(&app, &t.admin, &t.process_id, json!({"botSelectType": 3, "botId": b.id})).await;
        expire_license(&app, &b.id).await;
        let r = agent(&app, &b, Method::POST, "jobs/next?wait=0", None).await;
        assert_eq!((r.status, r.body["code"].as_str()), (401, Some("invalid_token")), "{}", r.body);
    }

    async fn licenses_are_issued_activated_counted_and_initialized(app) {
        let org = app.org("LICA").await;
        let (_, admin) = crate::brity_client::brity_admin(&app, &org, "boss").await;
        let (_, ana) = brity_user(&app, &org, "ana").await;

        // Issue (administrators only), keys shown once.
        let r = native(&app, Method::POST, Some(&ana), "licenses", Some(json!({"kind": "bot", "count": 1}))).await;
        assert_eq!(r.status, 403, "{}", r.body);
        for body in [json!({"kind": "robot", "count": 1}), json!({"kind": "bot", "count": 0}),
            json!({"kind": "bot", "count": 101}), json!({"kind": "bot", "count": 1, "valid_days": 0}),
            json!({"kind": "bot"}), json!({"kind": "bot", "count": 1, "extra": true})] {
            let r = native(&app, Method::POST, Some(&admin), "licenses", Some(body.clone())).await;
            assert_eq!(r.status, 400, "{body}: {}", r.body);
        }
        let bots = issue(&app, &admin, "bot", 3).await;
        let r = native(&app, Method::POST, Some(&admin), "licenses",
            Some(json!({"kind": "designer", "count": 2, "valid_days": 365, "description": "Studio seats"}))).await;
        assert_eq!(r.status, 201);
        let designers = r.body.as_array().unwrap().clone();
        let key = |l: &Value| l["key"].as_str().unwrap().to_string();
        let name = |l: &Value| l["id"].as_str().unwrap().to_string();
        assert!(key(&bots[0]).starts_with("slu_lic_"));
        assert_eq!(name(&bots[0]).len(), 14);
        assert!(designers[0]["expires_at"].is_string() && bots[0]["expires_at"].is_null());
        let listed = native(&app, Method::GET, Some(&admin), "licenses", None).await;
        assert_eq!(listed.body.as_array().unwrap().len(), 5);
        assert!(listed.body.as_array().unwrap().iter().all(|l| l.get("key").is_none()));
        assert_eq!(native(&app, Method::GET, Some(&ana), "licenses", None).await.status, 403);

        // Activation.
        let r = activate(&app, "slu_lic_0000", "x").await;
        assert_eq!(r.status, 401, "{}", r.body);
        let r = activate(&app, &key(&designers[0]), "x").await;
        assert_eq!(r.status, 409, "{}", r.body);
        let r = activate(&app, &key(&bots[0]), "").await;
        assert_eq!(r.status, 400, "{}", r.body);
        let first = activate(&app, &key(&bots[0]), "alpha").await;
        assert_eq!(first.status, 200, "{}", first.body);
        assert_eq!(first.body["heartbeat_seconds"], 10);
        let alpha = Bot { id: first.body["bot_id"].as_str().unwrap().into(), secret: first.body["bot_secret"].as_str().unwrap().into() };
        assert!(alpha.id.starts_with("BOT-") && alpha.id.len() == 9, "{}", alpha.id);
        assert!(alpha.secret.starts_with("slu_bot_"));
        // A used key under another name; another key under a bound bot's name.
        assert_eq!(activate(&app, &key(&bots[0]), "beta").await.status, 409);
        assert_eq!(activate(&app, &key(&bots[1]), "alpha").await.status, 409);
        // The same key and name again (a reinstalled agent): same bot, new secret.
        let again = activate(&app, &key(&bots[0]), "alpha").await;
        assert_eq!((again.status, again.body["bot_id"].as_str()), (200, Some(alpha.id.as_str())));
        assert_eq!(agent(&app, &alpha, Method::POST, "hello", Some(json!({}))).await.status, 401);
        let alpha = Bot { id: alpha.id.clone(), secret: again.body["bot_secret"].as_str().unwrap().into() };
        assert_eq!(agent(&app, &alpha, Method::POST, "hello", Some(json!({}))).await.status, 200);
        let beta = activate(&app, &key(&bots[1]), "beta").await;
        assert_eq!(beta.status, 200);
        let beta_id = beta.body["bot_id"].as_str().unwrap().to_string();

        // activatedCount.
        let v = post(&app, &admin, COUNT, json!({"tenantId": "LICA", "usablePeriodOnly": "Y"})).await;
        assert_eq!(v.status, 200, "{}", v.body);
        assert_eq!(v.body, json!({"tenantInfo": {"tenantDescription": null, "tenantName": "LICA Inc.", "tenantId": "LICA"},
            "licenseCount": {"designerTotalCount": 2, "designerActivatedCount": 0, "botTotalCount": 3, "botActivatedCount": 2}}));
        let v = post(&app, &admin, COUNT, json!({"tenantId": "lica"})).await;
        assert_eq!(v.body["licenseCount"]["botTotalCount"], 3);
        let r = post(&app, &admin, COUNT, json!({"tenantId": "tenant_222", "usablePeriodOnly": "Y"})).await;
        assert_coded(&r, 404, "NOT_AVAILABLE_TENANT");
        assert_eq!(r.body["errorCode"], "TENANT_T2");
        assert!(r.body["params"].as_str().unwrap().contains("tenantId : tenant_222"), "{}", r.body);
        assert_coded(&post(&app, &admin, COUNT, json!({"usablePeriodOnly": "maybe"})).await, 400, "INVALID_PARAMETER");
        assert_coded(&post(&app, &ana, COUNT, json!({})).await, 403, "NO_AUTHORITY");
        let r = brity(&app, Method::POST, None, None, COUNT, Some(json!({}))).await;
        assert_coded(&r, 401, "UNAUTHORIZED");

        // list: fixed order (type, activated first, client, key), filters, paging.
        let v = post(&app, &admin, LIST, json!({"offset": 0, "limit": 10, "parameter": {}})).await;
        assert_eq!(v.status, 200, "{}", v.body);
        assert_eq!((v.body["totalCount"].as_i64(), v.body["listCount"].as_i64()), (Some(5), Some(5)));
        let rows = v.body["list"].as_array().unwrap();
        let types: Vec<i64> = rows.iter().map(|r| r["licenseType"].as_i64().unwrap()).collect();
        assert_eq!(types, [1, 1, 1, 2, 2]);
        let statuses: Vec<&str> = rows.iter().map(|r| r["licenseStatus"].as_str().unwrap()).collect();
        assert_eq!(statuses, ["Y", "Y", "N", "N", "N"]);
        let alpha_row = rows.iter().find(|r| r["clientId"] == alpha.id.as_str()).unwrap();
        assert_eq!(alpha_row["licenseKey"], name(&bots[0]).as_str());
        assert_eq!((alpha_row["tenantId"].as_str(), alpha_row["tenantName"].as_str(), alpha_row["tenantUseYn"].as_str()),
            (Some("LICA"), Some("LICA Inc."), Some("Y")));
        assert_eq!(alpha_row["agentVersion"], "0.1.0");
        assert!(alpha_row["clientActivateDt"].as_str().unwrap().ends_with('Z'));
        assert!(alpha_row["latestIssueTokenDt"].as_str().unwrap().ends_with('Z'));
        assert_eq!(alpha_row["licenseEndDate"], Value::Null);
        let unbound = &rows[2];
        assert_eq!((unbound["clientId"].as_str(), unbound["agentVersion"].as_str()), (Some(""), Some("")));
        assert_eq!((unbound["clientActivateDt"].clone(), unbound["latestIssueTokenDt"].clone()), (Value::Null, Value::Null));
        assert!(v.body["request"]["orderBy"].is_string());
        for (parameter, expected) in [
            (json!({"licenseType": "2"}), 2),
            (json!({"licenseType": "3"}), 0),
            (json!({"licenseStatus": "Y"}), 2),
            (json!({"licenseStatus": "N", "licenseType": "1"}), 1),
            (json!({"clientId": beta_id[4..].to_lowercase()}), 1),
            (json!({"licenseKey": name(&bots[2])[5..9].to_string()}), 1),
            (json!({"licenseDescription": "studio"}), 2),
            (json!({"tenantId": "LICA"}), 5),
            (json!({"licenseExpirationDateFrom": "2000-01-01T00:00:00Z", "licenseExpirationDateTo": "2999-01-01T00:00:00Z"}), 2),
            (json!({"licenseExpirationDateTo": "2001-01-01T00:00:00Z"}), 0),
        ] {
            let v = post(&app, &admin, LIST, json!({"parameter": parameter.clone()})).await;
            assert_eq!(v.status, 200, "{parameter}: {}", v.body);
            assert_eq!(v.body["totalCount"], expected, "{parameter}: {}", v.body);
        }
        let v = post(&app, &admin, LIST, json!({"offset": 4, "limit": 1000})).await;
        assert_eq!((v.body["listCount"].as_i64(), v.body["request"]["limit"].as_i64()), (Some(1), Some(100)));
        for body in [json!({"parameter": {"licenseType": "x"}}), json!({"parameter": {"licenseStatus": "yes"}}),
            json!({"parameter": {"licenseExpirationDateFrom": "soon"}}), json!({"offset": -1})] {
            assert_coded(&post(&app, &admin, LIST, body).await, 400, "INVALID_PARAMETER");
        }
        assert_coded(&post(&app, &admin, LIST, json!({"parameter": {"tenantId": "OTHER"}})).await, 404, "NOT_AVAILABLE_TENANT");
        assert_coded(&post(&app, &ana, LIST, json!({})).await, 403, "NO_AUTHORITY");

        // initialize: documented error for a license that is not activated.
        let r = post(&app, &admin, INIT, json!({"licenseKey": name(&bots[2]), "tenantId": "LICA"})).await;
        assert_coded(&r, 400, "INACTIVATE_CLIENT_FAILED");
        assert_eq!(r.body["errorCode"], "TENANT_M4");
        assert_eq!(r.body["params"], format!("[requestInitializeLicenseProcess] This license has not activated status. licenseKey : {}", name(&bots[2])));
        assert_coded(&post(&app, &admin, INIT, json!({"licenseKey": "NONE-NONE-NONE"})).await, 404, "OBJECT_IS_NOT_EXIST");
        assert_coded(&post(&app, &admin, INIT, json!({})).await, 400, "INVALID_PARAMETER");
        assert_coded(&post(&app, &ana, INIT, json!({"licenseKey": name(&bots[0])})).await, 403, "NO_AUTHORITY");
        let r = post(&app, &admin, INIT, json!({"licenseKey": name(&bots[0]), "tenantId": "LICA"})).await;
        assert_eq!((r.status, r.body.clone()), (200, json!({"resultCode": "true"})));
        // The bot's secret is revoked; the license is free again and counted as such.
        assert_eq!(agent(&app, &alpha, Method::POST, "jobs/next?wait=0", None).await.status, 401);
        let v = post(&app, &admin, COUNT, json!({})).await;
        assert_eq!(v.body["licenseCount"]["botActivatedCount"], 1);
        let back = activate(&app, &key(&bots[0]), "alpha").await;
        assert_eq!((back.status, back.body["bot_id"].as_str()), (200, Some(alpha.id.as_str())));

        // Another tenant's administrator sees none of these.
        let other = app.org("LICB").await;
        let (_, boss_b) = crate::brity_client::brity_admin(&app, &other, "boss").await;
        let v = post(&app, &boss_b, LIST, json!({})).await;
        assert_eq!(v.body["totalCount"], 0);
        assert_coded(&post(&app, &boss_b, INIT, json!({"licenseKey": name(&bots[1])})).await, 404, "OBJECT_IS_NOT_EXIST");
        assert_coded(&post(&app, &boss_b, COUNT, json!({"tenantId": "LICA"})).await, 404, "NOT_AVAILABLE_TENANT");
    }

    async fn bot_list_filters_and_shows_what_each_may_see(app) {
        let t = tenant(&app, "BOTL").await;
        let mut settings = app.store.rpa_settings();
        settings.bot_lapse = Duration::from_secs(1);
        app.store.configure_rpa(settings);
        let alpha = bot(&app, &t.admin, "alpha").await;
        let beta = bot(&app, &t.admin, "beta").await;
        let gamma = bot(&app, &t.admin, "gamma").await;
        let g = make_group(&app, &t.admin, true, "pool").await;
        post(&app, &t.admin, &mapping(g, "bots"), json!({"mappingBotList": [alpha.id, beta.id]})).await;
        let ids = |v: &Value| -> Vec<String> {
            v["list"].as_array().unwrap().iter().map(|b| b["botName"].as_str().unwrap().to_string()).collect()
        };
        let bot_list = |token: String, body: Value| {
            let app = &app;
            async move {
                let r = post(app, &token, "/communication/api/v1/botList", body).await;
                assert_eq!(r.status, 200, "{}", r.body);
                r.body
            }
        };
        // The spec's example request.
        let v = bot_list(t.admin.clone(), json!({"offset": 0, "limit": 10, "parameter": {}})).await;
        assert_eq!(ids(&v), ["alpha", "beta", "gamma"]);
        assert_eq!(v["request"], json!({"offset": 0, "limit": 10, "parameter": {}}));
        let row = &v["list"][0];
        let expected_keys = ["jobProcessingSeconds", "jobStatus", "computerIpAddr", "jobUser", "botMonitoringUrl",
            "currentStepName", "jobResultType", "botName", "operationCnt", "botActiveYn", "jobId", "processId",
            "processName", "computerName", "botThumbImageContent", "botRunningStatus", "botType", "percentage",
            "updateEnvTime", "lastEventTime", "startTime", "botId", "jobType"];
        assert_eq!(row.as_object().unwrap().len(), expected_keys.len(), "{row}");
        for k in expected_keys {
            assert!(row.get(k).is_some(), "{k}");
        }
        assert_eq!(row["botMonitoringUrl"], format!("/monitoring/client/detail?botId={}", alpha.id));
        assert_eq!((row["computerName"].as_str(), row["computerIpAddr"].as_str(), row["botActiveYn"].as_str()),
            (Some("alpha-pc"), Some("10.0.0.7"), Some("Y")));
        assert_eq!((row["jobStatus"].as_i64(), row["percentage"].as_str(), row["jobId"].as_str(), row["startTime"].as_str()),
            (Some(4), Some("0"), Some(""), Some("")));
        // Filters: bot group, name or running process, status.
        let v = bot_list(t.admin.clone(), json!({"parameter": {"botGroup": g}})).await;
        assert_eq!(ids(&v), ["alpha", "beta"]);
        let v = bot_list(t.admin.clone(), json!({"parameter": {"srchTextName": "AMM"}})).await;
        assert_eq!(ids(&v), ["gamma"]);
        let id = run_ok(&app, &t.admin, &t.process_id, json!({"botSelectType": 3, "botId": beta.id})).await;
        next(&app, &beta, 5).await.unwrap();
        let v = bot_list(t.admin.clone(), json!({"parameter": {"srchTextName": "mai"}})).await;
        assert_eq!(ids(&v), ["beta"]);
        assert_eq!((v["list"][0]["jobId"].as_str(), v["list"][0]["jobType"].as_str(), v["list"][0]["jobUser"].as_str()),
            (Some(id.as_str()), Some("1"), Some("boss")));
        assert!(v["list"][0]["jobProcessingSeconds"].as_str().unwrap().parse::<i64>().is_ok());
        // Query-string filters as the spec lists them.
        let r = brity(&app, Method::POST, Some(&t.admin), None, &format!("/communication/api/v1/botList?botGroup={g}&srchTextName=alp"), Some(json!({}))).await;
        assert_eq!(ids(&r.body), ["alpha"]);
        // Up and down: a second on, only the bots heard from again are up (the lapse goes by
        // the wall clock, so the second must pass).
        tokio::time::sleep(Duration::from_millis(1100)).await;
        assert!(next(&app, &gamma, 0).await.is_none());
        let v = bot_list(t.admin.clone(), json!({"parameter": {"botStatus": 2}})).await;
        assert_eq!(ids(&v), ["gamma"]);
        assert_eq!(v["list"][0]["botRunningStatus"], 2);
        let v = bot_list(t.admin.clone(), json!({"parameter": {"botStatus": "3"}})).await;
        assert_eq!(ids(&v), ["alpha", "beta"]);
        // A down bot is not active (as the spec's example shows).
        assert_eq!(v["list"][0]["botActiveYn"], "N");
        let v = bot_list(t.admin.clone(), json!({"parameter": {"botStatus": 1}, "offset": 1, "limit": 1})).await;
        assert_eq!((ids(&v), v["totalCount"].as_i64(), v["listCount"].as_i64()), (vec!["beta".to_string()], Some(3), Some(1)));
        let v = bot_list(t.admin.clone(), json!({"limit": 500})).await;
        assert_eq!(v["request"]["limit"], 100);

        // A user sees the bots of the bot groups mapped to their groups, without the
        // monitoring URL unless a group of theirs has the monitoring right.
        let (_, ana) = brity_user(&app, &t.org, "ana").await;
        let v = bot_list(ana.clone(), json!({})).await;
        assert_eq!(v["totalCount"], 0);
        let team = make_group(&app, &t.admin, false, "team").await;
        post(&app, &t.admin, &mapping(team, "users"), json!({"mappingUserList": ["ana"]})).await;
        // R is what shows bots: U and M alone do not.
        let r = post(&app, &t.admin, &mapping(team, "groups"), json!({"mappingGroupList": [{"groupId": g, "authU": 1, "authM": 1}]})).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(bot_list(ana.clone(), json!({})).await["totalCount"], 0);
        post(&app, &t.admin, &mapping(team, "groups"), json!({"mappingGroupList": [{"groupId": g, "authR": 1}]})).await;
        let v = bot_list(ana.clone(), json!({})).await;
        assert_eq!(ids(&v), ["alpha", "beta"]);
        assert_eq!(v["list"][0]["botMonitoringUrl"], "");
        // No Brity endpoint sets isMonitoring: set it in the database, as a portal would.
        set_monitoring(&app, team).await;
        let v = bot_list(ana.clone(), json!({})).await;
        assert_eq!(v["list"][0]["botMonitoringUrl"], format!("/monitoring/client/detail?botId={}", alpha.id));

        for body in [json!({"parameter": {"botStatus": 4}}), json!({"parameter": {"botGroup": "pool"}}),
            json!({"offset": -1}), json!({"parameter": 7})] {
            assert_coded(&post(&app, &t.admin, "/communication/api/v1/botList", body).await, 400, "INVALID_PARAMETER");
        }
        let r = brity(&app, Method::POST, None, None, "/communication/api/v1/botList", Some(json!({}))).await;
        assert_coded(&r, 401, "UNAUTHORIZED");
    }
}
