;; {{COUNT}} rounds of: one fd_write to stdout with three iovecs ("ab", "" and
;; "c\n"), then one to stderr with one ("x"). Each call must report every byte
;; written. Exits with the errno of the first write that fails (64, EPIPE, when
;; stdout is a pipe nobody reads), or 100 when a write reports a short count.
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 0x100) "abc\0ax")
  ;; stdout iovecs at 0x200: {0x100, 2} {0x102, 0} {0x102, 2}
  (data (i32.const 0x200)
    "\00\01\00\00\02\00\00\00\02\01\00\00\00\00\00\00\02\01\00\00\02\00\00\00")
  ;; stderr iovec at 0x220: {0x104, 1}
  (data (i32.const 0x220) "\04\01\00\00\01\00\00\00")

  (func $write (param $fd i32) (param $iovs i32) (param $n i32) (param $bytes i32)
    (local $errno i32)
    (local.set $errno
      (call $fd_write (local.get $fd) (local.get $iovs) (local.get $n) (i32.const 0x300)))
    (if (local.get $errno) (then (call $proc_exit (local.get $errno))))
    (if (i32.ne (i32.load (i32.const 0x300)) (local.get $bytes))
      (then (call $proc_exit (i32.const 100)))))

  (func (export "_start")
    (local $i i32)
    (loop $loop
      (call $write (i32.const 1) (i32.const 0x200) (i32.const 3) (i32.const 4))
      (call $write (i32.const 2) (i32.const 0x220) (i32.const 1) (i32.const 1))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $loop (i32.lt_u (local.get $i) (i32.const {{COUNT}})))))
)
