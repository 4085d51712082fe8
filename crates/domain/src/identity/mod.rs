//! Identity: organizations (tenants), departments, ranks, users, groups, roles,
//! memberships, contact data and system authorities. Each module
//! holds the object's type and the rules about it (`department::check_can_delete`, ...).

pub mod authority;
pub mod contact;
pub mod department;
pub mod group;
pub mod membership;
pub mod organization;
pub mod person;
pub mod rank;
pub mod role;
pub mod user;

pub use authority::{AuthorityKind, Grantee, SystemAuthority};
pub use contact::{ContactData, ContactKind};
pub use department::{Department, DepartmentPatch, NewDepartment};
pub use group::{Group, SystemGroup};
pub use membership::Membership;
pub use organization::{
    check_abbr_available, check_usable, NewOrganization, Organization, DEFAULT_DEPARTMENTS,
    DEFAULT_RANKS, DEFAULT_ROOT_DEPARTMENT, SYSTEM_ABBR,
};
pub use person::{Person, PersonPatch, Profile};
pub use rank::Rank;
pub use role::{NewRole, Role, RolePatch, RoleScope};
pub use user::{username, NewUser, Password, User, UserPatch, UserRef};
