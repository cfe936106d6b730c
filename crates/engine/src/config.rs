//! The engine's settings, each with a default that suits a small server.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::limits::OutputLimits;
use crate::poller;

/// Where responses are written from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Respond {
    /// The worker hands its output to the I/O loop, which writes it.
    #[default]
    Loop,
    /// The worker writes to the socket while it owns the connection, and
    /// hands the loop only what the socket would not take.
    Direct,
}

impl std::str::FromStr for Respond {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "loop" => Ok(Respond::Loop),
            "direct" => Ok(Respond::Direct),
            other => Err(format!("unknown response mode `{other}` (expected `loop` or `direct`)")),
        }
    }
}

impl std::fmt::Display for Respond {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Respond::Loop => "loop",
            Respond::Direct => "direct",
        })
    }
}

/// Engine settings. Build one with `Config::default()` and change fields.
#[derive(Clone, Debug)]
pub struct Config {
    /// Addresses to listen on; port 0 picks a free port.
    pub listen: Vec<SocketAddr>,
    /// Addresses to listen on with TLS, as set by [`Config::tls`].
    pub tls_listen: Vec<SocketAddr>,
    /// The TLS settings of the `tls_listen` listeners: a rustls server
    /// configuration (certificates, protocol versions, ALPN, client
    /// certificates, session tickets). The service sees plaintext.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// Addresses to listen on for a load balancer: every connection must
    /// begin with a PROXY protocol header (version 1 or 2), and the
    /// address it carries is the client's everywhere the service sees one.
    /// A header that is missing, malformed, oversized, or not whole within
    /// `request_timeout` closes the connection before the service sees a
    /// byte. On `listen`'s addresses a header is never accepted.
    pub proxy_listen: Vec<SocketAddr>,
    /// Addresses to listen on for a load balancer that relays TLS: every
    /// connection begins with a PROXY protocol header, as on
    /// `proxy_listen`'s, and the TLS handshake (with [`Config::tls`])
    /// follows it on the same socket, as HAProxy's `send-proxy-v2` to an
    /// `ssl` server or a TCP balancer in front of a TLS server sends them.
    pub tls_proxy_listen: Vec<SocketAddr>,
    /// Sources allowed to connect to `proxy_listen`'s and
    /// `tls_proxy_listen`'s addresses (the load
    /// balancers); a connection from elsewhere is closed at once. Empty:
    /// any source.
    pub proxy_from: Vec<crate::Cidr>,
    /// Worker threads; 0 runs the service on the I/O threads (inline mode).
    pub workers: usize,
    /// I/O loop threads, each with its own listeners and connections.
    pub io_threads: usize,
    /// The readiness backend.
    pub poller: poller::Kind,
    /// Where responses are written from.
    pub respond: Respond,
    /// Tasks waiting for a worker, at most; past it, reading pauses.
    pub queue_capacity: usize,
    /// Open connections, at most; past it, new ones get the busy reply.
    pub max_connections: usize,
    /// Received bytes buffered per connection, at most.
    pub max_input_bytes: usize,
    /// Pending output above which a connection stops being read.
    pub output_high_water_bytes: usize,
    /// Pending output below which a paused connection is read again.
    pub output_low_water_bytes: usize,
    /// Pending in-memory output past which a connection is closed: a
    /// reader that does not keep up. The output of the service's latest
    /// call does not count, so one reply may be longer.
    pub max_output_bytes: usize,
    /// Limits on the output connections hold, each alone and all together
    /// (changeable while running: [`crate::Control::set_output_limits`]).
    pub output_limits: OutputLimits,
    /// Close a connection with no traffic for this long (`None`: never).
    pub idle_timeout: Option<Duration>,
    /// Close a connection whose started request is not whole after this long.
    pub request_timeout: Option<Duration>,
    /// Close a connection whose pending output makes no progress for this long.
    pub write_timeout: Duration,
    /// How long a graceful shutdown may take before the rest is cut off.
    pub shutdown_timeout: Duration,
    /// After our last byte, how long to wait for the client's EOF before
    /// closing (so that a late request does not turn our FIN into a reset).
    pub linger_timeout: Duration,
    /// The listen backlog.
    pub backlog: i32,
}

impl Default for Config {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Config {
            listen: Vec::new(),
            tls_listen: Vec::new(),
            tls: None,
            proxy_listen: Vec::new(),
            tls_proxy_listen: Vec::new(),
            proxy_from: Vec::new(),
            workers: cores,
            io_threads: 1,
            poller: poller::Kind::Epoll,
            respond: Respond::Loop,
            queue_capacity: 4096,
            max_connections: 10_000,
            max_input_bytes: 1 << 20,
            output_high_water_bytes: 1 << 20,
            output_low_water_bytes: 256 << 10,
            max_output_bytes: 64 << 20,
            output_limits: OutputLimits::default(),
            idle_timeout: Some(Duration::from_secs(300)),
            request_timeout: Some(Duration::from_secs(30)),
            write_timeout: Duration::from_secs(30),
            shutdown_timeout: Duration::from_secs(30),
            linger_timeout: Duration::from_secs(2),
            backlog: 1024,
        }
    }
}

impl Config {
    /// The timeouts, as the server starts with them.
    pub fn timeouts(&self) -> crate::Timeouts {
        crate::Timeouts {
            idle: self.idle_timeout,
            request: self.request_timeout,
            write: self.write_timeout,
            shutdown: self.shutdown_timeout,
        }
    }

    /// Checks that the settings can work together.
    ///
    /// # Errors
    ///
    /// A message naming the setting that is out of range.
    pub fn validate(&self) -> Result<(), String> {
        if self.listen.is_empty()
            && self.proxy_listen.is_empty()
            && self.tls_listen.is_empty()
            && self.tls_proxy_listen.is_empty()
        {
            return Err("no address to listen on".into());
        }
        self.validate_settings()
    }

    /// [`Config::validate`] but for the addresses: for a server given its
    /// listeners ([`crate::Server::bind_with`]).
    ///
    /// # Errors
    ///
    /// A message naming the setting that is out of range.
    pub fn validate_settings(&self) -> Result<(), String> {
        if self.io_threads == 0 || self.io_threads > 64 {
            return Err(format!("io_threads must be 1 to 64, not {}", self.io_threads));
        }
        if self.workers > 1024 {
            return Err(format!("workers must be at most 1024, not {}", self.workers));
        }
        if self.max_connections == 0 {
            return Err("max_connections must be at least 1".into());
        }
        if self.queue_capacity == 0 {
            return Err("queue_capacity must be at least 1".into());
        }
        if self.max_input_bytes < 64 {
            return Err(format!("max_input_bytes must be at least 64, not {}", self.max_input_bytes));
        }
        if self.output_low_water_bytes > self.output_high_water_bytes {
            return Err("output_low_water_bytes must not exceed output_high_water_bytes".into());
        }
        if self.max_output_bytes < self.output_high_water_bytes {
            return Err("max_output_bytes must be at least output_high_water_bytes".into());
        }
        Ok(())
    }
}
