//! Real-time settings of a run (priority, timer slack, CPU affinity, locked memory):
//! as `wasmer run` flags for a guest, and applied to the calling thread for the
//! native loop it is compared with, so both run under the same settings.

use serde::Serialize;
use std::io;

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
}

impl RtSettings {
    /// What `wasmer run --rt` asks for as root: `SCHED_FIFO` 80, 1 ns slack, mlock.
    pub fn rt_preset() -> Self {
        RtSettings {
            priority: Some(80),
            timer_slack_ns: Some(1),
            cpus: None,
            mlock: true,
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
        parts.join(", ")
    }

    /// Applies the settings to the calling thread (and `mlockall` to the process).
    /// The thread's previous priority, slack and affinity come back when the guard
    /// drops; locked memory stays locked.
    pub fn apply_to_this_thread(&self) -> io::Result<ThreadSettingsGuard> {
        let mut guard = ThreadSettingsGuard::default();
        if self.mlock {
            // SAFETY: plain syscall.
            check(unsafe { libc::mlockall(libc::MCL_CURRENT | libc::MCL_FUTURE) })?;
        }
        if let Some(slack) = self.timer_slack_ns {
            // SAFETY: PR_GET/SET_TIMERSLACK touch only the calling thread.
            let previous = unsafe { libc::prctl(libc::PR_GET_TIMERSLACK) };
            check(previous)?;
            check(unsafe { libc::prctl(libc::PR_SET_TIMERSLACK, slack as libc::c_ulong) })?;
            guard.timer_slack_ns = Some(previous as libc::c_ulong);
        }
        if let Some(cpus) = &self.cpus {
            let size = std::mem::size_of::<libc::cpu_set_t>();
            // SAFETY: cpu_set_t is plain data; CPU numbers are checked against
            // CPU_SETSIZE before CPU_SET.
            unsafe {
                let mut previous: libc::cpu_set_t = std::mem::zeroed();
                check(libc::sched_getaffinity(0, size, &mut previous))?;
                let mut wanted: libc::cpu_set_t = std::mem::zeroed();
                for &cpu in cpus {
                    if cpu >= libc::CPU_SETSIZE as usize {
                        return Err(io::Error::from_raw_os_error(libc::EINVAL));
                    }
                    libc::CPU_SET(cpu, &mut wanted);
                }
                check(libc::sched_setaffinity(0, size, &wanted))?;
                guard.affinity = Some(previous);
            }
        }
        if let Some(priority) = self.priority {
            // SAFETY: plain syscalls on the calling thread.
            unsafe {
                let policy = libc::sched_getscheduler(0);
                check(policy)?;
                let mut previous: libc::sched_param = std::mem::zeroed();
                check(libc::sched_getparam(0, &mut previous))?;
                let param = libc::sched_param {
                    sched_priority: libc::c_int::from(priority),
                };
                check(libc::sched_setscheduler(0, libc::SCHED_FIFO, &param))?;
                guard.scheduler = Some((policy, previous));
            }
        }
        Ok(guard)
    }
}

fn check(rc: libc::c_int) -> io::Result<()> {
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// The calling thread's settings before [`RtSettings::apply_to_this_thread`],
/// restored on drop.
#[derive(Default)]
pub struct ThreadSettingsGuard {
    timer_slack_ns: Option<libc::c_ulong>,
    affinity: Option<libc::cpu_set_t>,
    scheduler: Option<(libc::c_int, libc::sched_param)>,
}

impl Drop for ThreadSettingsGuard {
    fn drop(&mut self) {
        // SAFETY: the same syscalls with the values read before they were changed.
        unsafe {
            if let Some((policy, param)) = self.scheduler.take() {
                libc::sched_setscheduler(0, policy, &param);
            }
            if let Some(set) = self.affinity.take() {
                libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
            }
            if let Some(slack) = self.timer_slack_ns.take() {
                libc::prctl(libc::PR_SET_TIMERSLACK, slack);
            }
        }
    }
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
        };
        assert_eq!(
            settings.wasmer_flags().join(" "),
            "--rt-priority 80 --timer-slack 1ns --cpu-affinity 0,1 --mlock"
        );
        assert!(RtSettings::default().wasmer_flags().is_empty());
        assert_eq!(settings.label(), "fifo 80, slack 1 ns, cpus [0, 1], mlock");
    }
}
