//! A cyclictest for guests: a periodic loop on absolute Monotonic deadlines, run
//! natively and as a guest of the patched `wasmer` (and of its legacy sleep path),
//! all under the same real-time settings, reported as cyclictest-compatible text,
//! JSON with the quantiles, and an SVG histogram plot.
//!
//! ```text
//! cargo run --release --locked -p rt-tests --bin rt-report -- \
//!     [--interval-us 1000] [--loops 10000] [--rt | --priority 80 --timer-slack-ns 1 --mlock] \
//!     [--cpus 1] [--no-legacy] [--out-dir target/rt-report] [--name NAME]
//! ```
//!
//! Columns: `native` (this process, the settings applied to the measuring thread),
//! `patched` (`wasmer run` with the same settings as flags), `patched-default`
//! (`wasmer run` without them, when there are settings), and `legacy` (`wasmer run
//! --legacy-sleep` with the settings), one after the other.

use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use rt_tests::bounds::{self, GateBounds};
use rt_tests::cyclictest::{self, Column};
use rt_tests::histogram::LatencyHistogram;
use rt_tests::host::Host;
use rt_tests::plot;
use rt_tests::samples::LoopRun;
use rt_tests::scenario::{Pattern, Runner, Scenario};
use rt_tests::tuning::RtSettings;
use rt_tests::wasmer::{SleepPath, default_binary};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

#[derive(Debug, Parser)]
#[command(about = "cyclictest for guests: native vs patched vs legacy under the same settings")]
struct Args {
    /// Period of the loop, in µs.
    #[arg(long, default_value_t = 1000)]
    interval_us: u64,
    /// Number of periods.
    #[arg(long, default_value_t = 10_000)]
    loops: usize,
    /// The `wasmer run --rt` settings as root: SCHED_FIFO 80, 1 ns timer slack, mlock.
    #[arg(long, conflicts_with_all = ["priority", "timer_slack_ns", "mlock"])]
    rt: bool,
    /// SCHED_FIFO priority (1-99) for the native loop and the guest's threads.
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=99))]
    priority: Option<u8>,
    /// Timer slack in ns (at least 1).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    timer_slack_ns: Option<u64>,
    /// Lock all memory (mlockall).
    #[arg(long)]
    mlock: bool,
    /// Pin to these CPUs, e.g. `1` or `0,1`.
    #[arg(long, value_delimiter = ',')]
    cpus: Option<Vec<usize>>,
    /// Leave out the legacy sleep path.
    #[arg(long)]
    no_legacy: bool,
    /// Where the report files go.
    #[arg(long, default_value = "target/rt-report")]
    out_dir: PathBuf,
    /// File-name stem of the report (default: from the interval and settings).
    #[arg(long)]
    name: Option<String>,
    /// The patched `wasmer` binary (default: next to this executable).
    #[arg(long)]
    wasmer: Option<PathBuf>,
    /// Act as the CI jitter gate: the loop shape and bounds come from the `[gate]`
    /// section of `ci/jitter-bounds.toml`; exit with 1 unless one of its `best_of`
    /// runs keeps `patched` within the bounds of `native`.
    #[arg(long, conflicts_with_all = ["interval_us", "loops"])]
    gate: bool,
}

/// One column of the report: who runs the loop, and how.
struct Plan {
    name: &'static str,
    runner: Runner,
    /// `wasmer run` flags for a guest.
    flags: Vec<String>,
}

/// One column's results, in µs, for the JSON file.
#[derive(Debug, Serialize)]
struct ColumnReport {
    name: &'static str,
    flags: Vec<String>,
    count: u64,
    early: u64,
    overflows: u64,
    min_us: f64,
    avg_us: f64,
    max_us: f64,
    p50_us: f64,
    p90_us: f64,
    p99_us: f64,
    p99_9_us: f64,
    p99_99_us: f64,
    error: Option<String>,
}

#[derive(Debug, Serialize)]
struct Report {
    interval_us: u64,
    loops: usize,
    settings: RtSettings,
    settings_label: String,
    columns: Vec<ColumnReport>,
}

fn main() {
    let args = Args::parse();
    if args.interval_us == 0 || args.loops == 0 {
        fail("--interval-us and --loops must be at least 1");
    }
    let settings = if args.rt {
        RtSettings {
            cpus: args.cpus.clone(),
            ..RtSettings::rt_preset()
        }
    } else {
        RtSettings {
            priority: args.priority,
            timer_slack_ns: args.timer_slack_ns,
            cpus: args.cpus.clone(),
            mlock: args.mlock,
        }
    };
    let binary = args.wasmer.clone().unwrap_or_else(default_binary);
    if !binary.is_file() {
        fail(&format!("no wasmer binary at {}", binary.display()));
    }
    let flags = settings.wasmer_flags();
    let mut plans = vec![
        Plan {
            name: "native",
            runner: Runner::Native,
            flags: Vec::new(),
        },
        Plan {
            name: "patched",
            runner: Runner::Guest(SleepPath::Precise),
            flags: flags.clone(),
        },
    ];
    if !settings.is_default() {
        plans.push(Plan {
            name: "patched-default",
            runner: Runner::Guest(SleepPath::Precise),
            flags: Vec::new(),
        });
    }
    if !args.no_legacy {
        plans.push(Plan {
            name: "legacy",
            runner: Runner::Guest(SleepPath::Legacy),
            flags,
        });
    }

    let gate = args.gate.then(|| match bounds::load() {
        Ok(bounds) => bounds.gate,
        Err(e) => fail(&e),
    });
    let (interval_us, loops, runs) = match &gate {
        Some(gate) => (gate.interval_us, gate.loops, gate.best_of.max(1)),
        None => (args.interval_us, args.loops, 1),
    };
    let title = format!(
        "rt-report: {loops} x {interval_us} us periodic absolute deadlines (CLOCK_MONOTONIC), {}",
        settings.label()
    );
    let scenario = Scenario::new(Pattern::Periodic, loops, Duration::from_micros(interval_us));
    let mut passed = gate.is_none();
    let mut report = None;
    for run in 1..=runs {
        let results = run_all(&scenario, &plans, &settings, &binary);
        let this = Report {
            interval_us,
            loops,
            settings_label: settings.label(),
            settings: settings.clone(),
            columns: plans
                .iter()
                .zip(&results)
                .map(|(plan, run)| column_report(plan, run))
                .collect(),
        };
        print_summary(&title, &this);
        if let Some(gate) = &gate {
            passed = check_gate(gate, &this, run, runs);
        }
        report = Some((this, results));
        if passed {
            break;
        }
    }
    let (report, results) = report.expect("at least one run");

    let name = args
        .name
        .clone()
        .unwrap_or_else(|| default_name(interval_us, &settings));
    let hists: Vec<(&'static str, LatencyHistogram)> = plans
        .iter()
        .zip(&results)
        .filter_map(|(plan, run)| {
            run.as_ref()
                .ok()
                .map(|r| (plan.name, LatencyHistogram::of(&r.samples)))
        })
        .collect();
    let columns: Vec<Column<'_>> = hists
        .iter()
        .map(|(name, hist)| Column { name, hist })
        .collect();
    if let Err(e) = std::fs::create_dir_all(&args.out_dir) {
        fail(&format!("creating {}: {e}", args.out_dir.display()));
    }
    let text_path = args.out_dir.join(format!("{name}.hist.txt"));
    let json_path = args.out_dir.join(format!("{name}.json"));
    let svg_path = args.out_dir.join(format!("{name}.svg"));
    write(&text_path, &cyclictest::render(&title, &columns));
    write(
        &json_path,
        &serde_json::to_string_pretty(&report).expect("the report serializes"),
    );
    let plotted: Vec<(&str, &LatencyHistogram)> = hists.iter().map(|(n, h)| (*n, h)).collect();
    if let Err(e) = plot::write_svg(&svg_path, &title, &plotted) {
        fail(&e);
    }
    println!(
        "wrote {}, {} and {}",
        text_path.display(),
        json_path.display(),
        svg_path.display()
    );
    if !passed {
        std::process::exit(1);
    }
}

/// Runs every column once, one after the other, with a progress bar.
fn run_all(
    scenario: &Scenario,
    plans: &[Plan],
    settings: &RtSettings,
    binary: &Path,
) -> Vec<Result<LoopRun, String>> {
    let loops = scenario.count;
    let bar = progress_bar((plans.len() * loops) as u64);
    let mut results = Vec::new();
    for (k, plan) in plans.iter().enumerate() {
        bar.set_message(plan.name);
        let run = with_progress(&bar, (k * loops) as u64, loops, scenario.period, || {
            run_plan(scenario, plan, settings, binary)
        });
        bar.set_position(((k + 1) * loops) as u64);
        results.push(run);
    }
    bar.finish_and_clear();
    results
}

/// The gate's verdict on one run: every bound of `patched` against `native`,
/// printed with the quantile, the baseline and the margin. True if all hold.
fn check_gate(gate: &GateBounds, report: &Report, run: usize, runs: usize) -> bool {
    let column = |name: &str| report.columns.iter().find(|c| c.name == name);
    let (Some(native), Some(patched)) = (column("native"), column("patched")) else {
        unreachable!("the gate always runs native and patched")
    };
    let mut ok = true;
    for (name, c) in [("native", native), ("patched", patched)] {
        if let Some(e) = &c.error {
            println!("jitter gate (run {run}/{runs}): FAIL {name} did not run: {e}");
            ok = false;
        }
    }
    if !ok {
        return false;
    }
    if patched.early > 0 {
        println!(
            "jitter gate (run {run}/{runs}): FAIL patched woke before its deadline {} times",
            patched.early
        );
        ok = false;
    }
    for (quantile, guest, baseline, bound) in [
        (
            "p50",
            patched.p50_us,
            native.p50_us,
            gate.p50_over_native_us,
        ),
        (
            "p90",
            patched.p90_us,
            native.p90_us,
            gate.p90_over_native_us,
        ),
        (
            "p99",
            patched.p99_us,
            native.p99_us,
            gate.p99_over_native_us,
        ),
    ] {
        let limit = baseline + bound;
        if guest > limit {
            println!(
                "jitter gate (run {run}/{runs}): FAIL patched {quantile} = {guest:.1} us exceeds \
                 native {quantile} ({baseline:.1} us, same run) + {bound} us by {:.1} us",
                guest - limit
            );
            ok = false;
        } else {
            println!(
                "jitter gate (run {run}/{runs}): ok   patched {quantile} = {guest:.1} us <= \
                 native {quantile} ({baseline:.1} us) + {bound} us ({:.1} us to spare)",
                limit - guest
            );
        }
    }
    if ok {
        println!("jitter gate: passed");
    } else if run == runs {
        println!("jitter gate: failed in all {runs} runs");
    }
    ok
}

fn run_plan(
    scenario: &Scenario,
    plan: &Plan,
    settings: &RtSettings,
    binary: &Path,
) -> Result<LoopRun, String> {
    match plan.runner {
        Runner::Native => {
            let _guard = settings
                .apply_to_this_thread()
                .map_err(|e| format!("applying {} to the native loop: {e}", settings.label()))?;
            scenario.run(Runner::Native, Host::Binary(binary))
        }
        Runner::Guest(_) => {
            let flags: Vec<&str> = plan.flags.iter().map(String::as_str).collect();
            scenario.run(plan.runner, Host::BinaryWithFlags(binary, &flags))
        }
    }
}

fn progress_bar(len: u64) -> ProgressBar {
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template(
            "{msg:>16} [{bar:40}] {pos}/{len} sleeps, {elapsed} (eta {eta})",
        )
        .expect("a valid template")
        .progress_chars("=> "),
    );
    bar
}

/// Runs `work` while moving `bar` from `start` by one step per `interval`, up to
/// `steps`: a loop reports its samples only when it ends.
fn with_progress<T>(
    bar: &ProgressBar,
    start: u64,
    steps: usize,
    interval: Duration,
    work: impl FnOnce() -> T,
) -> T {
    let done = AtomicBool::new(false);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            let began = Instant::now();
            while !done.load(Ordering::Relaxed) {
                let elapsed = (began.elapsed().as_nanos() / interval.as_nanos().max(1)) as u64;
                bar.set_position(start + elapsed.min(steps as u64));
                std::thread::sleep(Duration::from_millis(100));
            }
        });
        let out = work();
        done.store(true, Ordering::Relaxed);
        out
    })
}

fn column_report(plan: &Plan, run: &Result<LoopRun, String>) -> ColumnReport {
    let us = |ns: f64| (ns / 100.0).round() / 10.0;
    let mut report = ColumnReport {
        name: plan.name,
        flags: plan.flags.clone(),
        count: 0,
        early: 0,
        overflows: 0,
        min_us: 0.0,
        avg_us: 0.0,
        max_us: 0.0,
        p50_us: 0.0,
        p90_us: 0.0,
        p99_us: 0.0,
        p99_9_us: 0.0,
        p99_99_us: 0.0,
        error: None,
    };
    match run {
        Ok(run) => {
            let hist = LatencyHistogram::of(&run.samples);
            let q = |q: f64| us(hist.quantile_ns(q) as f64);
            report.count = hist.len();
            report.early = hist.early();
            report.overflows = hist.overflows();
            report.min_us = us(hist.min_ns() as f64);
            report.avg_us = us(hist.mean_ns() as f64);
            report.max_us = us(hist.max_ns() as f64);
            report.p50_us = q(0.5);
            report.p90_us = q(0.9);
            report.p99_us = q(0.99);
            report.p99_9_us = q(0.999);
            report.p99_99_us = q(0.9999);
        }
        Err(e) => report.error = Some(e.clone()),
    }
    report
}

fn print_summary(title: &str, report: &Report) {
    println!("{title}");
    println!(
        "{:<16} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>6}",
        "µs past deadline", "min", "p50", "p90", "p99", "p99.9", "max", "early"
    );
    for c in &report.columns {
        match &c.error {
            Some(e) => println!("{:<16} failed: {e}", c.name),
            None => println!(
                "{:<16} {:>9.1} {:>9.1} {:>9.1} {:>9.1} {:>9.1} {:>9.1} {:>6}",
                c.name, c.min_us, c.p50_us, c.p90_us, c.p99_us, c.p99_9_us, c.max_us, c.early
            ),
        }
    }
}

fn default_name(interval_us: u64, settings: &RtSettings) -> String {
    let tuning = if settings.is_default() {
        "default".to_string()
    } else if *settings == RtSettings::rt_preset() {
        "rt".to_string()
    } else {
        "tuned".to_string()
    };
    format!("rt-report-{interval_us}us-{tuning}")
}

fn write(path: &Path, text: &str) {
    if let Err(e) = std::fs::write(path, text) {
        fail(&format!("writing {}: {e}", path.display()));
    }
}

fn fail(message: &str) -> ! {
    eprintln!("rt-report: {message}");
    std::process::exit(2);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(name: &'static str, p50: f64, p90: f64, p99: f64, early: u64) -> ColumnReport {
        ColumnReport {
            name,
            flags: Vec::new(),
            count: 2000,
            early,
            overflows: 0,
            min_us: 1.0,
            avg_us: p50,
            max_us: p99,
            p50_us: p50,
            p90_us: p90,
            p99_us: p99,
            p99_9_us: p99,
            p99_99_us: p99,
            error: None,
        }
    }

    fn report(native: ColumnReport, patched: ColumnReport) -> Report {
        Report {
            interval_us: 1000,
            loops: 2000,
            settings: RtSettings::default(),
            settings_label: RtSettings::default().label(),
            columns: vec![native, patched],
        }
    }

    const GATE: GateBounds = GateBounds {
        loops: 2000,
        interval_us: 1000,
        best_of: 3,
        p50_over_native_us: 50.0,
        p90_over_native_us: 250.0,
        p99_over_native_us: 1000.0,
    };

    #[test]
    fn the_gate_holds_within_the_bounds() {
        let native = column("native", 80.0, 100.0, 120.0, 0);
        let patched = column("patched", 129.0, 349.0, 1119.0, 0);
        assert!(check_gate(&GATE, &report(native, patched), 1, 1));
    }

    #[test]
    fn the_gate_fails_on_any_quantile_or_an_early_wake_up() {
        let native = || column("native", 80.0, 100.0, 120.0, 0);
        for patched in [
            column("patched", 131.0, 100.0, 120.0, 0),
            column("patched", 80.0, 351.0, 120.0, 0),
            column("patched", 80.0, 100.0, 1121.0, 0),
            column("patched", 80.0, 100.0, 120.0, 1),
            // Upstream's path at 1 ms.
            column("patched", 1000.0, 1800.0, 2500.0, 0),
        ] {
            assert!(!check_gate(&GATE, &report(native(), patched), 1, 1));
        }
    }
}
