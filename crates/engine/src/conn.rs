//! One connection as its I/O loop sees it.
//!
//! Only the owning loop touches a `Conn`. While a task is out, `state` is
//! `None`: the worker has the service state and the input it was given,
//! and the loop must neither close the socket nor (in direct mode) write to
//! it until the task comes back.

use std::net::TcpStream;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::config::Config;
use crate::output::Output;
use crate::poller::Interest;
use crate::service::{CloseReason, ConnInfo, Service};

/// What a connection's next deadline is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Deadline {
    Idle,
    Request,
    Write,
    Linger,
    /// Output stayed above the soft output limit too long.
    SoftOutput,
    /// The service said it closes the connection after the client's EOF
    /// (`Service::input_ended`), and has not yet.
    ServiceClose,
}

pub struct Conn<S: Service> {
    pub sock: TcpStream,
    pub info: ConnInfo,
    /// The service's state; `None` while a task has it.
    pub state: Option<S::State>,
    /// The task out now may write to the socket itself.
    pub direct_flight: bool,
    /// Received bytes not yet handed to a task (or handed back unconsumed).
    pub input: Vec<u8>,
    /// Bytes of input the task out now holds; with `input` they count
    /// against the input limit, which would otherwise grow by a buffer's
    /// worth each time a task is out.
    pub input_out: usize,
    /// `input` holds bytes the service has not seen.
    pub unseen: bool,
    /// Output waiting for the socket.
    pub out: Output,
    /// Bytes of output the service's latest call made: exempt from
    /// `max_output_bytes`, which is for output piling up behind a reader
    /// that does not read, not for one long reply.
    pub last_call_out: usize,
    /// The client sent EOF.
    pub peer_closed: bool,
    /// Close once the output is written and no task is out.
    pub closing: Option<CloseReason>,
    /// The socket is finished (reset, error): close as soon as no task is out.
    pub dead: Option<CloseReason>,
    /// Our write side is shut; waiting (briefly) for the client's EOF.
    pub lingering: Option<CloseReason>,
    /// Reading paused because output passed the high-water mark.
    pub output_paused: bool,
    /// Waiting for room in the task queue.
    pub queued_for_room: bool,
    /// The service said goodbye (shutdown).
    pub said_goodbye: bool,
    /// The interest registered with the poller.
    pub interest: Interest,
    /// Last byte read or written.
    pub last_active: Instant,
    /// When the request at the front of `input` started arriving.
    pub request_since: Option<Instant>,
    /// Last write progress while output was pending.
    pub write_since: Option<Instant>,
    pub linger_until: Option<Instant>,
    /// The deadline this connection has in the timer heap, if any.
    pub timer_at: Option<Instant>,
    /// Counted in the loop's `awaiting`: its task is out and the loop has work for it.
    pub awaited: bool,
    /// The output waits for this gate's release (`Cx::hold_output`).
    pub held: Option<u64>,
    /// While draining: bytes that were in the kernel's receive queue at
    /// the signal and are not read yet. They arrived before it, so they
    /// are still read and answered; nothing past them is.
    pub drain_quota: usize,
    /// The service said a request is still arriving (`Cx::request_in_progress`).
    pub mid_request: bool,
    /// The length the service announced for the request at the front of
    /// `input` (`Cx::expect`); 0 for none.
    pub expect: usize,
    /// Listed in the loop's `to_flush`, to be written at the end of the turn.
    pub flush_queued: bool,
    /// Owned output bytes counted in the server-wide output total.
    pub counted_output: usize,
    /// Since when the owned output has been above the soft output limit.
    pub soft_since: Option<Instant>,
    /// Set when the socket is finished while a task is out, so that the
    /// worker can stop early (`Cx::gone`).
    pub gone: Arc<AtomicBool>,
    /// `Service::input_ended` ran (the client's EOF, everything answered).
    pub input_ended: bool,
    /// The service closes the connection itself (`Farewell::Wait` from
    /// `Service::input_ended`), at the latest by then.
    pub service_close_by: Option<Instant>,
}

impl<S: Service> Conn<S> {
    pub fn new(sock: TcpStream, info: ConnInfo, state: S::State, now: Instant) -> Self {
        Conn {
            sock,
            info,
            state: Some(state),
            direct_flight: false,
            input: Vec::new(),
            input_out: 0,
            unseen: false,
            out: Output::new(),
            last_call_out: 0,
            peer_closed: false,
            closing: None,
            dead: None,
            lingering: None,
            output_paused: false,
            queued_for_room: false,
            said_goodbye: false,
            interest: Interest::READ,
            last_active: now,
            request_since: None,
            write_since: None,
            linger_until: None,
            timer_at: None,
            awaited: false,
            held: None,
            drain_quota: 0,
            mid_request: false,
            expect: 0,
            flush_queued: false,
            counted_output: 0,
            soft_since: None,
            gone: Arc::new(AtomicBool::new(false)),
            input_ended: false,
            service_close_by: None,
        }
    }

    pub fn home(&self) -> bool {
        self.state.is_some()
    }

    /// Its task is out and the loop has something for it once it is back.
    pub fn awaits_task(&self) -> bool {
        !self.home()
            && (self.unseen
                || self.peer_closed
                || self.closing.is_some()
                || self.dead.is_some()
                || !self.out.is_empty())
    }

    /// Received bytes not yet consumed: those here and those a task holds.
    pub fn buffered(&self) -> usize {
        self.input.len() + self.input_out
    }

    /// How much input may be buffered: `max_input_bytes`, or more for a
    /// request the service announced (`Cx::expect`).
    pub fn input_limit(&self, config: &Config) -> usize {
        config.max_input_bytes.max(self.expect)
    }

    /// The announced request is not all in yet, and more may come: the
    /// service has nothing new to look at.
    pub fn awaits_announced(&self, draining: bool) -> bool {
        self.input.len() < self.expect && !self.peer_closed && !(draining && self.drain_quota == 0)
    }

    /// The interest this connection should have now. `draining`: the server
    /// is shutting down and reads no new requests.
    pub fn wanted_interest(&self, config: &Config, draining: bool) -> Interest {
        if self.dead.is_some() {
            return Interest::NONE;
        }
        if self.lingering.is_some() {
            return Interest::READ;
        }
        let read = !self.peer_closed
            && (!draining || self.drain_quota > 0)
            && self.closing.is_none()
            && !self.output_paused
            && !self.queued_for_room
            && self.buffered() < self.input_limit(config);
        let write = !self.out.is_empty() && !self.direct_flight && self.held.is_none();
        Interest { read, write }
    }

    /// The nearest deadline, and what it is for. `soft_time`: how long
    /// output may stay above the soft output limit.
    pub fn deadline(&self, config: &Config, soft_time: Duration) -> Option<(Instant, Deadline)> {
        if let Some(t) = self.linger_until {
            return Some((t, Deadline::Linger));
        }
        let mut best: Option<(Instant, Deadline)> = None;
        let mut consider = |t: Instant, why: Deadline| {
            if best.is_none_or(|(b, _)| t < b) {
                best = Some((t, why));
            }
        };
        if let Some(since) = self.soft_since {
            consider(since + soft_time, Deadline::SoftOutput);
        }
        if let Some(t) = self.service_close_by {
            consider(t, Deadline::ServiceClose);
        }
        if !self.out.is_empty() && self.held.is_none() {
            consider(self.write_since.unwrap_or(self.last_active) + config.write_timeout, Deadline::Write);
        }
        if self.home() && self.closing.is_none() {
            if let (Some(since), Some(limit)) = (self.request_since, config.request_timeout) {
                if !self.input.is_empty() || self.mid_request {
                    consider(since + limit, Deadline::Request);
                }
            }
            if let Some(idle) = config.idle_timeout {
                if self.input.is_empty() && self.out.is_empty() {
                    consider(self.last_active + idle, Deadline::Idle);
                }
            }
        }
        best
    }
}
