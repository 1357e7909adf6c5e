//! The vendored Wasmer crates as a cargo workspace of their own, laid out at their
//! monorepo paths (`lib/wasix`, `lib/cli`), as Wasmer's CI builds them: both are
//! members (so their own lints and tests apply to them, not to us), the CLI's
//! registry dependency on wasmer-wasix is patched to the member, and the lock
//! file is `ci/vendored-tests.lock` (the workspace's `Cargo.lock` completed with
//! the crates' dev-dependencies; `cargo xtask vendored-tests --update-lock`
//! resolves it again).
//!
//! Used by `vendored-tests` (the unit tests the series adds), and by
//! `patches bisect` (every prefix of the series builds and passes Wasmer's lint).

use crate::manifest::Manifest;
use crate::workspace::Workspace;
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

/// The lock file of this workspace.
pub fn lock_path(ws: &Workspace) -> PathBuf {
    ws.root().join("ci/vendored-tests.lock")
}

/// Writes `Cargo.toml` (only if its bytes change, so cargo does not rebuild) for
/// the crates of `manifest` under `root`, with our `[profile]` table.
pub fn write_manifest(ws: &Workspace, manifest: &Manifest, root: &Path) -> Result<()> {
    let path = ws.root().join("Cargo.toml");
    let ours: toml::Table = std::fs::read_to_string(&path)
        .with_context(|| format!("reading {}", path.display()))?
        .parse()
        .with_context(|| format!("parsing {}", path.display()))?;
    let mut out = toml::Table::new();
    let mut workspace = toml::Table::new();
    let members: Vec<String> = manifest
        .crates
        .iter()
        .map(|k| k.upstream_path.clone())
        .collect();
    workspace.insert("members".into(), members.into());
    workspace.insert("resolver".into(), "2".into());
    out.insert("workspace".into(), workspace.into());
    if let Some(profile) = ours.get("profile") {
        out.insert("profile".into(), profile.clone());
    }
    let mut patches = toml::Table::new();
    for krate in manifest.crates.iter().filter(|k| k.name != "wasmer-cli") {
        let mut entry = toml::Table::new();
        entry.insert("path".into(), krate.upstream_path.clone().into());
        patches.insert(krate.name.clone(), entry.into());
    }
    let mut patch = toml::Table::new();
    patch.insert("crates-io".into(), patches.into());
    out.insert("patch".into(), patch.into());
    let text = format!(
        "# Written by cargo xtask; see xtask/src/upstream_workspace.rs.\n{}",
        toml::to_string(&out)?
    );
    write_if_changed(&root.join("Cargo.toml"), text.as_bytes())
}

/// Makes `dir`, a git work tree with the crates at their monorepo paths, this
/// workspace: the manifest, the lock file and our toolchain pin, all ignored by
/// git so that checkouts and `git status` do not see them.
pub fn install(ws: &Workspace, manifest: &Manifest, dir: &Path) -> Result<()> {
    write_manifest(ws, manifest, dir)?;
    let lock = lock_path(ws);
    std::fs::copy(&lock, dir.join("Cargo.lock"))
        .with_context(|| format!("copying {}", lock.display()))?;
    std::fs::copy(
        ws.root().join("rust-toolchain.toml"),
        dir.join("rust-toolchain.toml"),
    )
    .context("copying rust-toolchain.toml")?;
    std::fs::write(
        dir.join(".git/info/exclude"),
        "/Cargo.toml\n/Cargo.lock\n/rust-toolchain.toml\n/target/\n",
    )?;
    Ok(())
}

/// Writes `bytes` to `path` unless it already holds them (keeps cargo's mtimes).
pub fn write_if_changed(path: &Path, bytes: &[u8]) -> Result<()> {
    if std::fs::read(path).is_ok_and(|old| old == bytes) {
        return Ok(());
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
}
