//! Real-time settings of a run (priority, timer slack, CPU affinity, locked memory):
//! as `wasmer run` flags for a guest, and, through `wasmer run`'s own
//! implementation of those flags, applied to the native loop it is compared
//! with, so both run under the same settings.

use clap::Parser as _;
use serde::Serialize;
use wasmer_cli::realtime::RealtimeOptions;
pub use wasmer_cli::realtime::ThreadProfile;

/// The real-time settings of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RtSettings {
    /// `SCHED_FIFO` priority (1-99); `None` keeps the default policy.
    pub priority: Option<u8>,
    /// Timer slack in ns; `None` keeps the kernel's (50 us).
    pub timer_slack_ns: Option<u64>,
    /// CPUs to pin to; `None` keeps the inherited affinity.
    pub cpus: Option<Vec<usize>>,
    /// `mlockall(MCL_CURRENT | MCL_FUTURE)`.
    pub mlock: bool,
    /// `wasmer run --rt`: 1 ns slack and mlock, plus `SCHED_FIFO` 80 when the
    /// host permits it; explicit settings override it.
    pub rt: bool,
}

impl RtSettings {
    /// `wasmer run --rt`.
    pub fn rt_preset() -> Self {
        RtSettings {
            rt: true,
            ..RtSettings::default()
        }
    }

    /// True when nothing is changed.
    pub fn is_default(&self) -> bool {
        *self == RtSettings::default()
    }

    /// The same settings as `wasmer run` flags.
    pub fn wasmer_flags(&self) -> Vec<String> {
        let mut flags = Vec::new();
        if let Some(priority) = self.priority {
            flags.extend(["--rt-priority".to_string(), priority.to_string()]);
        }
        if let Some(slack) = self.timer_slack_ns {
            flags.extend(["--timer-slack".to_string(), format!("{slack}ns")]);
        }
        if let Some(cpus) = &self.cpus {
            let list: Vec<String> = cpus.iter().map(usize::to_string).collect();
            flags.extend(["--cpu-affinity".to_string(), list.join(",")]);
        }
        if self.mlock {
            flags.push("--mlock".to_string());
        }
        if self.rt {
            flags.push("--rt".to_string());
        }
        flags
    }

    /// A short description for reports, e.g. `fifo 80, slack 1 ns, mlock`.
    pub fn label(&self) -> String {
        if self.is_default() {
            return "default settings".to_string();
        }
        let mut parts = Vec::new();
        if let Some(priority) = self.priority {
            parts.push(format!("fifo {priority}"));
        }
        if let Some(slack) = self.timer_slack_ns {
            parts.push(format!("slack {slack} ns"));
        }
        if let Some(cpus) = &self.cpus {
            parts.push(format!("cpus {cpus:?}"));
        }
        if self.mlock {
            parts.push("mlock".to_string());
        }
        if self.rt {
            parts.push("--rt (fifo 80 if permitted, slack 1 ns, mlock)".to_string());
        }
        parts.join(", ")
    }

    /// Checks the settings against this host, locks memory for `mlock` or `rt`,
    /// and returns what each native thread applies: `wasmer run`'s own code
    /// (`wasmer_cli::realtime`, from patch 0011) with the same flags, so the
    /// native loop runs exactly as the guest's threads do, `--rt`'s fallback
    /// without a priority included.
    pub fn prepare(&self) -> Result<Option<ThreadProfile>, String> {
        let args = std::iter::once("wasmer-run".to_owned()).chain(self.wasmer_flags());
        let options = RealtimeOptions::try_parse_from(args).map_err(|e| e.to_string())?;
        options.prepare().map_err(|e| format!("{e:#}"))
    }
}

/// The `SCHED_FIFO` priority a thread gets under `profile` (from
/// [`RtSettings::prepare`]): it is applied to a short-lived thread, through the
/// same code as the native loop and `wasmer run`'s guest threads, so `--rt` on a
/// host that refuses a priority gives `None`, as it does for them.
pub fn priority_under(profile: Option<&ThreadProfile>) -> Result<Option<u8>, String> {
    let Some(profile) = profile else {
        return Ok(None);
    };
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let _applied = profile
                    .apply_to_current_thread()
                    .map_err(|e| format!("{e:#}"))?;
                current_fifo_priority()
            })
            .join()
            .map_err(|_| "the priority probe panicked".to_owned())?
    })
}

/// The calling thread's `SCHED_FIFO` priority, `None` under another policy.
fn current_fifo_priority() -> Result<Option<u8>, String> {
    // SAFETY: 0 names the calling thread; no memory is passed.
    let policy = unsafe { libc::sched_getscheduler(0) };
    if policy != libc::SCHED_FIFO {
        return Ok(None);
    }
    // SAFETY: all-zero is a valid sched_param.
    let mut param: libc::sched_param = unsafe { std::mem::zeroed() };
    // SAFETY: 0 names the calling thread; `param` is valid and writable.
    if unsafe { libc::sched_getparam(0, &mut param) } != 0 {
        return Err(format!(
            "sched_getparam: {}",
            std::io::Error::last_os_error()
        ));
    }
    Ok(u8::try_from(param.sched_priority).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_match_wasmer_run() {
        let settings = RtSettings {
            priority: Some(80),
            timer_slack_ns: Some(1),
            cpus: Some(vec![0, 1]),
            mlock: true,
            rt: false,
        };
        assert_eq!(
            settings.wasmer_flags().join(" "),
            "--rt-priority 80 --timer-slack 1ns --cpu-affinity 0,1 --mlock"
        );
        assert!(RtSettings::default().wasmer_flags().is_empty());
        assert_eq!(settings.label(), "fifo 80, slack 1 ns, cpus [0, 1], mlock");
        assert_eq!(RtSettings::rt_preset().wasmer_flags(), ["--rt"]);
    }

    #[test]
    fn the_native_loop_parses_the_flags_as_wasmer_run_does() {
        assert!(RtSettings::default().prepare().unwrap().is_none());
        let slack = RtSettings {
            timer_slack_ns: Some(1000),
            ..RtSettings::default()
        };
        let profile = slack.prepare().unwrap().expect("a profile");
        let _applied = profile.apply_to_current_thread().unwrap();
        // SAFETY: PR_GET_TIMERSLACK only reads the calling thread's slack.
        assert_eq!(unsafe { libc::prctl(libc::PR_GET_TIMERSLACK) }, 1000);
        let refused = RtSettings {
            cpus: Some(vec![1000]),
            ..RtSettings::default()
        };
        let error = refused.prepare().unwrap_err();
        assert!(error.contains("--cpu-affinity"), "{error}");
    }

    #[test]
    fn the_reported_priority_is_the_one_a_thread_gets() {
        let priority = |settings: &RtSettings| priority_under(settings.prepare()?.as_ref());
        assert_eq!(priority(&RtSettings::default()), Ok(None));
        let slack_only = RtSettings {
            timer_slack_ns: Some(1000),
            ..RtSettings::default()
        };
        assert_eq!(priority(&slack_only), Ok(None));
    }
}
