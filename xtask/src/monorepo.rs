//! A scratch git repository with the pristine crates at their upstream monorepo paths
//! (`lib/wasix`, `lib/cli`), where the series is applied with `git am` exactly as a
//! Wasmer maintainer would apply it to the release commit.

use crate::git::{Git, git_error};
use crate::manifest::{Manifest, VendoredCrate};
use crate::registry;
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};

/// The scratch repository; a temporary one is deleted on drop.
pub struct Monorepo {
    git: Git,
    _dir: Option<tempfile::TempDir>,
}

impl Monorepo {
    /// Unpacks each crate archive at its `upstream-path` in a temporary directory
    /// and commits the result.
    pub fn pristine(manifest: &Manifest, archives: &[PathBuf]) -> Result<Self> {
        let dir = tempfile::tempdir().context("creating a scratch repository")?;
        let mut monorepo = Self::pristine_at(dir.path(), manifest, archives)?;
        monorepo._dir = Some(dir);
        Ok(monorepo)
    }

    /// Like [`Monorepo::pristine`], in `dir` (which must not exist or be empty);
    /// the repository is kept.
    pub fn pristine_at(dir: &Path, manifest: &Manifest, archives: &[PathBuf]) -> Result<Self> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let git = Git::init(dir)?;
        for (krate, archive) in manifest.crates.iter().zip(archives) {
            let target = dir.join(upstream_path(krate)?);
            std::fs::create_dir_all(&target)?;
            registry::unpack(archive, &target)?;
        }
        git.commit_all("pristine crates.io sources")?;
        Ok(Self { git, _dir: None })
    }

    /// An existing repository made by [`Monorepo::pristine_at`].
    pub fn open(dir: &Path) -> Self {
        Self {
            git: Git::open(dir),
            _dir: None,
        }
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
        self.am(patch, false)
    }

    /// Applies one patch mail with `git am -3`: where its context moved, a three-way
    /// merge with the blobs it was made against (they must be in this repository).
    /// A conflict names the patch, each conflicting file and the lines in conflict.
    pub fn apply_3way(&self, patch: &Path) -> Result<()> {
        self.am(patch, true)
    }

    fn am(&self, patch: &Path, three_way: bool) -> Result<()> {
        let name = patch.file_name().map_or_else(
            || patch.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let mut args: Vec<&std::ffi::OsStr> = vec![
            "am".as_ref(),
            "--quiet".as_ref(),
            "--keep-cr".as_ref(),
            "--empty=drop".as_ref(),
            "--whitespace=nowarn".as_ref(),
        ];
        if three_way {
            args.push("--3way".as_ref());
        }
        args.push(patch.as_os_str());
        let output = self.git.output(args)?;
        if !output.status.success() {
            let conflicts = if three_way {
                self.conflicts()?
            } else {
                Vec::new()
            };
            let cause = git_error(&output);
            let _ = self.git.output(["am", "--abort"]);
            if !conflicts.is_empty() {
                bail!("patch {name} conflicts: {}", conflicts.join("; "));
            }
            bail!("patch {name} does not apply: {cause}");
        }
        Ok(())
    }

    /// `file: lines a-b, c-d` for every file left with conflict markers.
    fn conflicts(&self) -> Result<Vec<String>> {
        let files = self.git.run(["diff", "--name-only", "--diff-filter=U"])?;
        files
            .lines()
            .filter(|line| !line.is_empty())
            .map(|file| {
                let text = std::fs::read_to_string(self.git.dir().join(file)).unwrap_or_default();
                let regions = conflict_regions(&text)
                    .iter()
                    .map(|(start, end)| format!("{start}-{end}"))
                    .collect::<Vec<_>>();
                Ok(format!("{file}: lines {}", regions.join(", ")))
            })
            .collect()
    }

    /// Starts a branch from the first (pristine) commit whose crates are replaced by
    /// `archives`, and commits them: the base the series is carried onto. The old
    /// commits stay in the repository, so `git am -3` finds the blobs the patches
    /// were made against.
    pub fn start_new_base(&self, manifest: &Manifest, archives: &[PathBuf]) -> Result<String> {
        let root = self.git.run(["rev-list", "--max-parents=0", "HEAD"])?;
        let root = root.trim();
        self.git
            .run(["switch", "--quiet", "--create", "new-base", root])?;
        for (krate, archive) in manifest.crates.iter().zip(archives) {
            let target = self.git.dir().join(upstream_path(krate)?);
            if target.exists() {
                std::fs::remove_dir_all(&target)?;
            }
            std::fs::create_dir_all(&target)?;
            registry::unpack(archive, &target)?;
        }
        self.git
            .commit_all("pristine crates.io sources (new base)")?;
        Ok(self.git.run(["rev-parse", "HEAD"])?.trim().to_owned())
    }

    /// The commits after `base` up to HEAD, oldest first.
    pub fn commits_since(&self, base: &str) -> Result<Vec<String>> {
        Ok(self
            .git
            .run(["rev-list", "--reverse", &format!("{base}..HEAD")])?
            .lines()
            .map(str::to_owned)
            .collect())
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
        self.format_commit("HEAD")
    }

    /// `git format-patch` of one commit, deterministic (zero commit id, no signature).
    pub fn format_commit(&self, commit: &str) -> Result<String> {
        self.git.run([
            "format-patch",
            "-1",
            "--stdout",
            "--zero-commit",
            "--no-signature",
            commit,
        ])
    }
}

/// 1-based `(first, last)` lines of each `<<<<<<<` ... `>>>>>>>` region in `text`.
fn conflict_regions(text: &str) -> Vec<(usize, usize)> {
    let mut regions = Vec::new();
    let mut start = None;
    for (index, line) in text.lines().enumerate() {
        if line.starts_with("<<<<<<< ") {
            start = Some(index + 1);
        } else if line.starts_with(">>>>>>> ")
            && let Some(first) = start.take()
        {
            regions.push((first, index + 1));
        }
    }
    regions
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

#[cfg(test)]
mod tests {
    use super::conflict_regions;

    #[test]
    fn conflict_regions_are_reported_by_line() {
        let text = "a\n<<<<<<< ours\nb\n=======\nc\n>>>>>>> theirs\nd\n<<<<<<< x\n>>>>>>> y\n";
        assert_eq!(conflict_regions(text), [(2, 6), (8, 9)]);
        assert!(conflict_regions("no markers\n").is_empty());
    }
}
