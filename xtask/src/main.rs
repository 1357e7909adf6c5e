//! Repository tooling for wasmer-rt, run as `cargo xtask <command>`.
//!
//! `vendor/` must always equal the pristine crates.io releases listed in
//! `vendor/crates.toml` plus `patches/series`. The commands here are the only way
//! that tree is written: `vendor` re-imports it, `patches new`/`patches refresh`
//! record edits made under `vendor/` as patches, `patches check` proves the
//! equality, and `upstream export` writes the series for `git am` upstream.

mod ci;
mod export;
mod git;
mod manifest;
mod monorepo;
mod patch_mail;
mod patches;
mod registry;
mod revert_check;
mod scratch;
mod series;
mod snapshots;
mod tree_diff;
mod upstream_build;
mod vendor;
mod vendored_tests;
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
    /// Run the unit tests the series adds to the vendored wasmer-wasix, in the crate itself.
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
}

#[derive(Subcommand)]
enum UpstreamCommand {
    /// Write the series as monorepo-path git mails plus a cover letter, ready for `git am`.
    Export {
        /// Output directory (created if missing; existing *.patch files in it are replaced).
        dir: PathBuf,
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
        },
        Command::Upstream { command } => match command {
            UpstreamCommand::Export { dir } => export::run(&ws, &dir),
            UpstreamCommand::Build => upstream_build::run(&ws),
        },
    }
}
