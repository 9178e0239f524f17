//! Conversation labels: short tags like `vip` or `security-night`.
//!
//! Labels are set by hand by agents and by automation rules, filtered on in
//! the inbox and matched by rule conditions, so one spelling must mean one
//! label: a label is a lowercase ASCII slug (`a-z`, `0-9`, single hyphens
//! between them), 1–40 characters. Nothing is normalised here: `VIP` is
//! refused, not turned into `vip`, so that what an admin typed and what is
//! stored never differ silently (a UI may lowercase before sending).
//!
//! The field is private and the JSON form goes through [`Label::parse`], so
//! a [`Label`] that exists is valid.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Longest label, in characters.
pub const MAX_LABEL_CHARS: usize = 40;

/// A valid label (see the module doc). Serialised as its text.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Label(String);

/// Why a text is not a label. The text is safe to show to the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LabelError {
    #[error("a label must not be empty")]
    Empty,
    #[error("a label is at most {max} characters")]
    TooLong { max: usize },
    #[error(
        "label {0:?} is not a lowercase slug (a-z, 0-9 and single hyphens between them, e.g. \"security-night\")"
    )]
    NotASlug(String),
}

impl Label {
    /// Checks `text` and makes it a label.
    pub fn parse(text: &str) -> Result<Self, LabelError> {
        if text.is_empty() {
            return Err(LabelError::Empty);
        }
        if text.chars().count() > MAX_LABEL_CHARS {
            return Err(LabelError::TooLong {
                max: MAX_LABEL_CHARS,
            });
        }
        let slug_char = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
        let ok = text
            .split('-')
            .all(|part| !part.is_empty() && part.bytes().all(slug_char));
        if !ok {
            return Err(LabelError::NotASlug(text.to_owned()));
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Label {
    type Error = LabelError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Label::parse(&s)
    }
}

impl From<Label> for String {
    fn from(l: Label) -> String {
        l.0
    }
}

impl FromStr for Label {
    type Err = LabelError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Label::parse(s)
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Label {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_labels() {
        for ok in ["vip", "security-night", "l2", "2fa-reset", &"a".repeat(40)] {
            assert_eq!(Label::parse(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn everything_else_is_refused_with_a_reason() {
        assert_eq!(Label::parse(""), Err(LabelError::Empty));
        assert_eq!(
            Label::parse(&"a".repeat(41)),
            Err(LabelError::TooLong { max: 40 })
        );
        for bad in [
            "VIP",
            "vip ",
            " vip",
            "-vip",
            "vip-",
            "a--b",
            "a_b",
            "安全",
            "vip!",
            "ｖｉｐ",
        ] {
            assert!(
                matches!(Label::parse(bad), Err(LabelError::NotASlug(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn json_is_the_text_and_refuses_bad_labels() {
        let l = Label::parse("vip").unwrap();
        assert_eq!(serde_json::to_string(&l).unwrap(), "\"vip\"");
        assert_eq!(serde_json::from_str::<Label>("\"vip\"").unwrap(), l);
        let err = serde_json::from_str::<Label>("\"Vip\"").unwrap_err();
        assert!(err.to_string().contains("lowercase slug"), "{err}");
    }
}
