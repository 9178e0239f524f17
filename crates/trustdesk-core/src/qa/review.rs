//! Scoring one review: a reviewer's ratings against a scorecard.
//!
//! The definitions (published in `docs/qa.md`):
//!
//! - each rated category earns a share between 0 and 1: a 1–5 score `v`
//!   earns `(v − 1) / 4` (1 → 0, 3 → 0.5, 5 → 1), pass earns 1, fail 0;
//! - the percentage is `100 × Σ weight × share / Σ weight` over the rated
//!   categories; a category rated *not applicable* is left out of both
//!   sums, so it neither helps nor hurts;
//! - a **critical failure** is a critical category rated *fail*, or rated
//!   *1* when it is on the 1–5 scale (the lowest score is the reviewer
//!   saying the rule was broken; 2 and above only lower the percentage).
//!   *Not applicable* on a critical category is not a failure;
//! - the review **passes** when no critical category failed and the
//!   percentage is at least the card's pass threshold. A critical failure
//!   fails the review even at 95%; its percentage is still computed and
//!   reported, so coaching sees both.
//!
//! The sums are kept in integers (four times the shares, so a 1–5 score
//! adds `weight × (v − 1)` and a pass `weight × 4`) and the threshold is
//! compared in integers too, so a review exactly at the pass mark passes
//! without floating-point doubt; the percentage is one division at the end.

use super::rating::{Rating, RatingValue};
use super::scorecard::{Scale, Scorecard, ScorecardError};
use crate::ids::{AgentId, ConversationId, ReviewId, ScorecardId};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// A reviewer's review of one conversation, as the store keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    pub id: ReviewId,
    pub scorecard_id: ScorecardId,
    pub conversation_id: ConversationId,
    /// The agent whose work is reviewed.
    pub agent: AgentId,
    pub reviewer: AgentId,
    /// One per category of the card, in any order.
    pub ratings: Vec<Rating>,
    /// Feedback for the agent (team-internal, never shown to the customer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    pub at: Timestamp,
}

impl Review {
    /// Scores this review on `card`, which must be the card it was made on.
    pub fn score(&self, card: &Scorecard) -> Result<ReviewScore, ReviewError> {
        if self.scorecard_id != card.id {
            return Err(ReviewError::WrongScorecard);
        }
        score(card, &self.ratings)
    }
}

/// The outcome of one review.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReviewScore {
    /// 0 to 100, unrounded (rounding is the presentation's job).
    pub percent: f64,
    /// At or above the pass threshold and no critical failure.
    pub passed: bool,
    /// The keys of the critical categories that failed, in card order.
    pub critical_failed: Vec<String>,
}

/// Why a set of ratings cannot be scored on a card.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReviewError {
    #[error("the scorecard is not valid: {0}")]
    InvalidScorecard(#[from] ScorecardError),
    #[error("the review was made on another scorecard")]
    WrongScorecard,
    #[error("no category {key:?} on this scorecard")]
    UnknownKey { key: String },
    #[error("category {key:?} is rated twice")]
    DuplicateRating { key: String },
    #[error("category {key:?} is not rated; rate it or mark it not applicable")]
    Missing { key: String },
    #[error("category {key:?} is rated {value}; scores go from 1 to 5")]
    ScoreOutOfRange { key: String, value: u8 },
    #[error("category {key:?} is rated on the {scale} scale; that rating does not fit it")]
    WrongScale { key: String, scale: Scale },
    #[error("every category is marked not applicable; there is nothing to score")]
    AllNotApplicable,
}

/// Scores `ratings` on `card` (definitions in the module doc).
///
/// Errors are reported in a fixed order: the card itself, then each
/// rating in the order given (unknown key, rated twice, value off its
/// scale), then the first category of the card left unrated.
pub fn score(card: &Scorecard, ratings: &[Rating]) -> Result<ReviewScore, ReviewError> {
    card.validate()?;
    let mut by_key: HashMap<&str, RatingValue> = HashMap::with_capacity(ratings.len());
    for r in ratings {
        let key = || r.key.clone();
        let category = card
            .category(&r.key)
            .ok_or_else(|| ReviewError::UnknownKey { key: key() })?;
        if by_key.insert(r.key.as_str(), r.value).is_some() {
            return Err(ReviewError::DuplicateRating { key: key() });
        }
        match (category.scale, r.value) {
            (_, RatingValue::NotApplicable)
            | (Scale::PassFail, RatingValue::Pass | RatingValue::Fail) => {}
            (Scale::OneToFive, RatingValue::Score(v)) if !(1..=5).contains(&v) => {
                return Err(ReviewError::ScoreOutOfRange {
                    key: key(),
                    value: v,
                });
            }
            (Scale::OneToFive, RatingValue::Score(_)) => {}
            (scale, _) => return Err(ReviewError::WrongScale { key: key(), scale }),
        }
    }

    // Four times the earned and the possible points: integers, exact.
    let (mut earned, mut possible) = (0u64, 0u64);
    let mut critical_failed = Vec::new();
    for c in &card.categories {
        let value = *by_key
            .get(c.key.as_str())
            .ok_or_else(|| ReviewError::Missing { key: c.key.clone() })?;
        let quarters = match value {
            RatingValue::NotApplicable => continue,
            RatingValue::Score(v) => u64::from(v - 1),
            RatingValue::Pass => 4,
            RatingValue::Fail => 0,
        };
        let weight = u64::from(c.weight);
        earned += weight * quarters;
        possible += weight * 4;
        if c.critical && matches!(value, RatingValue::Fail | RatingValue::Score(1)) {
            critical_failed.push(c.key.clone());
        }
    }
    if possible == 0 {
        return Err(ReviewError::AllNotApplicable);
    }
    let percent = (earned as f64) * 100.0 / (possible as f64);
    let at_threshold = earned * 100 >= u64::from(card.pass_threshold_pct) * possible;
    Ok(ReviewScore {
        percent,
        passed: at_threshold && critical_failed.is_empty(),
        critical_failed,
    })
}
