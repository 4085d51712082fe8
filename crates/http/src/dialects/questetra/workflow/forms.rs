//! WorkitemForm: `/API/PE/Workitem/Form/viewXml` (a task's form as XML) and
//! `/API/PE/Workitem/Form/save` (a draft with `saveOnly=true`, else the task completed the
//! way OmniBPM's `document/submit` does). See docs/dialects/questetra.md, "Task forms".

use super::super::wire::{Caller, Params, QError, QResult};
use super::form_xml::{self, value_key, SUBMIT_FLOW};
use super::split_workitem_id;
use crate::AppState;
use axum::extract::State;
use sluice_domain::engine::Submission;
use sluice_domain::workflow::{DataType, FieldValue};
use sluice_domain::UserId;
use sluice_store::documents::{check_title, Actor};
use sluice_store::questetra::{Access, TaskForm};

/// Store messages that name a parameter.
const HINTS: &[(&str, &str)] = &[
    ("Process ", "workitemId"),
    ("Document", "workitemId"),
    ("User ", "workitemId"),
    ("title", "title"),
];

fn user_of(caller: &Caller) -> Result<UserId, QError> {
    caller
        .user_id()
        .ok_or_else(|| QError::forbidden("Task forms belong to users; sign in as a user."))
}

/// The work item named by `workitemId` and its form for the caller.
async fn load(app: &AppState, caller: &Caller, p: &Params) -> Result<(i64, TaskForm), QError> {
    let id = p.required_id("workitemId")?;
    let user = user_of(caller)?;
    let (doc, index) = split_workitem_id(id);
    let form = app
        .store
        .task_form(caller.org.id, user, doc, index)
        .await
        .map_err(|e| QError::store(e, HINTS))?;
    Ok((id, form))
}

/// `GET /API/PE/Workitem/Form/viewXml` (workitemId): the WorkitemForm of a task awaiting
/// the caller.
pub(crate) async fn view_xml(State(app): State<AppState>, caller: Caller, p: Params) -> QResult {
    let (id, form) = load(&app, &caller, &p).await?;
    Ok(form_xml::form(&form, id))
}

/// `POST /API/PE/Workitem/Form/save` (workitemId; title, qgroupId, flow, saveOnly and the
/// field values `data[N].input` / `data[N].selects`, N the field id). Values that do not
/// parse, values for fields the task does not let the caller edit, and (when completing)
/// required fields left empty answer `success` false with the errors, writing nothing.
pub(crate) async fn save(State(app): State<AppState>, caller: Caller, p: Params) -> QResult {
    let (_, form) = load(&app, &caller, &p).await?;
    let save_only = p.bool("saveOnly")?.unwrap_or(false);
    if let Some(flow) = p.id("flow")? {
        if flow != SUBMIT_FLOW {
            return Err(QError::param(
                "flow",
                format!("flow {flow} is not one of this task's user-selects ({SUBMIT_FLOW})."),
            ));
        }
    }
    if let Some(unit) = p.id("qgroupId")? {
        if !form.units.iter().any(|(id, _)| id.0 == unit) {
            return Err(QError::param(
                "qgroupId",
                format!("qgroupId {unit} is not one of your executing roles."),
            ));
        }
    }
    let (values, mut errors) = values(&form, &p);
    if !save_only {
        errors.extend(missing(&form, &values));
    }
    let title = p.text("title").filter(|t| t.trim() != form.title);
    if let Some(t) = title {
        if !form.title_editable {
            errors.push((
                "title".into(),
                "Only the starter of the process may change its title.".into(),
            ));
        } else if let Err(e) = check_title(t) {
            errors.push(("title".into(), e.to_string()));
        }
    }
    if !errors.is_empty() {
        return Ok(form_xml::result(&errors));
    }
    let actor = Actor::new(user_of(&caller)?, None);
    let org = caller.org.id;
    let store_err = |e| QError::store(e, HINTS);
    if save_only {
        app.store
            .save_draft(org, form.doc, actor, &values, title)
            .await
            .map_err(store_err)?;
    } else {
        app.store
            .submit_document(org, form.doc, actor, form.doc_version, &values, "")
            .await
            .map_err(store_err)?;
        if let Some(t) = title {
            app.store
                .rename_document(org, form.doc, actor, t)
                .await
                .map_err(store_err)?;
        }
    }
    Ok(form_xml::result(&[]))
}

/// The values sent for the form's fields, parsed by their types, and the errors (the
/// parameter, why). A parameter of the other form (`input` for a boolean, `selects` for
/// the rest) is an error too.
fn values(form: &TaskForm, p: &Params) -> (Submission, Vec<(String, String)>) {
    let mut values = Submission::new();
    let mut errors = Vec::new();
    for f in &form.fields {
        let id = f.id.0;
        let key = value_key(id, f.data_type);
        let other = if f.data_type == DataType::Bool {
            format!("data[{id}].input")
        } else {
            format!("data[{id}].selects")
        };
        if p.text(&other).is_some() {
            errors.push((other, format!("Field {} takes {key}.", f.name)));
        }
        let Some(text) = p.text(&key) else { continue };
        if f.access != Access::Editable {
            errors.push((
                key,
                format!("Field {} is not editable at this task.", f.name),
            ));
            continue;
        }
        match FieldValue::parse_text(f.data_type, &f.name, text) {
            Ok(v) => {
                values.insert(f.id, v.to_json());
            }
            Err(e) => errors.push((key, e.to_string())),
        }
    }
    (values, errors)
}

/// The required fields that would stay empty once `values` are written.
fn missing(form: &TaskForm, values: &Submission) -> Vec<(String, String)> {
    form.fields
        .iter()
        .filter(|f| f.required)
        .filter(|f| {
            let filled = match values.get(&f.id) {
                Some(v) => FieldValue::from_stored(v).is_some_and(|v| v.is_filled()),
                None => f.value.as_ref().is_some_and(FieldValue::is_filled),
            };
            !filled
        })
        .map(|f| {
            (
                value_key(f.id.0, f.data_type),
                format!("Field {} is required.", f.name),
            )
        })
        .collect()
}
