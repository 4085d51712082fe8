//! The one error type of the domain. Dialects translate its kinds into their own wire forms.

/// A domain failure. The message is meant for the API client; it never holds internal detail.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The request is malformed or a value breaks a field rule.
    #[error("{0}")]
    Invalid(String),
    /// A referenced object does not exist (or belongs to another organization).
    #[error("{0}")]
    NotFound(String),
    /// A name (or another unique value) is already taken.
    #[error("Duplicate Name.")]
    DuplicateName,
    /// The object's state forbids the operation (e.g. deleting a department that has users).
    #[error("{0}")]
    Conflict(String),
    /// No credential, or one that is not valid.
    #[error("{0}")]
    Unauthenticated(String),
    /// A valid credential that may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// The client acted on an older version of a document than the current one.
    #[error("Outdated document.")]
    Outdated,
}

impl Error {
    /// Shorthand for [`Error::Invalid`].
    pub fn invalid(msg: impl Into<String>) -> Self {
        Self::Invalid(msg.into())
    }
    /// Shorthand for [`Error::NotFound`] of one object kind and id.
    pub fn not_found(kind: &str, id: impl std::fmt::Display) -> Self {
        Self::NotFound(format!("{kind} {id} does not exist."))
    }
    /// Shorthand for [`Error::Conflict`].
    pub fn conflict(msg: impl Into<String>) -> Self {
        Self::Conflict(msg.into())
    }
}

/// Result of a domain operation.
pub type Result<T, E = Error> = std::result::Result<T, E>;
