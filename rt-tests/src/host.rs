//! Where a guest runs: end to end through the patched `wasmer` binary, or in this
//! process through the patched wasmer-wasix ([`InProcess`]).

use crate::inproc::InProcess;
use crate::judge::Invalid;
use crate::wasmer::{self, SleepPath};
use std::path::Path;
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
}

impl Host<'_> {
    /// A short name for reports.
    pub fn name(&self) -> &'static str {
        match self {
            Host::Binary(_) | Host::BinaryWithFlags(..) => "binary",
            Host::InProcess(_) => "in-process",
        }
    }

    /// Runs the compiled `guest` on `path`; a guest still running after `limit` is
    /// abandoned and reported as [`GuestOutput::timed_out`].
    pub fn run(&self, path: SleepPath, guest: &Path, limit: Duration) -> GuestOutput {
        match self {
            Host::Binary(binary) => Host::BinaryWithFlags(binary, &[]).run(path, guest, limit),
            Host::BinaryWithFlags(binary, flags) => {
                let run = wasmer::run_with_flags(binary, path, flags, guest, limit);
                GuestOutput {
                    exit_code: run.status.code(),
                    stdout: run.stdout,
                    stderr: run.stderr,
                    timed_out: run.timed_out,
                }
            }
            Host::InProcess(host) => host.run(path, guest, limit),
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
