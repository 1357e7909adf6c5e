//! `cargo xtask patches edit DIR` and `cargo xtask patches import DIR`: work on any
//! patch of the series with git itself.
//!
//! `edit` writes a git repository with the pristine crates at their monorepo paths
//! (tagged `pristine`) and one commit per patch on top. Change the series there
//! with git (`git rebase -i pristine`, `commit --amend`, `fixup`, reorder, split),
//! then `import` turns the commits back into `patches/` (one mail per commit,
//! `Last-Update` bumped on the mails that changed) and rewrites `vendor/` from the
//! repository's HEAD.

use crate::manifest::Manifest;
use crate::monorepo::Monorepo;
use crate::patch_mail::PatchMail;
use crate::patches;
use crate::series::Series;
use crate::upstream_workspace;
use crate::vendor;
use crate::workspace::Workspace;
use anyhow::{Result, bail};
use std::path::Path;

/// The tag on the pristine commit.
const BASE_TAG: &str = "pristine";

/// Writes the series as commits in `dir`.
pub fn edit(ws: &Workspace, dir: &Path) -> Result<()> {
    if dir.exists() && std::fs::read_dir(dir)?.next().is_some() {
        bail!(
            "{} already exists; import it or remove it first",
            dir.display()
        );
    }
    let manifest = Manifest::load(&ws.manifest_path())?;
    let series = Series::load(&ws.patches_dir())?;
    let monorepo = patches::pristine_at(ws, &manifest, dir)?;
    monorepo.git().run(["tag", BASE_TAG])?;
    monorepo.apply_all(&series.paths())?;
    // A cargo workspace over the crates, ignored by git, to build and test in.
    upstream_workspace::install(ws, &manifest, dir)?;
    println!(
        "{}: {} commits on the tag `{BASE_TAG}`, and a cargo workspace over the crates.\n\
         Edit them with git, e.g.\n  git -C {} rebase -i {BASE_TAG}\nthen run: cargo xtask patches import {}",
        dir.display(),
        series.entries().len(),
        dir.display(),
        dir.display()
    );
    Ok(())
}

/// Reads the commits after `pristine` in `dir` back into `patches/` and `vendor/`.
pub fn import(ws: &Workspace, dir: &Path) -> Result<()> {
    let monorepo = Monorepo::open(dir);
    let status = monorepo.git().run(["status", "--porcelain"])?;
    if !status.trim().is_empty() {
        bail!(
            "{} has uncommitted changes (or a rebase in progress); commit or finish them first",
            dir.display()
        );
    }
    let manifest = Manifest::load(&ws.manifest_path())?;
    let mut series = Series::load(&ws.patches_dir())?;
    let commits = monorepo.commits_since(BASE_TAG)?;
    if commits.is_empty() {
        bail!("{} has no commit after `{BASE_TAG}`", dir.display());
    }
    // A commit keeps the file of the patch with its title, renumbered to its
    // place; a new one is named after its title.
    let mut old_names = std::collections::HashMap::new();
    for name in series.entries() {
        let text = std::fs::read_to_string(ws.patches_dir().join(name))?;
        old_names.insert(PatchMail::parse(&text)?.title().to_owned(), name.clone());
    }
    let mut names = Vec::new();
    let mut changed = 0;
    for (index, commit) in commits.iter().enumerate() {
        let mut mail = PatchMail::parse(&monorepo.format_commit(commit)?)?;
        let name = match old_names.get(mail.title()) {
            Some(old) => renumbered(old, index + 1),
            None => format!("{:04}-{}.patch", index + 1, slug(mail.title())),
        };
        let path = ws.patches_dir().join(&name);
        let old = std::fs::read_to_string(&path).unwrap_or_default();
        if old != mail.render() {
            mail.set_trailer("Last-Update", &patches::today());
            std::fs::write(&path, mail.render())?;
            changed += 1;
        }
        names.push(name);
    }
    for old in series.entries() {
        if !names.contains(old) {
            std::fs::remove_file(ws.patches_dir().join(old))?;
        }
    }
    series.replace(&names)?;
    vendor::write_vendor(ws, &manifest, &monorepo)?;
    println!(
        "imported {} patches ({changed} changed) and rewrote vendor/ from {}",
        names.len(),
        dir.display()
    );
    Ok(())
}

/// `old` with its number replaced: `0012-x.patch` at place 11 is `0011-x.patch`.
fn renumbered(old: &str, place: usize) -> String {
    let rest = old.trim_start_matches(|c: char| c.is_ascii_digit());
    format!("{place:04}{rest}")
}

/// A file-name stem from a title: `fix(wasix): Stop X` → `stop-x`.
fn slug(title: &str) -> String {
    let summary = title.split_once(": ").map_or(title, |(_, rest)| rest);
    let mut slug = String::new();
    for c in summary.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') {
            slug.push('-');
        }
        if slug.len() >= 40 {
            break;
        }
    }
    slug.trim_matches('-').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::patches::tests::scratch_workspace;

    #[test]
    fn a_kept_file_name_follows_its_place() {
        assert_eq!(
            renumbered("0012-cli-realtime-flags.patch", 11),
            "0011-cli-realtime-flags.patch"
        );
        assert_eq!(renumbered("0003-x.patch", 3), "0003-x.patch");
    }

    #[test]
    fn slug_keeps_the_summary_only() {
        assert_eq!(
            slug("fix(wasix): stop leaking signal wakers!"),
            "stop-leaking-signal-wakers"
        );
    }

    #[test]
    fn edit_then_import_round_trips_and_records_an_amend() {
        let (dir, ws) = scratch_workspace();
        let repo = dir.path().join("series-git");
        edit(&ws, &repo).unwrap();
        import(&ws, &repo).unwrap();
        let problems = patches::problems(&ws).unwrap();
        assert!(problems.is_empty(), "{problems:#?}");

        let monorepo = Monorepo::open(&repo);
        let file = repo.join("lib/wasix/src/lib.rs");
        let mut text = std::fs::read_to_string(&file).unwrap();
        text.push_str("// amended\n");
        std::fs::write(&file, text).unwrap();
        monorepo
            .git()
            .run(["commit", "--quiet", "--all", "--amend", "--no-edit"])
            .unwrap();
        import(&ws, &repo).unwrap();
        let problems = patches::problems(&ws).unwrap();
        assert!(problems.is_empty(), "{problems:#?}");
        let series = Series::load(&ws.patches_dir()).unwrap();
        let (_, last) = series.read_all().unwrap().pop().unwrap();
        assert!(last.contains("+// amended"));
    }
}
