//! Refusing automerge bytes whose compressed parts inflate past a bound, before automerge sees
//! them.
//!
//! automerge inflates deflate-compressed chunks and columns as it parses them and bounds
//! nothing, so a few megabytes from a peer (a sync message's changes, a document to merge) can
//! decompress to gigabytes. [`check_automerge_bytes`] measures what the parse would materialise
//! without inflating anything (see `deflate`) and refuses it beyond the caller's bound; callers run
//! it on untrusted bytes right before `load`, `load_incremental` or `receive_sync_message`.
//!
//! ```
//! use enlace_core::wire::{InflateError, check_automerge_bytes};
//!
//! // A compressed change chunk (type 2) whose deflate stream is 1 KiB of stored zeros.
//! let mut chunk = vec![0x85, 0x6f, 0x4a, 0x83, 0, 0, 0, 0, 2, 5 + 128, 8];
//! chunk.extend([1, 0x00, 0x04, 0xff, 0xfb]);
//! chunk.extend([0u8; 1024]);
//! assert_eq!(check_automerge_bytes(&chunk, 4096).ok(), Some(1024));
//! assert!(matches!(check_automerge_bytes(&chunk, 1000), Err(InflateError::TooLarge { .. })));
//! ```

mod chunks;
mod deflate;

pub(super) use chunks::leb128;
use deflate::Measure;

/// Why [`check_automerge_bytes`] refused bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InflateError {
    /// Parsing would materialise more than the bound (inflated data included).
    #[error("automerge data would inflate to more than {max} bytes")]
    TooLarge {
        /// The bound.
        max: u64,
    },
    /// A compressed part is not valid deflate; automerge would refuse it too.
    #[error("automerge data holds malformed compressed data")]
    Malformed,
    /// A bundle chunk (type 3): experimental, unused by enlace and automerge-repo's sync, and
    /// able to panic automerge 0.12's parser when malformed.
    #[error("automerge bundle chunks are not accepted")]
    Bundle,
}

/// Bytes that parsing `bytes` (concatenated automerge chunks, as `load` and
/// `load_incremental` take them) would materialise, compressed parts counted inflated; an error
/// once that passes `max`, and for bundle chunks. Allocates nothing and reads each byte at most once.
pub fn check_automerge_bytes(bytes: &[u8], max: u64) -> Result<u64, InflateError> {
    chunks::parsed_len(bytes, max).map_err(|e| match e {
        Measure::TooLarge => InflateError::TooLarge { max },
        Measure::Malformed => InflateError::Malformed,
        Measure::Bundle => InflateError::Bundle,
    })
}
