//! `cargo xtask upstream export DIR`: the series as mails for wasmerio/wasmer.

use crate::manifest::Manifest;
use crate::patch_mail::PatchMail;
use crate::series::Series;
use crate::workspace::Workspace;
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};

/// Writes `0000-cover-letter.patch` and one numbered mail per patch (our
/// downstream trailers removed) into `dir`, and returns the patch paths.
pub fn write(ws: &Workspace, dir: &Path) -> Result<Vec<PathBuf>> {
    let manifest = Manifest::load(&ws.manifest_path())?;
    let series = Series::load(&ws.patches_dir())?;
    let patches = series.read_all()?;
    if patches.is_empty() {
        bail!("the series is empty; nothing to export");
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|ext| ext == "patch") {
            std::fs::remove_file(&path)?;
        }
    }
    let total = patches.len();
    let mut titles = Vec::new();
    let mut written = Vec::new();
    for (index, (name, text)) in patches.iter().enumerate() {
        let mut mail = PatchMail::parse(text).with_context(|| format!("parsing {name}"))?;
        mail.strip_downstream_trailers();
        mail.set_subject_prefix(&format!("PATCH {}/{total}", index + 1));
        titles.push(mail.title().to_owned());
        let path = dir.join(name);
        std::fs::write(&path, mail.render())?;
        written.push(path);
    }
    std::fs::write(
        dir.join("0000-cover-letter.patch"),
        cover_letter(&manifest, &titles)?,
    )?;
    Ok(written)
}

/// The command: writes the export and says how to apply it.
pub fn run(ws: &Workspace, dir: &Path) -> Result<()> {
    let written = write(ws, dir)?;
    let manifest = Manifest::load(&ws.manifest_path())?;
    let commit = manifest
        .crates
        .first()
        .map_or("", |krate| krate.upstream_commit.as_str());
    println!(
        "wrote {} patches and a cover letter to {}\napply on wasmerio/wasmer {commit} with: git am --empty=drop {}/*.patch",
        written.len(),
        dir.display(),
        dir.display()
    );
    Ok(())
}

fn cover_letter(manifest: &Manifest, titles: &[String]) -> Result<String> {
    let version = manifest.wasmer_version()?;
    let base: Vec<String> = manifest
        .crates
        .iter()
        .map(|k| format!("  {} ({} {})", k.upstream_path, k.name, k.version))
        .collect();
    let commit = manifest
        .crates
        .first()
        .map_or("", |krate| krate.upstream_commit.as_str());
    let list: Vec<String> = titles
        .iter()
        .enumerate()
        .map(|(i, title)| format!("  {}/{}: {title}", i + 1, titles.len()))
        .collect();
    Ok(format!(
        "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n\
         From: wasmer-rt <dev@wasmer-rt.invalid>\n\
         Subject: [PATCH 0/{n}] wasix: precise, interruptible sleeps and a cheaper syscall path\n\
         \n\
         This series makes WASI/WASIX timed waits in wasmer-wasix behave like a real-time\n\
         system and fixes the bugs found on the way. Each patch stands alone, builds and\n\
         passes the tests by itself, and carries its measured before/after.\n\
         \n\
         Base: wasmer {version}, commit {commit}\n\
         {base}\n\
         \n\
         {list}\n\
         \n\
         Apply with: git am --empty=drop *.patch (this cover letter is skipped).\n",
        n = titles.len(),
        base = base.join("\n"),
        list = list.join("\n"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::patches::{pristine, tests::scratch_workspace};
    use crate::tree_diff;

    /// The exported mails apply with plain `git am` to the release sources laid out at
    /// their monorepo paths, and produce exactly the vendored tree.
    #[test]
    fn export_applies_with_git_am_to_the_release_sources() {
        let (dir, ws) = scratch_workspace();
        let out = dir.path().join("export");
        let written = write(&ws, &out).unwrap();
        let manifest = Manifest::load(&ws.manifest_path()).unwrap();
        let monorepo = pristine(&ws, &manifest).unwrap();
        let mut mails: Vec<_> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        mails.sort();
        assert_eq!(mails.len(), written.len() + 1, "cover letter + patches");
        monorepo.apply_all(&mails).unwrap();
        let log = monorepo.git().run(["log", "--format=%s%n%b"]).unwrap();
        assert!(
            !log.contains("Upstream-Status"),
            "downstream trailers leaked:\n{log}"
        );
        for krate in &manifest.crates {
            let differences = tree_diff::differences(
                &monorepo.crate_dir(krate).unwrap(),
                &ws.vendor_dir().join(&krate.dir),
            )
            .unwrap();
            assert!(differences.is_empty(), "{differences:#?}");
        }
    }
}
