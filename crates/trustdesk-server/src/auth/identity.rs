//! Verified customer identity, Intercom's user-hash idea: the exchange's
//! backend computes `hex(HMAC-SHA256(identity_secret, user_id))` and hands it
//! to the widget with the user id. Only the exchange knows the secret, so a
//! visitor cannot claim another user's id.

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

/// The hash the exchange would compute for `user_id`.
pub fn user_hash(secret: &SecretString, user_id: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.expose_secret().as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(user_id.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Constant-time check of a claimed hash.
pub fn verify(secret: &SecretString, user_id: &str, claimed_hex: &str) -> bool {
    let Ok(claimed) = hex::decode(claimed_hex.trim()) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.expose_secret().as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(user_id.as_bytes());
    mac.verify_slice(&claimed).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_secret_holder_can_sign() {
        let secret = SecretString::from("deployment-secret");
        let good = user_hash(&secret, "user-1");
        assert!(verify(&secret, "user-1", &good));
        assert!(
            verify(&secret, "user-1", &good.to_uppercase()),
            "hex case does not matter"
        );
        assert!(!verify(&secret, "user-2", &good), "hash of another user");
        assert!(
            !verify(&SecretString::from("other"), "user-1", &good),
            "another secret"
        );
        assert!(!verify(&secret, "user-1", "not hex"));
        assert!(!verify(&secret, "user-1", ""));
    }

    #[test]
    fn matches_a_known_hmac_vector() {
        // RFC 4231 test case 2.
        let secret = SecretString::from("Jefe");
        assert_eq!(
            user_hash(&secret, "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
