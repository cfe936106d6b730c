//! The way back to an I/O loop: queues that any thread pushes onto, and a
//! coalesced eventfd wake-up.
//!
//! Push, then wake. A waker writes the eventfd only when the loop may be
//! asleep and no wake-up is signalled yet, so a loop that is busy costs its
//! wakers nothing, and a burst of completions costs a sleeping loop one
//! wake-up (the Redis I/O-thread rule). Before it sleeps the loop clears
//! the flag, *then* takes a last look at its queues: a push that lands
//! after that look sees the flag clear and signals, so no wake-up is lost
//! (see the loom model and the stress test below).
//!
//! A *quiet* completion (a direct-mode task that wrote all its output and
//! asks nothing of the loop) need not wake the loop at all: the loop takes
//! it the next time it wakes for anything else, which is typically the
//! client's next request on that very socket. It wakes the loop only if
//! the loop said, before its last look, that it is waiting for a task to
//! come back (it has buffered input, a close or a note for a connection
//! whose task is out, or it is draining). The loop sets that flag before
//! it arms, and a quiet waker reads it after its push, so a push the last
//! look missed sees the flag (see the second loom model).

#[cfg(loom)]
use loom::sync::{
    atomic::{AtomicBool, Ordering},
    Mutex,
};
#[cfg(not(loom))]
use std::sync::{
    atomic::{AtomicBool, Ordering},
    Mutex,
};

use crate::service::ConnId;

/// The kernel object a sleeping loop waits on: an eventfd.
#[cfg(not(loom))]
struct Signal(std::os::fd::OwnedFd);

#[cfg(not(loom))]
impl Signal {
    fn new() -> std::io::Result<Signal> {
        crate::sys::eventfd().map(Signal)
    }

    fn raise(&self) {
        crate::sys::eventfd_write(std::os::fd::AsRawFd::as_raw_fd(&self.0));
    }

    fn lower(&self) {
        crate::sys::eventfd_read(std::os::fd::AsRawFd::as_raw_fd(&self.0));
    }
}

/// Under the model checker, the eventfd is a flag.
#[cfg(loom)]
struct Signal(AtomicBool);

#[cfg(loom)]
impl Signal {
    fn new() -> std::io::Result<Signal> {
        Ok(Signal(AtomicBool::new(false)))
    }

    fn raise(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    fn lower(&self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

/// An eventfd, and a flag that says whether a waker must write it.
pub struct Waker {
    /// Readable while a wake-up is signalled.
    signal: Signal,
    /// Set while the loop is awake (it looks at its queues before it
    /// sleeps), or once a wake-up has been signalled: either way a waker
    /// need not signal. Cleared by the loop just before its last look.
    pending: AtomicBool,
    /// The loop is waiting for some task to come back: quiet completions
    /// must wake it too. Written by the loop before each `arm`.
    awaited: AtomicBool,
}

impl Waker {
    pub fn new() -> std::io::Result<Waker> {
        // The loop starts awake.
        Ok(Waker { signal: Signal::new()?, pending: AtomicBool::new(true), awaited: AtomicBool::new(true) })
    }

    /// Wakes the loop for a quiet completion, only if it awaits one.
    pub fn wake_if_awaited(&self) {
        if self.awaited.load(Ordering::SeqCst) {
            self.wake();
        }
    }

    /// Whether quiet completions must wake the loop from its next sleep.
    /// Called by the loop before `arm`.
    pub fn set_awaited(&self, awaited: bool) {
        self.awaited.store(awaited, Ordering::SeqCst);
    }

    /// Wakes the loop, unless it is awake or already signalled.
    pub fn wake(&self) {
        if !self.pending.swap(true, Ordering::SeqCst) {
            self.signal.raise();
        }
    }

    /// The loop is about to take its last look at its queues and then
    /// sleep: from here on, the first waker signals.
    ///
    /// A swap rather than a store, so that it sits in one total order with
    /// the wakers' swaps (read-modify-writes always read the latest value),
    /// which is also what the model checker verifies.
    pub fn arm(&self) {
        self.pending.swap(false, Ordering::SeqCst);
    }

    /// The loop is awake again: wakers need not signal until the next
    /// `arm`. `signalled`: the wait reported the signal, which is lowered.
    ///
    /// Set the flag first, then lower the signal: a waker that raises it
    /// in between costs at most one spurious turn, whereas the other order
    /// could lower a signal raised for a later sleep.
    pub fn disarm(&self, signalled: bool) {
        self.pending.swap(true, Ordering::SeqCst);
        if signalled {
            self.signal.lower();
        }
    }

    #[cfg(not(loom))]
    pub fn fd(&self) -> std::os::fd::RawFd {
        std::os::fd::AsRawFd::as_raw_fd(&self.signal.0)
    }
}

/// A message for a loop about one of its connections.
pub enum Note {
    /// Append these bytes to the connection's output.
    Send(ConnId, Vec<u8>),
    /// Append these bytes to each connection's output (one note per loop
    /// for a message fanned out to many).
    #[cfg(not(loom))]
    SendMany(Vec<ConnId>, crate::SharedBytes),
    /// Close the connection once its output is written.
    Close(ConnId),
    /// Gates were released (`Control::release`): write what they held.
    Release,
    /// End the connection's park (`Control::wake`): call the service again.
    Wake(ConnId),
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

/// The model: producers push and wake while the loop wakes, arms and drains.
/// Whatever the interleaving, once everyone is done, every item was either
/// drained or is still queued with the signal raised — so a sleeping loop
/// would wake for it — and the pending flag is never left set without the
/// signal (which would silence every later wake-up). Run with `RUSTFLAGS="--cfg loom" cargo test -p
/// switchyard-engine --lib --release loom`.
#[cfg(all(test, loom))]
mod loom_model {
    use super::*;
    use loom::sync::Arc;

    #[test]
    fn loom_no_item_is_left_queued_without_a_pending_wake() {
        loom::model(|| {
            let inbox = Arc::new(Inbox::new().unwrap());
            let done = Arc::new(Completions::<u32>::new());
            let producers: Vec<_> = (0..2)
                .map(|i| {
                    let (inbox, done) = (inbox.clone(), done.clone());
                    loom::thread::spawn(move || {
                        done.push(i);
                        inbox.waker.wake();
                    })
                })
                .collect();
            let consumer = {
                let (inbox, done) = (inbox.clone(), done.clone());
                loom::thread::spawn(move || {
                    // One loop turn: wake (if signalled), then the last
                    // look before sleeping.
                    let signalled = inbox.waker.signal.0.load(Ordering::SeqCst);
                    inbox.waker.disarm(signalled);
                    let mut batch = Vec::new();
                    inbox.waker.arm();
                    done.take(&mut batch);
                    batch.len()
                })
            };
            for p in producers {
                p.join().unwrap();
            }
            let got = consumer.join().unwrap();
            let mut rest = Vec::new();
            done.take(&mut rest);
            assert_eq!(got + rest.len(), 2);
            // Read-modify-writes read the latest value of each flag.
            let raised = inbox.waker.signal.0.fetch_or(false, Ordering::SeqCst);
            if !rest.is_empty() {
                assert!(raised, "items queued but no wake-up pending");
            }
            // The loop is asleep now: a flag left set with the signal
            // lowered would silence every later wake-up.
            if inbox.waker.pending.fetch_or(false, Ordering::SeqCst) {
                assert!(raised, "wake marked pending but the loop will never see it (got {got}, rest {})", rest.len());
            }
        });
    }
}

/// The quiet model: a worker returns a quiet task while the loop reads
/// the connection's next request (so it now awaits that task), arms and
/// takes a last look. The task is either taken or signalled.
#[cfg(all(test, loom))]
mod loom_quiet_model {
    use super::*;
    use loom::sync::Arc;

    #[test]
    fn loom_a_quiet_completion_the_loop_awaits_is_never_left_unsignalled() {
        loom::model(|| {
            let inbox = Arc::new(Inbox::new().unwrap());
            let done = Arc::new(Completions::<u32>::new());
            let worker = {
                let (inbox, done) = (inbox.clone(), done.clone());
                loom::thread::spawn(move || {
                    done.push(1);
                    inbox.waker.wake_if_awaited();
                })
            };
            // The loop's turn: it had no need before (the flag is clear
            // from its previous sleep), reads the next request for the
            // connection whose task is out, so it awaits it now.
            inbox.waker.set_awaited(false);
            inbox.waker.disarm(false);
            let (mut first, mut last) = (Vec::new(), Vec::new());
            done.take(&mut first);
            inbox.waker.set_awaited(first.is_empty());
            inbox.waker.arm();
            done.take(&mut last);
            worker.join().unwrap();
            let mut rest = Vec::new();
            done.take(&mut rest);
            assert_eq!(first.len() + last.len() + rest.len(), 1);
            if !rest.is_empty() {
                let raised = inbox.waker.signal.0.fetch_or(false, Ordering::SeqCst);
                assert!(raised, "the loop sleeps while the task it awaits sits unsignalled");
            }
        });
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::sys;
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
        loop {
            // The loop's last look before sleeping.
            inbox.waker.arm();
            done.take(&mut batch);
            seen += batch.len();
            batch.clear();
            if seen == PRODUCERS * ITEMS {
                break;
            }
            let mut pfd = [libc::pollfd { fd: inbox.waker.fd(), events: libc::POLLIN, revents: 0 }];
            let ready = sys::poll(&mut pfd, 5_000).unwrap();
            assert!(ready == 1, "lost wake-up: {seen} items seen, the rest never signalled");
            wakes += 1;
            inbox.waker.disarm(true);
            assert!(Instant::now() < deadline);
        }
        for t in threads {
            t.join().unwrap();
        }
        assert!(wakes <= PRODUCERS * ITEMS);
    }
}
