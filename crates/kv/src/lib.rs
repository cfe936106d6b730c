//! The `kv` service: a Redis-protocol key-value store (being built).

use std::path::PathBuf;

use switchyard_engine::{ConnInfo, Cx, Service};

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
}

impl Default for Options {
    fn default() -> Self {
        Options { databases: 16, maxmemory: 0, appendonly: None, appendfsync: Fsync::EverySec, max_bulk: 512 << 20 }
    }
}

/// The key-value store service.
pub struct Kv {
    _options: Options,
}

impl Kv {
    /// Creates the store, replaying the append-only log if there is one.
    ///
    /// # Errors
    ///
    /// The log cannot be opened or is corrupt before its end.
    pub fn new(options: Options) -> std::io::Result<Kv> {
        Ok(Kv { _options: options })
    }
}

impl Service for Kv {
    type State = ();

    fn open(&self, _conn: &ConnInfo) {}

    fn handle(&self, _state: &mut (), cx: &mut Cx<'_>) {
        cx.close();
    }
}
