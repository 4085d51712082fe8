//! PlusWorkflow `/PlusWorkflow/api/users/...`: query, by/roles, by/login, current; the
//! UserInfo shape, credentials, bad input and tenant isolation.

use crate::both;
use crate::plusworkflow_client::*;
use serde_json::json;

both! {
    async fn query_matches_names_from_the_start_and_logins_anywhere(app) {
        let org = app.org("ACME").await;
        let token = org_token(&app, &org).await;
        named_user(&app, &org, "jsmith", "John", "Smith", "1").await;
        named_user(&app, &org, "ajohnson", "Anna", "Johnson", "2").await;
        named_user(&app, &org, "mojo", "Mojohnny", "Bjohns", "3").await;
        named_user(&app, &org, "agent7", "Adam", "Smithers", "4").await;
        named_user(&app, &org, "xjohnx", "Xavier", "Young", "5").await;
        // First name prefix (jsmith), last name prefix (ajohnson), login anywhere (xjohnx);
        // "john" inside Mojohnny/Bjohns is not at the start and mojo's login lacks it.
        assert_eq!(query(&app, &token, "query=john").await,
            (3, vec!["ajohnson".into(), "jsmith".into(), "xjohnx".into()]));
        // Case does not matter.
        assert_eq!(query(&app, &token, "query=JOHN").await.0, 3);
        // "mit" is inside jsmith's login (found) but inside no name's start (agent7 not found).
        assert_eq!(query(&app, &token, "query=mit").await.1, vec!["jsmith"]);
        assert_eq!(query(&app, &token, "query=smi").await.1, vec!["agent7", "jsmith"]);
        // LIKE wildcards are plain characters.
        assert_eq!(query(&app, &token, "query=%25").await.0, 0);
        assert_eq!(query(&app, &token, "query=_").await.0, 0);
        // No phrase: everyone (the organization has no other users), by login.
        assert_eq!(query(&app, &token, "").await,
            (5, vec!["agent7".into(), "ajohnson".into(), "jsmith".into(), "mojo".into(), "xjohnx".into()]));
        // An empty or blank phrase is no phrase.
        assert_eq!(query(&app, &token, "query=%20").await.0, 5);
    }

    async fn query_pages_with_start_and_limit(app) {
        let org = app.org("ACME").await;
        let token = org_token(&app, &org).await;
        for i in 0..7 {
            named_user(&app, &org, &format!("u{i}"), "Pat", &format!("L{i}"), "").await;
        }
        assert_eq!(query(&app, &token, "query=pat&start=2&limit=3").await,
            (7, vec!["u2".into(), "u3".into(), "u4".into()]));
        assert_eq!(query(&app, &token, "query=pat&start=6&limit=3").await, (7, vec!["u6".into()]));
        assert_eq!(query(&app, &token, "query=pat&start=70").await, (7, vec![]));
        assert_eq!(query(&app, &token, "query=pat&limit=0").await, (7, vec![]));
        // Default page: 25.
        for i in 7..30 {
            named_user(&app, &org, &format!("v{i}"), "Pat", "", "").await;
        }
        let (total, page) = query(&app, &token, "query=pat").await;
        assert_eq!((total, page.len()), (30, 25));
        assert_eq!(query(&app, &token, "query=pat&limit=1000").await.1.len(), 30);
    }

    async fn user_info_has_every_field(app) {
        let org = app.org("ACME").await;
        let token = org_token(&app, &org).await;
        let named = named_user(&app, &org, "anna", "Anna", "Lee", "007").await;
        // Made through OmniBPM: no first/last name, so the display name is the first name.
        let omni = app.user(&org, "bob").await;
        let group = app.ok(&org, "group/create",
            json!({"group": {"name": "Reviewers"}, "users": [{"__id__": omni}]})).await;
        assert!(group["group"]["__id__"].is_i64());
        let mis = app.id_of(&org, "department", "MIS Department").await;
        let r = pw_get(&app, Auth::Bearer(&token), "users/by/login?username=bob").await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body, json!({
            "userName": "bob", "objectId": omni, "firstName": "bob", "lastName": "",
            "email": "bob@example.com", "active": true, "number": "",
            "positions": [{"symbol": mis.to_string(), "name": "MIS Department",
                "organizationalUnit": {"symbol": mis.to_string(), "name": "MIS Department"}}],
            "groups": [{"name": "All Users"}, {"name": "Reviewers"}],
            "fullName": "bob "
        }));
        let r = pw_get(&app, Auth::Bearer(&token), "users/by/login?username=anna").await;
        assert_eq!(r.body, json!({
            "userName": "anna", "objectId": named, "firstName": "Anna", "lastName": "Lee",
            "email": "anna@example.com", "active": true, "number": "007",
            "positions": [], "groups": [{"name": "All Users"}], "fullName": "Anna Lee"
        }));
        // Inactive users are found too, and in no system group.
        app.ok(&org, "user/inactivate", json!({"user": {"__id__": omni}})).await;
        let r = pw_get(&app, Auth::Bearer(&token), "users/query?query=bob").await;
        assert_eq!(r.body["data"][0]["active"], false, "{}", r.body);
        assert_eq!(r.body["data"][0]["groups"], json!([{"name": "Reviewers"}]));
    }

    async fn by_login_accepts_the_full_username_and_answers_errors(app) {
        let org = app.org("ACME").await;
        let other = app.org("OTHER").await;
        let token = org_token(&app, &org).await;
        app.user(&org, "bob").await;
        app.user(&other, "eve").await;
        for q in ["username=bob", "username=BOB", "username=bob@ACME", "username=bob@acme"] {
            let r = pw_get(&app, Auth::Bearer(&token), &format!("users/by/login?{q}")).await;
            assert_eq!((r.status, r.body["userName"].as_str()), (200, Some("bob")), "{q}");
        }
        for q in ["username=nobody", "username=eve", "username=eve@OTHER", "username=bob@OTHER",
            "username=%00", "username=a%20b"] {
            let r = pw_get(&app, Auth::Bearer(&token), &format!("users/by/login?{q}")).await;
            assert_pw_error(&r, 404);
        }
        for q in ["", "username=", "user=bob"] {
            let r = pw_get(&app, Auth::Bearer(&token), &format!("users/by/login?{q}")).await;
            assert_pw_error(&r, 400);
        }
    }

    async fn current_is_the_credential_user(app) {
        let org = app.org("ACME").await;
        let bob = app.user(&org, "bob").await;
        let token = user_token(&app, &org, "bob").await;
        let r = pw_get(&app, Auth::Bearer(&token), "users/current").await;
        assert_eq!((r.status, &r.body["objectId"]), (200, &json!(bob)), "{}", r.body);
        let r = pw_get(&app, Auth::Basic("bob@ACME", "secret-pw"), "users/current").await;
        assert_eq!((r.status, &r.body["userName"]), (200, &json!("bob")), "{}", r.body);
        // An organization token stands for no user.
        let org_tok = org_token(&app, &org).await;
        assert_pw_error(&pw_get(&app, Auth::Bearer(&org_tok), "users/current").await, 404);
    }

    async fn every_endpoint_needs_a_credential(app) {
        let org = app.org("ACME").await;
        app.user(&org, "bob").await;
        let calls = ["users/query", "users/by/login?username=bob", "users/current"];
        for auth in [Auth::None, Auth::Bearer("not-a-token"), Auth::Basic("bob@ACME", "wrong"),
            Auth::Basic("bob@NOPE", "secret-pw"), Auth::Raw("Digest abc"), Auth::Raw("Basic !!!")] {
            for path in calls {
                let r = pw_get(&app, auth, path).await;
                assert_pw_error(&r, 401);
                assert_eq!(r.challenge.as_deref(), Some(r#"Bearer realm="sluice", Basic realm="sluice""#));
            }
            let r = pw_post(&app, auth, "users/by/roles", "[]").await;
            assert_pw_error(&r, 401);
        }
        // An inactive user's credentials no longer work.
        let bob = app.user(&org, "carl").await;
        app.ok(&org, "user/inactivate", json!({"user": {"__id__": bob}})).await;
        assert_pw_error(&pw_get(&app, Auth::Basic("carl@ACME", "secret-pw"), "users/current").await, 401);
    }

    async fn bad_input_is_a_clean_400(app) {
        let org = app.org("ACME").await;
        let token = org_token(&app, &org).await;
        for q in ["start=-1", "start=x", "limit=-5", "limit=1.5", "limit=1001", "limit=99999999999999999999",
            "start=99999999999999999999", "query=%00", &format!("query={}", "a".repeat(257))] {
            let r = pw_get(&app, Auth::Bearer(&token), &format!("users/query?{q}")).await;
            assert_pw_error(&r, 400);
        }
        for body in ["", "{", "{}", "null", "[1]", r#"[{"roleIds": "x"}]"#, r#"[{"packageId": 5}]"#,
            r#"[{"roleIds": [1]}]"#, r#"[{"processDefId": "a\u0000b"}]"#] {
            let r = pw_post(&app, Auth::Bearer(&token), "users/by/roles", body).await;
            assert_pw_error(&r, 400);
        }
        let many = serde_json::to_string(&vec![json!({}); 101]).unwrap();
        assert_pw_error(&pw_post(&app, Auth::Bearer(&token), "users/by/roles", &many).await, 400);
        // Just over the 1 MiB limit: the server stops reading at the limit, and a far larger
        // body could still be in flight when it answers, making the client see a reset.
        let big = format!(r#"[{{"roleIds": ["{}"]}}]"#, "x".repeat(1024 * 1024 + 16 * 1024));
        assert_pw_error(&pw_post(&app, Auth::Bearer(&token), "users/by/roles", &big).await, 413);
        // Unknown servlets and wrong methods answer in the same form.
        assert_pw_error(&pw_get(&app, Auth::Bearer(&token), "users/nothing").await, 404);
        assert_pw_error(&pw_get(&app, Auth::Bearer(&token), "users/by/roles").await, 405);
        assert_pw_error(&pw_post(&app, Auth::Bearer(&token), "users/query", "{}").await, 405);
    }

    async fn by_roles_or_across_elements_and_within_one(app) {
        let org = app.org("ACME").await;
        let (_, admin_token) = admin(&app, &org, "boss").await;
        let token = org_token(&app, &org).await;
        let ann = named_user(&app, &org, "ann", "Ann", "A", "").await;
        let ben = named_user(&app, &org, "ben", "Ben", "B", "").await;
        let cid = named_user(&app, &org, "cid", "Cid", "C", "").await;
        let dan = named_user(&app, &org, "dan", "Dan", "D", "").await;
        named_user(&app, &org, "eve", "Eve", "E", "").await;
        // uczestnik_1 of suncode_api/zapisformularza, uczestnik_3 of suncode_api/faktury,
        // uczestnik_1 of another package, a global role used by faktury.
        let r1 = create_role(&app, &admin_token, json!({"name": "uczestnik_1",
            "package_id": "suncode_api", "process_id": "zapisformularza"})).await;
        let r3 = create_role(&app, &admin_token, json!({"name": "uczestnik_3",
            "package_id": "suncode_api", "process_id": "faktury"})).await;
        let other = create_role(&app, &admin_token, json!({"name": "uczestnik_1",
            "package_id": "other_pkg", "process_id": "zapisformularza"})).await;
        let global = create_role(&app, &admin_token, json!({"name": "ksiegowa"})).await;
        use_role(&app, &admin_token, global, json!({"package_id": "suncode_api", "process_id": "faktury"})).await;
        grant(&app, &admin_token, r1, ann).await;
        grant(&app, &admin_token, r3, ben).await;
        grant(&app, &admin_token, other, cid).await;
        grant(&app, &admin_token, global, dan).await;
        // The spec's example: OR across the list, AND inside one element; faktury also finds
        // the global role it uses.
        let found = by_roles(&app, &token, json!([
            {"processDefId": "zapisformularza", "packageId": "suncode_api", "roleIds": ["uczestnik_1"]},
            {"processDefId": "faktury", "packageId": "suncode_api", "roleIds": ["uczestnik_3"]}
        ])).await;
        assert_eq!(found, vec!["ann", "ben"]);
        let found = by_roles(&app, &token, json!([{"processDefId": "faktury", "packageId": "suncode_api"}])).await;
        assert_eq!(found, vec!["ben", "dan"]);
        let found = by_roles(&app, &token, json!([{"processDefId": "faktury", "roleIds": ["ksiegowa"]}])).await;
        assert_eq!(found, vec!["dan"]);
        // The use was recorded for suncode_api, not for other_pkg.
        let found = by_roles(&app, &token, json!([{"processDefId": "faktury", "packageId": "other_pkg"}])).await;
        assert!(found.is_empty(), "{found:?}");
        // Role names alone span scopes; the package alone narrows them.
        assert_eq!(by_roles(&app, &token, json!([{"roleIds": ["uczestnik_1"]}])).await, vec!["ann", "cid"]);
        assert_eq!(by_roles(&app, &token, json!([{"packageId": "suncode_api"}])).await, vec!["ann", "ben"]);
        // A process alone: its own roles (any package) and the global roles it uses.
        assert_eq!(by_roles(&app, &token, json!([{"processDefId": "zapisformularza"}])).await, vec!["ann", "cid"]);
        // AND inside an element: a role name of another scope matches nothing.
        assert!(by_roles(&app, &token, json!([{"packageId": "other_pkg", "roleIds": ["uczestnik_3"]}])).await.is_empty());
        // No element: nobody; an element without conditions: every role holder; empty texts
        // and lists are conditions left out.
        assert!(by_roles(&app, &token, json!([])).await.is_empty());
        assert_eq!(by_roles(&app, &token, json!([{}])).await, vec!["ann", "ben", "cid", "dan"]);
        assert_eq!(by_roles(&app, &token, json!([{"packageId": "", "processDefId": null, "roleIds": []}])).await,
            vec!["ann", "ben", "cid", "dan"]);
        // A user found twice is listed once; unknown members of an element are ignored.
        assert_eq!(by_roles(&app, &token, json!([{"roleIds": ["uczestnik_1", "uczestnik_3"], "x": 1},
            {"roleIds": ["uczestnik_1"]}])).await, vec!["ann", "ben", "cid"]);
        // The answer is a list of full UserInfo objects.
        let r = pw_post(&app, Auth::Bearer(&token), "users/by/roles", r#"[{"roleIds":["ksiegowa"]}]"#).await;
        assert_eq!(r.body[0]["fullName"], "Dan D");
        assert_eq!(r.body[0]["objectId"], dan);
    }

    async fn tenants_never_see_each_other(app) {
        let a = app.org("AAA").await;
        let b = app.org("BBB").await;
        let (_, admin_a) = admin(&app, &a, "boss").await;
        let (_, admin_b) = admin(&app, &b, "boss").await;
        let token_a = org_token(&app, &a).await;
        let token_b = org_token(&app, &b).await;
        let ann = named_user(&app, &a, "ann", "Ann", "Same", "").await;
        let bea = named_user(&app, &b, "bea", "Bea", "Same", "").await;
        let ra = create_role(&app, &admin_a, json!({"name": "shared", "process_id": "p"})).await;
        let rb = create_role(&app, &admin_b, json!({"name": "shared", "process_id": "p"})).await;
        grant(&app, &admin_a, ra, ann).await;
        grant(&app, &admin_b, rb, bea).await;
        assert_eq!(query(&app, &token_a, "query=same").await, (1, vec!["ann".into()]));
        assert_eq!(query(&app, &token_b, "query=same").await, (1, vec!["bea".into()]));
        assert_eq!(by_roles(&app, &token_a, json!([{"roleIds": ["shared"]}])).await, vec!["ann"]);
        assert_eq!(by_roles(&app, &token_b, json!([{"processDefId": "p"}])).await, vec!["bea"]);
        assert_pw_error(&pw_get(&app, Auth::Bearer(&token_a), "users/by/login?username=bea").await, 404);
        // Basic credentials pick the tenant too.
        let r = pw_get(&app, Auth::Basic("boss@BBB", "secret-pw"), "users/query?query=same").await;
        assert_eq!(logins(&r.body["data"]), vec!["bea"]);
    }
}
