//! Histograms as text in cyclictest's `--histogram` format, so the tools that read
//! cyclictest output (plotting scripts, rteval) read ours.
//!
//! The layout is cyclictest's: `# Histogram`, one line per bucket (`%06d` bucket,
//! then one `%06d` count per column, tab-separated), `# Total:`, `# Min/Avg/Max
//! Latencies:`, `# Histogram Overflows:` and the overflow cycle numbers per
//! column ("thread" in cyclictest). Two differences, both announced in comment
//! lines before `# Histogram`: a bucket's number is its lower edge in µs, because
//! the buckets are log-spaced ([`crate::histogram::bucket_edges_us`]) instead of
//! 1 µs wide, and columns are named (native, patched, legacy...) instead of
//! threads. Values are whole µs, truncated like cyclictest's; `# Total:` counts
//! the samples in buckets (overflows excluded), as cyclictest does. An extra
//! `# Early Wakeups:` line counts samples below zero, which cyclictest cannot have.

use crate::histogram::{BUCKETS_PER_DECADE, LatencyHistogram, OVERFLOW_US, bucket_edges_us};
use std::fmt::Write;

/// Overflow cycle numbers listed per column; the rest are counted.
const LISTED_OVERFLOWS: usize = 32;

/// One column of the report.
#[derive(Debug, Clone, Copy)]
pub struct Column<'a> {
    /// What the column measured (no spaces).
    pub name: &'a str,
    /// Its samples.
    pub hist: &'a LatencyHistogram,
}

/// Renders `columns` side by side, with `title` as the first comment line.
pub fn render(title: &str, columns: &[Column<'_>]) -> String {
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
        "# Buckets: lower edge in us, {BUCKETS_PER_DECADE} per decade, overflow at {OVERFLOW_US} us"
    ));
    line(format!(
        "# Early Wakeups:{}",
        per_column(&|h| format!("{:05}", h.early()))
    ));
    line("# Histogram".to_owned());
    let counts: Vec<&[u64]> = columns.iter().map(|c| c.hist.bucket_counts()).collect();
    for (bucket, edge) in bucket_edges_us().iter().enumerate() {
        let cells: Vec<String> = counts.iter().map(|c| format!("{:06}", c[bucket])).collect();
        line(format!("{edge:06} {}", cells.join("\t")));
    }
    line(format!(
        "# Total:{}",
        per_column(&|h| format!("{:09}", h.len() - h.overflows()))
    ));
    line(format!(
        "# Min Latencies:{}",
        per_column(&|h| format!("{:05}", h.min_ns() / 1000))
    ));
    line(format!(
        "# Avg Latencies:{}",
        per_column(&|h| format!("{:05}", h.mean_ns() / 1000))
    ));
    line(format!(
        "# Max Latencies:{}",
        per_column(&|h| format!("{:05}", h.max_ns() / 1000))
    ));
    line(format!(
        "# Histogram Overflows:{}",
        per_column(&|h| format!("{:05}", h.overflows()))
    ));
    line("# Histogram Overflow at cycle number:".to_owned());
    for (thread, column) in columns.iter().enumerate() {
        let cycles = column.hist.overflow_cycles();
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

/// Writes the report to `target/rt-tests/<name>.hist.txt` and returns its path.
pub fn write_artifact(name: &str, report: &str) -> std::path::PathBuf {
    let dir = crate::guests::artifact_dir();
    std::fs::create_dir_all(&dir).expect("creating target/rt-tests");
    let path = dir.join(format!("{name}.hist.txt"));
    std::fs::write(&path, report).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    path
}
