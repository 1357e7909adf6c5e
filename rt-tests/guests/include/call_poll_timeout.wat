;; $call for call_loop.wat: poll_oneoff on one relative Monotonic clock of
;; {{TIMEOUT_NS}} ns (0 or 1: a non-blocking poll); exits 3 on error or if the
;; clock is not the one event.
(import "wasi_snapshot_preview1" "poll_oneoff"
  (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
(func $setup
  (i64.store (i32.const 0x3000) (i64.const 7))       ;; userdata
  (i32.store8 (i32.const 0x3008) (i32.const 0))      ;; clock
  (i32.store (i32.const 0x3010) (i32.const 1))       ;; Monotonic
  (i64.store (i32.const 0x3018) (i64.const {{TIMEOUT_NS}}))
  (i64.store (i32.const 0x3020) (i64.const 0))       ;; precision
  (i32.store16 (i32.const 0x3028) (i32.const 0)))    ;; relative
(func $call
  (if (call $poll_oneoff (i32.const 0x3000) (i32.const 0x3040) (i32.const 1) (i32.const 0x3080))
    (then (call $proc_exit (i32.const 3))))
  (if (i32.ne (i32.load (i32.const 0x3080)) (i32.const 1))
    (then (call $proc_exit (i32.const 3)))))
