//! The process version a job runs, as the job machinery needs it: how to start it, its
//! declared inputs (with `hidden` ones), the version's default bot selection and input
//! expressions, and whether it may run (project not stopped, version activated).

use super::dispatch::RunSpec;
use super::jobs::BotSelect;
use super::process_versions::{JobChecks, RunnableProcess};
use crate::{Result, Store};
use serde::Deserialize;
use serde_json::{Map, Value};
use sluice_domain::identity::User;
use sluice_domain::OrgId;

/// A declared input variable.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub(crate) struct Input {
    pub name: String,
    #[serde(default)]
    pub default: Option<Value>,
    #[serde(default)]
    pub hidden: bool,
}

/// The latest version of a process, ready to queue.
#[derive(Debug, Clone)]
pub(crate) struct Runnable {
    pub process_id: String,
    pub version: String,
    pub name: String,
    pub project_id: String,
    pub project_name: String,
    pub project_stopped: bool,
    pub is_activated: bool,
    pub run: RunSpec,
    pub inputs: Vec<Input>,
    pub input_expressions: Map<String, Value>,
    pub default_select: BotSelect,
}

/// The start commands of a version (`rpa_process_versions.entry`, docs/package-format.md).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Entry {
    #[serde(default)]
    command: Vec<String>,
    command_windows: Option<Vec<String>>,
    command_macos: Option<Vec<String>>,
}

/// A version's default bot selection (targetBot): 1 all, 2 bot group, 3 bot.
pub(crate) fn default_select(select_type: i64, target: Option<&str>) -> BotSelect {
    match (select_type, target.map(str::trim)) {
        (2, Some(t)) => t.parse().map(BotSelect::Group).unwrap_or(BotSelect::All),
        (3, Some(t)) if !t.is_empty() => BotSelect::Bot(t.to_string()),
        _ => BotSelect::All,
    }
}

impl From<RunnableProcess> for Runnable {
    fn from(p: RunnableProcess) -> Self {
        let entry: Entry = serde_json::from_value(p.entry).unwrap_or_default();
        Runnable {
            process_id: p.process_id,
            version: p.version,
            name: p.name,
            project_id: p.project_id,
            project_name: p.project_name,
            project_stopped: p.project_status == 2,
            is_activated: p.is_activated,
            run: RunSpec {
                command: entry.command,
                command_windows: entry.command_windows,
                command_macos: entry.command_macos,
                timeout_secs: p.timeout_secs,
                work_type: p.work_type,
                package_sha256: p.package_sha256,
            },
            inputs: serde_json::from_value(p.inputs).unwrap_or_default(),
            input_expressions: match p.input_expressions {
                Value::Object(m) => m,
                _ => Map::new(),
            },
            default_select: default_select(p.bot_select_type, p.bot_target.as_deref()),
        }
    }
}

impl Store {
    /// The version of process `process_id` a job runs (the activated one, else the latest:
    /// `runnable_process`), if the organization has the process.
    pub(crate) async fn runnable(&self, org: OrgId, process_id: &str) -> Result<Option<Runnable>> {
        match self.runnable_process(org, process_id, None).await {
            Ok(p) => Ok(Some(p.into())),
            Err(crate::Error::Domain(sluice_domain::Error::NotFound(_))) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// [`Store::runnable`] with the checks of `user`'s job request for `select` (see
    /// `runnable_checked`), in one query.
    pub(crate) async fn runnable_for_job(
        &self,
        org: OrgId,
        process_id: &str,
        user: &User,
        select: Option<&BotSelect>,
    ) -> Result<Option<(Runnable, JobChecks)>> {
        Ok(self
            .runnable_checked(org, process_id, user, select)
            .await?
            .map(|(p, checks)| (p.into(), checks)))
    }
}
