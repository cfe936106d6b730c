//! Installs the log subscriber: stderr, text or JSON, colour only on a terminal.

use std::io::IsTerminal;

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

/// Starts logging at `level` (a `RUST_LOG`-style filter; `RUST_LOG` wins when set).
pub fn init(level: &str, format: Format) -> anyhow::Result<()> {
    let filter = match std::env::var("RUST_LOG") {
        Ok(env) if !env.is_empty() => EnvFilter::try_new(env)?,
        _ => EnvFilter::try_new(level).map_err(|e| anyhow::anyhow!("invalid log level `{level}`: {e}"))?,
    };
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        Format::Text => builder.with_ansi(std::io::stderr().is_terminal()).init(),
        Format::Json => builder.json().with_ansi(false).init(),
    }
    Ok(())
}
