//! OmniBPM's representations of identity objects. Typed and borrowing, so that a list of
//! ten thousand users serializes without building an intermediate JSON tree.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::value::RawValue;
use sluice_domain::identity::{username, Department, Group, Organization, Rank, User, UserRef};
use sluice_domain::{DeptId, RankId};
use std::collections::HashMap;

/// `{"__type__":"datetime","__value__":"2017-05-04T00:00:00.000000+00:00"}`: microseconds, as
/// the spec's examples show them and as `document/list`'s time bounds compare them.
#[derive(Serialize)]
pub(crate) struct DateTimeOut {
    #[serde(rename = "__type__")]
    kind: &'static str,
    #[serde(rename = "__value__")]
    value: String,
}

pub(crate) fn datetime(t: &DateTime<Utc>) -> DateTimeOut {
    DateTimeOut {
        kind: "datetime",
        value: t.to_rfc3339_opts(SecondsFormat::Micros, false),
    }
}

/// Stored `client_extra` text as raw JSON (`{}` when there is none).
fn extra(text: &Option<String>) -> &RawValue {
    const EMPTY: &str = "{}";
    let s = text.as_deref().unwrap_or(EMPTY);
    serde_json::from_str(s).unwrap_or_else(|_| serde_json::from_str(EMPTY).expect("static JSON"))
}

/// The full organization (`organization/get`, `create`, `update`, `list`).
#[derive(Serialize)]
pub(crate) struct OrgOut<'a> {
    #[serde(rename = "__id__")]
    id: i64,
    #[serde(rename = "__model__")]
    model: &'static str,
    name: &'a str,
    abbr: &'a str,
    /// Keys are stored hashed: shown only to whoever presented or just received it.
    api_key: Option<&'a str>,
    is_active: bool,
    created_by: Option<()>,
    registration_date: DateTimeOut,
    #[serde(rename = "__client_extra__")]
    client_extra: &'a RawValue,
}

pub(crate) fn organization<'a>(org: &'a Organization, api_key: Option<&'a str>) -> OrgOut<'a> {
    OrgOut {
        id: org.id.0,
        model: "Organization",
        name: &org.name,
        abbr: &org.abbr,
        api_key,
        is_active: org.is_active,
        created_by: None,
        registration_date: datetime(&org.created_at),
        client_extra: extra(&org.client_extra),
    }
}

/// The organization nested in other objects.
#[derive(Serialize, Clone, Copy)]
pub(crate) struct OrgBrief<'a> {
    #[serde(rename = "__id__")]
    id: i64,
    #[serde(rename = "__model__")]
    model: &'static str,
    name: &'a str,
    abbr: &'a str,
    is_active: bool,
}

/// The objects of one organization that nested representations refer to.
pub(crate) struct Dir<'a> {
    org: &'a Organization,
    depts: HashMap<DeptId, &'a Department>,
    ranks: HashMap<RankId, &'a Rank>,
}

impl<'a> Dir<'a> {
    pub fn new(org: &'a Organization, depts: &'a [Department], ranks: &'a [Rank]) -> Self {
        Dir {
            org,
            depts: depts.iter().map(|d| (d.id, d)).collect(),
            ranks: ranks.iter().map(|r| (r.id, r)).collect(),
        }
    }

    /// The organization itself.
    pub fn organization(&self) -> &'a Organization {
        self.org
    }

    pub fn org(&self) -> OrgBrief<'a> {
        OrgBrief {
            id: self.org.id.0,
            model: "Organization",
            name: &self.org.name,
            abbr: &self.org.abbr,
            is_active: self.org.is_active,
        }
    }
}

/// A user nested in another object (a department's head).
#[derive(Serialize)]
pub(crate) struct UserBrief<'a> {
    #[serde(rename = "__id__")]
    id: i64,
    #[serde(rename = "__model__")]
    model: &'static str,
    username: String,
    display_name: &'a str,
}

fn user_brief<'a>(dir: &Dir<'a>, u: &'a UserRef) -> UserBrief<'a> {
    UserBrief {
        id: u.id.0,
        model: "UserProfile",
        username: username(&u.login, &dir.org.abbr),
        display_name: &u.display_name,
    }
}

/// A department nested one level (no further `parent_department` object).
#[derive(Serialize)]
pub(crate) struct DeptBrief<'a> {
    #[serde(rename = "__id__")]
    id: i64,
    #[serde(rename = "__model__")]
    model: &'static str,
    name: &'a str,
    is_active: bool,
    organization_id: i64,
    organization_name: &'a str,
    parent_department_id: Option<i64>,
    parent_department_name: Option<&'a str>,
    department_head: Option<UserBrief<'a>>,
}

fn dept_brief<'a>(dir: &Dir<'a>, d: &'a Department) -> DeptBrief<'a> {
    let parent = d.parent_id.and_then(|p| dir.depts.get(&p));
    DeptBrief {
        id: d.id.0,
        model: "Department",
        name: &d.name,
        is_active: d.is_active,
        organization_id: dir.org.id.0,
        organization_name: &dir.org.name,
        parent_department_id: d.parent_id.map(|p| p.0),
        parent_department_name: parent.map(|p| p.name.as_str()),
        department_head: d.head.as_ref().map(|h| user_brief(dir, h)),
    }
}

/// A department.
#[derive(Serialize)]
pub(crate) struct DeptOut<'a> {
    #[serde(rename = "__id__")]
    id: i64,
    #[serde(rename = "__model__")]
    model: &'static str,
    name: &'a str,
    is_active: bool,
    organization: OrgBrief<'a>,
    organization_id: i64,
    organization_name: &'a str,
    parent_department: Option<DeptBrief<'a>>,
    parent_department_id: Option<i64>,
    parent_department_name: Option<&'a str>,
    department_head: Option<UserBrief<'a>>,
    #[serde(rename = "__client_extra__")]
    client_extra: &'a RawValue,
}

pub(crate) fn department<'a>(dir: &Dir<'a>, d: &'a Department) -> DeptOut<'a> {
    let parent = d.parent_id.and_then(|p| dir.depts.get(&p).copied());
    DeptOut {
        id: d.id.0,
        model: "Department",
        name: &d.name,
        is_active: d.is_active,
        organization: dir.org(),
        organization_id: dir.org.id.0,
        organization_name: &dir.org.name,
        parent_department: parent.map(|p| dept_brief(dir, p)),
        parent_department_id: d.parent_id.map(|p| p.0),
        parent_department_name: parent.map(|p| p.name.as_str()),
        department_head: d.head.as_ref().map(|h| user_brief(dir, h)),
        client_extra: extra(&d.client_extra),
    }
}

/// A rank (`UserRank`).
#[derive(Serialize)]
pub(crate) struct RankOut<'a> {
    #[serde(rename = "__id__")]
    id: i64,
    #[serde(rename = "__model__")]
    model: &'static str,
    name: &'a str,
    level: i64,
    is_active: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    organization: Option<OrgBrief<'a>>,
    #[serde(rename = "__client_extra__", skip_serializing_if = "Option::is_none")]
    client_extra: Option<&'a RawValue>,
}

pub(crate) fn rank<'a>(dir: &Dir<'a>, r: &'a Rank) -> RankOut<'a> {
    RankOut {
        organization: Some(dir.org()),
        client_extra: Some(extra(&r.client_extra)),
        ..rank_brief(r)
    }
}

fn rank_brief(r: &Rank) -> RankOut<'_> {
    RankOut {
        id: r.id.0,
        model: "UserRank",
        name: &r.name,
        level: r.level,
        is_active: r.is_active,
        organization: None,
        client_extra: None,
    }
}

/// A user (`UserProfile`).
#[derive(Serialize)]
pub(crate) struct UserOut<'a> {
    #[serde(rename = "__id__")]
    id: i64,
    #[serde(rename = "__model__")]
    model: &'static str,
    username: String,
    display_name: &'a str,
    email: &'a str,
    is_active: bool,
    is_external: bool,
    is_admin: bool,
    organization: OrgBrief<'a>,
    organization_id: i64,
    organization_name: &'a str,
    rank: Option<RankOut<'a>>,
    rank_id: Option<i64>,
    rank_name: Option<&'a str>,
    department: Option<DeptBrief<'a>>,
    department_id: Option<i64>,
    department_name: Option<&'a str>,
    #[serde(rename = "__client_extra__")]
    client_extra: &'a RawValue,
}

pub(crate) fn user<'a>(dir: &Dir<'a>, u: &'a User) -> UserOut<'a> {
    let rank = u.rank_id.and_then(|r| dir.ranks.get(&r).copied());
    let dept = u.department_id.and_then(|d| dir.depts.get(&d).copied());
    UserOut {
        id: u.id.0,
        model: "UserProfile",
        username: username(&u.login, &dir.org.abbr),
        display_name: &u.display_name,
        email: &u.email,
        is_active: u.is_active,
        is_external: u.is_external,
        is_admin: u.is_admin,
        organization: dir.org(),
        organization_id: dir.org.id.0,
        organization_name: &dir.org.name,
        rank: rank.map(rank_brief),
        rank_id: u.rank_id.map(|r| r.0),
        rank_name: rank.map(|r| r.name.as_str()),
        department: dept.map(|d| dept_brief(dir, d)),
        department_id: u.department_id.map(|d| d.0),
        department_name: dept.map(|d| d.name.as_str()),
        client_extra: extra(&u.client_extra),
    }
}

/// A group (`GroupProfile`).
#[derive(Serialize)]
pub(crate) struct GroupOut<'a> {
    #[serde(rename = "__id__")]
    id: i64,
    #[serde(rename = "__model__")]
    model: &'static str,
    name: &'a str,
    is_active: bool,
    /// Whether the system maintains the members ("All Users", "External Users").
    is_system: bool,
    organization: OrgBrief<'a>,
    organization_id: i64,
    organization_name: &'a str,
    #[serde(rename = "__client_extra__")]
    client_extra: &'a RawValue,
}

pub(crate) fn group<'a>(dir: &Dir<'a>, g: &'a Group) -> GroupOut<'a> {
    GroupOut {
        id: g.id.0,
        model: "GroupProfile",
        name: &g.name,
        is_active: g.is_active,
        is_system: g.system.is_some(),
        organization: dir.org(),
        organization_id: dir.org.id.0,
        organization_name: &dir.org.name,
        client_extra: extra(&g.client_extra),
    }
}
