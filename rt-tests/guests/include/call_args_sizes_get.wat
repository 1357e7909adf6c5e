;; $call for call_loop.wat: args_sizes_get; exits 3 on error.
(import "wasi_snapshot_preview1" "args_sizes_get"
  (func $args_sizes_get (param i32 i32) (result i32)))
(func $setup)
(func $call
  (if (call $args_sizes_get (i32.const 0x3000) (i32.const 0x3004))
    (then (call $proc_exit (i32.const 3)))))
