//! A connection's state ([`Client`]) and what other connections may see
//! of it ([`ClientMeta`], for `CLIENT LIST`).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use switchyard_engine::ConnInfo;

/// Per-connection state, owned by whichever worker runs the connection.
pub struct Client {
    /// The selected database.
    pub(crate) db: usize,
    /// What `CLIENT LIST` shows about this connection.
    pub(crate) meta: std::sync::Arc<ClientMeta>,
    /// Reply buffer, kept between calls to reuse its allocation.
    pub(crate) out: crate::reply::Reply,
    /// `MULTI` and `WATCH` state.
    pub(crate) multi: crate::multi::Conn,
}

/// A connection as `CLIENT LIST` and `CLIENT INFO` describe it.
pub(crate) struct ClientMeta {
    /// `CLIENT ID`: unique, increasing from 1.
    pub id: u64,
    pub addr: SocketAddr,
    pub laddr: SocketAddr,
    pub created: Instant,
    /// `CLIENT SETNAME`.
    pub name: Mutex<Option<String>>,
    /// The selected database, as last published.
    pub db: AtomicUsize,
    /// When the connection last ran a command (ms since `created`).
    pub last_active_ms: AtomicU64,
    /// The last command's index in the command table.
    pub last_cmd: AtomicUsize,
}

impl ClientMeta {
    pub fn new(id: u64, conn: &ConnInfo) -> ClientMeta {
        ClientMeta {
            id,
            addr: conn.peer,
            laddr: conn.local,
            created: Instant::now(),
            name: Mutex::new(None),
            db: AtomicUsize::new(0),
            last_active_ms: AtomicU64::new(0),
            last_cmd: AtomicUsize::new(usize::MAX),
        }
    }

    /// Records activity now.
    pub fn touch(&self) {
        self.last_active_ms.store(self.created.elapsed().as_millis() as u64, Ordering::Relaxed);
    }

    /// The client's name, or "".
    pub fn name(&self) -> String {
        self.name.lock().unwrap_or_else(|e| e.into_inner()).clone().unwrap_or_default()
    }

    /// One `CLIENT LIST` line, newline included, in Redis's field order.
    pub fn line(&self, cmd: &str) -> String {
        let age = self.created.elapsed().as_secs();
        let idle = age.saturating_sub(self.last_active_ms.load(Ordering::Relaxed) / 1000);
        format!(
            "id={} addr={} laddr={} fd=-1 name={} age={} idle={} flags=N db={} sub=0 psub=0 ssub=0 multi=-1 \
             qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=0 tot-mem=0 events=r cmd={} \
             user=default redir=-1 resp=2\n",
            self.id,
            self.addr,
            self.laddr,
            self.name(),
            age,
            idle,
            self.db.load(Ordering::Relaxed),
            cmd,
        )
    }
}
