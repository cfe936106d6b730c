//! The `kv` service: a Redis-protocol (RESP2) key-value store of strings,
//! with expiry, counters and an append-only log.
//!
//! Unlike Redis, commands from different connections run in parallel on the
//! engine's workers; the keyspace is sharded ([`store`]) so that they rarely
//! wait on each other. Each command is atomic, and each connection's
//! commands run in the order it sent them: one `handle` call answers every
//! whole command buffered for the connection (a pipeline is one batch) and
//! leaves a partial one for the next call.
//!
//! Writes are logged ([`aof`]) before their replies leave: with
//! `appendfsync always` a batch's replies wait until its records are on
//! disk (group commit), otherwise until they are written to the file.

mod aof;
mod bytes;
mod client;
mod command;
mod cron;
mod info;
mod pattern;
mod store;

use std::collections::HashMap;
use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use switchyard_codec::resp;
use switchyard_engine::{CloseReason, ConnInfo, Control, Cx, Reject, Service};

use crate::aof::Aof;
use crate::client::{Client, ClientMeta};
use crate::command::{Exec, Table};
use crate::store::Store;

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
    /// The log is rewritten once it is past this size and twice its size
    /// after the last rewrite.
    pub aof_rewrite_min_bytes: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            databases: 16,
            maxmemory: 0,
            appendonly: None,
            appendfsync: Fsync::EverySec,
            max_bulk: 512 << 20,
            aof_rewrite_min_bytes: 64 << 20,
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
}

/// Everything the connections share.
pub(crate) struct Shared {
    pub options: Options,
    pub store: Store,
    pub aof: Option<Aof>,
    pub table: Table,
    /// `maxmemory`, changeable with `CONFIG SET`.
    pub maxmemory: AtomicU64,
    /// `proto-max-bulk-len`, changeable with `CONFIG SET`.
    pub max_bulk: AtomicUsize,
    pub stats: Stats,
    /// Open connections by client id, for `CLIENT LIST` and `INFO clients`.
    pub clients: Mutex<HashMap<u64, Arc<ClientMeta>>>,
    pub next_client_id: AtomicU64,
    pub started: Instant,
    /// The port clients connect to, for `INFO server`.
    pub port: AtomicUsize,
    /// This value's own `Arc`, for threads started from a handler.
    pub this: OnceLock<Weak<Shared>>,
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
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
            table: Table::new(),
            maxmemory: AtomicU64::new(options.maxmemory),
            max_bulk: AtomicUsize::new(options.max_bulk),
            stats: Stats::default(),
            clients: Mutex::new(HashMap::new()),
            next_client_id: AtomicU64::new(1),
            started: Instant::now(),
            port: AtomicUsize::new(0),
            this: OnceLock::new(),
            options,
        };
        if let Some(path) = shared.options.appendonly.clone() {
            let mut db = 0;
            let valid = aof::replay(&path, |args| {
                let mut out = Vec::new();
                let mut ex = Exec::replaying(&shared, &mut out, db);
                ex.run(args);
                db = ex.db;
                match out.first() {
                    Some(b'-') => Err(String::from_utf8_lossy(&out[1..out.len() - 2]).into_owned()),
                    _ => Ok(()),
                }
            })?;
            let valid = valid.map_err(|c| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("append-only log {} is corrupt at byte {}: {}", path.display(), c.offset, c.what),
                )
            })?;
            shared.aof = Some(Aof::open(&path, shared.options.appendfsync, valid)?);
            let (keys, _) = shared.store.dbs.iter().map(|d| d.counts()).fold((0, 0), |a, c| (a.0 + c.0, 0));
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
        if let Some(aof) = &self.shared.aof {
            if let Err(e) = aof.flush_and_sync_in_background() {
                tracing::error!(error = %e, "flushing the append-only log at exit");
            }
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
        let meta = Arc::new(ClientMeta::new(id, conn));
        sh.clients.lock().unwrap_or_else(|e| e.into_inner()).insert(id, meta.clone());
        Client { db: 0, meta, out: Vec::new() }
    }

    fn handle(&self, client: &mut Client, cx: &mut Cx<'_>) {
        let sh = &*self.shared;
        let limits = resp::Limits { max_bulk_bytes: sh.max_bulk.load(Ordering::Relaxed) };
        let mut out = std::mem::take(&mut client.out);
        let mut consumed = 0;
        let mut close = false;
        let mut commands = 0;
        let seq;
        {
            let input = cx.input();
            let mut ex = Exec::new(sh, &mut out, client.db, &client.meta);
            loop {
                match resp::parse_request(&input[consumed..], &limits) {
                    Ok(Some((req, n))) => {
                        consumed += n;
                        if !req.args.is_empty() {
                            commands += 1;
                            ex.run(&req.args);
                            if ex.quit {
                                close = true;
                                break;
                            }
                        }
                    }
                    Ok(None) => break,
                    Err(e) => {
                        tracing::debug!(error = %e, "protocol error");
                        ex.out.extend_from_slice(&e.reply());
                        consumed = input.len();
                        close = true;
                        break;
                    }
                }
            }
            seq = ex.seq;
            client.db = ex.db;
        }
        if commands > 0 {
            sh.stats.commands.fetch_add(commands, Ordering::Relaxed);
            client.meta.touch();
        }
        if let (Some(aof), true) = (&sh.aof, seq > 0) {
            if let Err(e) = aof.flush(seq, aof.fsync() == Fsync::Always) {
                // The writes are applied but not durable: withhold their
                // acknowledgements rather than lie about them.
                tracing::error!(error = %e, "writing the append-only log; closing the connection");
                out.clear();
                close = true;
            }
        }
        cx.consume(consumed);
        cx.out().extend_from_slice(&out);
        out.clear();
        if out.capacity() > 64 << 10 {
            out = Vec::new();
        }
        client.out = out;
        if close {
            cx.close();
        }
    }

    fn close(&self, client: Client, _conn: &ConnInfo, _reason: CloseReason) {
        self.shared.clients.lock().unwrap_or_else(|e| e.into_inner()).remove(&client.meta.id);
    }

    fn reject(&self, why: Reject) -> Option<Vec<u8>> {
        match why {
            Reject::Busy => {
                self.shared.stats.rejected.fetch_add(1, Ordering::Relaxed);
                Some(b"-ERR max number of clients reached\r\n".to_vec())
            }
            Reject::InputTooLarge => Some(b"-ERR Protocol error: request too large for the input buffer\r\n".to_vec()),
            Reject::RequestTimeout | Reject::Panic => None,
        }
    }

    fn start(&self, _control: &Control) {}
}
