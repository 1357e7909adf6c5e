use std::task::Waker;

use super::*;
use crate::syscalls::*;

/// ### `thread_sleep()`
/// Sends the current thread to sleep for a period of time
///
/// ## Parameters
///
/// * `duration` - Amount of time that the thread should sleep
#[instrument(level = "trace", skip_all, fields(%duration), ret)]
pub fn thread_sleep<M: MemorySize + 'static>(
    mut ctx: FunctionEnvMut<'_, WasiEnv>,
    duration: Timestamp,
) -> Result<Errno, WasiError> {
    // With precise sleep, the deadline counts from the syscall's entry, not from
    // when the wait starts; without it, the clock is not read.
    #[cfg(target_os = "linux")]
    let deadline = (duration > 0 && precise_sleep_enabled(ctx.data()))
        .then(|| crate::os::deadline::Deadline::now().after(duration));

    WasiEnv::do_pending_operations(&mut ctx)?;

    #[cfg(target_os = "linux")]
    if let Some(deadline) = deadline {
        return thread_sleep_until::<M>(ctx, duration, deadline);
    }

    thread_sleep_internal::<M>(ctx, duration)
}

/// Sleeps on the calling thread until `deadline`; signals and exit still interrupt
/// the sleep (see [`__asyncify_until`]).
#[cfg(target_os = "linux")]
fn thread_sleep_until<M: MemorySize + 'static>(
    mut ctx: FunctionEnvMut<'_, WasiEnv>,
    duration: Timestamp,
    deadline: crate::os::deadline::Deadline,
) -> Result<Errno, WasiError> {
    wasi_try_ok!(maybe_backoff::<M>(&mut ctx)?);
    let wait = TimedWait {
        kind: WaitKind::ThreadSleep,
        length: duration,
    };
    __asyncify_until(&mut ctx, wait, deadline, std::future::pending::<()>())?;
    Ok(Errno::Success)
}

pub(crate) fn thread_sleep_internal<M: MemorySize + 'static>(
    mut ctx: FunctionEnvMut<'_, WasiEnv>,
    duration: Timestamp,
) -> Result<Errno, WasiError> {
    if let Some(()) = unsafe { handle_rewind::<M, _>(&mut ctx) } {
        return Ok(Errno::Success);
    }

    wasi_try_ok!(maybe_backoff::<M>(&mut ctx)?);
    ctx = wasi_try_ok!(maybe_snapshot::<M>(ctx)?);

    let env = ctx.data();

    #[cfg(feature = "sys-thread")]
    if duration == 0 {
        std::thread::yield_now();
    }

    if duration > 0 {
        let duration = Duration::from_nanos(duration);
        let tasks = env.tasks().clone();
        let res = __asyncify_with_deep_sleep::<M, _, _>(ctx, async move {
            tasks.sleep_now(duration).await;
        })?;
    }
    Ok(Errno::Success)
}
