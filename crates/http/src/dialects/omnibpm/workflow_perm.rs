//! `workflow_perm/*`: who may create, see, revoke and revive the documents of a workflow
//! (every version of its name shares them).

use super::directory;
use super::render::{self, DeptOut, Dir, GroupOut, UserOut};
use super::wire::{ok, OmniError, OmniResult, OrgCall, Ref};
use super::workflow::workflow_ref;
use crate::AppState;
use axum::extract::State;
use axum::response::IntoResponse;
use axum::Json;
use serde::Serialize;
use sluice_domain::workflow::{Grants, Permission, Subject};
use sluice_domain::{DeptId, GroupId, UserId};
use std::collections::HashMap;

/// The grants, as the prefixes of the request and response members.
const GRANTS: [&str; 4] = ["creatable", "visible", "revokable", "revivable"];

fn grant(kind: &str) -> Grants {
    Grants {
        creatable: kind == "creatable",
        visible: kind == "visible",
        revokable: kind == "revokable",
        revivable: kind == "revivable",
    }
}

fn has(g: &Grants, kind: &str) -> bool {
    match kind {
        "creatable" => g.creatable,
        "visible" => g.visible,
        "revokable" => g.revokable,
        _ => g.revivable,
    }
}

/// The twelve lists of `workflow_perm/list`.
#[derive(Serialize)]
struct PermsOut<'a> {
    #[serde(rename = "RESPONSE")]
    response: &'static str,
    creatable_users: Vec<UserOut<'a>>,
    visible_users: Vec<UserOut<'a>>,
    revokable_users: Vec<UserOut<'a>>,
    revivable_users: Vec<UserOut<'a>>,
    creatable_groups: Vec<GroupOut<'a>>,
    visible_groups: Vec<GroupOut<'a>>,
    revokable_groups: Vec<GroupOut<'a>>,
    revivable_groups: Vec<GroupOut<'a>>,
    creatable_departments: Vec<DeptOut<'a>>,
    visible_departments: Vec<DeptOut<'a>>,
    revokable_departments: Vec<DeptOut<'a>>,
    revivable_departments: Vec<DeptOut<'a>>,
}

pub(super) async fn list(State(app): State<AppState>, call: OrgCall) -> OmniResult {
    let id = workflow_ref(&call, "workflow")?;
    let w = app.store.workflow(call.org.id, id).await?;
    let perms = app
        .store
        .family_permissions(call.org.id, w.family_id)
        .await?;
    let user_ids: Vec<UserId> = perms
        .iter()
        .filter_map(|p| match p.subject {
            Subject::User(u) => Some(u),
            _ => None,
        })
        .collect();
    let (users, groups, (depts, ranks)) = tokio::try_join!(
        async { Ok::<_, OmniError>(app.store.users_by_ids(call.org.id, &user_ids).await?) },
        async { Ok::<_, OmniError>(app.store.list_groups(call.org.id).await?) },
        directory(&app, &call.org),
    )?;
    let dir = Dir::new(&call.org, &depts, &ranks);
    let groups: HashMap<GroupId, _> = groups.iter().map(|g| (g.id, g)).collect();
    let dept_map: HashMap<DeptId, _> = depts.iter().map(|d| (d.id, d)).collect();
    let users_with = |kind: &str| -> Vec<UserOut<'_>> {
        perms
            .iter()
            .filter(|p| has(&p.grants, kind))
            .filter_map(|p| match p.subject {
                Subject::User(u) => users.get(&u),
                _ => None,
            })
            .map(|u| render::user(&dir, u))
            .collect()
    };
    let groups_with = |kind: &str| -> Vec<GroupOut<'_>> {
        perms
            .iter()
            .filter(|p| has(&p.grants, kind))
            .filter_map(|p| match p.subject {
                Subject::Group(g) => groups.get(&g).copied(),
                _ => None,
            })
            .map(|g| render::group(&dir, g))
            .collect()
    };
    let depts_with = |kind: &str| -> Vec<DeptOut<'_>> {
        perms
            .iter()
            .filter(|p| has(&p.grants, kind))
            .filter_map(|p| match p.subject {
                Subject::Department(d) => dept_map.get(&d).copied(),
                _ => None,
            })
            .map(|d| render::department(&dir, d))
            .collect()
    };
    Ok(Json(PermsOut {
        response: "OK",
        creatable_users: users_with("creatable"),
        visible_users: users_with("visible"),
        revokable_users: users_with("revokable"),
        revivable_users: users_with("revivable"),
        creatable_groups: groups_with("creatable"),
        visible_groups: groups_with("visible"),
        revokable_groups: groups_with("revokable"),
        revivable_groups: groups_with("revivable"),
        creatable_departments: depts_with("creatable"),
        visible_departments: depts_with("visible"),
        revokable_departments: depts_with("revokable"),
        revivable_departments: depts_with("revivable"),
    })
    .into_response())
}

/// Replaces every permission of the workflow's name; lists not given are cleared.
pub(super) async fn set(State(app): State<AppState>, call: OrgCall) -> OmniResult {
    let id = workflow_ref(&call, "workflow")?;
    let mut perms = Vec::new();
    for kind in GRANTS {
        let list = |subject: &str| -> Result<Vec<Ref>, OmniError> {
            Ok(call
                .body
                .optional(&format!("{kind}_{subject}"))?
                .unwrap_or_default())
        };
        for r in list("users")? {
            let subject = Subject::User(UserId(r.id_of("UserProfile")?));
            perms.push(Permission {
                subject,
                grants: grant(kind),
            });
        }
        for r in list("groups")? {
            let subject = Subject::Group(GroupId(r.id_of("GroupProfile")?));
            perms.push(Permission {
                subject,
                grants: grant(kind),
            });
        }
        for r in list("departments")? {
            let subject = Subject::Department(DeptId(r.id_of("Department")?));
            perms.push(Permission {
                subject,
                grants: grant(kind),
            });
        }
    }
    app.store
        .set_workflow_permissions(call.org.id, id, perms)
        .await?;
    ok()
}

/// Removes every grant of one user, group or department.
pub(super) async fn delete(State(app): State<AppState>, call: OrgCall) -> OmniResult {
    let id = workflow_ref(&call, "workflow")?;
    let user: Option<Ref> = call.body.optional("user")?;
    let group: Option<Ref> = call.body.optional("group")?;
    let dept: Option<Ref> = call.body.optional("department")?;
    let subject = match (user, group, dept) {
        (Some(u), None, None) => Subject::User(UserId(u.id_of("UserProfile")?)),
        (None, Some(g), None) => Subject::Group(GroupId(g.id_of("GroupProfile")?)),
        (None, None, Some(d)) => Subject::Department(DeptId(d.id_of("Department")?)),
        _ => {
            return Err(OmniError::bad_request(
                "Give exactly one of user, group or department.",
            ))
        }
    };
    app.store
        .delete_workflow_permission(call.org.id, id, subject)
        .await?;
    ok()
}
