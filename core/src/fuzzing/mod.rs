//! The bodies of the fuzz targets in `fuzz/` and the generator of their seed corpora.
//!
//! They live here, behind the feature `testing`, so that one copy serves both the cargo-fuzz
//! targets (nightly-only tooling, a crate outside the workspace) and the stable test
//! `core/tests/fuzz_corpus.rs`, which replays every committed corpus and regression input on
//! every `cargo test`. A fuzz target is then a one-line call, and a crash found by fuzzing is
//! reproduced by CI without nightly. Not a public API: hidden from the docs, free to change.
//!
//! Each body panics exactly when the code under test breaks a promise (a panic inside it, or an
//! assertion here: a round trip that does not hold, an effect out of bounds); anything the code
//! merely refuses is fine.

mod document_load;
mod engine_sync;
mod seeds;
mod wire_decode;

pub use document_load::document_load;
pub use engine_sync::{EngineInput, engine_sync};
pub use seeds::{Seed, seeds};
pub use wire_decode::wire_decode;

/// The fuzz targets, by the names of their `fuzz/fuzz_targets/*.rs` files and corpus folders.
pub const TARGETS: [&str; 3] = ["wire_decode", "engine_sync", "document_load"];

/// Runs the body of target `name` on `data`; `false` for an unknown name.
pub fn run(name: &str, data: &[u8]) -> bool {
    match name {
        "wire_decode" => wire_decode(data),
        "engine_sync" => engine_sync(data),
        "document_load" => document_load(data),
        _ => return false,
    }
    true
}
