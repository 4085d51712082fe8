//! The XML answers of the task-form API: WorkitemForm (`<workitem-form>`) and
//! WorkitemFormResult (`<workitem-form-result>`), element names the kebab-case of the
//! models' properties, written with quick-xml (which escapes the text).

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;
use sluice_domain::workflow::{DataType, FieldValue};
use sluice_store::questetra::{Access, TaskForm};

/// The one way on from a task (`flow`'s only value): Sluice routes the case after the task
/// by its model (gateways and their conditions), not by a button.
pub(crate) const SUBMIT_FLOW: i64 = 0;

/// An XML document being written.
struct Xml(Writer<Vec<u8>>);

impl Xml {
    fn new() -> Self {
        let mut x = Xml(Writer::new(Vec::new()));
        x.event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)));
        x
    }

    fn event(&mut self, e: Event<'_>) {
        self.0
            .write_event(e)
            .expect("writing XML to memory cannot fail");
    }

    fn open(&mut self, name: &str) {
        self.event(Event::Start(BytesStart::new(name)));
    }

    fn close(&mut self, name: &str) {
        self.event(Event::End(BytesEnd::new(name)));
    }

    /// `<name>text</name>`; characters XML 1.0 cannot hold become U+FFFD.
    fn text(&mut self, name: &str, text: &str) {
        let clean: String = text
            .chars()
            .map(|c| {
                if c.is_control() && !matches!(c, '\t' | '\n' | '\r') {
                    '\u{FFFD}'
                } else {
                    c
                }
            })
            .collect();
        self.open(name);
        self.event(Event::Text(BytesText::new(&clean)));
        self.close(name);
    }

    fn int(&mut self, name: &str, n: i64) {
        self.text(name, &n.to_string());
    }

    fn into_response(self) -> Response {
        let mut res = self.0.into_inner().into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/xml; charset=UTF-8"),
        );
        res
    }
}

/// Questetra's form data type (0 string, 5 date, 11 select, 12 numeric) of a Sluice field
/// type: the mapping of ProcessData's `dataType` (docs/dialects/questetra.md).
fn data_type(t: DataType) -> i64 {
    match t {
        DataType::Utf8 | DataType::Formula => 0,
        DataType::Date => 5,
        DataType::Bool => 11,
        DataType::Decimal | DataType::Int => 12,
    }
}

/// A value as the form shows it: text as is, numbers as numerals, booleans `true`/`false`,
/// dates at midnight as `2024-01-31`, other times in RFC 3339.
pub(crate) fn value_text(v: &FieldValue) -> String {
    match v {
        FieldValue::Text(s) => s.clone(),
        FieldValue::Bool(b) => b.to_string(),
        FieldValue::Int(i) => i.to_string(),
        FieldValue::Decimal(d) => d.to_string(),
        FieldValue::Date(d) if d.time() == chrono::NaiveTime::MIN => {
            d.format("%Y-%m-%d").to_string()
        }
        FieldValue::Date(d) => d.to_rfc3339(),
    }
}

/// The parameter that carries a field's value on save: `data[N].selects` for booleans
/// (a select of `true`/`false`), `data[N].input` for the rest.
pub(crate) fn value_key(id: i64, t: DataType) -> String {
    match t {
        DataType::Bool => format!("data[{id}].selects"),
        _ => format!("data[{id}].input"),
    }
}

/// WorkitemForm of work item `workitem`.
pub(crate) fn form(f: &TaskForm, workitem: i64) -> Response {
    let mut x = Xml::new();
    x.open("workitem-form");
    x.text("title", &f.title);
    x.int("title-accessibility", if f.title_editable { 3 } else { 1 });
    x.int("process-model-info-id", f.family_id);
    x.int("node-number", f.node_id.0);
    x.int("process-instance-id", f.doc.0);
    x.int("workitem-id", workitem);
    x.int("swimlane-type", 0);
    x.text("task-name", &f.node_name);
    for field in &f.fields {
        let id = field.id.0;
        x.open("form-data");
        x.int("id", id);
        x.int("number", id);
        x.int("accessibility", field.access.code());
        x.int("data-type", data_type(field.data_type));
        x.text("name", &field.name);
        x.int("process-instance-id", f.doc.0);
        x.int("view-order", field.view_order as i64);
        // 0 text field; booleans are radio buttons (2).
        let bool_field = field.data_type == DataType::Bool;
        x.int("form-type", if bool_field { 2 } else { 0 });
        if field.data_type == DataType::Date {
            x.int("sub-type", 0);
        }
        x.text("required", &field.required.to_string());
        if bool_field {
            x.open("items");
            for v in ["true", "false"] {
                x.open("item");
                x.text("value", v);
                x.text("display", v);
                x.close("item");
            }
            x.close("items");
        }
        if field.access != Access::Hidden {
            let v = field.value.as_ref().map(value_text).unwrap_or_default();
            x.text("value", &v);
        }
        x.close("form-data");
    }
    if let Some((id, _)) = f.units.first() {
        x.int("qgroup-id", id.0);
    }
    x.open("executing-roles");
    for (id, name) in &f.units {
        x.open("executing-role");
        x.int("qgroup-id", id.0);
        x.text("qgroup-name", name);
        x.close("executing-role");
    }
    x.close("executing-roles");
    x.open("user-selects");
    x.open("user-select");
    x.int("flow-id", SUBMIT_FLOW);
    x.text("name", "Submit");
    x.close("user-select");
    x.close("user-selects");
    x.close("workitem-form");
    x.into_response()
}

/// WorkitemFormResult: success, or the validation errors (parameter, reason).
pub(crate) fn result(errors: &[(String, String)]) -> Response {
    let mut x = Xml::new();
    x.open("workitem-form-result");
    x.text("success", &errors.is_empty().to_string());
    if !errors.is_empty() {
        x.open("process-data-validation-errors");
        for (key, detail) in errors {
            x.open("error");
            x.text("key", key);
            x.text("detail", detail);
            x.close("error");
        }
        x.close("process-data-validation-errors");
    }
    x.close("workitem-form-result");
    x.into_response()
}
