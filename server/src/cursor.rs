//! Catch-up cursors as devices see them: the store's change sequence, sealed.
//!
//! The store numbers every document write with one sequence shared by all organisations. Handed
//! out as is, a cursor would show a device how much everyone else wrote between two of its
//! catch-ups. A device only stores a cursor and sends it back, so the server hands out an opaque
//! one instead: a 16-bit check tag and the 48-bit sequence, run through a keyed permutation of
//! 64-bit values (a six-round Feistel network over HMAC-SHA256). Without the key, cursors look
//! like random numbers; two cursors say nothing about how far apart they are, or in which order.
//!
//! Opening a cursor checks the tag. A cursor that was not sealed with this key (a plain sequence
//! from a server before sealed cursors, one from another server or a store restored from a
//! backup, a forged one) fails the check with probability 1 - 2^-16, and anything that passes
//! must also name a sequence the store has reached; whatever fails is read as 0, a full
//! catch-up, which costs a device one pass over the documents it may see and never skips one.
//!
//! 48 bits of sequence last 8 900 years at 1 000 writes a second.

use ring::hmac;

/// The plaintext's top 16 bits: what tells a sealed cursor from anything else.
const TAG: u64 = 0xEC01;
/// Bits of sequence in a cursor.
const SEQ_BITS: u32 = 48;
/// The largest sequence a cursor holds.
pub(crate) const MAX_SEQ: u64 = (1 << SEQ_BITS) - 1;
/// Feistel rounds: four make a strong pseudo-random permutation (Luby-Rackoff); six for margin.
const ROUNDS: u8 = 6;
/// What the cursor key is derived under, so it never equals anything else the parent key signs.
const CONTEXT: &[u8] = b"enlace catch-up cursor key v1\0";

/// The key cursors are sealed with.
pub(crate) struct CursorKey(hmac::Key);

impl std::fmt::Debug for CursorKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CursorKey(..)")
    }
}

impl CursorKey {
    /// The cursor key derived from `parent`, a secret of the server's (the directory's ticket
    /// key) or, on an open server where everyone sees everything anyway, a public value of the
    /// store (its storage id), which still keeps other stores' cursors from being misread.
    pub(crate) fn derive(parent: &hmac::Key) -> Self {
        let derived = hmac::sign(parent, CONTEXT);
        CursorKey(hmac::Key::new(hmac::HMAC_SHA256, derived.as_ref()))
    }

    /// The cursor for sequence `seq`: 0 stays 0 (nothing seen yet); `None` past [`MAX_SEQ`].
    pub(crate) fn seal(&self, seq: u64) -> Option<u64> {
        if seq == 0 {
            return Some(0);
        }
        if seq > MAX_SEQ {
            return None;
        }
        let (mut left, mut right) = split((TAG << SEQ_BITS) | seq);
        for round in 0..ROUNDS {
            (left, right) = (right, left ^ self.round(round, right));
        }
        Some(join(left, right))
    }

    /// The sequence of `cursor`, if it was sealed with this key and names a sequence no later
    /// than `newest` (the store's latest); `None` for anything else, which the caller reads as
    /// 0. Cursor 0 is sequence 0.
    pub(crate) fn open(&self, cursor: u64, newest: u64) -> Option<u64> {
        if cursor == 0 {
            return Some(0);
        }
        let (mut left, mut right) = split(cursor);
        for round in (0..ROUNDS).rev() {
            (left, right) = (right ^ self.round(round, left), left);
        }
        let plain = join(left, right);
        let seq = plain & MAX_SEQ;
        (plain >> SEQ_BITS == TAG && seq <= newest).then_some(seq)
    }

    fn round(&self, round: u8, half: u32) -> u32 {
        let mut input = [0u8; 5];
        input[0] = round;
        input[1..].copy_from_slice(&half.to_be_bytes());
        let tag = hmac::sign(&self.0, &input);
        let mut out = [0u8; 4];
        out.copy_from_slice(&tag.as_ref()[..4]);
        u32::from_be_bytes(out)
    }
}

fn split(value: u64) -> (u32, u32) {
    ((value >> 32) as u32, value as u32)
}

fn join(left: u32, right: u32) -> u64 {
    (u64::from(left) << 32) | u64::from(right)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> CursorKey {
        CursorKey::derive(&hmac::Key::new(hmac::HMAC_SHA256, &[byte; 32]))
    }

    #[test]
    fn sealed_cursors_open_to_their_sequence() {
        let key = key(1);
        for seq in [0, 1, 2, 3, 1000, 1 << 32, MAX_SEQ] {
            let cursor = key.seal(seq).expect("in range");
            assert_eq!(key.open(cursor, MAX_SEQ), Some(seq), "{seq}");
        }
        assert_eq!(key.seal(MAX_SEQ + 1), None);
    }

    #[test]
    fn cursors_show_neither_the_sequence_nor_the_distance() {
        let key = key(1);
        let cursors: Vec<u64> = (1..=1000).map(|s| key.seal(s).expect("seal")).collect();
        // Consecutive sequences give unrelated cursors: none small, none near another.
        assert!(cursors.iter().all(|c| *c > u64::from(u32::MAX)));
        let mut sorted = cursors.clone();
        sorted.sort_unstable();
        assert_ne!(
            sorted, cursors,
            "the order of cursors is not the order of writes"
        );
        assert!(sorted.windows(2).all(|w| w[1] - w[0] > 1000));
    }

    #[test]
    fn plain_and_foreign_cursors_read_as_a_full_catch_up() {
        let (ours, theirs) = (key(1), key(2));
        // A plain sequence an older server handed out.
        for plain in 1..=100_000 {
            assert_eq!(ours.open(plain, 1_000_000), None, "{plain}");
        }
        // Another key's cursors.
        for seq in 1..=10_000 {
            let foreign = theirs.seal(seq).expect("seal");
            assert_eq!(ours.open(foreign, 1_000_000), None, "{seq}");
        }
        // Our own cursor, for a sequence the store has not reached (a restored backup).
        let ahead = ours.seal(500).expect("seal");
        assert_eq!(ours.open(ahead, 499), None);
        assert_eq!(ours.open(ahead, 500), Some(500));
    }
}
