//! A secret configured on both sides (Telegram's webhook secret, the
//! metrics token), checked in constant time: SHA-256 digests of both are
//! compared with `subtle`, so neither the length nor a prefix of the
//! secret leaks through timing.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The configured secret, kept as its digest.
pub struct SharedSecret {
    digest: [u8; 32],
}

impl SharedSecret {
    pub fn new(secret: &str) -> Self {
        Self {
            digest: Sha256::digest(secret.as_bytes()).into(),
        }
    }

    /// Whether `given` is the secret.
    pub fn matches(&self, given: &[u8]) -> bool {
        let given: [u8; 32] = Sha256::digest(given).into();
        given.ct_eq(&self.digest).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_secret_itself_matches() {
        let secret = SharedSecret::new("s3cret-token");
        assert!(secret.matches(b"s3cret-token"));
        assert!(!secret.matches(b"s3cret-token "));
        assert!(!secret.matches(b"s3cret"));
        assert!(!secret.matches(b""));
    }
}
