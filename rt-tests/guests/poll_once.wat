;; One poll_oneoff call on the {{NSUBS}} subscriptions given as data ({{SUBS}},
;; 48 bytes each, preview1 layout, at 0x3000), timed with clock_time_get(Monotonic).
;; The call's arguments are {{IN}} (subscriptions), {{OUT}} (events),
;; {{NSUBS_ARG}} (count) and {{NEVENTS}} (where nevents goes); the harness passes
;; 0x3000, 0x8000, {{NSUBS}} and 0x2080 unless it tests bad arguments.
;;
;; Before the call, every clock subscription with SUBSCRIPTION_CLOCK_ABSTIME on
;; clock 0 (Realtime) or 1 (Monotonic) gets the current reading of its clock added
;; to its timeout (wrapping), so the test describes absolute deadlines relative to
;; the moment of the call ("now + 100 ms", "now - 1 s").
;;
;; Output (see README.md): `ready` first (so a run killed after it hung in the
;; call, not before), then `errno <n>`, `nevents <n>`, `elapsed <ns>`, then one
;; `event <userdata> <errno> <type>` line per event. nevents and the events are
;; read back only when the call succeeded (its pointers may be out of bounds).
(module
  (import "wasi_snapshot_preview1" "poll_oneoff"
    (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get"
    (func $clock_time_get (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  ;; 0x2000 labels, 0x2080 nevents, 0x3000.. subscriptions, 0x8000.. events.
  (memory (export "memory") 1)
  (data (i32.const 0x2000) "errno")
  (data (i32.const 0x2010) "nevents")
  (data (i32.const 0x2020) "elapsed")
  (data (i32.const 0x2030) "event ")
  (data (i32.const 0x2040) "ready\n")
  (data (i32.const 0x3000) "{{SUBS}}")

  {{include:lib}}

  (func (export "_start")
    (local $i i32) (local $sub i32) (local $clock i32) (local $ev i32)
    (local $t0 i64) (local $errno i32) (local $n i32)
    (call $put (i32.const 0x2040) (i32.const 6))
    (call $flush)
    (loop $fixups
      (local.set $sub (i32.add (i32.const 0x3000) (i32.mul (local.get $i) (i32.const 48))))
      (local.set $clock (i32.load (i32.add (local.get $sub) (i32.const 16))))
      (if (i32.and
            (i32.and (i32.eqz (i32.load8_u (i32.add (local.get $sub) (i32.const 8))))
                     (i32.and (i32.load16_u (i32.add (local.get $sub) (i32.const 40))) (i32.const 1)))
            (i32.le_u (local.get $clock) (i32.const 1)))
        (then
          (i64.store (i32.add (local.get $sub) (i32.const 24))
            (i64.add (i64.load (i32.add (local.get $sub) (i32.const 24)))
                     (call $now (local.get $clock))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $fixups (i32.lt_u (local.get $i) (i32.const {{NSUBS}}))))
    (local.set $t0 (call $now (i32.const 1)))
    (local.set $errno
      (call $poll_oneoff (i32.const {{IN}}) (i32.const {{OUT}}) (i32.const {{NSUBS_ARG}}) (i32.const {{NEVENTS}})))
    (local.set $t0 (i64.sub (call $now (i32.const 1)) (local.get $t0)))
    (if (i32.eqz (local.get $errno))
      (then (local.set $n (i32.load (i32.const {{NEVENTS}})))))
    (call $put_field (i32.const 0x2000) (i32.const 5) (i64.extend_i32_u (local.get $errno)))
    (call $put_field (i32.const 0x2010) (i32.const 7) (i64.extend_i32_u (local.get $n)))
    (call $put_field (i32.const 0x2020) (i32.const 7) (local.get $t0))
    (local.set $i (i32.const 0))
    (block $done
      (loop $events
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (br_if $done (i32.ge_u (local.get $i) (i32.const {{NSUBS_ARG}})))
        (local.set $ev (i32.add (i32.const {{OUT}}) (i32.mul (local.get $i) (i32.const 32))))
        (call $put (i32.const 0x2030) (i32.const 6))
        (call $put_dec (i64.load (local.get $ev)) (i32.const 1))
        (call $put_char (i32.const 32))
        (call $put_dec (i64.extend_i32_u (i32.load16_u (i32.add (local.get $ev) (i32.const 8)))) (i32.const 1))
        (call $put_char (i32.const 32))
        (call $put_dec (i64.extend_i32_u (i32.load8_u (i32.add (local.get $ev) (i32.const 10)))) (i32.const 1))
        (call $put_char (i32.const 10))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $events)))
    (call $flush))
)
