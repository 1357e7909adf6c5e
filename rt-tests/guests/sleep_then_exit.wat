;; Prints `ready`, sleeps {{COUNT}} times {{PERIOD_NS}} ns (one relative Monotonic
;; poll_oneoff clock each), then calls proc_exit({{EXIT_CODE}}). Exit code 3 if
;; poll_oneoff fails, 4 if it does not report exactly one event.
(module
  (import "wasi_snapshot_preview1" "poll_oneoff"
    (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  ;; 0x80 iovec, 0x88 nwritten, 0x100 text, 0x200 subscription, 0x300 event,
  ;; 0x340 nevents.
  (memory (export "memory") 1)
  (data (i32.const 0x100) "ready\n")
  (func (export "_start") (local $i i32)
    (i32.store (i32.const 0x80) (i32.const 0x100))
    (i32.store (i32.const 0x84) (i32.const 6))
    (drop (call $fd_write (i32.const 1) (i32.const 0x80) (i32.const 1) (i32.const 0x88)))
    (i32.store (i32.const 0x210) (i32.const 1))
    (i64.store (i32.const 0x218) (i64.const {{PERIOD_NS}}))
    (block $done
      (loop $sleeps
        (br_if $done (i32.ge_u (local.get $i) (i32.const {{COUNT}})))
        (if (call $poll_oneoff (i32.const 0x200) (i32.const 0x300) (i32.const 1) (i32.const 0x340))
          (then (call $proc_exit (i32.const 3))))
        (if (i32.ne (i32.load (i32.const 0x340)) (i32.const 1))
          (then (call $proc_exit (i32.const 4))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $sleeps)))
    (call $proc_exit (i32.const {{EXIT_CODE}})))
)
