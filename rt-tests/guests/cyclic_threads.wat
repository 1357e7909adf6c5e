;; cyclictest's measuring threads as a guest: {{THREADS}} threads (wasi-threads),
;; thread i a periodic loop of {{COUNT}} periods of {{INTERVAL_NS}} + i *
;; {{DISTANCE_NS}} ns on absolute Monotonic deadlines (one poll_oneoff clock with
;; SUBSCRIPTION_CLOCK_ABSTIME per period), each wake-up timed with
;; clock_time_get(Monotonic).
;;
;; Output, once every thread is done, for each thread i in order: `thread <i>`,
;; then its loop samples (`sample <ns>` per period, `elapsed <ns>`; see
;; README.md). Exit code 2 clock failed, 3 poll failed, 4 not one event,
;; 5 thread-spawn failed.
(module
  (import "wasi" "thread-spawn" (func $thread_spawn (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff"
    (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get"
    (func $clock_time_get (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  ;; 0x2100 labels, 0x2F00 finished-thread count, 0x3000 + i * 0x100 thread i's
  ;; subscription (+0), event (+0x40), nevents (+0x80) and clock value (+0x90)
  ;; (at most 64 threads), 0x8000 + i * 8 thread i's elapsed time, 0x10000 + i *
  ;; {{COUNT}} * 8 thread i's samples.
  (import "env" "memory" (memory {{PAGES}} {{PAGES}} shared))
  (data (i32.const 0x2100) "sample")
  (data (i32.const 0x2110) "elapsed")
  (data (i32.const 0x2120) "thread")

  {{include:lib}}

  (func $scratch (param $idx i32) (result i32)
    (i32.add (i32.const 0x3000) (i32.shl (local.get $idx) (i32.const 8))))

  ;; Monotonic time in ns, read into thread $idx's scratch.
  (func $now_at (param $idx i32) (result i64)
    (local $at i32)
    (local.set $at (i32.add (call $scratch (local.get $idx)) (i32.const 0x90)))
    (if (call $clock_time_get (i32.const 1) (i64.const 1) (local.get $at))
      (then (call $proc_exit (i32.const 2))))
    (i64.load (local.get $at)))

  ;; Sleeps until $deadline (absolute Monotonic).
  (func $sleep_until (param $idx i32) (param $deadline i64)
    (local $sub i32)
    (local.set $sub (call $scratch (local.get $idx)))
    (i64.store (local.get $sub) (i64.const 0x12345678))
    (i32.store8 (i32.add (local.get $sub) (i32.const 8)) (i32.const 0))
    (i32.store (i32.add (local.get $sub) (i32.const 16)) (i32.const 1))
    (i64.store (i32.add (local.get $sub) (i32.const 24)) (local.get $deadline))
    (i64.store (i32.add (local.get $sub) (i32.const 32)) (i64.const 0))
    (i32.store16 (i32.add (local.get $sub) (i32.const 40)) (i32.const 1))
    (if (call $poll_oneoff (local.get $sub) (i32.add (local.get $sub) (i32.const 0x40))
          (i32.const 1) (i32.add (local.get $sub) (i32.const 0x80)))
      (then (call $proc_exit (i32.const 3))))
    (if (i32.ne (i32.load (i32.add (local.get $sub) (i32.const 0x80))) (i32.const 1))
      (then (call $proc_exit (i32.const 4)))))

  (func $samples (param $idx i32) (result i32)
    (i32.add (i32.const 0x10000) (i32.mul (local.get $idx) (i32.const {{COUNT_BYTES}}))))

  ;; Thread $idx's loop; counts itself finished at the end.
  (func $run (param $idx i32)
    (local $i i32) (local $start i64) (local $deadline i64) (local $woke i64) (local $period i64)
    (local.set $period (i64.add (i64.const {{INTERVAL_NS}})
      (i64.mul (i64.extend_i32_u (local.get $idx)) (i64.const {{DISTANCE_NS}}))))
    (local.set $start (call $now_at (local.get $idx)))
    (local.set $deadline (local.get $start))
    (loop $periods
      (local.set $deadline (i64.add (local.get $deadline) (local.get $period)))
      (call $sleep_until (local.get $idx) (local.get $deadline))
      (local.set $woke (call $now_at (local.get $idx)))
      (i64.store
        (i32.add (call $samples (local.get $idx)) (i32.shl (local.get $i) (i32.const 3)))
        (i64.sub (local.get $woke) (local.get $deadline)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $periods (i32.lt_u (local.get $i) (i32.const {{COUNT}}))))
    (i64.store (i32.add (i32.const 0x8000) (i32.shl (local.get $idx) (i32.const 3)))
      (i64.sub (local.get $woke) (local.get $start)))
    (drop (i32.atomic.rmw.add (i32.const 0x2F00) (i32.const 1)))
    (drop (memory.atomic.notify (i32.const 0x2F00) (i32.const 1))))

  (func (export "wasi_thread_start") (param $tid i32) (param $idx i32)
    (call $run (local.get $idx)))

  (func (export "_start")
    (local $idx i32) (local $done i32) (local $i i32)
    (local.set $idx (i32.const 1))
    (block $spawned
      (loop $spawn
        (br_if $spawned (i32.ge_u (local.get $idx) (i32.const {{THREADS}})))
        (if (i32.lt_s (call $thread_spawn (local.get $idx)) (i32.const 1))
          (then (call $proc_exit (i32.const 5))))
        (local.set $idx (i32.add (local.get $idx) (i32.const 1)))
        (br $spawn)))
    (call $run (i32.const 0))
    ;; Wait for the other threads.
    (block $all_done
      (loop $wait
        (local.set $done (i32.atomic.load (i32.const 0x2F00)))
        (br_if $all_done (i32.ge_u (local.get $done) (i32.const {{THREADS}})))
        (drop (memory.atomic.wait32 (i32.const 0x2F00) (local.get $done) (i64.const -1)))
        (br $wait)))
    (local.set $idx (i32.const 0))
    (loop $threads
      (call $put_field (i32.const 0x2120) (i32.const 6) (i64.extend_i32_u (local.get $idx)))
      (local.set $i (i32.const 0))
      (loop $print
        (call $put_field (i32.const 0x2100) (i32.const 6)
          (i64.load (i32.add (call $samples (local.get $idx)) (i32.shl (local.get $i) (i32.const 3)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $print (i32.lt_u (local.get $i) (i32.const {{COUNT}}))))
      (call $put_field (i32.const 0x2110) (i32.const 7)
        (i64.load (i32.add (i32.const 0x8000) (i32.shl (local.get $idx) (i32.const 3)))))
      (local.set $idx (i32.add (local.get $idx) (i32.const 1)))
      (br_if $threads (i32.lt_u (local.get $idx) (i32.const {{THREADS}}))))
    (call $flush))
)
