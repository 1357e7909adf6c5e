//! Pristine crate archives, through cargo's own download and cache.

use crate::manifest::VendoredCrate;
use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Finds the `.crate` archives of `crates` in cargo's cache, downloading the missing
/// ones with `cargo fetch` (resolved against `lock`, so nothing else changes).
pub fn archives(crates: &[VendoredCrate], lock: &Path) -> Result<Vec<PathBuf>> {
    if let Some(paths) = crates.iter().map(cached_archive).collect() {
        return Ok(paths);
    }
    fetch(crates, lock)?;
    crates
        .iter()
        .map(|krate| {
            cached_archive(krate).with_context(|| {
                format!(
                    "cargo fetch succeeded but {}.crate is not in cargo's cache",
                    krate.archive_stem()
                )
            })
        })
        .collect()
}

/// Downloads `crates` with `cargo fetch` in a throw-away package and returns the
/// registry checksums cargo recorded, keyed by `name-version`.
pub fn fetch(crates: &[VendoredCrate], lock: &Path) -> Result<BTreeMap<String, String>> {
    let scratch = tempfile::tempdir().context("creating a scratch package")?;
    let mut manifest = String::from(
        "[package]\nname = \"xtask-fetch\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n[workspace]\n\n[dependencies]\n",
    );
    for krate in crates {
        manifest.push_str(&format!(
            "{} = {{ version = \"={}\", default-features = false }}\n",
            krate.name, krate.version
        ));
    }
    std::fs::write(scratch.path().join("Cargo.toml"), manifest)?;
    std::fs::create_dir(scratch.path().join("src"))?;
    std::fs::write(scratch.path().join("src/lib.rs"), "")?;
    if lock.exists() {
        std::fs::copy(lock, scratch.path().join("Cargo.lock"))?;
    }
    let output = Command::new(cargo())
        .args(["fetch", "--target", &host_triple()?])
        .current_dir(scratch.path())
        .output()
        .context("running cargo fetch")?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let cause = stderr
            .lines()
            .rev()
            .find(|line| !line.trim().is_empty())
            .unwrap_or("no output");
        bail!("cannot download the pristine crates from the registry: {cause}");
    }
    let lock_text = std::fs::read_to_string(scratch.path().join("Cargo.lock"))?;
    Ok(lock_checksums(&lock_text))
}

/// `name-version` → checksum for every registry package in a `Cargo.lock`.
fn lock_checksums(lock_text: &str) -> BTreeMap<String, String> {
    #[derive(serde::Deserialize)]
    struct Lock {
        #[serde(default)]
        package: Vec<Package>,
    }
    #[derive(serde::Deserialize)]
    struct Package {
        name: String,
        version: String,
        checksum: Option<String>,
    }
    let Ok(lock) = toml::from_str::<Lock>(lock_text) else {
        return BTreeMap::new();
    };
    lock.package
        .into_iter()
        .filter_map(|p| Some((format!("{}-{}", p.name, p.version), p.checksum?)))
        .collect()
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

fn host_triple() -> Result<String> {
    let output = Command::new("rustc")
        .arg("-vV")
        .output()
        .context("running rustc -vV")?;
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .find_map(|line| line.strip_prefix("host: "))
        .map(str::to_owned)
        .context("rustc -vV printed no host triple")
}

fn cargo_home() -> Option<PathBuf> {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".cargo")))
}

/// The archive in `$CARGO_HOME/registry/cache/<registry>/`, if cargo has it.
fn cached_archive(krate: &VendoredCrate) -> Option<PathBuf> {
    let cache = cargo_home()?.join("registry").join("cache");
    let file = format!("{}.crate", krate.archive_stem());
    let mut registries: Vec<_> = std::fs::read_dir(cache).ok()?.flatten().collect();
    registries.sort_by_key(|entry| entry.file_name());
    registries
        .into_iter()
        .map(|entry| entry.path().join(&file))
        .find(|path| path.is_file())
}

/// Hex SHA-256 of a file.
pub fn sha256_file(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(hex::encode(Sha256::digest(&bytes)))
}

/// Unpacks a `.crate` archive into `dest`, dropping its `name-version/` top directory.
pub fn unpack(archive: &Path, dest: &Path) -> Result<()> {
    let file =
        std::fs::File::open(archive).with_context(|| format!("opening {}", archive.display()))?;
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(file));
    for entry in tar.entries()? {
        let mut entry = entry?;
        let path = entry.path()?.into_owned();
        let relative: PathBuf = path.components().skip(1).collect();
        if relative.as_os_str().is_empty() {
            continue;
        }
        let target = dest.join(&relative);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        entry
            .unpack(&target)
            .with_context(|| format!("unpacking {}", path.display()))?;
    }
    Ok(())
}

/// Upstream commit and monorepo sub-directory from an unpacked crate's `.cargo_vcs_info.json`.
pub fn vcs_info(crate_dir: &Path) -> Result<(String, String)> {
    #[derive(serde::Deserialize)]
    struct VcsInfo {
        git: Git,
        path_in_vcs: String,
    }
    #[derive(serde::Deserialize)]
    struct Git {
        sha1: String,
    }
    let path = crate_dir.join(".cargo_vcs_info.json");
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let info: VcsInfo =
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    Ok((info.git.sha1, info.path_in_vcs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cargo_vcs_info() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(".cargo_vcs_info.json"),
            "{\n  \"git\": {\n    \"sha1\": \"7a48a071c7682a409d148cf37dc8da58322a123d\"\n  },\n  \"path_in_vcs\": \"lib/wasix\"\n}",
        )
        .unwrap();
        let (commit, sub_dir) = vcs_info(dir.path()).unwrap();
        assert_eq!(commit, "7a48a071c7682a409d148cf37dc8da58322a123d");
        assert_eq!(sub_dir, "lib/wasix");
    }

    #[test]
    fn lock_checksums_skip_path_packages() {
        let lock = "version = 4\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"abc\"\n\n[[package]]\nname = \"b\"\nversion = \"0.1.0\"\n";
        let sums = lock_checksums(lock);
        assert_eq!(sums.get("a-1.0.0").map(String::as_str), Some("abc"));
        assert!(!sums.contains_key("b-0.1.0"));
    }
}
