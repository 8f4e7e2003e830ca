//! Bearer token secrets: made from the system's random source, stored only as SHA-256 hashes.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::{SecureRandom, SystemRandom};

/// Every token starts with this, so a leaked one is easy to recognise in logs and scanners.
pub const TOKEN_PREFIX: &str = "enl_";

/// Longest credential (token or ticket) looked at; anything longer is refused unread.
pub const MAX_CREDENTIAL_LEN: usize = 512;

/// The system's random source failed.
#[derive(Debug, thiserror::Error)]
#[error("the system random source failed")]
pub struct RandomError;

/// `N` random bytes from the operating system.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], RandomError> {
    let mut bytes = [0u8; N];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| RandomError)?;
    Ok(bytes)
}

/// A new token secret (`enl_` + 256 random bits in base64url) and the hash to store.
pub fn new_token() -> Result<(String, [u8; 32]), RandomError> {
    let token = format!(
        "{TOKEN_PREFIX}{}",
        URL_SAFE_NO_PAD.encode(random_bytes::<32>()?)
    );
    let hash = hash_token(&token);
    Ok((token, hash))
}

/// The SHA-256 of a token, as stored and looked up. A fast hash is right here: the secret has
/// 256 random bits, so there is nothing to brute-force.
pub fn hash_token(token: &str) -> [u8; 32] {
    let digest = ring::digest::digest(&ring::digest::SHA256, token.as_bytes());
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hash_stably() {
        let (a, hash_a) = new_token().expect("random");
        let (b, _) = new_token().expect("random");
        assert_ne!(a, b);
        assert!(a.starts_with(TOKEN_PREFIX));
        assert_eq!(a.len(), TOKEN_PREFIX.len() + 43);
        assert_eq!(hash_token(&a), hash_a);
    }
}
