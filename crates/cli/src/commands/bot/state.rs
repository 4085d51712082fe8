//! The agent's identity between runs: `<state-dir>/bot.json` holds the bot id and secret a
//! license activation gave, so a restarted agent does not need the license again. A lock
//! file keeps two agents from sharing one state folder (they would be one bot).

use anyhow::{bail, Context};
use fs4::fs_std::FileExt;
use serde::{Deserialize, Serialize};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// What `bot.json` holds. The secret is a credential: the file is readable by its owner
/// only (on Unix), and this type never prints it.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct BotState {
    /// The server the bot belongs to (a bot id means nothing elsewhere).
    pub server: String,
    pub bot_id: String,
    pub bot_secret: String,
}

impl std::fmt::Debug for BotState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BotState")
            .field("server", &self.server)
            .field("bot_id", &self.bot_id)
            .finish_non_exhaustive()
    }
}

/// The state folder, locked for this agent while it runs.
pub struct StateDir {
    path: PathBuf,
    _lock: File,
}

impl StateDir {
    /// Creates the folder if needed and takes its lock; fails when another agent holds it.
    pub fn open(path: &Path) -> anyhow::Result<Self> {
        fs::create_dir_all(path)
            .with_context(|| format!("creating the state folder {}", path.display()))?;
        let lock_path = path.join("agent.lock");
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .with_context(|| format!("opening {}", lock_path.display()))?;
        if !lock.try_lock_exclusive()? {
            bail!(
                "another agent is using the state folder {}; give each agent its own --state-dir",
                path.display()
            );
        }
        Ok(StateDir {
            path: path.to_path_buf(),
            _lock: lock,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn file(&self) -> PathBuf {
        self.path.join("bot.json")
    }

    /// The saved identity, if any. A damaged file counts as none (the license re-activates).
    pub fn load(&self) -> Option<BotState> {
        let text = fs::read_to_string(self.file()).ok()?;
        match serde_json::from_str(&text) {
            Ok(state) => Some(state),
            Err(_) => {
                tracing::warn!(file = %self.file().display(), "ignoring an unreadable bot.json");
                None
            }
        }
    }

    /// Saves the identity: written to a temporary file first, then renamed, so a crash
    /// never leaves half a file.
    pub fn save(&self, state: &BotState) -> anyhow::Result<()> {
        let tmp = self.path.join("bot.json.tmp");
        let _ = fs::remove_file(&tmp);
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options
            .open(&tmp)
            .with_context(|| format!("writing {}", tmp.display()))?;
        file.write_all(&serde_json::to_vec_pretty(state)?)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp, self.file()).with_context(|| format!("writing {}", self.file().display()))
    }

    /// Forgets the identity (its secret was revoked).
    pub fn clear(&self) {
        let _ = fs::remove_file(self.file());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("sluice-bot-state-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn state_survives_a_restart_and_hides_its_secret() {
        let dir = temp("roundtrip");
        let state = BotState {
            server: "http://127.0.0.1:1".into(),
            bot_id: "BOT-00001".into(),
            bot_secret: "slu_bot_secret".into(),
        };
        {
            let sd = StateDir::open(&dir).unwrap();
            assert_eq!(sd.load(), None);
            sd.save(&state).unwrap();
        }
        let sd = StateDir::open(&dir).unwrap();
        assert_eq!(sd.load(), Some(state.clone()));
        assert!(!format!("{state:?}").contains("slu_bot_secret"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(dir.join("bot.json"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "bot.json is private");
        }
        sd.clear();
        assert_eq!(sd.load(), None);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn two_agents_cannot_share_a_state_folder() {
        let dir = temp("lock");
        let first = StateDir::open(&dir).unwrap();
        let second = StateDir::open(&dir);
        assert!(second.is_err());
        drop(first);
        assert!(StateDir::open(&dir).is_ok());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_damaged_state_file_counts_as_none() {
        let dir = temp("damaged");
        let sd = StateDir::open(&dir).unwrap();
        fs::write(dir.join("bot.json"), "{not json").unwrap();
        assert_eq!(sd.load(), None);
        fs::remove_dir_all(&dir).unwrap();
    }
}
