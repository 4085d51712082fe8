//! OmniBPM `organization/*`.

use crate::both;
use crate::helpers::MASTER_KEY;
use serde_json::json;

both! {
    async fn create_returns_the_key_and_list_hides_it(app) {
        let org = app.org("ACME").await;
        assert_eq!(org.key.len(), 64);
        let (status, v) = app.omni("organization/list", json!({"api_key": MASTER_KEY})).await;
        assert_eq!(status, 200);
        let orgs = v["organizations"].as_array().unwrap();
        assert_eq!(orgs.len(), 1, "the platform organization is not listed: {v}");
        assert_eq!(orgs[0]["abbr"], "ACME");
        assert_eq!(orgs[0]["api_key"], json!(null));
        assert_eq!(orgs[0]["__model__"], "Organization");
    }

    async fn duplicate_name_or_abbr_is_refused(app) {
        app.org("ACME").await;
        for org in [json!({"name": "ACME Inc.", "abbr": "OTHER"}), json!({"name": "Other", "abbr": "ACME"})] {
            let (status, v) = app.omni("organization/create", json!({"api_key": MASTER_KEY, "organization": org})).await;
            assert_eq!((status, v), (409, json!({"RESPONSE": "ERR", "RMSG": "Duplicate Name."})));
        }
    }

    async fn default_structure_creates_departments_and_ranks(app) {
        let org = app.org("ACME").await;
        let depts = app.ok(&org, "department/list", json!({})).await;
        let names: Vec<&str> = depts["departments"].as_array().unwrap().iter().map(|d| d["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["CEO's Office", "MIS Department", "Finance Department", "HR Department", "Sales Department", "Purchasing Department"]);
        assert_eq!(depts["departments"][1]["parent_department"]["name"], "CEO's Office");
        let ranks = app.ok(&org, "rank/list", json!({})).await;
        let levels: Vec<(String, i64)> = ranks["ranks"].as_array().unwrap().iter()
            .map(|r| (r["name"].as_str().unwrap().to_string(), r["level"].as_i64().unwrap())).collect();
        assert_eq!(levels, [("Executive Officer".to_string(), 1), ("Director".into(), 2), ("Manager".into(), 3), ("Specialist".into(), 4)]);
        let groups = app.ok(&org, "group/list", json!({})).await;
        let names: Vec<&str> = groups["groups"].as_array().unwrap().iter().map(|g| g["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["All Users", "External Users"]);
    }

    async fn default_structure_false_creates_only_system_groups(app) {
        let (_, v) = app.omni("organization/create", json!({
            "api_key": MASTER_KEY,
            "organization": {"__model__": "Organization", "name": "Bare", "abbr": "BARE", "__client_extra__": {"anything": "here"}},
            "default_structure": false
        })).await;
        assert_eq!(v["organization"]["__client_extra__"], json!({"anything": "here"}));
        let org = crate::helpers::Org { id: 0, abbr: "BARE".into(), key: v["organization"]["api_key"].as_str().unwrap().into() };
        assert_eq!(app.ok(&org, "department/list", json!({})).await["departments"], json!([]));
        assert_eq!(app.ok(&org, "rank/list", json!({})).await["ranks"], json!([]));
        assert_eq!(app.ok(&org, "group/list", json!({})).await["groups"].as_array().unwrap().len(), 2);
    }

    async fn get_and_update_use_the_organization_key(app) {
        let org = app.org("ACME").await;
        let v = app.ok(&org, "organization/get", json!({})).await;
        assert_eq!(v["organization"]["api_key"], org.key.as_str());
        assert_eq!(v["organization"]["registration_date"]["__type__"], "datetime");
        let v = app.ok(&org, "organization/update", json!({"organization": {"__id__": org.id, "name": "New name", "__client_extra__": {"usage": "x"}}})).await;
        assert_eq!(v["organization"]["name"], "New name");
        assert_eq!(v["organization"]["__client_extra__"], json!({"usage": "x"}));
        // apikey is accepted as well as api_key.
        let (status, v) = app.omni("organization/get", json!({"apikey": org.key})).await;
        assert_eq!((status, v["organization"]["name"].as_str()), (200, Some("New name")));
    }

    async fn update_to_a_taken_name_is_refused(app) {
        app.org("ACME").await;
        let b = app.org("BETA").await;
        let msg = app.err(&b, "organization/update", json!({"organization": {"name": "ACME Inc."}}), 409).await;
        assert_eq!(msg, "Duplicate Name.");
    }

    async fn inactive_organization_key_stops_working_until_activated(app) {
        let org = app.org("ACME").await;
        let (s, _) = app.omni("organization/inactivate", json!({"api_key": MASTER_KEY, "organization": {"__id__": org.id}})).await;
        assert_eq!(s, 200);
        let msg = app.err(&org, "user/list", json!({}), 403).await;
        assert!(msg.contains("inactive"), "{msg}");
        let (_, v) = app.omni("organization/list", json!({"api_key": MASTER_KEY})).await;
        assert_eq!(v["organizations"][0]["is_active"], false);
        app.omni("organization/activate", json!({"api_key": MASTER_KEY, "organization": {"__id__": org.id}})).await;
        app.ok(&org, "user/list", json!({})).await;
    }

    async fn delete_removes_the_organization_and_everything_in_it(app) {
        let org = app.org("ACME").await;
        let u = app.user(&org, "alice").await;
        let dept = app.id_of(&org, "department", "MIS Department").await;
        app.ok(&org, "department/update", json!({"department": {"__id__": dept, "department_head": {"__id__": u}}})).await;
        app.ok(&org, "group/create", json!({"group": {"name": "G"}, "users": [{"__id__": u}]})).await;
        let (s, v) = app.omni("organization/delete", json!({"api_key": MASTER_KEY, "organization": {"__id__": org.id}})).await;
        assert_eq!(s, 200, "{v}");
        let (s, _) = app.omni("user/list", json!({"api_key": org.key})).await;
        assert_eq!(s, 401);
        let (_, v) = app.omni("organization/list", json!({"api_key": MASTER_KEY})).await;
        assert_eq!(v["organizations"], json!([]));
    }

    async fn master_endpoints_refuse_organization_keys_and_the_reverse(app) {
        let org = app.org("ACME").await;
        let (s, v) = app.omni("organization/list", json!({"api_key": org.key})).await;
        assert_eq!((s, &v["RESPONSE"]), (403, &json!("ERR")));
        let (s, _) = app.omni("organization/get", json!({"api_key": MASTER_KEY})).await;
        assert_eq!(s, 401);
        let (s, v) = app.omni("organization/list", json!({})).await;
        assert_eq!((s, v["RMSG"].as_str()), (401, Some("api_key is required.")));
    }

    async fn platform_organization_cannot_be_deleted_or_inactivated(app) {
        // The platform's own organization has id 1 and is invisible to the OmniBPM API.
        for path in ["organization/delete", "organization/inactivate"] {
            let (s, _) = app.omni(path, json!({"api_key": MASTER_KEY, "organization": {"__id__": 1}})).await;
            assert_eq!(s, 404);
        }
        let (s, v) = app.omni("organization/create", json!({"api_key": MASTER_KEY, "organization": {"name": "x", "abbr": "SYSTEM"}})).await;
        assert_eq!(s, 400, "{v}");
    }

    async fn wrong_model_and_bad_abbr_are_refused(app) {
        let (s, v) = app.omni("organization/create", json!({"api_key": MASTER_KEY, "organization": {"__model__": "Department", "name": "x", "abbr": "X"}})).await;
        assert_eq!(s, 400);
        assert!(v["RMSG"].as_str().unwrap().contains("__model__"), "{v}");
        let (s, _) = app.omni("organization/create", json!({"api_key": MASTER_KEY, "organization": {"name": "x", "abbr": "lower"}})).await;
        assert_eq!(s, 400);
    }

    async fn the_mount_point_itself_answers_in_the_omnibpm_form(app) {
        for path in ["/api/v0.1", "/api/v0.1/", "/api/v0.1/no/such/endpoint/"] {
            let res = app.client.post(format!("{}{path}", app.url)).send().await.expect("request");
            assert_eq!(res.status().as_u16(), 404, "{path}");
            let v: serde_json::Value = res.json().await.expect("json");
            assert_eq!(v["RESPONSE"], "ERR", "{path}: {v}");
        }
    }
}
