-- Message-start idempotency keys belong to the start event, not to one version's node: a
-- key is remembered per (organization, family, start event), the event named by its BPMN
-- element id or, without one, by '#' and its node id (BPMN ids are XML names, which never
-- hold a '#'). Keyed by node id (0015), a retry after the model was released again (a new
-- version, new node ids) started a second case.
-- Mirrors migrations/postgres/0018_message_starts.sql; keep the two in step.
CREATE TABLE message_start_keys_by_event (
    org_id          INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    family_id       INTEGER NOT NULL,
    start_event     TEXT    NOT NULL,
    idempotency_key TEXT    NOT NULL,
    doc_id          INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    created_at      TEXT    NOT NULL,
    PRIMARY KEY (org_id, family_id, start_event, idempotency_key),
    FOREIGN KEY (org_id, family_id) REFERENCES workflow_families (org_id, id) ON DELETE CASCADE
);

-- The keys remembered so far keep answering their cases: each row moves to its node's
-- event. Where one key had started a case in two versions (the fault this fixes), the
-- earlier case is the one remembered.
INSERT INTO message_start_keys_by_event
    (org_id, family_id, start_event, idempotency_key, doc_id, created_at)
SELECT k.org_id, w.family_id, COALESCE(n.bpmn_key, '#' || CAST(n.id AS TEXT)),
       k.idempotency_key, k.doc_id, k.created_at
FROM message_start_keys k
JOIN workflow_nodes n ON n.id = k.node_id
JOIN workflows w ON w.id = n.workflow_id
WHERE TRUE
ORDER BY k.created_at, k.doc_id
ON CONFLICT DO NOTHING;

DROP TABLE message_start_keys;
ALTER TABLE message_start_keys_by_event RENAME TO message_start_keys;
-- For the sweep of keys older than 24 hours.
CREATE INDEX message_start_keys_created ON message_start_keys (created_at);
CREATE INDEX message_start_keys_doc ON message_start_keys (doc_id);

-- Whom a message start without a run-as user runs as: the organization's earliest active
-- administrator, found without reading every user of the organization.
CREATE INDEX users_org_admins ON users (org_id, created_at, id) WHERE is_admin AND is_active;
