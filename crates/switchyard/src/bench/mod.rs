//! `switchyard bench`: a closed-loop load generator that checks every
//! response.
//!
//! Each connection keeps `--pipeline` requests in flight and sends the next
//! one only when a response is complete and verified, so the offered load
//! follows the server's speed (a closed loop), and a wrong byte is an error,
//! never a throughput gain. Latency is measured per request, from the
//! moment it is queued on its socket to the moment its response is whole,
//! into an HDR histogram.
//!
//! Each protocol (`echo.rs`, `http.rs`, `kv.rs`) is one file here
//! implementing [`Protocol`], plus its entry in [`PROTOCOLS`]. The client threads ([`driver`]) know no protocol, and
//! the figures ([`report`]) know no socket.

mod chat;
mod driver;
mod echo;
mod http;
mod idle;
mod kv;
mod pubsub;
mod report;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use clap::builder::PossibleValuesParser;
use clap::Args;

use crate::units::{parse_duration, parse_size};

/// Load generator settings.
#[derive(Args, Debug)]
pub struct BenchArgs {
    /// What to load: echo, http, kv, chat, pubsub (kv's fan-out).
    #[arg(value_parser = PossibleValuesParser::new(PROTOCOLS.iter().map(|p| p.name)))]
    pub service: String,
    /// The server's address.
    #[arg(long, value_name = "ADDR")]
    pub target: SocketAddr,
    /// Connections held open, spread over the client threads.
    #[arg(long, value_name = "N", default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..))]
    pub connections: u32,
    /// How long to run, e.g. 10s, 500ms.
    #[arg(long, value_name = "DUR", default_value = "10s", value_parser = parse_duration)]
    pub duration: Duration,
    /// Request payload size (echo: bytes per request; kv: value size), e.g. 64, 4KiB.
    #[arg(long, value_name = "BYTES", default_value = "64", value_parser = parse_size)]
    pub size: u64,
    /// Requests each connection keeps in flight.
    #[arg(long, value_name = "D", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub pipeline: u32,
    /// Client threads, each running one epoll loop over its share of the connections.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub threads: u32,
    /// Print one JSON object on stdout instead of the text report.
    #[arg(long)]
    pub json: bool,
    /// http: the path to request.
    #[arg(long, value_name = "PATH", default_value = "/")]
    pub path: String,
    /// Instead of loading the server, open N silent connections, print
    /// `idle N connections open`, and hold them for --duration.
    #[arg(long, value_name = "N")]
    pub idle: Option<u32>,
    /// With --idle: each connection first completes one request, then falls silent.
    #[arg(long, requires = "idle")]
    pub warm: bool,
    /// chat: how many of the members send [default: a tenth of --connections, at least 1];
    /// pubsub: how many publishers, besides the --connections subscribers [default: 1].
    #[arg(long, value_name = "S", value_parser = clap::value_parser!(u32).range(1..))]
    pub senders: Option<u32>,
    /// chat: messages a second each sender sends in the fixed-rate phase.
    #[arg(long, value_name = "N", default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub rate: u32,
}

/// One protocol's requests, and how to tell a right response from a wrong one.
///
/// Requests are numbered per connection from 0; responses arrive in request
/// order, so the driver always asks about the oldest request in flight.
pub trait Protocol: Send + Sync {
    /// Appends request `seq` of connection `conn` to `out`.
    fn write_request(&self, conn: usize, seq: u64, out: &mut Vec<u8>);

    /// Looks at the start of `input` for the whole response to request
    /// `seq` of connection `conn`.
    ///
    /// Returns `Ok(Some(n))` when the first `n` bytes are that response and
    /// it is right, `Ok(None)` when it is not whole yet.
    ///
    /// # Errors
    ///
    /// What is wrong with the response, in words (it ends the connection:
    /// the stream can no longer be trusted to be in step).
    fn check_response(&self, conn: usize, seq: u64, input: &[u8]) -> Result<Option<usize>, String>;
}

/// A protocol the generator speaks: its name on the command line, how to
/// build it from the flags, and whether `--size` means anything to it.
struct Entry {
    name: &'static str,
    build: fn(&BenchArgs) -> Result<Arc<dyn Protocol>, String>,
    sized: bool,
}

/// Every protocol the generator speaks.
const PROTOCOLS: &[Entry] = &[
    Entry { name: "echo", build: echo::build, sized: true },
    Entry { name: "http", build: http::build, sized: false },
    Entry { name: "kv", build: kv::build, sized: true },
    Entry { name: "chat", build: chat::build, sized: true },
    Entry { name: "pubsub", build: pubsub::build, sized: true },
];

/// Runs `bench`; returns the exit status: 0 when every response was right,
/// 1 when any was wrong, 2 for flags that do not fit together.
///
/// # Errors
///
/// The target cannot be reached, or a thread or descriptor cannot be had.
pub fn run(args: BenchArgs) -> anyhow::Result<i32> {
    let entry = PROTOCOLS.iter().find(|p| p.name == args.service).expect("clap admits only known protocols");
    match entry.name {
        "chat" => return chat::run(&args),
        "pubsub" => return pubsub::run(&args),
        _ => {}
    }
    let protocol = match (entry.build)(&args) {
        Ok(p) => p,
        Err(msg) => {
            eprintln!("switchyard: {msg}");
            return Ok(2);
        }
    };
    // More connections than the default 1,024 descriptors is the common case.
    let _ = switchyard_engine::raise_fd_limit();
    if let Some(n) = args.idle {
        idle::hold(args.target, n as usize, args.duration, args.warm.then_some(&*protocol))?;
        return Ok(0);
    }
    let plan = driver::Plan {
        target: args.target,
        connections: args.connections as usize,
        pipeline: args.pipeline as usize,
        threads: (args.threads as usize).min(args.connections as usize),
        duration: args.duration,
    };
    let show_progress = !args.json && std::io::IsTerminal::is_terminal(&std::io::stderr());
    let tally = driver::run(&plan, protocol, show_progress)?;
    let setup = report::Setup {
        service: entry.name,
        target: args.target,
        connections: plan.connections,
        pipeline: plan.pipeline,
        size: entry.sized.then_some(args.size),
        threads: plan.threads,
    };
    for msg in &tally.first_errors {
        eprintln!("switchyard: {msg}");
    }
    let text = if args.json { report::json(&setup, &tally) } else { report::text(&setup, &tally) };
    print!("{text}");
    Ok(if tally.errors > 0 { 1 } else { 0 })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        bench: BenchArgs,
    }

    #[test]
    fn defaults_follow_the_command_line_contract() {
        let cli = Cli::try_parse_from(["bench", "echo", "--target", "127.0.0.1:7007"]).unwrap();
        let a = cli.bench;
        assert_eq!(a.service, "echo");
        assert_eq!(a.connections, 50);
        assert_eq!(a.duration, Duration::from_secs(10));
        assert_eq!(a.size, 64);
        assert_eq!(a.pipeline, 1);
        assert!(!a.json);
        assert_eq!(a.idle, None);
    }

    #[test]
    fn unknown_protocols_and_zero_counts_are_usage_errors() {
        let parse = |extra: &[&str]| {
            let mut argv = vec!["bench", "--target", "127.0.0.1:1"];
            argv.extend_from_slice(extra);
            Cli::try_parse_from(argv).map(|_| ())
        };
        assert!(parse(&["echo"]).is_ok());
        assert!(parse(&["gopher"]).unwrap_err().to_string().contains("gopher"));
        assert!(parse(&["echo", "--connections", "0"]).is_err());
        assert!(parse(&["echo", "--pipeline", "0"]).is_err());
        assert!(parse(&["echo", "--duration", "10 parsecs"]).is_err());
        assert!(parse(&["echo", "--warm"]).unwrap_err().to_string().contains("--idle"));
        assert!(parse(&["echo", "--warm", "--idle", "3"]).is_ok());
    }
}
