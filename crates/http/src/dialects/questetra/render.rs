//! Questetra's JSON objects (the Quser, Qgroup, Qrole, Membership, RoleMembership and
//! SystemAuthority models). Absent optional values are `null`.

use serde_json::{json, Value};
use sluice_store::identity::{
    Account, AccountWithUnit, AuthorityGrant, AuthorityHolder, RoleBrief, RoleMember, UnitInfo,
    UnitMember,
};

/// Quser: `{"email","id","name"}`.
pub(crate) fn quser(a: &Account) -> Value {
    json!({"email": a.email, "id": a.id.0, "name": a.name})
}

/// QuserWithPrimaryQgroup: a Quser with `primaryQgroup`.
pub(crate) fn quser_with_primary(a: &AccountWithUnit) -> Value {
    let mut v = quser(&a.account);
    v["primaryQgroup"] = a.primary_unit.as_ref().map_or(Value::Null, qgroup);
    v
}

/// Qgroup: the unit with its parent's id, name and e-mail.
pub(crate) fn qgroup(u: &UnitInfo) -> Value {
    let p = u.parent.as_ref();
    json!({
        "email": u.email,
        "id": u.id.0,
        "name": u.name,
        "parentQgroupEmail": p.map(|p| &p.email),
        "parentQgroupId": p.map(|p| p.id.0),
        "parentQgroupName": p.map(|p| &p.name),
    })
}

/// Qrole: `{"id","name"}`.
pub(crate) fn qrole(r: &RoleBrief) -> Value {
    json!({"id": r.id.0, "name": r.name})
}

/// Membership: a user in a unit, `role` `_leader` for its leader, else null.
pub(crate) fn membership(m: &UnitMember) -> Value {
    json!({
        "qgroupEmail": m.unit.email,
        "qgroupId": m.unit.id.0,
        "qgroupName": m.unit.name,
        "quserEmail": m.user.email,
        "quserId": m.user.id.0,
        "quserName": m.user.name,
        "role": if m.leader { Some("_leader") } else { None },
    })
}

/// RoleMembership: a user holding a role.
pub(crate) fn role_membership(m: &RoleMember) -> Value {
    json!({
        "qroleId": m.role.id.0,
        "qroleName": m.role.name,
        "quserEmail": m.user.email,
        "quserId": m.user.id.0,
        "quserName": m.user.name,
    })
}

/// SystemAuthority: id, type and the holder (`quser`, `qgroup` with `leader` and
/// `descendantQgroups`, or `qrole`); the other holders are null.
pub(crate) fn system_authority(g: &AuthorityGrant) -> Value {
    let mut v = json!({
        "id": g.id,
        "type": g.kind.code(),
        "quser": null,
        "qgroup": null,
        "leader": null,
        "descendantQgroups": null,
        "qrole": null,
    });
    match &g.holder {
        AuthorityHolder::User(a) => v["quser"] = quser(a),
        AuthorityHolder::Unit {
            unit,
            leader_only,
            descendants,
        } => {
            v["qgroup"] = qgroup(unit);
            v["leader"] = json!(leader_only);
            v["descendantQgroups"] = json!(descendants);
        }
        AuthorityHolder::Role(r) => v["qrole"] = qrole(r),
    }
    v
}
