//! Shared resources and credentials as Brity shows them: the registration answer and list
//! item (`typeName` Asset/6 or Credential/14) and the detail view (`objectId`, `value`,
//! `userHasAuth`). A sealed value never appears: `filePath` shows the row's internal number
//! and `value` a digest of the ciphertext (docs/dialects/brity.md).

use super::asset_wire::{millis, yn};
use base64::Engine as _;
use serde_json::{json, Value};
use sluice_store::rpa::resources::{Resource, ResourceKind};

fn is_credential(r: &Resource) -> bool {
    r.kind == ResourceKind::Credential.as_str()
}

fn is_file(r: &Resource) -> bool {
    r.category == "file"
}

/// `filePath`: a plain string's value, a file's name, or for a sealed value the row's
/// internal number (opaque, as Brity's vault reference is).
fn file_path(r: &Resource) -> Value {
    if is_file(r) {
        json!(r.file_name)
    } else if r.is_secure {
        json!(r.seq.to_string())
    } else {
        json!(r.text_value)
    }
}

/// The registration answer and list item.
pub(crate) fn summary(r: &Resource) -> Value {
    let mut v = json!({
        "managerUsrId": null,
        "createUserId": r.created_by_login,
        "updateDatetime": millis(r.updated_at),
        "os": null,
        "applyStartDate": null,
        "updateUserId": r.updated_by_login,
        "filePath": file_path(r),
        "applyEndDate": null,
        "version": "1.00",
        "resolution": null,
        "largeCategory": r.large_category,
        "delYn": "N",
        "createDatetime": millis(r.created_at),
        "mediumCategory": r.medium_category,
        "name": r.name,
        "workType": null,
        "designerVersion": null,
        "id": r.id,
        "activation": "Y",
        "desc": r.description,
        "status": 1,
    });
    if is_credential(r) {
        v["typeName"] = json!("Credential");
        v["type"] = json!(14);
        v["category"] = Value::Null;
    } else {
        v["typeName"] = json!("Asset");
        v["type"] = json!(6);
        v["category"] = json!(r.category);
        v["isSecureData"] = json!(yn(r.is_secure));
        if is_file(r) {
            v["fileSize"] = json!(r.file_size.to_string());
        }
    }
    v
}

/// `value` of the detail view: a plain string's value, a file's name, or for a sealed
/// value the base64 of its digest (32 characters, new with every modification).
fn shown_value(r: &Resource) -> Value {
    if is_file(r) {
        json!(r.file_name)
    } else if r.is_secure {
        json!(r
            .sealed_digest
            .as_ref()
            .map(|d| base64::engine::general_purpose::STANDARD.encode(d)))
    } else {
        json!(r.text_value)
    }
}

/// The detail view (`GET ...?id=&detail=Y`). Only administrators call it: every
/// authority is theirs.
pub(crate) fn detail(r: &Resource) -> Value {
    let mut v = json!({
        "objectActivation": "Y",
        "createUserId": r.created_by_login,
        "objectStatus": 1,
        "os": null,
        "isSecureData": yn(r.is_secure),
        "updateUserId": r.updated_by_login,
        "version": "1.00",
        "resolution": null,
        "largeCategory": r.large_category,
        "updateTimestamp": millis(r.updated_at),
        "mediumCategory": r.medium_category,
        "userHasAuth": {"A": true, "R": true, "S": true, "D": true, "E": true, "U": true},
        "name": r.name,
        "designerVersion": null,
        "value": shown_value(r),
        "objectId": r.id,
        "desc": r.description,
    });
    if !is_credential(r) {
        v["category"] = json!(r.category);
    }
    v
}
