//! Shared resources (Brity's "Common Resource"): string and file resources and credentials,
//! one `rpa_resources` row each. A credential's value and a secure string's value are sealed
//! at rest (`sealed.rs`) under the server's secret key for the place `<kind>:<org>:<id>`;
//! their clear text exists only in memory, while it is written and when a bot's claim
//! carries it (`credential_grants.rs`). Reads never return it: a sealed value shows as a
//! digest of its ciphertext. See docs/dialects/brity.md.

use super::resource_plan::{bad, check_change, place, plan, Content, Current, CURRENT_COLUMNS};
use crate::oauth::Principal;
use crate::{Result, Store};
use chrono::{DateTime, SubsecRound, Utc};
use sha2::{Digest, Sha256};
use sluice_domain::{Error, OrgId};

/// Largest string or credential value, in bytes (UTF-8).
pub const MAX_VALUE_BYTES: usize = 16 * 1024;
/// Largest file resource.
pub const MAX_FILE_BYTES: usize = 20 * 1024 * 1024;
/// Longest id (Brity's are UUIDs).
pub const MAX_ID_CHARS: usize = 100;
pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_DESC_CHARS: usize = 4000;
pub const MAX_MEDIUM_CHARS: usize = 100;
/// Most largeCategory tags, and their length.
pub const MAX_TAGS: usize = 20;
pub const MAX_TAG_CHARS: usize = 100;
pub const MAX_FILE_NAME_CHARS: usize = 255;
/// Most rows a list answers at once.
pub const MAX_LIST: i64 = 1000;

/// What a row is: a shared resource (Brity "Asset") or a credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceKind {
    Asset,
    Credential,
}

impl ResourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceKind::Asset => "asset",
            ResourceKind::Credential => "credential",
        }
    }

    /// The object named in messages.
    fn noun(self) -> &'static str {
        match self {
            ResourceKind::Asset => "Shared resource",
            ResourceKind::Credential => "Credential",
        }
    }
}

/// A shared resource's category.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    String,
    File,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::String => "string",
            Category::File => "file",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "string" => Some(Category::String),
            "file" => Some(Category::File),
            _ => None,
        }
    }
}

/// An uploaded file.
pub struct FileUpload {
    pub name: String,
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for FileUpload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileUpload")
            .field("name", &self.name)
            .field("size", &self.bytes.len())
            .finish()
    }
}

/// A registration or modification: fields left `None` keep their value (or take their
/// default on creation).
#[derive(Default)]
pub struct ResourceChange {
    /// An existing id modifies that resource; a new one creates it; none creates one with a
    /// new UUID.
    pub id: Option<String>,
    pub name: Option<String>,
    /// Shared resources only.
    pub category: Option<Category>,
    /// isSecureData (credentials are always secure).
    pub secure: Option<bool>,
    pub large_category: Option<Vec<String>>,
    pub medium_category: Option<String>,
    pub description: Option<String>,
    /// The value of a string resource or credential (may be secret).
    pub text: Option<String>,
    pub file: Option<FileUpload>,
}

// The value may be secret: `{:?}` shows whether one is given, never what.
impl std::fmt::Debug for ResourceChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResourceChange")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("category", &self.category)
            .field("secure", &self.secure)
            .field("text", &self.text.as_ref().map(|_| "<redacted>"))
            .field("file", &self.file)
            .finish_non_exhaustive()
    }
}

/// A resource as shown (never a sealed value in clear).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Resource {
    /// Internal number: the opaque `filePath` of a sealed value.
    pub seq: i64,
    pub id: String,
    pub kind: String,
    /// `string`, `file`, or `""` for a credential.
    pub category: String,
    pub name: String,
    pub description: String,
    /// A JSON array text.
    pub large_category: String,
    pub medium_category: String,
    pub is_secure: bool,
    /// A plain string resource's value (`None` when sealed or a file).
    pub text_value: Option<String>,
    pub file_name: Option<String>,
    pub file_size: i64,
    pub created_by_login: Option<String>,
    pub updated_by_login: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The first 24 bytes of the SHA-256 of the sealed value (single reads only): it
    /// changes whenever the value is sealed anew and tells nothing about it.
    #[sqlx(skip)]
    pub sealed_digest: Option<Vec<u8>>,
}

/// A file resource's content.
pub struct ResourceFile {
    pub name: String,
    pub content: Vec<u8>,
}

/// The columns of a [`Resource`] (never the file's bytes), and where they come from.
const COLUMNS: &str = "r.seq, r.id, r.kind, r.category, r.name, r.description, \
     r.large_category, r.medium_category, r.is_secure, r.text_value, r.file_name, r.file_size, \
     cu.login AS created_by_login, uu.login AS updated_by_login, r.created_at, r.updated_at";
const FROM: &str = "FROM rpa_resources r LEFT JOIN users cu ON cu.id = r.created_by \
     LEFT JOIN users uu ON uu.id = r.updated_by";

#[derive(sqlx::FromRow)]
struct Detail {
    #[sqlx(flatten)]
    resource: Resource,
    sealed_value: Option<Vec<u8>>,
}

impl Store {
    /// Registers (`id` new or absent) or modifies (`id` existing) a resource of `kind` in
    /// the caller's tenant; fields left out of a modification keep their values. Names are
    /// unique per tenant and kind without regard to case.
    pub async fn put_resource(
        &self,
        key: &[u8; 32],
        caller: &Principal,
        kind: ResourceKind,
        change: &ResourceChange,
    ) -> Result<Resource> {
        check_change(kind, change)?;
        let id = change
            .id
            .clone()
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        // Two registrations of one new id at once (PostgreSQL): the one that loses the
        // insert goes round again and modifies what the other created.
        for _ in 0..3 {
            if self.put_once(key, caller, kind, change, &id).await? {
                return self
                    .resource(caller.org.id, kind, &id)
                    .await?
                    .ok_or_else(|| crate::Error::from(Error::not_found(kind.noun(), &id)));
            }
        }
        Err(Error::conflict(format!(
            "{} {id} is being registered concurrently; send the request again.",
            kind.noun()
        ))
        .into())
    }

    /// One attempt of [`Store::put_resource`]; `false` when another request inserted the
    /// same new id first.
    async fn put_once(
        &self,
        key: &[u8; 32],
        caller: &Principal,
        kind: ResourceKind,
        change: &ResourceChange,
        id: &str,
    ) -> Result<bool> {
        let org = caller.org.id.0;
        let user = caller.user.as_ref().map(|u| u.id.0);
        let place = place(kind, org, id);
        let current_sql = format!(
            "SELECT {CURRENT_COLUMNS} FROM rpa_resources WHERE org_id = $1 AND id = $2{}",
            self.row_lock()
        );
        let now = self.clock().now().trunc_subsecs(3);
        let written = write_tx!(self, |tx| {
            let current: Option<Current> = sqlx::query_as(&current_sql)
                .bind(org)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
            if let Some(c) = &current {
                if c.kind != kind.as_str() {
                    return Err(bad(format!(
                        "id {id} names a {}, not a {}.",
                        other_noun(&c.kind),
                        kind.noun().to_lowercase()
                    )));
                }
            }
            let (row, content) = plan(key, &place, kind, change, current.as_ref())?;
            let taken: Option<i64> = sqlx::query_scalar(
                "SELECT seq FROM rpa_resources WHERE org_id = $1 AND kind = $2 \
                 AND lower(name) = lower($3) AND id <> $4",
            )
            .bind(org)
            .bind(kind.as_str())
            .bind(&row.name)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
            if taken.is_some() {
                return Err(Error::DuplicateName.into());
            }
            if current.is_none() {
                let bytes = match content {
                    Content::Set(b) => b,
                    Content::Keep => None,
                };
                let inserted = sqlx::query(
                    "INSERT INTO rpa_resources (org_id, id, kind, category, name, description, \
                     large_category, medium_category, is_secure, text_value, sealed_value, \
                     file_name, file_size, created_by, updated_by, created_at, updated_at, content) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14, $15, $15, $16) \
                     ON CONFLICT (org_id, id) DO NOTHING",
                )
                .bind(org)
                .bind(id)
                .bind(kind.as_str())
                .bind(row.category)
                .bind(&row.name)
                .bind(&row.description)
                .bind(&row.large_category)
                .bind(&row.medium_category)
                .bind(row.is_secure)
                .bind(&row.text_value)
                .bind(&row.sealed_value)
                .bind(&row.file_name)
                .bind(row.file_size)
                .bind(user)
                .bind(now)
                .bind(bytes)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if inserted == 0 {
                    return Ok(false);
                }
            } else {
                let set_content = match content {
                    Content::Keep => None,
                    Content::Set(b) => Some(b),
                };
                let sql = format!(
                    "UPDATE rpa_resources SET category = $3, name = $4, description = $5, \
                     large_category = $6, medium_category = $7, is_secure = $8, text_value = $9, \
                     sealed_value = $10, file_name = $11, file_size = $12, updated_by = $13, \
                     updated_at = $14{} WHERE org_id = $1 AND id = $2",
                    if set_content.is_some() {
                        ", content = $15"
                    } else {
                        ""
                    }
                );
                let mut q = sqlx::query(&sql)
                    .bind(org)
                    .bind(id)
                    .bind(row.category)
                    .bind(&row.name)
                    .bind(&row.description)
                    .bind(&row.large_category)
                    .bind(&row.medium_category)
                    .bind(row.is_secure)
                    .bind(&row.text_value)
                    .bind(&row.sealed_value)
                    .bind(&row.file_name)
                    .bind(row.file_size)
                    .bind(user)
                    .bind(now);
                if let Some(b) = set_content {
                    q = q.bind(b);
                }
                q.execute(&mut *tx).await?;
            }
            true
        });
        Ok(written)
    }

    /// One resource of `kind` in `org`, with the digest of its sealed value.
    pub async fn resource(
        &self,
        org: OrgId,
        kind: ResourceKind,
        id: &str,
    ) -> Result<Option<Resource>> {
        let sql = format!(
            "SELECT {COLUMNS}, r.sealed_value {FROM} \
             WHERE r.org_id = $1 AND r.kind = $2 AND r.id = $3"
        );
        let row: Option<Detail> = read!(self, |db| {
            sqlx::query_as(&sql)
                .bind(org.0)
                .bind(kind.as_str())
                .bind(id)
                .fetch_optional(db)
                .await?
        });
        Ok(row.map(|d| {
            let mut r = d.resource;
            r.sealed_digest = d.sealed_value.map(|s| Sha256::digest(&s)[..24].to_vec());
            r
        }))
    }

    /// The content of file resource `id` of `org`; `None` when there is no such file
    /// resource.
    pub async fn resource_file(&self, org: OrgId, id: &str) -> Result<Option<ResourceFile>> {
        let row: Option<(Option<String>, Option<Vec<u8>>)> = read!(self, |db| {
            sqlx::query_as(
                "SELECT file_name, content FROM rpa_resources \
                 WHERE org_id = $1 AND kind = 'asset' AND id = $2 AND category = 'file'",
            )
            .bind(org.0)
            .bind(id)
            .fetch_optional(db)
            .await?
        });
        Ok(row.map(|(name, content)| ResourceFile {
            name: name.unwrap_or_default(),
            content: content.unwrap_or_default(),
        }))
    }

    /// The resources of `kind` in `org` by name (without regard to case), `limit` (at most
    /// [`MAX_LIST`]) from `offset`.
    pub async fn resources(
        &self,
        org: OrgId,
        kind: ResourceKind,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<Resource>> {
        let sql = format!(
            "SELECT {COLUMNS} {FROM} WHERE r.org_id = $1 AND r.kind = $2 \
             ORDER BY lower(r.name) LIMIT $3 OFFSET $4"
        );
        Ok(read!(self, |db| {
            sqlx::query_as(&sql)
                .bind(org.0)
                .bind(kind.as_str())
                .bind(limit.clamp(0, MAX_LIST))
                .bind(offset.max(0))
                .fetch_all(db)
                .await?
        }))
    }

    /// Deletes resource `id` of `kind` in `org`; whether it existed.
    pub async fn delete_resource(&self, org: OrgId, kind: ResourceKind, id: &str) -> Result<bool> {
        let deleted = write_tx!(self, |tx| {
            sqlx::query("DELETE FROM rpa_resources WHERE org_id = $1 AND kind = $2 AND id = $3")
                .bind(org.0)
                .bind(kind.as_str())
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected()
        });
        Ok(deleted > 0)
    }
}

fn other_noun(kind: &str) -> &'static str {
    if kind == "credential" {
        "credential"
    } else {
        "shared resource"
    }
}
