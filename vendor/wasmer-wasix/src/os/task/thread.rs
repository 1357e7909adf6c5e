use super::{
    control_plane::TaskCountGuard,
    task_join_handle::{OwnedTaskStatus, TaskJoinHandle},
};
use crate::{
    WasiRuntimeError,
    os::task::process::{WasiProcessId, WasiProcessInner},
    os::wait_telemetry::ThreadWaits,
    state::LinkError,
    syscalls::HandleRewindType,
};
use bytes::{Bytes, BytesMut};
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicBool, Ordering};
use std::{
    collections::HashMap,
    ops::{Deref, DerefMut},
    sync::{Arc, Condvar, Mutex, OnceLock, Weak},
    task::Waker,
};
use wasmer::{ExportError, InstantiationError, MemoryError};
use wasmer_wasix_types::{
    types::Signal,
    wasi::{Errno, ExitCode},
    wasix::ThreadStartType,
};

/// Represents the ID of a WASI thread
#[derive(Default, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct WasiThreadId(u32);

impl WasiThreadId {
    pub fn raw(&self) -> u32 {
        self.0
    }

    pub fn inc(&mut self) -> WasiThreadId {
        let ret = *self;
        self.0 += 1;
        ret
    }
}

impl From<i32> for WasiThreadId {
    fn from(id: i32) -> Self {
        Self(id as u32)
    }
}

impl From<WasiThreadId> for i32 {
    fn from(val: WasiThreadId) -> Self {
        val.0 as i32
    }
}

impl From<u32> for WasiThreadId {
    fn from(id: u32) -> Self {
        Self(id)
    }
}

impl From<WasiThreadId> for u32 {
    fn from(t: WasiThreadId) -> u32 {
        t.0
    }
}

impl std::fmt::Display for WasiThreadId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl std::fmt::Debug for WasiThreadId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Represents a linked list of stack snapshots
#[derive(Debug, Clone)]
struct ThreadSnapshot {
    call_stack: Bytes,
    store_data: Bytes,
}

/// Represents a linked list of stack snapshots
#[derive(Debug, Clone, Default)]
pub struct ThreadStack {
    memory_stack: Vec<u8>,
    memory_stack_corrected: Vec<u8>,
    snapshots: HashMap<u128, ThreadSnapshot>,
    next: Option<Box<ThreadStack>>,
}

/// A thread's signal queue and wakers, locked, without write access.
pub(crate) struct SignalsReadGuard<'a>(std::sync::MutexGuard<'a, (Vec<Signal>, Vec<Waker>)>);

impl std::ops::Deref for SignalsReadGuard<'_> {
    type Target = (Vec<Signal>, Vec<Waker>);

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

/// Represents a running thread which allows a joiner to
/// wait for the thread to exit
#[derive(Clone, Debug)]
pub struct WasiThread {
    state: Arc<WasiThreadState>,
    layout: WasiMemoryLayout,
    start: ThreadStartType,

    // This is used for stack rewinds
    rewind: Option<RewindResult>,
}

impl WasiThread {
    pub fn id(&self) -> WasiThreadId {
        self.state.id
    }

    /// Sets that a rewind will take place
    pub(crate) fn set_rewind(&mut self, rewind: RewindResult) {
        self.rewind.replace(rewind);
    }

    /// Pops any rewinds that need to take place
    pub(crate) fn take_rewind(&mut self) -> Option<RewindResult> {
        self.rewind.take()
    }

    /// Gets the thread start type for this thread
    pub fn thread_start_type(&self) -> ThreadStartType {
        self.start
    }

    /// Returns true if a rewind of a particular type has been queued
    /// for processed by a rewind operation
    pub(crate) fn has_rewind_of_type(&self, type_: HandleRewindType) -> bool {
        match type_ {
            HandleRewindType::ResultDriven => match &self.rewind {
                Some(rewind) => match rewind.rewind_result {
                    RewindResultType::RewindRestart => true,
                    RewindResultType::RewindWithoutResult => false,
                    RewindResultType::RewindWithResult(_) => true,
                },
                None => false,
            },
            HandleRewindType::ResultLess => match &self.rewind {
                Some(rewind) => match rewind.rewind_result {
                    RewindResultType::RewindRestart => true,
                    RewindResultType::RewindWithoutResult => true,
                    RewindResultType::RewindWithResult(_) => false,
                },
                None => false,
            },
        }
    }

    /// Sets a flag that tells others if this thread is currently
    /// deep sleeping
    pub(crate) fn set_deep_sleeping(&self, val: bool) {
        self.state.deep_sleeping.store(val, Ordering::SeqCst);
    }

    /// Reads a flag that determines if this thread is currently
    /// deep sleeping
    pub(crate) fn is_deep_sleeping(&self) -> bool {
        self.state.deep_sleeping.load(Ordering::SeqCst)
    }

    /// Sets a flag that tells others that this thread is currently
    /// check pointing itself
    #[cfg(feature = "journal")]
    pub(crate) fn set_checkpointing(&self, val: bool) {
        self.state.check_pointing.store(val, Ordering::SeqCst);
    }

    /// Reads a flag that determines if this thread is currently
    /// check pointing itself or not
    #[cfg(feature = "journal")]
    pub(crate) fn is_check_pointing(&self) -> bool {
        self.state.check_pointing.load(Ordering::SeqCst)
    }

    /// Gets the memory layout for this thread
    #[allow(dead_code)]
    pub(crate) fn memory_layout(&self) -> &WasiMemoryLayout {
        &self.layout
    }

    /// Gets the memory layout for this thread
    pub(crate) fn set_memory_layout(&mut self, layout: WasiMemoryLayout) {
        self.layout = layout;
    }
}

/// A guard that ensures a thread is marked as terminated when dropped.
///
/// Normally the thread result should be manually registered with
/// [`WasiThread::set_status_running`] or [`WasiThread::set_status_finished`],
/// but this guard can ensure that the thread is marked as terminated even if
/// this is forgotten or a panic occurs.
pub struct WasiThreadRunGuard {
    pub thread: WasiThread,
}

impl WasiThreadRunGuard {
    pub fn new(thread: WasiThread) -> Self {
        Self { thread }
    }
}

impl Drop for WasiThreadRunGuard {
    fn drop(&mut self) {
        self.thread
            .set_status_finished(Err(
                crate::RuntimeError::new("Thread manager disconnected").into()
            ));
    }
}

/// Represents the memory layout of the parts that the thread itself uses
pub use wasmer_wasix_types::wasix::WasiMemoryLayout;

#[derive(Clone, Debug)]
pub enum RewindResultType {
    // The rewind must restart the operation it had already started
    RewindRestart,
    // The rewind has been triggered and should be handled but has not result
    RewindWithoutResult,
    // The rewind has been triggered and should be handled with the supplied result
    RewindWithResult(Bytes),
}

// Contains the result of a rewind operation
#[derive(Clone, Debug)]
pub(crate) struct RewindResult {
    /// Memory stack used to restore the memory stack (thing that holds local variables) back to where it was
    pub memory_stack: Option<Bytes>,
    /// Generic serialized object passed back to the rewind resumption code
    /// (uses the bincode serializer)
    pub rewind_result: RewindResultType,
}

#[derive(Debug)]
struct WasiThreadState {
    is_main: bool,
    pid: WasiProcessId,
    id: WasiThreadId,
    signals: Mutex<(Vec<Signal>, Vec<Waker>)>,
    // Whether `signals.0` is non-empty; only written with `signals` locked, so the
    // per-syscall check for pending signals can skip the lock when there are none.
    signals_pending: AtomicBool,
    // Set for good once `WasiThread::signals` handed out the raw queue, whose
    // users do not keep `signals_pending` in step; from then on every check
    // reports signals as possibly pending and takes the locked path.
    signals_unguarded: AtomicBool,
    stack: Mutex<ThreadStack>,
    status: Arc<OwnedTaskStatus>,
    #[cfg(feature = "journal")]
    check_pointing: AtomicBool,
    deep_sleeping: AtomicBool,
    // The thread's wait telemetry, when the runtime records one.
    waits: OnceLock<Arc<ThreadWaits>>,

    // Registers the task termination with the ControlPlane on drop.
    // Never accessed, since it's a drop guard.
    _task_count_guard: TaskCountGuard,
}

/// One wait's registration for signal wake-ups on a thread.
///
/// [`WasiThread::signal`] wakes and drains every registered waker, and that is the
/// only place the list is drained. A blocking syscall registers the waker of the
/// executor it blocks on, which is a fresh waker for every call, so a thread that
/// keeps blocking without ever receiving a signal used to accumulate one waker (and
/// its parker) per blocking call: memory grew without bound and every registration
/// scanned the whole list under the signals mutex. A subscription remembers the
/// waker it registered and removes it when the wait ends (on drop).
#[derive(Debug)]
pub struct SignalSubscription {
    state: Arc<WasiThreadState>,
    waker: Option<Waker>,
}

impl SignalSubscription {
    /// Returns true if signals are pending; otherwise registers `waker` to be woken
    /// by the next one.
    pub fn has_signals_or_subscribe(&mut self, waker: &Waker) -> bool {
        let mut guard = self.state.signals.lock().unwrap();
        if !guard.0.is_empty() {
            return true;
        }
        register(&mut self.waker, &mut guard.1, waker);
        false
    }

    /// Takes the pending signals; if there are none, registers `waker` to be woken
    /// by the next one.
    pub fn pop_signals_or_subscribe(&mut self, waker: &Waker) -> Option<Vec<Signal>> {
        let mut guard = self.state.signals.lock().unwrap();
        if guard.0.is_empty() {
            register(&mut self.waker, &mut guard.1, waker);
            return None;
        }
        self.state.signals_pending.store(false, Ordering::Release);
        Some(std::mem::take(&mut guard.0))
    }

    /// Registers `waker` to be woken by the next signal.
    pub fn subscribe(&mut self, waker: &Waker) {
        let mut guard = self.state.signals.lock().unwrap();
        register(&mut self.waker, &mut guard.1, waker);
    }
}

/// Adds `waker` to the thread's `wakers` (once) and remembers it in `ours`, dropping
/// the waker `ours` held before if the wait moved to another executor.
fn register(ours: &mut Option<Waker>, wakers: &mut Vec<Waker>, waker: &Waker) {
    match ours {
        Some(old) if old.will_wake(waker) => {}
        Some(old) => {
            wakers.retain(|w| !w.will_wake(old));
            *old = waker.clone();
        }
        None => *ours = Some(waker.clone()),
    }
    if !wakers.iter().any(|w| w.will_wake(waker)) {
        wakers.push(waker.clone());
    }
}

impl Drop for SignalSubscription {
    fn drop(&mut self) {
        if let Some(ours) = self.waker.take()
            && let Ok(mut guard) = self.state.signals.lock()
        {
            guard.1.retain(|w| !w.will_wake(&ours));
        }
    }
}

static NO_MORE_BYTES: [u8; 0] = [0u8; 0];

impl WasiThread {
    pub fn new(
        pid: WasiProcessId,
        id: WasiThreadId,
        is_main: bool,
        status: Arc<OwnedTaskStatus>,
        guard: TaskCountGuard,
        layout: WasiMemoryLayout,
        start: ThreadStartType,
    ) -> Self {
        Self {
            state: Arc::new(WasiThreadState {
                is_main,
                pid,
                id,
                status,
                signals: Mutex::new((Vec::new(), Vec::new())),
                signals_pending: AtomicBool::new(false),
                signals_unguarded: AtomicBool::new(false),
                stack: Mutex::new(ThreadStack::default()),
                #[cfg(feature = "journal")]
                check_pointing: AtomicBool::new(false),
                deep_sleeping: AtomicBool::new(false),
                waits: OnceLock::new(),
                _task_count_guard: guard,
            }),
            layout,
            start,
            rewind: None,
        }
    }

    /// Returns the process ID
    pub fn pid(&self) -> WasiProcessId {
        self.state.pid
    }

    /// The thread's wait telemetry, if the runtime records one.
    pub(crate) fn waits(&self) -> Option<&ThreadWaits> {
        self.state.waits.get().map(|waits| &**waits)
    }

    /// Records the thread's timed waits in `waits` (set once, when it is created).
    pub(crate) fn record_waits_in(&self, waits: Arc<ThreadWaits>) {
        let _ = self.state.waits.set(waits);
    }

    /// Returns the thread ID
    pub fn tid(&self) -> WasiThreadId {
        self.state.id
    }

    /// Returns true if this thread is the main thread
    pub fn is_main(&self) -> bool {
        self.state.is_main
    }

    /// Get a join handle to watch the task status.
    pub fn join_handle(&self) -> TaskJoinHandle {
        self.state.status.handle()
    }

    // TODO: this should be private, access should go through utility methods.
    /// The raw signal queue and its wakers.
    ///
    /// Code that changes the queue through this lock does not maintain the flag
    /// behind [`WasiThread::has_pending_signals`], so calling this switches that
    /// shortcut off for this thread: signals queued here are still seen by the
    /// next syscall. Inside the crate, read the queue with `read_signals`.
    pub fn signals(&self) -> &Mutex<(Vec<Signal>, Vec<Waker>)> {
        self.state.signals_unguarded.store(true, Ordering::Release);
        &self.state.signals
    }

    /// The signal queue and its wakers, locked and read-only: whoever holds
    /// this cannot get the queue and the pending flag out of step.
    pub(crate) fn read_signals(&self) -> SignalsReadGuard<'_> {
        SignalsReadGuard(self.state.signals.lock().unwrap())
    }

    pub fn set_status_running(&self) {
        self.state.status.set_running();
    }

    /// Gets or sets the exit code based of a signal that was received
    /// Note: if the exit code was already set earlier this method will
    /// just return that earlier set exit code
    pub fn set_or_get_exit_code_for_signal(&self, sig: Signal) -> ExitCode {
        let default_exitcode: ExitCode = match sig {
            Signal::Sigquit => Errno::Success.into(),
            // Match the POSIX shell convention for signal termination.
            Signal::Sigabrt => ExitCode::from(128 + sig as i32),
            Signal::Sigpipe => Errno::Pipe.into(),
            _ => Errno::Intr.into(),
        };
        // This will only set the status code if its not already set
        self.set_status_finished(Ok(default_exitcode));
        self.try_join()
            .map(|r| r.unwrap_or(default_exitcode))
            .unwrap_or(default_exitcode)
    }

    /// Marks the thread as finished (which will cause anyone that
    /// joined on it to wake up)
    pub fn set_status_finished(&self, res: Result<ExitCode, WasiRuntimeError>) {
        self.state.status.set_finished(res.map_err(Arc::new));
    }

    /// Waits until the thread is finished or the timeout is reached
    pub async fn join(&self) -> Result<ExitCode, Arc<WasiRuntimeError>> {
        self.state.status.await_termination().await
    }

    /// Attempts to join on the thread
    pub fn try_join(&self) -> Option<Result<ExitCode, Arc<WasiRuntimeError>>> {
        self.state.status.try_finished()
    }

    /// Returns `true` once the thread has finished (one atomic load).
    pub fn is_finished(&self) -> bool {
        self.state.status.is_finished()
    }

    /// Adds a signal for this thread to process
    pub fn signal(&self, signal: Signal) {
        let tid = self.tid();
        tracing::trace!(%tid, "signal-thread({:?})", signal);

        let mut guard = self.state.signals.lock().unwrap();
        if !guard.0.contains(&signal) {
            guard.0.push(signal);
        }
        self.state.signals_pending.store(true, Ordering::Release);
        guard.1.drain(..).for_each(|w| w.wake());
    }

    /// Returns `true` if signals are waiting to be processed.
    ///
    /// One atomic load, without the signals lock: a signal queued by another
    /// thread is seen by the first check that runs after [`WasiThread::signal`]
    /// returns.
    pub fn has_pending_signals(&self) -> bool {
        self.state.signals_pending.load(Ordering::Acquire)
            || self.state.signals_unguarded.load(Ordering::Acquire)
    }

    /// Returns all the signals that are waiting to be processed
    pub fn has_signal(&self, signals: &[Signal]) -> bool {
        let guard = self.state.signals.lock().unwrap();
        for s in guard.0.iter() {
            if signals.contains(s) {
                return true;
            }
        }
        false
    }

    /// Waits for a signal to arrive
    pub async fn wait_for_signal(&self) {
        // This poller will process any signals when the main working function is idle
        struct SignalPoller {
            subscription: SignalSubscription,
        }
        impl std::future::Future for SignalPoller {
            type Output = ();
            fn poll(
                mut self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<Self::Output> {
                if self.subscription.has_signals_or_subscribe(cx.waker()) {
                    return std::task::Poll::Ready(());
                }
                std::task::Poll::Pending
            }
        }
        SignalPoller {
            subscription: self.signal_subscription(),
        }
        .await
    }

    /// Starts a signal subscription for one wait on this thread.
    ///
    /// Use it instead of the `*_subscribe` methods below whenever the wait ends before
    /// a signal is guaranteed to arrive: the subscription unregisters its waker when it
    /// is dropped.
    pub fn signal_subscription(&self) -> SignalSubscription {
        SignalSubscription {
            state: self.state.clone(),
            waker: None,
        }
    }

    /// Removes `waker` from the wakers that [`WasiThread::signal`] will wake.
    pub fn signals_unsubscribe(&self, waker: &Waker) {
        let mut guard = self.state.signals.lock().unwrap();
        guard.1.retain(|w| !w.will_wake(waker));
    }

    /// Returns all the signals that are waiting to be processed
    ///
    /// The waker stays registered until the next signal: a wait that can end
    /// without one should use [`WasiThread::signal_subscription`] instead (or call
    /// [`WasiThread::signals_unsubscribe`]).
    pub fn pop_signals_or_subscribe(&self, waker: &Waker) -> Option<Vec<Signal>> {
        let mut guard = self.state.signals.lock().unwrap();
        let mut ret = Vec::new();
        std::mem::swap(&mut ret, &mut guard.0);
        self.state.signals_pending.store(false, Ordering::Release);
        match ret.is_empty() {
            true => {
                if !guard.1.iter().any(|w| w.will_wake(waker)) {
                    guard.1.push(waker.clone());
                }
                None
            }
            false => Some(ret),
        }
    }

    ///
    /// The waker stays registered until the next signal: a wait that can end
    /// without one should use [`WasiThread::signal_subscription`] instead (or call
    /// [`WasiThread::signals_unsubscribe`]).
    pub fn signals_subscribe(&self, waker: &Waker) {
        let mut guard = self.state.signals.lock().unwrap();
        if !guard.1.iter().any(|w| w.will_wake(waker)) {
            guard.1.push(waker.clone());
        }
    }

    /// Returns all the signals that are waiting to be processed
    ///
    /// The waker stays registered until the next signal: a wait that can end
    /// without one should use [`WasiThread::signal_subscription`] instead (or call
    /// [`WasiThread::signals_unsubscribe`]).
    pub fn has_signals_or_subscribe(&self, waker: &Waker) -> bool {
        let mut guard = self.state.signals.lock().unwrap();
        let has_signals = !guard.0.is_empty();
        if !has_signals && !guard.1.iter().any(|w| w.will_wake(waker)) {
            guard.1.push(waker.clone());
        }
        has_signals
    }

    /// Returns all the signals that are waiting to be processed
    pub fn pop_signals(&self) -> Vec<Signal> {
        let mut guard = self.state.signals.lock().unwrap();
        let mut ret = Vec::new();
        std::mem::swap(&mut ret, &mut guard.0);
        self.state.signals_pending.store(false, Ordering::Release);
        ret
    }

    /// Adds a stack snapshot and removes dead ones
    pub fn add_snapshot(
        &self,
        mut memory_stack: &[u8],
        mut memory_stack_corrected: &[u8],
        hash: u128,
        rewind_stack: &[u8],
        store_data: &[u8],
    ) {
        // Lock the stack
        let mut stack = self.state.stack.lock().unwrap();
        let mut pstack = stack.deref_mut();
        loop {
            // First we validate if the stack is no longer valid
            let memory_stack_before = pstack.memory_stack.len();
            let memory_stack_after = memory_stack.len();
            if memory_stack_before > memory_stack_after
                || (!pstack
                    .memory_stack
                    .iter()
                    .zip(memory_stack.iter())
                    .any(|(a, b)| *a == *b)
                    && !pstack
                        .memory_stack_corrected
                        .iter()
                        .zip(memory_stack.iter())
                        .any(|(a, b)| *a == *b))
            {
                // The stacks have changed so need to start again at this segment
                let mut new_stack = ThreadStack {
                    memory_stack: memory_stack.to_vec(),
                    memory_stack_corrected: memory_stack_corrected.to_vec(),
                    ..Default::default()
                };
                std::mem::swap(pstack, &mut new_stack);
                memory_stack = &NO_MORE_BYTES[..];
                memory_stack_corrected = &NO_MORE_BYTES[..];

                // Output debug info for the dead stack
                let mut disown = Some(Box::new(new_stack));
                if let Some(disown) = disown.as_ref()
                    && !disown.snapshots.is_empty()
                {
                    tracing::trace!(
                        "wasi[{}]::stacks forgotten (memory_stack_before={}, memory_stack_after={})",
                        self.pid(),
                        memory_stack_before,
                        memory_stack_after
                    );
                }
                let mut total_forgotten = 0usize;
                while let Some(disowned) = disown {
                    for _hash in disowned.snapshots.keys() {
                        total_forgotten += 1;
                    }
                    disown = disowned.next;
                }
                if total_forgotten > 0 {
                    tracing::trace!(
                        "wasi[{}]::stack has been forgotten (cnt={})",
                        self.pid(),
                        total_forgotten
                    );
                }
            } else {
                memory_stack = &memory_stack[pstack.memory_stack.len()..];
                memory_stack_corrected =
                    &memory_stack_corrected[pstack.memory_stack_corrected.len()..];
            }

            // If there is no more memory stack then we are done and can add the call stack
            if memory_stack.is_empty() {
                break;
            }

            // Otherwise we need to add a next stack pointer and continue the iterations
            if pstack.next.is_none() {
                let new_stack = ThreadStack {
                    memory_stack: memory_stack.to_vec(),
                    memory_stack_corrected: memory_stack_corrected.to_vec(),
                    ..Default::default()
                };
                pstack.next.replace(Box::new(new_stack));
            }
            pstack = pstack.next.as_mut().unwrap();
        }

        // Add the call stack
        pstack.snapshots.insert(
            hash,
            ThreadSnapshot {
                call_stack: BytesMut::from(rewind_stack).freeze(),
                store_data: BytesMut::from(store_data).freeze(),
            },
        );
    }

    /// Gets a snapshot that was previously addedf
    pub fn get_snapshot(&self, hash: u128) -> Option<(BytesMut, Bytes, Bytes)> {
        let mut memory_stack = BytesMut::new();

        let stack = self.state.stack.lock().unwrap();
        let mut pstack = stack.deref();
        loop {
            memory_stack.extend(pstack.memory_stack_corrected.iter());
            if let Some(snapshot) = pstack.snapshots.get(&hash) {
                return Some((
                    memory_stack,
                    snapshot.call_stack.clone(),
                    snapshot.store_data.clone(),
                ));
            }
            let next = pstack.next.as_ref()?;
            pstack = next.deref();
        }
    }

    // Copy the stacks from another thread
    pub fn copy_stack_from(&self, other: &WasiThread) {
        let mut stack = {
            let stack_guard = other.state.stack.lock().unwrap();
            stack_guard.clone()
        };

        let mut stack_guard = self.state.stack.lock().unwrap();
        std::mem::swap(stack_guard.deref_mut(), &mut stack);
    }
}

#[derive(Debug)]
pub struct WasiThreadHandleProtected {
    thread: WasiThread,
    inner: Weak<(Mutex<WasiProcessInner>, Condvar)>,
}

#[derive(Debug, Clone)]
pub struct WasiThreadHandle {
    protected: Arc<WasiThreadHandleProtected>,
}

impl WasiThreadHandle {
    pub(crate) fn new(
        thread: WasiThread,
        inner: &Arc<(Mutex<WasiProcessInner>, Condvar)>,
    ) -> WasiThreadHandle {
        Self {
            protected: Arc::new(WasiThreadHandleProtected {
                thread,
                inner: Arc::downgrade(inner),
            }),
        }
    }

    pub fn id(&self) -> WasiThreadId {
        self.protected.thread.tid()
    }

    pub fn as_thread(&self) -> WasiThread {
        self.protected.thread.clone()
    }
}

impl Drop for WasiThreadHandleProtected {
    fn drop(&mut self) {
        let id = self.thread.tid();
        if let Some(inner) = Weak::upgrade(&self.inner) {
            let mut inner = inner.0.lock().unwrap();
            if let Some(ctrl) = inner.threads.remove(&id) {
                ctrl.set_status_finished(Ok(Errno::Success.into()));
            }
            inner.thread_count -= 1;
        }
    }
}

impl std::ops::Deref for WasiThreadHandle {
    type Target = WasiThread;

    fn deref(&self) -> &Self::Target {
        &self.protected.thread
    }
}

#[derive(thiserror::Error, Debug, Clone)]
pub enum WasiThreadError {
    #[error("Multithreading is not supported")]
    Unsupported,
    #[error("The method named is not an exported function")]
    MethodNotFound,
    #[error("Failed to create the requested memory - {0}")]
    MemoryCreateFailed(MemoryError),
    #[error("{0}")]
    ExportError(ExportError),
    #[error("Failed to create additional imports - {0}")]
    AdditionalImportCreationFailed(Arc<anyhow::Error>),
    #[error("Failed to prepare imports - {0}")]
    ImportPreparationFailed(Arc<anyhow::Error>),
    #[error("Failed to configure the new instance - {0}")]
    InstanceConfigurationFailed(Arc<anyhow::Error>),
    #[error("Linker error: {0}")]
    LinkError(Arc<LinkError>),
    #[error("Failed to create the instance - {0}")]
    // Note: Boxed so we can keep the error size down
    InstanceCreateFailed(Box<InstantiationError>),
    #[error("Initialization function failed - {0}")]
    InitFailed(Arc<anyhow::Error>),
    /// This will happen if WASM is running in a thread has not been created by the spawn_wasm call
    #[error("WASM context is invalid")]
    InvalidWasmContext,
}

impl From<WasiThreadError> for Errno {
    fn from(a: WasiThreadError) -> Errno {
        match a {
            WasiThreadError::Unsupported => Errno::Notsup,
            WasiThreadError::MethodNotFound => Errno::Inval,
            WasiThreadError::MemoryCreateFailed(_) => Errno::Nomem,
            WasiThreadError::ExportError(_) => Errno::Noexec,
            WasiThreadError::AdditionalImportCreationFailed(_) => Errno::Noexec,
            WasiThreadError::ImportPreparationFailed(_) => Errno::Noexec,
            WasiThreadError::InstanceConfigurationFailed(_) => Errno::Noexec,
            WasiThreadError::LinkError(_) => Errno::Noexec,
            WasiThreadError::InstanceCreateFailed(_) => Errno::Noexec,
            WasiThreadError::InitFailed(_) => Errno::Noexec,
            WasiThreadError::InvalidWasmContext => Errno::Noexec,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::os::task::control_plane::{ControlPlaneConfig, WasiControlPlane};
    use std::sync::atomic::AtomicUsize;
    use std::task::Wake;
    use wasmer_types::ModuleHash;

    #[derive(Default)]
    struct CountingWaker(AtomicUsize);

    impl Wake for CountingWaker {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn new_thread() -> (WasiControlPlane, WasiThreadHandle) {
        let plane = WasiControlPlane::new(ControlPlaneConfig {
            max_task_count: None,
            enable_asynchronous_threading: false,
            enable_exponential_cpu_backoff: None,
            wait_telemetry: None,
        });
        let process = plane.new_process(ModuleHash::random()).unwrap();
        let thread = process
            .new_thread(WasiMemoryLayout::default(), ThreadStartType::MainThread)
            .unwrap();
        (plane, thread)
    }

    fn registered_wakers(thread: &WasiThread) -> usize {
        thread.read_signals().1.len()
    }

    #[test]
    fn a_signal_queued_between_two_syscalls_is_seen_by_the_next() {
        let (_plane, thread) = new_thread();
        assert!(!thread.has_pending_signals());
        // Another thread queues a signal while this one runs guest code; the
        // check each syscall makes must see it without taking the lock.
        let sender = thread.clone();
        let sent = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(10));
            sender.signal(Signal::Sigusr1);
        });
        let give_up = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !thread.has_pending_signals() {
            assert!(
                std::time::Instant::now() < give_up,
                "the signal was never seen"
            );
            std::hint::spin_loop();
        }
        sent.join().unwrap();
        assert_eq!(thread.pop_signals(), vec![Signal::Sigusr1]);
        assert!(!thread.has_pending_signals());
    }

    #[test]
    fn a_finished_task_is_seen_without_the_channel() {
        use crate::os::task::task_join_handle::TaskStatus;

        let status = OwnedTaskStatus::new(TaskStatus::Pending);
        assert!(!status.is_finished());
        assert!(status.try_finished().is_none());
        let done = OwnedTaskStatus::new_finished_with_code(ExitCode::from(3));
        assert!(done.is_finished());
        assert_eq!(
            done.try_finished().map(|r| r.ok()),
            Some(Some(ExitCode::from(3)))
        );
    }

    #[test]
    fn a_signal_queued_through_the_raw_queue_is_never_skipped() {
        let (_plane, thread) = new_thread();
        thread.signals().lock().unwrap().0.push(Signal::Sigusr2);
        assert!(thread.has_pending_signals());
        assert_eq!(thread.pop_signals(), vec![Signal::Sigusr2]);
        // Later pushes through the raw queue do not set the flag, so the
        // shortcut stays off for this thread.
        assert!(thread.has_pending_signals());
    }

    #[test]
    fn finished_waits_leave_no_waker_behind() {
        let (_plane, thread) = new_thread();
        for _ in 0..10_000 {
            // Every blocking call blocks on a fresh executor, hence a fresh waker.
            let waker = Waker::from(Arc::new(CountingWaker::default()));
            let mut subscription = thread.signal_subscription();
            assert!(!subscription.has_signals_or_subscribe(&waker));
            assert!(subscription.pop_signals_or_subscribe(&waker).is_none());
            subscription.subscribe(&waker);
            assert_eq!(registered_wakers(&thread), 1);
        }
        assert_eq!(registered_wakers(&thread), 0);
    }

    #[test]
    fn a_live_subscription_is_woken_by_a_signal() {
        let (_plane, thread) = new_thread();
        let counter = Arc::new(CountingWaker::default());
        let waker = Waker::from(counter.clone());
        let mut subscription = thread.signal_subscription();
        assert!(!subscription.has_signals_or_subscribe(&waker));
        thread.signal(Signal::Sigusr1);
        assert_eq!(counter.0.load(Ordering::SeqCst), 1);
        assert_eq!(
            subscription.pop_signals_or_subscribe(&waker),
            Some(vec![Signal::Sigusr1])
        );
    }

    #[test]
    fn a_wait_that_changes_executor_keeps_only_the_new_waker() {
        let (_plane, thread) = new_thread();
        let first = Arc::new(CountingWaker::default());
        let second = Arc::new(CountingWaker::default());
        let mut subscription = thread.signal_subscription();
        subscription.subscribe(&Waker::from(first.clone()));
        subscription.subscribe(&Waker::from(second.clone()));
        assert_eq!(registered_wakers(&thread), 1);
        thread.signal(Signal::Sigusr1);
        assert_eq!(first.0.load(Ordering::SeqCst), 0);
        assert_eq!(second.0.load(Ordering::SeqCst), 1);
    }
}
