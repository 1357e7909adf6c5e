//! Running guests in this process through the patched wasmer-wasix: a
//! `WasiRunner` on a Tokio runtime and a Cranelift engine that live as long as the
//! [`InProcess`] host, so a run costs a compile and an instantiation, not a process
//! start. The guest gets the same capability switch as under `wasmer run`.

use crate::host::GuestOutput;
use crate::wasmer::SleepPath;
use std::path::Path;
use std::sync::{Arc, mpsc};
use std::time::Duration;
use wasmer_types::ModuleHash;
use wasmer_wasix::runners::wasi::{RuntimeOrEngine, WasiRunner};
use wasmer_wasix::runtime::task_manager::tokio::TokioTaskManager;
use wasmer_wasix::wasmer::{Engine, Module};
use wasmer_wasix::{Pipe, PluggableRuntime, Runtime, WasiRuntimeError};

/// A host for guests in this process.
pub struct InProcess {
    tokio: tokio::runtime::Runtime,
    runtime: Arc<dyn Runtime + Send + Sync>,
    engine: Engine,
}

impl std::fmt::Debug for InProcess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InProcess").finish_non_exhaustive()
    }
}

impl Default for InProcess {
    fn default() -> Self {
        Self::new()
    }
}

impl InProcess {
    /// A Tokio runtime, a task manager on it and the default (Cranelift) engine.
    pub fn new() -> Self {
        let tokio = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("building a Tokio runtime");
        let engine = Engine::default();
        // Host networking, set up with the runtime, binds to the current Tokio runtime.
        let _enter = tokio.enter();
        let mut runtime =
            PluggableRuntime::new(Arc::new(TokioTaskManager::new(tokio.handle().clone())));
        runtime.set_engine(engine.clone());
        drop(_enter);
        InProcess {
            tokio,
            runtime: Arc::new(runtime),
            engine,
        }
    }

    /// Compiles and runs the guest at `guest` on `path`, with stdin an open pipe that
    /// never gets data, and collects its stdout. A guest still running after `limit`
    /// is abandoned (its thread keeps running until this process exits).
    /// The Tokio runtime the guests' host tasks run on.
    pub fn tokio(&self) -> &tokio::runtime::Runtime {
        &self.tokio
    }

    /// The compiler engine the guests are built with.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The WASIX runtime, for embedding a guest directly (`WasiEnvBuilder::runtime`).
    pub fn runtime(&self) -> Arc<dyn Runtime + Send + Sync> {
        self.runtime.clone()
    }

    pub fn run(&self, path: SleepPath, guest: &Path, limit: Duration) -> GuestOutput {
        let wasm =
            std::fs::read(guest).unwrap_or_else(|e| panic!("reading {}: {e}", guest.display()));
        self.run_wasm(path, &wasm, limit)
    }

    /// Like [`InProcess::run`], for a module given as bytes.
    pub fn run_wasm(&self, path: SleepPath, wasm: &[u8], limit: Duration) -> GuestOutput {
        let module = match Module::new(&self.engine, wasm) {
            Ok(module) => module,
            Err(e) => {
                return GuestOutput {
                    stderr: format!("compiling the guest: {e}"),
                    ..GuestOutput::default()
                };
            }
        };
        let (stdin_keep, stdin) = Pipe::channel();
        let (stdout, mut stdout_rx) = Pipe::channel();
        let mut runner = WasiRunner::new();
        runner
            .with_stdin(Box::new(stdin))
            .with_stdout(Box::new(stdout))
            .capabilities_mut()
            .threading
            .enable_precise_sleep = path == SleepPath::Precise;
        let runtime = self.runtime.clone();
        let handle = self.tokio.handle().clone();
        let (done_tx, done_rx) = mpsc::channel();
        std::thread::spawn(move || {
            let _enter = handle.enter();
            let result = runner.run_wasm(
                RuntimeOrEngine::Runtime(runtime),
                "guest",
                module,
                ModuleHash::random(),
            );
            // The receiver is gone only if the run timed out.
            let _ = done_tx.send(result);
        });
        let result = done_rx.recv_timeout(limit);
        drop(stdin_keep);
        let mut output = GuestOutput {
            stdout: drain(&mut stdout_rx),
            ..GuestOutput::default()
        };
        match result {
            Ok(Ok(())) => output.exit_code = Some(0),
            Ok(Err(error)) => {
                output.exit_code = error
                    .chain()
                    .find_map(|e| e.downcast_ref::<WasiRuntimeError>())
                    .and_then(WasiRuntimeError::as_exit_code)
                    .map(|code| code.raw());
                output.stderr = format!("{error:#}");
            }
            Err(_) => output.timed_out = true,
        }
        output
    }
}

/// Everything written to the pipe so far.
fn drain(pipe: &mut Pipe) -> String {
    let mut bytes = Vec::new();
    let mut buf = [0u8; 8192];
    while let Some(n) = pipe.try_read(&mut buf) {
        if n == 0 {
            break;
        }
        bytes.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&bytes).into_owned()
}
