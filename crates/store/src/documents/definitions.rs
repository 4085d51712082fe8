//! Workflow versions as the engine walks them. A finalized version never changes, so it is
//! cached in memory (safe with several instances: there is nothing to invalidate).

use crate::{Result, Store};
use sluice_domain::engine::Definition;
use sluice_domain::{OrgId, WorkflowId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Most definitions kept; the cache empties when full (finalized versions are few).
const CAPACITY: usize = 1024;

#[derive(Default)]
pub(crate) struct DefinitionCache {
    map: Mutex<HashMap<WorkflowId, Arc<Definition>>>,
    /// One lock per version being loaded: the requests that miss the cache at once (a burst
    /// of creates after a start) wait for one load instead of each running its three
    /// queries, which crowded the connection pool for everyone.
    loading: crate::keyed_locks::KeyedLocks<WorkflowId>,
}

impl DefinitionCache {
    fn get(&self, id: WorkflowId) -> Option<Arc<Definition>> {
        self.map.lock().ok()?.get(&id).cloned()
    }

    fn put(&self, def: Arc<Definition>) {
        if let Ok(mut map) = self.map.lock() {
            if map.len() >= CAPACITY {
                map.clear();
            }
            map.insert(def.workflow.id, def);
        }
    }
}

impl Store {
    /// The nodes and fields of a workflow version. The `workflow` inside is as it was when
    /// first loaded: read the row itself for its name and active flag.
    pub async fn definition(&self, org: OrgId, id: WorkflowId) -> Result<Arc<Definition>> {
        if let Some(def) = self.cached_definition(org, id) {
            return Ok(def);
        }
        let _one_load = self.definitions.loading.lock(id).await;
        if let Some(def) = self.cached_definition(org, id) {
            return Ok(def);
        }
        self.load_definition(org, id).await
    }

    async fn load_definition(&self, org: OrgId, id: WorkflowId) -> Result<Arc<Definition>> {
        let (workflow, fields, nodes) = tokio::try_join!(
            self.workflow(org, id),
            self.workflow_fields(org, id),
            self.workflow_nodes(org, id)
        )?;
        let def = Arc::new(Definition::new(workflow, fields, nodes));
        if def.workflow.is_complete {
            self.definitions.put(def.clone());
        }
        Ok(def)
    }

    /// The cached version if it is of `org`.
    fn cached_definition(&self, org: OrgId, id: WorkflowId) -> Option<Arc<Definition>> {
        self.definitions
            .get(id)
            .filter(|d| d.workflow.org_id == org)
    }

    /// [`Store::definition`] for a request that holds PostgreSQL connection `held`. Loading
    /// a definition takes connections of its own, so on a cache miss `held` goes back to the
    /// pool meanwhile: requests each holding one connection while waiting for more could
    /// starve the pool.
    pub(super) async fn definition_holding(
        &self,
        org: OrgId,
        id: WorkflowId,
        held: &mut Option<sqlx::pool::PoolConnection<sqlx::Postgres>>,
    ) -> Result<Arc<Definition>> {
        if let Some(def) = self.cached_definition(org, id) {
            return Ok(def);
        }
        let Some(conn) = held.take() else {
            return self.definition(org, id).await;
        };
        drop(conn);
        let def = self.definition(org, id).await?;
        if let crate::db::Backend::Postgres(pool) = &self.backend {
            *held = Some(pool.acquire().await?);
        }
        Ok(def)
    }
}
