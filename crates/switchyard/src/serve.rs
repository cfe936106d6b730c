//! `switchyard serve`: build the configuration (flags over the file over
//! the defaults), start the service and its admin listener, wait for the
//! signal, report.

use std::io::Write;
use std::net::SocketAddr;

use anyhow::Context;
use switchyard_engine::{Config, Listener, Server, Service};

use crate::cli::{EngineArgs, ServeArgs, ServiceName};

/// Each service's conventional port on 127.0.0.1, used when no `--listen` is given.
fn default_port(service: ServiceName) -> u16 {
    match service {
        ServiceName::Echo => 7007,
        ServiceName::Http => 8080,
        ServiceName::Kv => 6379,
        ServiceName::Chat => 6667,
    }
}

/// The engine settings from the flags (already filled in from the file).
pub(crate) fn engine_config(service: ServiceName, args: &EngineArgs) -> Config {
    // The service's port only when no address at all is given: a server
    // behind a load balancer listens where it is told and nowhere else.
    let listen = if args.listen.is_empty()
        && args.proxy_listen.is_empty()
        && args.tls_listen.is_empty()
        && args.tls_proxy_listen.is_empty()
    {
        vec![SocketAddr::from(([127, 0, 0, 1], default_port(service)))]
    } else {
        args.listen.clone()
    };
    let mut c = Config {
        listen,
        proxy_listen: args.proxy_listen.clone(),
        proxy_from: args.proxy_from.clone(),
        tls_listen: args.tls_listen.clone(),
        tls_proxy_listen: args.tls_proxy_listen.clone(),
        ..Config::default()
    };
    if let Some(v) = args.workers {
        c.workers = v;
    }
    if let Some(v) = args.io_threads {
        c.io_threads = v;
    }
    if let Some(v) = args.poller {
        c.poller = v;
    }
    if let Some(v) = args.respond {
        c.respond = v;
    }
    if let Some(v) = args.max_connections {
        c.max_connections = v;
    }
    if let Some(v) = args.idle_timeout {
        c.idle_timeout = (!v.is_zero()).then_some(v);
    }
    if let Some(v) = args.request_timeout {
        c.request_timeout = (!v.is_zero()).then_some(v);
    }
    if let Some(v) = args.write_timeout {
        c.write_timeout = v;
    }
    if let Some(v) = args.shutdown_timeout {
        c.shutdown_timeout = v;
    }
    if let Some(v) = args.max_input {
        c.max_input_bytes = v;
    }
    if let Some(v) = args.max_output {
        c.max_output_bytes = v;
        c.output_high_water_bytes = c.output_high_water_bytes.min(v);
        c.output_low_water_bytes = c.output_low_water_bytes.min(v / 4);
    }
    let o = &mut c.output_limits;
    if let Some(v) = args.output_hard_limit {
        o.hard_bytes = v;
    }
    if let Some(v) = args.output_soft_limit {
        o.soft_bytes = v;
    }
    if let Some(v) = args.output_soft_time {
        o.soft_time = v;
    }
    if let Some(v) = args.output_total_limit {
        o.total_bytes = v;
    }
    if let Some(v) = args.queue_capacity {
        c.queue_capacity = v;
    }
    c
}

/// The TLS files the settings name: `None` without TLS listeners.
///
/// # Errors
///
/// TLS listeners without a certificate or key, or a client CA without
/// TLS listeners.
pub(crate) fn tls_files(args: &EngineArgs) -> Result<Option<crate::tls::Files>, String> {
    if args.tls_listen.is_empty() && args.tls_proxy_listen.is_empty() && args.tls_cert.is_empty() {
        // (Sockets handed over may still be named `tls`: see `run`.)
        if args.tls_client_ca.is_some() {
            return Err("tls_client_ca is set but there is no TLS listener (tls_listen)".into());
        }
        return Ok(None);
    }
    if args.tls_cert.is_empty() || args.tls_key.is_empty() {
        return Err("TLS listeners (tls_listen) need a certificate and its key (tls_cert, tls_key)".into());
    }
    if args.tls_cert.len() != args.tls_key.len() {
        return Err(format!(
            "{} TLS certificates (tls_cert) but {} keys (tls_key): give one key per certificate, in the same order",
            args.tls_cert.len(),
            args.tls_key.len()
        ));
    }
    let pairs = args.tls_cert.iter().zip(&args.tls_key);
    Ok(Some(crate::tls::Files {
        pairs: pairs.map(|(cert, key)| crate::tls::Pair { cert: cert.clone(), key: key.clone() }).collect(),
        client_ca: args.tls_client_ca.clone(),
        auth_clients: args.tls_auth_clients.unwrap_or_default(),
    }))
}

/// The protocols a service names in TLS's ALPN.
fn alpn(service: ServiceName) -> &'static [&'static [u8]] {
    match service {
        ServiceName::Http => &[b"http/1.1"],
        ServiceName::Echo | ServiceName::Kv | ServiceName::Chat => &[],
    }
}

/// Runs `serve`; returns the exit status.
pub fn run(mut args: ServeArgs) -> anyhow::Result<i32> {
    // Only the signal thread takes SIGUSR2 and SIGHUP; every thread started
    // from here on inherits the blocked mask, the services' own too (kv's
    // start in `Kv::new`: blocked only later, a SIGHUP could land on one
    // of them and end the process).
    crate::upgrade::block_signals();
    // Before the file fills in the rest: only the flags' paths are here.
    if let Err(message) = check_path_flags(&args) {
        eprintln!("switchyard: {message}");
        return Ok(2);
    }
    let flags = args.clone();
    if let Some(path) = args.engine.config.clone() {
        match crate::config::load(&path) {
            Ok(file) => file.fill(&mut args.engine, &mut args.http, &mut args.kv, &mut args.chat),
            Err(e) => {
                eprintln!("switchyard: {e}");
                return Ok(2);
            }
        }
    }
    let e = &args.engine;
    if let Err(err) = crate::logging::init(e.log_level.as_deref().unwrap_or("info"), e.log_format.unwrap_or_default()) {
        // A bad --log-level (or RUST_LOG) is a usage error like any flag.
        eprintln!("switchyard: {err}");
        return Ok(2);
    }
    let inherited = match crate::activation::listeners() {
        Ok(l) => l,
        Err(msg) => {
            eprintln!("switchyard: {msg}");
            return Ok(2);
        }
    };
    let mut config = engine_config(args.service, e);
    // The admin listener's socket, when one was handed over: by a live
    // upgrade, or by systemd as a socket named `admin`.
    let (admin_socket, inherited): (Vec<_>, Vec<_>) =
        inherited.into_iter().partition(|(name, _)| name == crate::activation::ADMIN_NAME);
    let admin_socket = admin_socket.into_iter().next().map(|(_, l)| l);
    let inherited: Vec<Listener> = inherited
        .into_iter()
        .map(|(name, socket)| {
            let l = crate::activation::settings(&name, socket, &config);
            let addr = l.socket.local_addr().ok();
            tracing::info!(socket = %name, ?addr, proxy_protocol = l.proxy_protocol, tls = l.tls, "socket-activated");
            l
        })
        .collect();
    if !inherited.is_empty() {
        // Socket activation: the given sockets instead of binding.
        if !e.listen.is_empty() || !e.proxy_listen.is_empty() {
            tracing::info!("socket-activated: serving on the sockets given, not on the listen addresses");
        }
        config.listen.clear();
        config.proxy_listen.clear();
        config.tls_listen.clear();
        config.tls_proxy_listen.clear();
    }
    let valid = if inherited.is_empty() { config.validate() } else { config.validate_settings() };
    if let Err(msg) = valid {
        match &e.config {
            Some(path) => eprintln!("switchyard: {}: {msg}", path.display()),
            None => eprintln!("switchyard: {msg}"),
        }
        return Ok(2);
    }
    if let Some(path) = &e.config {
        tracing::info!(file = %path.display(), "configuration loaded");
    }
    let tls = match tls_files(e)
        .and_then(|f| f.map(|f| crate::tls::server_config(&f, alpn(args.service)).map(|t| (f, t))).transpose())
    {
        Ok(tls) => tls,
        Err(msg) => {
            eprintln!("switchyard: {msg}");
            return Ok(2);
        }
    };
    if let Some((_, tls)) = &tls {
        if let Some(warning) = &tls.warning {
            tracing::warn!("{warning}");
        }
        config.tls = Some(tls.config.clone());
    }
    let admin = match (&admin_socket, e.admin) {
        (Some(l), _) => {
            Some(Admin { addr: l.local_addr().context("reading the admin socket's address")?, socket: admin_socket })
        }
        (None, Some(addr)) => Some(Admin { addr, socket: None }),
        (None, None) => None,
    };
    let name = args.service;
    let tls = tls.map(|(files, tls)| (files, tls.certificates));
    let reload = crate::reload::Reload::new(name, flags, args.clone(), config.clone(), tls);
    match args.service {
        ServiceName::Echo => serve(name, config, inherited, admin, reload, crate::echo::Echo, |_, _| {}),
        ServiceName::Http => {
            let root = match &args.http.root {
                Some(r) => r.clone(),
                None => std::env::current_dir()?,
            };
            let options = switchyard_http::Options {
                root,
                autoindex: args.http.autoindex,
                precompressed: !args.http.no_precompressed,
            };
            let http = switchyard_http::Http::new(options.clone())
                .with_context(|| format!("serving {}", options.root.display()))?;
            serve(name, config, inherited, admin, reload, http, |_, _| {})
        }
        ServiceName::Kv => {
            let mut options = switchyard_kv::Options::default();
            if let Some(n) = args.kv.databases {
                options.databases = n;
            }
            if let Some(m) = args.kv.maxmemory {
                options.maxmemory = m;
            }
            options.appendonly = args.kv.appendonly.clone();
            if let Some(f) = args.kv.appendfsync {
                options.appendfsync = f;
            }
            options.requirepass = args.kv.requirepass.clone().map(|p| switchyard_kv::Password(p.into_bytes()));
            if let Some(on) = args.kv.protected_mode {
                options.protected_mode = on;
            }
            if let Some(limit) = args.kv.pubsub_output_limit {
                options.pubsub_output_limit = limit;
            }
            let kv = switchyard_kv::Kv::new(options).context("opening the store")?;
            serve(name, config, inherited, admin, reload, kv, |_, _| {})
        }
        ServiceName::Chat => {
            let motd = match &args.chat.motd {
                Some(path) => Some(
                    std::fs::read_to_string(path).with_context(|| format!("reading the MOTD {}", path.display()))?,
                ),
                None => None,
            };
            let opers = std::mem::take(&mut args.chat.opers);
            let mut options = switchyard_chat::Options { motd, opers, ..Default::default() };
            if let Some(n) = &args.chat.server_name {
                options.server_name = n.clone();
            }
            if let Some(d) = args.chat.ping_interval {
                options.ping_interval = d;
                options.ping_timeout = d / 2;
            }
            if let Some(r) = args.chat.flood_rate {
                options.flood_lines_per_sec = r;
                options.flood_burst_lines = r.saturating_mul(10);
            }
            let current = options.motd.clone();
            let chat = switchyard_chat::Chat::new(options);
            serve(name, config, inherited, admin, reload, chat, move |chat, reload| {
                let chat = chat.clone();
                reload.on_motd(Box::new(move |motd| chat.set_motd(motd)), current);
            })
        }
    }
}

/// The paths given on the command line, checked as the file's are (a
/// usage error, exit status 2, like any bad flag).
fn check_path_flags(args: &ServeArgs) -> Result<(), String> {
    use crate::preflight::{self, Check};
    let flags: [(&str, Option<&std::path::Path>, Check); 3] = [
        ("--root", args.http.root.as_deref(), preflight::root),
        ("--appendonly", args.kv.appendonly.as_deref(), preflight::appendonly),
        ("--motd", args.chat.motd.as_deref(), preflight::motd),
    ];
    for (flag, path, check) in flags {
        if let Some(path) = path {
            check(path).map_err(|message| format!("{flag}: {message}"))?;
        }
    }
    Ok(())
}

/// The counter that splits a service's requests into kinds, for the status
/// page's requests chart.
fn kinds(service: ServiceName) -> Option<crate::admin::Kinds> {
    use crate::admin::Kinds;
    match service {
        ServiceName::Echo => None,
        ServiceName::Http => Some(Kinds { family: "switchyard_http_responses_by_class_total", label: "class" }),
        ServiceName::Kv => Some(Kinds { family: "switchyard_kv_command_calls_total", label: "command" }),
        ServiceName::Chat => Some(Kinds { family: "switchyard_chat_messages_total", label: "command" }),
    }
}

/// Where the admin listener serves: its address, and its socket if one
/// was handed over.
struct Admin {
    addr: SocketAddr,
    socket: Option<std::net::TcpListener>,
}

fn serve<S: Service>(
    service_name: ServiceName,
    config: Config,
    inherited: Vec<Listener>,
    admin: Option<Admin>,
    mut reload: crate::reload::Reload,
    service: S,
    attach: impl FnOnce(&std::sync::Arc<S>, &mut crate::reload::Reload),
) -> anyhow::Result<i32> {
    let name = format!("{service_name:?}").to_lowercase();
    let name = name.as_str();
    let server = Server::bind_with(config, service, inherited).context("starting the server")?;
    server.install_signal_handlers().context("installing signal handlers")?;
    attach(&server.service(), &mut reload);
    {
        let mut stdout = std::io::stdout().lock();
        for (addr, &tls) in server.local_addrs().iter().zip(server.serves_tls()) {
            let kind = if tls { "-tls" } else { "" };
            writeln!(stdout, "listening {name}{kind} {addr}")?;
            tracing::info!(service = name, %addr, tls, "listening");
        }
        stdout.flush()?;
    }
    let admin = admin.map(|a| crate::admin::start(a.addr, a.socket, &server, kinds(service_name))).transpose()?;
    // Ready once the admin listener answers too: the process this one
    // replaces stops its own as soon as it hears it.
    crate::upgrade::watch(server.control(), admin.as_ref().map(crate::admin::Running::control), reload)
        .context("starting the signal thread")?;
    crate::upgrade::report_ready();
    let summary = server.run();
    if let Some(admin) = admin {
        admin.stop();
    }
    let summary = summary?;
    Ok(if summary.forced > 0 { 1 } else { 0 })
}
