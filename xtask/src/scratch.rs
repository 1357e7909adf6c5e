//! The target directory shared by builds of scratch workspaces (`revert-check`,
//! `upstream build`): `target/scratch`, seeded from `target/release` on first use
//! so that only what differs from the main build is compiled again.

use crate::workspace::Workspace;
use anyhow::{Context, Result, bail};
use std::path::PathBuf;
use std::process::Command;

/// The shared scratch target directory, seeded if it is new.
pub fn target_dir(ws: &Workspace) -> Result<PathBuf> {
    let target_dir = ws.root().join("target/scratch");
    let release = ws.root().join("target/release");
    if target_dir.join("release").exists() || !release.is_dir() {
        return Ok(target_dir);
    }
    println!("seeding {} from target/release", target_dir.display());
    std::fs::create_dir_all(&target_dir)?;
    let status = Command::new("cp")
        .arg("-a")
        .arg(&release)
        .arg(&target_dir)
        .status()
        .context("running cp")?;
    if !status.success() {
        bail!("copying target/release failed ({status})");
    }
    Ok(target_dir)
}
