;; $sleep_relative for sleep_loop.wat: one relative Monotonic poll_oneoff clock.
(func $sleep_relative (param $ns i64)
  (call $poll_clock (i32.const 1) (local.get $ns) (i32.const 0)))
