//! Licenses: an administrator issues bot and designer licenses to the organization (keys
//! shown once, stored as SHA-256); an agent activates a bot license, which binds it to a bot
//! and issues the bot's secret. Brity's license API (activatedCount, list, initialize) reads
//! and resets the same rows. See docs/bot-protocol.md.

use super::bots::{new_bot_id, now_ms, BotEnv, BOT_SECRET_PREFIX};
use crate::{secrets, Result, Store};
use chrono::{DateTime, Duration, Utc};
use sluice_domain::{validate, Error, OrgId, UserId};

/// The prefix of every license key, so secret scanners recognise a leaked one.
pub const LICENSE_PREFIX: &str = "slu_lic";

/// Most licenses issued by one request.
pub const MAX_ISSUE: i64 = 100;

/// What a license lets its holder run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LicenseKind {
    /// A bot (Brity licenseType 1).
    Bot,
    /// A designer (Brity licenseType 2).
    Designer,
}

impl LicenseKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LicenseKind::Bot => "bot",
            LicenseKind::Designer => "designer",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "bot" => Some(LicenseKind::Bot),
            "designer" => Some(LicenseKind::Designer),
            _ => None,
        }
    }

    /// Brity's licenseType.
    pub fn brity_type(self) -> i64 {
        match self {
            LicenseKind::Bot => 1,
            LicenseKind::Designer => 2,
        }
    }
}

/// A license as listed (never its key).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct License {
    /// Public name (`XXXX-XXXX-XXXX`), Brity's licenseKey.
    pub id: String,
    pub kind: String,
    pub description: String,
    pub starts_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    /// The bot it is bound to (Brity clientId).
    pub bot_id: Option<String>,
    pub activated_at: Option<DateTime<Utc>>,
    pub token_issued_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// The bound bot's agent version.
    pub agent_version: Option<String>,
}

/// A newly issued license and, once, its key.
#[derive(Clone)]
pub struct IssuedLicense {
    pub license: License,
    pub key: String,
}

// Secrets never reach a log through `{:?}`.
impl std::fmt::Debug for IssuedLicense {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedLicense")
            .field("license", &self.license)
            .field("key", &"<redacted>")
            .finish()
    }
}

/// What an agent gets for activating a license.
#[derive(Clone)]
pub struct Activation {
    pub bot_id: String,
    pub bot_secret: String,
}

impl std::fmt::Debug for Activation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Activation")
            .field("bot_id", &self.bot_id)
            .field("bot_secret", &"<redacted>")
            .finish()
    }
}

/// Licenses counted for Brity's activatedCount.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LicenseCounts {
    pub designer_total: i64,
    pub designer_activated: i64,
    pub bot_total: i64,
    pub bot_activated: i64,
}

/// Filters of Brity's license list (all optional, AND-ed).
#[derive(Debug, Clone, Default)]
pub struct LicenseFilter {
    /// Part of the license key.
    pub key: Option<String>,
    /// Part of the bound bot's id.
    pub client_id: Option<String>,
    /// Part of the description.
    pub description: Option<String>,
    /// Bound to a bot (`true`) or not.
    pub activated: Option<bool>,
    /// `None` with `kind_unknown`: a license type Sluice does not issue (no rows).
    pub kind: Option<LicenseKind>,
    pub kind_unknown: bool,
    pub expires_from: Option<DateTime<Utc>>,
    pub expires_to: Option<DateTime<Utc>>,
}

/// Outcome of Brity's license initialize.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Initialized {
    Done,
    NotFound,
    NotActivated,
}

/// A license being activated.
#[derive(sqlx::FromRow)]
struct Activating {
    id: String,
    org_id: i64,
    kind: String,
    starts_at: DateTime<Utc>,
    expires_at: Option<DateTime<Utc>>,
    bot_id: Option<String>,
}

const LICENSE_SELECT: &str = "SELECT l.id, l.kind, l.description, l.starts_at, l.expires_at, \
     l.bot_id, l.activated_at, l.token_issued_at, l.created_at, b.agent_version \
     FROM rpa_licenses l LEFT JOIN bots b ON b.id = l.bot_id";

/// A public license name in Brity's form: three groups of four letters and digits.
fn new_license_id() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    let group = |rng: &mut rand::rngs::ThreadRng| -> String {
        (0..4)
            .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
            .collect()
    };
    format!(
        "{}-{}-{}",
        group(&mut rng),
        group(&mut rng),
        group(&mut rng)
    )
}

/// `text` as a case-insensitive "contains" `LIKE` pattern (`%`, `_` and `\` escaped).
pub(crate) fn contains_pattern(text: &str) -> String {
    let mut p = String::from("%");
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

impl Store {
    /// Issues `count` licenses of `kind` to the organization, valid from now for
    /// `valid_days` (forever when `None`).
    pub async fn issue_licenses(
        &self,
        org: OrgId,
        by: Option<UserId>,
        kind: LicenseKind,
        count: i64,
        valid_days: Option<i64>,
        description: &str,
    ) -> Result<Vec<IssuedLicense>> {
        if !(1..=MAX_ISSUE).contains(&count) {
            return Err(Error::invalid(format!("count must be 1 to {MAX_ISSUE}.")).into());
        }
        if let Some(days) = valid_days {
            if !(1..=36_500).contains(&days) {
                return Err(Error::invalid("valid_days must be 1 to 36500.").into());
            }
        }
        let description = description.trim();
        if description.chars().count() > 500 || description.chars().any(char::is_control) {
            return Err(Error::invalid(
                "description must be at most 500 characters, without control characters.",
            )
            .into());
        }
        let now = now_ms();
        let expires_at = valid_days.map(|d| now + Duration::days(d));
        let issued: Vec<IssuedLicense> = (0..count)
            .map(|_| {
                let key = secrets::generate_token(LICENSE_PREFIX);
                IssuedLicense {
                    license: License {
                        id: new_license_id(),
                        kind: kind.as_str().to_string(),
                        description: description.to_string(),
                        starts_at: now,
                        expires_at,
                        bot_id: None,
                        activated_at: None,
                        token_issued_at: None,
                        created_at: now,
                        agent_version: None,
                    },
                    key,
                }
            })
            .collect();
        write_tx!(self, |tx| {
            for i in &issued {
                sqlx::query(
                    "INSERT INTO rpa_licenses (id, org_id, kind, key_hash, description, starts_at, \
                     expires_at, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $6)",
                )
                .bind(&i.license.id)
                .bind(org.0)
                .bind(kind.as_str())
                .bind(secrets::hash_key(&i.key))
                .bind(description)
                .bind(now)
                .bind(expires_at)
                .bind(by.map(|u| u.0))
                .execute(&mut *tx)
                .await?;
            }
        });
        Ok(issued)
    }

    /// The organization's licenses, newest first.
    pub async fn licenses(&self, org: OrgId) -> Result<Vec<License>> {
        let sql = format!("{LICENSE_SELECT} WHERE l.org_id = $1 ORDER BY l.created_at DESC, l.id");
        Ok(read!(self, |db| {
            sqlx::query_as(&sql).bind(org.0).fetch_all(db).await?
        }))
    }

    /// Binds a bot license to a bot and issues the bot's secret: a new bot, or the tenant's
    /// bot of that name (a re-installed agent), whose old secret stops working. Unknown key:
    /// unauthenticated; a license bound to another bot, or a bot holding another license: a
    /// conflict; an expired license: forbidden.
    pub async fn activate_bot(
        &self,
        license_key: &str,
        name: &str,
        env: &BotEnv,
    ) -> Result<Activation> {
        let name = validate::name("name", name)?;
        if name.chars().count() > 100 {
            return Err(Error::invalid("name is longer than 100 characters.").into());
        }
        let env = env.cleaned();
        let unknown = || Error::Unauthenticated("The license key is unknown.".into());
        if !license_key.starts_with(LICENSE_PREFIX) {
            return Err(unknown().into());
        }
        let key_hash = secrets::hash_key(license_key);
        let secret = secrets::generate_token(BOT_SECRET_PREFIX);
        let secret_hash = secrets::hash_key(&secret);
        let now = now_ms();
        let lock = self.row_lock();
        let bot_id: String = write_tx!(self, |tx| {
            let license: Option<Activating> = sqlx::query_as(&format!(
                "SELECT id, org_id, kind, starts_at, expires_at, bot_id FROM rpa_licenses \
                 WHERE key_hash = $1{lock}"
            ))
            .bind(&key_hash)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(Activating {
                id: license_id,
                org_id,
                kind,
                starts_at,
                expires_at,
                bot_id: bound,
            }) = license
            else {
                return Err(unknown().into());
            };
            let org_active: Option<bool> =
                sqlx::query_scalar("SELECT is_active FROM organizations WHERE id = $1")
                    .bind(org_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            if org_active != Some(true) {
                return Err(unknown().into());
            }
            if kind != LicenseKind::Bot.as_str() {
                return Err(Error::conflict("This is not a bot license.").into());
            }
            if starts_at > now || expires_at.is_some_and(|e| e <= now) {
                return Err(Error::Forbidden("The license is not valid now.".into()).into());
            }
            let named: Option<String> = sqlx::query_scalar(&format!(
                "SELECT id FROM bots WHERE org_id = $1 AND name = $2{lock}"
            ))
            .bind(org_id)
            .bind(&name)
            .fetch_optional(&mut *tx)
            .await?;
            let bot_id = match (bound, named) {
                (Some(bound), Some(named)) if bound == named => bound,
                (Some(_), _) => {
                    return Err(Error::conflict(
                        "The license is already in use by another bot; initialize it first.",
                    )
                    .into())
                }
                (None, Some(named)) => {
                    let other: Option<String> =
                        sqlx::query_scalar("SELECT id FROM rpa_licenses WHERE bot_id = $1")
                            .bind(&named)
                            .fetch_optional(&mut *tx)
                            .await?;
                    if other.is_some() {
                        return Err(Error::conflict(
                            "A bot of this name holds another license; initialize that one first.",
                        )
                        .into());
                    }
                    named
                }
                (None, None) => {
                    let mut id = new_bot_id();
                    // 32^5 ids: a collision is rare; a few tries make it impossible in practice.
                    for _ in 0..20 {
                        let taken: Option<String> =
                            sqlx::query_scalar("SELECT id FROM bots WHERE id = $1")
                                .bind(&id)
                                .fetch_optional(&mut *tx)
                                .await?;
                        if taken.is_none() {
                            break;
                        }
                        id = new_bot_id();
                    }
                    sqlx::query(
                        "INSERT INTO bots (id, org_id, name, secret_hash, registered_at, env_updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $5)",
                    )
                    .bind(&id)
                    .bind(org_id)
                    .bind(&name)
                    .bind(&secret_hash)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                    id
                }
            };
            sqlx::query(
                "UPDATE bots SET secret_hash = $2, computer_name = $3, ip_addr = $4, os = $5, \
                 agent_version = $6, env_updated_at = $7, last_seen_at = $7 WHERE id = $1",
            )
            .bind(&bot_id)
            .bind(&secret_hash)
            .bind(&env.computer_name)
            .bind(&env.ip_addr)
            .bind(&env.os)
            .bind(&env.agent_version)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "UPDATE rpa_licenses SET bot_id = $2, activated_at = COALESCE(activated_at, $3), \
                 token_issued_at = $3 WHERE id = $1",
            )
            .bind(&license_id)
            .bind(&bot_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            bot_id
        });
        self.rpa_runtime.heartbeat_written(&bot_id);
        Ok(Activation {
            bot_id,
            bot_secret: secret,
        })
    }

    /// Brity's activatedCount: the organization's licenses per kind, all or only those
    /// valid now (`usable_only`).
    pub async fn license_counts(&self, org: OrgId, usable_only: bool) -> Result<LicenseCounts> {
        let rows: Vec<(String, i64, i64)> = read!(self, |db| {
            sqlx::query_as(
                "SELECT kind, COUNT(*), COUNT(bot_id) FROM rpa_licenses WHERE org_id = $1 \
                 AND (NOT $2 OR (starts_at <= $3 AND (expires_at IS NULL OR expires_at > $3))) \
                 GROUP BY kind",
            )
            .bind(org.0)
            .bind(usable_only)
            .bind(now_ms())
            .fetch_all(db)
            .await?
        });
        let mut c = LicenseCounts::default();
        for (kind, total, activated) in rows {
            match LicenseKind::parse(&kind) {
                Some(LicenseKind::Bot) => (c.bot_total, c.bot_activated) = (total, activated),
                Some(LicenseKind::Designer) => {
                    (c.designer_total, c.designer_activated) = (total, activated)
                }
                None => {}
            }
        }
        Ok(c)
    }

    /// Brity's license list: one page in the fixed order (type, activated first, client id,
    /// key) and the number of matches.
    pub async fn license_page(
        &self,
        org: OrgId,
        filter: &LicenseFilter,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<License>, i64)> {
        if filter.kind_unknown {
            return Ok((Vec::new(), 0));
        }
        // Arguments: $1 org, then the filters in a fixed order (NULL when absent), so one
        // SQL text serves every combination.
        let sql_where = "WHERE l.org_id = $1 \
             AND ($2 IS NULL OR lower(l.id) LIKE $2 ESCAPE '\\') \
             AND ($3 IS NULL OR lower(COALESCE(l.bot_id, '')) LIKE $3 ESCAPE '\\') \
             AND ($4 IS NULL OR lower(l.description) LIKE $4 ESCAPE '\\') \
             AND ($5 IS NULL OR (l.bot_id IS NOT NULL) = $5) \
             AND ($6 IS NULL OR l.kind = $6) \
             AND ($7 IS NULL OR l.expires_at >= $7) \
             AND ($8 IS NULL OR l.expires_at <= $8)";
        let count_sql = format!("SELECT COUNT(*) FROM rpa_licenses l {sql_where}");
        let page_sql = format!(
            "{LICENSE_SELECT} {sql_where} ORDER BY l.kind, (l.bot_id IS NULL), \
             COALESCE(l.bot_id, ''), l.id LIMIT $9 OFFSET $10"
        );
        let key = filter.key.as_deref().map(contains_pattern);
        let client = filter.client_id.as_deref().map(contains_pattern);
        let description = filter.description.as_deref().map(contains_pattern);
        let kind = filter.kind.map(|k| k.as_str());
        macro_rules! bind_filters {
            ($q:expr) => {
                $q.bind(org.0)
                    .bind(key.clone())
                    .bind(client.clone())
                    .bind(description.clone())
                    .bind(filter.activated)
                    .bind(kind)
                    .bind(filter.expires_from)
                    .bind(filter.expires_to)
            };
        }
        Ok(read!(self, |db| {
            let total: i64 = bind_filters!(sqlx::query_scalar(&count_sql))
                .fetch_one(db)
                .await?;
            let rows: Vec<License> = bind_filters!(sqlx::query_as(&page_sql))
                .bind(limit)
                .bind(offset)
                .fetch_all(db)
                .await?;
            (rows, total)
        }))
    }

    /// Brity's license initialize: unbinds the license from its bot and revokes the bot's
    /// secret (its agent must activate again).
    pub async fn initialize_license(&self, org: OrgId, license: &str) -> Result<Initialized> {
        // The public name, or the key itself.
        let by_hash = secrets::hash_key(license);
        let lock = self.row_lock();
        let revoked = secrets::hash_key(&secrets::generate_token(BOT_SECRET_PREFIX));
        Ok(write_tx!(self, |tx| {
            let row: Option<(String, Option<String>)> = sqlx::query_as(&format!(
                "SELECT id, bot_id FROM rpa_licenses WHERE org_id = $1 AND (id = $2 OR key_hash = $3){lock}"
            ))
            .bind(org.0)
            .bind(license.trim().to_ascii_uppercase())
            .bind(&by_hash)
            .fetch_optional(&mut *tx)
            .await?;
            match row {
                None => Initialized::NotFound,
                Some((_, None)) => Initialized::NotActivated,
                Some((id, Some(bot))) => {
                    sqlx::query(
                        "UPDATE rpa_licenses SET bot_id = NULL, activated_at = NULL WHERE id = $1",
                    )
                    .bind(&id)
                    .execute(&mut *tx)
                    .await?;
                    sqlx::query("UPDATE bots SET secret_hash = $2 WHERE id = $1")
                        .bind(&bot)
                        .bind(&revoked)
                        .execute(&mut *tx)
                        .await?;
                    Initialized::Done
                }
            }
        }))
    }
}
