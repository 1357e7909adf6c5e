//! Running guests through the patched `wasmer` binary, on either sleep path.

use crate::child::{self, Finished};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// Which implementation of timed waits the binary uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SleepPath {
    /// The default of the patched CLI: absolute deadlines on the guest's thread.
    Precise,
    /// `--legacy-sleep`: upstream's async-runtime timer.
    Legacy,
}

impl SleepPath {
    /// Both paths, patched first.
    pub const ALL: [SleepPath; 2] = [SleepPath::Precise, SleepPath::Legacy];

    /// A short name for reports.
    pub fn name(self) -> &'static str {
        match self {
            SleepPath::Precise => "patched",
            SleepPath::Legacy => "legacy",
        }
    }
}

/// The patched binary next to the running executable (tests and the benchmark live
/// in the same target directory as `wasmer`), unless `WASMER_RT_BIN` names another.
pub fn default_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("WASMER_RT_BIN") {
        return PathBuf::from(path);
    }
    profile_dir().join("wasmer")
}

/// The profile directory of this build (`target/release`), where the running
/// executable (a benchmark, or an integration test in its `deps/`) lives.
pub fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("current executable");
    let mut dir = exe.parent().expect("executable directory").to_path_buf();
    // Integration tests run from target/<profile>/deps.
    if dir.ends_with("deps") {
        dir.pop();
    }
    dir
}

/// Upstream's CLI built from the pristine crates, for the controls:
/// `WASMER_RT_UPSTREAM` if set, else `target/upstream/wasmer` next to this build's
/// profile directory (`cargo xtask upstream build`; `cargo xtask ci` builds it
/// before the tests). Panics with that advice if it is missing.
pub fn upstream_binary() -> PathBuf {
    let binary = match std::env::var_os("WASMER_RT_UPSTREAM") {
        Some(path) => PathBuf::from(path),
        None => {
            let patched = default_binary();
            let profile = patched.parent().expect("a profile directory");
            profile
                .parent()
                .expect("a target directory")
                .join("upstream/wasmer")
        }
    };
    assert!(
        binary.is_file(),
        "no upstream wasmer at {}: build it with `cargo xtask upstream build` \
         (`cargo xtask ci` does so before the tests)",
        binary.display()
    );
    binary
}

/// `wasmer run [--legacy-sleep] <guest>`.
pub fn command(binary: &Path, path: SleepPath, guest: &Path) -> Command {
    command_with_flags(binary, path, &[], guest)
}

/// Like [`command`], with more `wasmer run` flags (say, `--rt`) before the guest.
pub fn command_with_flags(binary: &Path, path: SleepPath, flags: &[&str], guest: &Path) -> Command {
    let mut command = Command::new(binary);
    command.arg("run");
    if path == SleepPath::Legacy {
        command.arg("--legacy-sleep");
    }
    command.args(flags).arg(guest);
    command
}

/// Runs `guest` to completion (killed after `limit`).
pub fn run(binary: &Path, path: SleepPath, guest: &Path, limit: Duration) -> Finished {
    child::run_limited(&mut command(binary, path, guest), limit, |_| {}).expect("spawning wasmer")
}
