use std::{
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    task::{Context, Poll},
};

use wasmer_wasix_types::wasi::{Errno, ExitCode};

use crate::WasiRuntimeError;

use super::signal::{DynSignalHandlerAbi, default_signal_handler};

#[derive(Clone, Debug)]
pub enum TaskStatus {
    Pending,
    Running,
    Finished(Result<ExitCode, Arc<WasiRuntimeError>>),
}

impl TaskStatus {
    /// Returns `true` if the task status is [`Pending`].
    ///
    /// [`Pending`]: TaskStatus::Pending
    #[must_use]
    pub fn is_pending(&self) -> bool {
        matches!(self, Self::Pending)
    }

    /// Returns `true` if the task status is [`Running`].
    ///
    /// [`Running`]: TaskStatus::Running
    #[must_use]
    pub fn is_running(&self) -> bool {
        matches!(self, Self::Running)
    }

    pub fn into_finished(self) -> Option<Result<ExitCode, Arc<WasiRuntimeError>>> {
        match self {
            Self::Finished(res) => Some(res),
            _ => None,
        }
    }

    /// Returns `true` if the task status is [`Finished`].
    ///
    /// [`Finished`]: TaskStatus::Finished
    #[must_use]
    pub fn is_finished(&self) -> bool {
        matches!(self, Self::Finished(..))
    }
}

#[derive(thiserror::Error, Debug)]
#[error("Task already terminated")]
pub struct TaskTerminatedError;

pub trait VirtualTaskHandle: std::fmt::Debug + Send + Sync + 'static {
    fn status(&self) -> TaskStatus;

    /// Polls to check if the process is ready yet to receive commands
    fn poll_ready(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), TaskTerminatedError>>;

    fn poll_finished(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<ExitCode, Arc<WasiRuntimeError>>>;
}

/// A handle that allows awaiting the termination of a task, and retrieving its exit code.
#[derive(Debug)]
pub struct OwnedTaskStatus {
    // The signal handler that can be invoked for this owned task
    signal_handler: Arc<DynSignalHandlerAbi>,

    watch_tx: tokio::sync::watch::Sender<TaskStatus>,
    // Even through unused, without this receive there is a race condition
    // where the previously sent values are lost.
    #[allow(dead_code)]
    watch_rx: tokio::sync::watch::Receiver<TaskStatus>,
    // Set once the status is `Finished` (it never leaves that state), so the
    // per-syscall exit check is one atomic load instead of a watch-channel lock.
    finished: AtomicBool,
}

impl OwnedTaskStatus {
    pub fn new(status: TaskStatus) -> Self {
        let finished = AtomicBool::new(status.is_finished());
        let (tx, rx) = tokio::sync::watch::channel(status);
        Self {
            signal_handler: default_signal_handler(),
            watch_tx: tx,
            watch_rx: rx,
            finished,
        }
    }

    /// Sets the signal handler used for this owned task
    pub fn set_signal_handler(&mut self, handler: Arc<DynSignalHandlerAbi>) {
        self.signal_handler = handler;
    }

    /// Attaches a signal handler
    pub fn with_signal_handler(mut self, handler: Arc<DynSignalHandlerAbi>) -> Self {
        self.set_signal_handler(handler);
        self
    }

    pub fn new_finished_with_code(code: ExitCode) -> Self {
        Self::new(TaskStatus::Finished(Ok(code)))
    }

    /// Marks the task as finished.
    pub fn set_running(&self) {
        self.watch_tx.send_modify(|value| {
            // Only set to running if task was pending, otherwise the transition would be invalid.
            if value.is_pending() {
                *value = TaskStatus::Running;
            }
        })
    }

    /// Marks the task as finished.
    pub(crate) fn set_finished(&self, res: Result<ExitCode, Arc<WasiRuntimeError>>) {
        let inner = match res {
            Ok(code) => Ok(code),
            Err(err) => {
                if let Some(code) = err.as_exit_code() {
                    Ok(code)
                } else {
                    Err(err)
                }
            }
        };
        let finished = &self.finished;
        self.watch_tx.send_modify(move |old| {
            if !old.is_finished() {
                *old = TaskStatus::Finished(inner);
            }
            finished.store(true, Ordering::Release);
        });
    }

    pub fn status(&self) -> TaskStatus {
        self.watch_tx.borrow().clone()
    }

    /// Returns `true` once the task has finished.
    ///
    /// One atomic load: unlike [`OwnedTaskStatus::status`] it neither takes the
    /// watch channel's lock nor clones the status, so it is cheap enough for the
    /// checks every syscall makes.
    pub fn is_finished(&self) -> bool {
        self.finished.load(Ordering::Acquire)
    }

    /// The exit result if the task has finished, `None` while it runs.
    pub fn try_finished(&self) -> Option<Result<ExitCode, Arc<WasiRuntimeError>>> {
        if !self.is_finished() {
            return None;
        }
        self.status().into_finished()
    }

    pub async fn await_termination(&self) -> Result<ExitCode, Arc<WasiRuntimeError>> {
        let mut receiver = self.watch_tx.subscribe();
        loop {
            let status = receiver.borrow_and_update().clone();
            match status {
                TaskStatus::Pending | TaskStatus::Running => {}
                TaskStatus::Finished(res) => {
                    return res;
                }
            }
            // NOTE: unwrap() is fine, because &self always holds on to the sender.
            receiver.changed().await.unwrap();
        }
    }

    pub async fn await_termination_anyhow(&self) -> anyhow::Result<ExitCode> {
        Ok(self.await_termination().await?)
    }

    pub fn handle(&self) -> TaskJoinHandle {
        TaskJoinHandle {
            signal_handler: self.signal_handler.clone(),
            watch: self.watch_tx.subscribe(),
        }
    }
}

impl Default for OwnedTaskStatus {
    fn default() -> Self {
        Self::new(TaskStatus::Pending)
    }
}

/// A handle that allows awaiting the termination of a task, and retrieving its exit code.
#[derive(Clone, Debug)]
pub struct TaskJoinHandle {
    #[allow(unused)]
    signal_handler: Arc<DynSignalHandlerAbi>,
    watch: tokio::sync::watch::Receiver<TaskStatus>,
}

/// Ctrl-C presses, heard from the moment the listener is created.
///
/// `tokio::signal::ctrl_c()` only starts listening when it is first polled: a
/// press that comes earlier ends the process with the default action, and one
/// that comes between two `ctrl_c()` calls in a loop is dropped. Created before
/// the guest starts and kept for the whole run, this hears every press the
/// guest could be interrupted by.
#[cfg(feature = "ctrlc")]
#[derive(Debug)]
pub struct CtrlCListener {
    #[cfg(unix)]
    inner: tokio::signal::unix::Signal,
    #[cfg(windows)]
    inner: tokio::signal::windows::CtrlC,
}

#[cfg(feature = "ctrlc")]
impl CtrlCListener {
    /// Starts listening.
    ///
    /// # Panics
    /// Outside the context of a Tokio runtime with its signal driver enabled
    /// (as `tokio::signal` does).
    pub fn new() -> std::io::Result<Self> {
        #[cfg(unix)]
        let inner = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())?;
        #[cfg(windows)]
        let inner = tokio::signal::windows::ctrl_c()?;
        Ok(Self { inner })
    }

    /// The next press (Tokio never ends the stream, so in practice never `None`).
    pub async fn recv(&mut self) -> Option<()> {
        self.inner.recv().await
    }
}

impl TaskJoinHandle {
    /// Retrieve the current status.
    pub fn status(&self) -> TaskStatus {
        self.watch.borrow().clone()
    }

    /// Sends every ctrl-c press to the task as `SIGINT`, from when the spawned
    /// listener first runs; to miss none, create a [`CtrlCListener`] before the
    /// task starts and use [`TaskJoinHandle::install_ctrlc_listener`].
    #[cfg(feature = "ctrlc")]
    pub fn install_ctrlc_handler(&self) {
        let signal_handler = self.signal_handler.clone();
        tokio::spawn(async move {
            match CtrlCListener::new() {
                Ok(listener) => forward_ctrl_c(listener, signal_handler).await,
                Err(err) => tracing::error!("failed to listen for ctrl-c - {}", err),
            }
        });
    }

    /// Sends every ctrl-c press `listener` hears, from its creation on, to the
    /// task as `SIGINT`.
    #[cfg(feature = "ctrlc")]
    pub fn install_ctrlc_listener(&self, listener: CtrlCListener) {
        tokio::spawn(forward_ctrl_c(listener, self.signal_handler.clone()));
    }

    /// Wait until the task finishes.
    pub async fn wait_finished(&mut self) -> Result<ExitCode, Arc<WasiRuntimeError>> {
        loop {
            let status = self.watch.borrow_and_update().clone();
            match status {
                TaskStatus::Pending | TaskStatus::Running => {}
                TaskStatus::Finished(res) => {
                    return res;
                }
            }
            if self.watch.changed().await.is_err() {
                return Ok(Errno::Noent.into());
            }
        }
    }
}

/// Sends every press `listener` hears to `signal_handler` as `SIGINT`.
#[cfg(feature = "ctrlc")]
async fn forward_ctrl_c(mut listener: CtrlCListener, signal_handler: Arc<DynSignalHandlerAbi>) {
    use wasmer::FromToNativeWasmType;
    use wasmer_wasix_types::wasi::Signal;

    // Loop sending ctrl-c presses as signals to the signal handler
    while listener.recv().await.is_some() {
        if let Err(err) = signal_handler.signal(Signal::Sigint.to_native() as u8) {
            tracing::error!("failed to process signal - {}", err);
            std::process::exit(1);
        }
    }
}

#[cfg(all(test, feature = "ctrlc", feature = "time", unix))]
mod ctrl_c_tests {
    use super::CtrlCListener;
    use std::time::Duration;

    // `tokio::signal::ctrl_c()` created after the press would wait forever here.
    #[tokio::test]
    async fn a_press_before_the_first_poll_is_heard() {
        let mut listener = CtrlCListener::new().unwrap();
        // SAFETY: raise has no preconditions; the listener's handler catches SIGINT.
        assert_eq!(unsafe { libc::raise(libc::SIGINT) }, 0);
        let heard = tokio::time::timeout(Duration::from_secs(10), listener.recv()).await;
        assert_eq!(heard, Ok(Some(())));
    }
}
