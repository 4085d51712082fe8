//! Request bodies of the native API.

use super::ApiError;
use axum::body::Body;
use serde::de::DeserializeOwned;
use sluice_domain::Error as DomainError;
use sluice_store::Error as StoreError;

/// Largest accepted request body.
const MAX_BODY_BYTES: usize = 64 * 1024;

fn refused(e: DomainError) -> ApiError {
    ApiError::from(StoreError::Domain(e))
}

/// Reads a JSON body of at most 64 KiB, naming the path of a wrong value.
pub(crate) async fn json_body<T: DeserializeOwned>(body: Body) -> Result<T, ApiError> {
    json_body_max(body, MAX_BODY_BYTES).await
}

/// Reads a JSON body of at most `max` bytes, naming the path of a wrong value.
pub(crate) async fn json_body_max<T: DeserializeOwned>(
    body: Body,
    max: usize,
) -> Result<T, ApiError> {
    let bytes = axum::body::to_bytes(body, max).await.map_err(|_| {
        refused(DomainError::invalid(format!(
            "The request body is larger than {max} bytes."
        )))
    })?;
    let de = &mut serde_json::Deserializer::from_slice(&bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let at = e.path().to_string();
        let at = if at == "." {
            String::new()
        } else {
            format!(" at {at}")
        };
        refused(DomainError::invalid(format!(
            "Invalid request body{at}: {}",
            e.inner()
        )))
    })
}
