//! Huge declared lengths and decompression bombs are refused without being allocated.
//!
//! Each check runs in a child process of this test binary (one test, one thread, one malloc
//! arena) and measures the process's peak virtual size (`VmPeak`) around the hostile call:
//! everything allocated, touched or not, is mapped, so the peak bounds what was allocated. The
//! inputs declare or inflate to 4 GiB; the peak may grow by at most 64 MiB.

use std::process::Command;

use automerge::sync::{State, SyncDoc};
use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT};
use enlace_core::DocumentId;
use enlace_core::wire::{
    DecodeError, DecodeLimits, InflateError, Message, UnsafeSyncMessage, check_automerge_bytes,
    check_sync_message, decode, encode,
};

const MIB: u64 = 1024 * 1024;
/// The most a hostile call may raise the peak.
const CEILING: u64 = 64 * MIB;
/// What the hostile inputs declare or inflate to.
const HUGE: u64 = 4 * 1024 * MIB;
/// The bound the store and the engine would pass (the store's `MAX_MERGE_BYTES`).
const MAX_PARSED: u64 = 64 * MIB;

/// Set in the child process.
const CHILD: &str = "ENLACE_HOSTILE_CHILD";

/// How much a hostile call may raise the peak virtual size.
enum Growth {
    /// Less than this.
    Below(u64),
    /// At least this (the call is known to allocate).
    AtLeast(u64),
}

/// Builds the input with `setup`, then runs the hostile call it returns in a child process of
/// this test binary, checking by how much it raised the peak virtual size. Test `test` calls
/// this; in the parent it passes when the child's run of `test` passes.
fn measured(test: &str, setup: impl FnOnce() -> Box<dyn FnOnce()>, bound: Growth) {
    if std::env::var_os(CHILD).is_none() {
        let out = Command::new(std::env::current_exe().expect("the test binary"))
            .args([test, "--exact", "--test-threads=1", "--nocapture"])
            .env(CHILD, "1")
            .env("MALLOC_ARENA_MAX", "1")
            .output()
            .expect("run the child");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("1 passed"),
            "child for {test} failed: {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        return;
    }
    // Inputs are built before measuring: only the hostile call counts.
    let hostile = setup();
    let before = vm("VmSize");
    hostile();
    let growth = vm("VmPeak").saturating_sub(before);
    println!("{test}: peak virtual size grew by {} KiB", growth / 1024);
    match bound {
        Growth::Below(max) => assert!(growth < max, "{test}: peak grew by {growth} bytes"),
        Growth::AtLeast(min) => assert!(growth >= min, "{test}: peak grew by {growth} bytes"),
    }
}

/// A `/proc/self/status` field, in bytes.
fn vm(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let line = status
        .lines()
        .find(|l| l.starts_with(field))
        .unwrap_or_else(|| panic!("no {field}"));
    let kib: u64 = line
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .expect("a number of kB");
    kib * 1024
}

/// A `sync` frame whose `data` is `header` followed by `present` real bytes.
fn frame_with_data(header: &[u8], present: usize) -> Vec<u8> {
    let doc = DocumentId::from_bytes([1; 16]).to_string();
    let mut f = vec![0xa5];
    for (k, v) in [
        ("type", "sync"),
        ("senderId", "phone"),
        ("targetId", "server"),
        ("documentId", doc.as_str()),
    ] {
        for text in [k, v] {
            // Short texts: the length in the header byte, or in one byte after 0x78.
            match u8::try_from(text.len()).expect("short") {
                n @ 0..24 => f.push(0x60 + n),
                n => f.extend([0x78, n]),
            }
            f.extend(text.as_bytes());
        }
    }
    f.extend([0x64]);
    f.extend(b"data");
    f.extend(header);
    f.extend(std::iter::repeat_n(0u8, present));
    f
}

#[test]
fn the_frame_builder_makes_frames_that_decode() {
    let frame = frame_with_data(&[0x43], 3);
    let Ok(Message::Sync { data, .. }) = decode(&frame, &DecodeLimits::default()) else {
        panic!("a well-formed sync frame");
    };
    assert_eq!(data, [0, 0, 0]);
}

#[test]
fn a_frame_declaring_a_4_gib_byte_string_is_refused_unallocated() {
    measured(
        "a_frame_declaring_a_4_gib_byte_string_is_refused_unallocated",
        || {
            // 0x5b: byte string, 8-byte length.
            let mut header = vec![0x5b];
            header.extend(HUGE.to_be_bytes());
            let frame = frame_with_data(&header, 16);
            Box::new(move || {
                // Even with every limit lifted, only the bytes present could ever be copied.
                let limits = DecodeLimits {
                    max_frame_bytes: usize::MAX,
                    max_data_bytes: usize::MAX,
                    ..DecodeLimits::default()
                };
                let err = decode(&frame, &limits).expect_err("4 GiB are not there");
                assert!(matches!(err, DecodeError::Truncated), "{err:?}");
            })
        },
        Growth::Below(CEILING),
    );
}

#[test]
fn huge_declared_text_array_and_map_lengths_are_refused_unallocated() {
    measured(
        "huge_declared_text_array_and_map_lengths_are_refused_unallocated",
        || {
            let mut frames = Vec::new();
            // Text, array and map headers with 8-byte lengths, as the whole frame or as `data`.
            for major in [0x7b_u8, 0x9b, 0xbb] {
                let mut lone = vec![major];
                lone.extend(HUGE.to_be_bytes());
                frames.push(lone.clone());
                frames.push(frame_with_data(&lone, 0));
                let mut max = vec![major];
                max.extend(u64::MAX.to_be_bytes());
                frames.push(max);
            }
            Box::new(move || {
                for frame in &frames {
                    assert!(decode(frame, &DecodeLimits::default()).is_err());
                }
            })
        },
        Growth::Below(CEILING),
    );
}

#[test]
fn chunked_data_past_the_limit_is_refused_before_it_is_all_copied() {
    measured(
        "chunked_data_past_the_limit_is_refused_before_it_is_all_copied",
        || {
            // An indefinite byte string of 3 chunks of 8 MiB: 24 MiB of real bytes against the
            // default 16 MiB data limit.
            let chunk = 8 * MIB as usize;
            let mut header = vec![0x5f];
            let mut body = Vec::new();
            for _ in 0..3 {
                body.push(0x5a);
                body.extend((chunk as u32).to_be_bytes());
                body.extend(std::iter::repeat_n(0u8, chunk));
            }
            body.push(0xff);
            header.extend(body);
            let frame = frame_with_data(&header, 0);
            let limits = DecodeLimits {
                max_frame_bytes: 64 * MIB as usize,
                ..DecodeLimits::default()
            };
            Box::new(move || {
                let err = decode(&frame, &limits).expect_err("over the data limit");
                assert!(matches!(err, DecodeError::LimitExceeded { .. }), "{err:?}");
            })
        },
        // The data kept before the refusal is bounded by the limit (16 MiB, doubled by growth).
        Growth::Below(CEILING),
    );
}

/// A raw deflate stream (one dynamic-Huffman block) inflating to `1 + 258 * repeats` zero bytes
/// in 2 bits per 258 bytes: a literal 0, then `repeats` copies of (length 258, distance 1).
fn deflate_bomb(repeats: u64) -> Vec<u8> {
    let mut w = BitWriter::default();
    w.bits(1, 1); // BFINAL
    w.bits(2, 2); // BTYPE = dynamic
    w.bits(29, 5); // HLIT: 286 literal/length codes
    w.bits(1, 5); // HDIST: 2 distance codes
    w.bits(14, 4); // HCLEN: 18 code-length codes
    // Code-length code lengths, in the RFC's order 16 17 18 0 8 7 9 6 10 5 11 4 12 3 13 2 14 1:
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
    w.finish()
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
            let last = self.out.len() - 1;
            self.out[last] |= (((value >> i) & 1) as u8) << self.bit;
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
        let bytes = usize::try_from(n / 8).expect("fits");
        self.out.resize(self.out.len() + bytes, 0);
        for _ in 0..n % 8 {
            self.bits(0, 1);
        }
    }

    fn finish(self) -> Vec<u8> {
        self.out
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

/// An automerge chunk of type `kind` around `body` (the checksum is not checked before
/// automerge inflates, so any will do).
fn chunk(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut c = vec![0x85, 0x6f, 0x4a, 0x83, 0xde, 0xad, 0xbe, 0xef, kind];
    leb128(body.len() as u64, &mut c);
    c.extend(body);
    c
}

/// Repeats for a bomb inflating to just over `bytes`.
fn repeats_for(bytes: u64) -> u64 {
    bytes / 258 + 1
}

#[test]
fn the_bomb_builder_makes_real_deflate() {
    // Small enough to check exactly: 1 + 258 * 1000 bytes.
    let small = chunk(2, &deflate_bomb(1000));
    assert_eq!(
        check_automerge_bytes(&small, MAX_PARSED),
        Ok(1 + 258 * 1000)
    );
}

#[test]
fn automerge_itself_inflates_a_bomb_unbounded() {
    // Why the guard exists: handed a compressed chunk that inflates to 48 MiB, automerge's load
    // allocates all of it before it finds the chunk is no change. (This also proves the bomb
    // builder's stream is deflate that automerge's inflater accepts.)
    measured(
        "automerge_itself_inflates_a_bomb_unbounded",
        || {
            let bomb = chunk(2, &deflate_bomb(repeats_for(48 * MIB)));
            Box::new(move || assert!(AutoCommit::load(&bomb).is_err()))
        },
        Growth::AtLeast(48 * MIB),
    );
}

#[test]
fn a_compressed_change_inflating_to_4_gib_is_refused_unallocated() {
    measured(
        "a_compressed_change_inflating_to_4_gib_is_refused_unallocated",
        || {
            let bomb = chunk(2, &deflate_bomb(repeats_for(HUGE)));
            assert!(
                bomb.len() < 5 * MIB as usize,
                "a bomb is small: {}",
                bomb.len()
            );
            Box::new(move || {
                assert_eq!(
                    check_automerge_bytes(&bomb, MAX_PARSED),
                    Err(InflateError::TooLarge { max: MAX_PARSED })
                );
            })
        },
        Growth::Below(CEILING),
    );
}

#[test]
fn the_store_refuses_a_4_gib_compressed_change_unallocated() {
    measured(
        "the_store_refuses_a_4_gib_compressed_change_unallocated",
        || {
            let bomb = chunk(2, &deflate_bomb(repeats_for(HUGE)));
            let store = enlace_core::store::Store::open_in_memory().expect("store");
            Box::new(move || {
                let id = DocumentId::new_random();
                let write = enlace_core::store::BatchWrite::Changes {
                    doc: id,
                    bytes: &bomb,
                    heads: None,
                    base: None,
                };
                let outcomes = store.write_batch(&[write], |_| Ok(None)).expect("commit");
                assert!(
                    matches!(
                        outcomes[0],
                        Err(enlace_core::store::StoreError::UnsafeChanges { .. })
                    ),
                    "{:?}",
                    outcomes[0]
                );
                assert_eq!(store.heads(id).expect("heads"), None, "nothing stored");
            })
        },
        Growth::Below(CEILING),
    );
}

#[test]
fn a_document_with_a_4_gib_deflated_column_is_refused_unallocated() {
    measured(
        "a_document_with_a_4_gib_deflated_column_is_refused_unallocated",
        || {
            let stream = deflate_bomb(repeats_for(HUGE));
            // No actors, no heads, one deflated change column (id 1, type 0), no op columns.
            let mut body = vec![0, 0, 1];
            leb128((1 << 4) | 0b1000, &mut body);
            leb128(stream.len() as u64, &mut body);
            body.push(0);
            body.extend(&stream);
            let doc = chunk(0, &body);
            Box::new(move || {
                assert_eq!(
                    check_automerge_bytes(&doc, MAX_PARSED),
                    Err(InflateError::TooLarge { max: MAX_PARSED })
                );
            })
        },
        Growth::Below(CEILING),
    );
}

#[test]
fn a_sync_message_carrying_a_bomb_is_refused_unallocated() {
    measured(
        "a_sync_message_carrying_a_bomb_is_refused_unallocated",
        || {
            // A real first sync message, with the bomb as its changes, in a real frame: small
            // enough for the wire limits, so only the inflation guard stands in the way.
            let mut doc = AutoCommit::new();
            doc.put(ROOT, "client", "Acme").expect("put");
            let mut message = doc
                .sync()
                .generate_sync_message(&mut State::new())
                .expect("a message");
            message.changes = vec![chunk(2, &deflate_bomb(repeats_for(HUGE)))].into();
            let frame = encode(&Message::Sync {
                sender_id: "phone".parse().expect("id"),
                target_id: "server".parse().expect("id"),
                document_id: DocumentId::from_bytes([1; 16]),
                data: message.encode(),
            });
            Box::new(move || {
                let Ok(Message::Sync { data, .. }) = decode(&frame, &DecodeLimits::default())
                else {
                    panic!("the frame is within the wire limits");
                };
                let message = automerge::sync::Message::decode(&data).expect("decodes");
                assert_eq!(
                    check_sync_message(&message, MAX_PARSED),
                    Err(UnsafeSyncMessage::Changes(InflateError::TooLarge {
                        max: MAX_PARSED
                    }))
                );
            })
        },
        Growth::Below(CEILING),
    );
}

#[test]
fn real_documents_pass_the_guard_with_their_true_size() {
    // A document big enough for automerge to deflate its columns; the guard must accept it and
    // count more than its saved size.
    let mut doc = AutoCommit::new();
    let text = "quiebre de stock en la góndola de lácteos ".repeat(200);
    doc.put(ROOT, "notes", text.as_str()).expect("put");
    let saved = doc.save();
    let parsed = check_automerge_bytes(&saved, MAX_PARSED).expect("a real document passes");
    assert!(parsed > saved.len() as u64, "{parsed} vs {}", saved.len());
    let mut change = doc.get_last_local_change().expect("a change");
    let compressed = change.bytes().into_owned();
    assert_eq!(compressed[8], 2, "automerge compressed the change");
    let inflated = check_automerge_bytes(&compressed, MAX_PARSED).expect("passes");
    assert!(inflated > compressed.len() as u64);
    assert!(check_automerge_bytes(&compressed, 16).is_err());
}
