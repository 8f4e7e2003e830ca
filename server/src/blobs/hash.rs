//! The ids of the blob service: [`Sha256Hex`], a blob's address (the SHA-256 of its bytes), and
//! [`UploadId`], the random, unguessable name of one upload in progress; and hashing a file.

use std::fmt;
use std::io::Read;
use std::path::Path;
use std::str::FromStr;

use ring::digest;
use ring::rand::{SecureRandom, SystemRandom};

/// 64 lower-case hex digits: the SHA-256 of a blob's bytes, which is how documents
/// (`PhotoRef::sha256`), the routes and the store name it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sha256Hex(String);

/// A string that is not 64 lower-case hex digits (or not 32, for an upload id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a well-formed id")]
pub struct MalformedId;

impl Sha256Hex {
    /// The hex digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        Sha256Hex(hex(digest::digest(&digest::SHA256, bytes).as_ref()))
    }

    /// Where the file store puts it: a directory of the first two digits, then the rest, so no
    /// directory holds more than a 256th of the blobs.
    pub fn shard(&self) -> (&str, &str) {
        self.0.split_at(2)
    }
}

impl FromStr for Sha256Hex {
    type Err = MalformedId;

    fn from_str(s: &str) -> Result<Self, MalformedId> {
        if lower_hex(s, 64) {
            Ok(Sha256Hex(s.to_owned()))
        } else {
            Err(MalformedId)
        }
    }
}

impl fmt::Display for Sha256Hex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The name of one upload: 128 random bits as 32 hex digits. Knowing it gives nothing by
/// itself (every upload route also checks the caller), but it must not be guessable either.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UploadId(String);

impl UploadId {
    /// A fresh random id.
    pub fn new_random() -> Result<Self, ring::error::Unspecified> {
        let mut bytes = [0u8; 16];
        SystemRandom::new().fill(&mut bytes)?;
        Ok(UploadId(hex(&bytes)))
    }

    /// The hex digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for UploadId {
    type Err = MalformedId;

    fn from_str(s: &str) -> Result<Self, MalformedId> {
        if lower_hex(s, 32) {
            Ok(UploadId(s.to_owned()))
        } else {
            Err(MalformedId)
        }
    }
}

impl fmt::Display for UploadId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A running SHA-256, fed as the bytes of an upload arrive.
pub(crate) struct Hasher(digest::Context);

impl fmt::Debug for Hasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Hasher")
    }
}

impl Hasher {
    pub(crate) fn new() -> Self {
        Hasher(digest::Context::new(&digest::SHA256))
    }

    pub(crate) fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    pub(crate) fn finish(self) -> Sha256Hex {
        Sha256Hex(hex(self.0.finish().as_ref()))
    }
}

/// The SHA-256 of a file, read in 64 KiB pieces (never held whole). Blocking.
pub(crate) fn hash_file(path: &Path) -> std::io::Result<Sha256Hex> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Hasher::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok(hasher.finish());
        }
        hasher.update(&buf[..n]);
    }
}

fn lower_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0xf)] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_lower_hex_and_parse_back() {
        let h = Sha256Hex::of(b"abc");
        assert_eq!(
            h.as_str(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(h.as_str().parse::<Sha256Hex>(), Ok(h.clone()));
        assert!(h.as_str().to_uppercase().parse::<Sha256Hex>().is_err());
        assert!("abc".parse::<Sha256Hex>().is_err());
        assert_eq!(h.shard().0, "ba");
        let mut running = Hasher::new();
        running.update(b"a");
        running.update(b"bc");
        assert_eq!(running.finish(), h);
    }

    #[test]
    fn upload_ids_are_random_and_strict() {
        let a = UploadId::new_random().expect("random");
        let b = UploadId::new_random().expect("random");
        assert_ne!(a, b);
        assert_eq!(a.as_str().parse::<UploadId>(), Ok(a.clone()));
        assert!("../etc/passwd".parse::<UploadId>().is_err());
    }
}
