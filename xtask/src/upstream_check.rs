//! Build and lint states of the vendored crates, the way Wasmer's CI would.
//!
//! A [`Checker`] keeps one git repository with the pristine crates at a fixed path
//! (`target/upstream-check/repo`, so cargo's incremental state carries from one
//! state to the next and from one run to the next) with the upstream workspace
//! over it (`upstream_workspace`). Each state to check is a commit in that
//! repository: it is checked out and linted with Wasmer's settings
//! (`upstream_lint`). Pristine's findings are the baseline; a state passes when
//! it builds and adds no finding. States with the same tree are checked once.

use crate::manifest::Manifest;
use crate::monorepo::Monorepo;
use crate::patches;
use crate::upstream_lint::{self, Findings};
use crate::upstream_workspace;
use crate::workspace::Workspace;
use anyhow::{Context, Result, bail};
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Instant;

/// How many compile errors or lint findings a failing state prints.
const SHOWN: usize = 8;
/// The tag on the pristine commit.
pub const PRISTINE: &str = "pristine";

/// The outcome of one state, against pristine.
#[derive(Debug, Clone)]
pub struct Verdict {
    /// Whether it compiled.
    pub builds: bool,
    /// Lint findings pristine does not have, located.
    pub added: Vec<String>,
}

impl Verdict {
    /// Builds and adds nothing.
    pub fn passed(&self) -> bool {
        self.builds && self.added.is_empty()
    }
}

/// The repository, the target directory and what was checked so far.
pub struct Checker {
    repo: Monorepo,
    target: PathBuf,
    baseline: Findings,
    seen: HashMap<String, Verdict>,
}

impl Checker {
    /// Lays out the pristine crates (tag `pristine`), and checks them.
    pub fn new(ws: &Workspace) -> Result<Self> {
        let manifest = Manifest::load(&ws.manifest_path())?;
        let base = ws.target_dir().join("upstream-check");
        let dir = base.join("repo");
        if dir.exists() {
            std::fs::remove_dir_all(&dir).with_context(|| format!("removing {}", dir.display()))?;
        }
        let repo = patches::pristine_at(ws, &manifest, &dir)?;
        repo.git().run(["tag", PRISTINE])?;
        upstream_workspace::install(ws, &manifest, &dir)?;
        let target = base.join("target");
        let (baseline, line) = lint(&dir, &target)?;
        println!("  {:<56} {line}", "pristine");
        if !baseline.builds {
            bail!("the pristine crates do not build here; see the errors above");
        }
        Ok(Self {
            repo,
            target,
            baseline,
            seen: HashMap::new(),
        })
    }

    /// The repository the states live in (tag `pristine` is the base).
    pub fn repo(&self) -> &Monorepo {
        &self.repo
    }

    /// Checks out `commit` and checks it; prints one line under `label`.
    pub fn check(&mut self, label: &str, commit: &str) -> Result<Verdict> {
        let git = self.repo.git();
        let tree = git.run(["rev-parse", &format!("{commit}^{{tree}}")])?;
        if let Some(verdict) = self.seen.get(tree.trim()) {
            println!("  {label:<56} same tree as a state checked above");
            return Ok(verdict.clone());
        }
        git.run(["checkout", "--quiet", "--force", commit])?;
        let (findings, line) = lint(git.dir(), &self.target)?;
        let verdict = Verdict {
            builds: findings.builds,
            added: findings.added_since(&self.baseline),
        };
        let line = if verdict.builds && !verdict.added.is_empty() {
            format!("ADDS {} LINT FINDINGS; {line}", verdict.added.len())
        } else {
            line
        };
        println!("  {label:<56} {line}");
        for finding in verdict.added.iter().take(SHOWN) {
            println!("      new lint finding: {finding}");
        }
        self.seen.insert(tree.trim().to_owned(), verdict.clone());
        Ok(verdict)
    }
}

/// Runs the lint and says in a few words how it went.
fn lint(dir: &std::path::Path, target: &std::path::Path) -> Result<(Findings, String)> {
    let started = Instant::now();
    let findings = upstream_lint::run(dir, target, &upstream_lint::UPSTREAM)?;
    let seconds = started.elapsed().as_secs_f64();
    let line = if findings.builds {
        format!(
            "builds; {} lint findings in all [{seconds:.0} s]",
            findings.warnings.values().sum::<usize>()
        )
    } else {
        let mut line = format!("DOES NOT BUILD [{seconds:.0} s]");
        for error in findings.errors.iter().take(SHOWN) {
            line.push_str(&format!("\n      {error}"));
        }
        line
    };
    Ok((findings, line))
}
