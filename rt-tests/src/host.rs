//! Where a guest runs: end to end through the patched `wasmer` binary, in this
//! process through the patched wasmer-wasix ([`InProcess`]), or on the peer
//! runtime, wasmtime's CLI.

use crate::child;
use crate::inproc::InProcess;
use crate::judge::Invalid;
use crate::wasmer::{self, SleepPath};
use crate::wasmtime;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// Where a guest runs.
#[derive(Debug, Clone, Copy)]
pub enum Host<'a> {
    /// `wasmer run` with this binary, in a child process.
    Binary(&'a Path),
    /// `wasmer run <flags>` with this binary (say, `--rt`), in a child process.
    BinaryWithFlags(&'a Path, &'a [&'a str]),
    /// A `WasiRunner` in this process.
    InProcess(&'a InProcess),
    /// `wasmtime run` with this wasmtime CLI, in a child process. It has one
    /// sleep path: the [`SleepPath`] given to [`Host::run`] is ignored.
    Wasmtime(&'a Path),
}

impl Host<'_> {
    /// A short name for reports.
    pub fn name(&self) -> &'static str {
        match self {
            Host::Binary(_) | Host::BinaryWithFlags(..) => "binary",
            Host::InProcess(_) => "in-process",
            Host::Wasmtime(_) => "wasmtime",
        }
    }

    /// The command that runs `guest` on `path`, for a host that is a child
    /// process; `None` for [`Host::InProcess`].
    pub fn command(&self, path: SleepPath, guest: &Path) -> Option<Command> {
        match self {
            Host::Binary(binary) => Some(wasmer::command(binary, path, guest)),
            Host::BinaryWithFlags(binary, flags) => {
                Some(wasmer::command_with_flags(binary, path, flags, guest))
            }
            Host::InProcess(_) => None,
            Host::Wasmtime(binary) => Some(wasmtime::command(binary, guest)),
        }
    }

    /// Runs the compiled `guest` on `path`; a guest still running after `limit` is
    /// abandoned and reported as [`GuestOutput::timed_out`].
    pub fn run(&self, path: SleepPath, guest: &Path, limit: Duration) -> GuestOutput {
        if let Host::InProcess(host) = self {
            return host.run(path, guest, limit);
        }
        let mut command = self
            .command(path, guest)
            .expect("every other host is a child process");
        let run = child::run_limited(&mut command, limit, |_| {})
            .unwrap_or_else(|e| panic!("spawning {:?}: {e}", command.get_program()));
        GuestOutput {
            exit_code: run.status.code(),
            stdout: run.stdout,
            stderr: run.stderr,
            timed_out: run.timed_out,
        }
    }
}

/// What a guest run produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GuestOutput {
    /// The guest's exit code; `None` if it trapped, was killed or timed out.
    pub exit_code: Option<i32>,
    /// Everything the guest wrote to stdout.
    pub stdout: String,
    /// Everything the guest (or the host, about the guest) wrote to stderr.
    pub stderr: String,
    /// True if the guest outlived its time limit.
    pub timed_out: bool,
}

impl GuestOutput {
    /// True if the guest exited with code 0.
    pub fn success(&self) -> bool {
        self.exit_code == Some(0)
    }

    /// Stdout of a successful run, or how the run ended: hung (killed at
    /// `limit`) or crashed.
    pub fn into_stdout(self, limit: Duration) -> Result<String, Invalid> {
        if self.success() {
            Ok(self.stdout)
        } else if self.timed_out {
            Err(Invalid::Hung {
                what: "the guest".to_owned(),
                limit,
            })
        } else {
            Err(Invalid::Crashed {
                what: "the guest".to_owned(),
                status: format!("exit code {:?}", self.exit_code),
                stderr: tail(&self.stderr),
            })
        }
    }
}

/// The last lines of `text` (a crash's stderr can be long).
pub fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.trim_end().lines().collect();
    lines[lines.len().saturating_sub(10)..].join("\n")
}
