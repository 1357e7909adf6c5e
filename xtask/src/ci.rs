//! `cargo xtask ci`: the README's test command, everything CI runs.

use crate::patches;
use crate::workspace::Workspace;
use anyhow::{Context, Result, bail};
use std::process::Command;

/// Checks the patch series, formatting of our own crates, then builds the patched
/// `wasmer` and runs every test in release mode (one profile, so dependencies build
/// once), then the unit tests the series adds to the vendored wasmer-wasix.
pub fn run(ws: &Workspace) -> Result<()> {
    step("patches check");
    patches::check(ws)?;
    step("cargo fmt --check (rt-tests, xtask)");
    cargo(ws, &["fmt", "--check", "-p", "rt-tests", "-p", "xtask"])?;
    step("cargo test --release --locked --workspace");
    cargo(
        ws,
        &[
            "test",
            "--release",
            "--locked",
            "--workspace",
            "--no-fail-fast",
        ],
    )?;
    step("vendored wasmer-wasix unit tests");
    crate::vendored_tests::run(ws, false)?;
    step("all checks passed");
    Ok(())
}

fn step(name: &str) {
    println!("==> {name}");
}

fn cargo(ws: &Workspace, args: &[&str]) -> Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(&cargo)
        .args(args)
        .current_dir(ws.root())
        .env("INSTA_UPDATE", "no")
        .status()
        .with_context(|| format!("running {cargo}"))?;
    if !status.success() {
        bail!("`cargo {}` failed ({status})", args.join(" "));
    }
    Ok(())
}
