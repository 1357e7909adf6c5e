//! Tests that need privileges a CI runner may not give.
//!
//! `SCHED_FIFO` needs `CAP_SYS_NICE` (root has it, unless a container took it
//! away) or a large enough `RLIMIT_RTPRIO`; `mlockall` of a process this size
//! needs `CAP_IPC_LOCK` or an unlimited `RLIMIT_MEMLOCK`. GitHub's hosted runners are not root, but `sudo prlimit`
//! raises both limits of the shell that runs the tests (see
//! `.github/workflows/ci.yml`).
//!
//! A test that lacks its privilege fails with the reason, unless the run sets
//! `WASMER_RT_SKIP_PRIVILEGED=1`: then it is skipped, says so, and is listed in
//! `target/rt-tests/skipped-privileged.txt`, which `cargo xtask ci` counts in its
//! summary.

use std::io::Write as _;
use std::path::PathBuf;

/// The environment variable that turns a missing privilege into a skip.
pub const SKIP_VAR: &str = "WASMER_RT_SKIP_PRIVILEGED";

/// A privilege a test needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// `SCHED_FIFO` at this priority.
    FifoPriority(u8),
    /// `mlockall` of the whole process.
    LockAllMemory,
}

impl Need {
    /// Why this process lacks the privilege, or `None` if it has it: the
    /// capability (`CAP_SYS_NICE`, `CAP_IPC_LOCK`; root in a container may lack
    /// them) or a large enough resource limit.
    pub fn missing(self) -> Option<String> {
        let capability = match self {
            Need::FifoPriority(_) => CAP_SYS_NICE,
            Need::LockAllMemory => CAP_IPC_LOCK,
        };
        if has_capability(capability) {
            return None;
        }
        match self {
            Need::FifoPriority(priority) => {
                let limit = soft_limit(Limit::RtPriority);
                (limit < u64::from(priority)).then(|| {
                    format!(
                        "SCHED_FIFO {priority} needs CAP_SYS_NICE or RLIMIT_RTPRIO >= {priority} \
                         (it is {limit}; `sudo prlimit --pid $$ --rtprio={priority}`)"
                    )
                })
            }
            Need::LockAllMemory => {
                (soft_limit(Limit::LockedMemory) != libc::RLIM_INFINITY).then(|| {
                    "mlockall needs CAP_IPC_LOCK or an unlimited RLIMIT_MEMLOCK \
                     (`sudo prlimit --pid $$ --memlock=unlimited`)"
                        .to_owned()
                })
            }
        }
    }
}

/// Capability numbers (linux/capability.h).
const CAP_IPC_LOCK: u32 = 14;
const CAP_SYS_NICE: u32 = 23;

/// True if `capability` is in this process's effective set (`CapEff` of
/// `/proc/self/status`).
fn has_capability(capability: u32) -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let hex = status.lines().find_map(|l| l.strip_prefix("CapEff:"))?;
            u64::from_str_radix(hex.trim(), 16).ok()
        })
        .is_some_and(|effective| effective & (1 << capability) != 0)
}

/// The resource limits that grant the privileges.
#[derive(Clone, Copy)]
enum Limit {
    RtPriority,
    LockedMemory,
}

fn soft_limit(which: Limit) -> u64 {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit(2) writes into a valid rlimit. (Each constant is passed
    // directly: their type differs between libcs.)
    let rc = unsafe {
        match which {
            Limit::RtPriority => libc::getrlimit(libc::RLIMIT_RTPRIO, &mut limit),
            Limit::LockedMemory => libc::getrlimit(libc::RLIMIT_MEMLOCK, &mut limit),
        }
    };
    if rc != 0 {
        return 0;
    }
    limit.rlim_cur
}

/// Where skipped privileged tests are listed.
pub fn skipped_list() -> PathBuf {
    crate::guests::artifact_dir().join("skipped-privileged.txt")
}

/// True if `test` may run. If a privilege in `needs` is missing, panics with
/// the reason, or, under `WASMER_RT_SKIP_PRIVILEGED=1`, prints the skip, lists it
/// in [`skipped_list`] and returns false.
pub fn require(test: &str, needs: &[Need]) -> bool {
    let missing: Vec<String> = needs.iter().filter_map(|n| n.missing()).collect();
    if missing.is_empty() {
        return true;
    }
    let why = missing.join("; ");
    if std::env::var(SKIP_VAR).as_deref() != Ok("1") {
        panic!("{test}: {why}; or set {SKIP_VAR}=1 to skip the privileged tests");
    }
    eprintln!("SKIPPED (privileged) {test}: {why}");
    let path = skipped_list();
    std::fs::create_dir_all(path.parent().expect("a directory")).expect("creating target/rt-tests");
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .unwrap_or_else(|e| panic!("opening {}: {e}", path.display()));
    writeln!(file, "{test}: {why}").expect("listing a skipped test");
    false
}
