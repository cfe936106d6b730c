//! Clients turned away at the connection limit, closed with care.
//!
//! A client past `max_connections` gets the service's busy reply and the
//! write side shut. Closing the socket at once would be wrong: a client
//! that has already sent its request (HTTP and Redis clients do) leaves
//! unread bytes behind, and closing with unread input makes the kernel
//! send a reset, which can destroy the busy reply before the client reads
//! it. So each such socket stays open, watched for reading, its input
//! discarded, until the client's EOF or a short deadline. They hold no
//! connection slot and no service state, and there are at most
//! [`MAX_LINGERING`] of them; past that a socket is closed at once.

use std::io;
use std::net::TcpStream;
use std::os::fd::{AsRawFd, RawFd};
use std::time::Instant;

use crate::poller::{Event, Interest, Poller};
use crate::sys;

/// Reads and drops what the socket has, as a lingering close does; true
/// once it is finished (the client's EOF, or an error). A short read ends
/// it: readiness is level-triggered, so the rest reports again.
pub fn discard_input(fd: RawFd, scratch: &mut [u8]) -> bool {
    loop {
        match sys::recv(fd, scratch) {
            Ok(0) => return true,
            Ok(n) if n < scratch.len() => return false,
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return e.kind() != io::ErrorKind::WouldBlock,
        }
    }
}

/// Most turned-away sockets lingering at once, per loop.
pub const MAX_LINGERING: usize = 1024;

/// The lingering turned-away sockets of one loop.
pub struct TurnedAway {
    /// Slots, each a socket and its close deadline.
    slots: Vec<Option<(TcpStream, Instant)>>,
    free: Vec<usize>,
    /// Slots in use.
    live: usize,
    /// Poller token of slot 0.
    token_base: u64,
}

impl TurnedAway {
    pub fn new(token_base: u64) -> TurnedAway {
        TurnedAway { slots: Vec::new(), free: Vec::new(), live: 0, token_base }
    }

    /// Whether `token` is one of ours.
    pub fn owns(&self, token: u64) -> bool {
        token >= self.token_base && token < self.token_base + MAX_LINGERING as u64
    }

    /// Sends `reply`, shuts the write side and keeps the socket until its
    /// EOF or `until`.
    pub fn add(&mut self, poller: &mut Poller, sock: TcpStream, reply: Option<&[u8]>, until: Instant) {
        let fd = sock.as_raw_fd();
        if let Some(reply) = reply {
            let _ = sys::sendmsg(fd, &[reply]);
        }
        if sys::shutdown_write(fd).is_err() {
            return; // already gone
        }
        let slot = match self.free.pop() {
            Some(s) => s,
            None if self.slots.len() < MAX_LINGERING => {
                self.slots.push(None);
                self.slots.len() - 1
            }
            None => return, // too many: close now, as a last resort
        };
        if poller.register(fd, self.token_base + slot as u64, Interest::READ).is_err() {
            self.free.push(slot);
            return;
        }
        self.slots[slot] = Some((sock, until));
        self.live += 1;
    }

    /// Discards what the client sent; closes on its EOF or an error.
    pub fn on_event(&mut self, poller: &mut Poller, ev: &Event, scratch: &mut [u8]) {
        let slot = (ev.token - self.token_base) as usize;
        let Some((sock, _)) = self.slots.get(slot).and_then(Option::as_ref) else { return };
        if ev.closed || discard_input(sock.as_raw_fd(), scratch) {
            self.close(poller, slot);
        }
    }

    /// Closes the sockets whose deadline passed.
    pub fn expire(&mut self, poller: &mut Poller, now: Instant) {
        if self.live == 0 {
            return;
        }
        for slot in 0..self.slots.len() {
            if self.slots[slot].as_ref().is_some_and(|(_, until)| *until <= now) {
                self.close(poller, slot);
            }
        }
    }

    /// The nearest deadline, if any socket lingers.
    pub fn next_deadline(&self) -> Option<Instant> {
        if self.live == 0 {
            return None;
        }
        self.slots.iter().flatten().map(|(_, until)| *until).min()
    }

    fn close(&mut self, poller: &mut Poller, slot: usize) {
        if let Some((sock, _)) = self.slots[slot].take() {
            let _ = poller.deregister(sock.as_raw_fd());
            self.free.push(slot);
            self.live -= 1;
        }
    }
}
