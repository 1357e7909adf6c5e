//! `patches/series`: the ordered list of patch files.

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};

/// The series file and the patch files it names, in order.
pub struct Series {
    dir: PathBuf,
    entries: Vec<String>,
}

impl Series {
    /// Reads `dir/series` (one file name per line; `#` comments and blank lines ignored).
    pub fn load(dir: &Path) -> Result<Self> {
        let path = dir.join("series");
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let entries = text
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .map(str::to_owned)
            .collect();
        Ok(Self {
            dir: dir.to_path_buf(),
            entries,
        })
    }

    /// File names in series order.
    pub fn entries(&self) -> &[String] {
        &self.entries
    }

    /// Paths of the patch files in series order.
    pub fn paths(&self) -> Vec<PathBuf> {
        self.entries
            .iter()
            .map(|name| self.dir.join(name))
            .collect()
    }

    /// Reads every patch in series order as `(file name, text)`.
    pub fn read_all(&self) -> Result<Vec<(String, String)>> {
        self.entries
            .iter()
            .map(|name| {
                let path = self.dir.join(name);
                let text = std::fs::read_to_string(&path).with_context(|| {
                    format!("patches/series names {name}, which cannot be read")
                })?;
                Ok((name.clone(), text))
            })
            .collect()
    }

    /// The file name for a new patch `stem` appended at the end (`NNNN-stem.patch`).
    pub fn next_file_name(&self, stem: &str) -> Result<String> {
        if stem.is_empty()
            || !stem
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            bail!("patch name {stem:?} must be lower-case letters, digits and dashes");
        }
        Ok(format!("{:04}-{stem}.patch", self.entries.len() + 1))
    }

    /// Appends `file_name` to the series file, keeping its comments.
    pub fn append(&mut self, file_name: &str) -> Result<()> {
        let path = self.dir.join("series");
        let mut text = std::fs::read_to_string(&path)?;
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str(file_name);
        text.push('\n');
        std::fs::write(&path, text)?;
        self.entries.push(file_name.to_owned());
        Ok(())
    }

    /// Rewrites the series file to list `names`, keeping its leading comment lines.
    pub fn replace(&mut self, names: &[String]) -> Result<()> {
        let path = self.dir.join("series");
        let old = std::fs::read_to_string(&path)?;
        let mut text: String = old
            .lines()
            .take_while(|line| line.starts_with('#') || line.trim().is_empty())
            .map(|line| format!("{line}\n"))
            .collect();
        for name in names {
            text.push_str(name);
            text.push('\n');
        }
        std::fs::write(&path, text)?;
        self.entries = names.to_vec();
        Ok(())
    }

    /// Problems with the series as a whole: missing files, unlisted patches, numbering.
    pub fn lint(&self) -> Result<Vec<String>> {
        let mut problems = Vec::new();
        for (index, name) in self.entries.iter().enumerate() {
            if !self.dir.join(name).is_file() {
                problems.push(format!("patches/series names {name}, which does not exist"));
            }
            let expected = format!("{:04}-", index + 1);
            if !name.starts_with(&expected) || !name.ends_with(".patch") {
                problems.push(format!(
                    "{name}: entry {} of the series must be named {expected}<name>.patch",
                    index + 1
                ));
            }
        }
        for entry in std::fs::read_dir(&self.dir)? {
            let name = entry?.file_name().to_string_lossy().into_owned();
            if name.ends_with(".patch") && !self.entries.contains(&name) {
                problems.push(format!("{name} is not listed in patches/series"));
            }
        }
        Ok(problems)
    }
}
