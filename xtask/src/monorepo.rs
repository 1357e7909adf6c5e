//! A scratch git repository with the pristine crates at their upstream monorepo paths
//! (`lib/wasix`, `lib/cli`), where the series is applied with `git am` exactly as a
//! Wasmer maintainer would apply it to the release commit.

use crate::git::{Git, git_error};
use crate::manifest::{Manifest, VendoredCrate};
use crate::registry;
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};

/// The scratch repository; deleted on drop.
pub struct Monorepo {
    git: Git,
    _dir: tempfile::TempDir,
}

impl Monorepo {
    /// Unpacks each crate archive at its `upstream-path` and commits the result.
    pub fn pristine(manifest: &Manifest, archives: &[PathBuf]) -> Result<Self> {
        let dir = tempfile::tempdir().context("creating a scratch repository")?;
        let git = Git::init(dir.path())?;
        for (krate, archive) in manifest.crates.iter().zip(archives) {
            let target = dir.path().join(upstream_path(krate)?);
            std::fs::create_dir_all(&target)?;
            registry::unpack(archive, &target)?;
        }
        git.commit_all("pristine crates.io sources")?;
        Ok(Self { git, _dir: dir })
    }

    /// The scratch repository.
    pub fn git(&self) -> &Git {
        &self.git
    }

    /// Where a crate lives in the scratch repository.
    pub fn crate_dir(&self, krate: &VendoredCrate) -> Result<PathBuf> {
        Ok(self.git.dir().join(upstream_path(krate)?))
    }

    /// Applies one patch mail with `git am`; the error names the patch and the failing hunk.
    pub fn apply(&self, patch: &Path) -> Result<()> {
        let name = patch.file_name().map_or_else(
            || patch.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let output = self.git.output([
            "am".as_ref(),
            "--quiet".as_ref(),
            "--keep-cr".as_ref(),
            "--empty=drop".as_ref(),
            "--whitespace=nowarn".as_ref(),
            patch.as_os_str(),
        ])?;
        if !output.status.success() {
            let cause = git_error(&output);
            let _ = self.git.output(["am", "--abort"]);
            bail!("patch {name} does not apply: {cause}");
        }
        Ok(())
    }

    /// Applies every patch in order.
    pub fn apply_all(&self, patches: &[PathBuf]) -> Result<()> {
        patches.iter().try_for_each(|patch| self.apply(patch))
    }

    /// Replaces each crate's tree with the developer's copy under `vendor_dir`.
    pub fn overlay(&self, manifest: &Manifest, vendor_dir: &Path) -> Result<()> {
        for krate in &manifest.crates {
            let target = self.crate_dir(krate)?;
            std::fs::remove_dir_all(&target)?;
            copy_tree(&vendor_dir.join(&krate.dir), &target)?;
        }
        Ok(())
    }

    /// `git format-patch` of HEAD, deterministic (zero commit id, no signature).
    pub fn format_head(&self) -> Result<String> {
        self.git.run([
            "format-patch",
            "-1",
            "--stdout",
            "--zero-commit",
            "--no-signature",
            "HEAD",
        ])
    }
}

fn upstream_path(krate: &VendoredCrate) -> Result<&str> {
    let path = krate.upstream_path.as_str();
    if path.is_empty() || path.starts_with('/') || path.split('/').any(|c| c == "..") {
        bail!(
            "vendor/crates.toml: crate {} needs a relative upstream-path (run cargo xtask vendor)",
            krate.name
        );
    }
    Ok(path)
}

/// Copies a directory tree, keeping permissions.
pub fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.with_context(|| format!("walking {}", from.display()))?;
        let target = to.join(entry.path().strip_prefix(from)?);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target)?;
        } else {
            std::fs::copy(entry.path(), &target)
                .with_context(|| format!("copying {}", entry.path().display()))?;
        }
    }
    Ok(())
}
