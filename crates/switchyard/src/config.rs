//! The TOML configuration file (`--config FILE`, `switchyard check-config`).
//!
//! Every flag of `switchyard serve` has a key: engine settings at the top
//! level, each service's under its own table (`[http]`, `[kv]`, `[chat]`).
//! The file only fills in what the command line left unset, so a flag
//! always beats the file. Durations and sizes read as the flags do
//! (`"300s"`, `"1MiB"`, see [`crate::units`]); relative paths are taken
//! from the file's own folder.
//!
//! Invariant: a file that loads is one the server can start with as far as
//! single values go — unknown keys, wrong types, impossible values and
//! paths the services could not use ([`crate::preflight`]) are refused
//! here, naming the file, the line and the key.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use toml::Spanned;

use crate::cli::{ChatArgs, EngineArgs, HttpArgs, KvArgs};
use crate::logging;
use crate::preflight;
use crate::units::{parse_duration, parse_size};

/// The file's contents: every key optional, unknown keys refused.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct File {
    #[serde(default, deserialize_with = "addresses")]
    listen: Option<Vec<SocketAddr>>,
    #[serde(default, deserialize_with = "addresses")]
    tls_listen: Option<Vec<SocketAddr>>,
    tls_cert: Option<Spanned<Paths>>,
    tls_key: Option<Spanned<Paths>>,
    tls_client_ca: Option<Spanned<PathBuf>>,
    #[serde(default, deserialize_with = "parsed")]
    tls_auth_clients: Option<crate::tls::AuthClients>,
    proxy_listen: Option<Vec<SocketAddr>>,
    #[serde(default, deserialize_with = "addresses")]
    tls_proxy_listen: Option<Vec<SocketAddr>>,
    #[serde(default, deserialize_with = "blocks")]
    proxy_from: Option<Vec<switchyard_engine::Cidr>>,
    #[serde(default, deserialize_with = "count::<_, 0, 1024>")]
    workers: Option<usize>,
    #[serde(default, deserialize_with = "count::<_, 1, 64>")]
    io_threads: Option<usize>,
    #[serde(default, deserialize_with = "parsed")]
    poller: Option<switchyard_engine::poller::Kind>,
    #[serde(default, deserialize_with = "parsed")]
    respond: Option<switchyard_engine::Respond>,
    #[serde(default, deserialize_with = "count::<_, 1, { usize::MAX }>")]
    max_connections: Option<usize>,
    #[serde(default, deserialize_with = "duration")]
    idle_timeout: Option<Duration>,
    #[serde(default, deserialize_with = "duration")]
    request_timeout: Option<Duration>,
    #[serde(default, deserialize_with = "positive_duration")]
    write_timeout: Option<Duration>,
    #[serde(default, deserialize_with = "duration")]
    shutdown_timeout: Option<Duration>,
    #[serde(default, deserialize_with = "size::<_, 64>")]
    max_input: Option<u64>,
    #[serde(default, deserialize_with = "size::<_, 64>")]
    max_output: Option<u64>,
    #[serde(default, deserialize_with = "size::<_, 0>")]
    output_hard_limit: Option<u64>,
    #[serde(default, deserialize_with = "size::<_, 0>")]
    output_soft_limit: Option<u64>,
    #[serde(default, deserialize_with = "duration")]
    output_soft_time: Option<Duration>,
    #[serde(default, deserialize_with = "size::<_, 0>")]
    output_total_limit: Option<u64>,
    #[serde(default, deserialize_with = "count::<_, 1, { usize::MAX }>")]
    queue_capacity: Option<usize>,
    #[serde(default, deserialize_with = "log_level")]
    log_level: Option<String>,
    log_format: Option<logging::Format>,
    admin: Option<SocketAddr>,
    #[serde(default)]
    http: HttpTable,
    #[serde(default)]
    kv: KvTable,
    #[serde(default)]
    chat: ChatTable,
}

/// One path, or several (`tls_cert`, `tls_key`).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Paths {
    One(PathBuf),
    Many(Vec<PathBuf>),
}

impl Paths {
    fn into_vec(self) -> Vec<PathBuf> {
        match self {
            Paths::One(p) => vec![p],
            Paths::Many(v) => v,
        }
    }
}

/// `[http]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct HttpTable {
    root: Option<Spanned<PathBuf>>,
    autoindex: Option<bool>,
    precompressed: Option<bool>,
}

/// `[kv]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct KvTable {
    #[serde(default, deserialize_with = "count::<_, 1, 1_000_000>")]
    databases: Option<usize>,
    #[serde(default, deserialize_with = "size::<_, 0>")]
    maxmemory: Option<u64>,
    appendonly: Option<Spanned<PathBuf>>,
    #[serde(default, deserialize_with = "parsed")]
    appendfsync: Option<switchyard_kv::Fsync>,
    requirepass: Option<String>,
    protected_mode: Option<bool>,
    #[serde(default, deserialize_with = "parsed")]
    pubsub_output_limit: Option<switchyard_kv::BufferLimit>,
}

/// `[chat]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChatTable {
    server_name: Option<String>,
    motd: Option<Spanned<PathBuf>>,
    #[serde(default, deserialize_with = "positive_duration")]
    ping_interval: Option<Duration>,
    flood_rate: Option<u32>,
    /// `[chat.opers]`: name = SHA-crypt hash of the password.
    #[serde(default, deserialize_with = "opers")]
    opers: Vec<switchyard_chat::Oper>,
}

/// `[chat.opers]` entries, each hash checked as it is read, so that a bad
/// one is refused with its own line.
fn opers<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<switchyard_chat::Oper>, D::Error> {
    /// One checked hash.
    struct Hash(switchyard_chat::PasswordHash);
    impl<'de> Deserialize<'de> for Hash {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Hash, D::Error> {
            let s = String::deserialize(d)?;
            switchyard_chat::PasswordHash::parse(&s).map(Hash).map_err(de::Error::custom)
        }
    }
    let table = std::collections::BTreeMap::<String, Hash>::deserialize(d)?;
    Ok(table.into_iter().map(|(name, Hash(hash))| switchyard_chat::Oper { name, hash }).collect())
}

/// Why a configuration file was refused.
#[derive(Debug)]
pub enum Error {
    /// The file could not be read.
    Read {
        /// The file.
        path: PathBuf,
        /// The read error.
        source: std::io::Error,
    },
    /// A key is unknown, of the wrong type, or out of range.
    Invalid {
        /// The file.
        path: PathBuf,
        /// The line the error points at, from 1.
        line: usize,
        /// The key, with its table (`kv.databases`); empty when unknown.
        key: String,
        /// What is wrong.
        message: String,
    },
    /// The settings do not work together.
    Conflict {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Read { path, source } => {
                write!(f, "cannot read the configuration file {}: {source}", path.display())
            }
            Error::Invalid { path, line, key, message } if key.is_empty() => {
                write!(f, "{}:{line}: {message}", path.display())
            }
            Error::Invalid { path, line, key, message } => {
                write!(f, "{}:{line}: key `{key}`: {message}", path.display())
            }
            Error::Conflict { path, message } => write!(f, "{}: {message}", path.display()),
        }
    }
}

impl std::error::Error for Error {}

/// Reads and checks the file at `path`.
///
/// # Errors
///
/// [`Error::Read`] if it cannot be read, [`Error::Invalid`] for a bad key
/// or value, or a path the service could not use.
pub fn load(path: &Path) -> Result<File, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Read { path: path.to_owned(), source })?;
    let invalid = |(line, key, message)| Error::Invalid { path: path.to_owned(), line, key, message };
    let mut file = parse(&text).map_err(invalid)?;
    let dir = path.parent().unwrap_or(Path::new("."));
    for spanned in [&mut file.tls_cert, &mut file.tls_key].into_iter().flatten() {
        let at = spanned.span().start;
        let many = match spanned.get_mut() {
            Paths::One(p) => std::slice::from_mut(p),
            Paths::Many(v) => v.as_mut_slice(),
        };
        for p in many {
            if p.is_relative() {
                *p = dir.join(&*p);
            }
            crate::tls::readable(p).map_err(|message| {
                let (line, key) = locate(&text, at);
                invalid((line, key, message))
            })?;
        }
    }
    let paths: [(_, preflight::Check); 4] = [
        (&mut file.http.root, preflight::root),
        (&mut file.kv.appendonly, preflight::appendonly),
        (&mut file.chat.motd, preflight::motd),
        (&mut file.tls_client_ca, crate::tls::readable),
    ];
    for (p, check) in paths {
        let Some(p) = p else { continue };
        if p.get_ref().is_relative() {
            *p.get_mut() = dir.join(p.get_ref());
        }
        check(p.get_ref()).map_err(|message| {
            let (line, key) = locate(&text, p.span().start);
            invalid((line, key, message))
        })?;
    }
    Ok(file)
}

/// Parses `text`; an error comes with its line, key and message.
fn parse(text: &str) -> Result<File, (usize, String, String)> {
    toml::from_str(text).map_err(|e: toml::de::Error| {
        let (line, key) = match e.span() {
            Some(span) => locate(text, span.start),
            None => (1, String::new()),
        };
        (line, key, e.message().trim_end().to_string())
    })
}

/// The line (from 1) holding byte `at`, and the dotted key whose value
/// spans that line (or the table a header there names).
fn locate(text: &str, at: usize) -> (usize, String) {
    let at = at.min(text.len());
    let line_no = text[..at].matches('\n').count() + 1;
    let mut table = String::new();
    let mut key = String::new();
    for line in text.lines().take(line_no) {
        let trimmed = line.trim();
        if let Some(header) = trimmed.strip_prefix('[') {
            table = header.trim_start_matches('[').split(']').next().unwrap_or("").trim().to_string();
            key.clear();
        } else if let Some((k, _)) = trimmed.split_once('=').filter(|_| !trimmed.starts_with('#')) {
            // A value can span lines (an array); the key is the last one defined.
            key = k.trim().trim_matches('"').to_string();
        }
    }
    let full = match (table.is_empty(), key.is_empty()) {
        (_, true) => table,
        (true, false) => key,
        (false, false) => format!("{table}.{key}"),
    };
    (line_no, full)
}

impl File {
    /// Fills every setting the command line left unset from the file.
    pub fn fill(self, e: &mut EngineArgs, h: &mut HttpArgs, k: &mut KvArgs, c: &mut ChatArgs) {
        if e.listen.is_empty() {
            e.listen = self.listen.unwrap_or_default();
        }
        if e.tls_listen.is_empty() {
            e.tls_listen = self.tls_listen.unwrap_or_default();
        }
        if e.tls_cert.is_empty() {
            e.tls_cert = self.tls_cert.map(|p| p.into_inner().into_vec()).unwrap_or_default();
        }
        if e.tls_key.is_empty() {
            e.tls_key = self.tls_key.map(|p| p.into_inner().into_vec()).unwrap_or_default();
        }
        fill(&mut e.tls_client_ca, self.tls_client_ca.map(Spanned::into_inner));
        fill(&mut e.tls_auth_clients, self.tls_auth_clients);
        if e.proxy_listen.is_empty() {
            e.proxy_listen = self.proxy_listen.unwrap_or_default();
        }
        if e.tls_proxy_listen.is_empty() {
            e.tls_proxy_listen = self.tls_proxy_listen.unwrap_or_default();
        }
        if e.proxy_from.is_empty() {
            e.proxy_from = self.proxy_from.unwrap_or_default();
        }
        fill(&mut e.workers, self.workers);
        fill(&mut e.io_threads, self.io_threads);
        fill(&mut e.poller, self.poller);
        fill(&mut e.respond, self.respond);
        fill(&mut e.max_connections, self.max_connections);
        fill(&mut e.idle_timeout, self.idle_timeout);
        fill(&mut e.request_timeout, self.request_timeout);
        fill(&mut e.write_timeout, self.write_timeout);
        fill(&mut e.shutdown_timeout, self.shutdown_timeout);
        fill(&mut e.max_input, self.max_input.map(to_usize));
        fill(&mut e.max_output, self.max_output.map(to_usize));
        fill(&mut e.output_hard_limit, self.output_hard_limit.map(to_usize));
        fill(&mut e.output_soft_limit, self.output_soft_limit.map(to_usize));
        fill(&mut e.output_soft_time, self.output_soft_time);
        fill(&mut e.output_total_limit, self.output_total_limit.map(to_usize));
        fill(&mut e.queue_capacity, self.queue_capacity);
        fill(&mut e.log_level, self.log_level);
        fill(&mut e.log_format, self.log_format);
        fill(&mut e.admin, self.admin);
        fill(&mut h.root, self.http.root.map(Spanned::into_inner));
        // A flag can only switch the listing on, so the file decides when it is absent.
        h.autoindex |= self.http.autoindex.unwrap_or(false);
        // And one can only switch precompressed files off.
        h.no_precompressed |= !self.http.precompressed.unwrap_or(true);
        fill(&mut k.databases, self.kv.databases);
        fill(&mut k.maxmemory, self.kv.maxmemory);
        fill(&mut k.appendonly, self.kv.appendonly.map(Spanned::into_inner));
        fill(&mut k.appendfsync, self.kv.appendfsync);
        fill(&mut k.requirepass, self.kv.requirepass);
        fill(&mut k.protected_mode, self.kv.protected_mode);
        fill(&mut k.pubsub_output_limit, self.kv.pubsub_output_limit);
        fill(&mut c.server_name, self.chat.server_name);
        fill(&mut c.motd, self.chat.motd.map(Spanned::into_inner));
        fill(&mut c.ping_interval, self.chat.ping_interval);
        fill(&mut c.flood_rate, self.chat.flood_rate);
        if c.opers.is_empty() {
            c.opers = self.chat.opers;
        }
    }
}

fn fill<T>(flag: &mut Option<T>, file: Option<T>) {
    if flag.is_none() {
        *flag = file;
    }
}

fn to_usize(v: u64) -> usize {
    usize::try_from(v).unwrap_or(usize::MAX)
}

/// `switchyard check-config FILE`: prints the effective configuration and
/// returns 0, or prints why the file is refused and returns 2.
pub fn check(path: &Path) -> anyhow::Result<i32> {
    let file = match load(path) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("switchyard: {e}");
            return Ok(2);
        }
    };
    let (mut e, mut h, mut k, mut c) = Default::default();
    file.fill(&mut e, &mut h, &mut k, &mut c);
    let config = crate::serve::engine_config(crate::cli::ServiceName::Echo, &e);
    if let Err(message) = config.validate() {
        eprintln!("switchyard: {}", Error::Conflict { path: path.to_owned(), message });
        return Ok(2);
    }
    match crate::serve::tls_files(&e).map(|files| files.map(|f| crate::tls::server_config(&f, &[]))) {
        Err(message) | Ok(Some(Err(message))) => {
            eprintln!("switchyard: {}", Error::Conflict { path: path.to_owned(), message });
            return Ok(2);
        }
        Ok(Some(Ok(tls))) => {
            if let Some(warning) = tls.warning {
                eprintln!("switchyard: warning: {warning}");
            }
        }
        Ok(None) => {}
    }
    print!("# the effective configuration of {}\n{}", path.display(), render(&e, &h, &k, &c));
    Ok(0)
}

/// The effective configuration, defaults filled in, as a TOML file that
/// [`load`] accepts back. Settings whose default depends on the service or
/// the moment (the listen port, the served folder) are shown as comments.
pub fn render(e: &EngineArgs, h: &HttpArgs, k: &KvArgs, c: &ChatArgs) -> String {
    use std::fmt::Write as _;

    let config = crate::serve::engine_config(crate::cli::ServiceName::Echo, e);
    let kv = switchyard_kv::Options::default();
    let chat = switchyard_chat::Options::default();
    let mut out = String::new();
    let w = &mut out;
    if e.listen.is_empty() && e.proxy_listen.is_empty() {
        let _ = writeln!(w, "# listen: 127.0.0.1 on the service's port (echo 7007, http 8080, kv 6379, chat 6667)");
    } else if !e.listen.is_empty() {
        let list: Vec<String> = e.listen.iter().map(|a| quote(&a.to_string())).collect();
        let _ = writeln!(w, "listen = [{}]", list.join(", "));
    }
    if !e.tls_listen.is_empty() {
        let list: Vec<String> = e.tls_listen.iter().map(|a| quote(&a.to_string())).collect();
        let _ = writeln!(w, "tls_listen = [{}]", list.join(", "));
    }
    for (key, paths) in [("tls_cert", &e.tls_cert), ("tls_key", &e.tls_key)] {
        let list: Vec<String> = paths.iter().map(|p| quote(&p.display().to_string())).collect();
        match list.len() {
            0 => writeln!(w, "# {key}: none"),
            1 => writeln!(w, "{key} = {}", list[0]),
            _ => writeln!(w, "{key} = [{}]", list.join(", ")),
        }
        .ok();
    }
    match &e.tls_client_ca {
        Some(p) => writeln!(w, "tls_client_ca = {}", quote(&p.display().to_string())),
        None => writeln!(w, "# tls_client_ca: none"),
    }
    .ok();
    if e.tls_client_ca.is_some() {
        let auth = match e.tls_auth_clients.unwrap_or_default() {
            crate::tls::AuthClients::Yes => "yes",
            crate::tls::AuthClients::Optional => "optional",
        };
        let _ = writeln!(w, "tls_auth_clients = {}", quote(auth));
    }
    if e.proxy_listen.is_empty() {
        let _ = writeln!(w, "# proxy_listen: none");
    } else {
        let list: Vec<String> = e.proxy_listen.iter().map(|a| quote(&a.to_string())).collect();
        let _ = writeln!(w, "proxy_listen = [{}]", list.join(", "));
    }
    if e.tls_proxy_listen.is_empty() {
        let _ = writeln!(w, "# tls_proxy_listen: none");
    } else {
        let list: Vec<String> = e.tls_proxy_listen.iter().map(|a| quote(&a.to_string())).collect();
        let _ = writeln!(w, "tls_proxy_listen = [{}]", list.join(", "));
    }
    if e.proxy_from.is_empty() {
        let _ = writeln!(w, "# proxy_from: any address");
    } else {
        let list: Vec<String> = e.proxy_from.iter().map(|a| quote(&a.to_string())).collect();
        let _ = writeln!(w, "proxy_from = [{}]", list.join(", "));
    }
    let _ = writeln!(w, "workers = {}", config.workers);
    let _ = writeln!(w, "io_threads = {}", config.io_threads);
    let _ = writeln!(w, "poller = {}", quote(&config.poller.to_string()));
    let _ = writeln!(w, "respond = {}", quote(&config.respond.to_string()));
    let _ = writeln!(w, "max_connections = {}", config.max_connections);
    let _ = writeln!(w, "idle_timeout = {}", quote(&show_duration(config.idle_timeout.unwrap_or_default())));
    let _ = writeln!(w, "request_timeout = {}", quote(&show_duration(config.request_timeout.unwrap_or_default())));
    let _ = writeln!(w, "write_timeout = {}", quote(&show_duration(config.write_timeout)));
    let _ = writeln!(w, "shutdown_timeout = {}", quote(&show_duration(config.shutdown_timeout)));
    let _ = writeln!(w, "max_input = {}", quote(&show_size(config.max_input_bytes as u64)));
    let _ = writeln!(w, "max_output = {}", quote(&show_size(config.max_output_bytes as u64)));
    let o = &config.output_limits;
    let _ = writeln!(w, "output_hard_limit = {}", quote(&show_size(o.hard_bytes as u64)));
    let _ = writeln!(w, "output_soft_limit = {}", quote(&show_size(o.soft_bytes as u64)));
    let _ = writeln!(w, "output_soft_time = {}", quote(&show_duration(o.soft_time)));
    let _ = writeln!(w, "output_total_limit = {}", quote(&show_size(o.total_bytes as u64)));
    let _ = writeln!(w, "queue_capacity = {}", config.queue_capacity);
    let _ = writeln!(w, "log_level = {}", quote(e.log_level.as_deref().unwrap_or("info")));
    let format = match e.log_format.unwrap_or_default() {
        logging::Format::Text => "text",
        logging::Format::Json => "json",
    };
    let _ = writeln!(w, "log_format = {}", quote(format));
    match e.admin {
        Some(a) => writeln!(w, "admin = {}", quote(&a.to_string())),
        None => writeln!(w, "# admin: off"),
    }
    .ok();

    let _ = writeln!(w, "\n[http]");
    match &h.root {
        Some(p) => writeln!(w, "root = {}", quote(&p.display().to_string())),
        None => writeln!(w, "# root: the folder switchyard starts in"),
    }
    .ok();
    let _ = writeln!(w, "autoindex = {}", h.autoindex);
    let _ = writeln!(w, "precompressed = {}", !h.no_precompressed);

    let _ = writeln!(w, "\n[kv]");
    let _ = writeln!(w, "databases = {}", k.databases.unwrap_or(kv.databases));
    let _ = writeln!(w, "maxmemory = {}", quote(&show_size(k.maxmemory.unwrap_or(kv.maxmemory))));
    match &k.appendonly {
        Some(p) => writeln!(w, "appendonly = {}", quote(&p.display().to_string())),
        None => writeln!(w, "# appendonly: off"),
    }
    .ok();
    let _ = writeln!(w, "appendfsync = {}", quote(k.appendfsync.unwrap_or(kv.appendfsync).as_str()));
    // The password itself is never printed.
    match &k.requirepass {
        Some(_) => writeln!(w, "# requirepass: set (not shown)"),
        None => writeln!(w, "# requirepass: none"),
    }
    .ok();
    let _ = writeln!(w, "protected_mode = {}", k.protected_mode.unwrap_or(kv.protected_mode));
    let pubsub = k.pubsub_output_limit.unwrap_or(kv.pubsub_output_limit);
    let _ = writeln!(w, "pubsub_output_limit = {}", quote(&pubsub.to_string()));

    let _ = writeln!(w, "\n[chat]");
    let _ = writeln!(w, "server_name = {}", quote(c.server_name.as_deref().unwrap_or(&chat.server_name)));
    match &c.motd {
        Some(p) => writeln!(w, "motd = {}", quote(&p.display().to_string())),
        None => writeln!(w, "# motd: none"),
    }
    .ok();
    let _ = writeln!(w, "ping_interval = {}", quote(&show_duration(c.ping_interval.unwrap_or(chat.ping_interval))));
    let _ = writeln!(w, "flood_rate = {}", c.flood_rate.unwrap_or(chat.flood_lines_per_sec));
    out
}

/// A TOML basic string.
fn quote(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// `300s`, or `1500ms` when whole seconds would not be exact.
pub fn show_duration(d: Duration) -> String {
    if d.subsec_nanos() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}

/// `1MiB`, `64KiB`, `1000`: the largest exact binary unit.
pub fn show_size(n: u64) -> String {
    for (shift, unit) in [(30, "GiB"), (20, "MiB"), (10, "KiB")] {
        if n != 0 && n % (1 << shift) == 0 {
            return format!("{}{unit}", n >> shift);
        }
    }
    n.to_string()
}

fn addresses<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<SocketAddr>>, D::Error> {
    let list = Vec::<String>::deserialize(d)?;
    if list.is_empty() {
        return Err(de::Error::custom("must name at least one address, like \"127.0.0.1:8080\""));
    }
    list.iter()
        .map(|s| s.parse().map_err(|_| de::Error::custom(format!("`{s}` is not an address like \"127.0.0.1:8080\""))))
        .collect::<Result<_, _>>()
        .map(Some)
}

fn blocks<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<switchyard_engine::Cidr>>, D::Error> {
    let list = Vec::<String>::deserialize(d)?;
    if list.is_empty() {
        return Err(de::Error::custom("must name at least one address or block, like \"10.0.0.0/8\""));
    }
    list.iter()
        .map(|s| s.parse().map_err(|e| de::Error::custom(format!("`{s}`: {e}"))))
        .collect::<Result<_, _>>()
        .map(Some)
}

fn count<'de, D: Deserializer<'de>, const MIN: usize, const MAX: usize>(d: D) -> Result<Option<usize>, D::Error> {
    let v = d.deserialize_i64(CountVisitor)?;
    match usize::try_from(v) {
        Ok(n) if (MIN..=MAX).contains(&n) => Ok(Some(n)),
        _ if MAX == usize::MAX => Err(de::Error::custom(format!("must be at least {MIN}, not {v}"))),
        _ => Err(de::Error::custom(format!("must be {MIN} to {MAX}, not {v}"))),
    }
}

struct CountVisitor;

impl Visitor<'_> for CountVisitor {
    type Value = i64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a whole number")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<i64, E> {
        Ok(v)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<i64, E> {
        i64::try_from(v).map_err(|_| E::custom(format!("{v} is too large")))
    }
}

fn parsed<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr,
    T::Err: fmt::Display,
{
    let s = String::deserialize(d)?;
    s.parse().map(Some).map_err(de::Error::custom)
}

fn log_level<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let s = String::deserialize(d)?;
    tracing_subscriber::EnvFilter::try_new(&s)
        .map_err(|e| de::Error::custom(format!("`{s}` is not a log level or filter: {e}")))?;
    Ok(Some(s))
}

fn duration<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    d.deserialize_any(DurationVisitor).map(Some)
}

fn positive_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    match d.deserialize_any(DurationVisitor)? {
        z if z.is_zero() => Err(de::Error::custom("must be more than 0")),
        v => Ok(Some(v)),
    }
}

struct DurationVisitor;

impl Visitor<'_> for DurationVisitor {
    type Value = Duration;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a duration like \"30s\" or \"500ms\"")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Duration, E> {
        u64::try_from(v).map(Duration::from_secs).map_err(|_| E::custom(format!("a duration cannot be negative ({v})")))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Duration, E> {
        Ok(Duration::from_secs(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Duration, E> {
        if v.trim_start().starts_with('-') {
            return Err(E::custom(format!("a duration cannot be negative (`{v}`)")));
        }
        parse_duration(v).map_err(E::custom)
    }
}

fn size<'de, D: Deserializer<'de>, const MIN: u64>(d: D) -> Result<Option<u64>, D::Error> {
    let n = d.deserialize_any(SizeVisitor)?;
    if n < MIN {
        return Err(de::Error::custom(format!("must be at least {MIN} bytes, not {n}")));
    }
    Ok(Some(n))
}

struct SizeVisitor;

impl Visitor<'_> for SizeVisitor {
    type Value = u64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a size like \"64KiB\" or \"1MiB\"")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<u64, E> {
        u64::try_from(v).map_err(|_| E::custom(format!("a size cannot be negative ({v})")))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<u64, E> {
        Ok(v)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<u64, E> {
        if v.trim_start().starts_with('-') {
            return Err(E::custom(format!("a size cannot be negative (`{v}`)")));
        }
        parse_size(v).map_err(E::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(text: &str) -> (usize, String, String) {
        parse(text).expect_err("the text should be refused")
    }

    #[test]
    fn an_empty_file_sets_nothing() {
        let f = parse("").unwrap();
        assert!(f.workers.is_none() && f.listen.is_none() && f.kv.databases.is_none());
    }

    #[test]
    fn every_key_reads_its_value() {
        let f = parse(
            "listen = [\"127.0.0.1:1\"]\nworkers = 3\nio_threads = 2\npoller = \"poll\"\nrespond = \"direct\"\n\
             max_connections = 5\nidle_timeout = \"2m\"\nrequest_timeout = 7\nwrite_timeout = \"500ms\"\n\
             shutdown_timeout = \"1s\"\nmax_input = \"64KiB\"\nmax_output = 1048576\nqueue_capacity = 9\n\
             log_level = \"debug\"\nlog_format = \"json\"\nadmin = \"127.0.0.1:2\"\n\
             [http]\nroot = \"/srv\"\nautoindex = true\n[kv]\ndatabases = 4\nmaxmemory = \"1GiB\"\n\
             appendonly = \"a.aof\"\nappendfsync = \"always\"\npubsub_output_limit = \"64mb 1k 30\"\n[chat]\nserver_name = \"irc\"\nmotd = \"m\"\n\
             ping_interval = \"30s\"\nflood_rate = 0\n",
        )
        .unwrap();
        assert_eq!(f.workers, Some(3));
        assert_eq!(f.poller, Some(switchyard_engine::poller::Kind::Poll));
        assert_eq!(f.idle_timeout, Some(Duration::from_secs(120)));
        assert_eq!(f.request_timeout, Some(Duration::from_secs(7)));
        assert_eq!(f.write_timeout, Some(Duration::from_millis(500)));
        assert_eq!(f.max_input, Some(64 << 10));
        assert_eq!(f.kv.maxmemory, Some(1 << 30));
        assert_eq!(f.kv.appendfsync, Some(switchyard_kv::Fsync::Always));
        let pubsub = switchyard_kv::BufferLimit { hard_bytes: 64 << 20, soft_bytes: 1000, soft_seconds: 30 };
        assert_eq!(f.kv.pubsub_output_limit, Some(pubsub));
        assert_eq!(f.chat.flood_rate, Some(0));
    }

    #[test]
    fn proxy_listeners_and_their_sources_read_as_addresses_and_blocks() {
        let f = parse("proxy_listen = [\"127.0.0.1:8081\"]\nproxy_from = [\"10.0.0.0/8\", \"::1\"]\n").unwrap();
        assert_eq!(f.proxy_listen, Some(vec!["127.0.0.1:8081".parse().unwrap()]));
        let from: Vec<String> = f.proxy_from.unwrap().iter().map(ToString::to_string).collect();
        assert_eq!(from, ["10.0.0.0/8", "::1/128"]);
        let (line, key, msg) = error("workers = 1\nproxy_from = [\"10.0.0.0/33\"]\n");
        assert_eq!((line, key.as_str()), (2, "proxy_from"));
        assert!(msg.contains("0 to 32"), "{msg}");
        let (_, key, _) = error("proxy_from = []\n");
        assert_eq!(key, "proxy_from");
    }

    #[test]
    fn errors_name_the_line_and_the_key() {
        let (line, key, msg) = error("workers = 2\n\nio_threads = 0\n");
        assert_eq!((line, key.as_str()), (3, "io_threads"));
        assert!(msg.contains("1 to 64"), "{msg}");
        let (line, key, msg) = error("workers = 2\n[kv]\ndatabase = 3\n");
        assert_eq!((line, key.as_str()), (3, "kv.database"));
        assert!(msg.contains("unknown field"), "{msg}");
        let (line, key, _) = error("[kv]\nlisten = [\n  \"127.0.0.1:1\",\n  nowhere,\n]\n");
        assert_eq!((line, key.as_str()), (4, "kv.listen"));
        let (line, key, _) = error("[chat]\nserver_name = \"a\"\nping_interval = \"-5s\"\n");
        assert_eq!((line, key.as_str()), (3, "chat.ping_interval"));
        let (line, key, _) = error("[chat]\nping_interval = \"0s\"\n");
        assert_eq!((line, key.as_str()), (2, "chat.ping_interval"));
        let (line, key, msg) = error("max_connections = \"many\"\n");
        assert_eq!((line, key.as_str()), (1, "max_connections"));
        assert!(msg.contains("invalid type"), "{msg}");
    }

    #[test]
    fn sizes_and_durations_show_in_their_largest_exact_unit() {
        assert_eq!(show_size(1 << 20), "1MiB");
        assert_eq!(show_size(1000), "1000");
        assert_eq!(show_size(0), "0");
        assert_eq!(show_duration(Duration::from_secs(300)), "300s");
        assert_eq!(show_duration(Duration::from_millis(1500)), "1500ms");
        assert_eq!(show_duration(Duration::ZERO), "0s");
    }

    #[test]
    fn chat_opers_hold_password_hashes_and_clear_text_is_refused() {
        let hash = "$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1";
        let f = parse(&format!("[chat]\nserver_name = \"a\"\n[chat.opers]\nroot = \"{hash}\"\n")).unwrap();
        assert_eq!(f.chat.opers.len(), 1);
        assert_eq!(f.chat.opers[0].name, "root");
        assert!(f.chat.opers[0].hash.verify("secret"));
        let (line, key, msg) = error("[chat.opers]\nroot = \"secret\"\n");
        assert_eq!((line, key.as_str()), (2, "chat.opers.root"));
        assert!(msg.contains("openssl passwd -6"), "{msg}");
    }
}
