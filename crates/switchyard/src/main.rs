//! The `switchyard` binary: `serve` a built-in service, `bench` one, or
//! `check-config` a configuration file.
//!
//! Exit status: 0 after a graceful shutdown, 1 on an error (or a drain cut
//! short by its deadline), 2 for a usage error.

mod activation;
mod admin;
mod bench;
mod cli;
mod config;
mod echo;
mod logging;
mod preflight;
mod reload;
mod serve;
mod sys;
mod tls;
mod units;
mod upgrade;

use clap::Parser;

fn main() {
    let cli = cli::Cli::parse();
    let result = match cli.command {
        cli::Command::Serve(args) => serve::run(args),
        cli::Command::Bench(args) => bench::run(args),
        cli::Command::CheckConfig(args) => config::check(&args.file),
    };
    match result {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("switchyard: {e:#}");
            std::process::exit(1);
        }
    }
}
