//! `SIGHUP`: reads the configuration file again and applies the settings
//! that can change while the server runs (the log level, the output
//! limits, the timeouts, `max_connections`, chat's MOTD, read again from
//! its file, the TLS certificates and keys, read again even when their
//! paths did not change); the log says which others changed and need a
//! restart.
//!
//! Flags given at start still win over the file, as at start.

use std::path::PathBuf;
use std::sync::Arc;

use switchyard_engine::{Config, Control};

use crate::cli::{ServeArgs, ServiceName};

/// Sets a service's message of the day (chat's [`switchyard_chat::Chat::set_motd`]).
pub type SetMotd = Box<dyn Fn(Option<String>) + Send>;

/// What a reload compares against.
pub struct Reload {
    /// Where a new MOTD goes, and the text in force; for chat only.
    motd: Option<(SetMotd, Option<String>)>,
    service: ServiceName,
    /// The flags as given, before the file filled in the rest.
    flags: ServeArgs,
    path: Option<PathBuf>,
    /// The settings in force.
    running: ServeArgs,
    engine: Config,
    /// The TLS files in use and the store new handshakes take them from.
    tls: Option<(crate::tls::Files, Arc<crate::tls::Certificates>)>,
}

impl Reload {
    pub fn new(
        service: ServiceName,
        flags: ServeArgs,
        running: ServeArgs,
        engine: Config,
        tls: Option<(crate::tls::Files, Arc<crate::tls::Certificates>)>,
    ) -> Reload {
        Reload { motd: None, service, path: flags.engine.config.clone(), flags, running, engine, tls }
    }

    /// Reloads the MOTD through `set`; `current` is the text in force.
    pub fn on_motd(&mut self, set: SetMotd, current: Option<String>) {
        self.motd = Some((set, current));
    }

    /// Reads the certificate and key again (from `files`, or the files in
    /// use) and gives them to new handshakes; a file that does not load
    /// leaves the certificate in use, and the log says why.
    fn reload_tls(&mut self, files: Option<crate::tls::Files>) -> bool {
        let Some((running, certificates)) = &mut self.tls else { return false };
        let files = files.unwrap_or_else(|| running.clone());
        match certificates.reload(&files) {
            Ok(warning) => {
                if let Some(warning) = warning {
                    tracing::warn!("{warning}");
                }
                let certs: Vec<_> = files.pairs.iter().map(|p| p.cert.display().to_string()).collect();
                tracing::info!(certs = ?certs, "TLS certificate reloaded");
                *running = files;
                true
            }
            Err(e) => {
                tracing::error!("reloading the TLS certificate: {e}; the certificate in use stays");
                false
            }
        }
    }

    /// Re-reads the file and applies what can change now.
    pub fn run(&mut self, control: &Control) {
        let Some(path) = self.path.clone() else {
            if !self.reload_tls(None) {
                tracing::warn!("SIGHUP, but the server was started without --config: nothing to reload");
            }
            return;
        };
        let path = &path;
        let file = match crate::config::load(path) {
            Ok(file) => file,
            Err(e) => {
                tracing::error!("reloading the configuration: {e}; the running configuration stays");
                return;
            }
        };
        let mut fresh = self.flags.clone();
        file.fill(&mut fresh.engine, &mut fresh.http, &mut fresh.kv, &mut fresh.chat);
        let engine = crate::serve::engine_config(self.service, &fresh.engine);
        if let Err(msg) = engine.validate_settings() {
            tracing::error!("reloading the configuration: {}: {msg}; the running configuration stays", path.display());
            return;
        }
        let mut applied = Vec::new();
        let files = crate::serve::tls_files(&fresh.engine).ok().flatten();
        if self.reload_tls(files) {
            applied.push("TLS certificate");
        }
        let level = fresh.engine.log_level.clone().unwrap_or_else(|| "info".into());
        if self.running.engine.log_level.as_deref().unwrap_or("info") != level {
            match crate::logging::set_level(&level) {
                Ok(()) => {
                    applied.push("log_level");
                    self.running.engine.log_level = Some(level);
                }
                Err(e) => tracing::warn!("reloading log_level: {e}"),
            }
        }
        if engine.output_limits != self.engine.output_limits {
            control.set_output_limits(engine.output_limits);
            self.engine.output_limits = engine.output_limits;
            applied.push("output limits");
        }
        if engine.timeouts() != self.engine.timeouts() {
            control.set_timeouts(engine.timeouts());
            self.engine.idle_timeout = engine.idle_timeout;
            self.engine.request_timeout = engine.request_timeout;
            self.engine.write_timeout = engine.write_timeout;
            self.engine.shutdown_timeout = engine.shutdown_timeout;
            applied.push("timeouts");
        }
        if engine.max_connections != self.engine.max_connections {
            control.set_max_connections(engine.max_connections);
            self.engine.max_connections = engine.max_connections;
            applied.push("max_connections");
        }
        if let Some((set, current)) = &mut self.motd {
            // Read again even if the path is the same: the usual reload is
            // of an edited MOTD file.
            let text = match &fresh.chat.motd {
                Some(p) => match std::fs::read_to_string(p) {
                    Ok(text) => Some(text),
                    Err(e) => {
                        tracing::warn!("reloading the MOTD {}: {e}; the running MOTD stays", p.display());
                        current.clone()
                    }
                },
                None => None,
            };
            if text != *current {
                set(text.clone());
                *current = text;
                applied.push("chat.motd");
            }
            self.running.chat.motd = fresh.chat.motd.clone();
        }
        let restart = needs_restart(&self.engine, &engine, &self.running, &fresh);
        tracing::info!(file = %path.display(), applied = ?applied, "configuration reloaded");
        if !restart.is_empty() {
            tracing::warn!(settings = ?restart, "changed in the configuration file; they take effect at the next start");
        }
    }
}

/// The settings that differ between what runs and what the file now says,
/// and that only a restart changes.
fn needs_restart(old: &Config, new: &Config, running: &ServeArgs, fresh: &ServeArgs) -> Vec<&'static str> {
    let mut changed = Vec::new();
    macro_rules! compare {
        ($($field:ident),*) => {
            $(if format!("{:?}", old.$field) != format!("{:?}", new.$field) {
                changed.push(stringify!($field));
            })*
        };
    }
    compare!(
        listen,
        tls_listen,
        proxy_listen,
        tls_proxy_listen,
        proxy_from,
        workers,
        io_threads,
        poller,
        respond,
        max_input_bytes,
        max_output_bytes,
        queue_capacity
    );
    if running.engine.tls_client_ca != fresh.engine.tls_client_ca
        || running.engine.tls_auth_clients != fresh.engine.tls_auth_clients
    {
        changed.push("tls_client_ca");
    }
    if running.engine.admin != fresh.engine.admin {
        changed.push("admin");
    }
    if format!("{:?}", running.engine.log_format) != format!("{:?}", fresh.engine.log_format) {
        changed.push("log_format");
    }
    macro_rules! compare_args {
        ($table:literal, $old:expr, $new:expr, $($field:ident),*) => {
            $(if format!("{:?}", $old.$field) != format!("{:?}", $new.$field) {
                changed.push(concat!($table, ".", stringify!($field)));
            })*
        };
    }
    compare_args!("http", running.http, fresh.http, root, autoindex, no_precompressed);
    compare_args!(
        "kv",
        running.kv,
        fresh.kv,
        databases,
        maxmemory,
        appendonly,
        appendfsync,
        requirepass,
        protected_mode
    );
    // chat.motd is reloaded, not compared.
    compare_args!("chat", running.chat, fresh.chat, server_name, ping_interval, flood_rate, opers);
    changed
}
