//! Brity's reservation bodies: the create/modify body read into a reservation, the list
//! query, and a reservation as `schedulings/list` shows it. Lenient as Brity's clients are
//! (numbers as strings, JSON objects as strings, "" for absent).

use super::jobs::{retry_count, DEFAULT_PRIORITY};
use super::jobs_wire::{int, nonempty, object, text, time, time_or_null, yn, MAX_LIMIT};
use serde_json::{json, Map, Value};
use sluice_domain::schedule::RuleSpec;
use sluice_store::rpa::schedule_list::{Reservation, ReservationQuery};
use sluice_store::rpa::schedules::{ReservationBots, ReservationInput};

/// Longest reservation name (`name`, Brity jobScheduleName).
pub(crate) const MAX_NAME_CHARS: usize = 200;
/// Rows of a list page when `limit` is not given ("if the option is blank, all items are
/// returned", within the documented 100).
const DEFAULT_LIST_LIMIT: i64 = MAX_LIMIT;
/// The order of the list, echoed as Brity's example shows it.
pub(crate) const ORDER_BY: &str = "regTimeselectScheduleJobListForDisplay desc";

/// A non-negative integer that fits a rule field.
fn small(m: &Map<String, Value>, field: &str) -> Result<Option<u32>, String> {
    match int(m, field)? {
        None => Ok(None),
        Some(n) => u32::try_from(n)
            .map(Some)
            .map_err(|_| format!("{field} must be a positive integer.")),
    }
}

/// `"Y"`/`"N"` of `field` (absent: N).
fn flag(m: &Map<String, Value>, field: &str) -> Result<bool, String> {
    Ok(yn(m.get(field), field)?.unwrap_or(false))
}

/// The bots of a body: botSelectType 1 any bot (or the `botId` named), 2 the bot group
/// `botGroupId` (or `botId`, as the spec's example repeats it there), 3 the bot `botId`,
/// optionally of bot group `botGroupId`.
fn bots(m: &Map<String, Value>) -> Result<ReservationBots, String> {
    let bot = nonempty(m, "botId")?;
    let group_text = nonempty(m, "botGroupId")?;
    let group_id = |g: &str| -> Result<i64, String> {
        g.parse()
            .map_err(|_| format!("{g:?} is not a bot group id."))
    };
    Ok(match int(m, "botSelectType")? {
        None => ReservationBots::default(),
        Some(1) => ReservationBots {
            select_type: Some(1),
            group_id: None,
            bot_id: bot,
        },
        Some(2) => {
            let g = group_text
                .or(bot)
                .ok_or("botGroupId must name the bot group when botSelectType is 2.")?;
            ReservationBots {
                select_type: Some(2),
                group_id: Some(group_id(&g)?),
                bot_id: None,
            }
        }
        Some(3) => ReservationBots {
            select_type: Some(3),
            group_id: group_text.as_deref().map(group_id).transpose()?,
            bot_id: Some(bot.ok_or("botId must name the bot when botSelectType is 3.")?),
        },
        Some(_) => return Err("botSelectType must be 1, 2 or 3.".into()),
    })
}

/// The recurrence fields of a body.
fn rule(m: &Map<String, Value>) -> Result<RuleSpec, String> {
    let time_repeat = if flag(m, "timeRepeatYn")? {
        Some((
            small(m, "timeRepeatInterval")?.unwrap_or(0),
            small(m, "timeRepeatPeriod")?.unwrap_or(0),
        ))
    } else {
        None
    };
    Ok(RuleSpec {
        start: nonempty(m, "startDt")?.ok_or("startDt is required.")?,
        freq: nonempty(m, "freq")?,
        freq_interval: small(m, "freqInterval")?,
        condition: nonempty(m, "condition")?,
        end_type: nonempty(m, "endType")?,
        count: small(m, "count")?,
        until: nonempty(m, "until")?,
        time_repeat,
        time_zone: nonempty(m, "timeZone")?,
        skip_rest_days: flag(m, "notIncludeHolidayYn")?,
    })
}

/// A create or modify body (modify replaces every field).
pub(crate) fn reservation(m: &Map<String, Value>) -> Result<ReservationInput, String> {
    let name = text(m, "name")?.unwrap_or_default();
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(format!("name is longer than {MAX_NAME_CHARS} characters."));
    }
    let job_request_option = object(m, "jobRequestOption")?;
    Ok(ReservationInput {
        job_type: int(m, "jobType")?.unwrap_or(1),
        process_id: nonempty(m, "processId")?.ok_or("processId is required.")?,
        parameters: object(m, "parameter")?.unwrap_or_default(),
        priority: int(m, "priority")?.unwrap_or(DEFAULT_PRIORITY),
        bots: bots(m)?,
        retry_count: retry_count(m)?,
        job_request_option: job_request_option.map(|o| Value::Object(o).to_string()),
        job_result_type: text(m, "jobResultType")?,
        rule: rule(m)?,
        lunar_yn: text(m, "lunarYn")?,
        interval_minutes: int(m, "interval")?,
        name,
        comment: text(m, "comment")?.unwrap_or_default(),
        inactive: flag(m, "inActiveYn")?,
    })
}

/// A member of a list body without regard to case (`offset` or `Offset`, as the spec
/// writes both).
fn member<'a>(m: &'a Map<String, Value>, name: &str) -> Option<(&'a String, &'a Value)> {
    m.iter().find(|(k, _)| k.eq_ignore_ascii_case(name))
}

/// The list body: `offset` (default 0), `limit` (default 100, above 100 lowered to it, 0
/// answers only the count) and the `parameter` filters `DEL_YN`, `INACTIVE_YN`,
/// `BOT_SCHEDULE_YN` (`Y`/`N`; blank: no filter). Also the `parameter` as given, echoed.
pub(crate) fn list_query(m: &Map<String, Value>) -> Result<(ReservationQuery, Value), String> {
    let mut paging = Map::new();
    for name in ["offset", "limit", "parameter"] {
        if let Some((_, v)) = member(m, name) {
            paging.insert(name.to_string(), v.clone());
        }
    }
    let offset = int(&paging, "offset")?.unwrap_or(0);
    let limit = int(&paging, "limit")?.unwrap_or(DEFAULT_LIST_LIMIT);
    if offset < 0 {
        return Err("offset must not be negative.".into());
    }
    if limit < 0 {
        return Err(format!("limit must be 0 to {MAX_LIMIT}."));
    }
    let parameter = object(&paging, "parameter")?.unwrap_or_default();
    let filter = |name: &str| yn(member(&parameter, name).map(|(_, v)| v), name);
    let q = ReservationQuery {
        deleted: filter("DEL_YN")?,
        inactive: filter("INACTIVE_YN")?,
        bot_schedule: filter("BOT_SCHEDULE_YN")?,
        offset,
        limit: limit.min(MAX_LIMIT),
    };
    Ok((q, Value::Object(parameter)))
}

fn yn_text(b: bool) -> &'static str {
    if b {
        "Y"
    } else {
        "N"
    }
}

/// A reservation as `schedulings/list` shows it: every field of Brity's example, then
/// Sluice's additions (what a client needs to send the reservation back to modify it, and
/// how the scheduler fared).
pub(crate) fn render(r: &Reservation) -> Value {
    let rule = &r.rule;
    let upper = |v: &Option<String>| v.as_ref().map(|s| s.to_ascii_uppercase());
    let (repeat_interval, repeat_period) = rule.time_repeat.unwrap_or((0, 0));
    let bot_id = match (r.bot_select_type, &r.bot_id, r.bot_group_id) {
        (_, Some(bot), _) => bot.clone(),
        (Some(2), None, Some(group)) => group.to_string(),
        _ => String::new(),
    };
    let freq_interval = match (rule.freq_interval, &rule.freq) {
        (Some(n), _) => n.to_string(),
        (None, Some(_)) => "1".into(),
        (None, None) => String::new(),
    };
    json!({
        "notIncludeHolidayYn": yn_text(rule.skip_rest_days),
        "endType": upper(&rule.end_type),
        "scheduleUser": r.schedule_user,
        "freq": upper(&rule.freq),
        "description": r.comment,
        "schCondition": rule.condition.clone().unwrap_or_default(),
        "timeRepeatPeriod": repeat_period,
        "schDetStartDt": time_or_null(r.first_at),
        "botSelectType": r.bot_select_type,
        "processId": r.process_id,
        "processName": r.process_name,
        "parameter": r.parameters,
        "startTime": time(r.start_at),
        "id": r.id,
        "botId": bot_id,
        "schCount": r.job_count,
        "jobType": r.job_type,
        "botScheduleYn": yn_text(r.is_bot_schedule),
        "botGroupName": r.bot_group_name.clone().unwrap_or_default(),
        "timeRepeatYn": yn_text(rule.time_repeat.is_some()),
        "botSchedulePeriod": 0,
        "jobScheduleName": r.name,
        "botName": r.bot_name.clone().unwrap_or_default(),
        "nextJobTime": time_or_null(r.next_fire_at),
        "readOnly": i64::from(r.read_only),
        "inActiveYn": yn_text(r.is_inactive),
        "schUntil": time_or_null(r.until_at),
        "delYn": yn_text(r.is_deleted),
        "botGroupId": r.bot_group_id.map(|g| g.to_string()).unwrap_or_default(),
        "freqInterval": freq_interval,
        "schDetEndDt": time_or_null(r.last_at),
        "regTimeselectScheduleJobListForDisplay": time(r.created_at),
        "timeRepeatInterval": repeat_interval,
        // Sluice's additions.
        "startDt": rule.start,
        "timeZone": rule.time_zone,
        "count": rule.count,
        "until": rule.until,
        "priority": r.priority,
        "missedCount": r.missed_count,
        "lastError": r.last_error,
        "lastErrorTime": time_or_null(r.last_error_at),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn the_specs_example_body_reads() {
        let r = reservation(&body(json!({
            "jobType": 1, "parameter": "", "priority": 2,
            "processId": "c52a9f2a-f300-4f8e-8b68-c799109914f1",
            "botSelectType": 3, "botGroupId": "", "botId": "botId",
            "jobRequestOption": "{\"timeoutSeconds\":43200}", "jobResultType": 1,
            "condition": "#2#3#4#5", "freqInterval": "1", "endType": "UNTIL", "freq": "WEEKLY",
            "count": "", "until": "2022-01-22", "lunarYn": "N", "name": "external link test",
            "comment": "external linkage test comment", "startDt": "2021-07-15T15:10:00+09:00",
            "notIncludeHolidayYn": "Y", "inActiveYn": "N", "timeRepeatYn": "N",
            "timeRepeatInterval": 0, "timeRepeatPeriod": 0, "interval": -540
        })))
        .unwrap();
        assert_eq!(r.job_type, 1);
        assert!(r.parameters.is_empty());
        assert_eq!(r.priority, 2);
        assert_eq!(
            r.bots,
            ReservationBots {
                select_type: Some(3),
                group_id: None,
                bot_id: Some("botId".into())
            }
        );
        assert_eq!(
            r.job_request_option.as_deref(),
            Some("{\"timeoutSeconds\":43200}")
        );
        assert_eq!(r.rule.freq_interval, Some(1));
        assert_eq!(r.rule.count, None);
        assert_eq!(r.rule.until.as_deref(), Some("2022-01-22"));
        assert!(r.rule.skip_rest_days);
        assert_eq!(r.rule.time_repeat, None);
        assert_eq!(r.interval_minutes, Some(-540));
        assert!(!r.inactive);
    }

    #[test]
    fn bot_designations_of_the_spec() {
        let b = |v: Value| bots(&body(v));
        assert_eq!(
            b(json!({"botSelectType": 2, "botGroupId": "12", "botId": "12"})).unwrap(),
            ReservationBots {
                select_type: Some(2),
                group_id: Some(12),
                bot_id: None
            }
        );
        assert_eq!(
            b(json!({"botSelectType": 3, "botGroupId": "12", "botId": "BOT-1"})).unwrap(),
            ReservationBots {
                select_type: Some(3),
                group_id: Some(12),
                bot_id: Some("BOT-1".into())
            }
        );
        assert!(b(json!({"botSelectType": 2})).is_err());
        assert!(b(json!({"botSelectType": 2, "botGroupId": "group1"})).is_err());
        assert!(b(json!({"botSelectType": 3, "botGroupId": "12"})).is_err());
        assert!(b(json!({"botSelectType": 4})).is_err());
    }

    #[test]
    fn list_bodies() {
        let (q, echo) = list_query(&body(json!({
            "Offset": 2, "Limit": "500", "Parameter": {"DEL_YN": "N", "INACTIVE_YN": ""}
        })))
        .unwrap();
        assert_eq!(
            q,
            ReservationQuery {
                deleted: Some(false),
                inactive: None,
                bot_schedule: None,
                offset: 2,
                limit: 100
            }
        );
        assert_eq!(echo, json!({"DEL_YN": "N", "INACTIVE_YN": ""}));
        assert!(list_query(&body(json!({"limit": -1}))).is_err());
        assert!(list_query(&body(json!({"parameter": {"DEL_YN": "X"}}))).is_err());
        assert_eq!(list_query(&body(json!({}))).unwrap().0.limit, 100);
    }
}
