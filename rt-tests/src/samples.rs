//! Sleep samples: what the loop guests print, what the native loops measure, and
//! the quantiles the suite and the benchmark compare.
//!
//! A sample is the wake-up time minus the deadline, in nanoseconds, as an `i64`:
//! a negative sample means the sleep ended early.

use crate::judge;
use std::fmt;

/// The samples of one loop run, and its total duration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoopRun {
    /// Wake-up time minus deadline for every sleep, in order.
    pub samples: Vec<i64>,
    /// Time from the loop's start to its last wake-up, in ns.
    pub elapsed: i64,
}

impl LoopRun {
    /// Parses a loop guest's output: `sample <ns>` lines and one `elapsed <ns>` line.
    pub fn parse(output: &str) -> Result<Self, String> {
        let mut run = LoopRun::default();
        let mut elapsed = None;
        for line in output.lines() {
            let (key, value) = line
                .split_once(' ')
                .ok_or_else(|| format!("unexpected line {line:?}"))?;
            let value: i64 = value
                .parse()
                .map_err(|e| format!("bad number in {line:?}: {e}"))?;
            match key {
                "sample" => run.samples.push(value),
                "elapsed" => elapsed = Some(value),
                _ => return Err(format!("unexpected line {line:?}")),
            }
        }
        run.elapsed = elapsed.ok_or("no `elapsed` line")?;
        Ok(run)
    }

    /// Parses the output of a guest with several loop threads: for each thread, a
    /// `thread <n>` line (n = 0, 1, ... in order), then its loop output.
    pub fn parse_threads(output: &str) -> Result<Vec<Self>, String> {
        let mut blocks: Vec<String> = Vec::new();
        for line in output.lines() {
            if let Some(n) = line.strip_prefix("thread ") {
                if n.trim() != blocks.len().to_string() {
                    return Err(format!("unexpected line {line:?}"));
                }
                blocks.push(String::new());
            } else {
                let block = blocks
                    .last_mut()
                    .ok_or_else(|| format!("{line:?} before the first `thread` line"))?;
                block.push_str(line);
                block.push('\n');
            }
        }
        if blocks.is_empty() {
            return Err("no `thread` line".to_owned());
        }
        blocks.iter().map(|block| Self::parse(block)).collect()
    }

    /// How far the loop ran behind its ideal schedule of `count × period`, in ns.
    pub fn drift(&self, period_ns: i64) -> i64 {
        self.elapsed - period_ns * self.samples.len() as i64
    }

    /// The quantile summary of the samples.
    pub fn summary(&self) -> Summary {
        Summary::of(&self.samples)
    }
}

/// Quantiles of a set of samples, in ns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Summary {
    /// Number of samples.
    pub count: usize,
    /// Smallest sample.
    pub min: i64,
    /// Median.
    pub p50: i64,
    /// 90th percentile.
    pub p90: i64,
    /// 99th percentile.
    pub p99: i64,
    /// Largest sample.
    pub max: i64,
}

impl Summary {
    /// Summarises `samples` with the suite's quantile ([`judge::quantile`]).
    /// Empty input gives all zeros: judge the sample count first
    /// ([`judge::enough_samples`]).
    pub fn of(samples: &[i64]) -> Self {
        let mut sorted = samples.to_vec();
        sorted.sort_unstable();
        let rank = |q: f64| judge::quantile(&sorted, q).unwrap_or(0);
        Summary {
            count: sorted.len(),
            min: sorted.first().copied().unwrap_or(0),
            p50: rank(0.50),
            p90: rank(0.90),
            p99: rank(0.99),
            max: sorted.last().copied().unwrap_or(0),
        }
    }

    /// The per-field median of several summaries (for "median of K trials",
    /// [`judge::median`], as the tests judge their trials).
    pub fn median_of(trials: &[Summary]) -> Self {
        let field = |f: fn(&Summary) -> i64| {
            let values: Vec<f64> = trials.iter().map(|t| f(t) as f64).collect();
            judge::median(&values).map_or(0, |m| m.round() as i64)
        };
        Summary {
            count: trials.iter().map(|t| t.count).sum(),
            min: field(|s| s.min),
            p50: field(|s| s.p50),
            p90: field(|s| s.p90),
            p99: field(|s| s.p99),
            max: field(|s| s.max),
        }
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let us = |ns: i64| ns as f64 / 1e3;
        write!(
            f,
            "min {:>9.1}  p50 {:>9.1}  p90 {:>9.1}  p99 {:>9.1}  max {:>9.1} us",
            us(self.min),
            us(self.p50),
            us(self.p90),
            us(self.p99),
            us(self.max)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_loops_of_several_threads_in_order() {
        let runs = LoopRun::parse_threads(
            "thread 0\nsample 5\nelapsed 9\nthread 1\nsample 7\nelapsed 8\n",
        )
        .unwrap();
        assert_eq!(runs.len(), 2);
        assert_eq!((runs[1].samples.as_slice(), runs[1].elapsed), (&[7][..], 8));
        assert!(LoopRun::parse_threads("thread 1\nelapsed 1\n").is_err());
        assert!(LoopRun::parse_threads("sample 1\n").is_err());
        assert!(LoopRun::parse_threads("").is_err());
    }

    #[test]
    fn parses_loop_output() {
        let run = LoopRun::parse("sample 5\nsample -2\nelapsed 2003\n").unwrap();
        assert_eq!(run.samples, [5, -2]);
        assert_eq!(run.drift(1000), 3);
        assert!(LoopRun::parse("sample x\n").is_err());
        assert!(LoopRun::parse("sample 1\n").is_err());
    }

    #[test]
    fn nearest_rank_quantiles() {
        let samples: Vec<i64> = (1..=100).collect();
        let s = Summary::of(&samples);
        assert_eq!((s.min, s.p50, s.p90, s.p99, s.max), (1, 50, 90, 99, 100));
        assert_eq!(Summary::of(&[]), Summary::default());
    }
}
