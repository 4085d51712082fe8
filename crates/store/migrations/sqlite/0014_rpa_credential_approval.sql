-- Credentials reach only code a tenant administrator approved: a process version records
-- whether it was activated by an administrator (an upload with activation by one). A
-- version activated by a project's own owner (any user who uploads a new project owns it,
-- with every authority) runs, but gets no credentials: otherwise any user could upload a
-- process that declares the tenant's credentials and print them.
-- Mirrors migrations/postgres/0014_rpa_credential_approval.sql; keep the two in step.
ALTER TABLE rpa_process_versions ADD COLUMN admin_approved BOOLEAN NOT NULL DEFAULT FALSE;
