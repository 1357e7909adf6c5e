//! The insta snapshot rules of CI: snapshots are never written during a CI run
//! (`INSTA_UPDATE=no`), no `.snap.new` is left pending, and every committed
//! `.snap` file is referenced by a test (insta records each snapshot a test
//! touches in `INSTA_SNAPSHOT_REFERENCES_FILE`, the mechanism behind
//! `cargo insta test --unreferenced=reject`).

use anyhow::{Context, Result, bail};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use walkdir::WalkDir;

/// The environment a test run needs so that [`check`] can judge it afterwards.
pub struct Tracking {
    references: PathBuf,
}

impl Tracking {
    /// Starts tracking: the references file lives in `target_dir` and starts empty.
    pub fn start(target_dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(target_dir)
            .with_context(|| format!("creating {}", target_dir.display()))?;
        let references = target_dir.join("insta-references.txt");
        if references.exists() {
            std::fs::remove_file(&references)
                .with_context(|| format!("removing {}", references.display()))?;
        }
        Ok(Self { references })
    }

    /// Environment variables for the test run.
    pub fn env(&self) -> [(&'static str, &Path); 1] {
        [("INSTA_SNAPSHOT_REFERENCES_FILE", &self.references)]
    }

    /// Fails if a snapshot under `roots` is pending or was not referenced.
    pub fn check(&self, roots: &[PathBuf]) -> Result<()> {
        let text = std::fs::read_to_string(&self.references).unwrap_or_default();
        let referenced: BTreeSet<PathBuf> = text
            .lines()
            .filter(|l| !l.is_empty())
            .map(|l| canonical(Path::new(l)))
            .collect();
        let (committed, pending) = snapshot_files(roots);
        if !pending.is_empty() {
            bail!(
                "pending snapshots (review them with `cargo insta review` or delete them): {}",
                list(&pending)
            );
        }
        let unreferenced = unreferenced(&committed, &referenced);
        if !unreferenced.is_empty() {
            bail!(
                "snapshots no test references (delete them or restore their test): {}",
                list(&unreferenced)
            );
        }
        println!(
            "snapshots: {} committed, all referenced, none pending",
            committed.len()
        );
        Ok(())
    }
}

/// `.snap` and `.snap.new` files under `roots`.
fn snapshot_files(roots: &[PathBuf]) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let (mut committed, mut pending) = (Vec::new(), Vec::new());
    for root in roots {
        for entry in WalkDir::new(root).into_iter().filter_map(Result::ok) {
            let name = entry.file_name().to_string_lossy();
            if name.ends_with(".snap") {
                committed.push(canonical(entry.path()));
            } else if name.ends_with(".snap.new") || name.ends_with(".pending-snap") {
                pending.push(entry.path().to_path_buf());
            }
        }
    }
    (committed, pending)
}

fn unreferenced(committed: &[PathBuf], referenced: &BTreeSet<PathBuf>) -> Vec<PathBuf> {
    committed
        .iter()
        .filter(|path| !referenced.contains(*path))
        .cloned()
        .collect()
}

fn canonical(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_path_buf())
}

fn list(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_unreferenced_and_pending_snapshots() {
        let dir = tempfile::tempdir().unwrap();
        let snaps = dir.path().join("tests/snapshots");
        std::fs::create_dir_all(&snaps).unwrap();
        for name in ["a.snap", "b.snap"] {
            std::fs::write(snaps.join(name), "").unwrap();
        }
        let tracking = Tracking::start(&dir.path().join("target")).unwrap();
        std::fs::write(
            &tracking.references,
            format!("{}\n", snaps.join("a.snap").display()),
        )
        .unwrap();
        let error = tracking.check(&[dir.path().join("tests")]).unwrap_err();
        assert!(error.to_string().contains("b.snap"), "{error}");
        std::fs::write(
            &tracking.references,
            format!(
                "{}\n{}\n",
                snaps.join("a.snap").display(),
                snaps.join("b.snap").display()
            ),
        )
        .unwrap();
        tracking.check(&[dir.path().join("tests")]).unwrap();
        std::fs::write(snaps.join("c.snap.new"), "").unwrap();
        let error = tracking.check(&[dir.path().join("tests")]).unwrap_err();
        assert!(error.to_string().contains("pending"), "{error}");
    }
}
