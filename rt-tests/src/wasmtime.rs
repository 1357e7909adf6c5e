//! The peer runtime: a wasmtime CLI running the same guests, as one more column
//! in the benchmarks (`--wasmtime`). `cargo xtask wasmtime` installs wasmtime 49
//! in `target/wasmtime/`.

use std::path::{Path, PathBuf};
use std::process::Command;

/// `WASMER_RT_WASMTIME` if set, else where `cargo xtask wasmtime` installs the
/// CLI: `target/wasmtime/wasmtime_cli/wasmtime`, next to this build's profile
/// directory.
pub fn default_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("WASMER_RT_WASMTIME") {
        return PathBuf::from(path);
    }
    let patched = crate::wasmer::default_binary();
    let profile = patched.parent().expect("a profile directory");
    profile
        .parent()
        .expect("a target directory")
        .join("wasmtime/wasmtime_cli/wasmtime")
}

/// `wasmtime run <guest>`.
pub fn command(binary: &Path, guest: &Path) -> Command {
    let mut command = Command::new(binary);
    command.arg("run").arg(guest);
    command
}

/// The CLI's `--version` line, or why there is none, in one line.
pub fn version(binary: &Path) -> Result<String, String> {
    let output = Command::new(binary)
        .arg("--version")
        .output()
        .map_err(|e| {
            format!(
                "running {}: {e} (install it with `cargo xtask wasmtime`)",
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
