//! `cargo xtask vendored-tests`: the unit tests that the series adds to the vendored
//! wasmer-wasix, run in the crate itself.
//!
//! The vendored crate is not a workspace member (its dev-dependencies would join our
//! resolution), and its unit tests `include_bytes!` files from the Wasmer monorepo
//! that the published crate does not ship. So the crate is mirrored to
//! `target/vendored-tests/lib/wasix` (its monorepo path), the missing test files are
//! created empty, and `cargo test --lib` runs there with the lock file
//! `ci/vendored-tests.lock` and the workspace's target directory (shared
//! dependencies build once). Only the modules the series touches are run: the rest
//! of upstream's unit tests need the real monorepo files.

use crate::workspace::Workspace;
use anyhow::{Context, Result, bail};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use walkdir::WalkDir;

/// Test-name filters: the modules whose tests the series adds or changes.
const TEST_MODULES: &[&str] = &[
    "os::deadline",
    "os::task::thread",
    "syscalls::wasi::poll_oneoff::precise",
];

/// Mirrors the crate and runs its unit tests; with `update_lock`, resolves the
/// dev-dependencies afresh and saves the lock file instead of requiring it.
pub fn run(ws: &Workspace, update_lock: bool) -> Result<()> {
    let scratch = ws.root().join("target/vendored-tests");
    let crate_dir = scratch.join("lib/wasix");
    mirror(&ws.vendor_dir().join("wasmer-wasix"), &crate_dir)?;
    create_missing_test_files(&crate_dir, &scratch)?;
    write_if_changed(&scratch.join("Cargo.toml"), &manifest(ws)?)?;
    let lock = lock_path(ws);
    if !update_lock {
        let text = fs::read(&lock).with_context(|| format!("reading {}", lock.display()))?;
        write_if_changed(&scratch.join("Cargo.lock"), &text)?;
    }

    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut command = Command::new(&cargo);
    command
        .current_dir(&scratch)
        .env("CARGO_TARGET_DIR", ws.root().join("target"))
        .args(["test", "--release", "--lib", "-p", "wasmer-wasix"]);
    if !update_lock {
        command.arg("--locked");
    }
    command.arg("--").args(TEST_MODULES);
    let status = command
        .status()
        .with_context(|| format!("running {cargo}"))?;
    if !status.success() {
        bail!("the vendored wasmer-wasix unit tests failed ({status})");
    }
    if update_lock {
        fs::copy(scratch.join("Cargo.lock"), &lock)
            .with_context(|| format!("writing {}", lock.display()))?;
    }
    Ok(())
}

fn lock_path(ws: &Workspace) -> PathBuf {
    ws.root().join("ci/vendored-tests.lock")
}

/// The scratch workspace: the crate as its only member, with our release profile.
fn manifest(ws: &Workspace) -> Result<Vec<u8>> {
    let path = ws.root().join("Cargo.toml");
    let root: toml::Table = fs::read_to_string(&path)
        .with_context(|| format!("reading {}", path.display()))?
        .parse()
        .with_context(|| format!("parsing {}", path.display()))?;
    let mut out = toml::Table::new();
    let mut workspace = toml::Table::new();
    workspace.insert("members".into(), vec!["lib/wasix"].into());
    workspace.insert("resolver".into(), "2".into());
    out.insert("workspace".into(), workspace.into());
    if let Some(profile) = root.get("profile") {
        out.insert("profile".into(), profile.clone());
    }
    let text = format!(
        "# Written by `cargo xtask vendored-tests`; see xtask/src/vendored_tests.rs.\n{}",
        toml::to_string(&out)?
    );
    Ok(text.into_bytes())
}

/// Makes `to` an exact copy of `from`, rewriting only files whose bytes differ, so
/// cargo does not rebuild an unchanged crate.
fn mirror(from: &Path, to: &Path) -> Result<()> {
    let mut wanted = std::collections::BTreeSet::new();
    for entry in WalkDir::new(from) {
        let entry = entry?;
        if !entry.file_type().is_file() {
            continue;
        }
        let relative = entry.path().strip_prefix(from)?.to_path_buf();
        let bytes = fs::read(entry.path())?;
        write_if_changed(&to.join(&relative), &bytes)?;
        wanted.insert(relative);
    }
    if to.exists() {
        for entry in WalkDir::new(to) {
            let entry = entry?;
            if entry.file_type().is_file() && !wanted.contains(entry.path().strip_prefix(to)?) {
                fs::remove_file(entry.path())?;
            }
        }
    }
    Ok(())
}

/// Creates an empty file for every `wasmer-test-files/...` path the crate's sources
/// name, relative to the monorepo root `root`.
fn create_missing_test_files(crate_dir: &Path, root: &Path) -> Result<()> {
    const MARKER: &str = "wasmer-test-files/";
    for entry in WalkDir::new(crate_dir.join("src")) {
        let entry = entry?;
        if entry.path().extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = fs::read_to_string(entry.path())?;
        for (at, _) in text.match_indices(MARKER) {
            let rest = &text[at..];
            let end = rest.find(['"', '\'', ')', ' ', '\n']).unwrap_or(rest.len());
            let path = root.join(&rest[..end]);
            if !path.exists() {
                fs::create_dir_all(path.parent().context("test file has a parent")?)?;
                fs::write(&path, b"")?;
            }
        }
    }
    Ok(())
}

fn write_if_changed(path: &Path, bytes: &[u8]) -> Result<()> {
    if fs::read(path).is_ok_and(|old| old == bytes) {
        return Ok(());
    }
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)?;
    }
    fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mirror_copies_changes_and_removes_stale_files() {
        let tmp = tempfile::tempdir().unwrap();
        let (from, to) = (tmp.path().join("from"), tmp.path().join("to"));
        fs::create_dir_all(from.join("src")).unwrap();
        fs::write(from.join("src/a.rs"), "a").unwrap();
        fs::create_dir_all(to.join("src")).unwrap();
        fs::write(to.join("src/stale.rs"), "x").unwrap();
        mirror(&from, &to).unwrap();
        assert_eq!(fs::read_to_string(to.join("src/a.rs")).unwrap(), "a");
        assert!(!to.join("src/stale.rs").exists());
    }

    #[test]
    fn test_files_named_in_sources_are_created_empty() {
        let tmp = tempfile::tempdir().unwrap();
        let krate = tmp.path().join("lib/wasix");
        fs::create_dir_all(krate.join("src")).unwrap();
        fs::write(
            krate.join("src/x.rs"),
            "include_bytes!(\"../../../wasmer-test-files/examples/p.wasmer\");",
        )
        .unwrap();
        create_missing_test_files(&krate, tmp.path()).unwrap();
        assert!(
            tmp.path()
                .join("wasmer-test-files/examples/p.wasmer")
                .is_file()
        );
    }
}
