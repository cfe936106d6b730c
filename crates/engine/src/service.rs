//! The interface between the engine and a protocol: [`Service`].
//!
//! The engine owns sockets, buffers, timers and threads; a service owns
//! framing and meaning. A service sees a connection only through its own
//! per-connection state and a [`Cx`]: the bytes received so far, a place to
//! put the response, and a [`Control`] to reach other connections.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

use crate::limits::OutputClass;
use crate::mailbox::{Inbox, Note};
use crate::output::Output;
use crate::shared::Shared;
use crate::verdict::Verdict;

/// A connection's identity, unique for the life of the server: the loop
/// that owns it, its slot there, and the slot's generation (so that an id
/// of a closed connection never reaches the slot's next tenant).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnId(u64);

impl ConnId {
    pub(crate) fn new(io_loop: usize, slot: u32, generation: u32) -> ConnId {
        ConnId(((io_loop as u64) << 56) | ((generation as u64 & 0xff_ffff) << 32) | slot as u64)
    }

    pub(crate) fn io_loop(self) -> usize {
        (self.0 >> 56) as usize
    }

    pub(crate) fn slot(self) -> u32 {
        self.0 as u32
    }

    /// The id as one number, for logs and maps.
    pub fn as_u64(self) -> u64 {
        self.0
    }
}

impl fmt::Debug for ConnId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "conn#{}.{}.{}", self.io_loop(), self.slot(), (self.0 >> 32) & 0xff_ffff)
    }
}

impl fmt::Display for ConnId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// What a service learns about a new connection.
#[derive(Clone, Copy, Debug)]
pub struct ConnInfo {
    /// The connection's id.
    pub id: ConnId,
    /// The client's address: the socket's peer, or on a PROXY protocol
    /// listener (`Config::proxy_listen`) the source its header carries.
    pub peer: SocketAddr,
    /// The address on this host the connection reached (behind a load
    /// balancer, the address the balancer connected to).
    pub local: SocketAddr,
}

/// Why the engine is about to close a connection on its own, giving the
/// service a chance to say so in its protocol (see [`Service::reject`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reject {
    /// The server is at its connection limit (`max_connections`).
    Busy,
    /// Buffered input reached `max_input_bytes` without the service
    /// consuming any of it: a request too large to frame.
    InputTooLarge,
    /// A request started but did not arrive whole within `request_timeout`.
    RequestTimeout,
    /// The service's handler panicked while handling this connection.
    Panic,
    /// A clear-text request came to a TLS listener. The reply goes out in
    /// clear text, as nginx answers a plain HTTP request on its HTTPS port.
    NotTls,
}

/// Who closes a connection after its [`Service::goodbye`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Farewell {
    /// The engine, once the connection's output is written.
    Close,
    /// The service, with [`Control::close`]: for last words that must queue
    /// behind messages already on their way through [`Control::send`] (a
    /// chat server's closing line after the last channel messages). The
    /// drain deadline still bounds the wait.
    Wait,
}

/// Why a connection closed; the label of the `closed` metric.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CloseReason {
    /// The client closed its side and everything owed to it was written.
    PeerClosed,
    /// A reset, broken pipe or other socket error.
    Error,
    /// The service asked for the close ([`Cx::close`] or [`Control::close`]).
    Service,
    /// No traffic for `idle_timeout`.
    Idle,
    /// A request did not arrive whole within `request_timeout`.
    RequestTimeout,
    /// Pending output made no progress for `write_timeout`.
    WriteTimeout,
    /// Pending output passed `max_output_bytes`.
    OutputTooLarge,
    /// Buffered input reached `max_input_bytes` unconsumed.
    InputTooLarge,
    /// Turned away at the connection limit.
    Busy,
    /// The handler panicked.
    Panic,
    /// The server shut down.
    Shutdown,
    /// The TLS handshake or a TLS record failed (or the client spoke clear
    /// text to a TLS listener).
    TlsFailed,
    /// Its PROXY protocol header was refused (before the service saw it).
    ProxyHeader,
}

impl CloseReason {
    /// Every reason, in a fixed order (for metrics).
    pub const ALL: [CloseReason; 13] = [
        CloseReason::PeerClosed,
        CloseReason::Error,
        CloseReason::Service,
        CloseReason::Idle,
        CloseReason::RequestTimeout,
        CloseReason::WriteTimeout,
        CloseReason::OutputTooLarge,
        CloseReason::InputTooLarge,
        CloseReason::Busy,
        CloseReason::Panic,
        CloseReason::Shutdown,
        CloseReason::TlsFailed,
        CloseReason::ProxyHeader,
    ];

    /// A short snake_case label.
    pub fn as_str(self) -> &'static str {
        match self {
            CloseReason::PeerClosed => "peer_closed",
            CloseReason::Error => "error",
            CloseReason::Service => "service",
            CloseReason::Idle => "idle_timeout",
            CloseReason::RequestTimeout => "request_timeout",
            CloseReason::WriteTimeout => "write_timeout",
            CloseReason::OutputTooLarge => "output_too_large",
            CloseReason::InputTooLarge => "input_too_large",
            CloseReason::Busy => "busy",
            CloseReason::Panic => "panic",
            CloseReason::Shutdown => "shutdown",
            CloseReason::TlsFailed => "tls_failed",
            CloseReason::ProxyHeader => "proxy_header",
        }
    }

    pub(crate) fn index(self) -> usize {
        CloseReason::ALL.iter().position(|&r| r == self).unwrap_or(0)
    }
}

/// A protocol served by the engine.
///
/// One value of the service is shared by every thread; per-connection data
/// lives in [`Service::State`], which the engine hands to exactly one thread
/// at a time, so it needs no lock. Global data (a key-value store, chat
/// rooms) lives in the service value itself, behind its own locks.
///
/// # Examples
///
/// A service that answers every line with its length:
///
/// ```
/// use switchyard_engine::{ConnInfo, Cx, Service};
///
/// struct LineLength;
///
/// impl Service for LineLength {
///     type State = ();
///
///     fn open(&self, _conn: &ConnInfo) {}
///
///     fn handle(&self, _state: &mut (), cx: &mut Cx<'_>) {
///         while let Some(end) = cx.input().iter().position(|&b| b == b'\n') {
///             let reply = format!("{}\n", end);
///             cx.out().extend_from_slice(reply.as_bytes());
///             cx.consume(end + 1);
///         }
///     }
/// }
/// ```
pub trait Service: Send + Sync + 'static {
    /// Per-connection state.
    type State: Send + 'static;

    /// A connection was accepted. Runs on its I/O thread: keep it cheap.
    fn open(&self, conn: &ConnInfo) -> Self::State;

    /// Input arrived: frame the complete requests at the front of
    /// [`Cx::input`], answer each into [`Cx::out`], and [`Cx::consume`] them.
    /// Leave an incomplete request unconsumed; it comes back with more bytes.
    ///
    /// Runs on a worker thread (on the I/O thread when `workers` is 0, or
    /// when [`Service::run_inline`] says so). Calls
    /// for one connection never overlap, and come in the order its bytes
    /// arrived.
    fn handle(&self, state: &mut Self::State, cx: &mut Cx<'_>);

    /// Whether the I/O thread may handle this input itself, with no hop to
    /// a worker: for input that is cheaper to handle than a hand-off to a
    /// worker and back (a few constant-time key-value commands), where the
    /// queue, the worker's wake-up and the loop's would cost more than the
    /// work. Runs on the I/O thread before each task with the connection's
    /// buffered input; must be cheap itself, and must say no to anything
    /// that may block or take long, since every connection of the loop
    /// waits meanwhile. It may also say yes to input it has only glanced
    /// at, if the handler then looks at each request before running it and
    /// hands the rest to a worker ([`Cx::hand_to_worker`]) at the first
    /// one too costly for the loop: the input is then parsed once, not
    /// twice. Not called in inline mode (`workers` = 0), which runs
    /// everything on the I/O thread. The default says no.
    fn run_inline(&self, _state: &Self::State, _input: &[u8]) -> bool {
        false
    }

    /// The I/O thread is about to write output that handlers it ran itself
    /// (inline mode, or [`Service::run_inline`]) produced since the last
    /// call: the place to finish work batched across those calls before
    /// the replies leave, as Redis writes its append-only log once per
    /// event-loop turn, before the replies. Runs on the I/O thread, at
    /// most once per write of such output.
    fn before_write(&self) {}

    /// The server is shutting down, and every request any connection
    /// received before the signal has been handled: a last word before this
    /// connection's output is flushed and it is closed. Runs on the I/O
    /// thread. The answer says who closes it: the engine, once the output
    /// is written ([`Farewell::Close`]), or the service, later, through
    /// [`Control::close`] ([`Farewell::Wait`]).
    fn goodbye(&self, _state: &mut Self::State, _out: &mut Output) -> Farewell {
        Farewell::Close
    }

    /// The client closed its sending side, and everything it sent has been
    /// handled and the replies written: who closes the connection? The
    /// engine, now ([`Farewell::Close`], the default); or the service,
    /// through [`Control::close`] ([`Farewell::Wait`]), for a service
    /// whose replies travel through [`Control::send`] and may still be on
    /// their way (a chat server's). The engine waits for that close at
    /// most `linger_timeout`. Runs on the I/O thread, at most once per
    /// connection.
    fn input_ended(&self, _state: &mut Self::State) -> Farewell {
        Farewell::Close
    }

    /// Reports that the connection is closed, for `reason`, and hands back
    /// its state to drop. Runs on its I/O thread, exactly once per opened
    /// connection. (To close a connection, see [`Cx::close`] and
    /// [`Control::close`].)
    fn closed(&self, _state: Self::State, _conn: &ConnInfo, _reason: CloseReason) {}

    /// The bytes to send before the engine closes a connection for `why`,
    /// where the protocol has such a reply (HTTP's 503, Redis's `-ERR`).
    fn reject(&self, _why: Reject) -> Option<Vec<u8>> {
        None
    }

    /// The server has started; `control` reaches its connections from any
    /// thread (a service's timers, say). Called once, before any `open`.
    fn start(&self, _control: &Control) {}

    /// Appends the service's own metrics in the Prometheus text format
    /// (names prefixed `switchyard_<service>_`). Called from the admin
    /// listener's thread.
    fn metrics(&self, _out: &mut String) {}
}

/// What a handler works with: the connection's input and output, and the
/// rest of the server.
pub struct Cx<'a> {
    pub(crate) id: ConnId,
    pub(crate) input: &'a [u8],
    pub(crate) out: &'a mut Output,
    pub(crate) control: &'a Control,
    /// What this call decided, carried back by the task.
    pub(crate) verdict: Verdict,
    pub(crate) peer_closed: bool,
    pub(crate) runner: crate::task::Runner,
    pub(crate) gone: &'a std::sync::atomic::AtomicBool,
    pub(crate) started: std::time::Instant,
    pub(crate) ended: Option<std::time::Instant>,
}

impl<'a> Cx<'a> {
    /// This connection's id.
    pub fn id(&self) -> ConnId {
        self.id
    }

    /// When this call began, as the engine read the clock just before it:
    /// a handler that times its work starts from here rather than reading
    /// the clock again.
    pub fn started(&self) -> std::time::Instant {
        self.started
    }

    /// Tells the engine when the handler's work ended, for a handler that
    /// reads the clock at its end anyway: the service-time metric takes
    /// this rather than a clock reading of its own.
    pub fn ended_at(&mut self, at: std::time::Instant) {
        self.ended = Some(at);
    }

    /// The received bytes not consumed yet.
    pub fn input(&self) -> &[u8] {
        &self.input[self.verdict.consumed..]
    }

    /// Marks the first `n` bytes of [`Cx::input`] as handled.
    ///
    /// # Panics
    ///
    /// If `n` is more than `input().len()`.
    pub fn consume(&mut self, n: usize) {
        assert!(n <= self.input.len() - self.verdict.consumed, "consumed more input than there is");
        self.verdict.consumed += n;
    }

    /// Where responses go; written in order after earlier responses.
    pub fn out(&mut self) -> &mut Output {
        self.out
    }

    /// The unconsumed input and the output at once, for handlers that
    /// write while they parse.
    pub fn io(&mut self) -> (&[u8], &mut Output) {
        (&self.input[self.verdict.consumed..], &mut *self.out)
    }

    /// Closes the connection once its output is written.
    pub fn close(&mut self) {
        self.verdict.close = true;
    }

    /// Asks to be called again for the unconsumed input even if no new
    /// bytes arrive: for a handler that stops early on purpose (a per-call
    /// budget of requests or output) and continues in a later call, once
    /// the output written so far has drained below the high-water mark.
    /// Honoured only when this call consumed something.
    pub fn call_again(&mut self) {
        self.verdict.again = true;
    }

    /// Holds this connection's output back until [`Control::release`] has
    /// released `gate`: what this call wrote, and everything written to the
    /// connection after it, leaves only then (in order, as always). For a
    /// reply that may not leave before something else happened, such as
    /// the write it acknowledges reaching the disk: the worker goes on to
    /// other connections meanwhile, and one release frees every connection
    /// held for that gate or an earlier one.
    ///
    /// Gates are the service's own numbers and must grow over time (say,
    /// a log's record sequence number). Output held for a gate that was
    /// released already is not held at all. Held output counts against
    /// the output limits, but not against `write_timeout`.
    pub fn hold_output(&mut self, gate: u64) {
        self.verdict.hold = Some(self.verdict.hold.map_or(gate, |g| g.max(gate)));
    }

    /// Holds the connection to the output limits of `class` from now on
    /// (a pub/sub subscriber to the subscriber class, and back to the
    /// normal class once it has no subscriptions left).
    pub fn set_output_class(&mut self, class: OutputClass) {
        self.verdict.class = Some(class);
    }

    /// Says that a request is still arriving although this call consumed
    /// all of its bytes so far (a request body being skipped as it comes):
    /// the `request_timeout` deadline, which runs from the request's first
    /// byte, keeps running, and more bytes do not restart it. Lasts until a
    /// call ends without saying so.
    pub fn request_in_progress(&mut self) {
        self.verdict.mid_request = true;
    }

    /// Says how long the incomplete request left at the front of the
    /// unconsumed input will be in all, as its header announced (a Redis
    /// bulk's `$<len>`): the engine buffers past `max_input_bytes` to hold
    /// it whole, and calls again only once `total` bytes are in (or the
    /// client closes, or the server drains). The service bounds `total`
    /// by its own limit; the engine takes it as given. Lasts for this
    /// call's result only.
    pub fn announce_request_len(&mut self, total: usize) {
        self.verdict.announced = total;
    }

    /// Parks the connection: after this call, none of its input is
    /// handled (what arrives is buffered, within the input limit) until
    /// the service wakes it with [`Control::wake`], which calls the
    /// service again even if no new bytes came. For a request that waits
    /// for what another connection does, such as a blocking pop: the
    /// connection waits without holding a worker. A wake that arrives
    /// before this call's task is back still counts: the service is then
    /// called again at once, and must tolerate a call on which nothing it
    /// waits for has happened (it may park again).
    ///
    /// A parked connection has no idle or request deadline. Its client's
    /// EOF or a reset close it as usual (and [`Service::closed`] runs);
    /// on a graceful shutdown it hears [`Service::goodbye`] without being
    /// woken, and the input it holds is not handled.
    pub fn park(&mut self) {
        self.verdict.park = true;
    }

    /// This call runs on the I/O thread (inline mode, or
    /// [`Service::run_inline`]): what it writes leaves only after
    /// [`Service::before_write`].
    pub fn on_io_thread(&self) -> bool {
        self.runner != crate::task::Runner::Worker
    }

    /// This call runs on the I/O thread because [`Service::run_inline`]
    /// said so, and a worker pool exists: [`Cx::hand_to_worker`] works.
    pub fn may_hand_to_worker(&self) -> bool {
        self.runner == crate::task::Runner::LoopBeforePool
    }

    /// Stops here: the unconsumed input goes to a worker, which the
    /// service is called on at once. For a handler that
    /// [`Service::run_inline`] let run on the I/O thread and that meets a
    /// request too costly to run there: the service may say yes to input
    /// it has only glanced at, and decide request by request while it
    /// parses them anyway. Ignored unless [`Cx::may_hand_to_worker`] (on a
    /// worker, or in inline mode, the handler runs everything), and when
    /// nothing is left unconsumed.
    pub fn hand_to_worker(&mut self) {
        self.verdict.to_worker = self.may_hand_to_worker();
    }

    /// The client has closed its sending side: no more input will come, so
    /// an incomplete request at the end of the input never will complete.
    pub fn peer_closed(&self) -> bool {
        self.peer_closed
    }

    /// The connection is finished (the client reset it, or a limit closed
    /// it) since this call began: nothing more this call writes will reach
    /// the client, so a handler that does long work may stop early.
    pub fn gone(&self) -> bool {
        self.gone.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The server is shutting down: finish this request, and tell the
    /// client (HTTP: `Connection: close`).
    pub fn draining(&self) -> bool {
        self.control.draining()
    }

    /// The handle to the rest of the server.
    pub fn control(&self) -> &Control {
        self.control
    }
}

/// A handle to a running server, usable from any thread: send bytes to any
/// connection, close one, or shut the server down.
///
/// Messages to one connection arrive in the order they were sent; they are
/// written after whatever the connection already had pending.
#[derive(Clone)]
pub struct Control {
    pub(crate) inboxes: Arc<[Arc<Inbox>]>,
    pub(crate) shared: Arc<Shared>,
}

impl Control {
    /// Queues `bytes` for connection `to`. A connection that has closed
    /// meanwhile drops them.
    pub fn send(&self, to: ConnId, bytes: Vec<u8>) {
        if let Some(inbox) = self.inboxes.get(to.io_loop()) {
            inbox.post(Note::Send(to, bytes));
        }
    }

    /// Queues `bytes` for each connection of `to`: one message fanned out
    /// to many (pub/sub). Each owning loop gets one note for all of its
    /// connections, and every connection shares one buffer: a short
    /// message is copied into each connection's output (a copy costs less
    /// than a slice of its own in the vectored write), a long one is
    /// referred to. Either way it counts toward each connection's output
    /// limits, as Redis counts a message in each subscriber's buffer.
    /// Order with [`Control::send`] to the same connection is kept.
    pub fn send_many(&self, to: &[ConnId], bytes: &[u8]) {
        if to.is_empty() {
            return;
        }
        let bytes: crate::SharedBytes = Arc::new(bytes.to_vec());
        let first = to[0].io_loop();
        if to.iter().all(|id| id.io_loop() == first) {
            if let Some(inbox) = self.inboxes.get(first) {
                inbox.post(Note::SendMany(to.to_vec(), bytes));
            }
            return;
        }
        for (n, inbox) in self.inboxes.iter().enumerate() {
            let ids: Vec<ConnId> = to.iter().copied().filter(|id| id.io_loop() == n).collect();
            if !ids.is_empty() {
                inbox.post(Note::SendMany(ids, bytes.clone()));
            }
        }
    }

    /// Closes connection `to` once its pending output is written.
    pub fn close(&self, to: ConnId) {
        if let Some(inbox) = self.inboxes.get(to.io_loop()) {
            inbox.post(Note::Close(to));
        }
    }

    /// Ends the park of connection `to` (see [`Cx::park`]): the service is
    /// called again for it, with whatever input it has. A connection that
    /// is not parked, nor about to be, ignores it; one that has closed
    /// meanwhile too.
    pub fn wake(&self, to: ConnId) {
        if let Some(inbox) = self.inboxes.get(to.io_loop()) {
            inbox.post(Note::Wake(to));
        }
    }

    /// Releases the output held for `gate` and every earlier gate (see
    /// [`Cx::hold_output`]), on every connection.
    pub fn release(&self, gate: u64) {
        if self.shared.released.fetch_max(gate, std::sync::atomic::Ordering::SeqCst) < gate {
            for inbox in self.inboxes.iter() {
                inbox.post(Note::Release);
            }
        }
    }

    /// Starts a graceful shutdown, as `SIGTERM` does.
    pub fn shutdown(&self) {
        self.shared.begin_shutdown();
    }

    /// A graceful shutdown is under way.
    pub fn draining(&self) -> bool {
        self.shared.draining()
    }

    /// Copies of the server's listening sockets (one per address, in the
    /// order of [`crate::Server::local_addrs`]), to hand to a process that
    /// takes over from this one (a live upgrade): both then accept from
    /// the same sockets, and no client is refused while one stops and the
    /// other starts. Empty once a shutdown has begun (the sockets close
    /// with the drain).
    ///
    /// # Errors
    ///
    /// A descriptor cannot be duplicated.
    pub fn handover_listeners(&self) -> std::io::Result<Vec<crate::Listener>> {
        let held = self.shared.handover.lock().unwrap_or_else(|e| e.into_inner());
        held.iter().map(crate::Listener::try_clone).collect()
    }

    /// The output limits in force.
    pub fn output_limits(&self) -> crate::OutputLimits {
        self.shared.output.get()
    }

    /// Changes the output limits; connections are held to the new ones
    /// from their next event on.
    pub fn set_output_limits(&self, limits: crate::OutputLimits) {
        self.shared.output.set(limits);
    }

    /// The timeouts in force.
    pub fn timeouts(&self) -> crate::Timeouts {
        self.shared.timeouts.get()
    }

    /// Changes the timeouts (a `SIGHUP` reload): each connection is held to
    /// the new ones from its next event on, and a shutdown that begins
    /// later has the new `shutdown` time.
    pub fn set_timeouts(&self, timeouts: crate::Timeouts) {
        self.shared.timeouts.set(timeouts);
    }

    /// Changes `max_connections`: clients past it are turned away from now
    /// on; connections already open stay.
    pub fn set_max_connections(&self, n: usize) {
        self.shared.timeouts.set_max_connections(n);
    }

    /// The per-connection output limits of `class` (for
    /// [`OutputClass::Normal`] the same as [`Control::output_limits`]). The
    /// total is the normal class's, for every connection.
    pub fn output_limits_of(&self, class: OutputClass) -> crate::OutputLimits {
        self.shared.output_of(class).get()
    }

    /// Changes the per-connection output limits of `class` (its
    /// `total_bytes` is ignored but for [`OutputClass::Normal`]).
    pub fn set_output_limits_of(&self, class: OutputClass, limits: crate::OutputLimits) {
        self.shared.output_of(class).set(limits);
    }

    /// Owned output all connections hold now, in bytes (as the I/O loops
    /// last counted it).
    pub fn output_memory(&self) -> usize {
        self.shared.metrics.output_memory.load(std::sync::atomic::Ordering::Relaxed) as usize
    }

    /// The server's counters.
    pub fn metrics(&self) -> &crate::Metrics {
        &self.shared.metrics
    }
}
