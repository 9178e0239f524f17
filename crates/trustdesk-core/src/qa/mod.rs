//! Quality assurance: reviewing how agents served conversations, the way
//! Zendesk QA or Klaus do, with the rules a crypto help desk cannot leave
//! to chance (never ask for a secret, verify before changing an account,
//! escalate security cases) as critical categories.
//!
//! Pure like the rest of the core: the server stores scorecards and
//! reviews, reads the facts and events, and passes a seed for the draw;
//! nothing here does IO, reads a clock or a randomness source. Every
//! definition is published in `docs/qa.md`, and the tests check the numbers
//! that document promises.
//!
//! - [`Scorecard`] (scorecard.rs): categories, weights, scales, critical
//!   flags, the pass mark, and [`Scorecard::validate`];
//!   [`Scorecard::crypto_default`] (crypto_card.rs) is the built-in card,
//!   its keys in [`keys`].
//! - [`Rating`] (rating.rs) and [`score`] (review.rs): a reviewer's
//!   ratings turned into a [`ReviewScore`] (weighted percentage, critical
//!   failures, pass or fail).
//! - [`sample`] (sample.rs): which conversations each agent gets reviewed
//!   on: flagged ones first, then a seeded random draw.
//! - [`prechecks`] (prechecks.rs): findings trustdesk already has (guard
//!   hits and overrides, SLA breaches, low CSAT, reopens), each suggesting
//!   a category.
//! - [`agent_scores`] (agent_score.rs): mean, pass rate and critical fails
//!   per agent.

mod agent_score;
mod crypto_card;
pub mod keys;
mod prechecks;
mod rating;
mod review;
mod rng;
mod sample;
mod scorecard;

#[cfg(test)]
mod prechecks_tests;
#[cfg(test)]
mod review_tests;
#[cfg(test)]
mod sample_tests;
#[cfg(test)]
mod scorecard_tests;

pub use agent_score::{AgentQa, agent_scores};
pub use crypto_card::{CRYPTO_DEFAULT_ID, CRYPTO_DEFAULT_THRESHOLD_PCT};
pub use prechecks::{Finding, FindingKind, guard_hits, prechecks};
pub use rating::{Rating, RatingValue};
pub use review::{Review, ReviewError, ReviewScore, score};
pub use sample::{
    AgentSample, Candidate, DEFAULT_LOW_CSAT_AT_MOST, Pick, Reason, SamplePlan, Why, sample,
};
pub use scorecard::{
    MAX_CATEGORIES, MAX_DESCRIPTION_CHARS, MAX_KEY_CHARS, MAX_LABEL_CHARS, Scale, ScoreCategory,
    Scorecard, ScorecardError,
};
