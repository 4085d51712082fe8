-- BPMN models: what a node does (docs/bpmn.md), its BPMN element id and drawing, flow
-- conditions, message-start idempotency and pending service-task calls.
-- Mirrors migrations/postgres/0015_bpmn_nodes.sql; keep the two in step.

-- task | start | end | exclusive_gateway | parallel_gateway | receive | timer |
-- timer_boundary | service (sluice_domain::workflow::NodeKind::code)
ALTER TABLE workflow_nodes ADD COLUMN kind TEXT NOT NULL DEFAULT 'task';
-- JSON of the NodeKind; NULL for tasks.
ALTER TABLE workflow_nodes ADD COLUMN behaviour TEXT;
-- The BPMN element id, stable across versions (clone and import keep it).
ALTER TABLE workflow_nodes ADD COLUMN bpmn_key TEXT;
-- JSON of the diagram bounds.
ALTER TABLE workflow_nodes ADD COLUMN shape TEXT;
CREATE UNIQUE INDEX workflow_nodes_bpmn_key ON workflow_nodes (workflow_id, bpmn_key);

-- The condition of the flow to the child (only out of exclusive gateways).
ALTER TABLE workflow_node_children ADD COLUMN condition TEXT;

-- Message starts already carried out, by the caller's idempotency key (kept 24 hours).
CREATE TABLE message_start_keys (
    org_id          INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    node_id         INTEGER NOT NULL,
    idempotency_key TEXT    NOT NULL,
    doc_id          INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    created_at      TEXT    NOT NULL,
    PRIMARY KEY (node_id, idempotency_key)
);
CREATE INDEX message_start_keys_created ON message_start_keys (created_at);
CREATE INDEX message_start_keys_doc ON message_start_keys (doc_id);

-- Service tasks waiting for their HTTP call (one row per current service node without an
-- error), kept in step with the case like document_deadlines.
CREATE TABLE document_service_calls (
    doc_id     INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    node_id    INTEGER NOT NULL,
    attempt    INTEGER NOT NULL DEFAULT 0,
    due_at     TEXT    NOT NULL,
    last_error TEXT,
    PRIMARY KEY (doc_id, node_id)
);
CREATE INDEX document_service_calls_due ON document_service_calls (due_at);
