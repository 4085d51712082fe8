-- Identity: platform settings, organizations, departments, ranks, users, groups, OAuth2 tokens.
-- Mirrors migrations/postgres/0001_identity.sql; keep the two in step.

CREATE TABLE platform_settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE organizations (
    id           INTEGER PRIMARY KEY,
    name         TEXT    NOT NULL,
    abbr         TEXT    NOT NULL UNIQUE,
    api_key_hash TEXT    NOT NULL UNIQUE,
    is_active    BOOLEAN NOT NULL DEFAULT TRUE,
    is_system    BOOLEAN NOT NULL DEFAULT FALSE,
    client_extra TEXT,
    created_at   TEXT    NOT NULL
);
CREATE UNIQUE INDEX organizations_name ON organizations (name);

CREATE TABLE ranks (
    id           INTEGER PRIMARY KEY,
    org_id       INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    level        INTEGER NOT NULL,
    is_active    BOOLEAN NOT NULL DEFAULT TRUE,
    client_extra TEXT,
    UNIQUE (org_id, id),
    UNIQUE (org_id, level),
    UNIQUE (org_id, name)
);

CREATE TABLE departments (
    id           INTEGER PRIMARY KEY,
    org_id       INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    parent_id    INTEGER,
    head_user_id INTEGER,
    is_active    BOOLEAN NOT NULL DEFAULT TRUE,
    client_extra TEXT,
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, parent_id) REFERENCES departments (org_id, id),
    FOREIGN KEY (org_id, head_user_id) REFERENCES users (org_id, id)
);
CREATE UNIQUE INDEX departments_sibling_name ON departments (org_id, COALESCE(parent_id, 0), name);
CREATE INDEX departments_parent ON departments (parent_id);
CREATE INDEX departments_head ON departments (head_user_id);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    org_id        INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    login         TEXT    NOT NULL,
    display_name  TEXT    NOT NULL,
    email         TEXT    NOT NULL DEFAULT '',
    password_hash TEXT,
    is_active     BOOLEAN NOT NULL DEFAULT TRUE,
    is_external   BOOLEAN NOT NULL DEFAULT FALSE,
    is_admin      BOOLEAN NOT NULL DEFAULT FALSE,
    rank_id       INTEGER,
    department_id INTEGER,
    client_extra  TEXT,
    created_at    TEXT    NOT NULL,
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, rank_id) REFERENCES ranks (org_id, id),
    FOREIGN KEY (org_id, department_id) REFERENCES departments (org_id, id)
);
CREATE UNIQUE INDEX users_login ON users (org_id, lower(login));
CREATE INDEX users_rank ON users (rank_id);
CREATE INDEX users_department ON users (department_id);

CREATE TABLE groups (
    id           INTEGER PRIMARY KEY,
    org_id       INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    system_kind  TEXT,
    is_active    BOOLEAN NOT NULL DEFAULT TRUE,
    client_extra TEXT,
    UNIQUE (org_id, id),
    UNIQUE (org_id, name)
);

CREATE TABLE group_members (
    group_id INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id  INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members (user_id);

CREATE TABLE oauth_tokens (
    token_hash TEXT    PRIMARY KEY,
    kind       TEXT    NOT NULL,
    org_id     INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id    INTEGER REFERENCES users (id) ON DELETE CASCADE,
    client_id  TEXT,
    scope      TEXT,
    expires_at TEXT    NOT NULL
);
CREATE INDEX oauth_tokens_expiry ON oauth_tokens (expires_at);
