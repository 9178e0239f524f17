//! The desk's scorecards: a desk setting (JSON list), with the built-in
//! crypto card (`Scorecard::crypto_default`) present until an admin saves
//! a card with its id.

use crate::error::{ApiError, ApiResult};
use trustdesk_core::qa::{CRYPTO_DEFAULT_ID, Scorecard};
use trustdesk_core::{ScorecardId, Timestamp};
use trustdesk_store::Store;

const KEY: &str = "qa.scorecards";
/// Most cards a desk keeps.
pub const MAX_SCORECARDS: usize = 50;

pub async fn list(store: &dyn Store) -> ApiResult<Vec<Scorecard>> {
    let mut cards: Vec<Scorecard> = match store.get_setting(KEY).await? {
        None => Vec::new(),
        Some(json) => serde_json::from_str(&json).map_err(|e| {
            tracing::error!(error = %e, "stored scorecards unreadable");
            ApiError::Internal("stored scorecards unreadable".into())
        })?,
    };
    if !cards.iter().any(|c| c.id == CRYPTO_DEFAULT_ID) {
        cards.insert(0, Scorecard::crypto_default());
    }
    Ok(cards)
}

pub async fn get(store: &dyn Store, id: ScorecardId) -> ApiResult<Scorecard> {
    list(store)
        .await?
        .into_iter()
        .find(|c| c.id == id)
        .ok_or(ApiError::NotFound)
}

/// Saves `card` (new or replacing the one with its id) after checking it.
pub async fn save(store: &dyn Store, card: Scorecard, at: Timestamp) -> ApiResult<Scorecard> {
    card.validate()
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let mut cards = list(store).await?;
    match cards.iter_mut().find(|c| c.id == card.id) {
        Some(slot) => *slot = card.clone(),
        None => cards.push(card.clone()),
    }
    if cards.len() > MAX_SCORECARDS {
        return Err(ApiError::BadRequest(format!(
            "a desk keeps at most {MAX_SCORECARDS} scorecards"
        )));
    }
    let json = serde_json::to_string(&cards).map_err(|e| ApiError::Internal(e.to_string()))?;
    store.put_setting(KEY, &json, at).await?;
    Ok(card)
}
