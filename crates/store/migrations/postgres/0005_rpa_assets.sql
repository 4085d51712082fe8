-- Brity assets: the versions of a project (each upload adds one, each with its own package
-- and activation), the manifest id a project was created from, and package de-duplication.
-- Mirrors migrations/sqlite/0005_rpa_assets.sql; keep the two in step.

-- One uploaded version of a project, process flow or outline. A version is activated
-- (approved to run) on its own: a new upload does not disturb the version that runs.
CREATE TABLE rpa_project_versions (
    org_id           BIGINT  NOT NULL,
    project_id       TEXT    NOT NULL,
    version          TEXT    NOT NULL,
    -- NULL for the empty first version of a project made by objects/create/project.
    package_id       BIGINT  REFERENCES rpa_packages (id),
    description      TEXT    NOT NULL DEFAULT '',
    designer_version TEXT    NOT NULL DEFAULT '',
    main_process     TEXT    NOT NULL DEFAULT '',
    is_activated     BOOLEAN NOT NULL DEFAULT FALSE,
    created_by       BIGINT  REFERENCES users (id) ON DELETE SET NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (project_id, version),
    FOREIGN KEY (org_id, project_id) REFERENCES rpa_projects (org_id, id) ON DELETE CASCADE
);
CREATE INDEX rpa_project_versions_package ON rpa_project_versions (package_id);

-- The `id` of the manifest the project was first uploaded with, when the project could not
-- take that id itself (another tenant holds it): later uploads of that package find it here.
ALTER TABLE rpa_projects ADD COLUMN manifest_id TEXT;
CREATE INDEX rpa_projects_manifest ON rpa_projects (org_id, manifest_id);
-- The latest activated version (the one a job runs by default); NULL while none is.
ALTER TABLE rpa_projects ADD COLUMN activated_version TEXT;
-- Projects by owner (owner change, listings of one's own objects).
CREATE INDEX rpa_projects_owner ON rpa_projects (owner_id);

-- The same bytes uploaded twice in a tenant are stored once.
CREATE UNIQUE INDEX rpa_packages_sha256 ON rpa_packages (org_id, sha256);
