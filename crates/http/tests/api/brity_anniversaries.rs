//! Brity anniversaries (`/scheduler/api/v1/anniversary`): add, fix, delete and list with
//! its filters and paging, who may write, every error in the scheduler form, tenant
//! isolation, and reservations that skip rest days moving when the calendar changes.

use crate::both;
use crate::brity_client::{brity, brity_admin, brity_user, BrityReply};
use crate::helpers::TestApp;
use crate::plusworkflow_client::org_token;
use reqwest::Method;
use serde_json::{json, Value};

const ONE: &str = "/scheduler/api/v1/anniversary";
const LIST: &str = "/scheduler/api/v1/anniversary/list";

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> BrityReply {
    brity(app, Method::POST, Some(token), None, path, Some(body)).await
}

async fn del(app: &TestApp, token: &str, id: &str) -> BrityReply {
    brity(
        app,
        Method::DELETE,
        Some(token),
        None,
        &format!("{ONE}/{id}"),
        None,
    )
    .await
}

/// The spec's add body with `extra` fields on top.
fn body(title: &str, day: &str, extra: Value) -> Value {
    let mut b = json!({"title": title, "anniversaryDay": day, "anniversaryType": 1,
        "restDayYn": "Y", "timezoneOffset": "-540"});
    for (k, v) in extra.as_object().expect("object") {
        b[k] = v.clone();
    }
    b
}

/// Adds an anniversary, asserting success; its id.
async fn add(app: &TestApp, token: &str, body: Value) -> String {
    let r = post(app, token, ONE, body.clone()).await;
    assert_eq!(r.status, 200, "{body}: {}", r.body);
    assert_eq!(r.body["resultCode"], "SUCCESS", "{}", r.body);
    r.body["anniversaryId"].as_str().expect("id").to_string()
}

/// The list's answer, asserting success.
async fn list(app: &TestApp, token: &str, body: Value) -> Value {
    let r = post(app, token, LIST, body.clone()).await;
    assert_eq!(r.status, 200, "{body}: {}", r.body);
    r.body
}

/// The titles a list answer holds, in order.
fn titles(v: &Value) -> Vec<&str> {
    v["list"]
        .as_array()
        .expect("list")
        .iter()
        .map(|a| a["title"].as_str().expect("title"))
        .collect()
}

/// Asserts the scheduler's error form with this status, its detail starting with `detail`.
fn assert_fail(r: &BrityReply, status: u16, detail: &str) {
    assert_eq!(r.status, status, "{}", r.body);
    assert_eq!(r.body.as_object().map(|o| o.len()), Some(2), "{}", r.body);
    assert_eq!(r.body["resultCode"], "FAIL", "{}", r.body);
    let got = r.body["resultDetail"].as_str().expect("resultDetail");
    assert!(got.starts_with(detail), "{detail:?} expected: {}", r.body);
}

both! {
    async fn anniversaries_are_added_fixed_listed_and_deleted(app) {
        let org = app.org("ANNA").await;
        let (_, admin) = brity_admin(&app, &org, "boss").await;

        // The spec's add body; the answer is the anniversary as the list shows it.
        let r = post(&app, &admin, ONE, json!({"title": "test1", "anniversaryDay": "2022.05.05",
            "anniversaryType": 1, "restDayYn": "Y", "timezoneOffset": "-540"})).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let id = r.body["anniversaryId"].as_str().expect("id").to_string();
        assert!(id.len() == 35 && id.starts_with("AN_")
            && id[3..].chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()), "{id}");
        let shown = json!({"anniversaryId": id, "title": "test1", "anniversaryDay": "2022.05.05",
            "anniversaryType": 1, "restDayYn": "Y", "timezoneOffset": "-540"});
        let mut answer = shown.clone();
        answer["resultCode"] = json!("SUCCESS");
        assert_eq!(r.body, answer);
        let v = list(&app, &admin, json!({"offset": "0", "limit": "10", "parameter": {}})).await;
        assert_eq!(v, json!({
            "request": {"offset": 0, "limit": 10, "parameter": {}, "orderBy": "anniversaryDay, anniversaryId"},
            "totalCount": 1, "list": [shown], "listCount": 1,
        }));

        // The spec's fix body.
        let r = post(&app, &admin, ONE, json!({"anniversaryId": id, "title": "test fix",
            "anniversaryDay": "2022.05.05", "anniversaryType": 1, "restDayYn": "Y",
            "timezoneOffset": "-540"})).await;
        assert_eq!((r.status, &r.body["title"]), (200, &json!("test fix")), "{}", r.body);
        // A fix changes what it names and keeps the rest; numbers may be numbers or text.
        let r = post(&app, &admin, ONE, json!({"anniversaryId": id, "restDayYn": "n",
            "timezoneOffset": 300, "anniversaryType": "4", "anniversaryDay": "2022-05-06"})).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let fixed = json!({"anniversaryId": id, "title": "test fix", "anniversaryDay": "2022.05.06",
            "anniversaryType": 4, "restDayYn": "N", "timezoneOffset": "300"});
        assert_eq!(list(&app, &admin, json!({})).await["list"], json!([fixed]));
        // The same fields again are no change (and no error).
        let r = post(&app, &admin, ONE, json!({"anniversaryId": id, "title": "test fix"})).await;
        assert_eq!(r.status, 200, "{}", r.body);

        // Delete answers what was deleted; then it is gone.
        let r = del(&app, &admin, &id).await;
        let mut answer = fixed.clone();
        answer["resultCode"] = json!("SUCCESS");
        assert_eq!((r.status, r.body), (200, answer));
        assert_eq!(list(&app, &admin, json!({})).await["totalCount"], 0);
        assert_fail(&del(&app, &admin, &id).await, 404, "ANNIVERSARY_INFO_NOT_EXIST");
        let r = post(&app, &admin, ONE, json!({"anniversaryId": id, "title": "back"})).await;
        assert_fail(&r, 404, "ANNIVERSARY_INFO_NOT_EXIST");
        assert_fail(&del(&app, &admin, "AN_00000000000000000000000000000000").await, 404,
            "ANNIVERSARY_INFO_NOT_EXIST");
    }

    async fn the_list_filters_by_days_name_and_type_and_pages(app) {
        let org = app.org("ANNL").await;
        let (_, admin) = brity_admin(&app, &org, "boss").await;
        for (title, day, kind) in [
            ("New Year", "2024.01.01", 1), ("Founding Day", "2024.03.15", 2),
            ("Chuseok", "2024.09.17", 3), ("Picnic 100%", "2024.05.10", 4),
            ("Year end", "2024.12.31", 4), ("Next year", "2025.01.01", 1),
        ] {
            add(&app, &admin, body(title, day, json!({"anniversaryType": kind}))).await;
        }
        // By day, whatever the order of adding.
        let all = list(&app, &admin, json!({})).await;
        assert_eq!(titles(&all), ["New Year", "Founding Day", "Picnic 100%", "Chuseok", "Year end", "Next year"]);
        assert_eq!((all["totalCount"].clone(), all["listCount"].clone()), (json!(6), json!(6)));

        // Days: inclusive, in Brity's form, ISO form or as zoned date-times (their own date).
        let f = |p: Value| json!({"parameter": p});
        let v = list(&app, &admin, f(json!({"startDatetime": "2024.03.15", "endDatetime": "2024.09.17"}))).await;
        assert_eq!(titles(&v), ["Founding Day", "Picnic 100%", "Chuseok"]);
        let v = list(&app, &admin, f(json!({"startDatetime": "2024-12-31"}))).await;
        assert_eq!(titles(&v), ["Year end", "Next year"]);
        let v = list(&app, &admin, f(json!({"endDatetime": "2024-01-01T23:00:00-05:00"}))).await;
        assert_eq!(titles(&v), ["New Year"]);
        let v = list(&app, &admin, f(json!({"startDatetime": "2025-01-01T00:00:00+09:00[Asia/Seoul]"}))).await;
        assert_eq!(titles(&v), ["Next year"]);
        let v = list(&app, &admin, f(json!({"startDatetime": "2024.06.01", "endDatetime": "2024.05.01"}))).await;
        assert_eq!(v["totalCount"], 0);

        // Name: anywhere in the title, any case; % and _ are literal.
        let v = list(&app, &admin, f(json!({"name": "YEAR"}))).await;
        assert_eq!(titles(&v), ["New Year", "Year end", "Next year"]);
        let v = list(&app, &admin, f(json!({"name": "0%"}))).await;
        assert_eq!(titles(&v), ["Picnic 100%"]);
        let v = list(&app, &admin, f(json!({"name": "_"}))).await;
        assert_eq!(v["totalCount"], 0);

        // Type (a number or numeric text), and filters together.
        let v = list(&app, &admin, f(json!({"anniversaryType": 4}))).await;
        assert_eq!(titles(&v), ["Picnic 100%", "Year end"]);
        let v = list(&app, &admin, f(json!({"anniversaryType": "1", "name": "next",
            "startDatetime": "2024.01.02", "endDatetime": "", "unknown": "ignored"}))).await;
        assert_eq!(titles(&v), ["Next year"]);
        assert_eq!(v["request"]["parameter"]["anniversaryType"], "1");

        // Paging: the total counts every match; limit is capped at 100; 0 answers the count.
        let v = list(&app, &admin, json!({"offset": 2, "limit": 3})).await;
        assert_eq!(titles(&v), ["Picnic 100%", "Chuseok", "Year end"]);
        assert_eq!((v["totalCount"].clone(), v["listCount"].clone()), (json!(6), json!(3)));
        let v = list(&app, &admin, json!({"offset": 5, "limit": 1000})).await;
        assert_eq!((titles(&v), v["request"]["limit"].clone()), (vec!["Next year"], json!(100)));
        let v = list(&app, &admin, json!({"limit": 0})).await;
        assert_eq!((v["listCount"].clone(), v["totalCount"].clone()), (json!(0), json!(6)));
        let v = list(&app, &admin, json!({"offset": 60})).await;
        assert_eq!((v["listCount"].clone(), v["totalCount"].clone()), (json!(0), json!(6)));
        // The parameter may come as JSON text too.
        let v = list(&app, &admin, json!({"parameter": "{\"name\": \"chuseok\"}"})).await;
        assert_eq!(titles(&v), ["Chuseok"]);
    }

    async fn any_user_lists_but_only_administrators_write(app) {
        let org = app.org("ANNW").await;
        let (_, admin) = brity_admin(&app, &org, "boss").await;
        let (_, ana) = brity_user(&app, &org, "ana").await;
        let id = add(&app, &admin, body("Holiday", "2024.05.05", json!({}))).await;

        assert_eq!(list(&app, &ana, json!({})).await["totalCount"], 1);
        let r = post(&app, &ana, ONE, body("Mine", "2024.05.06", json!({}))).await;
        assert_fail(&r, 403, "NO_AUTHORITY");
        let r = post(&app, &ana, ONE, json!({"anniversaryId": id, "title": "Mine"})).await;
        assert_fail(&r, 403, "NO_AUTHORITY");
        assert_fail(&del(&app, &ana, &id).await, 403, "NO_AUTHORITY");
        assert_eq!(titles(&list(&app, &ana, json!({})).await), ["Holiday"]);

        // The organization's own credential acts as its administrator.
        let client = org_token(&app, &org).await;
        let other = add(&app, &client, body("Client's", "2024.05.07", json!({}))).await;
        assert_eq!(del(&app, &client, &other).await.status, 200);
        // An administrator named by userAuthentication may write through another's token.
        let r = brity(&app, Method::DELETE, Some(&ana), Some(&admin), &format!("{ONE}/{id}"), None).await;
        assert_eq!(r.status, 200, "{}", r.body);
    }

    async fn every_bad_request_is_refused_in_the_scheduler_form(app) {
        let org = app.org("ANNE").await;
        let (_, admin) = brity_admin(&app, &org, "boss").await;

        // Credentials.
        let r = brity(&app, Method::POST, None, None, LIST, Some(json!({}))).await;
        assert_fail(&r, 401, "UNAUTHORIZED");
        let r = brity(&app, Method::POST, Some("slu_pat_nonsense"), None, ONE, Some(body("x", "2024.01.01", json!({})))).await;
        assert_fail(&r, 401, "UNAUTHORIZED");
        let r = brity(&app, Method::DELETE, None, None, &format!("{ONE}/AN_1"), None).await;
        assert_fail(&r, 401, "UNAUTHORIZED");

        // Add: each field.
        let long = "x".repeat(201);
        let nul = "a\u{0}b";
        let cases = [
            json!({"title": null}), json!({"title": ""}), json!({"title": "   "}),
            json!({"title": long}), json!({"title": nul}), json!({"title": "tab\there"}),
            json!({"title": ["list"]}),
            json!({"anniversaryDay": null}), json!({"anniversaryDay": "2022.02.30"}),
            json!({"anniversaryDay": "2022/05/05"}), json!({"anniversaryDay": "05.05.2022"}),
            json!({"anniversaryDay": "0000.01.01"}), json!({"anniversaryDay": 20220505}),
            json!({"anniversaryType": null}), json!({"anniversaryType": 0}),
            json!({"anniversaryType": 5}), json!({"anniversaryType": "one"}),
            json!({"anniversaryType": 1.5}),
            json!({"restDayYn": "X"}), json!({"restDayYn": true}),
            json!({"timezoneOffset": null}), json!({"timezoneOffset": "-541x"}),
            json!({"timezoneOffset": -841}), json!({"timezoneOffset": 721}),
            json!({"timezoneOffset": 99999999999i64}), json!({"timezoneOffset": "+09:00"}),
        ];
        for extra in cases {
            let b = body("Holiday", "2024.05.05", extra.clone());
            assert_fail(&post(&app, &admin, ONE, b).await, 400, "INVALID_PARAMETER");
        }
        // Bodies that are no JSON object; an id too long or with a NUL.
        for raw in ["", "[]", "{", "\"text\""] {
            let r = app.client.post(format!("{}{ONE}", app.url)).bearer_auth(&admin)
                .header("content-type", "application/json").body(raw).send().await.expect("send");
            let r = BrityReply { status: r.status().as_u16(), body: r.json().await.expect("json") };
            assert_fail(&r, 400, "INVALID_PARAMETER");
        }
        let r = post(&app, &admin, ONE, json!({"anniversaryId": "A".repeat(201), "title": "x"})).await;
        assert_fail(&r, 400, "INVALID_PARAMETER");
        let r = post(&app, &admin, ONE, json!({"anniversaryId": nul, "title": "x"})).await;
        assert_fail(&r, 400, "INVALID_PARAMETER");
        let r = post(&app, &admin, ONE, body("x", "2024.01.01", json!({"padding": "y".repeat(300 * 1024)}))).await;
        assert_fail(&r, 413, "INVALID_PARAMETER");
        assert_eq!(list(&app, &admin, json!({})).await["totalCount"], 0, "nothing was written");

        // Fix: the fields it gives are checked as on add, nothing is written on refusal.
        let id = add(&app, &admin, body("Holiday", "2024.05.05", json!({}))).await;
        for extra in [json!({"anniversaryDay": "2024.13.01"}), json!({"anniversaryType": 9}),
            json!({"timezoneOffset": 1000}), json!({"title": long}), json!({"restDayYn": "maybe"})] {
            let mut b = extra.clone();
            b["anniversaryId"] = json!(id);
            assert_fail(&post(&app, &admin, ONE, b).await, 400, "INVALID_PARAMETER");
        }
        assert_eq!(list(&app, &admin, json!({})).await["list"][0]["title"], "Holiday");

        // Delete: path ids too long or with control characters.
        assert_fail(&del(&app, &admin, &"A".repeat(201)).await, 400, "INVALID_PARAMETER");
        assert_fail(&del(&app, &admin, "AN_%00").await, 400, "INVALID_PARAMETER");

        // List: paging and filters.
        for b in [
            json!({"offset": -1}), json!({"limit": -1}), json!({"offset": "x"}),
            json!({"parameter": 5}), json!({"parameter": "not json"}),
            json!({"parameter": {"startDatetime": "yesterday"}}),
            json!({"parameter": {"endDatetime": "2024.02.30"}}),
            json!({"parameter": {"anniversaryType": 7}}),
            json!({"parameter": {"anniversaryType": "x"}}),
            json!({"parameter": {"name": nul}}),
            json!({"parameter": {"name": "n".repeat(4001)}}),
        ] {
            assert_fail(&post(&app, &admin, LIST, b.clone()).await, 400, "INVALID_PARAMETER");
        }
    }

    async fn a_title_is_taken_once_per_day(app) {
        let org = app.org("ANND").await;
        let (_, admin) = brity_admin(&app, &org, "boss").await;
        let first = add(&app, &admin, body("Founding Day", "2024.03.15", json!({}))).await;
        let r = post(&app, &admin, ONE, body(" founding day ", "2024.03.15", json!({}))).await;
        assert_fail(&r, 400, "DUPLICATED_NAME");
        // Another day, or another title that day, is fine.
        let other = add(&app, &admin, body("Founding Day", "2025.03.15", json!({}))).await;
        add(&app, &admin, body("Spring Picnic", "2024.03.15", json!({}))).await;
        // A fix may not make a duplicate either.
        let r = post(&app, &admin, ONE, json!({"anniversaryId": other, "anniversaryDay": "2024.03.15"})).await;
        assert_fail(&r, 400, "DUPLICATED_NAME");
        // Its own title in another case is no duplicate of itself.
        let r = post(&app, &admin, ONE, json!({"anniversaryId": first, "title": "FOUNDING DAY"})).await;
        assert_eq!((r.status, &r.body["title"]), (200, &json!("FOUNDING DAY")), "{}", r.body);
        assert_eq!(list(&app, &admin, json!({})).await["totalCount"], 3);
    }

    async fn tenants_never_see_each_others_anniversaries(app) {
        let a = app.org("ANNT").await;
        let b = app.org("ANNU").await;
        let (_, admin_a) = brity_admin(&app, &a, "boss").await;
        let (_, admin_b) = brity_admin(&app, &b, "boss").await;
        let id = add(&app, &admin_a, body("Holiday", "2024.05.05", json!({}))).await;
        // The same title and day in another tenant is its own.
        let id_b = add(&app, &admin_b, body("Holiday", "2024.05.05", json!({}))).await;
        assert_ne!(id, id_b);

        let v = list(&app, &admin_b, json!({})).await;
        assert_eq!((v["totalCount"].clone(), v["list"][0]["anniversaryId"].clone()), (json!(1), json!(id_b)));
        let r = post(&app, &admin_b, ONE, json!({"anniversaryId": id, "title": "Stolen"})).await;
        assert_fail(&r, 404, "ANNIVERSARY_INFO_NOT_EXIST");
        assert_fail(&del(&app, &admin_b, &id).await, 404, "ANNIVERSARY_INFO_NOT_EXIST");
        let v = list(&app, &admin_a, json!({})).await;
        assert_eq!((v["totalCount"].clone(), v["list"][0]["title"].clone()), (json!(1), json!("Holiday")));
    }
    async fn reservations_that_skip_rest_days_move_when_the_calendar_changes(app) {
        use crate::brity_schedules_client::{body as reservation_body, create_ok, reservation};
        app.store.clock().set(crate::brity_schedules_client::at("2030-01-01T00:00:00Z"));
        let t = crate::brity_jobs_client::tenant(&app, "ANNR").await;
        // Daily at 09:00 in Seoul, skipping rest days; another that does not skip them.
        let skipping = create_ok(&app, &t.admin, reservation_body(&t.process_id,
            "2030-01-07T09:00:00+09:00", json!({"freq": "DAILY", "notIncludeHolidayYn": "Y"}))).await;
        let keeping = create_ok(&app, &t.admin, reservation_body(&t.process_id,
            "2030-01-07T09:00:00+09:00", json!({"freq": "DAILY", "notIncludeHolidayYn": "N"}))).await;
        let next = |id: String| {
            let (app, token) = (&app, t.admin.clone());
            async move { reservation(app, &token, &id).await["nextJobTime"].clone() }
        };
        assert_eq!(next(skipping.clone()).await, "2030-01-07T00:00:00Z");

        // Two rest days in a row (Seoul): the next run moves past both at once.
        let first = add(&app, &t.admin, body("Holiday", "2030.01.07", json!({}))).await;
        let second = add(&app, &t.admin, body("Bridge day", "2030.01.08", json!({}))).await;
        assert_eq!(next(skipping.clone()).await, "2030-01-09T00:00:00Z");
        assert_eq!(next(keeping.clone()).await, "2030-01-07T00:00:00Z");
        // An anniversary that is no rest day changes nothing.
        add(&app, &t.admin, body("Founding Day", "2030.01.09", json!({"restDayYn": "N"}))).await;
        assert_eq!(next(skipping.clone()).await, "2030-01-09T00:00:00Z");
        // A rest day covers its own day in its own offset: 8 January at UTC-12 is
        // 12:00 UTC on the 8th to 12:00 UTC on the 9th, after the 8th's run (00:00 UTC).
        let r = post(&app, &t.admin, ONE, json!({"anniversaryId": second, "timezoneOffset": 720})).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(next(skipping.clone()).await, "2030-01-08T00:00:00Z");
        let r = post(&app, &t.admin, ONE, json!({"anniversaryId": second, "timezoneOffset": "-540"})).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(next(skipping.clone()).await, "2030-01-09T00:00:00Z");
        // Back to a working day: fixing the flag, and deleting.
        let r = post(&app, &t.admin, ONE, json!({"anniversaryId": second, "restDayYn": "N"})).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(next(skipping.clone()).await, "2030-01-08T00:00:00Z");
        assert_eq!(del(&app, &t.admin, &first).await.status, 200);
        assert_eq!(next(skipping.clone()).await, "2030-01-07T00:00:00Z");

        // A rest day already past: the 7th's run was skipped; removing that rest day on the
        // 7th at noon does not bring it back (it would run at once, late).
        let first = add(&app, &t.admin, body("Holiday", "2030.01.07", json!({}))).await;
        assert_eq!(next(skipping.clone()).await, "2030-01-08T00:00:00Z");
        app.store.clock().set(crate::brity_schedules_client::at("2030-01-07T12:00:00Z"));
        assert_eq!(del(&app, &t.admin, &first).await.status, 200);
        assert_eq!(next(skipping.clone()).await, "2030-01-08T00:00:00Z");
    }
}
