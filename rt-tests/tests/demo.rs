//! The README's demo: ten 1 s sleeps, each printed with its overshoot.

use rt_tests::{child, guests};
use std::process::Command;

#[test]
fn demo_prints_ten_sleeps_that_never_end_early() {
    let guest = guests::compile("sleep_demo", "sleep_demo", &[]);
    let run = child::run(
        Command::new(env!("CARGO_BIN_EXE_wasmer"))
            .arg("run")
            .arg(&guest),
    )
    .expect("spawning wasmer");
    assert!(run.status.success(), "{:?}\n{}", run.status, run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 11, "{}", run.stdout);
    for (i, line) in lines[..10].iter().enumerate() {
        let prefix = format!("sleep {:02}/10: slept ", i + 1);
        let slept_ms: f64 = line
            .strip_prefix(&prefix)
            .and_then(|rest| rest.split(" ms, overshoot ").next())
            .and_then(|ms| ms.parse().ok())
            .unwrap_or_else(|| panic!("unexpected line: {line}"));
        assert!(slept_ms >= 1000.0, "woke before the deadline: {line}");
    }
    assert!(lines[10].starts_with("overshoot mean "), "{}", lines[10]);
}
