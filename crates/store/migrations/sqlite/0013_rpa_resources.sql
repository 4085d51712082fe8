-- Brity shared resources (string and file) and credentials (docs/dialects/brity.md,
-- "Shared resources and credentials"). Mirrors migrations/postgres/0013_rpa_resources.sql;
-- keep the two in step.

CREATE TABLE rpa_resources (
    -- Internal number; also the opaque `filePath` shown for sealed values.
    seq             INTEGER PRIMARY KEY,
    org_id          INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    -- Brity's id (a UUID unless the client chose one).
    id              TEXT    NOT NULL,
    -- 'asset' (a shared resource) or 'credential'.
    kind            TEXT    NOT NULL CHECK (kind IN ('asset', 'credential')),
    -- 'string' or 'file' for an asset, '' for a credential.
    category        TEXT    NOT NULL CHECK (category IN ('string', 'file', '')),
    name            TEXT    NOT NULL,
    description     TEXT    NOT NULL DEFAULT '',
    -- JSON array text of tags (largeCategory), and mediumCategory.
    large_category  TEXT    NOT NULL DEFAULT '[]',
    medium_category TEXT    NOT NULL DEFAULT '',
    -- isSecureData: the value is sealed (always for credentials).
    is_secure       BOOLEAN NOT NULL DEFAULT FALSE,
    -- A plain string resource's value.
    text_value      TEXT,
    -- A credential's or secure string's value, sealed (sealed.rs) for `<kind>:<org>:<id>`.
    sealed_value    BLOB,
    file_name       TEXT,
    file_size       INTEGER NOT NULL DEFAULT 0,
    created_by      INTEGER REFERENCES users (id) ON DELETE SET NULL,
    updated_by      INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at      TEXT    NOT NULL,
    updated_at      TEXT    NOT NULL,
    -- A file resource's bytes, last so that reads of the other columns leave them be.
    content         BLOB,
    UNIQUE (org_id, id)
);
-- Names are unique per tenant and kind without regard to case; the index also serves the
-- lists (by name) and the credential lookup of a bot's claim (by declared name).
CREATE UNIQUE INDEX rpa_resources_name ON rpa_resources (org_id, kind, lower(name));
CREATE INDEX rpa_resources_created_by ON rpa_resources (created_by);
CREATE INDEX rpa_resources_updated_by ON rpa_resources (updated_by);
