//! Wasmer's own lint over the vendored crates in one state of the series.
//!
//! Wasmer's `make lint-packages` runs `cargo clippy -- -D clippy::all` with the
//! `RUSTFLAGS` below (wasmer-wasix with the workspace, the CLI with its compiler
//! features). Here both crates are checked in one clippy run of the upstream
//! workspace (`upstream_workspace`), the CLI with `cranelift`, the compiler we
//! ship. The lints are raised to warnings instead of denied, so that every
//! finding of a state is listed and can be compared with pristine's: the series
//! must add none. A compile error means the state does not build.

use anyhow::{Context, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The rustc lints Wasmer's Makefile denies (`lint-packages: RUSTFLAGS += -D ...`).
pub const RUSTC_LINTS: &[&str] = &[
    "dead-code",
    "nonstandard-style",
    "unused-imports",
    "unused-mut",
    "unused-variables",
    "unused-unsafe",
    "unreachable-patterns",
    "bad-style",
    "improper-ctypes",
    "unused-allocation",
    "unused-comparisons",
    "while-true",
    "unconditional-recursion",
    "bare-trait-objects",
    "function_item_references",
];
/// The clippy group Wasmer denies.
pub const CLIPPY_GROUP: &str = "clippy::all";

/// What one clippy run of the upstream crates found.
#[derive(Debug, Default)]
pub struct Findings {
    /// Whether both crates compiled.
    pub builds: bool,
    /// Compile errors, one line each (`file:line: message`).
    pub errors: Vec<String>,
    /// Lint findings keyed without line numbers (`file: [lint] message`), so the
    /// same finding in a state whose lines moved compares equal, with counts.
    pub warnings: BTreeMap<String, usize>,
    /// The same findings with their line, for the report.
    pub located: BTreeMap<String, Vec<String>>,
}

impl Findings {
    /// The findings of `self` that `baseline` does not have (by count), located.
    pub fn added_since(&self, baseline: &Findings) -> Vec<String> {
        let mut added = Vec::new();
        for (key, &count) in &self.warnings {
            let before = baseline.warnings.get(key).copied().unwrap_or(0);
            if count > before {
                let places = self.located.get(key).map(Vec::as_slice).unwrap_or(&[]);
                added.extend(places.iter().take(count - before).cloned());
            }
        }
        added
    }
}

/// The packages the lint covers: both vendored crates, the CLI with the compiler
/// we ship.
pub const UPSTREAM: Selection<'static> = Selection {
    packages: &["wasmer-wasix", "wasmer-cli"],
    features: &["wasmer-cli/cranelift"],
};

/// Which packages of a workspace to lint, with which features.
pub struct Selection<'a> {
    /// `-p` arguments.
    pub packages: &'a [&'a str],
    /// `--features` arguments (`package/feature`).
    pub features: &'a [&'a str],
}

/// Runs the lint over `selection` in `workspace` (a workspace with its lock),
/// building into `target_dir`.
pub fn run(workspace: &Path, target_dir: &Path, selection: &Selection) -> Result<Findings> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut command = Command::new(&cargo);
    command
        .current_dir(workspace)
        .env("CARGO_TARGET_DIR", target_dir)
        .env("WASMER_REPRODUCIBLE_BUILD", "1")
        .args(["clippy", "--locked", "--message-format=json"]);
    for package in selection.packages {
        command.args(["-p", package]);
    }
    for feature in selection.features {
        command.args(["--features", feature]);
    }
    command.args(["--", "-W", CLIPPY_GROUP]);
    for lint in RUSTC_LINTS {
        command.args(["-W", lint]);
    }
    let output = command
        .output()
        .with_context(|| format!("running {cargo} clippy"))?;
    let mut findings = parse(&String::from_utf8_lossy(&output.stdout), workspace);
    findings.builds &= output.status.success();
    if !output.status.success() && findings.errors.is_empty() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        findings.errors.push(
            stderr
                .lines()
                .find(|l| l.starts_with("error"))
                .unwrap_or("cargo clippy failed without a message")
                .to_owned(),
        );
    }
    Ok(findings)
}

/// Reads cargo's JSON messages; paths are made relative to `workspace`.
fn parse(json_lines: &str, workspace: &Path) -> Findings {
    let mut findings = Findings::default();
    for line in json_lines.lines() {
        let Ok(value) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        match value["reason"].as_str() {
            Some("build-finished") => findings.builds = value["success"].as_bool() == Some(true),
            Some("compiler-message") => record(&mut findings, &value["message"], workspace),
            _ => {}
        }
    }
    findings
}

fn record(findings: &mut Findings, message: &serde_json::Value, workspace: &Path) {
    let level = message["level"].as_str().unwrap_or("");
    let text = message["message"].as_str().unwrap_or("").to_owned();
    let Some(span) = message["spans"]
        .as_array()
        .and_then(|spans| spans.iter().find(|s| s["is_primary"] == true))
    else {
        return; // summaries such as "N warnings emitted"
    };
    let file = span["file_name"].as_str().unwrap_or("?");
    let file = Path::new(file)
        .strip_prefix(workspace)
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(file));
    let line = span["line_start"].as_u64().unwrap_or(0);
    match level {
        "error" => findings
            .errors
            .push(format!("{}:{line}: {text}", file.display())),
        "warning" => {
            let code = message["code"]["code"].as_str().unwrap_or("warning");
            let key = format!("{}: [{code}] {text}", file.display());
            findings
                .located
                .entry(key.clone())
                .or_default()
                .push(format!("{}:{line}: [{code}] {text}", file.display()));
            *findings.warnings.entry(key).or_default() += 1;
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(level: &str, code: &str, file: &str, line: u64, text: &str) -> String {
        serde_json::json!({
            "reason": "compiler-message",
            "message": {
                "level": level, "message": text, "code": {"code": code},
                "spans": [{"is_primary": true, "file_name": file, "line_start": line}],
            }
        })
        .to_string()
    }

    #[test]
    fn added_findings_ignore_moved_lines_and_count_repeats() {
        let ws = Path::new("/w");
        let finished = r#"{"reason":"build-finished","success":true}"#;
        let pristine = parse(
            &[
                message("warning", "clippy::x", "/w/lib/a.rs", 10, "m"),
                finished.to_owned(),
            ]
            .join("\n"),
            ws,
        );
        let patched = parse(
            &[
                message("warning", "clippy::x", "/w/lib/a.rs", 14, "m"),
                message("warning", "clippy::x", "/w/lib/a.rs", 30, "m"),
                message(
                    "warning",
                    "clippy::manual_is_multiple_of",
                    "/w/lib/b.rs",
                    5,
                    "n",
                ),
                finished.to_owned(),
            ]
            .join("\n"),
            ws,
        );
        assert!(pristine.builds && patched.builds);
        assert_eq!(
            patched.added_since(&pristine),
            [
                "lib/a.rs:14: [clippy::x] m",
                "lib/b.rs:5: [clippy::manual_is_multiple_of] n"
            ]
        );
        assert!(pristine.added_since(&patched).is_empty());
    }

    /// The control: code that breaks Wasmer's lint is reported, with the lint's
    /// name, by a real clippy run.
    #[test]
    fn a_real_clippy_run_reports_what_wasmer_denies() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("src")).unwrap();
        std::fs::write(
            dir.path().join("Cargo.toml"),
            "[package]\nname = \"lintme\"\nversion = \"0.0.0\"\nedition = \"2024\"\n[workspace]\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("Cargo.lock"),
            "version = 4\n\n[[package]]\nname = \"lintme\"\nversion = \"0.0.0\"\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("src/lib.rs"),
            "pub fn aligned(x: u64) -> bool {\n    x % 8 == 0\n}\n\npub fn f() {\n    let unused = 1;\n}\n",
        )
        .unwrap();
        let selection = Selection {
            packages: &["lintme"],
            features: &[],
        };
        let findings = run(dir.path(), &dir.path().join("target"), &selection).unwrap();
        assert!(findings.builds, "{:?}", findings.errors);
        let all: Vec<&String> = findings.warnings.keys().collect();
        assert!(
            all.iter()
                .any(|f| f.starts_with("src/lib.rs: [clippy::manual_is_multiple_of]")),
            "{all:#?}"
        );
        assert!(
            all.iter().any(|f| f.contains("[unused_variables]")),
            "{all:#?}"
        );
        assert!(
            findings.added_since(&Findings::default()).len() >= 2,
            "{all:#?}"
        );
    }

    #[test]
    fn a_compile_error_means_the_state_does_not_build() {
        let text = [
            message("error", "E0425", "/w/lib/c.rs", 3, "cannot find value `x`"),
            r#"{"reason":"build-finished","success":false}"#.to_owned(),
        ]
        .join("\n");
        let findings = parse(&text, Path::new("/w"));
        assert!(!findings.builds);
        assert_eq!(findings.errors, ["lib/c.rs:3: cannot find value `x`"]);
    }
}
