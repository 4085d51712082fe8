//! Project copy (Brity `objects/project/copy`): a version of a project (by default its
//! latest activated one) becomes a new project under another name, with processes renamed
//! as asked. The package is rewritten with the new names, so a download of the copy and
//! the bots see the same names as the server.

use super::asset_error::{checked_name, AssetError};
use super::projects::user_id;
use crate::oauth::Principal;
use crate::Store;
use chrono::Utc;
use sluice_domain::Error;
use std::collections::{BTreeMap, HashSet};

/// One copy request.
#[derive(Debug, Clone)]
pub struct CopyRequest {
    pub id: String,
    /// `None`: the latest activated version.
    pub version: Option<String>,
    pub target_name: String,
    /// Process renames, old name → new name; names of no process are passed over (Brity
    /// also renames tasks, which Sluice's processes do not have).
    pub names: BTreeMap<String, String>,
}

#[derive(sqlx::FromRow)]
struct SourceProcess {
    name: String,
    description: String,
    entry: String,
    inputs: String,
    outputs: String,
    credentials: String,
    timeout_secs: i64,
    work_type: String,
    os: String,
    resolution: String,
    designer_version: String,
    bot_select_type: i64,
    bot_target: Option<String>,
    input_expressions: String,
}

#[derive(sqlx::FromRow)]
struct SourceVersion {
    description: String,
    designer_version: String,
    main_process: String,
    content: Option<Vec<u8>>,
}

/// A copy ready to write.
struct Prepared {
    id: String,
    name: String,
    category: String,
    version: SourceVersion,
    processes: Vec<(String, SourceProcess)>,
    package: Option<(String, Vec<u8>)>,
}

impl Store {
    /// Copies projects (R and E, or R, U and A, over each source); all or none. The new
    /// projects belong to the caller (who thus holds every authority over them) and start
    /// at version "1.00", NOT activated: activating the copy is a separate approval, so a
    /// copy can never turn read access into the right to run. Returns the new ids, in
    /// request order.
    pub async fn copy_projects(
        &self,
        caller: &Principal,
        requests: &[CopyRequest],
    ) -> Result<Vec<String>, AssetError> {
        let mut prepared = Vec::with_capacity(requests.len());
        let mut targets = HashSet::new();
        for r in requests {
            let p = self.prepare_copy(caller, r).await?;
            if !targets.insert(super::packages::name_key(self, &p.name)) {
                return Err(AssetError::NameInUse(p.name));
            }
            prepared.push(p);
        }
        let org = caller.org.id.0;
        let user = user_id(caller);
        let now = Utc::now();
        write_tx!(self, |tx| {
            for p in &prepared {
                let taken: Option<i32> = sqlx::query_scalar(
                    "SELECT 1 FROM rpa_projects WHERE org_id = $1 AND category = $2 \
                     AND LOWER(name) = LOWER($3)",
                )
                .bind(org)
                .bind(&p.category)
                .bind(&p.name)
                .fetch_optional(&mut *tx)
                .await?;
                if taken.is_some() {
                    return Err(AssetError::NameInUse(p.name.clone()).abort());
                }
                let package_id: Option<i64> = match &p.package {
                    Some((sha, bytes)) => {
                        sqlx::query(
                            "INSERT INTO rpa_packages (org_id, sha256, size, content, created_by, \
                             created_at) VALUES ($1, $2, $3, $4, $5, $6) \
                             ON CONFLICT (org_id, sha256) DO NOTHING",
                        )
                        .bind(org)
                        .bind(sha)
                        .bind(bytes.len() as i64)
                        .bind(bytes)
                        .bind(user)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                        Some(
                            sqlx::query_scalar(
                                "SELECT id FROM rpa_packages WHERE org_id = $1 AND sha256 = $2",
                            )
                            .bind(org)
                            .bind(sha)
                            .fetch_one(&mut *tx)
                            .await?,
                        )
                    }
                    None => None,
                };
                let v = &p.version;
                sqlx::query(
                    "INSERT INTO rpa_projects (id, org_id, category, name, description, version, \
                     package_id, file_path, designer_version, is_activated, activated_version, \
                     owner_id, created_by, updated_by, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, '1.00', $6, $7, $8, FALSE, NULL, \
                     $9, $9, $9, $10, $10)",
                )
                .bind(&p.id)
                .bind(org)
                .bind(&p.category)
                .bind(&p.name)
                .bind(&v.description)
                .bind(package_id)
                .bind(format!("{}.zip", p.name))
                .bind(&v.designer_version)
                .bind(user)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "INSERT INTO rpa_project_versions (org_id, project_id, version, package_id, \
                     description, designer_version, main_process, is_activated, created_by, \
                     created_at) VALUES ($1, $2, '1.00', $3, $4, $5, $6, FALSE, $7, $8)",
                )
                .bind(org)
                .bind(&p.id)
                .bind(package_id)
                .bind(&v.description)
                .bind(&v.designer_version)
                .bind(&v.main_process)
                .bind(user)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                for (name, s) in &p.processes {
                    let id = uuid::Uuid::new_v4().to_string();
                    sqlx::query(
                        "INSERT INTO rpa_processes (id, org_id, project_id, name, description, \
                         latest_version, created_by, updated_by, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, '1.00', $6, $6, $7, $7)",
                    )
                    .bind(&id)
                    .bind(org)
                    .bind(&p.id)
                    .bind(name)
                    .bind(&s.description)
                    .bind(user)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                    sqlx::query(
                        "INSERT INTO rpa_process_versions (process_id, version, package_id, entry, \
                         inputs, outputs, credentials, timeout_secs, work_type, os, resolution, \
                         designer_version, bot_select_type, bot_target, input_expressions, \
                         created_by, created_at) VALUES ($1, '1.00', $2, $3, $4, $5, $6, $7, $8, \
                         $9, $10, $11, $12, $13, $14, $15, $16)",
                    )
                    .bind(&id)
                    .bind(package_id)
                    .bind(&s.entry)
                    .bind(&s.inputs)
                    .bind(&s.outputs)
                    .bind(&s.credentials)
                    .bind(s.timeout_secs)
                    .bind(&s.work_type)
                    .bind(&s.os)
                    .bind(&s.resolution)
                    .bind(&s.designer_version)
                    .bind(s.bot_select_type)
                    .bind(&s.bot_target)
                    .bind(&s.input_expressions)
                    .bind(user)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                }
            }
        });
        Ok(prepared.into_iter().map(|p| p.id).collect())
    }

    /// Checks one request and loads its source version, renaming in memory.
    async fn prepare_copy(
        &self,
        caller: &Principal,
        r: &CopyRequest,
    ) -> Result<Prepared, AssetError> {
        checked_name(&r.target_name)?;
        for new in r.names.values() {
            checked_name(new)?;
        }
        let (project, held) = self
            .project_with_authority(caller, None, &r.id, 'R')
            .await?;
        // The copy is the caller's, so they hold every authority over it: only someone who
        // may already run the source (E), or change and approve it (U and A), may copy it.
        if !(held.has('E') || (held.has('U') && held.has('A'))) {
            return Err(Error::Forbidden(format!(
                "Project {}: the E authority (or U and A) is needed to copy it.",
                r.id
            ))
            .into());
        }
        let version = match r
            .version
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
        {
            Some(v) => v.to_string(),
            None => project.activated_version.clone().ok_or_else(|| {
                Error::NotFound(format!(
                    "Project {} has no activated version to copy; name a version.",
                    r.id
                ))
            })?,
        };
        let source: Option<SourceVersion> = read!(self, |db| {
            sqlx::query_as(
                "SELECT v.description, v.designer_version, v.main_process, pk.content FROM rpa_project_versions v \
                 LEFT JOIN rpa_packages pk ON pk.id = v.package_id \
                 WHERE v.project_id = $1 AND v.version = $2",
            )
            .bind(&r.id)
            .bind(&version)
            .fetch_optional(db)
            .await?
        });
        let mut source = source.ok_or_else(|| {
            Error::NotFound(format!("Project {} has no version {version}.", r.id))
        })?;
        let processes: Vec<SourceProcess> = read!(self, |db| {
            sqlx::query_as(
                "SELECT p.name, p.description, v.entry, v.inputs, v.outputs, v.credentials, \
                 v.timeout_secs, v.work_type, v.os, v.resolution, v.designer_version, \
                 v.bot_select_type, v.bot_target, v.input_expressions \
                 FROM rpa_processes p JOIN rpa_process_versions v ON v.process_id = p.id \
                 WHERE p.project_id = $1 AND v.version = $2 ORDER BY p.name",
            )
            .bind(&r.id)
            .bind(&version)
            .fetch_all(db)
            .await?
        });
        let rename = |name: &str| {
            r.names
                .get(name)
                .cloned()
                .unwrap_or_else(|| name.to_string())
        };
        let mut seen = HashSet::from([r.target_name.to_lowercase()]);
        let mut renamed = Vec::with_capacity(processes.len());
        for s in processes {
            let name = rename(&s.name);
            if !seen.insert(name.to_lowercase()) {
                return Err(AssetError::DuplicateProcessName(name));
            }
            renamed.push((name, s));
        }
        source.main_process = rename(&source.main_process);
        let package = match source.content.take() {
            Some(bytes) => {
                // Owned copies for the blocking thread (the repack is CPU-heavy).
                let (target_name, names) = (r.target_name.clone(), r.names.clone());
                let bytes = super::packages::off_runtime(move || {
                    let rename =
                        |name: &str| names.get(name).cloned().unwrap_or_else(|| name.to_string());
                    let (bytes, _) = sluice_package::repack(&bytes, None, |m| {
                        m.id = None;
                        m.name = target_name;
                        m.main_process = rename(&m.main_process);
                        for p in &mut m.processes {
                            p.name = rename(&p.name);
                        }
                    })?;
                    Ok((super::packages::sha256_hex(&bytes), bytes))
                })
                .await?;
                Some(bytes)
            }
            None => None,
        };
        Ok(Prepared {
            id: uuid::Uuid::new_v4().to_string(),
            name: r.target_name.clone(),
            category: project.category,
            version: source,
            processes: renamed,
            package,
        })
    }
}
