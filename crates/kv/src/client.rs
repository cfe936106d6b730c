//! A connection's state ([`Client`]) and what other connections may see
//! of it ([`ClientMeta`], for `CLIENT LIST`).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use crate::command::Arg;
use switchyard_engine::{ConnId, ConnInfo};

/// Per-connection state, owned by whichever worker runs the connection.
pub struct Client {
    /// The selected database.
    pub(crate) db: usize,
    /// What `CLIENT LIST` shows about this connection.
    pub(crate) meta: std::sync::Arc<ClientMeta>,
    /// Reply buffer, kept between calls to reuse its allocation. It holds
    /// the connection's protocol.
    pub(crate) out: crate::reply::Reply,
    /// Turned away by protected mode: its input is dropped until the
    /// engine closes it.
    pub(crate) denied: bool,
    /// `MULTI` and `WATCH` state.
    pub(crate) multi: crate::multi::Conn,
    /// The blocking pop the connection is parked in, if any.
    pub(crate) blocked: Option<crate::blocking::Block>,
    /// Channels and patterns subscribed to.
    pub(crate) pubsub: crate::pubsub::Conn,
    /// The vector each call parses requests into, kept empty between calls
    /// for its allocation (see [`recycle`]).
    pub(crate) args: Vec<Arg<'static>>,
}

/// A vector of arguments, emptied, as one of another lifetime, keeping its
/// allocation: collecting a vector's own `into_iter` reuses its buffer
/// when the element layouts match (they do: only the lifetime differs),
/// and an empty one has no element whose lifetime could matter. Should
/// the buffer not be reused, the result is merely a fresh empty vector.
pub(crate) fn recycle<'a, 'b>(mut args: Vec<Arg<'a>>) -> Vec<Arg<'b>> {
    args.clear();
    args.into_iter().map(|_| unreachable!("the vector is empty")).collect()
}

/// A connection as `CLIENT LIST` and `CLIENT INFO` describe it.
pub(crate) struct ClientMeta {
    /// `CLIENT ID`: unique, increasing from 1.
    pub id: u64,
    /// The engine's id, for `CLIENT KILL`; `None` for a client that no
    /// engine connection carries (unit tests).
    pub conn: Option<ConnId>,
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
    /// The protocol version, as last published (`resp=` of `CLIENT LIST`).
    pub resp: AtomicUsize,
    /// The connection may run commands: it has authenticated, or no
    /// password was required when it connected (as in Redis, setting a
    /// password later does not log anyone out).
    pub authenticated: AtomicBool,
    /// Blocked in a blocking pop (`flags=b`).
    pub blocked: AtomicBool,
    /// Channels subscribed to, as last published (`sub=`).
    pub channels: AtomicUsize,
    /// Patterns subscribed to, as last published (`psub=`).
    pub patterns: AtomicUsize,
}

impl ClientMeta {
    pub fn new(id: u64, conn: &ConnInfo, authenticated: bool) -> ClientMeta {
        ClientMeta {
            id,
            conn: Some(conn.id),
            addr: conn.peer,
            laddr: conn.local,
            created: Instant::now(),
            name: Mutex::new(None),
            db: AtomicUsize::new(0),
            last_active_ms: AtomicU64::new(0),
            last_cmd: AtomicUsize::new(usize::MAX),
            resp: AtomicUsize::new(2),
            authenticated: AtomicBool::new(authenticated),
            blocked: AtomicBool::new(false),
            channels: AtomicUsize::new(0),
            patterns: AtomicUsize::new(0),
        }
    }

    /// Records activity at `now`.
    pub fn touch_at(&self, now: Instant) {
        let since = now.saturating_duration_since(self.created);
        self.last_active_ms.store(since.as_millis() as u64, Ordering::Relaxed);
    }

    /// `CLIENT SETNAME` and `HELLO SETNAME`: an empty name removes it.
    ///
    /// # Errors
    ///
    /// Redis's text, for a name with spaces or other special characters.
    pub fn set_name(&self, name: &[u8]) -> Result<(), std::borrow::Cow<'static, str>> {
        if name.iter().any(|&c| !(b'!'..=b'~').contains(&c)) {
            return Err("ERR Client names cannot contain spaces, newlines or special characters.".into());
        }
        *self.name.lock().unwrap_or_else(|e| e.into_inner()) =
            if name.is_empty() { None } else { Some(String::from_utf8_lossy(name).into_owned()) };
        Ok(())
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
            "id={} addr={} laddr={} fd=-1 name={} age={} idle={} flags={} db={} sub={} psub={} ssub=0 multi=-1 \
             qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=0 tot-mem=0 events=r cmd={} \
             user=default redir=-1 resp={}\n",
            self.id,
            self.addr,
            self.laddr,
            self.name(),
            age,
            idle,
            if self.blocked.load(Ordering::Relaxed) {
                "b"
            } else if self.channels.load(Ordering::Relaxed) + self.patterns.load(Ordering::Relaxed) > 0 {
                "P"
            } else {
                "N"
            },
            self.db.load(Ordering::Relaxed),
            self.channels.load(Ordering::Relaxed),
            self.patterns.load(Ordering::Relaxed),
            cmd,
            self.resp.load(Ordering::Relaxed),
        )
    }
}

#[cfg(test)]
impl ClientMeta {
    /// A connection from 127.0.0.1:1 to 127.0.0.1:2, authenticated, in
    /// RESP2: for unit tests that run commands without a server.
    pub fn for_tests() -> ClientMeta {
        ClientMeta {
            id: 1,
            addr: "127.0.0.1:1".parse().unwrap(),
            laddr: "127.0.0.1:2".parse().unwrap(),
            created: Instant::now(),
            name: Mutex::new(None),
            db: AtomicUsize::new(0),
            last_active_ms: AtomicU64::new(0),
            last_cmd: AtomicUsize::new(0),
            conn: None,
            resp: AtomicUsize::new(2),
            authenticated: std::sync::atomic::AtomicBool::new(true),
            blocked: AtomicBool::new(false),
            channels: AtomicUsize::new(0),
            patterns: AtomicUsize::new(0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recycled_vector_keeps_its_allocation() {
        let mut args: Vec<Arg<'static>> = Vec::with_capacity(16);
        let buffer = args.as_ptr();
        let input = b"GET".to_vec();
        let mut local: Vec<Arg<'_>> = recycle(std::mem::take(&mut args));
        local.push(std::borrow::Cow::Borrowed(&input[..]));
        assert_eq!(local.as_ptr(), buffer);
        local.clear();
        let back: Vec<Arg<'static>> = recycle(local);
        assert_eq!((back.as_ptr(), back.capacity()), (buffer, 16));
    }
}
