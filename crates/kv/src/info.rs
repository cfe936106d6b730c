//! `INFO`: the server's state as `field:value` lines in `# Section`s, in
//! Redis's format, so that tools that parse Redis's `INFO` parse ours.
//! As in Redis, `INFO` alone and `INFO default` leave out `commandstats`;
//! `INFO all`, `INFO everything` and `INFO commandstats` include it.

use std::fmt::Write;
use std::sync::atomic::Ordering;

use crate::command::COMMANDS;
use crate::store::{Lend, View, SHARDS};
use crate::Shared;

/// Every section, in Redis's order.
const SECTIONS: &[&str] = &["server", "clients", "memory", "persistence", "stats", "commandstats", "keyspace"];

/// The sections `INFO` and `INFO default` leave out.
const NOT_DEFAULT: &[&str] = &["commandstats"];

/// Resident set size of this process in bytes, from `/proc/self/status`.
fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

fn human(bytes: u64) -> String {
    let b = bytes as f64;
    if b < 1024.0 {
        format!("{bytes}B")
    } else if b < 1024.0 * 1024.0 {
        format!("{:.2}K", b / 1024.0)
    } else if b < 1024.0 * 1024.0 * 1024.0 {
        format!("{:.2}M", b / (1024.0 * 1024.0))
    } else {
        format!("{:.2}G", b / (1024.0 * 1024.0 * 1024.0))
    }
}

#[derive(Default)]
struct AofFigures {
    size: u64,
    base: u64,
    rewriting: bool,
    rewrites: u64,
    records: u64,
    fsyncs: u64,
    errors: u64,
    failing: bool,
}

fn aof_figures(sh: &Shared) -> AofFigures {
    match &sh.aof {
        Some(a) => AofFigures {
            size: a.size(),
            base: a.base_size(),
            rewriting: a.rewriting(),
            rewrites: a.rewrites.load(Ordering::Relaxed),
            records: a.records(),
            fsyncs: a.fsyncs.load(Ordering::Relaxed),
            errors: a.errors.load(Ordering::Relaxed),
            failing: a.failure().is_some(),
        },
        None => AofFigures::default(),
    }
}

/// Key lookups that hit, that missed, and keys expired, over every shard
/// (through the shards `held` by a running transaction, if any).
fn lookup_totals(sh: &Shared, held: Option<&dyn Lend>) -> (u64, u64, u64) {
    let (mut hits, mut misses, mut expired) = (0, 0, 0);
    for n in 0..sh.store.dbs.len() {
        let db = View::new(&sh.store, n, held);
        for i in 0..SHARDS {
            let s = db.lock_shard(i);
            hits += s.hits;
            misses += s.misses;
            expired += s.expired;
        }
    }
    (hits, misses, expired)
}

/// The service's metrics in the Prometheus text format.
pub fn prometheus(sh: &Shared, out: &mut String) {
    let name = "switchyard_kv_keys";
    let _ = writeln!(out, "# HELP {name} Keys stored, by database.\n# TYPE {name} gauge");
    for (i, db) in sh.store.dbs.iter().enumerate() {
        let (keys, _) = db.counts();
        if keys > 0 {
            let _ = writeln!(out, "{name}{{db=\"{i}\"}} {keys}");
        }
    }
    let (hits, misses, expired) = lookup_totals(sh, None);
    let a = aof_figures(sh);
    let clients = sh.clients.lock().unwrap_or_else(|e| e.into_inner()).len() as u64;
    let tx = &sh.stats.transactions;
    let simple = [
        ("switchyard_kv_commands_total", "counter", "Commands run.", sh.stats.commands.load(Ordering::Relaxed)),
        ("switchyard_kv_keyspace_hits_total", "counter", "Key lookups that found the key.", hits),
        ("switchyard_kv_keyspace_misses_total", "counter", "Key lookups that did not.", misses),
        ("switchyard_kv_expired_keys_total", "counter", "Keys removed because their time passed.", expired),
        ("switchyard_kv_used_memory_bytes", "gauge", "Estimated bytes of keys and values.", sh.store.used_memory()),
        ("switchyard_kv_clients", "gauge", "Connected clients.", clients),
        ("switchyard_kv_blocked_clients", "gauge", "Clients blocked in a blocking pop.", sh.blocking.blocked() as u64),
        (
            "switchyard_kv_blocking_served_total",
            "counter",
            "Blocked clients served by another client's write.",
            sh.blocking.served.load(Ordering::Relaxed),
        ),
        (
            "switchyard_kv_blocking_timeouts_total",
            "counter",
            "Blocked clients whose timeout passed.",
            sh.blocking.timeouts.load(Ordering::Relaxed),
        ),
        ("switchyard_kv_pubsub_channels", "gauge", "Channels with subscribers.", sh.pubsub.channel_count() as u64),
        ("switchyard_kv_pubsub_patterns", "gauge", "Patterns with subscribers.", sh.pubsub.pattern_count() as u64),
        (
            "switchyard_kv_pubsub_messages_delivered_total",
            "counter",
            "Published messages handed to subscribers, one per receiver.",
            sh.pubsub.delivered.load(Ordering::Relaxed),
        ),
        (
            "switchyard_kv_pubsub_subscribers_dropped_total",
            "counter",
            "Subscribers closed at the client-output-buffer-limit pubsub class.",
            sh.pubsub.dropped.load(Ordering::Relaxed),
        ),
        (
            "switchyard_kv_rejected_connections_total",
            "counter",
            "Clients turned away at the limit.",
            sh.stats.rejected.load(Ordering::Relaxed),
        ),
        (
            "switchyard_kv_protocol_errors_total",
            "counter",
            "Connections closed for malformed RESP (a bulk past proto-max-bulk-len among them).",
            sh.stats.protocol_errors.load(Ordering::Relaxed),
        ),
        (
            "switchyard_kv_auth_failures_total",
            "counter",
            "AUTH and HELLO AUTH attempts with a wrong user or password.",
            sh.guard.failures.load(Ordering::Relaxed),
        ),
        (
            "switchyard_kv_protected_mode_denied_total",
            "counter",
            "Clients from other machines turned away by protected mode.",
            sh.guard.denied.load(Ordering::Relaxed),
        ),
        ("switchyard_kv_aof_size_bytes", "gauge", "Length of the append-only log.", a.size),
        ("switchyard_kv_aof_records_total", "counter", "Records appended to the log.", a.records),
        ("switchyard_kv_aof_fsyncs_total", "counter", "fsyncs of the log.", a.fsyncs),
        ("switchyard_kv_aof_rewrites_total", "counter", "Log rewrites completed.", a.rewrites),
        ("switchyard_kv_aof_errors_total", "counter", "Writes and fsyncs of the log that failed.", a.errors),
        (
            "switchyard_kv_aof_failing",
            "gauge",
            "1 while the log's last write or fsync failed and writes are refused.",
            a.failing as u64,
        ),
        (
            "switchyard_kv_transactions_executed_total",
            "counter",
            "EXECs that ran their commands.",
            tx.executed.load(Ordering::Relaxed),
        ),
        (
            "switchyard_kv_transactions_aborted_total",
            "counter",
            "EXECs answered EXECABORT because a command was refused while queueing.",
            tx.aborted.load(Ordering::Relaxed),
        ),
        (
            "switchyard_kv_transactions_watch_failed_total",
            "counter",
            "EXECs answered null because a watched key changed.",
            tx.watch_failed.load(Ordering::Relaxed),
        ),
        (
            "switchyard_kv_transaction_queue_overflows_total",
            "counter",
            "Commands refused because a transaction's queue reached client-query-buffer-limit.",
            tx.queue_overflows.load(Ordering::Relaxed),
        ),
    ];
    for (name, kind, help, v) in simple {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {v}");
    }
    let name = "switchyard_kv_command_calls_total";
    let _ = writeln!(out, "# HELP {name} Calls run, by command (those called at least once).\n# TYPE {name} counter");
    for (i, cmd) in COMMANDS.iter().enumerate() {
        let calls = sh.stats.calls.figures(i).calls;
        if calls > 0 {
            let _ = writeln!(out, "{name}{{command=\"{}\"}} {calls}", cmd.name);
        }
    }
}

/// The `INFO` text for the `requested` sections (all by default); inside a
/// transaction, `held` lends the shards it holds.
pub fn render(sh: &Shared, requested: &[String], held: Option<&dyn Lend>) -> String {
    let asked = |name: &str| requested.iter().any(|s| s == name);
    let all = asked("all") || asked("everything");
    let default = requested.is_empty() || asked("default");
    let mut text = String::new();
    for &section in SECTIONS {
        let wanted = all || asked(section) || (default && !NOT_DEFAULT.contains(&section));
        if !wanted {
            continue;
        }
        if !text.is_empty() {
            text.push_str("\r\n");
        }
        section_text(sh, section, held, &mut text);
    }
    text
}

fn section_text(sh: &Shared, section: &str, held: Option<&dyn Lend>, t: &mut String) {
    let uptime = sh.started.elapsed().as_secs();
    match section {
        "server" => {
            let _ = write!(
                t,
                "# Server\r\nredis_version:7.0.15\r\nredis_mode:standalone\r\nserver_name:switchyard\r\n\
                 switchyard_version:{}\r\nos:{} {}\r\narch_bits:64\r\nmultiplexing_api:epoll\r\nprocess_id:{}\r\n\
                 tcp_port:{}\r\nuptime_in_seconds:{}\r\nuptime_in_days:{}\r\nexecutable:{}\r\n",
                env!("CARGO_PKG_VERSION"),
                std::env::consts::OS,
                std::env::consts::ARCH,
                std::process::id(),
                sh.port.load(Ordering::Relaxed),
                uptime,
                uptime / 86400,
                std::env::current_exe().map(|p| p.display().to_string()).unwrap_or_default(),
            );
        }
        "clients" => {
            let n = sh.clients.lock().unwrap_or_else(|e| e.into_inner()).len();
            let _ = write!(
                t,
                "# Clients\r\nconnected_clients:{n}\r\nblocked_clients:{}\r\ntracking_clients:0\r\n",
                sh.blocking.blocked()
            );
        }
        "memory" => {
            let used = sh.store.used_memory();
            let rss = rss_bytes();
            let max = sh.maxmemory.load(Ordering::Relaxed);
            let _ = write!(
                t,
                "# Memory\r\nused_memory:{used}\r\nused_memory_human:{}\r\nused_memory_rss:{rss}\r\n\
                 used_memory_rss_human:{}\r\nmaxmemory:{max}\r\nmaxmemory_human:{}\r\nmaxmemory_policy:noeviction\r\n",
                human(used),
                human(rss),
                human(max),
            );
        }
        "persistence" => {
            let a = aof_figures(sh);
            let _ = write!(
                t,
                "# Persistence\r\nloading:0\r\nrdb_changes_since_last_save:0\r\naof_enabled:{}\r\n\
                 aof_rewrite_in_progress:{}\r\naof_rewrites:{}\r\naof_current_size:{}\r\naof_base_size:{}\r\n\
                 aof_last_write_status:{}\r\naof_records:{}\r\naof_fsyncs:{}\r\n",
                sh.aof.is_some() as u8,
                a.rewriting as u8,
                a.rewrites,
                a.size,
                a.base,
                if a.failing { "err" } else { "ok" },
                a.records,
                a.fsyncs,
            );
        }
        "stats" => {
            let (hits, misses, expired) = lookup_totals(sh, held);
            let _ = write!(
                t,
                "# Stats\r\ntotal_connections_received:{}\r\ntotal_commands_processed:{}\r\n\
                 rejected_connections:{}\r\nexpired_keys:{expired}\r\nevicted_keys:0\r\nkeyspace_hits:{hits}\r\n\
                 keyspace_misses:{misses}\r\npubsub_channels:{}\r\npubsub_patterns:{}\r\n",
                sh.stats.connections.load(Ordering::Relaxed),
                sh.stats.commands.load(Ordering::Relaxed),
                sh.stats.rejected.load(Ordering::Relaxed),
                sh.pubsub.channel_count(),
                sh.pubsub.pattern_count(),
            );
        }
        "commandstats" => {
            t.push_str("# Commandstats\r\n");
            for (i, cmd) in COMMANDS.iter().enumerate() {
                let f = sh.stats.calls.figures(i);
                if f.calls > 0 || f.rejected > 0 || f.failed > 0 {
                    let _ = write!(t, "cmdstat_{}:{}\r\n", cmd.name, f.redis_line());
                }
            }
        }
        "keyspace" => {
            t.push_str("# Keyspace\r\n");
            for i in 0..sh.store.dbs.len() {
                let (keys, expires) = View::new(&sh.store, i, held).counts();
                if keys > 0 {
                    let _ = write!(t, "db{i}:keys={keys},expires={expires},avg_ttl=0\r\n");
                }
            }
        }
        _ => {}
    }
}
