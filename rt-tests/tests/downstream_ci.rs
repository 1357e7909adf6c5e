//! The downstream CI example in `docs/downstream-timing.yml` works as shown.
//!
//! The test copies the sample guest (`guests/control-loop`, a plain Rust loop of
//! `std::thread::sleep`) and `docs/downstream-timing-bounds.toml` (as
//! `ci/timing-bounds.toml`) into a scratch directory laid out like the user's
//! repository, and runs the `run:` commands of the workflow's steps
//! [`STEPS_RUN`] exactly as written, with bash, with our `wasmer` first on
//! `PATH`. The steps before them (checkout, installing wasmer-rt and the WASI
//! target) need the network and are what `.ci/run` already did here.
//!
//! The control runs the same timing step with a `wasmer` that takes the legacy
//! sleep path (upstream's timer): the job must fail on a broken bound.

use rt_tests::guests::artifact_dir;
use rt_tests::serial;
use rt_tests::wasmer::default_binary;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The workflow steps the test runs, in order.
const STEPS_RUN: [&str; 2] = ["Build the guest", "Check its timing"];

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The `run:` command of the step named `name` (a one-line `run:`).
fn step_command(workflow: &str, name: &str) -> String {
    let mut lines = workflow
        .lines()
        .skip_while(|l| l.trim() != format!("- name: {name}"));
    lines
        .next()
        .unwrap_or_else(|| panic!("no step {name:?} in the workflow"));
    let run = lines.next().and_then(|l| l.trim().strip_prefix("run: "));
    run.unwrap_or_else(|| panic!("step {name:?} has no one-line run:"))
        .to_owned()
}

/// A scratch copy of the user's repository: the guest crate and the bounds.
fn user_repository() -> PathBuf {
    let dir = artifact_dir().join("downstream-ci");
    let _ = std::fs::remove_dir_all(&dir);
    let guest = repo_root().join("rt-tests/guests/control-loop");
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::create_dir_all(dir.join("ci")).unwrap();
    for file in ["Cargo.toml", "src/main.rs"] {
        std::fs::copy(guest.join(file), dir.join(file)).unwrap();
    }
    std::fs::copy(
        repo_root().join("docs/downstream-timing-bounds.toml"),
        dir.join("ci/timing-bounds.toml"),
    )
    .unwrap();
    dir
}

/// Runs `command` with bash in `dir`, with `bin` first on `PATH`.
fn bash(dir: &Path, bin: &Path, command: &str) -> std::process::Output {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut paths = vec![bin.to_path_buf()];
    paths.extend(std::env::split_paths(&path));
    Command::new("bash")
        .args(["-e", "-c", command])
        .current_dir(dir)
        .env("PATH", std::env::join_paths(paths).unwrap())
        // The user's build puts the guest in its own target/.
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .expect("running bash")
}

#[test]
fn the_documented_workflow_builds_an_unmodified_guest_and_checks_its_timing() {
    let _timing = serial::timing();
    let workflow = std::fs::read_to_string(repo_root().join("docs/downstream-timing.yml"))
        .expect("the example workflow");
    let dir = user_repository();
    let wasmer = default_binary();
    let bin = wasmer.parent().unwrap();
    for name in STEPS_RUN {
        let command = step_command(&workflow, name);
        let out = bash(&dir, bin, &command);
        println!("$ {command}\n{}", String::from_utf8_lossy(&out.stderr));
        assert!(
            out.status.success(),
            "step {name:?} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let report = rt_tests::timing_report::TimingReport::read(&dir.join("timing.json"))
        .expect("the timing report");
    assert_eq!(report.threads.len(), 1, "{report:?}");
    let poll = &report.threads[0].calls["poll_oneoff"];
    assert!(
        poll.waits >= 1900,
        "2000 cycles of std::thread::sleep: {poll:?}"
    );
    assert!(
        report.native.is_some(),
        "relative bounds calibrate a native loop"
    );
    let hist = std::fs::read_to_string(dir.join("timing.hist")).expect("the histogram");
    assert!(hist.contains("# Histogram\n") && hist.contains("# Max Latencies:"));
}

#[test]
fn the_documented_timing_step_fails_the_job_when_waits_regress_to_upstreams_timer() {
    let _timing = serial::timing();
    let workflow = std::fs::read_to_string(repo_root().join("docs/downstream-timing.yml"))
        .expect("the example workflow");
    let dir = user_repository();
    let build = bash(
        &dir,
        Path::new("/nonexistent"),
        &step_command(&workflow, STEPS_RUN[0]),
    );
    assert!(
        build.status.success(),
        "{}",
        String::from_utf8_lossy(&build.stderr)
    );
    // A `wasmer` whose `run` takes the legacy sleep path.
    let legacy_bin = dir.join("legacy-bin");
    std::fs::create_dir_all(&legacy_bin).unwrap();
    let wrapper = legacy_bin.join("wasmer");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nshift\nexec '{}' run --legacy-sleep \"$@\"\n",
            default_binary().display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = bash(&dir, &legacy_bin, &step_command(&workflow, STEPS_RUN[1]));
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stderr}");
    assert!(!out.status.success(), "the job must fail: {stderr}");
    assert!(
        stderr.contains("timing bound broken: thread") && stderr.contains(" p50 "),
        "it fails on the p50 bound: {stderr}"
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("2000 cycles"),
        "the guest itself ran to its end"
    );
}
