//! The captures in `testdata/`, for the tests that go over each of them.

use std::path::{Path, PathBuf};

/// The repository's `testdata/` directory.
pub fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata")
}

/// Every capture (`.pcap`, `.pcapng`) in `testdata/`, sorted by name; each
/// has its key log beside it with the extension `.keys`.
pub fn traces() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir())
        .expect("testdata/ is readable")
        .map(|e| e.expect("testdata/ entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "pcap" || e == "pcapng"))
        .collect();
    v.sort();
    v
}
