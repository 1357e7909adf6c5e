//! `cargo xtask ci`: the README's test command, everything CI runs.

use crate::patches;
use crate::snapshots::Tracking;
use crate::workspace::Workspace;
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Instant;

/// Checks the patch series (also every prefix and every PR export against
/// Wasmer's own lint), formatting and clippy lints of our own crates, then
/// builds the patched `wasmer` and every test in release mode (one profile, so
/// dependencies build once), builds upstream's CLI from the pristine crates for the dispatch-cost
/// control, runs every test with insta's snapshot rules, then the unit tests the
/// series adds to the vendored wasmer-wasix, then the jitter gate.
pub fn run(ws: &Workspace) -> Result<()> {
    step("patches check");
    patches::check(ws)?;
    // Wasmer's point of view: every prefix of the series, and every PR of the
    // export on its own base, builds and adds no finding to Wasmer's lint.
    step("patches bisect + upstream export --check (Wasmer's lint on every state)");
    let mut checker = crate::upstream_check::Checker::new(ws)?;
    crate::bisect::run_with(ws, &mut checker)?;
    let export = ws.target_dir().join("upstream-prs");
    crate::export::write(ws, &export)?;
    crate::export::check_with(ws, &export, &mut checker)?;
    step("cargo fmt --check (rt-tests, xtask)");
    cargo(
        ws,
        &[],
        &["fmt", "--check", "-p", "rt-tests", "-p", "xtask"],
    )?;
    // Release profile, like the test build, so build scripts and proc macros
    // compile once for both; vendor/ is never linted (it is upstream's code).
    step("cargo clippy -D warnings (rt-tests, xtask)");
    cargo(
        ws,
        &[],
        &[
            "clippy",
            "--release",
            "--locked",
            "-p",
            "rt-tests",
            "-p",
            "xtask",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
    )?;
    let snapshots = Tracking::start(&ws.target_dir())?;
    let test = [
        "test",
        "--release",
        "--locked",
        "--workspace",
        "--no-fail-fast",
    ];
    step("cargo test --release --locked --workspace --no-run");
    cargo(ws, &snapshots.env(), &[&test[..], &["--no-run"]].concat())?;
    // After the test build, so its scratch target is seeded from target/release
    // and only the two pristine crates compile.
    step("upstream wasmer from the pristine crates (control of tests/dispatch_cost.rs)");
    crate::upstream_build::run(ws)?;
    step("cargo test --release --locked --workspace");
    let records = TestRecords::clear(ws)?;
    let tests = cargo(ws, &snapshots.env(), &test);
    records.print()?;
    tests?;
    step("insta snapshots: none pending, none unreferenced");
    snapshots.check(&[ws.root().join("rt-tests"), ws.root().join("xtask")])?;
    step("vendored wasmer-wasix unit tests");
    crate::vendored_tests::run(ws, false)?;
    jitter_gate(ws, false)?;
    step("all checks passed");
    Ok(())
}

/// The jitter gate: `rt-report --gate`, which prints every run's figures and
/// every bound with its median over the runs, and fails when a median breaks a
/// bound or a run wakes early (`rt_tests::judge`). The last run's report, JSON
/// and plot go to `target/rt-report/jitter-gate.*`.
///
/// With `build`, the binaries are built first (`cargo xtask jitter-gate`); `ci`
/// runs the ones its `cargo test --release --workspace` just built, because a
/// `cargo run -p rt-tests` resolves features differently from the workspace
/// build and would rebuild the CLI.
pub fn jitter_gate(ws: &Workspace, build: bool) -> Result<()> {
    step("jitter gate (ci/jitter-bounds.toml [gate])");
    if build {
        cargo(
            ws,
            &[],
            &["build", "--release", "--locked", "-p", "rt-tests", "--bins"],
        )?;
    }
    let report = ws.target_dir().join("release/rt-report");
    let status = Command::new(&report)
        .args(["--gate", "--name", "jitter-gate"])
        .current_dir(ws.root())
        .status()
        .with_context(|| format!("running {}", report.display()))?;
    if !status.success() {
        bail!("the jitter gate failed ({status}); see the lines above and target/rt-report/");
    }
    Ok(())
}

/// What the timing tests leave in `target/rt-tests/`: every judged check's
/// trials (`*.trials.txt`, from `rt_tests::judge`), their histograms
/// (`*.hist.txt`) and the list of privileged tests skipped under
/// `WASMER_RT_SKIP_PRIVILEGED=1`.
struct TestRecords {
    dir: PathBuf,
}

impl TestRecords {
    /// Removes the records of earlier runs, so that only this run's are printed.
    fn clear(ws: &Workspace) -> Result<Self> {
        let dir = ws.target_dir().join("rt-tests");
        if dir.is_dir() {
            for entry in std::fs::read_dir(&dir)? {
                let path = entry?.path();
                if Self::is_record(&path) {
                    std::fs::remove_file(&path)
                        .with_context(|| format!("removing {}", path.display()))?;
                }
            }
        }
        Ok(TestRecords { dir })
    }

    /// Trials, histograms and the skipped list: what CI uploads, so a restored
    /// cache must not hold an earlier run's.
    fn is_record(path: &Path) -> bool {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        name.ends_with(".trials.txt")
            || name.ends_with(".hist.txt")
            || name == "skipped-privileged.txt"
    }

    /// Prints every check's trials (pass or fail) and how many privileged tests
    /// were skipped.
    fn print(&self) -> Result<()> {
        step("every judged check, every trial (target/rt-tests/*.trials.txt)");
        let mut records: Vec<PathBuf> = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries
                .map(|e| e.map(|e| e.path()))
                .collect::<std::io::Result<_>>()?,
            Err(_) => Vec::new(),
        };
        records.retain(|p| p.to_str().is_some_and(|p| p.ends_with(".trials.txt")));
        records.sort();
        for path in &records {
            print!("{}", std::fs::read_to_string(path)?);
            println!();
        }
        println!("{} judged checks", records.len());
        let skipped =
            std::fs::read_to_string(self.dir.join("skipped-privileged.txt")).unwrap_or_default();
        let skipped: Vec<&str> = skipped.lines().collect();
        if skipped.is_empty() {
            println!("privileged tests: all ran");
        } else {
            println!(
                "privileged tests: {} NOT RUN (WASMER_RT_SKIP_PRIVILEGED=1):",
                skipped.len()
            );
            for line in skipped {
                println!("  {line}");
            }
        }
        Ok(())
    }
}

/// Prints a step's name with the time since the first step, so a CI log shows
/// where the run's minutes go.
fn step(name: &str) {
    static START: OnceLock<Instant> = OnceLock::new();
    let elapsed = START.get_or_init(Instant::now).elapsed().as_secs();
    println!("==> [{:02}:{:02}] {name}", elapsed / 60, elapsed % 60);
}

/// Runs cargo with `envs`, the target directory and `INSTA_UPDATE=no` (CI never
/// writes snapshots).
fn cargo(ws: &Workspace, envs: &[(&str, &Path)], args: &[&str]) -> Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(&cargo)
        .args(args)
        .current_dir(ws.root())
        .envs(envs.iter().copied())
        // Absolute, so the tests (which run in their package's directory) find
        // the same target directory as this tool.
        .env("CARGO_TARGET_DIR", ws.target_dir())
        .env("INSTA_UPDATE", "no")
        .status()
        .with_context(|| format!("running {cargo}"))?;
    if !status.success() {
        bail!("`cargo {}` failed ({status})", args.join(" "));
    }
    Ok(())
}
