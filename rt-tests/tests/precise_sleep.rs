//! Sleep precision on the patched path, against the native loop of the same run.
//!
//! For each loop pattern the native loop and the guest run interleaved, `trials`
//! times each; the median over trials of the guest's p50 and p90 overshoot may
//! exceed the native one by at most the bounds in `ci/jitter-bounds.toml`, and no
//! sleep may end before its deadline. The control test runs the same check on
//! `--legacy-sleep` (upstream's path) and requires it to fail.

use rt_tests::bounds::{self, SleepBounds};
use rt_tests::samples::Summary;
use rt_tests::scenario::{Pattern, Runner, Scenario};
use rt_tests::wasmer::{SleepPath, default_binary};
use std::sync::Mutex;
use std::time::Duration;

/// Timing tests must not overlap: the test harness runs tests on several threads.
static SERIAL: Mutex<()> = Mutex::new(());

/// Runs the scenario on `path` and native, interleaved, and checks the bounds.
fn check(pattern: Pattern, path: SleepPath, bounds: &SleepBounds) -> Result<String, String> {
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let scenario = Scenario::new(
        pattern,
        bounds.count,
        Duration::from_micros(bounds.period_us),
    );
    let binary = default_binary();
    let guest = Runner::Guest(path);
    let (mut native, mut patched) = (Vec::new(), Vec::new());
    for trial in 0..bounds.trials {
        // Alternate who goes first, so a load spike does not always hit one side.
        let order = if trial % 2 == 0 {
            [Runner::Native, guest]
        } else {
            [guest, Runner::Native]
        };
        for runner in order {
            let run = scenario.run(runner, &binary)?;
            if let Some(early) = run.samples.iter().find(|s| **s < 0) {
                return Err(format!(
                    "{}: a sleep ended {} ns before its deadline",
                    runner.name(),
                    -early
                ));
            }
            let summary = run.summary();
            match runner {
                Runner::Native => native.push(summary),
                Runner::Guest(_) => patched.push(summary),
            }
        }
    }
    let (native, guest) = (Summary::median_of(&native), Summary::median_of(&patched));
    let report = format!(
        "{} {}: native  {native}\n{} {}: {:<7} {guest}",
        pattern.name(),
        bounds.count,
        pattern.name(),
        bounds.count,
        path.name()
    );
    let over = |g: i64, n: i64| (g - n) / 1000;
    if over(guest.p50, native.p50) > bounds.p50_over_native_us {
        return Err(format!(
            "p50 overshoot {} us above native (bound {} us)\n{report}",
            over(guest.p50, native.p50),
            bounds.p50_over_native_us
        ));
    }
    if over(guest.p90, native.p90) > bounds.p90_over_native_us {
        return Err(format!(
            "p90 overshoot {} us above native (bound {} us)\n{report}",
            over(guest.p90, native.p90),
            bounds.p90_over_native_us
        ));
    }
    Ok(report)
}

fn bounds() -> SleepBounds {
    bounds::load().unwrap_or_else(|e| panic!("{e}")).sleep
}

/// The patched path meets the bounds for `pattern`.
fn assert_precise(pattern: Pattern) {
    match check(pattern, SleepPath::Precise, &bounds()) {
        Ok(report) => eprintln!("{report}"),
        Err(why) => panic!("{why}"),
    }
}

#[test]
fn periodic_absolute_deadlines_are_as_precise_as_native() {
    assert_precise(Pattern::Periodic);
}

#[test]
fn relative_sleeps_are_as_precise_as_native() {
    assert_precise(Pattern::Relative);
}

#[test]
fn thread_sleep_is_as_precise_as_native() {
    assert_precise(Pattern::ThreadSleep);
}

#[test]
fn poll_with_an_fd_times_out_as_precisely_as_native() {
    assert_precise(Pattern::PollWithFd);
}

#[test]
fn futex_wait_timeouts_are_as_precise_as_native() {
    assert_precise(Pattern::FutexTimeout);
}

#[test]
fn epoll_wait_timeouts_are_as_precise_as_native() {
    assert_precise(Pattern::EpollTimeout);
}

#[test]
fn control_the_legacy_path_breaks_the_bounds() {
    for pattern in Pattern::ALL {
        let result = check(pattern, SleepPath::Legacy, &bounds());
        assert!(
            result.is_err(),
            "{}: the legacy path meets the bounds, so the test cannot see a regression:\n{}",
            pattern.name(),
            result.unwrap_or_default()
        );
        eprintln!(
            "{}: legacy fails as expected: {}",
            pattern.name(),
            result.unwrap_err()
        );
    }
}
