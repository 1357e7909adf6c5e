;; $sleep_relative for sleep_loop.wat: poll_oneoff with a relative Monotonic clock
;; and FdRead on stdin, which the harness keeps as an open pipe that never gets
;; data (a mixed fd + clock wait that ends on the clock); exits 3 if the call fails
;; or does not report exactly the clock. Uses 0x0C00..0x0CE0.
(func $sleep_relative (param $ns i64)
  (i64.store (i32.const 0x0C00) (i64.const 1))             ;; sub 0: clock
  (i32.store8 (i32.const 0x0C08) (i32.const 0))
  (i32.store (i32.const 0x0C10) (i32.const 1))
  (i64.store (i32.const 0x0C18) (local.get $ns))
  (i64.store (i32.const 0x0C20) (i64.const 0))
  (i32.store16 (i32.const 0x0C28) (i32.const 0))
  (i64.store (i32.const 0x0C30) (i64.const 2))             ;; sub 1: fd_read(0)
  (i32.store8 (i32.const 0x0C38) (i32.const 1))
  (i32.store (i32.const 0x0C40) (i32.const 0))
  (if (call $poll_oneoff (i32.const 0x0C00) (i32.const 0x0C80) (i32.const 2) (i32.const 0x0CD0))
    (then (call $proc_exit (i32.const 3))))
  (if (i32.ne (i32.load (i32.const 0x0CD0)) (i32.const 1))
    (then (call $proc_exit (i32.const 3))))
  (if (i64.ne (i64.load (i32.const 0x0C80)) (i64.const 1))
    (then (call $proc_exit (i32.const 3)))))
