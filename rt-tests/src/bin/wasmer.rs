//! The patched `wasmer` CLI: upstream's `wasmer_cli::run_cli` built against the
//! vendored crates, with a `--version` that says which build this is.

use std::ffi::OsString;

/// `<wasmer-cli version>+rt.N`, N being the number of patches applied.
const VERSION: &str = concat!(
    env!("WASMER_RT_CLI_VERSION"),
    "+rt.",
    env!("WASMER_RT_PATCH_COUNT")
);
const SERIES: &str = include_str!(concat!(env!("OUT_DIR"), "/series.txt"));
/// Global options of upstream's CLI that take a separate value.
const OPTIONS_WITH_VALUE: &[&str] = &["--log-format", "--log-events", "--color"];

fn main() {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    match version_request(&args) {
        Some(verbose) => print_version(verbose),
        None => wasmer_cli::run_cli(),
    }
}

/// `Some(verbose)` when the global options (those before the subcommand) ask for
/// the version, as upstream's `wasmer -V [-v]` does.
fn version_request(args: &[OsString]) -> Option<bool> {
    let mut version = false;
    let mut verbose = false;
    let mut iter = args.iter().filter_map(|a| a.to_str());
    while let Some(arg) = iter.next() {
        match arg {
            "-V" | "--version" => version = true,
            "--verbose" => verbose = true,
            _ if OPTIONS_WITH_VALUE.contains(&arg) => {
                iter.next();
            }
            _ if arg.starts_with("--") => {}
            _ if arg.starts_with('-') => {
                version |= arg.contains('V');
                verbose |= arg.contains('v');
            }
            _ => break,
        }
    }
    version.then_some(verbose)
}

fn print_version(verbose: bool) {
    println!("wasmer {VERSION}");
    if !verbose {
        return;
    }
    println!(
        "binary: wasmer (wasmer-rt build of wasmer-cli {})",
        env!("WASMER_RT_CLI_VERSION")
    );
    println!(
        "upstream: wasmerio/wasmer {}",
        env!("WASMER_RT_UPSTREAM_COMMIT")
    );
    println!("host: {}", env!("WASMER_RT_TARGET"));
    println!("compilers: cranelift");
    println!("patches ({}):", env!("WASMER_RT_PATCH_COUNT"));
    print!("{SERIES}");
}

#[cfg(test)]
mod tests {
    use super::version_request;

    fn ask(args: &[&str]) -> Option<bool> {
        let args: Vec<_> = args.iter().map(Into::into).collect();
        version_request(&args)
    }

    #[test]
    fn recognises_upstream_version_flags() {
        assert_eq!(ask(&["--version"]), Some(false));
        assert_eq!(ask(&["-V"]), Some(false));
        assert_eq!(ask(&["-V", "-v"]), Some(true));
        assert_eq!(ask(&["--version", "--verbose"]), Some(true));
        assert_eq!(ask(&["-vV"]), Some(true));
        assert_eq!(ask(&["--color", "never", "-V"]), Some(false));
    }

    #[test]
    fn leaves_subcommands_and_guest_arguments_alone() {
        assert_eq!(ask(&["run", "x.wasm", "--version"]), None);
        assert_eq!(ask(&["run", "-V"]), None);
        assert_eq!(ask(&[]), None);
    }
}
