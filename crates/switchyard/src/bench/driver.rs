//! The client threads: each runs one readiness loop over its share of the
//! connections and keeps every connection's pipeline full.
//!
//! A connection is owned by exactly one thread for the whole run, so none of
//! its state is shared. Requests are queued in the connection's output and
//! written at once; write interest is armed only after a partial write. A
//! response completes the oldest request in flight (responses keep request
//! order), is checked by the [`Protocol`], and — until the deadline — is
//! counted and replaced by the next request. After the deadline no request
//! is sent; those in flight are drained and checked for up to
//! [`DRAIN_LIMIT`], and any still missing then are errors.

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use anyhow::Context;
use switchyard_engine::poller::{Event, Interest, Kind, Poller};

use super::report::{self, Tally};
use super::Protocol;

/// How long responses in flight at the deadline may still take.
const DRAIN_LIMIT: Duration = Duration::from_secs(5);

/// Bytes asked for per `read(2)`.
const READ_CHUNK_BYTES: usize = 64 * 1024;

/// Longest single wait, so a silent server cannot hide the deadline.
const WAIT_SLICE: Duration = Duration::from_millis(100);

/// How long one connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// What to run.
pub struct Plan {
    pub target: SocketAddr,
    pub connections: usize,
    pub pipeline: usize,
    pub threads: usize,
    pub duration: Duration,
}

/// Counters the threads bump as they go, read by the progress line.
#[derive(Default)]
struct Live {
    requests: AtomicU64,
    errors: AtomicU64,
}

/// Opens one client connection: connected, `TCP_NODELAY`, non-blocking.
///
/// # Errors
///
/// The connect's error, or a timeout after [`CONNECT_TIMEOUT`].
pub fn open(target: SocketAddr) -> io::Result<TcpStream> {
    let stream = TcpStream::connect_timeout(&target, CONNECT_TIMEOUT)?;
    stream.set_nodelay(true)?;
    stream.set_nonblocking(true)?;
    Ok(stream)
}

/// Connects, runs the load on `plan.threads` threads until the deadline,
/// drains, and returns the merged tally.
///
/// # Errors
///
/// A connection cannot be opened, a thread cannot be started, or a
/// thread's poller fails.
pub fn run(plan: &Plan, protocol: Arc<dyn Protocol>, show_progress: bool) -> anyhow::Result<Tally> {
    let mut shares: Vec<Vec<(usize, TcpStream)>> = (0..plan.threads).map(|_| Vec::new()).collect();
    for id in 0..plan.connections {
        let stream = open(plan.target).with_context(|| format!("connecting to {}", plan.target))?;
        shares[id % plan.threads].push((id, stream));
    }
    let live = Arc::new(Live::default());
    let start = Instant::now();
    let deadline = start + plan.duration;
    let (done_tx, done_rx) = mpsc::channel();
    let mut handles = Vec::with_capacity(plan.threads);
    for (t, share) in shares.into_iter().enumerate() {
        let client = Client::new(share, Arc::clone(&protocol), plan.pipeline, deadline)?;
        let live = Arc::clone(&live);
        let done_tx = done_tx.clone();
        let handle = std::thread::Builder::new()
            .name(format!("bench-{t}"))
            .spawn(move || {
                let _ = done_tx.send(client.run(&live));
            })
            .context("starting a client thread")?;
        handles.push(handle);
    }
    drop(done_tx);

    let mut total = Tally::new();
    let mut failure = None;
    let mut finished = 0;
    let mut next_tick = start + Duration::from_secs(1);
    let mut last_requests = 0;
    while finished < handles.len() {
        match done_rx.recv_timeout(next_tick.saturating_duration_since(Instant::now())) {
            Ok(Ok(tally)) => {
                total.merge(tally);
                finished += 1;
            }
            Ok(Err(e)) => {
                failure.get_or_insert(e);
                finished += 1;
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let requests = live.requests.load(Ordering::Relaxed);
                if show_progress && Instant::now() < deadline {
                    let line = report::progress(
                        start.elapsed(),
                        (requests - last_requests) as f64,
                        live.errors.load(Ordering::Relaxed),
                    );
                    eprint!("{line}");
                }
                last_requests = requests;
                next_tick += Duration::from_secs(1);
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    if show_progress {
        eprint!("\r{:60}\r", "");
    }
    for handle in handles {
        if handle.join().is_err() {
            anyhow::bail!("a client thread panicked");
        }
    }
    if let Some(e) = failure {
        return Err(e).context("waiting for readiness");
    }
    total.elapsed = plan.duration;
    Ok(total)
}

/// One client connection and its requests in flight.
struct Conn {
    stream: TcpStream,
    /// The connection's number across all threads; its requests' bytes depend on it.
    id: usize,
    /// Requests queued and not yet written, from `written` on.
    out: Vec<u8>,
    written: usize,
    /// The start of a response that is not whole yet.
    partial: Vec<u8>,
    /// Requests sent and not yet answered: their number and when they were queued.
    in_flight: VecDeque<(u64, Instant)>,
    next_seq: u64,
    /// Write interest is armed (after a partial write).
    write_armed: bool,
}

impl Conn {
    fn queue_request(&mut self, protocol: &dyn Protocol, now: Instant) {
        protocol.write_request(self.id, self.next_seq, &mut self.out);
        self.in_flight.push_back((self.next_seq, now));
        self.next_seq += 1;
    }
}

/// One client thread: its poller, its connections, its tally.
struct Client {
    protocol: Arc<dyn Protocol>,
    poller: Poller,
    /// Indexed by poller token; `None` once a connection has failed.
    conns: Vec<Option<Conn>>,
    open: usize,
    pipeline: usize,
    deadline: Instant,
    /// Reused read buffer.
    scratch: Vec<u8>,
    tally: Tally,
}

impl Client {
    fn new(
        share: Vec<(usize, TcpStream)>,
        protocol: Arc<dyn Protocol>,
        pipeline: usize,
        deadline: Instant,
    ) -> io::Result<Client> {
        let mut poller = Poller::new(Kind::Epoll)?;
        let mut conns = Vec::with_capacity(share.len());
        for (token, (id, stream)) in share.into_iter().enumerate() {
            poller.register(stream.as_raw_fd(), token as u64, Interest::READ)?;
            conns.push(Some(Conn {
                stream,
                id,
                out: Vec::new(),
                written: 0,
                partial: Vec::new(),
                in_flight: VecDeque::with_capacity(pipeline),
                next_seq: 0,
                write_armed: false,
            }));
        }
        Ok(Client {
            protocol,
            poller,
            open: conns.len(),
            conns,
            pipeline,
            deadline,
            scratch: vec![0; READ_CHUNK_BYTES],
            tally: Tally::new(),
        })
    }

    fn run(mut self, live: &Live) -> io::Result<Tally> {
        let now = Instant::now();
        for token in 0..self.conns.len() {
            if let Some(conn) = self.conns[token].as_mut() {
                for _ in 0..self.pipeline {
                    conn.queue_request(&*self.protocol, now);
                }
            }
            self.flush(token);
        }
        let mut events: Vec<Event> = Vec::with_capacity(1024);
        let (mut reported_requests, mut reported_errors) = (0, 0);
        loop {
            let now = Instant::now();
            let until = if now < self.deadline {
                self.deadline
            } else {
                let drained = self.conns.iter().flatten().all(|c| c.in_flight.is_empty());
                if drained || now >= self.deadline + DRAIN_LIMIT {
                    break;
                }
                self.deadline + DRAIN_LIMIT
            };
            if self.open == 0 {
                break;
            }
            self.poller.wait(&mut events, Some(until.saturating_duration_since(now).min(WAIT_SLICE)))?;
            for ev in &events {
                let token = ev.token as usize;
                if ev.readable || ev.closed {
                    self.read(token);
                }
                if ev.closed {
                    // Reading normally reports the error or EOF; if it did not, do not spin on it.
                    self.fail(token, "the socket reported an error or hang-up".to_string());
                }
                if ev.writable {
                    self.flush(token);
                }
            }
            live.requests.fetch_add(self.tally.requests - reported_requests, Ordering::Relaxed);
            live.errors.fetch_add(self.tally.errors - reported_errors, Ordering::Relaxed);
            (reported_requests, reported_errors) = (self.tally.requests, self.tally.errors);
        }
        for conn in self.conns.iter().flatten() {
            if !conn.in_flight.is_empty() {
                self.tally.error(format!(
                    "connection {}: {} responses still missing {:?} after the end",
                    conn.id,
                    conn.in_flight.len(),
                    DRAIN_LIMIT
                ));
            }
        }
        Ok(self.tally)
    }

    /// Reads what the connection has, completes and checks responses, and
    /// writes the requests that replace them.
    fn read(&mut self, token: usize) {
        loop {
            let Some(conn) = self.conns[token].as_mut() else { return };
            let n = match conn.stream.read(&mut self.scratch) {
                Ok(0) => return self.fail(token, "the server closed the connection".to_string()),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return self.fail(token, format!("reading: {e}")),
            };
            let now = Instant::now();
            let running = now < self.deadline;
            if running {
                self.tally.bytes_received += n as u64;
            }
            if let Err(why) = absorb(conn, &*self.protocol, &self.scratch[..n], now, running, &mut self.tally) {
                return self.fail(token, why);
            }
            if n < self.scratch.len() {
                break;
            }
        }
        self.flush(token);
    }

    /// Writes queued requests; arms write interest only if some are left.
    fn flush(&mut self, token: usize) {
        let Some(conn) = self.conns[token].as_mut() else { return };
        while conn.written < conn.out.len() {
            match conn.stream.write(&conn.out[conn.written..]) {
                Ok(n) => {
                    conn.written += n;
                    if Instant::now() < self.deadline {
                        self.tally.bytes_sent += n as u64;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return self.fail(token, format!("writing: {e}")),
            }
        }
        if conn.written == conn.out.len() {
            conn.out.clear();
            conn.written = 0;
        }
        let want_write = conn.written < conn.out.len();
        if want_write != conn.write_armed {
            let interest = Interest { read: true, write: want_write };
            if let Err(e) = self.poller.reregister(conn.stream.as_raw_fd(), token as u64, interest) {
                return self.fail(token, format!("arming write interest: {e}"));
            }
            conn.write_armed = want_write;
        }
    }

    /// Counts an error against the connection and closes it.
    fn fail(&mut self, token: usize, why: String) {
        if let Some(conn) = self.conns[token].take() {
            self.tally.error(format!("connection {}: {why}", conn.id));
            let _ = self.poller.deregister(conn.stream.as_raw_fd());
            self.open -= 1;
        }
    }
}

/// Adds freshly read bytes to the connection's partial response and
/// completes every whole response they hold, in order; while `running`,
/// each completion is counted and replaced by a new request.
fn absorb(
    conn: &mut Conn,
    protocol: &dyn Protocol,
    data: &[u8],
    now: Instant,
    running: bool,
    tally: &mut Tally,
) -> Result<(), String> {
    let mut partial = std::mem::take(&mut conn.partial);
    let straight_from_data = partial.is_empty();
    if !straight_from_data {
        partial.extend_from_slice(data);
    }
    let buf: &[u8] = if straight_from_data { data } else { &partial };
    let mut pos = 0;
    while let Some(&(seq, sent)) = conn.in_flight.front() {
        match protocol.check_response(conn.id, seq, &buf[pos..])? {
            Some(len) => {
                pos += len;
                conn.in_flight.pop_front();
                if running {
                    tally.complete(now.saturating_duration_since(sent));
                    conn.queue_request(protocol, now);
                }
            }
            None => break,
        }
    }
    if conn.in_flight.is_empty() && pos < buf.len() {
        return Err(format!("{} bytes arrived that no request asked for", buf.len() - pos));
    }
    if straight_from_data {
        partial.extend_from_slice(&data[pos..]);
    } else {
        partial.drain(..pos);
    }
    conn.partial = partial;
    Ok(())
}
