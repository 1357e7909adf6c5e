//! `wasmer --version` identifies the patched build and lists the applied series.

use std::path::Path;
use std::process::Command;

fn series() -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../patches/series");
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

/// `(version, upstream commit)` of the vendored wasmer-cli, from vendor/crates.toml.
fn vendored_cli() -> (String, String) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../vendor/crates.toml");
    let manifest: toml::Table = std::fs::read_to_string(path).unwrap().parse().unwrap();
    let cli = manifest["crate"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"].as_str() == Some("wasmer-cli"))
        .unwrap();
    let field = |key: &str| cli[key].as_str().unwrap().to_owned();
    (field("version"), field("upstream-commit"))
}

fn wasmer(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_wasmer"))
        .args(args)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn version_carries_the_rt_suffix() {
    let (version, _) = vendored_cli();
    let expected = format!("wasmer {version}+rt.{}\n", series().len());
    assert_eq!(wasmer(&["--version"]), expected);
    assert_eq!(wasmer(&["-V"]), expected);
}

#[test]
fn verbose_version_lists_every_patch() {
    let text = wasmer(&["--version", "--verbose"]);
    for patch in series() {
        assert!(text.contains(&patch), "{patch} missing from:\n{text}");
    }
    let (version, commit) = vendored_cli();
    assert!(
        text.contains(&format!("upstream: wasmerio/wasmer {commit}")),
        "{text}"
    );
    assert!(text.contains(&format!("wasmer-cli {version})")), "{text}");
}
