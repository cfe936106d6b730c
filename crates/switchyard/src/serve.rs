//! `switchyard serve`: build the configuration (flags over the file over
//! the defaults), start the service and its admin listener, wait for the
//! signal, report.

use std::io::Write;
use std::net::SocketAddr;

use anyhow::Context;
use switchyard_engine::{Config, Server, Service};

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
    let listen = if args.listen.is_empty() {
        vec![SocketAddr::from(([127, 0, 0, 1], default_port(service)))]
    } else {
        args.listen.clone()
    };
    let mut c = Config { listen, ..Config::default() };
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

/// Runs `serve`; returns the exit status.
pub fn run(mut args: ServeArgs) -> anyhow::Result<i32> {
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
    if !inherited.is_empty() {
        // Socket activation: the given sockets instead of binding.
        if !e.listen.is_empty() {
            tracing::info!("socket-activated: serving on the sockets given, not on the listen addresses");
        }
        config.listen.clear();
        for (name, l) in &inherited {
            tracing::info!(socket = %name, addr = ?l.local_addr().ok(), "socket-activated");
        }
    }
    let inherited: Vec<_> = inherited.into_iter().map(|(_, l)| l).collect();
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
    let admin = e.admin;
    let name = args.service;
    let reload = crate::reload::Reload::new(name, flags, args.clone(), config.clone());
    match args.service {
        ServiceName::Echo => serve(name, config, inherited, admin, reload, crate::echo::Echo),
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
            serve(name, config, inherited, admin, reload, http)
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
            serve(name, config, inherited, admin, reload, switchyard_kv::Kv::new(options).context("opening the store")?)
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
            serve(name, config, inherited, admin, reload, switchyard_chat::Chat::new(options))
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

fn serve<S: Service>(
    service_name: ServiceName,
    config: Config,
    inherited: Vec<std::net::TcpListener>,
    admin: Option<SocketAddr>,
    reload: crate::reload::Reload,
    service: S,
) -> anyhow::Result<i32> {
    let name = format!("{service_name:?}").to_lowercase();
    let name = name.as_str();
    // Only the upgrade thread takes SIGUSR2; the server's threads inherit
    // the blocked mask from here.
    crate::upgrade::block_signals();
    let server = Server::bind_with(config, service, inherited).context("starting the server")?;
    server.install_signal_handlers().context("installing signal handlers")?;
    crate::upgrade::watch(server.control(), reload).context("starting the signal thread")?;
    {
        let mut stdout = std::io::stdout().lock();
        for addr in server.local_addrs() {
            writeln!(stdout, "listening {name} {addr}")?;
            tracing::info!(service = name, %addr, "listening");
        }
        stdout.flush()?;
    }
    crate::upgrade::report_ready();
    let admin = admin.map(|addr| crate::admin::start(addr, &server, kinds(service_name))).transpose()?;
    let summary = server.run();
    if let Some(admin) = admin {
        admin.stop();
    }
    let summary = summary?;
    Ok(if summary.forced > 0 { 1 } else { 0 })
}
