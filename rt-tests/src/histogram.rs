//! Latency histograms: every sample kept in an [`hdrhistogram`] (ns, three
//! significant digits) for quantiles, and counted exactly in fixed, log-spaced
//! microsecond buckets (see [`bucket_edges_us`]) for reports, so that histograms
//! from different runs and machines line up bucket for bucket.

use hdrhistogram::Histogram;
use std::sync::LazyLock;

/// Buckets per decade of the report layout.
pub const BUCKETS_PER_DECADE: u32 = 10;

/// Samples at or above this many µs are overflows (100 ms).
pub const OVERFLOW_US: u64 = 100_000;

/// Highest value the underlying histogram tracks exactly enough (10 s, in ns);
/// larger samples are clamped to it (they are overflows anyway).
const HIGHEST_NS: u64 = 10_000_000_000;

static EDGES: LazyLock<Vec<u64>> = LazyLock::new(|| {
    let decades = OVERFLOW_US.ilog10() * BUCKETS_PER_DECADE;
    let mut edges = vec![0];
    for step in 0..decades {
        let edge = 10f64
            .powf(f64::from(step) / f64::from(BUCKETS_PER_DECADE))
            .round() as u64;
        if edges.last() != Some(&edge) {
            edges.push(edge);
        }
    }
    edges
});

/// Lower edges, in µs, of the report buckets: 0, then [`BUCKETS_PER_DECADE`]
/// log-spaced edges per decade from 1 µs up to [`OVERFLOW_US`] (rounded to whole
/// µs, duplicates removed). Bucket `i` holds samples in `[edges[i], edges[i+1])`;
/// the last one ends at [`OVERFLOW_US`].
pub fn bucket_edges_us() -> &'static [u64] {
    &EDGES
}

/// The overshoot samples of one loop (or several, merged), in ns.
#[derive(Debug, Clone)]
pub struct LatencyHistogram {
    hist: Histogram<u64>,
    /// Samples below zero: sleeps that ended before their deadline.
    early: u64,
    /// Smallest sample, which may be negative.
    min_ns: i64,
    /// Largest sample.
    max_ns: i64,
    /// Sum of all samples, for the mean.
    sum_ns: i128,
    /// 0-based indices of the samples at or above [`OVERFLOW_US`].
    overflow_at: Vec<u64>,
    /// Exact counts per report bucket, aligned with [`bucket_edges_us`].
    buckets: Vec<u64>,
    recorded: u64,
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
            hist: Histogram::new_with_bounds(1, HIGHEST_NS, 3).expect("valid histogram bounds"),
            early: 0,
            min_ns: i64::MAX,
            max_ns: i64::MIN,
            sum_ns: 0,
            overflow_at: Vec::new(),
            buckets: vec![0; bucket_edges_us().len()],
            recorded: 0,
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
    /// early and goes into the 0 bucket.
    pub fn record(&mut self, sample_ns: i64) {
        if sample_ns < 0 {
            self.early += 1;
        }
        let us = sample_ns.max(0) as u64 / 1000;
        if us >= OVERFLOW_US {
            self.overflow_at.push(self.recorded);
        } else {
            self.buckets[bucket_edges_us().partition_point(|&edge| edge <= us) - 1] += 1;
        }
        self.hist
            .saturating_record((sample_ns.max(0) as u64).min(HIGHEST_NS));
        self.min_ns = self.min_ns.min(sample_ns);
        self.max_ns = self.max_ns.max(sample_ns);
        self.sum_ns += i128::from(sample_ns);
        self.recorded += 1;
    }

    /// Number of samples.
    pub fn len(&self) -> u64 {
        self.recorded
    }

    /// True if nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.recorded == 0
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
            (self.sum_ns / i128::from(self.recorded)) as i64
        }
    }

    /// The sample at quantile `q` (0..=1), in ns, to three significant digits.
    pub fn quantile_ns(&self, q: f64) -> u64 {
        self.hist.value_at_quantile(q)
    }

    /// Samples at or above [`OVERFLOW_US`].
    pub fn overflows(&self) -> u64 {
        self.overflow_at.len() as u64
    }

    /// 0-based loop indices of the overflowing samples, in order.
    pub fn overflow_cycles(&self) -> &[u64] {
        &self.overflow_at
    }

    /// Sample counts per report bucket, aligned with [`bucket_edges_us`]
    /// (overflows not included).
    pub fn bucket_counts(&self) -> &[u64] {
        &self.buckets
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edges_are_increasing_and_log_spaced() {
        let edges = bucket_edges_us();
        assert_eq!(&edges[..4], &[0, 1, 2, 3]);
        assert!(edges.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(*edges.last().unwrap(), 79_433);
        assert!(edges.contains(&1000) && edges.contains(&100));
    }

    #[test]
    fn samples_land_in_their_buckets() {
        let hist = LatencyHistogram::of(&[-5, 0, 999, 1_000, 80_000, 81_000, 150_000_000]);
        let edges = bucket_edges_us();
        let counts = hist.bucket_counts();
        let at = |us: u64| counts[edges.iter().position(|&e| e == us).unwrap()];
        assert_eq!(at(0), 3, "early, 0 and 999 ns");
        assert_eq!(at(1), 1);
        assert_eq!(at(79), 2);
        assert_eq!(at(1000), 0);
        assert_eq!(counts.iter().sum::<u64>(), 6);
        assert_eq!((hist.early(), hist.overflows()), (1, 1));
        assert_eq!(hist.overflow_cycles(), &[6]);
        assert_eq!(hist.min_ns(), -5);
    }
}
