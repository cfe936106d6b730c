//! Connections in their preface: accepted, but not the service's yet,
//! because a PROXY protocol header must come first.
//!
//! This is a phase of its own, before `Service::open` and before the
//! connection takes a slot: the header says who the client is, and the
//! service must see that address from its first call. What the preface
//! ends with ([`Prefaced`]) is a socket, the client's address and the
//! bytes read past the header; on a listener that also speaks TLS those
//! bytes are the start of the handshake, and the reactor's `open` gives
//! them to the connection's TLS session.
//!
//! Each socket is watched for reading under a token of its own, read in
//! small pieces (a header split over many segments, even one byte at a
//! time, is still read), and closed if the header is refused or late.
//! They count as open connections (`max_connections` bounds them), and
//! hold at most a header and one read of memory each.

use std::io;
use std::net::{SocketAddr, TcpStream};
use std::os::fd::AsRawFd;
use std::time::Instant;

use crate::poller::{Interest, Poller};
use crate::proxy::{Arrived, HeaderRead, Progress, Refusal, HEADER_READ_BYTES};
use crate::sys;

/// A connection whose preface is over: the service's now.
pub struct Prefaced {
    pub sock: TcpStream,
    /// The listener it came from.
    pub listener: usize,
    /// The address the client connected to, on this host.
    pub local: SocketAddr,
    /// The proxy's own address (the socket's peer).
    pub via: SocketAddr,
    /// What the header said, and what followed it.
    pub arrived: Arrived,
}

/// What an event on a connection in its preface came to.
pub enum Outcome {
    /// Nothing yet.
    Waiting,
    /// The header is whole; the connection is out of this set.
    Done(Prefaced),
    /// The header was refused; the connection is closed. The real peer.
    Refused(SocketAddr, Refusal),
}

struct Pending {
    sock: TcpStream,
    listener: usize,
    peer: SocketAddr,
    local: SocketAddr,
    read: HeaderRead,
    /// The header must be whole by then.
    until: Instant,
}

/// A loop's connections in their preface.
pub struct Prefaces {
    slots: Vec<Option<Pending>>,
    free: Vec<usize>,
    /// Slots in use.
    live: usize,
    /// Poller token of slot 0.
    token_base: u64,
}

impl Prefaces {
    pub fn new(token_base: u64) -> Prefaces {
        Prefaces { slots: Vec::new(), free: Vec::new(), live: 0, token_base }
    }

    /// Whether `token` is one of ours.
    pub fn owns(&self, token: u64) -> bool {
        token >= self.token_base && token < self.token_base + self.slots.len() as u64
    }

    /// Connections in their preface now.
    pub fn len(&self) -> usize {
        self.live
    }

    /// Starts a connection's preface: its header must be whole by `until`.
    /// Returns its poller token.
    ///
    /// # Errors
    ///
    /// Registering the socket failed; it is closed.
    pub fn add(
        &mut self,
        poller: &mut Poller,
        sock: TcpStream,
        listener: usize,
        (peer, local): (SocketAddr, SocketAddr),
        until: Instant,
    ) -> io::Result<u64> {
        let slot = self.free.pop().unwrap_or_else(|| {
            self.slots.push(None);
            self.slots.len() - 1
        });
        if let Err(e) = poller.register(sock.as_raw_fd(), self.token_base + slot as u64, Interest::READ) {
            self.free.push(slot);
            return Err(e);
        }
        self.slots[slot] = Some(Pending { sock, listener, peer, local, read: HeaderRead::default(), until });
        self.live += 1;
        Ok(self.token_base + slot as u64)
    }

    /// Reads what the socket has, until the header is whole, refused, or
    /// the socket is empty for now.
    pub fn on_readable(&mut self, poller: &mut Poller, token: u64, scratch: &mut [u8]) -> Outcome {
        let slot = (token - self.token_base) as usize;
        let Some(p) = self.slots.get_mut(slot).and_then(Option::as_mut) else { return Outcome::Waiting };
        let scratch = &mut scratch[..HEADER_READ_BYTES];
        let progress = loop {
            match sys::recv(p.sock.as_raw_fd(), scratch) {
                Ok(0) => break Progress::Refused(Refusal::Truncated),
                Ok(n) => match p.read.feed(&scratch[..n], p.peer) {
                    Progress::More => continue,
                    decided => break decided,
                },
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Outcome::Waiting,
                Err(_) => break Progress::Refused(Refusal::Truncated),
            }
        };
        let p = self.take(poller, slot).expect("the slot was live");
        match progress {
            Progress::Whole(arrived) => {
                Outcome::Done(Prefaced { sock: p.sock, listener: p.listener, local: p.local, via: p.peer, arrived })
            }
            Progress::Refused(why) => Outcome::Refused(p.peer, why),
            Progress::More => unreachable!("the loop reads on while more is wanted"),
        }
    }

    /// Closes the connections whose header is late; their real peers.
    pub fn expire(&mut self, poller: &mut Poller, now: Instant) -> Vec<SocketAddr> {
        let mut late = Vec::new();
        if self.live == 0 {
            return late;
        }
        for slot in 0..self.slots.len() {
            if self.slots[slot].as_ref().is_some_and(|p| p.until <= now) {
                late.extend(self.take(poller, slot).map(|p| p.peer));
            }
        }
        late
    }

    /// The nearest deadline, if any connection is in its preface.
    pub fn next_deadline(&self) -> Option<Instant> {
        if self.live == 0 {
            return None;
        }
        self.slots.iter().flatten().map(|p| p.until).min()
    }

    /// Closes every connection in its preface (the drain's deadline);
    /// how many there were.
    pub fn close_all(&mut self, poller: &mut Poller) -> usize {
        let n = self.live;
        for slot in 0..self.slots.len() {
            self.take(poller, slot);
        }
        n
    }

    fn take(&mut self, poller: &mut Poller, slot: usize) -> Option<Pending> {
        let p = self.slots[slot].take()?;
        let _ = poller.deregister(p.sock.as_raw_fd());
        self.free.push(slot);
        self.live -= 1;
        Some(p)
    }
}
