//! Black-box HTTP tests of every surface, each on SQLite and on PostgreSQL.

mod helpers;

mod native;
mod oauth2;
mod omnibpm_department;
mod omnibpm_group;
mod omnibpm_organization;
mod omnibpm_rank;
mod omnibpm_user;
mod security;
