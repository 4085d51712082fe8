//! `sluice-project.json`: what a package holds and how each process is started
//! (docs/package-format.md).

use crate::error::PackageError;
use crate::names::check_name;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// The only manifest format so far.
pub const FORMAT: u32 = 1;
/// Longest accepted timeout: 30 days.
pub const MAX_TIMEOUT_SECONDS: u64 = 30 * 24 * 3600;
/// Most processes in one package (each is a few rows written in one transaction).
pub const MAX_PROCESSES: usize = 500;
/// Longest description (the package's, a process's or a variable's), in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 4000;
/// Longest `designerVersion`, in characters.
pub const MAX_DESIGNER_VERSION_CHARS: usize = 64;
/// Variable types a process may declare.
pub const VARIABLE_TYPES: &[&str] = &["string", "number", "integer", "boolean", "date", "json"];

/// What kind of Brity object a package is: a project (processes a bot runs), a process
/// flow (Brity "workflow") or an outline ("workspace").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ObjectKind {
    #[default]
    Project,
    Workflow,
    Workspace,
}

impl ObjectKind {
    /// `project`, `workflow` or `workspace` (Brity's category).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Project => "project",
            Self::Workflow => "workflow",
            Self::Workspace => "workspace",
        }
    }

    /// The category named by `text` (case-insensitive).
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "project" => Some(Self::Project),
            "workflow" | "processflow" => Some(Self::Workflow),
            "workspace" => Some(Self::Workspace),
            _ => None,
        }
    }
}

/// Whether a process needs the bot's interactive desktop (foreground) or not (background).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum WorkType {
    #[default]
    Foreground,
    Background,
}

impl WorkType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Foreground => "foreground",
            Self::Background => "background",
        }
    }
}

/// The manifest at the root of a package.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Manifest {
    pub format: u32,
    #[serde(rename = "type", default)]
    pub kind: ObjectKind,
    /// A UUID; a later upload with the same id and name is a new version of the same object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub designer_version: String,
    /// The name of the process that starts the project (Brity's "latest process").
    pub main_process: String,
    pub processes: Vec<Process>,
}

/// One process: a program the bot runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Process {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// argv, run with the working directory set to the extracted package's root.
    pub command: Vec<String>,
    /// Overrides `command` on Windows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command_windows: Option<Vec<String>>,
    /// Overrides `command` on macOS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command_macos: Option<Vec<String>>,
    #[serde(default)]
    pub inputs: Vec<Variable>,
    #[serde(default)]
    pub outputs: Vec<Variable>,
    /// Names of the credentials the process may receive.
    #[serde(default)]
    pub credentials: Vec<String>,
    /// 0: no limit.
    #[serde(default)]
    pub timeout_seconds: u64,
    #[serde(default)]
    pub work_type: WorkType,
}

/// A declared input or output variable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Variable {
    pub name: String,
    #[serde(rename = "type", default = "string_type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<serde_json::Value>,
    /// A hidden input's value is blanked where jobs are shown to others.
    #[serde(default)]
    pub hidden: bool,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
}

fn string_type() -> String {
    "string".into()
}

impl Manifest {
    /// Parses manifest bytes: not UTF-8 is an unreadable file; bad JSON or a wrong shape is
    /// a malformed manifest. Does not validate the content (see [`Manifest::validate`]).
    pub fn parse(bytes: &[u8]) -> Result<Self, PackageError> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(PackageError::MissingManifest);
        }
        let text = std::str::from_utf8(bytes)
            .map_err(|e| PackageError::UnreadableManifest(format!("not UTF-8 ({e})")))?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        serde_json::from_str(text).map_err(|e| PackageError::MalformedManifest(e.to_string()))
    }

    /// Checks every rule of the format (docs/package-format.md).
    pub fn validate(&self) -> Result<(), PackageError> {
        if self.format != FORMAT {
            return Err(PackageError::MalformedManifest(format!(
                "format {} is not supported (expected {FORMAT})",
                self.format
            )));
        }
        if let Some(id) = &self.id {
            if uuid::Uuid::parse_str(id).is_err() {
                return Err(PackageError::invalid(
                    Some(&self.name),
                    format!("id {id:?} is not a UUID"),
                ));
            }
        }
        named(&self.name)?;
        let target = Some(self.name.as_str());
        text(
            "description",
            &self.description,
            MAX_DESCRIPTION_CHARS,
            target,
        )?;
        text(
            "designerVersion",
            &self.designer_version,
            MAX_DESIGNER_VERSION_CHARS,
            target,
        )?;
        if self.processes.len() > MAX_PROCESSES {
            return Err(PackageError::invalid(
                target,
                format!(
                    "the package declares {} processes; at most {MAX_PROCESSES} are allowed",
                    self.processes.len()
                ),
            ));
        }
        if self.processes.is_empty() {
            return Err(PackageError::MissingMainProcess(self.main_process.clone()));
        }
        let mut seen = HashSet::new();
        for p in &self.processes {
            named(&p.name)?;
            let key = p.name.to_lowercase();
            if key == self.name.to_lowercase() || !seen.insert(key) {
                return Err(PackageError::invalid(
                    Some(&p.name),
                    format!(
                        "process name {:?} is used twice in the project (the project's own name counts)",
                        p.name
                    ),
                ));
            }
            p.validate()?;
        }
        if !self.processes.iter().any(|p| p.name == self.main_process) {
            return Err(PackageError::MissingMainProcess(self.main_process.clone()));
        }
        Ok(())
    }

    /// The main process.
    pub fn main(&self) -> Option<&Process> {
        self.processes.iter().find(|p| p.name == self.main_process)
    }

    /// The manifest as pretty JSON.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(self).expect("a manifest serializes")
    }
}

/// A text the server stores: no NUL character (PostgreSQL refuses it) and at most `max`
/// characters.
fn text(what: &str, value: &str, max: usize, target: Option<&str>) -> Result<(), PackageError> {
    if value.contains('\0') {
        return Err(PackageError::invalid(
            target,
            format!("{what} holds a NUL character"),
        ));
    }
    if value.chars().count() > max {
        return Err(PackageError::invalid(
            target,
            format!("{what} is longer than {max} characters"),
        ));
    }
    Ok(())
}

fn named(name: &str) -> Result<(), PackageError> {
    check_name(name).map_err(|problem| PackageError::InvalidName {
        name: name.to_string(),
        problem,
    })
}

impl Process {
    fn validate(&self) -> Result<(), PackageError> {
        let bad = |message: String| Err(PackageError::invalid(Some(&self.name), message));
        text(
            &format!("description of process {:?}", self.name),
            &self.description,
            MAX_DESCRIPTION_CHARS,
            Some(&self.name),
        )?;
        for (what, argv) in [
            ("command", Some(&self.command)),
            ("commandWindows", self.command_windows.as_ref()),
            ("commandMacos", self.command_macos.as_ref()),
        ] {
            if let Some(argv) = argv {
                if argv.first().is_none_or(|p| p.trim().is_empty()) {
                    return bad(format!("{what} of process {:?} is empty", self.name));
                }
                if argv.iter().any(|a| a.contains('\0')) {
                    return bad(format!("{what} of process {:?} holds a NUL", self.name));
                }
            }
        }
        for (what, vars) in [("inputs", &self.inputs), ("outputs", &self.outputs)] {
            let mut seen = HashSet::new();
            for v in vars {
                if v.name.trim().is_empty() || v.name.len() > 128 || v.name.contains('\0') {
                    return bad(format!(
                        "{what} of process {:?}: a variable name must be 1 to 128 bytes, without NUL",
                        self.name
                    ));
                }
                text(
                    &format!(
                        "{what} of process {:?}: the description of {:?}",
                        self.name, v.name
                    ),
                    &v.description,
                    MAX_DESCRIPTION_CHARS,
                    Some(&self.name),
                )?;
                if !seen.insert(v.name.as_str()) {
                    return bad(format!(
                        "{what} of process {:?}: variable {:?} is declared twice",
                        self.name, v.name
                    ));
                }
                if !VARIABLE_TYPES.contains(&v.kind.as_str()) {
                    return bad(format!(
                        "{what} of process {:?}: variable {:?} has type {:?} (expected one of {})",
                        self.name,
                        v.name,
                        v.kind,
                        VARIABLE_TYPES.join(", ")
                    ));
                }
            }
        }
        let mut seen = HashSet::new();
        for c in &self.credentials {
            if c.trim().is_empty() || c.contains('\0') || !seen.insert(c.as_str()) {
                return bad(format!(
                    "credentials of process {:?} must be distinct, non-empty names",
                    self.name
                ));
            }
        }
        if self.timeout_seconds > MAX_TIMEOUT_SECONDS {
            return bad(format!(
                "timeoutSeconds of process {:?} is over {MAX_TIMEOUT_SECONDS}",
                self.name
            ));
        }
        Ok(())
    }

    /// What the server stores as the version's `entry`: {"command", "commandWindows",
    /// "commandMacos"} (the OS overrides `null` when absent).
    pub fn entry_json(&self) -> serde_json::Value {
        serde_json::json!({
            "command": self.command,
            "commandWindows": self.command_windows,
            "commandMacos": self.command_macos,
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn sample() -> Manifest {
        Manifest::parse(
            br#"{
              "format": 1, "type": "project", "name": "Invoices", "mainProcess": "Main",
              "processes": [{
                "name": "Main", "command": ["sh", "main.sh"],
                "commandWindows": ["powershell", "-NoProfile", "-File", "main.ps1"],
                "inputs": [{"name": "currency", "type": "string", "default": "USD", "hidden": false}],
                "outputs": [{"name": "total", "type": "string"}],
                "credentials": ["erp-login"], "timeoutSeconds": 600, "workType": "background"
              }]
            }"#,
        )
        .expect("parses")
    }

    #[test]
    fn the_contract_example_is_valid() {
        let m = sample();
        m.validate().expect("valid");
        assert_eq!(m.kind, ObjectKind::Project);
        let p = m.main().expect("main");
        assert_eq!(p.work_type, WorkType::Background);
        assert_eq!(p.inputs[0].default, Some(serde_json::json!("USD")));
        assert_eq!(
            p.entry_json(),
            serde_json::json!({"command": ["sh", "main.sh"],
                "commandWindows": ["powershell", "-NoProfile", "-File", "main.ps1"],
                "commandMacos": null})
        );
        // Round trip through JSON.
        assert_eq!(Manifest::parse(&m.to_json()).expect("parses"), m);
    }

    #[test]
    fn refusals_carry_brity_codes() {
        let code = |m: &Manifest| m.validate().unwrap_err().code();
        let mut m = sample();
        m.main_process = "Other".into();
        assert_eq!(code(&m), "LATEST_PROCESS_IS_NOT_EXIST");
        let mut m = sample();
        m.processes.clear();
        assert_eq!(code(&m), "LATEST_PROCESS_IS_NOT_EXIST");
        let mut m = sample();
        m.name = "1nvoices".into();
        assert_eq!(code(&m), "INVALID_OBJECT_NAME");
        let mut m = sample();
        m.processes[0].name = "Main Process".into();
        assert_eq!(code(&m), "INVALID_OBJECT_NAME");
        let mut m = sample();
        m.processes.push(m.processes[0].clone());
        assert_eq!(code(&m), "INVALID_OBJECT");
        let mut m = sample();
        m.processes[0].name = "invoices".into();
        m.main_process = "invoices".into();
        assert_eq!(code(&m), "INVALID_OBJECT");
        let mut m = sample();
        m.processes[0].command.clear();
        assert_eq!(code(&m), "INVALID_OBJECT");
        let mut m = sample();
        m.processes[0].inputs[0].kind = "blob".into();
        assert_eq!(code(&m), "INVALID_OBJECT");
        let mut m = sample();
        m.id = Some("not-a-uuid".into());
        assert_eq!(code(&m), "INVALID_OBJECT");
        let mut m = sample();
        m.format = 2;
        assert_eq!(code(&m), "INVALID_XML_FORMAT");
        assert_eq!(
            Manifest::parse(b"{").unwrap_err().code(),
            "INVALID_XML_FORMAT"
        );
        assert_eq!(
            Manifest::parse(br#"{"format":1,"name":"A","mainProcess":"B","processes":[],"x":1}"#)
                .unwrap_err()
                .code(),
            "INVALID_XML_FORMAT"
        );
        assert_eq!(
            Manifest::parse(b"\xff\xfe").unwrap_err().code(),
            "INVALID_XML_FILE"
        );
        assert_eq!(
            Manifest::parse(b"  ").unwrap_err().code(),
            "XML_DATA_IS_EMPTY"
        );
    }
}
