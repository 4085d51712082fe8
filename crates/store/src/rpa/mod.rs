//! RPA orchestration (served as Brity's API): personal API tokens, bots, bot groups,
//! projects, processes, packages and jobs. See docs/dialects/brity.md.

pub mod api_tokens;
pub mod asset_error;
pub mod object_groups;
pub mod packages;
pub mod process_versions;
pub mod processes;
pub mod project_copy;
pub mod projects;
pub mod object_access;
pub mod group_mappings;
pub mod group_search;
pub mod groups;
pub mod mapped_members;
pub mod tenant_users;
pub mod tenants;
