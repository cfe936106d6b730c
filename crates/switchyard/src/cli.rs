//! The command line (see `docs/configuration.md`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::units::{parse_duration, parse_size};

/// switchyard: a TCP server engine with built-in services and a load generator.
#[derive(Parser, Debug)]
#[command(name = "switchyard", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

// Parsed once at start, so the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve a built-in service.
    Serve(ServeArgs),
    /// Load-test a server (closed loop; checks every response).
    Bench(crate::bench::BenchArgs),
    /// Validate a configuration file and print the effective configuration.
    CheckConfig(CheckConfigArgs),
}

#[derive(Args, Debug)]
pub struct CheckConfigArgs {
    /// The TOML configuration file to check.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

/// The built-in services.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ServiceName {
    /// Every byte back.
    Echo,
    /// HTTP/1.1 static files.
    Http,
    /// A Redis-protocol key-value store.
    Kv,
    /// An IRC subset.
    Chat,
}

#[derive(Args, Clone, Debug)]
pub struct ServeArgs {
    /// The service to run.
    #[arg(value_enum)]
    pub service: ServiceName,
    #[command(flatten)]
    pub engine: EngineArgs,
    #[command(flatten)]
    pub http: HttpArgs,
    #[command(flatten)]
    pub kv: KvArgs,
    #[command(flatten)]
    pub chat: ChatArgs,
}

/// Settings of the http service.
#[derive(Args, Clone, Debug, Default)]
#[command(next_help_heading = "http service")]
pub struct HttpArgs {
    /// Folder to serve [default: the current folder].
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// List folders that have no index.html [default: off].
    #[arg(long)]
    pub autoindex: bool,
    /// Never send file.br or file.gz in place of file, whatever the client accepts [default: off].
    #[arg(long)]
    pub no_precompressed: bool,
}

/// Settings of the kv service.
#[derive(Args, Clone, Debug, Default)]
#[command(next_help_heading = "kv service")]
pub struct KvArgs {
    /// Number of databases, 1 to 1000000 [default: 16].
    #[arg(long, value_name = "N", value_parser = databases)]
    pub databases: Option<usize>,
    /// Memory limit for data, e.g. 1GiB; writes past it get -OOM [default: none].
    #[arg(long, value_name = "BYTES", value_parser = parse_size)]
    pub maxmemory: Option<u64>,
    /// Log every write to this file and replay it at start [default: off].
    #[arg(long, value_name = "FILE")]
    pub appendonly: Option<PathBuf>,
    /// When the log reaches the disk: always, everysec or no [default: everysec].
    #[arg(long, value_name = "POLICY")]
    pub appendfsync: Option<switchyard_kv::Fsync>,
    /// Password clients must give with AUTH (anyone on this machine can read a flag: prefer the config file) [default: none].
    #[arg(long, value_name = "PASSWORD")]
    pub requirepass: Option<String>,
    /// Output a pub/sub subscriber may hold, as Redis's client-output-buffer-limit pubsub: "HARD SOFT SECONDS" [default: "32mb 8mb 60"].
    #[arg(long, value_name = "LIMITS")]
    pub pubsub_output_limit: Option<switchyard_kv::BufferLimit>,
    /// Without a password, turn away clients from other machines: yes or no [default: yes].
    #[arg(long, value_name = "yes|no", value_parser = yes_no)]
    pub protected_mode: Option<bool>,
}

fn yes_no(s: &str) -> Result<bool, String> {
    match s {
        "yes" => Ok(true),
        "no" => Ok(false),
        other => Err(format!("`{other}` is not yes or no")),
    }
}

/// Settings of the chat service.
#[derive(Args, Clone, Debug, Default)]
#[command(next_help_heading = "chat service")]
pub struct ChatArgs {
    /// The server's name [default: switchyard].
    #[arg(long, value_name = "NAME")]
    pub server_name: Option<String>,
    /// File holding the message of the day [default: none].
    #[arg(long, value_name = "FILE")]
    pub motd: Option<PathBuf>,
    /// Silence after which a client is pinged; dropped if silent half as long again [default: 120s].
    #[arg(long, value_name = "DUR", value_parser = positive_duration)]
    pub ping_interval: Option<Duration>,
    /// Input lines a second a client may keep up (burst: ten seconds' worth); 0 disables [default: 10].
    #[arg(long, value_name = "N")]
    pub flood_rate: Option<u32>,
    /// Server operators, from the configuration file's `[chat.opers]` only.
    #[arg(skip)]
    pub opers: Vec<switchyard_chat::Oper>,
}

fn duration(s: &str) -> Result<Duration, String> {
    parse_duration(s)
}

fn positive_duration(s: &str) -> Result<Duration, String> {
    match parse_duration(s)? {
        d if d.is_zero() => Err("must be more than 0".into()),
        d => Ok(d),
    }
}

/// A buffer size: at least 64 bytes, as the configuration file demands.
fn buffer_size(s: &str) -> Result<usize, String> {
    match parse_size(s)? {
        v if v < 64 => Err(format!("must be at least 64 bytes, not {v}")),
        v => Ok(v as usize),
    }
}

/// A size where 0 means "no limit".
fn any_size(s: &str) -> Result<usize, String> {
    parse_size(s).map(|v| v as usize)
}

fn databases(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n @ 1..=1_000_000) => Ok(n),
        Ok(n) => Err(format!("must be 1 to 1000000, not {n}")),
        Err(e) => Err(e.to_string()),
    }
}

/// Engine settings shared by every service.
#[derive(Args, Clone, Debug, Default)]
pub struct EngineArgs {
    /// Address to listen on; repeat for several [default: 127.0.0.1 on the service's port].
    #[arg(long, value_name = "ADDR")]
    pub listen: Vec<SocketAddr>,
    /// Address to listen on with TLS; repeat for several [default: none].
    #[arg(long, value_name = "ADDR")]
    pub tls_listen: Vec<SocketAddr>,
    /// A TLS certificate chain, leaf first (PEM); repeat for several, chosen by the name the client asks for (SNI), the first by default [default: none].
    #[arg(long, value_name = "FILE")]
    pub tls_cert: Vec<PathBuf>,
    /// The private key of each --tls-cert, in the same order (PEM: PKCS#8, RSA or EC) [default: none].
    #[arg(long, value_name = "FILE")]
    pub tls_key: Vec<PathBuf>,
    /// Ask TLS clients for a certificate signed by this CA (PEM) [default: none].
    #[arg(long, value_name = "FILE")]
    pub tls_client_ca: Option<PathBuf>,
    /// With --tls-client-ca: refuse clients without a certificate (yes), or let them in (optional) [default: yes].
    #[arg(long, value_name = "yes|optional")]
    pub tls_auth_clients: Option<crate::tls::AuthClients>,
    /// Address to listen on for a load balancer: each connection begins with a PROXY protocol header (v1 or v2) naming the client; repeat for several [default: none].
    #[arg(long, value_name = "ADDR")]
    pub proxy_listen: Vec<SocketAddr>,
    /// Address to listen on for a load balancer that relays TLS: a PROXY protocol header (v1 or v2), then the TLS handshake; repeat for several [default: none].
    #[arg(long, value_name = "ADDR")]
    pub tls_proxy_listen: Vec<SocketAddr>,
    /// Take --proxy-listen and --tls-proxy-listen connections only from this address or block (the load balancers), e.g. 10.0.0.0/8; repeat for several [default: any].
    #[arg(long, value_name = "CIDR")]
    pub proxy_from: Vec<switchyard_engine::Cidr>,
    /// Worker threads; 0 runs the service on the I/O threads [default: number of cores].
    #[arg(long, value_name = "N")]
    pub workers: Option<usize>,
    /// I/O loop threads [default: 1].
    #[arg(long, value_name = "N")]
    pub io_threads: Option<usize>,
    /// Readiness backend [default: epoll].
    #[arg(long, value_name = "epoll|poll")]
    pub poller: Option<switchyard_engine::poller::Kind>,
    /// Who writes responses: the I/O loop, or the worker directly [default: loop].
    #[arg(long, value_name = "loop|direct")]
    pub respond: Option<switchyard_engine::Respond>,
    /// Most open connections [default: 10000].
    #[arg(long, value_name = "N")]
    pub max_connections: Option<usize>,
    /// Close connections idle this long, e.g. 300s; 0 never [default: 300s].
    #[arg(long, value_name = "DUR", value_parser = duration)]
    pub idle_timeout: Option<Duration>,
    /// Close connections whose request does not arrive whole in time [default: 30s].
    #[arg(long, value_name = "DUR", value_parser = duration)]
    pub request_timeout: Option<Duration>,
    /// Close connections whose output makes no progress this long [default: 30s].
    #[arg(long, value_name = "DUR", value_parser = positive_duration)]
    pub write_timeout: Option<Duration>,
    /// Longest graceful shutdown before the rest is cut off [default: 30s].
    #[arg(long, value_name = "DUR", value_parser = duration)]
    pub shutdown_timeout: Option<Duration>,
    /// Most received bytes buffered per connection [default: 1MiB].
    #[arg(long, value_name = "BYTES", value_parser = buffer_size)]
    pub max_input: Option<usize>,
    /// Pending output past which a slow reader is closed [default: 64MiB].
    #[arg(long, value_name = "BYTES", value_parser = buffer_size)]
    pub max_output: Option<usize>,
    /// Owned output one connection may hold, its latest reply included; 0 for no limit [default: 512MiB].
    #[arg(long, value_name = "BYTES", value_parser = any_size)]
    pub output_hard_limit: Option<usize>,
    /// Owned output one connection may hold for at most --output-soft-time; 0 for no limit [default: 64MiB].
    #[arg(long, value_name = "BYTES", value_parser = any_size)]
    pub output_soft_limit: Option<usize>,
    /// How long a connection may stay above --output-soft-limit [default: 60s].
    #[arg(long, value_name = "DUR", value_parser = duration)]
    pub output_soft_time: Option<Duration>,
    /// Owned output all connections may hold together; past it the largest are closed; 0 for no limit [default: 1GiB].
    #[arg(long, value_name = "BYTES", value_parser = any_size)]
    pub output_total_limit: Option<usize>,
    /// Tasks waiting for a worker, at most [default: 4096].
    #[arg(long, value_name = "N")]
    pub queue_capacity: Option<usize>,
    /// Log level or filter, e.g. info, debug, switchyard_engine=trace [default: info].
    #[arg(long, value_name = "LEVEL")]
    pub log_level: Option<String>,
    /// Log format [default: text].
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub log_format: Option<crate::logging::Format>,
    /// Serve /metrics, /healthz, /stats.json and a status page on this address [default: off].
    #[arg(long, value_name = "ADDR")]
    pub admin: Option<SocketAddr>,
    /// TOML configuration file; flags override it [default: none].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}
