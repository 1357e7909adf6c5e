;; $call for call_loop.wat: fd_write of {{BYTES}} bytes to stdout in one iovec;
;; exits 3 on error or a short write.
(func $setup
  (i32.store (i32.const 0x3000) (i32.const 0x4000))
  (i32.store (i32.const 0x3004) (i32.const {{BYTES}}))
  (memory.fill (i32.const 0x4000) (i32.const 120) (i32.const {{BYTES}})))
(func $call
  (if (call $fd_write (i32.const 1) (i32.const 0x3000) (i32.const 1) (i32.const 0x3010))
    (then (call $proc_exit (i32.const 3))))
  (if (i32.ne (i32.load (i32.const 0x3010)) (i32.const {{BYTES}}))
    (then (call $proc_exit (i32.const 3)))))
