//! `cargo xtask upstream export DIR [--check]`: the series as pull requests for
//! wasmerio/wasmer.
//!
//! `patches/prs.toml` groups the patches into PRs that can be merged on their
//! own, each naming the PRs it needs first. For every PR, its patches are
//! cherry-picked (three-way) onto the pristine release plus the patches of the
//! PRs it needs, so its mails apply to exactly that base, and written to
//! `DIR/NN-<name>/` with a cover letter (`0000-cover-letter.patch`). `DIR/README.md`
//! lists the PRs in merge order. With `--check`, each folder is applied with
//! `git am` on the pristine release after the folders it needs, and the result
//! must build and add no finding to Wasmer's lint (`upstream_check`).

use crate::manifest::Manifest;
use crate::monorepo::Monorepo;
use crate::patch_mail::PatchMail;
use crate::patches;
use crate::series::Series;
use crate::upstream_check::{Checker, PRISTINE};
use crate::workspace::Workspace;
use anyhow::{Context, Result, bail};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// One pull request of `patches/prs.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pr {
    /// Folder and branch name.
    pub name: String,
    /// The PR's title, in Wasmer's `type(scope): summary` style.
    pub title: String,
    /// Its patches, in series order.
    pub patches: Vec<String>,
    /// PRs that must be merged first (declared earlier in the file).
    pub needs: Vec<String>,
    /// What, why and the before/after numbers, for the cover letter.
    pub summary: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PrFile {
    pr: Vec<Pr>,
}

/// Reads `patches/prs.toml` and checks it against the series: every patch in
/// exactly one PR, in series order, and `needs` naming earlier PRs only.
pub fn load(ws: &Workspace, series: &Series) -> Result<Vec<Pr>> {
    let path = ws.patches_dir().join("prs.toml");
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let prs = toml::from_str::<PrFile>(&text)
        .with_context(|| format!("parsing {}", path.display()))?
        .pr;
    let problems = problems(&prs, series.entries());
    if !problems.is_empty() {
        bail!("{}: {}", path.display(), problems.join("; "));
    }
    Ok(prs)
}

fn problems(prs: &[Pr], series: &[String]) -> Vec<String> {
    let mut problems = Vec::new();
    let mut owner: BTreeMap<&str, &str> = BTreeMap::new();
    for (index, pr) in prs.iter().enumerate() {
        if prs[..index].iter().any(|p| p.name == pr.name) {
            problems.push(format!("PR {} is declared twice", pr.name));
        }
        for need in &pr.needs {
            if !prs[..index].iter().any(|p| &p.name == need) {
                problems.push(format!(
                    "PR {} needs {need}, which is not a PR declared before it",
                    pr.name
                ));
            }
        }
        if pr.patches.is_empty() {
            problems.push(format!("PR {} has no patch", pr.name));
        }
        let positions: Vec<Option<usize>> = pr
            .patches
            .iter()
            .map(|p| series.iter().position(|s| s == p))
            .collect();
        for (patch, position) in pr.patches.iter().zip(&positions) {
            if position.is_none() {
                problems.push(format!(
                    "PR {} lists {patch}, which is not in the series",
                    pr.name
                ));
            }
            if let Some(other) = owner.insert(patch, &pr.name) {
                problems.push(format!("{patch} is in both PR {other} and PR {}", pr.name));
            }
        }
        if !positions.windows(2).all(|w| w[0] < w[1]) {
            problems.push(format!(
                "PR {} lists its patches out of series order",
                pr.name
            ));
        }
    }
    for patch in series {
        if !owner.contains_key(patch.as_str()) {
            problems.push(format!("{patch} belongs to no PR"));
        }
    }
    problems
}

/// Adds a PR of its own for a new patch to `patches/prs.toml` (move the patch into
/// another PR by hand if it belongs there).
pub fn append_pr(ws: &Workspace, name: &str, title: &str, patch: &str) -> Result<()> {
    let path = ws.patches_dir().join("prs.toml");
    let mut text = std::fs::read_to_string(&path).unwrap_or_default();
    let mut table = toml::Table::new();
    table.insert("name".into(), name.into());
    table.insert("title".into(), title.into());
    table.insert("patches".into(), vec![patch.to_owned()].into());
    table.insert("needs".into(), Vec::<String>::new().into());
    table.insert(
        "summary".into(),
        "What, why, and the measured before/after.".into(),
    );
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(&format!("\n[[pr]]\n{}", toml::to_string(&table)?));
    std::fs::write(&path, text)?;
    Ok(())
}

/// The PRs `index` needs, directly or not, in declaration (merge) order.
fn needed(prs: &[Pr], index: usize) -> Vec<usize> {
    let mut wanted = vec![false; prs.len()];
    let mut stack = vec![index];
    while let Some(i) = stack.pop() {
        for need in &prs[i].needs {
            if let Some(j) = prs.iter().position(|p| &p.name == need)
                && !wanted[j]
            {
                wanted[j] = true;
                stack.push(j);
            }
        }
    }
    (0..prs.len()).filter(|&i| wanted[i]).collect()
}

fn folder_name(index: usize, pr: &Pr) -> String {
    format!("{:02}-{}", index + 1, pr.name)
}

/// Writes every PR folder and `README.md` into `dir`; returns the folders.
pub fn write(ws: &Workspace, dir: &Path) -> Result<Vec<PathBuf>> {
    let manifest = Manifest::load(&ws.manifest_path())?;
    let series = Series::load(&ws.patches_dir())?;
    let prs = load(ws, &series)?;
    let monorepo = patches::pristine(ws, &manifest)?;
    let git = monorepo.git();
    git.run(["tag", PRISTINE])?;
    monorepo.apply_all(&series.paths())?;
    let commits: BTreeMap<&str, String> = series
        .entries()
        .iter()
        .map(String::as_str)
        .zip(monorepo.commits_since(PRISTINE)?)
        .collect();

    clear(dir)?;
    let mut folders = Vec::new();
    for (index, pr) in prs.iter().enumerate() {
        git.run([
            "switch",
            "--quiet",
            "-C",
            &format!("pr-{}", pr.name),
            PRISTINE,
        ])?;
        for &need in &needed(&prs, index) {
            for patch in &prs[need].patches {
                cherry_pick(&monorepo, &commits[patch.as_str()], pr, patch)?;
            }
        }
        let folder = dir.join(folder_name(index, pr));
        std::fs::create_dir_all(&folder)?;
        let mut sizes = Vec::new();
        for (n, patch) in pr.patches.iter().enumerate() {
            cherry_pick(&monorepo, &commits[patch.as_str()], pr, patch)?;
            let mut mail = PatchMail::parse(&monorepo.format_head()?)?;
            mail.strip_downstream_trailers();
            mail.set_subject_prefix(&format!("PATCH {}/{}", n + 1, pr.patches.len()));
            sizes.push(
                git.run(["diff", "--shortstat", "HEAD~1", "HEAD"])?
                    .trim()
                    .to_owned(),
            );
            std::fs::write(folder.join(patch), mail.render())?;
        }
        std::fs::write(
            folder.join("0000-cover-letter.patch"),
            cover_letter(&manifest, &prs, index, &sizes)?,
        )?;
        folders.push(folder);
    }
    std::fs::write(dir.join("README.md"), overview(&manifest, &prs)?)?;
    Ok(folders)
}

/// Removes what an earlier export wrote (numbered PR folders, mails, README.md).
fn clear(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let numbered = name.len() > 3
            && name.as_bytes()[..2].iter().all(u8::is_ascii_digit)
            && name.as_bytes()[2] == b'-';
        if path.is_dir() && numbered {
            std::fs::remove_dir_all(&path)?;
        } else if name.ends_with(".patch") || name == "README.md" {
            std::fs::remove_file(&path)?;
        }
    }
    Ok(())
}

fn cherry_pick(monorepo: &Monorepo, commit: &str, pr: &Pr, patch: &str) -> Result<()> {
    let git = monorepo.git();
    let output = git.output(["cherry-pick", "--allow-empty", commit])?;
    if !output.status.success() {
        let files = git.run(["diff", "--name-only", "--diff-filter=U"])?;
        let _ = git.output(["cherry-pick", "--abort"]);
        bail!(
            "PR {}: {patch} does not apply on pristine + the PRs it needs (conflicts in {}); \
             add the PR it depends on to `needs` in patches/prs.toml",
            pr.name,
            files.split_whitespace().collect::<Vec<_>>().join(", ")
        );
    }
    Ok(())
}

fn base_line(manifest: &Manifest) -> Result<String> {
    let commit = manifest
        .crates
        .first()
        .map_or("", |krate| krate.upstream_commit.as_str());
    Ok(format!(
        "wasmer {} (commit {commit})",
        manifest.wasmer_version()?
    ))
}

fn cover_letter(manifest: &Manifest, prs: &[Pr], index: usize, sizes: &[String]) -> Result<String> {
    let pr = &prs[index];
    let needs: Vec<String> = needed(prs, index)
        .into_iter()
        .map(|i| folder_name(i, &prs[i]))
        .collect();
    let mut text = format!(
        "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n\
         From: wasmer-rt <dev@wasmer-rt.invalid>\n\
         Subject: [PATCH 0/{n}] {title}\n\n{summary}\n\n",
        n = pr.patches.len(),
        title = pr.title,
        summary = pr.summary.trim(),
    );
    writeln!(text, "Base: {}", base_line(manifest)?)?;
    if needs.is_empty() {
        writeln!(text, "Needs: nothing; applies to the release as it is.")?;
    } else {
        writeln!(text, "Needs, merged first: {}", needs.join(", "))?;
    }
    writeln!(text, "\nPatches:")?;
    for (patch, size) in pr.patches.iter().zip(sizes) {
        writeln!(text, "  {patch}: {size}")?;
    }
    writeln!(
        text,
        "\nEach patch carries its own tests and measured before/after in its message.\n\
         Apply with: git am --empty=drop {}/*.patch (this cover letter is skipped).",
        folder_name(index, pr)
    )?;
    Ok(text)
}

fn overview(manifest: &Manifest, prs: &[Pr]) -> Result<String> {
    let mut text = format!(
        "# wasmer-rt as pull requests\n\n\
         Base: {}. One folder per pull request, in an order they can be merged in.\n\
         Each folder's mails apply with `git am` to the release once the folders it needs\n\
         are applied; `cargo xtask upstream export --check` proves that each such state\n\
         builds and adds no finding to Wasmer's lint (clippy::all plus the rustc lints of\n\
         its `make lint`). The patches within a PR build one by one too\n\
         (`cargo xtask patches bisect`, on the series order).\n\n\
         | PR | title | patches | needs |\n|---|---|---|---|\n",
        base_line(manifest)?
    );
    for (index, pr) in prs.iter().enumerate() {
        writeln!(
            text,
            "| `{}` | {} | {} | {} |",
            folder_name(index, pr),
            pr.title,
            pr.patches.len(),
            if pr.needs.is_empty() {
                "–".to_owned()
            } else {
                pr.needs.join(", ")
            }
        )?;
    }
    Ok(text)
}

/// The command: writes the export, and with `check`, proves every PR builds.
pub fn run(ws: &Workspace, dir: &Path, check: bool) -> Result<()> {
    let folders = write(ws, dir)?;
    println!(
        "wrote {} pull requests to {} (README.md lists them in merge order)",
        folders.len(),
        dir.display()
    );
    if check {
        let mut checker = Checker::new(ws)?;
        check_with(ws, dir, &mut checker)?;
    }
    Ok(())
}

/// Applies each PR folder with `git am` on pristine after the folders it needs,
/// and requires the result to build and add no lint finding.
pub fn check_with(ws: &Workspace, dir: &Path, checker: &mut Checker) -> Result<()> {
    let series = Series::load(&ws.patches_dir())?;
    let prs = load(ws, &series)?;
    if prs.is_empty() {
        bail!("patches/prs.toml declares no PR: there is nothing to check");
    }
    let mut failed = Vec::new();
    for (index, pr) in prs.iter().enumerate() {
        let repo = checker.repo();
        repo.git().run([
            "switch",
            "--quiet",
            "--discard-changes",
            "-C",
            &format!("check-{}", pr.name),
            PRISTINE,
        ])?;
        for folder in needed(&prs, index)
            .into_iter()
            .chain([index])
            .map(|i| dir.join(folder_name(i, &prs[i])))
        {
            let mut mails: Vec<PathBuf> = std::fs::read_dir(&folder)
                .with_context(|| format!("reading {}", folder.display()))?
                .map(|entry| Ok(entry?.path()))
                .collect::<Result<_>>()?;
            mails.sort();
            if mails.is_empty() {
                bail!("PR {}: {} holds no mail", pr.name, folder.display());
            }
            repo.apply_all(&mails)
                .with_context(|| format!("PR {}: applying {}", pr.name, folder.display()))?;
        }
        let label = format!("PR {}", folder_name(index, pr));
        if !checker.check(&label, "HEAD")?.passed() {
            failed.push(pr.name.clone());
        }
    }
    if !failed.is_empty() {
        bail!(
            "{} of {} PRs fail to build or add lint findings on their base: {}",
            failed.len(),
            prs.len(),
            failed.join(", ")
        );
    }
    println!(
        "upstream export: all {} PRs apply with git am on their base, build, and add no lint finding",
        prs.len()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::patches::tests::scratch_workspace;

    fn pr(name: &str, patches: &[&str], needs: &[&str]) -> Pr {
        Pr {
            name: name.into(),
            title: "fix(wasix): x".into(),
            patches: patches.iter().map(|p| p.to_string()).collect(),
            needs: needs.iter().map(|p| p.to_string()).collect(),
            summary: String::new(),
        }
    }

    #[test]
    fn every_patch_belongs_to_one_pr_in_order() {
        let series: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        let ok = [pr("x", &["a", "c"], &[]), pr("y", &["b"], &["x"])];
        assert!(problems(&ok, &series).is_empty());
        let bad = [pr("x", &["c", "a"], &["y"]), pr("y", &["a"], &[])];
        let found = problems(&bad, &series);
        assert!(found.iter().any(|p| p.contains("needs y")), "{found:?}");
        assert!(
            found.iter().any(|p| p.contains("out of series order")),
            "{found:?}"
        );
        assert!(
            found.iter().any(|p| p.contains("a is in both")),
            "{found:?}"
        );
        assert!(
            found.iter().any(|p| p.contains("b belongs to no PR")),
            "{found:?}"
        );
    }

    #[test]
    fn needs_are_transitive_and_in_merge_order() {
        let prs = [
            pr("a", &["1"], &[]),
            pr("b", &["2"], &["a"]),
            pr("c", &["3"], &[]),
            pr("d", &["4"], &["b"]),
        ];
        assert_eq!(needed(&prs, 3), [0, 1]);
        assert!(needed(&prs, 2).is_empty());
    }

    /// Every PR folder applies with plain `git am` to the release sources after
    /// the folders it needs; all of them together give exactly the vendored tree.
    #[test]
    fn every_pr_applies_with_git_am_on_its_base() {
        let (dir, ws) = scratch_workspace();
        let out = dir.path().join("export");
        let folders = write(&ws, &out).unwrap();
        let series = Series::load(&ws.patches_dir()).unwrap();
        let prs = load(&ws, &series).unwrap();
        assert_eq!(folders.len(), prs.len());
        let manifest = Manifest::load(&ws.manifest_path()).unwrap();
        for (index, pr) in prs.iter().enumerate() {
            let monorepo = patches::pristine(&ws, &manifest).unwrap();
            for i in needed(&prs, index).into_iter().chain([index]) {
                let mut mails: Vec<_> = std::fs::read_dir(&folders[i])
                    .unwrap()
                    .map(|e| e.unwrap().path())
                    .collect();
                mails.sort();
                monorepo
                    .apply_all(&mails)
                    .unwrap_or_else(|e| panic!("PR {}: {e:#}", pr.name));
            }
            let log = monorepo.git().run(["log", "--format=%s%n%b"]).unwrap();
            assert!(
                !log.contains("Upstream-Status"),
                "downstream trailers leaked:\n{log}"
            );
        }
        let readme = std::fs::read_to_string(out.join("README.md")).unwrap();
        assert!(!readme.contains("stands alone"), "{readme}");
    }
}
