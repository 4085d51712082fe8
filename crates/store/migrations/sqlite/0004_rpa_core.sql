-- RPA core (Brity): personal API tokens, bots, bot groups, projects, processes, their
-- versions and packages, and object permission groups. Jobs, licenses and the rest add their
-- own migrations. Mirrors migrations/postgres/0004_rpa_core.sql; keep the two in step.

-- Personal API tokens a user creates (Brity's `Authorization` / `userAuthentication`).
CREATE TABLE api_tokens (
    id         INTEGER PRIMARY KEY,
    org_id     INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name       TEXT    NOT NULL,
    token_hash TEXT    NOT NULL UNIQUE,
    created_at TEXT    NOT NULL,
    -- NULL: does not expire.
    expires_at TEXT,
    UNIQUE (org_id, id)
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

-- A machine that runs processes: one `sluice bot` agent. Its id is Brity's `BOT-XXXXX`.
CREATE TABLE bots (
    id                TEXT    PRIMARY KEY,
    org_id            INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name              TEXT    NOT NULL,
    computer_name     TEXT    NOT NULL DEFAULT '',
    ip_addr           TEXT    NOT NULL DEFAULT '',
    os                TEXT    NOT NULL DEFAULT '',
    agent_version     TEXT    NOT NULL DEFAULT '',
    -- Brity botType (1: attended/normal).
    bot_type          INTEGER NOT NULL DEFAULT 1,
    -- An inactive bot is given no jobs (Brity botActiveYn).
    is_active         BOOLEAN NOT NULL DEFAULT TRUE,
    -- SHA-256 of the agent's secret, issued when it activated its license.
    secret_hash       TEXT    NOT NULL UNIQUE,
    registered_at     TEXT    NOT NULL,
    -- Agent environment last reported (Brity updateEnvTime).
    env_updated_at    TEXT    NOT NULL,
    -- Last heartbeat or poll; the bot is "up" while this is recent.
    last_seen_at      TEXT,
    UNIQUE (org_id, id)
);
CREATE UNIQUE INDEX bots_name ON bots (org_id, name);

-- Brity user groups and bot ("client") groups share one id space, so both are rows of
-- `groups`: kind 'user' (an OmniBPM group too) or 'bot' (only Brity sees it; it has bots,
-- not members). Brity's group flags live beside them.
ALTER TABLE groups ADD COLUMN kind TEXT NOT NULL DEFAULT 'user';
ALTER TABLE groups ADD COLUMN description TEXT NOT NULL DEFAULT '';
ALTER TABLE groups ADD COLUMN sort_order INTEGER NOT NULL DEFAULT 0;
-- Brity isAdmin / isDefault / isMonitoring.
ALTER TABLE groups ADD COLUMN is_admin_group BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE groups ADD COLUMN is_default_group BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE groups ADD COLUMN is_monitoring BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX groups_kind ON groups (org_id, kind);

-- The bots of a bot group.
CREATE TABLE bot_group_bots (
    org_id       INTEGER NOT NULL,
    bot_group_id INTEGER NOT NULL,
    bot_id       TEXT    NOT NULL,
    PRIMARY KEY (bot_group_id, bot_id),
    FOREIGN KEY (org_id, bot_group_id) REFERENCES groups (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, bot_id) REFERENCES bots (org_id, id) ON DELETE CASCADE
);
CREATE INDEX bot_group_bots_bot ON bot_group_bots (bot_id);
-- A user group's authority over a bot group (both rows of `groups`): U (use: run jobs), R (read), M (manage).
CREATE TABLE user_group_bot_groups (
    org_id       INTEGER NOT NULL,
    group_id     INTEGER NOT NULL,
    bot_group_id INTEGER NOT NULL,
    authorities  TEXT    NOT NULL,
    PRIMARY KEY (group_id, bot_group_id),
    FOREIGN KEY (org_id, group_id) REFERENCES groups (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, bot_group_id) REFERENCES groups (org_id, id) ON DELETE CASCADE
);
CREATE INDEX user_group_bot_groups_bot_group ON user_group_bot_groups (bot_group_id);

-- An uploaded project package (docs/package-format.md), kept whole so bots can fetch it.
CREATE TABLE rpa_packages (
    id         INTEGER PRIMARY KEY,
    org_id     INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    sha256     TEXT    NOT NULL,
    size       INTEGER NOT NULL,
    content    BLOB    NOT NULL,
    created_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at TEXT    NOT NULL,
    UNIQUE (org_id, id)
);

-- Brity objects with permission groups: projects (category project), process flows
-- (workflow) and outlines (workspace). Processes live inside projects.
CREATE TABLE rpa_projects (
    id               TEXT    PRIMARY KEY,
    org_id           INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    -- project, workflow or workspace
    category         TEXT    NOT NULL DEFAULT 'project',
    name             TEXT    NOT NULL,
    description      TEXT    NOT NULL DEFAULT '',
    -- Latest version ("1.00"); each upload of the same project adds 0.01.
    version          TEXT    NOT NULL DEFAULT '1.00',
    package_id       INTEGER REFERENCES rpa_packages (id),
    file_path        TEXT    NOT NULL DEFAULT '',
    designer_version TEXT    NOT NULL DEFAULT '',
    -- Approved for running (Brity activation).
    is_activated     BOOLEAN NOT NULL DEFAULT FALSE,
    -- 1: normal, 2: stopped (project/status). A stopped project's processes do not run.
    status           INTEGER NOT NULL DEFAULT 1,
    owner_id         INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_by       INTEGER REFERENCES users (id) ON DELETE SET NULL,
    updated_by       INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at       TEXT    NOT NULL,
    updated_at       TEXT    NOT NULL,
    UNIQUE (org_id, id)
);
CREATE UNIQUE INDEX rpa_projects_name ON rpa_projects (org_id, category, name);
CREATE INDEX rpa_projects_updated ON rpa_projects (org_id, updated_at);

-- A process: stable id across versions, inside one project.
CREATE TABLE rpa_processes (
    id             TEXT    PRIMARY KEY,
    org_id         INTEGER NOT NULL,
    project_id     TEXT    NOT NULL,
    name           TEXT    NOT NULL,
    description    TEXT    NOT NULL DEFAULT '',
    latest_version TEXT    NOT NULL,
    created_by     INTEGER REFERENCES users (id) ON DELETE SET NULL,
    updated_by     INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at     TEXT    NOT NULL,
    updated_at     TEXT    NOT NULL,
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, project_id) REFERENCES rpa_projects (org_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX rpa_processes_name ON rpa_processes (project_id, name);
CREATE INDEX rpa_processes_updated ON rpa_processes (org_id, updated_at);

-- What a bot runs for one version of a process (from the package manifest).
CREATE TABLE rpa_process_versions (
    process_id        TEXT    NOT NULL REFERENCES rpa_processes (id) ON DELETE CASCADE,
    version           TEXT    NOT NULL,
    package_id        INTEGER NOT NULL REFERENCES rpa_packages (id),
    -- Path of the program inside the package, and how to start it (manifest `run`).
    entry             TEXT    NOT NULL,
    -- JSON arrays of declared variables: [{"name","type","default"?,"hidden"?}].
    inputs            TEXT    NOT NULL DEFAULT '[]',
    outputs           TEXT    NOT NULL DEFAULT '[]',
    -- JSON array of credential names the process may receive (issue 7).
    credentials       TEXT    NOT NULL DEFAULT '[]',
    -- Seconds; 0 means no limit.
    timeout_secs      INTEGER NOT NULL DEFAULT 0,
    -- foreground or background (Brity workType).
    work_type         TEXT    NOT NULL DEFAULT 'foreground',
    os                TEXT    NOT NULL DEFAULT '',
    resolution        TEXT    NOT NULL DEFAULT '',
    designer_version  TEXT    NOT NULL DEFAULT '',
    -- Default bot selection (targetBot): 1 all, 2 bot group, 3 bot; target is the id.
    bot_select_type   INTEGER NOT NULL DEFAULT 1,
    bot_target        TEXT,
    -- JSON object {"var": {"expression": "..."}} (targetBot inputs).
    input_expressions TEXT    NOT NULL DEFAULT '{}',
    created_by        INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at        TEXT    NOT NULL,
    PRIMARY KEY (process_id, version)
);
CREATE INDEX rpa_process_versions_package ON rpa_process_versions (package_id);

-- Permission groups of a project, process flow or outline: a user group and its
-- authorities, a subset of "URE ADS" (Update, Read, Execute, Approve, Delete, Share).
CREATE TABLE rpa_object_groups (
    org_id      INTEGER NOT NULL,
    object_id   TEXT    NOT NULL,
    group_id    INTEGER NOT NULL,
    authorities TEXT    NOT NULL,
    PRIMARY KEY (object_id, group_id),
    FOREIGN KEY (org_id, object_id) REFERENCES rpa_projects (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, group_id) REFERENCES groups (org_id, id) ON DELETE CASCADE
);
CREATE INDEX rpa_object_groups_group ON rpa_object_groups (group_id);
