//! Fuzz target `wire_decode`: the body is `enlace_core::fuzzing::wire_decode`, shared with the stable corpus
//! replay in core/tests/fuzz_corpus.rs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| enlace_core::fuzzing::wire_decode(data));
