use std::task::Waker;

use super::*;
use crate::syscalls::*;

/// Poller returns true if its triggered and false if it times out
struct FutexPoller {
    state: Arc<WasiState>,
    poller_idx: u64,
    futex_idx: u64,
    expected: u32,
    timeout: Option<Pin<Box<dyn Future<Output = ()> + Send + Sync + 'static>>>,
}
impl Future for FutexPoller {
    type Output = bool;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<bool> {
        let mut guard = self.state.futexs.lock().unwrap();

        // If the futex itself is no longer registered then it was likely
        // woken by a wake call
        let futex = match guard.futexes.get_mut(&self.futex_idx) {
            Some(f) => f,
            None => return Poll::Ready(true),
        };
        let waker = match futex.wakers.get_mut(&self.poller_idx) {
            Some(w) => w,
            None => return Poll::Ready(true),
        };

        // Register the waker
        waker.replace(cx.waker().clone());

        // Check for timeout
        drop(guard);
        if let Some(timeout) = self.timeout.as_mut() {
            let timeout = timeout.as_mut();
            if timeout.poll(cx).is_ready() {
                self.timeout.take();
                return Poll::Ready(false);
            }
        }

        // We will now wait to be woken
        Poll::Pending
    }
}
impl Drop for FutexPoller {
    fn drop(&mut self) {
        let mut guard = self.state.futexs.lock().unwrap();

        let mut should_remove = false;
        if let Some(futex) = guard.futexes.get_mut(&self.futex_idx) {
            if let Some(Some(waker)) = futex.wakers.remove(&self.poller_idx) {
                waker.wake();
            }
            should_remove = futex.wakers.is_empty();
        }
        if should_remove {
            guard.futexes.remove(&self.futex_idx);
        }
    }
}

/// Wait for a futex_wake operation to wake us.
/// Returns with EINVAL if the futex doesn't hold the expected value.
/// Returns false on timeout, and true in all other cases.
///
/// ## Parameters
///
/// * `futex` - Memory location that holds the value that will be checked
/// * `expected` - Expected value that should be currently held at the memory location
/// * `timeout` - Timeout should the futex not be triggered in the allocated time
#[instrument(level = "trace", skip_all, fields(futex_idx = field::Empty, poller_idx = field::Empty, %expected, timeout = field::Empty, woken = field::Empty))]
pub fn futex_wait<M: MemorySize + 'static>(
    mut ctx: FunctionEnvMut<'_, WasiEnv>,
    futex_ptr: WasmPtr<u32, M>,
    expected: u32,
    timeout: WasmPtr<OptionTimestamp, M>,
    ret_woken: WasmPtr<Bool, M>,
) -> Result<Errno, WasiError> {
    // With precise sleep, a timeout counts from here, before any of the syscall's
    // own work; without it, the clock is not read.
    #[cfg(target_os = "linux")]
    let entry = precise_sleep_enabled(ctx.data()).then(crate::os::deadline::Deadline::now);

    WasiEnv::do_pending_operations(&mut ctx)?;

    futex_wait_internal(
        ctx,
        futex_ptr,
        expected,
        timeout,
        ret_woken,
        #[cfg(target_os = "linux")]
        entry,
    )
}

pub(super) fn futex_wait_internal<M: MemorySize + 'static>(
    mut ctx: FunctionEnvMut<'_, WasiEnv>,
    futex_ptr: WasmPtr<u32, M>,
    expected: u32,
    timeout: WasmPtr<OptionTimestamp, M>,
    ret_woken: WasmPtr<Bool, M>,
    #[cfg(target_os = "linux")] entry: Option<crate::os::deadline::Deadline>,
) -> Result<Errno, WasiError> {
    wasi_try_ok!(maybe_backoff::<M>(&mut ctx)?);
    ctx = wasi_try_ok!(maybe_snapshot::<M>(ctx)?);

    // If we were just restored then we were woken after a deep sleep
    // and thus we repeat all the checks again, we do not immediately
    // exit here as it could be the case that we were woken but the
    // expected value does not match
    if let Some(_woken) = unsafe { handle_rewind::<M, bool>(&mut ctx) } {
        // fall through so the normal checks kick in, this will
        // ensure that the expected value has changed before
        // this syscall returns even if it was woken
    }

    // Determine the timeout
    let mut env = ctx.data();
    let timeout = {
        let memory = unsafe { env.memory_view(&ctx) };
        wasi_try_mem_ok!(timeout.read(&memory))
    };
    let timeout = match timeout.tag {
        OptionTag::Some => Some(Duration::from_nanos(timeout.u)),
        _ => None,
    };
    Span::current().record("timeout", format!("{timeout:?}"));

    // With precise sleep the timeout is a deadline that the calling thread waits
    // for itself (see `__asyncify_until`), instead of a task on the async runtime.
    #[cfg(target_os = "linux")]
    let deadline = entry.map(|entry| {
        timeout.map_or(crate::os::deadline::Deadline::NEVER, |timeout| {
            entry.after(u64::try_from(timeout.as_nanos()).unwrap_or(u64::MAX))
        })
    });
    #[cfg(not(target_os = "linux"))]
    let deadline: Option<()> = None;

    let state = env.state.clone();
    let futex_idx: u64 = futex_ptr.offset().into();
    Span::current().record("futex_idx", futex_idx);

    // We generate a new poller which also registers in the
    // shared state futex lookup. When this object is dropped
    // it will remove itself from the lookup. It can also be
    // removed whenever the wake call is invoked (which could
    // be before the poller is polled).
    let poller = {
        let mut guard = env.state.futexs.lock().unwrap();
        guard.poller_seed += 1;
        let poller_idx = guard.poller_seed;

        // Create the timeout if one exists
        let timeout = timeout
            .filter(|_| deadline.is_none())
            .map(|timeout| env.tasks().sleep_now(timeout));

        // We insert the futex before we check the condition variable to avoid
        // certain race conditions
        let futex = guard.futexes.entry(futex_idx).or_default();
        futex.wakers.insert(poller_idx, Default::default());

        Span::current().record("poller_idx", poller_idx);
        FutexPoller {
            state: env.state.clone(),
            poller_idx,
            futex_idx,
            expected,
            timeout,
        }
    };

    // We check if the expected value has changed
    let memory = unsafe { env.memory_view(&ctx) };
    let val = wasi_try_mem_ok!(futex_ptr.read(&memory));
    if val != expected {
        // We have been triggered so do not go into a wait
        wasi_try_mem_ok!(ret_woken.write(&memory, Bool::True));
        return Ok(Errno::Success);
    }

    // We clear the woken flag (so if the poller fails to trigger
    // then the value is not set) - the poller will set it to true
    wasi_try_mem_ok!(ret_woken.write(&memory, Bool::False));

    #[cfg(target_os = "linux")]
    if let Some(deadline) = deadline {
        tracing::trace!("wait on {futex_idx} until {deadline:?}");
        let wait = TimedWait {
            kind: WaitKind::FutexWait,
            length: timeout.map_or(u64::MAX, |timeout| {
                u64::try_from(timeout.as_nanos()).unwrap_or(u64::MAX)
            }),
        };
        let woken = __asyncify_until(&mut ctx, wait, deadline, poller)?.unwrap_or(false);
        let env = ctx.data();
        let memory = unsafe { env.memory_view(&ctx) };
        wasi_try_mem_ok!(ret_woken.write(&memory, if woken { Bool::True } else { Bool::False }));
        return Ok(Errno::Success);
    }

    // We use asyncify on the poller and potentially go into deep sleep
    tracing::trace!("wait on {futex_idx}");
    let res = __asyncify_with_deep_sleep::<M, _, _>(ctx, Box::pin(poller))?;
    if let AsyncifyAction::Finish(ctx, res) = res {
        let mut env = ctx.data();
        let memory = unsafe { env.memory_view(&ctx) };
        if res {
            wasi_try_mem_ok!(ret_woken.write(&memory, Bool::True));
        } else {
            wasi_try_mem_ok!(ret_woken.write(&memory, Bool::False));
        }
    }
    Ok(Errno::Success)
}

/// The timeouts of `futex_wait` and `epoll_wait` on the precise path, end to end:
/// a guest waits 20 times for 300 us (on a futex word nobody changes, or on an
/// empty epoll set), timing each wait itself, and exits with `255` if a wait
/// ended early, otherwise `1 +` the number of waits that overshot by more than
/// 500 us. On the async path every wait rounds up to the 1 ms timer wheel, so
/// all 20 do; a precise wait overshoots by about 80 us.
#[cfg(all(test, feature = "sys", target_os = "linux"))]
mod deadline_timeouts {
    use std::time::Duration;

    use wasmer::Module;
    use wasmer_types::ModuleHash;

    use crate::WasiRuntimeError;
    use crate::runners::wasi::{RuntimeOrEngine, WasiRunner};

    const WAITS: u32 = 20;
    /// At most this many waits may overshoot by more than 500 us: the median
    /// overshoot must stay under 500 us (one preemption does not fail the test;
    /// a timer that is late every time does).
    const MAX_LATE: u32 = WAITS / 2;

    /// Imports and `$wait` for the guest: one wait with a 300 us timeout.
    const FUTEX: (&str, &str) = (
        r#"(import "wasix_32v1" "futex_wait" (func $futex_wait (param i32 i32 i32 i32) (result i32)))"#,
        r#"(func $wait
            (i32.store8 (i32.const 0x108) (i32.const 1))          ;; timeout: Some
            (i64.store (i32.const 0x110) (i64.const 300000))
            (if (call $futex_wait (i32.const 0x100) (i32.const 0) (i32.const 0x108) (i32.const 0x118))
                (then (call $exit (i32.const 254)))))"#,
    );
    const EPOLL: (&str, &str) = (
        r#"(import "wasix_32v1" "epoll_create" (func $epoll_create (param i32) (result i32)))
           (import "wasix_32v1" "epoll_wait" (func $epoll_wait (param i32 i32 i32 i64 i32) (result i32)))"#,
        r#"(func $wait
            (if (i32.eqz (i32.load (i32.const 0x120)))
                (then
                    (if (call $epoll_create (i32.const 0x124)) (then (call $exit (i32.const 254))))
                    (i32.store (i32.const 0x120) (i32.const 1))))
            (if (call $epoll_wait (i32.load (i32.const 0x124)) (i32.const 0x140) (i32.const 1)
                    (i64.const 300000) (i32.const 0x128))
                (then (call $exit (i32.const 254)))))"#,
    );

    fn run((imports, wait): (&str, &str)) -> u32 {
        let wat = format!(
            r#"(module
                (import "wasi_snapshot_preview1" "clock_time_get"
                    (func $now (param i32 i64 i32) (result i32)))
                (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
                {imports}
                (memory (export "memory") 1)
                {wait}
                (func $monotonic (result i64)
                    (drop (call $now (i32.const 1) (i64.const 1) (i32.const 0x80)))
                    (i64.load (i32.const 0x80)))
                (func (export "_start")
                    (local $i i32) (local $start i64) (local $took i64) (local $late i32)
                    (loop $again
                        (local.set $start (call $monotonic))
                        (call $wait)
                        (local.set $took (i64.sub (call $monotonic) (local.get $start)))
                        (if (i64.lt_u (local.get $took) (i64.const 300000))
                            (then (call $exit (i32.const 255))))
                        (if (i64.gt_u (local.get $took) (i64.const 800000))
                            (then (local.set $late (i32.add (local.get $late) (i32.const 1)))))
                        (local.set $i (i32.add (local.get $i) (i32.const 1)))
                        (br_if $again (i32.lt_u (local.get $i) (i32.const {WAITS}))))
                    (call $exit (i32.add (local.get $late) (i32.const 1)))))"#
        );
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap();
        let handle = runtime.handle().clone();
        let engine = wasmer::Engine::default();
        let module = Module::new(&engine, wat).unwrap();
        let (done, result) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _guard = handle.enter();
            let mut runner = WasiRunner::new();
            runner.capabilities_mut().threading.enable_precise_sleep = true;
            let _ = done.send(runner.run_wasm(
                RuntimeOrEngine::Engine(engine),
                "deadline-timeouts",
                module,
                ModuleHash::random(),
            ));
        });
        let error = result
            .recv_timeout(Duration::from_secs(10))
            .expect("the waits hung")
            .expect_err("the guest always exits with a code");
        error
            .chain()
            .find_map(|e| e.downcast_ref::<WasiRuntimeError>())
            .and_then(WasiRuntimeError::as_exit_code)
            .map(|code| code.raw() as u32)
            .unwrap_or_else(|| panic!("the guest failed: {error:#}"))
    }

    fn check(name: &str, code: u32) {
        assert_ne!(code, 255, "{name}: a wait ended before its timeout");
        assert_ne!(code, 254, "{name}: the call failed");
        assert!(
            (1..=1 + MAX_LATE).contains(&code),
            "{name}: {} of {WAITS} waits of 300 us overshot by more than 500 us (at most {MAX_LATE})",
            code - 1
        );
    }

    #[test]
    fn futex_wait_times_out_at_its_deadline() {
        check("futex_wait", run(FUTEX));
    }

    #[test]
    fn epoll_wait_times_out_at_its_deadline() {
        check("epoll_wait", run(EPOLL));
    }
}
