//! RPA orchestration (served as Brity's API): personal API tokens, bots, bot groups,
//! projects, processes, packages and jobs. See docs/dialects/brity.md.

pub mod api_tokens;
pub mod object_access;
