//! The Questetra dialect (`/API/...`): users, organization units, roles, memberships and
//! system privileges over Sluice's identity model. See docs/dialects/questetra.md.
//! Each family of endpoints has its own module; later families (`/System/...`,
//! `/API/OR/...`) add theirs.

mod events;
mod membership;
mod qgroup;
mod qrole;
mod quser;
mod render;
mod role_membership;
mod system_authority;
mod wire;
mod workflow;

use crate::AppState;
use axum::routing::{get, post, MethodRouter};
use axum::Router;

/// Every Questetra endpoint, with its full path. Retrievals are GET, updates POST; another
/// method answers 405 in the Questetra error form.
pub(crate) fn router() -> Router<AppState> {
    let routes: Vec<(&str, MethodRouter<AppState>)> = vec![
        ("/API/UGA/Quser/add", post(quser::add)),
        ("/API/UGA/Quser/update", post(quser::update)),
        ("/API/UGA/Quser/delete", post(quser::delete)),
        ("/API/User/Quser/find", get(quser::find)),
        ("/API/User/Quser/self", get(quser::me)),
        ("/API/User/Quser/list", get(quser::list)),
        ("/API/UGA/Qgroup/add", post(qgroup::add)),
        ("/API/UGA/Qgroup/update", post(qgroup::update)),
        ("/API/UGA/Qgroup/delete", post(qgroup::delete)),
        ("/API/User/Qgroup/find", get(qgroup::find)),
        ("/API/User/Qgroup/list", get(qgroup::list)),
        ("/API/UGA/Qrole/add", post(qrole::add)),
        ("/API/UGA/Qrole/update", post(qrole::update)),
        ("/API/UGA/Qrole/delete", post(qrole::delete)),
        ("/API/User/Qrole/find", get(qrole::find)),
        ("/API/User/Qrole/list", get(qrole::list)),
        ("/API/UGA/Membership/add", post(membership::add)),
        ("/API/UGA/Membership/update", post(membership::update)),
        ("/API/UGA/Membership/delete", post(membership::delete)),
        (
            "/API/User/Membership/listByQgroup",
            get(membership::list_by_qgroup),
        ),
        (
            "/API/User/Membership/listByQuser",
            get(membership::list_by_quser),
        ),
        ("/API/UGA/RoleMembership/add", post(role_membership::add)),
        (
            "/API/UGA/RoleMembership/delete",
            post(role_membership::delete),
        ),
        (
            "/API/User/RoleMembership/listByQrole",
            get(role_membership::list_by_qrole),
        ),
        (
            "/API/User/RoleMembership/listByQuser",
            get(role_membership::list_by_quser),
        ),
        ("/API/User/RoleMembership/list", get(role_membership::list)),
        (
            "/API/Admin/SystemAuthority/addToQuser",
            post(system_authority::add_to_quser),
        ),
        (
            "/API/Admin/SystemAuthority/addToQgroup",
            post(system_authority::add_to_qgroup),
        ),
        (
            "/API/Admin/SystemAuthority/addToQrole",
            post(system_authority::add_to_qrole),
        ),
        (
            "/API/Admin/SystemAuthority/delete",
            post(system_authority::delete),
        ),
        (
            "/API/Admin/SystemAuthority/list",
            get(system_authority::list),
        ),
        ("/API/User/SystemAuthority/self", get(system_authority::me)),
    ];
    routes
        .into_iter()
        .fold(Router::new(), |router, (path, handler)| {
            router.route(path, handler.fallback(wire::method_not_allowed))
        })
        .merge(events::router())
        .merge(workflow::router())
}
