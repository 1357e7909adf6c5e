//! Where things live in this repository.

use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

/// The repository root and the paths the tooling reads and writes.
pub struct Workspace {
    root: PathBuf,
}

impl Workspace {
    /// The repository that contains this xtask crate.
    pub fn locate() -> Result<Self> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .context("xtask has no parent directory")?
            .to_path_buf();
        Ok(Self { root })
    }

    /// A workspace rooted somewhere else (tests).
    #[cfg(test)]
    pub fn at(root: &Path) -> Self {
        Self {
            root: root.to_path_buf(),
        }
    }

    /// The repository root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Cargo's target directory: `CARGO_TARGET_DIR` if set (relative to the
    /// current directory, as cargo reads it), else `target/`.
    pub fn target_dir(&self) -> PathBuf {
        match std::env::var_os("CARGO_TARGET_DIR") {
            Some(dir) => std::env::current_dir()
                .map(|cwd| cwd.join(&dir))
                .unwrap_or_else(|_| PathBuf::from(dir)),
            None => self.root.join("target"),
        }
    }

    /// `vendor/`: the patched crate copies.
    pub fn vendor_dir(&self) -> PathBuf {
        self.root.join("vendor")
    }

    /// `vendor/crates.toml`: what was vendored, from where.
    pub fn manifest_path(&self) -> PathBuf {
        self.vendor_dir().join("crates.toml")
    }

    /// `patches/`: the series.
    pub fn patches_dir(&self) -> PathBuf {
        self.root.join("patches")
    }

    /// The workspace `Cargo.lock`, used to fetch exactly the released dependency graph.
    pub fn lock_path(&self) -> PathBuf {
        self.root.join("Cargo.lock")
    }
}
