//! `wasmer run` real-time flags (`--rt-priority`, `--timer-slack`, `--cpu-affinity`,
//! `--mlock`, `--rt`): they reach the guest's threads and only those, and a setting
//! the host refuses stops `wasmer run` with one line naming the flag, before the
//! guest starts.

use rt_tests::child::{self, Finished};
use rt_tests::guests;
use rt_tests::judge::INVALID_MARK;
use rt_tests::privilege::{self, Need};
use rt_tests::serial;
use rt_tests::wasmer::{SleepPath, command_with_flags, default_binary};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::Command;
use std::sync::mpsc;
use std::time::Duration;

/// A guest that prints `ready`, then sleeps 40 × 25 ms (about 1 s) and exits 0.
fn sleeping_guest() -> PathBuf {
    guests::compile(
        "sleep_then_exit",
        "sleep_then_exit_rt_flags_40x25ms",
        &[
            ("COUNT", "40"),
            ("PERIOD_NS", "25000000"),
            ("EXIT_CODE", "0"),
        ],
    )
}

/// One thread of the `wasmer` process, as `/proc` shows it.
#[derive(Debug)]
struct ThreadState {
    name: String,
    /// `SCHED_OTHER` 0, `SCHED_FIFO` 1.
    policy: u32,
    rt_priority: u32,
    cpus: String,
    timer_slack_ns: u64,
}

/// Every thread of `pid`, or why `/proc` could not tell.
fn read_threads(pid: libc::pid_t) -> Result<Vec<ThreadState>, String> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task"))
        .map_err(|e| format!("reading /proc/{pid}/task: {e}"))?;
    let threads: Vec<ThreadState> = tasks
        .filter_map(|task| {
            let tid = task.ok()?.file_name().into_string().ok()?;
            let read = |file: &str| std::fs::read_to_string(format!("/proc/{tid}/{file}")).ok();
            let stat = read("stat")?;
            // Fields after the parenthesised name; rt_priority and policy are
            // fields 40 and 41 of stat(5), i.e. 38 and 39 after `state`.
            let after_name = &stat[stat.rfind(')')? + 2..];
            let fields: Vec<&str> = after_name.split_whitespace().collect();
            let cpus = read("status")?
                .lines()
                .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))?
                .trim()
                .to_string();
            Some(ThreadState {
                name: read("comm")?.trim().to_string(),
                rt_priority: fields.get(37)?.parse().ok()?,
                policy: fields.get(38)?.parse().ok()?,
                cpus,
                timer_slack_ns: read("timerslack_ns")?.trim().parse().ok()?,
            })
        })
        .collect();
    if !threads.iter().any(is_guest_thread) {
        return Err(format!("no guest thread among {threads:#?}"));
    }
    Ok(threads)
}

/// The process's locked memory (`VmLck`), in KiB.
fn locked_kib(pid: libc::pid_t) -> Result<u64, String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .map_err(|e| format!("reading /proc/{pid}/status: {e}"))?;
    status
        .lines()
        .find(|l| l.starts_with("VmLck:"))
        .and_then(|line| line.split_whitespace().nth(1)?.parse().ok())
        .ok_or_else(|| format!("no VmLck line in /proc/{pid}/status"))
}

/// Runs the sleeping guest with `flags` and reads the process's threads (and its
/// locked memory) once the guest has said `ready`, while it sleeps. Fails the
/// test unless the guest ran to its end and `/proc` was read.
fn run_and_sample(flags: &[&str]) -> (Vec<ThreadState>, u64) {
    let _timing = serial::timing();
    let guest = sleeping_guest();
    let mut command = command_with_flags(&default_binary(), SleepPath::Precise, flags, &guest);
    let (tx, rx) = mpsc::channel();
    let (run, ready) =
        child::run_when_ready(&mut command, Duration::from_secs(60), "ready", move |pid| {
            let _ = tx.send(read_threads(pid).and_then(|t| Ok((t, locked_kib(pid)?))));
        })
        .unwrap_or_else(|e| panic!("{INVALID_MARK}running wasmer: {e}"));
    // A run that failed or never got to its sleep says nothing about the flags.
    assert!(
        run.status.success(),
        "{INVALID_MARK}the guest failed: {:?}\n{}",
        run.status,
        run.stderr
    );
    assert!(
        ready,
        "{INVALID_MARK}the guest never said ready: {:?}",
        run.stdout
    );
    let (threads, locked) = rx
        .recv()
        .expect("the ready action ran")
        .unwrap_or_else(|e| panic!("{e}"));
    (threads, locked)
}

/// The threads that run WebAssembly: the task manager's pool
/// (`TokioTaskManager Thread Pool`, cut to 15 bytes by the kernel).
fn is_guest_thread(thread: &ThreadState) -> bool {
    thread.name.starts_with("TokioTaskManage")
}

#[test]
fn guest_threads_get_the_settings_and_tokio_workers_do_not() {
    if !privilege::require(
        "guest_threads_get_the_settings_and_tokio_workers_do_not",
        &[Need::FifoPriority(10)],
    ) {
        return;
    }
    let (threads, _) = run_and_sample(&[
        "--rt-priority",
        "10",
        "--timer-slack",
        "1ns",
        "--cpu-affinity",
        "1",
    ]);
    let summary = format!("{threads:#?}");
    let guest: Vec<&ThreadState> = threads.iter().filter(|t| is_guest_thread(t)).collect();
    assert!(
        guest.iter().any(|t| t.policy == 1
            && t.rt_priority == 10
            && t.cpus == "1"
            && t.timer_slack_ns <= 1),
        "no guest thread with SCHED_FIFO 10, CPU 1 and at most 1 ns slack \
         (Linux shows 0 for a real-time thread):\n{summary}"
    );
    let workers: Vec<&ThreadState> = threads
        .iter()
        .filter(|t| t.name.starts_with("tokio"))
        .collect();
    assert!(!workers.is_empty(), "no Tokio worker found:\n{summary}");
    assert!(
        workers
            .iter()
            .all(|t| t.policy == 0 && t.timer_slack_ns != 1),
        "a Tokio worker got the guest's settings:\n{summary}"
    );
}

#[test]
fn timer_slack_alone_reaches_the_guest_thread() {
    let (threads, _) = run_and_sample(&["--timer-slack", "1ns"]);
    assert!(
        threads
            .iter()
            .any(|t| is_guest_thread(t) && t.policy == 0 && t.timer_slack_ns == 1),
        "no guest thread with 1 ns slack:\n{threads:#?}"
    );
    assert!(
        threads
            .iter()
            .filter(|t| !is_guest_thread(t))
            .all(|t| t.timer_slack_ns != 1),
        "a thread that does not run the guest got its slack:\n{threads:#?}"
    );
}

#[test]
fn without_flags_nothing_changes() {
    let (threads, _) = run_and_sample(&[]);
    assert!(
        threads.iter().all(|t| t.policy == 0),
        "a thread runs under a real-time policy:\n{threads:#?}"
    );
}

#[test]
fn rt_preset_gives_fifo_minimal_slack_and_locked_memory() {
    if !privilege::require(
        "rt_preset_gives_fifo_minimal_slack_and_locked_memory",
        &[Need::FifoPriority(80), Need::LockAllMemory],
    ) {
        return;
    }
    let (threads, locked_kib) = run_and_sample(&["--rt"]);
    assert!(
        threads
            .iter()
            .filter(|t| is_guest_thread(t))
            .any(|t| t.policy == 1 && t.rt_priority == 80 && t.timer_slack_ns <= 1),
        "--rt with the privilege should give SCHED_FIFO 80 and at most 1 ns slack:\n{threads:#?}"
    );
    // The binary and its heap, at least: tens of MiB.
    assert!(
        locked_kib > 16 * 1024,
        "--rt should lock the process's memory, VmLck is {locked_kib} KiB"
    );
    let (_, unlocked_kib) = run_and_sample(&[]);
    assert_eq!(unlocked_kib, 0, "without --rt or --mlock nothing is locked");
}

/// `wasmer run <flags> guest`, expected to refuse before the guest starts.
fn refused(flags: &[&str]) -> Finished {
    refused_with(command_with_flags(
        &default_binary(),
        SleepPath::Precise,
        flags,
        &sleeping_guest(),
    ))
}

fn refused_with(mut command: Command) -> Finished {
    let run = child::run_limited(&mut command, Duration::from_secs(30), |_| {}).expect("running");
    assert!(!run.status.success(), "wasmer accepted it:\n{}", run.stderr);
    assert!(run.stdout.is_empty(), "the guest started: {}", run.stdout);
    run
}

/// The line of `stderr` that names `flag`.
fn error_line<'a>(run: &'a Finished, flag: &str) -> &'a str {
    run.stderr
        .lines()
        .find(|line| line.contains(flag))
        .unwrap_or_else(|| panic!("no line names {flag}:\n{}", run.stderr))
}

#[test]
fn cpus_that_are_not_there_are_refused() {
    let run = refused(&["--cpu-affinity", "1000"]);
    let line = error_line(&run, "--cpu-affinity 1000");
    assert!(line.contains("sched_setaffinity"), "{line}");
}

#[test]
fn malformed_values_are_refused_by_name() {
    for (flag, value) in [
        ("--rt-priority", "0"),
        ("--rt-priority", "100"),
        ("--timer-slack", "0ns"),
        ("--timer-slack", "soon"),
        ("--cpu-affinity", "3-1"),
        ("--cpu-affinity", "x"),
    ] {
        let run = refused(&[flag, value]);
        error_line(&run, flag);
    }
}

/// Without the privilege, SCHED_FIFO is `EPERM`, and the error says so. The
/// child gets `RLIMIT_RTPRIO` 0 (so a raised limit of the CI shell does not
/// count) and, when the test runs as root, `setpriv` takes `CAP_SYS_NICE` out
/// of its bounding and inheritable sets (so root's capability does not count
/// either; the user stays the same, so the binary stays reachable). Needs no
/// privilege itself.
#[test]
fn an_unprivileged_user_gets_eperm_by_name() {
    // SAFETY: geteuid(2) cannot fail.
    let root = unsafe { libc::geteuid() } == 0;
    let mut command = if root {
        // Root's inheritable set would bring the capability back on exec too.
        let mut command = Command::new("setpriv");
        command.args(["--bounding-set=-sys_nice", "--inh-caps=-sys_nice", "--"]);
        command.arg(default_binary());
        command
    } else {
        Command::new(default_binary())
    };
    command
        .args(["run", "--rt-priority", "10"])
        .arg(sleeping_guest());
    // SAFETY: setrlimit(2) is async-signal-safe; nothing else runs in the child.
    unsafe {
        command.pre_exec(|| {
            let zero = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            if libc::setrlimit(libc::RLIMIT_RTPRIO, &zero) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let run = refused_with(command);
    let line = error_line(&run, "--rt-priority 10");
    assert!(line.contains("Operation not permitted"), "{line}");
}
