//! `/bonita/API/identity/professionalcontactdata` and `personalcontactdata`: a user's
//! contact data, identified by the user's id. The professional e-mail is the user's e-mail.

use super::render;
use super::session::Call;
use super::wire::{parse_id, path_id, BonitaError, BonitaResult, Item};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use axum::Json;
use sluice_domain::identity::ContactKind;
use sluice_domain::UserId;

/// The contact fields of an item (`id` excluded); values must be text.
fn changes(item: &Item) -> Result<Vec<(String, String)>, BonitaError> {
    let mut out = Vec::new();
    for key in item.0.keys() {
        if key == "id" {
            continue;
        }
        out.push((key.clone(), item.text(key)?.unwrap_or_default()));
    }
    Ok(out)
}

async fn read(app: &AppState, call: &Call, kind: ContactKind, id: &str) -> BonitaResult {
    let id = UserId(path_id("User", id)?);
    let data = app.store.contact_data(call.org.id, id, kind).await?;
    Ok(Json(render::contact(id.0, &data)).into_response())
}

async fn write(
    app: &AppState,
    call: &Call,
    kind: ContactKind,
    id: Option<&str>,
    body: &Bytes,
) -> BonitaResult {
    call.require_admin()?;
    let item = Item::parse(body)?;
    // PUT names the user in the path and creates or replaces; POST names it in the body and
    // only creates (403 when the user already has contact data of this kind, as Bonita).
    let replace = id.is_some();
    let id = match id {
        Some(id) => UserId(path_id("User", id)?),
        None => UserId(parse_id("id", &item.required_text("id")?)?),
    };
    let data = app
        .store
        .write_contact_data(call.org.id, id, kind, changes(&item)?, replace)
        .await?;
    Ok(Json(render::contact(id.0, &data)).into_response())
}

macro_rules! contact_handlers {
    ($kind:expr, $get:ident, $create:ident, $update:ident) => {
        pub(super) async fn $get(
            State(app): State<AppState>,
            call: Call,
            Path(id): Path<String>,
        ) -> BonitaResult {
            read(&app, &call, $kind, &id).await
        }

        pub(super) async fn $create(
            State(app): State<AppState>,
            call: Call,
            body: Bytes,
        ) -> BonitaResult {
            write(&app, &call, $kind, None, &body).await
        }

        pub(super) async fn $update(
            State(app): State<AppState>,
            call: Call,
            Path(id): Path<String>,
            body: Bytes,
        ) -> BonitaResult {
            write(&app, &call, $kind, Some(&id), &body).await
        }
    };
}

contact_handlers!(
    ContactKind::Professional,
    get_professional,
    create_professional,
    update_professional
);
contact_handlers!(
    ContactKind::Personal,
    get_personal,
    create_personal,
    update_personal
);
