//! Bearer tokens: 256 random bits, shown to the client once; only their
//! SHA-256 is stored, so a database copy holds no usable session.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// Token prefixes tell a customer token from an agent token at a glance
/// (and let secret scanners recognise leaked ones).
pub const CUSTOMER_PREFIX: &str = "tdc_";
pub const AGENT_PREFIX: &str = "tda_";

/// A fresh token and the hash to store.
pub fn issue(prefix: &str) -> (String, Vec<u8>) {
    let bytes: [u8; 32] = rand::random();
    let token = format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes));
    let hash = hash(&token);
    (token, hash)
}

pub fn hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Random characters from an alphabet without look-alikes (no 0/O, 1/I),
/// for codes people read aloud or type.
pub fn short_code(len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    (0..len)
        .map(|_| ALPHABET[usize::from(rand::random::<u8>()) % ALPHABET.len()] as char)
        .collect()
}

/// An agent's public badge: `TD-` and 8 unambiguous characters.
pub fn badge() -> String {
    format!("TD-{}", short_code(8))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_prefixed_and_hash_stably() {
        let (a, ha) = issue(CUSTOMER_PREFIX);
        let (b, hb) = issue(CUSTOMER_PREFIX);
        assert_ne!(a, b);
        assert_ne!(ha, hb);
        assert!(a.starts_with("tdc_"));
        assert_eq!(a.len(), 4 + 43, "32 bytes in unpadded base64url");
        assert_eq!(hash(&a), ha);
    }

    #[test]
    fn badges_use_the_unambiguous_alphabet() {
        let b = badge();
        assert_eq!(b.len(), 11);
        assert!(!b[3..].contains(['0', 'O', '1', 'I']));
    }
}
