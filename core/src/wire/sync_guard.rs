//! Refusing automerge sync messages that would crash or exhaust automerge when applied.
//!
//! Found by fuzzing (`fuzz/regressions/engine_sync/`): automerge 0.12 trusts the bloom filter
//! parameters a peer sends. A filter with entries but no bits makes `receive_sync_message` (via
//! `generate_sync_message`) divide by zero and panic; a huge probe count makes it reserve and
//! loop over billions of probes. And the changes a message carries may be deflate bombs (see
//! [`check_automerge_bytes`]). [`check_sync_message`] catches all three; the engine calls it on
//! every decoded sync message before automerge sees it.
//!
//! A server runs the same check earlier, with [`check_sync_data`] on the encoded message a
//! `sync` or `request` carries, on the socket's own task: a message over its bound is refused
//! there, before it queues for the engine's single thread, and the inflated size it reports is
//! what the socket charges against its sender's budget (`server/src/ws/rate.rs`).

use automerge::sync::Message;

use super::inflate::{InflateError, check_automerge_bytes, leb128};

/// Most probes a bloom filter may ask for. automerge uses 7 (a 1% false-positive rate); more
/// than this buys nothing and costs a peer's CPU per hash.
pub const MAX_BLOOM_PROBES: u64 = 64;

/// Why [`check_sync_message`] refused a sync message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnsafeSyncMessage {
    /// A `have` entry's bloom filter has entries but no bits (automerge would divide by zero),
    /// too many probes, or does not parse.
    #[error("unusable bloom filter: {0}")]
    BloomFilter(&'static str),
    /// The changes are too large once inflated, or their compressed data is malformed.
    #[error(transparent)]
    Changes(#[from] InflateError),
}

/// Why [`check_sync_data`] refused the data of a `sync` or `request` message.
#[derive(Debug, thiserror::Error)]
pub enum SyncDataError {
    /// Not an automerge sync message.
    #[error("undecodable sync message: {0}")]
    Undecodable(#[from] automerge::sync::ReadMessageError),
    /// A sync message that [`check_sync_message`] refuses.
    #[error(transparent)]
    Unsafe(#[from] UnsafeSyncMessage),
}

/// [`check_sync_message`] on an encoded sync message (the `data` of a `sync` or `request`):
/// decodes it (which copies its change chunks and inflates nothing) and returns the inflated
/// size of its changes.
///
/// `max_change` bounds each chunk on its own (a change, or a whole document as automerge sends
/// it to a peer that lacks it).
pub fn check_sync_data(
    data: &[u8],
    max_parsed: u64,
    max_change: u64,
) -> Result<u64, SyncDataError> {
    let message = Message::decode(data)?;
    Ok(check_changes(&message, max_parsed, max_change)?)
}

/// Checks a decoded sync message before `receive_sync_message`: every bloom filter usable,
/// every change chunk within `max_parsed` bytes once inflated (all chunks together). Returns
/// the inflated size of the changes.
pub fn check_sync_message(message: &Message, max_parsed: u64) -> Result<u64, UnsafeSyncMessage> {
    check_changes(message, max_parsed, max_parsed)
}

/// [`check_sync_message`] with each change chunk also within `max_change` bytes once inflated.
fn check_changes(
    message: &Message,
    max_parsed: u64,
    max_change: u64,
) -> Result<u64, UnsafeSyncMessage> {
    for have in &message.have {
        check_bloom(&have.bloom.to_bytes())?;
    }
    let mut total = 0u64;
    for chunk in message.changes.iter() {
        let room = max_parsed.saturating_sub(total).min(max_change);
        total += check_automerge_bytes(chunk, room)?;
    }
    Ok(total)
}

/// A bloom filter as automerge encodes it: empty, or entries, bits per entry and probes
/// (LEB128) followed by the bits.
fn check_bloom(encoded: &[u8]) -> Result<(), UnsafeSyncMessage> {
    if encoded.is_empty() {
        return Ok(());
    }
    let mut rest = encoded;
    let mut next = || leb128(&mut rest).ok_or(UnsafeSyncMessage::BloomFilter("bad header"));
    let entries = next()?;
    let _bits_per_entry = next()?;
    let probes = next()?;
    if entries != 0 && rest.is_empty() {
        return Err(UnsafeSyncMessage::BloomFilter("entries but no bits"));
    }
    if probes > MAX_BLOOM_PROBES {
        return Err(UnsafeSyncMessage::BloomFilter("too many probes"));
    }
    Ok(())
}
