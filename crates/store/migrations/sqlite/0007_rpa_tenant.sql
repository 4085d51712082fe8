-- Brity tenants, users and groups (docs/dialects/brity.md, "Tenants, users and groups").
-- Mirrors migrations/postgres/0007_rpa_tenant.sql; keep the two in step.

-- What Brity records about a user beyond Sluice's user: company and department as free
-- text (cmpnyNm, deptNm) and who changed the user last (updateUserId). The phone number is
-- the user's professional contact phone (user_contacts), which the other dialects show.
CREATE TABLE rpa_user_details (
    user_id         INTEGER PRIMARY KEY,
    org_id          INTEGER NOT NULL,
    company_name    TEXT    NOT NULL DEFAULT '',
    department_name TEXT    NOT NULL DEFAULT '',
    updated_by      INTEGER REFERENCES users (id) ON DELETE SET NULL,
    updated_at      TEXT    NOT NULL,
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) ON DELETE CASCADE
);
CREATE INDEX rpa_user_details_updated_by ON rpa_user_details (updated_by);

-- Who mapped a bot group to a user group, and when (createUserId, createTimestamp).
ALTER TABLE user_group_bot_groups ADD COLUMN created_by INTEGER REFERENCES users (id) ON DELETE SET NULL;
ALTER TABLE user_group_bot_groups ADD COLUMN created_at TEXT;
CREATE INDEX user_group_bot_groups_created_by ON user_group_bot_groups (created_by);

-- Tenant lookups by login across organizations (the platform administrator's
-- catalog/tenantinfoByUserId); users_login serves lookups inside one organization.
CREATE INDEX users_login_any_org ON users (lower(login));
