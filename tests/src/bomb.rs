//! Deflate bombs in `sync` frames: a compressed automerge change chunk whose deflate stream is a
//! few bytes per 258 inflated zeros (a literal, then back-references of length 258 at distance
//! 1), so a frame of 61 KB makes automerge inflate 60 MiB. The chunk is no change once inflated;
//! on a document the server already holds, automerge's incremental load logs the chunk as a
//! partial load and carries on, so the sender is not closed for it: what the bomb costs is the
//! inflating, on the engine's thread.

use automerge::sync::{Message as SyncMessage, State, SyncDoc};
use enlace_core::ids::{DocumentId, PeerId};
use enlace_core::wire::{Message, encode};

/// A raw deflate stream (one dynamic-Huffman block) that inflates to at least `inflated` zero
/// bytes (`1 + 258 * n`, the first such count), in two bits per 258 bytes.
pub fn deflate_stream(inflated: u64) -> Vec<u8> {
    let repeats = inflated / 258 + 1;
    let mut w = BitWriter::default();
    w.bits(1, 1); // BFINAL
    w.bits(2, 2); // BTYPE = dynamic
    w.bits(29, 5); // HLIT: 286 literal/length codes
    w.bits(1, 5); // HDIST: 2 distance codes
    w.bits(14, 4); // HCLEN: 18 code-length codes
    // Code-length code lengths, in RFC 1951's order 16 17 18 0 8 7 9 6 10 5 11 4 12 3 13 2 14 1:
    // symbol 18 gets 1 bit, symbols 1 and 2 get 2 bits.
    for len in [0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 2] {
        w.bits(len, 3);
    }
    // Canonical code-length codes: 18 = 0, 1 = 10, 2 = 11 (Huffman codes go MSB first).
    let (cl18, cl1, cl2) = ((0, 1), (0b10, 2), (0b11, 2));
    w.code(cl2); // literal 0: length 2
    w.code(cl18);
    w.bits(127, 7); // 138 zeros
    w.code(cl18);
    w.bits(106, 7); // 117 zeros: literals 1..=255
    w.code(cl2); // end of block: length 2
    w.code(cl18);
    w.bits(17, 7); // 28 zeros: lengths 257..=284
    w.code(cl1); // length symbol 285 (258 bytes): length 1
    w.code(cl1); // distance 0 (distance 1): length 1
    w.code(cl1); // distance 1: length 1
    // Literal/length code: 285 = 0, literal 0 = 10, end of block = 11; distance 0 = 0.
    w.code((0b10, 2));
    w.zeros(2 * repeats);
    w.code((0b11, 2));
    w.out
}

/// A compressed change chunk (type 2) around [`deflate_stream`]. The checksum is not checked
/// before automerge inflates, so any will do.
pub fn change_chunk(inflated: u64) -> Vec<u8> {
    let body = deflate_stream(inflated);
    let mut chunk = vec![0x85, 0x6f, 0x4a, 0x83, 0xde, 0xad, 0xbe, 0xef, 2];
    leb128(body.len() as u64, &mut chunk);
    chunk.extend(body);
    chunk
}

/// A `sync` frame from `sender` about `doc` whose changes are one bomb inflating to at least
/// `inflated` bytes. The rest of the message is what a peer holding nothing sends.
pub fn sync_frame(sender: &str, doc: DocumentId, inflated: u64) -> Vec<u8> {
    sync_frame_carrying(sender, doc, change_chunk(inflated))
}

/// A `sync` frame from `sender` about `doc` whose changes are `chunks` (automerge chunks, a
/// saved document for one): what a peer holding nothing else sends.
pub fn sync_frame_carrying(sender: &str, doc: DocumentId, chunks: Vec<u8>) -> Vec<u8> {
    let mut message: SyncMessage = automerge::Automerge::new()
        .generate_sync_message(&mut State::new())
        .expect("an empty document still says hello");
    message.changes = vec![chunks].into();
    encode(&Message::Sync {
        sender_id: sender.parse::<PeerId>().expect("peer id"),
        target_id: "server".parse::<PeerId>().expect("peer id"),
        document_id: doc,
        data: message.encode(),
    })
}

#[derive(Default)]
struct BitWriter {
    out: Vec<u8>,
    bit: u32,
}

impl BitWriter {
    /// `n` bits of `value`, least significant first (deflate's order for numbers).
    fn bits(&mut self, value: u32, n: u32) {
        for i in 0..n {
            if self.bit == 0 {
                self.out.push(0);
            }
            if let Some(last) = self.out.last_mut() {
                *last |= (((value >> i) & 1) as u8) << self.bit;
            }
            self.bit = (self.bit + 1) % 8;
        }
    }

    /// A Huffman code of `len` bits, most significant first.
    fn code(&mut self, (code, len): (u32, u32)) {
        for i in (0..len).rev() {
            self.bits((code >> i) & 1, 1);
        }
    }

    fn zeros(&mut self, mut n: u64) {
        while n > 0 && self.bit != 0 {
            self.bits(0, 1);
            n -= 1;
        }
        let bytes = usize::try_from(n / 8).expect("a bomb fits in memory");
        self.out.resize(self.out.len() + bytes, 0);
        for _ in 0..n % 8 {
            self.bits(0, 1);
        }
    }
}

fn leb128(mut n: u64, out: &mut Vec<u8>) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// A storecheck of account `acme` made by `token`'s user (joined as `name`) and stored on the
/// server: what bombs are sent about, since bombs about a document the server holds are what
/// automerge inflates and then shrugs off.
pub async fn stored_document(
    url: &str,
    token: &str,
    name: &str,
    patience: std::time::Duration,
) -> DocumentId {
    use automerge::transaction::Transactable;
    let owner = crate::client::Client::connect_with_bearer(url, name, token)
        .await
        .expect("the document's owner connects");
    let doc = owner
        .create(|tx| {
            tx.put(automerge::ROOT, "kind", "storecheck").expect("put");
            tx.put(automerge::ROOT, "account_id", "acme").expect("put");
        })
        .await;
    owner
        .wait_for("the document stored", patience, |v| v.in_sync(&doc))
        .await
        .expect("stored");
    owner.close().await;
    doc
}

#[cfg(test)]
mod tests {
    use enlace_core::wire::{DecodeLimits, check_automerge_bytes, check_sync_data, decode};

    use super::*;

    #[test]
    fn the_issues_frame_is_61_kb_and_inflates_to_60_mib() {
        let doc = DocumentId::new_random();
        let frame = sync_frame("bomber", doc, 60 << 20);
        assert!(frame.len() < 62_000, "{}", frame.len());
        let Ok(Message::Sync { data, .. }) = decode(&frame, &DecodeLimits::default()) else {
            panic!("a sync frame within the wire limits");
        };
        let inflated = check_sync_data(&data, 1 << 30, 1 << 30).expect("measurable");
        assert!(
            (60 << 20..(60 << 20) + 300).contains(&inflated),
            "{inflated}"
        );
        assert_eq!(
            check_automerge_bytes(&change_chunk(1000), 1 << 20),
            Ok(1 + 258 * 4)
        );
    }

    #[test]
    fn automerge_inflates_it_and_carries_on() {
        let mut doc = automerge::AutoCommit::new();
        automerge::transaction::Transactable::put(&mut doc, automerge::ROOT, "k", 1).expect("put");
        let heads = doc.get_heads();
        doc.load_incremental(&change_chunk(1 << 20))
            .expect("a partial load is no error");
        assert_eq!(doc.get_heads(), heads);
    }
}
