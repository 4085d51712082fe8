//! Package upload (Brity `ipaUpload/check` and `ipaUpload/upload`): the package is opened
//! and checked (crates/package), matched with an existing object (by the manifest's id,
//! else by name), and stored with the object's new version, its processes and their
//! versions in one transaction. See docs/dialects/brity.md.

use super::asset_error::AssetError;
use super::object_access::Authorities;
use super::projects::{is_admin, next_version, user_id, Project};
use crate::oauth::Principal;
use crate::{Result, Store};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use sluice_domain::{Error, OrgId};
use sluice_package::{Manifest, ObjectKind, Package, PackageError};
use std::sync::Arc;

/// An upload as received.
#[derive(Debug, Clone)]
pub struct Upload<'a> {
    /// The object kind the client says the package is (Brity's `type`).
    pub kind: ObjectKind,
    /// Shared, so the package can be opened on a blocking thread without copying it.
    pub bytes: Arc<Vec<u8>>,
    pub password: Option<&'a str>,
    /// The uploaded file's name (kept as the object's file path).
    pub file_name: &'a str,
    /// Activate the new version at once (Brity `autoActivation`): needs the A authority
    /// over an existing object; a new object is activated only for a tenant administrator.
    pub auto_activation: bool,
}

/// What an upload would do, as `ipaUpload/check` reports it.
#[derive(Debug, Clone)]
pub struct UploadPlan {
    pub manifest: Manifest,
    /// The object a new version would be added to; `None` for a new object.
    pub existing: Option<Project>,
    /// The id the object has or would get (a new object's id is only known for sure once
    /// stored; it is the manifest's id when that is free).
    pub object_id: Option<String>,
    /// The version the upload would create.
    pub version: String,
    /// The caller's authorities over the object (all of them over a new one).
    pub authorities: Authorities,
    /// Ids of the existing processes by manifest process name (new ones absent).
    pub process_ids: Vec<(String, Option<String>)>,
}

/// A stored upload.
#[derive(Debug, Clone)]
pub struct Uploaded {
    pub id: String,
    pub name: String,
    pub version: String,
    pub kind: ObjectKind,
}

#[derive(sqlx::FromRow)]
struct Candidate {
    id: String,
    category: String,
    name: String,
    manifest_id: Option<String>,
}

#[derive(sqlx::FromRow)]
struct ExistingProcess {
    id: String,
    name: String,
    bot_select_type: Option<i64>,
    bot_target: Option<String>,
    input_expressions: Option<String>,
}

/// Runs CPU-heavy package work (decompression, AES, recompression of up to 256 MiB) on
/// the blocking pool, so a large upload does not stall the async workers (dispatch and
/// long polls share them).
pub(super) async fn off_runtime<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, PackageError> + Send + 'static,
) -> Result<T, AssetError> {
    let done = tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| AssetError::Store(crate::Error::Unexpected(e.into())))?;
    Ok(done?)
}

/// Opens an upload off the async workers.
async fn open_upload(upload: &Upload<'_>) -> Result<Package, AssetError> {
    let (bytes, password) = (upload.bytes.clone(), upload.password.map(str::to_string));
    off_runtime(move || sluice_package::open(&bytes, password.as_deref())).await
}

/// An object name folded as the backend's `lower()`, hence the unique index
/// `rpa_projects_name` (migration 0008), folds it: every letter on PostgreSQL, ASCII only on
/// SQLite. Name checks made in Rust use it so they agree with the index.
pub(super) fn name_key(store: &Store, name: &str) -> String {
    if store.folds_unicode() {
        name.to_lowercase()
    } else {
        name.to_ascii_lowercase()
    }
}

/// The SHA-256 of some bytes, in lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl Store {
    /// Opens a package and works out what uploading it would do, refusing it as the upload
    /// would (but without the authority checks, which `upload_package` makes).
    pub async fn plan_upload(
        &self,
        caller: &Principal,
        upload: &Upload<'_>,
    ) -> Result<UploadPlan, AssetError> {
        let package = open_upload(upload).await?;
        self.plan_for(caller, upload.kind, package.manifest).await
    }

    async fn plan_for(
        &self,
        caller: &Principal,
        kind: ObjectKind,
        manifest: Manifest,
    ) -> Result<UploadPlan, AssetError> {
        if manifest.kind != kind {
            let code = match kind {
                ObjectKind::Workflow => "IS_NOT_WORKFLOW_FILE",
                _ => "IS_NOT_PROJECT_FILE",
            };
            return Err(AssetError::upload(
                code,
                format!(
                    "The package is a {}, not a {}.",
                    manifest.kind.as_str(),
                    kind.as_str()
                ),
            ));
        }
        let org = caller.org.id.0;
        let category = kind.as_str();
        let mid = manifest.id.as_deref().map(str::to_ascii_lowercase);
        let candidates: Vec<Candidate> = read!(self, |db| {
            sqlx::query_as(
                "SELECT id, category, name, manifest_id FROM rpa_projects WHERE org_id = $1 \
                 AND (id = $2 OR manifest_id = $2 OR (category = $3 AND LOWER(name) = LOWER($4)))",
            )
            .bind(org)
            .bind(mid.as_deref().unwrap_or(""))
            .bind(category)
            .bind(&manifest.name)
            .fetch_all(db)
            .await?
        });
        let by_id = mid.as_deref().and_then(|m| {
            candidates
                .iter()
                .find(|c| c.id == m || c.manifest_id.as_deref() == Some(m))
        });
        let target = match (mid.as_deref(), by_id) {
            (Some(_), Some(c)) => {
                if c.category != category {
                    return Err(AssetError::upload(
                        "OBJECT_ID_IS_NOT_MATCH",
                        format!("The package's id names a {}, not a {category}.", c.category),
                    ));
                }
                if name_key(self, &c.name) != name_key(self, &manifest.name) {
                    return Err(AssetError::upload(
                        "OBJECT_NAME_IS_NOT_MATCH",
                        format!(
                            "The package's id names {:?}, not {:?}.",
                            c.name, manifest.name
                        ),
                    ));
                }
                Some(c.id.clone())
            }
            (Some(_), None) => {
                if candidates.iter().any(|c| c.category == category) {
                    return Err(AssetError::upload(
                        "DUPLICATE_OBJECT_NAME",
                        format!("Another {category} is named {:?}.", manifest.name),
                    ));
                }
                None
            }
            (None, _) => candidates
                .iter()
                .find(|c| c.category == category)
                .map(|c| c.id.clone()),
        };
        let Some(target) = target else {
            let process_ids = manifest
                .processes
                .iter()
                .map(|p| (p.name.clone(), None))
                .collect();
            return Ok(UploadPlan {
                object_id: mid,
                existing: None,
                version: "1.00".into(),
                authorities: Authorities::all(),
                process_ids,
                manifest,
            });
        };
        let (existing, authorities) = match self
            .project_with_authority(caller, Some(category), &target, 'R')
            .await
        {
            Ok(found) => found,
            // Without R the object's details stay hidden; the upload is refused for want of U.
            Err(crate::Error::Domain(Error::Forbidden(_))) => {
                return Err(Error::Forbidden(format!(
                    "{target}: the U authority is needed to upload a new version."
                ))
                .into())
            }
            Err(e) => return Err(e.into()),
        };
        let processes: Vec<ExistingProcess> = self.existing_processes(&target).await?;
        let process_ids = manifest
            .processes
            .iter()
            .map(|p| {
                let id = processes
                    .iter()
                    .find(|e| e.name.to_lowercase() == p.name.to_lowercase())
                    .map(|e| e.id.clone());
                (p.name.clone(), id)
            })
            .collect();
        Ok(UploadPlan {
            object_id: Some(existing.id.clone()),
            version: next_version(&existing.version),
            existing: Some(existing),
            authorities,
            process_ids,
            manifest,
        })
    }

    async fn existing_processes(&self, project_id: &str) -> Result<Vec<ExistingProcess>> {
        Ok(read!(self, |db| {
            sqlx::query_as(
                "SELECT p.id, p.name, v.bot_select_type, v.bot_target, v.input_expressions \
                 FROM rpa_processes p LEFT JOIN rpa_process_versions v \
                 ON v.process_id = p.id AND v.version = p.latest_version \
                 WHERE p.project_id = $1",
            )
            .bind(project_id)
            .fetch_all(db)
            .await?
        }))
    }

    /// Uploads a package: a new object, or a new version of the one it matches (U
    /// authority; A too with `auto_activation`). A new object is stored activated only when
    /// a tenant administrator asks so: its uploader becomes its owner (every authority), so
    /// honouring anyone's `auto_activation` would let users approve their own work. One
    /// transaction writes the package, the object, its version, its processes and their
    /// versions.
    pub async fn upload_package(
        &self,
        caller: &Principal,
        upload: &Upload<'_>,
    ) -> Result<Uploaded, AssetError> {
        let package = open_upload(upload).await?;
        let plan = self.plan_for(caller, upload.kind, package.manifest).await?;
        if plan.existing.is_some() {
            for letter in std::iter::once('U').chain(upload.auto_activation.then_some('A')) {
                if !plan.authorities.has(letter) {
                    return Err(Error::Forbidden(format!(
                        "The {letter} authority is needed to upload a new version of {:?}.",
                        plan.manifest.name
                    ))
                    .into());
                }
            }
        }
        // Bots never get the password: an encrypted package is stored decrypted.
        let stored = if package.encrypted {
            let (bytes, password) = (upload.bytes.clone(), upload.password.map(str::to_string));
            Arc::new(
                off_runtime(move || sluice_package::repack(&bytes, password.as_deref(), |_| {}))
                    .await?
                    .0,
            )
        } else {
            upload.bytes.clone()
        };
        let file_name = file_name(upload.file_name);
        let existing_processes = match &plan.existing {
            Some(p) => self.existing_processes(&p.id).await?,
            None => Vec::new(),
        };
        let new_id = match &plan.existing {
            Some(p) => p.id.clone(),
            None => self.free_project_id(plan.object_id.as_deref()).await?,
        };
        let write = StoredVersion {
            org: caller.org.id,
            user: user_id(caller),
            category: upload.kind.as_str(),
            project_id: &new_id,
            manifest: &plan.manifest,
            manifest_id: plan.object_id.as_deref(),
            file_name: &file_name,
            activate: upload.auto_activation && (plan.existing.is_some() || is_admin(caller)),
            admin_approved: upload.auto_activation && is_admin(caller),
            now: Utc::now(),
        };
        let version = self
            .write_version(
                &write,
                plan.existing.is_some(),
                &stored,
                &existing_processes,
            )
            .await?;
        Ok(Uploaded {
            id: new_id,
            name: plan.manifest.name.clone(),
            version,
            kind: upload.kind,
        })
    }

    /// The manifest's id for a new object if no tenant holds it, else a fresh UUID (the
    /// manifest id is then kept in `manifest_id`, so later uploads still find the object).
    async fn free_project_id(&self, wanted: Option<&str>) -> Result<String> {
        if let Some(id) = wanted {
            let taken: Option<i32> = read!(self, |db| {
                sqlx::query_scalar("SELECT 1 FROM rpa_projects WHERE id = $1")
                    .bind(id)
                    .fetch_optional(db)
                    .await?
            });
            if taken.is_none() {
                return Ok(id.to_string());
            }
        }
        Ok(uuid::Uuid::new_v4().to_string())
    }

    /// Writes one version of an object: package (de-duplicated by SHA-256), the object row
    /// (created, or moved to its next version under a row lock), the version row, and every
    /// process with its version. Returns the version written.
    async fn write_version(
        &self,
        w: &StoredVersion<'_>,
        exists: bool,
        package: &[u8],
        existing: &[ExistingProcess],
    ) -> Result<String, AssetError> {
        let sha = sha256_hex(package);
        let org = w.org.0;
        let m = w.manifest;
        let manifest_id = w.manifest_id.filter(|mid| *mid != w.project_id);
        let new_process_ids: Vec<String> = m
            .processes
            .iter()
            .map(|_| uuid::Uuid::new_v4().to_string())
            .collect();
        Ok(write_tx!(self, |tx| {
            sqlx::query(
                "INSERT INTO rpa_packages (org_id, sha256, size, content, created_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (org_id, sha256) DO NOTHING",
            )
            .bind(org)
            .bind(&sha)
            .bind(package.len() as i64)
            .bind(package)
            .bind(w.user)
            .bind(w.now)
            .execute(&mut *tx)
            .await?;
            let package_id: i64 =
                sqlx::query_scalar("SELECT id FROM rpa_packages WHERE org_id = $1 AND sha256 = $2")
                    .bind(org)
                    .bind(&sha)
                    .fetch_one(&mut *tx)
                    .await?;
            let version = if exists {
                // The UPDATE locks the row, so concurrent uploads take turns for versions.
                let current: Option<String> = sqlx::query_scalar(
                    "UPDATE rpa_projects SET updated_at = $3 WHERE org_id = $1 AND id = $2 \
                     RETURNING version",
                )
                .bind(org)
                .bind(w.project_id)
                .bind(w.now)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(current) = current else {
                    return Err(Error::not_found("Project", w.project_id).into());
                };
                let version = next_version(&current);
                sqlx::query(
                    "UPDATE rpa_projects SET version = $3, package_id = $4, description = $5, \
                     designer_version = $6, file_path = $7, updated_by = $8, is_activated = $9, \
                     activated_version = CASE WHEN $9 THEN $3 ELSE activated_version END, \
                     name = $10 WHERE org_id = $1 AND id = $2",
                )
                .bind(org)
                .bind(w.project_id)
                .bind(&version)
                .bind(package_id)
                .bind(&m.description)
                .bind(&m.designer_version)
                .bind(w.file_name)
                .bind(w.user)
                .bind(w.activate)
                .bind(&m.name)
                .execute(&mut *tx)
                .await?;
                version
            } else {
                let taken: Option<i32> = sqlx::query_scalar(
                    "SELECT 1 FROM rpa_projects WHERE org_id = $1 AND category = $2 \
                     AND LOWER(name) = LOWER($3)",
                )
                .bind(org)
                .bind(w.category)
                .bind(&m.name)
                .fetch_optional(&mut *tx)
                .await?;
                if taken.is_some() {
                    return Err(AssetError::upload(
                        "DUPLICATE_OBJECT_NAME",
                        format!("Another {} is named {:?}.", w.category, m.name),
                    )
                    .abort());
                }
                sqlx::query(
                    "INSERT INTO rpa_projects (id, org_id, category, name, description, version, \
                     package_id, file_path, designer_version, is_activated, activated_version, \
                     owner_id, created_by, updated_by, created_at, updated_at, manifest_id) \
                     VALUES ($1, $2, $3, $4, $5, '1.00', $6, $7, $8, $9, \
                     CASE WHEN $9 THEN '1.00' END, $10, $10, $10, $11, $11, $12)",
                )
                .bind(w.project_id)
                .bind(org)
                .bind(w.category)
                .bind(&m.name)
                .bind(&m.description)
                .bind(package_id)
                .bind(w.file_name)
                .bind(&m.designer_version)
                .bind(w.activate)
                .bind(w.user)
                .bind(w.now)
                .bind(manifest_id)
                .execute(&mut *tx)
                .await?;
                "1.00".to_string()
            };
            sqlx::query(
                "INSERT INTO rpa_project_versions (org_id, project_id, version, package_id, \
                 description, designer_version, main_process, is_activated, created_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(org)
            .bind(w.project_id)
            .bind(&version)
            .bind(package_id)
            .bind(&m.description)
            .bind(&m.designer_version)
            .bind(&m.main_process)
            .bind(w.activate)
            .bind(w.user)
            .bind(w.now)
            .execute(&mut *tx)
            .await?;
            for (p, fresh_id) in m.processes.iter().zip(&new_process_ids) {
                let known = existing
                    .iter()
                    .find(|e| e.name.to_lowercase() == p.name.to_lowercase());
                let process_id = match known {
                    Some(e) => {
                        sqlx::query(
                            "UPDATE rpa_processes SET name = $2, description = $3, \
                             latest_version = $4, updated_by = $5, updated_at = $6 WHERE id = $1",
                        )
                        .bind(&e.id)
                        .bind(&p.name)
                        .bind(&p.description)
                        .bind(&version)
                        .bind(w.user)
                        .bind(w.now)
                        .execute(&mut *tx)
                        .await?;
                        e.id.clone()
                    }
                    None => {
                        sqlx::query(
                            "INSERT INTO rpa_processes (id, org_id, project_id, name, description, \
                             latest_version, created_by, updated_by, created_at, updated_at) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $8)",
                        )
                        .bind(fresh_id)
                        .bind(org)
                        .bind(w.project_id)
                        .bind(&p.name)
                        .bind(&p.description)
                        .bind(&version)
                        .bind(w.user)
                        .bind(w.now)
                        .execute(&mut *tx)
                        .await?;
                        fresh_id.clone()
                    }
                };
                // The default bot selection and input expressions carry over to the new
                // version, for the inputs it still declares.
                let (select, target, expressions) = carried_settings(known, p);
                sqlx::query(
                    "INSERT INTO rpa_process_versions (process_id, version, package_id, entry, \
                     inputs, outputs, credentials, timeout_secs, work_type, designer_version, \
                     bot_select_type, bot_target, input_expressions, created_by, created_at, \
                     admin_approved) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, \
                     $16)",
                )
                .bind(&process_id)
                .bind(&version)
                .bind(package_id)
                .bind(p.entry_json().to_string())
                .bind(json_text(&p.inputs))
                .bind(json_text(&p.outputs))
                .bind(json_text(&p.credentials))
                .bind(p.timeout_seconds as i64)
                .bind(p.work_type.as_str())
                .bind(&m.designer_version)
                .bind(select)
                .bind(target)
                .bind(expressions)
                .bind(w.user)
                .bind(w.now)
                .bind(w.admin_approved)
                .execute(&mut *tx)
                .await?;
            }
            version
        }))
    }

    /// The bytes of a package of the organization, by SHA-256 (what a bot fetches).
    pub async fn package_content(&self, org: OrgId, sha256: &str) -> Result<Option<Vec<u8>>> {
        Ok(read!(self, |db| {
            sqlx::query_scalar("SELECT content FROM rpa_packages WHERE org_id = $1 AND sha256 = $2")
                .bind(org.0)
                .bind(sha256.to_ascii_lowercase())
                .fetch_optional(db)
                .await?
        }))
    }

    /// The package of one version of an object (R authority): its file name and bytes.
    /// `None` when that version has no package (an empty created project).
    pub async fn object_package(
        &self,
        caller: &Principal,
        object_id: &str,
        version: &str,
    ) -> Result<Option<(String, Vec<u8>)>> {
        let (project, _) = self
            .project_with_authority(caller, None, object_id, 'R')
            .await?;
        let content: Option<Option<Vec<u8>>> = read!(self, |db| {
            sqlx::query_scalar(
                "SELECT pk.content FROM rpa_project_versions v \
                 LEFT JOIN rpa_packages pk ON pk.id = v.package_id \
                 WHERE v.project_id = $1 AND v.version = $2",
            )
            .bind(object_id)
            .bind(version)
            .fetch_optional(db)
            .await?
        });
        match content {
            None => Err(Error::not_found("Version", format!("{version} of {object_id}")).into()),
            Some(content) => Ok(content.map(|c| (format!("{}_{version}.zip", project.name), c))),
        }
    }
}

/// What one upload writes.
struct StoredVersion<'a> {
    org: OrgId,
    user: Option<i64>,
    category: &'static str,
    project_id: &'a str,
    manifest: &'a Manifest,
    manifest_id: Option<&'a str>,
    file_name: &'a str,
    activate: bool,
    /// Activated by a tenant administrator: its processes may receive credentials.
    admin_approved: bool,
    now: DateTime<Utc>,
}

fn json_text<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "[]".into())
}

/// The previous version's bot selection and the input expressions of inputs still declared.
fn carried_settings(
    known: Option<&ExistingProcess>,
    p: &sluice_package::Process,
) -> (i64, Option<String>, String) {
    let Some(e) = known else {
        return (1, None, "{}".into());
    };
    let mut expressions: serde_json::Map<String, serde_json::Value> = e
        .input_expressions
        .as_deref()
        .and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or_default();
    expressions.retain(|name, _| p.inputs.iter().any(|i| &i.name == name));
    (
        e.bot_select_type.unwrap_or(1),
        e.bot_target.clone(),
        serde_json::Value::Object(expressions).to_string(),
    )
}

/// The last component of an uploaded file name, at most 255 characters.
fn file_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or("").trim();
    last.chars().filter(|c| !c.is_control()).take(255).collect()
}
