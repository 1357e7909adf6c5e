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
    let expected = format!("wasmer 7.4.2+rt.{}\n", series().len());
    assert_eq!(wasmer(&["--version"]), expected);
    assert_eq!(wasmer(&["-V"]), expected);
}

#[test]
fn verbose_version_lists_every_patch() {
    let text = wasmer(&["--version", "--verbose"]);
    for patch in series() {
        assert!(text.contains(&patch), "{patch} missing from:\n{text}");
    }
    assert!(
        text.contains("upstream: wasmerio/wasmer 7a48a071"),
        "{text}"
    );
}
