//! Running a child process and collecting what the kernel knows about it.

use crate::judge::Invalid;
use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The outcome of a finished child process.
#[derive(Debug)]
pub struct Finished {
    /// How it ended.
    pub status: ExitStatus,
    /// Everything it wrote to stdout.
    pub stdout: String,
    /// Everything it wrote to stderr.
    pub stderr: String,
    /// Peak resident set size, from `wait4`'s `ru_maxrss` (KiB on Linux).
    pub max_rss_kib: u64,
    /// Wall time from spawn to exit.
    pub wall: Duration,
    /// When the child was reaped.
    pub exited_at: Instant,
    /// True if the child was killed because it outlived its time limit.
    pub timed_out: bool,
}

impl Finished {
    /// `Ok` if the child exited with `code` within its time limit `limit`; else
    /// why not, as the judge sees it: hung (killed at `limit`) or crashed (any
    /// other exit, with the end of its stderr). `what` names the run.
    pub fn exited_with(&self, what: &str, code: i32, limit: Duration) -> Result<(), Invalid> {
        if self.timed_out {
            return Err(Invalid::Hung {
                what: what.to_owned(),
                limit,
            });
        }
        if self.status.code() != Some(code) {
            return Err(Invalid::Crashed {
                what: format!("{what} (expected exit {code})"),
                status: format!("{:?}", self.status),
                stderr: crate::host::tail(&self.stderr),
            });
        }
        Ok(())
    }
}

/// Runs `command` to completion with piped output and returns its status, output,
/// peak RSS and wall time.
pub fn run(command: &mut Command) -> std::io::Result<Finished> {
    run_limited(command, Duration::MAX, |_| {})
}

/// Like [`run`], but kills the child with `SIGKILL` once it has run for `limit`
/// (then [`Finished::timed_out`] is set), and calls `after_spawn` with its pid as
/// soon as it has started (to signal it, for instance).
pub fn run_limited(
    command: &mut Command,
    limit: Duration,
    after_spawn: impl FnOnce(libc::pid_t),
) -> std::io::Result<Finished> {
    run_with_stdout(command, StdoutTo::Capture, limit, after_spawn)
}

/// Where a child's stdout goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StdoutTo {
    /// A pipe whose contents end up in [`Finished::stdout`].
    Capture,
    /// `/dev/null`.
    DevNull,
    /// A pipe that is read and thrown away ([`Finished::stdout`] stays empty).
    DiscardedPipe,
    /// A pipe whose read end is closed as soon as the child starts: writes fail
    /// with `EPIPE`.
    ClosedPipe,
    /// A pipe kept open but never read: it fills up, then a blocking write waits.
    UnreadPipe,
}

/// Like [`run_limited`], but calls `when_ready` with the child's pid once the
/// child has written the line `ready` to stdout (so a test acts when the guest
/// says it is about to wait, not after a guessed delay). `when_ready` runs
/// before the child is reaped, so its pid is still the child's (a zombie at
/// worst). The returned flag is true if `when_ready` ran; it does not run if
/// stdout closes or `limit` passes first.
pub fn run_when_ready(
    command: &mut Command,
    limit: Duration,
    ready: &str,
    when_ready: impl FnOnce(libc::pid_t),
) -> std::io::Result<(Finished, bool)> {
    let (tx, rx) = mpsc::channel();
    let mut acted = false;
    let run = run_inner(
        command,
        StdoutTo::Capture,
        limit,
        Some((ready.to_owned(), tx)),
        |pid| {
            // The reader drops the sender at end of file, and the watchdog kills
            // the child at `limit`: this wait ends either way.
            if rx.recv().is_ok() {
                when_ready(pid);
                acted = true;
            }
        },
    )?;
    Ok((run, acted))
}

/// Like [`run_limited`], with stdout sent where `stdout` says.
pub fn run_with_stdout(
    command: &mut Command,
    stdout: StdoutTo,
    limit: Duration,
    after_spawn: impl FnOnce(libc::pid_t),
) -> std::io::Result<Finished> {
    run_inner(command, stdout, limit, None, after_spawn)
}

/// A stdout line to wait for, and who to tell when it comes.
type ReadyLine = Option<(String, mpsc::Sender<()>)>;

fn run_inner(
    command: &mut Command,
    stdout: StdoutTo,
    limit: Duration,
    ready: ReadyLine,
    after_spawn: impl FnOnce(libc::pid_t),
) -> std::io::Result<Finished> {
    let start = Instant::now();
    let stdout_stdio = match stdout {
        StdoutTo::DevNull => Stdio::from(std::fs::File::create("/dev/null")?),
        StdoutTo::Capture
        | StdoutTo::DiscardedPipe
        | StdoutTo::ClosedPipe
        | StdoutTo::UnreadPipe => Stdio::piped(),
    };
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(stdout_stdio)
        .stderr(Stdio::piped())
        .spawn()?;
    // Stdin stays an open pipe without data until the child exits: a guest that
    // polls it waits instead of seeing end-of-file.
    let stdin = child.stdin.take();
    // Held until the child is reaped, so that its pipe stays open and full.
    let mut unread = None;
    let stdout = match stdout {
        StdoutTo::DiscardedPipe => discard(child.stdout.take()),
        StdoutTo::ClosedPipe => {
            drop(child.stdout.take());
            discard(None::<std::process::ChildStdout>)
        }
        StdoutTo::UnreadPipe => {
            unread = child.stdout.take();
            discard(None::<std::process::ChildStdout>)
        }
        _ => drain(child.stdout.take(), ready),
    };
    let stderr = drain(child.stderr.take(), None);
    let pid = libc::pid_t::try_from(child.id()).expect("pid fits pid_t");
    let (reaped_tx, reaped_rx) = mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        if reaped_rx.recv_timeout(limit) == Err(mpsc::RecvTimeoutError::Timeout) {
            // SAFETY: plain kill(2). The pid stays ours until wait4 reaps it; only a
            // child exiting at the very moment the limit expires could race with this.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            return true;
        }
        false
    });
    after_spawn(pid);
    let mut status = 0;
    // SAFETY: all-zero bytes are a valid `rusage`.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `pid` is our unreaped child; `status` and `usage` are valid for writes.
        let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if reaped == pid {
            break;
        }
        let error = std::io::Error::last_os_error();
        if error.kind() != std::io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
    let exited_at = Instant::now();
    drop(stdin);
    drop(unread);
    let _ = reaped_tx.send(());
    let timed_out = watchdog.join().expect("watchdog thread");
    Ok(Finished {
        status: ExitStatus::from_raw(status),
        stdout: stdout.join().expect("stdout reader"),
        stderr: stderr.join().expect("stderr reader"),
        max_rss_kib: u64::try_from(usage.ru_maxrss).unwrap_or(0),
        wall: exited_at - start,
        exited_at,
        timed_out,
    })
}

/// Reads `pipe` to its end on a thread; tells `ready`'s sender as soon as its
/// line has come.
fn drain(
    pipe: Option<impl Read + Send + 'static>,
    ready: ReadyLine,
) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let Some(mut pipe) = pipe else {
            return String::new();
        };
        let mut ready = ready;
        // Where the first line not yet looked at starts.
        let mut unseen = 0;
        let mut chunk = [0u8; 4096];
        loop {
            match pipe.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => bytes.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            }
            let Some((line, tx)) = &ready else { continue };
            // Whole lines only: a line still being written is looked at later.
            while let Some(end) = bytes[unseen..].iter().position(|b| *b == b'\n') {
                let found = &bytes[unseen..unseen + end] == line.as_bytes();
                unseen += end + 1;
                if found {
                    let _ = tx.send(());
                    ready = None;
                    break;
                }
            }
        }
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

fn discard(pipe: Option<impl Read + Send + 'static>) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        if let Some(mut pipe) = pipe {
            let _ = std::io::copy(&mut pipe, &mut std::io::sink());
        }
        String::new()
    })
}
