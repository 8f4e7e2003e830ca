//! Bounds on what [`decode`](super::decode) accepts from a peer.

use std::fmt;

/// Limits applied while decoding one frame from an untrusted peer.
///
/// Every length a frame declares is checked against these (and against the bytes actually
/// present) before anything is allocated for it, so a 9-byte frame claiming an 18-exabyte string
/// costs nothing. The defaults fit every message a stock automerge-repo client sends with a wide
/// margin; servers that accept big documents raise `max_frame_bytes` and `max_data_bytes` together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeLimits {
    /// Largest frame accepted at all (default 16 MiB). Checked first, before any parsing.
    pub max_frame_bytes: usize,
    /// Most entries in any map, including skipped unknown values (default 64). Real messages
    /// have at most 7 keys and `newHeads` one entry per storage.
    pub max_map_keys: u64,
    /// Longest text value kept: session ids, heads, error messages, versions (default 64 KiB).
    /// Peer and storage ids have their own, tighter bound ([`crate::ids::MAX_NAME_LEN`]).
    pub max_string_bytes: usize,
    /// Longest `data` byte string: one sync message or ephemeral payload (default 16 MiB).
    pub max_data_bytes: usize,
    /// Most items in any array, including skipped unknown values (default 4096). Heads lists
    /// hold one hash per concurrent branch, so real ones are short.
    pub max_array_items: u64,
    /// Deepest nesting of maps and arrays, the frame's own map counting as 1 (default 16). Real
    /// messages nest 4 deep (`newHeads` -> storage -> `heads`); unknown values deeper than this
    /// are refused rather than walked.
    pub max_depth: usize,
}

impl Default for DecodeLimits {
    fn default() -> Self {
        Self {
            max_frame_bytes: 16 * 1024 * 1024,
            max_map_keys: 64,
            max_string_bytes: 64 * 1024,
            max_data_bytes: 16 * 1024 * 1024,
            max_array_items: 4096,
            max_depth: 16,
        }
    }
}

/// Which limit of [`DecodeLimits`] a frame exceeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// [`DecodeLimits::max_map_keys`].
    MapKeys,
    /// [`DecodeLimits::max_string_bytes`].
    StringBytes,
    /// [`DecodeLimits::max_data_bytes`].
    DataBytes,
    /// [`DecodeLimits::max_array_items`].
    ArrayItems,
    /// [`DecodeLimits::max_depth`].
    Depth,
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Limit::MapKeys => "too many map entries",
            Limit::StringBytes => "text too long",
            Limit::DataBytes => "data too long",
            Limit::ArrayItems => "too many array items",
            Limit::Depth => "nested too deeply",
        })
    }
}

/// Largest automerge input (changes or a saved document, once inflated) any layer accepts:
/// 64 MiB, well above the 5 MB stress-size storecheck of `domain.md`, low enough that one
/// hostile message cannot exhaust a phone. The store's merge bound and the engine's default
/// inflate bound are this one number.
pub const MAX_AUTOMERGE_BYTES: usize = 64 * 1024 * 1024;
