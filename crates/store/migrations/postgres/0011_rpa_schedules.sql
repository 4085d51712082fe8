-- Reservations (Brity's scheduled jobs) and the scheduler's bookkeeping.
-- Mirrors migrations/sqlite/0011_rpa_schedules.sql; keep the two in step.

CREATE TABLE rpa_schedules (
    seq             BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- Brity's reservation id: `RS_` and 32 hex digits.
    id              TEXT    NOT NULL UNIQUE,
    org_id          BIGINT  NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    -- Who made it (Brity scheduleUser); its jobs run as this user. NULL once deleted.
    owner_id        BIGINT  REFERENCES users (id) ON DELETE SET NULL,
    owner_login     TEXT    NOT NULL,
    name            TEXT    NOT NULL DEFAULT '',
    comment         TEXT    NOT NULL DEFAULT '',
    -- What each occurrence queues: Brity jobType (1, 11), the process (with its name and
    -- project as they were when saved, for the list once the process is gone), parameters
    -- (a JSON object), the names of the process's hidden inputs, priority, bots, retries.
    job_type        BIGINT  NOT NULL,
    process_id      TEXT    NOT NULL,
    process_name    TEXT    NOT NULL,
    project_id      TEXT    NOT NULL,
    project_name    TEXT    NOT NULL,
    parameters      TEXT    NOT NULL DEFAULT '{}',
    hidden_inputs   TEXT    NOT NULL DEFAULT '[]',
    priority        BIGINT  NOT NULL,
    -- Brity botSelectType as given (NULL: the process's default), the bot group and bot.
    bot_select_type BIGINT,
    bot_group_id    BIGINT,
    bot_id          TEXT,
    job_request_option TEXT,
    retry_count     BIGINT  NOT NULL DEFAULT 0,
    -- Kept as given, unused (Brity documents them as unused).
    job_result_type TEXT,
    lunar_yn        TEXT,
    interval_minutes BIGINT,
    -- The recurrence (sluice_domain::schedule::RuleSpec as JSON) and what it works out to:
    -- its start, first and last occurrences, and end (Brity schDetStartDt, schDetEndDt,
    -- schUntil).
    rule            TEXT    NOT NULL,
    start_at        TIMESTAMPTZ NOT NULL,
    first_at        TIMESTAMPTZ,
    last_at         TIMESTAMPTZ,
    until_at        TIMESTAMPTZ,
    is_inactive     BOOLEAN NOT NULL DEFAULT FALSE,
    is_deleted      BOOLEAN NOT NULL DEFAULT FALSE,
    -- Brity's bot schedules (botScheduleYn); reservations made through this API are job
    -- schedules.
    is_bot_schedule BOOLEAN NOT NULL DEFAULT FALSE,
    -- The next occurrence to fire; NULL when inactive, deleted or ended. The scheduler
    -- advances it with a compare-and-set (with `revision`), in the transaction that queues
    -- the occurrence's job, so each occurrence makes one job whatever the instances.
    next_fire_at    TIMESTAMPTZ,
    -- Occurrences up to here are done (fired or passed over).
    fired_through   TIMESTAMPTZ NOT NULL,
    -- Bumped by every change through the API.
    revision        BIGINT  NOT NULL DEFAULT 0,
    -- Jobs queued so far (Brity schCount) and occurrences passed over because the server
    -- was down (or the clock jumped) past them.
    job_count       BIGINT  NOT NULL DEFAULT 0,
    missed_count    BIGINT  NOT NULL DEFAULT 0,
    -- The last occurrence that could not be queued, and why.
    last_error      TEXT,
    last_error_at   TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    UNIQUE (org_id, id)
);
-- The scheduler's wait: the earliest next occurrence.
CREATE INDEX rpa_schedules_due ON rpa_schedules (next_fire_at) WHERE next_fire_at IS NOT NULL;
-- schedulings/list: a tenant's reservations, newest first.
CREATE INDEX rpa_schedules_list ON rpa_schedules (org_id, created_at, seq);
CREATE INDEX rpa_schedules_owner ON rpa_schedules (owner_id);
