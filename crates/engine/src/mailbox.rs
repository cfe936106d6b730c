//! The way back to an I/O loop: queues that any thread pushes onto, and a
//! coalesced eventfd wake-up.
//!
//! Push, then wake; the wake writes the eventfd only if no wake is already
//! pending, so a burst of completions costs the loop one wake-up. The loop
//! clears the pending flag *before* it drains the queues: a push that lands
//! after the drain then sees the flag clear and wakes the loop again, so no
//! wake-up is lost (see the stress test below).

use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use crate::service::ConnId;
use crate::sys;

/// An eventfd with a "wake already pending" flag.
pub struct Waker {
    /// Readable while a wake-up is pending.
    fd: OwnedFd,
    /// Set by the first waker since the loop last cleared it.
    pending: AtomicBool,
}

impl Waker {
    pub fn new() -> std::io::Result<Waker> {
        Ok(Waker { fd: sys::eventfd()?, pending: AtomicBool::new(false) })
    }

    /// Wakes the loop unless a wake-up is already pending.
    pub fn wake(&self) {
        if !self.pending.swap(true, Ordering::AcqRel) {
            sys::eventfd_write(self.fd.as_raw_fd());
        }
    }

    /// Called by the loop before it drains its queues.
    pub fn reset(&self) {
        self.pending.store(false, Ordering::Release);
        sys::eventfd_read(self.fd.as_raw_fd());
    }

    pub fn fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

/// A message for a loop about one of its connections.
pub enum Note {
    /// Append these bytes to the connection's output.
    Send(ConnId, Vec<u8>),
    /// Close the connection once its output is written.
    Close(ConnId),
}

/// A loop's queue of notes from other threads, and its waker.
pub struct Inbox {
    pub waker: Waker,
    notes: Mutex<Vec<Note>>,
}

impl Inbox {
    pub fn new() -> std::io::Result<Inbox> {
        Ok(Inbox { waker: Waker::new()?, notes: Mutex::new(Vec::new()) })
    }

    /// Queues a note and wakes the loop.
    pub fn post(&self, note: Note) {
        self.notes.lock().unwrap_or_else(|e| e.into_inner()).push(note);
        self.waker.wake();
    }

    /// Swaps the queued notes into `into` (which must be empty).
    pub fn take(&self, into: &mut Vec<Note>) {
        std::mem::swap(&mut *self.notes.lock().unwrap_or_else(|e| e.into_inner()), into);
    }
}

/// A loop's queue of finished tasks, woken through the inbox's waker.
pub struct Completions<T> {
    done: Mutex<Vec<T>>,
}

impl<T> Completions<T> {
    pub fn new() -> Completions<T> {
        Completions { done: Mutex::new(Vec::new()) }
    }

    /// Queues a finished task; the caller then wakes the loop.
    pub fn push(&self, item: T) {
        self.done.lock().unwrap_or_else(|e| e.into_inner()).push(item);
    }

    /// Swaps the finished tasks into `into` (which must be empty).
    pub fn take(&self, into: &mut Vec<T>) {
        std::mem::swap(&mut *self.done.lock().unwrap_or_else(|e| e.into_inner()), into);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    /// Producers push numbered items and wake; the consumer sleeps in
    /// `poll` on the eventfd with no timeout but a generous watchdog. A lost
    /// wake-up would leave items queued while the consumer sleeps, and the
    /// watchdog would fire.
    #[test]
    fn no_wake_up_is_lost_between_push_and_drain() {
        const PRODUCERS: usize = 4;
        const ITEMS: usize = 20_000;
        let inbox = Arc::new(Inbox::new().unwrap());
        let done = Arc::new(Completions::<usize>::new());
        let threads: Vec<_> = (0..PRODUCERS)
            .map(|p| {
                let (inbox, done) = (inbox.clone(), done.clone());
                std::thread::spawn(move || {
                    for i in 0..ITEMS {
                        done.push(p * ITEMS + i);
                        inbox.waker.wake();
                        if i % 64 == 0 {
                            std::thread::yield_now();
                        }
                    }
                })
            })
            .collect();
        let mut seen = 0;
        let mut batch = Vec::new();
        let mut wakes = 0;
        let deadline = Instant::now() + Duration::from_secs(60);
        while seen < PRODUCERS * ITEMS {
            let mut pfd = [libc::pollfd { fd: inbox.waker.fd(), events: libc::POLLIN, revents: 0 }];
            let ready = sys::poll(&mut pfd, 5_000).unwrap();
            assert!(ready == 1, "lost wake-up: {seen} items seen, the rest never signalled");
            wakes += 1;
            inbox.waker.reset();
            done.take(&mut batch);
            seen += batch.len();
            batch.clear();
            assert!(Instant::now() < deadline);
        }
        for t in threads {
            t.join().unwrap();
        }
        assert!(wakes <= PRODUCERS * ITEMS);
    }
}
