-- API keys of HTTP-triggered BPMN events: one per message Start and Receive node of a
-- finalized version (docs/dialects/questetra.md, "HTTP-triggered events").
-- Mirrors migrations/postgres/0016_event_keys.sql; keep the two in step.
CREATE TABLE workflow_event_keys (
    node_id     INTEGER NOT NULL PRIMARY KEY REFERENCES workflow_nodes (id) ON DELETE CASCADE,
    org_id      INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    family_id   INTEGER NOT NULL,
    workflow_id INTEGER NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
    -- start (message start event) | receive (receive task)
    kind        TEXT NOT NULL,
    -- The node's BPMN element id: a later version's node with the same id keeps the key.
    bpmn_key    TEXT,
    -- SHA-256 (hex) of the key, compared in constant time; NULL until the key is issued
    -- (the first time an administrator lists the version's keys: issuing needs the
    -- server's secret key, which finalize does not hold).
    key_hash    TEXT,
    -- The key sealed under the server's secret key (crate::sealed), so administrators see
    -- it again.
    sealed_key  BLOB,
    created_at  TEXT NOT NULL,
    rotated_at  TEXT
);
CREATE INDEX workflow_event_keys_workflow ON workflow_event_keys (workflow_id);
CREATE INDEX workflow_event_keys_family ON workflow_event_keys (family_id, bpmn_key);
