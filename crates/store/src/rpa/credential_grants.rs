//! Credentials handed to a bot inside its claim: exactly the names the claimed process
//! version declares (manifest `credentials`), resolved in the job's tenant — a credential of
//! that name first, else a string resource (plain or secure) — and opened only here, in
//! memory, on their way to the bot. A declared name the tenant does not have is left out:
//! the process sees it missing. Only versions a tenant administrator activated get any
//! (migration 0014): the Common Resource API is for administrators, and a project's owner
//! could otherwise read every credential by declaring it (docs/dialects/brity.md).

use super::packages::name_key;
use super::resource_plan::place;
use super::resources::ResourceKind;
use crate::{sealed, Result, Store};
use serde_json::{Map, Value};
use sluice_domain::OrgId;
use std::collections::HashMap;

/// Declared names looked up per query.
const CHUNK: usize = 500;

/// Declared name → fields, for one claim. Its `{:?}` shows the names only.
#[derive(Default)]
pub struct GrantedCredentials(pub Map<String, Value>);

impl std::fmt::Debug for GrantedCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("GrantedCredentials")
            .field(&self.0.keys().collect::<Vec<_>>())
            .finish()
    }
}

#[derive(sqlx::FromRow)]
struct Candidate {
    kind: String,
    id: String,
    name: String,
    text_value: Option<String>,
    sealed_value: Option<Vec<u8>>,
}

/// What a process receives for a value: a credential that is a JSON object gives its
/// fields; any other value gives `{"value": <text>}`.
fn fields(kind: &str, text: String) -> Value {
    if kind == ResourceKind::Credential.as_str() {
        if let Ok(Value::Object(map)) = serde_json::from_str::<Value>(&text) {
            return Value::Object(map);
        }
    }
    let mut map = Map::new();
    map.insert("value".into(), Value::String(text));
    Value::Object(map)
}

/// The credential names a process version declares (a JSON array) and whether a tenant
/// administrator activated it, as a claim reads them (see `dispatch`).
#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct DeclaredCredentials {
    pub credentials: String,
    pub admin_approved: bool,
}

impl Store {
    /// The credentials `declared` by the process version `process_id`/`version` of `org`,
    /// with their values in clear (under `key`), for the claim of a job that runs it.
    pub async fn claim_credentials(
        &self,
        key: &[u8; 32],
        org: OrgId,
        process_id: &str,
        version: &str,
        declared: &DeclaredCredentials,
    ) -> Result<GrantedCredentials> {
        let approved = declared.admin_approved;
        let declared: Vec<String> = serde_json::from_str(&declared.credentials).unwrap_or_default();
        let mut granted = GrantedCredentials::default();
        if declared.is_empty() {
            return Ok(granted);
        }
        if !approved {
            tracing::warn!(
                org = org.0,
                process = process_id,
                version,
                "the process declares credentials but its version was not activated by a \
                 tenant administrator; none are handed out"
            );
            return Ok(granted);
        }
        let mut found: HashMap<String, Candidate> = HashMap::new();
        for chunk in declared.chunks(CHUNK) {
            let marks: Vec<String> = (0..chunk.len())
                .map(|i| format!("lower(${})", i + 2))
                .collect();
            let sql = format!(
                "SELECT kind, id, name, text_value, sealed_value FROM rpa_resources \
                 WHERE org_id = $1 AND kind IN ('credential', 'asset') \
                 AND category IN ('', 'string') AND lower(name) IN ({})",
                marks.join(", ")
            );
            let rows: Vec<Candidate> = read!(self, |db| {
                let mut q = sqlx::query_as(&sql).bind(org.0);
                for name in chunk {
                    q = q.bind(name);
                }
                q.fetch_all(db).await?
            });
            for row in rows {
                let k = name_key(self, &row.name);
                // A credential wins over a string resource of the same name.
                let keep = found
                    .get(&k)
                    .is_none_or(|c| c.kind != ResourceKind::Credential.as_str());
                if keep {
                    found.insert(k, row);
                }
            }
        }
        for name in declared {
            let Some(c) = found.get(&name_key(self, &name)) else {
                continue;
            };
            let text = match (&c.sealed_value, &c.text_value) {
                (Some(s), _) => {
                    let kind = if c.kind == ResourceKind::Credential.as_str() {
                        ResourceKind::Credential
                    } else {
                        ResourceKind::Asset
                    };
                    match sealed::open(key, &place(kind, org.0, &c.id), s) {
                        Ok(plain) => String::from_utf8_lossy(&plain).into_owned(),
                        Err(e) => {
                            tracing::error!(org = org.0, resource = %c.id, error = %e,
                                "a sealed value could not be opened; left out of the claim");
                            continue;
                        }
                    }
                }
                (None, Some(t)) => t.clone(),
                (None, None) => continue,
            };
            granted.0.insert(name, fields(&c.kind, text));
        }
        Ok(granted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_become_fields() {
        assert_eq!(
            fields("credential", r#"{"userId": "u", "password": "p"}"#.into()),
            json!({"userId": "u", "password": "p"})
        );
        assert_eq!(
            fields("credential", "p@ss".into()),
            json!({"value": "p@ss"})
        );
        assert_eq!(
            fields("asset", r#"{"a": 1}"#.into()),
            json!({"value": "{\"a\": 1}"})
        );
        let g = GrantedCredentials(
            json!({"erp": {"password": "p"}})
                .as_object()
                .unwrap()
                .clone(),
        );
        assert_eq!(format!("{g:?}"), r#"GrantedCredentials(["erp"])"#);
    }
}
