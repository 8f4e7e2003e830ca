//! automerge inputs that crash automerge itself are refused before it parses them (both found by
//! fuzzing: `fuzz/regressions/engine_sync/crash-bloom-no-bits` and
//! `fuzz/regressions/document_load/crash-bundle-hexane-unwrap`).

use std::panic::{AssertUnwindSafe, catch_unwind};

use automerge::sync::{Message, State, SyncDoc};
use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT};
use enlace_core::wire::{
    InflateError, MAX_BLOOM_PROBES, UnsafeSyncMessage, check_automerge_bytes, check_sync_message,
};

/// A V1 sync message with no heads, no needs, one `have` whose bloom filter is
/// (entries, bits per entry, probes) with no bits, and no changes.
fn message_with_bloom(entries: u8, bits_per_entry: u8, probes: u8) -> Vec<u8> {
    vec![0x42, 0, 0, 1, 0, 3, entries, bits_per_entry, probes, 0]
}

fn doc_with_a_change() -> AutoCommit {
    let mut doc = AutoCommit::new();
    doc.put(ROOT, "client", "Acme").expect("put");
    doc
}

#[test]
fn automerge_panics_on_a_bloom_filter_with_entries_but_no_bits() {
    // Why the check exists: a server holding any change panics answering this message.
    let message = Message::decode(&message_with_bloom(1, 0, 7)).expect("decodes");
    let mut doc = doc_with_a_change();
    let mut state = State::new();
    let crashed = catch_unwind(AssertUnwindSafe(|| {
        let _ = doc.sync().receive_sync_message(&mut state, message);
        doc.sync().generate_sync_message(&mut state)
    }));
    assert!(
        crashed.is_err(),
        "automerge no longer panics: the check may be relaxed"
    );
}

#[test]
fn a_bloom_filter_with_entries_but_no_bits_is_refused() {
    let message = Message::decode(&message_with_bloom(1, 0, 7)).expect("decodes");
    assert!(matches!(
        check_sync_message(&message, 1 << 20),
        Err(UnsafeSyncMessage::BloomFilter(_))
    ));
}

#[test]
fn a_bloom_filter_with_too_many_probes_is_refused() {
    // 1 entry, 8 bits per entry: one byte of bits; 127 probes.
    let mut bytes = message_with_bloom(1, 8, 127);
    bytes[5] = 4;
    bytes.insert(9, 0xff);
    let message = Message::decode(&bytes).expect("decodes");
    assert!(u64::from(127u8) > MAX_BLOOM_PROBES);
    assert!(matches!(
        check_sync_message(&message, 1 << 20),
        Err(UnsafeSyncMessage::BloomFilter(_))
    ));
}

#[test]
fn real_sync_messages_pass() {
    let mut a = doc_with_a_change();
    let mut b = AutoCommit::new();
    b.put(ROOT, "facings", 6).expect("put");
    let (mut sa, mut sb) = (State::new(), State::new());
    let mut checked = 0;
    for _ in 0..6 {
        if let Some(m) = a.sync().generate_sync_message(&mut sa) {
            check_sync_message(&m, 1 << 20).expect("a real message passes");
            checked += 1;
            b.sync().receive_sync_message(&mut sb, m).expect("applies");
        }
        if let Some(m) = b.sync().generate_sync_message(&mut sb) {
            check_sync_message(&m, 1 << 20).expect("a real message passes");
            checked += 1;
            a.sync().receive_sync_message(&mut sa, m).expect("applies");
        }
    }
    assert!(checked >= 3);
    assert_eq!(a.get_heads(), b.get_heads());
}

/// The malformed bundle chunk fuzzing found (`fuzz/regressions/document_load/`).
fn malformed_bundle() -> Vec<u8> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fuzz/regressions/document_load/crash-bundle-hexane-unwrap"
    );
    std::fs::read(path).expect("the regression input")
}

#[test]
fn automerge_panics_on_a_malformed_bundle() {
    // Why bundles are refused: automerge's strict load panics (an unwrap in hexane) instead of
    // returning an error.
    let bundle = malformed_bundle();
    assert_eq!(bundle[8], 3, "a bundle chunk");
    let crashed = catch_unwind(|| AutoCommit::load(&bundle).map(|_| ()));
    assert!(
        crashed.is_err(),
        "automerge no longer panics: bundles may be accepted again"
    );
}

#[test]
fn bundles_are_refused_before_automerge_parses_them() {
    assert_eq!(
        check_automerge_bytes(&malformed_bundle(), 1 << 20),
        Err(InflateError::Bundle)
    );
}
