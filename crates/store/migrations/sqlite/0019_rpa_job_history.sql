-- A job request's averageSeconds reads the process's latest successful runs
-- (crates/store/src/rpa/jobs.rs); without this index it walks past every waiting and running
-- job of the process first (rpa_jobs_process).
-- Mirrors migrations/postgres/0019_rpa_job_history.sql; keep the two in step.
CREATE INDEX rpa_jobs_process_done ON rpa_jobs (org_id, process_id, seq)
    WHERE status = 4 AND detail = 1;
