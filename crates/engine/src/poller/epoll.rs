//! The `epoll(7)` backend, level-triggered.

use super::{Event, Interest};
use crate::sys;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::time::Duration;

/// Events fetched per `epoll_wait`; more stay queued in the kernel for the next wait.
const EVENTS_PER_WAIT: usize = 1024;

/// An epoll instance and its event buffer.
pub struct Epoll {
    /// The epoll descriptor.
    fd: OwnedFd,
    /// Reused buffer the kernel fills.
    raw: Vec<libc::epoll_event>,
}

/// The one mapping from an [`Interest`] to epoll's event bits.
fn bits(interest: Interest) -> u32 {
    let mut bits = 0;
    if interest.read {
        bits |= libc::EPOLLIN as u32 | libc::EPOLLRDHUP as u32;
    }
    if interest.write {
        bits |= libc::EPOLLOUT as u32;
    }
    bits
}

impl Epoll {
    pub fn new() -> io::Result<Epoll> {
        Ok(Epoll { fd: sys::epoll_create()?, raw: Vec::with_capacity(EVENTS_PER_WAIT) })
    }

    pub fn register(&mut self, fd: RawFd, token: u64, interest: Interest) -> io::Result<()> {
        sys::epoll_ctl(self.fd.as_raw_fd(), libc::EPOLL_CTL_ADD, fd, bits(interest), token)
    }

    pub fn reregister(&mut self, fd: RawFd, token: u64, interest: Interest) -> io::Result<()> {
        sys::epoll_ctl(self.fd.as_raw_fd(), libc::EPOLL_CTL_MOD, fd, bits(interest), token)
    }

    pub fn deregister(&mut self, fd: RawFd) -> io::Result<()> {
        sys::epoll_ctl(self.fd.as_raw_fd(), libc::EPOLL_CTL_DEL, fd, 0, 0)
    }

    pub fn wait(&mut self, events: &mut Vec<Event>, timeout: Option<Duration>) -> io::Result<()> {
        sys::epoll_wait(self.fd.as_raw_fd(), &mut self.raw, sys::timeout_ms(timeout))?;
        events.extend(self.raw.iter().map(|e| {
            let bits = e.events;
            Event {
                token: e.u64,
                readable: bits & (libc::EPOLLIN | libc::EPOLLRDHUP) as u32 != 0,
                writable: bits & libc::EPOLLOUT as u32 != 0,
                closed: bits & (libc::EPOLLERR | libc::EPOLLHUP) as u32 != 0,
            }
        }));
        Ok(())
    }
}
