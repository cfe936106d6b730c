//! Starting and stopping a server: listeners, I/O loops, the worker pool.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::config::Config;
use crate::listener::Listener;
use crate::mailbox::{Completions, Inbox};
use crate::pool::{Pool, Queue, Route};
use crate::reactor::Reactor;
use crate::service::{CloseReason, Control, Service};
use crate::shared::Shared;
use crate::sys;

/// Why a server could not start or run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The settings do not work together.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// A listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The bind or listen error.
        source: std::io::Error,
    },
    /// A thread, poller or eventfd could not be created, or a loop failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The error.
        source: std::io::Error,
    },
}

fn io_err(what: &'static str) -> impl FnOnce(std::io::Error) -> Error {
    move |source| Error::Io { what, source }
}

/// How a server's run ended.
#[derive(Debug, Clone)]
pub struct Summary {
    /// Connections accepted over the server's life.
    pub connections: u64,
    /// Connections closed over the server's life, turned-away ones included.
    pub closed: u64,
    /// Tasks handled over the server's life.
    pub tasks: u64,
    /// How long the graceful shutdown took.
    pub drain_time: Duration,
    /// Connections cut off by the drain deadline (0 for a clean drain).
    pub forced: usize,
}

/// A bound server, ready to [`run`](Server::run).
///
/// # Examples
///
/// ```
/// use switchyard_engine::{Config, ConnInfo, Cx, Server, Service};
///
/// struct Echo;
/// impl Service for Echo {
///     type State = ();
///     fn open(&self, _: &ConnInfo) {}
///     fn handle(&self, _: &mut (), cx: &mut Cx<'_>) {
///         let n = cx.input().len();
///         let bytes = cx.input().to_vec();
///         cx.out().extend_from_slice(&bytes);
///         cx.consume(n);
///     }
/// }
///
/// let config = Config { listen: vec!["127.0.0.1:0".parse().unwrap()], ..Config::default() };
/// let server = Server::bind(config, Echo).unwrap();
/// let addr = server.local_addrs()[0];
/// let control = server.control();
/// let running = std::thread::spawn(move || server.run());
///
/// use std::io::{Read, Write};
/// let mut client = std::net::TcpStream::connect(addr).unwrap();
/// client.write_all(b"ping").unwrap();
/// let mut buf = [0; 4];
/// client.read_exact(&mut buf).unwrap();
/// assert_eq!(&buf, b"ping");
///
/// drop(client);
/// control.shutdown();
/// assert_eq!(running.join().unwrap().unwrap().forced, 0);
/// ```
pub struct Server<S: Service> {
    service: Arc<S>,
    control: Control,
    /// Per I/O loop: its listeners, one per address.
    listeners: Vec<Vec<Listener>>,
    addrs: Vec<SocketAddr>,
    /// Per address: it serves TLS.
    secure: Vec<bool>,
}

impl<S: Service> Server<S> {
    /// Validates `config` and binds its addresses, once per I/O loop
    /// (`SO_REUSEPORT`), so that the ports are known before `run`.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] for impossible settings, [`Error::Bind`] for an
    /// address that cannot be bound, [`Error::Io`] for an eventfd.
    pub fn bind(config: Config, service: S) -> Result<Server<S>, Error> {
        Server::bind_with(config, service, Vec::new())
    }

    /// [`Server::bind`], and serves on `inherited` listening sockets too:
    /// sockets this process was given rather than bound (systemd's socket
    /// activation, a live upgrade). `config.listen` may then be empty.
    /// Each I/O loop gets its own descriptor of an inherited socket (a
    /// `dup`): they share one accept queue, and whichever loop is woken
    /// first takes the connection. An inherited listener serves TLS if
    /// it says so (`Listener::tls`).
    ///
    /// # Errors
    ///
    /// As [`Server::bind`]; [`Error::Io`] if a descriptor cannot be
    /// duplicated or read.
    pub fn bind_with(config: Config, service: S, inherited: Vec<Listener>) -> Result<Server<S>, Error> {
        if inherited.is_empty() {
            config.validate().map_err(Error::Config)?;
        } else {
            config.validate_settings().map_err(Error::Config)?;
        }
        let tls_wanted = !config.tls_listen.is_empty() || !config.tls_proxy_listen.is_empty();
        if (tls_wanted || inherited.iter().any(|l| l.tls)) && config.tls.is_none() {
            return Err(Error::Config("TLS listeners need TLS settings (a certificate and its key)".into()));
        }
        // A descriptor per connection: take all that the hard limit allows.
        match sys::raise_fd_limit() {
            Ok(n) => tracing::debug!(limit = n, "open files limit"),
            Err(e) => tracing::warn!(error = %e, "cannot raise the open files limit"),
        }
        let mut listeners: Vec<Vec<Listener>> = (0..config.io_threads).map(|_| Vec::new()).collect();
        let mut addrs = Vec::new();
        let mut secure = Vec::new();
        // (address, PROXY protocol, TLS)
        let wanted = (config.listen.iter().map(|a| (a, false, false)))
            .chain(config.proxy_listen.iter().map(|a| (a, true, false)))
            .chain(config.tls_listen.iter().map(|a| (a, false, true)))
            .chain(config.tls_proxy_listen.iter().map(|a| (a, true, true)));
        for (want, proxy_protocol, tls) in wanted {
            // Port 0 resolves here; every loop binds that port.
            let addr = sys::claim(want).map_err(|source| Error::Bind { addr: *want, source })?;
            for per_loop in listeners.iter_mut() {
                let socket = sys::listener(&addr, config.backlog).map_err(|source| Error::Bind { addr, source })?;
                per_loop.push(Listener { socket, proxy_protocol, tls });
            }
            addrs.push(addr);
            secure.push(tls);
        }
        for listener in inherited {
            let addr = listener.socket.local_addr().map_err(io_err("reading an inherited listener's address"))?;
            for per_loop in listeners.iter_mut().skip(1) {
                per_loop.push(listener.try_clone().map_err(io_err("duplicating an inherited listener"))?);
            }
            secure.push(listener.tls);
            listeners[0].push(listener);
            addrs.push(addr);
        }
        let inboxes: Vec<Arc<Inbox>> = (0..config.io_threads)
            .map(|_| Inbox::new().map(Arc::new))
            .collect::<Result<_, _>>()
            .map_err(io_err("eventfd"))?;
        let shared = Arc::new(Shared::new(config).map_err(io_err("eventfd"))?);
        let handover: Vec<Listener> = listeners[0]
            .iter()
            .map(Listener::try_clone)
            .collect::<Result<_, _>>()
            .map_err(io_err("duplicating a listener"))?;
        *shared.handover.lock().unwrap_or_else(|e| e.into_inner()) = handover;
        let control = Control { inboxes: inboxes.into(), shared };
        Ok(Server { service: Arc::new(service), control, listeners, addrs, secure })
    }

    /// The addresses served, with real ports: `Config::listen`'s, then
    /// `Config::proxy_listen`'s, then `Config::tls_listen`'s, then
    /// `Config::tls_proxy_listen`'s, then the inherited listeners'.
    pub fn local_addrs(&self) -> &[SocketAddr] {
        &self.addrs
    }

    /// Whether each of [`Server::local_addrs`] serves TLS.
    pub fn serves_tls(&self) -> &[bool] {
        &self.secure
    }

    /// The service, shared with the server's threads (to read its metrics,
    /// say).
    pub fn service(&self) -> Arc<S> {
        self.service.clone()
    }

    /// A handle that reaches the server from any thread.
    pub fn control(&self) -> Control {
        self.control.clone()
    }

    /// Makes `SIGINT` and `SIGTERM` start a graceful shutdown of this
    /// server; a second signal exits the process at once. Call it from the
    /// program's main thread, once.
    ///
    /// # Errors
    ///
    /// `sigaction`'s error.
    pub fn install_signal_handlers(&self) -> std::io::Result<()> {
        sys::install_shutdown_signals(self.control.shared.shutdown_fd())
    }

    /// Runs the server until a graceful shutdown completes.
    ///
    /// The I/O loops and workers it starts log inside the `tracing` span
    /// that is current where `run` is called, so two servers in one
    /// process can be told apart in their logs.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if a thread cannot start or a loop's readiness wait fails.
    pub fn run(self) -> Result<Summary, Error> {
        sys::ignore_write_signals();
        let Server { service, control, listeners, .. } = self;
        let shared = control.shared.clone();
        let config = &shared.config;
        let completions: Vec<Arc<Completions<_>>> =
            (0..config.io_threads).map(|_| Arc::new(Completions::new())).collect();
        let (queue, pool) = if config.workers > 0 {
            let queue = Arc::new(Queue::new(config.queue_capacity));
            let routes: Arc<[Route<S>]> = completions
                .iter()
                .zip(control.inboxes.iter())
                .map(|(c, i)| Route { completions: c.clone(), inbox: i.clone() })
                .collect();
            let pool = Pool::start(config.workers, queue.clone(), routes, service.clone(), control.clone())
                .map_err(io_err("starting workers"))?;
            (Some(queue), Some(pool))
        } else {
            (None, None)
        };
        service.start(&control);
        tracing::info!(
            poller = %config.poller,
            workers = config.workers,
            io_threads = config.io_threads,
            respond = %config.respond,
            "serving"
        );
        let mut loops = Vec::new();
        for (idx, (ls, done)) in listeners.into_iter().zip(completions).enumerate() {
            let reactor = Reactor::new(idx, service.clone(), control.clone(), done, queue.clone(), ls)
                .map_err(io_err("creating an I/O loop"))?;
            let span = tracing::Span::current();
            let handle = std::thread::Builder::new()
                .name(format!("io-loop-{idx}"))
                .spawn(move || span.in_scope(|| reactor.run()))
                .map_err(io_err("starting an I/O loop"))?;
            loops.push(handle);
        }
        let mut forced = 0;
        let mut failure = None;
        for handle in loops {
            match handle.join() {
                Ok(Ok(report)) => forced += report.forced,
                Ok(Err(e)) => {
                    tracing::error!(error = %e, "an I/O loop failed");
                    failure = Some(e);
                    // Take the other loops down with it.
                    shared.begin_shutdown();
                }
                Err(_) => {
                    tracing::error!("an I/O loop panicked");
                    shared.begin_shutdown();
                }
            }
        }
        if let (Some(queue), Some(pool)) = (queue, pool) {
            queue.close();
            // Within the drain deadline whatever a worker is doing: past it,
            // a worker still busy (a handler that does not return) is left
            // behind, as the process exits, after a last short grace.
            let now = Instant::now();
            let deadline = (now + shared.timeouts.get().shutdown.saturating_sub(shared.drain_elapsed()))
                .max(now + Duration::from_millis(100));
            if !pool.join(deadline) {
                tracing::warn!("workers still busy after the loops stopped; not waiting for them");
            }
        }
        if let Some(source) = failure {
            return Err(Error::Io { what: "I/O loop", source });
        }
        let m = &shared.metrics;
        let summary = Summary {
            connections: m.connections_accepted.load(std::sync::atomic::Ordering::Relaxed),
            closed: CloseReason::ALL.iter().map(|&r| m.closed_count(r)).sum(),
            tasks: m.tasks_done.load(std::sync::atomic::Ordering::Relaxed),
            drain_time: shared.drain_elapsed(),
            forced,
        };
        tracing::info!(
            connections = summary.connections,
            closed = summary.closed,
            tasks = summary.tasks,
            drain_ms = summary.drain_time.as_millis() as u64,
            forced = summary.forced,
            "stopped"
        );
        Ok(summary)
    }
}
