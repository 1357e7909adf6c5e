//! A cyclictest for guests: cyclictest's measuring threads (periodic loops on
//! absolute Monotonic deadlines) run natively and as the threads of a guest of the
//! patched `wasmer` (and of its legacy sleep path), all under the same real-time
//! settings, reported in cyclictest's own formats (status lines, `--histogram`
//! text, `--json`) and as an SVG plot.
//!
//! It takes cyclictest's flags for what it does:
//!
//! ```text
//! cargo run --release --locked -p rt-tests --bin rt-report -- \
//!     -m -p 80 -i 1000 -l 10000 [-t 2 -d 500] [-h 400 | -H 400] [--histfile F] \
//!     [-q] [--json F] [-a 1] [-D 30s] [--rt] [--no-legacy] [--out-dir target/rt-report]
//! ```
//!
//! Columns: `native` (threads of this process, the settings applied to each),
//! `patched` (`wasmer run` with the same settings as flags), `patched-default`
//! (`wasmer run` without them, when there are settings), and `legacy` (`wasmer run
//! --legacy-sleep` with the settings), one after the other; with `-t N`, each
//! column has N threads, thread i with an interval of `-i` + i × `-d` µs, as in
//! cyclictest. The old flag names (`--interval-us`, `--mlock`, `--cpus`) still work.

use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use rt_tests::bounds;
use rt_tests::cyclictest::{self, Column, Status};
use rt_tests::guests;
use rt_tests::histogram::LatencyHistogram;
use rt_tests::host::Host;
use rt_tests::judge::{Invalid, Judgement, Trial, Verdict};
use rt_tests::native;
use rt_tests::plot;
use rt_tests::samples::LoopRun;
use rt_tests::tuning::{self, RtSettings, ThreadProfile};
use rt_tests::wasmer::{SleepPath, default_binary};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Most measuring threads a guest can have (its memory layout).
const MAX_THREADS: usize = 64;

#[derive(Debug, Parser)]
#[command(
    about = "cyclictest for guests: native vs patched vs legacy under the same settings",
    disable_help_flag = true
)]
struct Args {
    /// Print help (-h is cyclictest's --histogram).
    #[arg(long, action = clap::ArgAction::Help)]
    help: Option<bool>,
    /// Base interval of the loop, in µs.
    #[arg(
        short = 'i',
        long = "interval",
        visible_alias = "interval-us",
        default_value_t = 1000,
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    interval_us: u64,
    /// Number of loops per thread (unlike cyclictest, every thread runs them all).
    #[arg(
        short = 'l',
        long,
        default_value_t = 10_000,
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    loops: u64,
    /// Run for this long instead of --loops: `30` or `30s`, `5m`, `2h`, `1d` (the
    /// loops of thread 0; threads with a longer interval run longer).
    #[arg(short = 'D', long, value_parser = parse_duration, conflicts_with = "loops")]
    duration: Option<Duration>,
    /// Measuring threads per column; `-t` alone: one per CPU.
    #[arg(
        short = 't',
        long,
        num_args = 0..=1,
        default_value_t = 1,
        default_missing_value = "0",
        value_parser = clap::value_parser!(u64).range(0..=MAX_THREADS as u64)
    )]
    threads: u64,
    /// Distance of the thread intervals, in µs (ignored with -h/-H, as in cyclictest).
    #[arg(short = 'd', long, default_value_t = 500)]
    distance: u64,
    /// SCHED_FIFO priority (1-99) for the native threads and the guest's threads.
    #[arg(short = 'p', long, value_parser = clap::value_parser!(u8).range(1..=99))]
    priority: Option<u8>,
    /// Lock all memory (mlockall).
    #[arg(short = 'm', long = "mlockall", visible_alias = "mlock")]
    mlock: bool,
    /// Pin to these CPUs, e.g. `1` or `0,2-3` (every thread to the whole list,
    /// not round-robin as cyclictest does).
    #[arg(short = 'a', long = "affinity", visible_alias = "cpus", value_parser = parse_cpu_list)]
    cpus: Option<CpuList>,
    /// Print a histogram of 1 µs bins up to US µs (and write it to --histfile or
    /// the report directory).
    #[arg(short = 'h', long = "histogram", value_name = "US", value_parser = histogram_limit())]
    histogram: Option<u64>,
    /// As --histogram, with one more column per runner: all its threads' samples.
    #[arg(
        short = 'H',
        long = "histofall",
        value_name = "US",
        conflicts_with = "histogram",
        value_parser = histogram_limit()
    )]
    histofall: Option<u64>,
    /// Write the histogram to this file instead of printing it.
    #[arg(long, value_name = "PATH")]
    histfile: Option<PathBuf>,
    /// Print only the results, at the end (no progress).
    #[arg(short = 'q', long)]
    quiet: bool,
    /// Also write the results in cyclictest's JSON layout to this file.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// `wasmer run --rt` for the guest and, through the same code, for the native
    /// loop: 1 ns timer slack, mlock, and SCHED_FIFO 80 when the host permits it.
    #[arg(long, conflicts_with_all = ["priority", "timer_slack_ns", "mlock"])]
    rt: bool,
    /// Timer slack in ns (at least 1).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    timer_slack_ns: Option<u64>,
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
    /// section of `ci/jitter-bounds.toml`; exit with 1 unless the median of its
    /// `trials` runs keeps `patched` within the bounds of `native` (and no run wakes
    /// early); every run's figures are printed and written to
    /// `target/rt-tests/jitter-gate.trials.txt`.
    #[arg(long, conflicts_with_all = ["interval_us", "loops", "duration", "threads"])]
    gate: bool,
}

/// cyclictest's range for `-h`/`-H`: 1 µs to 1 s.
fn histogram_limit() -> clap::builder::RangedU64ValueParser<u64> {
    clap::value_parser!(u64).range(1..=1_000_000)
}

/// A CPU list such as `0,2-3`.
#[derive(Debug, Clone)]
struct CpuList(Vec<usize>);

fn parse_cpu_list(text: &str) -> Result<CpuList, String> {
    let mut cpus = Vec::new();
    for part in text.split(',') {
        let number = |n: &str| {
            n.trim()
                .parse::<usize>()
                .map_err(|_| format!("{text:?} is not a CPU list such as 1 or 0,2-3"))
        };
        match part.split_once('-') {
            Some((from, to)) => {
                let (from, to) = (number(from)?, number(to)?);
                if from > to {
                    return Err(format!("{part:?}: the range is backwards"));
                }
                cpus.extend(from..=to);
            }
            None => cpus.push(number(part)?),
        }
    }
    Ok(CpuList(cpus))
}

/// cyclictest's duration: seconds, or a number with `s`, `m`, `h` or `d`.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let seconds: u64 = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("{text:?}: the unit must be s, m, h or d")),
    };
    let number: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration such as 30, 90s, 5m, 2h or 1d"))?;
    Ok(Duration::from_secs(number.saturating_mul(seconds)))
}

/// One column of the report: who runs the loops, and how.
struct Plan {
    name: &'static str,
    /// `None`: native threads of this process.
    path: Option<SleepPath>,
    /// `wasmer run` flags for a guest.
    flags: Vec<String>,
    /// The SCHED_FIFO priority its threads run at, if any.
    priority: Option<u8>,
}

/// The loop shape of a run.
#[derive(Debug, Clone, Copy, Serialize)]
struct Shape {
    interval_us: u64,
    loops: usize,
    threads: usize,
    distance_us: u64,
}

impl Shape {
    fn interval_of(&self, thread: usize) -> Duration {
        Duration::from_micros(self.interval_us + thread as u64 * self.distance_us)
    }
}

/// One column's results, in µs, for the summary and the gate.
#[derive(Debug, Serialize)]
struct ColumnReport {
    name: &'static str,
    flags: Vec<String>,
    count: u64,
    early: u64,
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
    shape: Shape,
    settings: RtSettings,
    settings_label: String,
    columns: Vec<ColumnReport>,
}

/// What one column measured: a loop and a thread id per thread, or why not.
type ColumnRun = Result<Vec<(u64, LoopRun)>, String>;

fn main() {
    let args = Args::parse();
    let threads = match args.threads {
        0 => std::thread::available_parallelism()
            .map_or(1, usize::from)
            .min(MAX_THREADS),
        n => n as usize,
    };
    let cpus = args.cpus.clone().map(|list| list.0);
    let settings = if args.rt {
        RtSettings {
            cpus,
            ..RtSettings::rt_preset()
        }
    } else {
        RtSettings {
            priority: args.priority,
            timer_slack_ns: args.timer_slack_ns,
            cpus,
            mlock: args.mlock,
            rt: false,
        }
    };
    let binary = args.wasmer.clone().unwrap_or_else(default_binary);
    if !binary.is_file() {
        fail(&format!("no wasmer binary at {}", binary.display()));
    }
    // Checked once, memory locked once: the probe and every native column apply
    // this profile.
    let profile = settings
        .prepare()
        .unwrap_or_else(|e| fail(&format!("{}: {e}", settings.label())));
    let priority = tuning::priority_under(profile.as_ref())
        .unwrap_or_else(|e| fail(&format!("{}: {e}", settings.label())));
    let native_rt = NativeRt {
        settings: &settings,
        profile: profile.as_ref(),
    };
    let plans = plans(&settings, priority, args.no_legacy);
    let gate = args.gate.then(|| match bounds::load() {
        Ok(bounds) => bounds.gate,
        Err(e) => fail(&e),
    });
    let loops = match args.duration {
        Some(duration) => (duration.as_micros() / u128::from(args.interval_us)).max(1),
        None => u128::from(args.loops),
    };
    // The guest keeps every sample in its memory (8 bytes each), within 2 GiB.
    let Some(loops) = usize::try_from(loops)
        .ok()
        .filter(|loops| loops.saturating_mul(threads).saturating_mul(8) < (1 << 31))
    else {
        fail("--loops (or --duration) times --threads is too many samples for the guest's memory");
    };
    // cyclictest ignores the distance when it keeps a histogram.
    let with_histogram = args.histogram.is_some() || args.histofall.is_some();
    let distance_us = if with_histogram { 0 } else { args.distance };
    let shape = match &gate {
        Some(gate) => Shape {
            interval_us: gate.interval_us,
            loops: gate.loops,
            threads: 1,
            distance_us: 0,
        },
        None => Shape {
            interval_us: args.interval_us,
            loops,
            threads,
            distance_us,
        },
    };
    let title = format!(
        "rt-report: {} thread(s) x {} periods of {} us (+{} us per thread), absolute \
         CLOCK_MONOTONIC deadlines, {}",
        shape.threads,
        shape.loops,
        shape.interval_us,
        shape.distance_us,
        settings.label()
    );
    let guest = compile_guest(&shape);
    let run_once = || {
        let results: Vec<Result<Measured, String>> =
            run_all(&shape, &guest, &plans, native_rt, &binary, args.quiet)
                .into_iter()
                .map(|run| run.map(Measured::of))
                .collect();
        let report = Report {
            shape,
            settings_label: settings.label(),
            settings: settings.clone(),
            columns: plans
                .iter()
                .zip(&results)
                .map(|(plan, measured)| column_report(plan, measured))
                .collect(),
        };
        if !args.quiet {
            print_summary(&title, &report);
        }
        (report, results)
    };
    let mut last = None;
    let passed = match &gate {
        None => {
            last = Some(run_once());
            true
        }
        Some(gate) => {
            let judgement = Judgement::run("jitter-gate", gate.judged(), gate.trials, |_| {
                let (report, results) = run_once();
                let trial = gate_trial(&report);
                last = Some((report, results));
                trial
            });
            let artifact = judgement.write_artifact();
            println!("{judgement}\n(written to {})", artifact.display());
            judgement.verdict == Verdict::Holds
        }
    };
    let (report, results) = last.expect("at least one run");
    print_status(&shape, &plans, &results);
    write_outputs(&args, &title, &report, &plans, &results, passed);
    let mut failed = !passed;
    for (plan, measured) in plans.iter().zip(&results) {
        if let Err(e) = measured {
            eprintln!("rt-report: {} did not run: {e}", plan.name);
            failed = true;
        }
    }
    if failed {
        std::process::exit(1);
    }
}

/// A column's threads with their samples as histograms, built once.
struct Measured {
    /// Per thread: its OS thread id (0 for a guest thread), the last sample and
    /// the histogram of all of them.
    threads: Vec<(u64, i64, LatencyHistogram)>,
    /// Every thread's samples together.
    all: LatencyHistogram,
}

impl Measured {
    fn of(runs: Vec<(u64, LoopRun)>) -> Self {
        let mut all = LatencyHistogram::new();
        let threads = runs
            .into_iter()
            .map(|(tid, run)| {
                let hist = LatencyHistogram::of(&run.samples);
                all.merge(&hist);
                (tid, run.samples.last().copied().unwrap_or(0), hist)
            })
            .collect();
        Measured { threads, all }
    }
}

/// The columns of a run with `settings`, which give a thread `priority` here.
fn plans(settings: &RtSettings, priority: Option<u8>, no_legacy: bool) -> Vec<Plan> {
    let flags = settings.wasmer_flags();
    let mut plans = vec![
        Plan {
            name: "native",
            path: None,
            flags: Vec::new(),
            priority,
        },
        Plan {
            name: "patched",
            path: Some(SleepPath::Precise),
            flags: flags.clone(),
            priority,
        },
    ];
    if !settings.is_default() {
        plans.push(Plan {
            name: "patched-default",
            path: Some(SleepPath::Precise),
            flags: Vec::new(),
            priority: None,
        });
    }
    if !no_legacy {
        plans.push(Plan {
            name: "legacy",
            path: Some(SleepPath::Legacy),
            flags,
            priority,
        });
    }
    plans
}

/// The guest: `shape.threads` loop threads (`guests/cyclic_threads.wat`).
fn compile_guest(shape: &Shape) -> PathBuf {
    let sample_bytes = shape.loops * 8;
    let pages = 2 + (shape.threads * sample_bytes).div_ceil(65536);
    guests::compile(
        "cyclic_threads",
        &format!(
            "cyclic_threads_{}x{}x{}us_d{}",
            shape.threads, shape.loops, shape.interval_us, shape.distance_us
        ),
        &[
            ("THREADS", &shape.threads.to_string()),
            ("COUNT", &shape.loops.to_string()),
            ("COUNT_BYTES", &sample_bytes.to_string()),
            ("INTERVAL_NS", &(shape.interval_us * 1000).to_string()),
            ("DISTANCE_NS", &(shape.distance_us * 1000).to_string()),
            ("PAGES", &pages.to_string()),
        ],
    )
}

/// The status lines (cyclictest's `T:` lines) of every column, each column after a
/// `# <name>` line.
fn print_status(shape: &Shape, plans: &[Plan], results: &[Result<Measured, String>]) {
    for (plan, measured) in plans.iter().zip(results) {
        println!("# {}", plan.name);
        let Ok(measured) = measured else { continue };
        for (thread, (tid, last_ns, hist)) in measured.threads.iter().enumerate() {
            let interval_us = shape.interval_of(thread).as_micros() as u64;
            let priority = plan.priority.unwrap_or(0);
            let status = Status::of(thread, *tid, priority, interval_us, hist, *last_ns);
            println!("{}", status.line());
        }
    }
}

/// Writes the histogram text, the JSON and the plot (to the report directory, and
/// to `--histfile`/`--json`), and prints the histogram when `-h`/`-H` asks for it
/// without `--histfile`.
fn write_outputs(
    args: &Args,
    title: &str,
    report: &Report,
    plans: &[Plan],
    results: &[Result<Measured, String>],
    passed: bool,
) {
    let single = report.shape.threads == 1;
    let mut names: Vec<(String, &LatencyHistogram)> = Vec::new();
    for (plan, measured) in plans.iter().zip(results) {
        let Ok(measured) = measured else { continue };
        for (k, (_, _, hist)) in measured.threads.iter().enumerate() {
            let name = if single {
                plan.name.to_owned()
            } else {
                format!("{}/T{k}", plan.name)
            };
            names.push((name, hist));
        }
        if args.histofall.is_some() {
            names.push((format!("{}/all", plan.name), &measured.all));
        }
    }
    let columns: Vec<Column<'_>> = names
        .iter()
        .map(|(name, hist)| Column { name, hist })
        .collect();
    let limit = args
        .histogram
        .or(args.histofall)
        .unwrap_or_else(|| cyclictest::limit_for(&columns));
    let text = cyclictest::render(title, &columns, limit);
    let json = serde_json::json!({
        "file_version": 1,
        "cmdline:": std::env::args().collect::<Vec<_>>().join(" "),
        "rt_test_version:": concat!("rt-report ", env!("CARGO_PKG_VERSION")),
        "return_code": if passed { 0 } else { 1 },
        "num_threads": columns.len(),
        "resolution_in_ns": 0,
        "thread": columns
            .iter()
            .enumerate()
            .map(|(k, column)| (k.to_string(), cyclictest::json_thread(column, limit)))
            .collect::<serde_json::Map<_, _>>(),
        "rt_report": report,
    });
    let json = serde_json::to_string_pretty(&json).expect("the report serializes") + "\n";

    if let Err(e) = std::fs::create_dir_all(&args.out_dir) {
        fail(&format!("creating {}: {e}", args.out_dir.display()));
    }
    let name = args
        .name
        .clone()
        .unwrap_or_else(|| default_name(&report.shape, &report.settings));
    let text_path = args.out_dir.join(format!("{name}.hist.txt"));
    let json_path = args.out_dir.join(format!("{name}.json"));
    let svg_path = args.out_dir.join(format!("{name}.svg"));
    write(&text_path, &text);
    write(&json_path, &json);
    let plotted: Vec<(&str, &LatencyHistogram)> =
        names.iter().map(|(n, h)| (n.as_str(), *h)).collect();
    if let Err(e) = plot::write_svg(&svg_path, title, &plotted) {
        fail(&e);
    }
    if let Some(path) = &args.json {
        write(path, &json);
    }
    if args.histogram.is_some() || args.histofall.is_some() {
        match &args.histfile {
            Some(path) => write(path, &text),
            None => print!("{text}"),
        }
    }
    if !args.quiet {
        println!(
            "wrote {}, {} and {}",
            text_path.display(),
            json_path.display(),
            svg_path.display()
        );
    }
}

/// Runs every column once, one after the other, with a progress bar (unless quiet).
fn run_all(
    shape: &Shape,
    guest: &Path,
    plans: &[Plan],
    native_rt: NativeRt,
    binary: &Path,
    quiet: bool,
) -> Vec<ColumnRun> {
    let loops = shape.loops;
    let bar = if quiet {
        ProgressBar::hidden()
    } else {
        progress_bar((plans.len() * loops) as u64)
    };
    let mut results = Vec::new();
    for (k, plan) in plans.iter().enumerate() {
        bar.set_message(plan.name);
        let period = shape.interval_of(0);
        let run = with_progress(&bar, (k * loops) as u64, loops, period, || {
            run_plan(shape, guest, plan, native_rt, binary)
        });
        bar.set_position(((k + 1) * loops) as u64);
        results.push(run);
    }
    bar.finish_and_clear();
    results
}

/// One gate run as a trial of the judge: patched's p50, p90 and p99 over
/// native's (µs) and its early wake-ups; invalid if either column did not run.
fn gate_trial(report: &Report) -> Result<Trial, Invalid> {
    let column = |name: &str| {
        let column = report
            .columns
            .iter()
            .find(|c| c.name == name)
            .ok_or_else(|| Invalid::Failed(format!("no {name} column")))?;
        match &column.error {
            Some(e) => Err(Invalid::Failed(format!("{name} did not run: {e}"))),
            None => Ok(column),
        }
    };
    let (native, patched) = (column("native")?, column("patched")?);
    let line = |c: &ColumnReport| {
        format!(
            "{:<8} n {:>5}  p50 {:>8.1}  p90 {:>8.1}  p99 {:>8.1}  max {:>8.1} us  early {}",
            c.name, c.count, c.p50_us, c.p90_us, c.p99_us, c.max_us, c.early
        )
    };
    Ok(Trial {
        figures: vec![
            patched.p50_us - native.p50_us,
            patched.p90_us - native.p90_us,
            patched.p99_us - native.p99_us,
            patched.early as f64,
        ],
        detail: format!("{}\n{}", line(native), line(patched)),
    })
}

/// Runs one column; each of its threads must report every loop.
fn run_plan(
    shape: &Shape,
    guest: &Path,
    plan: &Plan,
    native_rt: NativeRt,
    binary: &Path,
) -> ColumnRun {
    let runs = match plan.path {
        None => native_threads(shape, native_rt)?,
        Some(path) => guest_threads(shape, guest, &plan.flags, path, binary)?,
    };
    if runs.len() != shape.threads {
        return Err(format!(
            "{} threads reported, {} expected",
            runs.len(),
            shape.threads
        ));
    }
    for (thread, (_, run)) in runs.iter().enumerate() {
        if run.samples.len() != shape.loops {
            return Err(format!(
                "thread {thread} reported {} samples of {}",
                run.samples.len(),
                shape.loops
            ));
        }
    }
    Ok(runs)
}

/// The guest's loop threads under `wasmer run <flags>` on `path`.
fn guest_threads(
    shape: &Shape,
    guest: &Path,
    flags: &[String],
    path: SleepPath,
    binary: &Path,
) -> ColumnRun {
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    // Generous for a loop that runs (the legacy path wakes up to ~2 ms late),
    // short for one that hangs.
    let longest = shape.interval_of(shape.threads.saturating_sub(1));
    let period = longest.max(Duration::from_millis(2));
    let periods = u32::try_from(shape.loops.saturating_mul(3)).unwrap_or(u32::MAX);
    let limit = period
        .checked_mul(periods)
        .unwrap_or(Duration::MAX)
        .saturating_add(Duration::from_secs(5));
    let out = Host::BinaryWithFlags(binary, &flags)
        .run(path, guest, limit)
        .into_stdout(limit)
        .map_err(|e| e.to_string())?;
    // Guest threads have no host thread id of their own in the report.
    Ok(LoopRun::parse_threads(&out)?
        .into_iter()
        .map(|run| (0, run))
        .collect())
}

/// The settings the native column runs under, checked once by
/// [`RtSettings::prepare`].
#[derive(Clone, Copy)]
struct NativeRt<'a> {
    settings: &'a RtSettings,
    profile: Option<&'a ThreadProfile>,
}

/// cyclictest's measuring threads in this process, each with the settings applied.
fn native_threads(shape: &Shape, native_rt: NativeRt) -> ColumnRun {
    let NativeRt { settings, profile } = native_rt;
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..shape.threads)
            .map(|thread| {
                scope.spawn(move || -> Result<(u64, LoopRun), String> {
                    let _applied = profile
                        .map(ThreadProfile::apply_to_current_thread)
                        .transpose()
                        .map_err(|e| {
                            format!("applying {} to the native loop: {e:#}", settings.label())
                        })?;
                    // SAFETY: gettid has no preconditions.
                    let tid = unsafe { libc::gettid() } as u64;
                    let run = native::sleep_loop(
                        shape.loops,
                        shape.interval_of(thread),
                        Some(libc::CLOCK_MONOTONIC),
                    );
                    Ok((tid, run))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| {
                handle
                    .join()
                    .map_err(|_| "a native thread panicked".to_owned())?
            })
            .collect()
    })
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

fn column_report(plan: &Plan, measured: &Result<Measured, String>) -> ColumnReport {
    // Exact (the gate judges these): ns / 1000, not rounded.
    let us = |ns: f64| ns / 1e3;
    let mut report = ColumnReport {
        name: plan.name,
        flags: plan.flags.clone(),
        count: 0,
        early: 0,
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
    match measured {
        Ok(measured) => {
            let hist = &measured.all;
            let q = |q: f64| us(hist.quantile_ns(q) as f64);
            report.count = hist.len();
            report.early = hist.early();
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

fn default_name(shape: &Shape, settings: &RtSettings) -> String {
    let tuning = if settings.is_default() {
        "default".to_string()
    } else if settings.rt {
        "rt".to_string()
    } else {
        "tuned".to_string()
    };
    let threads = if shape.threads > 1 {
        format!("-t{}", shape.threads)
    } else {
        String::new()
    };
    format!("rt-report-{}us{threads}-{tuning}", shape.interval_us)
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
    use rt_tests::bounds::GateBounds;

    fn column(name: &'static str, p50: f64, p90: f64, p99: f64, early: u64) -> ColumnReport {
        ColumnReport {
            name,
            flags: Vec::new(),
            count: 2000,
            early,
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
            shape: Shape {
                interval_us: 1000,
                loops: 2000,
                threads: 1,
                distance_us: 0,
            },
            settings: RtSettings::default(),
            settings_label: RtSettings::default().label(),
            columns: vec![native, patched],
        }
    }

    const GATE: GateBounds = GateBounds {
        loops: 2000,
        interval_us: 1000,
        trials: 1,
        p50_over_native_us: 50.0,
        p90_over_native_us: 250.0,
        p99_over_native_us: 1000.0,
    };

    fn verdict(native: ColumnReport, patched: ColumnReport) -> Verdict {
        let report = report(native, patched);
        Judgement::run("gate-unit", GATE.judged(), 1, |_| gate_trial(&report)).verdict
    }

    #[test]
    fn the_gate_holds_within_the_bounds() {
        let native = column("native", 80.0, 100.0, 120.0, 0);
        let patched = column("patched", 130.0, 350.0, 1120.0, 0);
        assert_eq!(verdict(native, patched), Verdict::Holds);
    }

    #[test]
    fn the_gate_breaks_on_each_quantile_and_an_early_wake_up() {
        let native = || column("native", 80.0, 100.0, 120.0, 0);
        for (patched, broken) in [
            (column("patched", 130.1, 100.0, 120.0, 0), 0),
            (column("patched", 80.0, 350.1, 120.0, 0), 1),
            (column("patched", 80.0, 100.0, 1120.1, 0), 2),
            (column("patched", 80.0, 100.0, 120.0, 1), 3),
        ] {
            assert_eq!(verdict(native(), patched), Verdict::Broken(vec![broken]));
        }
        // Upstream's path at 1 ms.
        let upstream = column("patched", 1000.0, 1800.0, 2500.0, 0);
        assert_eq!(verdict(native(), upstream), Verdict::Broken(vec![0, 1, 2]));
    }

    #[test]
    fn a_column_that_did_not_run_is_invalid_not_broken() {
        let mut patched = column("patched", 80.0, 100.0, 120.0, 0);
        patched.error = Some("the guest hung".to_owned());
        let verdict = verdict(column("native", 80.0, 100.0, 120.0, 0), patched);
        assert!(matches!(verdict, Verdict::Invalid(_)), "{verdict:?}");
    }
}
