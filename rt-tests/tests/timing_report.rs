//! `wasmer run --timing-report/--timing-histogram/--timing-bounds`: the runtime's
//! own measurement of every timed wait of an unmodified guest, and limits on it
//! that fail a CI job.
//!
//! - The report agrees with what the periodic guest measures itself in the same
//!   run (one record per sample, p50 and p99 within `[timing_report]` of `ci/jitter-bounds.toml`).
//! - Bounds relative to the native loop of the same run hold on the precise
//!   path; they and an absolute control bound break, for the right reason (the
//!   guest ran to its end; the line names the bound), on the legacy path and
//!   with a timer slack of 2 ms. Single runs, no retries: the breaks are by
//!   hundreds of µs, the hold has the 50 µs p50 margin of the bounds.
//! - A guest's own non-zero exit is kept (the bounds are then not judged); a bounds file that
//!   does not parse or a report that cannot be written stops `wasmer run` with
//!   one line before the guest starts.
//!
//! Reports and histograms are kept in `target/rt-tests/timing_report-*`.

use rt_tests::bounds;
use rt_tests::guests::{self, artifact_dir};
use rt_tests::host::{GuestOutput, Host};
use rt_tests::judge::INVALID_MARK;
use rt_tests::samples::{LoopRun, Summary};
use rt_tests::scenario::{Pattern, Scenario};
use rt_tests::serial;
use rt_tests::timing_report::TimingReport;
use rt_tests::wasmer::{SleepPath, default_binary};
use std::path::PathBuf;
use std::time::Duration;

/// An absolute limit for the controls only: the legacy path (~1 ms) and a 2 ms
/// timer slack break it by hundreds of µs. (Whether a path holds is judged
/// against the native loop of the same run, below.)
const ABSOLUTE_BOUNDS: &str = "[poll_oneoff]\np50 = 300\nmin_waits = 400\n";

/// Relative to the native loop of the same run: catches a median regression of
/// 50 µs and a p99 regression of 300 µs.
const RELATIVE_BOUNDS: &str = "[all]\np50 = \"native + 50\"\np99 = \"native + 300\"\n";

fn artifact(name: &str) -> PathBuf {
    let dir = artifact_dir();
    std::fs::create_dir_all(&dir).expect("artifact directory");
    dir.join(format!("timing_report-{name}"))
}

fn write_bounds(name: &str, text: &str) -> PathBuf {
    let path = artifact(&format!("{name}.toml"));
    std::fs::write(&path, text).expect("writing the bounds file");
    path
}

/// Runs `guest` on `path` with `flags`; generous limit, the guests run ~0.5 s.
fn run(path: SleepPath, flags: &[String], guest: &std::path::Path) -> GuestOutput {
    let binary = default_binary();
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    Host::BinaryWithFlags(&binary, &flags).run(path, guest, Duration::from_secs(60))
}

/// `--flag path` pairs as arguments.
fn flags(pairs: &[(&str, &PathBuf)]) -> Vec<String> {
    pairs
        .iter()
        .flat_map(|(flag, path)| [flag.to_string(), path.display().to_string()])
        .collect()
}

fn broken_lines(out: &GuestOutput) -> Vec<&str> {
    out.stderr
        .lines()
        .filter(|line| line.contains("timing bound broken"))
        .collect()
}

#[test]
fn the_host_report_agrees_with_the_guests_own_measurement() {
    let _timing = serial::timing();
    let scenario = Scenario::new(Pattern::Periodic, 2000, Duration::from_millis(1));
    let report_path = artifact("agreement.json");
    let hist_path = artifact("agreement.hist.txt");
    let out = run(
        SleepPath::Precise,
        &flags(&[
            ("--timing-report", &report_path),
            ("--timing-histogram", &hist_path),
        ]),
        scenario.guest(),
    );
    let guest = LoopRun::parse(
        &out.into_stdout(Duration::from_secs(60))
            .expect("the guest ran"),
    )
    .expect("loop output");
    let report = TimingReport::read(&report_path).expect("the report");
    assert_eq!(report.threads.len(), 1, "one guest thread: {report:?}");
    let poll = &report.threads[0].calls["poll_oneoff"];
    // A deadline that had passed when the guest called (it was late before it
    // asked to wait: a missed period) is counted as expired, not as a wait.
    println!("{} waits, {} expired", poll.waits, poll.expired);
    assert_eq!(
        poll.waits + poll.expired,
        guest.samples.len() as u64,
        "one host record per guest sample"
    );
    // Missed periods are the machine's (a busy disk, another process), not the
    // host's: the check below only needs the two sides to agree on them.
    assert!(
        poll.waits >= 1000,
        "{} of 2000 periods missed: too few waits to compare",
        poll.expired
    );
    assert_eq!((poll.early, poll.by_event), (0, 0));
    assert_eq!(
        poll.histogram.values().sum::<u64>(),
        poll.waits,
        "the JSON histogram"
    );

    // The guest's samples of those missed periods: the previous wake-up came a
    // whole period late (within the ~1 µs between its clock read and its next
    // call). The quantiles are compared over the same waits.
    let period = scenario.period_ns();
    let waited: Vec<i64> = (0..guest.samples.len())
        .filter(|&i| i == 0 || guest.samples[i - 1] < period - 1_000)
        .map(|i| guest.samples[i])
        .collect();
    let missed = (guest.samples.len() - waited.len()) as u64;
    assert!(
        missed.abs_diff(poll.expired) <= 1,
        "the guest missed {missed} periods, the host counted {} expired",
        poll.expired
    );
    let own = Summary::of(&waited);
    let us = |ns: i64| ns as f64 / 1000.0;
    let bounds = bounds::get().timing_report;
    let pairs = [
        (
            "p50",
            poll.p50.expect("p50"),
            us(own.p50),
            bounds.agreement_p50_us,
        ),
        (
            "p99",
            poll.p99.expect("p99"),
            us(own.p99),
            bounds.agreement_p99_us,
        ),
    ];
    for (name, host, guest, _) in pairs {
        println!(
            "{name}: host {host:.1} us, guest {guest:.1} us, difference {:.2} us",
            host - guest
        );
    }
    // The host's quantiles are the upper edge of a bucket at most 1.024 µs wide
    // below 131 µs, and the guest reads the clock after the call has returned.
    for (name, host, guest, agreement) in pairs {
        assert!(
            (host - guest).abs() <= agreement,
            "{name}: host {host:.1} us, guest {guest:.1} us (more than {agreement} us apart)"
        );
    }
    let hist = std::fs::read_to_string(&hist_path).expect("the histogram");
    let total: u64 = hist
        .lines()
        .find_map(|l| l.strip_prefix("# Total:"))
        .and_then(|t| t.trim().parse().ok())
        .expect("a # Total: line");
    assert_eq!(total, poll.waits, "{hist}");
}

/// Runs the 500 × 1 ms periodic guest with `bounds`; returns the run and the
/// samples the guest printed (so a broken bound is told apart from a failed run).
fn run_with_bounds(
    path: SleepPath,
    extra: &[&str],
    name: &str,
    bounds: &str,
) -> (GuestOutput, usize) {
    let scenario = Scenario::new(Pattern::Periodic, 500, Duration::from_millis(1));
    let bounds = write_bounds(name, bounds);
    let report = artifact(&format!("{name}.json"));
    let mut all = flags(&[("--timing-bounds", &bounds), ("--timing-report", &report)]);
    all.extend(extra.iter().map(|flag| flag.to_string()));
    let out = run(path, &all, scenario.guest());
    // A hang or a loop cut short proves nothing about the bounds: invalid runs.
    assert!(!out.timed_out, "{INVALID_MARK}{name}: the run hung");
    let samples = LoopRun::parse(&out.stdout)
        .map(|run| run.samples.len())
        .unwrap_or_else(|e| {
            panic!("{INVALID_MARK}{name}: the guest did not finish its loop ({e}): {out:?}")
        });
    println!("{name}: exit {:?}, {}", out.exit_code, out.stderr.trim());
    (out, samples)
}

#[test]
fn bounds_hold_on_the_precise_path_and_break_on_legacy_and_with_a_large_timer_slack() {
    let _timing = serial::timing();
    let (out, samples) =
        run_with_bounds(SleepPath::Precise, &[], "relative-precise", RELATIVE_BOUNDS);
    assert_eq!(samples, 500);
    assert_eq!(broken_lines(&out), Vec::<&str>::new(), "precise, relative");
    assert_eq!(out.exit_code, Some(0), "precise, relative: {}", out.stderr);
    let controls = [
        (
            SleepPath::Legacy,
            &[][..],
            "relative-legacy",
            RELATIVE_BOUNDS,
            "all p50 ",
        ),
        (
            SleepPath::Legacy,
            &[][..],
            "absolute-legacy",
            ABSOLUTE_BOUNDS,
            "poll_oneoff p50 ",
        ),
        (
            SleepPath::Precise,
            &["--timer-slack", "2ms"][..],
            "absolute-slack",
            ABSOLUTE_BOUNDS,
            "poll_oneoff p50 ",
        ),
    ];
    for (path, extra, name, bounds, bound) in controls {
        let (out, samples) = run_with_bounds(path, extra, name, bounds);
        assert_eq!(samples, 500, "{name}: the guest ran its whole loop");
        assert!(
            broken_lines(&out).iter().any(|l| l.contains(bound)),
            "{name}: the {bound:?} bound must break: {}",
            out.stderr
        );
        assert_eq!(out.exit_code, Some(1), "{name}: {}", out.stderr);
    }
}

fn sleep_then_exit(code: u32) -> PathBuf {
    guests::compile(
        "sleep_then_exit",
        &format!("sleep_then_exit_{code}"),
        &[
            ("COUNT", "200"),
            ("PERIOD_NS", "1000000"),
            ("EXIT_CODE", &code.to_string()),
        ],
    )
}

#[test]
fn a_broken_bound_fails_a_guest_that_exited_0_and_keeps_another_exit_code() {
    let _timing = serial::timing();
    let bounds = write_bounds("exit-codes", "[poll_oneoff]\np50 = \"native + 50\"\n");
    let args = flags(&[("--timing-bounds", &bounds)]);
    for (code, expected) in [(0, 1), (7, 7)] {
        let out = run(SleepPath::Legacy, &args, &sleep_then_exit(code));
        assert_eq!(out.stdout, "ready\n");
        if code == 0 {
            let broken = broken_lines(&out);
            assert!(
                broken.len() == 1 && broken[0].contains("poll_oneoff p50 "),
                "{}",
                out.stderr
            );
        }
        assert_eq!(
            out.exit_code,
            Some(expected),
            "guest exit {code}: {}",
            out.stderr
        );
    }
    let out = run(SleepPath::Precise, &args, &sleep_then_exit(0));
    assert!(broken_lines(&out).is_empty(), "{}", out.stderr);
    assert_eq!(out.exit_code, Some(0), "{}", out.stderr);
}

#[test]
fn bad_bounds_and_unwritable_reports_stop_wasmer_run_with_one_line_before_the_guest_starts() {
    let guest = sleep_then_exit(0);
    let missing_dir = artifact("no-such-dir").join("report.json");
    let cases = [
        (
            "unknown-section",
            "[sleep]\np50 = 1\n",
            "unknown section [sleep]",
        ),
        ("unknown-key", "[all]\np42 = 1\n", "unknown key p42"),
        (
            "bad-limit",
            "[all]\np99 = \"natve + 5\"\n",
            "[all] p99: expected",
        ),
        ("not-toml", "[all\n", "line 1"),
    ];
    for (name, text, expected) in cases {
        let bounds = write_bounds(name, text);
        let out = run(
            SleepPath::Precise,
            &flags(&[("--timing-bounds", &bounds)]),
            &guest,
        );
        check_refused(&out, name, &[bounds.to_str().unwrap(), expected]);
    }
    let out = run(
        SleepPath::Precise,
        &flags(&[("--timing-report", &missing_dir)]),
        &guest,
    );
    check_refused(&out, "report", &["--timing-report", "cannot write"]);
    let missing_bounds = artifact("no-such-bounds.toml");
    let out = run(
        SleepPath::Precise,
        &flags(&[("--timing-bounds", &missing_bounds)]),
        &guest,
    );
    check_refused(&out, "missing bounds", &["--timing-bounds", "cannot read"]);
}

fn check_refused(out: &GuestOutput, name: &str, expected: &[&str]) {
    assert_eq!(out.stdout, "", "{name}: the guest must not start");
    assert_ne!(out.exit_code, Some(0), "{name}");
    let lines: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert_eq!(lines.len(), 1, "{name}: one line, got {:?}", out.stderr);
    for part in expected {
        assert!(
            lines[0].contains(part),
            "{name}: {:?} lacks {part:?}",
            lines[0]
        );
    }
}
