//! One rating a reviewer gives one category, and its JSON form.
//!
//! On the wire a value is what the reviewer picked, with no wrapper: a
//! number for a 1–5 score, a word otherwise:
//! `{"key":"tone","value":4}`, `{"key":"never_asked_for_secret","value":"pass"}`,
//! `{"key":"identity_verified","value":"not_applicable"}`. Whether the value
//! fits the category's scale is checked by scoring, which knows the card.

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// What a reviewer gave one category.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RatingValue {
    /// 1 (poor) to 5 (excellent), on a 1–5 category.
    Score(u8),
    /// On a pass/fail category.
    Pass,
    /// On a pass/fail category.
    Fail,
    /// The category did not apply to this conversation (no account change
    /// was made, there was no security case): it counts neither way.
    NotApplicable,
}

/// A rating of the category named by `key`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rating {
    pub key: String,
    pub value: RatingValue,
}

impl Rating {
    pub fn new(key: impl Into<String>, value: RatingValue) -> Self {
        Self {
            key: key.into(),
            value,
        }
    }
}

const PASS: &str = "pass";
const FAIL: &str = "fail";
const NOT_APPLICABLE: &str = "not_applicable";

impl Serialize for RatingValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            RatingValue::Score(v) => s.serialize_u8(*v),
            RatingValue::Pass => s.serialize_str(PASS),
            RatingValue::Fail => s.serialize_str(FAIL),
            RatingValue::NotApplicable => s.serialize_str(NOT_APPLICABLE),
        }
    }
}

impl<'de> Deserialize<'de> for RatingValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl Visitor<'_> for ValueVisitor {
    type Value = RatingValue;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a score from 1 to 5, or \"pass\", \"fail\" or \"not_applicable\"")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<RatingValue, E> {
        match v {
            1..=5 => Ok(RatingValue::Score(v as u8)),
            _ => Err(E::invalid_value(de::Unexpected::Unsigned(v), &self)),
        }
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<RatingValue, E> {
        match u64::try_from(v) {
            Ok(v) => self.visit_u64(v),
            Err(_) => Err(E::invalid_value(de::Unexpected::Signed(v), &self)),
        }
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<RatingValue, E> {
        match v {
            PASS => Ok(RatingValue::Pass),
            FAIL => Ok(RatingValue::Fail),
            NOT_APPLICABLE => Ok(RatingValue::NotApplicable),
            _ => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
        }
    }
}
