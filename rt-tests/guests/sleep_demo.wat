;; The problem report's loop: ten relative 1 s sleeps (one Monotonic clock
;; subscription, as Rust's std::thread::sleep issues them), each measured with
;; clock_time_get(Monotonic) and printed with its overshoot:
;;
;;   sleep 01/10: slept 1000.126391 ms, overshoot 126.391 us
;;
;; followed by a summary line `overshoot mean <us> us, worst <us> us`.
(module
  (import "wasi_snapshot_preview1" "poll_oneoff"
    (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get"
    (func $clock_time_get (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)

  ;; 0: subscription (48 B), 64: event (32 B), 128: nevents, 136: clock value,
  ;; 144: iovec, 152: nwritten, 256..: line buffer, 512..: text constants.
  (global $cur (mut i32) (i32.const 256))
  (data (i32.const 512) "sleep ")
  (data (i32.const 520) "/10: slept ")
  (data (i32.const 536) " ms, overshoot ")
  (data (i32.const 552) " us\n")
  (data (i32.const 560) "overshoot mean ")
  (data (i32.const 576) " us, worst ")

  (func $now (result i64)
    (if (call $clock_time_get (i32.const 1) (i64.const 1) (i32.const 136))
      (then (call $proc_exit (i32.const 2))))
    (i64.load (i32.const 136)))

  (func $sleep_ns (param $ns i64)
    (i64.store (i32.const 0) (i64.const 0x12345678))    ;; userdata
    (i32.store8 (i32.const 8) (i32.const 0))             ;; tag: clock
    (i32.store (i32.const 16) (i32.const 1))             ;; Monotonic
    (i64.store (i32.const 24) (local.get $ns))           ;; timeout
    (i64.store (i32.const 32) (i64.const 0))             ;; precision
    (i32.store16 (i32.const 40) (i32.const 0))           ;; relative
    (if (call $poll_oneoff (i32.const 0) (i32.const 64) (i32.const 1) (i32.const 128))
      (then (call $proc_exit (i32.const 3))))
    (if (i32.ne (i32.load (i32.const 128)) (i32.const 1))
      (then (call $proc_exit (i32.const 4)))))

  (func $put (param $ptr i32) (param $len i32)
    (memory.copy (global.get $cur) (local.get $ptr) (local.get $len))
    (global.set $cur (i32.add (global.get $cur) (local.get $len))))

  ;; Decimal digits of $v, at least $width of them (zero padded).
  (func $put_dec (param $v i64) (param $width i32)
    (local $tmp i32) (local $n i32)
    (local.set $tmp (i32.const 240))
    (loop $digits
      (local.set $tmp (i32.sub (local.get $tmp) (i32.const 1)))
      (i32.store8 (local.get $tmp)
        (i32.add (i32.const 48) (i32.wrap_i64 (i64.rem_u (local.get $v) (i64.const 10)))))
      (local.set $v (i64.div_u (local.get $v) (i64.const 10)))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br_if $digits (i32.or (i64.ne (local.get $v) (i64.const 0))
                             (i32.lt_s (local.get $n) (local.get $width)))))
    (call $put (local.get $tmp) (local.get $n)))

  ;; Signed $ns as [-]<int>.<frac> in units of $unit ns, with $places fraction digits.
  (func $put_fixed (param $ns i64) (param $unit i64) (param $places i32)
    (if (i64.lt_s (local.get $ns) (i64.const 0))
      (then
        (i32.store8 (global.get $cur) (i32.const 45))
        (global.set $cur (i32.add (global.get $cur) (i32.const 1)))
        (local.set $ns (i64.sub (i64.const 0) (local.get $ns)))))
    (call $put_dec (i64.div_u (local.get $ns) (local.get $unit)) (i32.const 1))
    (i32.store8 (global.get $cur) (i32.const 46))
    (global.set $cur (i32.add (global.get $cur) (i32.const 1)))
    (call $put_dec (i64.rem_u (local.get $ns) (local.get $unit)) (local.get $places)))

  (func $flush
    (i32.store (i32.const 144) (i32.const 256))
    (i32.store (i32.const 148) (i32.sub (global.get $cur) (i32.const 256)))
    (drop (call $fd_write (i32.const 1) (i32.const 144) (i32.const 1) (i32.const 152)))
    (global.set $cur (i32.const 256)))

  (func (export "_start")
    (local $i i32) (local $t0 i64) (local $slept i64) (local $over i64)
    (local $sum i64) (local $worst i64)
    (loop $sleeps
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (local.set $t0 (call $now))
      (call $sleep_ns (i64.const 1000000000))
      (local.set $slept (i64.sub (call $now) (local.get $t0)))
      (local.set $over (i64.sub (local.get $slept) (i64.const 1000000000)))
      (local.set $sum (i64.add (local.get $sum) (local.get $over)))
      (if (i64.gt_s (local.get $over) (local.get $worst))
        (then (local.set $worst (local.get $over))))
      (call $put (i32.const 512) (i32.const 6))
      (call $put_dec (i64.extend_i32_u (local.get $i)) (i32.const 2))
      (call $put (i32.const 520) (i32.const 11))
      (call $put_fixed (local.get $slept) (i64.const 1000000) (i32.const 6))
      (call $put (i32.const 536) (i32.const 15))
      (call $put_fixed (local.get $over) (i64.const 1000) (i32.const 3))
      (call $put (i32.const 552) (i32.const 4))
      (call $flush)
      (br_if $sleeps (i32.lt_u (local.get $i) (i32.const 10))))
    (call $put (i32.const 560) (i32.const 15))
    (call $put_fixed (i64.div_u (local.get $sum) (i64.const 10)) (i64.const 1000) (i32.const 3))
    (call $put (i32.const 576) (i32.const 11))
    (call $put_fixed (local.get $worst) (i64.const 1000) (i32.const 3))
    (call $put (i32.const 552) (i32.const 4))
    (call $flush))
)
