//! `cargo xtask vendored-tests`: the unit tests that the series adds to the vendored
//! wasmer-wasix and wasmer-cli, run in the crates themselves.
//!
//! The vendored crates are not members of our workspace (their dev-dependencies
//! would join our resolution), and wasmer-wasix's unit tests `include_bytes!` files
//! from the Wasmer monorepo that the published crate does not ship. So the crates
//! are mirrored to `target/vendored-tests/lib/...` as a workspace of their own
//! (see `upstream_workspace`), the missing test files are created empty, and
//! `cargo test --lib` runs there with the lock file `ci/vendored-tests.lock` and
//! the workspace's target directory (shared dependencies build once). Only the
//! modules the series touches are run: the rest of upstream's unit tests need the
//! real monorepo files.

use crate::manifest::Manifest;
use crate::upstream_workspace::{self, write_if_changed};
use crate::workspace::Workspace;
use anyhow::{Context, Result, bail};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use walkdir::WalkDir;

/// Test-name filters: the modules whose tests the series adds or changes, in
/// wasmer-wasix and then wasmer-cli (each filter matches in one crate only).
const TEST_MODULES: &[&str] = &[
    "net::socket",
    "os::deadline",
    "os::task::task_join_handle",
    "os::task::thread",
    "os::wait_telemetry",
    "state::clock_offsets_tests",
    "syscalls::wasi::poll_oneoff::precise",
    "syscalls::wasi::fd_write",
    "syscalls::wasi::random_get",
    "syscalls::wasix::futex_wait",
    // wasmer-cli
    "commands::run::wasi::tests",
    "commands::run::realtime::tests",
    "commands::run::timing::tests",
];

/// Mirrors the crate and runs its unit tests; with `update_lock`, resolves the
/// dev-dependencies afresh (see [`refresh_lock`]) before running them.
pub fn run(ws: &Workspace, update_lock: bool) -> Result<()> {
    if update_lock {
        refresh_lock(ws)?;
    }
    let scratch = prepare(ws)?;
    let lock = upstream_workspace::lock_path(ws);
    let text = fs::read(&lock).with_context(|| format!("reading {}", lock.display()))?;
    write_if_changed(&scratch.join("Cargo.lock"), &text)?;

    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(&cargo)
        .current_dir(&scratch)
        .env("CARGO_TARGET_DIR", ws.target_dir())
        .args([
            "test",
            "--release",
            "--lib",
            "-p",
            "wasmer-wasix",
            "-p",
            "wasmer-cli",
            "--locked",
        ])
        .arg("--")
        .args(TEST_MODULES)
        .status()
        .with_context(|| format!("running {cargo}"))?;
    if !status.success() {
        bail!("the vendored crates' unit tests failed ({status})");
    }
    Ok(())
}

/// Rewrites `ci/vendored-tests.lock`: the workspace's `Cargo.lock` (so every
/// shared dependency keeps its version) completed with the crate's dev-dependencies.
pub fn refresh_lock(ws: &Workspace) -> Result<()> {
    let scratch = prepare(ws)?;
    fs::copy(ws.lock_path(), scratch.join("Cargo.lock"))?;
    crate::rebase::resolve_lock(&scratch)?;
    let lock = upstream_workspace::lock_path(ws);
    fs::copy(scratch.join("Cargo.lock"), &lock)
        .with_context(|| format!("writing {}", lock.display()))?;
    println!("wrote {}", lock.display());
    Ok(())
}

/// Lays out the scratch workspace `target/vendored-tests` (the crates at their
/// monorepo paths, the test files they name, the manifest) and returns its root.
fn prepare(ws: &Workspace) -> Result<PathBuf> {
    let scratch = ws.target_dir().join("vendored-tests");
    let manifest = Manifest::load(&ws.manifest_path())?;
    for krate in &manifest.crates {
        let crate_dir = scratch.join(&krate.upstream_path);
        mirror(&ws.vendor_dir().join(&krate.dir), &crate_dir)?;
        create_missing_test_files(&crate_dir, &scratch)?;
    }
    upstream_workspace::write_manifest(ws, &manifest, &scratch)?;
    Ok(scratch)
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
