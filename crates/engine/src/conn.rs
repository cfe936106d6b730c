//! One connection as its I/O loop sees it.
//!
//! Only the owning loop touches a `Conn`. A connection's lifecycle is three
//! small state machines, each an enum, so that a combination the loop must
//! never reach cannot be written down:
//!
//! - [`Holder`]: who has the service state. While a task is out
//!   (`Holder::Task`), the worker has the state and the input it was
//!   given, and the loop must neither close the socket nor (when the task
//!   writes directly) write to it until the task comes back.
//! - [`Peer`]: the client's side: still sending, sent its EOF, or all it
//!   sent is answered and the service was told (`Service::input_ended`),
//!   maybe waiting for the service to close the connection itself.
//! - [`Ending`]: how the connection is ending: `Open`, `Closing` once its
//!   output is written, `Lingering` for the client's EOF after our write
//!   side is shut, or `Aborted` (the socket is finished; close as soon as
//!   no task is out). `Aborted` overrides the others: nothing leads out of
//!   it.
//! - [`Parking`]: whether the service holds the input back until it wakes
//!   the connection (`Cx::park`, `Control::wake`): a blocked client waits
//!   here, with no task out and no worker held.
//!
//! The table of transitions is in `docs/architecture.md`.

use std::net::TcpStream;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::config::Config;
use crate::limits::OutputClass;
use crate::limits::Timeouts;
use crate::output::Output;
use crate::poller::Interest;
use crate::service::{CloseReason, ConnInfo, Service};
use crate::tls::Tls;

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
    /// The TLS handshake did not finish within `request_timeout`.
    Handshake,
}

/// Who has the connection's service state.
#[derive(Debug)]
pub enum Holder<St> {
    /// The loop: no task is out. Boxed, so that handing it to a task and
    /// back moves a pointer, not the service's state (kv's is most of a
    /// kilobyte, moved twice per request).
    Loop(Box<St>),
    /// A task, out with the state and `input_len` bytes of input (which
    /// count against the input limit with those the loop still has, or the
    /// limit would grow by a buffer's worth each time a task is out).
    Task {
        /// The task may write to the socket itself (`Respond::Direct`).
        direct: bool,
        /// Bytes of input the task holds.
        input_len: usize,
        /// Counted in the loop's `awaiting`: the loop has work for this
        /// connection once its task is back.
        awaited: bool,
    },
}

/// The client's side of the connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Peer {
    /// It may send more.
    Open,
    /// It sent its EOF; what it sent is not all answered yet.
    Closed,
    /// It sent its EOF, everything is answered, and `Service::input_ended`
    /// ran.
    Answered {
        /// The service closes the connection itself (`Farewell::Wait`), at
        /// the latest by then; `None` once it did, or the time ran out.
        service_close_by: Option<Instant>,
    },
}

impl Peer {
    /// The client sent its EOF.
    pub fn closed(self) -> bool {
        self != Peer::Open
    }
}

/// How the connection is ending.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    /// It is not.
    Open,
    /// Close once the output is written and no task is out (then linger).
    Closing(CloseReason),
    /// Our write side is shut; waiting (briefly, until `until`) for the
    /// client's EOF. Only while no task is out.
    Lingering { reason: CloseReason, until: Instant },
    /// Aborted: the socket is finished (reset, error, a limit); nothing
    /// more is read or written, and it closes as soon as no task is out.
    Aborted(CloseReason),
}

impl Ending {
    /// Closes after the output, keeping the reason of a close already
    /// decided. A lingering or aborted connection stays so.
    pub fn start_closing(&mut self, reason: CloseReason) {
        if *self == Ending::Open {
            *self = Ending::Closing(reason);
        }
    }

    /// Closes after the output for this reason, replacing the reason of a
    /// close already decided (a rejection says why in its reply). A
    /// lingering or aborted connection stays so.
    pub fn start_closing_for(&mut self, reason: CloseReason) {
        if let Ending::Open | Ending::Closing(_) = *self {
            *self = Ending::Closing(reason);
        }
    }

    /// The socket is finished. Overrides any other ending, and the reason
    /// of an earlier abort: the latest failure is the one reported.
    pub fn abort(&mut self, reason: CloseReason) {
        *self = Ending::Aborted(reason);
    }

    pub fn aborted(self) -> bool {
        matches!(self, Ending::Aborted(_))
    }

    /// Still reading and answering: not lingering, not aborted.
    pub fn live(self) -> bool {
        matches!(self, Ending::Open | Ending::Closing(_))
    }
}

/// Whether the service holds the connection's input back (`Cx::park`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Parking {
    /// Input is handled as it arrives.
    #[default]
    Free,
    /// The service parked the connection: its input is buffered, and no
    /// task starts, until the service wakes it (`Control::wake`).
    Parked,
    /// A wake came while a task was out: if that task comes back asking to
    /// park, the park is over at once (the wake was for it).
    WokenEarly,
}

impl Parking {
    /// The task is back, and asked to park or not; true if the service
    /// must be called again at once, a wake having come first.
    pub fn task_back(&mut self, park: bool) -> bool {
        let woken = *self == Parking::WokenEarly;
        *self = if park && !woken { Parking::Parked } else { Parking::Free };
        park && woken
    }

    /// A wake came; `task_out`: a task is out now. True if the service
    /// must be called now. A wake for a connection that is neither parked
    /// nor has a task out (which might park) is stale, and ignored.
    pub fn wake(&mut self, task_out: bool) -> bool {
        match *self {
            Parking::Parked => {
                *self = Parking::Free;
                true
            }
            _ if task_out => {
                *self = Parking::WokenEarly;
                false
            }
            _ => false,
        }
    }

    pub fn parked(self) -> bool {
        self == Parking::Parked
    }
}

/// What `settle` does next for a connection (`Conn::next_step`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// The connection aborted, but a task is out: wait for it.
    AwaitTask,
    /// Hand the input the service has not seen to a task.
    Dispatch,
    /// Write the pending output (at the end of the turn).
    Write,
    /// The output fell below the low-water mark: read and dispatch again.
    Resume,
    /// Closing, everything is written: shut the write side and linger for
    /// the client's EOF, or close if it sent one.
    Linger(CloseReason),
    /// Everything the client sent before its EOF is answered: tell the
    /// service (`Service::input_ended`).
    EndInput,
    /// Close now: aborted with no task out, or the client's input ended
    /// and the service has nothing more to say.
    Close(CloseReason),
    /// Draining, with everything answered: say goodbye (`Service::goodbye`).
    Goodbye,
    /// Nothing to do until the next event: fix interest and deadline.
    Wait,
}

/// What the loop knows of its own state when it settles a connection.
#[derive(Clone, Copy, Debug, Default)]
pub struct Turn {
    /// The server is shutting down and reads no new requests.
    pub draining: bool,
    /// Every loop has finished its requests: goodbyes are under way.
    pub goodbyes: bool,
    /// This pass already wrote the output.
    pub wrote: bool,
}

pub struct Conn<S: Service> {
    pub sock: TcpStream,
    pub info: ConnInfo,
    /// Who has the service state.
    pub holder: Holder<S::State>,
    /// The client's side.
    pub peer: Peer,
    /// How the connection is ending.
    pub ending: Ending,
    /// Whether the service holds the input back.
    pub parking: Parking,
    /// Received bytes not yet handed to a task (or handed back unconsumed).
    pub input: Vec<u8>,
    /// `input` holds bytes the service has not seen.
    pub unseen: bool,
    /// Output waiting for the socket.
    pub out: Output,
    /// Messages from other connections (`Control::send`) that arrived
    /// while a task was out: they go after that task's output, which is
    /// what its handler saw before they were sent (a pub/sub
    /// subscription's confirmation before the messages it lets through).
    pub behind_task: Output,
    /// Which output limits hold the connection (`Cx::set_output_class`).
    pub class: OutputClass,
    /// Bytes of output the service's latest call made: exempt from
    /// `max_output_bytes`, which is for output piling up behind a reader
    /// that does not read, not for one long reply.
    pub last_call_out: usize,
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
    /// The deadline this connection has in the timer heap, if any.
    pub timer_at: Option<Instant>,
    /// The output waits for this gate's release (`Cx::hold_output`).
    pub held: Option<u64>,
    /// While draining: bytes that were in the kernel's receive queue at
    /// the signal and are not read yet. They arrived before it, so they
    /// are still read and answered; nothing past them is.
    pub drain_quota: usize,
    /// The service said a request is still arriving (`Cx::request_in_progress`).
    pub mid_request: bool,
    /// The length the service announced for the request at the front of
    /// `input` (`Cx::announce_request_len`); 0 for none.
    pub announced: usize,
    /// Listed in the loop's `to_flush`, to be written at the end of the turn.
    pub flush_queued: bool,
    /// The service handed the rest of its input to a worker
    /// (`Cx::hand_to_worker`): the next task goes to the pool without
    /// asking `Service::run_inline`.
    pub next_on_worker: bool,
    /// Owned output bytes counted in the server-wide output total.
    pub counted_output: usize,
    /// Since when the owned output has been above the soft output limit.
    pub soft_since: Option<Instant>,
    /// Set when the socket is finished while a task is out, so that the
    /// worker can stop early (`Cx::gone`).
    pub gone: Arc<AtomicBool>,
    /// The TLS session, on a TLS listener's connection (boxed: most of a
    /// kilobyte, and clear-text connections carry only the pointer).
    pub tls: Option<Box<Tls>>,
}

impl<S: Service> Conn<S> {
    pub fn new(sock: TcpStream, info: ConnInfo, state: S::State, tls: Option<Box<Tls>>, now: Instant) -> Self {
        Conn {
            sock,
            info,
            holder: Holder::Loop(Box::new(state)),
            peer: Peer::Open,
            ending: Ending::Open,
            parking: Parking::Free,
            input: Vec::new(),
            unseen: false,
            out: Output::new(),
            behind_task: Output::new(),
            class: OutputClass::Normal,
            last_call_out: 0,
            output_paused: false,
            queued_for_room: false,
            said_goodbye: false,
            interest: Interest::READ,
            last_active: now,
            request_since: None,
            write_since: None,
            timer_at: None,
            held: None,
            drain_quota: 0,
            mid_request: false,
            announced: 0,
            flush_queued: false,
            next_on_worker: false,
            counted_output: 0,
            soft_since: None,
            gone: Arc::new(AtomicBool::new(false)),
            tls,
        }
    }

    /// Output waits that the loop can write now: the output itself, or
    /// TLS records (only records until the handshake is done).
    pub fn has_writable(&self) -> bool {
        match &self.tls {
            None => !self.out.is_empty(),
            Some(tls) => tls.wants_write() || (tls.carries_output() && !self.out.is_empty()),
        }
    }

    /// Any output is pending, writable now or once the handshake is done.
    /// Output behind a failed or closed TLS session is not: it can never
    /// be sent (a task may bring some back after the session failed).
    pub fn has_output(&self) -> bool {
        match &self.tls {
            None => !self.out.is_empty(),
            Some(tls) => tls.wants_write() || (!self.out.is_empty() && (tls.handshaking() || tls.carries_output())),
        }
    }

    /// The TLS handshake is under way.
    pub fn handshaking(&self) -> bool {
        self.tls.as_ref().is_some_and(|t| t.handshaking())
    }

    /// A task has the service state.
    pub fn task_out(&self) -> bool {
        matches!(self.holder, Holder::Task { .. })
    }

    /// The task out now writes to the socket itself.
    pub fn direct_out(&self) -> bool {
        matches!(self.holder, Holder::Task { direct: true, .. })
    }

    /// The service state, while the loop has it.
    pub fn state(&self) -> Option<&S::State> {
        match &self.holder {
            Holder::Loop(state) => Some(state),
            Holder::Task { .. } => None,
        }
    }

    pub fn state_mut(&mut self) -> Option<&mut S::State> {
        match &mut self.holder {
            Holder::Loop(state) => Some(state),
            Holder::Task { .. } => None,
        }
    }

    /// Gives the service state to a task that takes `input_len` bytes of
    /// input along.
    ///
    /// # Panics
    ///
    /// If a task is out already: a connection has one at a time.
    pub fn hand_out(&mut self, direct: bool, input_len: usize) -> Box<S::State> {
        match std::mem::replace(&mut self.holder, Holder::Task { direct, input_len, awaited: false }) {
            Holder::Loop(state) => state,
            Holder::Task { .. } => panic!("a connection has one task out at a time"),
        }
    }

    /// Takes the service state back from the task; returns what the task
    /// was: (`direct`, `awaited`).
    ///
    /// # Panics
    ///
    /// If no task is out.
    pub fn take_back(&mut self, state: Box<S::State>) -> (bool, bool) {
        match std::mem::replace(&mut self.holder, Holder::Loop(state)) {
            Holder::Task { direct, awaited, .. } => (direct, awaited),
            Holder::Loop(_) => panic!("no task is out to come back"),
        }
    }

    /// Marks the connection awaited if its task is out and the loop has
    /// work for it once it is back; true if it was not marked before.
    pub fn mark_awaited(&mut self) -> bool {
        let wanted = self.awaits_task();
        match &mut self.holder {
            Holder::Task { awaited, .. } if wanted && !*awaited => {
                *awaited = true;
                true
            }
            _ => false,
        }
    }

    /// Its task is out and the loop has something for it once it is back.
    pub fn awaits_task(&self) -> bool {
        self.task_out()
            && (self.unseen
                || self.peer.closed()
                || self.ending != Ending::Open
                || !self.out.is_empty()
                || !self.behind_task.is_empty())
    }

    /// Received bytes not yet consumed: those here and those a task holds.
    pub fn buffered(&self) -> usize {
        let out = match self.holder {
            Holder::Task { input_len, .. } => input_len,
            Holder::Loop(_) => 0,
        };
        self.input.len() + out
    }

    /// How much input may be buffered: `max_input_bytes`, or more for a
    /// request the service announced (`Cx::announce_request_len`).
    pub fn input_limit(&self, config: &Config) -> usize {
        config.max_input_bytes.max(self.announced)
    }

    /// The announced request is not all in yet, and more may come: the
    /// service has nothing new to look at.
    pub fn awaits_announced(&self, draining: bool) -> bool {
        self.input.len() < self.announced && !self.peer.closed() && !(draining && self.drain_quota == 0)
    }

    /// The interest this connection should have now. `draining`: the server
    /// is shutting down and reads no new requests.
    pub fn wanted_interest(&self, config: &Config, draining: bool) -> Interest {
        match self.ending {
            Ending::Aborted(_) => Interest::NONE,
            Ending::Lingering { .. } => Interest::READ,
            Ending::Open | Ending::Closing(_) => {
                // A TLS handshake is read to its end even when the service
                // has asked to close: the reply it made on the way (kv's
                // protected-mode refusal, sent from `open`) can only go
                // out once the handshake is done.
                let handshaking = self.tls.as_ref().is_some_and(|t| t.handshaking());
                let read = (self.ending == Ending::Open || handshaking)
                    && !self.peer.closed()
                    && (!draining || self.drain_quota > 0)
                    && !self.output_paused
                    && !self.queued_for_room
                    && self.buffered() < self.input_limit(config);
                let write = self.has_writable() && !self.direct_out() && self.held.is_none();
                Interest { read, write }
            }
        }
    }

    /// The nearest deadline, and what it is for. `soft_time`: how long
    /// output may stay above the soft output limit.
    pub fn deadline(&self, timeouts: &Timeouts, soft_time: Duration) -> Option<(Instant, Deadline)> {
        if let Ending::Lingering { until, .. } = self.ending {
            return Some((until, Deadline::Linger));
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
        if let Peer::Answered { service_close_by: Some(t) } = self.peer {
            consider(t, Deadline::ServiceClose);
        }
        if self.has_writable() && self.held.is_none() {
            consider(self.write_since.unwrap_or(self.last_active) + timeouts.write, Deadline::Write);
        }
        if let (Some(tls), Some(limit)) = (self.tls.as_ref().filter(|t| t.handshaking()), timeouts.request) {
            consider(tls.since + limit, Deadline::Handshake);
        }
        // A parked connection waits for the service, not for its client.
        if !self.task_out() && self.ending == Ending::Open && !self.parking.parked() {
            if let (Some(since), Some(limit)) = (self.request_since, timeouts.request) {
                if !self.input.is_empty() || self.mid_request {
                    consider(since + limit, Deadline::Request);
                }
            }
            if let Some(idle) = timeouts.idle {
                if self.input.is_empty() && !self.has_output() {
                    consider(self.last_active + idle, Deadline::Idle);
                }
            }
        }
        best
    }

    /// What the loop does next for this connection, its output limits
    /// being checked. `low_water`: `output_low_water_bytes`.
    pub fn next_step(&self, turn: Turn, low_water: u64) -> Step {
        if let Ending::Aborted(reason) = self.ending {
            return if self.task_out() { Step::AwaitTask } else { Step::Close(reason) };
        }
        let on_loop = !self.task_out();
        if on_loop
            && self.unseen
            && self.ending == Ending::Open
            && !self.awaits_announced(turn.draining)
            && !self.output_paused
            && !self.queued_for_room
            && !self.parking.parked()
        {
            return Step::Dispatch;
        }
        // Write before sleeping.
        if !turn.wrote && self.has_writable() && !self.interest.write && !self.direct_out() {
            return Step::Write;
        }
        if self.output_paused && self.out.len() < low_water {
            return Step::Resume;
        }
        if !on_loop || self.has_output() {
            return Step::Wait;
        }
        // What a parked connection holds waits for the service, which
        // answers neither it nor the client's EOF (Redis frees a blocked
        // client that closes), nor a shutdown's goodbye.
        let answered = !self.unseen || self.parking.parked();
        let read_all = self.drain_quota == 0 || self.parking.parked();
        match (self.ending, self.peer) {
            (Ending::Closing(reason), _) => Step::Linger(reason),
            (Ending::Lingering { .. } | Ending::Aborted(_), _) => Step::Wait,
            // Everything the client sent is answered; the service may still
            // have replies on their way (`input_ended`).
            (Ending::Open, Peer::Closed) if answered => Step::EndInput,
            (Ending::Open, Peer::Answered { service_close_by: None }) if answered => {
                Step::Close(CloseReason::PeerClosed)
            }
            (Ending::Open, Peer::Answered { .. }) => Step::Wait,
            (Ending::Open, _) if turn.goodbyes && answered && read_all && !self.said_goodbye => Step::Goodbye,
            (Ending::Open, _) => Step::Wait,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::task::tests::Lines;
    use std::net::TcpListener;

    const LOW_WATER: u64 = 256 << 10;

    /// A connection as `admit` makes it. Its socket is a loopback one that
    /// nothing reads or writes: the decisions here are about state only.
    pub(crate) fn conn() -> Conn<Lines> {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let sock = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let info = ConnInfo {
            id: crate::service::ConnId::new(0, 1, 0),
            peer: sock.local_addr().unwrap(),
            local: listener.local_addr().unwrap(),
        };
        Conn::new(sock, info, 0, None, Instant::now())
    }

    /// A connection of a TLS listener, its handshake not begun.
    fn tls_conn() -> Conn<Lines> {
        use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap().self_signed(&key).unwrap();
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert.der().clone()], key)
            .unwrap();
        let mut c = conn();
        c.tls = Some(Box::new(Tls::new(Arc::new(config), Instant::now()).unwrap()));
        c
    }

    fn step(c: &Conn<Lines>) -> Step {
        c.next_step(Turn::default(), LOW_WATER)
    }

    #[test]
    fn output_waits_for_the_tls_handshake_which_has_its_own_deadline() {
        let config = Config::default();
        let soft = Duration::from_secs(60);
        let mut c = tls_conn();
        assert!(c.handshaking());
        assert_eq!(c.deadline(&config.timeouts(), soft).map(|(_, why)| why), Some(Deadline::Handshake));
        c.out.push_vec(b"early".to_vec());
        assert!(c.has_output() && !c.has_writable(), "no records may carry it yet");
        assert_eq!(step(&c), Step::Wait);
        assert_eq!(c.wanted_interest(&config, false), Interest::READ, "no write interest: it would spin");
        c.ending = Ending::Closing(CloseReason::Service);
        assert_eq!(step(&c), Step::Wait, "the close waits for the output");
        c.out = Output::new();
        assert_eq!(step(&c), Step::Linger(CloseReason::Service));
        c.tls.as_mut().unwrap().fail();
        assert!(!c.handshaking());
        c.out.push_vec(b"from a task that was out".to_vec());
        assert!(!c.has_output(), "output behind a failed session is never sent");
        assert_eq!(step(&c), Step::Linger(CloseReason::Service), "and does not hold the close");
        assert_eq!(
            c.deadline(&config.timeouts(), soft).map(|(_, why)| why),
            None,
            "a failed handshake has no deadline"
        );
    }

    #[test]
    fn closing_keeps_the_first_reason() {
        let mut e = Ending::Open;
        e.start_closing(CloseReason::Service);
        e.start_closing(CloseReason::PeerClosed);
        assert_eq!(e, Ending::Closing(CloseReason::Service));
    }

    #[test]
    fn closing_for_a_reason_replaces_the_reason_of_a_close_under_way() {
        let mut e = Ending::Closing(CloseReason::Service);
        e.start_closing_for(CloseReason::Panic);
        assert_eq!(e, Ending::Closing(CloseReason::Panic));
    }

    #[test]
    fn a_lingering_or_aborted_connection_stays_so_when_asked_to_close() {
        let until = Instant::now();
        for start in [Ending::Lingering { reason: CloseReason::Idle, until }, Ending::Aborted(CloseReason::Error)] {
            let mut e = start;
            e.start_closing(CloseReason::Service);
            e.start_closing_for(CloseReason::Panic);
            assert_eq!(e, start);
        }
    }

    #[test]
    fn an_abort_overrides_every_ending_and_the_latest_reason_is_reported() {
        let until = Instant::now();
        for start in [
            Ending::Open,
            Ending::Closing(CloseReason::Service),
            Ending::Lingering { reason: CloseReason::Idle, until },
            Ending::Aborted(CloseReason::WriteTimeout),
        ] {
            let mut e = start;
            e.abort(CloseReason::Error);
            assert_eq!(e, Ending::Aborted(CloseReason::Error));
            assert!(e.aborted() && !e.live());
        }
        assert!(Ending::Open.live() && Ending::Closing(CloseReason::Idle).live());
        assert!(!Ending::Lingering { reason: CloseReason::Idle, until }.live());
    }

    #[test]
    fn the_peer_is_closed_from_its_eof_on() {
        assert!(!Peer::Open.closed());
        assert!(Peer::Closed.closed());
        assert!(Peer::Answered { service_close_by: None }.closed());
    }

    #[test]
    fn a_task_takes_the_state_and_its_input_counts_while_it_is_out() {
        let mut c = conn();
        c.input = vec![0; 10];
        let input = std::mem::take(&mut c.input);
        let state = c.hand_out(true, input.len());
        assert_eq!(*state, 0);
        assert!(c.task_out() && c.direct_out() && c.state().is_none());
        c.input = vec![0; 3];
        assert_eq!(c.buffered(), 13);
        assert_eq!(c.take_back(Box::new(8)), (true, false));
        assert_eq!(c.state(), Some(&8));
        assert!(!c.task_out() && !c.direct_out());
        assert_eq!(c.buffered(), 3);
    }

    #[test]
    #[should_panic(expected = "one task out at a time")]
    fn a_connection_never_has_two_tasks_out() {
        let mut c = conn();
        c.hand_out(false, 0);
        c.hand_out(false, 0);
    }

    #[test]
    fn a_task_is_awaited_once_and_only_when_the_loop_has_work_for_it() {
        let mut c = conn();
        assert!(!c.mark_awaited(), "no task is out");
        c.hand_out(false, 0);
        assert!(!c.mark_awaited(), "nothing waits for the task");
        c.unseen = true;
        assert!(c.mark_awaited());
        assert!(!c.mark_awaited(), "marked already");
        assert_eq!(c.take_back(Box::new(0)), (false, true));
    }

    #[test]
    fn a_message_waiting_behind_a_task_makes_the_task_awaited() {
        // Else a quiet direct task would not wake the loop, and the
        // message would wait for the next wake-up for anything else.
        let mut c = conn();
        c.hand_out(true, 0);
        assert!(!c.mark_awaited());
        c.behind_task.extend_from_slice(b"message");
        assert!(c.mark_awaited());
        assert_eq!(c.take_back(Box::new(0)), (true, true));
    }

    #[test]
    fn unseen_input_goes_to_a_task_unless_one_is_out_or_the_connection_ends() {
        let mut c = conn();
        c.input = b"ping".to_vec();
        c.unseen = true;
        assert_eq!(step(&c), Step::Dispatch);
        c.output_paused = true;
        c.out.push_vec(vec![0; LOW_WATER as usize]);
        c.interest = Interest { read: false, write: true };
        assert_eq!(step(&c), Step::Wait, "reading is paused for the output");
        c.output_paused = false;
        c.out = Output::new();
        c.interest = Interest::READ;
        c.announced = 10;
        assert_eq!(step(&c), Step::Wait, "the announced request is not all in");
        c.announced = 0;
        c.ending = Ending::Closing(CloseReason::Service);
        assert_eq!(step(&c), Step::Linger(CloseReason::Service));
        c.ending = Ending::Open;
        c.hand_out(false, 4);
        assert_eq!(step(&c), Step::Wait);
    }

    #[test]
    fn output_is_written_once_per_pass_and_never_while_a_task_writes_directly() {
        let mut c = conn();
        c.output_paused = true;
        assert_eq!(step(&c), Step::Resume, "below the low-water mark, reading resumes");
        c.output_paused = false;
        c.out.push_vec(b"pong".to_vec());
        assert_eq!(step(&c), Step::Write);
        let wrote = Turn { wrote: true, ..Turn::default() };
        assert_eq!(c.next_step(wrote, LOW_WATER), Step::Wait);
        c.interest = Interest { read: true, write: true };
        assert_eq!(step(&c), Step::Wait, "the poller reports when the socket has room");
        c.interest = Interest::READ;
        c.hand_out(true, 0);
        assert!(c.direct_out() && step(&c) == Step::Wait, "the task writes it");
    }

    #[test]
    fn a_closing_connection_lingers_once_its_output_is_written_and_its_task_is_back() {
        let mut c = conn();
        c.ending = Ending::Closing(CloseReason::Idle);
        c.out.push_vec(b"bye".to_vec());
        c.interest = Interest { read: false, write: true };
        assert_eq!(step(&c), Step::Wait);
        c.out = Output::new();
        c.hand_out(false, 0);
        assert_eq!(step(&c), Step::Wait);
        c.take_back(Box::new(0));
        assert_eq!(step(&c), Step::Linger(CloseReason::Idle));
        c.ending = Ending::Lingering { reason: CloseReason::Idle, until: Instant::now() };
        assert_eq!(step(&c), Step::Wait, "lingering waits for the client's EOF");
    }

    #[test]
    fn an_aborted_connection_closes_when_its_task_is_back() {
        let mut c = conn();
        c.unseen = true;
        c.hand_out(false, 0);
        c.ending.abort(CloseReason::Error);
        assert_eq!(step(&c), Step::AwaitTask);
        c.take_back(Box::new(0));
        assert_eq!(step(&c), Step::Close(CloseReason::Error));
    }

    #[test]
    fn the_clients_eof_is_told_to_the_service_then_closes_unless_it_waits() {
        let mut c = conn();
        c.peer = Peer::Closed;
        c.unseen = true;
        c.input = b"last".to_vec();
        assert_eq!(step(&c), Step::Dispatch, "what came before the EOF is answered first");
        c.unseen = false;
        c.input.clear();
        assert_eq!(step(&c), Step::EndInput);
        c.peer = Peer::Answered { service_close_by: None };
        assert_eq!(step(&c), Step::Close(CloseReason::PeerClosed));
        let by = Instant::now() + Duration::from_secs(2);
        c.peer = Peer::Answered { service_close_by: Some(by) };
        assert_eq!(step(&c), Step::Wait);
        let config = Config::default();
        assert_eq!(
            c.deadline(&config.timeouts(), Duration::from_secs(60)).map(|(_, why)| why),
            Some(Deadline::ServiceClose)
        );
    }

    #[test]
    fn goodbye_comes_once_when_everything_received_is_answered() {
        let mut c = conn();
        let goodbyes = Turn { draining: true, goodbyes: true, wrote: false };
        assert_eq!(c.next_step(goodbyes, LOW_WATER), Step::Goodbye);
        c.drain_quota = 5;
        assert_eq!(c.next_step(goodbyes, LOW_WATER), Step::Wait, "bytes from before the signal are still read");
        c.drain_quota = 0;
        c.said_goodbye = true;
        assert_eq!(c.next_step(goodbyes, LOW_WATER), Step::Wait);
        assert_eq!(step(&c), Step::Wait, "no goodbyes before every loop finished its work");
    }

    #[test]
    fn a_park_holds_the_input_back_until_a_wake() {
        let mut c = conn();
        c.hand_out(false, 0);
        c.take_back(Box::new(0));
        assert!(!c.parking.task_back(true), "no wake came first");
        assert_eq!(c.parking, Parking::Parked);
        c.input = b"more".to_vec();
        c.unseen = true;
        assert_eq!(step(&c), Step::Wait, "input that arrives waits");
        assert!(c.parking.wake(false));
        assert_eq!(c.parking, Parking::Free);
        assert_eq!(step(&c), Step::Dispatch);
    }

    #[test]
    fn a_wake_before_the_parking_task_is_back_is_not_lost() {
        let mut p = Parking::Free;
        assert!(!p.wake(true), "the task is still out");
        assert_eq!(p, Parking::WokenEarly);
        assert!(p.task_back(true), "called again at once");
        assert_eq!(p, Parking::Free);
        p = Parking::WokenEarly;
        assert!(!p.task_back(false), "a task that did not park needs no second call");
        assert_eq!(p, Parking::Free);
    }

    #[test]
    fn a_stale_wake_is_ignored() {
        let mut p = Parking::Free;
        assert!(!p.wake(false));
        assert_eq!(p, Parking::Free);
        assert!(!p.task_back(false));
        assert_eq!(p, Parking::Free);
    }

    #[test]
    fn a_parked_connection_has_no_idle_or_request_deadline_and_closes_on_eof() {
        let config = Config { request_timeout: Some(Duration::from_secs(1)), ..Config::default() };
        let soft = Duration::from_secs(60);
        let mut c = conn();
        c.parking = Parking::Parked;
        assert_eq!(c.deadline(&config.timeouts(), soft), None);
        c.input = b"LPUSH".to_vec();
        c.unseen = true;
        c.request_since = Some(Instant::now());
        assert_eq!(c.deadline(&config.timeouts(), soft), None);
        c.peer = Peer::Closed;
        assert_eq!(step(&c), Step::EndInput, "what it holds is never handled");
    }

    #[test]
    fn a_parked_connection_hears_its_goodbye_with_input_held() {
        let mut c = conn();
        c.parking = Parking::Parked;
        c.input = b"GET k".to_vec();
        c.unseen = true;
        c.drain_quota = 3;
        let goodbyes = Turn { draining: true, goodbyes: true, wrote: false };
        assert_eq!(c.next_step(goodbyes, LOW_WATER), Step::Goodbye);
        c.parking = Parking::Free;
        assert_eq!(c.next_step(goodbyes, LOW_WATER), Step::Dispatch);
    }

    #[test]
    fn interest_follows_the_ending() {
        let config = Config::default();
        let mut c = conn();
        assert_eq!(c.wanted_interest(&config, false), Interest::READ);
        assert_eq!(c.wanted_interest(&config, true), Interest::NONE, "draining reads only the quota");
        c.out.push_vec(b"x".to_vec());
        assert_eq!(c.wanted_interest(&config, false), Interest { read: true, write: true });
        c.ending = Ending::Closing(CloseReason::Service);
        assert_eq!(c.wanted_interest(&config, false), Interest { read: false, write: true });
        c.ending = Ending::Lingering { reason: CloseReason::Service, until: Instant::now() };
        assert_eq!(c.wanted_interest(&config, false), Interest::READ);
        c.ending = Ending::Aborted(CloseReason::Error);
        assert_eq!(c.wanted_interest(&config, false), Interest::NONE);
    }

    #[test]
    fn a_task_that_writes_directly_leaves_write_interest_alone() {
        let config = Config::default();
        let mut c = conn();
        c.out.push_vec(b"x".to_vec());
        c.hand_out(true, 0);
        assert_eq!(c.wanted_interest(&config, false), Interest::READ);
    }

    #[test]
    fn the_deadline_is_the_lingers_while_lingering_and_no_idle_one_while_a_task_is_out() {
        let config = Config::default();
        let soft = Duration::from_secs(60);
        let mut c = conn();
        assert_eq!(c.deadline(&config.timeouts(), soft).map(|(_, why)| why), Some(Deadline::Idle));
        c.hand_out(false, 0);
        assert_eq!(c.deadline(&config.timeouts(), soft), None);
        c.take_back(Box::new(0));
        let until = Instant::now() + Duration::from_millis(5);
        c.ending = Ending::Lingering { reason: CloseReason::Idle, until };
        assert_eq!(c.deadline(&config.timeouts(), soft), Some((until, Deadline::Linger)));
    }
}
