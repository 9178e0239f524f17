//! Outbound webhooks to the Standard Webhooks scheme
//! (<https://www.standardwebhooks.com>): the signer and its secrets here,
//! the retry schedule in [`retry`], the event types and their payloads in
//! [`events`]. Pure code: the server's sender and worker do the IO.
//!
//! A message is signed over `"{webhook-id}.{webhook-timestamp}.{body}"` with
//! HMAC-SHA256; the `webhook-signature` header holds `v1,<base64 MAC>`, one
//! per active secret, separated by spaces (two during a rotation).

pub mod events;
pub mod retry;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The prefix of a secret's text form.
pub const SECRET_PREFIX: &str = "whsec_";

/// The shortest and longest key the spec allows (in bytes).
pub const KEY_BYTES: std::ops::RangeInclusive<usize> = 24..=64;

/// How far a receiver should accept a `webhook-timestamp` from its own
/// clock (the spec's recommendation), in seconds.
pub const TIMESTAMP_TOLERANCE_SECS: i64 = 5 * 60;

/// Why a secret's text is not a usable key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error("a webhook secret starts with whsec_")]
    MissingPrefix,
    #[error("a webhook secret is whsec_ followed by base64")]
    NotBase64,
    #[error("a webhook secret's key is 24 to 64 bytes")]
    BadLength,
}

/// A signing key: the base64-decoded part of a `whsec_…` secret. Its
/// `Debug` never shows the bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKey(Vec<u8>);

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(..)")
    }
}

impl SigningKey {
    /// Parses `whsec_<base64 key>`.
    pub fn parse(secret: &str) -> Result<Self, SecretError> {
        let encoded = secret
            .trim()
            .strip_prefix(SECRET_PREFIX)
            .ok_or(SecretError::MissingPrefix)?;
        let key = BASE64.decode(encoded).map_err(|_| SecretError::NotBase64)?;
        Self::from_bytes(key)
    }

    /// A key from raw bytes (the server draws them at random).
    pub fn from_bytes(key: Vec<u8>) -> Result<Self, SecretError> {
        if !KEY_BYTES.contains(&key.len()) {
            return Err(SecretError::BadLength);
        }
        Ok(Self(key))
    }

    /// The text form, `whsec_<base64 key>`, shown to the admin once.
    pub fn to_secret(&self) -> String {
        format!("{SECRET_PREFIX}{}", BASE64.encode(&self.0))
    }

    /// `v1,<base64 HMAC-SHA256 of "{msg_id}.{timestamp}.{body}">`.
    pub fn sign(&self, msg_id: &str, timestamp: i64, body: &[u8]) -> String {
        format!("v1,{}", BASE64.encode(self.mac(msg_id, timestamp, body)))
    }

    fn mac(&self, msg_id: &str, timestamp: i64, body: &[u8]) -> Vec<u8> {
        // HMAC takes keys of any length; `from_bytes` bounds ours anyway.
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.0) else {
            return Vec::new();
        };
        mac.update(msg_id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac.finalize().into_bytes().to_vec()
    }
}

/// The `webhook-signature` header: one `v1,` signature per key, in the
/// order given (the current secret first), separated by spaces.
pub fn signature_header(keys: &[SigningKey], msg_id: &str, timestamp: i64, body: &[u8]) -> String {
    keys.iter()
        .map(|k| k.sign(msg_id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

/// What a receiver does: true when the timestamp is within the tolerance
/// of `now_secs` and one of the header's `v1` signatures is the key's, in
/// constant time.
pub fn verify(
    key: &SigningKey,
    msg_id: &str,
    timestamp: i64,
    body: &[u8],
    header: &str,
    now_secs: i64,
) -> bool {
    if now_secs.abs_diff(timestamp) > TIMESTAMP_TOLERANCE_SECS.unsigned_abs() {
        return false;
    }
    let Ok(mut expected) = Hmac::<Sha256>::new_from_slice(&key.0) else {
        return false;
    };
    expected.update(format!("{msg_id}.{timestamp}.").as_bytes());
    expected.update(body);
    header
        .split(' ')
        .filter_map(|sig| sig.strip_prefix("v1,"))
        .filter_map(|b64| BASE64.decode(b64).ok())
        .any(|mac| expected.clone().verify_slice(&mac).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    // The spec's own test vector (standard-webhooks, libraries' tests).
    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const MSG_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const TIMESTAMP: i64 = 1_614_265_330;
    const PAYLOAD: &[u8] = br#"{"test": 2432232314}"#;
    const SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    #[test]
    fn signs_the_spec_test_vector() {
        let key = SigningKey::parse(SECRET).unwrap();
        assert_eq!(key.sign(MSG_ID, TIMESTAMP, PAYLOAD), SIGNATURE);
        assert!(verify(
            &key, MSG_ID, TIMESTAMP, PAYLOAD, SIGNATURE, TIMESTAMP
        ));
    }

    #[test]
    fn the_signature_covers_id_timestamp_and_body() {
        let key = SigningKey::parse(SECRET).unwrap();
        assert_ne!(key.sign("msg_other", TIMESTAMP, PAYLOAD), SIGNATURE);
        assert_ne!(key.sign(MSG_ID, TIMESTAMP + 1, PAYLOAD), SIGNATURE);
        assert_ne!(
            key.sign(MSG_ID, TIMESTAMP, br#"{"test": 2432232315}"#),
            SIGNATURE
        );
        assert!(!verify(
            &key, MSG_ID, TIMESTAMP, b"{}", SIGNATURE, TIMESTAMP
        ));
    }

    #[test]
    fn secrets_round_trip_and_bad_ones_are_refused() {
        let key = SigningKey::parse(SECRET).unwrap();
        assert_eq!(key.to_secret(), SECRET);
        assert_eq!(
            SigningKey::parse("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
            Err(SecretError::MissingPrefix)
        );
        assert_eq!(SigningKey::parse("whsec_!!!"), Err(SecretError::NotBase64));
        assert_eq!(
            SigningKey::parse("whsec_c2hvcnQ="),
            Err(SecretError::BadLength)
        );
        assert_eq!(
            SigningKey::from_bytes(vec![7; 65]),
            Err(SecretError::BadLength)
        );
        assert!(!format!("{key:?}").contains("MfKQ"));
    }

    #[test]
    fn during_a_rotation_both_signatures_are_sent_and_each_verifies() {
        let old = SigningKey::parse(SECRET).unwrap();
        let new = SigningKey::from_bytes(vec![42; 32]).unwrap();
        let header = signature_header(&[new.clone(), old.clone()], MSG_ID, TIMESTAMP, PAYLOAD);
        let parts: Vec<&str> = header.split(' ').collect();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[1], SIGNATURE);
        assert!(verify(&old, MSG_ID, TIMESTAMP, PAYLOAD, &header, TIMESTAMP));
        assert!(verify(&new, MSG_ID, TIMESTAMP, PAYLOAD, &header, TIMESTAMP));
        let stranger = SigningKey::from_bytes(vec![1; 32]).unwrap();
        assert!(!verify(
            &stranger, MSG_ID, TIMESTAMP, PAYLOAD, &header, TIMESTAMP
        ));
    }

    #[test]
    fn stale_or_future_timestamps_fail_verification() {
        let key = SigningKey::parse(SECRET).unwrap();
        let late = TIMESTAMP + TIMESTAMP_TOLERANCE_SECS + 1;
        assert!(!verify(&key, MSG_ID, TIMESTAMP, PAYLOAD, SIGNATURE, late));
        let early = TIMESTAMP - TIMESTAMP_TOLERANCE_SECS - 1;
        assert!(!verify(&key, MSG_ID, TIMESTAMP, PAYLOAD, SIGNATURE, early));
    }
}
