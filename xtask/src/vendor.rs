//! `cargo xtask vendor`: re-import the pristine crates and apply the series.

use crate::manifest::Manifest;
use crate::monorepo::{Monorepo, copy_tree};
use crate::registry;
use crate::series::Series;
use crate::workspace::Workspace;
use anyhow::{Context, Result, bail};
use std::path::PathBuf;

/// Downloads the crates named in `vendor/crates.toml` through cargo, verifies the
/// registry checksums, records the upstream commit and path, and rewrites each
/// vendored directory as pristine + series.
pub fn run(ws: &Workspace) -> Result<()> {
    let mut manifest = Manifest::load(&ws.manifest_path())?;
    let archives = import(&mut manifest, &ws.lock_path())?;
    let monorepo = Monorepo::pristine(&manifest, &archives)?;
    monorepo.apply_all(&Series::load(&ws.patches_dir())?.paths())?;
    write_vendor(ws, &manifest, &monorepo)?;
    manifest.save(&ws.manifest_path())
}

/// Downloads the archives of `manifest`'s crates, checks them against the
/// registry index and fills in each crate's checksum, upstream commit and path.
pub fn import(manifest: &mut Manifest, lock: &std::path::Path) -> Result<Vec<PathBuf>> {
    let checksums = registry::fetch(&manifest.crates, lock)?;
    let archives = registry::archives(&manifest.crates, lock)?;
    for (krate, archive) in manifest.crates.iter_mut().zip(&archives) {
        let stem = krate.archive_stem();
        let registry_sum = checksums
            .get(&stem)
            .with_context(|| format!("the registry index gave no checksum for {stem}"))?;
        let actual = registry::sha256_file(archive)?;
        if &actual != registry_sum {
            bail!(
                "{stem}.crate in cargo's cache has sha256 {actual}, the registry index says {registry_sum}"
            );
        }
        krate.checksum = actual;
        let unpacked = tempfile::tempdir()?;
        registry::unpack(archive, unpacked.path())?;
        (krate.upstream_commit, krate.upstream_path) = registry::vcs_info(unpacked.path())?;
    }
    Ok(archives)
}

/// Replaces each `vendor/<dir>` with the crate's tree in `monorepo` (its work tree
/// as it stands: pristine plus whatever was applied).
pub fn write_vendor(ws: &Workspace, manifest: &Manifest, monorepo: &Monorepo) -> Result<()> {
    for krate in &manifest.crates {
        let target = ws.vendor_dir().join(&krate.dir);
        if target.exists() {
            std::fs::remove_dir_all(&target)
                .with_context(|| format!("removing {}", target.display()))?;
        }
        copy_tree(&monorepo.crate_dir(krate)?, &target)?;
        println!(
            "vendored {} {} ({}) at vendor/{}",
            krate.name, krate.version, krate.upstream_path, krate.dir
        );
    }
    Ok(())
}
