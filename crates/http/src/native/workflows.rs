//! BPMN 2.0 import and export of workflow versions (docs/bpmn.md).

use super::{ApiError, Bearer};
use crate::AppState;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use sluice_bpmn::{ImportError, Problem};
use sluice_domain::{Error as DomainError, OrgId, WorkflowId};
use sluice_store::oauth::Principal;
use sluice_store::Error as StoreError;
use std::collections::BTreeMap;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// This module's documented routes, added to the native API's.
pub(super) fn routes(router: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    router
        .routes(routes!(import_bpmn))
        .routes(routes!(export_bpmn))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub(crate) struct ImportQuery {
    /// The workflow's name (default: the process's name).
    name: Option<String>,
}

/// The imported version.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ImportedOut {
    /// The new version's id.
    id: i64,
    /// The workflow (family) it is a version of.
    family_id: i64,
    name: String,
    version: i64,
    /// Node ids by BPMN element id.
    nodes: BTreeMap<String, i64>,
    /// Field ids by field name (documents' `field_content` is keyed by them).
    fields: BTreeMap<String, i64>,
    /// Elements that were read but have no effect (documentation, lanes, annotations...).
    warnings: Vec<String>,
}

/// An element the import refused or found invalid.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ProblemOut {
    /// The element's local name, e.g. `subProcess`.
    element: String,
    /// Its `id` attribute (empty when it has none).
    id: String,
    message: String,
}

/// The native error shape with the list of refused elements.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct BpmnErrorBody {
    /// `unsupported_bpmn` (elements outside the subset) or `invalid_bpmn`.
    code: &'static str,
    message: String,
    /// Always `invalid_request`.
    #[serde(rename = "type")]
    kind: &'static str,
    /// The refused or invalid elements, at most 200 (empty for a file that is not BPMN at
    /// all).
    problems: Vec<ProblemOut>,
    /// How many more problems there were beyond those listed.
    more: usize,
}

/// Most problems an answer lists (a hostile file can have hundreds of thousands).
const MAX_PROBLEMS: usize = 200;
/// Most problems the message names.
const MESSAGE_PROBLEMS: usize = 10;

fn bpmn_error(e: ImportError) -> Response {
    let code = match e {
        ImportError::Unsupported(_) => "unsupported_bpmn",
        _ => "invalid_bpmn",
    };
    let (message, mut problems) = match e {
        ImportError::Unsupported(ps) | ImportError::Invalid(ps) => {
            let head = match code {
                "unsupported_bpmn" => "The model uses BPMN elements Sluice does not support",
                _ => "The model is not valid",
            };
            let named: Vec<String> = ps
                .iter()
                .take(MESSAGE_PROBLEMS)
                .map(|p| p.to_string())
                .collect();
            let rest = ps.len().saturating_sub(MESSAGE_PROBLEMS);
            let tail = if rest > 0 {
                format!("; and {rest} more")
            } else {
                String::new()
            };
            (format!("{head}: {}{tail}", named.join("; ")), ps)
        }
        malformed @ ImportError::Malformed(_) => (malformed.to_string(), Vec::new()),
    };
    let more = problems.len().saturating_sub(MAX_PROBLEMS);
    problems.truncate(MAX_PROBLEMS);
    let body = BpmnErrorBody {
        code,
        message,
        kind: "invalid_request",
        more,
        problems: problems
            .into_iter()
            .map(
                |Problem {
                     element,
                     id,
                     message,
                 }| ProblemOut {
                    element,
                    id,
                    message,
                },
            )
            .collect(),
    };
    (StatusCode::BAD_REQUEST, Json(body)).into_response()
}

fn refused(e: DomainError) -> ApiError {
    ApiError::from(StoreError::Domain(e))
}

/// The administrator importing (a user: the version records who made it).
fn admin(p: &Principal) -> Result<(OrgId, sluice_domain::UserId), ApiError> {
    match &p.user {
        Some(u) if u.is_admin => Ok((p.org.id, u.id)),
        Some(_) => Err(refused(DomainError::Forbidden(
            "Only an organization administrator may import workflows.".into(),
        ))),
        None => Err(refused(DomainError::Forbidden(
            "Importing a workflow needs an administrator's user token.".into(),
        ))),
    }
}

/// Imports a BPMN 2.0 model as a new finalized, inactive workflow version.
#[utoipa::path(post, path = "/api/v1/workflows/import", tag = "workflows",
    security(("bearer" = [])),
    params(ImportQuery),
    request_body(content = String, content_type = "application/xml",
        description = "A BPMN 2.0 XML file (application/xml or text/xml), at most 5 MiB"),
    responses(
        (status = 201, description = "The new version", body = ImportedOut),
        (status = 400, description = "Not BPMN, hostile, outside the supported subset (`unsupported_bpmn`, every element listed) or invalid (`invalid_bpmn`)", body = BpmnErrorBody),
        (status = 401, description = "Missing, invalid or expired token", body = super::error::ErrorBody),
        (status = 403, description = "Not an organization administrator", body = super::error::ErrorBody),
        (status = 409, description = "A directory reference of another organization, or a name clash", body = super::error::ErrorBody),
        (status = 415, description = "Not application/xml or text/xml", body = super::error::ErrorBody),
    ))]
pub(crate) async fn import_bpmn(
    State(app): State<AppState>,
    Bearer(p): Bearer,
    Query(q): Query<ImportQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let (org, actor) = admin(&p)?;
    let media = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    if !matches!(media.as_deref(), Some("application/xml" | "text/xml")) {
        return Ok((
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Json(super::error::ErrorBody {
                code: "unsupported_media_type",
                message: "Send the BPMN file as application/xml or text/xml.".into(),
                kind: "invalid_request",
            }),
        )
            .into_response());
    }
    let bytes = match axum::body::to_bytes(body, sluice_bpmn::MAX_BYTES).await {
        Ok(b) => b,
        Err(_) => {
            return Ok(bpmn_error(ImportError::Malformed(format!(
                "The file is larger than {} MiB.",
                sluice_bpmn::MAX_BYTES / (1024 * 1024)
            ))))
        }
    };
    // Parsing a few MiB takes milliseconds to tens of them: off the async workers.
    let parsed = tokio::task::spawn_blocking(move || sluice_bpmn::import(&bytes))
        .await
        .map_err(|_| refused(DomainError::invalid("The BPMN file could not be read.")))?;
    let model = match parsed {
        Ok(m) => m,
        Err(e) => return Ok(bpmn_error(e)),
    };
    let name = match q.name.as_deref().map(str::trim) {
        Some(n) if !n.is_empty() => n.to_string(),
        _ => model.name.clone(),
    };
    let w = app
        .store
        .import_workflow(org, actor, &name, model.fields, model.nodes)
        .await?;
    let nodes = app.store.workflow_nodes(org, w.id).await?;
    let fields = app.store.workflow_fields(org, w.id).await?;
    let out = ImportedOut {
        id: w.id.0,
        family_id: w.family_id.0,
        name: w.name,
        version: w.version,
        nodes: nodes
            .into_iter()
            .filter_map(|n| Some((n.key?, n.id.0)))
            .collect(),
        fields: fields.into_iter().map(|f| (f.name, f.id.0)).collect(),
        warnings: model.warnings,
    };
    Ok((StatusCode::CREATED, Json(out)).into_response())
}

/// A workflow version as BPMN 2.0 XML with diagram interchange.
#[utoipa::path(get, path = "/api/v1/workflows/{id}/bpmn", tag = "workflows",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Workflow version id")),
    responses(
        (status = 200, description = "The BPMN 2.0 XML", body = String, content_type = "application/xml"),
        (status = 401, description = "Missing, invalid or expired token", body = super::error::ErrorBody),
        (status = 403, description = "Not an administrator", body = super::error::ErrorBody),
        (status = 404, description = "No such version in the organization", body = super::error::ErrorBody),
    ))]
pub(crate) async fn export_bpmn(
    State(app): State<AppState>,
    Bearer(p): Bearer,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    // Administrators (or the organization's own client) only: a model holds its service
    // tasks' endpoints and its directory references.
    if p.user.as_ref().is_some_and(|u| !u.is_admin) {
        return Err(refused(DomainError::Forbidden(
            "Only an organization administrator may export workflows.".into(),
        )));
    }
    let org = p.org.id;
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::not_found(format!("Workflow {id:?} not found.")))?;
    let w = app.store.workflow(org, WorkflowId(id)).await?;
    let fields = app.store.workflow_fields(org, w.id).await?;
    let nodes = app.store.workflow_nodes(org, w.id).await?;
    let xml = sluice_bpmn::export(&w.name, &fields, &nodes);
    Ok((
        [(header::CONTENT_TYPE, "application/xml; charset=utf-8")],
        xml,
    )
        .into_response())
}
