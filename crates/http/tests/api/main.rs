//! Black-box HTTP tests of every surface, each on SQLite and on PostgreSQL.

mod helpers;

mod bonita;
mod bonita_group;
mod bonita_user;
#[allow(dead_code)] // used by the Brity test modules as they land
mod brity_client;
mod brity_assets;
mod brity_assets_inquiry;
mod brity_assets_projects;
mod brity_group_mappings;
mod brity_jobs;
mod brity_jobs_client;
mod brity_jobs_dispatch;
mod brity_jobs_instances;
mod brity_jobs_lapse;
mod brity_jobs_list;
mod brity_licenses;
mod brity_groups;
mod brity_tenant;
mod brity_tenant_users;
mod identity_cross;
mod native;
mod native_roles;
mod native_tokens;
mod oauth2;
mod omnibpm_department;
mod omnibpm_document;
mod omnibpm_document_cc;
mod omnibpm_document_list;
mod omnibpm_document_routing;
mod omnibpm_group;
mod omnibpm_organization;
mod omnibpm_rank;
mod omnibpm_user;
mod omnibpm_workflow;
mod omnibpm_workflow_field;
mod omnibpm_workflow_node;
mod plusworkflow;
mod plusworkflow_client;
mod questetra;
mod questetra_authority;
mod questetra_roles;
mod questetra_units;
mod questetra_users;
mod security;
