-- Questetra's workflow API: process authorities (per workflow family, to a user, a unit or a
-- global role) and the stars users put on processes.
-- Mirrors migrations/postgres/0017_questetra_workflow.sql; keep the two in step.

-- kind: 0 app administrator, 1 process manager, 2 data viewer, 3 progress viewer
-- (docs/dialects/questetra.md, "Workflow API", maps them onto Sluice's permissions).
CREATE TABLE process_authorities (
    id            INTEGER PRIMARY KEY,
    org_id        INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    family_id     INTEGER NOT NULL,
    kind          INTEGER NOT NULL CHECK (kind IN (0, 1, 2, 3)),
    user_id       INTEGER,
    department_id INTEGER,
    leader_only   BOOLEAN NOT NULL DEFAULT FALSE,
    descendants   BOOLEAN NOT NULL DEFAULT FALSE,
    role_id       INTEGER,
    created_at    TEXT    NOT NULL,
    CHECK ((user_id IS NOT NULL) + (department_id IS NOT NULL) + (role_id IS NOT NULL) = 1),
    FOREIGN KEY (org_id, family_id) REFERENCES workflow_families (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, department_id) REFERENCES departments (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, role_id) REFERENCES roles (org_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX process_authorities_grant ON process_authorities
    (family_id, kind, COALESCE(user_id, 0), COALESCE(department_id, 0), COALESCE(role_id, 0), leader_only, descendants);
CREATE INDEX process_authorities_org ON process_authorities (org_id, family_id);
CREATE INDEX process_authorities_user ON process_authorities (user_id);
CREATE INDEX process_authorities_department ON process_authorities (department_id);
CREATE INDEX process_authorities_role ON process_authorities (role_id);

-- A user's star on a process (also what the Workitem star endpoints set).
CREATE TABLE process_stars (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    doc_id  INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, doc_id)
);
CREATE INDEX process_stars_doc ON process_stars (doc_id);
