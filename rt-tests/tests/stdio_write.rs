//! Patch 0009: `fd_write` to the host's stdout and stderr writes on the calling
//! thread instead of going through Tokio's blocking pool. What the guest sees
//! must not change: every byte arrives, in order, each call reports all of it,
//! a write to a stdout that nobody reads is an `EPIPE` errno, not a panic or
//! a hang, and a stdout the guest set non-blocking never blocks: once its pipe is
//! full, a write is `EAGAIN`.

use rt_tests::child::{self, StdoutTo};
use rt_tests::guests;
use rt_tests::wasmer::{self, SleepPath, default_binary};
use std::time::Duration;

/// Rounds of writes in the guest.
const ROUNDS: usize = 2_000;

/// WASI `EPIPE`.
const ERRNO_PIPE: i32 = 64;
/// WASI `EAGAIN`.
const ERRNO_AGAIN: i32 = 6;

fn run(stdout: StdoutTo) -> child::Finished {
    let guest = guests::compile(
        "stdio_writes",
        &format!("stdio_writes_{ROUNDS}"),
        &[("COUNT", &ROUNDS.to_string())],
    );
    let mut command = wasmer::command(&default_binary(), SleepPath::Precise, &guest);
    child::run_with_stdout(&mut command, stdout, Duration::from_secs(60), |_| {})
        .expect("running wasmer")
}

#[test]
fn every_byte_arrives_in_order() {
    let run = run(StdoutTo::Capture);
    assert!(
        run.status.success(),
        "guest failed: {:?}\n{}",
        run.status,
        run.stderr
    );
    assert_eq!(run.stdout, "abc\n".repeat(ROUNDS), "stdout");
    assert_eq!(run.stderr, "x".repeat(ROUNDS), "stderr");
}

#[test]
fn a_closed_stdout_is_an_epipe_errno() {
    let run = run(StdoutTo::ClosedPipe);
    assert!(!run.timed_out, "the guest hung writing to a closed pipe");
    assert_eq!(
        run.status.code(),
        Some(ERRNO_PIPE),
        "exit status (the guest exits with the errno)\nstderr: {}",
        run.stderr
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
}

#[test]
fn a_full_pipe_is_eagain_when_stdout_is_non_blocking() {
    // 4096 writes of 4 KiB: 16 MiB, far beyond what a pipe holds (64 KiB to 1 MiB).
    let guest = guests::compile(
        "nonblocking_stdout",
        "nonblocking_stdout",
        &[("COUNT", "4096")],
    );
    let mut command = wasmer::command(&default_binary(), SleepPath::Precise, &guest);
    let run = child::run_with_stdout(
        &mut command,
        StdoutTo::UnreadPipe,
        Duration::from_secs(20),
        |_| {},
    )
    .expect("running wasmer");
    assert!(
        !run.timed_out,
        "the guest blocked on its full, non-blocking stdout (killed after 20 s)"
    );
    assert_eq!(
        run.status.code(),
        Some(ERRNO_AGAIN),
        "exit status (the guest exits with the errno; 200 + errno: setting NONBLOCK failed; \
         0: nothing failed)\nstderr: {}",
        run.stderr
    );
}
