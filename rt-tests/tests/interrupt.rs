//! A sleeping guest stays interruptible on the precise path: Ctrl-C (SIGINT to
//! `wasmer run`) and `proc_exit` from another guest thread end a 10 s sleep
//! promptly, as they do on upstream's path, and an alarm (`proc_raise_interval`)
//! runs the guest's handler when it is due and lets the sleep finish.
//!
//! The time measured here runs from the event to the exit of the whole `wasmer`
//! process, so it includes the runtime's teardown; the wake-up of the sleeping
//! thread itself is a futex wake (unit-tested in wasmer-wasix's `os::deadline`).

use rt_tests::child::{self, Finished};
use rt_tests::guests;
use rt_tests::samples::Summary;
use rt_tests::wasmer::{SleepPath, command, default_binary};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Exit latency allowed (median of the trials), teardown included.
const MAX_EXIT_LATENCY: Duration = Duration::from_millis(50);
const TRIALS: usize = 5;

/// Runs `guest`, sends SIGINT after `delay`, and returns the run and the time from
/// the signal to the exit.
fn interrupt(path: SleepPath, guest: &std::path::Path, delay: Duration) -> (Finished, Duration) {
    let sent: Arc<Mutex<Option<Instant>>> = Arc::default();
    let sent_by_thread = sent.clone();
    let run = child::run_limited(
        &mut command(&default_binary(), path, guest),
        Duration::from_secs(20),
        move |pid| {
            std::thread::spawn(move || {
                std::thread::sleep(delay);
                *sent_by_thread.lock().unwrap() = Some(Instant::now());
                // SAFETY: plain kill(2) to our own child.
                unsafe { libc::kill(pid, libc::SIGINT) };
            });
        },
    )
    .expect("spawning wasmer");
    let sent = sent.lock().unwrap().expect("the signal was sent");
    let latency = run.exited_at.saturating_duration_since(sent);
    (run, latency)
}

fn median_ms(latencies: &[Duration]) -> f64 {
    let ns: Vec<i64> = latencies.iter().map(|d| d.as_nanos() as i64).collect();
    Summary::of(&ns).p50 as f64 / 1e6
}

#[test]
fn sigint_ends_a_long_sleep_promptly() {
    let guest = guests::compile(
        "sleep_loop",
        "sleep_10s_once",
        &[
            ("COUNT", "1"),
            ("PERIOD_NS", "10000000000"),
            ("ABSOLUTE", "0"),
            ("CLOCK", "1"),
            ("SLEEP", "poll"),
            ("PAGES", "2"),
        ],
    );
    let mut latencies = Vec::new();
    for _ in 0..TRIALS {
        let (run, latency) = interrupt(SleepPath::Precise, &guest, Duration::from_millis(500));
        assert!(!run.timed_out, "SIGINT did not end the guest");
        assert!(
            !run.status.success(),
            "the sleep ran to its end: {:?}",
            run.status
        );
        latencies.push(latency);
    }
    let (_, legacy) = interrupt(SleepPath::Legacy, &guest, Duration::from_millis(500));
    eprintln!(
        "SIGINT to exit: patched median {:.2} ms ({latencies:?}), legacy {:.2} ms",
        median_ms(&latencies),
        legacy.as_secs_f64() * 1e3
    );
    assert!(
        median_ms(&latencies) < MAX_EXIT_LATENCY.as_secs_f64() * 1e3,
        "SIGINT took {:.2} ms (median) to end a sleeping guest, bound {MAX_EXIT_LATENCY:?}",
        median_ms(&latencies)
    );
}

#[test]
fn exit_from_another_thread_ends_a_long_sleep_promptly() {
    const EXIT_AFTER: Duration = Duration::from_millis(200);
    let guest = guests::compile(
        "exit_during_sleep",
        "exit_during_sleep",
        &[
            ("SLEEP_NS", "10000000000"),
            ("EXIT_AFTER_NS", &EXIT_AFTER.as_nanos().to_string()),
            ("EXIT_CODE", "3"),
        ],
    );
    let mut walls = Vec::new();
    for _ in 0..TRIALS {
        let run = child::run_limited(
            &mut command(&default_binary(), SleepPath::Precise, &guest),
            Duration::from_secs(20),
            |_| {},
        )
        .expect("spawning wasmer");
        assert!(!run.timed_out, "proc_exit did not end the sleeping thread");
        assert_eq!(
            run.status.code(),
            Some(3),
            "{:?}\n{}",
            run.status,
            run.stderr
        );
        assert!(
            run.wall >= EXIT_AFTER,
            "exited before the other thread's sleep ended"
        );
        walls.push(run.wall - EXIT_AFTER);
    }
    eprintln!(
        "proc_exit in another thread to process exit (startup included): median {:.2} ms {walls:?}",
        median_ms(&walls)
    );
    assert!(
        median_ms(&walls) < 500.0,
        "a 10 s sleep kept the process alive {:.2} ms (median) after another thread's proc_exit",
        median_ms(&walls)
    );
}

/// Parses `key value` lines.
fn fields(output: &str) -> std::collections::HashMap<String, i64> {
    output
        .lines()
        .filter_map(|line| line.split_once(' '))
        .filter_map(|(k, v)| Some((k.to_owned(), v.parse().ok()?)))
        .collect()
}

#[test]
fn an_alarm_runs_its_handler_on_time_and_the_sleep_resumes() {
    const ALARM: Duration = Duration::from_millis(100);
    const SLEEP: Duration = Duration::from_millis(300);
    /// The handler may run this late after the alarm (the wake-up itself is µs).
    const HANDLER_SLACK: Duration = Duration::from_millis(5);
    let guest = guests::compile(
        "alarm_during_sleep",
        "alarm_during_sleep",
        &[
            ("ALARM_MS", &ALARM.as_millis().to_string()),
            ("SLEEP_NS", &SLEEP.as_nanos().to_string()),
        ],
    );
    let check = |path: SleepPath| -> Result<String, String> {
        let run = child::run_limited(
            &mut command(&default_binary(), path, &guest),
            Duration::from_secs(20),
            |_| {},
        )
        .expect("spawning wasmer");
        if !run.status.success() {
            return Err(format!("{:?}: {}", run.status, run.stderr));
        }
        let f = fields(&run.stdout);
        let get = |k: &str| {
            f.get(k)
                .copied()
                .ok_or(format!("no {k} in {:?}", run.stdout))
        };
        let (handled, at, elapsed, nevents) = (
            get("handled")?,
            get("handler_at")?,
            get("elapsed")?,
            get("nevents")?,
        );
        let report = format!(
            "{}: handler ran {handled}x at {:.3} ms, sleep took {:.3} ms, {nevents} event(s)",
            path.name(),
            at as f64 / 1e6,
            elapsed as f64 / 1e6
        );
        if handled != 1 || nevents != 1 || elapsed < SLEEP.as_nanos() as i64 {
            return Err(report);
        }
        if at < ALARM.as_nanos() as i64 || at > (ALARM + HANDLER_SLACK).as_nanos() as i64 {
            return Err(report);
        }
        Ok(report)
    };
    let patched = check(SleepPath::Precise).unwrap_or_else(|e| panic!("{e}"));
    eprintln!("{patched}");
    let legacy = check(SleepPath::Legacy);
    eprintln!("{legacy:?}");
    assert!(
        legacy.is_err(),
        "the legacy path runs the alarm on time too, so the test cannot see the difference"
    );
}
