//! Execution options of a process version: `PUT /asset/api/v1/objects/process/targetBot`
//! sets the default bot selection of jobs run without one, and the input expressions.

use super::asset_wire::{json_body, lenient_i64, lenient_string};
use super::{BrityError, Caller};
use crate::AppState;
use axum::body::Body;
use axum::extract::State;
use axum::routing::put;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use sluice_store::rpa::process_versions::TargetBot;

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/asset/api/v1/objects/process/targetBot", put(target_bot))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Body_ {
    id: String,
    #[serde(default, deserialize_with = "lenient_string")]
    version: Option<String>,
    #[serde(default, deserialize_with = "lenient_i64")]
    select_bot_type: Option<i64>,
    #[serde(default, deserialize_with = "lenient_string")]
    bot_id: Option<String>,
    #[serde(default)]
    inputs: Option<Map<String, Value>>,
}

/// The spec's example sends `selectBotType` 1 with a bot id, while the job API numbers
/// 1 as "all bots": 1 with a bot id means that bot, 1 without one all bots; 2 is a bot
/// group, 3 a bot (docs/dialects/brity.md).
fn selection(select: Option<i64>, bot: Option<&str>) -> Result<(i64, Option<String>), BrityError> {
    let bot = bot.map(str::trim).filter(|b| !b.is_empty());
    match (select.unwrap_or(1), bot) {
        (1, None) => Ok((1, None)),
        (1, Some(b)) | (3, Some(b)) => Ok((3, Some(b.to_string()))),
        (2, Some(g)) => Ok((2, Some(g.to_string()))),
        (2 | 3, None) => Err(BrityError::invalid(
            "botId is required for selectBotType 2 (bot group) and 3 (bot).",
        )),
        (other, _) => Err(BrityError::invalid(format!(
            "selectBotType {other} is not 1 (all), 2 (bot group) or 3 (bot)."
        ))),
    }
}

async fn target_bot(
    State(state): State<AppState>,
    Caller(caller): Caller,
    body: Body,
) -> Result<Json<Value>, BrityError> {
    let b: Body_ = json_body(body).await?;
    let (select_type, target) = selection(b.select_bot_type, b.bot_id.as_deref())?;
    let options = TargetBot {
        version: b
            .version
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty()),
        select_type,
        target,
        inputs: b.inputs,
    };
    state
        .store
        .set_target_bot(&caller, b.id.trim(), &options)
        .await?;
    Ok(Json(json!({"result": "success"})))
}

#[cfg(test)]
mod tests {
    use super::selection;

    #[test]
    fn bot_selection_reads_both_numberings() {
        assert_eq!(
            selection(Some(1), Some("BOT-00005")).unwrap(),
            (3, Some("BOT-00005".into()))
        );
        assert_eq!(selection(Some(1), Some("")).unwrap(), (1, None));
        assert_eq!(selection(None, None).unwrap(), (1, None));
        assert_eq!(
            selection(Some(2), Some("12")).unwrap(),
            (2, Some("12".into()))
        );
        assert!(selection(Some(3), None).is_err());
        assert!(selection(Some(7), None).is_err());
    }
}
