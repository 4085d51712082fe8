//! Why a package is refused. Each variant maps onto one of Brity's ipaUpload failure codes
//! (`code()`), so the server answers in Brity's terms.

use crate::names::NameProblem;

#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    /// An entry is encrypted and no password, or a wrong one, was given.
    #[error("the package is password-protected and the password is missing or wrong")]
    WrongPassword,
    /// Not a zip archive, or a damaged one.
    #[error("the package is not a readable zip archive: {0}")]
    Corrupt(String),
    /// A hostile or unsupported archive: too large, too many entries, a compression ratio
    /// past the limit, an unsafe path, a symbolic link, a duplicate name.
    #[error("the package is refused: {0}")]
    Refused(String),
    /// No `sluice-project.json` at the root, or an empty one.
    #[error("the package has no sluice-project.json manifest")]
    MissingManifest,
    /// The manifest is not UTF-8 text or is too large to be one.
    #[error("sluice-project.json is not a text file: {0}")]
    UnreadableManifest(String),
    /// The manifest is not JSON of the expected shape.
    #[error("sluice-project.json is malformed: {0}")]
    MalformedManifest(String),
    /// `mainProcess` names no process of the manifest.
    #[error("the main process {0:?} is not among the package's processes")]
    MissingMainProcess(String),
    /// A project or process name breaks Brity's naming rule.
    #[error("invalid name {name:?}: {problem}")]
    InvalidName { name: String, problem: NameProblem },
    /// Any other invalid manifest content; `target` names the object at fault.
    #[error("{message}")]
    Invalid {
        target: Option<String>,
        message: String,
    },
    /// Reading the folder to pack, or writing an extraction.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl PackageError {
    /// Brity's ipaUpload failure code for this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::WrongPassword => "IPA_WRONG_PASSWORD",
            Self::Corrupt(_) | Self::Refused(_) => "COMPRESSED_OBJECT_ERROR",
            Self::MissingManifest => "XML_DATA_IS_EMPTY",
            Self::UnreadableManifest(_) => "INVALID_XML_FILE",
            Self::MalformedManifest(_) => "INVALID_XML_FORMAT",
            Self::MissingMainProcess(_) => "LATEST_PROCESS_IS_NOT_EXIST",
            Self::InvalidName { .. } => "INVALID_OBJECT_NAME",
            Self::Invalid { .. } => "INVALID_OBJECT",
            Self::Io(_) => "OBJECT_CAN_NOT_CREATE",
        }
    }

    /// The object at fault (a name), where there is one.
    pub fn target(&self) -> Option<&str> {
        match self {
            Self::MissingMainProcess(n) | Self::InvalidName { name: n, .. } => Some(n),
            Self::Invalid { target, .. } => target.as_deref(),
            _ => None,
        }
    }

    pub(crate) fn invalid(target: Option<&str>, message: impl Into<String>) -> Self {
        Self::Invalid {
            target: target.map(str::to_string),
            message: message.into(),
        }
    }
}
