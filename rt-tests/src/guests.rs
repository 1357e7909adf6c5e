//! The WAT guests in `rt-tests/guests/`, compiled at test time with the `wat` crate.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

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

/// Compiles `guests/<name>.wat` and writes the module to
/// `target/rt-tests/<output>.wasm`. Returns its path.
///
/// Each `{{KEY}}` is replaced by its value from `params` first; then each
/// `{{include:NAME}}` by the text of `guests/include/NAME.wat`; then the `{{KEY}}`s
/// the includes brought in.
///
/// # Panics
/// If a source is missing, a placeholder is left unreplaced, or the WAT is invalid:
/// guests are part of the test suite, so these are bugs in the suite.
pub fn compile(name: &str, output: &str, params: &[(&str, &str)]) -> PathBuf {
    let source_path = source_dir().join(format!("{name}.wat"));
    let fill = |mut text: String| {
        for (key, value) in params {
            text = text.replace(&format!("{{{{{key}}}}}"), value);
        }
        text
    };
    // Placeholders can choose an include, and includes can hold placeholders.
    let source = fill(expand_includes(&fill(read(&source_path))));
    assert!(
        !source.contains("{{"),
        "{name}.wat has a placeholder without a value"
    );
    let wasm = wat::parse_str(&source)
        .unwrap_or_else(|e| panic!("compiling {}: {e}", source_path.display()));
    let dir = artifact_dir();
    std::fs::create_dir_all(&dir).expect("creating target/rt-tests");
    let path = dir.join(format!("{output}.wasm"));
    write_atomically(&path, &wasm);
    path
}

/// Writes `bytes` to a file of its own next to `path`, then renames it over
/// `path`: tests running in parallel compile the same guest to the same path, and
/// a plain write would let one test's `wasmer run` read the file while another
/// test has just truncated it.
fn write_atomically(path: &Path, bytes: &[u8]) {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(
        ".{}.{}.tmp",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, bytes).expect("writing the compiled guest");
    std::fs::rename(&tmp, path).expect("moving the compiled guest into place");
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// Replaces every `{{include:NAME}}` by `guests/include/NAME.wat`.
fn expand_includes(source: &str) -> String {
    const OPEN: &str = "{{include:";
    let mut out = String::with_capacity(source.len());
    let mut rest = source;
    while let Some(start) = rest.find(OPEN) {
        let after = &rest[start + OPEN.len()..];
        let end = after.find("}}").expect("unterminated {{include:");
        out.push_str(&rest[..start]);
        out.push_str(&read(
            &source_dir()
                .join("include")
                .join(format!("{}.wat", &after[..end])),
        ));
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

/// Encodes bytes as the body of a WAT string literal (`\xx` escapes).
pub fn wat_bytes(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("\\{b:02x}")).collect()
}
