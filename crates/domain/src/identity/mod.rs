//! Identity: organizations (tenants), departments, ranks, users and groups. Each module
//! holds the object's type and the rules about it (`department::check_can_delete`, ...).

pub mod department;
pub mod group;
pub mod organization;
pub mod rank;
pub mod user;

pub use department::{Department, DepartmentPatch, NewDepartment};
pub use group::{Group, SystemGroup};
pub use organization::{
    check_abbr_available, check_usable, NewOrganization, Organization, DEFAULT_DEPARTMENTS,
    DEFAULT_RANKS, DEFAULT_ROOT_DEPARTMENT, SYSTEM_ABBR,
};
pub use rank::Rank;
pub use user::{username, NewUser, Password, User, UserPatch, UserRef};
