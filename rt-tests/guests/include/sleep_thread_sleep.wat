;; $sleep_relative for sleep_loop.wat: WASIX thread_sleep; exits 3 if it fails.
(import "wasix_32v1" "thread_sleep" (func $thread_sleep (param i64) (result i32)))
(func $sleep_relative (param $ns i64)
  (if (call $thread_sleep (local.get $ns))
    (then (call $proc_exit (i32.const 3)))))
