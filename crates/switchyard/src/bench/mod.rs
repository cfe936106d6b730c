//! `switchyard bench`: a closed-loop load generator (being built).

use clap::Args;

/// Load generator settings.
#[derive(Args, Debug)]
pub struct BenchArgs {
    /// What to load: echo, http, kv.
    pub service: String,
    /// The server's address.
    #[arg(long)]
    pub target: std::net::SocketAddr,
}

pub fn run(_args: BenchArgs) -> anyhow::Result<i32> {
    anyhow::bail!("bench is not built yet")
}
