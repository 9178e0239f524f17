//! TOTP second factor (RFC 6238: SHA-1, 6 digits, 30-second steps) and
//! recovery codes.
//!
//! A code is accepted for the current step and one step either side (clock
//! skew), and only if its step is newer than the last step this agent used:
//! the store keeps `last_step`, so a code replays fail, across restarts too.
//! Recovery codes are random, shown once, stored as SHA-256 and usable once.

use sha2::{Digest, Sha256};
use std::time::{SystemTime, UNIX_EPOCH};
use totp_rs::{Algorithm, Secret, TOTP};

pub const STEP_SECS: u64 = 30;
pub const DIGITS: usize = 6;
/// Recovery codes handed out at enrolment.
pub const RECOVERY_CODES: usize = 10;

/// A fresh 160-bit secret, base32 (RFC 4648, no padding), as authenticator
/// apps and `oathtool --totp -b` take it.
pub fn new_secret() -> String {
    let bytes: [u8; 20] = rand::random();
    match Secret::Raw(bytes.to_vec()).to_encoded() {
        Secret::Encoded(s) => s,
        Secret::Raw(_) => unreachable!("to_encoded returns Encoded"),
    }
}

fn totp(secret: &str) -> Option<TOTP> {
    let bytes = Secret::Encoded(secret.to_owned()).to_bytes().ok()?;
    if bytes.is_empty() {
        return None;
    }
    Some(TOTP::new_unchecked(
        Algorithm::SHA1,
        DIGITS,
        0,
        STEP_SECS,
        bytes,
    ))
}

pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The step a Unix time falls in.
pub fn step_of(secs: u64) -> i64 {
    i64::try_from(secs / STEP_SECS).unwrap_or(i64::MAX)
}

/// The code for `step` (for tests, the demo and tools).
pub fn code_for_step(secret: &str, step: i64) -> Option<String> {
    let step = u64::try_from(step).ok()?;
    Some(totp(secret)?.generate(step.checked_mul(STEP_SECS)?))
}

/// The code for a Unix time.
pub fn code_at(secret: &str, secs: u64) -> Option<String> {
    code_for_step(secret, step_of(secs))
}

/// The step (now − 1, now or now + 1) whose code is `code`, if any. The
/// caller must still check that the step was not used before.
pub fn matching_step(secret: &str, code: &str, now_secs: u64) -> Option<i64> {
    let code = code.trim();
    if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let totp = totp(secret)?;
    let now = step_of(now_secs);
    let mut found = None;
    // Check every candidate (no early exit), comparing in constant time.
    for step in [now - 1, now, now + 1] {
        let Ok(s) = u64::try_from(step) else { continue };
        let expected = totp.generate(s * STEP_SECS);
        let same = expected
            .bytes()
            .zip(code.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
        if same && found.is_none() {
            found = Some(step);
        }
    }
    found
}

/// Whether the input looks like a TOTP code (digits) rather than a
/// recovery code.
pub fn looks_like_totp(code: &str) -> bool {
    let code = code.trim();
    code.len() == DIGITS && code.bytes().all(|b| b.is_ascii_digit())
}

/// `otpauth://totp/Issuer:account?secret=…&issuer=…` for authenticator apps.
pub fn otpauth_uri(issuer: &str, account: &str, secret: &str) -> String {
    format!(
        "otpauth://totp/{}:{}?secret={secret}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECS}",
        encode(issuer),
        encode(account),
        encode(issuer)
    )
}

/// Percent-encodes everything but unreserved characters (RFC 3986).
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The URI as a QR code in SVG, for the enrolment screen.
pub fn qr_svg(uri: &str) -> Option<String> {
    let code =
        qrcode::QrCode::with_error_correction_level(uri.as_bytes(), qrcode::EcLevel::M).ok()?;
    Some(
        code.render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(200, 200)
            .quiet_zone(true)
            .build(),
    )
}

/// Fresh recovery codes, `XXXXX-XXXXX` from an unambiguous alphabet
/// (50 bits each).
pub fn new_recovery_codes() -> Vec<String> {
    (0..RECOVERY_CODES)
        .map(|_| {
            let raw = crate::auth::token::short_code(10);
            format!("{}-{}", &raw[..5], &raw[5..])
        })
        .collect()
}

/// The stored form of a recovery code: SHA-256 of its canonical text
/// (upper case, no dashes or spaces), so typing variations still match.
pub fn hash_recovery_code(code: &str) -> Vec<u8> {
    let canonical: String = code
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    Sha256::digest(format!("trustdesk-recovery:{canonical}").as_bytes()).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA-1, truncated to 6 digits.
    #[test]
    fn rfc6238_vectors() {
        // "12345678901234567890" in base32.
        let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
        assert_eq!(code_at(secret, 59).unwrap(), "287082");
        assert_eq!(code_at(secret, 1_111_111_109).unwrap(), "081804");
        assert_eq!(code_at(secret, 1_234_567_890).unwrap(), "005924");
    }

    #[test]
    fn accepts_one_step_of_skew_and_no_more() {
        let secret = new_secret();
        let now = 1_700_000_015;
        let step = step_of(now);
        for delta in [-1, 0, 1] {
            let code = code_for_step(&secret, step + delta).unwrap();
            assert_eq!(matching_step(&secret, &code, now), Some(step + delta));
        }
        for delta in [-3, -2, 2, 3] {
            let code = code_for_step(&secret, step + delta).unwrap();
            // A collision with a neighbouring step is possible (1e-6); the
            // step returned is then not `step + delta`.
            assert_ne!(matching_step(&secret, &code, now), Some(step + delta));
        }
        assert_eq!(matching_step(&secret, "12345", now), None);
        assert_eq!(matching_step(&secret, "abcdef", now), None);
        assert_eq!(matching_step(&secret, "", now), None);
        assert_eq!(matching_step("not base32 !!", "123456", now), None);
    }

    #[test]
    fn secrets_are_160_bits_and_distinct() {
        let a = new_secret();
        assert_eq!(a.len(), 32);
        assert_ne!(a, new_secret());
    }

    #[test]
    fn recovery_codes_hash_canonically() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        let c = &codes[0];
        assert_eq!(
            hash_recovery_code(c),
            hash_recovery_code(&c.to_lowercase().replace('-', " "))
        );
        assert_ne!(hash_recovery_code(c), hash_recovery_code(&codes[1]));
    }

    #[test]
    fn uri_and_qr() {
        let uri = otpauth_uri("trustdesk", "a b@x.io", "ABC");
        assert_eq!(
            uri,
            "otpauth://totp/trustdesk:a%20b%40x.io?secret=ABC&issuer=trustdesk&algorithm=SHA1&digits=6&period=30"
        );
        let svg = qr_svg(&uri).unwrap();
        assert!(svg.contains("<svg"));
    }
}
