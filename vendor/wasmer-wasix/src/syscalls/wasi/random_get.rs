use super::*;
use crate::syscalls::*;
use rand::rngs::{StdRng, SysRng};
use rand::{Rng as _, SeedableRng as _};
use std::cell::RefCell;

const MAX_CHUNK_LEN: usize = 4 * 1024;

/// Bytes one seed serves before the generator is reseeded from the OS: 1024
/// ChaCha blocks, what rand's `ThreadRng` does.
const RESEED_AFTER: usize = 64 * 1024;

/// A thread's generator: the bytes it has served since its seed, and the
/// process's fork count when it was seeded.
struct SeededRng {
    rng: StdRng,
    served: usize,
    forks: usize,
}

thread_local! {
    /// This thread's generator, once seeded.
    static RNG: RefCell<Option<SeededRng>> = const { RefCell::new(None) };
}

/// Fills `buf` with random bytes from this thread's ChaCha12 generator, seeded
/// from the OS and reseeded every [`RESEED_AFTER`] bytes, as rand's
/// `ThreadRng` does (one `getrandom` per 64 KiB instead of one per call), and
/// also after the host process forks (so parent and child never share a
/// stream), with a failing OS source reported as an error instead of a panic.
pub(crate) fn fill_random(buf: &mut [u8]) -> Result<(), getrandom::Error> {
    // A thread being torn down, or a nested call, seeds a generator of its own.
    match RNG.try_with(|cell| cell.try_borrow_mut().map(|mut slot| fill_from(&mut slot, buf))) {
        Ok(Ok(result)) => result,
        _ => fill_from(&mut None, buf),
    }
}

/// [`fill_random`] with the generator in `slot`, seeding it when it is empty,
/// has served [`RESEED_AFTER`] bytes or was seeded before a fork.
fn fill_from(slot: &mut Option<SeededRng>, buf: &mut [u8]) -> Result<(), getrandom::Error> {
    let forks = fork_count();
    for chunk in buf.chunks_mut(RESEED_AFTER) {
        let state = match slot {
            Some(state) if state.forks == forks && state.served + chunk.len() <= RESEED_AFTER => {
                state
            }
            _ => slot.insert(SeededRng {
                rng: StdRng::try_from_rng(&mut SysRng)?,
                served: 0,
                forks,
            }),
        };
        state.rng.fill_bytes(chunk);
        state.served += chunk.len();
    }
    Ok(())
}

/// How many times this process has been forked from its ancestors since the
/// first call (counted by a `pthread_atfork` child handler registered then).
#[cfg(unix)]
fn fork_count() -> usize {
    use std::sync::Once;
    use std::sync::atomic::{AtomicUsize, Ordering};
    static FORKS: AtomicUsize = AtomicUsize::new(0);
    static REGISTER: Once = Once::new();
    extern "C" fn forked() {
        FORKS.fetch_add(1, Ordering::Relaxed);
    }
    // SAFETY: registers a handler that only touches an atomic, which is
    // async-signal-safe as a fork child handler must be.
    REGISTER.call_once(|| unsafe {
        libc::pthread_atfork(None, None, Some(forked));
    });
    FORKS.load(Ordering::Relaxed)
}

#[cfg(not(unix))]
fn fork_count() -> usize {
    0
}

/// ### `random_get()`
/// Fill buffer with high-quality random data.  This function may be slow and block
///
/// Inputs:
///
/// - `void *buf`
///   A pointer to a buffer where the random bytes will be written
/// - `size_t buf_len`
///   The number of bytes that will be written
#[cfg_attr(
    feature = "extra-logging",
    instrument(level = "trace", skip_all, fields(%buf_len), ret)
)]
pub fn random_get<M: MemorySize>(
    ctx: FunctionEnvMut<'_, WasiEnv>,
    buf: WasmPtr<u8, M>,
    buf_len: M::Offset,
) -> Errno {
    let buf_len64: u64 = buf_len.into();
    if buf_len64 == 0 {
        return Errno::Success;
    }

    let env = ctx.data();
    let memory = unsafe { env.memory_view(&ctx) };
    let buf_slice = wasi_try_mem!(buf.slice(&memory, buf_len));
    // If the buffer is owned we cannot call .access() on it
    // as that would trigger unbounded host allocation in JS.
    if buf_slice.is_owned() {
        let mut buffer = vec![0u8; MAX_CHUNK_LEN.min(buf_len64 as usize)];
        let mut offset = 0u64;

        while offset < buf_len64 {
            let chunk_len = usize::min((buf_len64 - offset) as usize, buffer.len());
            if fill_random(&mut buffer[..chunk_len]).is_err() {
                return Errno::Io;
            }

            let chunk = buf_slice.subslice(offset..offset + chunk_len as u64);
            wasi_try_mem!(chunk.write_slice(&buffer[..chunk_len]));

            offset += chunk_len as u64;
        }
    } else {
        let mut buf = wasi_try_mem!(buf_slice.access());
        if fill_random(buf.as_mut()).is_err() {
            return Errno::Io;
        }
    }

    Errno::Success
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_bytes_differ_between_calls_and_across_a_reseed() {
        let mut seen = std::collections::HashSet::new();
        let mut buf = [0u8; 16];
        // 5000 x 16 bytes crosses the 64 KiB reseed point once.
        for _ in 0..5000 {
            fill_random(&mut buf).unwrap();
            assert!(seen.insert(buf), "a 16-byte value repeated");
        }
        let served = RNG.with_borrow(|slot| slot.as_ref().map(|state| state.served));
        assert_eq!(served, Some(5000 * 16 - RESEED_AFTER));
    }

    #[test]
    fn a_buffer_larger_than_a_seed_is_filled_with_reseeds_between_chunks() {
        let mut buf = vec![0u8; 3 * RESEED_AFTER + 100];
        fill_random(&mut buf).unwrap();
        // Each 64 KiB chunk came from a fresh seed: no chunk repeats another.
        let chunks: Vec<&[u8]> = buf.chunks(RESEED_AFTER).collect();
        assert_ne!(chunks[0], chunks[1]);
        assert_ne!(chunks[1], chunks[2]);
        assert!(buf.iter().filter(|&&b| b == 0).count() < buf.len() / 64);
        let served = RNG.with_borrow(|slot| slot.as_ref().map(|state| state.served));
        assert_eq!(served, Some(100));
    }

    #[cfg(unix)]
    #[test]
    fn a_forked_child_reseeds_instead_of_repeating_its_parents_stream() {
        let mut buf = [0u8; 16];
        fill_random(&mut buf).unwrap();
        let mut pipe = [0i32; 2];
        // SAFETY: plain pipe/fork/read/write/_exit; the child only calls
        // fill_random and async-signal-safe functions before _exit.
        unsafe {
            assert_eq!(libc::pipe(pipe.as_mut_ptr()), 0);
            let pid = libc::fork();
            assert!(pid >= 0);
            if pid == 0 {
                let mut child = [0u8; 16];
                let ok = fill_random(&mut child).is_ok();
                libc::write(pipe[1], child.as_ptr().cast(), if ok { 16 } else { 0 });
                libc::_exit(0);
            }
            let mut parent = [0u8; 16];
            fill_random(&mut parent).unwrap();
            let mut child = [0u8; 16];
            assert_eq!(libc::read(pipe[0], child.as_mut_ptr().cast(), 16), 16);
            libc::waitpid(pid, std::ptr::null_mut(), 0);
            // Without the reseed both would draw the same next 16 bytes.
            assert_ne!(parent, child);
        }
    }
}
