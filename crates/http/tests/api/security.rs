//! Hostile and malformed input, and tenant isolation, across the OmniBPM endpoints: every
//! refusal is an OmniBPM error with a 4xx status (never a 500), and nothing is written.
//! And the SSRF guard on the URLs users give the server to call (Brity job callbacks).

use crate::both;
use crate::helpers::{Org, TestApp, MASTER_KEY};
use reqwest::header::HeaderMap;
use serde_json::{json, Value};

const SQL: &str = "x'; DROP TABLE users;--";
const PATH: &str = "../../etc/passwd";

/// A response with its headers and JSON body.
struct Reply {
    status: u16,
    headers: HeaderMap,
    body: Value,
}

impl Reply {
    /// Asserts `{"RESPONSE":"ERR","RMSG":"..."}` with a 4xx status (`status` if given).
    fn assert_omni_err(&self, status: Option<u16>, what: &str) {
        assert!(
            (400..500).contains(&self.status),
            "{what}: status {} {}",
            self.status,
            self.body
        );
        if let Some(s) = status {
            assert_eq!(self.status, s, "{what}: {}", self.body);
        }
        assert_eq!(self.body["RESPONSE"], "ERR", "{what}: {}", self.body);
        let msg = self.body["RMSG"].as_str().unwrap_or_default();
        assert!(!msg.is_empty(), "{what}: RMSG {}", self.body);
        assert_eq!(
            self.body.as_object().unwrap().len(),
            2,
            "{what}: only RESPONSE and RMSG: {}",
            self.body
        );
    }

    fn request_id(&self) -> Option<&str> {
        self.headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
    }
}

async fn send(req: reqwest::RequestBuilder) -> Reply {
    let res = req.send().await.expect("request");
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let text = res.text().await.expect("body");
    let body =
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text:?}"));
    Reply {
        status,
        headers,
        body,
    }
}

/// POSTs raw bytes to an OmniBPM path.
async fn raw(
    app: &TestApp,
    path: &str,
    content_type: &str,
    body: impl Into<reqwest::Body>,
) -> Reply {
    send(
        app.client
            .post(format!("{}/api/v0.1/{path}/", app.url))
            .header("content-type", content_type)
            .body(body),
    )
    .await
}

/// POSTs a JSON body (with the organization's key) and returns the full reply.
async fn call(app: &TestApp, org: &Org, path: &str, mut body: Value) -> Reply {
    body["api_key"] = json!(org.key);
    send(
        app.client
            .post(format!("{}/api/v0.1/{path}/", app.url))
            .json(&body),
    )
    .await
}

/// Everything an organization holds, as its own key sees it.
async fn snapshot(app: &TestApp, org: &Org) -> Value {
    let org_v = app.ok(org, "organization/get", json!({})).await;
    let users = app.ok(org, "user/list", json!({})).await;
    let depts = app.ok(org, "department/list", json!({})).await;
    let ranks = app.ok(org, "rank/list", json!({})).await;
    let groups = app.ok(org, "group/list", json!({})).await;
    let mut members = Vec::new();
    for g in groups["groups"].as_array().unwrap() {
        let m = app
            .ok(
                org,
                "group/user/list",
                json!({"group": {"__id__": g["__id__"]}}),
            )
            .await;
        members.push(json!({"group": g["__id__"], "users": m["users"]}));
    }
    json!({
        "organization": org_v["organization"],
        "users": users["users"],
        "departments": depts["departments"],
        "ranks": ranks["ranks"],
        "groups": groups["groups"],
        "members": members,
    })
}

/// Every organization, as the master key sees them.
async fn organizations(app: &TestApp) -> Value {
    let (s, v) = app
        .omni("organization/list", json!({"api_key": MASTER_KEY}))
        .await;
    assert_eq!(s, 200, "{v}");
    v["organizations"].clone()
}

/// An organization with a user, an extra department, rank and group (with the user in it).
struct Fixture {
    org: Org,
    user: i64,
    dept: i64,
    rank: i64,
    group: i64,
}

async fn fixture(app: &TestApp, abbr: &str) -> Fixture {
    let org = app.org(abbr).await;
    let user = app.user(&org, "member").await;
    let dept = app
        .ok(
            &org,
            "department/create",
            json!({"department": {"name": format!("{abbr} Lab")}}),
        )
        .await["department"]["__id__"]
        .as_i64()
        .unwrap();
    let rank = app
        .ok(
            &org,
            "rank/create",
            json!({"rank": {"name": format!("{abbr} Intern"), "level": 5}}),
        )
        .await["rank"]["__id__"]
        .as_i64()
        .unwrap();
    let group = app
        .ok(
            &org,
            "group/create",
            json!({"group": {"name": format!("{abbr} Team")}, "users": [{"__id__": user}]}),
        )
        .await["group"]["__id__"]
        .as_i64()
        .unwrap();
    Fixture {
        org,
        user,
        dept,
        rank,
        group,
    }
}

/// A valid user/create body for `login`, placed in the default MIS department.
async fn new_user(app: &TestApp, org: &Org, login: &str) -> Value {
    let dept = app.id_of(org, "department", "MIS Department").await;
    let rank = app.id_of(org, "rank", "Specialist").await;
    json!({"user": {
        "username": format!("{login}@{}", org.abbr),
        "display_name": login,
        "email": format!("{login}@example.com"),
        "password": "secret-pw",
        "rank": {"__id__": rank},
        "department": {"__id__": dept}
    }})
}

both! {
    async fn malformed_bodies_are_refused(app) {
        let f = fixture(&app, "ACME").await;
        let before = snapshot(&app, &f.org).await;
        let orgs = organizations(&app).await;
        let nested = "[".repeat(100_000);
        let bodies: Vec<(&str, Vec<u8>)> = vec![
            ("not JSON", b"{not json".to_vec()),
            ("truncated", format!("{{\"api_key\": \"{}\", \"user\": {{", f.org.key).into_bytes()),
            ("trailing garbage", format!("{{\"api_key\": \"{}\"}} trailing", f.org.key).into_bytes()),
            ("array", format!("[{{\"api_key\": \"{}\"}}]", f.org.key).into_bytes()),
            ("string", b"\"hello\"".to_vec()),
            ("number", b"42".to_vec()),
            ("null", b"null".to_vec()),
            ("empty", Vec::new()),
            ("invalid UTF-8", b"{\"api_key\": \"\xff\xfe\"}".to_vec()),
            ("deeply nested", nested.into_bytes()),
            ("form", format!("api_key={}", f.org.key).into_bytes()),
        ];
        for path in ["user/list", "user/create", "user/delete", "department/create", "rank/delete",
                     "group/user/add", "organization/create", "organization/importusers"] {
            for (what, body) in &bodies {
                let r = raw(&app, path, "application/json", body.clone()).await;
                r.assert_omni_err(Some(400), &format!("{path}, {what}"));
            }
        }
        // The content type does not change that.
        let r = raw(&app, "user/list", "application/x-www-form-urlencoded", format!("api_key={}", f.org.key)).await;
        r.assert_omni_err(Some(400), "form body");
        assert_eq!(snapshot(&app, &f.org).await, before);
        assert_eq!(organizations(&app).await, orgs);
    }

    async fn wrong_types_are_refused(app) {
        let f = fixture(&app, "ACME").await;
        let org = &f.org;
        let before = snapshot(&app, org).await;
        let good = new_user(&app, org, "newbie").await;
        let with = |path: &str, value: Value| {
            let mut body = good.clone();
            let (obj, key) = path.split_once('.').unwrap();
            body[obj][key] = value;
            body
        };
        let cases: Vec<(&str, Value)> = vec![
            ("user/create", json!({"user": "newbie@ACME"})),
            ("user/create", json!({"user": [good["user"].clone()]})),
            ("user/create", with("user.username", json!(42))),
            ("user/create", with("user.username", json!(["newbie@ACME"]))),
            ("user/create", with("user.display_name", json!({"text": "x"}))),
            ("user/create", with("user.is_active", json!("yes"))),
            ("user/create", with("user.is_external", json!(1))),
            ("user/create", with("user.rank", json!(f.rank))),
            ("user/create", with("user.rank", json!({"__id__": format!("id-{}", f.rank)}))),
            ("user/create", with("user.rank", json!({"__id__": 1.5}))),
            ("user/create", with("user.rank", json!({"__id__": 1e30}))),
            ("user/create", with("user.rank", json!({"__id__": u64::MAX}))),
            ("user/create", with("user.department", json!({"id": f.dept}))),
            ("user/create", with("user.department", json!({"__id__": f.dept, "__model__": "UserRank"}))),
            ("user/create", with("user.__client_extra__", json!("text"))),
            ("user/create", with("user.__client_extra__", json!([1, 2]))),
            ("user/create", with("user.__model__", json!("Department"))),
            ("user/create", json!({"user": good["user"], "with_admin_permissions": "true"})),
            ("user/update", json!({"user": {"__id__": format!("id-{}", f.user), "display_name": "x"}})),
            ("user/update", json!({"user": {"__id__": f.user, "display_name": 7}})),
            ("user/update", json!({"user": {"__id__": f.user, "password": 12345678}})),
            ("user/delete", json!({"user": {"__id__": true}})),
            ("user/delete", json!({"user": {"__id__": null}})),
            ("department/create", json!({"department": {"name": ["x"]}})),
            ("department/create", json!({"department": {"name": "x", "parent_department": "CEO's Office"}})),
            ("department/update", json!({"department": {"__id__": f.dept, "is_active": "false"}})),
            ("department/update", json!({"department": {"__id__": f.dept, "organization_id": "1"}})),
            ("rank/create", json!({"rank": {"name": "Boss", "level": "high"}})),
            ("rank/create", json!({"rank": {"name": "Boss", "level": 2.5}})),
            ("rank/update", json!({"rank": {"__id__": f.rank, "name": false}})),
            ("rank/order", json!({"rank_order": "all"})),
            ("rank/order", json!({"rank_order": [1, 2, 3]})),
            ("group/create", json!({"group": {"name": "G2"}, "users": f.user})),
            ("group/update", json!({"group": {"__id__": f.group, "is_active": 0}})),
            ("group/user/add", json!({"group": {"__id__": f.group}, "users": {"__id__": f.user}})),
            ("group/user/add", json!({"group": {"__id__": f.group}, "users": [f.user]})),
            ("group/user/remove", json!({"group": f.group, "users": [{"__id__": f.user}]})),
            ("organization/update", json!({"organization": {"name": 3}})),
            ("organization/importusers", json!({"users": {"username": "x@ACME"}})),
        ];
        for (path, body) in cases {
            let r = call(&app, org, path, body.clone()).await;
            r.assert_omni_err(Some(400), &format!("{path} {body}"));
        }
        // An api_key that is not a string is no key.
        for key in [json!(12345), json!(null), json!([org.key]), json!({"key": org.key})] {
            let (s, v) = app.omni("user/list", json!({"api_key": key})).await;
            assert_eq!((s, &v["RESPONSE"]), (401, &json!("ERR")), "{key}: {v}");
        }
        assert_eq!(snapshot(&app, org).await, before);
        // The good body works, so the refusals above were about the bad values.
        app.ok(org, "user/create", good).await;
    }

    async fn missing_ids_and_members_are_refused(app) {
        let f = fixture(&app, "ACME").await;
        let org = &f.org;
        let before = snapshot(&app, org).await;
        let good = new_user(&app, org, "newbie").await;
        let without = |key: &str| {
            let mut body = good.clone();
            body["user"].as_object_mut().unwrap().remove(key);
            body
        };
        let cases: Vec<(&str, Value)> = vec![
            ("user/create", json!({})),
            ("user/create", json!({"user": null})),
            ("user/create", without("username")),
            ("user/create", without("display_name")),
            ("user/create", without("rank")),
            ("user/create", without("department")),
            ("user/update", json!({"user": {"display_name": "x"}})),
            ("user/delete", json!({"user": {}})),
            ("user/delete", json!({})),
            ("user/inactivate", json!({"user": {}})),
            ("user/activate", json!({})),
            ("department/create", json!({"department": {}})),
            ("department/update", json!({"department": {"name": "x"}})),
            ("department/delete", json!({"department": {}})),
            ("department/inactivate", json!({})),
            ("rank/create", json!({"rank": {"name": "x"}})),
            ("rank/create", json!({"rank": {"level": 9}})),
            ("rank/update", json!({"rank": {"name": "x"}})),
            ("rank/delete", json!({"rank": {}})),
            ("rank/order", json!({})),
            ("group/create", json!({"group": {}})),
            ("group/update", json!({"group": {"name": "x"}})),
            ("group/delete", json!({"group": {}})),
            ("group/user/list", json!({})),
            ("group/user/add", json!({"group": {"__id__": f.group}})),
            ("group/user/add", json!({"users": [{"__id__": f.user}]})),
            ("group/user/remove", json!({"group": {"__id__": f.group}})),
            ("organization/update", json!({})),
            ("organization/importusers", json!({})),
        ];
        for (path, body) in cases {
            let r = call(&app, org, path, body.clone()).await;
            r.assert_omni_err(Some(400), &format!("{path} {body}"));
        }
        assert_eq!(snapshot(&app, org).await, before);
    }

    async fn unknown_ids_are_not_found(app) {
        let f = fixture(&app, "ACME").await;
        let org = &f.org;
        let before = snapshot(&app, org).await;
        let good = new_user(&app, org, "newbie").await;
        for id in [999_999_i64, 0, -1, i64::MAX, i64::MIN] {
            let mut bad_rank = good.clone();
            bad_rank["user"]["rank"] = json!({"__id__": id});
            let mut bad_dept = good.clone();
            bad_dept["user"]["department"] = json!({"__id__": id});
            let cases: Vec<(&str, Value)> = vec![
                ("user/update", json!({"user": {"__id__": id, "display_name": "x"}})),
                ("user/update", json!({"user": {"__id__": f.user, "rank": {"__id__": id}}})),
                ("user/update", json!({"user": {"__id__": f.user, "department": {"__id__": id}}})),
                ("user/delete", json!({"user": {"__id__": id}})),
                ("user/inactivate", json!({"user": {"__id__": id}})),
                ("user/activate", json!({"user": {"__id__": id}})),
                ("user/create", bad_rank),
                ("user/create", bad_dept),
                ("department/update", json!({"department": {"__id__": id, "name": "x"}})),
                ("department/update", json!({"department": {"__id__": f.dept, "parent_department": {"__id__": id}}})),
                ("department/update", json!({"department": {"__id__": f.dept, "department_head": {"__id__": id}}})),
                ("department/create", json!({"department": {"name": "New", "parent_department": {"__id__": id}}})),
                ("department/create", json!({"department": {"name": "New", "department_head": {"__id__": id}}})),
                ("department/delete", json!({"department": {"__id__": id}})),
                ("department/inactivate", json!({"department": {"__id__": id}})),
                ("rank/update", json!({"rank": {"__id__": id, "name": "x"}})),
                ("rank/delete", json!({"rank": {"__id__": id}})),
                ("rank/activate", json!({"rank": {"__id__": id}})),
                ("group/update", json!({"group": {"__id__": id, "name": "x"}})),
                ("group/delete", json!({"group": {"__id__": id}})),
                ("group/user/list", json!({"group": {"__id__": id}})),
                ("group/user/add", json!({"group": {"__id__": id}, "users": [{"__id__": f.user}]})),
                ("group/user/add", json!({"group": {"__id__": f.group}, "users": [{"__id__": id}]})),
                ("group/user/remove", json!({"group": {"__id__": f.group}, "users": [{"__id__": id}]})),
                ("group/create", json!({"group": {"name": "New"}, "users": [{"__id__": id}]})),
                ("organization/update", json!({"organization": {"__id__": id, "name": "x"}})),
            ];
            for (path, body) in cases {
                let r = call(&app, org, path, body.clone()).await;
                r.assert_omni_err(Some(404), &format!("{path} {body}"));
            }
        }
        assert_eq!(snapshot(&app, org).await, before);
        // A list with one good and one unknown member writes nothing.
        let newbie = app.user(org, "newbie").await;
        let before = snapshot(&app, org).await;
        let r = call(&app, org, "group/user/add", json!({"group": {"__id__": f.group},
            "users": [{"__id__": newbie}, {"__id__": 999_999}]})).await;
        r.assert_omni_err(Some(404), "group/user/add, partly unknown");
        let r = call(&app, org, "group/create", json!({"group": {"name": "Half"},
            "users": [{"__id__": newbie}, {"__id__": 999_999}]})).await;
        r.assert_omni_err(Some(404), "group/create, partly unknown");
        assert_eq!(snapshot(&app, org).await, before);
    }

    async fn over_long_strings_are_refused(app) {
        let f = fixture(&app, "ACME").await;
        let org = &f.org;
        let before = snapshot(&app, org).await;
        let orgs = organizations(&app).await;
        let long = "x".repeat(10_000);
        let good = new_user(&app, org, "newbie").await;
        let with = |key: &str, value: Value| {
            let mut body = good.clone();
            body["user"][key] = value;
            body
        };
        let cases: Vec<(&str, Value)> = vec![
            ("user/create", with("username", json!(format!("{long}@ACME")))),
            ("user/create", with("username", json!(format!("newbie@{long}")))),
            ("user/create", with("display_name", json!(long))),
            ("user/create", with("email", json!(format!("{long}@example.com")))),
            ("user/create", with("password", json!(long))),
            ("user/update", json!({"user": {"__id__": f.user, "display_name": long}})),
            ("user/update", json!({"user": {"__id__": f.user, "email": format!("a@{long}.com")}})),
            ("user/update", json!({"user": {"__id__": f.user, "password": long}})),
            ("department/create", json!({"department": {"name": long}})),
            ("department/update", json!({"department": {"__id__": f.dept, "name": long}})),
            ("rank/create", json!({"rank": {"name": long, "level": 9}})),
            ("rank/update", json!({"rank": {"__id__": f.rank, "name": long}})),
            ("group/create", json!({"group": {"name": long}})),
            ("group/update", json!({"group": {"__id__": f.group, "name": long}})),
            ("organization/update", json!({"organization": {"name": long}})),
            ("organization/importusers", json!({"users": [{"display_name": long, "username": "imp@ACME",
                "email": "imp@example.com", "is_external": false, "is_active": true,
                "department": {"__id__": f.dept}, "rank": {"__id__": f.rank}}]})),
        ];
        for (path, body) in cases {
            let r = call(&app, org, path, body).await;
            r.assert_omni_err(Some(400), path);
        }
        for o in [json!({"name": long, "abbr": "LONG"}), json!({"name": "Long", "abbr": long})] {
            let (s, v) = app.omni("organization/create", json!({"api_key": MASTER_KEY, "organization": o})).await;
            assert_eq!((s, &v["RESPONSE"]), (400, &json!("ERR")), "{v}");
        }
        // Control characters are refused too.
        for name in ["a\u{0}b", "line\nbreak", "tab\there", "\u{7f}"] {
            let r = call(&app, org, "department/create", json!({"department": {"name": name}})).await;
            r.assert_omni_err(Some(400), &format!("department name {name:?}"));
        }
        assert_eq!(snapshot(&app, org).await, before);
        assert_eq!(organizations(&app).await, orgs);
        // The limit is on characters, not bytes: 200 characters of any script fit.
        for name in ["d".repeat(200), "打".repeat(200)] {
            let v = app.ok(org, "department/create", json!({"department": {"name": name}})).await;
            assert_eq!(v["department"]["name"], name.as_str());
        }
        let r = call(&app, org, "department/create", json!({"department": {"name": "e".repeat(201)}})).await;
        r.assert_omni_err(Some(400), "201 characters");
    }

    async fn sql_and_path_like_logins_are_refused(app) {
        let f = fixture(&app, "ACME").await;
        let org = &f.org;
        let before = snapshot(&app, org).await;
        let good = new_user(&app, org, "newbie").await;
        for login in [SQL, PATH, "a/b", "a\\b", "a b", "a@b", "<script>", "%2e%2e%2f", "\u{0}"] {
            let mut body = good.clone();
            body["user"]["username"] = json!(format!("{login}@ACME"));
            let r = call(&app, org, "user/create", body).await;
            r.assert_omni_err(Some(400), login);
        }
        // As the organization part of a username, too.
        for abbr in [format!("ACME{SQL}"), PATH.to_string()] {
            let mut body = good.clone();
            body["user"]["username"] = json!(format!("newbie@{abbr}"));
            call(&app, org, "user/create", body).await.assert_omni_err(Some(400), &abbr);
        }
        // As an email address with spaces.
        let mut body = good.clone();
        body["user"]["email"] = json!(format!("{SQL}@example.com"));
        call(&app, org, "user/create", body).await.assert_omni_err(Some(400), "email");
        // As an abbreviation.
        for abbr in [SQL, PATH] {
            let (s, v) = app.omni("organization/create", json!({"api_key": MASTER_KEY,
                "organization": {"name": "Evil", "abbr": abbr}})).await;
            assert_eq!((s, &v["RESPONSE"]), (400, &json!("ERR")), "{v}");
        }
        // As an API key.
        for key in [SQL, PATH, "' OR '1'='1"] {
            let (s, v) = app.omni("user/list", json!({"api_key": key})).await;
            assert_eq!((s, &v["RESPONSE"]), (401, &json!("ERR")), "{v}");
            let (s, v) = app.omni("organization/list", json!({"api_key": key})).await;
            assert_eq!((s, &v["RESPONSE"]), (403, &json!("ERR")), "{v}");
        }
        assert_eq!(snapshot(&app, org).await, before);
        assert_eq!(organizations(&app).await.as_array().unwrap().len(), 1);
    }

    async fn sql_and_path_like_names_are_stored_verbatim(app) {
        // A name is free text: quotes, semicolons and slashes are ordinary characters, kept
        // exactly, and nothing is executed or resolved.
        let f = fixture(&app, "ACME").await;
        let org = &f.org;
        for name in [SQL, PATH, "O'Brien \"Bob\"", "%s%n{0}", "Robert'); DELETE FROM departments; --"] {
            let v = app.ok(org, "department/create", json!({"department": {"name": name}})).await;
            assert_eq!(v["department"]["name"], name);
            let v = app.ok(org, "rank/create", json!({"rank": {"name": name,
                "level": 10 + app.ok(org, "rank/list", json!({})).await["ranks"].as_array().unwrap().len()}})).await;
            assert_eq!(v["rank"]["name"], name);
            let v = app.ok(org, "group/create", json!({"group": {"name": name}})).await;
            assert_eq!(v["group"]["name"], name);
            let v = app.ok(org, "user/update", json!({"user": {"__id__": f.user, "display_name": name}})).await;
            assert_eq!(v["user"]["display_name"], name);
            // The same name again is a duplicate, not a second row.
            app.err(org, "department/create", json!({"department": {"name": name}}), 409).await;
        }
        let users = app.ok(org, "user/list", json!({})).await;
        assert_eq!(users["users"].as_array().unwrap().len(), 1, "{users}");
        let depts = app.ok(org, "department/list", json!({})).await;
        assert!(depts["departments"].as_array().unwrap().iter().any(|d| d["name"] == SQL));
        // Names are not patterns either.
        app.ok(org, "department/create", json!({"department": {"name": "%"}})).await;
        app.ok(org, "department/create", json!({"department": {"name": "_"}})).await;
    }

    async fn one_organization_cannot_touch_another(app) {
        let a = fixture(&app, "ALPHA").await;
        let b = fixture(&app, "BETA").await;
        let a_dept = app.id_of(&a.org, "department", "MIS Department").await;
        let a_ranks: Vec<Value> = app.ok(&a.org, "rank/list", json!({})).await["ranks"]
            .as_array().unwrap().iter().map(|r| json!({"__id__": r["__id__"]})).collect();
        let before_a = snapshot(&app, &a.org).await;
        let before_b = snapshot(&app, &b.org).await;
        let mut a_user_with_b_rank = new_user(&app, &a.org, "newbie").await;
        a_user_with_b_rank["user"]["rank"] = json!({"__id__": b.rank});
        let mut a_user_with_b_dept = new_user(&app, &a.org, "newbie").await;
        a_user_with_b_dept["user"]["department"] = json!({"__id__": b.dept});
        let mut with_b_order = a_ranks.clone();
        with_b_order.push(json!({"__id__": b.rank}));
        let cases: Vec<(&str, Value)> = vec![
            // B's user.
            ("user/update", json!({"user": {"__id__": b.user, "display_name": "hacked", "password": "pwned-pw"}})),
            ("user/delete", json!({"user": {"__id__": b.user}})),
            ("user/inactivate", json!({"user": {"__id__": b.user}})),
            ("user/activate", json!({"user": {"__id__": b.user}})),
            // B's department.
            ("department/update", json!({"department": {"__id__": b.dept, "name": "hacked"}})),
            ("department/delete", json!({"department": {"__id__": b.dept}})),
            ("department/inactivate", json!({"department": {"__id__": b.dept}})),
            ("department/update", json!({"department": {"__id__": a_dept, "organization_id": b.org.id, "name": "moved"}})),
            // B's rank.
            ("rank/update", json!({"rank": {"__id__": b.rank, "name": "hacked"}})),
            ("rank/delete", json!({"rank": {"__id__": b.rank}})),
            ("rank/inactivate", json!({"rank": {"__id__": b.rank}})),
            ("rank/order", json!({"rank_order": with_b_order})),
            // B's group.
            ("group/update", json!({"group": {"__id__": b.group, "name": "hacked"}})),
            ("group/delete", json!({"group": {"__id__": b.group}})),
            ("group/inactivate", json!({"group": {"__id__": b.group}})),
            ("group/user/list", json!({"group": {"__id__": b.group}})),
            ("group/user/add", json!({"group": {"__id__": b.group}, "users": [{"__id__": a.user}]})),
            ("group/user/remove", json!({"group": {"__id__": b.group}, "users": [{"__id__": b.user}]})),
            // A's objects pointing at B's.
            ("group/user/add", json!({"group": {"__id__": a.group}, "users": [{"__id__": b.user}]})),
            ("group/create", json!({"group": {"name": "Mixed"}, "users": [{"__id__": b.user}]})),
            ("user/update", json!({"user": {"__id__": a.user, "rank": {"__id__": b.rank}}})),
            ("user/update", json!({"user": {"__id__": a.user, "department": {"__id__": b.dept}}})),
            ("user/create", a_user_with_b_rank),
            ("user/create", a_user_with_b_dept),
            ("department/update", json!({"department": {"__id__": a.dept, "parent_department": {"__id__": b.dept}}})),
            ("department/update", json!({"department": {"__id__": a.dept, "department_head": {"__id__": b.user}}})),
            ("department/create", json!({"department": {"name": "Sub", "parent_department": {"__id__": b.dept}}})),
            ("department/create", json!({"department": {"name": "Sub", "department_head": {"__id__": b.user}}})),
            // B's organization itself.
            ("organization/update", json!({"organization": {"__id__": b.org.id, "name": "hacked"}})),
        ];
        for (path, body) in cases {
            let r = call(&app, &a.org, path, body.clone()).await;
            r.assert_omni_err(Some(404), &format!("{path} {body}"));
            assert!(!r.body["RMSG"].as_str().unwrap().contains("BETA"), "{}", r.body);
        }
        // Nothing of B shows through A's lists.
        let text = snapshot(&app, &a.org).await.to_string();
        assert!(!text.contains("BETA"), "{text}");
        assert_eq!(snapshot(&app, &a.org).await, before_a);
        assert_eq!(snapshot(&app, &b.org).await, before_b);
        // B's user can still log in with the old password.
        let (s, v) = app.token(&[("grant_type", "password"), ("username", "member@BETA"), ("password", "secret-pw")]).await;
        assert_eq!(s, 200, "{v}");
        let (s, _) = app.token(&[("grant_type", "password"), ("username", "member@BETA"), ("password", "pwned-pw")]).await;
        assert_eq!(s, 400);
        // An importusers in A cannot place users in B's units, nor reach B's users by login.
        let r = call(&app, &a.org, "organization/importusers", json!({"users": [{"display_name": "x",
            "username": "member@BETA", "email": "x@example.com", "is_external": false, "is_active": true,
            "department": {"__id__": a_dept}, "rank": {"__id__": a.rank}}]})).await;
        r.assert_omni_err(Some(400), "importusers with another organization's username");
        let r = call(&app, &a.org, "organization/importusers", json!({"users": [{"display_name": "x",
            "username": "imp@ALPHA", "email": "x@example.com", "is_external": false, "is_active": true,
            "department": {"__id__": b.dept}, "rank": {"__id__": a.rank}}]})).await;
        r.assert_omni_err(Some(404), "importusers into another organization's department");
        assert_eq!(snapshot(&app, &a.org).await, before_a);
        assert_eq!(snapshot(&app, &b.org).await, before_b);
    }

    async fn huge_client_extra_is_refused(app) {
        let f = fixture(&app, "ACME").await;
        let org = &f.org;
        let before = snapshot(&app, org).await;
        let huge = json!({"blob": "x".repeat(70 * 1024)});
        let mut user = new_user(&app, org, "newbie").await;
        user["user"]["__client_extra__"] = huge.clone();
        let cases: Vec<(&str, Value)> = vec![
            ("user/create", user),
            ("user/update", json!({"user": {"__id__": f.user, "__client_extra__": huge}})),
            ("department/create", json!({"department": {"name": "Big", "__client_extra__": huge}})),
            ("department/update", json!({"department": {"__id__": f.dept, "__client_extra__": huge}})),
            ("rank/create", json!({"rank": {"name": "Big", "level": 9, "__client_extra__": huge}})),
            ("rank/update", json!({"rank": {"__id__": f.rank, "__client_extra__": huge}})),
            ("group/create", json!({"group": {"name": "Big", "__client_extra__": huge}})),
            ("group/update", json!({"group": {"__id__": f.group, "__client_extra__": huge}})),
            ("organization/update", json!({"organization": {"__client_extra__": huge}})),
        ];
        for (path, body) in cases {
            let r = call(&app, org, path, body).await;
            r.assert_omni_err(Some(400), path);
            assert!(r.body["RMSG"].as_str().unwrap().contains("__client_extra__"), "{}", r.body);
        }
        let (s, v) = app.omni("organization/create", json!({"api_key": MASTER_KEY,
            "organization": {"name": "Big", "abbr": "BIG", "__client_extra__": huge}})).await;
        assert_eq!((s, &v["RESPONSE"]), (400, &json!("ERR")), "{v}");
        assert_eq!(organizations(&app).await.as_array().unwrap().len(), 1);
        assert_eq!(snapshot(&app, org).await, before);
        // Just under the limit is fine, and comes back as sent.
        let fits = json!({"blob": "y".repeat(60 * 1024)});
        let v = app.ok(org, "department/update", json!({"department": {"__id__": f.dept, "__client_extra__": fits}})).await;
        assert_eq!(v["department"]["__client_extra__"], fits);
    }

    async fn wrong_methods_and_unknown_paths_answer_in_omnibpm_form(app) {
        let org = app.org("ACME").await;
        for path in ["/api/v0.1/user/list/", "/api/v0.1/user/list", "/api/v0.1/organization/create/", "/api/v0.1/group/user/add/"] {
            for method in [reqwest::Method::GET, reqwest::Method::PUT, reqwest::Method::DELETE, reqwest::Method::PATCH] {
                let r = send(app.client.request(method.clone(), format!("{}{path}", app.url))
                    .json(&json!({"api_key": org.key}))).await;
                r.assert_omni_err(Some(405), &format!("{method} {path}"));
            }
        }
        for path in ["/api/v0.1/nope/", "/api/v0.1/nope", "/api/v0.1/user/frobnicate/", "/api/v0.1/user/",
                     "/api/v0.1/USER/LIST/", "/api/v0.1/user/list//", "/api/v0.1/user/list/extra/",
                     "/api/v0.1/user%2Flist/", "/api/v0.1/..%2F..%2Fetc%2Fpasswd"] {
            let r = send(app.client.post(format!("{}{path}", app.url)).json(&json!({"api_key": org.key}))).await;
            r.assert_omni_err(Some(404), path);
        }
        // The bare prefix and paths the client normalizes (`..`, `%2e%2e`) are outside the
        // dialect's tree: a JSON 404 all the same.
        for path in ["/api/v0.1/", "/api/v0.1", "/api/v0.1/../v1/me/x", "/api/v0.1/%2e%2e/%2e%2e/etc/passwd"] {
            let r = send(app.client.post(format!("{}{path}", app.url)).json(&json!({"api_key": org.key}))).await;
            assert_eq!(r.status, 404, "{path}: {}", r.body);
        }
        let r = send(app.client.get(format!("{}/api/v0.1/nope/", app.url))).await;
        r.assert_omni_err(Some(404), "GET unknown");
    }

    async fn trailing_slash_is_optional(app) {
        let org = app.org("ACME").await;
        app.user(&org, "alice").await;
        let mut lists = Vec::new();
        for path in ["/api/v0.1/user/list/", "/api/v0.1/user/list"] {
            let r = send(app.client.post(format!("{}{path}", app.url)).json(&json!({"api_key": org.key}))).await;
            assert_eq!((r.status, &r.body["RESPONSE"]), (200, &json!("OK")), "{path}: {}", r.body);
            lists.push(r.body);
        }
        assert_eq!(lists[0], lists[1]);
        assert_eq!(lists[0]["users"].as_array().unwrap().len(), 1);
        // Writes too.
        let r = send(app.client.post(format!("{}/api/v0.1/group/create", app.url))
            .json(&json!({"api_key": org.key, "group": {"name": "NoSlash"}}))).await;
        assert_eq!((r.status, &r.body["RESPONSE"]), (200, &json!("OK")), "{}", r.body);
    }

    async fn responses_carry_a_request_id(app) {
        let org = app.org("ACME").await;
        let mut seen = std::collections::HashSet::new();
        let replies = vec![
            call(&app, &org, "user/list", json!({})).await,
            call(&app, &org, "user/delete", json!({"user": {"__id__": 999_999}})).await,
            raw(&app, "user/list", "application/json", "{not json").await,
            send(app.client.get(format!("{}/api/v0.1/user/list/", app.url))).await,
            send(app.client.post(format!("{}/api/v0.1/nope/", app.url)).json(&json!({}))).await,
            send(app.client.post(format!("{}/oauth2/token", app.url)).form(&[("grant_type", "nope")])).await,
            send(app.client.get(format!("{}/healthz", app.url))).await,
        ];
        for r in &replies {
            let id = r.request_id().unwrap_or_else(|| panic!("no x-request-id: {} {:?}", r.status, r.headers));
            assert!(!id.is_empty());
            assert!(seen.insert(id.to_string()), "request ids repeat: {id}");
        }
        // A caller's id is echoed back.
        let r = send(app.client.post(format!("{}/api/v0.1/user/list/", app.url))
            .header("x-request-id", "caller-123").json(&json!({"api_key": org.key}))).await;
        assert_eq!(r.request_id(), Some("caller-123"));
    }

    async fn callback_urls_reaching_internal_hosts_are_refused(app) {
        use crate::brity_jobs_client::{assert_fail, bot, run_job, tenant};
        let t = tenant(&app, "SSRF").await;
        bot(&app, &t.admin, "alpha").await;
        let request = |url: &str| {
            run_job(&app, &t.admin, &t.admin,
                json!({"jobType": 1, "processId": t.process_id, "callbackInfo": url}))
        };
        let allow = |yes: bool| {
            let mut settings = app.store.rpa_settings();
            settings.callback_allow_private = yes;
            app.store.configure_rpa(settings);
        };
        const REFUSED: &str = "INVALID_PARAMETER: callbackInfo may not point to ";
        // Never, even with private addresses allowed: metadata, link-local, unspecified,
        // reserved, broadcast, multicast, Teredo, and the same carried in IPv6 forms.
        let never = [
            "http://169.254.169.254/latest/meta-data",
            "http://[fd00:ec2::254]/latest/meta-data",
            "http://[::ffff:169.254.169.254]/",
            "http://[::ffff:a9fe:a9fe]/",
            "http://[64:ff9b::169.254.169.254]/",
            "http://[2002:a9fe:a9fe::1]/",
            "http://[fe80::1]/",
            "http://0.0.0.0:8080/",
            "http://[::]/",
            "http://240.0.0.1/",
            "http://255.255.255.255/",
            "http://224.0.0.1/",
            "http://[ff02::1]/",
            "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/",
        ];
        // Only with private addresses allowed: loopback and private ranges, written any way
        // the URL parser reads as an address.
        let private = [
            "http://127.0.0.1:9/cb",
            "http://2130706433/cb",
            "http://0x7f.1/cb",
            "http://[::1]/cb",
            "http://[::ffff:127.0.0.1]/cb",
            "http://[::127.0.0.1]/cb",
            "http://[64:ff9b::10.0.0.1]/cb",
            "http://[2002:c0a8:101::1]/cb",
            "http://[fec0::1]/cb",
            "http://[fd12::1]/cb",
            "http://100.64.0.1/cb",
            "http://198.18.0.1/cb",
            "http://192.168.1.1/cb",
        ];
        for yes in [false, true] {
            allow(yes);
            for url in never {
                assert_fail(&request(url).await, 400, REFUSED);
            }
            for url in private {
                let r = request(url).await;
                if yes {
                    assert_eq!((r.status, &r.body["resultCode"]), (200, &json!("SUCCESS")), "{url}: {}", r.body);
                } else {
                    assert_fail(&r, 400, &format!("{REFUSED}a loopback or private address"));
                }
            }
        }
        // Public addresses, in IPv6 forms too.
        allow(false);
        for url in ["http://8.8.8.8/cb", "http://[::ffff:8.8.8.8]/cb", "http://[2606:4700:4700::1111]/cb"] {
            let r = request(url).await;
            assert_eq!((r.status, &r.body["resultCode"]), (200, &json!("SUCCESS")), "{url}: {}", r.body);
        }
    }
}
