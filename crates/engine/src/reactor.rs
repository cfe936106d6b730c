//! The I/O loop: one thread that owns a set of listeners and connections.
//!
//! Invariants:
//! - only this thread registers, reads, writes or closes its sockets, except
//!   that a task in direct mode writes to its connection's socket while it
//!   is out (and the loop then neither writes nor closes it);
//! - a connection has at most one task out, so its requests are handled and
//!   answered in arrival order;
//! - a connection is closed exactly once, and its service state dropped
//!   through `Service::closed` exactly once.
//!
//! A turn: wait for readiness (the timeout is the nearest deadline), accept,
//! read, take back finished tasks, fire due timers, then push the turn's new
//! tasks to the pool in one batch.

mod acceptor;
mod drain;
mod preface;
mod slab;
mod timers;

use std::collections::VecDeque;
use std::io;
use std::net::{SocketAddr, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::config::Respond;
use crate::conn::{Conn, Deadline, Ending, Holder, Peer, Step, Turn};
use crate::listener::Listener;
use crate::mailbox::{Completions, Inbox, Note};
use crate::metrics::Limit;
use crate::output::{SharedBytes, Written};
use crate::poller::{Event, Interest, Poller};
use crate::pool::Queue;
use crate::proxy::Refusal;
use crate::service::{CloseReason, ConnId, ConnInfo, Control, Farewell, Reject, Service};
use crate::shared::Shared;
use crate::sys;
use crate::task::{Runner, Task};
use crate::tls::{Failure, Received, Tls};
use crate::turnaway::{discard_input, TurnedAway};
use crate::verdict::Next;
use acceptor::{Accepted, Acceptor, ACCEPT_BUDGET, LISTENER_TOKEN_BASE};
use drain::Drain;
use preface::{Outcome, Prefaces};
use slab::Slab;
use timers::Timers;

/// Bytes read into per read call.
const READ_CHUNK_BYTES: usize = 64 << 10;
/// Most bytes read from one connection per turn, so that one fast sender
/// cannot starve the others.
const READ_BUDGET_BYTES: usize = 256 << 10;
/// How soon the loop takes back a quiet direct-mode task (one that went
/// back without waking it) when nothing else wakes it first.
const QUIET_TASK_COLLECT: Duration = Duration::from_millis(50);
/// Input buffers larger than this are released when they empty.
const KEEP_INPUT_CAPACITY_BYTES: usize = 16 << 10;

/// A message fanned out to many connections (`Control::send_many`) this
/// long or longer is referred to from each one's output, not copied: a
/// copy of a few KiB costs less than another slice in the vectored write,
/// and a longer one more (measured with `scripts/bench-pubsub.sh`, in
/// `docs/benchmarks.md`).
const SHARE_MIN_BYTES: usize = 4 << 10;

const WAKE_TOKEN: u64 = u64::MAX;
const SHUTDOWN_TOKEN: u64 = u64::MAX - 1;
const TURNED_AWAY_TOKEN_BASE: u64 = 1 << 39;
const PREFACE_TOKEN_BASE: u64 = 1 << 38;
/// How long a PROXY protocol header may take when `request_timeout` is
/// off: a connection that sends nothing must not hold its descriptor
/// for ever.
const HEADER_TIMEOUT_FALLBACK: Duration = Duration::from_secs(30);

/// Why `read` stopped early.
enum ReadEnd {
    /// The socket is finished.
    Abort(CloseReason),
    /// A clear-text request came to a TLS listener.
    PlainText,
    /// The TLS handshake or a record failed.
    TlsFailed(Failure, String),
}

/// What a loop did, for the shutdown summary.
#[derive(Debug, Default)]
pub struct LoopReport {
    /// Connections still open when the drain deadline cut them off.
    pub forced: usize,
}

/// What a note asks of a connection.
enum Delivery<'a> {
    /// These bytes, owned.
    Owned(Vec<u8>),
    /// Bytes other connections get too: copied if short, else referred to.
    Shared(&'a SharedBytes),
    /// A close once the output is written.
    Close,
}

pub struct Reactor<S: Service> {
    idx: usize,
    service: Arc<S>,
    shared: Arc<Shared>,
    control: Control,
    inbox: Arc<Inbox>,
    completions: Arc<Completions<Task<S>>>,
    /// The pool's queue; `None` in inline mode.
    queue: Option<Arc<Queue<Task<S>>>>,
    poller: Poller,
    acceptor: Acceptor,
    /// The connections.
    slab: Slab<S>,
    /// The connections' deadlines.
    timers: Timers,
    events: Vec<Event>,
    scratch: Box<[u8]>,
    /// Tasks made this turn, pushed to the queue in one batch.
    batch: Vec<Task<S>>,
    /// Connections waiting for room in the task queue, oldest first.
    blocked: VecDeque<ConnId>,
    notes: Vec<Note>,
    /// Connections that got notes this turn, settled once each.
    touched: Vec<u32>,
    /// Connections with output written during this turn, to be flushed at
    /// its end, all together (see `flush_deferred`).
    to_flush: Vec<u32>,
    /// Inside `flush_deferred`: settling writes at once.
    flushing: bool,
    /// A handler ran on this thread since `Service::before_write` last did.
    before_write_due: bool,
    done: Vec<Task<S>>,
    /// Connections whose task is marked `awaited` (`conn::Holder::Task`):
    /// it is out and the loop has work for them once it is back.
    awaiting: usize,
    /// Direct-mode tasks out now; quiet ones come back without a wake-up.
    direct_out: usize,
    /// Connections whose output waits for a gate (`Conn::held`); may hold
    /// stale slots.
    held: Vec<u32>,
    /// Clients turned away at the connection limit, lingering briefly.
    turned_away: TurnedAway,
    /// Connections whose PROXY protocol header has not arrived whole yet.
    prefaces: Prefaces,
    /// Where the loop is in a shutdown.
    drain: Drain,
    now: Instant,
    /// When the last turn ended (the clock `next_timeout` counts from).
    turn_ended: Instant,
}

impl<S: Service> Reactor<S> {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        idx: usize,
        service: Arc<S>,
        control: Control,
        completions: Arc<Completions<Task<S>>>,
        queue: Option<Arc<Queue<Task<S>>>>,
        listeners: Vec<Listener>,
    ) -> io::Result<Self> {
        let shared = control.shared.clone();
        let inbox = control.inboxes[idx].clone();
        let mut poller = Poller::new(shared.config.poller)?;
        poller.register(inbox.waker.fd(), WAKE_TOKEN, Interest::READ)?;
        poller.register(shared.shutdown_fd(), SHUTDOWN_TOKEN, Interest::READ)?;
        let acceptor = Acceptor::new(listeners, shared.config.tls.as_ref(), &mut poller)?;
        Ok(Reactor {
            idx,
            service,
            shared,
            control,
            inbox,
            completions,
            queue,
            poller,
            acceptor,
            slab: Slab::new(idx),
            timers: Timers::default(),
            events: Vec::with_capacity(1024),
            scratch: vec![0; READ_CHUNK_BYTES].into_boxed_slice(),
            batch: Vec::new(),
            blocked: VecDeque::new(),
            notes: Vec::new(),
            touched: Vec::new(),
            to_flush: Vec::new(),
            flushing: false,
            before_write_due: false,
            done: Vec::new(),
            awaiting: 0,
            direct_out: 0,
            held: Vec::new(),
            turned_away: TurnedAway::new(TURNED_AWAY_TOKEN_BASE),
            prefaces: Prefaces::new(PREFACE_TOKEN_BASE),
            drain: Drain::Off,
            now: Instant::now(),
            turn_ended: Instant::now(),
        })
    }

    /// Runs until shutdown completes.
    ///
    /// # Errors
    ///
    /// A failing readiness wait other than `EINTR` (the loop cannot go on).
    pub fn run(mut self) -> io::Result<LoopReport> {
        loop {
            // The last look before sleeping: from `arm` on, a worker that
            // finishes a task signals the eventfd; before it, the loop was
            // awake and they did not need to.
            self.publish_awaited();
            self.inbox.waker.arm();
            self.take_mail();
            self.submit();
            if self.drain.draining() {
                self.advance_drain();
            }
            if !self.to_flush.is_empty() {
                // The turn's output, the mail's and the goodbyes, all
                // written before sleeping. Settling them may start tasks
                // (output that drained below the low-water mark lets a
                // paused connection's input go), which must reach the
                // pool before the loop sleeps, and may await tasks.
                self.flush_deferred();
                self.submit();
                self.publish_awaited();
            }
            if let Some(until) = self.drain.until() {
                if self.slab.len() == 0 && self.prefaces.len() == 0 {
                    return Ok(LoopReport::default());
                }
                if self.now >= until {
                    return Ok(self.force_close_all());
                }
            }
            // Mail taken in the last look may have pushed the output past
            // the total: shed before sleeping, not at the next event.
            self.shed_output();
            let timeout = self.next_timeout();
            self.poller.wait(&mut self.events, timeout)?;
            self.now = Instant::now();
            let started = self.now;
            let events = std::mem::take(&mut self.events);
            self.inbox.waker.disarm(events.iter().any(|e| e.token == WAKE_TOKEN));
            for ev in &events {
                match ev.token {
                    WAKE_TOKEN => {}
                    SHUTDOWN_TOKEN => self.begin_shutdown(),
                    t if t >= LISTENER_TOKEN_BASE => {
                        self.accept((t - LISTENER_TOKEN_BASE) as usize);
                    }
                    t if self.turned_away.owns(t) => self.turned_away.on_event(&mut self.poller, ev, &mut self.scratch),
                    t if self.prefaces.owns(t) => self.on_preface_event(t),
                    t => self.on_conn_event(t as u32, ev),
                }
            }
            self.events = events;
            self.take_mail();
            self.fire_timers();
            self.retry_blocked();
            self.submit();
            self.shed_output();
            self.turn_ended = Instant::now();
            self.shared.metrics.loop_turn.observe(self.turn_ended.saturating_duration_since(started));
        }
    }

    fn next_timeout(&mut self) -> Option<Duration> {
        let mut next = self.drain.until();
        let mut earliest = |t: Instant| next = Some(next.map_or(t, |n: Instant| n.min(t)));
        if let Some(t) = self.acceptor.paused_until() {
            earliest(t);
        }
        if let Some(t) = self.timers.next() {
            earliest(t);
        }
        if let Some(t) = self.turned_away.next_deadline() {
            earliest(t);
        }
        if let Some(t) = self.prefaces.next_deadline() {
            earliest(t);
        }
        if self.direct_out > 0 {
            // A quiet task may be back without having woken the loop: take
            // it soon enough for its connection's timers to stay honest.
            earliest(self.now + QUIET_TASK_COLLECT);
        }
        if !self.blocked.is_empty() {
            // Room in the queue may come from another loop's tasks, which
            // do not wake this one: look again soon.
            earliest(self.now + Duration::from_millis(1));
        }
        // From when the last turn ended rather than a clock reading of
        // its own: the writes since make it a few microseconds stale, which
        // deadlines of a millisecond or more do not notice.
        next.map(|t| t.saturating_duration_since(self.turn_ended))
    }

    // ----- accepting -------------------------------------------------

    /// Accepts up to a turn's budget of new connections. Returns true if
    /// the budget ran out with more possibly waiting.
    fn accept(&mut self, li: usize) -> bool {
        for _ in 0..ACCEPT_BUDGET {
            match self.acceptor.accept(li, &mut self.poller, &self.shared, self.now) {
                Accepted::Conn(sock) => self.admit(sock, li),
                Accepted::Retry => continue,
                Accepted::Done => return false,
            }
        }
        true
    }

    fn admit(&mut self, sock: TcpStream, li: usize) {
        let m = &self.shared.metrics;
        let open = m.connections_open.load(Relaxed);
        let tls_config = self.acceptor.tls(li);
        if open >= self.shared.timeouts.max_connections() as u64 {
            self.shared.limit(Limit::MaxConnections, format_args!("at {open} connections; turning a new client away"));
            // A TLS client could not read a clear-text reply: it gets the close.
            let reply = match tls_config {
                Some(_) => None,
                None => self.guarded("reject", || self.service.reject(Reject::Busy)).flatten(),
            };
            let until = self.now + self.shared.config.linger_timeout;
            self.turned_away.add(&mut self.poller, sock, reply.as_deref(), until);
            m.closed(CloseReason::Busy);
            return;
        }
        let _ = sock.set_nodelay(true);
        let (Ok(peer), Ok(local)) = (sock.peer_addr(), sock.local_addr()) else {
            // The client is already gone.
            return;
        };
        m.connections_accepted.fetch_add(1, Relaxed);
        m.connections_open.fetch_add(1, Relaxed);
        if !self.acceptor.proxy_protocol(li) {
            self.open(sock, li, peer, local, Vec::new());
            return;
        }
        let config = &self.shared.config;
        if !config.proxy_from.is_empty() && !config.proxy_from.iter().any(|c| c.contains(peer.ip())) {
            self.refuse_header(peer, Refusal::Untrusted);
            return;
        }
        let until = self.now + self.shared.timeouts.get().request.unwrap_or(HEADER_TIMEOUT_FALLBACK);
        match self.prefaces.add(&mut self.poller, sock, li, (peer, local), until) {
            // A load balancer sends the header with its first segment: it
            // is usually here already.
            Ok(token) => self.on_preface_event(token),
            Err(e) => {
                tracing::warn!(error = %e, "cannot register a new connection");
                m.connections_open.fetch_sub(1, Relaxed);
                m.closed(CloseReason::Error);
            }
        }
    }

    /// Reads a PROXY protocol header; opens the connection once it is
    /// whole, with the address it carries as the client's.
    fn on_preface_event(&mut self, token: u64) {
        match self.prefaces.on_readable(&mut self.poller, token, &mut self.scratch) {
            Outcome::Waiting => {}
            Outcome::Refused(peer, why) => self.refuse_header(peer, why),
            Outcome::Done(p) => {
                let m = &self.shared.metrics;
                m.proxy_header(p.arrived.proxied);
                m.bytes_in.fetch_add(p.arrived.input.len() as u64, Relaxed);
                tracing::debug!(client = %p.arrived.peer, via = %p.via, "PROXY protocol header read");
                self.open(p.sock, p.listener, p.arrived.peer, p.local, p.arrived.input);
            }
        }
    }

    /// Counts and logs a refused PROXY protocol header, whose connection
    /// is closed already (its socket dropped).
    fn refuse_header(&self, peer: SocketAddr, why: Refusal) {
        let m = &self.shared.metrics;
        m.proxy_refused(why);
        m.connections_open.fetch_sub(1, Relaxed);
        m.closed(CloseReason::ProxyHeader);
        if let Some(suppressed) = self.shared.proxy_log.allow() {
            tracing::warn!(%peer, reason = why.as_str(), suppressed, "PROXY protocol header refused: {}; closing", why.detail());
        }
    }

    /// Gives a new connection to the service (`Service::open`) and starts
    /// reading it; `input` is what arrived already (after a PROXY protocol
    /// header).
    fn open(&mut self, sock: TcpStream, li: usize, peer: SocketAddr, local: SocketAddr, mut input: Vec<u8>) {
        let m = &self.shared.metrics;
        let tls = match self.acceptor.tls(li).map(|config| Tls::new(config, self.now)).transpose() {
            Ok(tls) => tls.map(Box::new),
            Err(e) => {
                tracing::warn!(error = %e, "cannot start a TLS session");
                m.connections_open.fetch_sub(1, Relaxed);
                m.closed(CloseReason::TlsFailed);
                return;
            }
        };
        let (slot, id) = self.slab.vacant();
        let info = ConnInfo { id, peer, local };
        let Some(state) = self.guarded("open", || self.service.open(&info)) else {
            self.slab.release(slot);
            m.connections_open.fetch_sub(1, Relaxed);
            m.closed(CloseReason::Panic);
            return;
        };
        if let Err(e) = self.poller.register(sock.as_raw_fd(), slot as u64, Interest::READ) {
            tracing::warn!(error = %e, "cannot register a new connection");
            self.slab.release(slot);
            m.connections_open.fetch_sub(1, Relaxed);
            m.closed(CloseReason::Error);
            self.guarded("closed", || self.service.closed(state, &info, CloseReason::Error));
            return;
        }
        tracing::debug!(conn = %id, %peer, listener = li, "accepted");
        let mut conn = Conn::new(sock, info, state, tls, self.now);
        let early_input = !input.is_empty();
        // On a TLS listener what followed the header is ciphertext: the
        // session takes it below, once the connection is in its slot.
        let early_records = conn.tls.is_some() && early_input;
        if early_input && !early_records {
            conn.input = std::mem::take(&mut input);
            conn.unseen = true;
            conn.request_since = Some(self.now);
        }
        if self.drain.draining() {
            // Its header was under way at the signal: what it sent until
            // now is answered, as for every connection.
            conn.drain_quota = sys::pending_input(conn.sock.as_raw_fd()).unwrap_or(0);
        }
        self.slab.insert(slot, conn);
        if early_records {
            self.receive_early_records(slot, &input);
        }
        if early_input {
            // Settled with this turn's mail, after the messages the service
            // sent from `open` (`Control::send`), as for a connection whose
            // first bytes come in a later read: kv's protected-mode refusal
            // is one, and was lost behind the close its handler asked for.
            self.touched.push(slot);
        } else {
            self.settle(slot);
        }
    }

    // ----- readiness -------------------------------------------------

    fn on_conn_event(&mut self, slot: u32, ev: &Event) {
        let Some(conn) = self.slab.get_mut(slot) else { return };
        if ev.closed {
            // A reset, or both directions shut: nothing more can be delivered.
            let reason = match conn.ending {
                Ending::Lingering { reason, .. } => reason,
                _ => CloseReason::Error,
            };
            self.abort(slot, reason);
            return;
        }
        if ev.writable {
            self.flush(slot);
        }
        if ev.readable {
            self.read(slot);
        }
        self.settle(slot);
    }

    /// Reads what the socket has, up to the turn's budget and the buffer limit.
    fn read(&mut self, slot: u32) {
        let now = self.now;
        let draining = self.drain.draining();
        let Some(conn) = self.slab.get_mut(slot) else { return };
        if conn.ending.aborted() || conn.peer.closed() {
            return;
        }
        let max_input = conn.input_limit(&self.shared.config);
        let fd = conn.sock.as_raw_fd();
        let mut total = 0;
        let outcome = loop {
            if let Ending::Lingering { reason, .. } = conn.ending {
                // The connection is closing, and only its EOF matters.
                break discard_input(fd, &mut self.scratch).then_some(ReadEnd::Abort(reason));
            }
            // A request the service announced is read straight into the
            // buffer, reserved for it whole, in reads as large as the
            // turn's budget; anything else through the scratch buffer, so
            // that an idle connection's buffer stays empty.
            let into_buffer = conn.announced > conn.input.len() && conn.tls.is_none();
            let chunk = if into_buffer { READ_BUDGET_BYTES } else { READ_CHUNK_BYTES };
            let mut room = max_input.saturating_sub(conn.buffered()).min(chunk);
            if draining {
                // Only what arrived before the signal.
                room = if matches!(conn.ending, Ending::Closing(_)) { 0 } else { room.min(conn.drain_quota) };
            }
            if room == 0 || total >= READ_BUDGET_BYTES {
                break None;
            }
            let got = if into_buffer {
                if conn.input.capacity() < conn.announced {
                    // A failure leaves the buffer to grow as it reads.
                    let _ = conn.input.try_reserve_exact(conn.announced - conn.input.len());
                }
                sys::recv_append(fd, &mut conn.input, room)
            } else {
                sys::recv(fd, &mut self.scratch[..room])
            };
            match got {
                Ok(0) => {
                    conn.peer = Peer::Closed;
                    conn.drain_quota = 0;
                    break None;
                }
                Ok(n) => {
                    conn.drain_quota = conn.drain_quota.saturating_sub(n);
                    let starts_request = conn.input.is_empty() && !conn.mid_request;
                    let plaintext = match conn.tls.as_mut() {
                        None => {
                            if !into_buffer {
                                conn.input.extend_from_slice(&self.scratch[..n]);
                            }
                            n
                        }
                        Some(tls) => match tls.receive(&self.scratch[..n], &mut conn.input, &self.shared.metrics.tls) {
                            Received::Records { plaintext, established, closed } => {
                                if established {
                                    tracing::debug!(conn = %conn.info.id, alpn = ?tls.alpn().map(String::from_utf8_lossy), "TLS handshake done");
                                }
                                if closed {
                                    // Its `close_notify`: its EOF, as far as the service goes.
                                    conn.peer = Peer::Closed;
                                    conn.drain_quota = 0;
                                }
                                plaintext
                            }
                            Received::PlainText => break Some(ReadEnd::PlainText),
                            Received::Failed(why, message) => break Some(ReadEnd::TlsFailed(why, message)),
                        },
                    };
                    if plaintext > 0 {
                        if starts_request {
                            conn.request_since = Some(now);
                        }
                        conn.unseen = true;
                    }
                    conn.last_active = now;
                    total += n;
                    if conn.peer.closed() {
                        break None;
                    }
                    if n < room {
                        // The socket is empty for now. Readiness is
                        // level-triggered, so more bytes (or the EOF)
                        // report again: the read that would only say
                        // `EAGAIN` is saved, one syscall per request.
                        break None;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break None,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    tracing::debug!(conn = %conn.info.id, error = %e, "read failed");
                    break Some(ReadEnd::Abort(CloseReason::Error));
                }
            }
        };
        self.shared.metrics.bytes_in.fetch_add(total as u64, Relaxed);
        if let Some(end) = outcome {
            self.end_read(slot, end);
            return;
        }
        let conn = self.slab.get_mut(slot).unwrap();
        if conn.buffered() >= max_input && conn.unseen && conn.announced < max_input {
            self.shared.metrics.limit_hit(Limit::MaxInput);
        }
    }

    /// Hands the TLS records that came with a PROXY protocol header (the
    /// start of the handshake, read past the header) to the session, as a
    /// read would.
    fn receive_early_records(&mut self, slot: u32, records: &[u8]) {
        let now = self.now;
        let Some(conn) = self.slab.get_mut(slot) else { return };
        let Some(tls) = conn.tls.as_mut() else { return };
        let end = match tls.receive(records, &mut conn.input, &self.shared.metrics.tls) {
            Received::Records { plaintext, established: _, closed } => {
                if closed {
                    conn.peer = Peer::Closed;
                    conn.drain_quota = 0;
                }
                if plaintext > 0 {
                    // Early data: the handshake cannot be done yet, but
                    // this reads as `read` does should that change.
                    conn.request_since = Some(now);
                    conn.unseen = true;
                }
                conn.last_active = now;
                return;
            }
            Received::PlainText => ReadEnd::PlainText,
            Received::Failed(why, message) => ReadEnd::TlsFailed(why, message),
        };
        self.end_read(slot, end);
    }

    /// Ends a connection's reading for the reason `read` stopped early.
    fn end_read(&mut self, slot: u32, end: ReadEnd) {
        match end {
            ReadEnd::Abort(reason) => self.abort(slot, reason),
            ReadEnd::PlainText => {
                // nginx's courtesy: a clear-text reply saying why, rather
                // than silence or an alert the client cannot read.
                let conn = self.slab.get_mut(slot).unwrap();
                conn.tls = None;
                self.tls_failed(slot, Failure::PlainText, "a clear-text request on a TLS listener");
                self.reject(slot, Reject::NotTls, CloseReason::TlsFailed);
            }
            ReadEnd::TlsFailed(why, message) => {
                self.tls_failed(slot, why, &message);
                let conn = self.slab.get_mut(slot).unwrap();
                // The session's alert goes out; nothing else will.
                conn.out = crate::output::Output::new();
                conn.input.clear();
                conn.unseen = false;
                conn.ending.start_closing_for(CloseReason::TlsFailed);
            }
        }
    }

    /// Writes pending output; arms write interest only if the socket is full.
    fn flush(&mut self, slot: u32) {
        if std::mem::take(&mut self.before_write_due) {
            let service = &self.service;
            Self::guard(&self.shared, "before_write", || service.before_write());
        }
        let now = self.now;
        let Some(conn) = self.slab.get_mut(slot) else { return };
        if conn.direct_out() || !conn.has_writable() || conn.ending.aborted() || conn.held.is_some() {
            return;
        }
        let fd = conn.sock.as_raw_fd();
        let written = match conn.tls.as_mut() {
            None => conn.out.write_to(fd),
            Some(tls) => tls.write_to(fd, &mut conn.out),
        };
        match written {
            Ok(Written::All(n) | Written::Partial(n)) => {
                if n > 0 {
                    conn.last_active = now;
                    conn.write_since = Some(now);
                }
                if !conn.has_writable() {
                    conn.write_since = None;
                }
                self.shared.metrics.bytes_out.fetch_add(n as u64, Relaxed);
                self.account_output(slot);
            }
            Err(e) => {
                tracing::debug!(conn = %conn.info.id, error = %e, "write failed");
                self.abort(slot, CloseReason::Error);
            }
        }
    }

    /// Counts a failed TLS handshake (or record) and logs it, at most a
    /// line a second; the session is not counted again when it closes.
    fn tls_failed(&mut self, slot: u32, why: Failure, message: &str) {
        let Some(conn) = self.slab.get_mut(slot) else { return };
        if let Some(tls) = conn.tls.as_mut() {
            tls.fail();
        }
        let established = conn.tls.as_ref().is_some_and(|t| t.was_established());
        if !established {
            self.shared.metrics.tls.failed(why);
        }
        if let Some(suppressed) = self.shared.tls_log.allow() {
            let (id, peer) = (conn.info.id, conn.info.peer);
            tracing::warn!(%peer, reason = why.as_str(), suppressed, "{id}: TLS failed: {message}");
        }
    }

    // ----- the connection state machine ------------------------------

    /// Brings a connection up to date after anything happened to it: runs
    /// or queues its next task, writes, decides whether it is done, and
    /// fixes its interest and deadline. What to do is `Conn::next_step`;
    /// each arm does it, and either ends here or looks again.
    fn settle(&mut self, slot: u32) {
        let mut wrote = false;
        // Whether the output may have grown since the limits were checked:
        // not after queueing a task, telling the service the input ended,
        // or writing (which checks them itself).
        let mut output_grew = true;
        loop {
            let Some(conn) = self.slab.get(slot) else { return };
            if output_grew && !conn.ending.aborted() && self.limit_output(slot) {
                return;
            }
            output_grew = true;
            let turn = Turn { draining: self.drain.draining(), goodbyes: self.drain.goodbyes(), wrote };
            let low_water = self.shared.config.output_low_water_bytes as u64;
            let Some(conn) = self.slab.get_mut(slot) else { return };
            let step = conn.next_step(turn, low_water);
            wrote = false;
            match step {
                Step::Close(reason) => {
                    self.close(slot, reason);
                    return;
                }
                Step::AwaitTask => {
                    self.note_awaited(slot);
                    return;
                }
                Step::Dispatch => output_grew = self.dispatch(slot),
                Step::Write => {
                    // At the end of the turn, together with every other
                    // connection's output (settled again then).
                    if !self.flushing {
                        if !conn.flush_queued {
                            conn.flush_queued = true;
                            self.to_flush.push(slot);
                        }
                        return;
                    }
                    self.flush(slot);
                    wrote = true;
                    output_grew = false;
                }
                Step::Resume => conn.output_paused = false,
                Step::Linger(reason) => {
                    self.linger(slot, reason);
                    return;
                }
                Step::EndInput => {
                    let state = conn.state_mut().expect("no task is out");
                    let service = &self.service;
                    let farewell = Self::guard(&self.shared, "input_ended", || service.input_ended(state));
                    let service_close_by =
                        (farewell == Some(Farewell::Wait)).then(|| self.now + self.shared.config.linger_timeout);
                    conn.peer = Peer::Answered { service_close_by };
                    output_grew = false;
                }
                Step::Goodbye if conn.handshaking() => {
                    // Nothing was said on it, and a goodbye could not be.
                    self.close(slot, CloseReason::Shutdown);
                    return;
                }
                Step::Goodbye => {
                    conn.said_goodbye = true;
                    let Holder::Loop(state) = &mut conn.holder else { unreachable!("no task is out") };
                    let service = &self.service;
                    let farewell = Self::guard(&self.shared, "goodbye", || service.goodbye(state, &mut conn.out));
                    if farewell.unwrap_or(Farewell::Close) == Farewell::Close {
                        conn.ending = Ending::Closing(CloseReason::Shutdown);
                    }
                }
                Step::Wait => {
                    self.note_awaited(slot);
                    self.sync_interest(slot);
                    self.arm_timer(slot);
                    return;
                }
            }
        }
    }

    /// Holds the connection to its output limits: counts its output,
    /// pauses or resumes reading at the water marks, closes a slow reader.
    /// Returns true if that closed the connection.
    fn limit_output(&mut self, slot: u32) -> bool {
        if self.account_output(slot) {
            return true;
        }
        let config = &self.shared.config;
        let Some(conn) = self.slab.get_mut(slot) else { return true };
        // Output hysteresis.
        let pending = conn.out.len();
        if !conn.output_paused && pending > config.output_high_water_bytes as u64 {
            conn.output_paused = true;
            self.shared.metrics.limit_hit(Limit::OutputHighWater);
        } else if conn.output_paused && pending < config.output_low_water_bytes as u64 {
            conn.output_paused = false;
        }
        if conn.out.mem_len() > config.max_output_bytes.saturating_add(conn.last_call_out) {
            let id = conn.info.id;
            self.shared.limit(
                Limit::MaxOutput,
                format_args!("{id}: output pending past max_output_bytes; closing a slow reader"),
            );
            self.abort(slot, CloseReason::OutputTooLarge);
            return true;
        }
        false
    }

    /// Counts the connection's owned output in the server-wide total and
    /// holds it to the per-connection output limits. Returns true if that
    /// closed the connection.
    fn account_output(&mut self, slot: u32) -> bool {
        let now = self.now;
        let Some(conn) = self.slab.get_mut(slot) else { return true };
        if conn.ending.aborted() {
            return false;
        }
        let mem = conn.out.mem_len() + conn.behind_task.mem_len();
        if mem != conn.counted_output {
            let m = &self.shared.metrics.output_memory;
            if mem > conn.counted_output {
                m.fetch_add((mem - conn.counted_output) as u64, Relaxed);
            } else {
                m.fetch_sub((conn.counted_output - mem) as u64, Relaxed);
            }
            conn.counted_output = mem;
        }
        if mem == 0 {
            // The usual case once a reply is written: no limit to check.
            conn.soft_since = None;
            return false;
        }
        let limits = self.shared.output_of(conn.class).get();
        let id = conn.info.id;
        if limits.hard_bytes > 0 && mem > limits.hard_bytes {
            self.shared.limit(
                Limit::OutputHard,
                format_args!("{id}: {mem} bytes of output pending, past the hard output limit; closing"),
            );
            self.abort(slot, CloseReason::OutputTooLarge);
            return true;
        }
        if limits.soft_bytes > 0 && mem > limits.soft_bytes {
            let since = *conn.soft_since.get_or_insert(now);
            if now.saturating_duration_since(since) >= limits.soft_time {
                self.shared.limit(
                    Limit::OutputSoft,
                    format_args!("{id}: output held above the soft output limit too long; closing"),
                );
                self.abort(slot, CloseReason::OutputTooLarge);
                return true;
            }
        } else {
            conn.soft_since = None;
        }
        false
    }

    /// While all connections together hold more output than the total
    /// output limit allows, closes this loop's connections that hold the
    /// most, largest first (as Redis's `maxmemory-clients` does).
    fn shed_output(&mut self) {
        while self.shared.output.total_exceeded(self.shared.metrics.output_memory.load(Relaxed)) {
            let largest = self.slab.iter().map(|(slot, c)| (c.counted_output, slot)).max();
            let Some((held, slot)) = largest.filter(|&(held, _)| held > 0) else { return };
            let id = self.slab.get(slot).unwrap().info.id;
            self.shared.limit(
                Limit::OutputTotal,
                format_args!("{id}: output of all clients past the total output limit; closing the one with the most ({held} bytes)"),
            );
            self.abort(slot, CloseReason::OutputTooLarge);
        }
    }

    /// Writes the output of every connection that got some during the turn,
    /// then settles each. Deferring the writes to here, as Redis does,
    /// sends the replies to one readiness batch in one burst: the clients
    /// wake once for all of them and answer together, so the next wait
    /// returns a batch again, rather than replies trickling out while the
    /// loop still reads (measured in `docs/architecture.md`).
    fn flush_deferred(&mut self) {
        self.flushing = true;
        let mut slots = std::mem::take(&mut self.to_flush);
        for &slot in &slots {
            let Some(conn) = self.slab.get_mut(slot) else { continue };
            if std::mem::take(&mut conn.flush_queued) {
                self.settle(slot);
            }
        }
        slots.clear();
        self.to_flush = slots;
        self.flushing = false;
    }

    /// Marks (and counts) a connection whose task is out if the loop has
    /// work for it; the mark goes when the task comes back.
    fn note_awaited(&mut self, slot: u32) {
        let Some(conn) = self.slab.get_mut(slot) else { return };
        if conn.mark_awaited() {
            self.awaiting += 1;
        }
    }

    /// Tells workers, before the last look, whether a quiet completion
    /// must wake this loop: while it awaits some task, or drains.
    fn publish_awaited(&self) {
        self.inbox.waker.set_awaited(self.drain.draining() || self.awaiting > 0);
    }

    /// Hands the connection's input to a task. Returns true if it already
    /// ran (inline mode, or the service asked for it: `Service::run_inline`).
    fn dispatch(&mut self, slot: u32) -> bool {
        let direct = self.shared.config.respond == Respond::Direct;
        let conn = self.slab.get_mut(slot).unwrap();
        let input = std::mem::take(&mut conn.input);
        conn.unseen = false;
        conn.announced = 0;
        let handed_over = std::mem::take(&mut conn.next_on_worker);
        let service = &self.service;
        let state = conn.state().expect("dispatched with the state on the loop");
        let inline = self.queue.is_none()
            || (!handed_over
                && Self::guard(&self.shared, "run_inline", || service.run_inline(state, &input)).unwrap_or(false));
        let direct_fd = (direct && !inline && conn.out.is_empty() && conn.held.is_none() && conn.tls.is_none())
            .then(|| conn.sock.as_raw_fd());
        let state = conn.hand_out(direct_fd.is_some(), input.len());
        self.direct_out += usize::from(direct_fd.is_some());
        let mut task = Task::new(conn.info.id, state, input, conn.peer.closed(), direct_fd, conn.gone.clone());
        if conn.out.is_empty() {
            // Its buffers, for the replies to start in (back in `absorb`).
            task.out = std::mem::take(&mut conn.out);
        }
        if inline {
            let runner = if self.queue.is_some() { Runner::LoopBeforePool } else { Runner::LoopAlone };
            task.run(&*self.service, &self.control, &self.shared, runner);
            self.before_write_due = true;
            self.shared.metrics.tasks_done.fetch_add(1, Relaxed);
            self.shared.metrics.tasks_inline.fetch_add(1, Relaxed);
            self.absorb(slot, task);
            return true;
        }
        self.shared.metrics.tasks_queued.fetch_add(1, Relaxed);
        task.queued_at = Some(Instant::now());
        self.batch.push(task);
        false
    }

    /// Pushes this turn's tasks to the pool; what does not fit goes back to
    /// its connection, which stops reading until there is room.
    fn submit(&mut self) {
        if self.batch.is_empty() {
            return;
        }
        let Some(queue) = self.queue.clone() else { return };
        queue.push_batch(&mut self.batch);
        if self.batch.is_empty() {
            return;
        }
        let refused = std::mem::take(&mut self.batch);
        self.shared
            .limit(Limit::QueueFull, format_args!("task queue full; pausing reads on {} connections", refused.len()));
        for task in refused {
            self.shared.metrics.tasks_queued.fetch_sub(1, Relaxed);
            let slot = task.id.slot();
            let conn = self.slab.get_mut(slot).expect("a queued task's connection is open");
            let mut input = task.input;
            input.append(&mut conn.input);
            conn.input = input;
            let (direct, awaited) = conn.take_back(task.state);
            conn.unseen = true;
            self.awaiting -= usize::from(awaited);
            self.direct_out -= usize::from(direct);
            conn.queued_for_room = true;
            self.blocked.push_back(task.id);
            self.settle(slot);
        }
    }

    /// Takes back a finished task.
    fn absorb(&mut self, slot: u32, mut task: Task<S>) {
        let now = self.now;
        self.shared.metrics.bytes_out.fetch_add(task.written as u64, Relaxed);
        let conn = self.slab.get_mut(slot).expect("a task's connection stays open");
        let (direct, awaited) = conn.take_back(task.state);
        self.awaiting -= usize::from(awaited);
        let (verdict, failure) = (task.verdict, task.failure);
        if task.written > 0 {
            conn.last_active = now;
        }
        let mut input = task.input;
        if !conn.input.is_empty() {
            input.extend_from_slice(&conn.input);
        }
        conn.input = input;
        conn.mid_request = verdict.mid_request;
        conn.announced = verdict.announced;
        let max_input = conn.input_limit(&self.shared.config);
        if verdict.mid_request {
            conn.request_since.get_or_insert(now);
        } else if conn.input.is_empty() {
            conn.request_since = None;
            if conn.input.capacity() > KEEP_INPUT_CAPACITY_BYTES {
                conn.input = Vec::new();
            }
        } else if verdict.consumed > 0 {
            conn.request_since = Some(now);
        }
        conn.last_call_out = task.out.mem_len();
        if direct {
            conn.out.prepend(&mut task.out);
        } else {
            conn.out.append(&mut task.out);
        }
        conn.out.append(&mut conn.behind_task);
        if let Some(class) = verdict.class {
            conn.class = class;
        }
        // Checked after the worker set it: a release that lands later
        // posts a note, which finds the connection in `held`.
        if let Some(gate) = verdict.hold.filter(|&g| g > self.shared.released.load(SeqCst)) {
            conn.held = Some(conn.held.map_or(gate, |g| g.max(gate)));
            self.held.push(slot);
        }
        self.direct_out -= usize::from(direct);
        let next = verdict.next(failure, conn.unseen, conn.input.len(), max_input);
        if conn.parking.task_back(next == Next::Park) {
            // Woken before the task was back: the service is called again.
            conn.unseen = true;
        }
        match next {
            Next::WriteFailed => {
                // Aborted connections are out of the poller (see `abort`);
                // `close` does not deregister them again, and the `poll`
                // backend would keep a closed descriptor's entry, which the
                // next socket to get that descriptor could not register.
                let _ = self.poller.deregister(conn.sock.as_raw_fd());
                conn.ending.abort(CloseReason::Error);
            }
            Next::Panicked => self.reject(slot, Reject::Panic, CloseReason::Panic),
            Next::Close => conn.ending.start_closing(CloseReason::Service),
            Next::Again => conn.unseen = true,
            Next::ToWorker => {
                conn.unseen = true;
                conn.next_on_worker = true;
            }
            Next::Park => {}
            Next::TooLarge => {
                let id = conn.info.id;
                self.shared.limit(
                    Limit::MaxInput,
                    format_args!("{id}: request larger than max_input_bytes ({max_input}); closing"),
                );
                self.reject(slot, Reject::InputTooLarge, CloseReason::InputTooLarge);
            }
            Next::Read => {}
        }
    }

    // ----- the ways a connection ends --------------------------------
    //
    // `reject`: reply as the service says for `why`, then close after the
    // output (`Ending::Closing`). `linger`: the output is written; shut the
    // write side and wait for the client's EOF (`Ending::Lingering`).
    // `abort`: the socket is finished (`Ending::Aborted`). `close`: the
    // socket is closed and the state dropped, now. What leads to each is
    // decided in `Conn::next_step`, `absorb` and `expire`.

    /// Sends the service's reply for `why` (if any) and closes after it.
    fn reject(&mut self, slot: u32, why: Reject, reason: CloseReason) {
        let reply = self.guarded("reject", || self.service.reject(why)).flatten();
        let conn = self.slab.get_mut(slot).unwrap();
        if let Some(reply) = reply {
            conn.out.push_vec(reply);
        }
        conn.input.clear();
        conn.unseen = false;
        conn.ending.start_closing_for(reason);
    }

    /// Closes once the output is written: at once if the client already
    /// closed its side, else after a lingering wait for its EOF.
    fn linger(&mut self, slot: u32, reason: CloseReason) {
        let linger = self.shared.config.linger_timeout;
        let until = self.drain.until().map_or(self.now + linger, |d| d.min(self.now + linger));
        let conn = self.slab.get_mut(slot).unwrap();
        if let Some(tls) = conn.tls.as_mut() {
            tls.close_notify(conn.sock.as_raw_fd());
        }
        if conn.peer.closed() || sys::shutdown_write(conn.sock.as_raw_fd()).is_err() {
            self.close(slot, reason);
            return;
        }
        conn.ending = Ending::Lingering { reason, until };
        conn.input = Vec::new();
        conn.unseen = false;
        self.sync_interest(slot);
        self.arm_timer(slot);
    }

    /// The socket is finished: close it now, or when its task comes back;
    /// nothing more is read or written.
    fn abort(&mut self, slot: u32, reason: CloseReason) {
        let conn = self.slab.get_mut(slot).unwrap();
        if !conn.task_out() {
            self.close(slot, reason);
            return;
        }
        // The worker may stop early: nothing it writes will be sent.
        conn.gone.store(true, Relaxed);
        let counted = std::mem::take(&mut conn.counted_output);
        self.shared.metrics.output_memory.fetch_sub(counted as u64, Relaxed);
        conn.ending.abort(reason);
        // Level-triggered hang-ups would report again every turn.
        let fd = conn.sock.as_raw_fd();
        let _ = self.poller.deregister(fd);
        conn.interest = Interest::NONE;
        self.note_awaited(slot);
    }

    /// Closes the socket and drops the service state (`Service::closed`).
    fn close(&mut self, slot: u32, reason: CloseReason) {
        let Some(conn) = self.slab.remove(slot) else { return };
        if conn.handshaking() {
            self.shared.metrics.tls.failed(Failure::Closed);
        }
        if !conn.ending.aborted() {
            let _ = self.poller.deregister(conn.sock.as_raw_fd());
        }
        let m = &self.shared.metrics;
        m.connections_open.fetch_sub(1, Relaxed);
        m.output_memory.fetch_sub(conn.counted_output as u64, Relaxed);
        m.closed(reason);
        tracing::debug!(conn = %conn.info.id, reason = reason.as_str(), "closed");
        if let Holder::Loop(state) = conn.holder {
            self.guarded("closed", || self.service.closed(*state, &conn.info, reason));
        }
    }

    fn sync_interest(&mut self, slot: u32) {
        let draining = self.drain.draining();
        let conn = self.slab.get_mut(slot).unwrap();
        let want = conn.wanted_interest(&self.shared.config, draining);
        if want != conn.interest && !conn.ending.aborted() {
            if let Err(e) = self.poller.reregister(conn.sock.as_raw_fd(), slot as u64, want) {
                tracing::debug!(conn = %conn.info.id, error = %e, "cannot change interest");
            }
            conn.interest = want;
        }
    }

    // ----- timers ----------------------------------------------------

    fn arm_timer(&mut self, slot: u32) {
        let generation = self.slab.generation(slot);
        let conn = self.slab.get_mut(slot).unwrap();
        let soft_time = self.shared.output_of(conn.class).soft_time();
        let Some((at, _)) = conn.deadline(&self.shared.timeouts.get(), soft_time) else { return };
        self.timers.arm(&mut conn.timer_at, at, slot, generation);
    }

    fn fire_timers(&mut self) {
        let now = Instant::now();
        self.now = now;
        self.turned_away.expire(&mut self.poller, now);
        for peer in self.prefaces.expire(&mut self.poller, now) {
            self.refuse_header(peer, Refusal::Timeout);
        }
        if !self.drain.draining() {
            self.acceptor.resume_if_due(&mut self.poller, now);
        }
        while let Some(slot) = self.timers.pop_due(now, &mut self.slab) {
            let conn = self.slab.get_mut(slot).unwrap();
            match conn.deadline(&self.shared.timeouts.get(), self.shared.output_of(conn.class).soft_time()) {
                Some((t, why)) if t <= now => self.expire(slot, why),
                _ => self.arm_timer(slot),
            }
        }
    }

    fn expire(&mut self, slot: u32, why: Deadline) {
        let conn = self.slab.get_mut(slot).unwrap();
        let id = conn.info.id;
        match why {
            Deadline::Linger => {
                let reason = match conn.ending {
                    Ending::Lingering { reason, .. } => reason,
                    _ => CloseReason::Shutdown,
                };
                self.close(slot, reason);
            }
            Deadline::Write => {
                self.shared
                    .limit(Limit::WriteTimeout, format_args!("{id}: output stalled past write_timeout; closing"));
                self.abort(slot, CloseReason::WriteTimeout);
            }
            Deadline::Request => {
                self.shared.limit(
                    Limit::RequestTimeout,
                    format_args!("{id}: request incomplete past request_timeout; closing"),
                );
                self.reject(slot, Reject::RequestTimeout, CloseReason::RequestTimeout);
                self.settle(slot);
            }
            Deadline::SoftOutput => {
                self.shared.limit(
                    Limit::OutputSoft,
                    format_args!("{id}: output held above the soft output limit too long; closing"),
                );
                self.abort(slot, CloseReason::OutputTooLarge);
            }
            Deadline::Handshake => {
                self.shared.limit(
                    Limit::RequestTimeout,
                    format_args!("{id}: TLS handshake not done within request_timeout; closing"),
                );
                self.tls_failed(slot, Failure::Timeout, "not done within request_timeout");
                self.abort(slot, CloseReason::RequestTimeout);
            }
            Deadline::ServiceClose => {
                // The service did not close it in time after the EOF.
                conn.peer = Peer::Answered { service_close_by: None };
                self.settle(slot);
            }
            Deadline::Idle => {
                self.shared.limit(Limit::IdleTimeout, format_args!("{id}: no traffic for idle_timeout; closing"));
                let conn = self.slab.get_mut(slot).unwrap();
                conn.ending.start_closing_for(CloseReason::Idle);
                self.settle(slot);
            }
        }
    }

    // ----- mail from other threads -----------------------------------

    /// Takes back finished tasks, then applies the notes from other
    /// threads, then settles every connection either touched.
    ///
    /// The notes are taken after the tasks and applied before any of those
    /// connections is settled (which may start its next task): a note its
    /// handler sent (a pub/sub confirmation), and every message sent after
    /// that one, was posted before its task came back, so it lands before
    /// the output of the connection's next task, and after this one's.
    fn take_mail(&mut self) {
        let mut done = std::mem::take(&mut self.done);
        self.completions.take(&mut done);
        let mut notes = std::mem::take(&mut self.notes);
        self.inbox.take(&mut notes);
        let mut touched = std::mem::take(&mut self.touched);
        for task in done.drain(..) {
            self.shared.metrics.tasks_done.fetch_add(1, Relaxed);
            let slot = task.id.slot();
            self.absorb(slot, task);
            touched.push(slot);
        }
        self.done = done;
        // Append every note first, then settle each connection once: a
        // burst of messages to one connection costs one write, not one each.
        for note in notes.drain(..) {
            let slot = match note {
                Note::Send(id, bytes) => self.deliver(id, Delivery::Owned(bytes)),
                Note::SendMany(ids, bytes) => {
                    for id in ids {
                        touched.extend(self.deliver(id, Delivery::Shared(&bytes)));
                    }
                    None
                }
                Note::Close(id) => self.deliver(id, Delivery::Close),
                Note::Release => {
                    self.release_held(&mut touched);
                    None
                }
                Note::Wake(id) => self.wake(id),
            };
            touched.extend(slot);
        }
        self.notes = notes;
        touched.sort_unstable();
        touched.dedup();
        for &slot in &touched {
            self.settle(slot);
        }
        touched.clear();
        self.touched = touched;
    }

    /// Gives the connections that found the queue full another try; those
    /// that still do not fit go back to waiting in `submit`.
    fn retry_blocked(&mut self) {
        for id in std::mem::take(&mut self.blocked) {
            if let Some(slot) = self.slab.slot_of(id) {
                self.slab.get_mut(slot).unwrap().queued_for_room = false;
                self.settle(slot);
            }
        }
    }

    /// Applies a note (bytes to send, or a close) to its connection;
    /// returns the slot to settle, if any. Bytes that arrive while a task
    /// is out wait behind its output (`Conn::behind_task`).
    fn deliver(&mut self, id: ConnId, what: Delivery<'_>) -> Option<u32> {
        let slot = self.slab.slot_of(id)?;
        let conn = self.slab.get_mut(slot).unwrap();
        if !conn.ending.live() {
            return None;
        }
        let to = if conn.task_out() { &mut conn.behind_task } else { &mut conn.out };
        match what {
            Delivery::Owned(bytes) => to.push_vec(bytes),
            Delivery::Shared(bytes) => {
                let len = (**bytes).as_ref().len();
                if len < SHARE_MIN_BYTES {
                    to.extend_from_slice((**bytes).as_ref());
                } else {
                    to.push_shared_counted(Arc::clone(bytes), 0..len);
                }
            }
            Delivery::Close => {
                let reason = if let Peer::Answered { .. } = conn.peer {
                    // The service's close ends its wait.
                    conn.peer = Peer::Answered { service_close_by: None };
                    CloseReason::PeerClosed
                } else if conn.said_goodbye {
                    CloseReason::Shutdown
                } else {
                    CloseReason::Service
                };
                conn.ending.start_closing(reason);
            }
        }
        Some(slot)
    }

    /// Ends a connection's park (`Control::wake`); returns the slot to
    /// settle if the service is to be called now.
    fn wake(&mut self, id: ConnId) -> Option<u32> {
        let slot = self.slab.slot_of(id)?;
        let conn = self.slab.get_mut(slot).unwrap();
        if !conn.ending.live() || !conn.parking.wake(conn.task_out()) {
            return None;
        }
        // Called even with no new input: what the service waited for is
        // what it has to answer.
        conn.unseen = true;
        Some(slot)
    }

    /// Frees the output of connections whose gate is released; they join
    /// `touched`, to be settled (and so written) with the turn's notes.
    fn release_held(&mut self, touched: &mut Vec<u32>) {
        let released = self.shared.released.load(SeqCst);
        let mut held = std::mem::take(&mut self.held);
        held.retain(|&slot| {
            let Some(conn) = self.slab.get_mut(slot) else { return false };
            match conn.held {
                Some(gate) if gate <= released => {
                    conn.held = None;
                    touched.push(slot);
                    false
                }
                Some(_) => true,
                None => false,
            }
        });
        self.held = held;
    }

    /// Runs a service hook on this thread; a panic in it is counted and
    /// logged, and costs the hook's result, not the I/O loop.
    fn guarded<T>(&self, hook: &str, f: impl FnOnce() -> T) -> Option<T> {
        Self::guard(&self.shared, hook, f)
    }

    fn guard<T>(shared: &Shared, hook: &str, f: impl FnOnce() -> T) -> Option<T> {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
        if result.is_err() {
            shared.metrics.panics.fetch_add(1, Relaxed);
            tracing::error!(hook, "a service hook panicked on the I/O thread");
        }
        result.ok()
    }

    // ----- shutdown --------------------------------------------------

    fn begin_shutdown(&mut self) {
        if self.drain.draining() {
            return;
        }
        self.shared.note_shutdown();
        // Clients in the listen backlog connected before the signal, and
        // may have sent whole requests: closing the listener would reset
        // them. Take them in (the backlog is finite), then stop accepting;
        // the last read below takes their requests.
        if self.acceptor.accepting() {
            for li in 0..self.acceptor.count() {
                while self.accept(li) {}
            }
        }
        self.drain.begin(self.now + self.shared.timeouts.get().shutdown);
        // What arrived before the signal is still answered: each connection
        // reads what its receive queue holds now, however many turns and
        // tasks that takes, and nothing after it. Measured before the
        // listeners close, so a client that sees them refuse knows that
        // whatever it sends from then on is not read.
        for conn in self.slab.conns_mut().filter(|c| c.ending.live()) {
            conn.drain_quota = sys::pending_input(conn.sock.as_raw_fd()).unwrap_or(0);
        }
        let _ = self.poller.deregister(self.shared.shutdown_fd());
        self.acceptor.close(&mut self.poller);
        tracing::debug!(io_loop = self.idx, open = self.slab.len(), "draining");
        for slot in self.slab.slots() {
            if self.slab.get_mut(slot).is_some() {
                self.read(slot);
                self.settle(slot);
            }
        }
    }

    /// The drain's two phases: first every loop finishes the requests it
    /// received; then, once all have, every connection hears its goodbye.
    fn advance_drain(&mut self) {
        let slab = &self.slab;
        // A connection in its preface has requests to come, which were
        // sent before the signal as far as anyone can tell.
        let prefacing = self.prefaces.len() > 0;
        let advance = self.drain.advance(|| prefacing || Self::has_received_work(slab), &self.shared);
        if advance.wake_others {
            // The last loop to finish: the others may be asleep.
            for inbox in self.control.inboxes.iter() {
                inbox.waker.wake();
            }
        }
        if advance.goodbyes_began {
            for slot in self.slab.slots() {
                if self.slab.get_mut(slot).is_some() {
                    self.settle(slot);
                }
            }
        }
    }

    /// Some connection still has received bytes to read or handle, or a
    /// task out. A parked connection's input waits for the service, which
    /// hears of the shutdown in its goodbye.
    fn has_received_work(slab: &Slab<S>) -> bool {
        slab.iter()
            .map(|(_, c)| c)
            .any(|c| c.ending.live() && !c.parking.parked() && (c.drain_quota > 0 || c.unseen || c.task_out()))
    }

    fn force_close_all(&mut self) -> LoopReport {
        let mut report = LoopReport::default();
        let prefacing = self.prefaces.close_all(&mut self.poller);
        report.forced += prefacing;
        for _ in 0..prefacing {
            self.shared.metrics.connections_open.fetch_sub(1, Relaxed);
            self.shared.metrics.closed(CloseReason::Shutdown);
        }
        for slot in self.slab.slots() {
            let Some(conn) = self.slab.get_mut(slot) else { continue };
            report.forced += 1;
            if !conn.task_out() {
                self.close(slot, CloseReason::Shutdown);
            } else {
                // A worker still has this connection (and maybe its socket):
                // leave the descriptor open for it; the process is exiting.
                let conn = self.slab.remove(slot).unwrap();
                self.shared.metrics.closed(CloseReason::Shutdown);
                self.shared.metrics.connections_open.fetch_sub(1, Relaxed);
                self.shared.metrics.output_memory.fetch_sub(conn.counted_output as u64, Relaxed);
                std::mem::forget(conn.sock);
            }
        }
        report
    }
}
