;; {{COUNT}} blocking calls: poll_oneoff with one relative Monotonic clock of 1 ns,
;; the cheapest call that goes through wasmer-wasix's blocking (asyncify) path.
;; Prints nothing; exits 0 when every call returned one clock event, else exits
;; with 3 (poll_oneoff failed) or 4 (event count was not 1).
(module
  (import "wasi_snapshot_preview1" "poll_oneoff"
    (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (local $i i32)
    (i64.store (i32.const 0) (i64.const 7))       ;; userdata
    (i32.store8 (i32.const 8) (i32.const 0))      ;; tag: clock
    (i32.store (i32.const 16) (i32.const 1))      ;; Monotonic
    (i64.store (i32.const 24) (i64.const 1))      ;; timeout: 1 ns, relative
    (loop $calls
      (if (call $poll_oneoff (i32.const 0) (i32.const 64) (i32.const 1) (i32.const 128))
        (then (call $proc_exit (i32.const 3))))
      (if (i32.ne (i32.load (i32.const 128)) (i32.const 1))
        (then (call $proc_exit (i32.const 4))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $calls (i32.lt_u (local.get $i) (i32.const {{COUNT}})))))
)
