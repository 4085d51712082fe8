-- Message queues (Brity's Queue Work) and job tokens (a running bot process reads and writes
-- queues). Mirrors migrations/postgres/0012_rpa_queues.sql; keep the two in step.
-- Times of this migration are epoch milliseconds (Brity shows them so, and expiry compares
-- them as plain integers on both backends).

-- A queue of one tenant. Its name is unique in the tenant without regard to case (names
-- are ASCII, so lower() folds alike on both backends).
CREATE TABLE rpa_queues (
    -- A UUID (Brity's `id`).
    id              TEXT    PRIMARY KEY,
    org_id          INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name            TEXT    NOT NULL,
    description     TEXT    NOT NULL DEFAULT '',
    -- Seconds a message lives; 0: forever.
    expiration_secs INTEGER NOT NULL DEFAULT 0,
    is_system       BOOLEAN NOT NULL DEFAULT FALSE,
    -- A queue not in use takes no messages and gives none.
    is_used         BOOLEAN NOT NULL DEFAULT TRUE,
    -- A secure queue's messages are sealed under the server's secret key, and sending or
    -- receiving needs its password (argon2id hash here).
    is_secure       BOOLEAN NOT NULL DEFAULT FALSE,
    password_hash   TEXT,
    created_by      INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at      INTEGER NOT NULL,
    UNIQUE (org_id, id)
);
CREATE UNIQUE INDEX rpa_queues_name ON rpa_queues (org_id, lower(name));

-- The number of messages of a queue, spread over a few rows that senders and receivers
-- pick at random: one counter row would make every send and receive of a busy queue wait
-- for the previous one's commit (PostgreSQL row lock). The size is the sum of the rows.
CREATE TABLE rpa_queue_counts (
    queue_id        TEXT    NOT NULL REFERENCES rpa_queues (id) ON DELETE CASCADE,
    slot            INTEGER NOT NULL,
    n               INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (queue_id, slot)
);

-- A message. `seq` is the queue order (oldest first).
CREATE TABLE rpa_queue_messages (
    seq             INTEGER PRIMARY KEY,
    org_id          INTEGER NOT NULL,
    queue_id        TEXT    NOT NULL,
    -- A file (sent as multipart) rather than a text (a raw body).
    is_file         BOOLEAN NOT NULL,
    -- NULL for sealed messages: the name and type are sealed with the content.
    file_name       TEXT,
    content_type    TEXT,
    -- The content, or for a secure queue the sealed frame of name, type and content.
    body            BLOB    NOT NULL,
    is_sealed       BOOLEAN NOT NULL DEFAULT FALSE,
    sent_at         INTEGER NOT NULL,
    -- NULL: never expires.
    expires_at      INTEGER,
    FOREIGN KEY (org_id, queue_id) REFERENCES rpa_queues (org_id, id) ON DELETE CASCADE
);
CREATE INDEX rpa_queue_messages_order ON rpa_queue_messages (queue_id, seq);
-- Expired messages of one queue (purged by its sends and receives), and of all queues (the
-- periodic purge). Queues whose messages never expire add nothing to these.
CREATE INDEX rpa_queue_messages_queue_expiry ON rpa_queue_messages (queue_id, expires_at)
    WHERE expires_at IS NOT NULL;
CREATE INDEX rpa_queue_messages_expiry ON rpa_queue_messages (expires_at)
    WHERE expires_at IS NOT NULL;

-- The token a running job's process presents to the queue endpoints (`slu_job_...`,
-- SHA-256 here), issued when a bot claims the job; valid only while the job runs.
ALTER TABLE rpa_jobs ADD COLUMN job_token_hash TEXT;
CREATE UNIQUE INDEX rpa_jobs_job_token ON rpa_jobs (job_token_hash)
    WHERE job_token_hash IS NOT NULL;
