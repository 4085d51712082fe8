//! The expression language of FORMULA fields and `autocomplete_condition`, over a document's
//! fields. It is evalexpr's (https://docs.rs/evalexpr): arithmetic, comparisons, `&&`/`||`/`!`,
//! strings, `if(cond, a, b)`, `min`, `max`, `floor`, `round`, `str::...` functions, with no
//! loops and no side effects on Sluice (assignments fail: the context is read-only).
//!
//! A field is named by its name when that is a single word (`Amount`, `金額`), and always as
//! `field_<id>` (`field_105`). Integers are integers, decimals floats, text strings, booleans
//! booleans and dates their Unix time in seconds. See docs/expressions.md.

use super::field::{DataType, Field, FieldContent, FieldValue};
use crate::{Error, FieldId, Result};
use evalexpr::{
    build_operator_tree, ContextWithMutableVariables, DefaultNumericTypes, HashMapContext, Node,
    Value,
};

/// Longest accepted expression (keeps parsing shallow and cheap).
pub const MAX_CHARS: usize = 1000;

type Tree = Node<DefaultNumericTypes>;

fn compile(source: &str) -> Result<Tree> {
    if source.chars().count() > MAX_CHARS {
        return Err(Error::invalid(format!(
            "The formula is longer than {MAX_CHARS} characters."
        )));
    }
    build_operator_tree::<DefaultNumericTypes>(source)
        .map_err(|e| Error::invalid(format!("The formula {source:?} is not valid: {e}.")))
}

/// The variable name of a field's value when its name is one word evalexpr reads as an
/// identifier.
fn name_variable(name: &str) -> Option<&str> {
    let word = !name.is_empty()
        && name.chars().all(|c| c.is_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name != "true"
        && name != "false";
    word.then_some(name)
}

fn id_variable(id: FieldId) -> String {
    format!("field_{id}")
}

/// Which field a variable names, if any.
fn resolve<'f>(var: &str, fields: &'f [Field]) -> Option<&'f Field> {
    fields
        .iter()
        .find(|f| id_variable(f.id) == var || name_variable(&f.name) == Some(var))
}

/// Checks that an expression compiles and names only active fields of the workflow;
/// `itself` (a FORMULA field being saved) may not name itself.
pub fn check(source: &str, fields: &[Field], itself: Option<FieldId>) -> Result<()> {
    let tree = compile(source)?;
    let active: Vec<Field> = fields.iter().filter(|f| f.is_active).cloned().collect();
    for var in tree.iter_read_variable_identifiers() {
        match resolve(var, &active) {
            None => {
                return Err(Error::invalid(format!(
                    "The formula {source:?} names {var}, which is not an active field of this \
                     workflow (use the field's name or field_<id>)."
                )))
            }
            Some(f) if Some(f.id) == itself => {
                return Err(Error::invalid(format!(
                    "The formula of field {} refers to itself.",
                    f.name
                )))
            }
            Some(_) => {}
        }
    }
    Ok(())
}

fn to_value(v: &FieldValue) -> Value {
    match v {
        FieldValue::Text(s) => Value::String(s.clone()),
        FieldValue::Bool(b) => Value::Boolean(*b),
        FieldValue::Int(i) => Value::Int(*i),
        FieldValue::Decimal(d) => Value::Float(*d),
        FieldValue::Date(d) => Value::Int(d.timestamp()),
    }
}

fn from_value(v: Value) -> Option<FieldValue> {
    match v {
        Value::String(s) => Some(FieldValue::Text(s)),
        Value::Boolean(b) => Some(FieldValue::Bool(b)),
        Value::Int(i) => Some(FieldValue::Int(i)),
        Value::Float(f) if f.is_finite() => Some(FieldValue::Decimal(f)),
        _ => None,
    }
}

/// The variables of a document's filled fields.
fn context(fields: &[Field], content: &FieldContent) -> HashMapContext<DefaultNumericTypes> {
    let mut ctx = HashMapContext::<DefaultNumericTypes>::new();
    for f in fields.iter().filter(|f| f.is_active) {
        let Some(v) = content.get(&f.id) else {
            continue;
        };
        let value = to_value(v);
        if let Some(name) = name_variable(&f.name) {
            // Names and types are ours and fresh in this context, so setting cannot fail.
            let _ = ctx.set_value(name.to_string(), value.clone());
        }
        let _ = ctx.set_value(id_variable(f.id), value);
    }
    ctx
}

/// Computes every FORMULA field into `content`. Formulas may use other formulas: they are
/// evaluated in rounds until nothing changes. A formula that cannot be evaluated yet (a
/// field it needs is empty, or a type does not fit) leaves its field empty.
pub fn recalculate(fields: &[Field], content: &mut FieldContent) {
    let formulas: Vec<(&Field, Tree)> = fields
        .iter()
        .filter(|f| f.is_active && f.data_type == DataType::Formula)
        .filter_map(|f| Some((f, compile(f.formula.as_deref()?).ok()?)))
        .collect();
    for _ in 0..=formulas.len() {
        let ctx = context(fields, content);
        let mut changed = false;
        for (f, tree) in &formulas {
            let value = tree.eval_with_context(&ctx).ok().and_then(from_value);
            if content.get(&f.id) != value.as_ref() {
                changed = true;
                match value {
                    Some(v) => content.insert(f.id, v),
                    None => content.remove(&f.id),
                };
            }
        }
        if !changed {
            break;
        }
    }
}

/// Evaluates an `autocomplete_condition`: true skips the node. A condition that cannot be
/// evaluated (an empty field, a type mismatch, a non-boolean result) is false, so a node is
/// only ever skipped on purpose.
pub fn condition_holds(source: &str, fields: &[Field], content: &FieldContent) -> bool {
    let Ok(tree) = compile(source) else {
        return false;
    };
    tree.eval_boolean_with_context(&context(fields, content))
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{OrgId, WorkflowId};

    fn field(id: i64, name: &str, t: DataType, formula: Option<&str>) -> Field {
        Field {
            id: FieldId(id),
            org_id: OrgId(1),
            workflow_id: WorkflowId(1),
            name: name.into(),
            data_type: t,
            formula: formula.map(str::to_string),
            is_active: true,
        }
    }

    fn fields() -> Vec<Field> {
        vec![
            field(1, "Amount", DataType::Int, None),
            field(2, "單價", DataType::Decimal, None),
            field(3, "Total", DataType::Formula, Some("Amount * 單價")),
            field(4, "Big", DataType::Formula, Some("field_3 > 100.0")),
            field(5, "With space", DataType::Utf8, None),
        ]
    }

    #[test]
    fn formulas_name_fields_by_name_or_id() {
        let f = fields();
        assert!(check("Amount * 2", &f, None).is_ok());
        assert!(check("field_5 == \"x\"", &f, None).is_ok());
        assert!(check("Nope + 1", &f, None).is_err());
        assert!(check("(Amount + 2", &f, None).is_err());
        assert!(check("field_3 + 1", &f, Some(FieldId(3))).is_err());
        assert!(check(&"1+".repeat(600), &f, None).is_err());
    }

    #[test]
    fn formulas_recalculate_in_rounds() {
        let f = fields();
        let mut c = FieldContent::new();
        c.insert(FieldId(1), FieldValue::Int(30));
        c.insert(FieldId(2), FieldValue::Decimal(4.0));
        recalculate(&f, &mut c);
        assert_eq!(c.get(&FieldId(3)), Some(&FieldValue::Decimal(120.0)));
        assert_eq!(c.get(&FieldId(4)), Some(&FieldValue::Bool(true)));
        c.remove(&FieldId(2));
        recalculate(&f, &mut c);
        assert_eq!(c.get(&FieldId(3)), None);
        assert_eq!(c.get(&FieldId(4)), None);
    }

    #[test]
    fn conditions_are_false_unless_they_evaluate_to_true() {
        let f = fields();
        let mut c = FieldContent::new();
        assert!(!condition_holds("Amount > 10", &f, &c));
        c.insert(FieldId(1), FieldValue::Int(30));
        assert!(condition_holds("Amount > 10", &f, &c));
        assert!(!condition_holds("Amount", &f, &c));
        assert!(!condition_holds("Amount = 3", &f, &c));
    }
}
