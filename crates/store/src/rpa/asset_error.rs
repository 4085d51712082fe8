//! Refusals of the asset operations (projects, packages, copies) that Brity names with its
//! own codes, beside the store's usual errors.

use sluice_package::{NameProblem, PackageError};

/// An asset operation's failure.
#[derive(Debug, thiserror::Error)]
pub enum AssetError {
    /// A project or process name breaks Brity's naming rule (INVALID_OBJECT_NAME).
    #[error("invalid name {name:?}: {problem}")]
    InvalidName { name: String, problem: NameProblem },
    /// Another object of the tenant has this name (ALREADY_USE_NAME).
    #[error("the name {0:?} is used by another project")]
    NameInUse(String),
    /// Two processes of one project would share a name, or one the project's (DUPLICATED_NAME).
    #[error("the name {0:?} is used twice in the project")]
    DuplicateProcessName(String),
    /// The package was refused (its own ipaUpload code).
    #[error(transparent)]
    Package(#[from] PackageError),
    /// An upload refused with one of Brity's ipaUpload codes (DUPLICATE_OBJECT_NAME,
    /// OBJECT_NAME_IS_NOT_MATCH, OBJECT_ID_IS_NOT_MATCH, IS_NOT_PROJECT_FILE, ...).
    #[error("{message}")]
    Upload { code: &'static str, message: String },
    /// Anything else (not found, forbidden, database).
    #[error(transparent)]
    Store(crate::Error),
}

impl AssetError {
    pub(crate) fn upload(code: &'static str, message: impl Into<String>) -> Self {
        Self::Upload {
            code,
            message: message.into(),
        }
    }

    pub(crate) fn name(name: &str, problem: NameProblem) -> Self {
        Self::InvalidName {
            name: name.to_string(),
            problem,
        }
    }

    /// Carries this error out of a `write_tx!` body (which rolls back) as a store error;
    /// `From<crate::Error>` unwraps it again.
    pub(crate) fn abort(self) -> crate::Error {
        crate::Error::Unexpected(anyhow::Error::new(self))
    }
}

impl From<crate::Error> for AssetError {
    fn from(e: crate::Error) -> Self {
        match e {
            crate::Error::Unexpected(inner) => match inner.downcast::<AssetError>() {
                Ok(asset) => asset,
                Err(inner) => Self::Store(crate::Error::Unexpected(inner)),
            },
            other => Self::Store(other),
        }
    }
}

impl From<sluice_domain::Error> for AssetError {
    fn from(e: sluice_domain::Error) -> Self {
        Self::Store(crate::Error::Domain(e))
    }
}

impl From<sqlx::Error> for AssetError {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(e.into())
    }
}

/// Checks an object name with Brity's rule.
pub(crate) fn checked_name(name: &str) -> Result<(), AssetError> {
    sluice_package::check_name(name).map_err(|p| AssetError::name(name, p))
}
