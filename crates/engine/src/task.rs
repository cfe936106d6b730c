//! A unit of work: one connection's buffered input and state, carried to a
//! worker and back.
//!
//! While a task is out, the worker owns the connection's service state and
//! input; the loop keeps only the socket and whatever arrives meanwhile.
//! That ownership hand-off is what lets the state go without a lock.

use std::os::fd::RawFd;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Instant;

use crate::output::{Output, Written};
use crate::service::{ConnId, Control, Cx, Service};
use crate::shared::Shared;

pub struct Task<S: Service> {
    pub id: ConnId,
    pub state: S::State,
    /// Input to handle; on return, what the service left unconsumed.
    pub input: Vec<u8>,
    /// Responses; on return, what is left to write.
    pub out: Output,
    pub peer_closed: bool,
    /// The socket, when the worker may write to it (direct mode, and the
    /// loop had no output pending ahead of this task's).
    pub direct_fd: Option<RawFd>,
    pub queued_at: Instant,
    /// Set by the loop if the connection is finished meanwhile.
    pub gone: Arc<AtomicBool>,
    // Results.
    /// Bytes of input the service consumed.
    pub consumed: usize,
    /// Bytes the worker wrote to the socket itself.
    pub written: usize,
    /// The service asked to close the connection.
    pub close: bool,
    /// The service asked to be called again for the unconsumed input.
    pub again: bool,
    /// The handler panicked.
    pub panicked: bool,
    /// The worker's write failed: the connection is finished.
    pub write_failed: bool,
    /// The service held the output until this gate is released.
    pub hold: Option<u64>,
    /// The service said a request is still arriving.
    pub mid_request: bool,
    /// The length the service announced for the request at the front of
    /// the unconsumed input (`Cx::expect`); 0 for none.
    pub expect: usize,
}

impl<S: Service> Task<S> {
    pub fn new(
        id: ConnId,
        state: S::State,
        input: Vec<u8>,
        peer_closed: bool,
        direct_fd: Option<RawFd>,
        gone: Arc<AtomicBool>,
    ) -> Self {
        Task {
            id,
            state,
            input,
            out: Output::new(),
            peer_closed,
            direct_fd,
            queued_at: Instant::now(),
            gone,
            consumed: 0,
            written: 0,
            close: false,
            again: false,
            panicked: false,
            write_failed: false,
            hold: None,
            mid_request: false,
            expect: 0,
        }
    }

    /// A direct-mode task that wrote all it had and asks nothing of the
    /// loop: it may go back without waking the loop (see `mailbox`).
    pub fn quiet(&self) -> bool {
        self.direct_fd.is_some()
            && self.out.is_empty()
            && self.hold.is_none()
            && !(self.close || self.again || self.panicked || self.write_failed || self.peer_closed)
    }

    /// Runs the service on the task's input, then, in direct mode, writes
    /// what the socket takes.
    pub fn run(&mut self, service: &S, control: &Control, shared: &Shared, on_io_thread: bool) {
        let started = Instant::now();
        shared.metrics.queue_wait.observe(started - self.queued_at);
        let mut cx = Cx {
            id: self.id,
            input: &self.input,
            consumed: 0,
            out: &mut self.out,
            control,
            close: false,
            again: false,
            peer_closed: self.peer_closed,
            hold: None,
            mid_request: false,
            expect: 0,
            on_io_thread,
            gone: &self.gone,
        };
        let state = &mut self.state;
        let result = catch_unwind(AssertUnwindSafe(|| service.handle(state, &mut cx)));
        let (consumed, close, again) = (cx.consumed, cx.close, cx.again);
        self.hold = cx.hold;
        self.mid_request = cx.mid_request;
        self.expect = cx.expect;
        shared.metrics.service_time.observe(started.elapsed());
        self.input.drain(..consumed);
        self.consumed = consumed;
        self.close = close;
        // Only a call that made progress may ask for another, or a handler
        // that never consumes would spin.
        self.again = again && consumed > 0 && !self.input.is_empty();
        if result.is_err() {
            self.panicked = true;
            shared.metrics.panics.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            tracing::error!(conn = %self.id, "service handler panicked; closing the connection");
            return;
        }
        if self.gone.load(std::sync::atomic::Ordering::Relaxed) {
            // Nobody to write to: the loop closes it when the task is back.
            return;
        }
        if let (Some(fd), None) = (self.direct_fd, self.hold) {
            match self.out.write_to(fd) {
                Ok(Written::All(n) | Written::Partial(n)) => self.written = n,
                Err(e) => {
                    tracing::debug!(conn = %self.id, error = %e, "direct write failed");
                    self.write_failed = true;
                }
            }
        }
    }
}
