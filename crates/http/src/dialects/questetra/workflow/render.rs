//! Questetra's JSON objects of the workflow API (ProcessInstance, ProcessData, Workitem,
//! ProcessModelInfo2, Activity, ProcessAuthority) and their CSV form.

use super::super::render as identity;
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};
use sluice_store::identity::AuthorityHolder;
use sluice_store::questetra::{
    ProcessAuthority, ProcessInstance, ProcessModel, StartActivity, WorkitemRecord, WorkitemState,
};

/// Questetra's datetimes: `2014-09-22T18:21:16+0000`.
pub(crate) fn datetime(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%z").to_string()
}

/// Questetra's data type (and sub type) of a Sluice field type.
fn data_type(code: &str) -> (&'static str, Option<&'static str>) {
    match code {
        "UTF8" => ("STRING", None),
        "DECIMAL" => ("DECIMAL", None),
        "INT" => ("DECIMAL", Some("INT")),
        "DATE" => ("DATE", None),
        "BOOL" => ("SELECT", Some("BOOL")),
        _ => ("STRING", Some("FORMULA")),
    }
}

/// ProcessInstance; `data` only when the instance carries it.
pub(crate) fn process_instance(p: &ProcessInstance) -> Value {
    let mut v = json!({
        "processInstanceId": p.id.0,
        "processInstanceIdForView": p.serial,
        "processInstanceSequenceNumber": null,
        "processInstanceTitle": p.title,
        "processInstanceState": p.state.code(),
        "processInstanceDebug": false,
        "processInstanceStartDatetime": datetime(&p.started_at),
        "processInstanceEndDatetime": p.ended_at.as_ref().map(datetime),
        "processInstanceInitQuserId": p.creator_id,
        "processInstanceInitQuserName": p.creator_name,
        "processInstanceInitQgroupId": p.creator_unit_id,
        "processInstanceInitQgroupName": p.creator_unit_name,
        "processModelInfoId": p.family_id,
        "processModelInfoName": p.family_name,
        "processModelInfoCategory": null,
        "processModelVersion": p.version,
        "activeTokenNodeName": p.active_nodes,
        "starred": p.starred,
    });
    if let Some(data) = &p.data {
        let mut map = Map::new();
        for d in data {
            let (t, sub) = data_type(d.data_type);
            map.insert(
                d.field_id.to_string(),
                json!({
                    "id": d.field_id,
                    "name": d.name,
                    "dataType": t,
                    "subType": sub,
                    "processDataDefinitionNumber": d.field_id,
                    "viewOrder": d.view_order,
                    "value": d.value,
                }),
            );
        }
        v["data"] = Value::Object(map);
    }
    v
}

/// Sluice's extension of a viewed ProcessInstance: why nodes cannot go on by themselves,
/// `[{nodeNumber, nodeName, message}]`.
pub(crate) fn node_errors(p: &ProcessInstance) -> Value {
    p.errors
        .iter()
        .map(|(id, name, message)| json!({"nodeNumber": id, "nodeName": name, "message": message}))
        .collect()
}

/// ProcessModelInfo2.
pub(crate) fn process_model(m: &ProcessModel) -> Value {
    json!({
        "authorities": null,
        "processModelInfoCategory": null,
        "processModelInfoCreateQuserName": null,
        "processModelInfoCssClass": null,
        "processModelInfoHasActiveProcessModel": m.has_active,
        "processModelInfoId": m.family_id,
        "processModelInfoName": m.name,
        "processModelInfoNote": null,
        "processModelInfoViewPriority": null,
        "processModelVersion": m.version,
        "starred": false,
    })
}

/// Activity: a start node the caller may start.
pub(crate) fn activity(a: &StartActivity) -> Value {
    json!({
        "id": a.node_id,
        "nodeName": a.node_name,
        "nodeNumber": a.node_id,
        "processModelActivateDatetime": datetime(&a.created_at),
        "processModelId": a.workflow_id,
        "processModelInfoCategory": null,
        "processModelInfoId": a.family_id,
        "processModelInfoName": a.family_name,
        "processModelInfoShortExplanation": null,
        "processModelVersion": a.version,
        "processModelViewPriority": null,
    })
}

/// ProcessAuthority: id, processModelInfo, type and the holder.
pub(crate) fn process_authority(a: &ProcessAuthority) -> Value {
    let mut v = json!({
        "id": a.id,
        "processModelInfo": {"id": a.family_id.0, "name": a.family_name},
        "type": a.kind.code(),
        "quser": null,
        "qgroup": null,
        "leader": null,
        "descendantQgroups": null,
        "qrole": null,
    });
    match &a.holder {
        AuthorityHolder::User(u) => v["quser"] = identity::quser(u),
        AuthorityHolder::Unit {
            unit,
            leader_only,
            descendants,
        } => {
            v["qgroup"] = identity::qgroup(unit);
            v["leader"] = json!(leader_only);
            v["descendantQgroups"] = json!(descendants);
        }
        AuthorityHolder::Role(r) => v["qrole"] = identity::qrole(r),
    }
    v
}

/// The columns of the process-instance CSV, in order.
const INSTANCE_COLUMNS: [&str; 15] = [
    "processInstanceId",
    "processInstanceIdForView",
    "processInstanceTitle",
    "processInstanceState",
    "processModelInfoId",
    "processModelInfoName",
    "processModelVersion",
    "processInstanceInitQuserId",
    "processInstanceInitQuserName",
    "processInstanceInitQgroupId",
    "processInstanceInitQgroupName",
    "processInstanceStartDatetime",
    "processInstanceEndDatetime",
    "activeTokenNodeName",
    "starred",
];

/// One CSV cell (RFC 4180). Text that a spreadsheet would run as a formula gets a leading
/// `'`.
fn cell(out: &mut String, text: &str) {
    let guarded;
    let text = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        guarded = format!("'{text}");
        guarded.as_str()
    } else {
        text
    };
    if text.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&text.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(text);
    }
}

fn row(out: &mut String, cells: &[String]) {
    for (i, c) in cells.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        cell(out, c);
    }
    out.push_str("\r\n");
}

/// The process instances as CSV: a header, then one line each (CRLF).
pub(crate) fn process_instances_csv(list: &[ProcessInstance]) -> String {
    let mut out = String::new();
    row(&mut out, &INSTANCE_COLUMNS.map(String::from));
    let opt = |v: Option<String>| v.unwrap_or_default();
    for p in list {
        row(
            &mut out,
            &[
                p.id.0.to_string(),
                p.serial.clone(),
                p.title.clone(),
                p.state.code().into(),
                p.family_id.to_string(),
                p.family_name.clone(),
                p.version.to_string(),
                p.creator_id.to_string(),
                p.creator_name.clone(),
                opt(p.creator_unit_id.map(|i| i.to_string())),
                opt(p.creator_unit_name.clone()),
                datetime(&p.started_at),
                opt(p.ended_at.as_ref().map(datetime)),
                p.active_nodes.join("\n"),
                p.starred.to_string(),
            ],
        );
    }
    out
}

/// Workitem: node `node_id` (named `node_name`, at `node_index` in its version) of case
/// `p`, in `state`, allocated to the user `allocated` (id and name).
pub(crate) fn workitem(
    p: &ProcessInstance,
    node_id: i64,
    node_name: &str,
    node_index: usize,
    state: &str,
    allocated: Option<(i64, &str)>,
) -> Value {
    let mut w = process_instance(p);
    if let Some(o) = w.as_object_mut() {
        o.remove("data");
        o.remove("activeTokenNodeName");
    }
    let started = datetime(&p.started_at);
    w["id"] = json!(super::workitem_id(p.id.0, node_index));
    w["nodeName"] = json!(node_name);
    w["nodeNumber"] = json!(node_id);
    w["state"] = json!(state);
    w["allocatedQuserId"] = json!(allocated.map(|a| a.0));
    w["allocatedQuserName"] = json!(allocated.map(|a| a.1));
    w["allocatedQgroupId"] = json!(null);
    w["allocatedQgroupName"] = json!(null);
    w["startDatetime"] = json!(started);
    w["allocateDatetime"] = json!(started);
    w["offerDatetime"] = json!(started);
    w["endDatetime"] = json!(null);
    w["failType"] = json!(null);
    w["swimlaneType"] = json!(null);
    w["timeLimitDatetime"] = json!(null);
    w["read"] = json!(true);
    w
}

/// WorkitemWithData: a task record of `user` (id and name; not allocated while offered),
/// with its case's data.
pub(crate) fn workitem_record(r: &WorkitemRecord, user: (i64, &str)) -> Value {
    let allocated = (r.state != WorkitemState::Offered).then_some(user);
    let mut w = workitem(
        &r.instance,
        r.node_id,
        &r.node_name,
        r.node_index,
        r.state.code(),
        allocated,
    );
    let allocated = datetime(&r.allocated_at);
    w["startDatetime"] = json!(allocated);
    w["allocateDatetime"] = json!(allocated);
    w["offerDatetime"] = json!(allocated);
    w["endDatetime"] = json!(r.ended_at.as_ref().map(datetime));
    if let Some(data) = process_instance(&r.instance).get("data") {
        w["data"] = data.clone();
    }
    w
}

const WORKITEM_COLUMNS: [&str; 12] = [
    "id",
    "nodeName",
    "nodeNumber",
    "state",
    "allocateDatetime",
    "endDatetime",
    "processInstanceId",
    "processInstanceIdForView",
    "processInstanceTitle",
    "processInstanceState",
    "processModelInfoId",
    "processModelInfoName",
];

/// The CSV of task records (without data).
pub(crate) fn workitem_records_csv(list: &[WorkitemRecord]) -> String {
    let mut out = String::new();
    row(&mut out, &WORKITEM_COLUMNS.map(String::from));
    for r in list {
        let p = &r.instance;
        row(
            &mut out,
            &[
                super::workitem_id(p.id.0, r.node_index).to_string(),
                r.node_name.clone(),
                r.node_id.to_string(),
                r.state.code().into(),
                datetime(&r.allocated_at),
                r.ended_at.as_ref().map(datetime).unwrap_or_default(),
                p.id.0.to_string(),
                p.serial.clone(),
                p.title.clone(),
                p.state.code().into(),
                p.family_id.to_string(),
                p.family_name.clone(),
            ],
        );
    }
    out
}
