//! Process inquiry: `GET /asset/api/v1/objects/type/process` (all, or by `searchName` /
//! `searchDesc`), `.../changed?datetime=&authType=` and the paged `.../list`. Only
//! processes the caller may read (R) are listed.

use super::asset_wire::{authority, millis, param, query, required, text_or_null, yn};
use super::{BrityError, Caller};
use crate::AppState;
use axum::extract::{RawQuery, State};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};
use sluice_store::rpa::processes::{ProcessInfo, ProcessQuery};

/// Most rows of one `list` page (also its default).
const MAX_LIMIT: i64 = 100;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/asset/api/v1/objects/type/process", get(search))
        .route("/asset/api/v1/objects/type/process/changed", get(changed))
        .route("/asset/api/v1/objects/type/process/list", get(list))
}

/// Search_All and Query_Search.
async fn search(
    State(state): State<AppState>,
    Caller(caller): Caller,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, BrityError> {
    let q = query(raw.as_deref())?;
    let filter = ProcessQuery {
        name_like: param(&q, "searchName").map(str::to_string),
        description_like: param(&q, "searchDesc").map(str::to_string),
        ..Default::default()
    };
    let rows = state.store.processes(&caller, &filter).await?;
    Ok(Json(Value::Array(
        rows.iter().map(|p| render(p, false)).collect(),
    )))
}

/// Inquiry_Changes after a point in time.
async fn changed(
    State(state): State<AppState>,
    Caller(caller): Caller,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, BrityError> {
    let q = query(raw.as_deref())?;
    let since = datetime(required(&q, "datetime")?)?;
    let auth = param(&q, "authType").map(authority).transpose()?;
    let filter = ProcessQuery {
        auth,
        changed_since: Some(since),
        ..Default::default()
    };
    let rows = state.store.processes(&caller, &filter).await?;
    Ok(Json(Value::Array(
        rows.iter().map(|p| render(p, false)).collect(),
    )))
}

/// View_Search (v3.1.1): paged, with the parent project filters.
async fn list(
    State(state): State<AppState>,
    Caller(caller): Caller,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, BrityError> {
    let q = query(raw.as_deref())?;
    let number = |name: &str| -> Result<Option<i64>, BrityError> {
        param(&q, name)
            .map(|v| {
                v.parse::<i64>()
                    .map_err(|_| BrityError::invalid(format!("{name} {v:?} is not an integer.")))
            })
            .transpose()
    };
    // Omitted or over 100: 100.
    let limit = match number("limit")? {
        None => MAX_LIMIT,
        Some(l) if l < 1 => return Err(BrityError::invalid("limit must be at least 1.")),
        Some(l) => l.min(MAX_LIMIT),
    };
    let offset = match number("offset")? {
        None => 0,
        Some(o) if o < 0 => return Err(BrityError::invalid("offset must not be negative.")),
        Some(o) => o,
    };
    // Omitted, or anything but N: approved processes only.
    let activated_only = param(&q, "activationOnly").is_none_or(|v| !v.eq_ignore_ascii_case("N"));
    let filter = ProcessQuery {
        auth: param(&q, "authType").map(authority).transpose()?,
        project_id: param(&q, "searchParentId").map(str::to_string),
        project_name_like: param(&q, "searchParentName").map(str::to_string),
        process_id: param(&q, "searchId").map(str::to_string),
        name_like: param(&q, "searchName").map(str::to_string),
        activated_only,
        ..Default::default()
    };
    let page = state
        .store
        .process_page(&caller, &filter, offset, limit)
        .await?;
    Ok(Json(json!({
        "total": page.total,
        "offset": offset,
        "limit": limit,
        "list": page.list.iter().map(|p| render(p, true)).collect::<Vec<_>>(),
    })))
}

/// `YYYY-MM-DDThh:mm:ss+TZD`. A `+` that arrived as a space (the value was not
/// URI-encoded) is taken back.
fn datetime(text: &str) -> Result<DateTime<Utc>, BrityError> {
    let parse = |t: &str| DateTime::parse_from_rfc3339(t).map(|d| d.with_timezone(&Utc));
    parse(text)
        .or_else(|e| match text.rfind(' ') {
            Some(i) if i > 10 => parse(&format!("{}+{}", &text[..i], &text[i + 1..])),
            _ => Err(e),
        })
        .map_err(|_| {
            BrityError::invalid(format!(
                "datetime {text:?} is not YYYY-MM-DDThh:mm:ss+TZD (e.g. 2021-07-13T14:55:21+09:00)."
            ))
        })
}

/// One process in Brity's form; `listed` adds `downloadUrl` and `ownerId` (the `list` form).
pub(crate) fn render(p: &ProcessInfo, listed: bool) -> Value {
    let mut v = json!({
        "managerUsrId": null,
        "outputs": variables(&p.outputs, None, p.can_update),
        "createUserId": p.created_by_login,
        "inputs": variables(&p.inputs, Some(&p.input_expressions), p.can_update),
        "typeName": "Process",
        "project": {"name": p.project_name, "id": p.project_id},
        "type": 2,
        "resolution": text_or_null(&p.resolution),
        "timeout": p.timeout_secs.to_string(),
        "isChanged": "Y",
        "designerVersion": p.designer_version,
        "id": p.id,
        "updateDatetime": millis(p.updated_at),
        "os": text_or_null(&p.os),
        "applyStartDate": null,
        "updateUserId": p.updated_by_login,
        "filePath": p.file_path,
        "applyEndDate": null,
        "runningTime": "0",
        "version": p.version,
        "delYn": "N",
        "createDatetime": millis(p.created_at),
        "name": p.name,
        "workType": p.work_type,
        "activation": yn(p.is_activated),
        "category": "Process",
        "desc": p.description,
        "status": p.status,
    });
    if listed {
        v["downloadUrl"] = json!(format!(
            "/asset/api/v1/objects/process?id={}&version={}",
            p.id, p.version
        ));
        v["ownerId"] = json!(p.owner_login);
    }
    v
}

/// Declared variables as Brity shows them: a JSON text of
/// `[{"data","name","initValue","desc","expression"}]` (plus Sluice's `type` and `hidden`).
/// An input's expression is the one set by targetBot, else its own name. A hidden input's
/// default and expression are the values bots receive, so they are blank unless the caller
/// may change the process (`reveal`: U over its project).
fn variables(stored: &str, expressions: Option<&str>, reveal: bool) -> String {
    let list: Vec<Value> = serde_json::from_str(stored).unwrap_or_default();
    let expressions: Map<String, Value> = expressions
        .and_then(|e| serde_json::from_str(e).ok())
        .unwrap_or_default();
    let out: Vec<Value> = list
        .iter()
        .map(|var| {
            let name = var["name"].as_str().unwrap_or_default();
            let hidden = var["hidden"].as_bool().unwrap_or(false);
            let init = match &var["default"] {
                _ if hidden && !reveal => String::new(),
                Value::Null => String::new(),
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let expression = if hidden && !reveal {
                ""
            } else {
                expressions
                    .get(name)
                    .and_then(|e| e["expression"].as_str())
                    .unwrap_or(name)
            };
            json!({
                "data": null,
                "name": name,
                "initValue": init,
                "desc": var["description"].as_str().unwrap_or_default(),
                "expression": expression,
                "type": var["type"].as_str().unwrap_or("string"),
                "hidden": hidden,
            })
        })
        .collect();
    Value::Array(out).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetimes_with_a_lost_plus() {
        let a = datetime("2021-07-13T14:55:21+09:00").unwrap();
        assert_eq!(datetime("2021-07-13T14:55:21 09:00").unwrap(), a);
        assert!(datetime("yesterday").is_err());
    }

    #[test]
    fn variables_in_brity_form() {
        let text = variables(
            r#"[{"name":"currency","type":"string","default":"USD","hidden":true}]"#,
            Some(r#"{"currency":{"expression":"'EUR'"}}"#),
            true,
        );
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v[0]["initValue"], "USD");
        assert_eq!(v[0]["expression"], "'EUR'");
        assert_eq!(v[0]["hidden"], true);
    }

    #[test]
    fn hidden_inputs_are_blank_without_update() {
        let text = variables(
            r#"[{"name":"pin","default":"1234","hidden":true},{"name":"cur","default":"USD"}]"#,
            Some(r#"{"pin":{"expression":"'9999'"}}"#),
            false,
        );
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v[0]["initValue"], "");
        assert_eq!(v[0]["expression"], "");
        assert_eq!(v[1]["initValue"], "USD");
        assert_eq!(v[1]["expression"], "cur");
    }
}
