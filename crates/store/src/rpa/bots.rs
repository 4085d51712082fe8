//! Bots as the job machinery sees them: an agent's credential (its secret), its heartbeat
//! and environment, and which bots a user may run jobs on (docs/bot-protocol.md).

use super::jobs::BotSelect;
use crate::{secrets, Result, Store};
use chrono::{DateTime, SubsecRound, Utc};
use sluice_domain::identity::User;
use sluice_domain::OrgId;

/// The prefix of every bot secret, so secret scanners recognise a leaked one.
pub const BOT_SECRET_PREFIX: &str = "slu_bot";

/// The longest name, computer name, IP address, OS or agent version an agent may report.
pub(crate) const MAX_ENV_CHARS: usize = 200;

/// A bot that presented its secret.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BotAuth {
    pub id: String,
    pub org_id: i64,
    pub name: String,
    /// An inactive bot is given no jobs.
    pub is_active: bool,
}

impl BotAuth {
    pub fn org(&self) -> OrgId {
        OrgId(self.org_id)
    }
}

/// What an agent reports about its machine.
#[derive(Debug, Clone, Default)]
pub struct BotEnv {
    pub computer_name: String,
    pub ip_addr: String,
    pub os: String,
    pub agent_version: String,
}

impl BotEnv {
    /// The values trimmed and cut to a sane length (they are shown, never trusted).
    pub(crate) fn cleaned(&self) -> BotEnv {
        let cut = |s: &str| s.trim().chars().take(MAX_ENV_CHARS).collect::<String>();
        BotEnv {
            computer_name: cut(&self.computer_name),
            ip_addr: cut(&self.ip_addr),
            os: cut(&self.os),
            agent_version: cut(&self.agent_version),
        }
    }
}

/// The SQL condition "user `$user` may use bot `$bot`" through a user group holding U on a
/// bot group the bot is in (administrators may use every bot of their tenant).
pub(crate) fn usable_through_groups(user: &str, bot: &str) -> String {
    format!(
        "EXISTS (SELECT 1 FROM group_members gm \
         JOIN user_group_bot_groups ug ON ug.group_id = gm.group_id \
         JOIN bot_group_bots bb ON bb.bot_group_id = ug.bot_group_id \
         WHERE gm.user_id = {user} AND bb.bot_id = {bot} AND ug.authorities LIKE '%U%')"
    )
}

/// SQL of two conditions on the bots a job selection names: they exist in organization
/// `org` (always true for "any bot"), and user `user` (an administrator when `admin`) may
/// send jobs to them (for "any bot": to at least one bot of the tenant). `target` is the
/// placeholder of the bot group's id or the bot's id.
pub(crate) fn bot_select_sql(
    select: &BotSelect,
    org: &str,
    user: &str,
    admin: &str,
    target: &str,
) -> (String, String) {
    match select {
        BotSelect::All => (
            "TRUE".into(),
            format!(
                "EXISTS (SELECT 1 FROM bots b WHERE b.org_id = {org} AND ({admin} OR {}))",
                usable_through_groups(user, "b.id")
            ),
        ),
        BotSelect::Group(_) => (
            format!(
                "EXISTS (SELECT 1 FROM groups g WHERE g.org_id = {org} AND g.id = {target} \
                 AND g.kind = 'bot')"
            ),
            format!(
                "({admin} OR EXISTS (SELECT 1 FROM group_members gm \
                 JOIN user_group_bot_groups ug ON ug.group_id = gm.group_id \
                 WHERE gm.user_id = {user} AND ug.bot_group_id = {target} \
                 AND ug.authorities LIKE '%U%'))"
            ),
        ),
        BotSelect::Bot(_) => (
            format!("EXISTS (SELECT 1 FROM bots WHERE org_id = {org} AND id = {target})"),
            format!("({admin} OR {})", usable_through_groups(user, target)),
        ),
    }
}

/// A new bot id in Brity's form, `BOT-` and five letters or digits.
pub(crate) fn new_bot_id() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    let tail: String = (0..5)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect();
    format!("BOT-{tail}")
}

/// Times as stored: to the millisecond (both backends keep that exactly).
pub(crate) fn now_ms() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(3)
}

impl Store {
    /// The bot whose secret this is; `None` if unknown or revoked, its tenant is inactive,
    /// or the license it holds is not valid now (expired: the bot stops getting jobs).
    pub async fn bot_for_secret(&self, secret: &str) -> Result<Option<BotAuth>> {
        if !secret.starts_with(BOT_SECRET_PREFIX) || secret.len() > 200 {
            return Ok(None);
        }
        let hash = secrets::hash_key(secret);
        let now = now_ms();
        Ok(read!(self, |db| {
            sqlx::query_as(
                "SELECT b.id, b.org_id, b.name, b.is_active FROM bots b \
                 JOIN organizations o ON o.id = b.org_id \
                 WHERE b.secret_hash = $1 AND o.is_active AND EXISTS (SELECT 1 FROM rpa_licenses l \
                 WHERE l.bot_id = b.id AND l.starts_at <= $2 \
                 AND (l.expires_at IS NULL OR l.expires_at > $2))",
            )
            .bind(&hash)
            .bind(now)
            .fetch_optional(db)
            .await?
        }))
    }

    /// Records that `bot` was heard from (at most a few writes per heartbeat interval).
    pub async fn touch_bot(&self, bot: &BotAuth) -> Result<()> {
        let every = self.rpa_settings().poll_interval() / 4;
        if !self.rpa_runtime.heartbeat_due(&bot.id, every) {
            return Ok(());
        }
        let now = now_ms();
        write_tx!(self, |tx| {
            sqlx::query("UPDATE bots SET last_seen_at = $2 WHERE id = $1")
                .bind(&bot.id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }

    /// A (re)started agent reports its machine (values it leaves empty are kept). Whatever
    /// job the bot was running is lost
    /// with the agent that ran it: it fails now (and is retried when it asked for that).
    pub async fn bot_hello(&self, bot: &BotAuth, env: &BotEnv) -> Result<()> {
        let env = env.cleaned();
        let now = now_ms();
        write_tx!(self, |tx| {
            sqlx::query(
                "UPDATE bots SET computer_name = COALESCE(NULLIF($2, ''), computer_name), \
                 ip_addr = COALESCE(NULLIF($3, ''), ip_addr), os = COALESCE(NULLIF($4, ''), os), \
                 agent_version = COALESCE(NULLIF($5, ''), agent_version), \
                 env_updated_at = $6, last_seen_at = $6 WHERE id = $1",
            )
            .bind(&bot.id)
            .bind(&env.computer_name)
            .bind(&env.ip_addr)
            .bind(&env.os)
            .bind(&env.agent_version)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        });
        self.rpa_runtime.heartbeat_written(&bot.id);
        self.fail_orphaned_job(bot, "The bot's agent restarted while the job was running.")
            .await
    }

    /// Whether the bots `select` names exist (`None`: not) and `user` may send jobs to
    /// them.
    pub(crate) async fn may_use_bots(
        &self,
        org: OrgId,
        user: &User,
        select: &BotSelect,
    ) -> Result<Option<bool>> {
        let (known, usable) = bot_select_sql(select, "$1", "$2", "$3", "$4");
        let sql = format!("SELECT {known}, {usable}");
        let (known, usable): (bool, bool) = read!(self, |db| {
            let q = sqlx::query_as(&sql)
                .bind(org.0)
                .bind(user.id.0)
                .bind(user.is_admin);
            match select {
                BotSelect::All => q,
                BotSelect::Group(g) => q.bind(*g),
                BotSelect::Bot(b) => q.bind(b.clone()),
            }
            .fetch_one(db)
            .await?
        });
        Ok(known.then_some(usable))
    }
}
