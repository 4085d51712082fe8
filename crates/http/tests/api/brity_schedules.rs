//! Brity reservations through the scheduler API: create, modify, delete and list with every
//! field of the spec's example, the bot designations, filters and paging, who may see and
//! change what, tenant isolation, and every refusal.

use crate::both;
use crate::brity_client::{brity, brity_user};
use crate::brity_jobs_client::*;
use crate::brity_schedules_client::*;
use crate::brity_tenant::make_group;
use reqwest::Method;
use serde_json::{json, Value};

/// Fields of a listed reservation: Brity's example, then Sluice's additions.
const FIELDS: &[&str] = &[
    "notIncludeHolidayYn",
    "endType",
    "scheduleUser",
    "freq",
    "description",
    "schCondition",
    "timeRepeatPeriod",
    "schDetStartDt",
    "botSelectType",
    "processId",
    "processName",
    "parameter",
    "startTime",
    "id",
    "botId",
    "schCount",
    "jobType",
    "botScheduleYn",
    "botGroupName",
    "timeRepeatYn",
    "botSchedulePeriod",
    "jobScheduleName",
    "botName",
    "nextJobTime",
    "readOnly",
    "inActiveYn",
    "schUntil",
    "delYn",
    "botGroupId",
    "freqInterval",
    "schDetEndDt",
    "regTimeselectScheduleJobListForDisplay",
    "timeRepeatInterval",
    "startDt",
    "timeZone",
    "count",
    "until",
    "priority",
    "missedCount",
    "lastError",
    "lastErrorTime",
];

/// The spec's create example, on `bot` of `process`.
fn spec_example(process: &str, bot: &str) -> Value {
    json!({
        "jobType": 1, "parameter": "", "priority": 2, "processId": process,
        "botSelectType": 3, "botGroupId": "", "botId": bot,
        "jobRequestOption": "{\"timeoutSeconds\":43200}", "jobResultType": 1,
        "condition": "#2#3#4#5", "freqInterval": "1", "endType": "UNTIL", "freq": "WEEKLY",
        "count": "", "until": "2022-01-22", "lunarYn": "N", "name": "external link test",
        "comment": "external linkage test comment", "startDt": "2021-07-15T15:10:00+09:00",
        "notIncludeHolidayYn": "Y", "inActiveYn": "N", "timeRepeatYn": "N",
        "timeRepeatInterval": 0, "timeRepeatPeriod": 0, "interval": -540
    })
}

both! {
    async fn a_reservation_is_listed_with_every_field_of_the_example(app) {
        app.store.clock().set(at("2021-07-10T00:00:00Z"));
        let t = tenant(&app, "RSVA").await;
        let b = bot(&app, &t.admin, "alpha").await;
        let id = create_ok(&app, &t.admin, spec_example(&t.process_id, &b.id)).await;
        assert!(id.starts_with("RS_") && id.len() == 35, "{id}");

        let page = list(&app, &t.admin, json!({"offset": 0, "limit": 3, "parameter": {"INACTIVE_YN": "N"}})).await;
        assert_eq!(page["request"], json!({"offset": 0, "limit": 3, "parameter": {"INACTIVE_YN": "N"},
            "orderBy": "regTimeselectScheduleJobListForDisplay desc"}));
        assert_eq!((page["totalCount"].as_i64(), page["listCount"].as_i64()), (Some(1), Some(1)));
        let r = &page["list"][0];
        let keys: Vec<&str> = r.as_object().unwrap().keys().map(String::as_str).collect();
        let mut expected = FIELDS.to_vec();
        expected.sort_unstable();
        let mut got = keys.clone();
        got.sort_unstable();
        assert_eq!(got, expected);
        assert_eq!(r, &json!({
            "notIncludeHolidayYn": "Y", "endType": "UNTIL", "scheduleUser": "boss",
            "freq": "WEEKLY", "description": "external linkage test comment",
            "schCondition": "#2#3#4#5", "timeRepeatPeriod": 0,
            // Thursday 15 July (#5) is the first selected day.
            "schDetStartDt": "2021-07-15T06:10:00Z", "botSelectType": 3,
            "processId": t.process_id, "processName": "Main", "parameter": "{}",
            "startTime": "2021-07-15T06:10:00Z", "id": id, "botId": b.id, "schCount": 0,
            "jobType": 1, "botScheduleYn": "N", "botGroupName": "", "timeRepeatYn": "N",
            "botSchedulePeriod": 0, "jobScheduleName": "external link test", "botName": "alpha",
            "nextJobTime": "2021-07-15T06:10:00Z", "readOnly": 0, "inActiveYn": "N",
            // The whole until day, in the start's offset (+09:00).
            "schUntil": "2022-01-22T14:59:59Z", "delYn": "N", "botGroupId": "",
            "freqInterval": "1",
            // The last Monday-to-Thursday on or before Saturday 22 January 2022.
            "schDetEndDt": "2022-01-20T06:10:00Z",
            "regTimeselectScheduleJobListForDisplay": "2021-07-10T00:00:00Z",
            "timeRepeatInterval": 0,
            "startDt": "2021-07-15T15:10:00+09:00", "timeZone": null, "count": null,
            "until": "2022-01-22", "priority": 2, "missedCount": 0, "lastError": null,
            "lastErrorTime": null,
        }));
    }

    async fn bots_are_designated_as_the_spec_shows(app) {
        app.store.clock().set(at("2030-01-01T00:00:00Z"));
        let t = tenant(&app, "RSVB").await;
        let b = bot(&app, &t.admin, "alpha").await;
        let lone = bot(&app, &t.admin, "lone").await;
        let group = make_group(&app, &t.admin, true, "pool").await;
        let r = brity(&app, Method::POST, Some(&t.admin), None, &mapping(group, "bots"),
            Some(json!({"mappingBotList": [b.id]}))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let start = "2030-02-01T09:00:00+09:00";
        let with = |bots: Value| body(&t.process_id, start, bots);

        // 1: any bot; 2: the group (named in botGroupId, or in botId as the example repeats
        // it); 3: the bot; 3 with a group: the bot of that group.
        let g = group.to_string();
        let cases = [
            (json!({"botSelectType": 1, "botGroupId": "", "botId": ""}), json!([1, "", "", "", ""])),
            (json!({"botSelectType": 2, "botGroupId": g, "botId": g}), json!([2, g, g, "pool", ""])),
            (json!({"botSelectType": 2, "botId": group}), json!([2, g, g, "pool", ""])),
            (json!({"botSelectType": 3, "botGroupId": "", "botId": b.id}), json!([3, b.id, "", "", "alpha"])),
            (json!({"botSelectType": 3, "botGroupId": group, "botId": b.id}), json!([3, b.id, g, "pool", "alpha"])),
        ];
        for (bots, expected) in cases {
            let id = create_ok(&app, &t.admin, with(bots.clone())).await;
            let r = reservation(&app, &t.admin, &id).await;
            assert_eq!(
                json!([r["botSelectType"], r["botId"], r["botGroupId"], r["botGroupName"], r["botName"]]),
                expected,
                "{bots}"
            );
        }
        // Without botSelectType the process's own default applies when each job is queued.
        let id = create_ok(&app, &t.admin, with(json!({}))).await;
        assert_eq!(reservation(&app, &t.admin, &id).await["botSelectType"], Value::Null);

        let refused = [
            (json!({"botSelectType": 3, "botGroupId": group, "botId": lone.id}), 400,
                "INVALID_PARAMETER: botId names a bot that is not in bot group botGroupId."),
            (json!({"botSelectType": 3, "botId": "BOT-NONE0"}), 404, "BOT_INFO_NOT_EXIST"),
            (json!({"botSelectType": 2, "botGroupId": "999999"}), 404, "BOT_GROUP_INFO_NOT_EXIST"),
            (json!({"botSelectType": 3, "botGroupId": "999999", "botId": b.id}), 404, "BOT_GROUP_INFO_NOT_EXIST"),
            (json!({"botSelectType": 2, "botGroupId": "group1"}), 400, "INVALID_PARAMETER: \"group1\" is not a bot group id."),
            (json!({"botSelectType": 2}), 400, "INVALID_PARAMETER: botGroupId must name the bot group"),
            (json!({"botSelectType": 3, "botGroupId": group}), 400, "INVALID_PARAMETER: botId must name the bot"),
            (json!({"botSelectType": 4}), 400, "INVALID_PARAMETER: botSelectType must be 1, 2 or 3."),
        ];
        for (bots, status, detail) in refused {
            assert_fail(&create(&app, &t.admin, with(bots.clone())).await, status, detail);
        }
    }

    async fn the_list_filters_pages_and_orders(app) {
        app.store.clock().set(at("2030-01-01T00:00:00Z"));
        let t = tenant(&app, "RSVC").await;
        bot(&app, &t.admin, "alpha").await;
        let start = "2030-02-01T09:00:00+09:00";
        let mut ids = Vec::new();
        for i in 0..5 {
            app.store.clock().advance(chrono::Duration::seconds(1));
            let extra = json!({"name": format!("r{i}"), "inActiveYn": if i == 1 { "Y" } else { "N" }});
            ids.push(create_ok(&app, &t.admin, body(&t.process_id, start, extra)).await);
        }
        let r = delete(&app, &t.admin, &ids[2]).await;
        assert_eq!((r.status, &r.body), (200, &json!({"id": ids[2]})));

        let names = |page: &Value| -> Vec<String> {
            page["list"].as_array().unwrap().iter()
                .map(|r| r["jobScheduleName"].as_str().unwrap().to_string()).collect()
        };
        // Blank options: everything, newest first.
        let all = list(&app, &t.admin, json!({})).await;
        assert_eq!(names(&all), ["r4", "r3", "r2", "r1", "r0"]);
        assert_eq!((all["totalCount"].as_i64(), all["listCount"].as_i64()), (Some(5), Some(5)));
        assert_eq!(all["request"], json!({"offset": 0, "limit": 100, "parameter": {},
            "orderBy": "regTimeselectScheduleJobListForDisplay desc"}));
        let filtered = |p: Value| list(&app, &t.admin, json!({"parameter": p}));
        assert_eq!(names(&filtered(json!({"DEL_YN": "N"})).await), ["r4", "r3", "r1", "r0"]);
        assert_eq!(names(&filtered(json!({"DEL_YN": "Y"})).await), ["r2"]);
        assert_eq!(names(&filtered(json!({"INACTIVE_YN": "Y"})).await), ["r1"]);
        assert_eq!(names(&filtered(json!({"INACTIVE_YN": "N", "DEL_YN": "N"})).await), ["r4", "r3", "r0"]);
        assert_eq!(names(&filtered(json!({"BOT_SCHEDULE_YN": "N"})).await).len(), 5);
        assert_eq!(filtered(json!({"BOT_SCHEDULE_YN": "Y"})).await["totalCount"], 0);
        assert_eq!(names(&filtered(json!({"DEL_YN": "", "INACTIVE_YN": null})).await).len(), 5);
        // The spec writes the members capitalized too.
        let page = list(&app, &t.admin, json!({"Offset": 1, "Limit": "2", "Parameter": {"DEL_YN": "N"}})).await;
        assert_eq!(names(&page), ["r3", "r1"]);
        assert_eq!((page["totalCount"].as_i64(), page["listCount"].as_i64()), (Some(4), Some(2)));
        assert_eq!(page["request"], json!({"offset": 1, "limit": 2, "parameter": {"DEL_YN": "N"},
            "orderBy": "regTimeselectScheduleJobListForDisplay desc"}));
        // 0 answers only the count; above 100 is 100.
        let page = list(&app, &t.admin, json!({"limit": 0})).await;
        assert_eq!((page["list"].clone(), page["totalCount"].as_i64(), page["listCount"].as_i64()),
            (json!([]), Some(5), Some(0)));
        assert_eq!(list(&app, &t.admin, json!({"limit": 1000})).await["request"]["limit"], 100);
        assert_eq!(names(&list(&app, &t.admin, json!({"offset": 10})).await).len(), 0);
        // The deleted one shows as such, with no next job.
        let gone = reservation(&app, &t.admin, &ids[2]).await;
        assert_eq!((gone["delYn"].as_str(), gone["nextJobTime"].clone()), (Some("Y"), Value::Null));
        let off = reservation(&app, &t.admin, &ids[1]).await;
        assert_eq!((off["inActiveYn"].as_str(), off["nextJobTime"].clone()), (Some("Y"), Value::Null));
        assert_eq!(reservation(&app, &t.admin, &ids[0]).await["nextJobTime"], "2030-02-01T00:00:00Z");

        for (bad, detail) in [
            (json!({"limit": -1}), "INVALID_PARAMETER: limit must be 0 to 100."),
            (json!({"offset": -1}), "INVALID_PARAMETER: offset must not be negative."),
            (json!({"offset": "x"}), "INVALID_PARAMETER: offset must be an integer."),
            (json!({"parameter": {"DEL_YN": "maybe"}}), "INVALID_PARAMETER: DEL_YN must be \"Y\" or \"N\"."),
            (json!({"parameter": {"INACTIVE_YN": 1}}), "INVALID_PARAMETER: INACTIVE_YN must be \"Y\" or \"N\"."),
            (json!({"parameter": "[]"}), "INVALID_PARAMETER: parameter must be a JSON object"),
        ] {
            let r = brity(&app, Method::POST, Some(&t.admin), None, LIST, Some(bad.clone())).await;
            assert_fail(&r, 400, detail);
        }
    }

    async fn modify_replaces_the_reservation_and_works_out_its_next_run(app) {
        app.store.clock().set(at("2030-01-01T00:00:00Z"));
        let t = tenant(&app, "RSVD").await;
        bot(&app, &t.admin, "alpha").await;
        let id = create_ok(&app, &t.admin, body(&t.process_id, "2030-02-01T09:00:00+09:00",
            json!({"freq": "DAILY", "parameter": {"currency": "EUR"}}))).await;
        assert_eq!(reservation(&app, &t.admin, &id).await["nextJobTime"], "2030-02-01T00:00:00Z");

        // Every field is replaced (those left out take their defaults).
        app.store.clock().set(at("2030-03-10T12:00:00Z"));
        let r = modify(&app, &t.admin, &id, body(&t.process_id, "2030-02-01T10:30:00+09:00",
            json!({"freq": "WEEKLY", "condition": "#2", "name": "weekly", "endType": "COUNT", "count": 10}))).await;
        assert_eq!((r.status, &r.body), (200, &json!({"id": id})));
        let r = reservation(&app, &t.admin, &id).await;
        // The next Monday after the modification, not the start's.
        assert_eq!((r["nextJobTime"].as_str(), r["freq"].as_str(), r["schCondition"].as_str()),
            (Some("2030-03-11T01:30:00Z"), Some("WEEKLY"), Some("#2")));
        assert_eq!((r["jobScheduleName"].as_str(), r["description"].as_str(), r["parameter"].as_str()),
            (Some("weekly"), Some("made by a test"), Some("{}")));
        assert_eq!((r["endType"].as_str(), r["count"].as_i64(), r["schDetStartDt"].as_str()),
            (Some("COUNT"), Some(10), Some("2030-02-04T01:30:00Z")));
        // Ten Mondays from 4 February.
        assert_eq!(r["schDetEndDt"], "2030-04-08T01:30:00Z");
        // Inactive: no next job; active again: from now on.
        modify(&app, &t.admin, &id, body(&t.process_id, "2030-02-01T10:30:00+09:00",
            json!({"freq": "DAILY", "inActiveYn": "Y"}))).await;
        assert_eq!(reservation(&app, &t.admin, &id).await["nextJobTime"], Value::Null);
        modify(&app, &t.admin, &id, body(&t.process_id, "2030-02-01T10:30:00+09:00",
            json!({"freq": "DAILY", "inActiveYn": "N"}))).await;
        assert_eq!(reservation(&app, &t.admin, &id).await["nextJobTime"], "2030-03-11T01:30:00Z");

        let same = || body(&t.process_id, "2030-02-01T10:30:00+09:00", json!({}));
        assert_fail(&modify(&app, &t.admin, "RS_00000000000000000000000000000000", same()).await,
            404, "SCHEDULE_INFO_NOT_EXIST");
        let (_, ana) = brity_user(&app, &t.org, "ana").await;
        assert_fail(&modify(&app, &ana, &id, same()).await, 403, "NO_AUTHORITY");
        assert_fail(&delete(&app, &ana, &id).await, 403, "NO_AUTHORITY");
        assert_fail(&modify(&app, &t.admin, &id, json!({"startDt": "2030-02-01T10:30:00+09:00"})).await,
            400, "INVALID_PARAMETER: processId is required.");
        let r = delete(&app, &t.admin, &id).await;
        assert_eq!((r.status, &r.body), (200, &json!({"id": id})));
        assert_fail(&delete(&app, &t.admin, &id).await, 404, "SCHEDULE_INFO_NOT_EXIST");
        assert_fail(&modify(&app, &t.admin, &id, same()).await, 404, "SCHEDULE_INFO_NOT_EXIST");
        let long = "x".repeat(300);
        assert_fail(&delete(&app, &t.admin, &long).await, 400, "INVALID_PARAMETER: id must be at most 200");
    }

    async fn others_see_reservations_read_only_and_hidden_values_never(app) {
        app.store.clock().set(at("2030-01-01T00:00:00Z"));
        let t = tenant(&app, "RSVE").await;
        bot(&app, &t.admin, "alpha").await;
        let id = create_ok(&app, &t.admin, body(&t.process_id, "2030-02-01T09:00:00+09:00",
            json!({"parameter": "{\"currency\":\"EUR\",\"secret\":\"s3cr3t\"}"}))).await;
        let mine = reservation(&app, &t.admin, &id).await;
        assert_eq!((mine["readOnly"].as_i64(), mine["parameter"].as_str()),
            (Some(0), Some("{\"currency\":\"EUR\",\"secret\":\"\"}")));
        let (_, ana) = brity_user(&app, &t.org, "ana").await;
        let theirs = reservation(&app, &ana, &id).await;
        assert_eq!((theirs["readOnly"].as_i64(), theirs["parameter"].as_str(), theirs["scheduleUser"].as_str()),
            (Some(1), Some("{}"), Some("boss")));
        // Ana may not execute the process: no reservation of it either.
        let r = create(&app, &ana, body(&t.process_id, "2030-02-01T09:00:00+09:00", json!({}))).await;
        assert_fail(&r, 403, "NO_AUTHORITY");
        // userAuthentication names the user the reservation is made for (header or body).
        let r = brity(&app, Method::POST, Some(&t.admin), Some(&ana), JOB,
            Some(body(&t.process_id, "2030-02-01T09:00:00+09:00", json!({})))).await;
        assert_fail(&r, 403, "NO_AUTHORITY");
        let mut b = body(&t.process_id, "2030-02-01T09:00:00+09:00", json!({}));
        b["userAuthentication"] = json!(format!("Bearer {ana}"));
        assert_fail(&create(&app, &t.admin, b).await, 403, "NO_AUTHORITY");
    }

    async fn tenants_never_see_each_others_reservations(app) {
        app.store.clock().set(at("2030-01-01T00:00:00Z"));
        let a = tenant(&app, "RSVF").await;
        let b = tenant(&app, "RSVG").await;
        bot(&app, &a.admin, "alpha").await;
        let id = create_ok(&app, &a.admin, body(&a.process_id, "2030-02-01T09:00:00+09:00", json!({}))).await;
        assert_eq!(list(&app, &b.admin, json!({})).await["totalCount"], 0);
        let same = body(&b.process_id, "2030-02-01T09:00:00+09:00", json!({}));
        assert_fail(&modify(&app, &b.admin, &id, same).await, 404, "SCHEDULE_INFO_NOT_EXIST");
        assert_fail(&delete(&app, &b.admin, &id).await, 404, "SCHEDULE_INFO_NOT_EXIST");
        // Another tenant's process is unknown.
        let r = create(&app, &b.admin, body(&a.process_id, "2030-02-01T09:00:00+09:00", json!({}))).await;
        assert_fail(&r, 404, "PROCESS_INFO_NOT_EXIST");
        // The second tenant has no bot at all.
        let r = create(&app, &b.admin, body(&b.process_id, "2030-02-01T09:00:00+09:00",
            json!({"botSelectType": 1}))).await;
        assert_fail(&r, 409, "NO_AVAILABLE_BOT");
        assert_eq!(list(&app, &a.admin, json!({})).await["totalCount"], 1);
    }

    async fn bad_requests_are_refused_in_the_scheduler_form(app) {
        app.store.clock().set(at("2030-01-01T00:00:00Z"));
        let t = tenant(&app, "RSVH").await;
        bot(&app, &t.admin, "alpha").await;
        let start = "2030-02-01T09:00:00+09:00";
        let with = |extra: Value| body(&t.process_id, start, extra);
        let cases = [
            (json!({"jobType": 1, "startDt": start}), 400, "INVALID_PARAMETER: processId is required."),
            (json!({"jobType": 1, "processId": t.process_id}), 400, "INVALID_PARAMETER: startDt is required."),
            (with(json!({"jobType": 21})), 400, "JOB_TYPE_NOT_SUPPORTED"),
            (with(json!({"jobType": 5})), 400, "INVALID_PARAMETER: jobType must be 1, 11 or 21."),
            (with(json!({"jobType": "one"})), 400, "INVALID_PARAMETER: jobType must be an integer."),
            (with(json!({"priority": 0})), 400, "INVALID_PARAMETER: priority must be greater than 0."),
            (with(json!({"parameter": "[1]"})), 400, "INVALID_PARAMETER: parameter must be a JSON object"),
            (with(json!({"parameter": 3})), 400, "INVALID_PARAMETER: parameter must be a JSON object"),
            (with(json!({"jobRequestOption": "{\"retryOnFail\":{\"retryOptionType\":2,\"retryCount\":100}}"})),
                400, "INVALID_PARAMETER: retryCount must be 0 to 99."),
            (with(json!({"notIncludeHolidayYn": "yes"})), 400, "INVALID_PARAMETER: notIncludeHolidayYn must be \"Y\" or \"N\"."),
            (with(json!({"inActiveYn": 1})), 400, "INVALID_PARAMETER: inActiveYn must be \"Y\" or \"N\"."),
            (with(json!({"freq": "DAILY", "freqInterval": -1})), 400, "INVALID_PARAMETER: freqInterval must be a positive integer."),
            (with(json!({"freq": "DAILY", "count": "x"})), 400, "INVALID_PARAMETER: count must be an integer."),
            (with(json!({"name": "n".repeat(201)})), 400, "INVALID_PARAMETER: name is longer than 200 characters."),
            (with(json!({"name": "nul\u{0}"})), 400, "INVALID_PARAMETER: name must not contain NUL characters."),
            (with(json!({"comment": "c".repeat(4001)})), 400, "INVALID_PARAMETER: comment is longer than 4000 characters."),
            (with(json!({"processId": "p".repeat(5000)})), 400, "INVALID_PARAMETER: processId is longer than 4000 characters."),
            (with(json!({"processId": "no-such-process"})), 404, "PROCESS_INFO_NOT_EXIST"),
            // Impossible rules, refused with what is wrong.
            (body(&t.process_id, "2030-02-30T09:00:00+09:00", json!({"freq": "MONTHLY", "condition": "D"})), 400, "INVALID_PARAMETER: "),
            (with(json!({"freq": "DAILY", "freqInterval": 0})), 400, "INVALID_PARAMETER: "),
            (with(json!({"freq": "DAILY", "endType": "UNTIL", "until": "2030-01-15"})), 400, "INVALID_PARAMETER: "),
            (with(json!({"freq": "HOURLY"})), 400, "INVALID_PARAMETER: "),
            (with(json!({"freq": "WEEKLY", "condition": "#8"})), 400, "INVALID_PARAMETER: "),
            (with(json!({"startDt": "tomorrow"})), 400, "INVALID_PARAMETER: "),
            (with(json!({"timeZone": "Mars/Olympus"})), 400, "INVALID_PARAMETER: "),
            (with(json!({"freq": "DAILY", "timeRepeatYn": "Y", "timeRepeatInterval": 0, "timeRepeatPeriod": 4})), 400, "INVALID_PARAMETER: "),
        ];
        for (b, status, detail) in cases {
            let r = create(&app, &t.admin, b.clone()).await;
            assert_fail(&r, status, detail);
            if status == 400 && detail == "INVALID_PARAMETER: " {
                let why = r.body["resultDetail"].as_str().unwrap();
                assert!(why.len() > "INVALID_PARAMETER: ".len() + 10, "a clear reason: {why} ({b})");
            }
        }
        // Malformed bodies and credentials.
        let raw = |text: &'static str| {
            let app = &app;
            let token = t.admin.clone();
            async move {
                let res = app.client.post(format!("{}{JOB}", app.url)).bearer_auth(token)
                    .header("content-type", "application/json").body(text).send().await.unwrap();
                let status = res.status().as_u16();
                (status, res.json::<Value>().await.unwrap())
            }
        };
        let (status, v) = raw("{not json").await;
        assert_eq!((status, v["resultCode"].as_str()), (400, Some("FAIL")), "{v}");
        let (status, v) = raw("[1, 2]").await;
        assert_eq!((status, v["resultDetail"].as_str()),
            (400, Some("INVALID_PARAMETER: The request body must be a JSON object.")));
        let r = brity(&app, Method::POST, None, None, JOB, Some(with(json!({})))).await;
        assert_fail(&r, 401, "UNAUTHORIZED");
        let r = brity(&app, Method::POST, Some("slu_pat_nonsense"), None, LIST, Some(json!({}))).await;
        assert_fail(&r, 401, "UNAUTHORIZED");
        let r = brity(&app, Method::DELETE, None, None, &format!("{JOB}/RS_1"), None).await;
        assert_fail(&r, 401, "UNAUTHORIZED");
        let r = brity(&app, Method::GET, Some(&t.admin), None, LIST, None).await;
        assert_eq!(r.status, 405, "{}", r.body);
        // The tenant's own credential (no user) lists, modifies and deletes as an
        // administrator, but a reservation needs a user to run as.
        let (status, token) = app.token(&[("grant_type", "client_credentials"),
            ("client_id", &t.org.abbr), ("client_secret", &t.org.key)]).await;
        assert_eq!(status, 200, "{token}");
        let client = token["access_token"].as_str().unwrap();
        let r = create(&app, client, with(json!({}))).await;
        assert_fail(&r, 400, "INVALID_PARAMETER: userAuthentication is required");
        // Nothing was saved by any of them.
        assert_eq!(list(&app, &t.admin, json!({})).await["totalCount"], 0);
        let id = create_ok(&app, &t.admin, with(json!({}))).await;
        assert_eq!(reservation(&app, client, &id).await["readOnly"], 0);
        let r = modify(&app, client, &id, with(json!({"name": "by the client"}))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let r = reservation(&app, &t.admin, &id).await;
        assert_eq!((r["jobScheduleName"].as_str(), r["scheduleUser"].as_str()), (Some("by the client"), Some("boss")));
        assert_eq!(delete(&app, client, &id).await.status, 200);
    }
}
