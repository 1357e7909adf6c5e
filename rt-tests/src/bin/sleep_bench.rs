//! Sleep-precision benchmark: native `clock_nanosleep` loops, the patched sleep path
//! and the legacy (upstream) path, with `--upstream` the same guests on an
//! unpatched `wasmer`, and with `--wasmtime` on wasmtime's CLI, side by side and
//! interleaved in one run. `--sockets` adds the timeouts of WASIX socket
//! operations on loopback TCP (wasmtime has no WASIX, so it sits those out).
//!
//! ```text
//! cargo run --release --locked -p rt-tests --bin sleep-bench -- [--trials 3] \
//!     [--sockets] [--upstream <wasmer>] [--wasmtime [<wasmtime>]] [--json out.json]
//! ```
//!
//! For each scenario it prints min/p50/p90/p99/max overshoot (median over trials of
//! each quantile), the drift of the whole loop behind its ideal schedule, and the
//! ratios patched/native, legacy/patched, upstream/patched and patched/wasmtime of
//! p50 and p99.

use clap::Parser;
use rt_tests::host::Host;
use rt_tests::samples::Summary;
use rt_tests::scenario::{Pattern, Runner, Scenario};
use rt_tests::wasmer::{SleepPath, default_binary};
use rt_tests::wasmtime;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, Parser)]
#[command(about = "Sleep overshoot: native vs patched vs legacy vs wasmtime, interleaved")]
struct Args {
    /// Trials per scenario and runner.
    #[arg(long, default_value_t = 3)]
    trials: usize,
    /// Sleeps per loop in the 1 ms scenarios.
    #[arg(long, default_value_t = 2000)]
    count: usize,
    /// Skip the 10 × 1 s loop (saves ~35 s per trial).
    #[arg(long)]
    no_long: bool,
    /// Also time the timeouts of WASIX socket operations on loopback TCP
    /// (`sock_recv`, `sock_send`, `sock_accept`, `poll_oneoff` with a socket,
    /// `sock_connect`, `fd_read` on a socket).
    #[arg(long)]
    sockets: bool,
    /// Also write the results as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
    /// The patched `wasmer` binary (default: next to this executable).
    #[arg(long)]
    wasmer: Option<PathBuf>,
    /// Also run the guests on wasmtime's CLI, the peer runtime: this binary, or
    /// without a value the one `cargo xtask wasmtime` installs.
    #[arg(long, value_name = "WASMTIME")]
    wasmtime: Option<Option<PathBuf>>,
    /// Also run the guests on this unpatched `wasmer` (say,
    /// `target/upstream/wasmer` from `cargo xtask upstream build`).
    #[arg(long, value_name = "WASMER")]
    upstream: Option<PathBuf>,
}

/// The runtime of a column's guests.
enum Runtime {
    /// The patched `wasmer`.
    Patched,
    /// An unpatched `wasmer` at this path.
    Upstream(PathBuf),
    /// The wasmtime CLI at this path.
    Wasmtime(PathBuf),
}

/// One column of the table: who sleeps, and on which runtime a guest runs.
struct Column {
    name: &'static str,
    runner: Runner,
    runtime: Runtime,
}

impl Column {
    /// Where this column's guest runs, given the patched `wasmer`.
    fn host<'a>(&'a self, wasmer: &'a Path) -> Host<'a> {
        match &self.runtime {
            Runtime::Patched => Host::Binary(wasmer),
            Runtime::Upstream(upstream) => Host::Binary(upstream),
            Runtime::Wasmtime(wasmtime) => Host::Wasmtime(wasmtime),
        }
    }

    /// False for a WASIX scenario on wasmtime, which has no WASIX.
    fn runs(&self, scenario: &Scenario) -> bool {
        !(matches!(self.runtime, Runtime::Wasmtime(_)) && scenario.pattern.needs_wasix())
    }
}

#[derive(Debug, Serialize)]
struct Row {
    scenario: String,
    runner: &'static str,
    trials: usize,
    min_ns: i64,
    p50_ns: i64,
    p90_ns: i64,
    p99_ns: i64,
    max_ns: i64,
    drift_ns: i64,
}

fn main() {
    let args = Args::parse();
    if args.trials == 0 || args.count == 0 {
        eprintln!("sleep-bench: --trials and --count must be at least 1");
        std::process::exit(2);
    }
    let binary = args.wasmer.clone().unwrap_or_else(default_binary);
    if !binary.is_file() {
        eprintln!(
            "sleep-bench: no wasmer binary at {} (build it first or pass --wasmer)",
            binary.display()
        );
        std::process::exit(2);
    }
    let mut columns: Vec<Column> = Runner::ALL
        .into_iter()
        .map(|runner| Column {
            name: runner.name(),
            runner,
            runtime: Runtime::Patched,
        })
        .collect();
    if let Some(upstream) = &args.upstream {
        if !upstream.is_file() {
            eprintln!(
                "sleep-bench: no wasmer binary at {} (`cargo xtask upstream build` builds one)",
                upstream.display()
            );
            std::process::exit(2);
        }
        columns.push(Column {
            name: "upstream",
            runner: Runner::Guest(SleepPath::Precise),
            runtime: Runtime::Upstream(upstream.clone()),
        });
    }
    match wasmtime::resolve(args.wasmtime.clone()) {
        Ok(Some((path, version))) => {
            eprintln!("peer: {version} at {}", path.display());
            columns.push(Column {
                name: "wasmtime",
                runner: Runner::Guest(SleepPath::Precise),
                runtime: Runtime::Wasmtime(path),
            });
        }
        Ok(None) => {}
        Err(why) => {
            eprintln!("sleep-bench: {why}");
            std::process::exit(2);
        }
    }
    let ms = Duration::from_millis(1);
    let mut scenarios = vec![
        Scenario::new(Pattern::Periodic, args.count, ms),
        Scenario::new(Pattern::Relative, args.count, ms),
    ];
    if args.sockets {
        scenarios.extend(
            Pattern::ALL
                .into_iter()
                .filter(|pattern| pattern.uses_sockets())
                .map(|pattern| Scenario::new(pattern, args.count, ms)),
        );
    }
    if !args.no_long {
        scenarios.push(Scenario::new(Pattern::Relative, 10, Duration::from_secs(1)));
    }

    let measured = measure(&scenarios, &columns, &binary, args.trials);
    // Before any exit: a socket scenario's guest module is deleted with it.
    drop(scenarios);
    let rows = measured.unwrap_or_else(|e| {
        eprintln!("sleep-bench: {e}");
        std::process::exit(1);
    });

    print_table(&rows);
    if let Some(path) = &args.json {
        let json = serde_json::to_string_pretty(&rows).expect("serializing rows");
        if let Err(e) = std::fs::write(path, json) {
            eprintln!("sleep-bench: writing {}: {e}", path.display());
            std::process::exit(1);
        }
    }
}

/// Runs every scenario `trials` times on every column that runs it, the columns
/// in a different order each trial, and summarizes each column's trials; the
/// first run that fails ends the measurement.
fn measure(
    scenarios: &[Scenario],
    columns: &[Column],
    binary: &Path,
    trials: usize,
) -> Result<Vec<Row>, String> {
    let mut rows = Vec::new();
    for scenario in scenarios {
        let label = format!(
            "{} {} x {:?}",
            scenario.pattern.name(),
            scenario.count,
            scenario.period
        );
        eprintln!("running {label} ...");
        let mut results: Vec<(Vec<Summary>, Vec<i64>)> =
            columns.iter().map(|_| (Vec::new(), Vec::new())).collect();
        for trial in 0..trials {
            // Rotate the order every trial so no runner always goes first.
            for k in 0..columns.len() {
                let slot = (k + trial) % columns.len();
                let column = &columns[slot];
                if !column.runs(scenario) {
                    continue;
                }
                let run = scenario
                    .run(column.runner, column.host(binary))
                    .map_err(|e| format!("{} failed: {e}", column.name))?;
                results[slot].0.push(run.summary());
                results[slot].1.push(run.drift(scenario.period_ns()));
            }
        }
        for (column, (summaries, drifts)) in columns.iter().zip(&results) {
            if summaries.is_empty() {
                continue;
            }
            let s = Summary::median_of(summaries);
            rows.push(Row {
                scenario: label.clone(),
                runner: column.name,
                trials: summaries.len(),
                min_ns: s.min,
                p50_ns: s.p50,
                p90_ns: s.p90,
                p99_ns: s.p99,
                max_ns: s.max,
                drift_ns: Summary::of(drifts).p50,
            });
        }
    }
    Ok(rows)
}

fn print_table(rows: &[Row]) {
    let us = |ns: i64| ns as f64 / 1e3;
    println!(
        "{:<28} {:<8} {:>9} {:>9} {:>9} {:>9} {:>10} {:>11}",
        "scenario (overshoot, us)", "runner", "min", "p50", "p90", "p99", "max", "drift"
    );
    for row in rows {
        println!(
            "{:<28} {:<8} {:>9.1} {:>9.1} {:>9.1} {:>9.1} {:>10.1} {:>11.1}",
            row.scenario,
            row.runner,
            us(row.min_ns),
            us(row.p50_ns),
            us(row.p90_ns),
            us(row.p99_ns),
            us(row.max_ns),
            us(row.drift_ns)
        );
    }
    println!();
    println!("ratios (median of {} trials per runner):", rows[0].trials);
    for group in rows.chunk_by(|a, b| a.scenario == b.scenario) {
        let find = |name: &str| group.iter().find(|r| r.runner == name);
        if let (Some(n), Some(p), Some(l)) = (find("native"), find("patched"), find("legacy")) {
            let ratio = |a: i64, b: i64| a as f64 / b.max(1) as f64;
            let upstream = find("upstream").map_or_else(String::new, |u| {
                format!(
                    "   upstream/patched p50 {:.1} p99 {:.1}",
                    ratio(u.p50_ns, p.p50_ns),
                    ratio(u.p99_ns, p.p99_ns)
                )
            });
            let peer = find("wasmtime").map_or_else(String::new, |w| {
                format!(
                    "   patched/wasmtime p50 {:.2} p99 {:.2}",
                    ratio(p.p50_ns, w.p50_ns),
                    ratio(p.p99_ns, w.p99_ns)
                )
            });
            println!(
                "{:<28} patched/native p50 {:.2} p99 {:.2}   legacy/patched p50 {:.1} p99 {:.1}{upstream}{peer}   p50 patched-native {:+.1} us",
                n.scenario,
                ratio(p.p50_ns, n.p50_ns),
                ratio(p.p99_ns, n.p99_ns),
                ratio(l.p50_ns, p.p50_ns),
                ratio(l.p99_ns, p.p99_ns),
                us(p.p50_ns - n.p50_ns)
            );
        }
    }
}
