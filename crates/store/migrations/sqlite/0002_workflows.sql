-- Workflows and cases: workflow families (one name, shared permissions) and their versions,
-- fields, nodes, documents with their signatures, CCs, participants and logs.
-- Mirrors migrations/postgres/0002_workflows.sql; keep the two in step.

CREATE TABLE workflow_families (
    id     INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name   TEXT    NOT NULL,
    UNIQUE (org_id, id),
    UNIQUE (org_id, name)
);

CREATE TABLE workflows (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL,
    family_id   INTEGER NOT NULL,
    version     INTEGER NOT NULL,
    is_complete BOOLEAN NOT NULL DEFAULT FALSE,
    is_active   BOOLEAN NOT NULL DEFAULT FALSE,
    is_hidden   BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  TEXT      NOT NULL,
    UNIQUE (org_id, id),
    UNIQUE (family_id, version),
    FOREIGN KEY (org_id, family_id) REFERENCES workflow_families (org_id, id) ON DELETE CASCADE
);
-- At most one active version per name.
CREATE UNIQUE INDEX workflows_one_active ON workflows (family_id) WHERE is_active;
CREATE INDEX workflows_org ON workflows (org_id, family_id);

-- Who may create, see, revoke and revive the documents of every version of a family.
CREATE TABLE workflow_permissions (
    id            INTEGER PRIMARY KEY,
    family_id     INTEGER NOT NULL REFERENCES workflow_families (id) ON DELETE CASCADE,
    user_id       INTEGER REFERENCES users (id) ON DELETE CASCADE,
    group_id      INTEGER REFERENCES groups (id) ON DELETE CASCADE,
    department_id INTEGER REFERENCES departments (id) ON DELETE CASCADE,
    is_creatable  BOOLEAN NOT NULL DEFAULT FALSE,
    is_visible    BOOLEAN NOT NULL DEFAULT FALSE,
    is_revokable  BOOLEAN NOT NULL DEFAULT FALSE,
    is_revivable  BOOLEAN NOT NULL DEFAULT FALSE,
    CHECK ((user_id IS NOT NULL) + (group_id IS NOT NULL) + (department_id IS NOT NULL) = 1)
);
CREATE UNIQUE INDEX workflow_permissions_subject ON workflow_permissions
    (family_id, COALESCE(user_id, 0), COALESCE(group_id, 0), COALESCE(department_id, 0));
CREATE INDEX workflow_permissions_user ON workflow_permissions (user_id);
CREATE INDEX workflow_permissions_group ON workflow_permissions (group_id);
CREATE INDEX workflow_permissions_department ON workflow_permissions (department_id);

CREATE TABLE workflow_fields (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL,
    workflow_id INTEGER NOT NULL,
    name        TEXT    NOT NULL,
    data_type   TEXT    NOT NULL,
    formula     TEXT,
    is_active   BOOLEAN NOT NULL DEFAULT TRUE,
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, workflow_id) REFERENCES workflows (org_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX workflow_fields_name ON workflow_fields (workflow_id, name);

CREATE TABLE workflow_nodes (
    id                     INTEGER PRIMARY KEY,
    org_id                 INTEGER NOT NULL,
    workflow_id            INTEGER NOT NULL,
    note                   TEXT    NOT NULL,
    n_sign                 INTEGER NOT NULL,
    -- user | department | group | supervisor | creator | specified
    assignee_kind          TEXT    NOT NULL,
    user_id                INTEGER,
    department_id          INTEGER,
    group_id               INTEGER,
    rank_id                INTEGER,
    reference_node_id      INTEGER REFERENCES workflow_nodes (id),
    at_least_one_supervisor BOOLEAN NOT NULL DEFAULT TRUE,
    job_assignment_node_id INTEGER REFERENCES workflow_nodes (id),
    -- ASSIGN | COPY | NULL
    job_assignment_type    TEXT,
    allow_cc               BOOLEAN NOT NULL DEFAULT TRUE,
    require_all_cc_response BOOLEAN NOT NULL DEFAULT FALSE,
    autocomplete_condition TEXT,
    autocomplete_deadline  INTEGER NOT NULL DEFAULT 0,
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, workflow_id) REFERENCES workflows (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id),
    FOREIGN KEY (org_id, department_id) REFERENCES departments (org_id, id),
    FOREIGN KEY (org_id, group_id) REFERENCES groups (org_id, id),
    FOREIGN KEY (org_id, rank_id) REFERENCES ranks (org_id, id)
);
CREATE INDEX workflow_nodes_workflow ON workflow_nodes (workflow_id);
CREATE INDEX workflow_nodes_user ON workflow_nodes (user_id);
CREATE INDEX workflow_nodes_department ON workflow_nodes (department_id);
CREATE INDEX workflow_nodes_group ON workflow_nodes (group_id);
CREATE INDEX workflow_nodes_rank ON workflow_nodes (rank_id);
CREATE INDEX workflow_nodes_reference ON workflow_nodes (reference_node_id);
CREATE INDEX workflow_nodes_job_assignment ON workflow_nodes (job_assignment_node_id);

CREATE TABLE workflow_node_children (
    parent_id INTEGER NOT NULL REFERENCES workflow_nodes (id) ON DELETE CASCADE,
    child_id  INTEGER NOT NULL REFERENCES workflow_nodes (id) ON DELETE CASCADE,
    PRIMARY KEY (parent_id, child_id)
);
CREATE INDEX workflow_node_children_child ON workflow_node_children (child_id);

-- Whom a node's responsible users may CC.
CREATE TABLE workflow_node_cc_targets (
    node_id       INTEGER NOT NULL REFERENCES workflow_nodes (id) ON DELETE CASCADE,
    user_id       INTEGER REFERENCES users (id) ON DELETE CASCADE,
    group_id      INTEGER REFERENCES groups (id) ON DELETE CASCADE,
    department_id INTEGER REFERENCES departments (id) ON DELETE CASCADE,
    CHECK ((user_id IS NOT NULL) + (group_id IS NOT NULL) + (department_id IS NOT NULL) = 1)
);
CREATE INDEX workflow_node_cc_targets_node ON workflow_node_cc_targets (node_id);
CREATE INDEX workflow_node_cc_targets_user ON workflow_node_cc_targets (user_id);
CREATE INDEX workflow_node_cc_targets_group ON workflow_node_cc_targets (group_id);
CREATE INDEX workflow_node_cc_targets_department ON workflow_node_cc_targets (department_id);

-- What a node's responsible users see (1), may edit (2) and must fill (3).
CREATE TABLE workflow_node_fields (
    node_id  INTEGER NOT NULL REFERENCES workflow_nodes (id) ON DELETE CASCADE,
    field_id INTEGER NOT NULL REFERENCES workflow_fields (id) ON DELETE CASCADE,
    access   INTEGER NOT NULL,
    PRIMARY KEY (node_id, field_id)
);
CREATE INDEX workflow_node_fields_field ON workflow_node_fields (field_id);

CREATE TABLE documents (
    id            INTEGER PRIMARY KEY,
    org_id        INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    workflow_id   INTEGER NOT NULL,
    family_id     INTEGER NOT NULL,
    title         TEXT    NOT NULL,
    serial        TEXT    NOT NULL,
    creator_id    INTEGER NOT NULL,
    -- processing | completed | cancelled | revoked
    status        TEXT    NOT NULL,
    version       INTEGER NOT NULL,
    -- JSON: field id -> value
    field_content TEXT    NOT NULL,
    -- JSON: the engine's routing state (sluice_domain::engine::Route)
    route         TEXT    NOT NULL,
    -- CCs sent (their rows are read only when there are some)
    cc_count      INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT      NOT NULL,
    last_time     TEXT      NOT NULL,
    completed_at  TEXT     ,
    UNIQUE (org_id, id),
    -- No cascade: a version with documents is never deleted (checked, and enforced here).
    FOREIGN KEY (org_id, workflow_id) REFERENCES workflows (org_id, id),
    FOREIGN KEY (org_id, creator_id) REFERENCES users (org_id, id)
);
CREATE INDEX documents_workflow ON documents (workflow_id);
CREATE INDEX documents_family ON documents (family_id, created_at);
CREATE INDEX documents_creator ON documents (creator_id, created_at);
CREATE INDEX documents_org ON documents (org_id, created_at);

-- Everyone who has had a part in a document, for the list filters and read access:
-- the creator, every responsible user so far, CC senders and receivers, readers.
CREATE TABLE document_participants (
    doc_id       INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    user_id      INTEGER NOT NULL REFERENCES users (id),
    has_signed   BOOLEAN NOT NULL DEFAULT FALSE,
    -- Whether the user may act now (a responsible user of a current node, or owes a CC reply).
    is_current   BOOLEAN NOT NULL DEFAULT FALSE,
    read_version INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, doc_id)
);
CREATE INDEX document_participants_doc ON document_participants (doc_id);
CREATE INDEX document_participants_current ON document_participants (user_id, doc_id) WHERE is_current;

CREATE TABLE signatures (
    id                  INTEGER PRIMARY KEY,
    doc_id              INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    -- NEXT | REJ | CC
    kind                TEXT    NOT NULL,
    -- The user signed as, and the one who did it (a delegate, or the same user).
    user_id             INTEGER NOT NULL REFERENCES users (id),
    login_user_id       INTEGER NOT NULL REFERENCES users (id),
    version             INTEGER NOT NULL,
    is_invalidated      BOOLEAN NOT NULL DEFAULT FALSE,
    comment             TEXT    NOT NULL DEFAULT '',
    rejection_target_id INTEGER REFERENCES signatures (id),
    -- JSON: fulfilled/completed/autocompleted node ids and fulfilled field ids
    detail              TEXT    NOT NULL,
    -- JSON: the routing state just before this signature, restored by a reject to it
    route_before        TEXT    NOT NULL,
    created_at          TEXT      NOT NULL
);
CREATE INDEX signatures_doc ON signatures (doc_id, id);
CREATE INDEX signatures_user ON signatures (user_id);
CREATE INDEX signatures_login_user ON signatures (login_user_id);
CREATE INDEX signatures_target ON signatures (rejection_target_id);

CREATE TABLE document_ccs (
    id               INTEGER PRIMARY KEY,
    doc_id           INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    node_id          INTEGER NOT NULL,
    from_user_id     INTEGER NOT NULL REFERENCES users (id),
    to_user_id       INTEGER NOT NULL REFERENCES users (id),
    parent_cc_id     INTEGER REFERENCES document_ccs (id),
    reply_required   BOOLEAN NOT NULL,
    is_complete      BOOLEAN NOT NULL DEFAULT FALSE,
    comment          TEXT    NOT NULL DEFAULT '',
    reply_comment    TEXT,
    sender_version   INTEGER NOT NULL,
    receiver_version INTEGER NOT NULL DEFAULT -1,
    created_at       TEXT      NOT NULL,
    replied_at       TEXT     
);
CREATE INDEX document_ccs_doc ON document_ccs (doc_id, id);
CREATE INDEX document_ccs_from ON document_ccs (from_user_id);
CREATE INDEX document_ccs_to ON document_ccs (to_user_id);
CREATE INDEX document_ccs_parent ON document_ccs (parent_cc_id);

CREATE TABLE document_logs (
    id                INTEGER PRIMARY KEY,
    doc_id            INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    user_id           INTEGER NOT NULL REFERENCES users (id),
    delegated_user_id INTEGER NOT NULL REFERENCES users (id),
    action            TEXT    NOT NULL,
    kind              TEXT    NOT NULL,
    -- JSON: the entry's extra members (signature id, cc id, node id, users, comment)
    detail            TEXT    NOT NULL,
    created_at        TEXT      NOT NULL
);
CREATE INDEX document_logs_doc ON document_logs (doc_id, id);
CREATE INDEX document_logs_user ON document_logs (user_id);
CREATE INDEX document_logs_delegated ON document_logs (delegated_user_id);

-- Field content as of each version that changed it (document/get with a version).
CREATE TABLE document_versions (
    doc_id        INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    version       INTEGER NOT NULL,
    field_content TEXT    NOT NULL,
    PRIMARY KEY (doc_id, version)
);

-- Nodes that skip themselves when their autocomplete_deadline passes.
CREATE TABLE document_deadlines (
    doc_id  INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    node_id INTEGER NOT NULL,
    due_at  TEXT      NOT NULL,
    PRIMARY KEY (doc_id, node_id)
);
CREATE INDEX document_deadlines_due ON document_deadlines (due_at);

-- Daily serial numbers per organization ("Process-20171210-00001").
CREATE TABLE document_serials (
    org_id INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    day    TEXT    NOT NULL,
    last   INTEGER NOT NULL,
    PRIMARY KEY (org_id, day)
);
