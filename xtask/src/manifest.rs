//! `vendor/crates.toml`: the pristine crates the vendored tree is built from.

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Every vendored crate, in the order they are laid out.
#[derive(Debug, Serialize, Deserialize)]
pub struct Manifest {
    #[serde(rename = "crate")]
    pub crates: Vec<VendoredCrate>,
}

/// One pristine crates.io release and where it lives here and upstream.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct VendoredCrate {
    /// Package name on crates.io.
    pub name: String,
    /// Exact released version.
    pub version: String,
    /// Directory under `vendor/`.
    pub dir: String,
    /// SHA-256 of the `.crate` archive as published in the registry index.
    #[serde(default)]
    pub checksum: String,
    /// Upstream git commit the release was packaged from (`.cargo_vcs_info.json`).
    #[serde(default)]
    pub upstream_commit: String,
    /// Sub-directory of the crate in the upstream monorepo (`.cargo_vcs_info.json`).
    #[serde(default)]
    pub upstream_path: String,
}

impl VendoredCrate {
    /// `name-version`, the stem of the registry archive.
    pub fn archive_stem(&self) -> String {
        format!("{}-{}", self.name, self.version)
    }
}

const HEADER: &str = "\
# The pristine crates.io releases that vendor/ is built from (pristine + patches/series).
# Written by `cargo xtask vendor`; to upgrade, change a version here and run it again.
# checksum: SHA-256 of the .crate in the registry index; upstream-*: from .cargo_vcs_info.json.
";

impl Manifest {
    /// Reads and validates the manifest.
    pub fn load(path: &Path) -> Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let manifest: Self =
            toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        if manifest.crates.is_empty() {
            bail!("{} lists no crates", path.display());
        }
        for krate in &manifest.crates {
            if krate.dir.is_empty() || krate.dir.contains(['/', '\\']) || krate.dir.starts_with('.')
            {
                bail!(
                    "{}: crate {} has an invalid dir {:?}",
                    path.display(),
                    krate.name,
                    krate.dir
                );
            }
        }
        Ok(manifest)
    }

    /// Writes the manifest with its explanatory header.
    pub fn save(&self, path: &Path) -> Result<()> {
        let body = toml::to_string(self).context("serialising the manifest")?;
        std::fs::write(path, format!("{HEADER}\n{body}"))
            .with_context(|| format!("writing {}", path.display()))
    }

    /// The crate whose upstream sub-directory contains `repo_path` (a monorepo path).
    pub fn crate_for_upstream_path(&self, repo_path: &str) -> Option<&VendoredCrate> {
        self.crates.iter().find(|krate| {
            !krate.upstream_path.is_empty()
                && repo_path
                    .strip_prefix(krate.upstream_path.as_str())
                    .is_some_and(|rest| rest.starts_with('/'))
        })
    }
}

impl Manifest {
    /// The Wasmer release the series applies to (the vendored `wasmer-cli` version).
    pub fn wasmer_version(&self) -> anyhow::Result<&str> {
        self.crates
            .iter()
            .find(|krate| krate.name == "wasmer-cli")
            .map(|krate| krate.version.as_str())
            .context("vendor/crates.toml lists no wasmer-cli crate")
    }
}
