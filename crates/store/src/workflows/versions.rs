//! Workflow versions and families: create, copy, rename, finalize, activate, hide, delete.

use super::{workflow_in, WorkflowRow, WORKFLOW_SELECT};
use crate::{Result, Store};
use sluice_domain::workflow::{self as rules, Workflow};
use sluice_domain::{Error, OrgId, WorkflowId};

/// Creates a family named `$name` (checked free) with its default permission: "All Users"
/// may create documents. Returns its id.
macro_rules! create_family {
    ($tx:ident, $org:expr, $name:expr) => {{
        let name: &str = $name;
        let taken = scalar_i64!(
            &mut *$tx,
            "SELECT COUNT(*) FROM workflow_families WHERE org_id = $1 AND name = $2",
            $org.0,
            name
        );
        if taken > 0 {
            return Err(sluice_domain::Error::DuplicateName.into());
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO workflow_families (org_id, name) VALUES ($1, $2) RETURNING id",
        )
        .bind($org.0)
        .bind(name)
        .fetch_one(&mut *$tx)
        .await?;
        let all_users = $crate::workflows::all_users_group!($tx, $org);
        sqlx::query(
            "INSERT INTO workflow_permissions (family_id, group_id, is_creatable) \
             VALUES ($1, $2, TRUE)",
        )
        .bind(id)
        .bind(all_users.0)
        .execute(&mut *$tx)
        .await?;
        sluice_domain::FamilyId(id)
    }};
}
pub(crate) use create_family;

/// Inserts a version of a family; returns its id.
macro_rules! insert_version {
    ($tx:ident, $org:expr, $family:expr, $version:expr, $complete:expr, $active:expr) => {{
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO workflows (org_id, family_id, version, is_complete, is_active, \
             is_hidden, created_at) VALUES ($1, $2, $3, $4, $5, FALSE, $6) RETURNING id",
        )
        .bind($org.0)
        .bind($family.0)
        .bind($version)
        .bind($complete)
        .bind($active)
        .bind(chrono::Utc::now())
        .fetch_one(&mut *$tx)
        .await?;
        sluice_domain::WorkflowId(id)
    }};
}
pub(crate) use insert_version;

/// Holds the family's row lock until the transaction ends (PostgreSQL; SQLite has a single
/// writer anyway), so versions of one family are numbered, activated and deleted one
/// operation at a time.
macro_rules! lock_family {
    ($tx:ident, $family:expr) => {
        sqlx::query("UPDATE workflow_families SET name = name WHERE id = $1")
            .bind($family.0)
            .execute(&mut *$tx)
            .await?;
    };
}
pub(crate) use lock_family;

impl Store {
    /// One version of a workflow of the organization (hidden ones included).
    pub async fn workflow(&self, org: OrgId, id: WorkflowId) -> Result<Workflow> {
        read!(self, |db| { Ok(workflow_in!(db, org, id)) })
    }

    /// The versions `workflow/list` shows: not hidden, optionally of one name; grouped by
    /// family in creation order, newest version first.
    pub async fn list_workflows(&self, org: OrgId, name: Option<&str>) -> Result<Vec<Workflow>> {
        let name = name.map(str::trim);
        let sql = format!(
            "{WORKFLOW_SELECT} WHERE w.org_id = $1 AND w.is_hidden = FALSE \
             AND ($2 IS NULL OR f.name = $2) ORDER BY w.family_id, w.version DESC"
        );
        let rows: Vec<WorkflowRow> = read!(self, |db| {
            sqlx::query_as(&sql)
                .bind(org.0)
                .bind(name)
                .fetch_all(db)
                .await?
        });
        Ok(rows.into_iter().map(Workflow::from).collect())
    }

    /// Creates a workflow: a new family with its first version (0), editable and inactive.
    pub async fn create_workflow(&self, org: OrgId, name: &str) -> Result<Workflow> {
        let name = rules::name(name)?;
        let id = write_tx!(self, |tx| {
            let family = create_family!(tx, org, &name);
            insert_version!(tx, org, family, 0_i64, false, false)
        });
        self.workflow(org, id).await
    }

    /// A new editable, inactive version of the same family, numbered above every version,
    /// with copies of the fields and nodes of `from` (`workflow/clone`).
    pub async fn clone_workflow(&self, org: OrgId, from: WorkflowId) -> Result<Workflow> {
        let id = write_tx!(self, |tx| {
            let source = workflow_in!(&mut *tx, org, from);
            lock_family!(tx, source.family_id);
            let last: Option<i64> =
                sqlx::query_scalar("SELECT MAX(version) FROM workflows WHERE family_id = $1")
                    .bind(source.family_id.0)
                    .fetch_one(&mut *tx)
                    .await?;
            let version = last.unwrap_or(-1) + 1;
            let id = insert_version!(tx, org, source.family_id, version, false, false);
            super::copy::copy_definition!(tx, org, from, id);
            id
        });
        self.workflow(org, id).await
    }

    /// A new family named `new_name` whose version 0 copies `from`: its fields, its nodes and,
    /// as OmniBPM shows, its finalized and active flags (`workflow/save_as`).
    pub async fn save_workflow_as(
        &self,
        org: OrgId,
        from: WorkflowId,
        new_name: &str,
    ) -> Result<Workflow> {
        let name = rules::name(new_name)?;
        let id = write_tx!(self, |tx| {
            let source = workflow_in!(&mut *tx, org, from);
            let family = create_family!(tx, org, &name);
            let id = insert_version!(
                tx,
                org,
                family,
                0_i64,
                source.is_complete,
                source.is_active && source.is_complete
            );
            super::copy::copy_definition!(tx, org, from, id);
            id
        });
        self.workflow(org, id).await
    }

    /// Renames the family of a version: every version shares the name.
    pub async fn rename_workflow(
        &self,
        org: OrgId,
        id: WorkflowId,
        name: &str,
    ) -> Result<Workflow> {
        let name = rules::name(name)?;
        write_tx!(self, |tx| {
            let w = workflow_in!(&mut *tx, org, id);
            let taken = scalar_i64!(
                &mut *tx,
                "SELECT COUNT(*) FROM workflow_families WHERE org_id = $1 AND name = $2 AND id <> $3",
                org.0,
                &name,
                w.family_id.0
            );
            if taken > 0 {
                return Err(Error::DuplicateName.into());
            }
            sqlx::query("UPDATE workflow_families SET name = $1 WHERE id = $2")
                .bind(&name)
                .bind(w.family_id.0)
                .execute(&mut *tx)
                .await?;
        });
        self.workflow(org, id).await
    }

    /// Finalizes a version: its nodes and fields can no longer change. Refused when the
    /// version could not run (`check_runnable`: BPMN gateways, events and service tasks).
    pub async fn finalize_workflow(&self, org: OrgId, id: WorkflowId) -> Result<Workflow> {
        write_tx!(self, |tx| {
            // Locked like an edit, so no edit slips in between the check and the flag.
            sqlx::query(
                "UPDATE workflows SET is_complete = is_complete WHERE org_id = $1 AND id = $2",
            )
            .bind(org.0)
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
            let w = workflow_in!(&mut *tx, org, id);
            if !w.is_complete {
                let fields = super::load_fields!(&mut *tx, org, id);
                let nodes = super::load_nodes!(&mut *tx, org, id);
                rules::check_runnable(&nodes, &fields)?;
                super::event_keys::insert_event_keys!(tx, org, id, &nodes);
            }
            sqlx::query("UPDATE workflows SET is_complete = TRUE WHERE id = $1")
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
        });
        self.workflow(org, id).await
    }

    /// Activates a finalized version, inactivating the family's other versions in the same
    /// transaction; or inactivates a version.
    pub async fn set_workflow_active(
        &self,
        org: OrgId,
        id: WorkflowId,
        active: bool,
    ) -> Result<Workflow> {
        write_tx!(self, |tx| {
            let w = workflow_in!(&mut *tx, org, id);
            if active {
                rules::check_can_activate(&w)?;
                lock_family!(tx, w.family_id);
                sqlx::query(
                    "UPDATE workflows SET is_active = FALSE WHERE family_id = $1 AND id <> $2",
                )
                .bind(w.family_id.0)
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
            }
            sqlx::query("UPDATE workflows SET is_active = $1 WHERE id = $2")
                .bind(active)
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
        });
        self.workflow(org, id).await
    }

    /// Hides a version from `workflow/list`.
    pub async fn hide_workflow(&self, org: OrgId, id: WorkflowId) -> Result<()> {
        write_tx!(self, |tx| {
            workflow_in!(&mut *tx, org, id);
            sqlx::query("UPDATE workflows SET is_hidden = TRUE WHERE id = $1")
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }

    /// Deletes a version no document was created from, with its fields and nodes; the family
    /// (name and permissions) goes with its last version.
    pub async fn delete_workflow(&self, org: OrgId, id: WorkflowId) -> Result<()> {
        write_tx!(self, |tx| {
            let w = workflow_in!(&mut *tx, org, id);
            lock_family!(tx, w.family_id);
            // Lock the version's row before counting: document/create holds a share lock on
            // it (PostgreSQL), so a document being created is either counted or sees no
            // version. SQLite has one writer.
            sqlx::query("UPDATE workflows SET is_active = is_active WHERE id = $1")
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
            let documents = scalar_i64!(
                &mut *tx,
                "SELECT COUNT(*) FROM documents WHERE org_id = $1 AND workflow_id = $2",
                org.0,
                id.0
            );
            rules::check_can_delete(&w, documents)?;
            // Nodes refer to each other; drop those references before the rows go.
            sqlx::query(
                "UPDATE workflow_nodes SET reference_node_id = NULL, job_assignment_node_id = NULL \
                 WHERE org_id = $1 AND workflow_id = $2",
            )
            .bind(org.0)
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM workflows WHERE id = $1")
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
            let left = scalar_i64!(
                &mut *tx,
                "SELECT COUNT(*) FROM workflows WHERE family_id = $1",
                w.family_id.0
            );
            if left == 0 {
                sqlx::query("DELETE FROM workflow_families WHERE id = $1")
                    .bind(w.family_id.0)
                    .execute(&mut *tx)
                    .await?;
            }
        });
        Ok(())
    }
}
