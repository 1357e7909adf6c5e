//! `wasmer run` real-time flags: timer slack, a `SCHED_FIFO` priority and CPU
//! affinity for the guest's own threads (the threads that run WebAssembly, not
//! the Tokio workers or the compiler threads), and locked memory.
//!
//! Every flag is checked on a probe thread before the guest starts: when the host
//! refuses one, `wasmer run` stops with an error that names the flag and the
//! cause, instead of running the guest without it.

use std::{pin::Pin, sync::Arc, time::Duration};

use anyhow::bail;
use futures::future::BoxFuture;
use wasmer::{Memory, Module, StoreMut};
use wasmer_wasix::{
    VirtualTaskManager, WasiThreadError,
    runtime::task_manager::{SpawnType, TaskWasm},
};

/// The `SCHED_FIFO` priority `--rt` asks for, when the host permits it.
const RT_PRESET_PRIORITY: u8 = 80;

/// Real-time settings for the guest's threads.
#[derive(Debug, Clone, Default, clap::Parser)]
pub struct RealtimeOptions {
    /// Timer slack of the guest's threads (Linux `PR_SET_TIMERSLACK`), e.g. `1ns`
    /// for the minimum or `50us`. Default: the kernel's (50 us).
    #[clap(long = "timer-slack", value_name = "DURATION", value_parser = parse_timer_slack)]
    pub timer_slack: Option<Duration>,

    /// Run the guest's threads under `SCHED_FIFO` at this priority (1-99). Tokio
    /// workers and compiler threads keep the default policy. Needs root,
    /// `CAP_SYS_NICE` or a high enough `RLIMIT_RTPRIO`.
    #[clap(long = "rt-priority", value_name = "1-99", value_parser = clap::value_parser!(u8).range(1..=99))]
    pub rt_priority: Option<u8>,

    /// Lock the process's memory (`mlockall(MCL_CURRENT | MCL_FUTURE)`) before the
    /// guest starts, so the guest's memory is faulted in when it is made
    /// accessible and is never paged out.
    #[clap(long = "mlock")]
    pub mlock: bool,

    /// Pin the guest's threads to these CPUs, e.g. `3` or `0,2-3`.
    #[clap(long = "cpu-affinity", value_name = "LIST", value_parser = parse_cpu_list)]
    pub cpu_affinity: Option<CpuList>,

    /// The common real-time setup: `--timer-slack 1ns --mlock`, plus
    /// `--rt-priority 80` when the host permits it (otherwise a note on stderr).
    /// Explicit flags override the preset's values.
    #[clap(long = "rt")]
    pub rt: bool,
}

/// A list of CPU numbers, as given to `--cpu-affinity`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CpuList(Vec<usize>);

/// What each guest thread applies when it starts, and undoes when it ends.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ThreadProfile {
    timer_slack_ns: Option<u64>,
    fifo_priority: Option<u8>,
    cpus: Option<CpuList>,
}

impl ThreadProfile {
    fn is_empty(&self) -> bool {
        *self == ThreadProfile::default()
    }

    /// Applies these settings to the calling thread, as `wasmer run` does on
    /// each guest thread; the thread's previous settings come back when the
    /// returned guard drops. For a tool that must run its own threads exactly as
    /// `wasmer run` runs the guest's (a native baseline, say).
    pub fn apply_to_current_thread(&self) -> anyhow::Result<Applied> {
        platform::apply(self)
    }
}

pub use platform::Applied;

impl RealtimeOptions {
    /// Checks the flags against this host and locks memory for `--mlock`.
    ///
    /// Returns what each guest thread must apply, or `None` when no flag asks for
    /// anything. Every error is one line that names the flag and the cause.
    pub fn prepare(&self) -> anyhow::Result<Option<ThreadProfile>> {
        let mut profile = ThreadProfile {
            timer_slack_ns: self
                .timer_slack
                .or(self.rt.then_some(Duration::from_nanos(1)))
                .map(|slack| u64::try_from(slack.as_nanos()).unwrap_or(u64::MAX)),
            fifo_priority: self.rt_priority,
            cpus: self.cpu_affinity.clone(),
        };
        if profile.is_empty() && !self.mlock && !self.rt {
            return Ok(None);
        }
        if !cfg!(target_os = "linux") {
            bail!("--rt, --timer-slack, --rt-priority, --mlock and --cpu-affinity need Linux");
        }
        // The explicit flags must work exactly as asked.
        probe(&profile)?;
        if self.rt && profile.fifo_priority.is_none() {
            let with_priority = ThreadProfile {
                fifo_priority: Some(RT_PRESET_PRIORITY),
                ..profile.clone()
            };
            match probe(&with_priority) {
                Ok(()) => profile = with_priority,
                Err(err) => eprintln!(
                    "wasmer: --rt: running without a real-time priority ({err:#}); \
                     use --rt-priority to require one"
                ),
            }
        }
        if self.mlock || self.rt {
            let flag = if self.mlock { "--mlock" } else { "--rt" };
            platform::lock_memory().map_err(|err| {
                anyhow::anyhow!(
                    "{flag}: mlockall(MCL_CURRENT | MCL_FUTURE) failed: {err} \
                     (needs root, CAP_IPC_LOCK or a large enough RLIMIT_MEMLOCK)"
                )
            })?;
        }
        Ok((!profile.is_empty()).then_some(profile))
    }
}

/// Applies `profile` on a short-lived thread, so that a setting the host refuses
/// is reported before the guest starts.
fn probe(profile: &ThreadProfile) -> anyhow::Result<()> {
    let profile = profile.clone();
    std::thread::spawn(move || platform::apply(&profile).map(drop))
        .join()
        .map_err(|_| anyhow::anyhow!("the real-time settings probe panicked"))?
}

fn parse_timer_slack(text: &str) -> Result<Duration, String> {
    let slack = humantime::parse_duration(text).map_err(|err| err.to_string())?;
    if slack.is_zero() {
        // PR_SET_TIMERSLACK with 0 means "back to the default".
        return Err("must be at least 1ns".to_string());
    }
    Ok(slack)
}

fn parse_cpu_list(text: &str) -> Result<CpuList, String> {
    let cpu = |s: &str| {
        s.trim()
            .parse::<usize>()
            .map_err(|_| format!("`{s}` is not a CPU number"))
    };
    let mut cpus = Vec::new();
    for part in text.split(',') {
        match part.split_once('-') {
            Some((first, last)) => {
                let (first, last) = (cpu(first)?, cpu(last)?);
                if first > last {
                    return Err(format!("`{part}` is an empty range"));
                }
                cpus.extend(first..=last);
            }
            None => cpus.push(cpu(part)?),
        }
    }
    if let Some(&cpu) = cpus.iter().find(|&&cpu| cpu >= platform::MAX_CPUS) {
        return Err(format!(
            "CPU {cpu} is beyond the largest supported ({})",
            platform::MAX_CPUS - 1
        ));
    }
    cpus.sort_unstable();
    cpus.dedup();
    Ok(CpuList(cpus))
}

/// A task manager that runs every guest thread with a [`ThreadProfile`]: the
/// profile is applied when the thread starts running WebAssembly and undone when
/// it returns, so a pooled thread that later runs other work gets its previous
/// settings back. Everything else goes to the wrapped task manager.
#[derive(Debug)]
pub struct RealtimeTaskManager {
    inner: Arc<dyn VirtualTaskManager>,
    profile: Arc<ThreadProfile>,
}

impl RealtimeTaskManager {
    pub fn new(inner: Arc<dyn VirtualTaskManager>, profile: ThreadProfile) -> Self {
        Self {
            inner,
            profile: Arc::new(profile),
        }
    }
}

impl VirtualTaskManager for RealtimeTaskManager {
    fn build_memory(
        &self,
        store: &mut StoreMut,
        spawn_type: SpawnType,
    ) -> Result<Option<Memory>, WasiThreadError> {
        self.inner.build_memory(store, spawn_type)
    }

    fn sleep_now(
        &self,
        time: Duration,
    ) -> Pin<Box<dyn Future<Output = ()> + Send + Sync + 'static>> {
        self.inner.sleep_now(time)
    }

    fn task_shared(
        &self,
        task: Box<dyn FnOnce() -> BoxFuture<'static, ()> + Send + 'static>,
    ) -> Result<(), WasiThreadError> {
        self.inner.task_shared(task)
    }

    fn task_wasm(&self, mut task: TaskWasm) -> Result<(), WasiThreadError> {
        let run = task.callbacks.run;
        let profile = self.profile.clone();
        task.callbacks.run = Box::new(move |properties| {
            // Checked by the probe before the guest started.
            let _applied = platform::apply(&profile)
                .inspect_err(|err| tracing::error!("real-time settings not applied: {err:#}"));
            run(properties)
        });
        self.inner.task_wasm(task)
    }

    fn task_dedicated(
        &self,
        task: Box<dyn FnOnce() + Send + 'static>,
    ) -> Result<(), WasiThreadError> {
        self.inner.task_dedicated(task)
    }

    fn thread_parallelism(&self) -> Result<usize, WasiThreadError> {
        self.inner.thread_parallelism()
    }

    fn spawn_with_module(
        &self,
        module: Module,
        task: Box<dyn FnOnce(Module) + Send + 'static>,
    ) -> Result<(), WasiThreadError> {
        self.inner.spawn_with_module(module, task)
    }
}

#[cfg(target_os = "linux")]
mod platform {
    use super::ThreadProfile;
    use anyhow::anyhow;
    use std::io;

    /// CPUs a `cpu_set_t` can name.
    pub const MAX_CPUS: usize = libc::CPU_SETSIZE as usize;

    /// The calling thread's settings before [`apply`], restored on drop.
    #[derive(Default)]
    pub struct Applied {
        timer_slack_ns: Option<libc::c_ulong>,
        affinity: Option<libc::cpu_set_t>,
        scheduler: Option<(libc::c_int, libc::sched_param)>,
    }

    impl Drop for Applied {
        fn drop(&mut self) {
            // SAFETY: plain syscalls on the calling thread with values it read
            // from the same calls.
            unsafe {
                if let Some((policy, param)) = self.scheduler.take() {
                    libc::sched_setscheduler(0, policy, &param);
                }
                if let Some(set) = self.affinity.take() {
                    libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
                }
                if let Some(slack) = self.timer_slack_ns.take() {
                    libc::prctl(libc::PR_SET_TIMERSLACK, slack, 0, 0, 0);
                }
            }
        }
    }

    /// Applies `profile` to the calling thread.
    pub fn apply(profile: &ThreadProfile) -> anyhow::Result<Applied> {
        let mut applied = Applied::default();
        if let Some(slack) = profile.timer_slack_ns {
            // SAFETY: PR_GET/SET_TIMERSLACK only touch the calling thread.
            let previous = unsafe { libc::prctl(libc::PR_GET_TIMERSLACK, 0, 0, 0, 0) };
            let rc =
                unsafe { libc::prctl(libc::PR_SET_TIMERSLACK, slack as libc::c_ulong, 0, 0, 0) };
            if previous < 0 || rc != 0 {
                return Err(anyhow!(
                    "--timer-slack {slack}ns: prctl(PR_SET_TIMERSLACK) failed: {}",
                    io::Error::last_os_error()
                ));
            }
            applied.timer_slack_ns = Some(previous as libc::c_ulong);
        }
        if let Some(cpus) = &profile.cpus {
            let size = std::mem::size_of::<libc::cpu_set_t>();
            // SAFETY: cpu_set_t is plain data; CPU_SET gets numbers below
            // CPU_SETSIZE (checked when the list was parsed).
            let (previous, wanted) = unsafe {
                let mut previous: libc::cpu_set_t = std::mem::zeroed();
                if libc::sched_getaffinity(0, size, &mut previous) != 0 {
                    return Err(anyhow!(
                        "--cpu-affinity: sched_getaffinity failed: {}",
                        io::Error::last_os_error()
                    ));
                }
                let mut wanted: libc::cpu_set_t = std::mem::zeroed();
                for &cpu in &cpus.0 {
                    libc::CPU_SET(cpu, &mut wanted);
                }
                (previous, wanted)
            };
            // SAFETY: a valid cpu_set_t of the size given.
            if unsafe { libc::sched_setaffinity(0, size, &wanted) } != 0 {
                let err = io::Error::last_os_error();
                let hint = if err.raw_os_error() == Some(libc::EINVAL) {
                    " (none of these CPUs is online and allowed)"
                } else {
                    ""
                };
                return Err(anyhow!(
                    "--cpu-affinity {cpus}: sched_setaffinity failed: {err}{hint}"
                ));
            }
            applied.affinity = Some(previous);
        }
        if let Some(priority) = profile.fifo_priority {
            // SAFETY: plain syscalls on the calling thread.
            let previous = unsafe {
                let policy = libc::sched_getscheduler(0);
                let mut param: libc::sched_param = std::mem::zeroed();
                if policy < 0 || libc::sched_getparam(0, &mut param) != 0 {
                    return Err(anyhow!(
                        "--rt-priority: reading the scheduling policy failed: {}",
                        io::Error::last_os_error()
                    ));
                }
                (policy, param)
            };
            let param = libc::sched_param {
                sched_priority: libc::c_int::from(priority),
            };
            // SAFETY: a valid sched_param for SCHED_FIFO.
            if unsafe { libc::sched_setscheduler(0, libc::SCHED_FIFO, &param) } != 0 {
                let err = io::Error::last_os_error();
                let hint = if err.raw_os_error() == Some(libc::EPERM) {
                    " (needs root, CAP_SYS_NICE or RLIMIT_RTPRIO >= the priority)"
                } else {
                    ""
                };
                return Err(anyhow!(
                    "--rt-priority {priority}: sched_setscheduler(SCHED_FIFO) failed: {err}{hint}"
                ));
            }
            applied.scheduler = Some(previous);
        }
        Ok(applied)
    }

    /// `mlockall(MCL_CURRENT | MCL_FUTURE)`.
    pub fn lock_memory() -> io::Result<()> {
        // SAFETY: plain syscall.
        if unsafe { libc::mlockall(libc::MCL_CURRENT | libc::MCL_FUTURE) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }
}

#[cfg(not(target_os = "linux"))]
mod platform {
    use super::ThreadProfile;

    pub const MAX_CPUS: usize = 1024;

    /// Nothing to restore: off Linux, no setting is ever applied.
    pub struct Applied;

    pub fn apply(_profile: &ThreadProfile) -> anyhow::Result<Applied> {
        anyhow::bail!("real-time thread settings need Linux")
    }

    pub fn lock_memory() -> std::io::Result<()> {
        Err(std::io::Error::from(std::io::ErrorKind::Unsupported))
    }
}

impl std::fmt::Display for CpuList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut first = true;
        for cpu in &self.0 {
            if !first {
                f.write_str(",")?;
            }
            write!(f, "{cpu}")?;
            first = false;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_lists_parse_ranges_and_reject_garbage() {
        assert_eq!(parse_cpu_list("3"), Ok(CpuList(vec![3])));
        assert_eq!(parse_cpu_list("2-3,0,3"), Ok(CpuList(vec![0, 2, 3])));
        assert!(parse_cpu_list("").is_err());
        assert!(parse_cpu_list("1-").is_err());
        assert!(parse_cpu_list("3-1").is_err());
        assert!(parse_cpu_list("x").is_err());
        assert!(parse_cpu_list("99999").is_err());
    }

    #[test]
    fn timer_slack_must_be_positive() {
        assert_eq!(parse_timer_slack("1ns"), Ok(Duration::from_nanos(1)));
        assert_eq!(parse_timer_slack("50us"), Ok(Duration::from_micros(50)));
        assert!(parse_timer_slack("0ns").is_err());
        assert!(parse_timer_slack("fast").is_err());
    }
}
