//! Readiness notification: one interface, two backends.
//!
//! Both backends are level-triggered: a socket is reported on every wait
//! while it is ready and its interest is armed. The caller keeps interests
//! accurate (it disarms reading when it pauses a connection, and arms
//! writing only while output is pending), so both report the same events
//! for the same sockets. Errors and hang-ups are reported whatever the
//! interest, as the kernel does for `epoll` and `poll` alike.
//!
//! # Portability
//!
//! A wait may return spuriously, with no events or with events for a socket
//! that is no longer ready; callers treat readiness as a hint and let
//! `WouldBlock` tell them the truth.

mod epoll;
mod poll;

use std::fmt;
use std::io;
use std::os::fd::RawFd;
use std::str::FromStr;
use std::time::Duration;

/// Which readiness events a registration asks for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Interest {
    /// Report when the socket has bytes (or EOF, or a pending connection).
    pub read: bool,
    /// Report when the socket has room to write.
    pub write: bool,
}

impl Interest {
    /// Neither: only errors and hang-ups are reported.
    pub const NONE: Interest = Interest { read: false, write: false };
    /// Reading only.
    pub const READ: Interest = Interest { read: true, write: false };
    /// Writing only.
    pub const WRITE: Interest = Interest { read: false, write: true };
}

/// One readiness report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event {
    /// The token the socket was registered with.
    pub token: u64,
    /// Bytes, EOF or a connection are waiting.
    pub readable: bool,
    /// There is room to write.
    pub writable: bool,
    /// An error or a hang-up in both directions: the socket is finished.
    pub closed: bool,
}

/// The readiness backends.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Kind {
    /// `epoll(7)`: O(ready) per wait. The default.
    #[default]
    Epoll,
    /// `poll(2)`: O(registered) per wait; portable and simple.
    Poll,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Epoll => "epoll",
            Kind::Poll => "poll",
        })
    }
}

impl FromStr for Kind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "epoll" => Ok(Kind::Epoll),
            "poll" => Ok(Kind::Poll),
            other => Err(format!("unknown poller `{other}` (expected `epoll` or `poll`)")),
        }
    }
}

/// A readiness poller: register sockets under tokens, then wait for events.
pub enum Poller {
    /// The `epoll` backend.
    Epoll(epoll::Epoll),
    /// The `poll()` backend.
    Poll(poll::PollSet),
}

impl Poller {
    /// Creates a poller of the given kind.
    ///
    /// # Errors
    ///
    /// The creating syscall's error (`epoll_create1`), e.g. `EMFILE`.
    pub fn new(kind: Kind) -> io::Result<Poller> {
        Ok(match kind {
            Kind::Epoll => Poller::Epoll(epoll::Epoll::new()?),
            Kind::Poll => Poller::Poll(poll::PollSet::new()),
        })
    }

    /// Which backend this is.
    pub fn kind(&self) -> Kind {
        match self {
            Poller::Epoll(_) => Kind::Epoll,
            Poller::Poll(_) => Kind::Poll,
        }
    }

    /// Starts watching `fd` under `token`.
    ///
    /// # Errors
    ///
    /// `epoll_ctl(EPOLL_CTL_ADD)`'s error; `poll` registration cannot fail.
    pub fn register(&mut self, fd: RawFd, token: u64, interest: Interest) -> io::Result<()> {
        match self {
            Poller::Epoll(p) => p.register(fd, token, interest),
            Poller::Poll(p) => p.register(fd, token, interest),
        }
    }

    /// Changes what `fd` (registered under `token`) is watched for.
    ///
    /// # Errors
    ///
    /// `epoll_ctl(EPOLL_CTL_MOD)`'s error, or `NotFound` for an unknown
    /// descriptor.
    pub fn reregister(&mut self, fd: RawFd, token: u64, interest: Interest) -> io::Result<()> {
        match self {
            Poller::Epoll(p) => p.reregister(fd, token, interest),
            Poller::Poll(p) => p.reregister(fd, token, interest),
        }
    }

    /// Stops watching `fd`. Call it before closing the descriptor.
    ///
    /// # Errors
    ///
    /// `epoll_ctl(EPOLL_CTL_DEL)`'s error, or `NotFound` for an unknown
    /// descriptor.
    pub fn deregister(&mut self, fd: RawFd) -> io::Result<()> {
        match self {
            Poller::Epoll(p) => p.deregister(fd),
            Poller::Poll(p) => p.deregister(fd),
        }
    }

    /// Waits until a registered socket is ready or `timeout` passes
    /// (`None`: no limit), replacing `events` with what is ready.
    ///
    /// An interrupted wait (`EINTR`) returns `Ok` with no events.
    ///
    /// # Errors
    ///
    /// The waiting syscall's error other than `EINTR`.
    pub fn wait(&mut self, events: &mut Vec<Event>, timeout: Option<Duration>) -> io::Result<()> {
        events.clear();
        let res = match self {
            Poller::Epoll(p) => p.wait(events, timeout),
            Poller::Poll(p) => p.wait(events, timeout),
        };
        match res {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(()),
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::net::{TcpListener, TcpStream};
    use std::os::fd::AsRawFd;

    fn pair() -> (TcpStream, TcpStream) {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let a = TcpStream::connect(l.local_addr().unwrap()).unwrap();
        let (b, _) = l.accept().unwrap();
        b.set_nonblocking(true).unwrap();
        (a, b)
    }

    fn wait(p: &mut Poller) -> Vec<Event> {
        let mut events = Vec::new();
        p.wait(&mut events, Some(Duration::from_millis(200))).unwrap();
        events
    }

    fn each_backend(f: impl Fn(Poller)) {
        for kind in [Kind::Epoll, Kind::Poll] {
            f(Poller::new(kind).unwrap());
        }
    }

    #[test]
    fn readable_is_reported_until_the_bytes_are_read() {
        each_backend(|mut p| {
            let (mut client, server) = pair();
            p.register(server.as_raw_fd(), 7, Interest::READ).unwrap();
            assert!(wait(&mut p).is_empty(), "{:?}", p.kind());
            client.write_all(b"hi").unwrap();
            for _ in 0..2 {
                let ev = wait(&mut p);
                assert_eq!(ev.len(), 1);
                assert_eq!(ev[0].token, 7);
                assert!(ev[0].readable && !ev[0].writable);
            }
            let mut buf = [0u8; 8];
            assert_eq!(crate::sys::recv(server.as_raw_fd(), &mut buf).unwrap(), 2);
            assert!(wait(&mut p).is_empty());
        });
    }

    #[test]
    fn disarmed_interest_reports_nothing_and_rearming_reports_again() {
        each_backend(|mut p| {
            let (mut client, server) = pair();
            p.register(server.as_raw_fd(), 1, Interest::READ).unwrap();
            client.write_all(b"x").unwrap();
            p.reregister(server.as_raw_fd(), 1, Interest::NONE).unwrap();
            assert!(wait(&mut p).is_empty());
            p.reregister(server.as_raw_fd(), 1, Interest { read: true, write: true }).unwrap();
            let ev = wait(&mut p);
            assert!(ev[0].readable && ev[0].writable);
        });
    }

    #[test]
    fn deregistered_sockets_are_forgotten() {
        each_backend(|mut p| {
            let (mut c1, s1) = pair();
            let (mut c2, s2) = pair();
            p.register(s1.as_raw_fd(), 1, Interest::READ).unwrap();
            p.register(s2.as_raw_fd(), 2, Interest::READ).unwrap();
            p.deregister(s1.as_raw_fd()).unwrap();
            c1.write_all(b"x").unwrap();
            c2.write_all(b"x").unwrap();
            let ev = wait(&mut p);
            assert_eq!(ev.iter().map(|e| e.token).collect::<Vec<_>>(), vec![2]);
        });
    }

    #[test]
    fn a_reset_is_reported_as_closed_even_without_interest() {
        each_backend(|mut p| {
            let (client, server) = pair();
            p.register(server.as_raw_fd(), 3, Interest::NONE).unwrap();
            // SO_LINGER 0 makes close send RST.
            let linger = libc::linger { l_onoff: 1, l_linger: 0 };
            // SAFETY: a live linger struct of the size passed.
            unsafe {
                libc::setsockopt(
                    client.as_raw_fd(),
                    libc::SOL_SOCKET,
                    libc::SO_LINGER,
                    &linger as *const _ as *const libc::c_void,
                    std::mem::size_of::<libc::linger>() as u32,
                )
            };
            drop(client);
            let ev = wait(&mut p);
            assert_eq!(ev.len(), 1);
            assert!(ev[0].closed, "{:?} {:?}", p.kind(), ev);
        });
    }

    #[test]
    fn poller_names_parse_and_print() {
        assert_eq!("poll".parse::<Kind>().unwrap(), Kind::Poll);
        assert_eq!(Kind::Epoll.to_string(), "epoll");
        assert!("kqueue".parse::<Kind>().unwrap_err().contains("kqueue"));
    }
}
