-- Jobs on bots, their result files and callbacks, and licenses (Brity's scheduler,
-- botList and license API; the bot protocol of docs/bot-protocol.md).
-- Mirrors migrations/sqlite/0006_rpa_jobs.sql; keep the two in step.

-- A license an administrator issued to the organization. A bot license is bound to one bot
-- when an agent activates with its key (shown once, stored as SHA-256).
CREATE TABLE rpa_licenses (
    -- The license's public name (`XXXX-XXXX-XXXX`), Brity's `licenseKey`.
    id              TEXT    PRIMARY KEY,
    org_id          BIGINT  NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    -- 'bot' (Brity licenseType 1) or 'designer' (2).
    kind            TEXT    NOT NULL,
    key_hash        TEXT    NOT NULL UNIQUE,
    description     TEXT    NOT NULL DEFAULT '',
    starts_at       TIMESTAMPTZ NOT NULL,
    -- NULL: does not expire.
    expires_at      TIMESTAMPTZ,
    -- The bot it is bound to (Brity clientId); NULL while not activated.
    bot_id          TEXT    REFERENCES bots (id) ON DELETE SET NULL,
    activated_at    TIMESTAMPTZ,
    -- Last time a bot secret was issued under it (Brity latestIssueTokenDt).
    token_issued_at TIMESTAMPTZ,
    created_by      BIGINT  REFERENCES users (id) ON DELETE SET NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    UNIQUE (org_id, id)
);
-- One license per bot.
CREATE UNIQUE INDEX rpa_licenses_bot ON rpa_licenses (bot_id);
CREATE INDEX rpa_licenses_org ON rpa_licenses (org_id, kind);

-- Jobs a bot has run (Brity operationCnt).
ALTER TABLE bots ADD COLUMN job_count BIGINT  NOT NULL DEFAULT 0;

-- A run of one process version on one bot. `seq` orders the queue (FIFO within a priority).
CREATE TABLE rpa_jobs (
    seq             BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- Brity's job id: `<epoch ms>-<8 hex>-<8 hex>`.
    id              TEXT    NOT NULL UNIQUE,
    org_id          BIGINT  NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    -- 1 process, 2 process run by a process flow, 21 process flow.
    job_type        BIGINT  NOT NULL,
    -- What ran, as it was when the job was requested (history outlives the project).
    process_id      TEXT    NOT NULL,
    version         TEXT    NOT NULL,
    process_name    TEXT    NOT NULL,
    project_id      TEXT    NOT NULL,
    project_name    TEXT    NOT NULL,
    user_id         BIGINT  REFERENCES users (id) ON DELETE SET NULL,
    -- The requesting user's login (Brity jobUser).
    job_user        TEXT    NOT NULL,
    -- Smaller runs first.
    priority        BIGINT  NOT NULL,
    -- 1 any bot the user may use, 2 a bot of bot group `bot_group_id`, 3 bot `target_bot_id`.
    bot_select_type BIGINT  NOT NULL,
    bot_group_id    BIGINT,
    target_bot_id   TEXT,
    -- The requested parameters (JSON object) and the names of the hidden inputs among them.
    parameters      TEXT    NOT NULL DEFAULT '{}',
    hidden_inputs   TEXT    NOT NULL DEFAULT '[]',
    -- What the bot receives: command, limits and package (JSON), and the merged inputs.
    run_spec        TEXT    NOT NULL,
    inputs          TEXT    NOT NULL DEFAULT '{}',
    -- Brity statusCode: 1 waiting, 3 running, 4 ended.
    status          BIGINT  NOT NULL DEFAULT 1,
    -- Brity detailCode once ended: 1 success, 2 failure, 3 stopped, 4 timeout.
    detail          BIGINT,
    stop_requested  BOOLEAN NOT NULL DEFAULT FALSE,
    bot_id          TEXT,
    bot_name        TEXT    NOT NULL DEFAULT '',
    -- 0 for the requested run, n for its n-th retry; `first_job_id` names the requested run.
    attempt         BIGINT  NOT NULL DEFAULT 0,
    first_job_id    TEXT,
    retries_left    BIGINT  NOT NULL DEFAULT 0,
    -- Where to POST the result when the job ends (requested runs only), and what to send.
    callback_url    TEXT,
    callback_file   BOOLEAN NOT NULL DEFAULT FALSE,
    callback_message BOOLEAN NOT NULL DEFAULT FALSE,
    additional_json TEXT,
    -- The process's outputs (JSON object) and its last message.
    result          TEXT    NOT NULL DEFAULT '{}',
    message         TEXT    NOT NULL DEFAULT '',
    -- Progress the bot reported.
    step            TEXT    NOT NULL DEFAULT '',
    percentage      BIGINT  NOT NULL DEFAULT 0,
    scheduled_at    TIMESTAMPTZ NOT NULL,
    started_at      TIMESTAMPTZ,
    ended_at        TIMESTAMPTZ,
    duration_ms     BIGINT,
    UNIQUE (org_id, id)
);
-- The queue, in dispatch order.
CREATE INDEX rpa_jobs_waiting ON rpa_jobs (org_id, priority, seq) WHERE status = 1;
-- A bot runs one job at a time, whatever the race; also finds a bot's running job.
CREATE UNIQUE INDEX rpa_jobs_running ON rpa_jobs (bot_id) WHERE status = 3;
-- jobs/list (ended jobs) by start or end time; history of a process (averages); a bot's jobs.
CREATE INDEX rpa_jobs_ended_start ON rpa_jobs (org_id, started_at) WHERE status = 4;
CREATE INDEX rpa_jobs_ended_end ON rpa_jobs (org_id, ended_at) WHERE status = 4;
CREATE INDEX rpa_jobs_process ON rpa_jobs (org_id, process_id, seq);
CREATE INDEX rpa_jobs_bot ON rpa_jobs (bot_id, seq);
CREATE INDEX rpa_jobs_user ON rpa_jobs (user_id);

-- Files a bot uploaded as a job's result (images among them); purged after 30 days.
CREATE TABLE rpa_job_files (
    id           BIGINT  GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    org_id       BIGINT  NOT NULL,
    job_id       TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    content_type TEXT    NOT NULL,
    is_image     BOOLEAN NOT NULL,
    size         BIGINT  NOT NULL,
    content      BYTEA   NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    UNIQUE (job_id, name),
    FOREIGN KEY (org_id, job_id) REFERENCES rpa_jobs (org_id, id) ON DELETE CASCADE
);
CREATE INDEX rpa_job_files_created ON rpa_job_files (created_at);

-- Callbacks to deliver (an outbox: rows survive restarts). The body is the ended job as
-- job get shows it (what to add is on the job row). A worker leases a row while it posts
-- it, so two instances never post one twice; failures back off exponentially.
CREATE TABLE rpa_callbacks (
    id           BIGINT  GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    org_id       BIGINT  NOT NULL,
    job_id       TEXT    NOT NULL,
    url          TEXT    NOT NULL,
    -- 'pending', 'delivered' or 'failed' (gave up).
    state        TEXT    NOT NULL DEFAULT 'pending',
    attempts     BIGINT  NOT NULL DEFAULT 0,
    next_at      TIMESTAMPTZ NOT NULL,
    leased_until TIMESTAMPTZ,
    last_error   TEXT    NOT NULL DEFAULT '',
    created_at   TIMESTAMPTZ NOT NULL,
    done_at      TIMESTAMPTZ,
    FOREIGN KEY (org_id, job_id) REFERENCES rpa_jobs (org_id, id) ON DELETE CASCADE
);
CREATE INDEX rpa_callbacks_due ON rpa_callbacks (next_at) WHERE state = 'pending';
CREATE INDEX rpa_callbacks_job ON rpa_callbacks (job_id);
CREATE INDEX rpa_callbacks_done ON rpa_callbacks (done_at) WHERE state <> 'pending';
