//! Latency histograms: every sample kept in ns, in loop order, for exact
//! quantiles ([`crate::judge::quantile`], the suite's one definition), and counted
//! per whole µs (truncated, as cyclictest does) for reports in cyclictest's
//! layout: 1 µs bins up to a limit, the samples above it counted as overflows
//! with their loop indices.

use std::collections::BTreeMap;
use std::sync::OnceLock;

/// A sample in whole µs, truncated as cyclictest truncates (0 for an early one).
pub fn whole_us(ns: i64) -> u64 {
    ns.max(0) as u64 / 1000
}

/// The overshoot samples of one loop (or several, merged), in ns.
#[derive(Debug, Clone)]
pub struct LatencyHistogram {
    /// Every sample, in loop order.
    order_ns: Vec<i64>,
    /// The samples sorted, built on the first quantile asked for.
    sorted: OnceLock<Vec<i64>>,
    /// Samples below zero: sleeps that ended before their deadline.
    early: u64,
    /// Smallest sample, which may be negative.
    min_ns: i64,
    /// Largest sample.
    max_ns: i64,
    /// Sum of all samples, for the mean.
    sum_ns: i128,
    /// Sample count per whole µs (an early sample counts as 0 µs).
    per_us: BTreeMap<u64, u64>,
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        Self::new()
    }
}

impl LatencyHistogram {
    /// An empty histogram.
    pub fn new() -> Self {
        LatencyHistogram {
            order_ns: Vec::new(),
            sorted: OnceLock::new(),
            early: 0,
            min_ns: i64::MAX,
            max_ns: i64::MIN,
            sum_ns: 0,
            per_us: BTreeMap::new(),
        }
    }

    /// A histogram of `samples` (ns, in loop order).
    pub fn of(samples: &[i64]) -> Self {
        let mut hist = Self::new();
        for &sample in samples {
            hist.record(sample);
        }
        hist
    }

    /// Records one sample, in ns. A negative sample (an early wake-up) counts as
    /// early and goes into the 0 µs bin.
    pub fn record(&mut self, sample_ns: i64) {
        if sample_ns < 0 {
            self.early += 1;
        }
        *self.per_us.entry(whole_us(sample_ns)).or_default() += 1;
        self.order_ns.push(sample_ns);
        self.sorted = OnceLock::new();
        self.min_ns = self.min_ns.min(sample_ns);
        self.max_ns = self.max_ns.max(sample_ns);
        self.sum_ns += i128::from(sample_ns);
    }

    /// Adds the samples of `other` (after this one's, for the cycle numbers).
    pub fn merge(&mut self, other: &LatencyHistogram) {
        self.early += other.early;
        self.min_ns = self.min_ns.min(other.min_ns);
        self.max_ns = self.max_ns.max(other.max_ns);
        self.sum_ns += other.sum_ns;
        for (us, count) in &other.per_us {
            *self.per_us.entry(*us).or_default() += count;
        }
        self.order_ns.extend_from_slice(&other.order_ns);
        self.sorted = OnceLock::new();
    }

    /// Number of samples.
    pub fn len(&self) -> u64 {
        self.order_ns.len() as u64
    }

    /// True if nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.order_ns.is_empty()
    }

    /// Samples that ended before their deadline.
    pub fn early(&self) -> u64 {
        self.early
    }

    /// Smallest sample in ns (0 if empty).
    pub fn min_ns(&self) -> i64 {
        if self.is_empty() { 0 } else { self.min_ns }
    }

    /// Largest sample in ns (0 if empty).
    pub fn max_ns(&self) -> i64 {
        if self.is_empty() { 0 } else { self.max_ns }
    }

    /// Mean sample in ns (0 if empty).
    pub fn mean_ns(&self) -> i64 {
        if self.is_empty() {
            0
        } else {
            (self.sum_ns / i128::from(self.len())) as i64
        }
    }

    /// The sample at quantile `q` (0..=1), in ns, exact ([`crate::judge::quantile`];
    /// 0 if empty).
    pub fn quantile_ns(&self, q: f64) -> i64 {
        let sorted = self.sorted.get_or_init(|| {
            let mut sorted = self.order_ns.clone();
            sorted.sort_unstable();
            sorted
        });
        crate::judge::quantile(sorted, q).unwrap_or(0)
    }

    /// Every sample in ns, in loop order.
    pub fn samples(&self) -> &[i64] {
        &self.order_ns
    }

    /// The largest sample's whole µs (`None` without samples).
    pub fn highest_us(&self) -> Option<u64> {
        self.per_us.keys().next_back().copied()
    }

    /// Sample counts per whole µs, for the µs that have samples.
    pub fn per_us(&self) -> &BTreeMap<u64, u64> {
        &self.per_us
    }

    /// Samples of `limit_us` µs or more: cyclictest's overflows with `-h limit_us`.
    pub fn overflows(&self, limit_us: u64) -> u64 {
        self.per_us.range(limit_us..).map(|(_, count)| count).sum()
    }

    /// 0-based loop indices of the samples of `limit_us` µs or more, in order.
    pub fn overflow_cycles(&self, limit_us: u64) -> Vec<u64> {
        (0u64..)
            .zip(&self.order_ns)
            .filter(|(_, ns)| whole_us(**ns) >= limit_us)
            .map(|(cycle, _)| cycle)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_count_in_whole_microseconds_like_cyclictest() {
        let hist = LatencyHistogram::of(&[-5, 0, 999, 1_000, 80_000, 80_999, 150_000_000]);
        let bins: Vec<(u64, u64)> = hist.per_us().iter().map(|(us, n)| (*us, *n)).collect();
        assert_eq!(bins, vec![(0, 3), (1, 1), (80, 2), (150_000, 1)]);
        assert_eq!((hist.early(), hist.len()), (1, 7));
        assert_eq!(hist.overflows(80), 3);
        assert_eq!(hist.overflow_cycles(81), vec![6]);
        assert_eq!(hist.min_ns(), -5);
    }
}
