//! Dispatch benchmark: what one WASI host call costs, natively, on the patched
//! `wasmer` and on upstream's paths, side by side and interleaved in one run.
//!
//! ```text
//! cargo run --release --locked -p rt-tests --bin dispatch-bench -- \
//!     [--trials 5] [--upstream <pristine wasmer>] [--wasmtime [<wasmtime>]] [--json out.json]
//! ```
//!
//! Each guest calls one function in a loop and times the loop itself (process
//! start-up is not counted). Runners: native (the equivalent syscall or library
//! call from this process), `patched` (the default binary), `legacy` (the same
//! binary with `--legacy-sleep`), with `--upstream`, a build of the pristine
//! crates (`cargo xtask upstream build`; it and `legacy` make a tenth of the
//! calls, their slow paths being slow), and with `--baseline`, another build of the
//! series (a patch's "before", same call counts as `patched`), and with
//! `--telemetry`, the patched binary recording its timed waits (`--timing-report
//! /dev/null`), and with `--wasmtime`, the peer runtime running the same guests
//! (`cargo xtask wasmtime` installs wasmtime 49 where it looks by default). It
//! prints the median ns per call over the trials, the ratios patched/native,
//! upstream/patched, baseline/patched and patched/wasmtime, and what telemetry
//! adds per call (telemetry − patched, in ns).
//!
//! With `clock_time_get` it also measures the floor under it
//! ([`rt_tests::floor`]): a bare `wasmer` host function on the same engine, empty
//! and doing only what `clock_time_get` must do, so the table shows how much of
//! the call is wasmer-wasix and how much is the runtime's host-call path.

use clap::Parser;
use rt_tests::dispatch::{self, Call};
use rt_tests::floor::HostFn;
use rt_tests::host::Host;
use rt_tests::judge;
use rt_tests::wasmer::{SleepPath, default_binary};
use rt_tests::wasmtime;
use serde::Serialize;
use std::path::PathBuf;
use std::time::Duration;
use wasmer_wasix::wasmer::Engine;

#[derive(Debug, Parser)]
#[command(
    about = "ns per WASI call: native vs patched vs legacy vs upstream vs wasmtime, interleaved"
)]
struct Args {
    /// Trials per call and runner.
    #[arg(long, default_value_t = 5)]
    trials: usize,
    /// Multiplies every loop's call count.
    #[arg(long, default_value_t = 1.0)]
    scale: f64,
    /// The patched `wasmer` binary (default: next to this executable).
    #[arg(long)]
    wasmer: Option<PathBuf>,
    /// A `wasmer` built from the pristine crates, to compare with.
    #[arg(long)]
    upstream: Option<PathBuf>,
    /// Another build of the series (say, before a patch), run with the same call
    /// counts as `patched`, for a patch's before/after.
    #[arg(long)]
    baseline: Option<PathBuf>,
    /// Also run the guests on wasmtime's CLI, the peer runtime: this binary, or
    /// without a value the one `cargo xtask wasmtime` installs.
    #[arg(long, value_name = "WASMTIME")]
    wasmtime: Option<Option<PathBuf>>,
    /// Also write the results as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Only the calls whose report name contains this text (repeatable), e.g.
    /// `--only clock --only poll`.
    #[arg(long, value_name = "TEXT")]
    only: Vec<String>,
    /// Leave out the `--legacy-sleep` runner.
    #[arg(long)]
    no_legacy: bool,
    /// Leave out the host-call floor measured with `clock_time_get`.
    #[arg(long)]
    no_floor: bool,
    /// Also run the patched binary with its wait telemetry on (`wasmer run
    /// --timing-report /dev/null`), as the `telemetry` column: what recording
    /// costs per call.
    #[arg(long)]
    telemetry: bool,
}

/// Who makes the calls.
#[derive(Debug, Clone)]
enum Runner {
    Native,
    Binary {
        name: &'static str,
        path: PathBuf,
        sleep: SleepPath,
        /// More `wasmer run` flags.
        flags: &'static [&'static str],
    },
    Wasmtime(PathBuf),
}

impl Runner {
    fn name(&self) -> &'static str {
        match self {
            Runner::Native => "native",
            Runner::Binary { name, .. } => name,
            Runner::Wasmtime(_) => "wasmtime",
        }
    }

    /// Where a guest runs, for the runners that run guests.
    fn host(&self) -> Option<(Host<'_>, SleepPath)> {
        match self {
            Runner::Native => None,
            Runner::Binary {
                path, sleep, flags, ..
            } => Some((Host::BinaryWithFlags(path, flags), *sleep)),
            Runner::Wasmtime(path) => Some((Host::Wasmtime(path), SleepPath::Precise)),
        }
    }
}

#[derive(Debug, Serialize)]
struct Row {
    call: &'static str,
    runner: &'static str,
    calls_per_trial: u32,
    trials: usize,
    median_ns: Option<f64>,
    min_ns: Option<f64>,
    max_ns: Option<f64>,
    error: Option<String>,
}

/// Calls per loop: enough for a stable figure on the fast paths.
fn base_count(call: Call) -> u32 {
    match call {
        Call::ClockTimeGet | Call::ArgsSizesGet => 200_000,
        Call::RandomGet16 => 100_000,
        Call::Write4kDevNull => 20_000,
        _ => 50_000,
    }
}

fn main() {
    let args = Args::parse();
    if args.trials == 0 || args.scale.is_nan() || args.scale <= 0.0 {
        fail("--trials must be at least 1 and --scale above 0");
    }
    let patched = args.wasmer.clone().unwrap_or_else(default_binary);
    let mut runners = vec![Runner::Native];
    const NO_FLAGS: &[&str] = &[];
    const TELEMETRY: &[&str] = &["--timing-report", "/dev/null"];
    for (name, path, extra, flags) in [
        (
            "patched",
            Some(patched.clone()),
            SleepPath::Precise,
            NO_FLAGS,
        ),
        (
            "telemetry",
            args.telemetry.then(|| patched.clone()),
            SleepPath::Precise,
            TELEMETRY,
        ),
        (
            "legacy",
            (!args.no_legacy).then_some(patched),
            SleepPath::Legacy,
            NO_FLAGS,
        ),
        // No flag: upstream's CLI does not know --legacy-sleep.
        (
            "upstream",
            args.upstream.clone(),
            SleepPath::Precise,
            NO_FLAGS,
        ),
        (
            "baseline",
            args.baseline.clone(),
            SleepPath::Precise,
            NO_FLAGS,
        ),
    ] {
        let Some(path) = path else { continue };
        if !path.is_file() {
            fail(&format!("no wasmer binary at {}", path.display()));
        }
        runners.push(Runner::Binary {
            name,
            path,
            sleep: extra,
            flags,
        });
    }
    match wasmtime::resolve(args.wasmtime.clone()) {
        Ok(Some((path, version))) => {
            eprintln!("peer: {version} at {}", path.display());
            runners.push(Runner::Wasmtime(path));
        }
        Ok(None) => {}
        Err(why) => fail(&why),
    }

    let calls: Vec<Call> = Call::ALL
        .into_iter()
        .filter(|call| {
            args.only.is_empty() || args.only.iter().any(|o| call.name().contains(o.as_str()))
        })
        .collect();
    if calls.is_empty() {
        fail("--only matched no call");
    }

    let mut rows = Vec::new();
    for &call in &calls {
        let count = loop_count(call, args.scale);
        let slow_count = (count / 10).max(10);
        eprintln!("measuring {} ...", call.name());
        let guests = (call.guest(count), call.guest(slow_count));
        let mut results: Vec<(Vec<f64>, Option<String>)> = vec![(Vec::new(), None); runners.len()];
        for trial in 0..args.trials {
            for k in 0..runners.len() {
                let slot = (k + trial) % runners.len();
                let runner = &runners[slot];
                if results[slot].1.is_some() {
                    continue;
                }
                let measured = match runner.host() {
                    None => Ok(call.native_ns(count)),
                    Some((host, sleep)) => {
                        let guest = if full_count(runner.name()) {
                            &guests.0
                        } else {
                            &guests.1
                        };
                        dispatch::guest_ns(
                            host,
                            sleep,
                            guest,
                            call.stdout(),
                            Duration::from_secs(20),
                        )
                    }
                };
                match measured {
                    Ok(ns) => results[slot].0.push(ns),
                    Err(why) => results[slot].1 = Some(why.to_string()),
                }
            }
        }
        for (runner, (samples, error)) in runners.iter().zip(results) {
            let stats = NsStats::of(&samples);
            rows.push(Row {
                call: call.name(),
                runner: runner.name(),
                calls_per_trial: if full_count(runner.name()) {
                    count
                } else {
                    slow_count
                },
                trials: samples.len(),
                median_ns: stats.map(|s| s.median),
                min_ns: stats.map(|s| s.min),
                max_ns: stats.map(|s| s.max),
                error,
            });
        }
    }
    let measure_floor = !args.no_floor && calls.contains(&Call::ClockTimeGet);
    let floor = if measure_floor {
        floor_rows(loop_count(Call::ClockTimeGet, args.scale), args.trials)
    } else {
        Vec::new()
    };
    print_table(&rows, &runners);
    print_floor(&floor);
    rows.extend(floor);
    if let Some(path) = &args.json {
        let json = serde_json::to_string_pretty(&rows).expect("serializing rows");
        if let Err(e) = std::fs::write(path, json) {
            fail(&format!("writing {}: {e}", path.display()));
        }
    }
}

/// Calls per loop for `call`, scaled by `--scale`.
fn loop_count(call: Call, scale: f64) -> u32 {
    ((f64::from(base_count(call)) * scale) as u32).max(10)
}

/// Median (the judge's, [`judge::median`], as `dispatch_cost` judges), min and
/// max of ns-per-call samples.
#[derive(Debug, Clone, Copy)]
struct NsStats {
    median: f64,
    min: f64,
    max: f64,
}

impl NsStats {
    /// `None` for no samples.
    fn of(samples: &[f64]) -> Option<Self> {
        if samples.is_empty() {
            return None;
        }
        Some(NsStats {
            median: judge::median(samples)?,
            min: samples.iter().copied().fold(f64::INFINITY, f64::min),
            max: samples.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        })
    }
}

/// The floor rows: each [`HostFn`] on the default engine, `trials` times
/// interleaved, as runner `wasmer-core`.
fn floor_rows(count: u32, trials: usize) -> Vec<Row> {
    eprintln!("measuring the host-call floor ...");
    let engine = Engine::default();
    let mut samples = vec![Vec::new(); HostFn::ALL.len()];
    for _ in 0..trials {
        for (k, host_fn) in HostFn::ALL.into_iter().enumerate() {
            samples[k].push(host_fn.ns_per_call(&engine, count));
        }
    }
    HostFn::ALL
        .into_iter()
        .zip(samples)
        .map(|(host_fn, samples)| {
            let stats = NsStats::of(&samples);
            Row {
                call: host_fn.name(),
                runner: "wasmer-core",
                calls_per_trial: count,
                trials: samples.len(),
                median_ns: stats.map(|s| s.median),
                min_ns: stats.map(|s| s.min),
                max_ns: stats.map(|s| s.max),
                error: None,
            }
        })
        .collect()
}

fn print_floor(rows: &[Row]) {
    if rows.is_empty() {
        return;
    }
    println!();
    println!("floor under clock_time_get: bare wasmer host functions, same engine, no wasix");
    for row in rows {
        println!(
            "{:<22} {:>10.1}",
            row.call,
            row.median_ns.unwrap_or_default()
        );
    }
}

/// Runners that make every call of a loop; `legacy` and `upstream` make a tenth,
/// since their slow paths take ~100 µs a call.
fn full_count(runner: &str) -> bool {
    matches!(
        runner,
        "native" | "patched" | "telemetry" | "baseline" | "wasmtime"
    )
}

fn fail(why: &str) -> ! {
    eprintln!("dispatch-bench: {why}");
    std::process::exit(2);
}

fn print_table(rows: &[Row], runners: &[Runner]) {
    let names: Vec<&str> = runners.iter().map(Runner::name).collect();
    print!("{:<18}", "ns per call");
    for name in &names {
        print!(" {name:>10}");
    }
    println!(
        " {:>15} {:>17} {:>17} {:>17} {:>18}",
        "patched/native",
        "upstream/patched",
        "baseline/patched",
        "patched/wasmtime",
        "telemetry-patched"
    );
    for call in Call::ALL
        .into_iter()
        .filter(|call| rows.iter().any(|r| r.call == call.name()))
    {
        let median = |runner: &str| {
            rows.iter()
                .find(|r| r.call == call.name() && r.runner == runner)
                .and_then(|r| r.median_ns)
        };
        print!("{:<18}", call.name());
        for name in &names {
            match median(name) {
                Some(ns) => print!(" {ns:>10.1}"),
                None => print!(" {:>10}", "hang/err"),
            }
        }
        let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) if b > 0.0 => format!("{:.2}x", a / b),
            _ => "-".to_owned(),
        };
        let difference = match (median("telemetry"), median("patched")) {
            (Some(on), Some(off)) => format!("{:+.1} ns", on - off),
            _ => "-".to_owned(),
        };
        println!(
            " {:>15} {:>17} {:>17} {:>17} {:>18}",
            ratio(median("patched"), median("native")),
            ratio(median("upstream"), median("patched")),
            ratio(median("baseline"), median("patched")),
            ratio(median("patched"), median("wasmtime")),
            difference
        );
    }
    for row in rows.iter().filter(|r| r.error.is_some()) {
        println!(
            "{} on {}: {}",
            row.call,
            row.runner,
            row.error.as_deref().unwrap_or_default()
        );
    }
}
