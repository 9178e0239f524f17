//! Agent passwords: argon2id with the crate's recommended parameters, run
//! on the blocking pool so a login never stalls the event loop.
//!
//! Each hash needs a 19 MiB work area. Left to argon2, that area is a
//! `Vec` of exactly that size, which glibc may serve from a thread's arena
//! and keep resident after the free (freeing a large mmap raises its mmap
//! threshold to that size). So the work area is ours: reserved above
//! glibc's highest possible mmap threshold (32 MiB on 64-bit), it is always
//! its own mapping and returns to the system when the hash ends; only the
//! pages argon2 touches become resident. A semaphore caps how many hashes
//! run at once, so a burst of logins queues instead of growing memory by
//! 19 MiB per request.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use std::sync::OnceLock;
use tokio::sync::Semaphore;

/// The shortest password we accept.
pub const MIN_LENGTH: usize = 10;

/// Hashes that may run at once; each holds a work area while it runs.
const CONCURRENT_HASHES: usize = 2;

/// Above glibc's `DEFAULT_MMAP_THRESHOLD_MAX` (32 MiB on 64-bit), so the
/// allocation is always mmapped whatever threshold glibc has moved to.
const WORK_AREA_RESERVE_BYTES: usize = 33 << 20;

static HASHING: Semaphore = Semaphore::const_new(CONCURRENT_HASHES);

pub async fn hash(password: String) -> anyhow::Result<String> {
    // The permit moves into the blocking task: if this future is dropped
    // (the client went away), the hash still counts until it ends.
    let permit = HASHING.acquire().await?;
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        hash_blocking(&password)
    })
    .await?
}

pub fn hash_blocking(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    let params = Params::default();
    let output = compute(
        password.as_bytes(),
        &salt,
        Algorithm::default(),
        Version::default(),
        params.clone(),
    )
    .map_err(|e| anyhow::anyhow!("hash password: {e}"))?;
    let hash = PasswordHash {
        algorithm: Algorithm::default().ident(),
        version: Some(Version::default().into()),
        params: ParamsString::try_from(&params)
            .map_err(|e| anyhow::anyhow!("hash password: {e}"))?,
        salt: Some(salt.as_salt()),
        hash: Some(output),
    };
    Ok(hash.to_string())
}

/// Checks a password. With no stored hash (unknown account) it verifies
/// against a fixed dummy hash, so both cases take the same time and an
/// attacker cannot tell which emails exist.
pub async fn verify(password: String, stored: Option<String>) -> bool {
    let Ok(permit) = HASHING.acquire().await else {
        return false;
    };
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let (hash, known) = match stored {
            Some(h) => (h, true),
            None => (dummy_hash().to_owned(), false),
        };
        verify_blocking(password.as_bytes(), &hash) && known
    })
    .await
    .unwrap_or(false)
}

/// Recomputes the stored hash's output with its own algorithm, version,
/// parameters and salt; `Output`'s equality is constant-time.
fn verify_blocking(password: &[u8], stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(parsed.algorithm) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from).transpose() {
        Ok(v) => v.unwrap_or_default(),
        Err(_) => return false,
    };
    let Ok(params) = Params::try_from(&parsed) else {
        return false;
    };
    compute(password, salt, algorithm, version, params).is_ok_and(|computed| computed == expected)
}

/// One argon2 run in a work area that is its own mapping (see the module
/// comment), sized for `params` and freed when the run ends.
fn compute<'a>(
    password: &[u8],
    salt: impl Into<argon2::password_hash::Salt<'a>>,
    algorithm: Algorithm,
    version: Version,
    params: Params,
) -> Result<Output, argon2::password_hash::Error> {
    let salt = salt.into();
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt.decode_b64(&mut salt_bytes)?;
    let output_len = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
    let blocks_needed = params.block_count();
    let reserve = blocks_needed.max(WORK_AREA_RESERVE_BYTES / size_of::<Block>());
    let mut work_area: Vec<Block> = Vec::with_capacity(reserve);
    work_area.resize(blocks_needed, Block::default());
    let argon2 = Argon2::new(algorithm, version, params);
    Output::init_with(output_len, |out| {
        Ok(argon2.hash_password_into_with_memory(password, salt_bytes, out, &mut work_area)?)
    })
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_blocking("dummy password for timing").unwrap_or_default())
}

/// Refuses passwords too short to resist guessing.
pub fn check_strength(password: &str) -> Result<(), String> {
    if password.chars().count() < MIN_LENGTH {
        return Err(format!(
            "password must have at least {MIN_LENGTH} characters"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn verify_accepts_only_the_right_password() {
        let h = hash("correct horse battery".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("correct horse battery".into(), Some(h.clone())).await);
        assert!(!verify("wrong horse battery".into(), Some(h)).await);
        assert!(
            !verify("dummy password for timing".into(), None).await,
            "no account never verifies"
        );
    }

    /// Hashes stored before the work area was ours (argon2's own hasher)
    /// must still verify, and ours must verify with argon2's own verifier.
    #[test]
    fn hashes_match_argon2s_own_hasher_both_ways() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let salt = SaltString::generate(&mut OsRng);
        let theirs = Argon2::default()
            .hash_password(b"an older password", &salt)
            .unwrap()
            .to_string();
        assert!(verify_blocking(b"an older password", &theirs));
        assert!(!verify_blocking(b"an older passwore", &theirs));

        let ours = hash_blocking("a newer password").unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(
            Argon2::default()
                .verify_password(b"a newer password", &parsed)
                .is_ok()
        );
        assert!(
            Argon2::default()
                .verify_password(b"a newer passwore", &parsed)
                .is_err()
        );
        assert!(!verify_blocking(
            b"a newer password",
            "$argon2id$v=19$garbage"
        ));
    }
}
