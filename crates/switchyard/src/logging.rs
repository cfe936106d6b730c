//! Installs the log subscriber: stderr, text or JSON, colour only on a terminal.

use std::io::IsTerminal;
use std::sync::OnceLock;

use tracing_subscriber::EnvFilter;

/// Log line formats.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// Changes the filter of the installed subscriber.
type Reload = Box<dyn Fn(EnvFilter) -> Result<(), String> + Send + Sync>;

/// Set by [`init`].
static RELOAD: OnceLock<Reload> = OnceLock::new();

/// Starts logging at `level` (a `RUST_LOG`-style filter; `RUST_LOG` wins when set).
pub fn init(level: &str, format: Format) -> anyhow::Result<()> {
    let filter = match std::env::var("RUST_LOG") {
        Ok(env) if !env.is_empty() => EnvFilter::try_new(env)?,
        _ => EnvFilter::try_new(level).map_err(|e| anyhow::anyhow!("invalid log level `{level}`: {e}"))?,
    };
    let reload: Reload = match format {
        Format::Text => {
            let builder = tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_writer(std::io::stderr)
                .with_ansi(std::io::stderr().is_terminal())
                .with_filter_reloading();
            let handle = builder.reload_handle();
            builder.init();
            Box::new(move |f| handle.reload(f).map_err(|e| e.to_string()))
        }
        Format::Json => {
            let builder = tracing_subscriber::fmt()
                .json()
                .with_env_filter(filter)
                .with_writer(std::io::stderr)
                .with_ansi(false)
                .with_filter_reloading();
            let handle = builder.reload_handle();
            builder.init();
            Box::new(move |f| handle.reload(f).map_err(|e| e.to_string()))
        }
    };
    let _ = RELOAD.set(reload);
    Ok(())
}

/// Changes the log level of the running process (a configuration reload);
/// `RUST_LOG`, when set, still wins.
///
/// # Errors
///
/// An invalid level, or no subscriber installed by [`init`].
pub fn set_level(level: &str) -> Result<(), String> {
    if std::env::var("RUST_LOG").is_ok_and(|v| !v.is_empty()) {
        return Err("RUST_LOG is set and wins over the file".into());
    }
    let filter = EnvFilter::try_new(level).map_err(|e| format!("invalid log level `{level}`: {e}"))?;
    let reload = RELOAD.get().ok_or("logging is not started")?;
    reload(filter)
}
