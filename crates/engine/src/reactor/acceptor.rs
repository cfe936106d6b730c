//! A loop's listeners, and the pause in accepting when descriptors run out.
//!
//! As memcached does on `EMFILE`, accepting stops for a while (the
//! listeners' interest is dropped, so a full backlog does not spin the
//! loop) and resumes on a timer, instead of failing every turn.

use std::io;
use std::net::TcpStream;
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::ServerConfig;

use crate::listener::Listener;
use crate::metrics::Limit;
use crate::poller::{Interest, Poller};
use crate::shared::Shared;
use crate::sys;

/// Poller tokens of listeners: this plus the listener's index.
pub const LISTENER_TOKEN_BASE: u64 = 1 << 40;
/// Most connections accepted per listener per turn.
pub const ACCEPT_BUDGET: usize = 64;
/// How long accepting pauses after running out of file descriptors.
const ACCEPT_PAUSE: Duration = Duration::from_millis(250);

/// What one `accept` call got.
pub enum Accepted {
    /// A new connection.
    Conn(TcpStream),
    /// Nothing this time, but the listener may have more (an interrupted
    /// call, a connection aborted in the backlog).
    Retry,
    /// Nothing more this turn: the backlog is empty, accepting paused, or
    /// the listener is gone.
    Done,
}

pub struct Acceptor {
    /// Closed (emptied) when the drain begins.
    listeners: Vec<Listener>,
    /// Each listener's TLS settings; `None` for clear text.
    tls: Vec<Option<Arc<ServerConfig>>>,
    /// Listener interest is armed (accepting is not paused).
    accepting: bool,
    /// When a pause in accepting ends.
    paused_until: Option<Instant>,
}

impl Acceptor {
    /// Takes the listeners, registered with `poller`; those that serve TLS
    /// do so with `tls`.
    ///
    /// # Errors
    ///
    /// Registering a listener failed.
    pub fn new(listeners: Vec<Listener>, tls: Option<&Arc<ServerConfig>>, poller: &mut Poller) -> io::Result<Self> {
        let tls = listeners.iter().map(|l| tls.filter(|_| l.tls).cloned()).collect();
        for (i, l) in listeners.iter().enumerate() {
            poller.register(l.socket.as_raw_fd(), LISTENER_TOKEN_BASE + i as u64, Interest::READ)?;
        }
        Ok(Acceptor { listeners, tls, accepting: true, paused_until: None })
    }

    /// Listener `li`'s TLS settings; `None` for clear text.
    pub fn tls(&self, li: usize) -> Option<Arc<ServerConfig>> {
        self.tls.get(li).cloned().flatten()
    }

    /// How many listeners there are.
    pub fn count(&self) -> usize {
        self.listeners.len()
    }

    /// Connections from listener `li` begin with a PROXY protocol header.
    pub fn proxy_protocol(&self, li: usize) -> bool {
        self.listeners.get(li).is_some_and(|l| l.proxy_protocol)
    }

    /// Accepting is not paused.
    pub fn accepting(&self) -> bool {
        self.accepting
    }

    /// When a pause in accepting ends, if one is under way.
    pub fn paused_until(&self) -> Option<Instant> {
        self.paused_until
    }

    /// Accepts one connection from listener `li`.
    pub fn accept(&mut self, li: usize, poller: &mut Poller, shared: &Shared, now: Instant) -> Accepted {
        let Some(listener) = self.listeners.get(li) else { return Accepted::Done };
        match sys::accept(&listener.socket) {
            Ok(sock) => Accepted::Conn(sock),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Accepted::Done,
            Err(e) => match e.raw_os_error() {
                Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM) => {
                    shared.limit(
                        Limit::FdsExhausted,
                        format_args!("accept failed ({e}); pausing accepting for {ACCEPT_PAUSE:?}"),
                    );
                    self.set_accepting(poller, false);
                    self.paused_until = Some(now + ACCEPT_PAUSE);
                    Accepted::Done
                }
                Some(libc::EINTR | libc::ECONNABORTED | libc::EPERM | libc::EPROTO) => Accepted::Retry,
                _ => {
                    tracing::warn!(error = %e, "accept failed");
                    Accepted::Done
                }
            },
        }
    }

    /// Ends a pause in accepting that is due by `now`.
    pub fn resume_if_due(&mut self, poller: &mut Poller, now: Instant) {
        if self.paused_until.is_some_and(|t| t <= now) {
            self.paused_until = None;
            self.set_accepting(poller, true);
        }
    }

    /// Closes the listeners: the loop accepts no more.
    pub fn close(&mut self, poller: &mut Poller) {
        for l in std::mem::take(&mut self.listeners) {
            let _ = poller.deregister(l.socket.as_raw_fd());
        }
        self.paused_until = None;
    }

    fn set_accepting(&mut self, poller: &mut Poller, on: bool) {
        if self.accepting == on {
            return;
        }
        self.accepting = on;
        let interest = if on { Interest::READ } else { Interest::NONE };
        for (i, l) in self.listeners.iter().enumerate() {
            if let Err(e) = poller.reregister(l.socket.as_raw_fd(), LISTENER_TOKEN_BASE + i as u64, interest) {
                tracing::warn!(error = %e, "cannot change listener interest");
            }
        }
    }
}
