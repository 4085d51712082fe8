//! Job tokens: a claim carries a token with which the job's process uses the queue endpoints
//! as the job's requester, while the job runs, and nothing else.

use crate::both;
use crate::brity_client::{brity, brity_user};
use crate::brity_jobs_client::{bot, finish, next, run_ok, tenant};
use crate::brity_queues_client::*;
use reqwest::Method;
use serde_json::json;

both! {
    async fn a_running_job_uses_queues_with_its_token(app) {
        let t = tenant(&app, "QJB").await;
        let b = bot(&app, &t.admin, "worker").await;
        create_ok(&app, &t.admin, "inbox").await;
        send_ok(&app, &t.admin, "inbox", "invoice 17").await;
        let job = run_ok(&app, &t.admin, &t.process_id, json!({"botSelectType": 3, "botId": b.id})).await;
        let claim = next(&app, &b, 5).await.expect("claim");
        assert_eq!(claim["job_id"], job.as_str());
        let token = claim["job_token"].as_str().expect("job_token").to_string();
        assert!(token.starts_with("slu_job_") && token.len() == 8 + 64, "{token}");

        // The queue endpoints take it, acting for the requester (boss) in the job's tenant.
        assert_eq!(receive_text(&app, &token, "inbox").await, "invoice 17");
        assert_eq!(send_ok(&app, &token, "inbox", "done 17").await, 1);
        assert_eq!(names(&app, &token, None).await, ["inbox"]);
        let r = create(&app, &token, "outbox", json!({})).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(list(&app, &token, Some(json!({"searchName": "out"}))).await.body[0]["createUserId"], "boss");
        assert_eq!(delete(&app, &token, "outbox").await.status, 200);

        // Nothing else takes it.
        for path in ["/asset/api/v1/objects/type/process", "/scheduler/api/v1/jobs/list"] {
            let method = if path.contains("jobs") { Method::POST } else { Method::GET };
            let r = brity(&app, method, Some(&token), None, path, Some(json!({}))).await;
            assert_eq!(r.status, 401, "{path}: {}", r.body);
        }
        let r = app.client.get(format!("{}/api/v1/me/tokens", app.url)).bearer_auth(&token).send().await.unwrap();
        assert_eq!(r.status(), 401);
        // It names its user itself.
        let (_, ann) = brity_user(&app, &t.org, "ann").await;
        let r = brity(&app, Method::POST, Some(&token), Some(&ann), "/asset/api/v1/messageQueue/list", None).await;
        assert_coded(&r, 401, "UNAUTHORIZED", "AUTH_A1");

        // A claim handed out again (its answer may have been lost) is the same claim, with
        // the same token.
        let again = next(&app, &b, 0).await.expect("the same claim");
        assert_eq!(again, claim);
        assert_eq!(list(&app, &token, None).await.status, 200);

        // Once the job ends, the token is dead.
        finish(&app, &b, &job, "success", json!({})).await;
        let r = send_raw(&app, &token, "inbox", "text/plain", b"late".to_vec(), None).await;
        assert_coded(&r, 401, "UNAUTHORIZED", "AUTH_A1");
        for bad in ["slu_job_", "slu_job_00", "slu_jobx", &format!("slu_job_{}", "a".repeat(500))] {
            let r = list(&app, bad, None).await;
            assert_coded(&r, 401, "UNAUTHORIZED", "AUTH_A1");
        }
    }
}
