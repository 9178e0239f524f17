//! Verified customer identity, Intercom's user-hash idea: the exchange's
//! backend computes `hex(HMAC-SHA256(identity_secret, user_id))` and hands it
//! to the widget with the user id. Only the exchange knows the secret, so a
//! visitor cannot claim another user's id.

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

/// HMAC-SHA256 of `message` under the identity secret, ready to finish or
/// verify.
fn mac(secret: &SecretString, message: &[u8]) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.expose_secret().as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(message);
    mac
}

/// The hash the exchange would compute for `user_id`.
pub fn user_hash(secret: &SecretString, user_id: &str) -> String {
    hex::encode(mac(secret, user_id.as_bytes()).finalize().into_bytes())
}

/// Constant-time check of a claimed hash.
pub fn verify(secret: &SecretString, user_id: &str, claimed_hex: &str) -> bool {
    let Ok(claimed) = hex::decode(claimed_hex.trim()) else {
        return false;
    };
    mac(secret, user_id.as_bytes())
        .verify_slice(&claimed)
        .is_ok()
}

/// A fresh proof from the exchange that its logged-in user asked for an
/// action now, not only who they are: `user_hash` never changes (and sits
/// in the widget's page), so a sensitive change (the anti-phishing code)
/// asks for this instead. The exchange's backend signs
/// `trustdesk-proof:v1\n{purpose}\n{user_id}\n{issued_at}\n{nonce}` with the
/// identity secret; the proof is good for [`PROOF_VALIDITY_SECS`] and, the
/// caller makes sure, once.
#[derive(Clone, Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FreshProof {
    /// Unix seconds when the exchange signed it.
    pub issued_at: i64,
    /// 16–64 random characters (A–Z a–z 0–9 - _), new for every proof.
    pub nonce: String,
    /// hex(HMAC-SHA256(identity_secret, "trustdesk-proof:v1\n" + purpose +
    /// "\n" + user_id + "\n" + issued_at + "\n" + nonce)).
    pub signature: String,
}

/// How long a proof stays good after it was issued.
pub const PROOF_VALIDITY_SECS: i64 = 300;
/// How far ahead of our clock an exchange's clock may be.
const CLOCK_SKEW_SECS: i64 = 30;

/// Why a proof was refused (all answer 401 alike to the client).
#[derive(Debug, PartialEq, Eq)]
pub enum ProofError {
    Malformed,
    Expired,
    BadSignature,
}

/// The signature the exchange would compute.
pub fn proof_signature(
    secret: &SecretString,
    purpose: &str,
    user_id: &str,
    issued_at: i64,
    nonce: &str,
) -> String {
    hex::encode(
        proof_mac(secret, purpose, user_id, issued_at, nonce)
            .finalize()
            .into_bytes(),
    )
}

fn proof_mac(
    secret: &SecretString,
    purpose: &str,
    user_id: &str,
    issued_at: i64,
    nonce: &str,
) -> Hmac<Sha256> {
    let message = format!("trustdesk-proof:v1\n{purpose}\n{user_id}\n{issued_at}\n{nonce}");
    mac(secret, message.as_bytes())
}

/// Checks a proof for `purpose` by `user_id` at `now` (unix seconds):
/// well-formed, within its validity, signed with the secret (constant
/// time). Single use is the caller's: it must accept each proof once.
pub fn verify_proof(
    secret: &SecretString,
    purpose: &str,
    user_id: &str,
    proof: &FreshProof,
    now: i64,
) -> Result<(), ProofError> {
    let nonce_ok = (16..=64).contains(&proof.nonce.len())
        && proof
            .nonce
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    let Ok(claimed) = hex::decode(proof.signature.trim()) else {
        return Err(ProofError::Malformed);
    };
    if !nonce_ok || user_id.contains('\n') {
        return Err(ProofError::Malformed);
    }
    if proof.issued_at > now + CLOCK_SKEW_SECS || now - proof.issued_at > PROOF_VALIDITY_SECS {
        return Err(ProofError::Expired);
    }
    proof_mac(secret, purpose, user_id, proof.issued_at, &proof.nonce)
        .verify_slice(&claimed)
        .map_err(|_| ProofError::BadSignature)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proof(secret: &SecretString, user: &str, at: i64, nonce: &str) -> FreshProof {
        FreshProof {
            issued_at: at,
            nonce: nonce.into(),
            signature: proof_signature(secret, "anti_phishing_code", user, at, nonce),
        }
    }

    #[test]
    fn a_proof_is_good_for_its_user_purpose_and_minutes_only() {
        let secret = SecretString::from("deployment-secret");
        let now = 1_800_000_000;
        let nonce = "n0nce-abcdefghijkl";
        let good = proof(&secret, "user-1", now - 10, nonce);
        let check = |p: &FreshProof, user: &str, purpose: &str, at: i64| {
            verify_proof(&secret, purpose, user, p, at)
        };
        assert_eq!(check(&good, "user-1", "anti_phishing_code", now), Ok(()));
        assert_eq!(
            check(&good, "user-2", "anti_phishing_code", now),
            Err(ProofError::BadSignature),
            "another user"
        );
        assert_eq!(
            check(&good, "user-1", "other_purpose", now),
            Err(ProofError::BadSignature),
            "another purpose"
        );
        assert_eq!(
            check(
                &good,
                "user-1",
                "anti_phishing_code",
                now + PROOF_VALIDITY_SECS
            ),
            Err(ProofError::Expired),
            "minutes later"
        );
        let future = proof(&secret, "user-1", now + 120, nonce);
        assert_eq!(
            check(&future, "user-1", "anti_phishing_code", now),
            Err(ProofError::Expired)
        );
        let short = proof(&secret, "user-1", now, "short");
        assert_eq!(
            check(&short, "user-1", "anti_phishing_code", now),
            Err(ProofError::Malformed)
        );
        let mut tampered = good.clone();
        tampered.issued_at += 1;
        assert_eq!(
            check(&tampered, "user-1", "anti_phishing_code", now),
            Err(ProofError::BadSignature),
            "the time is signed"
        );
        // The static user hash is not a proof.
        let mut hash = good.clone();
        hash.signature = user_hash(&secret, "user-1");
        assert_eq!(
            check(&hash, "user-1", "anti_phishing_code", now),
            Err(ProofError::BadSignature)
        );
    }

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
