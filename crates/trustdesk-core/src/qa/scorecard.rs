//! A scorecard: the categories a reviewer rates a conversation on, their
//! weights and scales, which of them are critical, and the pass mark.
//!
//! A card is plain data an admin edits, so it can be wrong in ways the
//! scoring must not have to guess about (two categories with one key, a
//! weight of zero that would divide by zero). [`Scorecard::validate`]
//! refuses those up front with a message an admin can act on; scoring
//! validates the card again before it trusts it.

use crate::ids::ScorecardId;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::fmt;

/// At most this many categories per card: a review a person fills in for
/// each sampled conversation has to stay short.
pub const MAX_CATEGORIES: usize = 30;
/// Longest category key, in characters.
pub const MAX_KEY_CHARS: usize = 48;
/// Longest card name or category label, in characters (Chinese labels
/// count one per character, not per byte).
pub const MAX_LABEL_CHARS: usize = 80;
/// Longest category description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 1000;

/// How a category is rated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scale {
    /// A score from 1 (poor) to 5 (excellent).
    OneToFive,
    /// Pass or fail: for rules that are either kept or broken.
    PassFail,
}

impl fmt::Display for Scale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Scale::OneToFive => "1 to 5",
            Scale::PassFail => "pass/fail",
        })
    }
}

/// One thing a reviewer rates.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScoreCategory {
    /// Stable machine name (`accuracy`, `never_asked_for_secret`): ratings,
    /// pre-check suggestions and exports refer to the category by it, so
    /// a label can be reworded without breaking past reviews.
    pub key: String,
    /// What the reviewer sees.
    pub label: String,
    /// The category's share of the percentage, relative to the others.
    pub weight: u32,
    pub scale: Scale,
    /// A failed critical category fails the whole review, whatever the
    /// percentage (see `qa::score`).
    #[serde(default)]
    pub critical: bool,
    /// What a good and a bad rating mean, for the reviewer.
    #[serde(default)]
    pub description: String,
}

/// The categories reviews are scored on, and the pass mark.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scorecard {
    pub id: ScorecardId,
    pub name: String,
    /// In the order the reviewer sees them.
    pub categories: Vec<ScoreCategory>,
    /// A review passes at this percentage or above (0–100), unless a
    /// critical category failed.
    pub pass_threshold_pct: u8,
}

/// Why a scorecard cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ScorecardError {
    #[error("scorecard name is empty")]
    EmptyName,
    #[error("scorecard name is longer than {MAX_LABEL_CHARS} characters")]
    NameTooLong,
    #[error("scorecard has no categories; add at least one")]
    NoCategories,
    #[error("scorecard has {count} categories; at most {MAX_CATEGORIES} are allowed")]
    TooManyCategories { count: usize },
    #[error(
        "category key {key:?} is not valid: use 1 to {MAX_KEY_CHARS} lowercase letters, digits and '_', starting with a letter"
    )]
    BadKey { key: String },
    #[error("category key {key:?} is used twice; keys must be unique")]
    DuplicateKey { key: String },
    #[error("category {key:?} has an empty label")]
    EmptyLabel { key: String },
    #[error("category {key:?} has a label longer than {MAX_LABEL_CHARS} characters")]
    LabelTooLong { key: String },
    #[error("category {key:?} has a description longer than {MAX_DESCRIPTION_CHARS} characters")]
    DescriptionTooLong { key: String },
    #[error("category {key:?} has weight 0; weights start at 1")]
    ZeroWeight { key: String },
    #[error("pass threshold is {pct}%; it must be between 0 and 100")]
    ThresholdOver100 { pct: u8 },
}

impl Scorecard {
    /// Checks everything scoring relies on. The first problem found is
    /// returned: the card-level ones first, then each category in order.
    pub fn validate(&self) -> Result<(), ScorecardError> {
        if self.name.trim().is_empty() {
            return Err(ScorecardError::EmptyName);
        }
        if self.name.chars().count() > MAX_LABEL_CHARS {
            return Err(ScorecardError::NameTooLong);
        }
        if self.pass_threshold_pct > 100 {
            return Err(ScorecardError::ThresholdOver100 {
                pct: self.pass_threshold_pct,
            });
        }
        if self.categories.is_empty() {
            return Err(ScorecardError::NoCategories);
        }
        if self.categories.len() > MAX_CATEGORIES {
            return Err(ScorecardError::TooManyCategories {
                count: self.categories.len(),
            });
        }
        let mut seen = HashSet::new();
        for c in &self.categories {
            let key = || c.key.clone();
            if !is_valid_key(&c.key) {
                return Err(ScorecardError::BadKey { key: key() });
            }
            if !seen.insert(c.key.as_str()) {
                return Err(ScorecardError::DuplicateKey { key: key() });
            }
            if c.label.trim().is_empty() {
                return Err(ScorecardError::EmptyLabel { key: key() });
            }
            if c.label.chars().count() > MAX_LABEL_CHARS {
                return Err(ScorecardError::LabelTooLong { key: key() });
            }
            if c.description.chars().count() > MAX_DESCRIPTION_CHARS {
                return Err(ScorecardError::DescriptionTooLong { key: key() });
            }
            if c.weight == 0 {
                return Err(ScorecardError::ZeroWeight { key: key() });
            }
        }
        Ok(())
    }

    /// The category with this key.
    pub fn category(&self, key: &str) -> Option<&ScoreCategory> {
        self.categories.iter().find(|c| c.key == key)
    }
}

/// A key is a slug: `[a-z][a-z0-9_]*`, at most [`MAX_KEY_CHARS`] long.
/// ASCII only, so it reads the same in every export and URL.
fn is_valid_key(key: &str) -> bool {
    let mut chars = key.chars();
    matches!(chars.next(), Some('a'..='z'))
        && key.len() <= MAX_KEY_CHARS
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_'))
}
