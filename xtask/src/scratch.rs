//! The target directory shared by builds of scratch workspaces (`revert-check`,
//! `upstream build`): `target/scratch`, seeded from `target/release` on first use
//! so that only what differs from the main build is compiled again.
//!
//! Only what a dependent build reads is seeded: the fingerprints, the build-script
//! outputs and the libraries in `deps/`. The linked executables (the test binaries,
//! each about 300 MB) are left out: a scratch build links its own, and copying them
//! would double the disk a fresh clone needs.

use crate::workspace::Workspace;
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The shared scratch target directory, seeded if it is new.
pub fn target_dir(ws: &Workspace) -> Result<PathBuf> {
    let target_dir = ws.target_dir().join("scratch");
    let release = ws.target_dir().join("release");
    let seeded = target_dir.join("release");
    if seeded.exists() || !release.is_dir() {
        return Ok(target_dir);
    }
    println!("seeding {} from target/release", target_dir.display());
    let partial = target_dir.join("release.partial");
    if partial.exists() {
        std::fs::remove_dir_all(&partial)?;
    }
    std::fs::create_dir_all(partial.join("deps"))?;
    let dirs: Vec<PathBuf> = [".fingerprint", "build"]
        .iter()
        .map(|dir| release.join(dir))
        .filter(|dir| dir.is_dir())
        .collect();
    copy_into(&dirs, &partial)?;
    let mut libraries = Vec::new();
    for entry in std::fs::read_dir(release.join("deps"))? {
        let path = entry?.path();
        if is_library(&path) {
            libraries.push(path);
        }
    }
    copy_into(&libraries, &partial.join("deps"))?;
    std::fs::rename(&partial, &seeded)?;
    Ok(target_dir)
}

/// A compiled library, its metadata or its dep-info (`.d`) in `deps/`; the
/// executables have no extension.
fn is_library(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("rlib" | "rmeta" | "so" | "d")
    )
}

/// `cp -a -t <into> <sources>...`, a bounded number of sources a command (a
/// long-lived `deps/` holds thousands): keeps the modification times cargo's
/// fingerprints compare.
fn copy_into(sources: &[PathBuf], into: &Path) -> Result<()> {
    for chunk in sources.chunks(1000) {
        let status = Command::new("cp")
            .arg("-a")
            .arg("-t")
            .arg(into)
            .args(chunk)
            .status()
            .context("running cp")?;
        if !status.success() {
            bail!("copying into {} failed ({status})", into.display());
        }
    }
    Ok(())
}
