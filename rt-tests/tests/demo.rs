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
        assert!(
            line.starts_with(&format!("sleep {:02}/10: slept 1000.", i + 1)),
            "{line}"
        );
        let overshoot = line.split("overshoot ").nth(1).unwrap();
        assert!(!overshoot.starts_with('-'), "woke early: {line}");
    }
    assert!(lines[10].starts_with("overshoot mean "), "{}", lines[10]);
}
