//! The WAT guests in `rt-tests/guests/`, compiled at test time with the `wat` crate.

use std::path::{Path, PathBuf};

/// Directory holding the guest sources.
pub fn source_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("guests")
}

/// Directory for compiled guests and other test artifacts (`target/rt-tests`).
pub fn artifact_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("rt-tests")
}

/// Compiles `guests/<name>.wat`, replacing each `{{KEY}}` by its value first,
/// and writes the module to `target/rt-tests/<output>.wasm`. Returns its path.
///
/// # Panics
/// If the source is missing, a placeholder is left unreplaced, or the WAT is invalid:
/// guests are part of the test suite, so these are bugs in the suite.
pub fn compile(name: &str, output: &str, params: &[(&str, &str)]) -> PathBuf {
    let source_path = source_dir().join(format!("{name}.wat"));
    let mut source = std::fs::read_to_string(&source_path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", source_path.display()));
    for (key, value) in params {
        source = source.replace(&format!("{{{{{key}}}}}"), value);
    }
    assert!(
        !source.contains("{{"),
        "{name}.wat has a placeholder without a value"
    );
    let wasm = wat::parse_str(&source)
        .unwrap_or_else(|e| panic!("compiling {}: {e}", source_path.display()));
    let dir = artifact_dir();
    std::fs::create_dir_all(&dir).expect("creating target/rt-tests");
    let path = dir.join(format!("{output}.wasm"));
    std::fs::write(&path, wasm).expect("writing the compiled guest");
    path
}
