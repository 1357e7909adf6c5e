//! A thin wrapper around the `git` command line, isolated from the user's config.

use anyhow::{Context, Result, bail};
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Identity used for commits in scratch repositories (never published).
const SCRATCH_NAME: &str = "wasmer-rt xtask";
const SCRATCH_EMAIL: &str = "xtask@wasmer-rt.invalid";

/// A git repository driven through the `git` binary.
pub struct Git {
    dir: PathBuf,
}

impl Git {
    /// Creates an empty repository in `dir`.
    pub fn init(dir: &Path) -> Result<Self> {
        let git = Self {
            dir: dir.to_path_buf(),
        };
        git.run(["init", "--quiet", "--initial-branch=main"])?;
        Ok(git)
    }

    /// An existing repository in `dir`.
    pub fn open(dir: &Path) -> Self {
        Self {
            dir: dir.to_path_buf(),
        }
    }

    /// The work tree.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn command(&self) -> Command {
        let mut command = Command::new("git");
        command
            .current_dir(&self.dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_COMMITTER_NAME", SCRATCH_NAME)
            .env("GIT_COMMITTER_EMAIL", SCRATCH_EMAIL)
            .env("GIT_AUTHOR_NAME", SCRATCH_NAME)
            .env("GIT_AUTHOR_EMAIL", SCRATCH_EMAIL)
            .args(["-c", "core.autocrlf=false", "-c", "core.fileMode=true"]);
        command
    }

    /// Runs git and returns its stdout, or an error carrying git's own message.
    pub fn run<I, S>(&self, args: I) -> Result<String>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let output = self.output(args)?;
        if !output.status.success() {
            bail!("{}", git_error(&output));
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// Runs git and returns the raw output, successful or not.
    pub fn output<I, S>(&self, args: I) -> Result<Output>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.command()
            .args(args)
            .output()
            .context("running git (is it installed?)")
    }

    /// Stages everything (additions, changes, deletions) and commits it.
    pub fn commit_all(&self, message: &str) -> Result<()> {
        self.run(["add", "--all"])?;
        self.run(["commit", "--quiet", "--allow-empty", "-m", message])?;
        Ok(())
    }

    /// Whether the index differs from HEAD after staging everything.
    pub fn stage_all_has_changes(&self) -> Result<bool> {
        self.run(["add", "--all"])?;
        let output = self.output(["diff", "--cached", "--quiet"])?;
        Ok(!output.status.success())
    }

    /// The developer's configured identity in a real repository, if any.
    pub fn user_identity(repo: &Path) -> Option<String> {
        let read = |key: &str| {
            let output = Command::new("git")
                .current_dir(repo)
                .args(["config", key])
                .output()
                .ok()?;
            let value = String::from_utf8_lossy(&output.stdout).trim().to_owned();
            (output.status.success() && !value.is_empty()).then_some(value)
        };
        Some(format!("{} <{}>", read("user.name")?, read("user.email")?))
    }
}

/// The most useful lines of a failed git command's output, on one line.
pub fn git_error(output: &Output) -> String {
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(&output.stdout)
    );
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|line| line.starts_with("error:") || line.starts_with("fatal:"))
        .collect();
    if lines.is_empty() {
        text.lines()
            .map(str::trim)
            .find(|line| !line.is_empty())
            .unwrap_or("git failed without output")
            .to_owned()
    } else {
        lines.join("; ")
    }
}
