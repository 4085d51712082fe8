//! A job as the server hands it to the bot (`POST /api/v1/agent/jobs/next`).

use serde::Deserialize;
use serde_json::{Map, Value};

/// One claimed job. Inputs and credentials are confidential: this type has no `Debug`.
#[derive(Deserialize)]
pub struct Claim {
    pub job_id: String,
    #[serde(default)]
    pub attempt: u32,
    pub process: ClaimedProcess,
    #[serde(default)]
    pub inputs: Map<String, Value>,
    #[serde(default)]
    pub credentials: Map<String, Value>,
    /// The job's token for the server's queue endpoints (`SLUICE_JOB_TOKEN`).
    #[serde(default)]
    pub job_token: String,
}

/// The process version to run.
#[derive(Debug, Deserialize)]
pub struct ClaimedProcess {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub project_name: String,
    #[serde(default)]
    pub command: Option<Vec<String>>,
    #[serde(default)]
    pub command_windows: Option<Vec<String>>,
    #[serde(default)]
    pub command_macos: Option<Vec<String>>,
    /// 0: no limit.
    #[serde(default)]
    pub timeout_secs: u64,
    #[serde(default)]
    pub work_type: String,
    pub package_sha256: String,
}

impl ClaimedProcess {
    /// The argv for the OS this agent runs on: its override when the package has one,
    /// else the general command.
    pub fn command_for(&self, os: &str) -> Option<&[String]> {
        let specific = match os {
            "windows" => self.command_windows.as_deref(),
            "macos" => self.command_macos.as_deref(),
            _ => None,
        };
        specific
            .filter(|c| !c.is_empty())
            .or_else(|| self.command.as_deref().filter(|c| !c.is_empty()))
    }
}

/// A job id that is safe as one folder name and one URL path segment: ASCII letters,
/// digits, `-` and `_`, not starting with `-`, at most 100 characters.
pub fn is_safe_job_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 100
        && !id.starts_with('-')
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn process(v: Value) -> ClaimedProcess {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn the_os_override_wins_over_the_general_command() {
        let p = process(json!({
            "command": ["sh", "main.sh"],
            "command_windows": ["powershell", "-File", "main.ps1"],
            "command_macos": null,
            "package_sha256": "ab"
        }));
        assert_eq!(p.command_for("linux").unwrap(), ["sh", "main.sh"]);
        assert_eq!(p.command_for("macos").unwrap(), ["sh", "main.sh"]);
        assert_eq!(p.command_for("windows").unwrap()[0], "powershell");
        let none = process(json!({"command": [], "package_sha256": "ab"}));
        assert!(none.command_for("linux").is_none());
    }

    #[test]
    fn a_full_claim_reads() {
        let claim: Claim = serde_json::from_value(json!({
            "job_id": "1626767500820-79937415-fa8f8e4e",
            "attempt": 2,
            "process": {"id": "p", "version": "1.00", "name": "Main", "project_name": "Invoices",
                "command": ["sh", "main.sh"], "command_windows": null, "command_macos": null,
                "timeout_secs": 600, "work_type": "background", "package_sha256": "ab"},
            "inputs": {"currency": "USD"},
            "credentials": {}
        }))
        .unwrap();
        assert_eq!(claim.attempt, 2);
        assert_eq!(claim.process.timeout_secs, 600);
        assert_eq!(claim.inputs["currency"], "USD");
    }

    #[test]
    fn only_plain_job_ids_are_safe() {
        assert!(is_safe_job_id("1626767500820-79937415-fa8f8e4e"));
        assert!(is_safe_job_id("job_1"));
        for bad in [
            "",
            "..",
            "a/b",
            "a\\b",
            "-rf",
            ".hidden",
            "a b",
            "é",
            &"x".repeat(101),
        ] {
            assert!(!is_safe_job_id(bad), "{bad}");
        }
    }
}
