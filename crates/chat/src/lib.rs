//! The `chat` service: a subset of IRC (RFC 1459 / RFC 2812) that ordinary
//! clients (irssi, WeeChat, HexChat, bot libraries) can use.
//!
//! Each connection's lines are framed with [`switchyard_codec::irc`] and
//! handled in order ([`command`]); the users and channels are one global
//! [`registry`] behind one lock.
//!
//! Everything a client receives after it connects, its own replies
//! included, is queued in the registry's [`outbox`] while the registry lock
//! is held, and posted with [`Control::send`] by one flusher thread, which
//! coalesces whatever accumulated into one send per recipient. The engine
//! writes a task's own output ([`Cx::out`]) and cross-connection messages
//! in no fixed order relative to each other, so mixing the two could show a
//! client someone's message in a channel before its own JOIN; one path
//! under one lock gives every client one global order of events. Messages
//! from one sender reach every member in the order sent.
//!
//! A connection's end ([`Service::closed`], whatever the reason) removes its
//! user and tells the channels `QUIT` with the reason (`Max SendQ exceeded`
//! when the engine dropped a client that stopped reading). A background
//! thread ([`keepalive`]) pings idle clients and drops those that do not
//! answer.

mod caps;
mod channel;
mod clock;
mod command;
mod counters;
mod flood;
mod keepalive;
mod numeric;
mod outbox;
mod password;
mod registry;

use std::net::IpAddr;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use switchyard_codec::irc::{next_line, skip_line, write_message, Frame};
use switchyard_engine::{CloseReason, ConnId, ConnInfo, Control, Cx, Farewell, Output, Reject, Service};

use crate::command::Session;
use crate::counters::{Dropped, Gauges};
use crate::outbox::Shared;
use crate::registry::{Registry, User};

pub use crate::password::{HashError, PasswordHash};

/// A server operator: the name OPER gives and the hash of its password.
#[derive(Clone, Debug)]
pub struct Oper {
    pub name: String,
    pub hash: PasswordHash,
}

/// Settings of the chat service.
#[derive(Clone, Debug)]
pub struct Options {
    /// The server's name in prefixes and numerics.
    pub server_name: String,
    /// The message of the day at start, if any ([`Chat::set_motd`]
    /// changes it).
    pub motd: Option<String>,
    /// Silence after which a client is sent a PING.
    pub ping_interval: Duration,
    /// Time a client has to answer that PING (with anything) before it is dropped.
    pub ping_timeout: Duration,
    /// Input lines a second a client may keep up; 0 disables flood control.
    pub flood_lines_per_sec: u32,
    /// Input lines a client may send at once before the rate applies.
    pub flood_burst_lines: u32,
    /// Who may become a server operator with OPER.
    pub opers: Vec<Oper>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            server_name: "switchyard".to_string(),
            motd: None,
            ping_interval: Duration::from_secs(120),
            ping_timeout: Duration::from_secs(60),
            flood_lines_per_sec: 10,
            flood_burst_lines: 100,
            opers: Vec::new(),
        }
    }
}

/// The chat server.
pub struct Chat {
    options: Arc<Options>,
    /// Users and channels (see [`registry`] for why one lock), and the
    /// flusher's wake-up.
    shared: Arc<Shared>,
    /// The server's handle, from [`Service::start`].
    control: OnceLock<Control>,
    /// When the service was created, seconds since the Unix epoch (for 003).
    created: u64,
}

impl Chat {
    /// Creates the service.
    pub fn new(options: Options) -> Chat {
        let motd = options.motd.as_deref().map(Arc::from);
        Chat {
            options: Arc::new(options),
            shared: Arc::new(Shared {
                registry: Mutex::new(Registry { motd, ..Registry::default() }),
                wake: Condvar::new(),
            }),
            control: OnceLock::new(),
            created: clock::unix_now(),
        }
    }

    /// Replaces the message of the day (`None`: no MOTD, 422); clients
    /// see the new one at their next `MOTD` or registration.
    pub fn set_motd(&self, motd: Option<String>) {
        self.lock().motd = motd.map(Arc::from);
    }

    fn lock(&self) -> MutexGuard<'_, Registry> {
        lock(&self.shared.registry)
    }
}

/// Releases the registry, waking the flusher if it sleeps and there is
/// something to post.
fn wake_flusher(shared: &Shared, reg: MutexGuard<'_, Registry>) {
    let wake = reg.flusher_waiting && !reg.outbox.is_empty();
    drop(reg);
    if wake {
        shared.wake.notify_one();
    }
}

/// Locks the registry; a handler that panicked with the lock held cost its
/// own connection only, so the table is still used.
fn lock(registry: &Mutex<Registry>) -> MutexGuard<'_, Registry> {
    registry.lock().unwrap_or_else(|e| e.into_inner())
}

/// The host part of a client's prefix: its address, with a `0` before an
/// IPv6 address that starts with `:` (which would read as a trailing
/// parameter in 352 and 311).
fn host_of(ip: IpAddr) -> String {
    let s = ip.to_string();
    if s.starts_with(':') {
        format!("0{s}")
    } else {
        s
    }
}

/// The QUIT message others see when a connection ends for `reason`.
fn quit_message(reason: CloseReason) -> &'static str {
    match reason {
        CloseReason::PeerClosed => "Connection closed",
        CloseReason::Error => "Connection reset by peer",
        CloseReason::Service => "Client exited",
        CloseReason::Idle | CloseReason::RequestTimeout => "Ping timeout",
        CloseReason::WriteTimeout | CloseReason::OutputTooLarge => "Max SendQ exceeded",
        CloseReason::InputTooLarge => "Excess Flood",
        CloseReason::Busy => "Server full",
        CloseReason::Panic => "Internal error",
        CloseReason::Shutdown => "Server shutting down",
        CloseReason::TlsFailed => "TLS failed",
        // Closed before the service heard of the connection; listed for the match.
        CloseReason::ProxyHeader => "Bad PROXY protocol header",
    }
}

/// One connection's own state; the rest is in the registry.
pub struct Conn {
    id: ConnId,
    /// Dropping the rest of an overlong line whose end has not come yet.
    discarding: bool,
}

impl Service for Chat {
    type State = Conn;

    fn open(&self, conn: &ConnInfo) -> Conn {
        let now = Instant::now();
        let user = User::new(host_of(conn.peer.ip()), now, self.options.flood_burst_lines);
        self.lock().users.insert(conn.id, user);
        Conn { id: conn.id, discarding: false }
    }

    fn handle(&self, state: &mut Conn, cx: &mut Cx<'_>) {
        let now = Instant::now();
        let input = cx.input();
        let mut used = 0;
        {
            let mut reg = self.lock();
            let Some(user) = reg.users.get_mut(&state.id) else {
                // Dropped (ping timeout) and closing: nothing more counts.
                let n = input.len();
                cx.consume(n);
                return;
            };
            user.last_active = now;
            user.ping_sent = None;
            let mut session = Session::new(&self.options, self.created, &mut reg, state.id);
            session.pace(now);
            while used < input.len() && !session.gone() {
                let rest = &input[used..];
                if state.discarding {
                    let (n, ended) = skip_line(rest);
                    used += n;
                    state.discarding = !ended;
                    continue;
                }
                match next_line(rest) {
                    Frame::Line { line, used: n } => {
                        used += n;
                        session.input_line(line, now);
                    }
                    Frame::TooLong { used: n, ended } => {
                        used += n;
                        state.discarding = !ended;
                        session.input_too_long();
                    }
                    Frame::Partial { used: n } => {
                        used += n;
                        break;
                    }
                }
            }
            if session.gone() {
                used = input.len();
            }
            wake_flusher(&self.shared, reg);
        }
        cx.consume(used);
    }

    /// Replies travel through the outbox, and may still be on their way
    /// when the client half-closes: the close is queued behind them there,
    /// so the client gets every reply its lines produced (a `PONG`, the
    /// welcome of a registration) before its connection ends.
    fn input_ended(&self, state: &mut Conn) -> Farewell {
        let mut reg = self.lock();
        if !reg.users.contains_key(&state.id) {
            return Farewell::Close;
        }
        reg.outbox.close(state.id);
        wake_flusher(&self.shared, reg);
        Farewell::Wait
    }

    /// The notice and the closing line travel through the outbox like any
    /// message, so they follow every message queued for this client before
    /// them; the close is posted after them.
    fn goodbye(&self, state: &mut Conn, _out: &mut Output) -> Farewell {
        let mut reg = self.lock();
        let Some(user) = reg.users.get(&state.id) else { return Farewell::Close };
        let mut bytes = Vec::new();
        let server = &self.options.server_name;
        write_message(&mut bytes, Some(server), "NOTICE", &[user.nick_or_star()], Some("Server is shutting down"));
        let text = format!("Closing Link: {} (Server shutting down)", user.host);
        write_message(&mut bytes, None, "ERROR", &[], Some(&text));
        reg.outbox.to(state.id).extend_from_slice(&bytes);
        reg.outbox.close(state.id);
        wake_flusher(&self.shared, reg);
        Farewell::Wait
    }

    fn closed(&self, state: Conn, _conn: &ConnInfo, reason: CloseReason) {
        let mut reg = self.lock();
        if reason == CloseReason::Shutdown {
            // Every client is told and leaving: no QUIT after their ERROR.
            if let Some(user) = reg.users.remove(&state.id) {
                reg.forget(state.id, &user);
            }
        } else if reg.quit(state.id, quit_message(reason)).is_some() {
            // A client the service dropped itself was counted then, and
            // is gone from the registry by now.
            if let Some(why) = Dropped::for_close(reason) {
                reg.counters.dropped(why);
            }
        }
        wake_flusher(&self.shared, reg);
    }

    fn reject(&self, why: Reject) -> Option<Vec<u8>> {
        let reason = match why {
            Reject::Busy => "Server is full",
            Reject::InputTooLarge => "Excess Flood",
            Reject::RequestTimeout => "Ping timeout",
            Reject::Panic => "Internal error",
            Reject::NotTls => "This port needs TLS",
        };
        let mut bytes = Vec::new();
        write_message(&mut bytes, None, "ERROR", &[], Some(&format!("Closing Link: ({reason})")));
        Some(bytes)
    }

    fn start(&self, control: &Control) {
        if self.control.set(control.clone()).is_ok() {
            outbox::spawn(Arc::downgrade(&self.shared), control.clone());
            keepalive::spawn(Arc::downgrade(&self.shared), control.clone(), self.options.clone(), self.created);
        }
    }

    fn metrics(&self, out: &mut String) {
        let (gauges, counters) = {
            let reg = self.lock();
            let users = reg.registered;
            (
                Gauges { users, unregistered: reg.users.len().saturating_sub(users), channels: reg.channels.len() },
                reg.counters,
            )
        };
        counters.render(gauges, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_close_counted_as_a_drop_tells_the_channels_that_reason() {
        for reason in CloseReason::ALL {
            let want = match Dropped::for_close(reason) {
                Some(Dropped::Flood) => Some("Excess Flood"),
                Some(Dropped::SendQ) => Some("Max SendQ exceeded"),
                Some(Dropped::PingTimeout) => Some("Ping timeout"),
                None => None,
            };
            let told = quit_message(reason);
            match want {
                Some(w) => assert_eq!(told, w, "{reason:?}"),
                None => assert!(
                    !["Excess Flood", "Max SendQ exceeded", "Ping timeout"].contains(&told),
                    "{reason:?} tells `{told}` but is not counted as a drop"
                ),
            }
        }
    }
}
