//! Byte-for-byte comparison of two directory trees.

use anyhow::{Context, Result};
use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// Lists how `actual` differs from `expected`: missing, extra, changed files and
/// changed executable bits. Empty means identical.
pub fn differences(expected: &Path, actual: &Path) -> Result<Vec<String>> {
    let expected_files = files(expected)?;
    let actual_files = files(actual)?;
    let mut problems = Vec::new();
    for (path, expected_mode) in &expected_files {
        match actual_files.get(path) {
            None => problems.push(format!("missing: {}", path.display())),
            Some(actual_mode) => {
                let same = std::fs::read(expected.join(path))? == std::fs::read(actual.join(path))?;
                if !same {
                    problems.push(format!("content differs: {}", path.display()));
                } else if actual_mode != expected_mode {
                    problems.push(format!("executable bit differs: {}", path.display()));
                }
            }
        }
    }
    for path in actual_files.keys() {
        if !expected_files.contains_key(path) {
            problems.push(format!("not from pristine + series: {}", path.display()));
        }
    }
    Ok(problems)
}

/// Relative path → executable bit for every file (and symlink) under `root`.
fn files(root: &Path) -> Result<BTreeMap<PathBuf, bool>> {
    let mut files = BTreeMap::new();
    for entry in walkdir::WalkDir::new(root) {
        let entry = entry.with_context(|| format!("walking {}", root.display()))?;
        if entry.file_type().is_dir() {
            continue;
        }
        let relative = entry.path().strip_prefix(root)?.to_path_buf();
        let executable = entry.metadata()?.permissions().mode() & 0o111 != 0;
        files.insert(relative, executable);
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_every_kind_of_difference() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        for dir in [a.path(), b.path()] {
            std::fs::create_dir(dir.join("src")).unwrap();
            std::fs::write(dir.join("src/same.rs"), "x").unwrap();
        }
        std::fs::write(a.path().join("src/changed.rs"), "old").unwrap();
        std::fs::write(b.path().join("src/changed.rs"), "new").unwrap();
        std::fs::write(a.path().join("gone.rs"), "").unwrap();
        std::fs::write(b.path().join("extra.rs"), "").unwrap();
        let problems = differences(a.path(), b.path()).unwrap();
        assert_eq!(
            problems,
            [
                "missing: gone.rs",
                "content differs: src/changed.rs",
                "not from pristine + series: extra.rs"
            ]
        );
    }
}
