//! `cargo xtask revert-check [PATCH...]`: proves the suite can see every patch.
//!
//! For each named patch (default: the whole series) it lays out a copy of the
//! committed workspace (`HEAD`) under `target/revert-check/tree/` whose `vendor/`
//! is the pristine crates plus the series without that patch, runs the suite
//! there (`cargo test --release --locked -p rt-tests --no-fail-fast`), and
//! classifies what happened. Only failing tests count as proof:
//! - a later patch that no longer applies without it is left out too (it needs
//!   the patch), and the verdict names it;
//! - if the tree then does not build, the patches of every PR that needs the
//!   patch's PR (`patches/prs.toml`) are left out as well, and the suite runs
//!   again;
//! - a tree that still does not build proves nothing ("does not build"), nor
//!   does a green suite ("not seen"); both fail the check.
//!
//! Each run's log goes to `target/revert-check/<patch>.log`, and the summary
//! gives every patch's verdict, what was left out with it, the tests that saw
//! it and the time it took.
//!
//! Two things keep the verdicts about the patch and nothing else:
//! - One tree is rewritten for every patch, and the copies share the scratch
//!   target directory (`crate::scratch`), so only the vendored crates and our
//!   crates rebuild. Rewriting the same paths matters: `git archive` gives every
//!   file the commit's time, and build scripts record absolute paths, so
//!   separate copies would let cargo reuse one copy's build for the next.
//! - Only rt-tests runs: xtask's own tests check the real series (contiguous
//!   numbering, vendor equality), which a copy without one patch breaks by
//!   construction. The controls that run upstream's CLI get it through
//!   `WASMER_RT_UPSTREAM` (built first if missing).
//!
//! It is slow (a build and a suite run per patch), so CI does not run it;
//! its result goes into the closing note of the work it proves.

use crate::export::Pr;
use crate::manifest::Manifest;
use crate::monorepo::copy_tree;
use crate::patches;
use crate::series::Series;
use crate::workspace::Workspace;
use anyhow::{Context, Result, bail};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What happened to the suite without one patch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Tests failed: the suite sees the patch. The proof.
    Seen(Vec<String>),
    /// The tree does not build (these crates): no proof either way.
    DoesNotBuild(Vec<String>),
    /// The suite passed: it cannot see the patch.
    NotSeen,
}

/// One patch's verdict.
#[derive(Debug)]
struct Verdict {
    patch: String,
    /// The patches left out with it because they need it.
    with: Vec<String>,
    outcome: Outcome,
    took: Duration,
}

/// Runs the check for `names` (patch file names or their stems; empty: all).
pub fn run(ws: &Workspace, names: &[String]) -> Result<()> {
    let series = Series::load(&ws.patches_dir())?;
    let prs = crate::export::load(ws, &series)?;
    let chosen = choose(series.entries(), names)?;
    let root = ws.root().join("target/revert-check");
    let target_dir = crate::scratch::target_dir(ws)?;
    let upstream = ws.root().join("target/upstream/wasmer");
    if !upstream.is_file() {
        crate::upstream_build::run(ws)?;
    }
    let started = Instant::now();
    let mut verdicts = Vec::new();
    for name in &chosen {
        println!("==> without {name}");
        let run = Run {
            dir: &root.join("tree"),
            log: &root.join(format!("{}.log", stem(name))),
            target_dir: &target_dir,
            upstream: &upstream,
        };
        let start = Instant::now();
        let (with, outcome) = check_patch(ws, &series, &prs, name, &run)?;
        let verdict = Verdict {
            patch: name.clone(),
            with,
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
        .filter(|v| !matches!(v.outcome, Outcome::Seen(_)))
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

/// Leaves `name` out (with the patches that need it) and runs the suite; if
/// the tree does not build, leaves out the PRs that need the patch's PR too and
/// runs it again.
fn check_patch(
    ws: &Workspace,
    series: &Series,
    prs: &[Pr],
    name: &str,
    run: &Run<'_>,
) -> Result<(Vec<String>, Outcome)> {
    let mut left_out = vec![name.to_owned()];
    let outcome = check_one(ws, series, &mut left_out, run)?;
    if !matches!(outcome, Outcome::DoesNotBuild(_)) {
        return Ok((left_out.split_off(1), outcome));
    }
    let dependents = dependent_patches(prs, name);
    if dependents.iter().all(|d| left_out.contains(d)) {
        return Ok((left_out.split_off(1), outcome));
    }
    println!("    does not build; again without the PRs that need it: {dependents:?}");
    for dependent in dependents {
        if !left_out.contains(&dependent) {
            left_out.push(dependent);
        }
    }
    let outcome = check_one(ws, series, &mut left_out, run)?;
    Ok((left_out.split_off(1), outcome))
}

/// The patches of every PR that needs, directly or not, the PR holding `patch`.
fn dependent_patches(prs: &[Pr], patch: &str) -> Vec<String> {
    let Some(home) = prs
        .iter()
        .position(|pr| pr.patches.iter().any(|p| p == patch))
    else {
        return Vec::new();
    };
    let mut needing = vec![false; prs.len()];
    let mut changed = true;
    while changed {
        changed = false;
        for (i, pr) in prs.iter().enumerate() {
            let needs_it = pr.needs.iter().any(|n| {
                n == &prs[home].name
                    || prs
                        .iter()
                        .enumerate()
                        .any(|(j, q)| needing[j] && &q.name == n)
            });
            if i != home && !needing[i] && needs_it {
                needing[i] = true;
                changed = true;
            }
        }
    }
    prs.iter()
        .enumerate()
        .filter(|(i, _)| needing[*i])
        .flat_map(|(_, pr)| pr.patches.iter().cloned())
        .collect()
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
    let with = if verdict.with.is_empty() {
        String::new()
    } else {
        format!(
            " (left out with {}, which need it)",
            verdict.with.join(", ")
        )
    };
    let took = format!("{:.0?}", verdict.took);
    match &verdict.outcome {
        Outcome::Seen(tests) => format!("SEEN by {}{with}, {took}", tests.join(", ")),
        Outcome::DoesNotBuild(crates) => format!(
            "NO PROOF: does not build ({}){with}, {took}",
            crates.join(", ")
        ),
        Outcome::NotSeen => format!("NOT SEEN: every test passes{with}, {took}"),
    }
}

/// Where one check lays out its tree and writes its log, and what it builds with.
struct Run<'a> {
    dir: &'a Path,
    log: &'a Path,
    target_dir: &'a Path,
    upstream: &'a Path,
}

/// Builds the tree without the patches in `left_out`, adding to it each later
/// patch that does not apply without them, and runs the suite.
fn check_one(
    ws: &Workspace,
    series: &Series,
    left_out: &mut Vec<String>,
    run: &Run<'_>,
) -> Result<Outcome> {
    let dir = run.dir;
    let manifest = Manifest::load(&ws.manifest_path())?;
    let monorepo = patches::pristine(ws, &manifest)?;
    for (entry, path) in series.entries().iter().zip(series.paths()) {
        if left_out.contains(entry) {
            continue;
        }
        if monorepo.apply(&path).is_err() {
            println!(
                "    {entry} does not apply without {}: left out too",
                left_out[0]
            );
            left_out.push(entry.clone());
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
        .filter(|e| !left_out.iter().any(|l| l == e))
        .collect();
    std::fs::write(dir.join("patches/series"), kept.join("\n") + "\n")?;
    for name in left_out.iter() {
        std::fs::remove_file(dir.join("patches").join(name))?;
    }
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
        return Ok(Outcome::NotSeen);
    }
    let text = std::fs::read_to_string(log_path)?;
    let (tests, crates) = failures(&text);
    Ok(if !crates.is_empty() {
        Outcome::DoesNotBuild(crates)
    } else if !tests.is_empty() {
        Outcome::Seen(tests)
    } else {
        Outcome::DoesNotBuild(vec![format!(
            "cargo test failed ({status}) without a failing test, see {}",
            log_path.display()
        )])
    })
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
fn failures(log: &str) -> (Vec<String>, Vec<String>) {
    let (mut tests, mut crates) = (Vec::new(), Vec::new());
    for line in log.lines().map(str::trim) {
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
    (tests, crates)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_failed_tests_and_compile_errors_from_the_log() {
        let log = "test a ... ok\ntest b ... FAILED\n\
                   error: could not compile `wasmer-wasix` (lib) due to 2 previous errors\n";
        let (tests, crates) = failures(log);
        assert_eq!(
            (tests, crates),
            (vec!["b".to_owned()], vec!["wasmer-wasix".to_owned()])
        );
    }

    #[test]
    fn dependents_are_the_patches_of_prs_needing_it_transitively() {
        let pr = |name: &str, patches: &[&str], needs: &[&str]| Pr {
            name: name.to_owned(),
            title: String::new(),
            patches: patches.iter().map(|p| p.to_string()).collect(),
            needs: needs.iter().map(|n| n.to_string()).collect(),
            summary: String::new(),
        };
        let prs = [
            pr("a", &["1", "2"], &[]),
            pr("b", &["3"], &["a"]),
            pr("c", &["4"], &["b"]),
            pr("d", &["5"], &[]),
        ];
        assert_eq!(dependent_patches(&prs, "2"), ["3", "4"]);
        assert_eq!(dependent_patches(&prs, "3"), ["4"]);
        assert!(dependent_patches(&prs, "5").is_empty());
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
