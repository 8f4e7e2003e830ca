//! The blob directory beside the store file: one file per blob, named by its SHA-256.
//!
//! A blob is written to a temporary file in the same directory while it is hashed, synced,
//! renamed to its hash and the directory synced, so after a kill -9 a blob file is whole or
//! absent; leftover temporary files are removed on open. Bytes are copied in pieces of
//! [`PIECE`]: a photo is never held whole in memory.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::BlobHash;

/// Bytes copied at a time.
pub(crate) const PIECE: usize = 64 * 1024;

const TEMP_PREFIX: &str = "tmp-";

/// The directory holding a store's blobs.
#[derive(Debug, Clone)]
pub(crate) struct BlobDir {
    path: PathBuf,
}

/// A blob written to a temporary file and hashed, not yet in place.
#[derive(Debug)]
pub(crate) struct Written {
    temp: PathBuf,
    pub hash: BlobHash,
    pub bytes: u64,
    /// The first bytes, for sniffing the type.
    pub head: Vec<u8>,
}

impl BlobDir {
    /// Opens the directory and removes temporary files a crash left. The directory is made
    /// on the first write, so a store that never holds a photo (a server's) has none.
    pub(crate) fn open(path: PathBuf) -> io::Result<BlobDir> {
        if !path.is_dir() {
            return Ok(BlobDir { path });
        }
        for entry in fs::read_dir(&path)? {
            let entry = entry?;
            if entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX) {
                fs::remove_file(entry.path())?;
            }
        }
        Ok(BlobDir { path })
    }

    #[cfg(test)]
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Where blob `hash` lives (whether or not it is there).
    pub(crate) fn file(&self, hash: &BlobHash) -> PathBuf {
        self.path.join(hash.as_str())
    }

    pub(crate) fn contains(&self, hash: &BlobHash) -> bool {
        self.file(hash).is_file()
    }

    /// Copies `source` into a temporary file, hashing it, up to `max` bytes (more is
    /// [`io::ErrorKind::FileTooLarge`]). Call [`Self::keep`] to put it in place.
    pub(crate) fn write(&self, source: &mut dyn Read, max: u64) -> io::Result<Written> {
        let temp = self.temp_path()?;
        let result = copy_hashing(source, &temp, max);
        if result.is_err() {
            // The copy failed: its half-written file goes too (its own error is the lesser one).
            let _gone = fs::remove_file(&temp);
        }
        let (hash, bytes, head) = result?;
        Ok(Written {
            temp,
            hash,
            bytes,
            head,
        })
    }

    /// A temporary file name for a blob being written (the directory is made if missing); the
    /// caller writes it, then [`Self::keep_temp`].
    pub(crate) fn temp_path(&self) -> io::Result<PathBuf> {
        fs::create_dir_all(&self.path)?;
        Ok(self
            .path
            .join(format!("{TEMP_PREFIX}{}", uuid::Uuid::new_v4().simple())))
    }

    /// Puts a written blob in place under its hash (already there: the copy is dropped) and
    /// syncs the directory, so the name survives a crash.
    pub(crate) fn keep(&self, written: &Written) -> io::Result<PathBuf> {
        self.keep_temp(&written.temp, &written.hash)
    }

    pub(crate) fn keep_temp(&self, temp: &Path, hash: &BlobHash) -> io::Result<PathBuf> {
        let target = self.file(hash);
        if target.is_file() {
            fs::remove_file(temp)?;
            return Ok(target);
        }
        fs::rename(temp, &target)?;
        sync_dir(&self.path)?;
        Ok(target)
    }

    /// Drops a written blob that will not be kept.
    pub(crate) fn discard(&self, written: Written) -> io::Result<()> {
        fs::remove_file(written.temp)
    }

    /// Removes blob `hash` (evicted from the cache). Absent already is fine.
    pub(crate) fn remove(&self, hash: &BlobHash) -> io::Result<()> {
        match fs::remove_file(self.file(hash)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

fn copy_hashing(
    source: &mut dyn Read,
    temp: &Path,
    max: u64,
) -> io::Result<(BlobHash, u64, Vec<u8>)> {
    let mut file = File::create_new(temp)?;
    let mut hasher = Sha256::new();
    let mut piece = vec![0u8; PIECE];
    let mut head = Vec::new();
    let mut bytes = 0u64;
    loop {
        let n = match source.read(&mut piece) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        bytes += n as u64;
        if bytes > max {
            return Err(io::Error::new(
                io::ErrorKind::FileTooLarge,
                format!("larger than {max} bytes"),
            ));
        }
        if head.len() < HEAD {
            head.extend_from_slice(&piece[..n.min(HEAD - head.len())]);
        }
        hasher.update(&piece[..n]);
        file.write_all(&piece[..n])?;
    }
    file.sync_all()?;
    Ok((BlobHash::of_digest(&hasher.finalize()), bytes, head))
}

/// Bytes kept from the start of a blob, for sniffing.
const HEAD: usize = 32;

/// Makes a rename in `dir` durable.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        // Windows cannot open a directory to sync it; its renames are journaled by NTFS.
        let _ = dir;
        Ok(())
    }
}

/// The image type of a blob from its first bytes: JPEG, PNG, WebP or HEIC (the types phones
/// write), else `None`.
pub fn sniff_image(head: &[u8]) -> Option<&'static str> {
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Some("image/jpeg");
    }
    if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some("image/png");
    }
    if head.len() >= 12 && &head[0..4] == b"RIFF" && &head[8..12] == b"WEBP" {
        return Some("image/webp");
    }
    if head.len() >= 12 && &head[4..8] == b"ftyp" {
        let brand = &head[8..12];
        if [
            b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1",
        ]
        .iter()
        .any(|b| brand == *b)
        {
            return Some("image/heic");
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blob_is_named_by_its_hash_and_leftovers_go_on_open() {
        let dir = tempfile::tempdir().expect("dir");
        let blobs = BlobDir::open(dir.path().join("b")).expect("open");
        let written = blobs.write(&mut &b"abc"[..], 10).expect("write");
        assert_eq!(
            written.hash.as_str(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let path = blobs.keep(&written).expect("keep");
        assert_eq!(fs::read(&path).expect("read"), b"abc");
        let again = blobs.write(&mut &b"abc"[..], 10).expect("write");
        assert_eq!(blobs.keep(&again).expect("keep twice"), path);

        let big = blobs.write(&mut &[0u8; 11][..], 10);
        assert_eq!(
            big.err().map(|e| e.kind()),
            Some(io::ErrorKind::FileTooLarge)
        );
        fs::write(blobs.temp_path().expect("temp"), b"half").expect("a crash's leftover");
        let reopened = BlobDir::open(dir.path().join("b")).expect("reopen");
        let names: Vec<String> = fs::read_dir(reopened.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, vec![written.hash.as_str().to_owned()]);
    }

    #[test]
    fn images_are_told_by_their_first_bytes() {
        assert_eq!(sniff_image(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(sniff_image(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(sniff_image(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(
            sniff_image(b"\0\0\0\x18ftypheic\0\0\0\0"),
            Some("image/heic")
        );
        assert_eq!(sniff_image(b"%PDF-1.7"), None);
        assert_eq!(sniff_image(b""), None);
    }
}
