;; Shared helpers, pasted into a guest by an `include:lib` placeholder.
;; The guest must import $clock_time_get, $fd_write and $proc_exit from
;; wasi_snapshot_preview1 and declare a memory of at least one page.
;;
;; Memory used here (guests keep their own data at 0x2000 and above):
;;   0x0F00..0x0F40  digit scratch      0x0F80  iovec     0x0F88  nwritten
;;   0x0F90          clock value        0x1000..0x2000  output buffer
(global $out (mut i32) (i32.const 0x1000))
;; Where $flush writes: stdout unless a guest points it elsewhere.
(global $out_fd (mut i32) (i32.const 1))

;; Reads clock $id (0 Realtime, 1 Monotonic) in ns; exits with 2 if that fails.
(func $now (param $id i32) (result i64)
  (if (call $clock_time_get (local.get $id) (i64.const 1) (i32.const 0x0F90))
    (then (call $proc_exit (i32.const 2))))
  (i64.load (i32.const 0x0F90)))

;; Writes the buffered output to $out_fd (stdout by default).
(func $flush
  (i32.store (i32.const 0x0F80) (i32.const 0x1000))
  (i32.store (i32.const 0x0F84) (i32.sub (global.get $out) (i32.const 0x1000)))
  (drop (call $fd_write (global.get $out_fd) (i32.const 0x0F80) (i32.const 1) (i32.const 0x0F88)))
  (global.set $out (i32.const 0x1000)))

;; Appends $len bytes at $ptr (flushing first if the buffer is nearly full).
(func $put (param $ptr i32) (param $len i32)
  (if (i32.gt_u (i32.add (global.get $out) (local.get $len)) (i32.const 0x1F00))
    (then (call $flush)))
  (memory.copy (global.get $out) (local.get $ptr) (local.get $len))
  (global.set $out (i32.add (global.get $out) (local.get $len))))

(func $put_char (param $c i32)
  (i32.store8 (i32.const 0x0F40) (local.get $c))
  (call $put (i32.const 0x0F40) (i32.const 1)))

;; Unsigned decimal, at least $width digits (zero padded).
(func $put_dec (param $v i64) (param $width i32)
  (local $p i32) (local $n i32)
  (local.set $p (i32.const 0x0F40))
  (loop $digits
    (local.set $p (i32.sub (local.get $p) (i32.const 1)))
    (i32.store8 (local.get $p)
      (i32.add (i32.const 48) (i32.wrap_i64 (i64.rem_u (local.get $v) (i64.const 10)))))
    (local.set $v (i64.div_u (local.get $v) (i64.const 10)))
    (local.set $n (i32.add (local.get $n) (i32.const 1)))
    (br_if $digits (i32.or (i64.ne (local.get $v) (i64.const 0))
                           (i32.lt_s (local.get $n) (local.get $width)))))
  (call $put (local.get $p) (local.get $n)))

;; Signed decimal.
(func $put_i64 (param $v i64)
  (if (i64.lt_s (local.get $v) (i64.const 0))
    (then
      (call $put_char (i32.const 45))
      (local.set $v (i64.sub (i64.const 0) (local.get $v)))))
  (call $put_dec (local.get $v) (i32.const 1)))

;; "<label> <value>\n", the label being $len bytes at $ptr.
(func $put_field (param $ptr i32) (param $len i32) (param $v i64)
  (call $put (local.get $ptr) (local.get $len))
  (call $put_char (i32.const 32))
  (call $put_i64 (local.get $v))
  (call $put_char (i32.const 10)))
