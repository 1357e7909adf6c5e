//! The timing bounds in `ci/jitter-bounds.toml`.

use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The bounds file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bounds {
    /// Bounds of the sleep-loop tests.
    pub sleep: SleepBounds,
    /// The jitter gate (`rt-report --gate`).
    pub gate: GateBounds,
    /// Per-call dispatch cost against native (`tests/dispatch_cost.rs`).
    pub dispatch: DispatchBounds,
}

/// How many times the native cost a patched WASI call may take, measured in the
/// same trial, interleaved.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DispatchBounds {
    /// Trials: a check passes if one of up to this many meets every bound (the
    /// upstream control must break every bound in all of them).
    pub best_of: usize,
    /// `clock_time_get(Monotonic)` over the vDSO `clock_gettime`.
    pub clock_time_get_over_native: f64,
    /// `poll_oneoff` on one 1 ns relative clock over a zero-timeout `ppoll`.
    pub poll_oneoff_1ns_over_native: f64,
    /// `fd_write` of 1 byte to stdout on `/dev/null` over `write(2)` there.
    pub fd_write_1b_over_native: f64,
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
    /// Runs: the gate passes if one of up to this many meets every bound.
    pub best_of: usize,
    /// Allowed p50 above native p50, in µs.
    pub p50_over_native_us: f64,
    /// Allowed p90 above native p90, in µs.
    pub p90_over_native_us: f64,
    /// Allowed p99 above native p99, in µs.
    pub p99_over_native_us: f64,
}

/// Loop shape and quantile bounds for the sleep-loop tests.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SleepBounds {
    /// Sleeps per loop.
    pub count: usize,
    /// Period of each sleep, in µs.
    pub period_us: u64,
    /// Trials per check: the guest passes if one of up to this many trials meets
    /// the bounds (the legacy control must fail all of them).
    pub best_of: usize,
    /// Allowed p50 overshoot above native p50, in µs.
    pub p50_over_native_us: i64,
    /// Allowed p90 overshoot above native p90, in µs.
    pub p90_over_native_us: i64,
}

/// Where the bounds file lives.
pub fn path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../ci/jitter-bounds.toml")
}

/// Reads and parses the bounds file.
pub fn load() -> Result<Bounds, String> {
    let path = path();
    let text =
        std::fs::read_to_string(&path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}
