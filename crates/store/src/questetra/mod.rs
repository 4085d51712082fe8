//! Questetra's workflow API over Sluice's cases (docs/dialects/questetra.md, "Workflow
//! API"): process authorities per workflow family, stars, and the reads and writes of the
//! ProcessInstance and ProcessModel endpoints. Cases are documents: everything else they
//! need (creation, signing) goes through `documents`.

mod authorities;
mod forms;
mod instances;
mod models;
mod workitem_records;
mod workitems;

pub use authorities::{ProcessAuthority, ProcessAuthorityKind};
pub use forms::{Access, FormField, TaskForm};
pub use instances::{InstanceFilter, InstanceOrder, ProcessInstance, ProcessState};
pub use models::{ProcessModel, StartActivity, StartNode};
pub use workitem_records::{WorkitemFilter, WorkitemRecord, WorkitemState};
pub use workitems::{Workitem, MAX_WORKITEMS};

/// Who reads: a user of the organization, or the organization's own client (`None`), which
/// sees every case as an administrator does.
#[derive(Debug, Clone, Copy)]
pub struct Viewer {
    pub user: Option<sluice_domain::UserId>,
    /// System administrators see every case of the organization.
    pub admin: bool,
}

impl Viewer {
    /// Whether the viewer sees every case of the organization.
    fn sees_all(&self) -> bool {
        self.admin || self.user.is_none()
    }

    /// The user id bound for `$2` of [`HELD`] (0: nobody).
    fn user_id(&self) -> i64 {
        self.user.map_or(0, |u| u.0)
    }
}

/// Common table expressions naming what user `$2` of organization `$1` holds, as rows
/// `held(family_id, kind)`: process authorities given to the user, to a global role the
/// user has, or to a unit the user is in (or leads, for leader-only grants; through a unit
/// below it with `descendants`) — the shape of the system authorities' query — and, as kind
/// 2 (data viewer), Sluice's own *visible* workflow permissions.
pub(crate) const HELD: &str = "WITH RECURSIVE mine(dept, leader) AS (\
       SELECT department_id, FALSE FROM unit_members WHERE org_id = $1 AND user_id = $2 \
       UNION SELECT id, TRUE FROM departments WHERE org_id = $1 AND head_user_id = $2), \
     up(dept, leader, depth) AS (\
       SELECT dept, leader, 0 FROM mine \
       UNION ALL SELECT d.parent_id, up.leader, 1 FROM up JOIN departments d ON d.id = up.dept \
         WHERE d.parent_id IS NOT NULL), \
     held(family_id, kind) AS (\
       SELECT a.family_id, a.kind FROM process_authorities a WHERE a.org_id = $1 AND (a.user_id = $2 \
       OR a.role_id IN (SELECT m.role_id FROM memberships m JOIN roles r ON r.id = m.role_id \
         WHERE m.user_id = $2 AND r.package_id IS NULL AND r.process_id IS NULL) \
       OR EXISTS (SELECT 1 FROM up WHERE up.dept = a.department_id \
         AND (up.depth = 0 OR a.descendants) AND (up.leader OR NOT a.leader_only))) \
       UNION ALL SELECT p.family_id, 2 FROM workflow_permissions p \
       JOIN users u ON u.id = $2 AND u.org_id = $1 WHERE p.is_visible AND \
       (p.user_id = u.id OR p.department_id = u.department_id OR \
        p.group_id IN (SELECT group_id FROM group_members WHERE user_id = u.id) OR \
        p.group_id IN (SELECT g.id FROM groups g WHERE g.org_id = u.org_id AND \
        ((g.system_kind = 'all_users' AND NOT u.is_external) OR \
         (g.system_kind = 'external_users' AND u.is_external)))))";
