//! The store's error: a domain refusal, or a database failure that is never shown to clients.

/// A store failure.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A rule of the domain refused the operation; its message is for the client.
    #[error(transparent)]
    Domain(#[from] sluice_domain::Error),
    /// The database failed; log it, answer a generic error.
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
    /// A migration failed at start-up.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// Anything else unexpected.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<sqlx::Error> for Error {
    /// A unique-constraint violation is a duplicate name (the domain's "Duplicate Name.") and a
    /// foreign-key violation a conflict: checks before writes catch the usual case, the
    /// constraints catch races.
    fn from(e: sqlx::Error) -> Self {
        match e.as_database_error() {
            Some(db) if db.is_unique_violation() => {
                Error::Domain(sluice_domain::Error::DuplicateName)
            }
            // A row that was checked but then referenced (or unreferenced) concurrently.
            Some(db) if db.is_foreign_key_violation() => Error::Domain(
                sluice_domain::Error::conflict("The object is still referenced by other data."),
            ),
            _ => Error::Database(e),
        }
    }
}

/// Result of a store operation.
pub type Result<T, E = Error> = std::result::Result<T, E>;
