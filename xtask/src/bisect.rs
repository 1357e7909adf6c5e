//! `cargo xtask patches bisect`: every prefix of the series builds, and none adds a
//! finding to Wasmer's own lint (see `upstream_check`).

use crate::series::Series;
use crate::upstream_check::{Checker, PRISTINE};
use crate::workspace::Workspace;
use anyhow::{Result, bail};

/// Checks pristine and every prefix; fails listing the prefixes that broke.
pub fn run(ws: &Workspace) -> Result<()> {
    let mut checker = Checker::new(ws)?;
    run_with(ws, &mut checker)
}

/// [`run`] with a checker that may be shared with other checks.
pub fn run_with(ws: &Workspace, checker: &mut Checker) -> Result<()> {
    let series = Series::load(&ws.patches_dir())?;
    if series.entries().is_empty() {
        bail!("patches/series is empty: there is no prefix to check");
    }
    let git = checker.repo().git();
    git.run([
        "switch",
        "--quiet",
        "--discard-changes",
        "-C",
        "bisect",
        PRISTINE,
    ])?;
    checker.repo().apply_all(&series.paths())?;
    let commits = checker.repo().commits_since(PRISTINE)?;
    let mut failed = Vec::new();
    for (name, commit) in series.entries().iter().zip(&commits) {
        if !checker.check(&format!("1..{name}"), commit)?.passed() {
            failed.push(name.clone());
        }
    }
    if !failed.is_empty() {
        bail!(
            "{} of {} prefixes of the series fail to build or add lint findings: {}",
            failed.len(),
            series.entries().len(),
            failed.join(", ")
        );
    }
    println!(
        "patches bisect: all {} prefixes build and add no finding to Wasmer's lint",
        series.entries().len()
    );
    Ok(())
}
