;; $sleep_relative for sleep_loop.wat: the timeout of a WASIX socket operation
;; on loopback TCP. {{SOCKET_OP}} picks the operation:
;;   1 `sock_recv` on a client whose server end never sends, with RecvTimeout;
;;   2 `sock_send` of 1 byte on a client connected to the test's sink port
;;     {{PEER_PORT}} (nobody reads there, and the receive buffer is small and
;;     fixed), after the send buffer was filled, with SendTimeout (see
;;     $fill_send_buffer and $send_until_timeout);
;;   3 `sock_accept` on a listener nobody connects to, with AcceptTimeout;
;;   4 `poll_oneoff` with a relative Monotonic clock and FdRead on a client
;;     whose server end never sends;
;;   5 `sock_connect` to the test's port {{PEER_PORT}}, whose accept queue is
;;     full, with ConnectTimeout; each call opens the socket (`sock_open`,
;;     `sock_set_opt_time`) and closes it after the timeout, inside the
;;     measured sleep;
;;   6 `fd_read` (not `sock_recv`) on a client whose server end never sends,
;;     with RecvTimeout (a timed-out `fd_read` is EAGAIN, as POSIX `read`).
;; For 1, 3, 4 and 6 the guest listens on 127.0.0.1 (port chosen by the host),
;; connects a client and accepts its server end. The sockets are set up on the
;; first call, with the timeout set once to that call's sleep (so the first
;; sample also holds the setup). Exits 3 if the operation does not time out (or
;; the poll does not report exactly the clock), 7 if the setup fails.
;; Uses 0x0C00..0x0D60, and sends from 0x2000..0x10000 (any bytes will do).
(import "wasi_snapshot_preview1" "fd_close" (func $fd_close (param i32) (result i32)))
(import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
(import "wasix_32v1" "sock_open" (func $sock_open (param i32 i32 i32 i32) (result i32)))
(import "wasix_32v1" "sock_bind" (func $sock_bind (param i32 i32) (result i32)))
(import "wasix_32v1" "sock_listen" (func $sock_listen (param i32 i32) (result i32)))
(import "wasix_32v1" "sock_addr_local" (func $sock_addr_local (param i32 i32) (result i32)))
(import "wasix_32v1" "sock_connect" (func $sock_connect (param i32 i32) (result i32)))
(import "wasix_32v1" "sock_accept" (func $sock_accept (param i32 i32 i32 i32) (result i32)))
(import "wasix_32v1" "sock_set_opt_time"
  (func $sock_set_opt_time (param i32 i32 i32) (result i32)))
(import "wasix_32v1" "sock_recv"
  (func $sock_recv (param i32 i32 i32 i32 i32 i32) (result i32)))
(import "wasix_32v1" "sock_send" (func $sock_send (param i32 i32 i32 i32 i32) (result i32)))
(global $sockets_ready (mut i32) (i32.const 0))

;; Errnos and options of the WASIX ABI.
;;   errno: 6 EAGAIN, 73 ETIMEDOUT; sockoption: 19 RecvTimeout, 20 SendTimeout,
;;   21 ConnectTimeout, 22 AcceptTimeout; sock_open(1 Inet4, 1 Stream, 6 Tcp).
;; An address (__wasi_addr_port_t, 20 bytes): tag 1 (Inet4), a zero byte, the
;; port, the IPv4 address. sock_connect and sock_bind read the port in the
;; host's (little-endian) order; sock_addr_local writes it in network order.
;; Memory: 0x0C00 bind address, 0x0C20 the address to connect to, 0x0C40
;; listener fd, 0x0C44 client fd, 0x0C48 server fd, 0x0C4C fd of an accept,
;; 0x0C50 accept's peer address, 0x0C68 the timeout (OptionTimestamp), 0x0C78
;; iovec, 0x0C80 byte count, 0x0C84 flags, 0x0C90 poll subscriptions, 0x0CF0
;; events, 0x0D50 nevents, 0x0D58 receive buffer.

;; Stores the address 127.0.0.1:$port at $at.
(func $loopback_addr (param $at i32) (param $port i32)
  (i32.store16 (local.get $at) (i32.const 1))
  (i32.store16 (i32.add (local.get $at) (i32.const 2)) (local.get $port))
  (i32.store (i32.add (local.get $at) (i32.const 4)) (i32.const 0x0100007F)))

;; Sets option $option of $fd to a timeout of $ns; exits 7 if that fails.
(func $set_timeout (param $fd i32) (param $option i32) (param $ns i64)
  (i32.store8 (i32.const 0x0C68) (i32.const 1))
  (i64.store (i32.const 0x0C70) (local.get $ns))
  (if (call $sock_set_opt_time (local.get $fd) (local.get $option) (i32.const 0x0C68))
    (then (call $proc_exit (i32.const 7)))))

;; Opens a TCP socket into 0x0C44; exits 7 if that fails.
(func $open_client
  (if (call $sock_open (i32.const 1) (i32.const 1) (i32.const 6) (i32.const 0x0C44))
    (then (call $proc_exit (i32.const 7)))))

;; Listens on 127.0.0.1, connects a client to it and accepts the server end.
(func $connected_pair
  (if (call $sock_open (i32.const 1) (i32.const 1) (i32.const 6) (i32.const 0x0C40))
    (then (call $proc_exit (i32.const 7))))
  (call $loopback_addr (i32.const 0x0C00) (i32.const 0))
  (if (call $sock_bind (i32.load (i32.const 0x0C40)) (i32.const 0x0C00))
    (then (call $proc_exit (i32.const 7))))
  (if (call $sock_listen (i32.load (i32.const 0x0C40)) (i32.const 16))
    (then (call $proc_exit (i32.const 7))))
  (if (call $sock_addr_local (i32.load (i32.const 0x0C40)) (i32.const 0x0C20))
    (then (call $proc_exit (i32.const 7))))
  ;; The port from network order into the host's.
  (i32.store16 (i32.const 0x0C22)
    (i32.or (i32.shl (i32.load8_u (i32.const 0x0C22)) (i32.const 8))
            (i32.load8_u (i32.const 0x0C23))))
  (call $open_client)
  (if (call $sock_connect (i32.load (i32.const 0x0C44)) (i32.const 0x0C20))
    (then (call $proc_exit (i32.const 7))))
  (if (call $sock_accept (i32.load (i32.const 0x0C40)) (i32.const 0) (i32.const 0x0C48)
        (i32.const 0x0C50))
    (then (call $proc_exit (i32.const 7)))))

;; DONT_WAIT sends on the client until EAGAIN; exits 7 on another error.
(func $top_up_send_buffer
  (local $errno i32)
  (i32.store (i32.const 0x0C78) (i32.const 0x2000))
  (i32.store (i32.const 0x0C7C) (i32.const 0xE000))
  (loop $fill
    (local.set $errno (call $sock_send (i32.load (i32.const 0x0C44))
      (i32.const 0x0C78) (i32.const 1) (i32.const 1) (i32.const 0x0C80)))
    (br_if $fill (i32.eqz (local.get $errno))))
  (if (i32.ne (local.get $errno) (i32.const 6))
    (then (call $proc_exit (i32.const 7)))))

;; Fills the client's send buffer: tops it up, then waits 5 ms for loopback to
;; move what it can to the peer, until a send right after such a pause gets
;; EAGAIN (at most 100 rounds).
(func $fill_send_buffer
  (local $rounds i32)
  (loop $round
    (local.set $rounds (i32.add (local.get $rounds) (i32.const 1)))
    (if (i32.gt_u (local.get $rounds) (i32.const 100))
      (then (call $proc_exit (i32.const 7))))
    (call $top_up_send_buffer)
    ;; A pause of 5 ms: one relative Monotonic clock.
    (i64.store (i32.const 0x0C90) (i64.const 1))
    (i32.store8 (i32.const 0x0C98) (i32.const 0))
    (i32.store (i32.const 0x0CA0) (i32.const 1))
    (i64.store (i32.const 0x0CA8) (i64.const 5000000))
    (i64.store (i32.const 0x0CB0) (i64.const 0))
    (i32.store16 (i32.const 0x0CB8) (i32.const 0))
    (if (call $poll_oneoff (i32.const 0x0C90) (i32.const 0x0CF0) (i32.const 1)
          (i32.const 0x0D50))
      (then (call $proc_exit (i32.const 7))))
    (br_if $round (i32.ne (call $sock_send (i32.load (i32.const 0x0C44))
      (i32.const 0x0C78) (i32.const 1) (i32.const 1) (i32.const 0x0C80)) (i32.const 6)))))

;; Sends 1 byte on the client until a send times out. The kernel can make room
;; in the full send buffer at any time (it grows the buffer when a zero-window
;; probe is answered), and then a send goes through: the buffer is topped up and
;; the send repeated, within the same sample, which is then late, never early.
;; Exits 3 on another outcome or after 10 sends that went through.
(func $send_until_timeout
  (local $errno i32) (local $sends i32)
  (loop $send
    (i32.store (i32.const 0x0C78) (i32.const 0x2000))
    (i32.store (i32.const 0x0C7C) (i32.const 1))
    (local.set $errno (call $sock_send (i32.load (i32.const 0x0C44)) (i32.const 0x0C78)
      (i32.const 1) (i32.const 0) (i32.const 0x0C80)))
    (if (i32.eqz (local.get $errno))
      (then
        (local.set $sends (i32.add (local.get $sends) (i32.const 1)))
        (if (i32.ge_u (local.get $sends) (i32.const 10))
          (then (call $proc_exit (i32.const 3))))
        (call $top_up_send_buffer)
        (br $send))))
  (if (i32.ne (local.get $errno) (i32.const 73))
    (then (call $proc_exit (i32.const 3)))))

(func $socket_setup (param $ns i64)
  (if (i32.or (i32.eq (i32.const {{SOCKET_OP}}) (i32.const 1))
              (i32.eq (i32.const {{SOCKET_OP}}) (i32.const 6)))
    (then
      (call $connected_pair)
      (call $set_timeout (i32.load (i32.const 0x0C44)) (i32.const 19) (local.get $ns))))
  (if (i32.eq (i32.const {{SOCKET_OP}}) (i32.const 2))
    (then
      (call $loopback_addr (i32.const 0x0C20) (i32.const {{PEER_PORT}}))
      (call $open_client)
      (if (call $sock_connect (i32.load (i32.const 0x0C44)) (i32.const 0x0C20))
        (then (call $proc_exit (i32.const 7))))
      (call $fill_send_buffer)
      (call $set_timeout (i32.load (i32.const 0x0C44)) (i32.const 20) (local.get $ns))))
  (if (i32.eq (i32.const {{SOCKET_OP}}) (i32.const 3))
    (then
      (call $connected_pair)
      (call $set_timeout (i32.load (i32.const 0x0C40)) (i32.const 22) (local.get $ns))))
  (if (i32.eq (i32.const {{SOCKET_OP}}) (i32.const 4))
    (then (call $connected_pair)))
  (if (i32.eq (i32.const {{SOCKET_OP}}) (i32.const 5))
    (then (call $loopback_addr (i32.const 0x0C20) (i32.const {{PEER_PORT}}))))
  (global.set $sockets_ready (i32.const 1)))

(func $sleep_relative (param $ns i64)
  (if (i32.eqz (global.get $sockets_ready))
    (then (call $socket_setup (local.get $ns))))
  (if (i32.eq (i32.const {{SOCKET_OP}}) (i32.const 1))
    (then
      (i32.store (i32.const 0x0C78) (i32.const 0x0D58))
      (i32.store (i32.const 0x0C7C) (i32.const 8))
      (if (i32.ne (call $sock_recv (i32.load (i32.const 0x0C44)) (i32.const 0x0C78)
            (i32.const 1) (i32.const 0) (i32.const 0x0C80) (i32.const 0x0C84))
            (i32.const 73))
        (then (call $proc_exit (i32.const 3))))))
  (if (i32.eq (i32.const {{SOCKET_OP}}) (i32.const 2))
    (then (call $send_until_timeout)))
  (if (i32.eq (i32.const {{SOCKET_OP}}) (i32.const 3))
    (then
      (if (i32.ne (call $sock_accept (i32.load (i32.const 0x0C40)) (i32.const 0)
            (i32.const 0x0C4C) (i32.const 0x0C50))
            (i32.const 73))
        (then (call $proc_exit (i32.const 3))))))
  (if (i32.eq (i32.const {{SOCKET_OP}}) (i32.const 4))
    (then
      (i64.store (i32.const 0x0C90) (i64.const 1))             ;; sub 0: clock
      (i32.store8 (i32.const 0x0C98) (i32.const 0))
      (i32.store (i32.const 0x0CA0) (i32.const 1))
      (i64.store (i32.const 0x0CA8) (local.get $ns))
      (i64.store (i32.const 0x0CB0) (i64.const 0))
      (i32.store16 (i32.const 0x0CB8) (i32.const 0))
      (i64.store (i32.const 0x0CC0) (i64.const 2))             ;; sub 1: fd_read(client)
      (i32.store8 (i32.const 0x0CC8) (i32.const 1))
      (i32.store (i32.const 0x0CD0) (i32.load (i32.const 0x0C44)))
      (if (call $poll_oneoff (i32.const 0x0C90) (i32.const 0x0CF0) (i32.const 2)
            (i32.const 0x0D50))
        (then (call $proc_exit (i32.const 3))))
      (if (i32.ne (i32.load (i32.const 0x0D50)) (i32.const 1))
        (then (call $proc_exit (i32.const 3))))
      (if (i64.ne (i64.load (i32.const 0x0CF0)) (i64.const 1))
        (then (call $proc_exit (i32.const 3))))))
  (if (i32.eq (i32.const {{SOCKET_OP}}) (i32.const 5))
    (then
      (call $open_client)
      (call $set_timeout (i32.load (i32.const 0x0C44)) (i32.const 21) (local.get $ns))
      (if (i32.ne (call $sock_connect (i32.load (i32.const 0x0C44)) (i32.const 0x0C20))
            (i32.const 73))
        (then (call $proc_exit (i32.const 3))))
      (drop (call $fd_close (i32.load (i32.const 0x0C44))))))
  (if (i32.eq (i32.const {{SOCKET_OP}}) (i32.const 6))
    (then
      (i32.store (i32.const 0x0C78) (i32.const 0x0D58))
      (i32.store (i32.const 0x0C7C) (i32.const 8))
      (if (i32.ne (call $fd_read (i32.load (i32.const 0x0C44)) (i32.const 0x0C78)
            (i32.const 1) (i32.const 0x0C80))
            (i32.const 6))
        (then (call $proc_exit (i32.const 3)))))))
