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
    if let Some(v) = args.queue_capacity {
        c.queue_capacity = v;
    }
    c
}

/// Runs `serve`; returns the exit status.
pub fn run(mut args: ServeArgs) -> anyhow::Result<i32> {
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
    let config = engine_config(args.service, e);
    if let Err(msg) = config.validate() {
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
    let name = format!("{:?}", args.service).to_lowercase();
    match args.service {
        ServiceName::Echo => serve(&name, config, admin, crate::echo::Echo),
        ServiceName::Http => {
            let root = match &args.http.root {
                Some(r) => r.clone(),
                None => std::env::current_dir()?,
            };
            let options = switchyard_http::Options { root, autoindex: args.http.autoindex };
            let http = switchyard_http::Http::new(options.clone())
                .with_context(|| format!("serving {}", options.root.display()))?;
            serve(&name, config, admin, http)
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
            serve(&name, config, admin, switchyard_kv::Kv::new(options).context("opening the store")?)
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
            serve(&name, config, admin, switchyard_chat::Chat::new(options))
        }
    }
}

fn serve<S: Service>(name: &str, config: Config, admin: Option<SocketAddr>, service: S) -> anyhow::Result<i32> {
    let server = Server::bind(config, service).context("starting the server")?;
    server.install_signal_handlers().context("installing signal handlers")?;
    {
        let mut stdout = std::io::stdout().lock();
        for addr in server.local_addrs() {
            writeln!(stdout, "listening {name} {addr}")?;
            tracing::info!(service = name, %addr, "listening");
        }
        stdout.flush()?;
    }
    let admin = admin.map(|addr| crate::admin::start(addr, &server)).transpose()?;
    let summary = server.run();
    if let Some(admin) = admin {
        admin.stop();
    }
    let summary = summary?;
    Ok(if summary.forced > 0 { 1 } else { 0 })
}
