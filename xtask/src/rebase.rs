//! `cargo xtask rebase --to <wasmer-cli version>`: carry the series to a new Wasmer
//! release.
//!
//! The series is first applied to the current pristine crates, so every blob the
//! patches were made against is in a scratch repository. The new release's crates
//! are committed on a branch from the same root, and each patch is applied there
//! with `git am -3`: a patch whose context moved is merged three-way, and the first
//! conflict stops the rebase, naming the patch, the file and the lines. On success
//! the patches are rewritten from the new commits (fresh `index` lines and hunk
//! offsets, `Applies-To` set to the new release), `vendor/` and `vendor/crates.toml`
//! are rewritten, `Cargo.lock` is rebuilt from the lock file the CLI crate ships,
//! our exact pins on Wasmer crates follow the CLI's, `rust-toolchain.toml` follows
//! the release's `rust-version`, and `ci/vendored-tests.lock` is resolved again.

use crate::manifest::{Manifest, VendoredCrate};
use crate::patch_mail::PatchMail;
use crate::patches;
use crate::registry;
use crate::series::Series;
use crate::vendor;
use crate::workspace::Workspace;
use anyhow::{Context, Result, bail};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// The files outside `vendor/` and `patches/` whose Wasmer pins follow the CLI's.
const OUR_MANIFESTS: &[&str] = &["rt-tests/Cargo.toml"];

/// Moves the whole tree to `wasmer-cli` version `to`.
pub fn run(ws: &Workspace, to: &str) -> Result<()> {
    let old = Manifest::load(&ws.manifest_path())?;
    if old.wasmer_version()? == to {
        bail!("vendor/crates.toml already pins wasmer-cli {to}");
    }
    let series = Series::load(&ws.patches_dir())?;
    let monorepo = patches::pristine(ws, &old)?;
    monorepo
        .apply_all(&series.paths())
        .context("the series does not apply to the current base; fix that before rebasing")?;

    let release = Release::download(to, &ws.lock_path())?;
    let mut new = Manifest {
        crates: old
            .crates
            .iter()
            .map(|krate| release.pinned(krate))
            .collect::<Result<_>>()?,
    };
    let archives = vendor::import(&mut new, &ws.lock_path())?;
    let base = monorepo.start_new_base(&new, &archives)?;

    let mut head = base.clone();
    for (name, path) in series.entries().iter().zip(series.paths()) {
        monorepo
            .apply_3way(&path)
            .with_context(|| format!("carrying the series to wasmer {to}"))?;
        let now = monorepo.git().run(["rev-parse", "HEAD"])?.trim().to_owned();
        if now == head {
            bail!(
                "{name} changes nothing on wasmer {to} (merged upstream?); drop it from patches/series"
            );
        }
        head = now;
    }
    let applies_to = format!("wasmer {to}");
    for (name, commit) in series.entries().iter().zip(monorepo.commits_since(&base)?) {
        let mut mail = PatchMail::parse(&monorepo.format_commit(&commit)?)?;
        mail.set_trailer("Applies-To", &applies_to);
        std::fs::write(ws.patches_dir().join(name), mail.render())?;
    }
    vendor::write_vendor(ws, &new, &monorepo)?;
    new.save(&ws.manifest_path())?;

    if let Some(rust_version) = &release.rust_version {
        pin_toolchain(ws, rust_version)?;
    }
    for manifest in OUR_MANIFESTS {
        let path = ws.root().join(manifest);
        let text = std::fs::read_to_string(&path)?;
        std::fs::write(&path, repin(&text, &release.pins))?;
    }
    std::fs::write(ws.lock_path(), &release.lock)?;
    resolve_lock(ws.root()).context("completing Cargo.lock from the CLI's shipped lock")?;
    crate::vendored_tests::refresh_lock(ws)?;
    println!(
        "rebased {} patches onto wasmer {to}; now run `cargo xtask patches bisect` and the suite",
        series.entries().len()
    );
    Ok(())
}

/// What the new CLI release says about itself.
struct Release {
    version: String,
    /// Exact (`=x.y.z`) dependency pins of the CLI crate, by package name.
    pins: BTreeMap<String, String>,
    /// The `Cargo.lock` the crate ships.
    lock: Vec<u8>,
    /// Its `rust-version`, if any.
    rust_version: Option<String>,
}

impl Release {
    fn download(version: &str, lock: &Path) -> Result<Self> {
        let cli = VendoredCrate {
            name: "wasmer-cli".into(),
            version: version.into(),
            dir: "wasmer-cli".into(),
            checksum: String::new(),
            upstream_commit: String::new(),
            upstream_path: String::new(),
        };
        let archive = registry::archives(std::slice::from_ref(&cli), lock)
            .with_context(|| format!("downloading wasmer-cli {version}"))?
            .remove(0);
        let unpacked = tempfile::tempdir()?;
        registry::unpack(&archive, unpacked.path())?;
        let manifest: toml::Table = std::fs::read_to_string(unpacked.path().join("Cargo.toml"))?
            .parse()
            .context("parsing wasmer-cli's Cargo.toml")?;
        let lock = std::fs::read(unpacked.path().join("Cargo.lock"))
            .with_context(|| format!("wasmer-cli {version} ships no Cargo.lock"))?;
        let rust_version = manifest
            .get("package")
            .and_then(|p| p.get("rust-version"))
            .and_then(|v| v.as_str())
            .map(str::to_owned);
        let mut pins = exact_pins(&manifest);
        pins.insert("wasmer-cli".to_owned(), version.to_owned());
        Ok(Self {
            version: version.to_owned(),
            pins,
            lock,
            rust_version,
        })
    }

    /// `krate` at the version this release uses: the CLI itself, or the exact
    /// version the CLI pins it to.
    fn pinned(&self, krate: &VendoredCrate) -> Result<VendoredCrate> {
        let version = if krate.name == "wasmer-cli" {
            self.version.clone()
        } else {
            self.pins.get(&krate.name).cloned().with_context(|| {
                format!(
                    "wasmer-cli {} does not pin {} exactly; cannot tell which version to vendor",
                    self.version, krate.name
                )
            })?
        };
        Ok(VendoredCrate {
            version,
            ..krate.clone()
        })
    }
}

/// `name → x.y.z` for every `dependencies` entry pinned with `=x.y.z`.
fn exact_pins(manifest: &toml::Table) -> BTreeMap<String, String> {
    let Some(deps) = manifest.get("dependencies").and_then(|d| d.as_table()) else {
        return BTreeMap::new();
    };
    deps.iter()
        .filter_map(|(name, spec)| {
            let version = match spec {
                toml::Value::String(v) => v.as_str(),
                toml::Value::Table(t) => t.get("version")?.as_str()?,
                _ => return None,
            };
            Some((name.clone(), version.strip_prefix('=')?.to_owned()))
        })
        .collect()
}

/// Rewrites every `"=x.y.z"` requirement on a dependency line whose package the CLI
/// pins to that package's new pin; every other byte is kept.
fn repin(manifest: &str, pins: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(manifest.len());
    for line in manifest.split_inclusive('\n') {
        let name = line.split('=').next().unwrap_or("").trim();
        let rewritten = pins.get(name).and_then(|new| {
            let start = line.find("\"=")? + 2;
            let end = start + line[start..].find('"')?;
            Some(format!("{}{new}{}", &line[..start], &line[end..]))
        });
        out.push_str(rewritten.as_deref().unwrap_or(line));
    }
    out
}

/// Points `rust-toolchain.toml` and the workspace's `rust-version` at `version`.
fn pin_toolchain(ws: &Workspace, version: &str) -> Result<()> {
    std::fs::write(
        ws.root().join("rust-toolchain.toml"),
        toolchain_file(version),
    )?;
    let path = ws.root().join("Cargo.toml");
    let text = std::fs::read_to_string(&path)?;
    let text: String = text
        .split_inclusive('\n')
        .map(|line| {
            if line.starts_with("rust-version = ") {
                format!("rust-version = \"{version}\"\n")
            } else {
                line.to_owned()
            }
        })
        .collect();
    std::fs::write(&path, text)?;
    Ok(())
}

/// `rust-toolchain.toml` for the release's minimum Rust.
pub fn toolchain_file(version: &str) -> String {
    format!(
        "# The Rust the vendored Wasmer release requires (its rust-version); written by\n\
         # `cargo xtask rebase`. `.ci/run` installs it explicitly, with the WASI target\n\
         # the Rust sample guest (rt-tests/guests/control-loop) is built for.\n\
         [toolchain]\nchannel = \"{version}\"\ncomponents = [\"clippy\", \"rustfmt\"]\n\
         targets = [\"wasm32-wasip1\"]\nprofile = \"minimal\"\n"
    )
}

/// Lets cargo complete the lock file in `dir` (adds what is missing, drops what is
/// unused, keeps every version already locked).
pub fn resolve_lock(dir: &Path) -> Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(&cargo)
        .args(["metadata", "--format-version", "1"])
        .current_dir(dir)
        .output()
        .with_context(|| format!("running {cargo} metadata"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        bail!(
            "cargo metadata in {} failed: {}",
            dir.display(),
            stderr
                .lines()
                .find(|l| l.contains("error"))
                .unwrap_or("no output")
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_pins_reads_both_dependency_forms() {
        let manifest: toml::Table = "[dependencies]\nwasmer-types = \"=7.5.0\"\n\
             [dependencies.wasmer-wasix]\nversion = \"=0.705.0\"\nfeatures = [\"sys\"]\n\
             [dependencies.serde]\nversion = \"1\"\n"
            .parse()
            .unwrap();
        let pins = exact_pins(&manifest);
        assert_eq!(pins["wasmer-types"], "7.5.0");
        assert_eq!(pins["wasmer-wasix"], "0.705.0");
        assert!(!pins.contains_key("serde"));
    }

    #[test]
    fn repin_changes_only_pinned_wasmer_lines() {
        let pins = BTreeMap::from([
            ("wasmer-cli".to_owned(), "7.5.0".to_owned()),
            ("wasmer-wasix".to_owned(), "0.705.0".to_owned()),
        ]);
        let before = "wasmer-cli = { version = \"=7.4.2\", features = [\"cranelift\"] }\n\
                      wasmer-wasix = { version = \"=0.704.2\", default-features = false }\n\
                      wasmer-other = \"=7.4.2\"\nlibc = \"0.2\"\n";
        let after = repin(before, &pins);
        assert_eq!(
            after,
            "wasmer-cli = { version = \"=7.5.0\", features = [\"cranelift\"] }\n\
             wasmer-wasix = { version = \"=0.705.0\", default-features = false }\n\
             wasmer-other = \"=7.4.2\"\nlibc = \"0.2\"\n"
        );
    }
}
