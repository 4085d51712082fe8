//! The `criteria` XML of `/API/OR/ProcessInstance/list`: Questetra's
//! `process-instance-criteria` conditions that Sluice's cases have. An element it does not
//! know (or a data condition, which Sluice does not search) is refused with a 400 naming it.

use super::super::wire::QError;
use super::xml::{self, Element};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use sluice_store::questetra::{
    InstanceFilter, InstanceOrder, ProcessState, WorkitemFilter, WorkitemState,
};

fn bad(message: impl Into<String>) -> QError {
    QError::param("criteria", message)
}

/// Most `process-model-info-id` and `state` conditions.
const MAX_VALUES: usize = 100;

/// A date condition: `2001-01-01`, `2001-02-03 04:30` (UTC), `#now` or `#today`. A bare
/// date as an upper bound means the end of that day.
fn datetime(el: &Element, upper: bool, now: DateTime<Utc>) -> Result<DateTime<Utc>, QError> {
    let t = el.text.as_str();
    let day_end = |d: NaiveDate| {
        if upper {
            d.and_hms_micro_opt(23, 59, 59, 999_999)
        } else {
            d.and_hms_opt(0, 0, 0)
        }
    };
    let parsed = match t {
        "#now" => Some(now.naive_utc()),
        "#today" => day_end(now.date_naive()),
        _ => NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M")
            .ok()
            .or_else(|| NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S").ok())
            .or_else(|| {
                NaiveDate::parse_from_str(t, "%Y-%m-%d")
                    .ok()
                    .and_then(day_end)
            }),
    };
    parsed.map(|n| n.and_utc()).ok_or_else(|| {
        bad(format!(
            "criteria: <{}> must be a date (2001-01-01), a datetime (2001-02-03 04:30), #now or #today.",
            el.name
        ))
    })
}

fn id(el: &Element) -> Result<i64, QError> {
    el.text
        .parse::<i64>()
        .ok()
        .filter(|n| *n >= 0)
        .ok_or_else(|| bad(format!("criteria: <{}> must be an id.", el.name)))
}

/// Parses the criteria of a process-instance list; `me` is the caller's user id for
/// `#me`.
pub(crate) fn process_instances(
    criteria: Option<&str>,
    me: Option<i64>,
) -> Result<InstanceFilter, QError> {
    let mut f = InstanceFilter::default();
    let Some(text) = criteria else {
        return Ok(f);
    };
    let root = xml::parse(text).map_err(bad)?;
    if root.name != "process-instance-criteria" {
        return Err(bad(format!(
            "criteria: the root element must be <process-instance-criteria>, not <{}>.",
            root.name
        )));
    }
    let now = Utc::now();
    for el in &root.children {
        match el.name.as_str() {
            "process-model-info-id" => f.families.push(id(el)?),
            "states" => {
                for s in &el.children {
                    if s.name != "state" {
                        return Err(bad(format!(
                            "criteria: <states> may hold only <state>, not <{}>.",
                            s.name
                        )));
                    }
                    let state = ProcessState::parse(&s.text).ok_or_else(|| {
                        bad(format!(
                            "criteria: state {:?} is not one of STARTED, ENDED, FAILED.",
                            s.text
                        ))
                    })?;
                    f.states.push(state);
                }
            }
            "title" => f.title = Some(el.text.clone()).filter(|t| !t.is_empty()),
            "start-date-from" => f.started_from = Some(datetime(el, false, now)?),
            "start-date-to" => f.started_to = Some(datetime(el, true, now)?),
            "end-date-from" => f.ended_from = Some(datetime(el, false, now)?),
            "end-date-to" => f.ended_to = Some(datetime(el, true, now)?),
            "init-quser-id" => {
                f.init_user = Some(if el.text == "#me" {
                    me.ok_or_else(|| bad("criteria: #me needs a user's credentials."))?
                } else {
                    id(el)?
                })
            }
            "init-qgroup-id" => f.init_unit = Some(id(el)?),
            "starred" => {
                f.starred = Some(match el.text.to_ascii_lowercase().as_str() {
                    "true" => true,
                    "false" => false,
                    _ => return Err(bad("criteria: <starred> must be true or false.")),
                })
            }
            "sort-property" => {
                f.order = match el.text.as_str() {
                    "processInstanceStartDatetime" => InstanceOrder::StartDatetime,
                    "processInstanceEndDatetime" => InstanceOrder::EndDatetime,
                    "processInstanceId" => InstanceOrder::Id,
                    "processInstanceTitle" => InstanceOrder::Title,
                    other => {
                        return Err(bad(format!(
                            "criteria: sort-property {other:?} is not one of \
                             processInstanceStartDatetime, processInstanceEndDatetime, \
                             processInstanceId, processInstanceTitle."
                        )))
                    }
                }
            }
            "sort-direction" => {
                f.ascending = match el.text.to_ascii_uppercase().as_str() {
                    "ASC" => true,
                    "DESC" => false,
                    _ => return Err(bad("criteria: <sort-direction> must be ASC or DESC.")),
                }
            }
            "data" => {
                return Err(bad(
                    "criteria: <data> conditions are not supported; Sluice searches cases by \
                     their own properties only.",
                ))
            }
            other => {
                return Err(bad(format!(
                    "criteria: <{other}> is not a supported search condition."
                )))
            }
        }
    }
    if f.families.len() > MAX_VALUES || f.states.len() > MAX_VALUES {
        return Err(bad(format!(
            "criteria may name at most {MAX_VALUES} process models and states."
        )));
    }
    Ok(f)
}

/// Parses the `workitem-criteria` of `/API/OR/Workitem/list` (Sluice's reading; see
/// docs/dialects/questetra.md): `process-model-info-id` (repeatable),
/// `process-instance-id`, `process-instance-title`, `states/state` (ALLOCATED, OFFERED,
/// ENDED),
/// `date-from|to` on the record's time, `starred` and `sort-direction`.
pub(crate) fn workitems(criteria: Option<&str>) -> Result<WorkitemFilter, QError> {
    let mut f = WorkitemFilter::default();
    let Some(text) = criteria else {
        return Ok(f);
    };
    let root = xml::parse(text).map_err(bad)?;
    if root.name != "workitem-criteria" {
        return Err(bad(format!(
            "criteria: the root element must be <workitem-criteria>, not <{}>.",
            root.name
        )));
    }
    let now = Utc::now();
    for el in &root.children {
        match el.name.as_str() {
            "process-model-info-id" => f.families.push(id(el)?),
            "process-instance-id" => f.instance = Some(id(el)?),
            "process-instance-title" => f.title = Some(el.text.clone()).filter(|t| !t.is_empty()),
            "states" => {
                for s in &el.children {
                    let state = (s.name == "state")
                        .then(|| WorkitemState::parse(&s.text))
                        .flatten()
                        .ok_or_else(|| {
                            bad(format!(
                                "criteria: <states> holds <state> ALLOCATED, OFFERED or ENDED, not <{}>{}.",
                                s.name, s.text
                            ))
                        })?;
                    if !f.states.contains(&state) {
                        f.states.push(state);
                    }
                }
            }
            "date-from" => f.from = Some(datetime(el, false, now)?),
            "date-to" => f.to = Some(datetime(el, true, now)?),
            "starred" => {
                f.starred = Some(match el.text.to_ascii_lowercase().as_str() {
                    "true" => true,
                    "false" => false,
                    _ => return Err(bad("criteria: <starred> must be true or false.")),
                })
            }
            "sort-direction" => {
                f.ascending = match el.text.to_ascii_uppercase().as_str() {
                    "ASC" => true,
                    "DESC" => false,
                    _ => return Err(bad("criteria: <sort-direction> must be ASC or DESC.")),
                }
            }
            other => {
                return Err(bad(format!(
                    "criteria: <{other}> is not a supported search condition."
                )))
            }
        }
    }
    if f.families.len() > MAX_VALUES {
        return Err(bad(format!(
            "criteria may name at most {MAX_VALUES} process models."
        )));
    }
    Ok(f)
}
