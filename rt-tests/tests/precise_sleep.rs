//! Sleep precision on the patched path, against the native loop of the same run.
//!
//! For each loop pattern the native loop and the guest run interleaved, up to
//! `best_of` times (`ci/jitter-bounds.toml`). The guest passes when, in one of
//! those trials, its p50 and p90 overshoot exceed the native ones of the same
//! trial by at most the bounds; no sleep of any trial may end before its deadline.
//! Every pattern runs end to end (`wasmer run`) and in-process (a `WasiRunner` in
//! the test process). The control tests run the same check on the legacy path
//! (upstream's) and require every trial to fail.
//!
//! Each check writes the histograms of all its samples, native next to the guest,
//! in cyclictest's format to `target/rt-tests/precise_sleep-<host>-<pattern>-<path>.hist.txt`.

use rt_tests::bounds::{self, SleepBounds};
use rt_tests::cyclictest::{self, Column};
use rt_tests::histogram::LatencyHistogram;
use rt_tests::host::Host;
use rt_tests::inproc::InProcess;
use rt_tests::samples::Summary;
use rt_tests::scenario::{Pattern, Runner, Scenario};
use rt_tests::wasmer::{SleepPath, default_binary};
use std::sync::{LazyLock, Mutex};
use std::time::Duration;

/// Timing tests must not overlap: the test harness runs tests on several threads.
static SERIAL: Mutex<()> = Mutex::new(());

static IN_PROCESS: LazyLock<InProcess> = LazyLock::new(InProcess::new);

/// Where a check runs its guests.
#[derive(Debug, Clone, Copy)]
enum Where {
    Binary,
    InProcess,
}

/// Checks one trial's quantiles against the bounds.
fn judge(native: &Summary, guest: &Summary, bounds: &SleepBounds) -> Result<(), String> {
    let over = |g: i64, n: i64| (g - n) / 1000;
    let (p50, p90) = (over(guest.p50, native.p50), over(guest.p90, native.p90));
    if p50 > bounds.p50_over_native_us {
        return Err(format!(
            "p50 {p50} us above native (bound {} us)",
            bounds.p50_over_native_us
        ));
    }
    if p90 > bounds.p90_over_native_us {
        return Err(format!(
            "p90 {p90} us above native (bound {} us)",
            bounds.p90_over_native_us
        ));
    }
    Ok(())
}

/// Runs `pattern` on `path` and natively, interleaved, until a trial meets the
/// bounds or `best_of` trials failed. `Ok` holds the report of a pass, `Err` the
/// reason for a failure.
fn check(pattern: Pattern, path: SleepPath, at: Where) -> Result<String, String> {
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let bounds = bounds::load().unwrap_or_else(|e| panic!("{e}")).sleep;
    let binary = default_binary();
    let host = match at {
        Where::Binary => Host::Binary(&binary),
        Where::InProcess => Host::InProcess(&IN_PROCESS),
    };
    let scenario = Scenario::new(
        pattern,
        bounds.count,
        Duration::from_micros(bounds.period_us),
    );
    let guest = Runner::Guest(path);
    let (mut native_hist, mut guest_hist) = (LatencyHistogram::new(), LatencyHistogram::new());
    let mut report = String::new();
    let mut verdict = Err("no trial ran".to_owned());
    for trial in 0..bounds.best_of {
        // Alternate who goes first, so a load spike does not always hit one side.
        let order = if trial % 2 == 0 {
            [Runner::Native, guest]
        } else {
            [guest, Runner::Native]
        };
        let mut summaries = [Summary::default(); 2];
        for runner in order {
            let run = scenario.run(runner, host)?;
            if let Some(early) = run.samples.iter().find(|s| **s < 0) {
                return Err(format!(
                    "{}: a sleep ended {} ns before its deadline",
                    runner.name(),
                    -early
                ));
            }
            let (hist, slot) = match runner {
                Runner::Native => (&mut native_hist, 0),
                Runner::Guest(_) => (&mut guest_hist, 1),
            };
            run.samples.iter().for_each(|s| hist.record(*s));
            summaries[slot] = run.summary();
        }
        let [native, guest] = summaries;
        verdict = judge(&native, &guest, &bounds);
        report += &format!(
            "{} {} trial {trial}: native  {native}\n{:>w$} {guest}\n{:>w$} {}\n",
            host.name(),
            pattern.name(),
            path.name(),
            "",
            verdict
                .as_ref()
                .err()
                .map_or("meets the bounds", String::as_str),
            w = host.name().len() + pattern.name().len() + 10,
        );
        if verdict.is_ok() {
            break;
        }
    }
    let name = format!(
        "precise_sleep-{}-{}-{}",
        host.name(),
        pattern.name(),
        path.name()
    );
    let columns = [
        Column {
            name: "native",
            hist: &native_hist,
        },
        Column {
            name: path.name(),
            hist: &guest_hist,
        },
    ];
    let text = cyclictest::render(
        &format!(
            "{} x {} us, {}, {}",
            bounds.count,
            bounds.period_us,
            pattern.name(),
            host.name()
        ),
        &columns,
        cyclictest::limit_for(&columns),
    );
    let artifact = cyclictest::write_artifact(&name, &text);
    report += &format!("histograms: {}", artifact.display());
    match verdict {
        Ok(()) => Ok(report),
        Err(_) => Err(report),
    }
}

/// The patched path meets the bounds for `pattern`.
fn assert_precise(pattern: Pattern, at: Where) {
    match check(pattern, SleepPath::Precise, at) {
        Ok(report) => eprintln!("{report}"),
        Err(why) => panic!("{why}"),
    }
}

/// The legacy path fails every trial for every pattern.
fn assert_legacy_fails(at: Where) {
    for pattern in Pattern::ALL {
        match check(pattern, SleepPath::Legacy, at) {
            Ok(report) => panic!(
                "{}: the legacy path meets the bounds, so the test cannot see a regression:\n{report}",
                pattern.name()
            ),
            Err(why) => eprintln!("legacy fails as expected:\n{why}"),
        }
    }
}

#[test]
fn periodic_absolute_deadlines_are_as_precise_as_native() {
    assert_precise(Pattern::Periodic, Where::Binary);
}

#[test]
fn periodic_realtime_deadlines_are_as_precise_as_native() {
    assert_precise(Pattern::RealtimePeriodic, Where::Binary);
}

#[test]
fn relative_sleeps_are_as_precise_as_native() {
    assert_precise(Pattern::Relative, Where::Binary);
}

#[test]
fn thread_sleep_is_as_precise_as_native() {
    assert_precise(Pattern::ThreadSleep, Where::Binary);
}

#[test]
fn poll_with_an_fd_times_out_as_precisely_as_native() {
    assert_precise(Pattern::PollWithFd, Where::Binary);
}

#[test]
fn futex_wait_timeouts_are_as_precise_as_native() {
    assert_precise(Pattern::FutexTimeout, Where::Binary);
}

#[test]
fn epoll_wait_timeouts_are_as_precise_as_native() {
    assert_precise(Pattern::EpollTimeout, Where::Binary);
}

#[test]
fn in_process_every_pattern_is_as_precise_as_native() {
    for pattern in Pattern::ALL {
        assert_precise(pattern, Where::InProcess);
    }
}

#[test]
fn control_the_legacy_path_breaks_the_bounds() {
    assert_legacy_fails(Where::Binary);
}

#[test]
fn control_in_process_the_legacy_path_breaks_the_bounds() {
    assert_legacy_fails(Where::InProcess);
}
