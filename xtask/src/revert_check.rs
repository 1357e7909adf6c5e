//! `cargo xtask revert-check [PATCH...]`: proves the suite can see every patch.
//!
//! For each named patch (default: the whole series) it lays out a copy of the
//! committed workspace (`HEAD`) under `target/revert-check/tree/` whose `vendor/`
//! is the pristine crates plus the series without that patch, runs the suite
//! there (`cargo test --release --locked -p rt-tests --no-fail-fast`), and
//! requires it to fail. A later patch that no longer applies, or no longer
//! builds, counts as a failure too: the series cannot ship without the reverted
//! patch. Each run's log goes to `target/revert-check/<patch>.log`.
//!
//! Two things keep the verdicts about the patch and nothing else:
//! - One tree is rewritten for every patch, and the copies share the scratch
//!   target directory (`crate::scratch`), so only the vendored crates and our
//!   crates rebuild. Rewriting the same paths matters: `git archive` gives every
//!   file the commit's time, and build scripts record absolute paths, so
//!   separate copies would let cargo reuse one copy's build for the next.
//! - Only rt-tests runs: xtask's own tests check the real series (contiguous
//!   numbering, vendor equality), which a copy without one patch breaks by
//!   construction. The dispatch-cost control gets upstream's CLI through
//!   `WASMER_RT_UPSTREAM` (built first if missing).
//!
//! It is slow (a build and a suite run per patch), so CI does not run it;
//! its result goes into the closing note of the work it proves.

use crate::manifest::Manifest;
use crate::monorepo::copy_tree;
use crate::patches;
use crate::series::Series;
use crate::workspace::Workspace;
use anyhow::{Context, Result, bail};
use std::path::Path;
use std::process::{Command, Stdio};

/// What happened to the suite without one patch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The series does not apply without it.
    DoesNotApply(String),
    /// The suite failed: these tests failed or these crates did not compile.
    Red(Vec<String>),
    /// The suite passed: it cannot see this patch.
    Green,
}

/// Runs the check for `names` (patch file names or their stems; empty: all).
pub fn run(ws: &Workspace, names: &[String]) -> Result<()> {
    let series = Series::load(&ws.patches_dir())?;
    let chosen = choose(series.entries(), names)?;
    let root = ws.root().join("target/revert-check");
    let target_dir = crate::scratch::target_dir(ws)?;
    let upstream = ws.root().join("target/upstream/wasmer");
    if !upstream.is_file() {
        crate::upstream_build::run(ws)?;
    }
    let mut results = Vec::new();
    for name in &chosen {
        println!("==> without {name}");
        let run = Run {
            dir: &root.join("tree"),
            log: &root.join(format!("{}.log", stem(name))),
            target_dir: &target_dir,
            upstream: &upstream,
        };
        let outcome = check_one(ws, &series, name, &run)?;
        println!("    {}", describe(&outcome));
        results.push((name.clone(), outcome));
    }
    println!("\nrevert-check:");
    for (name, outcome) in &results {
        println!("  {name}: {}", describe(outcome));
    }
    let unseen: Vec<&str> = results
        .iter()
        .filter(|(_, o)| *o == Outcome::Green)
        .map(|(n, _)| n.as_str())
        .collect();
    if !unseen.is_empty() {
        bail!(
            "the suite passes without {}: it cannot see these patches",
            unseen.join(", ")
        );
    }
    Ok(())
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

fn describe(outcome: &Outcome) -> String {
    match outcome {
        Outcome::DoesNotApply(why) => format!("red: the series does not apply ({why})"),
        Outcome::Red(failures) => format!("red: {}", failures.join(", ")),
        Outcome::Green => "GREEN: the suite does not notice".to_owned(),
    }
}

/// Where one check lays out its tree and writes its log, and what it builds with.
struct Run<'a> {
    dir: &'a Path,
    log: &'a Path,
    target_dir: &'a Path,
    upstream: &'a Path,
}

fn check_one(ws: &Workspace, series: &Series, name: &str, run: &Run<'_>) -> Result<Outcome> {
    let dir = run.dir;
    let manifest = Manifest::load(&ws.manifest_path())?;
    let monorepo = patches::pristine(ws, &manifest)?;
    for (entry, path) in series.entries().iter().zip(series.paths()) {
        if entry == name {
            continue;
        }
        if let Err(error) = monorepo.apply(&path) {
            return Ok(Outcome::DoesNotApply(format!("{error:#}")));
        }
    }
    if dir.exists() {
        std::fs::remove_dir_all(dir).with_context(|| format!("removing {}", dir.display()))?;
    }
    copy_workspace(ws, dir)?;
    // The copy's series leaves the patch out too, so the tree is consistent and
    // only the suite can tell the difference.
    let kept: Vec<&str> = series
        .entries()
        .iter()
        .map(String::as_str)
        .filter(|e| *e != name)
        .collect();
    std::fs::write(dir.join("patches/series"), kept.join("\n") + "\n")?;
    std::fs::remove_file(dir.join("patches").join(name))?;
    std::fs::create_dir_all(dir.join("vendor"))?;
    std::fs::copy(ws.manifest_path(), dir.join("vendor/crates.toml"))?;
    for krate in &manifest.crates {
        copy_tree(
            &monorepo.crate_dir(krate)?,
            &dir.join("vendor").join(&krate.dir),
        )?;
    }
    let log_path = run.log;
    let log = std::fs::File::create(log_path)?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
        .args([
            "test",
            "--release",
            "--locked",
            "-p",
            "rt-tests",
            "--no-fail-fast",
        ])
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", run.target_dir)
        .env("INSTA_UPDATE", "no")
        .env("WASMER_RT_UPSTREAM", run.upstream)
        .stdout(Stdio::from(log.try_clone()?))
        .stderr(Stdio::from(log))
        .status()
        .context("running cargo test")?;
    if status.success() {
        return Ok(Outcome::Green);
    }
    let text = std::fs::read_to_string(log_path)?;
    let failures = failures(&text);
    Ok(Outcome::Red(if failures.is_empty() {
        vec![format!(
            "cargo test failed ({status}), see {}",
            log_path.display()
        )]
    } else {
        failures
    }))
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

/// Failed tests (`test name ... FAILED`) and crates that did not compile.
fn failures(log: &str) -> Vec<String> {
    let mut found: Vec<String> = log
        .lines()
        .filter_map(|line| {
            let line = line.trim();
            if let Some(test) = line
                .strip_prefix("test ")
                .and_then(|l| l.strip_suffix(" ... FAILED"))
            {
                return Some(test.to_owned());
            }
            line.strip_prefix("error: could not compile `")
                .and_then(|l| l.split('`').next())
                .map(|krate| format!("{krate} does not compile"))
        })
        .collect();
    found.dedup();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_failed_tests_and_compile_errors_from_the_log() {
        let log = "test a ... ok\ntest b ... FAILED\n\
                   error: could not compile `wasmer-wasix` (lib) due to 2 previous errors\n";
        assert_eq!(failures(log), ["b", "wasmer-wasix does not compile"]);
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
