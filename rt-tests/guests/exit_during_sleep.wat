;; The main thread sleeps {{SLEEP_NS}} ns (one relative Monotonic poll_oneoff clock);
;; a second thread (wasi-threads) sleeps {{EXIT_AFTER_NS}} ns and then calls
;; proc_exit({{EXIT_CODE}}), which must end the main thread's sleep at once.
;; Exit code 5 if thread-spawn fails, 6 if the main sleep runs to its end.
(module
  (import "wasi" "thread-spawn" (func $thread_spawn (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff"
    (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (import "env" "memory" (memory 1 1 shared))

  ;; A relative Monotonic sleep using 128 bytes at $base.
  (func $sleep (param $base i32) (param $ns i64)
    (i64.store (local.get $base) (i64.const 1))
    (i32.store8 (i32.add (local.get $base) (i32.const 8)) (i32.const 0))
    (i32.store (i32.add (local.get $base) (i32.const 16)) (i32.const 1))
    (i64.store (i32.add (local.get $base) (i32.const 24)) (local.get $ns))
    (i64.store (i32.add (local.get $base) (i32.const 32)) (i64.const 0))
    (i32.store16 (i32.add (local.get $base) (i32.const 40)) (i32.const 0))
    (drop (call $poll_oneoff (local.get $base) (i32.add (local.get $base) (i32.const 64))
      (i32.const 1) (i32.add (local.get $base) (i32.const 96)))))

  (func (export "wasi_thread_start") (param $tid i32) (param $arg i32)
    (call $sleep (i32.const 0x2000) (i64.const {{EXIT_AFTER_NS}}))
    (call $proc_exit (i32.const {{EXIT_CODE}})))

  (func (export "_start")
    (if (i32.lt_s (call $thread_spawn (i32.const 0)) (i32.const 1))
      (then (call $proc_exit (i32.const 5))))
    (call $sleep (i32.const 0x1000) (i64.const {{SLEEP_NS}}))
    (call $proc_exit (i32.const 6)))
)
