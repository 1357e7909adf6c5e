//! The report of `wasmer run --timing-report`, read back: how late the runtime
//! woke every timed wait of a guest, per guest thread and per call, in µs.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// The whole report.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct TimingReport {
    /// Every timed wait of every thread.
    pub all: WaitSummary,
    /// One entry per guest thread, in the order they were created.
    pub threads: Vec<ThreadReport>,
    /// The native calibration loop, when the bounds needed one.
    pub native: Option<WaitSummary>,
}

/// The waits of one guest thread.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct ThreadReport {
    /// WASI process id.
    pub pid: u32,
    /// WASI thread id.
    pub tid: u32,
    /// Every call together.
    pub all: WaitSummary,
    /// Per call (`poll_oneoff`, `thread_sleep`, `futex_wait`, `epoll_wait`), only
    /// the calls the thread made.
    pub calls: BTreeMap<String, WaitSummary>,
}

/// Counts and overshoot quantiles (µs) of a set of timed waits; the quantiles are
/// absent without waits that ended at their deadline.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct WaitSummary {
    /// Waits that ended at their deadline.
    pub waits: u64,
    /// Waits that ended before their deadline without an event.
    pub early: u64,
    /// Waits that an event ended.
    pub by_event: u64,
    /// Waits whose deadline had passed before they could wait.
    pub expired: u64,
    /// Smallest overshoot.
    pub min: Option<f64>,
    /// Mean overshoot.
    pub mean: Option<f64>,
    /// Median.
    pub p50: Option<f64>,
    /// 90th percentile.
    pub p90: Option<f64>,
    /// 99th percentile.
    pub p99: Option<f64>,
    /// 99.9th percentile.
    pub p99_9: Option<f64>,
    /// 99.99th percentile.
    pub p99_99: Option<f64>,
    /// Largest overshoot.
    pub max: Option<f64>,
    /// Count per 1 µs bin (only bins with samples), keyed by the bin in µs as
    /// text, as in cyclictest's JSON.
    #[serde(default)]
    pub histogram: BTreeMap<String, u64>,
    /// The native loop's period (µs), in `native` only.
    pub period: Option<f64>,
}

impl TimingReport {
    /// Reads the report at `path`.
    pub fn read(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("reading {}: {e}", path.display()))?;
        serde_json::from_str(&text).map_err(|e| format!("parsing {}: {e}", path.display()))
    }
}
