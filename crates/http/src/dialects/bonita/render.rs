//! Bonita representations of users, groups, roles, memberships and contact data: every
//! value a string, ids `"-1"` where there is none, dates as `2014-12-31 15:17:24.736`.

use super::wire::{date, id_or_minus_one};
use serde_json::{json, Map, Value};
use sluice_domain::identity::{ContactData, Membership, Profile, Role};
use sluice_store::identity::Unit;

/// The icon Bonita shows for a user without one.
const DEFAULT_USER_ICON: &str = "icons/default/icon_user.png";

/// A user; `manager_id` is the manager's id (`"0"` for none) until deployed.
pub(super) fn user(p: &Profile) -> Map<String, Value> {
    let (first, last) = p.person.names(&p.user);
    let icon = if p.person.icon.is_empty() {
        DEFAULT_USER_ICON
    } else {
        p.person.icon.as_str()
    };
    let created = p.person.created_at;
    let obj = json!({
        "id": p.user.id.0.to_string(),
        "userName": p.user.login,
        "firstname": first,
        "lastname": last,
        "title": p.person.title,
        "job_title": p.person.job_title,
        "icon": icon,
        "enabled": p.user.is_active.to_string(),
        "password": "",
        "manager_id": p.person.manager_id.map_or_else(|| "0".to_string(), |m| m.0.to_string()),
        "created_by_user_id": id_or_minus_one(p.person.created_by.map(|u| u.0)),
        "creation_date": date(created),
        "last_update_date": date(p.person.updated_at.or(created)),
        "last_connection": date(p.person.last_login_at),
    });
    match obj {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// Contact data of a user (`id` is the user's).
pub(super) fn contact(user_id: i64, c: &ContactData) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), Value::String(user_id.to_string()));
    for (name, value) in c.fields() {
        m.insert(name.into(), Value::String(value.clone()));
    }
    Value::Object(m)
}

/// A group (unit).
pub(super) fn group(u: &Unit) -> Value {
    let created = u.created_at;
    json!({
        "id": u.id.0.to_string(),
        "name": u.name,
        "displayName": u.display_name.clone().unwrap_or_else(|| u.name.clone()),
        "parent_path": u.parent_path(),
        "path": u.path,
        "description": u.description,
        "icon": u.icon,
        "created_by_user_id": id_or_minus_one(u.created_by.map(|c| c.0)),
        "creation_date": date(created),
        "last_update_date": date(u.updated_at.or(created)),
    })
}

/// A role.
pub(super) fn role(r: &Role) -> Value {
    json!({
        "id": r.id.0.to_string(),
        "name": r.name,
        "displayName": r.display_name.clone().unwrap_or_else(|| r.name.clone()),
        "description": r.description,
        "icon": r.icon,
        "created_by_user_id": id_or_minus_one(r.created_by.map(|c| c.0)),
        "creation_date": date(Some(r.created_at)),
        "last_update_date": date(Some(r.updated_at)),
    })
}

/// A membership; a missing unit or role shows as `"-1"`.
pub(super) fn membership(m: &Membership) -> Map<String, Value> {
    let obj = json!({
        "user_id": m.user_id.0.to_string(),
        "group_id": id_or_minus_one(m.department_id.map(|d| d.0)),
        "role_id": id_or_minus_one(m.role_id.map(|r| r.0)),
        "assigned_by_user_id": id_or_minus_one(m.assigned_by.map(|u| u.0)),
        "assigned_date": date(Some(m.assigned_at)),
    });
    match obj {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}
