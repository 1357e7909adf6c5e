use std::task::Waker;

use super::*;
#[cfg(feature = "journal")]
use crate::{
    journal::{JournalEffector, JournalEntry},
    utils::map_snapshot_err,
};
use crate::{net::MAX_SOCKET_PAYLOAD, net::socket::TimeType, syscalls::*};

/// ### `fd_write()`
/// Write data to the file descriptor
///
/// Inputs:
///
/// - `Fd`
///   File descriptor (opened with writing) to write to
/// - `const __wasi_ciovec_t *iovs`
///   List of vectors to read data from
/// - `u32 iovs_len`
///   Length of data in `iovs`
///
/// Output:
///
/// - `u32 *nwritten`
///   Number of bytes written
///
/// Errors:
#[cfg_attr(
    feature = "extra-logging",
    instrument(level = "trace", skip_all, fields(%fd, nwritten = field::Empty), ret)
)]
pub fn fd_write<M: MemorySize>(
    mut ctx: FunctionEnvMut<'_, WasiEnv>,
    fd: WasiFd,
    iovs: WasmPtr<__wasi_ciovec_t<M>, M>,
    iovs_len: M::Offset,
    nwritten: WasmPtr<M::Offset, M>,
) -> Result<Errno, WasiError> {
    WasiEnv::do_pending_operations(&mut ctx)?;

    let env = ctx.data();
    let enable_journal = env.enable_journal;
    // The host's stdout and stderr, written on this thread (see
    // `write_host_stdio`) without cloning the `Fd`; any other fd, or a stdio fd
    // the direct write does not take, goes to the general path.
    #[cfg(all(feature = "host-fs", unix))]
    if !enable_journal && let Some((flags, file)) = env.state.fs.stdio_file(fd) {
        let memory = unsafe { env.memory_view(&ctx) };
        let data = FdWriteSource::Iovs { iovs, iovs_len };
        if let Some(result) = write_host_stdio_file::<M>(flags, &file, &data, &memory) {
            let bytes_written = wasi_try_ok!(result);
            Span::current().record("nwritten", bytes_written);
            let bytes_written: M::Offset =
                wasi_try_ok!(bytes_written.try_into().map_err(|_| Errno::Overflow));
            wasi_try_mem_ok!(nwritten.write(&memory, bytes_written));
            return Ok(Errno::Success);
        }
    }
    let fd_entry = {
        let state = env.state.clone();
        wasi_try_ok!(state.fs.get_fd(fd))
    };
    let offset = fd_entry.inner.offset.load(Ordering::Acquire) as usize;

    let bytes_written = wasi_try_ok!(fd_write_general::<M>(
        &mut ctx,
        fd,
        fd_entry,
        FdWriteSource::Iovs { iovs, iovs_len },
        offset as u64,
        true,
        enable_journal,
    )?);

    Span::current().record("nwritten", bytes_written);

    let mut env = ctx.data();
    let memory = unsafe { env.memory_view(&ctx) };
    let nwritten_ref = nwritten.deref(&memory);
    let bytes_written: M::Offset =
        wasi_try_ok!(bytes_written.try_into().map_err(|_| Errno::Overflow));
    wasi_try_mem_ok!(nwritten_ref.write(bytes_written));

    Ok(Errno::Success)
}

/// ### `fd_pwrite()`
/// Write to a file without adjusting its offset
/// Inputs:
/// - `Fd`
///     File descriptor (opened with writing) to write to
/// - `const __wasi_ciovec_t *iovs`
///     List of vectors to read data from
/// - `u32 iovs_len`
///     Length of data in `iovs`
/// - `Filesize offset`
///     The offset to write at
/// Output:
/// - `u32 *nwritten`
///     Number of bytes written
#[instrument(level = "trace", skip_all, fields(%fd, %offset, nwritten = field::Empty), ret)]
pub fn fd_pwrite<M: MemorySize>(
    mut ctx: FunctionEnvMut<'_, WasiEnv>,
    fd: WasiFd,
    iovs: WasmPtr<__wasi_ciovec_t<M>, M>,
    iovs_len: M::Offset,
    offset: Filesize,
    nwritten: WasmPtr<M::Offset, M>,
) -> Result<Errno, WasiError> {
    WasiEnv::do_pending_operations(&mut ctx)?;

    let enable_snapshot_capture = ctx.data().enable_journal;

    let fd_entry = {
        let env = ctx.data();
        let state = env.state.clone();
        wasi_try_ok!(state.fs.get_fd(fd))
    };
    let bytes_written = wasi_try_ok!(fd_write_internal::<M>(
        &mut ctx,
        fd,
        fd_entry,
        FdWriteSource::Iovs { iovs, iovs_len },
        offset,
        false,
        enable_snapshot_capture,
    )?);

    Span::current().record("nwritten", bytes_written);

    let mut env = ctx.data();
    let memory = unsafe { env.memory_view(&ctx) };
    let nwritten_ref = nwritten.deref(&memory);
    let bytes_written: M::Offset =
        wasi_try_ok!(bytes_written.try_into().map_err(|_| Errno::Overflow));
    wasi_try_mem_ok!(nwritten_ref.write(bytes_written));

    Ok(Errno::Success)
}

pub(crate) enum FdWriteSource<'a, M: MemorySize> {
    Iovs {
        iovs: WasmPtr<__wasi_ciovec_t<M>, M>,
        iovs_len: M::Offset,
    },
    Buffer(Cow<'a, [u8]>),
}

impl<'a, M: MemorySize> FdWriteSource<'a, M> {
    pub(crate) fn coalesce(
        &self,
        memory: &MemoryView,
        max_len: usize,
    ) -> Result<Cow<'a, [u8]>, Errno> {
        match self {
            FdWriteSource::Iovs { iovs, iovs_len } => {
                let iovs_arr = iovs.slice(memory, *iovs_len).map_err(mem_error_to_wasi)?;
                let iovs_arr = iovs_arr.access().map_err(mem_error_to_wasi)?;

                let mut total_len = 0usize;
                for iov in iovs_arr.iter() {
                    let len = iov.buf_len.into() as usize;
                    total_len = total_len.checked_add(len).ok_or(Errno::Msgsize)?;
                }
                if total_len > max_len {
                    return Err(Errno::Msgsize);
                }

                let mut coalesced = Vec::with_capacity(total_len);

                for iov in iovs_arr.iter() {
                    let buf = WasmPtr::<u8, M>::new(iov.buf)
                        .slice(memory, iov.buf_len)
                        .map_err(mem_error_to_wasi)?
                        .access()
                        .map_err(mem_error_to_wasi)?;
                    coalesced.extend_from_slice(buf.as_ref());
                }

                Ok(Cow::Owned(coalesced))
            }
            FdWriteSource::Buffer(cow) => {
                if cow.len() > max_len {
                    return Err(Errno::Msgsize);
                }
                Ok(cow.clone())
            }
        }
    }
}

pub(crate) fn fd_write_internal<M: MemorySize>(
    ctx: &mut FunctionEnvMut<'_, WasiEnv>,
    fd: WasiFd,
    fd_entry: Fd,
    data: FdWriteSource<'_, M>,
    offset: u64,
    should_update_cursor: bool,
    should_snapshot: bool,
) -> Result<Result<usize, Errno>, WasiError> {
    // The host's stdout and stderr are written on this thread (see
    // `write_host_stdio`); with a journal, the general path records the write.
    #[cfg(all(feature = "host-fs", unix))]
    if fd_entry.is_stdio && !ctx.data().enable_journal {
        let memory = unsafe { ctx.data().memory_view(&ctx) };
        if let Some(result) = write_host_stdio::<M>(&fd_entry, &data, &memory) {
            return Ok(result);
        }
    }
    fd_write_general(
        ctx,
        fd,
        fd_entry,
        data,
        offset,
        should_update_cursor,
        should_snapshot,
    )
}

/// [`fd_write_internal`] without the direct write to the host's stdio.
#[allow(clippy::await_holding_lock)]
fn fd_write_general<M: MemorySize>(
    mut ctx: &mut FunctionEnvMut<'_, WasiEnv>,
    fd: WasiFd,
    fd_entry: Fd,
    data: FdWriteSource<'_, M>,
    offset: u64,
    should_update_cursor: bool,
    should_snapshot: bool,
) -> Result<Result<usize, Errno>, WasiError> {
    let mut offset = offset;
    let mut env = ctx.data();
    let state = env.state.clone();
    let is_stdio = fd_entry.is_stdio;

    let bytes_written = {
        if !is_stdio && !fd_entry.inner.rights.contains(Rights::FD_WRITE) {
            return Ok(Err(Errno::Access));
        }

        let fd_flags = fd_entry.inner.flags;
        let mut memory = unsafe { env.memory_view(&ctx) };

        let (bytes_written, is_file, can_snapshot) = {
            let (mut memory, _) = unsafe { env.get_memory_and_wasi_state(&ctx, 0) };
            let mut guard = fd_entry.inode.write();
            match guard.deref_mut() {
                Kind::File { handle, .. } => {
                    if let Some(handle) = handle {
                        let handle = handle.clone();
                        drop(guard);

                        let res = __asyncify_light(
                            env,
                            if fd_entry.inner.flags.contains(Fdflags::NONBLOCK) {
                                Some(Duration::ZERO)
                            } else {
                                None
                            },
                            async {
                                let mut handle = handle.write().unwrap();
                                if !is_stdio {
                                    if fd_entry.inner.flags.contains(Fdflags::APPEND) {
                                        // `fdflags::append` means we need to seek to the end before writing.
                                        offset = fd_entry.inode.stat.read().unwrap().st_size;
                                        fd_entry.inner.offset.store(offset, Ordering::Release);
                                    }

                                    handle
                                        .seek(std::io::SeekFrom::Start(offset))
                                        .await
                                        .map_err(map_io_err)?;
                                }

                                let mut written = 0usize;

                                match &data {
                                    FdWriteSource::Iovs { iovs, iovs_len } => {
                                        let iovs_arr = iovs
                                            .slice(&memory, *iovs_len)
                                            .map_err(mem_error_to_wasi)?;
                                        let iovs_arr =
                                            iovs_arr.access().map_err(mem_error_to_wasi)?;
                                        for iovs in iovs_arr.iter() {
                                            let buf = WasmPtr::<u8, M>::new(iovs.buf)
                                                .slice(&memory, iovs.buf_len)
                                                .map_err(mem_error_to_wasi)?
                                                .access()
                                                .map_err(mem_error_to_wasi)?;
                                            let local_written =
                                                match handle.write(buf.as_ref()).await {
                                                    Ok(s) => s,
                                                    Err(_) if written > 0 => break,
                                                    Err(err) => return Err(map_io_err(err)),
                                                };
                                            written += local_written;
                                            if local_written != buf.len() {
                                                break;
                                            }
                                        }
                                    }
                                    FdWriteSource::Buffer(data) => {
                                        handle.write_all(data).await?;
                                        written += data.len();
                                    }
                                }

                                if is_stdio {
                                    handle.flush().await.map_err(map_io_err)?;
                                }
                                Ok(written)
                            },
                        );
                        let written = wasi_try_ok_ok!(res?.map_err(|err| match err {
                            Errno::Timedout => Errno::Again,
                            a => a,
                        }));

                        (written, true, true)
                    } else {
                        return Ok(Err(Errno::Inval));
                    }
                }
                Kind::Socket { socket } => {
                    let socket = socket.clone();
                    drop(guard);

                    let nonblocking = fd_flags.contains(Fdflags::NONBLOCK);
                    let timeout = socket
                        .opt_time(TimeType::WriteTimeout)
                        .ok()
                        .flatten()
                        .unwrap_or(Duration::from_secs(30));

                    let tasks = env.tasks().clone();

                    let res = __sock_asyncify_light(env, None, async {
                        let mut sent = 0usize;

                        if socket.is_dgram() {
                            let data = data.coalesce(&memory, MAX_SOCKET_PAYLOAD)?;
                            sent += socket
                                .send(tasks.deref(), data.as_ref(), Some(timeout), nonblocking)
                                .await?;
                            return Ok(sent);
                        }

                        match &data {
                            FdWriteSource::Iovs { iovs, iovs_len } => {
                                let iovs_arr =
                                    iovs.slice(&memory, *iovs_len).map_err(mem_error_to_wasi)?;
                                let iovs_arr = iovs_arr.access().map_err(mem_error_to_wasi)?;
                                for iovs in iovs_arr.iter() {
                                    let buf = WasmPtr::<u8, M>::new(iovs.buf)
                                        .slice(&memory, iovs.buf_len)
                                        .map_err(mem_error_to_wasi)?
                                        .access()
                                        .map_err(mem_error_to_wasi)?;
                                    let local_sent = match socket
                                        .send(
                                            tasks.deref(),
                                            buf.as_ref(),
                                            Some(timeout),
                                            nonblocking,
                                        )
                                        .await
                                    {
                                        Ok(sent) => sent,
                                        Err(_) if sent > 0 => break,
                                        Err(err) => return Err(err),
                                    };
                                    sent += local_sent;
                                    if local_sent != buf.len() {
                                        break;
                                    }
                                }
                            }
                            FdWriteSource::Buffer(data) => {
                                sent += socket
                                    .send(tasks.deref(), data.as_ref(), Some(timeout), nonblocking)
                                    .await?;
                            }
                        }
                        Ok(sent)
                    });
                    let written = wasi_try_ok_ok!(res?);
                    (written, false, false)
                }
                Kind::PipeRx { .. } => {
                    return Ok(Err(Errno::Badf));
                }
                Kind::PipeTx { tx } => {
                    let mut written = 0usize;

                    match &data {
                        FdWriteSource::Iovs { iovs, iovs_len } => {
                            let mut raise_sigpipe = false;
                            let iovs_arr = wasi_try_ok_ok!(
                                iovs.slice(&memory, *iovs_len).map_err(mem_error_to_wasi)
                            );
                            let iovs_arr =
                                wasi_try_ok_ok!(iovs_arr.access().map_err(mem_error_to_wasi));
                            for iovs in iovs_arr.iter() {
                                let buf = wasi_try_ok_ok!(
                                    WasmPtr::<u8, M>::new(iovs.buf)
                                        .slice(&memory, iovs.buf_len)
                                        .map_err(mem_error_to_wasi)
                                );
                                let buf = wasi_try_ok_ok!(buf.access().map_err(mem_error_to_wasi));
                                let write_result = std::io::Write::write(tx, buf.as_ref());
                                let local_written = match write_result {
                                    Ok(w) => w,
                                    Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                                        // Need to do this to avoid double borrow on ctx with iovs_arr
                                        raise_sigpipe = true;
                                        break;
                                    }
                                    Err(e) => return Ok(Err(map_io_err(e))),
                                };

                                written += local_written;
                                if local_written != buf.len() {
                                    break;
                                }
                            }

                            drop(iovs_arr);

                            if raise_sigpipe {
                                env.process.signal_process(Signal::Sigpipe);
                                wasi_try_ok_ok!(WasiEnv::process_signals_and_exit(ctx)?);
                                return Ok(Err(Errno::Pipe));
                            }
                        }
                        FdWriteSource::Buffer(data) => {
                            match std::io::Write::write_all(tx, data) {
                                Ok(()) => (),
                                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                                    env.process.signal_process(Signal::Sigpipe);
                                    wasi_try_ok_ok!(WasiEnv::process_signals_and_exit(ctx)?);
                                    return Ok(Err(Errno::Pipe));
                                }
                                Err(e) => return Ok(Err(map_io_err(e))),
                            };
                            written += data.len();
                        }
                    }

                    (written, false, true)
                }
                Kind::DuplexPipe { pipe } => {
                    let mut written = 0usize;

                    match &data {
                        FdWriteSource::Iovs { iovs, iovs_len } => {
                            let mut raise_sigpipe = false;
                            let iovs_arr = wasi_try_ok_ok!(
                                iovs.slice(&memory, *iovs_len).map_err(mem_error_to_wasi)
                            );
                            let iovs_arr =
                                wasi_try_ok_ok!(iovs_arr.access().map_err(mem_error_to_wasi));
                            for iovs in iovs_arr.iter() {
                                let buf = wasi_try_ok_ok!(
                                    WasmPtr::<u8, M>::new(iovs.buf)
                                        .slice(&memory, iovs.buf_len)
                                        .map_err(mem_error_to_wasi)
                                );
                                let buf = wasi_try_ok_ok!(buf.access().map_err(mem_error_to_wasi));
                                let write_result = std::io::Write::write(pipe, buf.as_ref());
                                let local_written = match write_result {
                                    Ok(w) => w,
                                    Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                                        // Need to do this to avoid double borrow on ctx with iovs_arr
                                        raise_sigpipe = true;
                                        break;
                                    }
                                    Err(e) => return Ok(Err(map_io_err(e))),
                                };

                                written += local_written;
                                if local_written != buf.len() {
                                    break;
                                }
                            }

                            drop(iovs_arr);

                            if raise_sigpipe {
                                env.process.signal_process(Signal::Sigpipe);
                                wasi_try_ok_ok!(WasiEnv::process_signals_and_exit(ctx)?);
                                return Ok(Err(Errno::Pipe));
                            }
                        }
                        FdWriteSource::Buffer(data) => {
                            match std::io::Write::write_all(pipe, data) {
                                Ok(()) => (),
                                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                                    env.process.signal_process(Signal::Sigpipe);
                                    wasi_try_ok_ok!(WasiEnv::process_signals_and_exit(ctx)?);
                                    return Ok(Err(Errno::Pipe));
                                }
                                Err(e) => return Ok(Err(map_io_err(e))),
                            };
                            written += data.len();
                        }
                    }

                    (written, false, true)
                }
                Kind::Dir { .. } | Kind::Root { .. } => {
                    // TODO: verify
                    return Ok(Err(Errno::Isdir));
                }
                Kind::EventNotifications { inner } => {
                    let mut written = 0usize;

                    match &data {
                        FdWriteSource::Iovs { iovs, iovs_len } => {
                            let iovs_arr = wasi_try_ok_ok!(
                                iovs.slice(&memory, *iovs_len).map_err(mem_error_to_wasi)
                            );
                            let iovs_arr =
                                wasi_try_ok_ok!(iovs_arr.access().map_err(mem_error_to_wasi));
                            for iovs in iovs_arr.iter() {
                                let buf_len: usize = wasi_try_ok_ok!(
                                    iovs.buf_len.try_into().map_err(|_| Errno::Inval)
                                );
                                let will_be_written = buf_len;

                                let val_cnt = buf_len / std::mem::size_of::<u64>();
                                let val_cnt: M::Offset =
                                    wasi_try_ok_ok!(val_cnt.try_into().map_err(|_| Errno::Inval));

                                let vals = wasi_try_ok_ok!(
                                    WasmPtr::<u64, M>::new(iovs.buf)
                                        .slice(&memory, val_cnt as M::Offset)
                                        .map_err(mem_error_to_wasi)
                                );
                                let vals =
                                    wasi_try_ok_ok!(vals.access().map_err(mem_error_to_wasi));
                                for val in vals.iter() {
                                    inner.write(*val);
                                }

                                written += will_be_written;
                            }
                        }
                        FdWriteSource::Buffer(data) => {
                            let cnt = data.len() / std::mem::size_of::<u64>();
                            for n in 0..cnt {
                                let start = n * std::mem::size_of::<u64>();
                                let data = [
                                    data[start],
                                    data[start + 1],
                                    data[start + 2],
                                    data[start + 3],
                                    data[start + 4],
                                    data[start + 5],
                                    data[start + 6],
                                    data[start + 7],
                                ];
                                inner.write(u64::from_ne_bytes(data));
                            }
                        }
                    }

                    (written, false, true)
                }
                Kind::Symlink { .. } | Kind::Epoll { .. } => return Ok(Err(Errno::Inval)),
                Kind::Buffer { buffer } => {
                    let mut written = 0usize;

                    match &data {
                        FdWriteSource::Iovs { iovs, iovs_len } => {
                            let iovs_arr = wasi_try_ok_ok!(
                                iovs.slice(&memory, *iovs_len).map_err(mem_error_to_wasi)
                            );
                            let iovs_arr =
                                wasi_try_ok_ok!(iovs_arr.access().map_err(mem_error_to_wasi));
                            for iovs in iovs_arr.iter() {
                                let buf = wasi_try_ok_ok!(
                                    WasmPtr::<u8, M>::new(iovs.buf)
                                        .slice(&memory, iovs.buf_len)
                                        .map_err(mem_error_to_wasi)
                                );
                                let buf = wasi_try_ok_ok!(buf.access().map_err(mem_error_to_wasi));
                                let local_written = wasi_try_ok_ok!(
                                    std::io::Write::write(buffer, buf.as_ref()).map_err(map_io_err)
                                );
                                written += local_written;
                                if local_written != buf.len() {
                                    break;
                                }
                            }
                        }
                        FdWriteSource::Buffer(data) => {
                            wasi_try_ok_ok!(
                                std::io::Write::write_all(buffer, data).map_err(map_io_err)
                            );
                            written += data.len();
                        }
                    }

                    (written, false, true)
                }
            }
        };

        #[cfg(feature = "journal")]
        if should_snapshot
            && can_snapshot
            && bytes_written > 0
            && let FdWriteSource::Iovs { iovs, iovs_len } = data
        {
            JournalEffector::save_fd_write(ctx, fd, offset, bytes_written, iovs, iovs_len)
                .map_err(|err| {
                    tracing::error!("failed to save terminal data - {}", err);
                    WasiError::Exit(ExitCode::from(Errno::Fault))
                })?;
        }

        env = ctx.data();
        memory = unsafe { env.memory_view(&ctx) };

        // reborrow and update the size
        if !is_stdio {
            let curr_offset = if is_file && should_update_cursor {
                let bytes_written = bytes_written as u64;
                fd_entry
                    .inner
                    .offset
                    .fetch_add(bytes_written, Ordering::AcqRel)
                    // fetch_add returns the previous value, we have to add bytes_written again here
                    + bytes_written
            } else {
                fd_entry.inner.offset.load(Ordering::Acquire)
            };

            // we set the size but we don't return any errors if it fails as
            // pipes and sockets will not do anything with this
            let (mut memory, _, inodes) =
                unsafe { env.get_memory_and_wasi_state_and_inodes(&ctx, 0) };
            if is_file {
                let mut stat = fd_entry.inode.stat.write().unwrap();
                if should_update_cursor {
                    // If we wrote before the end, the current size is still correct.
                    // Otherwise, we only got as far as the current cursor. So, the
                    // max of the two is the correct new size.
                    stat.st_size = stat.st_size.max(curr_offset);
                } else {
                    // pwrite does not update the cursor of the file so to calculate the final
                    // size of the file we compute where the cursor would have been if it was updated,
                    // and get the max value between it and the current size.
                    stat.st_size = stat.st_size.max(offset + bytes_written as u64);
                }
            } else {
                // Cast is valid because we don't support 128 bit systems...
                fd_entry.inode.stat.write().unwrap().st_size += bytes_written as u64;
            }
        }
        bytes_written
    };

    Ok(Ok(bytes_written))
}

/// Writes `data` to the host's stdout or stderr on the calling thread, when the
/// file behind `fd_entry` is `virtual_fs::host_fs::Stdout` or `Stderr` and its
/// Tokio writer has nothing in flight; `None` (take the general path) otherwise.
///
/// The general path hands the write and then the flush to Tokio's blocking pool,
/// parking this thread for each: about 45 us for a 1-byte `fd_write`. Both
/// operations end in `std::io::Stdout` (or `Stderr`), whose `write_all` scans
/// the bytes for a newline and copies what it does not write at once into its
/// line buffer, which `flush` then writes. This does the same on the calling
/// thread, with the same handle lock held, minus the scan and the copy: holding
/// std's lock on the stream, it flushes what std's buffer holds already, then
/// writes the bytes with write(2) (see `write_all_with`). The order of writes
/// and "returned means flushed" do not change.
///
/// With `Fdflags::NONBLOCK`, a write to a pipe, socket or terminal never blocks:
/// the host descriptor itself stays blocking (it is shared with other
/// processes), and each buffer is written with `pwritev2(RWF_NOWAIT)`, so a full
/// pipe gives `Errno::Again` (or the bytes that fitted). Where the kernel cannot
/// do that for the descriptor (pipes need Linux 6.4), the general path runs. A
/// regular file is written as without the flag: a native write to one never
/// fails with `EAGAIN` either.
#[cfg(all(feature = "host-fs", unix))]
fn write_host_stdio<M: MemorySize>(
    fd_entry: &Fd,
    data: &FdWriteSource<'_, M>,
    memory: &MemoryView,
) -> Option<Result<usize, Errno>> {
    let handle = match fd_entry.inode.read().deref() {
        Kind::File {
            handle: Some(handle),
            ..
        } => handle.clone(),
        _ => return None,
    };
    write_host_stdio_file::<M>(fd_entry.inner.flags, &handle, data, memory)
}

/// [`write_host_stdio`] for the file behind the fd and the fd's flags.
#[cfg(all(feature = "host-fs", unix))]
fn write_host_stdio_file<M: MemorySize>(
    flags: Fdflags,
    handle: &crate::fs::VirtualFileLock,
    data: &FdWriteSource<'_, M>,
    memory: &MemoryView,
) -> Option<Result<usize, Errno>> {
    use std::task::{Context, Poll};
    use tokio::io::AsyncWrite;
    use virtual_fs::host_fs::{Stderr, Stdout};

    let mut file = handle.write().unwrap();
    let file: &mut (dyn VirtualFile + Send + Sync) = file.as_mut();
    let is_stdout = file.upcast_any_ref().is::<Stdout>();
    if !is_stdout && !file.upcast_any_ref().is::<Stderr>() {
        return None;
    }
    // Bytes that Tokio still holds must reach the host first. When it holds
    // none, this returns at once without touching the blocking pool.
    let mut cx = Context::from_waker(Waker::noop());
    if !matches!(
        std::pin::Pin::new(&mut *file).poll_flush(&mut cx),
        Poll::Ready(Ok(()))
    ) {
        return None;
    }
    let fd = if is_stdout {
        libc::STDOUT_FILENO
    } else {
        libc::STDERR_FILENO
    };
    if flags.contains(Fdflags::NONBLOCK) && can_make_a_write_wait(fd) {
        // Holding std's lock keeps the host's own writes from interleaving with
        // this one (bytes the host left in std's buffer without a newline would
        // still come after it).
        return if is_stdout {
            let _order = std::io::stdout().lock();
            write_nowait::<M>(fd, data, memory)
        } else {
            let _order = std::io::stderr().lock();
            write_nowait::<M>(fd, data, memory)
        };
    }
    let result = if is_stdout {
        write_after_std_buffer::<M>(&mut std::io::stdout().lock(), fd, data, memory)
    } else {
        write_after_std_buffer::<M>(&mut std::io::stderr().lock(), fd, data, memory)
    };
    Some(result)
}

/// Writes `data` to `fd` with `write_all_to`, holding `std_lock`, std's lock on
/// the same stream: that orders the write with the host's own, and what the host
/// left in std's buffer is flushed first.
#[cfg(all(feature = "host-fs", unix))]
fn write_after_std_buffer<M: MemorySize>(
    std_lock: &mut impl std::io::Write,
    fd: i32,
    data: &FdWriteSource<'_, M>,
    memory: &MemoryView,
) -> Result<usize, Errno> {
    std_lock.flush().map_err(map_io_err)?;
    for_each_buffer::<M>(data, memory, |buf| write_all_to(fd, buf))
}

/// The most one write(2) takes, as in std: `isize::MAX`, and less on macOS,
/// whose write(2) fails with `EINVAL` above `c_int::MAX`.
#[cfg(all(feature = "host-fs", unix))]
const MAX_WRITE: usize = if cfg!(target_vendor = "apple") {
    libc::c_int::MAX as usize - 1
} else {
    isize::MAX as usize
};

/// Writes `buf` to `fd` with as many write(2) calls as it takes, as std's
/// `Stdout` and `Stderr` do (see `write_all_with`). Returns the bytes written.
#[cfg(all(feature = "host-fs", unix))]
fn write_all_to(fd: i32, buf: &[u8]) -> std::io::Result<usize> {
    write_all_with(buf, |rest| {
        let len = rest.len().min(MAX_WRITE);
        // SAFETY: `rest` is a valid buffer of at least `len` bytes.
        let n = unsafe { libc::write(fd, rest.as_ptr().cast(), len) };
        if n < 0 {
            Err(std::io::Error::last_os_error())
        } else {
            Ok(n as usize)
        }
    })
}

/// Hands `buf` to `write` until all of it is taken: retries after `EINTR` and
/// short writes, and counts the bytes as taken when the descriptor is closed
/// (`EBADF`), as std's `Stdout` and `Stderr` do. An error after some of `buf`
/// was written returns that count (the guest sees a short write, as from
/// write(2)); an error before any is returned, and so is a write that takes
/// nothing (`WriteZero`).
#[cfg(all(feature = "host-fs", unix))]
fn write_all_with(
    buf: &[u8],
    mut write: impl FnMut(&[u8]) -> std::io::Result<usize>,
) -> std::io::Result<usize> {
    let mut rest = buf;
    while !rest.is_empty() {
        let err = match write(rest) {
            Ok(0) => std::io::ErrorKind::WriteZero.into(),
            Ok(n) => {
                rest = &rest[n..];
                continue;
            }
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(err) if err.raw_os_error() == Some(libc::EBADF) => break,
            Err(err) => err,
        };
        let written = buf.len() - rest.len();
        return if written > 0 { Ok(written) } else { Err(err) };
    }
    Ok(buf.len())
}

/// Whether a `write(2)` to `fd` can wait for a reader or a device: true for
/// pipes, sockets and character devices (terminals), false for regular files,
/// block devices and a descriptor `fstat` cannot read.
#[cfg(all(feature = "host-fs", unix))]
fn can_make_a_write_wait(fd: i32) -> bool {
    let mut stat = std::mem::MaybeUninit::<libc::stat>::uninit();
    // SAFETY: fstat(2) writes a `stat` to the pointer, which has room for one.
    if unsafe { libc::fstat(fd, stat.as_mut_ptr()) } != 0 {
        return false;
    }
    // SAFETY: fstat succeeded, so it initialised `stat`.
    let kind = unsafe { stat.assume_init() }.st_mode & libc::S_IFMT;
    matches!(kind, libc::S_IFIFO | libc::S_IFSOCK | libc::S_IFCHR)
}

/// Hands each buffer of `data` to `write`, which returns how many bytes it
/// took, and stops after a short write. As on the general path, an error after
/// some bytes were written ends the write early and reports what was written.
#[cfg(all(feature = "host-fs", unix))]
fn for_each_buffer<M: MemorySize>(
    data: &FdWriteSource<'_, M>,
    memory: &MemoryView,
    mut write: impl FnMut(&[u8]) -> std::io::Result<usize>,
) -> Result<usize, Errno> {
    let mut written = 0usize;
    let mut write_one = |buf: &[u8]| match write(buf) {
        Ok(n) => {
            written += n;
            Ok(n == buf.len())
        }
        Err(_) if written > 0 => Ok(false),
        Err(err) => Err(map_io_err(err)),
    };
    match data {
        FdWriteSource::Iovs { iovs, iovs_len } => {
            let iovs_arr = iovs.slice(memory, *iovs_len).map_err(mem_error_to_wasi)?;
            let iovs_arr = iovs_arr.access().map_err(mem_error_to_wasi)?;
            for iov in iovs_arr.iter() {
                let buf = WasmPtr::<u8, M>::new(iov.buf)
                    .slice(memory, iov.buf_len)
                    .map_err(mem_error_to_wasi)?
                    .access()
                    .map_err(mem_error_to_wasi)?;
                if !write_one(buf.as_ref())? {
                    break;
                }
            }
        }
        FdWriteSource::Buffer(data) => {
            write_one(data)?;
        }
    }
    Ok(written)
}

/// `for_each_buffer` into `fd` with `write_without_waiting`; `None` when the
/// kernel does not support that for `fd` (nothing was written then).
#[cfg(all(feature = "host-fs", unix))]
fn write_nowait<M: MemorySize>(
    fd: i32,
    data: &FdWriteSource<'_, M>,
    memory: &MemoryView,
) -> Option<Result<usize, Errno>> {
    let mut unsupported = false;
    let result = for_each_buffer::<M>(data, memory, |buf| {
        let result = write_without_waiting(fd, buf);
        unsupported = matches!(&result, Err(err) if err.kind() == std::io::ErrorKind::Unsupported);
        result
    });
    if unsupported && matches!(result, Err(_) | Ok(0)) {
        return None;
    }
    Some(result)
}

/// One `write(2)` to `fd` that never waits, whether or not `fd` is in
/// non-blocking mode: `pwritev2` with `RWF_NOWAIT` (Linux; pipes since 6.4). A
/// full pipe is `WouldBlock`; a descriptor or kernel without support is
/// `Unsupported`.
#[cfg(all(feature = "host-fs", unix))]
fn write_without_waiting(fd: i32, buf: &[u8]) -> std::io::Result<usize> {
    #[cfg(target_os = "linux")]
    loop {
        let iov = libc::iovec {
            iov_base: buf.as_ptr() as *mut libc::c_void,
            iov_len: buf.len(),
        };
        // SAFETY: `iov` describes `buf`, which outlives the call; offset -1 is
        // the descriptor's current position, as for write(2).
        let n = unsafe { libc::pwritev2(fd, &iov, 1, -1, libc::RWF_NOWAIT) };
        if n >= 0 {
            return Ok(n as usize);
        }
        let err = std::io::Error::last_os_error();
        match err.raw_os_error() {
            Some(libc::EINTR) => continue,
            Some(libc::EOPNOTSUPP | libc::ENOSYS) => {
                return Err(std::io::ErrorKind::Unsupported.into());
            }
            _ => return Err(err),
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (fd, buf);
        Err(std::io::ErrorKind::Unsupported.into())
    }
}

#[cfg(all(test, feature = "host-fs", target_os = "linux"))]
mod tests {
    use super::{can_make_a_write_wait, write_all_to, write_all_with, write_without_waiting};
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    use std::time::{Duration, Instant};

    fn pipe() -> (OwnedFd, OwnedFd) {
        let mut fds = [0; 2];
        // SAFETY: `fds` has room for the two descriptors pipe(2) writes.
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        // SAFETY: pipe(2) just opened both; each is owned once.
        unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
    }

    /// A blocking pipe that is full gives `WouldBlock` at once, not a wait.
    #[test]
    fn a_full_blocking_pipe_is_would_block_not_a_wait() {
        let (read, write) = pipe();
        let chunk = [7u8; 4096];
        let mut total = 0;
        let full = loop {
            match write_without_waiting(write.as_raw_fd(), &chunk) {
                Ok(n) => total += n,
                Err(err) => break err,
            }
            assert!(total < 64 << 20, "the pipe never filled up");
        };
        if total == 0 && full.kind() == std::io::ErrorKind::Unsupported {
            // Before Linux 6.4 pipes have no RWF_NOWAIT; fd_write then takes
            // the general path, which this test does not cover.
            eprintln!("skipped: this kernel has no RWF_NOWAIT for pipes");
            return;
        }
        assert_eq!(full.kind(), std::io::ErrorKind::WouldBlock, "{full}");
        assert!(
            total >= 4096,
            "wrote {total} bytes before the pipe was full"
        );
        let started = Instant::now();
        let again = write_without_waiting(write.as_raw_fd(), b"x").unwrap_err();
        assert_eq!(again.kind(), std::io::ErrorKind::WouldBlock);
        assert!(started.elapsed() < Duration::from_millis(100));
        // Once the reader makes room, the write goes through.
        let mut buf = [0u8; 8192];
        // SAFETY: `buf` is writable for its length.
        let n = unsafe { libc::read(read.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
        assert!(n > 0);
        assert_eq!(write_without_waiting(write.as_raw_fd(), b"x").unwrap(), 1);
    }

    /// Every byte arrives, in order, including buffers larger than the pipe.
    #[test]
    fn write_all_to_writes_every_byte_in_order() {
        use std::io::Read;
        let (read, write) = pipe();
        let reader = std::thread::spawn(move || {
            let mut all = Vec::new();
            std::fs::File::from(read).read_to_end(&mut all).unwrap();
            all
        });
        let buffers: Vec<Vec<u8>> = (0..3u8)
            .map(|k| (0..200_000u32).map(|i| (i as u8) ^ k).collect())
            .collect();
        for buf in &buffers {
            assert_eq!(write_all_to(write.as_raw_fd(), buf).unwrap(), buf.len());
        }
        drop(write);
        assert!(reader.join().unwrap() == buffers.concat());
    }

    /// As std's `Stdout` does, a closed descriptor takes the bytes; any other
    /// error is returned.
    #[test]
    fn write_all_to_ignores_only_a_closed_descriptor() {
        assert_eq!(write_all_to(-1, b"abc").unwrap(), 3);
        let (read, write) = pipe();
        drop(read);
        // Rust programs, this test and `wasmer` alike, ignore SIGPIPE: EPIPE.
        let err = write_all_to(write.as_raw_fd(), b"x").unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EPIPE));
    }

    /// The bytes a scripted `write` took.
    type Taken = std::rc::Rc<std::cell::RefCell<Vec<u8>>>;

    /// A scripted `write`: each call takes the next result, and records what it
    /// was offered when it took bytes.
    fn scripted(
        mut results: Vec<std::io::Result<usize>>,
    ) -> (impl FnMut(&[u8]) -> std::io::Result<usize>, Taken) {
        results.reverse();
        let taken = Taken::default();
        let sink = taken.clone();
        let write = move |rest: &[u8]| {
            let result = results.pop().expect("more writes than scripted");
            if let Ok(n) = result {
                sink.borrow_mut().extend_from_slice(&rest[..n]);
            }
            result
        };
        (write, taken)
    }

    fn os_error(code: i32) -> std::io::Result<usize> {
        Err(std::io::Error::from_raw_os_error(code))
    }

    #[test]
    fn write_all_with_retries_short_writes_and_eintr() {
        let (write, taken) = scripted(vec![Ok(2), os_error(libc::EINTR), Ok(1), Ok(3)]);
        assert_eq!(write_all_with(b"abcdef", write).unwrap(), 6);
        assert_eq!(taken.borrow().as_slice(), b"abcdef");
    }

    #[test]
    fn write_all_with_reports_progress_before_an_error_and_the_error_before_any() {
        let (write, _) = scripted(vec![Ok(2), os_error(libc::EAGAIN)]);
        assert_eq!(write_all_with(b"abcdef", write).unwrap(), 2);
        let (write, _) = scripted(vec![os_error(libc::EAGAIN)]);
        let err = write_all_with(b"abcdef", write).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EAGAIN));
        let (write, _) = scripted(vec![Ok(0)]);
        let err = write_all_with(b"abcdef", write).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::WriteZero);
    }

    #[test]
    fn write_all_with_counts_the_bytes_of_a_closed_descriptor_as_written() {
        let (write, _) = scripted(vec![Ok(2), os_error(libc::EBADF)]);
        assert_eq!(write_all_with(b"abcdef", write).unwrap(), 6);
    }

    #[test]
    fn only_pipes_sockets_and_terminals_can_make_a_write_wait() {
        let (_read, write) = pipe();
        assert!(can_make_a_write_wait(write.as_raw_fd()));
        let file = tempfile::tempfile().unwrap();
        assert!(!can_make_a_write_wait(file.as_raw_fd()));
        assert!(!can_make_a_write_wait(-1));
    }
}
