//! Single `poll_oneoff` calls with chosen subscriptions (and, for the error paths,
//! chosen arguments), through `guests/poll_once.wat`.

use crate::guests;
use crate::host::Host;
use crate::judge::INVALID_MARK;
use crate::wasmer::SleepPath;
use std::time::Duration;

/// WASI clock ids.
pub mod clock {
    /// `CLOCK_REALTIME`.
    pub const REALTIME: u32 = 0;
    /// `CLOCK_MONOTONIC`.
    pub const MONOTONIC: u32 = 1;
    /// `CLOCK_PROCESS_CPUTIME_ID`.
    pub const PROCESS_CPUTIME: u32 = 2;
}

/// WASI errno values the tests look for.
pub mod errno {
    /// Success.
    pub const SUCCESS: u16 = 0;
    /// `E2BIG`.
    pub const TOOBIG: u16 = 1;
    /// `EBADF`.
    pub const BADF: u16 = 8;
    /// `EINVAL`.
    pub const INVAL: u16 = 28;
    /// `EOVERFLOW`.
    pub const OVERFLOW: u16 = 61;
    /// `EMEMVIOLATION` (WASIX: a guest pointer outside its memory).
    pub const MEMVIOLATION: u16 = 78;
}

/// Event type of a clock event.
pub const EVENTTYPE_CLOCK: u8 = 0;
/// Event type of an fd-read event.
pub const EVENTTYPE_FD_READ: u8 = 1;
/// Event type of an fd-write event.
pub const EVENTTYPE_FD_WRITE: u8 = 2;

/// One subscription, in the preview1 layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sub {
    /// A clock. For `abstime` on Realtime or Monotonic, `timeout` is added to the
    /// clock's reading just before the call (wrapping), so it means "now + timeout".
    Clock {
        /// Reported back in the event.
        userdata: u64,
        /// Clock id (see [`clock`]).
        clock_id: u32,
        /// Relative timeout, or offset from now for `abstime`.
        timeout: u64,
        /// `SUBSCRIPTION_CLOCK_ABSTIME`.
        abstime: bool,
    },
    /// Readiness of `fd` for reading.
    FdRead {
        /// Reported back in the event.
        userdata: u64,
        /// File descriptor.
        fd: u32,
    },
    /// Readiness of `fd` for writing.
    FdWrite {
        /// Reported back in the event.
        userdata: u64,
        /// File descriptor.
        fd: u32,
    },
    /// 48 arbitrary bytes.
    Raw([u8; 48]),
}

impl Sub {
    /// A relative clock subscription.
    pub fn relative(userdata: u64, clock_id: u32, timeout: Duration) -> Self {
        Sub::Clock {
            userdata,
            clock_id,
            timeout: timeout.as_nanos() as u64,
            abstime: false,
        }
    }

    /// An absolute deadline `offset_ns` from now on `clock_id` (may be negative).
    pub fn absolute(userdata: u64, clock_id: u32, offset_ns: i64) -> Self {
        Sub::Clock {
            userdata,
            clock_id,
            timeout: offset_ns as u64,
            abstime: true,
        }
    }

    /// The subscription's 48 bytes.
    pub fn encode(&self) -> [u8; 48] {
        let mut b = [0u8; 48];
        match *self {
            Sub::Clock {
                userdata,
                clock_id,
                timeout,
                abstime,
            } => {
                b[0..8].copy_from_slice(&userdata.to_le_bytes());
                b[16..20].copy_from_slice(&clock_id.to_le_bytes());
                b[24..32].copy_from_slice(&timeout.to_le_bytes());
                b[40] = u8::from(abstime);
            }
            Sub::FdRead { userdata, fd } | Sub::FdWrite { userdata, fd } => {
                b[0..8].copy_from_slice(&userdata.to_le_bytes());
                b[8] = if matches!(self, Sub::FdRead { .. }) {
                    EVENTTYPE_FD_READ
                } else {
                    EVENTTYPE_FD_WRITE
                };
                b[16..20].copy_from_slice(&fd.to_le_bytes());
            }
            Sub::Raw(bytes) => b = bytes,
        }
        b
    }
}

/// One reported event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event {
    /// The subscription's userdata.
    pub userdata: u64,
    /// Errno for this subscription.
    pub errno: u16,
    /// Event type (0 clock, 1 fd_read, 2 fd_write).
    pub type_: u8,
}

/// What one `poll_oneoff` call did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PollOutcome {
    /// The call returned.
    Returned {
        /// The call's errno.
        errno: u16,
        /// `nevents` as written by the host.
        nevents: u32,
        /// Time the call took, measured by the guest.
        elapsed: Duration,
        /// The events, as many as `nevents` says (at most one per subscription).
        events: Vec<Event>,
    },
    /// The guest made the call (it said `ready`), did not finish in time and
    /// was killed: the call hung.
    Hung,
    /// The guest failed some other way (the text starts with
    /// [`INVALID_MARK`]: such a run proves nothing).
    Failed(String),
}

/// The arguments of one `poll_oneoff` call, and the subscription bytes the guest
/// holds at [`PollCall::SUBS_AT`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollCall {
    /// Subscription bytes placed at [`PollCall::SUBS_AT`] (48 per subscription).
    pub data: Vec<u8>,
    /// `in`: where the subscriptions are read from.
    pub in_ptr: u32,
    /// `out`: where the events go.
    pub out_ptr: u32,
    /// `nsubscriptions`.
    pub nsubscriptions: u32,
    /// Where `nevents` goes.
    pub nevents_ptr: u32,
}

impl PollCall {
    /// Guest address of the subscription bytes.
    pub const SUBS_AT: u32 = 0x3000;
    /// Guest address of the events buffer the guest normally passes.
    pub const EVENTS_AT: u32 = 0x8000;
    /// Guest address of `nevents` the guest normally passes.
    pub const NEVENTS_AT: u32 = 0x2080;
    /// The guest's memory size (one page).
    pub const MEMORY_SIZE: u32 = 0x1_0000;

    /// A well-formed call on `subs`.
    pub fn new(subs: &[Sub]) -> Self {
        PollCall {
            data: subs.iter().flat_map(|s| s.encode()).collect(),
            in_ptr: Self::SUBS_AT,
            out_ptr: Self::EVENTS_AT,
            nsubscriptions: subs.len() as u32,
            nevents_ptr: Self::NEVENTS_AT,
        }
    }

    /// Compiles the guest that makes this call.
    fn compile(&self) -> std::path::PathBuf {
        let args = [
            ("SUBS", guests::wat_bytes(&self.data)),
            ("NSUBS", (self.data.len() / 48).to_string()),
            ("IN", self.in_ptr.to_string()),
            ("OUT", self.out_ptr.to_string()),
            ("NSUBS_ARG", self.nsubscriptions.to_string()),
            ("NEVENTS", self.nevents_ptr.to_string()),
        ];
        let hash = args
            .iter()
            .flat_map(|(_, value)| value.bytes().chain([0]))
            .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
            });
        let params: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        guests::compile("poll_once", &format!("poll_once_{hash:016x}"), &params)
    }

    /// Makes the call on `path` in `host`; a call still blocked after `limit` is
    /// [`PollOutcome::Hung`]. A guest killed before it said `ready` never made
    /// the call: that is [`PollOutcome::Failed`], not a hang.
    pub fn run(&self, host: Host<'_>, path: SleepPath, limit: Duration) -> PollOutcome {
        let run = host.run(path, &self.compile(), limit);
        if run.timed_out {
            if run.stdout.lines().next() == Some(READY) {
                return PollOutcome::Hung;
            }
            return PollOutcome::Failed(format!(
                "{INVALID_MARK}the guest was killed after {limit:?} before it made its call: \
                 {run:?}"
            ));
        }
        // Every failure carries the mark: a crash proves nothing about a rule.
        if !run.success() {
            return PollOutcome::Failed(format!(
                "{INVALID_MARK}exit code {:?}: {}",
                run.exit_code, run.stderr
            ));
        }
        parse(&run.stdout).unwrap_or_else(|why| PollOutcome::Failed(format!("{INVALID_MARK}{why}")))
    }
}

/// Runs one `poll_oneoff(subs)` on `path`; a call still blocked after `limit` is
/// [`PollOutcome::Hung`].
pub fn poll_once(host: Host<'_>, path: SleepPath, subs: &[Sub], limit: Duration) -> PollOutcome {
    PollCall::new(subs).run(host, path, limit)
}

/// The line the guest prints just before its call.
const READY: &str = "ready";

fn parse(output: &str) -> Result<PollOutcome, String> {
    let mut lines = output.lines();
    if lines.next() != Some(READY) {
        return Err(format!("no `{READY}` line first in {output:?}"));
    }
    let mut field = |name: &str| -> Result<u64, String> {
        let line = lines.next().ok_or(format!("no `{name}` line"))?;
        line.strip_prefix(name)
            .and_then(|v| v.trim().parse().ok())
            .ok_or(format!("expected `{name} <n>`, got {line:?}"))
    };
    let errno = field("errno")? as u16;
    let nevents = field("nevents")? as u32;
    let elapsed = Duration::from_nanos(field("elapsed")?);
    let events = lines
        .map(|line| {
            let parts: Vec<u64> = line
                .strip_prefix("event ")
                .ok_or(format!("unexpected line {line:?}"))?
                .split(' ')
                .map(|p| p.parse().map_err(|e| format!("{line:?}: {e}")))
                .collect::<Result<_, _>>()?;
            match parts[..] {
                [userdata, errno, type_] => Ok(Event {
                    userdata,
                    errno: errno as u16,
                    type_: type_ as u8,
                }),
                _ => Err(format!("unexpected line {line:?}")),
            }
        })
        .collect::<Result<_, _>>()?;
    Ok(PollOutcome::Returned {
        errno,
        nevents,
        elapsed,
        events,
    })
}
