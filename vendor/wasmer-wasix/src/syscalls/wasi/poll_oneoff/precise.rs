//! `poll_oneoff` on absolute deadlines, for the `enable_precise_sleep` capability.
//!
//! Every clock subscription becomes an absolute `CLOCK_MONOTONIC` deadline computed
//! from the time the syscall started, and the calling thread waits for the earliest
//! one (and any file descriptors) with [`__asyncify_until`]. The semantics follow the
//! WASI specification, unlike the async path:
//!
//! * the earliest deadline ends the wait, whatever the order of the subscriptions;
//! * only the clock subscriptions whose deadline has passed are reported;
//! * a relative timeout of 0 fires at once (the async path treats 0 as "forever",
//!   which wasix-libc works around, so this is opt-in);
//! * absolute deadlines are read on the subscription's own clock (`Realtime` or
//!   `Monotonic`), including the offset the guest set with `clock_time_set`;
//! * a clock that cannot be waited on (CPU-time clocks, unknown ids) is reported as
//!   an event with `EINVAL` for that subscription, and an unknown event type fails
//!   the call with `EINVAL`;
//! * subscriptions are decoded from their bytes, so invalid enum values in guest
//!   memory never become invalid Rust enums.

use wasmer_wasix_types::wasi::{SubscriptionFsReadwrite, SubscriptionUnion};

use super::*;
use crate::os::deadline::{Deadline, clock_nanos};

/// How subscriptions are laid out in guest memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SubscriptionLayout {
    /// `wasi_snapshot_preview1` and WASIX: 48 bytes, the clock id at offset 16.
    Preview1,
    /// `wasi_unstable`: 56 bytes, a clock `identifier` before the clock id.
    Snapshot0,
}

impl SubscriptionLayout {
    const fn size(self) -> usize {
        match self {
            SubscriptionLayout::Preview1 => 48,
            SubscriptionLayout::Snapshot0 => 56,
        }
    }

    /// Offsets of the clock id, the timeout and the flags.
    const fn clock_fields(self) -> (usize, usize, usize) {
        match self {
            SubscriptionLayout::Preview1 => (16, 24, 40),
            SubscriptionLayout::Snapshot0 => (24, 32, 48),
        }
    }
}

/// A subscription, decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PollSub {
    Clock {
        userdata: u64,
        clock_id: u32,
        timeout: u64,
        abstime: bool,
    },
    Fd {
        userdata: u64,
        fd: WasiFd,
        write: bool,
    },
}

fn le_u64(bytes: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap())
}

fn le_u32(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap())
}

fn le_u16(bytes: &[u8], at: usize) -> u16 {
    u16::from_le_bytes(bytes[at..at + 2].try_into().unwrap())
}

/// Decodes one subscription; an unknown event type is `EINVAL`.
pub(crate) fn decode_subscription(
    bytes: &[u8],
    layout: SubscriptionLayout,
) -> Result<PollSub, Errno> {
    debug_assert_eq!(bytes.len(), layout.size());
    let userdata = le_u64(bytes, 0);
    match bytes[8] {
        0 => {
            let (id, timeout, flags) = layout.clock_fields();
            Ok(PollSub::Clock {
                userdata,
                clock_id: le_u32(bytes, id),
                timeout: le_u64(bytes, timeout),
                abstime: le_u16(bytes, flags) & Subclockflags::SUBSCRIPTION_CLOCK_ABSTIME.bits()
                    != 0,
            })
        }
        tag @ (1 | 2) => Ok(PollSub::Fd {
            userdata,
            fd: le_u32(bytes, 16),
            write: tag == 2,
        }),
        _ => Err(Errno::Inval),
    }
}

/// Reads `count` subscriptions at guest address `ptr` (the caller has checked
/// `count` with `validate_poll_subscriptions_count`).
///
/// A pointer that is not 8-byte aligned is `EINVAL`. An array that does not fit in
/// the guest's memory is `EFAULT`-like (`Memviolation`), checked before the host
/// allocates anything for it: without a `max_poll_subscriptions` capability, the
/// count alone could otherwise make the host reserve gigabytes.
pub(crate) fn read_subscriptions(
    memory: &MemoryView,
    ptr: u64,
    count: usize,
    layout: SubscriptionLayout,
    subs: &mut Vec<PollSub>,
) -> Result<(), Errno> {
    if !ptr.is_multiple_of(8) {
        return Err(Errno::Inval);
    }
    let size = layout.size();
    let end = (count as u64)
        .checked_mul(size as u64)
        .and_then(|len| len.checked_add(ptr))
        .ok_or(Errno::Overflow)?;
    if end > memory.data_size() {
        return Err(Errno::Memviolation);
    }
    subs.clear();
    subs.try_reserve(count).map_err(|_| Errno::Nomem)?;
    let mut buf = [0u8; 56];
    for n in 0..count {
        let at = (n as u64)
            .checked_mul(size as u64)
            .and_then(|off| off.checked_add(ptr))
            .ok_or(Errno::Overflow)?;
        memory
            .read(at, &mut buf[..size])
            .map_err(crate::mem_error_to_wasi)?;
        subs.push(decode_subscription(&buf[..size], layout)?);
    }
    Ok(())
}

/// The buffers of one `poll_oneoff` call: the decoded subscriptions, the events,
/// and the clock subscriptions' deadlines.
///
/// Each thread keeps one set and lends it to its calls ([`PollBuffers::lease`]),
/// so a call with a few subscriptions does not touch the heap.
#[derive(Debug, Default)]
pub(crate) struct PollBuffers {
    pub(crate) subs: Vec<PollSub>,
    events: Vec<Event>,
    clocks: Vec<(u64, Deadline)>,
}

thread_local! {
    static POLL_BUFFERS: std::cell::Cell<PollBuffers> = const {
        std::cell::Cell::new(PollBuffers {
            subs: Vec::new(),
            events: Vec::new(),
            clocks: Vec::new(),
        })
    };
}

impl PollBuffers {
    /// Buffers larger than this many entries are freed rather than kept, so one
    /// call with a huge subscription array does not pin its memory to the thread.
    const KEEP: usize = 64;

    /// Borrows this thread's buffers, empty. A nested call (a signal handler that
    /// polls) finds them taken and gets new ones.
    pub(crate) fn lease() -> PollBuffersLease {
        PollBuffersLease(POLL_BUFFERS.with(std::cell::Cell::take))
    }
}

/// This thread's [`PollBuffers`], cleared and given back on drop.
#[derive(Debug)]
pub(crate) struct PollBuffersLease(PollBuffers);

impl std::ops::Deref for PollBuffersLease {
    type Target = PollBuffers;
    fn deref(&self) -> &PollBuffers {
        &self.0
    }
}

impl std::ops::DerefMut for PollBuffersLease {
    fn deref_mut(&mut self) -> &mut PollBuffers {
        &mut self.0
    }
}

impl Drop for PollBuffersLease {
    fn drop(&mut self) {
        let mut buffers = std::mem::take(&mut self.0);
        if buffers.subs.capacity() > PollBuffers::KEEP
            || buffers.events.capacity() > PollBuffers::KEEP
            || buffers.clocks.capacity() > PollBuffers::KEEP
        {
            return;
        }
        buffers.subs.clear();
        buffers.events.clear();
        buffers.clocks.clear();
        // Fails only while the thread's locals are being destroyed.
        let _ = POLL_BUFFERS.try_with(|cell| cell.set(buffers));
    }
}

/// A clock event for `userdata`.
pub(crate) fn clock_event(userdata: u64, error: Errno) -> Event {
    Event {
        userdata,
        error,
        type_: Eventtype::Clock,
        u: EventUnion { clock: 0 },
    }
}

/// The deadline of a clock subscription, or the errno to report for it.
///
/// Relative timeouts count from `entry` on the monotonic clock (POSIX measures a
/// relative `CLOCK_REALTIME` sleep in elapsed time too). Absolute timeouts are read
/// on the subscription's clock after removing the guest's `clock_time_set` offset.
pub(crate) fn clock_deadline(
    env: &WasiEnv,
    entry: Deadline,
    clock_id: u32,
    timeout: u64,
    abstime: bool,
) -> Result<Deadline, Errno> {
    let clock = match clock_id {
        0 => Snapshot0Clockid::Realtime,
        1 => Snapshot0Clockid::Monotonic,
        // CPU-time clocks cannot be slept on; anything else is not a clock.
        _ => return Err(Errno::Inval),
    };
    if !abstime {
        return Ok(entry.after(timeout));
    }
    let offset = env.state.clock_offset.get(clock);
    // The guest reads host time + offset.
    let target = (i128::from(timeout) - i128::from(offset)).clamp(0, i128::from(u64::MAX)) as u64;
    Ok(match clock {
        Snapshot0Clockid::Monotonic => Deadline::from_nanos(target),
        _ => {
            let realtime_now = clock_nanos(libc::CLOCK_REALTIME);
            if target <= realtime_now {
                // Already past (as just read): due at once, like a deadline
                // reached at entry, so no monotonic reading is taken for it.
                entry
            } else {
                Deadline::from_clock_time(target, realtime_now, Deadline::now())
            }
        }
    })
}

/// Waits for `buffers.subs` and writes the events with `write_events`.
///
/// `entry` is the time the syscall started. When there are only clocks and the
/// earliest deadline has already passed (a timeout of 0, say), nothing waits.
pub(crate) fn poll_oneoff_until<'a, W>(
    mut ctx: FunctionEnvMut<'a, WasiEnv>,
    entry: Deadline,
    buffers: &mut PollBuffers,
    write_events: W,
) -> Result<Errno, WasiError>
where
    W: FnOnce(&FunctionEnvMut<'a, WasiEnv>, &[Event]) -> Errno,
{
    let env = ctx.data();
    let PollBuffers {
        subs,
        events,
        clocks,
    } = buffers;
    let mut fd_guards = Vec::new();
    let mut earliest = Deadline::NEVER;
    for sub in subs.iter() {
        match *sub {
            PollSub::Clock {
                userdata,
                clock_id,
                timeout,
                abstime,
            } => match clock_deadline(env, entry, clock_id, timeout, abstime) {
                Ok(deadline) => {
                    earliest = earliest.min(deadline);
                    clocks.push((userdata, deadline));
                }
                Err(errno) => events.push(clock_event(userdata, errno)),
            },
            PollSub::Fd {
                userdata,
                fd,
                write,
            } => {
                let (type_, peb) = if write {
                    (Eventtype::FdWrite, PollEvent::PollOut as PollEventSet)
                } else {
                    (Eventtype::FdRead, PollEvent::PollIn as PollEventSet)
                };
                let s = Subscription {
                    userdata,
                    type_,
                    data: SubscriptionUnion {
                        fd_readwrite: SubscriptionFsReadwrite {
                            file_descriptor: fd,
                        },
                    },
                };
                fd_guards.push(wasi_try_ok!(poll_fd_guard(&env.state, peb, fd, s)));
            }
        }
    }
    // A subscription that failed is reported at once; the others are only checked.
    if !events.is_empty() {
        earliest = entry;
    }

    let wait = TimedWait {
        kind: WaitKind::PollOneoff,
        length: earliest.as_nanos().saturating_sub(entry.as_nanos()),
    };
    let now = if fd_guards.is_empty() {
        // A deadline reached at entry (a timeout of 0, a past absolute time)
        // needs no second clock read: entry is already a time not after now.
        let now = if earliest <= entry {
            entry
        } else {
            Deadline::now()
        };
        if earliest <= now {
            // Nothing to wait for: signals and exit were checked on entry.
            if let Some(waits) = ctx.data().thread.waits()
                && !clocks.is_empty()
            {
                waits.reached_deadline(wait.kind, wait.length, earliest.as_nanos(), now.as_nanos());
            }
            now
        } else {
            __asyncify_until(&mut ctx, wait, earliest, std::future::pending::<()>())?;
            Deadline::now()
        }
    } else {
        let batch = PollBatch::new(ctx.data().pid(), ctx.data().tid(), fd_guards);
        match __asyncify_until(&mut ctx, wait, earliest, batch)? {
            Some(Ok(ready)) => events.extend(ready.into_iter().map(EventResult::into_event)),
            Some(Err(errno)) => return Ok(errno),
            None => {}
        }
        Deadline::now()
    };

    events.extend(
        clocks
            .iter()
            .filter(|(_, deadline)| *deadline <= now)
            .map(|(userdata, _)| clock_event(*userdata, Errno::Success)),
    );
    events.truncate(subs.len());
    Ok(write_events(&ctx, events))
}

/// `poll_oneoff` for `wasi_snapshot_preview1` and WASIX on absolute deadlines.
pub(crate) fn poll_oneoff_precise<M: MemorySize>(
    ctx: FunctionEnvMut<'_, WasiEnv>,
    entry: Deadline,
    in_: WasmPtr<Subscription, M>,
    out_: WasmPtr<Event, M>,
    nsubscriptions: M::Offset,
    nevents: WasmPtr<M::Offset, M>,
) -> Result<Errno, WasiError> {
    let env = ctx.data();
    let memory = unsafe { env.memory_view(&ctx) };
    let count: usize = wasi_try_ok!(nsubscriptions.try_into().map_err(|_| Errno::Toobig));
    let (out_offset, nevents_offset): (u64, u64) = (out_.offset().into(), nevents.offset().into());
    if !out_offset.is_multiple_of(8) || !nevents_offset.is_multiple_of(4) {
        return Ok(Errno::Inval);
    }
    let mut buffers = PollBuffers::lease();
    wasi_try_ok!(read_subscriptions(
        &memory,
        in_.offset().into(),
        count,
        SubscriptionLayout::Preview1,
        &mut buffers.subs,
    ));
    wasi_try_mem_ok!(write_count::<M>(&memory, nevents, 0));

    poll_oneoff_until(ctx, entry, &mut buffers, |ctx, events| {
        let env = ctx.data();
        let memory = unsafe { env.memory_view(ctx) };
        // One copy for all events, not a bounds-checked write per event; the
        // array is still checked for room for `nsubscriptions` events (there
        // are never more events than subscriptions: poll_oneoff_until
        // truncates them).
        let out = wasi_try_mem!(out_.slice(&memory, nsubscriptions));
        wasi_try_mem!(out.subslice(0..events.len() as u64).write_slice(events));
        wasi_try_mem!(write_count::<M>(&memory, nevents, events.len() as u64));
        Errno::Success
    })
}

/// Stores `count` (which fits in `M::Offset`) at `ptr` as one little-endian
/// copy: cheaper than [`WasmPtr::write`], which builds a typed accessor.
fn write_count<M: MemorySize>(
    memory: &MemoryView,
    ptr: WasmPtr<M::Offset, M>,
    count: u64,
) -> Result<(), MemoryAccessError> {
    let bytes = count.to_le_bytes();
    memory.write(ptr.offset().into(), &bytes[..std::mem::size_of::<M::Offset>()])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn preview1_clock(userdata: u64, clock_id: u32, timeout: u64, flags: u16) -> [u8; 48] {
        let mut b = [0u8; 48];
        b[0..8].copy_from_slice(&userdata.to_le_bytes());
        b[8] = 0;
        b[16..20].copy_from_slice(&clock_id.to_le_bytes());
        b[24..32].copy_from_slice(&timeout.to_le_bytes());
        b[40..42].copy_from_slice(&flags.to_le_bytes());
        b
    }

    #[test]
    fn decodes_preview1_clock_and_fd_subscriptions() {
        let sub = decode_subscription(
            &preview1_clock(7, 1, 1_000, 1),
            SubscriptionLayout::Preview1,
        );
        assert_eq!(
            sub,
            Ok(PollSub::Clock {
                userdata: 7,
                clock_id: 1,
                timeout: 1_000,
                abstime: true
            })
        );
        let mut fd = [0u8; 48];
        fd[0..8].copy_from_slice(&9u64.to_le_bytes());
        fd[8] = 2;
        fd[16..20].copy_from_slice(&3u32.to_le_bytes());
        assert_eq!(
            decode_subscription(&fd, SubscriptionLayout::Preview1),
            Ok(PollSub::Fd {
                userdata: 9,
                fd: 3,
                write: true
            })
        );
    }

    #[test]
    fn decodes_snapshot0_clock_after_the_identifier() {
        let mut b = [0u8; 56];
        b[0..8].copy_from_slice(&5u64.to_le_bytes());
        b[16..24].copy_from_slice(&u64::MAX.to_le_bytes());
        b[24..28].copy_from_slice(&0u32.to_le_bytes());
        b[32..40].copy_from_slice(&42u64.to_le_bytes());
        assert_eq!(
            decode_subscription(&b, SubscriptionLayout::Snapshot0),
            Ok(PollSub::Clock {
                userdata: 5,
                clock_id: 0,
                timeout: 42,
                abstime: false
            })
        );
    }

    #[test]
    fn unknown_event_types_and_clock_ids_are_errors_not_panics() {
        let mut b = preview1_clock(1, 0, 0, 0);
        b[8] = 3;
        assert_eq!(
            decode_subscription(&b, SubscriptionLayout::Preview1),
            Err(Errno::Inval)
        );
        b[8] = 255;
        assert_eq!(
            decode_subscription(&b, SubscriptionLayout::Preview1),
            Err(Errno::Inval)
        );
        // Unknown clock ids decode; clock_deadline turns them into EINVAL events.
        let sub = decode_subscription(&preview1_clock(1, 77, 0, 0), SubscriptionLayout::Preview1);
        assert!(matches!(sub, Ok(PollSub::Clock { clock_id: 77, .. })));
    }

    #[test]
    fn the_event_count_is_stored_in_the_guests_offset_width_and_no_wider() {
        let mut store = wasmer::Store::default();
        let memory = wasmer::Memory::new(&mut store, wasmer::MemoryType::new(1, None, false))
            .expect("one page");
        let view = memory.view(&store);
        view.write(0, &[0xAA; 24]).unwrap();
        write_count::<Memory32>(&view, WasmPtr::new(0), 0x0102_0304).unwrap();
        write_count::<Memory64>(&view, WasmPtr::new(8), 5).unwrap();
        let mut bytes = [0u8; 17];
        view.read(0, &mut bytes).unwrap();
        assert_eq!(bytes[..8], [4, 3, 2, 1, 0xAA, 0xAA, 0xAA, 0xAA]);
        assert_eq!(bytes[8..], [5, 0, 0, 0, 0, 0, 0, 0, 0xAA]);
        let end = view.data_size();
        assert!(write_count::<Memory32>(&view, WasmPtr::new(end as u32 - 2), 1).is_err());
    }

    #[test]
    fn subscription_arrays_are_checked_before_anything_is_allocated() {
        let mut store = wasmer::Store::default();
        let memory = wasmer::Memory::new(&mut store, wasmer::MemoryType::new(1, None, false))
            .expect("one page");
        let view = memory.view(&store);
        let page = view.data_size();
        let read = |ptr: u64, count: usize| {
            let mut subs = Vec::new();
            read_subscriptions(&view, ptr, count, SubscriptionLayout::Preview1, &mut subs)
                .map(|()| subs)
        };
        assert_eq!(read(4, 1).unwrap_err(), Errno::Inval);
        assert_eq!(read(0, usize::MAX).unwrap_err(), Errno::Overflow);
        assert_eq!(read(0, 1 << 40).unwrap_err(), Errno::Memviolation);
        assert_eq!(read(page - 40, 2).unwrap_err(), Errno::Memviolation);
        // All-zero bytes are a relative Realtime clock subscription.
        assert_eq!(read(page - 48, 1).map(|subs| subs.len()), Ok(1));
    }

    #[test]
    fn poll_buffers_are_reused_but_not_shared_and_not_kept_when_huge() {
        {
            let mut lease = PollBuffers::lease();
            lease.subs.reserve(8);
        }
        let lease = PollBuffers::lease();
        assert!(lease.subs.capacity() >= 8, "the thread's buffers came back");
        assert!(lease.subs.is_empty());
        let nested = PollBuffers::lease();
        assert_eq!(nested.subs.capacity(), 0, "a nested call gets its own");
        drop(nested);
        drop(lease);
        {
            let mut lease = PollBuffers::lease();
            lease.subs.reserve(PollBuffers::KEEP + 1);
        }
        assert_eq!(
            PollBuffers::lease().subs.capacity(),
            0,
            "a buffer above KEEP entries is freed"
        );
    }
}

/// The WASI clock rules of the precise path, end to end: a guest polls the given
/// clock subscriptions through `WasiRunner` and exits with what it saw.
#[cfg(all(test, feature = "sys", target_os = "linux"))]
mod clock_rules {
    use std::time::{Duration, Instant};

    use wasmer::Module;
    use wasmer_types::ModuleHash;

    use crate::WasiRuntimeError;
    use crate::runners::wasi::{RuntimeOrEngine, WasiRunner};

    /// A clock subscription: `(userdata, clock id, timeout ns, absolute)`.
    type Clock = (u64, u32, u64, bool);

    /// What one poll returned, and how long the guest took.
    #[derive(Debug, PartialEq)]
    struct Seen {
        nevents: u32,
        first_userdata: u32,
        first_failed: bool,
    }

    /// Runs a guest that polls `clocks` once (a `CLOCK_REALTIME` absolute clock's
    /// timeout is added to the guest's own Realtime reading first) and exits
    /// with `nevents * 100 + first userdata * 10 + (first error != 0)`.
    fn poll(clocks: &[Clock]) -> (Seen, Duration) {
        let mut data = String::new();
        let mut prelude = String::new();
        for (index, &(userdata, clock_id, timeout, abstime)) in clocks.iter().enumerate() {
            let mut sub = [0u8; 48];
            sub[0..8].copy_from_slice(&userdata.to_le_bytes());
            sub[16..20].copy_from_slice(&clock_id.to_le_bytes());
            sub[24..32].copy_from_slice(&timeout.to_le_bytes());
            sub[40..42].copy_from_slice(&u16::from(abstime).to_le_bytes());
            data.extend(sub.iter().map(|b| format!("\\{b:02x}")));
            if abstime && clock_id == 0 {
                let field = 1024 + index * 48 + 24;
                prelude.push_str(&format!(
                    "(drop (call $now (i32.const 0) (i64.const 1) (i32.const 512)))
                     (i64.store (i32.const {field})
                        (i64.add (i64.load (i32.const 512)) (i64.load (i32.const {field}))))\n"
                ));
            }
        }
        let wat = format!(
            r#"(module
                (import "wasi_snapshot_preview1" "poll_oneoff"
                    (func $poll (param i32 i32 i32 i32) (result i32)))
                (import "wasi_snapshot_preview1" "clock_time_get"
                    (func $now (param i32 i64 i32) (result i32)))
                (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
                (memory (export "memory") 1)
                (data (i32.const 1024) "{data}")
                (func (export "_start")
                    {prelude}
                    (drop (call $poll (i32.const 1024) (i32.const 4096)
                        (i32.const {n}) (i32.const 8000)))
                    (call $exit (i32.add (i32.add
                        (i32.mul (i32.load (i32.const 8000)) (i32.const 100))
                        (i32.mul (i32.wrap_i64 (i64.load (i32.const 4096))) (i32.const 10)))
                        (i32.ne (i32.load16_u (i32.const 4104)) (i32.const 0))))))"#,
            n = clocks.len()
        );
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap();
        let handle = runtime.handle().clone();
        let engine = wasmer::Engine::default();
        let module = Module::new(&engine, wat).unwrap();
        let (done, result) = std::sync::mpsc::channel();
        let started = Instant::now();
        std::thread::spawn(move || {
            let _guard = handle.enter();
            let mut runner = WasiRunner::new();
            runner.capabilities_mut().threading.enable_precise_sleep = true;
            let outcome = runner.run_wasm(
                RuntimeOrEngine::Engine(engine),
                "clock-rules",
                module,
                ModuleHash::random(),
            );
            let _ = done.send(outcome);
        });
        let outcome = result
            .recv_timeout(Duration::from_secs(10))
            .expect("the poll hung (a clock that should fire did not)");
        let elapsed = started.elapsed();
        let code = match outcome {
            Ok(()) => 0,
            Err(error) => error
                .chain()
                .find_map(|e| e.downcast_ref::<WasiRuntimeError>())
                .and_then(WasiRuntimeError::as_exit_code)
                .map(|code| code.raw())
                .unwrap_or_else(|| panic!("the guest failed: {error:#}")),
        } as u32;
        let seen = Seen {
            nevents: code / 100,
            first_userdata: code / 10 % 10,
            first_failed: code % 10 != 0,
        };
        (seen, elapsed)
    }

    const MS: u64 = 1_000_000;

    fn seen(nevents: u32, first_userdata: u32, first_failed: bool) -> Seen {
        Seen {
            nevents,
            first_userdata,
            first_failed,
        }
    }

    #[test]
    fn the_earliest_clock_wins_in_either_order_and_only_it_is_reported() {
        for clocks in [
            [(1, 1, MS, false), (2, 1, 2_000 * MS, false)],
            [(2, 1, 2_000 * MS, false), (1, 1, MS, false)],
        ] {
            let (result, elapsed) = poll(&clocks);
            assert_eq!(result, seen(1, 1, false), "{clocks:?}");
            // Well below the 2 s clock, with room for compiling the guest.
            assert!(
                elapsed < Duration::from_millis(1_900),
                "{clocks:?}: {elapsed:?}"
            );
        }
    }

    #[test]
    fn a_relative_zero_fires_at_once_even_next_to_a_longer_clock() {
        // A relative 0 that waited forever shows up as the 10 s hang limit.
        let (result, _) = poll(&[(3, 1, 0, false)]);
        assert_eq!(result, seen(1, 3, false));
        let (result, elapsed) = poll(&[(4, 1, 5_000 * MS, false), (3, 0, 0, false)]);
        assert_eq!(result, seen(1, 3, false));
        assert!(elapsed < Duration::from_millis(4_000), "{elapsed:?}");
    }

    #[test]
    fn a_realtime_absolute_deadline_wakes_at_that_time_not_before() {
        let (result, elapsed) = poll(&[(5, 0, 300 * MS, true)]);
        assert_eq!(result, seen(1, 5, false));
        assert!(
            elapsed >= Duration::from_millis(300),
            "woke early: {elapsed:?}"
        );
        assert!(elapsed < Duration::from_millis(2_000), "{elapsed:?}");
    }

    #[test]
    fn an_unsupported_clock_is_an_einval_event_for_it_alone() {
        // Clock 2 is the process CPU-time clock, which cannot be waited on.
        let (result, elapsed) = poll(&[(6, 2, MS, false), (7, 1, 5_000 * MS, false)]);
        assert_eq!(result, seen(1, 6, true));
        assert!(elapsed < Duration::from_millis(4_000), "{elapsed:?}");
    }
}
