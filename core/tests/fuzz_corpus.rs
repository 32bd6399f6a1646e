//! Replays every committed fuzz corpus file (`fuzz/corpus/<target>/*`) through the
//! fuzz targets' own entry points, on the stable toolchain, so CI exercises them on
//! every run. The entry points are `fuzz_entries/` (which `fuzz/src/lib.rs` re-exports for cargo-fuzz), included here as a module.
#![allow(clippy::unwrap_used, missing_docs)]

#[path = "fuzz_entries/mod.rs"]
mod entries;

use std::path::PathBuf;

fn corpus_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus")
}

#[test]
fn every_target_has_a_seed_corpus_and_every_corpus_a_target() {
    let mut dirs: Vec<String> = std::fs::read_dir(corpus_root())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    dirs.sort();
    let mut targets: Vec<String> = entries::TARGETS
        .iter()
        .map(|(n, _)| (*n).to_owned())
        .collect();
    targets.sort();
    assert_eq!(dirs, targets);
}

#[test]
fn every_corpus_file_replays_without_a_finding() {
    let mut replayed = 0;
    for (name, entry) in entries::TARGETS {
        let dir = corpus_root().join(name);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        assert!(!files.is_empty(), "no seed corpus in {}", dir.display());
        for file in files {
            let data = std::fs::read(&file).unwrap();
            let outcome = std::panic::catch_unwind(|| entry(&data));
            assert!(outcome.is_ok(), "finding in {}", file.display());
            replayed += 1;
        }
    }
    eprintln!("replayed {replayed} corpus files");
}
