//! RPA orchestration (served as Brity's API): personal API tokens, bots, bot groups,
//! projects, processes, packages and jobs. See docs/dialects/brity.md.

pub mod api_tokens;
pub mod object_access;
pub mod group_mappings;
pub mod group_search;
pub mod groups;
pub mod mapped_members;
pub mod tenant_users;
pub mod tenants;
