;; WASIX: registers `handler` as the signal callback, asks for SIGALRM after
;; {{ALARM_MS}} ms (proc_raise_interval), then sleeps {{SLEEP_NS}} ns with one relative
;; Monotonic poll_oneoff clock. The handler records when it ran and cancels the
;; alarm. The sleep must run to its own deadline and report its one event.
;;
;; Output: `handled <count>`, `handler_at <ns after the sleep started>` (0 if it
;; never ran), `elapsed <ns of the sleep>`, `nevents <n>`.
(module
  (import "wasi_snapshot_preview1" "poll_oneoff"
    (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get"
    (func $clock_time_get (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (import "wasix_32v1" "callback_signal" (func $callback_signal (param i32 i32)))
  (import "wasix_32v1" "proc_raise_interval"
    (func $proc_raise_interval (param i32 i64 i32) (result i32)))
  ;; 0x2000 subscription, 0x2040 event, 0x2080 nevents, 0x2100.. labels.
  (memory (export "memory") 1)
  (data (i32.const 0x2100) "handler")
  (data (i32.const 0x2110) "handled")
  (data (i32.const 0x2120) "handler_at")
  (data (i32.const 0x2130) "elapsed")
  (data (i32.const 0x2140) "nevents")

  {{include:lib}}

  (global $handled (mut i64) (i64.const 0))
  (global $handled_at (mut i64) (i64.const 0))

  (func (export "handler") (param $sig i32)
    (global.set $handled (i64.add (global.get $handled) (i64.const 1)))
    (global.set $handled_at (call $now (i32.const 1)))
    (drop (call $proc_raise_interval (i32.const 14) (i64.const 0) (i32.const 0))))

  (func (export "_start")
    (local $t0 i64) (local $elapsed i64)
    (call $callback_signal (i32.const 0x2100) (i32.const 7))
    (if (call $proc_raise_interval (i32.const 14) (i64.const {{ALARM_MS}}) (i32.const 0))
      (then (call $proc_exit (i32.const 5))))
    (local.set $t0 (call $now (i32.const 1)))
    (i64.store (i32.const 0x2000) (i64.const 1))
    (i32.store8 (i32.const 0x2008) (i32.const 0))
    (i32.store (i32.const 0x2010) (i32.const 1))
    (i64.store (i32.const 0x2018) (i64.const {{SLEEP_NS}}))
    (i64.store (i32.const 0x2020) (i64.const 0))
    (i32.store16 (i32.const 0x2028) (i32.const 0))
    (if (call $poll_oneoff (i32.const 0x2000) (i32.const 0x2040) (i32.const 1) (i32.const 0x2080))
      (then (call $proc_exit (i32.const 3))))
    (local.set $elapsed (i64.sub (call $now (i32.const 1)) (local.get $t0)))
    (call $put_field (i32.const 0x2110) (i32.const 7) (global.get $handled))
    (call $put_field (i32.const 0x2120) (i32.const 10)
      (select (i64.sub (global.get $handled_at) (local.get $t0)) (i64.const 0)
        (i64.ne (global.get $handled) (i64.const 0))))
    (call $put_field (i32.const 0x2130) (i32.const 7) (local.get $elapsed))
    (call $put_field (i32.const 0x2140) (i32.const 7) (i64.extend_i32_u (i32.load (i32.const 0x2080))))
    (call $flush))
)
