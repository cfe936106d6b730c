//! `SIGHUP`: reads the configuration file again and applies the settings
//! that can change while the server runs (the log level, the output
//! limits, the TLS certificate and key, read again even when their paths
//! did not change); the log says which others changed and need a restart.
//!
//! Flags given at start still win over the file, as at start.

use std::path::PathBuf;
use std::sync::Arc;

use switchyard_engine::{Config, Control};

use crate::cli::{ServeArgs, ServiceName};

/// What a reload compares against.
pub struct Reload {
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
        Reload { service, path: flags.engine.config.clone(), flags, running, engine, tls }
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
        workers,
        io_threads,
        poller,
        respond,
        max_connections,
        max_input_bytes,
        max_output_bytes,
        idle_timeout,
        request_timeout,
        write_timeout,
        shutdown_timeout,
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
    if format!("{:?}", running.http) != format!("{:?}", fresh.http) {
        changed.push("[http]");
    }
    if format!("{:?}", running.kv) != format!("{:?}", fresh.kv) {
        changed.push("[kv]");
    }
    if format!("{:?}", running.chat) != format!("{:?}", fresh.chat) {
        changed.push("[chat]");
    }
    changed
}
