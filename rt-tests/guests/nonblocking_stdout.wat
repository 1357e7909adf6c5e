;; Sets stdout non-blocking (fd_fdstat_set_flags with NONBLOCK), then writes 4 KiB
;; to it {{COUNT}} times, far more than a pipe holds. Exits with the errno of the
;; first write that fails (6, EAGAIN, when stdout is a full pipe nobody reads),
;; 200 + the errno if the flag cannot be set, or 0 if every write went through.
(module
  (import "wasi_snapshot_preview1" "fd_fdstat_set_flags"
    (func $fd_fdstat_set_flags (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  ;; iovec at 0x10: {0x1000, 0x1000}
  (data (i32.const 0x10) "\00\10\00\00\00\10\00\00")

  (func (export "_start")
    (local $errno i32)
    (local $i i32)
    (local.set $errno (call $fd_fdstat_set_flags (i32.const 1) (i32.const 4)))
    (if (local.get $errno)
      (then (call $proc_exit (i32.add (i32.const 200) (local.get $errno)))))
    (loop $loop
      (local.set $errno
        (call $fd_write (i32.const 1) (i32.const 0x10) (i32.const 1) (i32.const 0x20)))
      (if (local.get $errno) (then (call $proc_exit (local.get $errno))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $loop (i32.lt_u (local.get $i) (i32.const {{COUNT}}))))
    (call $proc_exit (i32.const 0)))
)
