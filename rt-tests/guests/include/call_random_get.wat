;; $call for call_loop.wat: random_get of 16 bytes; exits 3 on error.
(import "wasi_snapshot_preview1" "random_get"
  (func $random_get (param i32 i32) (result i32)))
(func $setup)
(func $call
  (if (call $random_get (i32.const 0x3000) (i32.const 16))
    (then (call $proc_exit (i32.const 3)))))
