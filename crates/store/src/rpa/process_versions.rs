//! One version of a process: what the job machinery runs (`runnable_process`), and its
//! execution options (Brity `PUT objects/process/targetBot`).

use super::bots::bot_select_sql;
use super::jobs::BotSelect;
use super::object_access::readable_sql;
use super::projects::user_id;
use crate::oauth::Principal;
use crate::{Result, Store};
use serde_json::{Map, Value};
use sluice_domain::identity::User;
use sluice_domain::{Error, OrgId};

/// Everything needed to queue and run one version of a process.
#[derive(Debug, Clone)]
pub struct RunnableProcess {
    pub process_id: String,
    /// The version resolved (see [`Store::runnable_process`]).
    pub version: String,
    pub name: String,
    pub project_id: String,
    pub project_name: String,
    /// 1 normal, 2 stopped (a stopped project's processes do not run).
    pub project_status: i64,
    /// Whether this version is activated (approved to run).
    pub is_activated: bool,
    /// {"command", "commandWindows", "commandMacos"} (docs/package-format.md).
    pub entry: Value,
    /// JSON arrays: [{"name","type","default"?,"hidden"?}], and credential names.
    pub inputs: Value,
    pub outputs: Value,
    pub credentials: Value,
    /// 0: no limit.
    pub timeout_secs: i64,
    pub work_type: String,
    pub package_id: i64,
    pub package_sha256: String,
    /// Default bot selection: 1 all, 2 bot group (`bot_target` is its id), 3 bot.
    pub bot_select_type: i64,
    pub bot_target: Option<String>,
    /// {"input": {"expression": "..."}}.
    pub input_expressions: Value,
}

#[derive(sqlx::FromRow)]
struct Row {
    process_id: String,
    version: String,
    name: String,
    project_id: String,
    project_name: String,
    project_status: i64,
    is_activated: bool,
    activated_version: Option<String>,
    latest_version: String,
    entry: String,
    inputs: String,
    outputs: String,
    credentials: String,
    timeout_secs: i64,
    work_type: String,
    package_id: i64,
    package_sha256: String,
    bot_select_type: i64,
    bot_target: Option<String>,
    input_expressions: String,
    #[sqlx(flatten)]
    checks: JobChecks,
}

/// What a job request checks besides the version, read with it (see `Store::job_basis`).
#[derive(Debug, Clone, Copy, Default, sqlx::FromRow)]
pub(crate) struct JobChecks {
    /// The user holds E over the project.
    pub may_execute: bool,
    /// The bots the request names exist.
    pub bots_known: bool,
    /// The user may send jobs to them.
    pub bots_usable: bool,
}

/// Execution options of one process version (targetBot).
#[derive(Debug, Clone)]
pub struct TargetBot {
    /// `None`: the process's latest version.
    pub version: Option<String>,
    /// 1 all, 2 bot group, 3 bot.
    pub select_type: i64,
    /// The bot group's id (2) or the bot's id (3).
    pub target: Option<String>,
    /// {"input": {"expression": "..."}}; `None` leaves them as they are.
    pub inputs: Option<Map<String, Value>>,
}

fn json(text: &str, empty: Value) -> Value {
    serde_json::from_str(text).unwrap_or(empty)
}

impl Store {
    /// The version of process `process_id` a job runs: `version` if given, else the
    /// project's latest activated version when the process is in it, else the process's
    /// latest version (then `is_activated` is false: it may not run).
    pub async fn runnable_process(
        &self,
        org: OrgId,
        process_id: &str,
        version: Option<&str>,
    ) -> Result<RunnableProcess> {
        Ok(self.load_runnable(org, process_id, version, None).await?.0)
    }

    /// The version a job of `process_id` runs (as [`Store::runnable_process`] without a
    /// version) with the checks of `user`'s request to send it to `select` (`None`: the
    /// version's default, not checked here), in one query; `None` without such a process.
    pub(crate) async fn runnable_checked(
        &self,
        org: OrgId,
        process_id: &str,
        user: &User,
        select: Option<&BotSelect>,
    ) -> Result<Option<(RunnableProcess, JobChecks)>> {
        match self
            .load_runnable(org, process_id, None, Some((user, select)))
            .await
        {
            Ok(found) => Ok(Some(found)),
            Err(crate::Error::Domain(Error::NotFound(_))) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn load_runnable(
        &self,
        org: OrgId,
        process_id: &str,
        version: Option<&str>,
        checks: Option<(&User, Option<&BotSelect>)>,
    ) -> Result<(RunnableProcess, JobChecks)> {
        // Parameters: $1 org, $2 process, $3 version, then for the checks $4 user, $5
        // administrator, $6 the bot group's or bot's id.
        let checks_sql = match checks {
            None => "FALSE AS may_execute, FALSE AS bots_known, FALSE AS bots_usable".into(),
            Some((_, select)) => {
                let (known, usable) = match select {
                    Some(s) => bot_select_sql(s, "$1", "$4", "$5", "$6"),
                    None => ("TRUE".into(), "TRUE".into()),
                };
                format!(
                    "{} AS may_execute, {known} AS bots_known, {usable} AS bots_usable",
                    readable_sql(4, 5, 'E')
                )
            }
        };
        let sql = format!(
            "SELECT p.id AS process_id, v.version, p.name, o.id AS project_id, \
             o.name AS project_name, o.status AS project_status, pv.is_activated, \
             o.activated_version, p.latest_version, v.entry, v.inputs, v.outputs, \
             v.credentials, v.timeout_secs, v.work_type, v.package_id, \
             pk.sha256 AS package_sha256, v.bot_select_type, v.bot_target, v.input_expressions, \
             {checks_sql} \
             FROM rpa_processes p JOIN rpa_projects o ON o.id = p.project_id \
             JOIN rpa_process_versions v ON v.process_id = p.id \
             JOIN rpa_project_versions pv ON pv.project_id = o.id AND pv.version = v.version \
             JOIN rpa_packages pk ON pk.id = v.package_id \
             WHERE p.org_id = $1 AND p.id = $2 AND (v.version = $3 OR ($3 IS NULL AND \
             (v.version = p.latest_version OR v.version = o.activated_version)))"
        );
        let rows: Vec<Row> = read!(self, |db| {
            let q = sqlx::query_as(&sql)
                .bind(org.0)
                .bind(process_id)
                .bind(version);
            match checks {
                None => q,
                Some((user, select)) => {
                    let q = q.bind(user.id.0).bind(user.is_admin);
                    match select {
                        Some(BotSelect::Group(g)) => q.bind(*g),
                        Some(BotSelect::Bot(b)) => q.bind(b.clone()),
                        Some(BotSelect::All) | None => q,
                    }
                }
            }
            .fetch_all(db)
            .await?
        });
        let pick = rows
            .iter()
            .position(|r| version.is_some() || r.activated_version.as_deref() == Some(&r.version))
            .or_else(|| rows.iter().position(|r| r.version == r.latest_version));
        // Without a version, a project that has an activated version runs only the
        // processes in it: one dropped from it (still at an older, once activated version)
        // is not runnable.
        let dropped = version.is_none()
            && pick.is_some_and(|i| {
                let r = &rows[i];
                r.activated_version
                    .as_deref()
                    .is_some_and(|a| a != r.version)
            });
        let Some(r) = pick.map(|i| rows.into_iter().nth(i).expect("index")) else {
            return Err(Error::not_found(
                "Process",
                match version {
                    Some(v) => format!("{process_id} version {v}"),
                    None => process_id.to_string(),
                },
            )
            .into());
        };
        let checks = r.checks;
        let runnable = RunnableProcess {
            process_id: r.process_id,
            version: r.version,
            name: r.name,
            project_id: r.project_id,
            project_name: r.project_name,
            project_status: r.project_status,
            is_activated: r.is_activated && !dropped,
            entry: json(&r.entry, Value::Object(Map::new())),
            inputs: json(&r.inputs, Value::Array(Vec::new())),
            outputs: json(&r.outputs, Value::Array(Vec::new())),
            credentials: json(&r.credentials, Value::Array(Vec::new())),
            timeout_secs: r.timeout_secs,
            work_type: r.work_type,
            package_id: r.package_id,
            package_sha256: r.package_sha256,
            bot_select_type: r.bot_select_type,
            bot_target: r.bot_target,
            input_expressions: json(&r.input_expressions, Value::Object(Map::new())),
        };
        Ok((runnable, checks))
    }

    /// Sets a process version's default bot selection and input expressions (U authority
    /// over its project). The bot or bot group must be the tenant's; every input named
    /// must be declared by that version.
    pub async fn set_target_bot(
        &self,
        caller: &Principal,
        process_id: &str,
        options: &TargetBot,
    ) -> Result<()> {
        let org = caller.org.id;
        let project = self
            .process_authorities_for(caller, process_id)
            .await?
            .ok_or_else(|| Error::not_found("Process", process_id))?;
        if !project.1.has('U') {
            return Err(Error::Forbidden(format!(
                "Process {process_id}: the U authority is needed."
            ))
            .into());
        }
        let current = self
            .runnable_process(org, process_id, options.version.as_deref())
            .await?;
        if let Some(inputs) = &options.inputs {
            let declared: Vec<&str> = current
                .inputs
                .as_array()
                .map(|a| a.iter().filter_map(|i| i["name"].as_str()).collect())
                .unwrap_or_default();
            for (name, value) in inputs {
                if !declared.contains(&name.as_str()) {
                    return Err(Error::invalid(format!(
                        "inputs: {name:?} is not an input of version {} of the process.",
                        current.version
                    ))
                    .into());
                }
                if !value["expression"].is_string() {
                    return Err(Error::invalid(format!(
                        "inputs.{name}: expected {{\"expression\": \"...\"}}."
                    ))
                    .into());
                }
            }
        }
        let target = options.target.as_deref().map(str::trim).unwrap_or("");
        let known: Option<i32> = match options.select_type {
            1 => Some(1),
            2 => {
                let id: i64 = target.parse().map_err(|_| {
                    Error::invalid("botId must be the id of a bot group for selectBotType 2.")
                })?;
                read!(self, |db| {
                    sqlx::query_scalar(
                        "SELECT 1 FROM groups WHERE org_id = $1 AND id = $2 AND kind = 'bot'",
                    )
                    .bind(org.0)
                    .bind(id)
                    .fetch_optional(db)
                    .await?
                })
            }
            3 => read!(self, |db| {
                sqlx::query_scalar("SELECT 1 FROM bots WHERE org_id = $1 AND id = $2")
                    .bind(org.0)
                    .bind(target)
                    .fetch_optional(db)
                    .await?
            }),
            other => {
                return Err(Error::invalid(format!(
                    "selectBotType {other} is not 1 (all), 2 (bot group) or 3 (bot)."
                ))
                .into())
            }
        };
        if known.is_none() {
            let what = if options.select_type == 2 {
                "Bot group"
            } else {
                "Bot"
            };
            return Err(Error::not_found(what, target).into());
        }
        let stored_target = (options.select_type != 1).then(|| target.to_string());
        let expressions = options
            .inputs
            .as_ref()
            .map(|m| Value::Object(m.clone()).to_string());
        let now = chrono::Utc::now();
        write_tx!(self, |tx| {
            sqlx::query(
                "UPDATE rpa_process_versions SET bot_select_type = $3, bot_target = $4, \
                 input_expressions = COALESCE($5, input_expressions) \
                 WHERE process_id = $1 AND version = $2",
            )
            .bind(process_id)
            .bind(&current.version)
            .bind(options.select_type)
            .bind(&stored_target)
            .bind(&expressions)
            .execute(&mut *tx)
            .await?;
            sqlx::query("UPDATE rpa_processes SET updated_at = $2, updated_by = $3 WHERE id = $1")
                .bind(process_id)
                .bind(now)
                .bind(user_id(caller))
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }

    /// The project holding a process and the caller's authorities over it.
    async fn process_authorities_for(
        &self,
        caller: &Principal,
        process_id: &str,
    ) -> Result<Option<(String, super::object_access::Authorities)>> {
        if let Some(user) = &caller.user {
            return self
                .process_authorities(caller.org.id, user, process_id)
                .await;
        }
        let project: Option<String> = read!(self, |db| {
            sqlx::query_scalar("SELECT project_id FROM rpa_processes WHERE org_id = $1 AND id = $2")
                .bind(caller.org.id.0)
                .bind(process_id)
                .fetch_optional(db)
                .await?
        });
        Ok(project.map(|p| (p, super::object_access::Authorities::all())))
    }
}
