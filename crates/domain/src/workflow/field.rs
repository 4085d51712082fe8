//! Form fields and their values.

use crate::{validate, Error, FieldId, OrgId, Result, WorkflowId};
use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// Longest accepted text value.
pub const MAX_TEXT_BYTES: usize = 64 * 1024;

/// The type of a field's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataType {
    Utf8,
    Bool,
    Decimal,
    Int,
    /// Computed from the other fields by an expression (see [`super::expr`]); not writable.
    Formula,
    Date,
}

impl DataType {
    /// The wire name (`UTF8`, `BOOL`, ...).
    pub fn code(self) -> &'static str {
        match self {
            DataType::Utf8 => "UTF8",
            DataType::Bool => "BOOL",
            DataType::Decimal => "DECIMAL",
            DataType::Int => "INT",
            DataType::Formula => "FORMULA",
            DataType::Date => "DATE",
        }
    }

    /// Parses a wire name.
    pub fn parse(code: &str) -> Result<Self> {
        Ok(match code {
            "UTF8" => DataType::Utf8,
            "BOOL" => DataType::Bool,
            "DECIMAL" => DataType::Decimal,
            "INT" => DataType::Int,
            "FORMULA" => DataType::Formula,
            "DATE" => DataType::Date,
            other => {
                return Err(Error::invalid(format!(
                    "data_type {other:?} is not one of UTF8, BOOL, DECIMAL, INT, FORMULA, DATE."
                )))
            }
        })
    }
}

/// A field of one workflow version.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub id: FieldId,
    pub org_id: OrgId,
    pub workflow_id: WorkflowId,
    pub name: String,
    pub data_type: DataType,
    /// The expression of a FORMULA field.
    pub formula: Option<String>,
    /// Inactive fields stay in the definition but are not shown or filled.
    pub is_active: bool,
}

/// A field to create.
#[derive(Debug, Clone, PartialEq)]
pub struct NewField {
    pub name: String,
    pub data_type: DataType,
    pub formula: Option<String>,
}

impl NewField {
    /// Checks the name and that a formula comes with (and only with) a FORMULA field. The
    /// formula itself is compiled against the workflow's fields by [`super::expr::check`].
    pub fn checked(mut self) -> Result<Self> {
        self.name = field_name(&self.name)?;
        self.formula = blank_to_none(self.formula);
        check_formula_presence(self.data_type, self.formula.as_deref())?;
        Ok(self)
    }
}

/// What `workflow_field/update` may change. The data type is fixed once the field exists
/// (documents hold values of it); giving the same type again is accepted, as clients often
/// send back a whole field they fetched.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FieldPatch {
    pub name: Option<String>,
    pub data_type: Option<DataType>,
    /// `Some(None)` removes the formula (refused for a FORMULA field).
    pub formula: Option<Option<String>>,
}

impl FieldPatch {
    /// The field after the patch. The formula is compiled against the workflow's fields by
    /// [`super::expr::check`] once the new field set is known.
    pub fn apply(self, old: &Field) -> Result<Field> {
        if let Some(t) = self.data_type {
            if t != old.data_type {
                return Err(Error::invalid(format!(
                    "data_type cannot be changed (the field is {}).",
                    old.data_type.code()
                )));
            }
        }
        let name = match &self.name {
            Some(n) => field_name(n)?,
            None => old.name.clone(),
        };
        let formula = match self.formula {
            Some(f) => blank_to_none(f),
            None => old.formula.clone(),
        };
        check_formula_presence(old.data_type, formula.as_deref())?;
        Ok(Field {
            name,
            formula,
            ..old.clone()
        })
    }
}

/// A formula as stored: trimmed; a blank one is none.
fn blank_to_none(formula: Option<String>) -> Option<String> {
    formula
        .map(|f| f.trim().to_string())
        .filter(|f| !f.is_empty())
}

/// A field name: trimmed, 1 to 200 characters.
pub fn field_name(name: &str) -> Result<String> {
    validate::name("name", name)
}

/// A formula belongs to FORMULA fields only, and every FORMULA field has one.
pub fn check_formula_presence(t: DataType, formula: Option<&str>) -> Result<()> {
    match (t, formula.map(str::trim)) {
        (DataType::Formula, None | Some("")) => {
            Err(Error::invalid("A FORMULA field needs a formula."))
        }
        (DataType::Formula, Some(_)) | (_, None) => Ok(()),
        (_, Some(_)) => Err(Error::invalid(
            "formula can only be given for a FORMULA field.",
        )),
    }
}

/// A field's value. Stored and shown in OmniBPM's forms: text and booleans as themselves,
/// integers as numbers, decimals as `{"type":"decimal","value":3.14}` and dates as
/// `{"type":"datetime","value":"2017-12-13T00:00:00+08:00"}`.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue {
    Text(String),
    Bool(bool),
    Int(i64),
    Decimal(f64),
    Date(DateTime<FixedOffset>),
}

impl FieldValue {
    /// The value as JSON, in the stored form.
    pub fn to_json(&self) -> Value {
        match self {
            FieldValue::Text(s) => Value::String(s.clone()),
            FieldValue::Bool(b) => Value::Bool(*b),
            FieldValue::Int(i) => json!(i),
            FieldValue::Decimal(d) => json!({"type": "decimal", "value": d}),
            FieldValue::Date(d) => json!({"type": "datetime", "value": d.to_rfc3339()}),
        }
    }

    /// Reads a stored value back (the inverse of [`FieldValue::to_json`]).
    pub fn from_stored(v: &Value) -> Option<FieldValue> {
        match v {
            Value::String(s) => Some(FieldValue::Text(s.clone())),
            Value::Bool(b) => Some(FieldValue::Bool(*b)),
            Value::Number(n) => n
                .as_i64()
                .map(FieldValue::Int)
                .or_else(|| n.as_f64().map(FieldValue::Decimal)),
            Value::Object(o) => match (o.get("type").and_then(Value::as_str), o.get("value")) {
                (Some("decimal"), Some(v)) => v.as_f64().map(FieldValue::Decimal),
                (Some("datetime"), Some(Value::String(s))) => {
                    parse_datetime(s).map(FieldValue::Date)
                }
                _ => None,
            },
            _ => None,
        }
    }

    /// Checks a submitted value against the field's type and converts it; `field` names the
    /// field in messages. FORMULA fields are computed and cannot be written.
    pub fn parse(t: DataType, field: &str, v: &Value) -> Result<FieldValue> {
        let wrong = |expected: &str| {
            Error::invalid(format!(
                "Field {field} is {} and expects {expected}, not {v}.",
                t.code()
            ))
        };
        match t {
            DataType::Utf8 => match v {
                Value::String(s) if s.len() > MAX_TEXT_BYTES => Err(Error::invalid(format!(
                    "Field {field} is longer than {MAX_TEXT_BYTES} bytes."
                ))),
                Value::String(s) => Ok(FieldValue::Text(s.clone())),
                _ => Err(wrong("a string")),
            },
            DataType::Bool => v
                .as_bool()
                .map(FieldValue::Bool)
                .ok_or_else(|| wrong("true or false")),
            DataType::Int => v
                .as_i64()
                .map(FieldValue::Int)
                .ok_or_else(|| wrong("an integer")),
            DataType::Decimal => {
                let n = match v {
                    Value::Object(o)
                        if o.get("type").and_then(Value::as_str) == Some("decimal") =>
                    {
                        o.get("value").and_then(decimal_number)
                    }
                    other => decimal_number(other),
                };
                n.map(FieldValue::Decimal)
                    .ok_or_else(|| wrong(r#"{"type": "decimal", "value": 3.14}"#))
            }
            DataType::Date => {
                let s = match v {
                    Value::Object(o)
                        if o.get("type").and_then(Value::as_str) == Some("datetime") =>
                    {
                        o.get("value").and_then(Value::as_str)
                    }
                    Value::String(s) => Some(s.as_str()),
                    _ => None,
                };
                s.and_then(parse_datetime)
                    .map(FieldValue::Date)
                    .ok_or_else(|| {
                        wrong(r#"{"type": "datetime", "value": "2017-12-13T00:00:00.000+08:00"}"#)
                    })
            }
            DataType::Formula => Err(Error::invalid(format!(
                "Field {field} is a FORMULA field; its value is computed and cannot be submitted."
            ))),
        }
    }

    /// Converts a text value (an HTTP form parameter) for a field of type `t`: integers and
    /// decimals as numerals, booleans as `true`/`false`, dates as ISO 8601 date-times or
    /// plain dates (midnight UTC).
    pub fn parse_text(t: DataType, field: &str, text: &str) -> Result<FieldValue> {
        let trimmed = text.trim();
        match t {
            DataType::Bool => match trimmed.to_ascii_lowercase().as_str() {
                "true" => Ok(FieldValue::Bool(true)),
                "false" => Ok(FieldValue::Bool(false)),
                _ => Self::parse(t, field, &Value::String(text.into())),
            },
            DataType::Int => match trimmed.parse::<i64>() {
                Ok(i) => Ok(FieldValue::Int(i)),
                Err(_) => Self::parse(t, field, &Value::String(text.into())),
            },
            DataType::Date => match chrono::NaiveDate::parse_from_str(trimmed, "%Y-%m-%d") {
                Ok(d) => Ok(FieldValue::Date(
                    d.and_time(chrono::NaiveTime::MIN).and_utc().fixed_offset(),
                )),
                Err(_) => Self::parse(t, field, &Value::String(trimmed.into())),
            },
            _ => Self::parse(t, field, &Value::String(text.into())),
        }
    }

    /// Whether the value is of type `t` (FORMULA fields hold whatever their formula gives).
    pub fn fits(&self, t: DataType) -> bool {
        matches!(
            (self, t),
            (FieldValue::Text(_), DataType::Utf8)
                | (FieldValue::Bool(_), DataType::Bool)
                | (FieldValue::Int(_), DataType::Int)
                | (FieldValue::Decimal(_), DataType::Decimal)
                | (FieldValue::Date(_), DataType::Date)
        )
    }

    /// Whether the value counts as filled in for a required field (text must not be blank).
    pub fn is_filled(&self) -> bool {
        !matches!(self, FieldValue::Text(s) if s.trim().is_empty())
    }
}

/// A finite number, or a string holding one ("3.14").
fn decimal_number(v: &Value) -> Option<f64> {
    let n = match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    n.filter(|n| n.is_finite())
}

/// An ISO 8601 date-time with an offset. OmniBPM's own example writes single-digit seconds
/// (`00:00:0.000+08:00`), which RFC 3339 parsers refuse; that form is accepted too.
pub fn parse_datetime(s: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .or_else(|| DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f%:z").ok())
        .or_else(|| DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%:z").ok())
}

/// Values as they are kept on a document: field id to value.
pub type FieldContent = std::collections::BTreeMap<FieldId, FieldValue>;

impl Serialize for FieldValue {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.to_json().serialize(s)
    }
}

impl<'de> Deserialize<'de> for FieldValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        FieldValue::from_stored(&v).ok_or_else(|| serde::de::Error::custom("not a field value"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_parse_by_type() {
        let p = |t, v: Value| FieldValue::parse(t, "F", &v);
        assert_eq!(p(DataType::Int, json!(123)), Ok(FieldValue::Int(123)));
        assert!(p(DataType::Int, json!("123")).is_err());
        assert!(p(DataType::Int, json!(1.5)).is_err());
        assert_eq!(
            p(DataType::Utf8, json!("Free text")),
            Ok(FieldValue::Text("Free text".into()))
        );
        assert!(p(DataType::Utf8, json!(1)).is_err());
        assert_eq!(
            p(DataType::Decimal, json!({"type": "decimal", "value": 2.75})),
            Ok(FieldValue::Decimal(2.75))
        );
        assert!(p(DataType::Decimal, json!({"type": "decimal", "value": "x"})).is_err());
        assert_eq!(p(DataType::Bool, json!(false)), Ok(FieldValue::Bool(false)));
        assert!(p(DataType::Bool, json!("false")).is_err());
        assert!(p(DataType::Formula, json!(1)).is_err());
    }

    #[test]
    fn dates_accept_the_spec_example() {
        let v = json!({"type": "datetime", "value": "2017-12-13T00:00:0.000+08:00"});
        let FieldValue::Date(d) = FieldValue::parse(DataType::Date, "D", &v).unwrap() else {
            panic!("not a date")
        };
        assert_eq!(d.to_rfc3339(), "2017-12-13T00:00:00+08:00");
        assert!(FieldValue::parse(
            DataType::Date,
            "D",
            &json!({"type": "datetime", "value": "soon"})
        )
        .is_err());
    }

    #[test]
    fn stored_values_round_trip() {
        for v in [
            FieldValue::Text("a".into()),
            FieldValue::Bool(true),
            FieldValue::Int(-4),
            FieldValue::Decimal(2.5),
            FieldValue::Date(parse_datetime("2020-02-29T12:00:00+09:00").unwrap()),
        ] {
            assert_eq!(FieldValue::from_stored(&v.to_json()), Some(v));
        }
    }

    #[test]
    fn formula_only_on_formula_fields() {
        assert!(check_formula_presence(DataType::Formula, None).is_err());
        assert!(check_formula_presence(DataType::Formula, Some("a + 1")).is_ok());
        assert!(check_formula_presence(DataType::Int, Some("a + 1")).is_err());
        assert!(check_formula_presence(DataType::Int, None).is_ok());
    }

    #[test]
    fn patches_keep_the_type_and_the_formula_rule() {
        let old = Field {
            id: FieldId(1),
            org_id: OrgId(1),
            workflow_id: WorkflowId(1),
            name: "Total".into(),
            data_type: DataType::Formula,
            formula: Some("a + 1".into()),
            is_active: true,
        };
        let renamed = FieldPatch {
            name: Some(" Sum ".into()),
            data_type: Some(DataType::Formula),
            ..Default::default()
        }
        .apply(&old)
        .unwrap();
        assert_eq!(renamed.name, "Sum");
        assert_eq!(renamed.formula.as_deref(), Some("a + 1"));
        let retype = FieldPatch {
            data_type: Some(DataType::Int),
            ..Default::default()
        };
        assert!(retype.apply(&old).is_err());
        let cleared = FieldPatch {
            formula: Some(None),
            ..Default::default()
        };
        assert!(cleared.apply(&old).is_err());
        let text = Field {
            data_type: DataType::Utf8,
            formula: None,
            ..old.clone()
        };
        let with_formula = FieldPatch {
            formula: Some(Some("1".into())),
            ..Default::default()
        };
        assert!(with_formula.apply(&text).is_err());
        assert!(FieldPatch {
            name: Some(String::new()),
            ..Default::default()
        }
        .apply(&text)
        .is_err());
    }
}
