;; $call for call_loop.wat: sched_yield; exits 3 on error.
(import "wasi_snapshot_preview1" "sched_yield" (func $sched_yield (result i32)))
(func $setup)
(func $call
  (if (call $sched_yield) (then (call $proc_exit (i32.const 3)))))
