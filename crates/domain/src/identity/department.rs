//! Departments: a tree of organizational units, each with an optional head user.

use super::UserRef;
use crate::{DeptId, Error, OrgId, Result};

/// A department.
#[derive(Debug, Clone, PartialEq)]
pub struct Department {
    pub id: DeptId,
    pub org_id: OrgId,
    pub name: String,
    /// `None` for a top-level department.
    pub parent_id: Option<DeptId>,
    pub head: Option<UserRef>,
    pub is_active: bool,
    pub client_extra: Option<String>,
}

/// A department to create.
#[derive(Debug, Clone)]
pub struct NewDepartment {
    pub name: String,
    pub parent_id: Option<DeptId>,
    pub head_id: Option<crate::UserId>,
    /// A new department has no users, so it may start inactive.
    pub is_active: bool,
    pub client_extra: Option<String>,
}

/// Changes to a department; `None` leaves a field as it is, `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct DepartmentPatch {
    pub name: Option<String>,
    pub parent_id: Option<Option<DeptId>>,
    pub head_id: Option<Option<crate::UserId>>,
    pub is_active: Option<bool>,
    pub client_extra: Option<Option<String>>,
}

/// A department with users cannot be inactivated: they would belong to a dead unit.
pub fn check_can_inactivate(user_count: i64) -> Result<()> {
    if user_count > 0 {
        Err(Error::conflict(format!(
            "The department still has {user_count} user(s); move them to another department first."
        )))
    } else {
        Ok(())
    }
}

/// A department with sub-departments or users cannot be deleted.
pub fn check_can_delete(child_count: i64, user_count: i64) -> Result<()> {
    if child_count > 0 {
        return Err(Error::conflict(format!(
            "The department has {child_count} sub-department(s); delete or move them first."
        )));
    }
    if user_count > 0 {
        return Err(Error::conflict(format!(
            "The department still has {user_count} user(s); move them to another department first."
        )));
    }
    Ok(())
}

/// Moving `id` under `new_parent` must not make it its own ancestor.
/// `parent_of` answers the current parent of any department of the organization.
pub fn check_parent(
    id: DeptId,
    new_parent: DeptId,
    parent_of: impl Fn(DeptId) -> Option<DeptId>,
) -> Result<()> {
    let mut cursor = Some(new_parent);
    let mut steps = 0usize;
    while let Some(d) = cursor {
        if d == id {
            return Err(Error::invalid(
                "A department cannot be placed under itself or one of its sub-departments.",
            ));
        }
        steps += 1;
        if steps > 100_000 {
            return Err(Error::invalid("The department tree is too deep."));
        }
        cursor = parent_of(d);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn department_with_users_cannot_be_inactivated_or_deleted() {
        assert!(check_can_inactivate(0).is_ok());
        assert!(matches!(check_can_inactivate(2), Err(Error::Conflict(_))));
        assert!(check_can_delete(0, 0).is_ok());
        assert!(check_can_delete(1, 0).is_err());
        assert!(check_can_delete(0, 1).is_err());
    }

    #[test]
    fn moving_a_department_under_its_descendant_is_refused() {
        // 1 <- 2 <- 3
        let parents: HashMap<i64, i64> = [(2, 1), (3, 2)].into();
        let parent_of = |d: DeptId| parents.get(&d.0).copied().map(DeptId);
        assert!(check_parent(DeptId(1), DeptId(3), parent_of).is_err());
        assert!(check_parent(DeptId(1), DeptId(1), parent_of).is_err());
        assert!(check_parent(DeptId(3), DeptId(1), parent_of).is_ok());
    }
}
