//! Workflow permissions: who may create, see, revoke and revive the documents of every
//! version of a family.

use super::{check_in_org, workflow_in};
use crate::identity::exists_in_org;
use crate::{Result, Store};
use sluice_domain::workflow::{merge_permissions, Grants, Permission, Subject};
use sluice_domain::{DeptId, Error, FamilyId, GroupId, OrgId, UserId, WorkflowId};

/// user, group, department, creatable, visible, revokable, revivable.
type PermRow = (
    Option<i64>,
    Option<i64>,
    Option<i64>,
    bool,
    bool,
    bool,
    bool,
);

fn permission(r: PermRow) -> Result<Permission> {
    let (user, group, dept, creatable, visible, revokable, revivable) = r;
    let subject = match (user, group, dept) {
        (Some(u), None, None) => Subject::User(UserId(u)),
        (None, Some(g), None) => Subject::Group(GroupId(g)),
        (None, None, Some(d)) => Subject::Department(DeptId(d)),
        _ => {
            return Err(crate::Error::Unexpected(anyhow::anyhow!(
                "a workflow permission without exactly one subject in the database"
            )))
        }
    };
    Ok(Permission {
        subject,
        grants: Grants {
            creatable,
            visible,
            revokable,
            revivable,
        },
    })
}

/// `(user, group, department)` columns of a subject.
fn columns(s: Subject) -> (Option<i64>, Option<i64>, Option<i64>) {
    match s {
        Subject::User(u) => (Some(u.0), None, None),
        Subject::Group(g) => (None, Some(g.0), None),
        Subject::Department(d) => (None, None, Some(d.0)),
    }
}

/// Fails with not found for the first subject that is not the organization's.
macro_rules! check_subjects {
    ($tx:ident, $org:expr, $subjects:expr) => {{
        let subjects: Vec<Subject> = $subjects;
        let of = |f: fn(Subject) -> Option<i64>| subjects.iter().filter_map(move |s| f(*s));
        check_in_org!($tx, "users", "User", $org, of(|s| columns(s).0));
        check_in_org!(
            $tx,
            "(SELECT id, org_id FROM groups WHERE kind = 'user') g",
            "Group",
            $org,
            of(|s| columns(s).1)
        );
        check_in_org!($tx, "departments", "Department", $org, of(|s| columns(s).2));
    }};
}

impl Store {
    /// The permissions of a family, in the order they were set.
    pub async fn family_permissions(
        &self,
        org: OrgId,
        family: FamilyId,
    ) -> Result<Vec<Permission>> {
        let rows: Vec<PermRow> = read!(self, |db| {
            let mut tx = crate::db::begin(db).await?;
            if !exists_in_org!(&mut *tx, "workflow_families", org.0, family.0) {
                return Err(Error::not_found("Workflow family", family).into());
            }
            let rows = sqlx::query_as(
                "SELECT user_id, group_id, department_id, is_creatable, is_visible, \
                 is_revokable, is_revivable FROM workflow_permissions WHERE family_id = $1 \
                 ORDER BY id",
            )
            .bind(family.0)
            .fetch_all(&mut *tx)
            .await?;
            tx.commit().await?;
            rows
        });
        rows.into_iter().map(permission).collect()
    }

    /// Replaces every permission of the family of `workflow` (`workflow_perm/set`). A
    /// subject listed several times gets one permission with every grant.
    pub async fn set_workflow_permissions(
        &self,
        org: OrgId,
        workflow: WorkflowId,
        permissions: Vec<Permission>,
    ) -> Result<()> {
        let merged: Vec<Permission> =
            merge_permissions(permissions.into_iter().map(|p| (p.subject, p.grants)))
                .into_iter()
                .filter(|p| p.grants != Grants::default())
                .collect();
        write_tx!(self, |tx| {
            let w = workflow_in!(&mut *tx, org, workflow);
            check_subjects!(tx, org, merged.iter().map(|p| p.subject).collect());
            sqlx::query("DELETE FROM workflow_permissions WHERE family_id = $1")
                .bind(w.family_id.0)
                .execute(&mut *tx)
                .await?;
            for p in &merged {
                let (user, group, dept) = columns(p.subject);
                sqlx::query(
                    "INSERT INTO workflow_permissions (family_id, user_id, group_id, \
                     department_id, is_creatable, is_visible, is_revokable, is_revivable) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(w.family_id.0)
                .bind(user)
                .bind(group)
                .bind(dept)
                .bind(p.grants.creatable)
                .bind(p.grants.visible)
                .bind(p.grants.revokable)
                .bind(p.grants.revivable)
                .execute(&mut *tx)
                .await?;
            }
        });
        Ok(())
    }

    /// Removes every grant of one subject on the family of `workflow`
    /// (`workflow_perm/delete`); a subject without permissions is left as it is.
    pub async fn delete_workflow_permission(
        &self,
        org: OrgId,
        workflow: WorkflowId,
        subject: Subject,
    ) -> Result<()> {
        write_tx!(self, |tx| {
            let w = workflow_in!(&mut *tx, org, workflow);
            check_subjects!(tx, org, vec![subject]);
            let (user, group, dept) = columns(subject);
            sqlx::query(
                "DELETE FROM workflow_permissions WHERE family_id = $1 \
                 AND COALESCE(user_id, 0) = COALESCE($2, 0) \
                 AND COALESCE(group_id, 0) = COALESCE($3, 0) \
                 AND COALESCE(department_id, 0) = COALESCE($4, 0)",
            )
            .bind(w.family_id.0)
            .bind(user)
            .bind(group)
            .bind(dept)
            .execute(&mut *tx)
            .await?;
        });
        Ok(())
    }
}
