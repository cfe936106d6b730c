//! The `poll(2)` backend.
//!
//! Keeps a dense `pollfd` array and a parallel token array; a map from
//! descriptor to index makes re-registration O(1), and removal swaps the
//! last entry into the hole. Keyed by descriptor, as epoll is: a descriptor
//! is registered once.

use super::{Event, Interest};
use crate::sys;
use std::collections::HashMap;
use std::io;
use std::os::fd::RawFd;
use std::time::Duration;

/// A `poll()` interest set.
#[derive(Default)]
pub struct PollSet {
    /// What the kernel is asked about, one entry per registration.
    fds: Vec<libc::pollfd>,
    /// The token of each entry of `fds`, at the same index.
    tokens: Vec<u64>,
    /// Where each descriptor's entry is.
    index: HashMap<RawFd, usize>,
}

/// The one mapping from an [`Interest`] to poll's event bits.
fn bits(interest: Interest) -> libc::c_short {
    let mut bits = 0;
    if interest.read {
        bits |= libc::POLLIN | libc::POLLRDHUP;
    }
    if interest.write {
        bits |= libc::POLLOUT;
    }
    bits
}

fn not_found() -> io::Error {
    io::Error::new(io::ErrorKind::NotFound, "descriptor not registered")
}

impl PollSet {
    pub fn new() -> PollSet {
        PollSet::default()
    }

    pub fn register(&mut self, fd: RawFd, token: u64, interest: Interest) -> io::Result<()> {
        if self.index.contains_key(&fd) {
            return Err(io::Error::new(io::ErrorKind::AlreadyExists, "descriptor already registered"));
        }
        self.index.insert(fd, self.fds.len());
        self.fds.push(libc::pollfd { fd, events: bits(interest), revents: 0 });
        self.tokens.push(token);
        Ok(())
    }

    pub fn reregister(&mut self, fd: RawFd, token: u64, interest: Interest) -> io::Result<()> {
        let i = *self.index.get(&fd).ok_or_else(not_found)?;
        self.fds[i] = libc::pollfd { fd, events: bits(interest), revents: 0 };
        self.tokens[i] = token;
        Ok(())
    }

    pub fn deregister(&mut self, fd: RawFd) -> io::Result<()> {
        let i = self.index.remove(&fd).ok_or_else(not_found)?;
        self.fds.swap_remove(i);
        self.tokens.swap_remove(i);
        if let Some(moved) = self.fds.get(i) {
            self.index.insert(moved.fd, i);
        }
        Ok(())
    }

    pub fn wait(&mut self, events: &mut Vec<Event>, timeout: Option<Duration>) -> io::Result<()> {
        let ready = sys::poll(&mut self.fds, sys::timeout_ms(timeout))?;
        if ready == 0 {
            return Ok(());
        }
        for (pfd, &token) in self.fds.iter().zip(&self.tokens) {
            let r = pfd.revents;
            if r == 0 {
                continue;
            }
            events.push(Event {
                token,
                readable: r & (libc::POLLIN | libc::POLLRDHUP) != 0,
                writable: r & libc::POLLOUT != 0,
                closed: r & (libc::POLLERR | libc::POLLHUP | libc::POLLNVAL) != 0,
            });
        }
        Ok(())
    }
}
