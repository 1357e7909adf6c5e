//! Embeds what the patched `wasmer --version` reports: the applied series and the
//! upstream release it is based on (from `patches/` and `vendor/crates.toml`).

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let patches = root.join("patches");
    let manifest = root.join("vendor/crates.toml");
    println!("cargo:rerun-if-changed={}", patches.display());
    println!("cargo:rerun-if-changed={}", manifest.display());

    let series = std::fs::read_to_string(patches.join("series")).unwrap_or_default();
    let mut list = String::new();
    let mut count = 0;
    for name in series
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        println!("cargo:rerun-if-changed={}", patches.join(name).display());
        let text = std::fs::read_to_string(patches.join(name)).unwrap_or_default();
        count += 1;
        let _ = writeln!(
            list,
            "  {name}: {} [{}]",
            subject(&text),
            trailer(&text, "Upstream-Status")
        );
    }
    let manifest = std::fs::read_to_string(manifest).unwrap_or_default();
    let commit = manifest
        .lines()
        .find_map(|l| l.strip_prefix("upstream-commit = "))
        .unwrap_or("\"unknown\"")
        .trim_matches('"')
        .to_owned();

    let out = Path::new(&std::env::var("OUT_DIR").unwrap()).join("series.txt");
    std::fs::write(out, list).unwrap();
    let cli_version = cli_version(&manifest);
    println!("cargo:rustc-env=WASMER_RT_PATCH_COUNT={count}");
    println!("cargo:rustc-env=WASMER_RT_CLI_VERSION={cli_version}");
    println!("cargo:rustc-env=WASMER_RT_UPSTREAM_COMMIT={commit}");
    println!(
        "cargo:rustc-env=WASMER_RT_TARGET={}",
        std::env::var("TARGET").unwrap()
    );
}

/// The unfolded `Subject:` of a patch mail, without the `[PATCH]` prefix.
fn subject(mail: &str) -> String {
    let mut lines = mail.lines().skip_while(|l| !l.starts_with("Subject: "));
    let Some(first) = lines.next() else {
        return "(no subject)".to_owned();
    };
    let mut subject = first["Subject: ".len()..].to_owned();
    for continuation in lines.take_while(|l| l.starts_with([' ', '\t'])) {
        subject.push(' ');
        subject.push_str(continuation.trim());
    }
    match subject.strip_prefix("[PATCH] ") {
        Some(rest) => rest.to_owned(),
        None => subject,
    }
}

fn trailer(mail: &str, key: &str) -> String {
    let prefix = format!("{key}: ");
    mail.lines()
        .take_while(|l| *l != "---")
        .find_map(|l| l.strip_prefix(&prefix))
        .unwrap_or("unknown")
        .to_owned()
}

/// The `version` of the `wasmer-cli` entry in `vendor/crates.toml`.
fn cli_version(manifest: &str) -> String {
    manifest
        .split("[[crate]]")
        .find(|block| block.contains("name = \"wasmer-cli\""))
        .and_then(|block| block.lines().find_map(|l| l.strip_prefix("version = ")))
        .unwrap_or("\"unknown\"")
        .trim_matches('"')
        .to_owned()
}
