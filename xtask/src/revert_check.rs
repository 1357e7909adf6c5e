//! `cargo xtask revert-check [PATCH...]`: proves the suite can see every patch.
//!
//! The suite first runs on the whole series (the baseline). Then, for each named
//! patch (default: the whole series), it lays out a copy of the committed workspace
//! (`HEAD`) under `target/revert-check/tree/` whose `vendor/` is the pristine crates
//! plus the series with that patch's behaviour taken away, runs the suite there
//! (`cargo test --release --locked -p rt-tests`, which stops after the first test
//! binary with a failure; the whole suite again when that failure proves nothing),
//! and classifies what failed. The behaviour is taken away in one of two ways:
//! - **in place**, when `ci/reverts/<patch>.diff` exists: the whole series, then that
//!   diff, which undoes what the patch does and keeps the API that later patches and
//!   rt-tests use. The foundations of the series need this: leaving them out would
//!   leave out half the series with them, or not build;
//! - **left out** otherwise. If a later patch then does not apply, that is "does not
//!   apply" (the patch needs a revert diff), never a proof.
//!
//! Outcomes, of which only the first is proof:
//! - SEEN: a test that passed in the baseline fails on a broken bound or a failed
//!   assertion, and fails again when run once more in the same tree;
//! - SEEN ONLY AS INVALID: the only new failures are runs the judge called invalid
//!   (a hang, a crash, too few samples): something broke, but no bound saw it;
//! - NOT CONFIRMED: the tests that saw it did not fail on a bound or an assertion
//!   when run again (`<patch>.again.log`);
//! - DOES NOT APPLY, DOES NOT BUILD, NOT SEEN (every test passes).
//!
//! A test that fails in the baseline counts for nothing afterwards, and is named.
//! The baseline runs the whole suite once per commit; its failing tests are kept in
//! `target/revert-check/baseline-<commit>.txt` for later runs on the same commit.
//! Each run's log goes to `target/revert-check/<patch>.log`; the summary gives every
//! verdict with the tests behind it and the time it took.
//!
//! Two things keep the verdicts about the patch and nothing else:
//! - One tree is rewritten for every run, and the runs share the scratch target
//!   directory (`crate::scratch`), so only the vendored crates and our crates
//!   rebuild. Rewriting the same paths matters: `git archive` gives every file the
//!   commit's time, and build scripts record absolute paths, so separate copies
//!   would let cargo reuse one copy's build for the next.
//! - Only rt-tests runs: xtask's own tests check the real series (vendor equality),
//!   which a changed tree breaks by construction. The controls that run upstream's
//!   CLI get it through `WASMER_RT_UPSTREAM` (built first if missing).
//!
//! It is slow (a build and a suite run per patch), so CI does not run it; CI checks
//! that every revert diff still applies (`patches check`), and the result goes into
//! the closing note of the work it proves.

use crate::manifest::Manifest;
use crate::monorepo::{Monorepo, copy_tree};
use crate::patches;
use crate::series::Series;
use crate::workspace::Workspace;
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Where the in-place revert diffs live, one per patch that needs one.
const REVERTS_DIR: &str = "ci/reverts";

/// How a run takes a patch's behaviour away.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Change {
    /// Nothing: the whole series (the baseline).
    None,
    /// The whole series, then this revert diff.
    RevertInPlace(PathBuf),
    /// The series without this patch.
    LeaveOut(String),
}

/// A test that failed, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    test: String,
    /// The judge called the run invalid (a hang, a crash, too few samples).
    invalid: bool,
}

/// What happened to the suite in one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Tests that pass in the baseline failed: the suite sees the patch. The proof,
    /// when at least one of them broke a bound or an assertion.
    Failed(Vec<Failure>),
    /// A patch or a revert diff does not apply: no proof either way.
    DoesNotApply(String),
    /// The tree does not build (these crates): no proof either way.
    DoesNotBuild(Vec<String>),
    /// The suite passed: it cannot see the patch.
    NotSeen,
    /// The tests that saw it (these) did not fail on a bound or an assertion when
    /// run again: a flaky test, not a proof.
    Unconfirmed(Vec<String>),
}

impl Outcome {
    fn is_proof(&self) -> bool {
        matches!(self, Outcome::Failed(f) if f.iter().any(|f| !f.invalid))
    }
}

/// One patch's verdict.
#[derive(Debug)]
struct Verdict {
    patch: String,
    in_place: bool,
    outcome: Outcome,
    took: Duration,
}

/// Runs the check for `names` (patch file names or their stems; empty: all).
pub fn run(ws: &Workspace, names: &[String]) -> Result<()> {
    // rt-tests comes from HEAD (`git archive`), the rest from these paths: they
    // must be HEAD's too, for the baseline to be the commit's.
    let changed = crate::git::Git::open(ws.root()).run([
        "status",
        "--porcelain",
        "--",
        "patches",
        REVERTS_DIR,
        "vendor/crates.toml",
    ])?;
    if !changed.trim().is_empty() {
        bail!("commit these first; revert-check checks a commit:\n{changed}");
    }
    let series = Series::load(&ws.patches_dir())?;
    let chosen = choose(series.entries(), names)?;
    let root = ws.target_dir().join("revert-check");
    let target_dir = crate::scratch::target_dir(ws)?;
    let upstream = ws.target_dir().join("upstream/wasmer");
    if !upstream.is_file() {
        crate::upstream_build::run(ws)?;
    }
    let started = Instant::now();
    let run_with = |change: &Change, log: &str, suite: Suite| -> Result<Outcome> {
        let run = Run {
            dir: &root.join("tree"),
            log: &root.join(log),
            target_dir: &target_dir,
            upstream: &upstream,
            suite,
        };
        check_one(ws, &series, change, &run)
    };

    let unreliable = baseline(ws, &root, |log| run_with(&Change::None, log, Suite::Whole))?;

    let mut verdicts = Vec::new();
    for name in &chosen {
        let revert = ws
            .root()
            .join(REVERTS_DIR)
            .join(format!("{}.diff", stem(name)));
        let change = if revert.is_file() {
            println!(
                "==> {name} reverted in place ({REVERTS_DIR}/{}.diff)",
                stem(name)
            );
            Change::RevertInPlace(revert)
        } else {
            println!("==> without {name}");
            Change::LeaveOut(name.clone())
        };
        let start = Instant::now();
        let first = run_with(
            &change,
            &format!("{}.log", stem(name)),
            Suite::UntilFirstFailure,
        )?;
        let confirm = |outcome: Outcome| -> Result<Outcome> {
            if !outcome.is_proof() {
                return Ok(outcome);
            }
            let rerun = Run {
                dir: &root.join("tree"),
                log: &root.join(format!("{}.again.log", stem(name))),
                target_dir: &target_dir,
                upstream: &upstream,
                suite: Suite::Whole,
            };
            let again = run_again(&rerun, &proving_tests(&outcome))?;
            Ok(confirmed(outcome, &again))
        };
        // A failure stopped the run early: what it did not run may still prove it.
        let stopped_early = matches!(first, Outcome::Failed(_));
        let mut outcome = confirm(discount(first, &unreliable))?;
        if stopped_early && !outcome.is_proof() {
            println!("    the first failing test binary proves nothing; the whole suite again");
            outcome = confirm(discount(
                run_with(&change, &format!("{}.whole.log", stem(name)), Suite::Whole)?,
                &unreliable,
            ))?;
        }
        let verdict = Verdict {
            patch: name.clone(),
            in_place: matches!(change, Change::RevertInPlace(_)),
            outcome,
            took: start.elapsed(),
        };
        println!("    {}", describe(&verdict));
        verdicts.push(verdict);
    }
    println!("\nrevert-check ({:.0?} in all):", started.elapsed());
    for verdict in &verdicts {
        println!("  {}: {}", verdict.patch, describe(verdict));
    }
    let unproven: Vec<&str> = verdicts
        .iter()
        .filter(|v| !v.outcome.is_proof())
        .map(|v| v.patch.as_str())
        .collect();
    if !unproven.is_empty() {
        bail!(
            "no test proves the suite sees {} (see above)",
            unproven.join(", ")
        );
    }
    Ok(())
}

/// The tests that fail on the whole series: the baseline run, or its record for
/// this commit (`target/revert-check/baseline-<commit>.txt`, one test a line).
fn baseline(
    ws: &Workspace,
    root: &Path,
    run: impl FnOnce(&str) -> Result<Outcome>,
) -> Result<Vec<String>> {
    let commit = crate::git::Git::open(ws.root()).run(["rev-parse", "HEAD"])?;
    let record = root.join(format!("baseline-{}.txt", commit.trim()));
    if let Ok(text) = std::fs::read_to_string(&record) {
        let failing: Vec<String> = text.lines().map(str::to_owned).collect();
        println!(
            "==> baseline of this commit from {} ({} failing test(s))",
            record.display(),
            failing.len()
        );
        return Ok(failing);
    }
    println!("==> baseline: the whole series");
    let start = Instant::now();
    let failing = match run("baseline.log")? {
        Outcome::NotSeen => Vec::new(),
        Outcome::Failed(failures) => failures.into_iter().map(|f| f.test).collect(),
        other => bail!("the whole series gives {other:?}: fix that first"),
    };
    if !failing.is_empty() {
        println!(
            "    these tests fail on the whole series and prove nothing below: {}",
            failing.join(", ")
        );
    }
    std::fs::create_dir_all(root)?;
    std::fs::write(
        &record,
        failing.iter().map(|t| format!("{t}\n")).collect::<String>(),
    )?;
    println!("    baseline done in {:.0?}", start.elapsed());
    Ok(failing)
}

/// `outcome` without the failures of tests that fail in the baseline too.
fn discount(outcome: Outcome, unreliable: &[String]) -> Outcome {
    match outcome {
        Outcome::Failed(failures) => {
            let failures: Vec<Failure> = failures
                .into_iter()
                .filter(|f| !unreliable.contains(&f.test))
                .collect();
            if failures.is_empty() {
                Outcome::NotSeen
            } else {
                Outcome::Failed(failures)
            }
        }
        other => other,
    }
}

/// The series entries matching `names` (all of them for none).
fn choose(entries: &[String], names: &[String]) -> Result<Vec<String>> {
    if names.is_empty() {
        return Ok(entries.to_vec());
    }
    names
        .iter()
        .map(|name| {
            entries
                .iter()
                .find(|e| *e == name || stem(e) == name || e.starts_with(name.as_str()))
                .cloned()
                .with_context(|| format!("{name} is not in patches/series"))
        })
        .collect()
}

fn stem(name: &str) -> &str {
    name.strip_suffix(".patch").unwrap_or(name)
}

fn describe(verdict: &Verdict) -> String {
    let how = if verdict.in_place {
        "reverted in place"
    } else {
        "left out"
    };
    let took = format!("{:.0?}", verdict.took);
    match &verdict.outcome {
        Outcome::Failed(failures) => {
            let (invalid, seen): (Vec<&Failure>, Vec<&Failure>) =
                failures.iter().partition(|f| f.invalid);
            let names = |list: &[&Failure]| {
                list.iter()
                    .map(|f| f.test.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let invalid = if invalid.is_empty() {
                String::new()
            } else {
                format!("; invalid runs in {}", names(&invalid))
            };
            if seen.is_empty() {
                format!("NO PROOF: seen only as invalid runs{invalid} ({how}, {took})")
            } else {
                format!("SEEN by {}{invalid} ({how}, {took})", names(&seen))
            }
        }
        Outcome::DoesNotApply(what) => {
            format!("NO PROOF: {what} does not apply ({how}, {took})")
        }
        Outcome::DoesNotBuild(crates) => format!(
            "NO PROOF: does not build ({}) ({how}, {took})",
            crates.join(", ")
        ),
        Outcome::NotSeen => format!("NOT SEEN: every test passes ({how}, {took})"),
        Outcome::Unconfirmed(tests) => format!(
            "NOT CONFIRMED: {} did not fail on a bound or an assertion again ({how}, {took})",
            tests.join(", ")
        ),
    }
}

/// How much of the suite a run needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Suite {
    /// Every test (`--no-fail-fast`): the baseline, and a second look.
    Whole,
    /// Up to the first test binary with a failure: enough for a proof.
    UntilFirstFailure,
}

/// Where one check lays out its tree and writes its log, and what it builds with.
struct Run<'a> {
    dir: &'a Path,
    log: &'a Path,
    target_dir: &'a Path,
    upstream: &'a Path,
    suite: Suite,
}

/// Applies the series with `change` to a pristine monorepo; the error says what
/// does not apply.
fn apply(monorepo: &Monorepo, series: &Series, change: &Change) -> Result<(), String> {
    for (entry, path) in series.entries().iter().zip(series.paths()) {
        if matches!(change, Change::LeaveOut(out) if out == entry) {
            continue;
        }
        monorepo.apply(&path).map_err(|_| entry.clone())?;
    }
    if let Change::RevertInPlace(diff) = change {
        apply_diff(monorepo, diff).map_err(|_| diff.display().to_string())?;
    }
    Ok(())
}

/// `git apply` of a plain diff (monorepo paths) on the monorepo's work tree.
fn apply_diff(monorepo: &Monorepo, diff: &Path) -> Result<()> {
    monorepo.git().run([
        "apply".as_ref(),
        "--whitespace=nowarn".as_ref(),
        diff.as_os_str(),
    ])?;
    Ok(())
}

/// Problems with the revert diffs, for `patches check`: each must belong to a
/// patch of the series and apply on `monorepo`, which has the whole series.
pub fn revert_problems(
    ws: &Workspace,
    series: &Series,
    monorepo: &Monorepo,
) -> Result<Vec<String>> {
    let dir = ws.root().join(REVERTS_DIR);
    let mut problems = Vec::new();
    if !dir.is_dir() {
        return Ok(problems);
    }
    let mut diffs: Vec<PathBuf> = std::fs::read_dir(&dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<_>>()?;
    diffs.sort();
    for diff in diffs {
        let name = diff
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let Some(patch) = name.strip_suffix(".diff") else {
            problems.push(format!("{REVERTS_DIR}/{name}: not a .diff"));
            continue;
        };
        if !series.entries().iter().any(|e| stem(e) == patch) {
            problems.push(format!(
                "{REVERTS_DIR}/{name}: no patch {patch}.patch in the series"
            ));
            continue;
        }
        let check =
            monorepo
                .git()
                .output(["apply".as_ref(), "--check".as_ref(), diff.as_os_str()])?;
        if !check.status.success() {
            problems.push(format!(
                "{REVERTS_DIR}/{name} does not apply on the whole series: {}",
                crate::git::git_error(&check)
            ));
        }
    }
    Ok(problems)
}

/// Lays out the tree with `change` and runs the suite in it.
fn check_one(ws: &Workspace, series: &Series, change: &Change, run: &Run<'_>) -> Result<Outcome> {
    let dir = run.dir;
    let manifest = Manifest::load(&ws.manifest_path())?;
    let monorepo = patches::pristine(ws, &manifest)?;
    if let Err(what) = apply(&monorepo, series, change) {
        return Ok(Outcome::DoesNotApply(what));
    }
    if dir.exists() {
        std::fs::remove_dir_all(dir).with_context(|| format!("removing {}", dir.display()))?;
    }
    copy_workspace(ws, dir)?;
    std::fs::create_dir_all(dir.join("vendor"))?;
    std::fs::copy(ws.manifest_path(), dir.join("vendor/crates.toml"))?;
    for krate in &manifest.crates {
        copy_tree(
            &monorepo.crate_dir(krate)?,
            &dir.join("vendor").join(&krate.dir),
        )?;
    }
    let log_path = run.log;
    let whole: &[&str] = match run.suite {
        Suite::Whole => &["--no-fail-fast"],
        Suite::UntilFirstFailure => &[],
    };
    let status = cargo_test(run, whole)?;
    if status.success() {
        return Ok(Outcome::NotSeen);
    }
    let text = std::fs::read_to_string(log_path)?;
    let (failures, crates) = failures(&text);
    Ok(if !crates.is_empty() {
        Outcome::DoesNotBuild(crates)
    } else if !failures.is_empty() {
        Outcome::Failed(failures)
    } else {
        Outcome::DoesNotBuild(vec![format!(
            "cargo test failed ({status}) without a failing test, see {}",
            log_path.display()
        )])
    })
}

/// The tests whose failure is a proof: those that broke a bound or an assertion.
fn proving_tests(outcome: &Outcome) -> Vec<String> {
    match outcome {
        Outcome::Failed(failures) => failures
            .iter()
            .filter(|f| !f.invalid)
            .map(|f| f.test.clone())
            .collect(),
        _ => Vec::new(),
    }
}

/// Runs `tests` (exact names, in every rt-tests target) once more in the tree the
/// last run built, and returns their failures.
fn run_again(run: &Run<'_>, tests: &[String]) -> Result<Vec<Failure>> {
    println!("    running {} again", tests.join(", "));
    let mut args = vec!["--no-fail-fast", "--", "--exact"];
    args.extend(tests.iter().map(String::as_str));
    cargo_test(run, &args)?;
    Ok(failures(&std::fs::read_to_string(run.log)?).0)
}

/// `cargo test --release --locked -p rt-tests <args>` in the run's tree, with its
/// target directory and upstream's CLI, its output in the run's log.
fn cargo_test(run: &Run<'_>, args: &[&str]) -> Result<std::process::ExitStatus> {
    let log = std::fs::File::create(run.log)?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    Command::new(cargo)
        .args(["test", "--release", "--locked", "-p", "rt-tests"])
        .args(args)
        .current_dir(run.dir)
        .env("CARGO_TARGET_DIR", run.target_dir)
        .env("INSTA_UPDATE", "no")
        .env("WASMER_RT_UPSTREAM", run.upstream)
        .stdout(Stdio::from(log.try_clone()?))
        .stderr(Stdio::from(log))
        .status()
        .context("running cargo test")
}

/// `outcome` with only the proving failures that came `again`; when none did, the
/// outcome is [`Outcome::Unconfirmed`].
fn confirmed(outcome: Outcome, again: &[Failure]) -> Outcome {
    let Outcome::Failed(failures) = outcome else {
        return outcome;
    };
    let repeated = |f: &Failure| again.iter().any(|a| a.test == f.test && !a.invalid);
    let (kept, dropped): (Vec<Failure>, Vec<Failure>) =
        failures.into_iter().partition(|f| f.invalid || repeated(f));
    if kept.iter().any(|f| !f.invalid) {
        Outcome::Failed(kept)
    } else {
        Outcome::Unconfirmed(dropped.into_iter().map(|f| f.test).collect())
    }
}

/// Extracts the committed `HEAD`, except `vendor/`, to `dir`: the check is about
/// the suite as committed, not about edits in progress.
fn copy_workspace(ws: &Workspace, dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    let archive = Command::new("git")
        .args(["archive", "--format=tar", "HEAD"])
        .current_dir(ws.root())
        .stdout(Stdio::piped())
        .spawn()
        .context("running git archive")?;
    let status = Command::new("tar")
        .args(["-x", "--exclude=vendor", "-C"])
        .arg(dir)
        .stdin(archive.stdout.context("git archive's stdout")?)
        .status()
        .context("running tar")?;
    if !status.success() {
        bail!("extracting HEAD into {} failed", dir.display());
    }
    Ok(())
}

/// Failed tests (`test name ... FAILED`), each marked invalid when its output
/// (`---- name stdout ----`) says the run was invalid; test binaries that died
/// (by a signal: invalid too); and crates that did not compile.
fn failures(log: &str) -> (Vec<Failure>, Vec<String>) {
    let (mut tests, mut crates) = (Vec::new(), Vec::new());
    let mut died = Vec::new();
    for line in log.lines().map(str::trim) {
        if let Some(binary) = died_by_signal(line) {
            died.push(Failure {
                test: format!("{binary} (the test binary died by a signal)"),
                invalid: true,
            });
        }
        if let Some(test) = line
            .strip_prefix("test ")
            .and_then(|l| l.strip_suffix(" ... FAILED"))
        {
            tests.push(test.to_owned());
        } else if let Some(krate) = line
            .strip_prefix("error: could not compile `")
            .and_then(|l| l.split('`').next())
        {
            crates.push(krate.to_owned());
        }
    }
    tests.dedup();
    crates.dedup();
    let mut failures: Vec<Failure> = tests
        .into_iter()
        .map(|test| Failure {
            invalid: output_of(log, &test).is_some_and(is_invalid),
            test,
        })
        .collect();
    failures.extend(died);
    (failures, crates)
}

/// The test binary a line of cargo's like
/// ``process didn't exit successfully: `…/deps/interrupt-0123abcd` (signal: 6, SIGABRT…)``
/// names, when it died by a signal.
fn died_by_signal(line: &str) -> Option<&str> {
    let rest = line.split_once("process didn't exit successfully: `")?.1;
    let (command, status) = rest.split_once('`')?;
    if !status.contains("(signal: ") {
        return None;
    }
    let path = command.split_whitespace().next()?;
    let file = path.rsplit('/').next()?;
    Some(file.rsplit_once('-').map_or(file, |(name, _hash)| name))
}

/// The captured output of a failed test: its `---- name stdout ----` block.
fn output_of<'a>(log: &'a str, test: &str) -> Option<&'a str> {
    let start = log.find(&format!("---- {test} stdout ----"))?;
    let block = &log[start..];
    let body_start = block.find('\n').map_or(block.len(), |i| i + 1);
    let body = &block[body_start..];
    let end = [body.find("\n---- "), body.find("\nfailures:\n")]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(body.len());
    Some(&body[..end])
}

/// The mark of a run that proves nothing (`rt_tests::judge::INVALID_MARK`, which
/// starts every `Invalid`'s text: a hang, a crash, too few samples).
fn is_invalid(output: &str) -> bool {
    output.contains("INVALID: ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_failed_tests_and_compile_errors_from_the_log() {
        let log = "test a ... ok\ntest b ... FAILED\ntest c ... FAILED\n\nfailures:\n\n\
                   ---- b stdout ----\nthread 'b' panicked:\nb: bound not met\n   verdict: broken: p50\n\n\
                   ---- c stdout ----\nthread 'c' panicked:\nc: bound not met\n   verdict: INVALID: hung\n\n\
                   failures:\n    b\n    c\n\
                   error: test failed, to rerun pass `--test interrupt`\n\nCaused by:\n  \
                   process didn't exit successfully: `/t/release/deps/interrupt-0123abcd` \
                   (signal: 6, SIGABRT: process abort signal)\n\
                   error: could not compile `wasmer-wasix` (lib) due to 2 previous errors\n";
        let (failures, crates) = failures(log);
        let failure = |test: &str, invalid| Failure {
            test: test.to_owned(),
            invalid,
        };
        assert_eq!(
            failures,
            [
                failure("b", false),
                failure("c", true),
                failure("interrupt (the test binary died by a signal)", true)
            ]
        );
        assert_eq!(crates, ["wasmer-wasix"]);
    }

    #[test]
    fn only_a_broken_bound_or_assertion_is_proof() {
        let failure = |invalid| Failure {
            test: "t".to_owned(),
            invalid,
        };
        assert!(Outcome::Failed(vec![failure(true), failure(false)]).is_proof());
        assert!(!Outcome::Failed(vec![failure(true)]).is_proof());
        assert!(!Outcome::Failed(Vec::new()).is_proof());
        assert!(!Outcome::NotSeen.is_proof());
        assert!(!Outcome::DoesNotApply("0002".to_owned()).is_proof());
        assert!(!Outcome::DoesNotBuild(vec!["rt-tests".to_owned()]).is_proof());
    }

    #[test]
    fn a_test_failing_in_the_baseline_counts_for_nothing() {
        let failure = |test: &str| Failure {
            test: test.to_owned(),
            invalid: false,
        };
        let unreliable = ["flaky".to_owned()];
        assert_eq!(
            discount(Outcome::Failed(vec![failure("flaky")]), &unreliable),
            Outcome::NotSeen
        );
        assert_eq!(
            discount(
                Outcome::Failed(vec![failure("flaky"), failure("sees_it")]),
                &unreliable
            ),
            Outcome::Failed(vec![failure("sees_it")])
        );
    }

    #[test]
    fn a_proof_must_fail_again() {
        let failure = |test: &str, invalid| Failure {
            test: test.to_owned(),
            invalid,
        };
        let first = Outcome::Failed(vec![
            failure("sees_it", false),
            failure("flaky", false),
            failure("hung", true),
        ]);
        assert_eq!(proving_tests(&first), ["sees_it", "flaky"]);
        assert_eq!(
            confirmed(first.clone(), &[failure("sees_it", false)]),
            Outcome::Failed(vec![failure("sees_it", false), failure("hung", true)])
        );
        // Failing again only as an invalid run does not confirm it.
        assert_eq!(
            confirmed(first, &[failure("sees_it", true)]),
            Outcome::Unconfirmed(vec!["sees_it".to_owned(), "flaky".to_owned()])
        );
        assert!(!Outcome::Unconfirmed(vec!["t".to_owned()]).is_proof());
    }

    #[test]
    fn chooses_patches_by_name_stem_or_number() {
        let entries = ["0001-a.patch".to_owned(), "0002-b.patch".to_owned()];
        assert_eq!(choose(&entries, &[]).unwrap(), entries);
        let picked = choose(&entries, &["0002".to_owned(), "0001-a".to_owned()]).unwrap();
        assert_eq!(picked, ["0002-b.patch", "0001-a.patch"]);
        assert!(choose(&entries, &["0003".to_owned()]).is_err());
    }
}
