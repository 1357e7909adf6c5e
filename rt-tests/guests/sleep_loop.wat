;; {{COUNT}} sleeps of {{PERIOD_NS}} ns, each timed with clock_time_get({{CLOCK}}).
;;
;; {{ABSOLUTE}} = 1: a periodic loop on absolute deadlines on clock {{CLOCK}}
;;   (1 Monotonic, 0 Realtime), the cyclictest pattern: deadline(i) = start +
;;   (i + 1) * period, one poll_oneoff clock subscription with
;;   SUBSCRIPTION_CLOCK_ABSTIME per period.
;; {{ABSOLUTE}} = 0: relative sleeps, Rust std's pattern: deadline(i) = the clock
;;   read just before the sleep + period.
;; {{SLEEP}} is the relative sleep, from include/sleep_{{SLEEP}}.wat: `poll` (one
;;   relative Monotonic clock), `poll_fd` (the same plus FdRead on stdin), or WASIX
;;   `thread_sleep`, `futex` (a futex_wait timeout), `epoll` (an epoll_wait
;;   timeout on an empty set) or `socket` (the timeout of a socket operation on
;;   loopback TCP, chosen by {{SOCKET_OP}}: see include/sleep_socket.wat).
;;
;; Output (see README.md): one `sample <ns>` line per sleep, the wake-up time minus
;; the deadline (negative = woke early), then `elapsed <ns>` from start to the last
;; wake-up. Samples are kept in memory and printed after the loop.
(module
  (import "wasi_snapshot_preview1" "poll_oneoff"
    (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get"
    (func $clock_time_get (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  {{include:sleep_{{SLEEP}}}}
  ;; 0x2000 subscription, 0x2040 event, 0x2080 nevents, 0x2100 labels,
  ;; 0x10000.. samples (8 bytes each).
  (memory (export "memory") {{PAGES}})
  (data (i32.const 0x2100) "sample")
  (data (i32.const 0x2110) "elapsed")

  {{include:lib}}

  ;; One subscription on $clock with timeout $t and $flags; exits 3 if poll_oneoff
  ;; fails, 4 if it does not report exactly one event.
  (func $poll_clock (param $clock i32) (param $t i64) (param $flags i32)
    (i64.store (i32.const 0x2000) (i64.const 0x12345678))
    (i32.store8 (i32.const 0x2008) (i32.const 0))
    (i32.store (i32.const 0x2010) (local.get $clock))
    (i64.store (i32.const 0x2018) (local.get $t))
    (i64.store (i32.const 0x2020) (i64.const 0))
    (i32.store16 (i32.const 0x2028) (local.get $flags))
    (if (call $poll_oneoff (i32.const 0x2000) (i32.const 0x2040) (i32.const 1) (i32.const 0x2080))
      (then (call $proc_exit (i32.const 3))))
    (if (i32.ne (i32.load (i32.const 0x2080)) (i32.const 1))
      (then (call $proc_exit (i32.const 4)))))

  (func (export "_start")
    (local $i i32) (local $start i64) (local $deadline i64) (local $woke i64)
    (local.set $start (call $now (i32.const {{CLOCK}})))
    (local.set $deadline (local.get $start))
    (loop $sleeps
      (if (i32.const {{ABSOLUTE}})
        (then
          (local.set $deadline (i64.add (local.get $deadline) (i64.const {{PERIOD_NS}})))
          (call $poll_clock (i32.const {{CLOCK}}) (local.get $deadline) (i32.const 1)))
        (else
          (local.set $deadline (i64.add (call $now (i32.const 1)) (i64.const {{PERIOD_NS}})))
          (call $sleep_relative (i64.const {{PERIOD_NS}}))))
      (local.set $woke (call $now (i32.const {{CLOCK}})))
      (i64.store
        (i32.add (i32.const 0x10000) (i32.shl (local.get $i) (i32.const 3)))
        (i64.sub (local.get $woke) (local.get $deadline)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $sleeps (i32.lt_u (local.get $i) (i32.const {{COUNT}}))))
    (local.set $i (i32.const 0))
    (loop $print
      (call $put_field (i32.const 0x2100) (i32.const 6)
        (i64.load (i32.add (i32.const 0x10000) (i32.shl (local.get $i) (i32.const 3)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $print (i32.lt_u (local.get $i) (i32.const {{COUNT}}))))
    (call $put_field (i32.const 0x2110) (i32.const 7)
      (i64.sub (local.get $woke) (local.get $start)))
    (call $flush))
)
