//! `INFO`: the server's state as `field:value` lines in `# Section`s, in
//! Redis's format, so that tools that parse Redis's `INFO` parse ours.

use std::fmt::Write;
use std::sync::atomic::Ordering;

use crate::store::SHARDS;
use crate::Shared;

const SECTIONS: &[&str] = &["server", "clients", "memory", "persistence", "stats", "keyspace"];

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

/// The `INFO` text for the `requested` sections (all by default).
pub fn render(sh: &Shared, requested: &[String]) -> String {
    let all = requested.is_empty() || requested.iter().any(|s| s == "all" || s == "everything" || s == "default");
    let mut text = String::new();
    for &section in SECTIONS {
        if !all && !requested.iter().any(|s| s == section) {
            continue;
        }
        if !text.is_empty() {
            text.push_str("\r\n");
        }
        section_text(sh, section, &mut text);
    }
    text
}

fn section_text(sh: &Shared, section: &str, t: &mut String) {
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
            let _ = write!(t, "# Clients\r\nconnected_clients:{n}\r\nblocked_clients:0\r\ntracking_clients:0\r\n");
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
            let (on, size, base, rewriting, rewrites) = match &sh.aof {
                Some(a) => (1, a.size(), a.base_size(), a.rewriting() as u8, a.rewrites.load(Ordering::Relaxed)),
                None => (0, 0, 0, 0, 0),
            };
            let _ = write!(
                t,
                "# Persistence\r\nloading:0\r\nrdb_changes_since_last_save:0\r\naof_enabled:{on}\r\n\
                 aof_rewrite_in_progress:{rewriting}\r\naof_rewrites:{rewrites}\r\naof_current_size:{size}\r\n\
                 aof_base_size:{base}\r\n"
            );
        }
        "stats" => {
            let (mut hits, mut misses, mut expired) = (0, 0, 0);
            for db in sh.store.dbs.iter() {
                for i in 0..SHARDS {
                    let s = db.lock_shard(i);
                    hits += s.hits;
                    misses += s.misses;
                    expired += s.expired;
                }
            }
            let _ = write!(
                t,
                "# Stats\r\ntotal_connections_received:{}\r\ntotal_commands_processed:{}\r\n\
                 rejected_connections:{}\r\nexpired_keys:{expired}\r\nevicted_keys:0\r\nkeyspace_hits:{hits}\r\n\
                 keyspace_misses:{misses}\r\n",
                sh.stats.connections.load(Ordering::Relaxed),
                sh.stats.commands.load(Ordering::Relaxed),
                sh.stats.rejected.load(Ordering::Relaxed),
            );
        }
        "keyspace" => {
            t.push_str("# Keyspace\r\n");
            for (i, db) in sh.store.dbs.iter().enumerate() {
                let (keys, expires) = db.counts();
                if keys > 0 {
                    let _ = write!(t, "db{i}:keys={keys},expires={expires},avg_ttl=0\r\n");
                }
            }
        }
        _ => {}
    }
}
