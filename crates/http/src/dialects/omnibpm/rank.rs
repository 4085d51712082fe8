//! `rank/*`: job grades and their order.

use super::directory;
use super::render::{self, Dir};
use super::wire::{
    check_model, client_extra, ok, ok_with, present, OmniError, OmniResult, OrgCall, Ref,
};
use crate::AppState;
use axum::extract::State;
use serde::Deserialize;
use serde_json::Value;
use sluice_domain::{Error, RankId};

#[derive(Deserialize)]
#[serde(expecting = "a UserRank object")]
struct RankIn {
    #[serde(rename = "__model__")]
    model: Option<String>,
    #[serde(rename = "__id__", default, deserialize_with = "super::wire::opt_id")]
    id: Option<i64>,
    name: Option<String>,
    level: Option<i64>,
    #[serde(rename = "__client_extra__", default, deserialize_with = "present")]
    client_extra: Option<Option<Value>>,
}

impl RankIn {
    fn read(call: &OrgCall) -> Result<Self, OmniError> {
        let r: RankIn = call.body.required("rank")?;
        check_model(r.model.as_deref(), "UserRank")?;
        Ok(r)
    }

    fn id(&self) -> Result<RankId, OmniError> {
        self.id
            .map(RankId)
            .ok_or_else(|| OmniError::bad_request("rank.__id__ is required."))
    }
}

async fn reply(app: &AppState, call: &OrgCall, id: RankId) -> OmniResult {
    let (depts, ranks) = directory(app, &call.org).await?;
    let dir = Dir::new(&call.org, &depts, &ranks);
    let r = ranks
        .iter()
        .find(|r| r.id == id)
        .ok_or_else(|| Error::not_found("Rank", id))?;
    ok_with("rank", render::rank(&dir, r))
}

pub(super) async fn list(State(app): State<AppState>, call: OrgCall) -> OmniResult {
    let (depts, ranks) = directory(&app, &call.org).await?;
    let dir = Dir::new(&call.org, &depts, &ranks);
    let out: Vec<_> = ranks.iter().map(|r| render::rank(&dir, r)).collect();
    ok_with("ranks", out)
}

pub(super) async fn create(State(app): State<AppState>, call: OrgCall) -> OmniResult {
    let r = RankIn::read(&call)?;
    let name = r
        .name
        .ok_or_else(|| OmniError::bad_request("rank.name is required."))?;
    let level = r
        .level
        .ok_or_else(|| OmniError::bad_request("rank.level is required."))?;
    let extra = client_extra(r.client_extra.flatten())?;
    let rank = app
        .store
        .create_rank(call.org.id, &name, level, extra)
        .await?;
    reply(&app, &call, rank.id).await
}

pub(super) async fn inactivate(State(app): State<AppState>, call: OrgCall) -> OmniResult {
    let id = RankIn::read(&call)?.id()?;
    app.store.set_rank_active(call.org.id, id, false).await?;
    ok()
}

pub(super) async fn activate(State(app): State<AppState>, call: OrgCall) -> OmniResult {
    let id = RankIn::read(&call)?.id()?;
    app.store.set_rank_active(call.org.id, id, true).await?;
    ok()
}

pub(super) async fn update(State(app): State<AppState>, call: OrgCall) -> OmniResult {
    let r = RankIn::read(&call)?;
    let id = r.id()?;
    if let Some(level) = r.level {
        if app.store.rank(call.org.id, id).await?.level != level {
            return Err(OmniError::bad_request(
                "rank/update cannot change the level; use rank/order.",
            ));
        }
    }
    let extra = r.client_extra.map(client_extra).transpose()?;
    app.store
        .update_rank(call.org.id, id, r.name, extra)
        .await?;
    reply(&app, &call, id).await
}

pub(super) async fn delete(State(app): State<AppState>, call: OrgCall) -> OmniResult {
    let id = RankIn::read(&call)?.id()?;
    app.store.delete_rank(call.org.id, id).await?;
    ok()
}

pub(super) async fn order(State(app): State<AppState>, call: OrgCall) -> OmniResult {
    let refs: Vec<Ref> = call.body.required("rank_order")?;
    let ids = refs
        .iter()
        .map(|r| r.id_of("UserRank").map(RankId))
        .collect::<Result<Vec<_>, _>>()?;
    app.store.order_ranks(call.org.id, &ids).await?;
    ok()
}
