;; $sleep_relative for sleep_loop.wat: WASIX epoll_wait on an empty epoll set,
;; with the sleep as its timeout (the set is created on first use); exits 3 if a
;; call fails or reports an event. Uses 0x0E20..0x0EA0.
(import "wasix_32v1" "epoll_create" (func $epoll_create (param i32) (result i32)))
(import "wasix_32v1" "epoll_wait"
  (func $epoll_wait (param i32 i32 i32 i64 i32) (result i32)))
(global $epfd (mut i32) (i32.const -1))
(func $sleep_relative (param $ns i64)
  (if (i32.lt_s (global.get $epfd) (i32.const 0))
    (then
      (if (call $epoll_create (i32.const 0x0E20))
        (then (call $proc_exit (i32.const 3))))
      (global.set $epfd (i32.load (i32.const 0x0E20)))))
  (if (call $epoll_wait (global.get $epfd) (i32.const 0x0E40) (i32.const 1)
        (local.get $ns) (i32.const 0x0E28))
    (then (call $proc_exit (i32.const 3))))
  (if (i32.load (i32.const 0x0E28))
    (then (call $proc_exit (i32.const 3)))))
