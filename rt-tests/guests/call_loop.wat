;; {{COUNT}} calls of one host function, for the dispatch benchmark: the call is
;; $call from include/call_{{CALL}}.wat. A warm-up of {{COUNT}} / 10 calls runs
;; first; the timed loop is bracketed by two clock_time_get(Monotonic) reads.
;;
;; {{PAD}} is empty, or `(call $spin (i32.const N))`: N turns of a busy loop
;; after each call, the delay the near-edge control of tests/dispatch_cost.rs
;; injects to stand for a slower host call.
;;
;; Output, on stderr (stdout may be what a call writes to): `calls <n>`, then
;; `elapsed <ns>` for the timed loop.
(module
  (import "wasi_snapshot_preview1" "clock_time_get"
    (func $clock_time_get (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  {{include:call_{{CALL}}}}
  ;; 0x2000 labels, 0x3000.. the call's own data.
  (memory (export "memory") 1)
  (data (i32.const 0x2000) "calls")
  (data (i32.const 0x2010) "elapsed")

  {{include:lib}}

  (func $spin (param $n i32)
    (loop $again
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $again (i32.gt_s (local.get $n) (i32.const 0)))))

  (func $calls (param $n i32)
    (block $done
      (loop $loop
        (br_if $done (i32.eqz (local.get $n)))
        (call $call)
        {{PAD}}
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $loop))))

  (func (export "_start")
    (local $t0 i64)
    (call $setup)
    (call $calls (i32.div_u (i32.const {{COUNT}}) (i32.const 10)))
    (local.set $t0 (call $now (i32.const 1)))
    (call $calls (i32.const {{COUNT}}))
    (local.set $t0 (i64.sub (call $now (i32.const 1)) (local.get $t0)))
    (global.set $out_fd (i32.const 2))
    (call $put_field (i32.const 0x2000) (i32.const 5) (i64.const {{COUNT}}))
    (call $put_field (i32.const 0x2010) (i32.const 7) (local.get $t0))
    (call $flush))
)
