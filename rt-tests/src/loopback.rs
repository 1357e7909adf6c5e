//! Loopback TCP peers that the test process holds for the socket-timeout guests
//! (`guests/include/sleep_socket.wat`): the ends a guest cannot make itself,
//! because WASIX on the host network ignores the socket buffer sizes and the
//! listen backlog a guest asks for.

use std::io;
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;

/// The receive buffer of a [`PeerKind::Sink`] connection, in bytes (Linux doubles it).
const SINK_RCVBUF: libc::c_int = 4096;

/// What a guest meets at the peer's port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeerKind {
    /// A listener whose connections nobody reads, with a small fixed receive
    /// buffer: a guest that sends to it fills its send buffer, and then a
    /// blocking send waits for its send timeout. (The kernel can still make room
    /// in the sender's buffer later, when a zero-window probe is answered; the
    /// guest tops the buffer up then, see `sleep_socket.wat`.)
    Sink,
    /// A listener whose accept queue is full: the kernel drops the SYN of every
    /// new connection, so a blocking connect waits for its connect timeout.
    FullQueue,
}

/// A loopback listener of one [`PeerKind`], kept open as long as this lives.
#[derive(Debug)]
pub struct Peer {
    kind: PeerKind,
    listener: TcpListener,
    /// For [`PeerKind::FullQueue`], the connection that fills the queue.
    _filler: Option<TcpStream>,
}

impl Peer {
    /// Opens a listener on 127.0.0.1 with a port the kernel picks.
    pub fn new(kind: PeerKind) -> io::Result<Self> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        let fd = listener.as_raw_fd();
        let filler = match kind {
            PeerKind::Sink => {
                // Accepted connections inherit the listener's receive buffer; a
                // size set by hand also turns the kernel's autotuning off.
                setsockopt(fd, libc::SOL_SOCKET, libc::SO_RCVBUF, SINK_RCVBUF)?;
                None
            }
            PeerKind::FullQueue => {
                // Listening again changes the backlog: with 0, one connection
                // waiting for accept fills the queue.
                // SAFETY: `fd` is the listener's open socket.
                if unsafe { libc::listen(fd, 0) } != 0 {
                    return Err(io::Error::last_os_error());
                }
                Some(TcpStream::connect(listener.local_addr()?)?)
            }
        };
        Ok(Peer {
            kind,
            listener,
            _filler: filler,
        })
    }

    /// Closes the connections of earlier runs, so that a peer used for many runs
    /// never fills its accept queue. Call it only while no guest of this peer
    /// runs: a [`PeerKind::Sink`] accepts and drops every queued connection; a
    /// [`PeerKind::FullQueue`] keeps its queue full.
    pub fn forget_finished_runs(&self) -> io::Result<()> {
        if self.kind != PeerKind::Sink {
            return Ok(());
        }
        self.listener.set_nonblocking(true)?;
        loop {
            match self.listener.accept() {
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) => return Err(e),
            }
        }
    }

    /// The listener's port.
    pub fn port(&self) -> u16 {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
            .port()
    }
}

fn setsockopt(
    fd: libc::c_int,
    level: libc::c_int,
    name: libc::c_int,
    value: libc::c_int,
) -> io::Result<()> {
    // SAFETY: `value` is a valid c_int for the duration of the call, and its size
    // is passed with it.
    let rc = unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            (&value as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::ErrorKind;
    use std::time::Duration;

    #[test]
    fn a_connect_to_a_full_queue_does_not_complete() {
        let peer = Peer::new(PeerKind::FullQueue).unwrap();
        let addr = (Ipv4Addr::LOCALHOST, peer.port()).into();
        let err = TcpStream::connect_timeout(&addr, Duration::from_millis(20)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::TimedOut, "{err}");
    }

    #[test]
    fn a_sink_takes_a_bounded_amount_and_then_blocks_the_sender() {
        let peer = Peer::new(PeerKind::Sink).unwrap();
        let mut client = TcpStream::connect((Ipv4Addr::LOCALHOST, peer.port())).unwrap();
        client.set_nonblocking(true).unwrap();
        let chunk = [0u8; 65536];
        let mut sent = 0usize;
        loop {
            match io::Write::write(&mut client, &chunk) {
                Ok(n) => sent += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) => panic!("{e}"),
            }
            assert!(sent < 64 << 20, "the sink took {sent} bytes");
        }
        assert!(sent > 0);
    }

    #[test]
    fn forgetting_finished_runs_empties_a_sinks_queue_and_keeps_a_full_one_full() {
        let sink = Peer::new(PeerKind::Sink).unwrap();
        let runs: Vec<_> = (0..3)
            .map(|_| TcpStream::connect((Ipv4Addr::LOCALHOST, sink.port())).unwrap())
            .collect();
        sink.forget_finished_runs().unwrap();
        let err = sink.listener.accept().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WouldBlock);
        drop(runs);
        let full = Peer::new(PeerKind::FullQueue).unwrap();
        full.forget_finished_runs().unwrap();
        let addr = (Ipv4Addr::LOCALHOST, full.port()).into();
        let err = TcpStream::connect_timeout(&addr, Duration::from_millis(20)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::TimedOut, "{err}");
    }
}
