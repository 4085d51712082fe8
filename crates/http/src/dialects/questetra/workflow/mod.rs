//! Questetra's workflow API: process instances, process models, process authorities,
//! work items and task forms over Sluice's cases. See docs/dialects/questetra.md,
//! "Workflow API".

mod authorities;
mod criteria;
mod form_xml;
mod forms;
mod instances;
mod models;
mod render;
mod workitems;
mod xml;

use super::wire::{self, Caller};
use crate::AppState;
use axum::routing::{get, post, MethodRouter};
use axum::Router;
use sluice_store::questetra::Viewer;

/// A work item's id: one node of one case, `document id << 21 | the node's position in
/// its version` (stable, and below 2^53 for document ids below 2^32).
pub(crate) fn workitem_id(doc: i64, node_index: usize) -> i64 {
    (doc << 21) | node_index as i64
}

/// The case and the node position of a work item id (see [`workitem_id`]).
pub(crate) fn split_workitem_id(id: i64) -> (sluice_domain::DocId, usize) {
    (
        sluice_domain::DocId(id >> 21),
        (id & ((1 << 21) - 1)) as usize,
    )
}

/// Who reads, for the store.
pub(crate) fn viewer(caller: &Caller) -> Viewer {
    Viewer {
        user: caller.user_id(),
        admin: caller.is_admin(),
    }
}

pub(crate) fn router() -> Router<AppState> {
    let routes: Vec<(&str, MethodRouter<AppState>)> = vec![
        ("/API/OR/ProcessInstance/list", get(instances::list)),
        ("/API/OR/ProcessInstance/listCsv", get(instances::list_csv)),
        (
            "/API/OR/ProcessInstance/listCsvUtf16",
            get(instances::list_csv_utf16),
        ),
        ("/API/OR/ProcessInstance/view", get(instances::view)),
        ("/API/OR/ProcessInstance/stop", post(instances::stop)),
        ("/API/OR/ProcessInstance/delete", post(instances::delete)),
        (
            "/API/OR/ProcessInstance/{processInstanceId}/Star/add",
            post(instances::star_add),
        ),
        (
            "/API/OR/ProcessInstance/{processInstanceId}/Star/remove",
            post(instances::star_remove),
        ),
        (
            "/API/OR/ProcessInstance/File/download",
            get(instances::file_download),
        ),
        ("/API/PE/ProcessInstance/start", post(instances::start)),
        (
            "/API/PE/Workitem/listAllocated",
            get(workitems::list_allocated),
        ),
        ("/API/PE/Workitem/listOffered", get(workitems::list_offered)),
        (
            "/API/PE/Workitem/batchAccept",
            post(workitems::batch_accept),
        ),
        ("/API/PIM/Workitem/reallocate", post(workitems::reallocate)),
        ("/API/PE/Workitem/Form/viewXml", get(forms::view_xml)),
        ("/API/PE/Workitem/Form/save", post(forms::save)),
        ("/API/OR/Workitem/list", get(workitems::list)),
        ("/API/OR/Workitem/listCsv", get(workitems::list_csv)),
        (
            "/API/OR/Workitem/listCsvUtf16",
            get(workitems::list_csv_utf16),
        ),
        ("/API/OR/Workitem/Star/add", post(workitems::star_add)),
        ("/API/OR/Workitem/Star/remove", post(workitems::star_remove)),
        ("/API/Admin/ProcessModel/list", get(models::list_all)),
        (
            "/API/PE/ProcessModel/listStartable",
            get(models::list_startable),
        ),
        (
            "/API/PMM/ProcessModel/{processModelInfoId}/stop",
            post(models::stop),
        ),
        (
            "/API/PMM/ProcessModel/{processModelInfoId}/release",
            post(models::release),
        ),
        (
            "/API/Admin/ProcessAuthority/addToQuser",
            post(authorities::add_to_quser),
        ),
        (
            "/API/Admin/ProcessAuthority/addToQgroup",
            post(authorities::add_to_qgroup),
        ),
        (
            "/API/Admin/ProcessAuthority/addToQrole",
            post(authorities::add_to_qrole),
        ),
        (
            "/API/Admin/ProcessAuthority/delete",
            post(authorities::delete),
        ),
        ("/API/Admin/ProcessAuthority/list", get(authorities::list)),
    ];
    routes
        .into_iter()
        .fold(Router::new(), |router, (path, handler)| {
            router.route(path, handler.fallback(wire::method_not_allowed))
        })
}
