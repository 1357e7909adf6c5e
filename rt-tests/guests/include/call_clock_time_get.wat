;; $call for call_loop.wat: clock_time_get(Monotonic, precision 1); exits 3 on error.
(func $setup)
(func $call
  (if (call $clock_time_get (i32.const 1) (i64.const 1) (i32.const 0x3000))
    (then (call $proc_exit (i32.const 3)))))
