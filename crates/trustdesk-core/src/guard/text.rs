//! [`GuardedText`]: text that has been through the secret guard.
//!
//! Every free-text field a customer or a channel supplies (a conversation's
//! subject, the customer's name and email, …) is stored as this type, and
//! the store's write types require it, so a raw string cannot reach the
//! database by forgetting a call: the only ways to make one are
//! [`GuardedText::screen`] (runs the guard), deserialising (which runs it
//! too, so a value arriving over the bus or in a request is screened), and
//! [`GuardedText::from_storage`] for rows a store reads back, which only
//! ever held guarded text.

use super::{SecretKind, guard};
use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;

/// Text with every secret the guard finds replaced by its marker.
#[derive(Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct GuardedText(String);

/// The outcome of [`GuardedText::screen`]: the safe text and what was
/// removed from it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Screened {
    pub text: GuardedText,
    /// The kinds of secret that were replaced (empty when none was).
    pub removed: Vec<SecretKind>,
    /// Something looked like a secret but was not certain enough to
    /// replace (the guard's `Warn`): the text is kept, the writer warned.
    pub possible_secret: bool,
}

impl GuardedText {
    /// Runs the secret guard over `raw` and keeps the redacted text.
    pub fn screen(raw: &str) -> Screened {
        let result = guard(raw);
        let mut removed: Vec<SecretKind> = result
            .findings
            .iter()
            .filter(|f| f.action == super::GuardAction::Redact)
            .map(|f| f.kind)
            .collect();
        removed.sort();
        removed.dedup();
        let possible_secret = result
            .findings
            .iter()
            .any(|f| f.action == super::GuardAction::Warn);
        Screened {
            text: GuardedText(result.redacted),
            removed,
            possible_secret,
        }
    }

    /// Runs the guard over `raw` and keeps only the safe text, for callers
    /// that do not need to know what was removed.
    pub fn new(raw: &str) -> Self {
        Self::screen(raw).text
    }

    /// Text a store reads back from a column it only ever wrote guarded
    /// text to. Not for anything that came from outside the store.
    pub fn from_storage(stored: String) -> Self {
        GuardedText(stored)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl<'de> Deserialize<'de> for GuardedText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Ok(GuardedText::new(&raw))
    }
}

impl std::ops::Deref for GuardedText {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for GuardedText {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for GuardedText {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for GuardedText {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl fmt::Display for GuardedText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for GuardedText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &str = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
    const WIF: &str = "5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvyTJ";

    #[test]
    fn screening_removes_secrets_and_says_which() {
        let s = GuardedText::screen(&format!("help {SEED} and {WIF}"));
        assert!(!s.text.contains("abandon"), "{}", s.text);
        assert!(!s.text.contains(WIF), "{}", s.text);
        assert!(s.removed.contains(&SecretKind::SeedPhrase));
        assert!(s.removed.contains(&SecretKind::PrivateKey));
        let plain = GuardedText::screen("USDT withdrawal pending");
        assert_eq!(plain.text, "USDT withdrawal pending");
        assert!(plain.removed.is_empty());
    }

    #[test]
    fn deserialising_screens_so_no_raw_text_gets_in_that_way() {
        let json = serde_json::to_string(&format!("name {WIF}")).unwrap();
        let text: GuardedText = serde_json::from_str(&json).unwrap();
        assert!(!text.contains(WIF), "{text}");
        // and a guarded value survives the round trip unchanged
        let again: GuardedText =
            serde_json::from_str(&serde_json::to_string(&text).unwrap()).unwrap();
        assert_eq!(again, text);
    }

    #[test]
    fn screening_is_idempotent() {
        let once = GuardedText::new(&format!("help {SEED} please"));
        let twice = GuardedText::screen(once.as_str()).text;
        assert_eq!(once, twice);
    }
}
