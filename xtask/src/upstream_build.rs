//! `cargo xtask upstream build`: a `wasmer` CLI built from the pristine crates (no
//! patch applied), the baseline the benchmarks compare the series with.
//!
//! It lays out a one-crate workspace under `target/upstream-build/` whose binary
//! calls `wasmer_cli::run_cli()` like ours, with `[patch.crates-io]` pointing at
//! the pristine crates and our `Cargo.lock`, builds it in release mode in the
//! shared scratch target directory (seeded from `target/release`, so only the two
//! vendored crates and the binary build), and copies the result to
//! `target/upstream/wasmer`.

use crate::manifest::Manifest;
use crate::monorepo::copy_tree;
use crate::patches;
use crate::scratch;
use crate::workspace::Workspace;
use anyhow::{Context, Result, bail};
use std::fmt::Write;
use std::process::Command;

/// Builds the pristine CLI and prints where it is.
pub fn run(ws: &Workspace) -> Result<()> {
    let manifest = Manifest::load(&ws.manifest_path())?;
    let monorepo = patches::pristine(ws, &manifest)?;
    let dir = ws.target_dir().join("upstream-build");
    let vendor = dir.join("vendor");
    if vendor.exists() {
        std::fs::remove_dir_all(&vendor)?;
    }
    let mut patch_table = String::from("[patch.crates-io]\n");
    for krate in &manifest.crates {
        copy_tree(&monorepo.crate_dir(krate)?, &vendor.join(&krate.dir))?;
        writeln!(
            patch_table,
            "{} = {{ path = \"vendor/{}\" }}",
            krate.name, krate.dir
        )?;
    }
    std::fs::create_dir_all(dir.join("src"))?;
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"upstream-wasmer\"\nversion = \"0.0.0\"\nedition = \"2024\"\n\
             publish = false\n\n[[bin]]\nname = \"wasmer\"\npath = \"src/main.rs\"\n\n\
             [dependencies]\nwasmer-cli = {{ version = \"={version}\", features = [\"cranelift\"] }}\n\n\
             [workspace]\n\n[profile.release]\ndebug = \"line-tables-only\"\n\n{patch_table}",
            version = manifest.wasmer_version()?,
        ),
    )?;
    std::fs::write(
        dir.join("src/main.rs"),
        "//! Upstream's CLI from the pristine crates.\nfn main() {\n    wasmer_cli::run_cli();\n}\n",
    )?;
    std::fs::copy(ws.lock_path(), dir.join("Cargo.lock"))?;
    let target_dir = scratch::target_dir(ws)?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
        .args(["build", "--release", "--offline", "--bin", "wasmer"])
        .current_dir(&dir)
        .env("CARGO_TARGET_DIR", &target_dir)
        .status()
        .context("running cargo build")?;
    if !status.success() {
        bail!("building the pristine CLI failed ({status})");
    }
    let out = ws.target_dir().join("upstream");
    std::fs::create_dir_all(&out)?;
    let binary = out.join("wasmer");
    std::fs::copy(target_dir.join("release/wasmer"), &binary)
        .context("copying the pristine CLI")?;
    println!(
        "pristine wasmer {}: {}",
        manifest.wasmer_version()?,
        binary.display()
    );
    Ok(())
}
