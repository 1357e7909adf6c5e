;; $sleep_relative for sleep_loop.wat: WASIX futex_wait on a word that never
;; changes, with the sleep as its timeout; exits 3 if the call fails or reports a
;; wake-up. Uses 0x0E00..0x0E20.
(import "wasix_32v1" "futex_wait"
  (func $futex_wait (param i32 i32 i32 i32) (result i32)))
(func $sleep_relative (param $ns i64)
  (i32.store (i32.const 0x0E00) (i32.const 0))            ;; the futex word
  (i32.store8 (i32.const 0x0E08) (i32.const 1))           ;; timeout: Some
  (i64.store (i32.const 0x0E10) (local.get $ns))
  (if (call $futex_wait (i32.const 0x0E00) (i32.const 0) (i32.const 0x0E08) (i32.const 0x0E18))
    (then (call $proc_exit (i32.const 3))))
  (if (i32.load8_u (i32.const 0x0E18))
    (then (call $proc_exit (i32.const 3)))))
