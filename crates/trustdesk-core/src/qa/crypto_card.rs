//! The built-in scorecard for a crypto exchange's help desk.
//!
//! Three rules are critical because breaking them can cost a customer
//! their funds however polite the rest of the conversation was: asking for
//! a secret, changing an account without verifying who asks, and handling
//! a security case outside the security process. The rest is the usual
//! service quality, weighted so that being right and solving the problem
//! count more than style. Labels are short, plain English (no idioms) so
//! they read well to agents for whom English is a second language and
//! translate cleanly.

use super::keys;
use super::scorecard::{Scale, ScoreCategory, Scorecard};
use crate::ids::ScorecardId;
use uuid::Uuid;

/// The built-in card's id: fixed, so every installation names it the same
/// and the store can insert it once and find it again.
pub const CRYPTO_DEFAULT_ID: ScorecardId =
    ScorecardId(Uuid::from_u128(0x7d0c_6a3e_5b1f_4c2a_9e8d_1f00_0000_0001));

/// The built-in card's pass mark.
pub const CRYPTO_DEFAULT_THRESHOLD_PCT: u8 = 80;

fn category(
    key: &str,
    label: &str,
    weight: u32,
    scale: Scale,
    critical: bool,
    description: &str,
) -> ScoreCategory {
    ScoreCategory {
        key: key.into(),
        label: label.into(),
        weight,
        scale,
        critical,
        description: description.into(),
    }
}

impl Scorecard {
    /// The built-in card: three critical pass/fail rules and five 1–5
    /// service categories (weights 3, 3, 3, 3, 3, 2, 2, 1; pass mark 80%).
    pub fn crypto_default() -> Self {
        use Scale::*;
        Scorecard {
            id: CRYPTO_DEFAULT_ID,
            name: "Crypto support (default)".into(),
            categories: vec![
                category(
                    keys::NEVER_ASKED_FOR_SECRET,
                    "Never asked for a secret",
                    3,
                    PassFail,
                    true,
                    "Fail if the agent asked the customer for a seed phrase (recovery words), \
                     a private key, a password or a 2FA, SMS or email code, or asked them to \
                     type one anywhere, even once. If the customer shared one, the agent told \
                     them it is unsafe and what to do next.",
                ),
                category(
                    keys::IDENTITY_VERIFIED,
                    "Identity verified before account changes",
                    3,
                    PassFail,
                    true,
                    "Fail if the agent changed the account (email, phone, 2FA, withdrawal \
                     address, limits, unlock) before the customer's identity was verified \
                     through the official process. Not applicable if nothing was changed.",
                ),
                category(
                    keys::SECURITY_ESCALATION,
                    "Security case escalated correctly",
                    3,
                    PassFail,
                    true,
                    "Fail if a possible account takeover, phishing, scam or theft was not \
                     sent to the security team, or the freeze was not offered while funds \
                     were at risk. Not applicable if there was no security case.",
                ),
                category(
                    keys::ACCURACY,
                    "Correct information",
                    3,
                    OneToFive,
                    false,
                    "Facts, fees, limits, networks and steps were correct. 1: wrong in a way \
                     that could lose the customer money. 5: fully correct and complete.",
                ),
                category(
                    keys::RESOLUTION,
                    "Problem solved",
                    3,
                    OneToFive,
                    false,
                    "The request was solved, or the customer knows the next step, who owns \
                     it and when they will hear back. 1: left without an answer. 5: solved \
                     in this conversation.",
                ),
                category(
                    keys::KNOWLEDGE_BASE,
                    "Followed the knowledge base",
                    2,
                    OneToFive,
                    false,
                    "The answer matched the published articles and procedures, and linked \
                     the right article where one exists. 1: contradicted them.",
                ),
                category(
                    keys::TONE,
                    "Clear and polite",
                    2,
                    OneToFive,
                    false,
                    "Polite, calm, short sentences, plain words, no slang; in the customer's \
                     language. 1: rude or confusing. 5: clear and kind.",
                ),
                category(
                    keys::TIMELINESS,
                    "Replied on time",
                    1,
                    OneToFive,
                    false,
                    "Replies came within the service targets and the customer was told when \
                     something would take longer. 1: long silences with no update.",
                ),
            ],
            pass_threshold_pct: CRYPTO_DEFAULT_THRESHOLD_PCT,
        }
    }
}
