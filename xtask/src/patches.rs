//! `cargo xtask patches check|new|refresh`.

use crate::git::Git;
use crate::manifest::Manifest;
use crate::monorepo::Monorepo;
use crate::patch_mail::{self, PatchMail};
use crate::registry;
use crate::series::Series;
use crate::tree_diff;
use crate::workspace::Workspace;
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};

/// The pristine crates, verified against `vendor/crates.toml`, in a scratch monorepo.
pub fn pristine(ws: &Workspace, manifest: &Manifest) -> Result<Monorepo> {
    let monorepo = Monorepo::pristine(manifest, &verified_archives(ws, manifest)?)?;
    check_vcs_info(&monorepo, manifest)?;
    Ok(monorepo)
}

/// Like [`pristine`], in the directory `dir`, which is kept.
pub fn pristine_at(ws: &Workspace, manifest: &Manifest, dir: &Path) -> Result<Monorepo> {
    let monorepo = Monorepo::pristine_at(dir, manifest, &verified_archives(ws, manifest)?)?;
    check_vcs_info(&monorepo, manifest)?;
    Ok(monorepo)
}

/// The crates' archives, each checked against the checksum in `vendor/crates.toml`.
fn verified_archives(ws: &Workspace, manifest: &Manifest) -> Result<Vec<PathBuf>> {
    let archives = registry::archives(&manifest.crates, &ws.lock_path())?;
    for (krate, archive) in manifest.crates.iter().zip(&archives) {
        let actual = registry::sha256_file(archive)?;
        if actual != krate.checksum {
            bail!(
                "{}.crate has sha256 {actual} but vendor/crates.toml records {:?}",
                krate.archive_stem(),
                krate.checksum
            );
        }
    }
    Ok(archives)
}

fn check_vcs_info(monorepo: &Monorepo, manifest: &Manifest) -> Result<()> {
    for krate in &manifest.crates {
        let (commit, path) = registry::vcs_info(&monorepo.crate_dir(krate)?)?;
        if commit != krate.upstream_commit || path != krate.upstream_path {
            bail!(
                "{}: .cargo_vcs_info.json says {commit} {path}, vendor/crates.toml says {} {}",
                krate.archive_stem(),
                krate.upstream_commit,
                krate.upstream_path
            );
        }
    }
    Ok(())
}

/// Every reason `vendor/` and `patches/` are not in order; empty when they are.
pub fn problems(ws: &Workspace) -> Result<Vec<String>> {
    let manifest = Manifest::load(&ws.manifest_path())?;
    let version = manifest.wasmer_version()?;
    let series = Series::load(&ws.patches_dir())?;
    let mut problems = series.lint()?;
    if let Err(error) = crate::export::load(ws, &series) {
        problems.push(format!("{error:#}"));
    }
    for (name, text) in series.read_all()? {
        match PatchMail::parse(&text) {
            Ok(mail) => problems.extend(
                mail.lint(&manifest, version)
                    .into_iter()
                    .map(|p| format!("{name}: {p}")),
            ),
            Err(error) => problems.push(format!("{name}: not a git mail: {error}")),
        }
    }
    let monorepo = pristine(ws, &manifest)?;
    monorepo.apply_all(&series.paths())?;
    for krate in &manifest.crates {
        let vendored = ws.vendor_dir().join(&krate.dir);
        if !vendored.is_dir() {
            problems.push(format!(
                "vendor/{} is missing (run cargo xtask vendor)",
                krate.dir
            ));
            continue;
        }
        let differences = tree_diff::differences(&monorepo.crate_dir(krate)?, &vendored)?;
        problems.extend(
            differences
                .into_iter()
                .map(|d| format!("vendor/{}: {d}", krate.dir)),
        );
    }
    problems.extend(crate::revert_check::revert_problems(
        ws, &series, &monorepo,
    )?);
    for entry in std::fs::read_dir(ws.vendor_dir())? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if name != "crates.toml" && !manifest.crates.iter().any(|k| k.dir == name) {
            problems.push(format!("vendor/{name} is not listed in vendor/crates.toml"));
        }
    }
    Ok(problems)
}

/// `patches check`: fails with the list of problems, if any.
pub fn check(ws: &Workspace) -> Result<()> {
    let problems = problems(ws)?;
    if problems.is_empty() {
        let count = Series::load(&ws.patches_dir())?.entries().len();
        println!("patches check: vendor/ equals pristine + {count} patches; headers OK");
        return Ok(());
    }
    for problem in &problems {
        eprintln!("  {problem}");
    }
    bail!(
        "patches check found {} problem(s); edit under vendor/ and record with `cargo xtask patches new|refresh`",
        problems.len()
    )
}

/// `patches new`: records the vendor/ edits as a new last patch.
pub fn new(
    ws: &Workspace,
    stem: &str,
    subject: &str,
    body_file: Option<&std::path::Path>,
) -> Result<()> {
    let manifest = Manifest::load(&ws.manifest_path())?;
    let mut series = Series::load(&ws.patches_dir())?;
    let file_name = series.next_file_name(stem)?;
    let body = match body_file {
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("reading --body-file {}", path.display()))?,
        None => "TODO: why (the user-visible problem), what (the change), and the measured\nbefore -> after (benchmark, machine, date).".to_owned(),
    };
    let monorepo = pristine(ws, &manifest)?;
    monorepo.apply_all(&series.paths())?;
    monorepo.overlay(&manifest, &ws.vendor_dir())?;
    if !monorepo.git().stage_all_has_changes()? {
        bail!("nothing to record: vendor/ already equals pristine + series");
    }
    let message = patch_mail::new_message(subject, &body, manifest.wasmer_version()?, &today());
    let author = Git::user_identity(ws.root())
        .unwrap_or_else(|| "wasmer-rt <dev@wasmer-rt.invalid>".to_owned());
    monorepo
        .git()
        .run(["commit", "--quiet", "--author", &author, "-m", &message])?;
    let text = monorepo.format_head()?;
    std::fs::write(ws.patches_dir().join(&file_name), text)?;
    series.append(&file_name)?;
    crate::export::append_pr(ws, stem, subject, &file_name)?;
    println!("recorded patches/{file_name}");
    Ok(())
}

/// `patches refresh`: regenerates the last patch from vendor/, keeping its message.
pub fn refresh(ws: &Workspace) -> Result<()> {
    let manifest = Manifest::load(&ws.manifest_path())?;
    let series = Series::load(&ws.patches_dir())?;
    let paths = series.paths();
    let Some((last, earlier)) = paths.split_last() else {
        bail!("the series is empty; record a first patch with `cargo xtask patches new`");
    };
    let monorepo = pristine(ws, &manifest)?;
    monorepo.apply_all(earlier)?;
    monorepo.apply(last)?;
    monorepo.overlay(&manifest, &ws.vendor_dir())?;
    let git = monorepo.git();
    if !git.stage_all_has_changes()? {
        println!("{} already matches vendor/", last.display());
        return Ok(());
    }
    if git
        .output(["diff", "--cached", "--quiet", "HEAD~1"])?
        .status
        .success()
    {
        bail!(
            "vendor/ now equals the series without {}; remove it from patches/series instead",
            last.display()
        );
    }
    git.run(["commit", "--quiet", "--amend", "--no-edit"])?;
    let mut mail = PatchMail::parse(&monorepo.format_head()?)?;
    mail.set_trailer("Last-Update", &today());
    std::fs::write(last, mail.render())?;
    println!("refreshed {}", last.display());
    Ok(())
}

/// Today's date (UTC) as `YYYY-MM-DD`.
pub fn today() -> String {
    let now = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    now[..10].to_owned()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::monorepo::copy_tree;

    /// A copy of this repository's vendor/, patches/, manifests and locks to experiment on.
    pub(crate) fn scratch_workspace() -> (tempfile::TempDir, Workspace) {
        let real = Workspace::locate().unwrap();
        let dir = tempfile::tempdir().unwrap();
        copy_tree(&real.vendor_dir(), &dir.path().join("vendor")).unwrap();
        copy_tree(&real.patches_dir(), &dir.path().join("patches")).unwrap();
        for file in [
            "Cargo.lock",
            "Cargo.toml",
            "rust-toolchain.toml",
            "ci/vendored-tests.lock",
        ] {
            let target = dir.path().join(file);
            std::fs::create_dir_all(target.parent().unwrap()).unwrap();
            std::fs::copy(real.root().join(file), target).unwrap();
        }
        let ws = Workspace::at(dir.path());
        (dir, ws)
    }

    fn touch_wasix(ws: &Workspace) {
        let file = ws.vendor_dir().join("wasmer-wasix/src/lib.rs");
        let mut text = std::fs::read_to_string(&file).unwrap();
        text.push_str("// hand edit\n");
        std::fs::write(file, text).unwrap();
    }

    #[test]
    fn the_committed_tree_is_consistent() {
        let problems = problems(&Workspace::locate().unwrap()).unwrap();
        assert!(problems.is_empty(), "{problems:#?}");
    }

    #[test]
    fn a_hand_edit_fails_the_check_until_refresh_records_it() {
        let (_dir, ws) = scratch_workspace();
        touch_wasix(&ws);
        let problems = problems(&ws).unwrap();
        assert_eq!(
            problems,
            ["vendor/wasmer-wasix: content differs: src/lib.rs"]
        );
        if Series::load(&ws.patches_dir())
            .unwrap()
            .entries()
            .is_empty()
        {
            return;
        }
        refresh(&ws).unwrap();
        let problems = super::problems(&ws).unwrap();
        assert!(problems.is_empty(), "{problems:#?}");
        let series = Series::load(&ws.patches_dir()).unwrap();
        let (_, last) = series.read_all().unwrap().pop().unwrap();
        assert!(last.contains("+// hand edit"));
    }

    #[test]
    fn new_records_an_edit_as_the_next_patch() {
        let (dir, ws) = scratch_workspace();
        let before = Series::load(&ws.patches_dir()).unwrap().entries().len();
        touch_wasix(&ws);
        let body = dir.path().join("body.txt");
        std::fs::write(&body, "Why and what.\n\nBefore: 1 ms. After: 2 us.\n").unwrap();
        new(
            &ws,
            "hand-edit",
            "fix(wasix): record a hand edit",
            Some(&body),
        )
        .unwrap();
        let series = Series::load(&ws.patches_dir()).unwrap();
        assert_eq!(series.entries().len(), before + 1);
        assert_eq!(
            series.entries().last().unwrap(),
            &format!("{:04}-hand-edit.patch", before + 1)
        );
        let problems = problems(&ws).unwrap();
        assert!(problems.is_empty(), "{problems:#?}");
        let err = new(&ws, "again", "fix(wasix): nothing", Some(&body)).unwrap_err();
        assert!(err.to_string().contains("nothing to record"), "{err}");
    }

    #[test]
    fn a_patch_that_no_longer_applies_is_named_with_its_hunk() {
        let (_dir, ws) = scratch_workspace();
        let series = Series::load(&ws.patches_dir()).unwrap();
        let Some(first) = series.paths().into_iter().next() else {
            return;
        };
        let text = std::fs::read_to_string(&first).unwrap();
        // Corrupt the first context line of the first hunk.
        let hunk = text.find("\n@@ ").unwrap();
        let context = hunk + text[hunk + 1..].find('\n').unwrap() + 2;
        let mut broken = text.clone();
        broken.insert_str(context + 1, "no such line ");
        std::fs::write(&first, broken).unwrap();
        let error = format!("{:#}", problems(&ws).unwrap_err());
        let name = first.file_name().unwrap().to_string_lossy();
        assert!(
            error.contains(&format!("patch {name} does not apply")),
            "{error}"
        );
        assert!(error.contains("patch failed: lib/"), "{error}");
        assert!(!error.contains('\n'), "one line: {error}");
    }
}
