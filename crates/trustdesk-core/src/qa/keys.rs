//! The category keys of the built-in card ([`super::Scorecard::crypto_default`]).
//!
//! Pre-checks suggest categories by these keys, so they are named once
//! here and the card and the pre-checks cannot drift apart. A custom card
//! that reuses a key gets the suggestions too; one that does not simply
//! gets none (see [`super::Finding::suggestion_on`]).

/// Never asked for a seed phrase, private key, password or 2FA code.
pub const NEVER_ASKED_FOR_SECRET: &str = "never_asked_for_secret";
/// Identity verified before any change to the account.
pub const IDENTITY_VERIFIED: &str = "identity_verified";
/// A security case went to the security team the right way.
pub const SECURITY_ESCALATION: &str = "security_escalation";
pub const ACCURACY: &str = "accuracy";
pub const RESOLUTION: &str = "resolution";
pub const KNOWLEDGE_BASE: &str = "knowledge_base";
pub const TONE: &str = "tone";
pub const TIMELINESS: &str = "timeliness";
