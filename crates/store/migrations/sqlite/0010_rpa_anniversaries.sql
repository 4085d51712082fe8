-- Anniversaries (Brity's holiday calendar): named days of a tenant, some of them rest days
-- that reservations with notIncludeHolidayYn = Y skip (docs/dialects/brity.md,
-- "Anniversaries"). Mirrors migrations/postgres/0010_rpa_anniversaries.sql; keep the two in
-- step.

CREATE TABLE rpa_anniversaries (
    -- Brity's anniversaryId: `AN_` and 32 hex digits.
    id             TEXT    PRIMARY KEY,
    org_id         INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    title          TEXT    NOT NULL,
    -- The day (anniversaryDay), on the wall clock of `offset_minutes`.
    day            TEXT    NOT NULL,
    -- anniversaryType: 1 national holiday, 2 company anniversary, 3 lunar calendar, 4 other.
    kind           INTEGER NOT NULL CHECK (kind BETWEEN 1 AND 4),
    is_rest_day    BOOLEAN NOT NULL,
    -- timezoneOffset in JavaScript's convention (UTC+9 is -540): UTC+14 .. UTC-12.
    offset_minutes INTEGER NOT NULL CHECK (offset_minutes BETWEEN -840 AND 720),
    created_by     INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at     TEXT    NOT NULL,
    updated_at     TEXT    NOT NULL
);
-- The list (by day) and the rest days of a window, per tenant.
CREATE INDEX rpa_anniversaries_day ON rpa_anniversaries (org_id, day);
-- One anniversary of a title per day (titles compared as the backend's lower() folds them).
CREATE UNIQUE INDEX rpa_anniversaries_title ON rpa_anniversaries (org_id, day, lower(title));
CREATE INDEX rpa_anniversaries_created_by ON rpa_anniversaries (created_by);
