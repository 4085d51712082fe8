-- Identity for the Bonita, PlusWorkflow and Questetra dialects: person details, unit
-- details, roles, memberships, contact data and system authorities.
-- Mirrors migrations/postgres/0003_identity_roles.sql; keep the two in step.

-- A person's details. first/last name are empty for users made by dialects that only know a
-- display name; those dialects show the display name instead (docs/dialects/identity.md).
ALTER TABLE users ADD COLUMN first_name TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN last_name  TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN title      TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN job_title  TEXT NOT NULL DEFAULT '';
-- Personnel number (PlusWorkflow `number`).
ALTER TABLE users ADD COLUMN number     TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN icon       TEXT NOT NULL DEFAULT '';
-- Same organization: checked by the store (SQLite cannot add a composite key to a table).
ALTER TABLE users ADD COLUMN manager_id INTEGER REFERENCES users (id) ON DELETE SET NULL;
-- NULL: created by the tenant administrator, an import or a dialect without a user.
ALTER TABLE users ADD COLUMN created_by INTEGER;
ALTER TABLE users ADD COLUMN updated_at TEXT;
ALTER TABLE users ADD COLUMN last_login_at TEXT;
CREATE INDEX users_manager ON users (manager_id);
CREATE INDEX users_org_first_name ON users (org_id, lower(first_name));
CREATE INDEX users_org_last_name ON users (org_id, lower(last_name));
CREATE INDEX users_org_email ON users (org_id, lower(email));

-- A unit's details (Bonita group, Questetra organization).
ALTER TABLE departments ADD COLUMN display_name TEXT;
ALTER TABLE departments ADD COLUMN description  TEXT NOT NULL DEFAULT '';
ALTER TABLE departments ADD COLUMN email        TEXT NOT NULL DEFAULT '';
ALTER TABLE departments ADD COLUMN icon         TEXT NOT NULL DEFAULT '';
ALTER TABLE departments ADD COLUMN created_by   INTEGER;
-- NULL for units made before this migration.
ALTER TABLE departments ADD COLUMN created_at   TEXT;
ALTER TABLE departments ADD COLUMN updated_at   TEXT;

-- Roles: organization-wide (package_id and process_id NULL) or scoped to a package of
-- workflows or one workflow (PlusWorkflow).
CREATE TABLE roles (
    id           INTEGER PRIMARY KEY,
    org_id       INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    display_name TEXT,
    description  TEXT    NOT NULL DEFAULT '',
    icon         TEXT    NOT NULL DEFAULT '',
    package_id   TEXT,
    process_id   TEXT,
    created_by   INTEGER,
    created_at   TEXT    NOT NULL,
    updated_at   TEXT    NOT NULL,
    UNIQUE (org_id, id)
);
CREATE UNIQUE INDEX roles_name ON roles (org_id, COALESCE(package_id, ''), COALESCE(process_id, ''), name);

-- The global roles a workflow (process) of a package uses (PlusWorkflow's `processDefId`
-- search also finds the members of these).
CREATE TABLE role_uses (
    role_id    INTEGER NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    package_id TEXT    NOT NULL DEFAULT '',
    process_id TEXT    NOT NULL,
    PRIMARY KEY (role_id, package_id, process_id)
);
CREATE INDEX role_uses_process ON role_uses (process_id);

-- A user in a unit, in a role, or in a role within a unit (Bonita's triple). A user's
-- primary unit is users.department_id and needs no row here; `unit_members` joins both.
CREATE TABLE memberships (
    id            INTEGER PRIMARY KEY,
    org_id        INTEGER NOT NULL,
    user_id       INTEGER NOT NULL,
    department_id INTEGER,
    role_id       INTEGER,
    assigned_by   INTEGER,
    assigned_at   TEXT    NOT NULL,
    CHECK (department_id IS NOT NULL OR role_id IS NOT NULL),
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, department_id) REFERENCES departments (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, role_id) REFERENCES roles (org_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX memberships_triple ON memberships (user_id, COALESCE(department_id, 0), COALESCE(role_id, 0));
CREATE INDEX memberships_department ON memberships (department_id);
CREATE INDEX memberships_role ON memberships (role_id);

-- Everyone in a unit: the primary unit and every other unit membership.
CREATE VIEW unit_members AS
    SELECT org_id, id AS user_id, department_id FROM users WHERE department_id IS NOT NULL
    UNION
    SELECT org_id, user_id, department_id FROM memberships WHERE department_id IS NOT NULL;

-- Professional and personal contact data. The professional e-mail is users.email.
CREATE TABLE user_contacts (
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind          TEXT    NOT NULL CHECK (kind IN ('professional', 'personal')),
    email         TEXT    NOT NULL DEFAULT '',
    phone_number  TEXT    NOT NULL DEFAULT '',
    mobile_number TEXT    NOT NULL DEFAULT '',
    fax_number    TEXT    NOT NULL DEFAULT '',
    building      TEXT    NOT NULL DEFAULT '',
    room          TEXT    NOT NULL DEFAULT '',
    address       TEXT    NOT NULL DEFAULT '',
    zipcode       TEXT    NOT NULL DEFAULT '',
    city          TEXT    NOT NULL DEFAULT '',
    state         TEXT    NOT NULL DEFAULT '',
    country       TEXT    NOT NULL DEFAULT '',
    website       TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (user_id, kind)
);

-- System authorities (Questetra): 0 system administrator, 1 app creator, 2 user manager,
-- granted to a user, a unit (its leader only, and/or its descendant units) or a role.
-- users.is_admin is the direct system-administrator grant and is kept in step with the
-- kind-0 user rows.
CREATE TABLE system_authorities (
    id            INTEGER PRIMARY KEY,
    org_id        INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    kind          INTEGER NOT NULL CHECK (kind IN (0, 1, 2)),
    user_id       INTEGER,
    department_id INTEGER,
    leader_only   BOOLEAN NOT NULL DEFAULT FALSE,
    descendants   BOOLEAN NOT NULL DEFAULT FALSE,
    role_id       INTEGER,
    created_at    TEXT    NOT NULL,
    CHECK ((user_id IS NOT NULL) + (department_id IS NOT NULL) + (role_id IS NOT NULL) = 1),
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, department_id) REFERENCES departments (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, role_id) REFERENCES roles (org_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX system_authorities_grant ON system_authorities
    (org_id, kind, COALESCE(user_id, 0), COALESCE(department_id, 0), COALESCE(role_id, 0), leader_only, descendants);
CREATE INDEX system_authorities_user ON system_authorities (user_id);
CREATE INDEX system_authorities_department ON system_authorities (department_id);
CREATE INDEX system_authorities_role ON system_authorities (role_id);

-- The existing direct administrators.
INSERT INTO system_authorities (org_id, kind, user_id, created_at)
    SELECT org_id, 0, id, created_at FROM users WHERE is_admin;

-- Bonita sessions (cookie JSESSIONID plus the X-Bonita-API-Token CSRF value), stored hashed.
CREATE TABLE bonita_sessions (
    session_hash TEXT    PRIMARY KEY,
    csrf_hash    TEXT    NOT NULL,
    org_id       INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at   TEXT    NOT NULL
);
CREATE INDEX bonita_sessions_expiry ON bonita_sessions (expires_at);
