//! Loopback TCP peers that the test process holds for the socket-timeout guests
//! (`guests/include/sleep_socket.wat`): the ends a guest cannot make itself,
//! because WASIX on the host network ignores the socket buffer sizes and the
//! listen backlog a guest asks for.

use std::io;
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;

/// The receive buffer of a [`Peer::Sink`] connection, in bytes (Linux doubles it).
const SINK_RCVBUF: libc::c_int = 4096;

/// What a guest meets at the peer's port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeerKind {
    /// A listener whose connections nobody accepts or reads, with a small fixed
    /// receive buffer: a guest that sends to it fills its send buffer for good,
    /// and then every blocking send waits for its send timeout.
    Sink,
    /// A listener whose accept queue is full: the kernel drops the SYN of every
    /// new connection, so a blocking connect waits for its connect timeout.
    FullQueue,
}

/// A loopback listener of one [`PeerKind`], kept open as long as this lives.
#[derive(Debug)]
pub struct Peer {
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
            listener,
            _filler: filler,
        })
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
    fn a_sink_fills_a_send_buffer_that_then_stays_full() {
        let peer = Peer::new(PeerKind::Sink).unwrap();
        let mut client = TcpStream::connect((Ipv4Addr::LOCALHOST, peer.port())).unwrap();
        client.set_nonblocking(true).unwrap();
        let chunk = [0u8; 65536];
        let mut fill = || loop {
            match io::Write::write(&mut client, &chunk) {
                Ok(_) => {}
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(e) => panic!("{e}"),
            }
        };
        fill();
        std::thread::sleep(Duration::from_millis(50));
        fill();
        std::thread::sleep(Duration::from_millis(50));
        let err = io::Write::write(&mut client, &chunk[..1]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WouldBlock);
    }
}
