//! PlusWorkflow's `UserInfo` object, rendered from a directory entry.

use serde::Serialize;
use sluice_store::identity::DirectoryEntry;

/// A group the user is in: `{"name": ...}`.
#[derive(Serialize)]
pub(crate) struct GroupInfo {
    name: String,
}

/// An organizational unit: its symbol (the unit's id, as text) and name.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UnitInfo {
    symbol: String,
    name: String,
}

/// A position the user holds: membership of a unit (Sluice has no positions apart from
/// units, so a position is named after its unit).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PositionInfo {
    symbol: String,
    name: String,
    organizational_unit: UnitInfo,
}

/// `UserInfo`, its members in the spec's order.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UserInfo {
    user_name: String,
    object_id: i64,
    first_name: String,
    last_name: String,
    email: String,
    active: bool,
    number: String,
    positions: Vec<PositionInfo>,
    groups: Vec<GroupInfo>,
    full_name: String,
}

impl From<DirectoryEntry> for UserInfo {
    fn from(e: DirectoryEntry) -> Self {
        let (first_name, last_name) = e.profile.person.names(&e.profile.user);
        let user = e.profile.user;
        UserInfo {
            // The spec's examples join the names with one space even when the last name is
            // empty ("Default User ").
            full_name: format!("{first_name} {last_name}"),
            user_name: user.login,
            object_id: user.id.0,
            first_name,
            last_name,
            email: user.email,
            active: user.is_active,
            number: e.profile.person.number,
            positions: e
                .units
                .into_iter()
                .map(|u| PositionInfo {
                    symbol: u.id.0.to_string(),
                    name: u.name.clone(),
                    organizational_unit: UnitInfo {
                        symbol: u.id.0.to_string(),
                        name: u.name,
                    },
                })
                .collect(),
            groups: e
                .groups
                .into_iter()
                .map(|name| GroupInfo { name })
                .collect(),
        }
    }
}
