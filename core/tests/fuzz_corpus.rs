//! Every committed fuzz input through its target's body, on stable `cargo test`.
//!
//! The cargo-fuzz targets in `fuzz/` need nightly flags; their bodies live in
//! `enlace_core::fuzzing` so that this test replays, on every CI run, each seed in
//! `fuzz/corpus/<target>/` and each input in `fuzz/regressions/<target>/` (crashes found by
//! fuzzing, kept once fixed). It also checks that the committed seeds are exactly what the seed
//! generator makes; after changing the generator, rewrite them with
//! `ENLACE_WRITE_SEEDS=1 cargo test -p enlace-core --test fuzz_corpus`.

use std::fs;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::path::{Path, PathBuf};

use enlace_core::fuzzing;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

/// The input files of one folder, in name order; a missing folder is an error, so a renamed
/// folder cannot silently turn the replay into a no-op.
fn inputs(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or(".");
            !name.starts_with('.') && !name.ends_with(".md")
        })
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let bytes = fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (p.display().to_string(), bytes)
        })
        .collect()
}

/// Runs `target` over its corpus and regressions; returns how many corpus inputs ran.
fn replay(target: &str) -> usize {
    let corpus = inputs(&fuzz_dir().join("corpus").join(target));
    let regressions = inputs(&fuzz_dir().join("regressions").join(target));
    for (path, bytes) in corpus.iter().chain(&regressions) {
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| fuzzing::run(target, bytes))) {
            eprintln!("fuzz target {target} fails on {path}");
            resume_unwind(panic);
        }
    }
    corpus.len()
}

#[test]
fn wire_decode_corpus_and_regressions_pass() {
    assert!(replay("wire_decode") >= 20, "the wire corpus is missing");
}

#[test]
fn engine_sync_corpus_and_regressions_pass() {
    assert!(replay("engine_sync") >= 5, "the engine corpus is missing");
}

#[test]
fn document_load_corpus_and_regressions_pass() {
    assert!(
        replay("document_load") >= 6,
        "the document corpus is missing"
    );
}

#[test]
fn every_target_is_replayed() {
    assert_eq!(
        fuzzing::TARGETS,
        ["wire_decode", "engine_sync", "document_load"],
        "a new target needs its own replay test above"
    );
    assert!(!fuzzing::run("no-such-target", b""));
}

#[test]
fn committed_seeds_are_what_the_generator_makes() {
    let transcript = fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/wire-transcript-frames.txt"),
    )
    .expect("the capture");
    let seeds = fuzzing::seeds(&transcript);
    let write = std::env::var_os("ENLACE_WRITE_SEEDS").is_some_and(|v| v == "1");
    for seed in &seeds {
        let dir = fuzz_dir().join("corpus").join(seed.target);
        let path = dir.join(&seed.name);
        if write {
            fs::create_dir_all(&dir).expect("create the corpus folder");
            fs::write(&path, &seed.bytes).expect("write a seed");
        }
        let committed = fs::read(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e}; write the seeds with ENLACE_WRITE_SEEDS=1 cargo test -p enlace-core \
                 --test fuzz_corpus",
                path.display()
            )
        });
        assert!(
            committed == seed.bytes,
            "{} differs from the generator's seed; rewrite with ENLACE_WRITE_SEEDS=1",
            path.display()
        );
    }
    let total: usize = seeds.iter().map(|s| s.bytes.len()).sum();
    assert!(total < 100 * 1024, "seed corpus too big: {total} bytes");
}
