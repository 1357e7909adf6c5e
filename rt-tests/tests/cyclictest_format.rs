//! rt-report speaks cyclictest: its status lines, `--histogram` text and `--json`
//! file are read by the same code (`rt_tests::cyclictest::parse_*`) as the
//! output of Debian's real cyclictest 2.40 in `tests/fixtures/`, recorded with
//!
//! ```text
//! cyclictest -m -p 80 -t 2 -i 1000 -l 2000 -h 200 -q --json=cyclictest-2.40.json > cyclictest-2.40.hist.txt
//! cyclictest -m -p 80 -t 2 -i 1000 -l 2000 -q > cyclictest-2.40.status.txt
//! ```
//!
//! and rt-report takes cyclictest's flags for the same run.

use rt_tests::cyclictest::{self, HistogramText, Json};
use std::path::Path;
use std::process::Command;

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// What both cyclictest's and our histogram text must satisfy: one count per bin
/// and column, totals that add up, and the summary lines for every column.
fn check_histogram(hist: &HistogramText, bins: usize, columns: usize) {
    assert_eq!(hist.columns.len(), columns);
    for (k, column) in hist.columns.iter().enumerate() {
        assert_eq!(column.len(), bins, "column {k}");
        assert_eq!(
            column.iter().sum::<u64>(),
            hist.totals[k],
            "column {k} total"
        );
    }
    for field in [&hist.min_us, &hist.avg_us, &hist.max_us, &hist.overflows] {
        assert_eq!(field.len(), columns);
    }
}

/// And for the JSON file: every thread's histogram adds up to its cycles less
/// the samples beyond the histogram.
fn check_json(json: &Json, threads: usize, cycles: u64) {
    assert_eq!((json.file_version, json.num_threads), (1, threads));
    for (name, thread) in &json.thread {
        let in_bins: u64 = thread.histogram.values().sum();
        assert!(in_bins <= thread.cycles, "thread {name}");
        assert!(thread.min <= thread.max && thread.avg <= thread.max as f64);
        assert!(thread.cycles <= cycles);
    }
}

#[test]
fn cyclictest_s_own_output_parses() {
    let hist = cyclictest::parse_histogram(&fixture("cyclictest-2.40.hist.txt")).unwrap();
    check_histogram(&hist, 200, 2);
    assert_eq!(hist.totals, vec![1996, 2000]);
    assert_eq!(hist.overflows, vec![4, 0]);
    let json = cyclictest::parse_json(&fixture("cyclictest-2.40.json")).unwrap();
    check_json(&json, 2, 2000);
    assert_eq!(json.thread["0"].cycles, 2000);
    let status = cyclictest::parse_status(&fixture("cyclictest-2.40.status.txt")).unwrap();
    assert_eq!(status.len(), 2);
    assert_eq!(
        (status[1].thread, status[1].priority, status[1].interval_us),
        (1, 80, 1500)
    );
    // Our status line is cyclictest's, character for character.
    let line = fixture("cyclictest-2.40.status.txt")
        .lines()
        .find(|l| l.starts_with("T: 0"))
        .unwrap()
        .to_owned();
    assert_eq!(status[0].line(), line);
}

#[test]
fn rt_report_takes_cyclictest_s_flags_and_writes_its_formats() {
    let dir = rt_tests::guests::artifact_dir().join("cyclictest_format");
    std::fs::create_dir_all(&dir).unwrap();
    let (hist_path, json_path) = (dir.join("report.hist"), dir.join("report.json"));
    let out = Command::new(env!("CARGO_BIN_EXE_rt-report"))
        .args([
            "-i", "1000", "-l", "300", "-t", "2", "-d", "500", "-h", "400", "-q",
        ])
        .args(["--no-legacy", "--out-dir"])
        .arg(&dir)
        .arg("--histfile")
        .arg(&hist_path)
        .arg("--json")
        .arg(&json_path)
        .output()
        .expect("running rt-report");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Two columns (native, patched) of two threads each; with -h the distance
    // is ignored, as cyclictest ignores it.
    let status = cyclictest::parse_status(&stdout).unwrap();
    assert_eq!(status.len(), 4, "{stdout}");
    assert_eq!(
        status
            .iter()
            .map(|s| (s.thread, s.interval_us, s.cycles))
            .collect::<Vec<_>>(),
        vec![
            (0, 1000, 300),
            (1, 1000, 300),
            (0, 1000, 300),
            (1, 1000, 300)
        ]
    );
    let hist = cyclictest::parse_histogram(&std::fs::read_to_string(&hist_path).unwrap()).unwrap();
    check_histogram(&hist, 400, 4);
    for (k, total) in hist.totals.iter().enumerate() {
        assert_eq!(total + hist.overflows[k], 300, "column {k}");
    }
    let json = cyclictest::parse_json(&std::fs::read_to_string(&json_path).unwrap()).unwrap();
    check_json(&json, 4, 300);
    for (k, thread) in json.thread.values().enumerate() {
        let in_bins: u64 = thread.histogram.values().sum();
        assert_eq!(in_bins, hist.totals[k], "thread {k}: JSON and text agree");
    }
}

#[test]
fn rt_report_keeps_cyclictest_s_distance_without_a_histogram() {
    let dir = rt_tests::guests::artifact_dir().join("cyclictest_format_distance");
    let out = Command::new(env!("CARGO_BIN_EXE_rt-report"))
        .args([
            "-i",
            "1000",
            "-l",
            "50",
            "-t",
            "2",
            "-d",
            "500",
            "-q",
            "--no-legacy",
        ])
        .arg("--out-dir")
        .arg(&dir)
        .output()
        .expect("running rt-report");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    let intervals: Vec<u64> = cyclictest::parse_status(&stdout)
        .unwrap()
        .iter()
        .map(|s| s.interval_us)
        .collect();
    assert_eq!(intervals, vec![1000, 1500, 1000, 1500]);
}

#[test]
fn rt_report_refuses_bad_cyclictest_flags_with_one_line() {
    for (args, expected) in [
        (&["-D", "5x"][..], "unit must be"),
        (&["-a", "3-1"][..], "backwards"),
        (&["-t", "65"][..], "65 is not in 0..=64"),
        (&["-h", "0"][..], "0 is not in 1..=1000000"),
        (&["-i", "0"][..], "0 is not in 1.."),
        (&["-l", "10", "-D", "5"][..], "cannot be used with"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_rt-report"))
            .args(args)
            .output()
            .expect("running rt-report");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
}
