//! Brity group mappings: users in user groups, bots in bot groups, bot groups under user
//! groups with U/R/M authorities, and the paged lists of a group's users and bots.

use crate::both;
use crate::brity_client::{brity, brity_admin, brity_user};
use crate::brity_tenant::{assert_coded, group_names, make_group, ok};
use crate::helpers::TestApp;
use reqwest::Method;
use serde_json::{json, Value};

fn mapping(group: i64, what: &str) -> String {
    format!("/tenant/api/v1/private/group/{group}/mapping/{what}")
}

/// A bot of the organization: a bot license issued by the administrator (native API) and
/// activated by an agent under `name`. Its id.
pub async fn make_bot(app: &TestApp, admin_token: &str, name: &str) -> String {
    let res = app
        .client
        .post(format!("{}/api/v1/licenses", app.url))
        .bearer_auth(admin_token)
        .json(&json!({"kind": "bot", "count": 1}))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 201);
    let issued: Value = res.json().await.expect("json");
    let key = issued[0]["key"].as_str().expect("key");
    let res = app
        .client
        .post(format!("{}/api/v1/agent/activate", app.url))
        .json(&json!({"license_key": key, "name": name, "computer_name": "pc", "ip_addr": "127.0.0.1", "os": "Linux", "agent_version": "test"}))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 200);
    let v: Value = res.json().await.expect("json");
    v["bot_id"].as_str().expect("bot_id").to_string()
}

/// The `userId`s of a mapped-users answer, in order.
fn user_ids(v: &Value) -> Vec<String> {
    v["list"]
        .as_array()
        .expect("list")
        .iter()
        .map(|u| u["userId"].as_str().expect("userId").to_string())
        .collect()
}

both! {
    async fn users_are_mapped_to_user_groups(app) {
        let a = app.org("AAA").await;
        let (boss_id, boss) = brity_admin(&app, &a, "boss").await;
        let ana = app.user(&a, "ana").await;
        app.user(&a, "carl").await;
        let g = make_group(&app, &boss, false, "usergroup0119").await;

        let v = ok(&app, &boss, Method::POST, &mapping(g, "users"),
            Some(json!({"mappingUserList": ["ANA", "boss", "ana"]}))).await;
        assert_eq!(v, json!({"result": "SUCCESS", "mappingList": [
            {"groupId": g, "userId": "ana", "groupType": 0, "groupName": "usergroup0119", "groupDescription": "usergroup0119 description"},
            {"groupId": g, "userId": "boss", "groupType": 0, "groupName": "usergroup0119", "groupDescription": "usergroup0119 description"}
        ]}));
        // The membership is the one every dialect sees: OmniBPM's group members.
        let omni = app.ok(&a, "group/user/list", json!({"group": {"__id__": g}})).await;
        let ids: Vec<i64> = omni["users"].as_array().unwrap().iter().map(|u| u["__id__"].as_i64().unwrap()).collect();
        assert_eq!(ids, [boss_id, ana], "{omni}");

        // The spec's example: a name filter and an order.
        let v = ok(&app, &boss, Method::GET, &mapping(g, "users"),
            Some(json!({"offset": 0, "limit": 10, "parameter": {"userNm": "BOS"}, "orderBy": "userNm"}))).await;
        assert_eq!(v["request"], json!({"offset": 0, "limit": 10, "parameter": {"userNm": "BOS", "groupId": g}, "orderBy": "userNm"}));
        assert_eq!(v["totalCount"], 1);
        let mis = app.id_of(&a, "department", "MIS Department").await;
        assert_eq!(v["list"], json!([{"userNm": "boss", "dptSq": mis.to_string(), "userId": "boss", "email": "boss@example.com"}]));
        let v = ok(&app, &boss, Method::GET, &mapping(g, "users"), Some(json!({"orderBy": "userId desc"}))).await;
        assert_eq!(user_ids(&v), ["boss", "ana"]);
        let v = ok(&app, &boss, Method::GET, &mapping(g, "users"), Some(json!({"parameter": {"deptSq": mis.to_string()}, "limit": 1}))).await;
        assert_eq!((v["totalCount"].as_i64(), v["listCount"].as_i64()), (Some(2), Some(1)));
        let v = ok(&app, &boss, Method::GET, &mapping(g, "users"), Some(json!({"parameter": {"deptSq": "mis dep", "userId": "an"}}))).await;
        assert_eq!(user_ids(&v), ["ana"]);
        let v = ok(&app, &boss, Method::GET, &mapping(g, "users"), Some(json!({"parameter": {"deptSq": "HR"}}))).await;
        assert_eq!(v["totalCount"], 0);

        // One unknown login and nothing is mapped.
        let r = brity(&app, Method::POST, Some(&boss), None, &mapping(g, "users"), Some(json!({"mappingUserList": ["carl", "ghost"]}))).await;
        assert_coded(&r, 404, "OBJECT_IS_NOT_EXIST");
        assert!(r.body["params"].as_str().unwrap().contains("ghost"), "{}", r.body);
        let v = ok(&app, &boss, Method::GET, &mapping(g, "users"), None).await;
        assert_eq!(user_ids(&v), ["ana", "boss"]);

        // Unmapping; users who are not members are no error.
        let v = ok(&app, &boss, Method::DELETE, &mapping(g, "users"), Some(json!({"mappingUserList": ["boss", "carl"]}))).await;
        assert_eq!(v, json!({"result": "SUCCESS"}));
        let v = ok(&app, &boss, Method::GET, &mapping(g, "users"), None).await;
        assert_eq!(user_ids(&v), ["ana"]);

        // The system groups' members are the system's: listed, never mapped.
        let all_users = ok(&app, &boss, Method::GET, "/group/AAA", None).await[0]["groupId"].as_i64().unwrap();
        let v = ok(&app, &boss, Method::GET, &mapping(all_users, "users"), None).await;
        assert_eq!(user_ids(&v), ["ana", "boss", "carl"]);
        for method in [Method::POST, Method::DELETE] {
            let r = brity(&app, method, Some(&boss), None, &mapping(all_users, "users"), Some(json!({"mappingUserList": ["ana"]}))).await;
            assert_coded(&r, 403, "NO_AUTHORITY");
        }

        // A bot group has no users; bad bodies are refused.
        let bots = make_group(&app, &boss, true, "bots").await;
        let r = brity(&app, Method::POST, Some(&boss), None, &mapping(bots, "users"), Some(json!({"mappingUserList": ["ana"]}))).await;
        assert_coded(&r, 404, "OBJECT_IS_NOT_EXIST");
        let r = brity(&app, Method::GET, Some(&boss), None, &mapping(bots, "users"), None).await;
        assert_coded(&r, 404, "OBJECT_IS_NOT_EXIST");
        for body in [json!({}), json!({"mappingUserList": "ana"}), json!({"mappingUserList": [{"id": 1}]}), json!({"mappingUserList": (0..1001).map(|i| format!("u{i}")).collect::<Vec<_>>()})] {
            let r = brity(&app, Method::POST, Some(&boss), None, &mapping(g, "users"), Some(body)).await;
            assert_coded(&r, 400, "INVALID_PARAMETER");
        }
        let r = brity(&app, Method::GET, Some(&boss), None, &mapping(g, "users"), Some(json!({"orderBy": "password"}))).await;
        assert_coded(&r, 400, "INVALID_PARAMETER");
        let r = brity(&app, Method::GET, Some(&boss), None, &mapping(999_999, "users"), None).await;
        assert_coded(&r, 404, "OBJECT_IS_NOT_EXIST");
        let r = brity(&app, Method::GET, Some(&boss), None, "/tenant/api/v1/private/group/x1/mapping/users", None).await;
        assert_coded(&r, 400, "INVALID_PARAMETER");
    }

    async fn bot_groups_are_mapped_under_user_groups_with_authorities(app) {
        let a = app.org("AAA").await;
        let (_, boss) = brity_admin(&app, &a, "boss").await;
        let (_, ana) = brity_user(&app, &a, "ana").await;
        let team = make_group(&app, &boss, false, "Team").await;
        let b1 = make_group(&app, &boss, true, "B1").await;
        let b2 = make_group(&app, &boss, true, "B2").await;

        let v = ok(&app, &boss, Method::POST, &mapping(team, "groups"), Some(json!({"mappingGroupList": [
            {"groupId": b1, "authU": 1, "authR": 1, "authM": 1},
            {"groupId": b2, "authU": 0, "authR": 1, "authM": 0}
        ]}))).await;
        assert_eq!(v["result"], "SUCCESS");
        let list = v["mappingGroupList"].as_array().unwrap();
        assert_eq!(list.len(), 2);
        for (item, (bot_group, u, r, m)) in list.iter().zip([(b1, 1, 1, 1), (b2, 0, 1, 0)]) {
            assert_eq!(item["createUserId"], "boss");
            assert_eq!(item["id"], json!({"groupId": bot_group, "parentGroupId": team}));
            assert_eq!((item["authU"].as_i64(), item["authR"].as_i64(), item["authM"].as_i64()), (Some(u), Some(r), Some(m)));
            // 2023-01-18T08:38:28.343+00:00
            let ts = item["createTimestamp"].as_str().unwrap();
            assert!(ts.len() == 29 && ts.ends_with("+00:00") && ts.as_bytes()[19] == b'.', "{ts}");
            assert_eq!(item.as_object().unwrap().len(), 6);
        }
        // Mapping again changes the authorities (the last entry of a group counts).
        let v = ok(&app, &boss, Method::POST, &mapping(team, "groups"), Some(json!({"mappingGroupList": [
            {"groupId": b2, "authU": 1}, {"groupId": b2, "authM": "1"}
        ]}))).await;
        let item = &v["mappingGroupList"][0];
        assert_eq!((item["authU"].as_i64(), item["authR"].as_i64(), item["authM"].as_i64()), (Some(0), Some(0), Some(1)));
        assert_eq!(v["mappingGroupList"].as_array().unwrap().len(), 1);

        // Members of the user group see the bot groups mapped to it.
        ok(&app, &boss, Method::POST, &mapping(team, "users"), Some(json!({"mappingUserList": ["ana"]}))).await;
        let v = ok(&app, &ana, Method::POST, "/tenant/api/v1/admin/group/list", Some(json!({"parameter": {"groupType": 1}}))).await;
        assert_eq!(group_names(&v), ["B1", "B2"]);
        let v = ok(&app, &boss, Method::DELETE, &mapping(team, "groups"), Some(json!({"mappingGroupList": [b1]}))).await;
        assert_eq!(v, json!({"result": "SUCCESS"}));
        let v = ok(&app, &ana, Method::POST, "/tenant/api/v1/admin/group/list", Some(json!({"parameter": {"groupType": 1}}))).await;
        assert_eq!(group_names(&v), ["B2"]);
        // Mapping a bot group to the All Users group reaches everyone.
        let all_users = ok(&app, &boss, Method::GET, "/group/AAA", None).await[0]["groupId"].as_i64().unwrap();
        ok(&app, &boss, Method::POST, &mapping(all_users, "groups"), Some(json!({"mappingGroupList": [{"groupId": b1, "authR": 1}]}))).await;
        let v = ok(&app, &ana, Method::POST, "/tenant/api/v1/admin/group/list", Some(json!({"parameter": {"groupType": 1}}))).await;
        assert_eq!(group_names(&v), ["B1", "B2"]);

        // Wrong kinds, unknown ids and bad values write nothing.
        for (group, body, status, value) in [
            (b1, json!({"mappingGroupList": [{"groupId": b2, "authR": 1}]}), 404, "OBJECT_IS_NOT_EXIST"),
            (team, json!({"mappingGroupList": [{"groupId": b1, "authR": 1}, {"groupId": team, "authR": 1}]}), 404, "OBJECT_IS_NOT_EXIST"),
            (team, json!({"mappingGroupList": [{"groupId": b1, "authU": 2}]}), 400, "INVALID_PARAMETER"),
            (team, json!({"mappingGroupList": [{"authU": 1}]}), 400, "INVALID_PARAMETER"),
            (team, json!({"mappingGroupList": [b1]}), 400, "INVALID_PARAMETER"),
            (team, json!({}), 400, "INVALID_PARAMETER"),
        ] {
            let r = brity(&app, Method::POST, Some(&boss), None, &mapping(group, "groups"), Some(body)).await;
            assert_coded(&r, status, value);
        }
        let v = ok(&app, &ana, Method::POST, "/tenant/api/v1/admin/group/list", Some(json!({"parameter": {"groupType": 1}}))).await;
        assert_eq!(group_names(&v), ["B1", "B2"]);
        let r = brity(&app, Method::DELETE, Some(&boss), None, &mapping(team, "groups"), Some(json!({"mappingGroupList": ["B1"]}))).await;
        assert_coded(&r, 400, "INVALID_PARAMETER");

        // Deleting a bot group removes its mappings.
        ok(&app, &boss, Method::DELETE, "/tenant/api/v1/private/group/bot", Some(json!({"groupId": b2}))).await;
        let v = ok(&app, &ana, Method::POST, "/tenant/api/v1/admin/group/list", Some(json!({"parameter": {"groupType": 1}}))).await;
        assert_eq!(group_names(&v), ["B1"]);

        // Administrators only; another tenant's groups are not found.
        let r = brity(&app, Method::POST, Some(&ana), None, &mapping(team, "groups"), Some(json!({"mappingGroupList": [{"groupId": b1, "authU": 1}]}))).await;
        assert_coded(&r, 403, "NO_AUTHORITY");
        let b = app.org("BBB").await;
        let (_, boss_b) = brity_admin(&app, &b, "boss").await;
        let theirs = make_group(&app, &boss_b, true, "Theirs").await;
        let r = brity(&app, Method::POST, Some(&boss), None, &mapping(team, "groups"), Some(json!({"mappingGroupList": [{"groupId": theirs, "authU": 1}]}))).await;
        assert_coded(&r, 404, "OBJECT_IS_NOT_EXIST");
        let r = brity(&app, Method::DELETE, Some(&boss_b), None, &mapping(team, "groups"), Some(json!({"mappingGroupList": [theirs]}))).await;
        assert_coded(&r, 404, "OBJECT_IS_NOT_EXIST");
    }

    async fn bots_are_mapped_to_bot_groups(app) {
        let a = app.org("AAA").await;
        let (_, boss) = brity_admin(&app, &a, "boss").await;
        let bot1 = make_bot(&app, &boss, "alpha").await;
        let bot2 = make_bot(&app, &boss, "beta").await;
        let g = make_group(&app, &boss, true, "0119 test").await;

        let v = ok(&app, &boss, Method::POST, &mapping(g, "bots"), Some(json!({"mappingBotList": [bot1, bot2, bot1]}))).await;
        assert_eq!(v, json!({"result": "SUCCESS", "mappingList": [
            {"groupId": g, "userId": bot1, "groupType": 1, "groupName": "0119 test", "groupDescription": "0119 test description"},
            {"groupId": g, "userId": bot2, "groupType": 1, "groupName": "0119 test", "groupDescription": "0119 test description"}
        ]}));
        let v = ok(&app, &boss, Method::GET, &mapping(g, "bots"), Some(json!({"offset": 0, "limit": 10, "parameter": {"botNm": "ALP"}, "orderBy": "botId"}))).await;
        assert_eq!(v["request"], json!({"offset": 0, "limit": 10, "parameter": {"botNm": "ALP", "groupId": g, "groupType": 1}, "orderBy": "botId"}));
        assert_eq!(v["list"], json!([{"botId": bot1, "botNm": "alpha"}]));
        assert_eq!((v["totalCount"].as_i64(), v["listCount"].as_i64()), (Some(1), Some(1)));
        let v = ok(&app, &boss, Method::GET, &mapping(g, "bots"), Some(json!({"parameter": {"botId": &bot2[4..]}}))).await;
        assert_eq!(v["list"], json!([{"botId": bot2, "botNm": "beta"}]));
        let v = ok(&app, &boss, Method::GET, &mapping(g, "bots"), Some(json!({"orderBy": "botNm desc"}))).await;
        assert_eq!(v["list"], json!([{"botId": bot2, "botNm": "beta"}, {"botId": bot1, "botNm": "alpha"}]));

        // A bot's tenant, by client id.
        let v = ok(&app, &boss, Method::POST, "/tenant/api/v1/private/catalog/tenantinfoByUserId", Some(json!({"clientId": bot1, "clientType": 1}))).await;
        assert_eq!(v[0]["tenantId"], "AAA");

        // Unmapping: the spec's example names the list mappingGroupList.
        ok(&app, &boss, Method::DELETE, &mapping(g, "bots"), Some(json!({"mappingGroupList": [bot1]}))).await;
        let v = ok(&app, &boss, Method::GET, &mapping(g, "bots"), None).await;
        assert_eq!(v["list"], json!([{"botId": bot2, "botNm": "beta"}]));
        ok(&app, &boss, Method::DELETE, &mapping(g, "bots"), Some(json!({"mappingBotList": [bot2, bot1]}))).await;
        assert_eq!(ok(&app, &boss, Method::GET, &mapping(g, "bots"), None).await["totalCount"], 0);

        // Another tenant's bots and unknown ids are not found; nothing is written.
        let b = app.org("BBB").await;
        let (_, boss_b) = brity_admin(&app, &b, "boss").await;
        let theirs = make_bot(&app, &boss_b, "alpha").await;
        for list in [json!([bot1, theirs]), json!([bot1, "BOT-NOPE"]), json!([284])] {
            let r = brity(&app, Method::POST, Some(&boss), None, &mapping(g, "bots"), Some(json!({"mappingBotList": list}))).await;
            assert_coded(&r, 404, "OBJECT_IS_NOT_EXIST");
        }
        assert_eq!(ok(&app, &boss, Method::GET, &mapping(g, "bots"), None).await["totalCount"], 0);
        let v = ok(&app, &boss, Method::POST, "/tenant/api/v1/private/catalog/tenantinfoByUserId", Some(json!({"clientId": theirs, "clientType": 1}))).await;
        assert_eq!(v, json!([]));
        // A user group holds no bots; a bot group of another tenant is not found.
        let users = make_group(&app, &boss, false, "people").await;
        let r = brity(&app, Method::POST, Some(&boss), None, &mapping(users, "bots"), Some(json!({"mappingBotList": [bot1]}))).await;
        assert_coded(&r, 404, "OBJECT_IS_NOT_EXIST");
        let r = brity(&app, Method::GET, Some(&boss_b), None, &mapping(g, "bots"), None).await;
        assert_coded(&r, 404, "OBJECT_IS_NOT_EXIST");
        for (body, status) in [(json!({}), 400), (json!({"mappingBotList": [true]}), 400)] {
            let r = brity(&app, Method::POST, Some(&boss), None, &mapping(g, "bots"), Some(body)).await;
            assert_eq!(r.status, status, "{}", r.body);
        }
        let r = brity(&app, Method::GET, Some(&boss), None, &mapping(g, "bots"), Some(json!({"orderBy": "os"}))).await;
        assert_coded(&r, 400, "INVALID_PARAMETER");
        // Administrators only.
        let (_, ana) = brity_user(&app, &a, "ana").await;
        for method in [Method::GET, Method::POST, Method::DELETE] {
            let r = brity(&app, method, Some(&ana), None, &mapping(g, "bots"), Some(json!({"mappingBotList": [bot1]}))).await;
            assert_coded(&r, 403, "NO_AUTHORITY");
        }
        // Deleting the bot group removes its bot list.
        ok(&app, &boss, Method::POST, &mapping(g, "bots"), Some(json!({"mappingBotList": [bot1]}))).await;
        ok(&app, &boss, Method::DELETE, "/tenant/api/v1/private/group/bot", Some(json!({"groupId": g}))).await;
        let r = brity(&app, Method::GET, Some(&boss), None, &mapping(g, "bots"), None).await;
        assert_coded(&r, 404, "OBJECT_IS_NOT_EXIST");
    }
}
