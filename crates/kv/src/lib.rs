//! The `kv` service: a Redis-protocol (RESP2) key-value store of strings,
//! hashes, lists, sets and sorted sets ([`types`]), with expiry, counters
//! and an append-only log.
//!
//! Unlike Redis, commands from different connections run in parallel on the
//! engine's workers; the keyspace is sharded ([`store`]) so that they rarely
//! wait on each other. Each command is atomic, so is each transaction
//! ([`multi`]), and each connection's
//! commands run in the order it sent them: one `handle` call answers every
//! whole command buffered for the connection (a pipeline is one batch) and
//! leaves a partial one for the next call.
//!
//! A blocking pop that finds nothing parks its connection with the engine
//! and waits in a registry ([`blocking`]), holding no worker; the write
//! that gives it something pops for it and wakes it.
//! Clients may also subscribe to channels and patterns ([`pubsub`]):
//! `PUBLISH` reaches subscribers on every I/O thread through the engine's
//! messages between connections.
//!
//! Writes are logged ([`aof`]) before their replies leave: with
//! `appendfsync always` a batch's replies are held until the [`syncer`]
//! has its records on disk (group commit across every connection),
//! otherwise until they are written to the file.

mod aof;
mod auth;
mod bignum;
mod blocking;
mod bytes;
mod client;
mod command;
mod commandstats;
mod cron;
mod docs;
mod hello;
mod info;
mod kill;
mod long_double;
mod multi;
mod pattern;
mod pubsub;
mod reply;
mod reset;
mod store;
mod syncer;
mod types;

use std::collections::HashMap;
use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use switchyard_codec::resp;
use switchyard_engine::{CloseReason, ConnInfo, Control, Cx, OutputLimits, Reject, Service, Throttle};

use crate::aof::Aof;
pub use crate::auth::Password;
use crate::client::{Client, ClientMeta};
use crate::command::{Exec, Placement, Table};
use crate::commandstats::CommandStats;
pub use crate::pubsub::BufferLimit;
use crate::store::Store;
use crate::syncer::Syncer;

/// When the append-only log is flushed to disk.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Fsync {
    /// Before a write is acknowledged (group commit).
    Always,
    /// Once a second.
    #[default]
    EverySec,
    /// When the kernel decides.
    No,
}

impl Fsync {
    /// The name `CONFIG GET appendfsync` shows.
    pub fn as_str(self) -> &'static str {
        match self {
            Fsync::Always => "always",
            Fsync::EverySec => "everysec",
            Fsync::No => "no",
        }
    }
}

impl std::str::FromStr for Fsync {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "always" => Ok(Fsync::Always),
            "everysec" => Ok(Fsync::EverySec),
            "no" => Ok(Fsync::No),
            other => Err(format!("unknown appendfsync `{other}` (expected always, everysec or no)")),
        }
    }
}

/// Replies one call produces before it leaves the rest of a pipeline for
/// a later call ([`Cx::call_again`]), which the engine makes once they
/// have drained below its low-water mark: a pipeline of `GET`s of big
/// values costs the server this much memory at a time, not the sum of the
/// values. Redis has no such bound.
pub const OUTPUT_BUDGET: usize = 1 << 20;

/// The most buffered input the I/O thread handles itself
/// (`Service::run_inline`): a pipeline of a few dozen small commands.
pub const INLINE_INPUT_MAX: usize = 16 << 10;

/// Settings of the kv service.
#[derive(Clone, Debug)]
pub struct Options {
    /// Number of databases (`SELECT 0..N-1`).
    pub databases: usize,
    /// Memory limit for data in bytes; 0 for none.
    pub maxmemory: u64,
    /// The append-only log, if durability is on.
    pub appendonly: Option<PathBuf>,
    /// When the log is flushed.
    pub appendfsync: Fsync,
    /// Largest bulk string accepted, in bytes.
    pub max_bulk: usize,
    /// The most a request may announce and have buffered whole, in bytes
    /// (Redis's `client-query-buffer-limit`). A longer one stops at the
    /// engine's `max_input_bytes` and is refused as too large.
    pub query_buffer_limit: usize,
    /// The log is rewritten once it is past this size and twice its size
    /// after the last rewrite.
    pub aof_rewrite_min_bytes: u64,
    /// The default user's password (`requirepass`); `None` for none.
    pub requirepass: Option<Password>,
    /// Without a password, turn away clients from other machines
    /// (`protected-mode`).
    pub protected_mode: bool,
    /// `client-output-buffer-limit pubsub`: the output a subscriber may
    /// hold.
    pub pubsub_output_limit: BufferLimit,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            databases: 16,
            maxmemory: 0,
            appendonly: None,
            appendfsync: Fsync::EverySec,
            max_bulk: 512 << 20,
            query_buffer_limit: 1 << 30,
            aof_rewrite_min_bytes: 64 << 20,
            requirepass: None,
            protected_mode: true,
            pubsub_output_limit: BufferLimit::PUBSUB,
        }
    }
}

/// Server-wide counters for `INFO stats`.
#[derive(Default)]
pub(crate) struct Stats {
    /// Commands run.
    pub commands: AtomicU64,
    /// Connections accepted.
    pub connections: AtomicU64,
    /// Connections turned away at the limit.
    pub rejected: AtomicU64,
    /// Connections closed for a protocol error.
    pub protocol_errors: AtomicU64,
    /// Calls of each command, for `INFO commandstats`.
    pub calls: CommandStats,
    /// `EXEC` outcomes and refused queueing.
    pub transactions: multi::Counters,
}

/// Everything the connections share.
pub(crate) struct Shared {
    pub options: Options,
    pub store: Store,
    pub aof: Option<Aof>,
    /// The fsync thread, under `appendfsync always`.
    pub syncer: Option<Syncer>,
    pub table: Table,
    /// `maxmemory`, changeable with `CONFIG SET`.
    pub maxmemory: AtomicU64,
    /// `proto-max-bulk-len`, changeable with `CONFIG SET`.
    pub max_bulk: AtomicUsize,
    /// `client-query-buffer-limit`, changeable with `CONFIG SET`.
    pub query_buffer_limit: AtomicUsize,
    pub stats: Stats,
    /// The password and protected mode.
    pub guard: auth::Guard,
    /// Keeps a flood of protocol errors to a log line a second.
    pub protocol_log: Throttle,
    /// Keeps warnings of overflowing transaction queues to a line a second.
    pub multi_log: Throttle,
    /// Open connections by client id, for `CLIENT LIST` and `INFO clients`.
    pub clients: Mutex<HashMap<u64, Arc<ClientMeta>>>,
    pub next_client_id: AtomicU64,
    pub started: Instant,
    /// The port clients connect to, for `INFO server`.
    pub port: AtomicUsize,
    /// This value's own `Arc`, for threads started from a handler.
    pub this: OnceLock<Weak<Shared>>,
    /// The server, once started: it holds the output limits that
    /// `client-output-buffer-limit normal` and `maxmemory-clients` set.
    pub control: OnceLock<Control>,
    /// The limits before the server starts (unit tests, log replay).
    pub unstarted_output_limits: Mutex<OutputLimits>,
    /// Connections blocked in a blocking pop.
    pub blocking: Arc<blocking::Blocking>,
    /// `client-output-buffer-limit` for the `replica` and `pubsub`
    /// classes, as set: hard, soft, soft seconds. Redis's defaults.
    pub other_output_limits: Mutex<[(u64, u64, u64); 2]>,
    /// Channels and patterns, and their subscribers.
    pub pubsub: pubsub::Registry,
}

impl Shared {
    /// The engine's output limits in force.
    pub fn output_limits(&self) -> OutputLimits {
        match self.control.get() {
            Some(c) => c.output_limits(),
            None => *self.unstarted_output_limits.lock().unwrap_or_else(|e| e.into_inner()),
        }
    }

    /// Changes the engine's output limits.
    pub fn set_output_limits(&self, limits: OutputLimits) {
        match self.control.get() {
            Some(c) => c.set_output_limits(limits),
            None => *self.unstarted_output_limits.lock().unwrap_or_else(|e| e.into_inner()) = limits,
        }
    }
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// The wall clock read through the monotonic one: Unix milliseconds at an
/// instant the engine already read (a call's start), without reading the
/// wall clock again for every call. The cron resynchronises it every tick,
/// so a step of the wall clock shows within 100 ms.
struct WallClock {
    origin: Instant,
    /// Unix milliseconds at `origin`, as of the last resynchronisation.
    origin_ms: AtomicU64,
}

static WALL_CLOCK: std::sync::LazyLock<WallClock> = std::sync::LazyLock::new(|| {
    let origin = Instant::now();
    WallClock { origin, origin_ms: AtomicU64::new(now_ms()) }
});

/// Unix milliseconds at `at`.
pub(crate) fn wall_ms_at(at: Instant) -> u64 {
    let w = &*WALL_CLOCK;
    w.origin_ms.load(Ordering::Relaxed) + at.saturating_duration_since(w.origin).as_millis() as u64
}

/// Measures the wall clock against the monotonic one again.
pub(crate) fn resync_wall_clock() {
    let w = &*WALL_CLOCK;
    let since = Instant::now().saturating_duration_since(w.origin).as_millis() as u64;
    w.origin_ms.store(now_ms().saturating_sub(since), Ordering::Relaxed);
}

/// Writes the log up to record `seq`, and under `always` fsyncs it too.
///
/// Under `always` a failure ends the process, before any reply
/// acknowledges a write that is not on disk, as Redis does. Otherwise the
/// replies go (`everysec` promises no more) and writes are refused with
/// `MISCONF` until the cron's retry succeeds; meanwhile this does not try.
pub(crate) fn write_log(aof: &Aof, seq: u64) {
    let always = aof.fsync() == Fsync::Always;
    if !always && aof.failure().is_some() {
        return;
    }
    if let Err(e) = aof.flush(seq, always) {
        if always {
            tracing::error!(error = %e, "writing the append-only log under appendfsync always; exiting");
            std::process::exit(1);
        }
        tracing::error!(error = %e, "writing the append-only log; refusing writes until it works");
    }
}

/// The key-value store service.
pub struct Kv {
    shared: Arc<Shared>,
}

impl Kv {
    /// Creates the store, replaying the append-only log if there is one.
    ///
    /// # Errors
    ///
    /// The log cannot be opened or is corrupt before its end (the error
    /// names the byte offset).
    pub fn new(options: Options) -> io::Result<Kv> {
        if options.databases == 0 {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "databases must be at least 1"));
        }
        let mut shared = Shared {
            store: Store::new(options.databases),
            aof: None,
            syncer: None,
            table: Table::new(),
            maxmemory: AtomicU64::new(options.maxmemory),
            max_bulk: AtomicUsize::new(options.max_bulk),
            query_buffer_limit: AtomicUsize::new(options.query_buffer_limit),
            stats: Stats::default(),
            guard: auth::Guard::new(options.requirepass.clone(), options.protected_mode),
            protocol_log: Throttle::default(),
            multi_log: Throttle::default(),
            clients: Mutex::new(HashMap::new()),
            next_client_id: AtomicU64::new(1),
            started: Instant::now(),
            port: AtomicUsize::new(0),
            this: OnceLock::new(),
            control: OnceLock::new(),
            unstarted_output_limits: Mutex::new(OutputLimits::default()),
            blocking: Arc::default(),
            other_output_limits: Mutex::new([(256 << 20, 64 << 20, 60), options.pubsub_output_limit.as_tuple()]),
            pubsub: pubsub::Registry::default(),
            options,
        };
        if let Some(path) = shared.options.appendonly.clone() {
            let mut db = 0;
            let valid = aof::replay(&path, |args| {
                let mut out = reply::Reply::default();
                let mut ex = Exec::replaying(&shared, &mut out, db);
                ex.run(args);
                db = ex.db;
                drop(ex);
                match out.first() {
                    Some(b'-') => Err(String::from_utf8_lossy(&out[1..out.len() - 2]).into_owned()),
                    _ => Ok(()),
                }
            })?;
            let valid = valid.map_err(|c| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "append-only log {path} is corrupt at byte {at}: {what}; to start with the records \
                         before it, cut the file there (truncate -s {at} {path})",
                        path = path.display(),
                        at = c.offset,
                        what = c.what
                    ),
                )
            })?;
            shared.aof = Some(Aof::open(&path, shared.options.appendfsync, valid)?);
            if shared.options.appendfsync == Fsync::Always {
                shared.syncer = Some(Syncer::default());
            }
            let keys: usize = shared.store.dbs.iter().map(|d| d.counts().0).sum();
            tracing::info!(path = %path.display(), keys, bytes = valid, "append-only log replayed");
        }
        let shared = Arc::new(shared);
        let _ = shared.this.set(Arc::downgrade(&shared));
        cron::start(&shared)?;
        Ok(Kv { shared })
    }
}

impl Drop for Kv {
    fn drop(&mut self) {
        self.shared.blocking.stop();
        if let Some(syncer) = &self.shared.syncer {
            syncer.stop();
        }
        if let Some(aof) = &self.shared.aof {
            if let Err(e) = aof.flush_and_sync_in_background() {
                tracing::error!(error = %e, "flushing the append-only log at exit");
            }
        }
    }
}

impl Kv {
    /// Whether a request, command `found` (of [`command::COMMANDS`]; `None`
    /// for an unknown one, whose error is cheap) with `args`, may run on
    /// the I/O thread, database `db` selected.
    fn runs_here(&self, found: Option<usize>, args: &[command::Arg<'_>], db: usize) -> bool {
        let Some(i) = found else { return true };
        match self.shared.table.placement(i, args.len()) {
            Placement::Inline => true,
            Placement::Worker => false,
            Placement::Ask(guard) => guard(&self.shared, db, args),
        }
    }
}

impl Service for Kv {
    type State = Client;

    fn open(&self, conn: &ConnInfo) -> Client {
        let sh = &self.shared;
        sh.stats.connections.fetch_add(1, Ordering::Relaxed);
        if sh.port.load(Ordering::Relaxed) == 0 {
            sh.port.store(conn.local.port() as usize, Ordering::Relaxed);
        }
        let id = sh.next_client_id.fetch_add(1, Ordering::Relaxed);
        let meta = Arc::new(ClientMeta::new(id, conn, !sh.guard.required()));
        if sh.guard.denies(conn.peer.ip()) {
            // As Redis: the explanation at once, then the close, whatever
            // the client sends meanwhile (see `handle`).
            if let Some(control) = sh.control.get() {
                control.send(conn.id, auth::DENIED.as_bytes().to_vec());
                control.close(conn.id);
            }
            return Client {
                db: 0,
                meta,
                out: reply::Reply::default(),
                denied: true,
                multi: multi::Conn::default(),
                blocked: None,
                args: Vec::new(),
                pubsub: pubsub::Conn::default(),
            };
        }
        sh.clients.lock().unwrap_or_else(|e| e.into_inner()).insert(id, meta.clone());
        Client {
            db: 0,
            pubsub: pubsub::Conn::new(meta.clone()),
            meta,
            out: reply::Reply::default(),
            denied: false,
            multi: multi::Conn::default(),
            blocked: None,
            args: Vec::new(),
        }
    }

    /// Small batches of the cheap commands ([`command::Table::placement`])
    /// run on the I/O thread, as Redis runs everything: without pipelining
    /// each command is a batch of one, and a hand-off to a worker and back
    /// costs more than the command (measured in `docs/services/kv.md`).
    /// Input of at most [`INLINE_INPUT_MAX`] bytes starts there, and the
    /// handler, which parses each request anyway, hands the rest to a
    /// worker at the first request that must not run there (see
    /// [`Kv::runs_here`]); more input than that goes to a worker whole.
    fn run_inline(&self, _client: &Client, input: &[u8]) -> bool {
        input.len() <= INLINE_INPUT_MAX
    }

    /// Writes the log records that commands run on this I/O thread left in
    /// memory, and under `always` fsyncs them: one `write` (and one fsync)
    /// for a loop turn's worth of connections, before their replies leave,
    /// as Redis does once per event-loop turn.
    fn before_write(&self) {
        if let Some(aof) = &self.shared.aof {
            // Up to the last record appended by anyone: another loop may be
            // writing this loop's records right now, and this waits for it.
            write_log(aof, aof.records());
        }
    }

    fn handle(&self, client: &mut Client, cx: &mut Cx<'_>) {
        let sh = &*self.shared;
        if client.denied {
            let n = cx.input().len();
            cx.consume(n);
            if sh.control.get().is_none() {
                cx.out().extend_from_slice(auth::DENIED.as_bytes());
            }
            cx.close();
            return;
        }
        let limits = resp::Limits { max_bulk_bytes: sh.max_bulk.load(Ordering::Relaxed) };
        let mut out = std::mem::take(&mut client.out);
        // A blocked connection is called again when its wait ended (or,
        // rarely, for nothing: then it parks again).
        let mut served_seq = 0;
        if let Some(block) = &client.blocked {
            match sh.blocking.take(block.id) {
                None => {
                    client.out = out;
                    cx.park();
                    return;
                }
                Some(end) => served_seq = blocking::reply_outcome(&mut out, &end, &block.op),
            }
            client.blocked = None;
            client.meta.blocked.store(false, Ordering::Relaxed);
        }
        let mut consumed = 0;
        let mut close = false;
        let mut commands = 0;
        let mut announced = 0;
        let mut again = false;
        let seq;
        let ended;
        let may_hand_over = cx.may_hand_to_worker();
        let mut hand_over = false;
        {
            let input = cx.input();
            let mut ex = Exec::for_call(sh, &mut out, client.db, &client.meta, cx.started())
                .with_conn(&mut client.multi)
                .with_pubsub(&mut client.pubsub);
            let mut args = client::recycle(std::mem::take(&mut client.args));
            loop {
                match resp::parse_request_into(&input[consumed..], &limits, &mut args) {
                    Ok(Some(n)) => {
                        let found = args.first().and_then(|name| sh.table.find(name));
                        if may_hand_over && !args.is_empty() && !self.runs_here(found, &args, ex.db) {
                            hand_over = true;
                            break;
                        }
                        consumed += n;
                        if !args.is_empty() {
                            commands += 1;
                            match found {
                                Some(i) => ex.run_command(i, &args),
                                None => ex.run(&args),
                            }
                            if ex.quit {
                                close = true;
                                break;
                            }
                            if let Some(block) = ex.block.take() {
                                // The rest waits until the pop is answered.
                                client.blocked = Some(block);
                                break;
                            }
                        }
                        if cx.gone() {
                            // The client reset the connection: the rest
                            // would be answered to nobody.
                            break;
                        }
                        if ex.out.total_len() >= OUTPUT_BUDGET && consumed < input.len() {
                            // The rest once these replies have drained.
                            again = true;
                            break;
                        }
                    }
                    Ok(None) => {
                        // A value longer than the input buffer: have the
                        // engine collect it whole before calling again.
                        if let resp::Shape::Partial { announced: Some(total) } =
                            resp::shape(&input[consumed..], &limits)
                        {
                            if total <= sh.query_buffer_limit.load(Ordering::Relaxed) {
                                announced = total;
                            }
                        }
                        break;
                    }
                    Err(e) => {
                        sh.stats.protocol_errors.fetch_add(1, Ordering::Relaxed);
                        if let Some(suppressed) = sh.protocol_log.allow() {
                            let client = client.meta.id;
                            tracing::info!(client, error = %e, suppressed, "protocol error; closing the connection");
                        }
                        ex.out.extend_from_slice(&e.reply());
                        consumed = input.len();
                        close = true;
                        break;
                    }
                }
            }
            seq = ex.seq.max(served_seq);
            client.db = ex.db;
            ended = ex.finish();
            drop(ex);
            args.clear();
            client.args = client::recycle(args);
        }
        if let Some(at) = ended {
            cx.ended_at(at);
        }
        if commands > 0 {
            sh.stats.commands.fetch_add(commands, Ordering::Relaxed);
            client.meta.touch_at(ended.unwrap_or_else(Instant::now));
        }
        // On the I/O thread, `before_write` writes (and under `always`
        // fsyncs) the records of every connection the loop turn served,
        // once, before their replies leave.
        if let (Some(aof), true, false) = (&sh.aof, seq > 0, cx.on_io_thread()) {
            if let Some(syncer) = sh.syncer.as_ref().filter(|s| s.running()) {
                // The replies wait for the disk; the worker does not.
                syncer.request(seq);
                cx.hold_output(seq);
            } else {
                write_log(aof, seq);
            }
        }
        if let Some(class) = client.pubsub.finish_call(sh, &client.meta, &mut out) {
            cx.set_output_class(class);
        }
        cx.consume(consumed);
        if announced > 0 && !close {
            cx.announce_request_len(announced);
        }
        if again {
            cx.call_again();
        }
        if hand_over {
            cx.hand_to_worker();
        }
        if client.blocked.is_some() {
            client.meta.blocked.store(true, Ordering::Relaxed);
            cx.park();
        }
        out.move_to(cx.out());
        client.out = out;
        if close {
            cx.close();
        }
    }

    fn start(&self, control: &Control) {
        let _ = self.shared.control.set(control.clone());
        if let Err(e) = blocking::Blocking::start_timer(&self.shared.blocking, control.clone()) {
            tracing::error!(error = %e, "cannot start the blocking-pop timer; blocked clients wait until served");
        }
        let pubsub_limits = self.shared.other_output_limits.lock().unwrap_or_else(|e| e.into_inner())[1];
        pubsub::apply_limits(control, pubsub_limits);
        if self.shared.syncer.is_some() {
            if let Err(e) = Syncer::start(&self.shared, control.clone()) {
                tracing::error!(error = %e, "cannot start the fsync thread; each batch will fsync on its own");
            }
        }
    }

    /// A client blocked in a blocking pop hears its null reply (or what
    /// was popped for it, if a push came first) before the engine closes
    /// it.
    fn goodbye(&self, client: &mut Client, out: &mut switchyard_engine::Output) -> switchyard_engine::Farewell {
        if let Some(block) = client.blocked.take() {
            let end = self.shared.blocking.forget(block.id).unwrap_or(blocking::WaitEnd::TimedOut);
            let seq = blocking::reply_outcome(&mut client.out, &end, &block.op);
            if let (Some(aof), true) = (&self.shared.aof, seq > 0) {
                write_log(aof, seq);
            }
            client.out.move_to(out);
        }
        switchyard_engine::Farewell::Close
    }

    fn closed(&self, mut client: Client, _conn: &ConnInfo, reason: CloseReason) {
        if let Some(block) = client.blocked.take() {
            self.shared.blocking.forget(block.id);
        }
        client.multi.release(&self.shared.store);
        if client.pubsub.subscribed() {
            if reason == CloseReason::OutputTooLarge {
                self.shared.pubsub.dropped.fetch_add(1, Ordering::Relaxed);
            }
            client.pubsub.drop_all(&self.shared.pubsub);
        }
        self.shared.clients.lock().unwrap_or_else(|e| e.into_inner()).remove(&client.meta.id);
    }

    fn reject(&self, why: Reject) -> Option<Vec<u8>> {
        match why {
            Reject::Busy => {
                self.shared.stats.rejected.fetch_add(1, Ordering::Relaxed);
                Some(b"-ERR max number of clients reached\r\n".to_vec())
            }
            Reject::InputTooLarge => Some(b"-ERR Protocol error: request too large for the input buffer\r\n".to_vec()),
            // Redis has no such limits; these say why the line is closing.
            Reject::RequestTimeout => Some(b"-ERR Protocol error: request not complete in time\r\n".to_vec()),
            Reject::Panic => Some(b"-ERR internal error while handling the command\r\n".to_vec()),
            Reject::NotTls => Some(b"-ERR Protocol error: this port needs TLS\r\n".to_vec()),
        }
    }

    fn metrics(&self, out: &mut String) {
        info::prometheus(&self.shared, out);
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;
    use std::collections::HashMap;

    use proptest::prelude::*;
    use switchyard_codec::resp::{self, string2ll};

    use super::*;

    /// One command of the model test, with keys and values from small pools
    /// so that commands collide.
    #[derive(Clone, Debug)]
    enum Op {
        Set(usize, usize),
        SetNx(usize, usize),
        Get(usize),
        GetDel(usize),
        Del(usize, usize),
        Exists(usize),
        Incr(usize),
        IncrBy(usize, i64),
        Append(usize, usize),
        Strlen(usize),
        MSet(usize, usize, usize),
        Rename(usize, usize),
        ExpireNow(usize),
        FlushDb,
    }

    const KEYS: [&str; 4] = ["a", "b", "c", "d"];
    const VALUES: [&str; 6] = ["1", "-5", "abc", "9223372036854775807", "", "007"];

    fn op() -> impl Strategy<Value = Op> {
        let k = 0..KEYS.len();
        let v = 0..VALUES.len();
        prop_oneof![
            (k.clone(), v.clone()).prop_map(|(k, v)| Op::Set(k, v)),
            (k.clone(), v.clone()).prop_map(|(k, v)| Op::SetNx(k, v)),
            k.clone().prop_map(Op::Get),
            k.clone().prop_map(Op::GetDel),
            (k.clone(), k.clone()).prop_map(|(a, b)| Op::Del(a, b)),
            k.clone().prop_map(Op::Exists),
            k.clone().prop_map(Op::Incr),
            (k.clone(), prop_oneof![Just(i64::MAX), Just(i64::MIN), -3i64..3]).prop_map(|(k, n)| Op::IncrBy(k, n)),
            (k.clone(), v.clone()).prop_map(|(k, v)| Op::Append(k, v)),
            k.clone().prop_map(Op::Strlen),
            (k.clone(), k.clone(), v.clone()).prop_map(|(a, b, v)| Op::MSet(a, b, v)),
            (k.clone(), k.clone()).prop_map(|(a, b)| Op::Rename(a, b)),
            k.prop_map(Op::ExpireNow),
            Just(Op::FlushDb),
        ]
    }

    fn args(op: &Op) -> Vec<String> {
        let k = |i: &usize| KEYS[*i].to_string();
        let v = |i: &usize| VALUES[*i].to_string();
        match op {
            Op::Set(a, x) => vec!["SET".into(), k(a), v(x)],
            Op::SetNx(a, x) => vec!["SETNX".into(), k(a), v(x)],
            Op::Get(a) => vec!["GET".into(), k(a)],
            Op::GetDel(a) => vec!["GETDEL".into(), k(a)],
            Op::Del(a, b) => vec!["DEL".into(), k(a), k(b)],
            Op::Exists(a) => vec!["EXISTS".into(), k(a)],
            Op::Incr(a) => vec!["INCR".into(), k(a)],
            Op::IncrBy(a, n) => vec!["INCRBY".into(), k(a), n.to_string()],
            Op::Append(a, x) => vec!["APPEND".into(), k(a), v(x)],
            Op::Strlen(a) => vec!["STRLEN".into(), k(a)],
            Op::MSet(a, b, x) => vec!["MSET".into(), k(a), v(x), k(b), v(x)],
            Op::Rename(a, b) => vec!["RENAME".into(), k(a), k(b)],
            Op::ExpireNow(a) => vec!["EXPIRE".into(), k(a), "0".into()],
            Op::FlushDb => vec!["FLUSHDB".into()],
        }
    }

    /// What Redis would answer, from a plain map.
    fn model(m: &mut HashMap<String, Vec<u8>>, op: &Op) -> Vec<u8> {
        let mut out = Vec::new();
        let k = |i: &usize| KEYS[*i].to_string();
        let v = |i: &usize| VALUES[*i].as_bytes().to_vec();
        let incr = |m: &mut HashMap<String, Vec<u8>>, key: String, by: i64, out: &mut Vec<u8>| {
            let cur = match m.get(&key) {
                Some(v) => match string2ll(v) {
                    Some(n) => n,
                    None => return resp::error(out, "ERR value is not an integer or out of range"),
                },
                None => 0,
            };
            match cur.checked_add(by) {
                Some(n) => {
                    m.insert(key, n.to_string().into_bytes());
                    resp::integer(out, n);
                }
                None => resp::error(out, "ERR increment or decrement would overflow"),
            }
        };
        match op {
            Op::Set(a, x) => {
                m.insert(k(a), v(x));
                resp::simple(&mut out, "OK");
            }
            Op::SetNx(a, x) => {
                let new = !m.contains_key(&k(a));
                if new {
                    m.insert(k(a), v(x));
                }
                resp::integer(&mut out, new as i64);
            }
            Op::Get(a) => match m.get(&k(a)) {
                Some(v) => resp::bulk(&mut out, v),
                None => resp::null(&mut out),
            },
            Op::GetDel(a) => match m.remove(&k(a)) {
                Some(v) => resp::bulk(&mut out, &v),
                None => resp::null(&mut out),
            },
            Op::Del(a, b) => {
                let n = m.remove(&k(a)).is_some() as i64 + m.remove(&k(b)).is_some() as i64;
                resp::integer(&mut out, n);
            }
            Op::Exists(a) => resp::integer(&mut out, m.contains_key(&k(a)) as i64),
            Op::Incr(a) => incr(m, k(a), 1, &mut out),
            Op::IncrBy(a, n) => incr(m, k(a), *n, &mut out),
            Op::Append(a, x) => {
                let e = m.entry(k(a)).or_default();
                e.extend(v(x));
                resp::integer(&mut out, e.len() as i64);
            }
            Op::Strlen(a) => resp::integer(&mut out, m.get(&k(a)).map_or(0, |v| v.len()) as i64),
            Op::MSet(a, b, x) => {
                m.insert(k(a), v(x));
                m.insert(k(b), v(x));
                resp::simple(&mut out, "OK");
            }
            Op::Rename(a, b) => match m.remove(&k(a)) {
                Some(val) => {
                    m.insert(k(b), val);
                    resp::simple(&mut out, "OK");
                }
                None => resp::error(&mut out, "ERR no such key"),
            },
            Op::ExpireNow(a) => resp::integer(&mut out, m.remove(&k(a)).is_some() as i64),
            Op::FlushDb => {
                m.clear();
                resp::simple(&mut out, "OK");
            }
        }
        out
    }

    fn meta() -> ClientMeta {
        ClientMeta::for_tests()
    }

    fn run(kv: &Kv, meta: &ClientMeta, args: &[String]) -> Vec<u8> {
        let mut out = reply::Reply::default();
        let args: Vec<Cow<'_, [u8]>> = args.iter().map(|a| Cow::Borrowed(a.as_bytes())).collect();
        Exec::new(&kv.shared, &mut out, 0, meta).run(&args);
        out.to_vec()
    }

    #[test]
    fn a_reply_keeps_the_value_it_was_given_while_the_key_changes() {
        let kv = Kv::new(Options::default()).unwrap();
        let meta = meta();
        let long = "v".repeat(100 << 10);
        run(&kv, &meta, &["SET".into(), "k".into(), long.clone()]);
        // A GET whose reply refers to the value, not yet sent.
        let mut pending = reply::Reply::default();
        let args: Vec<Cow<'_, [u8]>> = ["GET", "k"].iter().map(|a| Cow::Borrowed(a.as_bytes())).collect();
        Exec::new(&kv.shared, &mut pending, 0, &meta).run(&args);
        assert!(pending.len() < 64, "the value is referred to, not copied");
        assert_eq!(run(&kv, &meta, &["APPEND".into(), "k".into(), "!".into()]), b":102401\r\n");
        assert_eq!(run(&kv, &meta, &["SETRANGE".into(), "k".into(), "0".into(), "w".into()]), b":102401\r\n");
        let mut want = Vec::new();
        resp::bulk(&mut want, long.as_bytes());
        assert_eq!(pending.to_vec(), want, "the reply on its way is what GET saw");
        let now = run(&kv, &meta, &["GETRANGE".into(), "k".into(), "0".into(), "1".into()]);
        assert_eq!(now, b"$2\r\nwv\r\n");
        assert_eq!(run(&kv, &meta, &["STRLEN".into(), "k".into()]), b":102401\r\n");
    }

    /// A connection's state as `open` makes it, for a client from
    /// [`meta`].
    fn test_client() -> Client {
        Client {
            db: 0,
            meta: Arc::new(meta()),
            out: reply::Reply::default(),
            denied: false,
            multi: multi::Conn::default(),
            blocked: None,
            args: Vec::new(),
            pubsub: pubsub::Conn::default(),
        }
    }

    /// Whether all of `input` would run on the I/O thread: the engine
    /// lets it start there, and the handler keeps every request.
    fn all_run_here(kv: &Kv, client: &Client, input: &[u8]) -> bool {
        if !kv.run_inline(client, input) {
            return false;
        }
        let (limits, mut pos, mut args) = (resp::Limits::default(), 0, Vec::new());
        while let Ok(Some(n)) = resp::parse_request_into(&input[pos..], &limits, &mut args) {
            if !args.is_empty() && !kv.runs_here(kv.shared.table.find(&args[0]), &args, client.db) {
                return false;
            }
            pos += n;
        }
        true
    }

    #[test]
    fn small_batches_of_cheap_commands_run_inline_and_the_rest_on_workers() {
        let kv = Kv::new(Options::default()).unwrap();
        let client = test_client();
        let wire = |cmds: &[&[&str]]| {
            let mut b = Vec::new();
            for c in cmds {
                resp::command(&mut b, c);
            }
            b
        };
        let inline = |input: &[u8]| all_run_here(&kv, &client, input);
        assert!(inline(&wire(&[&["GET", "k"]])));
        assert!(inline(&wire(&[&["set", "k", "v"], &["INCR", "n"], &["mget", "a", "b"], &["PING"]])));
        // An incomplete or malformed rest is the handler's, and cheap.
        let mut partial = wire(&[&["GET", "k"]]);
        partial.extend_from_slice(b"*2\r\n$3\r\nGET\r\n$1");
        assert!(inline(&partial));
        assert!(inline(b"*x\r\n"));
        // Whatever walks a database, or builds a large reply, does not.
        for slow in [&["KEYS", "*"][..], &["SCAN", "0"], &["FLUSHALL"], &["INFO"], &["SETRANGE", "k", "1000000", "v"]] {
            assert!(!inline(&wire(&[&["GET", "k"], slow])), "{slow:?}");
        }
        assert!(inline(&wire(&[&["NOSUCH"]])), "an unknown command: its error is cheap");
        assert!(inline(b"GET k\r\n"), "the inline form too");
        assert!(!inline(b"KEYS *\r\n"));
        // Nor does a batch too large to be cheap.
        let big = "v".repeat(INLINE_INPUT_MAX);
        assert!(!inline(&wire(&[&["SET", "k", &big]])));
    }

    #[test]
    fn lrange_runs_inline_only_when_it_copies_little() {
        let kv = Kv::new(Options::default()).unwrap();
        let client = test_client();
        let lrange = |key: &str, start: &str, stop: &str| {
            let mut b = Vec::new();
            resp::command(&mut b, &[&b"GET"[..], b"k"]);
            resp::command(&mut b, &[&b"LRANGE"[..], key.as_bytes(), start.as_bytes(), stop.as_bytes()]);
            all_run_here(&kv, &client, &b)
        };
        let mut short = vec!["RPUSH".to_string(), "short".into()];
        short.extend((0..5000).map(|i| format!("e{i}")));
        let mut long = vec!["RPUSH".to_string(), "long".into()];
        long.extend((0..100).map(|i| format!("{i:01000}")));
        for cmd in [short, long, vec!["SET".into(), "str".into(), "v".into()]] {
            run(&kv, &client.meta, &cmd);
        }
        assert!(lrange("short", "0", "99"), "redis-benchmark's lrange_100");
        assert!(lrange("short", "0", "599"), "and lrange_600");
        assert!(lrange("short", "-1000", "-1"));
        assert!(!lrange("short", "0", "-1"), "5,000 elements");
        assert!(!lrange("short", "0", "1000"), "1,001 elements");
        assert!(lrange("long", "0", "9"), "10 KB");
        assert!(!lrange("long", "0", "99"), "100 KB of elements");
        assert!(lrange("nosuchkey", "0", "-1"), "an empty reply");
        assert!(lrange("str", "0", "-1"), "an error");
        assert!(lrange("short", "x", "1"), "an error");
        // And the reply is the same wherever it runs.
        let all = run(&kv, &client.meta, &["LRANGE".into(), "short".into(), "0".into(), "2".into()]);
        assert_eq!(all, b"*3\r\n$2\r\ne0\r\n$2\r\ne1\r\n$2\r\ne2\r\n");
    }

    #[test]
    fn metrics_count_keys_commands_and_log_records() {
        let path = std::env::temp_dir().join(format!("switchyard-kv-metrics-{}.aof", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let kv = Kv::new(Options { appendonly: Some(path.clone()), appendfsync: Fsync::Always, ..Options::default() })
            .unwrap();
        let meta = meta();
        run(&kv, &meta, &["SET".into(), "a".into(), "1".into()]);
        run(&kv, &meta, &["INCR".into(), "a".into()]);
        run(&kv, &meta, &["GET".into(), "nope".into()]);
        let mut text = String::new();
        kv.metrics(&mut text);
        assert!(text.contains("switchyard_kv_keys{db=\"0\"} 1\n"), "{text}");
        assert!(text.contains("switchyard_kv_keyspace_misses_total 1\n"), "{text}");
        assert!(text.contains("switchyard_kv_aof_records_total 2\n"), "{text}");
        assert!(text.contains("# TYPE switchyard_kv_aof_fsyncs_total counter\n"), "{text}");
        drop(kv);
        let _ = std::fs::remove_file(&path);
    }

    /// `INFO` with `sections`: the text of its bulk reply.
    fn info(kv: &Kv, meta: &ClientMeta, sections: &[&str]) -> String {
        let mut args = vec!["INFO".to_string()];
        args.extend(sections.iter().map(|s| s.to_string()));
        let reply = String::from_utf8(run(kv, meta, &args)).unwrap();
        let (len, text) = reply.strip_prefix('$').and_then(|r| r.split_once("\r\n")).expect("a bulk reply");
        let text = text.strip_suffix("\r\n").expect("a CRLF after the bulk");
        assert_eq!(len.parse::<usize>().ok(), Some(text.len()), "{reply}");
        text.to_string()
    }

    #[test]
    fn commandstats_count_calls_rejections_and_failures_per_command() {
        let kv = Kv::new(Options::default()).unwrap();
        let meta = meta();
        run(&kv, &meta, &["SET".into(), "a".into(), "x".into()]);
        run(&kv, &meta, &["GET".into(), "a".into()]);
        run(&kv, &meta, &["GET".into(), "b".into()]);
        run(&kv, &meta, &["GET".into()]);
        run(&kv, &meta, &["INCR".into(), "a".into()]);
        run(&kv, &meta, &["NOSUCHCOMMAND".into()]);
        let text = info(&kv, &meta, &["commandstats"]);
        assert!(text.starts_with("# Commandstats\r\n"), "{text}");
        let line = |name: &str| {
            let prefix = format!("cmdstat_{name}:");
            let l = text.lines().find(|l| l.starts_with(&prefix)).unwrap_or_else(|| panic!("no {name}: {text}"));
            let fields: Vec<(String, String)> = l[prefix.len()..]
                .split(',')
                .map(|f| f.split_once('=').map(|(k, v)| (k.to_string(), v.to_string())).unwrap())
                .collect();
            fields
        };
        let field = |name: &str, key: &str| line(name).into_iter().find(|(k, _)| k == key).unwrap().1;
        let keys: Vec<String> = line("get").into_iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["calls", "usec", "usec_per_call", "rejected_calls", "failed_calls"]);
        assert_eq!((field("get", "calls"), field("get", "rejected_calls")), ("2".into(), "1".into()));
        assert_eq!((field("incr", "calls"), field("incr", "failed_calls")), ("1".into(), "1".into()));
        assert_eq!((field("set", "calls"), field("set", "failed_calls")), ("1".into(), "0".into()));
        assert!(field("get", "usec_per_call").parse::<f64>().is_ok());
        assert!(!text.contains("cmdstat_info:"), "INFO counts once it has finished: {text}");
        assert!(!text.contains("nosuchcommand"), "{text}");
        assert!(info(&kv, &meta, &["commandstats"]).contains("cmdstat_info:calls=1,"));
    }

    #[test]
    fn commandstats_show_in_info_all_and_everything_but_not_by_default() {
        let kv = Kv::new(Options::default()).unwrap();
        let meta = meta();
        for sections in [&[][..], &["default"], &["server", "stats"]] {
            let text = info(&kv, &meta, sections);
            assert!(!text.contains("# Commandstats"), "{sections:?}: {text}");
        }
        for sections in [&["all"][..], &["everything"], &["commandstats"], &["stats", "commandstats"]] {
            let text = info(&kv, &meta, sections);
            assert!(text.contains("# Commandstats\r\ncmdstat_info:calls="), "{sections:?}: {text}");
        }
        let all = info(&kv, &meta, &["all"]);
        let order: Vec<&str> = all.lines().filter(|l| l.starts_with("# ")).collect();
        assert_eq!(
            order,
            ["# Server", "# Clients", "# Memory", "# Persistence", "# Stats", "# Commandstats", "# Keyspace"]
        );
    }

    #[test]
    fn a_pipeline_sees_its_own_earlier_calls_and_resetstat_clears_them() {
        let kv = Kv::new(Options::default()).unwrap();
        let meta = meta();
        let mut out = reply::Reply::default();
        {
            let mut ex = Exec::new(&kv.shared, &mut out, 0, &meta);
            for args in
                [&["SET", "k", "v"][..], &["SET", "k", "w"], &["INFO", "commandstats"], &["INFO", "commandstats"]]
            {
                let args: Vec<Cow<'_, [u8]>> = args.iter().map(|a| Cow::Borrowed(a.as_bytes())).collect();
                ex.run(&args);
            }
        }
        let text = String::from_utf8_lossy(&out.to_vec()).into_owned();
        assert!(text.contains("cmdstat_set:calls=2,"), "{text}");
        assert!(text.contains("cmdstat_info:calls=1,"), "the second INFO sees the first: {text}");
        run(&kv, &meta, &["CONFIG".into(), "RESETSTAT".into()]);
        let text = info(&kv, &meta, &["commandstats"]);
        assert!(!text.contains("cmdstat_set:"), "{text}");
        assert!(text.contains("cmdstat_config:calls=1,"), "RESETSTAT counts itself, as in Redis: {text}");
    }

    #[test]
    fn metrics_list_calls_of_each_command_called_at_least_once() {
        let kv = Kv::new(Options::default()).unwrap();
        let meta = meta();
        let mut text = String::new();
        kv.metrics(&mut text);
        let name = "switchyard_kv_command_calls_total";
        assert!(text.contains(&format!("# TYPE {name} counter\n")), "{text}");
        assert!(!text.contains(&format!("{name}{{")), "nothing called yet: {text}");
        run(&kv, &meta, &["SET".into(), "a".into(), "1".into()]);
        run(&kv, &meta, &["GET".into(), "a".into()]);
        run(&kv, &meta, &["GET".into(), "a".into()]);
        run(&kv, &meta, &["GET".into()]);
        text.clear();
        kv.metrics(&mut text);
        assert!(text.contains(&format!("{name}{{command=\"set\"}} 1\n")), "{text}");
        assert!(text.contains(&format!("{name}{{command=\"get\"}} 2\n")), "rejected calls do not count: {text}");
        assert_eq!(text.matches(&format!("{name}{{")).count(), 2, "{text}");
    }

    #[test]
    fn replayed_log_records_do_not_count_as_calls() {
        let path = temp_log("replay-calls");
        let options = Options { appendonly: Some(path.clone()), appendfsync: Fsync::No, ..Options::default() };
        let meta = meta();
        {
            let kv = Kv::new(options.clone()).unwrap();
            run(&kv, &meta, &["SET".into(), "a".into(), "1".into()]);
            kv.shared.aof.as_ref().unwrap().flush(u64::MAX, false).unwrap();
        }
        let kv = Kv::new(options).unwrap();
        assert_eq!(run(&kv, &meta, &["GET".into(), "a".into()]), b"$1\r\n1\r\n");
        assert!(!info(&kv, &meta, &["commandstats"]).contains("cmdstat_set:"));
        drop(kv);
        let _ = std::fs::remove_file(&path);
    }

    fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
        let deadline = Instant::now() + std::time::Duration::from_secs(10);
        while !cond() {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }

    fn temp_log(name: &str) -> PathBuf {
        let path = std::env::temp_dir().join(format!("switchyard-kv-{name}-{}.aof", std::process::id()));
        let _ = std::fs::remove_file(&path);
        path
    }

    #[test]
    fn the_log_is_rewritten_on_its_own_once_it_grows_past_the_threshold() {
        let path = temp_log("auto-rewrite");
        let options = Options {
            appendonly: Some(path.clone()),
            appendfsync: Fsync::No,
            aof_rewrite_min_bytes: 4096,
            ..Options::default()
        };
        let kv = Kv::new(options.clone()).unwrap();
        let meta = meta();
        for i in 0..500 {
            run(&kv, &meta, &["SET".into(), "hot".into(), i.to_string()]);
        }
        let aof = kv.shared.aof.as_ref().unwrap();
        aof.flush(u64::MAX, false).unwrap();
        assert!(aof.size() > 4096);
        wait_until("an automatic rewrite", || aof.rewrites.load(Ordering::Relaxed) == 1 && !aof.rewriting());
        assert!(aof.size() < 200, "{} bytes after the rewrite", aof.size());
        drop(kv);
        let kv = Kv::new(options).unwrap();
        assert_eq!(run(&kv, &meta, &["GET".into(), "hot".into()]), b"$3\r\n499\r\n");
        drop(kv);
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn writes_made_during_a_rewrite_survive_it() {
        let path = temp_log("rewrite-race");
        let options = Options { appendonly: Some(path.clone()), appendfsync: Fsync::No, ..Options::default() };
        let kv = Kv::new(options.clone()).unwrap();
        // Enough keys that a snapshot takes a while, for writes to land in it.
        let meta0 = meta();
        for chunk in 0..200 {
            let mut mset = vec!["MSET".to_string()];
            for i in 0..250 {
                mset.push(format!("bulk:{chunk}:{i}"));
                mset.push("0123456789".into());
            }
            run(&kv, &meta0, &mset);
        }
        let done = std::sync::atomic::AtomicBool::new(false);
        let writes = std::thread::scope(|s| {
            let writer = s.spawn(|| {
                let meta = meta();
                let mut i = 0;
                // Keep writing until every rewrite is over, so that they
                // all overlap with writes.
                while !done.load(Ordering::Relaxed) || i < 100 {
                    run(&kv, &meta, &["INCR".into(), format!("ctr:{}", i % 7)]);
                    run(&kv, &meta, &["SET".into(), format!("k:{i}"), i.to_string(), "PX".into(), "100000".into()]);
                    if i % 3 == 0 {
                        run(&kv, &meta, &["DEL".into(), format!("k:{}", i / 2)]);
                    }
                    i += 1;
                }
                i
            });
            let aof = kv.shared.aof.as_ref().unwrap();
            for n in 1..=3 {
                wait_until("a rewrite to start", || cron::start_rewrite(&kv.shared));
                wait_until("the rewrite to finish", || aof.rewrites.load(Ordering::Relaxed) == n && !aof.rewriting());
            }
            done.store(true, Ordering::Relaxed);
            writer.join().unwrap()
        });
        let meta = meta();
        let snapshot = |kv: &Kv| -> Vec<Vec<u8>> {
            let mut all: Vec<Vec<u8>> = (0..7).map(|i| run(kv, &meta, &["GET".into(), format!("ctr:{i}")])).collect();
            all.extend((0..writes).map(|i| run(kv, &meta, &["GET".into(), format!("k:{i}")])));
            all
        };
        let before = snapshot(&kv);
        drop(kv);
        let kv = Kv::new(options).unwrap();
        assert!(before == snapshot(&kv), "the replayed store differs from the one that wrote the log");
        drop(kv);
        let _ = std::fs::remove_file(&path);
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        #[test]
        fn random_command_sequences_agree_with_a_plain_map(ops in proptest::collection::vec(op(), 1..60)) {
            let kv = Kv::new(Options::default()).unwrap();
            let meta = meta();
            let mut m = HashMap::new();
            for op in &ops {
                let got = run(&kv, &meta, &args(op));
                let want = model(&mut m, op);
                prop_assert_eq!(
                    String::from_utf8_lossy(&got),
                    String::from_utf8_lossy(&want),
                    "after {:?}",
                    op
                );
            }
        }

        #[test]
        fn replaying_the_log_rebuilds_the_same_store(ops in proptest::collection::vec(op(), 1..40)) {
            let path = temp_log("model");
            let options = Options { appendonly: Some(path.clone()), appendfsync: Fsync::No, ..Options::default() };
            let meta = meta();
            let mut m = HashMap::new();
            {
                let kv = Kv::new(options.clone()).unwrap();
                for op in &ops {
                    run(&kv, &meta, &args(op));
                    model(&mut m, op);
                }
                kv.shared.aof.as_ref().unwrap().flush(u64::MAX, false).unwrap_or(());
            }
            let kv = Kv::new(options).unwrap();
            for key in KEYS {
                let got = run(&kv, &meta, &["GET".to_string(), key.to_string()]);
                let mut want = Vec::new();
                match m.get(key) {
                    Some(v) => resp::bulk(&mut want, v),
                    None => resp::null(&mut want),
                }
                prop_assert_eq!(got, want, "key {}", key);
            }
            let _ = std::fs::remove_file(&path);
        }
    }
}
