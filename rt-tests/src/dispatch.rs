//! The per-call cost of WASI host functions: guests that call one function in a
//! loop (`guests/call_loop.wat`), the native equivalent of each call, and a runner
//! that reports nanoseconds per call.

use crate::child::{self, StdoutTo};
use crate::guests;
use crate::host::Host;
use crate::judge::{self, Invalid};
use crate::wasmer::SleepPath;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// One host call the benchmark measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Call {
    /// `clock_time_get(Monotonic)`.
    ClockTimeGet,
    /// `poll_oneoff` on one relative Monotonic clock with timeout 0.
    PollTimeout0,
    /// `poll_oneoff` on one relative Monotonic clock with timeout 1 ns.
    PollTimeout1ns,
    /// `fd_write` of 1 byte to stdout, which is `/dev/null`.
    Write1DevNull,
    /// `fd_write` of 1 byte to stdout, which is a pipe.
    Write1Pipe,
    /// `fd_write` of 4 KiB to stdout, which is `/dev/null`.
    Write4kDevNull,
    /// `sched_yield`.
    SchedYield,
    /// `args_sizes_get`.
    ArgsSizesGet,
    /// `random_get` of 16 bytes (natively, the `getrandom(2)` syscall).
    RandomGet16,
}

impl Call {
    /// Every call, in report order.
    pub const ALL: [Call; 9] = [
        Call::ClockTimeGet,
        Call::PollTimeout0,
        Call::PollTimeout1ns,
        Call::Write1DevNull,
        Call::Write1Pipe,
        Call::Write4kDevNull,
        Call::SchedYield,
        Call::ArgsSizesGet,
        Call::RandomGet16,
    ];

    /// A short name for reports.
    pub fn name(self) -> &'static str {
        match self {
            Call::ClockTimeGet => "clock_time_get",
            Call::PollTimeout0 => "poll_oneoff 0",
            Call::PollTimeout1ns => "poll_oneoff 1ns",
            Call::Write1DevNull => "fd_write 1B null",
            Call::Write1Pipe => "fd_write 1B pipe",
            Call::Write4kDevNull => "fd_write 4K null",
            Call::SchedYield => "sched_yield",
            Call::ArgsSizesGet => "args_sizes_get",
            Call::RandomGet16 => "random_get 16B",
        }
    }

    /// Where the guest's stdout goes.
    pub fn stdout(self) -> StdoutTo {
        match self {
            Call::Write1Pipe => StdoutTo::DiscardedPipe,
            _ => StdoutTo::DevNull,
        }
    }

    /// Compiles the loop guest making `count` calls.
    pub fn guest(self, count: u32) -> LoopGuest {
        self.guest_with_delay(count, 0)
    }

    /// Compiles the loop guest making `count` calls, each followed by `spin` turns
    /// of a busy loop (an injected delay; none for 0).
    pub fn guest_with_delay(self, count: u32, spin: u32) -> LoopGuest {
        let (call, extra): (&str, &[(&str, &str)]) = match self {
            Call::ClockTimeGet => ("clock_time_get", &[]),
            Call::PollTimeout0 => ("poll_timeout", &[("TIMEOUT_NS", "0")]),
            Call::PollTimeout1ns => ("poll_timeout", &[("TIMEOUT_NS", "1")]),
            Call::Write1DevNull | Call::Write1Pipe => ("fd_write", &[("BYTES", "1")]),
            Call::Write4kDevNull => ("fd_write", &[("BYTES", "4096")]),
            Call::SchedYield => ("sched_yield", &[]),
            Call::ArgsSizesGet => ("args_sizes_get", &[]),
            Call::RandomGet16 => ("random_get", &[]),
        };
        let calls = count;
        let count = count.to_string();
        let pad = match spin {
            0 => String::new(),
            n => format!("(call $spin (i32.const {n}))"),
        };
        let mut params = vec![("CALL", call), ("COUNT", count.as_str()), ("PAD", &pad)];
        params.extend_from_slice(extra);
        let output = format!(
            "call_loop_{}_{count}_spin{spin}",
            self.name().replace(' ', "_")
        );
        LoopGuest {
            path: guests::compile("call_loop", &output, &params),
            calls,
        }
    }

    /// ns per call of the native equivalent, over `count` calls (after a warm-up of
    /// a tenth of them).
    pub fn native_ns(self, count: u32) -> f64 {
        let mut native = Native::new(self);
        for _ in 0..count / 10 {
            native.call();
        }
        let start = Instant::now();
        for _ in 0..count {
            native.call();
        }
        start.elapsed().as_nanos() as f64 / f64::from(count)
    }
}

/// State for the native equivalent of a [`Call`].
struct Native {
    call: Call,
    sink: Option<std::fs::File>,
    /// Keeps the reading end of a pipe drained.
    _reader: Option<std::thread::JoinHandle<()>>,
    buf: Vec<u8>,
}

impl Native {
    fn new(call: Call) -> Self {
        let (sink, reader) = match call {
            Call::Write1DevNull | Call::Write4kDevNull => (
                Some(std::fs::File::create("/dev/null").expect("opening /dev/null")),
                None,
            ),
            Call::Write1Pipe => {
                let (mut rx, tx) = std::io::pipe().expect("creating a pipe");
                let reader = std::thread::spawn(move || {
                    let _ = std::io::copy(&mut rx, &mut std::io::sink());
                });
                (
                    Some(std::fs::File::from(std::os::fd::OwnedFd::from(tx))),
                    Some(reader),
                )
            }
            _ => (None, None),
        };
        let len = if call == Call::Write4kDevNull {
            4096
        } else {
            16
        };
        Native {
            call,
            sink,
            _reader: reader,
            buf: vec![b'x'; len],
        }
    }

    fn call(&mut self) {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY (all arms): plain syscalls on valid pointers and open descriptors.
        unsafe {
            match self.call {
                Call::ClockTimeGet => {
                    libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts);
                }
                Call::PollTimeout0 | Call::PollTimeout1ns => {
                    // A poll that must not block: ppoll with no descriptors and a
                    // zero timeout. (clock_nanosleep on a deadline that has just
                    // passed still sleeps for the timer slack, ~60 µs here.)
                    libc::ppoll(std::ptr::null_mut(), 0, &ts, std::ptr::null());
                }
                Call::Write1DevNull | Call::Write1Pipe | Call::Write4kDevNull => {
                    let fd = self.sink.as_ref().expect("a sink").as_raw_fd();
                    let len = if self.call == Call::Write4kDevNull {
                        4096
                    } else {
                        1
                    };
                    libc::write(fd, self.buf.as_ptr().cast(), len);
                }
                Call::SchedYield => {
                    libc::sched_yield();
                }
                Call::ArgsSizesGet => {
                    // WASI answers from the process's own argument list.
                    std::hint::black_box(std::env::args_os().map(|a| a.len()).sum::<usize>());
                }
                Call::RandomGet16 => {
                    // The syscall itself: newer glibc answers getrandom() from
                    // the vDSO, which would move this baseline between hosts.
                    libc::syscall(libc::SYS_getrandom, self.buf.as_mut_ptr(), 16usize, 0u32);
                }
            }
        }
    }
}

/// A compiled loop guest and the number of calls it makes.
#[derive(Debug, Clone)]
pub struct LoopGuest {
    /// The `.wasm` file.
    pub path: PathBuf,
    /// How many calls it makes (and must report).
    pub calls: u32,
}

/// Runs `guest` on `host` (a child process) on sleep path `path` and returns ns
/// per call as the guest measured it, or why there is none (a hang is a guest
/// still running after `limit`; a guest that reports another number of calls
/// than it makes is a failed run).
pub fn guest_ns(
    host: Host<'_>,
    path: SleepPath,
    guest: &LoopGuest,
    stdout: StdoutTo,
    limit: Duration,
) -> Result<f64, Invalid> {
    let mut command = host.command(path, &guest.path).ok_or_else(|| {
        Invalid::Failed("the dispatch loops run in a child process, not in-process".to_owned())
    })?;
    let program = command.get_program().to_string_lossy().into_owned();
    let what = format!("{} on {program}", guest_name(&guest.path));
    let run = child::run_with_stdout(&mut command, stdout, limit, |_| {})
        .map_err(|e| Invalid::Failed(format!("spawning {program}: {e}")))?;
    run.exited_with(&what, 0, limit)?;
    let field = |name: &str| -> Result<f64, Invalid> {
        run.stderr
            .lines()
            .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
            .ok_or_else(|| {
                Invalid::Failed(format!("{what}: no `{name}` in its output: {}", run.stderr))
            })
    };
    let calls = field("calls ")?;
    judge::enough_samples(&what, calls as usize, 1)?;
    if calls != f64::from(guest.calls) {
        return Err(Invalid::Failed(format!(
            "{what}: reported {calls} calls, made {}",
            guest.calls
        )));
    }
    Ok(field("elapsed ")? / calls)
}

fn guest_name(guest: &Path) -> String {
    guest.file_stem().map_or_else(
        || guest.display().to_string(),
        |s| s.to_string_lossy().into_owned(),
    )
}
