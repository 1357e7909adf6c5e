//! The floor under a WASI call: what a bare `wasmer` host function costs on the
//! same engine, with no wasmer-wasix in the way.
//!
//! `dispatch-bench` prints these next to `clock_time_get`. A guest loop calls an
//! imported host function; the host either does nothing, or does the least any
//! `clock_time_get` must do (read `CLOCK_MONOTONIC`, find the guest's memory
//! through the function's environment, store 8 bytes with a bounds check). What
//! wasmer-wasix adds on top of the second figure is all a wasmer-wasix patch can
//! remove; the first figure is the runtime's host-call path (trampoline, stack
//! switch, store context), which only a patch to the `wasmer` crates could.

use std::time::Instant;
use wasmer_wasix::wasmer::{
    Engine, Function, FunctionEnv, FunctionEnvMut, Instance, Memory, Module, Store, TypedFunction,
    imports,
};

/// A loop of `$n` calls to `env.f`, exported as `run`.
const LOOP_WAT: &str = r#"
(module
  (import "env" "f" (func $f (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "run") (param $n i32)
    (block $done
      (loop $loop
        (br_if $done (i32.eqz (local.get $n)))
        (drop (call $f (i32.const 0x100)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $loop)))))
"#;

/// What the host function does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostFn {
    /// Returns 0: the cost of getting into a host function and back.
    Empty,
    /// Reads `CLOCK_MONOTONIC` and stores it at the guest's pointer through the
    /// memory found in the function's environment, like `clock_time_get`.
    ClockStore,
}

impl HostFn {
    /// Both, in report order.
    pub const ALL: [HostFn; 2] = [HostFn::Empty, HostFn::ClockStore];

    /// A short name for reports.
    pub fn name(self) -> &'static str {
        match self {
            HostFn::Empty => "empty host fn",
            HostFn::ClockStore => "clock+store host fn",
        }
    }

    /// ns per call over `count` calls, after a warm-up of a tenth of them, on
    /// `engine`.
    pub fn ns_per_call(self, engine: &Engine, count: u32) -> f64 {
        let mut store = Store::new(engine.clone());
        let module = Module::new(&store, LOOP_WAT).expect("compiling the floor loop");
        let env = FunctionEnv::new(&mut store, None::<Memory>);
        let f = match self {
            HostFn::Empty => Function::new_typed(&mut store, |_ptr: i32| -> i32 { 0 }),
            HostFn::ClockStore => Function::new_typed_with_env(&mut store, &env, clock_store),
        };
        let instance = Instance::new(&mut store, &module, &imports! { "env" => { "f" => f } })
            .expect("instantiating the floor loop");
        let memory = instance
            .exports
            .get_memory("memory")
            .expect("the loop exports its memory")
            .clone();
        *env.as_mut(&mut store) = Some(memory);
        let run: TypedFunction<u32, ()> = instance
            .exports
            .get_typed_function(&store, "run")
            .expect("the loop exports run(i32)");
        run.call(&mut store, count / 10).expect("warm-up");
        let start = Instant::now();
        run.call(&mut store, count).expect("timed loop");
        start.elapsed().as_nanos() as f64 / f64::from(count.max(1))
    }
}

/// The body of [`HostFn::ClockStore`]: returns 0, or WASI's `EFAULT` (21) for a
/// pointer outside memory.
fn clock_store(ctx: FunctionEnvMut<'_, Option<Memory>>, ptr: i32) -> i32 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: a valid clock id and a valid pointer to a timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    let ns = (ts.tv_sec as u64)
        .wrapping_mul(1_000_000_000)
        .wrapping_add(ts.tv_nsec as u64);
    let Some(memory) = ctx.data() else { return 21 };
    match memory
        .view(&ctx)
        .write(u64::from(ptr as u32), &ns.to_le_bytes())
    {
        Ok(()) => 0,
        Err(_) => 21,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_host_functions_run_and_cost_something() {
        let engine = Engine::default();
        for host_fn in HostFn::ALL {
            let ns = host_fn.ns_per_call(&engine, 10_000);
            assert!(ns > 0.0 && ns < 100_000.0, "{}: {ns} ns", host_fn.name());
        }
    }
}
