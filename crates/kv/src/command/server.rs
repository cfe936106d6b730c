//! Connection and server commands: `PING`, `SELECT`, `INFO`, `COMMAND`,
//! `CLIENT`, `CONFIG`, `FLUSHDB`, ...

use std::sync::atomic::Ordering;

use switchyard_codec::resp;

use super::{int, is, lossy, trunc, unknown_subcommand, Arg, Command, Exec, Outcome, COMMANDS, SYNTAX};
use crate::client::ClientMeta;
use crate::reply::Reply;
use crate::types::thresholds::{Thresholds, THRESHOLDS};
use crate::Shared;

pub(super) fn ping(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    if a.len() <= 2 && ex.resp2_subscribed() {
        // Redis's answer in a RESP2 subscribed context: an array.
        resp::array(ex.out, 2);
        resp::bulk(ex.out, b"pong");
        resp::bulk(ex.out, a.get(1).map_or(&b""[..], |m| &m[..]));
        return Ok(());
    }
    match a.len() {
        1 => resp::simple(ex.out, "PONG"),
        2 => resp::bulk(ex.out, &a[1]),
        _ => return Err("ERR wrong number of arguments for 'ping' command".into()),
    }
    Ok(())
}

pub(super) fn echo(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    resp::bulk(ex.out, &a[1]);
    Ok(())
}

pub(super) fn quit(ex: &mut Exec<'_>, _a: &[Arg<'_>]) -> Outcome {
    ex.quit = true;
    ex.ok()
}

pub(super) fn select(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let n = int(&a[1])?;
    if n < 0 || n as u64 >= ex.sh.store.dbs.len() as u64 {
        return Err("ERR DB index is out of range".into());
    }
    ex.db = n as usize;
    if let Some(meta) = ex.meta {
        meta.db.store(ex.db, Ordering::Relaxed);
    }
    ex.ok()
}

pub(super) fn dbsize(ex: &mut Exec<'_>, _a: &[Arg<'_>]) -> Outcome {
    let n = ex.db().counts().0;
    ex.int(n as i64)
}

pub(super) fn flush_mode(a: &[Arg<'_>]) -> Outcome {
    match a.len() {
        1 => Ok(()),
        2 if is(&a[1], "async") || is(&a[1], "sync") => Ok(()),
        _ => Err(SYNTAX.into()),
    }
}

pub(super) fn flushdb(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    flush_mode(a)?;
    let mut shards = ex.db().lock_all();
    let cleared: Vec<_> = shards.iter_mut().map(|s| s.clear()).collect();
    ex.log(|buf| resp::command(buf, &[&b"FLUSHDB"[..]]));
    drop(shards);
    drop(cleared);
    ex.ok()
}

pub(super) fn flushall(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    flush_mode(a)?;
    let mut all: Vec<_> = (0..ex.sh.store.dbs.len()).map(|n| ex.view(n).lock_all()).collect();
    let cleared: Vec<_> = all.iter_mut().flatten().map(|s| s.clear()).collect();
    ex.log(|buf| resp::command(buf, &[&b"FLUSHALL"[..]]));
    drop(all);
    drop(cleared);
    ex.ok()
}

pub(super) fn info(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let sections: Vec<String> = a[1..].iter().map(|s| lossy(s).to_ascii_lowercase()).collect();
    // This batch's earlier calls show, as they would in Redis.
    ex.tally.settle(&ex.sh.stats.calls);
    let text = crate::info::render(ex.sh, &sections, ex.held);
    ex.out.verbatim(text.as_bytes());
    Ok(())
}

pub(super) fn command_info(out: &mut Reply, c: &Command) {
    resp::array(out, 10);
    resp::bulk(out, c.name.as_bytes());
    resp::integer(out, c.arity as i64);
    out.set(c.flags.len());
    for f in c.flags {
        resp::simple(out, f);
    }
    resp::integer(out, c.keys.0 as i64);
    resp::integer(out, c.keys.1 as i64);
    resp::integer(out, c.keys.2 as i64);
    // Categories, tips, key specs and subcommands are sets under RESP3.
    out.set(1);
    resp::simple(out, &format!("@{}", c.group));
    out.set(0);
    out.set(0);
    out.set(c.subcommands.len());
    for (sub, arity) in c.subcommands {
        resp::array(out, 10);
        resp::bulk(out, format!("{}|{}", c.name, sub).as_bytes());
        resp::integer(out, *arity as i64);
        out.set(0);
        for _ in 0..3 {
            resp::integer(out, 0);
        }
        for _ in 0..4 {
            out.set(0);
        }
    }
}

pub(super) fn command_docs(out: &mut Reply, c: &Command) {
    resp::bulk(out, c.name.as_bytes());
    if let Some(doc) = crate::docs::find(c.name) {
        return crate::docs::write(out, doc);
    }
    out.map(3);
    resp::bulk(out, b"summary");
    resp::bulk(out, c.summary.as_bytes());
    resp::bulk(out, b"since");
    resp::bulk(out, b"1.0.0");
    resp::bulk(out, b"group");
    resp::bulk(out, c.group.as_bytes());
}

pub(super) fn command(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    if a.len() == 1 {
        resp::array(ex.out, COMMANDS.len());
        for c in COMMANDS {
            command_info(ex.out, c);
        }
        return Ok(());
    }
    let sub = &a[1];
    if is(sub, "count") {
        ex.int(COMMANDS.len() as i64)
    } else if is(sub, "list") {
        resp::array(ex.out, COMMANDS.len());
        for c in COMMANDS {
            resp::bulk(ex.out, c.name.as_bytes());
        }
        Ok(())
    } else if is(sub, "info") {
        let names: Vec<Option<usize>> = if a.len() == 2 {
            (0..COMMANDS.len()).map(Some).collect()
        } else {
            a[2..].iter().map(|n| ex.sh.table.find(n)).collect()
        };
        resp::array(ex.out, names.len());
        for n in names {
            match n {
                Some(i) => command_info(ex.out, &COMMANDS[i]),
                None => ex.out.null_array(),
            }
        }
        Ok(())
    } else if is(sub, "docs") {
        let found: Vec<usize> = if a.len() == 2 {
            (0..COMMANDS.len()).collect()
        } else {
            a[2..].iter().filter_map(|n| ex.sh.table.find(n)).collect()
        };
        ex.out.map(found.len());
        for i in found {
            command_docs(ex.out, &COMMANDS[i]);
        }
        Ok(())
    } else {
        Err(unknown_subcommand("command", sub))
    }
}

pub(super) fn client(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let sub = &a[1];
    let Some(meta) = ex.meta else { return Err("ERR no client while replaying".into()) };
    if is(sub, "id") {
        ex.int(meta.id as i64)
    } else if is(sub, "setname") {
        meta.set_name(&a[2])?;
        ex.ok()
    } else if is(sub, "getname") {
        let name = meta.name.lock().unwrap_or_else(|e| e.into_inner()).clone();
        ex.bulk_or_null(name.as_deref().map(str::as_bytes))
    } else if is(sub, "setinfo") {
        if !(is(&a[2], "lib-name") || is(&a[2], "lib-ver")) {
            return Err(format!("ERR Unrecognized option '{}'", trunc(&a[2])).into());
        }
        ex.ok()
    } else if is(sub, "kill") {
        crate::kill::client_kill(ex, a)
    } else if is(sub, "unblock") {
        crate::blocking::client_unblock(ex, a)
    } else if is(sub, "no-evict") || is(sub, "no-touch") {
        crate::kill::client_flag(ex, a)
    } else if is(sub, "info") {
        meta.db.store(ex.db, Ordering::Relaxed);
        let line = meta.line(&last_cmd_name(meta));
        ex.out.verbatim(line.as_bytes());
        Ok(())
    } else if is(sub, "list") {
        if a.len() > 2 && !(a.len() == 4 && is(&a[2], "type") && is(&a[3], "normal")) {
            return Err(SYNTAX.into());
        }
        meta.db.store(ex.db, Ordering::Relaxed);
        let mut clients: Vec<_> = ex.sh.clients.lock().unwrap_or_else(|e| e.into_inner()).values().cloned().collect();
        clients.sort_by_key(|c| c.id);
        let text: String = clients.iter().map(|c| c.line(&last_cmd_name(c))).collect();
        ex.out.verbatim(text.as_bytes());
        Ok(())
    } else {
        Err(unknown_subcommand("client", sub))
    }
}

pub(super) fn last_cmd_name(meta: &ClientMeta) -> String {
    match COMMANDS.get(meta.last_cmd.load(Ordering::Relaxed)) {
        Some(c) if c.name == "client" => "client|list".to_string(),
        Some(c) => c.name.to_string(),
        None => "NULL".to_string(),
    }
}

/// Parses a memory amount as Redis's `memtoull` does: `100`, `1kb`, `2mb`, `1gb`, `1k`.
pub fn memory(s: &[u8]) -> Option<u64> {
    let s = std::str::from_utf8(s).ok()?.to_ascii_lowercase();
    let (digits, mul) = [
        ("gb", 1u64 << 30),
        ("mb", 1 << 20),
        ("kb", 1 << 10),
        ("g", 1_000_000_000),
        ("m", 1_000_000),
        ("k", 1000),
        ("b", 1),
    ]
    .iter()
    .find_map(|(suffix, mul)| s.strip_suffix(suffix).map(|d| (d.to_string(), *mul)))
    .unwrap_or((s.clone(), 1));
    if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u64>().ok()?.checked_mul(mul)
}

pub(super) fn config_params(ex: &Exec<'_>) -> Vec<(&'static str, String)> {
    let sh = ex.sh;
    let mut params = vec![
        ("maxmemory", sh.maxmemory.load(Ordering::Relaxed).to_string()),
        ("maxmemory-policy", "noeviction".into()),
        ("databases", sh.store.dbs.len().to_string()),
        ("appendonly", if sh.aof.is_some() { "yes" } else { "no" }.into()),
        ("appendfsync", sh.options.appendfsync.as_str().into()),
        (
            "appendfilename",
            sh.options.appendonly.as_ref().map(|p| p.display().to_string()).unwrap_or_else(|| "appendonly.aof".into()),
        ),
        ("save", String::new()),
        ("proto-max-bulk-len", sh.max_bulk.load(Ordering::Relaxed).to_string()),
        ("client-query-buffer-limit", sh.query_buffer_limit.load(Ordering::Relaxed).to_string()),
        ("auto-aof-rewrite-min-size", sh.options.aof_rewrite_min_bytes.to_string()),
        ("auto-aof-rewrite-percentage", "100".into()),
        ("client-output-buffer-limit", output_buffer_limits(sh)),
        ("maxmemory-clients", sh.output_limits().total_bytes.to_string()),
        // Shown, as Redis shows it, to clients that have authenticated.
        ("requirepass", lossy(&sh.guard.password_text()).into_owned()),
        ("protected-mode", if sh.guard.protected_mode() { "yes" } else { "no" }.into()),
    ];
    params.extend(THRESHOLDS.params());
    params
}

/// `client-output-buffer-limit` as Redis shows it. The `normal` and
/// `pubsub` classes apply; there are no replicas, so `slave` shows what it
/// was set to.
pub(super) fn output_buffer_limits(sh: &Shared) -> String {
    let o = sh.output_limits();
    let others = *sh.other_output_limits.lock().unwrap_or_else(|e| e.into_inner());
    let mut text = format!("normal {} {} {}", o.hard_bytes, o.soft_bytes, o.soft_time.as_secs());
    for (class, (hard, soft, secs)) in ["slave", "pubsub"].iter().zip(others) {
        text.push_str(&format!(" {class} {hard} {soft} {secs}"));
    }
    text
}

/// Parses a `client-output-buffer-limit` value: groups of class, hard
/// limit, soft limit and soft seconds, with Redis's error texts.
pub(super) fn parse_output_buffer_limits(v: &[u8]) -> Result<Vec<(usize, u64, u64, u64)>, &'static str> {
    let text = lossy(v);
    let words: Vec<&str> = text.split_ascii_whitespace().collect();
    if words.len() % 4 != 0 {
        return Err("Wrong number of arguments in buffer limit configuration.");
    }
    let mut groups = Vec::new();
    for g in words.chunks(4) {
        let class = match g[0].to_ascii_lowercase().as_str() {
            "normal" => 0,
            "slave" | "replica" => 1,
            "pubsub" => 2,
            _ => return Err("Invalid client class specified in buffer limit configuration."),
        };
        let bad = "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
        let hard = memory(g[1].as_bytes()).ok_or(bad)?;
        let soft = memory(g[2].as_bytes()).ok_or(bad)?;
        let secs = g[3].parse::<u64>().map_err(|_| bad)?;
        groups.push((class, hard, soft, secs));
    }
    Ok(groups)
}

pub(super) fn config(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let sub = &a[1];
    if is(sub, "get") {
        let params = config_params(ex);
        let hits: Vec<&(&str, String)> = params
            .iter()
            .filter(|(name, _)| a[2..].iter().any(|p| crate::pattern::matches(p, name.as_bytes(), true)))
            .collect();
        ex.out.map(hits.len());
        for (name, value) in hits {
            resp::bulk(ex.out, name.as_bytes());
            resp::bulk(ex.out, value.as_bytes());
        }
        Ok(())
    } else if is(sub, "set") {
        if a.len() % 2 != 0 {
            return Err(format!("ERR Unknown option or number of arguments for CONFIG SET - '{}'", trunc(&a[2])).into());
        }
        let mut changes = Vec::new();
        let mut limits = Vec::new();
        let mut guard_changes = Vec::new();
        let mut encodings = Vec::new();
        for pair in a[2..].chunks(2) {
            let name = lossy(&pair[0]).to_ascii_lowercase();
            if Thresholds::knows(&name) {
                let v = Thresholds::parse(&name, &pair[1])
                    .map_err(|why| format!("ERR CONFIG SET failed (possibly related to argument '{name}') - {why}"))?;
                encodings.push((name, v));
                continue;
            }
            if name == "client-output-buffer-limit" {
                let groups = parse_output_buffer_limits(&pair[1])
                    .map_err(|why| format!("ERR CONFIG SET failed (possibly related to argument '{name}') - {why}"))?;
                limits.extend(groups);
                continue;
            }
            if let Some(change) = crate::auth::config_set(&name, &pair[1])? {
                guard_changes.push(change);
                continue;
            }
            let settable = ["maxmemory", "proto-max-bulk-len", "client-query-buffer-limit", "maxmemory-clients"];
            if !settable.contains(&name.as_str()) {
                return Err(format!("ERR Unknown option or number of arguments for CONFIG SET - '{}'", name).into());
            }
            let Some(v) = memory(&pair[1]) else {
                return Err(format!(
                    "ERR CONFIG SET failed (possibly related to argument '{name}') - argument couldn't be parsed into an integer"
                )
                .into());
            };
            if !["maxmemory", "maxmemory-clients"].contains(&name.as_str()) && v < 1 << 20 {
                return Err(format!(
                    "ERR CONFIG SET failed (possibly related to argument '{name}') - argument must be between 1048576 and 9223372036854775807 inclusive"
                )
                .into());
            }
            changes.push((name, v));
        }
        let mut output = ex.sh.output_limits();
        for (name, v) in changes {
            match name.as_str() {
                "maxmemory" => ex.sh.maxmemory.store(v, Ordering::Relaxed),
                "proto-max-bulk-len" => ex.sh.max_bulk.store(v as usize, Ordering::Relaxed),
                "maxmemory-clients" => output.total_bytes = v as usize,
                _ => ex.sh.query_buffer_limit.store(v as usize, Ordering::Relaxed),
            }
        }
        for (class, hard, soft, secs) in limits {
            if class == 0 {
                output.hard_bytes = hard as usize;
                output.soft_bytes = soft as usize;
                output.soft_time = std::time::Duration::from_secs(secs);
            } else {
                ex.sh.other_output_limits.lock().unwrap_or_else(|e| e.into_inner())[class - 1] = (hard, soft, secs);
                if let (2, Some(control)) = (class, ex.sh.control.get()) {
                    crate::pubsub::apply_limits(control, (hard, soft, secs));
                }
            }
        }
        ex.sh.set_output_limits(output);
        for change in guard_changes {
            ex.sh.guard.apply(change);
        }
        for (name, v) in encodings {
            THRESHOLDS.set(&name, v);
        }
        ex.ok()
    } else if is(sub, "resetstat") {
        ex.sh.stats.commands.store(0, Ordering::Relaxed);
        ex.sh.stats.connections.store(0, Ordering::Relaxed);
        ex.sh.stats.rejected.store(0, Ordering::Relaxed);
        ex.sh.stats.calls.reset();
        ex.tally.discard();
        ex.ok()
    } else {
        Err(unknown_subcommand("config", sub))
    }
}

pub(super) fn time(ex: &mut Exec<'_>, _a: &[Arg<'_>]) -> Outcome {
    let d = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    resp::array(ex.out, 2);
    resp::bulk(ex.out, d.as_secs().to_string().as_bytes());
    resp::bulk(ex.out, d.subsec_micros().to_string().as_bytes());
    Ok(())
}

pub(super) fn bgrewriteaof(ex: &mut Exec<'_>, _a: &[Arg<'_>]) -> Outcome {
    if ex.sh.aof.is_none() {
        return Err("ERR Append only file is not enabled".into());
    }
    if ex.meta.is_none() {
        return Ok(());
    }
    match crate::cron::start_rewrite(ex.sh) {
        true => resp::simple(ex.out, "Background append only file rewriting started"),
        false => resp::simple(ex.out, "Background append only file rewriting scheduled"),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_amounts_read_like_redis_config() {
        assert_eq!(memory(b"100"), Some(100));
        assert_eq!(memory(b"1kb"), Some(1024));
        assert_eq!(memory(b"2MB"), Some(2 << 20));
        assert_eq!(memory(b"1g"), Some(1_000_000_000));
        assert_eq!(memory(b"x"), None);
        assert_eq!(memory(b"-1"), None);
    }
}
