//! The expression language of FORMULA fields and `autocomplete_condition`, over a document's
//! fields. It is evalexpr's (https://docs.rs/evalexpr): arithmetic, comparisons, `&&`/`||`/`!`,
//! strings, `if(cond, a, b)`, `min`, `max`, `floor`, `round`, `str::...` functions, with no
//! loops and no side effects on Sluice (assignments fail: the context is read-only).
//!
//! A field is named by its name when that is a single word (`Amount`, `金額`), and always as
//! `field_<id>` (`field_105`). Integers are integers, decimals floats, text strings, booleans
//! booleans and dates their Unix time in seconds. See docs/expressions.md.

use super::field::{DataType, Field, FieldContent, FieldValue};
use crate::{Error, FieldId, NodeId, Result};
use evalexpr::{
    build_operator_tree, ContextWithMutableVariables, DefaultNumericTypes, HashMapContext, Node,
    Value,
};
use std::collections::HashMap;

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

/// Checks every active FORMULA field's formula and every node's `autocomplete_condition`
/// (`conditions`: node id and source) against `fields`: a change to the fields (a rename, an
/// inactivation) must not break an expression that names them.
pub fn check_definition(fields: &[Field], conditions: &[(NodeId, &str)]) -> Result<()> {
    let formulas = fields
        .iter()
        .filter(|f| f.is_active && f.data_type == DataType::Formula);
    for f in formulas {
        if let Some(source) = &f.formula {
            check(source, fields, Some(f.id)).map_err(|e| {
                Error::conflict(format!(
                    "This would break the formula of field {}: {e}",
                    f.name
                ))
            })?;
        }
    }
    for (node, source) in conditions {
        check(source, fields, None).map_err(|e| {
            Error::conflict(format!(
                "This would break the autocomplete_condition of node {node}: {e}"
            ))
        })?;
    }
    Ok(())
}

/// Rewrites `field_<id>` variables for a copy of the workflow whose fields have new ids
/// (`fields`: old id to new id). Text inside string literals is left alone.
pub fn remap_field_ids(source: &str, fields: &HashMap<FieldId, FieldId>) -> String {
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut out = String::with_capacity(source.len());
    let mut chars = source.char_indices().peekable();
    let mut in_string = false;
    let mut prev: Option<char> = None;
    while let Some((i, c)) = chars.next() {
        if in_string {
            out.push(c);
            match c {
                '\\' => {
                    if let Some((_, escaped)) = chars.next() {
                        out.push(escaped);
                    }
                }
                '"' => in_string = false,
                _ => {}
            }
            prev = Some(c);
            continue;
        }
        if c == '"' {
            in_string = true;
            out.push(c);
            prev = Some(c);
            continue;
        }
        if ident(c) && !prev.is_some_and(ident) {
            let mut end = i + c.len_utf8();
            while let Some(&(j, d)) = chars.peek() {
                if !ident(d) {
                    break;
                }
                end = j + d.len_utf8();
                chars.next();
            }
            let word = &source[i..end];
            let mapped = word
                .strip_prefix("field_")
                .and_then(|n| n.parse::<i64>().ok())
                .and_then(|n| fields.get(&FieldId(n)));
            match mapped {
                Some(new) => out.push_str(&id_variable(*new)),
                None => out.push_str(word),
            }
            prev = word.chars().last();
            continue;
        }
        out.push(c);
        prev = Some(c);
    }
    out
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

    #[test]
    fn field_ids_are_remapped_outside_strings() {
        let map: HashMap<FieldId, FieldId> =
            [(FieldId(3), FieldId(30)), (FieldId(4), FieldId(40))].into();
        assert_eq!(
            remap_field_ids("field_3 * 2 + field_4 + field_5", &map),
            "field_30 * 2 + field_40 + field_5"
        );
        assert_eq!(
            remap_field_ids(
                r#"str::len("field_3 \" field_4") + field_3x + xfield_3"#,
                &map
            ),
            r#"str::len("field_3 \" field_4") + field_3x + xfield_3"#
        );
        assert_eq!(remap_field_ids("金額+field_4", &map), "金額+field_40");
    }

    #[test]
    fn definitions_are_rechecked_after_field_changes() {
        let mut f = fields();
        assert!(check_definition(&f, &[(NodeId(1), "Amount > 3")]).is_ok());
        assert!(check_definition(&f, &[(NodeId(1), "Nope > 3")]).is_err());
        f[0].name = "Quantity".into();
        let e = check_definition(&f, &[]).unwrap_err();
        assert!(e.to_string().contains("Total"), "{e}");
        f[0].name = "Amount".into();
        f[2].is_active = false;
        // Big names field_3, which is no longer active.
        assert!(check_definition(&f, &[]).is_err());
        f[3].is_active = false;
        assert!(check_definition(&f, &[]).is_ok());
    }

    #[test]
    fn deep_nesting_within_the_limit_is_harmless() {
        let f = fields();
        let deep = format!("{}Amount{}", "(".repeat(497), ")".repeat(497));
        assert!(deep.chars().count() <= MAX_CHARS);
        let _ = check(&deep, &f, None);
        let mut total = f.clone();
        total[2].formula = Some(deep.clone());
        let mut c = FieldContent::new();
        c.insert(FieldId(1), FieldValue::Int(2));
        recalculate(&total, &mut c);
        let _ = condition_holds(&deep, &f, &c);
        let unary = format!("{}1", "-".repeat(999));
        let _ = check(&unary, &f, None);
        let _ = condition_holds(&unary, &f, &c);
    }
}
