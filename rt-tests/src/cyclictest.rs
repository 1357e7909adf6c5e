//! cyclictest's output formats, written and read: the `--histogram` text, the
//! `T:` status lines and the `--json` file, so that tools (and people) that read
//! cyclictest's output read ours. `tests/fixtures/cyclictest-*` were recorded from
//! Debian's real cyclictest; the tests parse them and our output with the same
//! functions below.
//!
//! The layouts are cyclictest's (rt-tests 2.x): 1 µs bins `0..limit` one per line
//! (`%06d` bin, then one `%06d` count per column, tab-separated), `# Total:`,
//! `# Min/Avg/Max Latencies:`, `# Histogram Overflows:` and the overflow cycle
//! numbers per column. Values are whole µs, truncated as cyclictest truncates.
//! Ours adds comment lines before `# Histogram` (a title, the column names, early
//! wake-ups, which cyclictest cannot have), as cyclictest itself writes comment
//! lines there.

use crate::histogram::{LatencyHistogram, whole_us};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt::Write;

/// Overflow cycle numbers listed per column; the rest are counted.
const LISTED_OVERFLOWS: usize = 32;

/// One column of a report: cyclictest's thread.
#[derive(Debug, Clone, Copy)]
pub struct Column<'a> {
    /// What the column measured (no spaces), e.g. `patched/T0`.
    pub name: &'a str,
    /// Its samples.
    pub hist: &'a LatencyHistogram,
}

/// The bin limit cyclictest's `-h` would need to hold every sample of `columns`:
/// one more than the largest whole µs (at least 1).
pub fn limit_for(columns: &[Column<'_>]) -> u64 {
    columns
        .iter()
        .filter_map(|c| c.hist.highest_us())
        .max()
        .map_or(1, |us| us + 1)
}

/// The `--histogram=limit_us` text of `columns` (for cyclictest's `-H`, pass a
/// column with every thread's samples too).
pub fn render(title: &str, columns: &[Column<'_>], limit_us: u64) -> String {
    let mut out = String::new();
    let mut line = |text: String| {
        out.push_str(&text);
        out.push('\n');
    };
    let per_column = |f: &dyn Fn(&LatencyHistogram) -> String| -> String {
        columns.iter().map(|c| format!(" {}", f(c.hist))).collect()
    };
    line(format!("# {title}"));
    line(format!(
        "# Columns:{}",
        columns
            .iter()
            .map(|c| format!(" {}", c.name))
            .collect::<String>()
    ));
    line(format!(
        "# Early Wakeups:{}",
        per_column(&|h| format!("{:05}", h.early()))
    ));
    line("# Histogram".to_owned());
    for us in 0..limit_us {
        let cells: Vec<String> = columns
            .iter()
            .map(|c| format!("{:06}", c.hist.per_us().get(&us).copied().unwrap_or(0)))
            .collect();
        line(format!("{us:06} {}", cells.join("\t")));
    }
    line(format!(
        "# Total:{}",
        per_column(&|h| format!("{:09}", h.len() - h.overflows(limit_us)))
    ));
    line(format!(
        "# Min Latencies:{}",
        per_column(&|h| format!("{:05}", whole_us(h.min_ns())))
    ));
    line(format!(
        "# Avg Latencies:{}",
        per_column(&|h| format!("{:05}", whole_us(h.mean_ns())))
    ));
    line(format!(
        "# Max Latencies:{}",
        per_column(&|h| format!("{:05}", whole_us(h.max_ns())))
    ));
    line(format!(
        "# Histogram Overflows:{}",
        per_column(&|h| format!("{:05}", h.overflows(limit_us)))
    ));
    line("# Histogram Overflow at cycle number:".to_owned());
    for (thread, column) in columns.iter().enumerate() {
        let cycles = column.hist.overflow_cycles(limit_us);
        let mut text = format!("# Thread {thread}:");
        for cycle in cycles.iter().take(LISTED_OVERFLOWS) {
            let _ = write!(text, " {cycle:05}");
        }
        if cycles.len() > LISTED_OVERFLOWS {
            let _ = write!(text, " # {:05} others", cycles.len() - LISTED_OVERFLOWS);
        }
        line(text);
    }
    out
}

/// What a `T:` status line says about one measuring thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// Thread number.
    pub thread: usize,
    /// Its OS thread id (0 for a guest thread, which has no host id of its own).
    pub tid: u64,
    /// SCHED_FIFO priority (0 without).
    pub priority: u8,
    /// Interval in µs.
    pub interval_us: u64,
    /// Cycles done.
    pub cycles: u64,
    /// Smallest, last, mean and largest latency, in whole µs.
    pub min_us: u64,
    /// The last cycle's latency.
    pub act_us: u64,
    /// Mean latency.
    pub avg_us: u64,
    /// Largest latency.
    pub max_us: u64,
}

impl Status {
    /// The status of measuring thread `thread` from its samples (`last_ns` is
    /// the last one).
    pub fn of(
        thread: usize,
        tid: u64,
        priority: u8,
        interval_us: u64,
        hist: &LatencyHistogram,
        last_ns: i64,
    ) -> Self {
        Status {
            thread,
            tid,
            priority,
            interval_us,
            cycles: hist.len(),
            min_us: whole_us(hist.min_ns()),
            act_us: whole_us(last_ns),
            avg_us: whole_us(hist.mean_ns()),
            max_us: whole_us(hist.max_ns()),
        }
    }

    /// cyclictest's status line, e.g.
    /// `T: 0 (11046) P:80 I:1000 C:   2000 Min:     14 Act:   20 Avg:   29 Max:      66`.
    pub fn line(&self) -> String {
        format!(
            "T:{:2} ({:5}) P:{:2} I:{} C:{:7} Min:{:7} Act:{:5} Avg:{:5} Max:{:8}",
            self.thread,
            self.tid,
            self.priority,
            self.interval_us,
            self.cycles,
            self.min_us,
            self.act_us,
            self.avg_us,
            self.max_us
        )
    }
}

/// Reads the `T:` lines of cyclictest's output (other lines are skipped).
pub fn parse_status(text: &str) -> Result<Vec<Status>, String> {
    text.lines()
        .filter(|line| line.starts_with("T:"))
        .map(|line| {
            let bad = || format!("not a cyclictest status line: {line:?}");
            let (thread, rest) = line["T:".len()..].split_once('(').ok_or_else(bad)?;
            let (tid, rest) = rest.split_once(')').ok_or_else(bad)?;
            let mut fields = BTreeMap::new();
            let mut words = rest.split_whitespace();
            while let Some(word) = words.next() {
                let (key, value) = match word.split_once(':') {
                    Some((key, "")) => (key, words.next().ok_or_else(bad)?),
                    Some((key, value)) => (key, value),
                    None => return Err(bad()),
                };
                fields.insert(key, value.parse::<u64>().map_err(|_| bad())?);
            }
            let field = |key: &str| fields.get(key).copied().ok_or_else(bad);
            Ok(Status {
                thread: thread.trim().parse().map_err(|_| bad())?,
                tid: tid.trim().parse().map_err(|_| bad())?,
                priority: u8::try_from(field("P")?).map_err(|_| bad())?,
                interval_us: field("I")?,
                cycles: field("C")?,
                min_us: field("Min")?,
                act_us: field("Act")?,
                avg_us: field("Avg")?,
                max_us: field("Max")?,
            })
        })
        .collect()
}

/// A `--histogram` text, read back.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HistogramText {
    /// Per column, the count of each 1 µs bin (every bin up to the limit).
    pub columns: Vec<Vec<u64>>,
    /// `# Total:` per column.
    pub totals: Vec<u64>,
    /// `# Min Latencies:` per column.
    pub min_us: Vec<u64>,
    /// `# Avg Latencies:` per column.
    pub avg_us: Vec<u64>,
    /// `# Max Latencies:` per column.
    pub max_us: Vec<u64>,
    /// `# Histogram Overflows:` per column.
    pub overflows: Vec<u64>,
}

/// Reads a `--histogram` text: the bin lines after `# Histogram` and the summary
/// lines, each with one value per column. Other comment lines and status lines
/// (`T:`, `policy:`) are skipped; anything else is an error.
pub fn parse_histogram(text: &str) -> Result<HistogramText, String> {
    let numbers = |rest: &str, what: &str| -> Result<Vec<u64>, String> {
        rest.split_whitespace()
            .map(|n| n.parse().map_err(|_| format!("bad number {n:?} in {what}")))
            .collect()
    };
    let mut parsed = HistogramText::default();
    let mut in_bins = false;
    for line in text.lines() {
        if line == "# Histogram" {
            in_bins = true;
            continue;
        }
        if let Some(comment) = line.strip_prefix('#') {
            in_bins = false;
            let comment = comment.trim_start();
            for (prefix, field) in [
                ("Total:", &mut parsed.totals),
                ("Min Latencies:", &mut parsed.min_us),
                ("Avg Latencies:", &mut parsed.avg_us),
                ("Max Latencies:", &mut parsed.max_us),
                ("Histogram Overflows:", &mut parsed.overflows),
            ] {
                if let Some(rest) = comment.strip_prefix(prefix) {
                    *field = numbers(rest, prefix)?;
                }
            }
            continue;
        }
        if line.trim().is_empty() || line.starts_with("T:") || line.starts_with("policy:") {
            continue;
        }
        if !in_bins {
            return Err(format!("{line:?} is outside the `# Histogram` lines"));
        }
        let values = numbers(line, "a histogram line")?;
        let (&bin, counts) = values
            .split_first()
            .ok_or_else(|| format!("empty histogram line {line:?}"))?;
        if bin as usize != parsed.columns.first().map_or(0, Vec::len) {
            return Err(format!("histogram line {line:?} is out of order"));
        }
        if parsed.columns.is_empty() {
            parsed.columns = vec![Vec::new(); counts.len()];
        }
        if counts.len() != parsed.columns.len() {
            return Err(format!(
                "histogram line {line:?} has a different column count"
            ));
        }
        for (column, &count) in parsed.columns.iter_mut().zip(counts) {
            column.push(count);
        }
    }
    if parsed.columns.is_empty() {
        return Err("no `# Histogram` lines".to_owned());
    }
    for (name, field) in [
        ("Total", &parsed.totals),
        ("Min Latencies", &parsed.min_us),
        ("Avg Latencies", &parsed.avg_us),
        ("Max Latencies", &parsed.max_us),
        ("Histogram Overflows", &parsed.overflows),
    ] {
        if field.len() != parsed.columns.len() {
            return Err(format!("`# {name}:` does not have one value per column"));
        }
    }
    Ok(parsed)
}

/// cyclictest's `--json` file (the fields we read; more are allowed).
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct Json {
    /// Layout version (1).
    pub file_version: u32,
    /// Number of measuring threads.
    pub num_threads: usize,
    /// Per thread number (`"0"`, `"1"`...).
    pub thread: BTreeMap<String, JsonThread>,
}

/// One thread of cyclictest's `--json` file.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct JsonThread {
    /// Count per µs bin (only bins with samples), keyed by the bin as text.
    #[serde(default)]
    pub histogram: BTreeMap<String, u64>,
    /// Cycles done.
    pub cycles: u64,
    /// Smallest latency, whole µs.
    pub min: u64,
    /// Largest latency, whole µs.
    pub max: u64,
    /// Mean latency, µs.
    pub avg: f64,
}

/// Reads a `--json` file.
pub fn parse_json(text: &str) -> Result<Json, String> {
    let json: Json = serde_json::from_str(text).map_err(|e| format!("not cyclictest JSON: {e}"))?;
    if json.thread.len() != json.num_threads {
        return Err(format!(
            "num_threads is {} but there are {} threads",
            json.num_threads,
            json.thread.len()
        ));
    }
    Ok(json)
}

/// One thread of our `--json` file: cyclictest's fields, and ours.
pub fn json_thread(column: &Column<'_>, limit_us: u64) -> serde_json::Value {
    let hist = column.hist;
    let histogram: serde_json::Map<String, serde_json::Value> = hist
        .per_us()
        .range(..limit_us)
        .map(|(bin, count)| (bin.to_string(), (*count).into()))
        .collect();
    let quantile = |q: f64| (hist.quantile_ns(q) as f64 / 100.0).round() / 10.0;
    serde_json::json!({
        "histogram": histogram,
        "cycles": hist.len(),
        "min": whole_us(hist.min_ns()),
        "max": whole_us(hist.max_ns()),
        "avg": (hist.mean_ns() as f64 / 10.0).round() / 100.0,
        "column": column.name,
        "early": hist.early(),
        "overflows": hist.overflows(limit_us),
        "p50": quantile(0.5),
        "p90": quantile(0.9),
        "p99": quantile(0.99),
        "p99_9": quantile(0.999),
        "p99_99": quantile(0.9999),
    })
}

/// Writes the report to `target/rt-tests/<name>.hist.txt` and returns its path.
pub fn write_artifact(name: &str, report: &str) -> std::path::PathBuf {
    let dir = crate::guests::artifact_dir();
    std::fs::create_dir_all(&dir).expect("creating target/rt-tests");
    let path = dir.join(format!("{name}.hist.txt"));
    std::fs::write(&path, report).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "# Histogram\n000000 000001\n000001 000002\n# Total: 000000003\n\
                        # Min Latencies: 00000\n# Avg Latencies: 00000\n# Max Latencies: 00001\n\
                        # Histogram Overflows: 00000\n";

    #[test]
    fn a_histogram_needs_every_summary_line_and_no_stray_lines() {
        let parsed = parse_histogram(GOOD).unwrap();
        assert_eq!((parsed.columns, parsed.totals), (vec![vec![1, 2]], vec![3]));
        let without_max = GOOD.replace("# Max Latencies: 00001\n", "");
        assert!(
            parse_histogram(&without_max)
                .unwrap_err()
                .contains("Max Latencies")
        );
        let stray = format!("{GOOD}000002 000009\n");
        assert!(parse_histogram(&stray).unwrap_err().contains("outside"));
        let shuffled = GOOD.replace("000001 000002", "000007 000002");
        assert!(
            parse_histogram(&shuffled)
                .unwrap_err()
                .contains("out of order")
        );
        assert!(parse_histogram("").is_err());
    }

    #[test]
    fn status_lines_round_trip() {
        let status = Status {
            thread: 3,
            tid: 4242,
            priority: 80,
            interval_us: 2500,
            cycles: 12,
            min_us: 1,
            act_us: 2,
            avg_us: 3,
            max_us: 40,
        };
        assert_eq!(parse_status(&status.line()).unwrap(), vec![status]);
        assert!(parse_status("T: x").is_err());
    }
}
