//! RPA orchestration (served as Brity's API): personal API tokens, bots, bot groups,
//! projects, processes, packages and jobs. See docs/dialects/brity.md.

pub mod api_tokens;
pub mod asset_error;
pub mod group_mappings;
pub mod group_search;
pub mod groups;
pub mod mapped_members;
pub mod object_access;
pub mod object_groups;
pub mod packages;
pub mod process_versions;
pub mod processes;
pub mod project_copy;
pub mod projects;
pub mod tenant_users;
pub mod tenants;
// Jobs, bots and licenses (the macros of `runtime` and `job_end` first: later modules use them).
#[macro_use]
pub mod runtime;
#[macro_use]
pub mod job_end;
pub mod bot_status;
pub mod bots;
pub mod callbacks;
pub mod dispatch;
pub mod job_files;
pub mod job_reads;
pub mod job_stop;
pub mod jobs;
pub mod licenses;
pub(crate) mod process_source;
pub mod worker;
// Scheduling and shared data (issue 7).
pub mod anniversaries;
pub mod credential_grants;
pub mod queue_job_tokens;
pub mod queue_messages;
pub mod queues;
mod resource_plan;
pub mod resources;
pub(crate) mod schedule_firing;
pub mod schedule_list;
pub(crate) mod schedule_signals;
pub mod scheduler;
pub mod schedules;
