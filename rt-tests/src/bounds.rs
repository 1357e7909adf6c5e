//! Every bound of the suite's timing and cost assertions: `ci/jitter-bounds.toml`.
//! How a check combines its trials and what counts as broken is
//! [`crate::judge`]'s business; this module only reads the numbers.

use crate::judge::Bound;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The bounds file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bounds {
    /// Sleep loops against native (`tests/precise_sleep.rs`).
    pub sleep: SleepBounds,
    /// The jitter gate (`rt-report --gate`).
    pub gate: GateBounds,
    /// Per-call dispatch cost against native (`tests/dispatch_cost.rs`).
    pub dispatch: DispatchBounds,
    /// Interruption of a sleeping guest (`tests/interrupt.rs`).
    pub interrupt: InterruptBounds,
    /// Peak memory over many blocking calls (`tests/waker_leak.rs`).
    pub waker_leak: WakerLeakBounds,
    /// Single `poll_oneoff` calls (`tests/poll_semantics.rs`).
    pub poll: PollBounds,
    /// `wasmer run --timing-report` against the guest's own clock
    /// (`tests/timing_report.rs`).
    pub timing_report: TimingReportBounds,
}

/// Quantiles of sleep overshoot over native's in the same trial.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SleepBounds {
    /// Sleeps per loop.
    pub count: usize,
    /// Period of each sleep, in µs.
    pub period_us: u64,
    /// Trials per check (odd): the median of the trials is judged.
    pub trials: usize,
    /// Allowed p50 overshoot above native p50, in µs.
    pub p50_over_native_us: f64,
    /// Allowed p90 overshoot above native p90, in µs.
    pub p90_over_native_us: f64,
}

impl SleepBounds {
    /// The judge's bounds, in the order of [`crate::judge::Trial::figures`]:
    /// p50 and p90 over native (µs), and early wake-ups (none in any trial).
    pub fn judged(&self) -> Vec<Bound> {
        vec![
            Bound::median("p50 - native p50", self.p50_over_native_us, "us"),
            Bound::median("p90 - native p90", self.p90_over_native_us, "us"),
            Bound::every_trial("early wake-ups", 0.0, "sleeps"),
        ]
    }
}

/// Loop shape and quantile bounds for the jitter gate: the patched guest against
/// the native loop of the same run, both under the same settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GateBounds {
    /// Periods per loop.
    pub loops: usize,
    /// Period, in µs.
    pub interval_us: u64,
    /// Runs (odd): the median of the runs is judged.
    pub trials: usize,
    /// Allowed p50 above native p50, in µs.
    pub p50_over_native_us: f64,
    /// Allowed p90 above native p90, in µs.
    pub p90_over_native_us: f64,
    /// Allowed p99 above native p99, in µs.
    pub p99_over_native_us: f64,
}

impl GateBounds {
    /// The judge's bounds: p50, p90, p99 over native (µs), and early wake-ups.
    pub fn judged(&self) -> Vec<Bound> {
        vec![
            Bound::median("p50 - native p50", self.p50_over_native_us, "us"),
            Bound::median("p90 - native p90", self.p90_over_native_us, "us"),
            Bound::median("p99 - native p99", self.p99_over_native_us, "us"),
            Bound::every_trial("early wake-ups", 0.0, "sleeps"),
        ]
    }
}

/// How many times the native cost a patched WASI call may take, measured in the
/// same trial, interleaved.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DispatchBounds {
    /// Trials (odd): the median ratio of the trials is judged.
    pub trials: usize,
    /// `clock_time_get(Monotonic)` over the vDSO `clock_gettime`.
    pub clock_time_get_over_native: f64,
    /// `poll_oneoff` on one relative clock with timeout 0 over the vDSO
    /// `clock_gettime` (the patched path makes no syscall for it).
    pub poll_oneoff_0_over_clock_read: f64,
    /// `poll_oneoff` on one 1 ns relative clock over a zero-timeout `ppoll`.
    pub poll_oneoff_1ns_over_native: f64,
    /// `fd_write` of 1 byte to stdout on `/dev/null` over `write(2)` there.
    pub fd_write_1b_over_native: f64,
    /// `fd_write` of 4 KiB to stdout on `/dev/null` over `write(2)` there.
    pub fd_write_4k_over_native: f64,
    /// `random_get` of 16 bytes over the `getrandom(2)` syscall.
    pub random_get_16b_over_native: f64,
    /// How far past its bound the near-edge control puts each call, as a
    /// fraction of the bound (0.15: 15 % over).
    pub control_over_bound: f64,
}

/// Interruption latencies of a sleeping guest; medians of `trials` runs.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InterruptBounds {
    /// Runs per check (odd).
    pub trials: usize,
    /// SIGINTs sent as the guest prints its first line; every one must reach it.
    pub sigint_runs: usize,
    /// SIGINT to `wasmer run`'s exit, teardown included, in ms.
    pub sigint_to_exit_ms: f64,
    /// Another thread's `proc_exit` to the process's exit, start-up included, in ms.
    pub proc_exit_to_exit_ms: f64,
    /// How late an alarm's handler may run after the alarm is due, in ms.
    pub alarm_handler_late_ms: f64,
}

/// Peak RSS growth between a short and a long run of blocking calls.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WakerLeakBounds {
    /// Trials (odd; each a short and a long run): every trial must hold.
    pub trials: usize,
    /// Blocking calls of the short run.
    pub short_calls: u32,
    /// Blocking calls of the long run.
    pub long_calls: u32,
    /// Allowed growth of peak RSS from the short to the long run, in KiB.
    pub max_growth_kib: u64,
}

/// Single `poll_oneoff` calls: how late "at once" or "at the deadline" may be.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PollBounds {
    /// Largest time a call that is due (or past its deadline) may take, in ms.
    pub prompt_ms: u64,
    /// A call still blocked after this long counts as hung, in ms.
    pub hang_ms: u64,
}

/// The host's telemetry against the guest's own measurement.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimingReportBounds {
    /// Largest difference of the p50s of host and guest, in µs.
    pub agreement_p50_us: f64,
    /// Largest difference of the p99s of host and guest, in µs.
    pub agreement_p99_us: f64,
}

/// Where the bounds file lives.
pub fn path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../ci/jitter-bounds.toml")
}

/// Reads and parses the bounds file; every trial count must be odd, so that a
/// median is one trial's figure.
pub fn load() -> Result<Bounds, String> {
    let path = path();
    let text =
        std::fs::read_to_string(&path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    let bounds: Bounds = toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    for (section, trials) in [
        ("sleep", bounds.sleep.trials),
        ("gate", bounds.gate.trials),
        ("dispatch", bounds.dispatch.trials),
        ("interrupt", bounds.interrupt.trials),
        ("waker_leak", bounds.waker_leak.trials),
    ] {
        if trials % 2 == 0 {
            return Err(format!(
                "{}: [{section}] trials = {trials}: use an odd number, so the median is a trial",
                path.display()
            ));
        }
    }
    Ok(bounds)
}

/// [`load`], panicking with its one-line reason (for tests).
pub fn get() -> Bounds {
    load().unwrap_or_else(|e| panic!("{e}"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_bounds_file_parses() {
        super::load().unwrap();
    }
}
