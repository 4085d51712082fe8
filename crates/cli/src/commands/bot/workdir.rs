//! A job's working folder, `<work-dir>/<job-id>/`: the extracted package (the process's
//! current directory) plus the agent's own `.sluice-job/` folder with the inputs, outputs
//! and credentials files and the results folder. `.sluice-job/bot` names the bot that made
//! the folder, so an agent restarted after a crash removes its own leftovers and never
//! those of another agent sharing the work folder.

use super::claim::is_safe_job_id;
use anyhow::{bail, Context};
use serde_json::{Map, Value};
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The agent's folder inside each job folder (a package may not hold one).
pub const META: &str = ".sluice-job";
/// Largest outputs file read.
const MAX_OUTPUTS_BYTES: u64 = 1024 * 1024;

pub struct JobDir {
    root: PathBuf,
    meta: PathBuf,
}

impl JobDir {
    /// Makes `<work-dir>/<job-id>/` with its marker. A folder left by this bot for the same
    /// job (a crash, then the job handed out again) is replaced; anyone else's is refused.
    pub fn create(work_dir: &Path, job_id: &str, bot_id: &str) -> anyhow::Result<Self> {
        if !is_safe_job_id(job_id) {
            bail!("the job id is not usable as a folder name");
        }
        let root = work_dir.join(job_id);
        if root.exists() {
            if marker_owner(&root).as_deref() != Some(bot_id) {
                bail!("{} exists and is not this bot's", root.display());
            }
            remove_all(&root).with_context(|| format!("removing {}", root.display()))?;
        }
        let meta = root.join(META);
        fs::create_dir_all(&meta).with_context(|| format!("creating {}", meta.display()))?;
        fs::write(meta.join("bot"), bot_id)?;
        Ok(JobDir { root, meta })
    }

    /// Checks after extraction that the package did not bring a folder of the agent's
    /// name, then makes the results folder.
    pub fn prepare(&self) -> anyhow::Result<()> {
        if fs::read_dir(&self.meta)?.count() != 1 {
            bail!("the package holds a folder named {META}, which is reserved for the agent");
        }
        fs::create_dir(self.results_dir())?;
        Ok(())
    }

    /// The extracted package: the process's current directory.
    pub fn root(&self) -> &Path {
        &self.root
    }
    pub fn inputs_path(&self) -> PathBuf {
        self.meta.join("inputs.json")
    }
    pub fn outputs_path(&self) -> PathBuf {
        self.meta.join("outputs.json")
    }
    pub fn credentials_path(&self) -> PathBuf {
        self.meta.join("credentials.json")
    }
    pub fn results_dir(&self) -> PathBuf {
        self.meta.join("results")
    }

    pub fn write_inputs(&self, inputs: &Map<String, Value>) -> anyhow::Result<()> {
        write_private(&self.inputs_path(), &serde_json::to_vec(inputs)?)
    }

    pub fn write_credentials(&self, credentials: &Map<String, Value>) -> anyhow::Result<()> {
        write_private(&self.credentials_path(), &serde_json::to_vec(credentials)?)
    }

    /// Deletes the credentials file as soon as the process has ended.
    pub fn remove_credentials(&self) {
        let _ = fs::remove_file(self.credentials_path());
    }

    /// The outputs the process wrote: none when it wrote no file; an error when the file is
    /// too large or not a JSON object.
    pub fn read_outputs(&self) -> Result<Map<String, Value>, String> {
        let path = self.outputs_path();
        let Ok(meta) = fs::metadata(&path) else {
            return Ok(Map::new());
        };
        if meta.len() > MAX_OUTPUTS_BYTES {
            return Err(format!(
                "the outputs file is larger than {} KiB",
                MAX_OUTPUTS_BYTES / 1024
            ));
        }
        let bytes = fs::read(&path).map_err(|e| format!("reading the outputs file: {e}"))?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Map::new());
        }
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(map)) => Ok(map),
            _ => Err("the outputs file is not a JSON object".into()),
        }
    }

    /// The regular files in the results folder, by name (links and folders are skipped:
    /// only what the process wrote there is sent).
    pub fn result_files(&self) -> Vec<PathBuf> {
        let Ok(entries) = fs::read_dir(self.results_dir()) else {
            return Vec::new();
        };
        let mut files: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .map(|e| e.path())
            .collect();
        files.sort();
        files
    }

    /// Deletes the whole job folder.
    pub fn remove(self) -> std::io::Result<()> {
        remove_all(&self.root)
    }
}

/// Removes the job folders this bot left behind (an agent killed mid-job).
pub fn clean_stale(work_dir: &Path, bot_id: &str) {
    let Ok(entries) = fs::read_dir(work_dir) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        let is_job = entry.file_name().to_str().is_some_and(is_safe_job_id);
        if is_job && marker_owner(&path).as_deref() == Some(bot_id) {
            tracing::info!(folder = %path.display(), "removing a job folder left by an earlier run");
            if let Err(e) = remove_all(&path) {
                tracing::warn!(folder = %path.display(), error = %e, "could not remove it");
            }
        }
    }
}

fn marker_owner(root: &Path) -> Option<String> {
    fs::read_to_string(root.join(META).join("bot")).ok()
}

/// Writes a file only its owner can read (Unix; on Windows the folder's ACL applies).
fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    file.write_all(bytes)?;
    Ok(())
}

/// `remove_dir_all`, retried briefly: on Windows a file of a process that just ended may
/// stay locked for a moment.
fn remove_all(path: &Path) -> std::io::Result<()> {
    let mut last = Ok(());
    for attempt in 0..5 {
        match fs::remove_dir_all(path) {
            Ok(()) => return Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => last = Err(e),
        }
        std::thread::sleep(std::time::Duration::from_millis(100 << attempt));
    }
    last
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn temp(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("sluice-bot-work-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn unsafe_job_ids_never_become_folders() {
        let work = temp("unsafe");
        for id in ["..", "../x", "/etc", "a\\b", ""] {
            assert!(JobDir::create(&work, id, "BOT-1").is_err(), "{id}");
        }
        assert_eq!(fs::read_dir(&work).unwrap().count(), 0);
        fs::remove_dir_all(&work).unwrap();
    }

    #[test]
    fn inputs_credentials_outputs_and_results_round_trip() {
        let work = temp("files");
        let dir = JobDir::create(&work, "job-1", "BOT-1").unwrap();
        dir.prepare().unwrap();
        dir.write_inputs(json!({"currency": "USD"}).as_object().unwrap())
            .unwrap();
        let inputs: Value = serde_json::from_slice(&fs::read(dir.inputs_path()).unwrap()).unwrap();
        assert_eq!(inputs, json!({"currency": "USD"}));

        dir.write_credentials(
            json!({"erp": {"userId": "u", "password": "p"}})
                .as_object()
                .unwrap(),
        )
        .unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(dir.credentials_path())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "credentials are private");
        }
        dir.remove_credentials();
        assert!(!dir.credentials_path().exists());

        assert_eq!(
            dir.read_outputs().unwrap(),
            Map::new(),
            "no file: no outputs"
        );
        fs::write(dir.outputs_path(), r#"{"total": "42"}"#).unwrap();
        assert_eq!(dir.read_outputs().unwrap()["total"], "42");
        fs::write(dir.outputs_path(), "[1, 2]").unwrap();
        assert!(dir.read_outputs().is_err());
        fs::write(
            dir.outputs_path(),
            vec![b' '; (MAX_OUTPUTS_BYTES + 1) as usize],
        )
        .unwrap();
        assert!(dir.read_outputs().is_err());

        fs::write(dir.results_dir().join("b.png"), b"png").unwrap();
        fs::write(dir.results_dir().join("a.txt"), b"txt").unwrap();
        fs::create_dir(dir.results_dir().join("sub")).unwrap();
        let names: Vec<_> = dir
            .result_files()
            .iter()
            .map(|p| p.file_name().unwrap().to_str().unwrap().to_string())
            .collect();
        assert_eq!(names, ["a.txt", "b.png"]);

        let root = dir.root().to_path_buf();
        dir.remove().unwrap();
        assert!(!root.exists());
        fs::remove_dir_all(&work).unwrap();
    }

    #[test]
    fn a_package_may_not_bring_the_agents_folder() {
        let work = temp("reserved");
        let dir = JobDir::create(&work, "job-2", "BOT-1").unwrap();
        fs::write(dir.root().join(META).join("inputs.json"), b"{}").unwrap();
        assert!(dir.prepare().is_err());
        fs::remove_dir_all(&work).unwrap();
    }

    #[test]
    fn only_this_bots_leftovers_are_cleaned() {
        let work = temp("stale");
        drop(JobDir::create(&work, "mine", "BOT-1").unwrap());
        drop(JobDir::create(&work, "theirs", "BOT-2").unwrap());
        fs::create_dir(work.join("unrelated")).unwrap();
        clean_stale(&work, "BOT-1");
        assert!(!work.join("mine").exists());
        assert!(work.join("theirs").exists());
        assert!(work.join("unrelated").exists());
        assert!(JobDir::create(&work, "theirs", "BOT-1").is_err());
        fs::remove_dir_all(&work).unwrap();
    }
}
