-- Job machinery fixes (review of issue 6). Mirrors migrations/postgres/0009_rpa_jobs_fixes.sql; keep the two in step.

-- Whether the bot acknowledged its claim (its first control, progress, files or finish
-- call). Until then a poll of the same bot hands the job back (the claim's answer may
-- have been lost). Rows running before this migration count as acknowledged.
ALTER TABLE rpa_jobs ADD COLUMN claim_acked BOOLEAN NOT NULL DEFAULT TRUE;

-- The waiting queue by the bot or bot group it targets, so a poll does not walk jobs
-- meant for other bots.
CREATE INDEX rpa_jobs_waiting_bot ON rpa_jobs (target_bot_id, priority, seq) WHERE status = 1;
CREATE INDEX rpa_jobs_waiting_group ON rpa_jobs (bot_group_id, priority, seq) WHERE status = 1;
