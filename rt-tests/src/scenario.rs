//! The sleep-loop scenarios shared by the timing tests and the benchmark: one loop
//! shape, run natively and through the binary on either sleep path.

use crate::guests;
use crate::host::Host;
use crate::judge::{self, Invalid};
use crate::loopback::{Peer, PeerKind};
use crate::native;
use crate::samples::LoopRun;
use crate::wasmer::SleepPath;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// How the loop waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pattern {
    /// Periodic absolute Monotonic deadlines (cyclictest).
    Periodic,
    /// Periodic absolute Realtime deadlines.
    RealtimePeriodic,
    /// Relative sleeps from `poll_oneoff` (Rust std's `thread::sleep`).
    Relative,
    /// Relative sleeps from WASIX `thread_sleep`.
    ThreadSleep,
    /// Relative sleeps from `poll_oneoff` that also waits for stdin (never ready).
    PollWithFd,
    /// Timeouts of WASIX `futex_wait` on a word nobody changes.
    FutexTimeout,
    /// Timeouts of WASIX `epoll_wait` on an empty epoll set.
    EpollTimeout,
    /// Receive timeouts of WASIX `sock_recv` on a loopback TCP connection.
    SockRecvTimeout,
    /// Send timeouts of WASIX `sock_send` on a loopback TCP connection whose
    /// send buffer is full.
    SockSendTimeout,
    /// Accept timeouts of WASIX `sock_accept` on a loopback listener.
    SockAcceptTimeout,
    /// Relative sleeps from `poll_oneoff` that also waits for a loopback TCP
    /// socket to become readable (never).
    PollWithSocket,
    /// Connect timeouts of WASIX `sock_connect` to a loopback listener whose
    /// accept queue is full.
    SockConnectTimeout,
    /// Receive timeouts of `fd_read` on a loopback TCP connection.
    FdReadSocketTimeout,
}

impl Pattern {
    /// Every pattern.
    pub const ALL: [Pattern; 13] = [
        Pattern::Periodic,
        Pattern::RealtimePeriodic,
        Pattern::Relative,
        Pattern::ThreadSleep,
        Pattern::PollWithFd,
        Pattern::FutexTimeout,
        Pattern::EpollTimeout,
        Pattern::SockRecvTimeout,
        Pattern::SockSendTimeout,
        Pattern::SockAcceptTimeout,
        Pattern::PollWithSocket,
        Pattern::SockConnectTimeout,
        Pattern::FdReadSocketTimeout,
    ];

    /// True if the guest calls WASIX (not only `wasi_snapshot_preview1`).
    pub fn needs_wasix(self) -> bool {
        !matches!(
            self,
            Pattern::Periodic | Pattern::RealtimePeriodic | Pattern::Relative | Pattern::PollWithFd
        )
    }

    /// True if the guest waits on loopback TCP sockets (and so needs networking).
    pub fn uses_sockets(self) -> bool {
        self.socket_op().is_some()
    }

    /// The socket operation of `guests/include/sleep_socket.wat` whose timeout
    /// the pattern waits for; `None` for a pattern without sockets.
    fn socket_op(self) -> Option<u32> {
        match self {
            Pattern::SockRecvTimeout => Some(1),
            Pattern::SockSendTimeout => Some(2),
            Pattern::SockAcceptTimeout => Some(3),
            Pattern::PollWithSocket => Some(4),
            Pattern::SockConnectTimeout => Some(5),
            Pattern::FdReadSocketTimeout => Some(6),
            _ => None,
        }
    }

    /// The peer the test process holds for the guest, if it needs one.
    fn peer(self) -> Option<PeerKind> {
        match self {
            Pattern::SockSendTimeout => Some(PeerKind::Sink),
            Pattern::SockConnectTimeout => Some(PeerKind::FullQueue),
            _ => None,
        }
    }

    /// The host clock of an absolute-deadline loop; `None` for relative sleeps.
    pub fn absolute_on(self) -> Option<libc::clockid_t> {
        match self {
            Pattern::Periodic => Some(libc::CLOCK_MONOTONIC),
            Pattern::RealtimePeriodic => Some(libc::CLOCK_REALTIME),
            _ => None,
        }
    }

    /// The WASI clock the guest reads and, for absolute loops, sleeps on.
    fn wasi_clock(self) -> u32 {
        match self {
            Pattern::RealtimePeriodic => crate::poll::clock::REALTIME,
            _ => crate::poll::clock::MONOTONIC,
        }
    }

    /// A short name for reports.
    pub fn name(self) -> &'static str {
        match self {
            Pattern::Periodic => "periodic-abs",
            Pattern::RealtimePeriodic => "periodic-realtime",
            Pattern::Relative => "relative",
            Pattern::ThreadSleep => "thread_sleep",
            Pattern::PollWithFd => "poll+fd",
            Pattern::FutexTimeout => "futex_wait",
            Pattern::EpollTimeout => "epoll_wait",
            Pattern::SockRecvTimeout => "sock_recv",
            Pattern::SockSendTimeout => "sock_send",
            Pattern::SockAcceptTimeout => "sock_accept",
            Pattern::PollWithSocket => "poll+socket",
            Pattern::SockConnectTimeout => "sock_connect",
            Pattern::FdReadSocketTimeout => "fd_read-socket",
        }
    }
}

/// Who runs the loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Runner {
    /// The test process itself, with `clock_nanosleep`.
    Native,
    /// A guest under the patched binary, on one of its sleep paths.
    Guest(SleepPath),
}

impl Runner {
    /// Native, patched, legacy.
    pub const ALL: [Runner; 3] = [
        Runner::Native,
        Runner::Guest(SleepPath::Precise),
        Runner::Guest(SleepPath::Legacy),
    ];

    /// A short name for reports.
    pub fn name(self) -> &'static str {
        match self {
            Runner::Native => "native",
            Runner::Guest(path) => path.name(),
        }
    }
}

/// One loop shape with its compiled guest.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// How the loop waits.
    pub pattern: Pattern,
    /// Number of sleeps.
    pub count: usize,
    /// Length of each sleep.
    pub period: Duration,
    guest: PathBuf,
    /// The loopback peer the guest talks to, open as long as the scenario lives.
    peer: Option<Arc<PeerGuest>>,
}

/// A loopback peer and the guest module compiled for its port, which is removed
/// with the peer.
#[derive(Debug)]
struct PeerGuest {
    peer: Peer,
    module: PathBuf,
}

impl Drop for PeerGuest {
    fn drop(&mut self) {
        // Best effort: a module left behind only takes space in target/rt-tests.
        let _ = std::fs::remove_file(&self.module);
    }
}

impl Scenario {
    /// Compiles the guest for `count` sleeps of `period` waited for as `pattern`.
    pub fn new(pattern: Pattern, count: usize, period: Duration) -> Self {
        let pages = 1 + (count * 8).div_ceil(65536);
        let (absolute, sleep) = match pattern {
            Pattern::Periodic | Pattern::RealtimePeriodic => ("1", "poll"),
            Pattern::Relative => ("0", "poll"),
            Pattern::ThreadSleep => ("0", "thread_sleep"),
            Pattern::PollWithFd => ("0", "poll_fd"),
            Pattern::FutexTimeout => ("0", "futex"),
            Pattern::EpollTimeout => ("0", "epoll"),
            Pattern::SockRecvTimeout
            | Pattern::SockSendTimeout
            | Pattern::SockAcceptTimeout
            | Pattern::PollWithSocket
            | Pattern::SockConnectTimeout
            | Pattern::FdReadSocketTimeout => ("0", "socket"),
        };
        let socket_op = pattern.socket_op().unwrap_or(0).to_string();
        let peer = pattern
            .peer()
            .map(|kind| Peer::new(kind).unwrap_or_else(|e| panic!("opening a {kind:?} peer: {e}")));
        let peer_port = peer.as_ref().map_or(0, |peer| peer.port()).to_string();
        let period_ns = period.as_nanos().to_string();
        // The port is compiled in: one module per port, so that tests running in
        // parallel do not swap peers.
        let port_suffix = match &peer {
            Some(_) => format!("_port{peer_port}"),
            None => String::new(),
        };
        let guest = guests::compile(
            "sleep_loop",
            &format!(
                "sleep_loop_{}_{count}x{period_ns}{port_suffix}",
                pattern.name()
            ),
            &[
                ("COUNT", &count.to_string()),
                ("PERIOD_NS", &period_ns),
                ("ABSOLUTE", absolute),
                ("CLOCK", &pattern.wasi_clock().to_string()),
                ("SLEEP", sleep),
                ("PAGES", &pages.to_string()),
                ("SOCKET_OP", &socket_op),
                ("PEER_PORT", &peer_port),
            ],
        );
        Scenario {
            pattern,
            count,
            period,
            peer: peer.map(|peer| {
                Arc::new(PeerGuest {
                    peer,
                    module: guest.clone(),
                })
            }),
            guest,
        }
    }

    /// Runs the loop once with `runner`; guests run in `host`. A run that hangs,
    /// crashes, prints something else or gives fewer than `count` samples is
    /// [`Invalid`].
    pub fn run(&self, runner: Runner, host: Host<'_>) -> Result<LoopRun, Invalid> {
        let run = self.run_any(runner, host)?;
        judge::enough_samples(runner.name(), run.samples.len(), self.count)?;
        Ok(run)
    }

    fn run_any(&self, runner: Runner, host: Host<'_>) -> Result<LoopRun, Invalid> {
        match runner {
            Runner::Native => Ok(native::sleep_loop(
                self.count,
                self.period,
                self.pattern.absolute_on(),
            )),
            Runner::Guest(path) => {
                // Generous for a loop that runs (legacy needs ~2 periods per sleep), short
                // for one that hangs (legacy on Realtime deadlines).
                let limit = self.period * (self.count as u32) * 5 + Duration::from_secs(5);
                if let Some(peer) = &self.peer {
                    peer.peer.forget_finished_runs().map_err(|e| {
                        Invalid::Failed(format!("closing old connections to the peer: {e}"))
                    })?;
                }
                // `wasmer run` gives a guest sockets only with `--net`.
                let with_net: Vec<&str>;
                let host = match host {
                    Host::Binary(binary) if self.pattern.uses_sockets() => {
                        Host::BinaryWithFlags(binary, &["--net"])
                    }
                    Host::BinaryWithFlags(binary, flags) if self.pattern.uses_sockets() => {
                        with_net = [flags, &["--net"]].concat();
                        Host::BinaryWithFlags(binary, &with_net)
                    }
                    _ => host,
                };
                LoopRun::parse(&host.run(path, &self.guest, limit).into_stdout(limit)?)
                    .map_err(|e| Invalid::Failed(format!("{}: {e}", path.name())))
            }
        }
    }

    /// The compiled guest.
    pub fn guest(&self) -> &Path {
        &self.guest
    }

    /// The period in ns.
    pub fn period_ns(&self) -> i64 {
        i64::try_from(self.period.as_nanos()).expect("period fits i64")
    }
}
