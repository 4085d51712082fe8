-- Asset fixes (review of issue 6, #17). Mirrors migrations/sqlite/0008_rpa_fixes.sql; keep the two in step.

-- Object names are unique per tenant and category without regard to case, as the
-- LOWER(name) checks in the store (projects, packages, project_copy) already assume. The
-- index makes concurrent uploads of "Invoice" and "invoice" collide (the loser gets a
-- duplicate-name error) and serves those checks instead of a scan. lower() folds as the
-- backend does (ASCII only on SQLite); the store's Rust checks fold alike (name_key).
DROP INDEX rpa_projects_name;
CREATE UNIQUE INDEX rpa_projects_name ON rpa_projects (org_id, category, lower(name));
