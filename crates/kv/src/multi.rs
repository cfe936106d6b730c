//! Transactions: `MULTI`, `EXEC`, `DISCARD`, `WATCH`, `UNWATCH`, with
//! Redis 7's semantics and error texts.
//!
//! Between `MULTI` and `EXEC` a connection's commands are checked (known
//! name, arity, memory and log state, as Redis checks them before running
//! a command) and queued; a refused one makes `EXEC` answer `EXECABORT`.
//!
//! `EXEC` is atomic although commands run in parallel: before its first
//! command runs, it locks the shards of every key of every queued command
//! and of every watched key, all at once in ascending (database, shard)
//! order ([`crate::store::Held`]), and its commands run on those shards
//! ([`crate::store::View`]). Every other locker takes shards in the same
//! order, one at a time or as one ascending set, so no cycle of waits can
//! form. Commands whose key spec names no keys but that read or change
//! the keyspace as a whole (`KEYS`, `SCAN`, `RANDOMKEY`, `DBSIZE`,
//! `FLUSHDB`, `FLUSHALL`, `INFO`, `CONFIG`...) make the `EXEC` lock every
//! shard of every database: rare in transactions, and always right. Only
//! the commands in [`TOUCHES_NO_DATA`] lock nothing; `SELECT` moves the
//! following commands' keys to its database, as it will when it runs.
//!
//! The commands' log records are collected and appended as one
//! `MULTI`...`EXEC` unit while the shards are still held, so the log orders
//! a transaction as memory does, and replay applies it whole or not at all.
//!
//! `WATCH` registers each key in its shard ([`crate::store::Shard::watch`]),
//! where every change to it bumps a version; `EXEC` compares versions under
//! its locks, after expiring a watched key whose time has passed.

use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};

use switchyard_codec::resp::{self, string2ll};

use crate::bytes::Bytes;
use crate::command::{Arg, Exec, COMMANDS};
use crate::commandstats::Call;
use crate::store::{Held, Store, View};
use crate::Shared;

/// Redis's answer to `EXEC` after a command was refused while queueing.
const EXECABORT: &str = "EXECABORT Transaction discarded because of previous errors.";

/// Commands with no keys in their key spec that touch no data either: a
/// transaction of these and of keyed commands locks only its keys' shards.
const TOUCHES_NO_DATA: &[&str] = &["ping", "echo", "time", "command", "client", "unwatch"];

/// What a queued command costs besides its arguments' bytes, as counted
/// against the queue's limit (`client-query-buffer-limit`).
const QUEUED_OVERHEAD_BYTES: usize = 32;

/// The largest queue allocation a connection keeps for its next
/// transaction; a bigger one (a transaction of big values) is freed.
const SPARE_MAX_BYTES: usize = 64 << 10;

/// A connection's transaction state.
#[derive(Default)]
pub struct Conn {
    state: State,
    /// The keys `WATCH`ed since the last `EXEC`, `DISCARD` or `UNWATCH`.
    watched: Vec<Watched>,
    /// The last transaction's queue, emptied, kept for its allocations.
    spare: Queue,
}

/// Whether a connection is inside `MULTI`.
#[derive(Default)]
enum State {
    /// Commands run as they come.
    #[default]
    Idle,
    /// Commands are queued until `EXEC` or `DISCARD`.
    Queueing(Queue),
}

/// The commands of an open transaction, stored flat: a block of
/// arguments costs no allocation of its own.
#[derive(Default)]
struct Queue {
    /// Every queued argument, back to back.
    bytes: Vec<u8>,
    /// Where each argument ends in `bytes`.
    arg_ends: Vec<usize>,
    /// Where each command's arguments end in `arg_ends`.
    command_ends: Vec<usize>,
    /// Each command's index in [`COMMANDS`], found when it was queued.
    command_indices: Vec<usize>,
    /// The arguments' bytes plus [`QUEUED_OVERHEAD_BYTES`] for each
    /// command and argument, against the limit.
    cost: usize,
    /// A command was refused while queueing: `EXEC` will abort.
    refused: bool,
}

impl Queue {
    fn push(&mut self, command: usize, args: &[Arg<'_>]) {
        self.command_indices.push(command);
        for a in args {
            self.bytes.extend_from_slice(a);
            self.arg_ends.push(self.bytes.len());
        }
        self.command_ends.push(self.arg_ends.len());
    }

    /// Every queued argument, borrowed.
    fn args(&self) -> Vec<Arg<'_>> {
        let mut start = 0;
        self.arg_ends
            .iter()
            .map(|&end| {
                let a = Cow::Borrowed(&self.bytes[start..end]);
                start = end;
                a
            })
            .collect()
    }

    /// The commands, each as its index in [`COMMANDS`] and a slice of
    /// `args` (from [`Queue::args`]).
    fn commands<'q>(&'q self, args: &'q [Arg<'q>]) -> impl Iterator<Item = (usize, &'q [Arg<'q>])> + Clone + 'q {
        self.command_ends.iter().zip(&self.command_indices).scan(0, move |start, (&end, &i)| {
            let c = &args[*start..end];
            *start = end;
            Some((i, c))
        })
    }

    fn len(&self) -> usize {
        self.command_ends.len()
    }

    /// Empties the queue, keeping its allocations unless they are larger
    /// than [`SPARE_MAX_BYTES`].
    fn cleared(mut self) -> Queue {
        if self.bytes.capacity() > SPARE_MAX_BYTES || self.arg_ends.capacity() * 8 > SPARE_MAX_BYTES {
            return Queue::default();
        }
        self.bytes.clear();
        self.arg_ends.clear();
        self.command_ends.clear();
        self.command_indices.clear();
        self.cost = 0;
        self.refused = false;
        self
    }
}

/// One watched key and its version when it was watched.
struct Watched {
    db: usize,
    key: Bytes,
    version: u64,
}

impl Conn {
    /// Between `MULTI` and `EXEC`.
    pub fn queueing(&self) -> bool {
        matches!(self.state, State::Queueing(_))
    }

    /// A command was refused: inside `MULTI`, the transaction will abort.
    pub fn refused(&mut self) {
        if let State::Queueing(q) = &mut self.state {
            q.refused = true;
        }
    }

    /// Leaves `MULTI`, keeping the queue's allocations for the next one.
    fn end(&mut self) {
        if let State::Queueing(q) = std::mem::take(&mut self.state) {
            self.spare = q.cleared();
        }
    }

    /// Leaves `MULTI` and forgets every watched key (`RESET`).
    pub fn reset(&mut self, store: &Store) {
        self.end();
        self.release(store);
    }

    /// Forgets every watched key (`UNWATCH`, `DISCARD`, and a connection
    /// that closes).
    pub fn release(&mut self, store: &Store) {
        release(store, std::mem::take(&mut self.watched));
    }
}

/// Transaction counters for the metrics.
#[derive(Default)]
pub struct Counters {
    /// `EXEC`s that ran their commands.
    pub executed: AtomicU64,
    /// `EXEC`s answered `EXECABORT`.
    pub aborted: AtomicU64,
    /// `EXEC`s answered null because a watched key changed.
    pub watch_failed: AtomicU64,
    /// Commands refused because the queue reached its limit.
    pub queue_overflows: AtomicU64,
}

/// The commands that run at once even inside `MULTI` (Redis's list).
pub fn runs_at_once(name: &str) -> bool {
    matches!(name, "exec" | "discard" | "multi" | "watch" | "quit" | "reset")
}

/// Queues a checked command of a connection inside `MULTI`, answering
/// `+QUEUED`; refuses it once the queue holds `client-query-buffer-limit`
/// bytes.
pub fn queue(ex: &mut Exec<'_>, command: usize, args: &[Arg<'_>]) -> Call {
    let limit = ex.sh.query_buffer_limit.load(Ordering::Relaxed);
    let sh = ex.sh;
    let client = ex.meta.map_or(0, |m| m.id);
    let Some(State::Queueing(q)) = ex.conn.as_deref_mut().map(|c| &mut c.state) else {
        return Call::Rejected;
    };
    let bytes = QUEUED_OVERHEAD_BYTES + args.iter().map(|a| a.len() + QUEUED_OVERHEAD_BYTES).sum::<usize>();
    if q.cost + bytes > limit {
        q.refused = true;
        sh.stats.transactions.queue_overflows.fetch_add(1, Ordering::Relaxed);
        if let Some(suppressed) = sh.multi_log.allow() {
            tracing::warn!(
                client,
                limit,
                suppressed,
                "transaction queue reached client-query-buffer-limit; the transaction will abort"
            );
        }
        resp::error(ex.out, "ERR transaction queue exceeds client-query-buffer-limit");
        return Call::Rejected;
    }
    q.cost += bytes;
    q.push(command, args);
    resp::simple(ex.out, "QUEUED");
    Call::Queued
}

/// Log records of a transaction's commands, collected while it runs.
pub struct Records {
    buf: Vec<u8>,
    /// The database selected when the transaction began.
    start_db: usize,
    /// The database of the last record collected.
    db: usize,
}

impl Records {
    /// Empty, for a transaction that begins in database `db`.
    pub fn new(db: usize) -> Records {
        Records { buf: Vec::new(), start_db: db, db }
    }

    /// Collects the records `write` encodes, for database `db`.
    pub fn push(&mut self, db: usize, write: impl FnOnce(&mut Vec<u8>)) {
        if db != self.db {
            resp::command(&mut self.buf, &[&b"SELECT"[..], db.to_string().as_bytes()]);
            self.db = db;
        }
        write(&mut self.buf);
    }
}

fn release(store: &Store, watched: Vec<Watched>) {
    for w in watched {
        store.dbs[w.db].lock(&w.key).unwatch(&w.key);
    }
}

/// `MULTI`.
pub fn multi(ex: &mut Exec<'_>, _a: &[Arg<'_>]) -> Result<(), Cow<'static, str>> {
    let Some(conn) = ex.conn.as_deref_mut() else { return Err("ERR MULTI is not allowed here".into()) };
    if conn.queueing() {
        return Err("ERR MULTI calls can not be nested".into());
    }
    conn.state = State::Queueing(std::mem::take(&mut conn.spare));
    resp::simple(ex.out, "OK");
    Ok(())
}

/// Ends the transaction of an `EXEC` that was itself refused, as Redis
/// does: discarded, with the refusal in an `EXECABORT` error.
pub fn abort(ex: &mut Exec<'_>, refusal: &str) {
    let store = &ex.sh.store;
    if let Some(conn) = ex.conn.as_deref_mut() {
        conn.end();
        conn.release(store);
    }
    ex.sh.stats.transactions.aborted.fetch_add(1, Ordering::Relaxed);
    let why = refusal.strip_prefix("ERR ").unwrap_or(refusal);
    resp::error(ex.out, &format!("EXECABORT Transaction discarded because of: {why}"));
}

/// `DISCARD`.
pub fn discard(ex: &mut Exec<'_>, _a: &[Arg<'_>]) -> Result<(), Cow<'static, str>> {
    let store = &ex.sh.store;
    let Some(conn) = ex.conn.as_deref_mut().filter(|c| c.queueing()) else {
        return Err("ERR DISCARD without MULTI".into());
    };
    conn.end();
    conn.release(store);
    resp::simple(ex.out, "OK");
    Ok(())
}

/// `WATCH key [key ...]`.
pub fn watch(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Result<(), Cow<'static, str>> {
    let (store, db, now) = (&ex.sh.store, ex.db, ex.now);
    if let Some(conn) = ex.conn.as_deref_mut() {
        if conn.queueing() {
            return Err("ERR WATCH inside MULTI is not allowed".into());
        }
        for key in &a[1..] {
            if conn.watched.iter().any(|w| w.db == db && w.key.as_slice() == &key[..]) {
                continue;
            }
            let mut s = store.dbs[db].lock(key);
            // A key already past its time goes now, before the watch, so
            // that only an expiry after it counts as a change.
            s.expire_if_due(key, now);
            let version = s.watch(key);
            conn.watched.push(Watched { db, key: Bytes::new(key), version });
        }
    }
    resp::simple(ex.out, "OK");
    Ok(())
}

/// `UNWATCH`. Inside `EXEC` it does nothing: `EXEC` unwatches everything
/// once it is done.
pub fn unwatch(ex: &mut Exec<'_>, _a: &[Arg<'_>]) -> Result<(), Cow<'static, str>> {
    let store = &ex.sh.store;
    if let Some(conn) = ex.conn.as_deref_mut() {
        conn.release(store);
    }
    resp::simple(ex.out, "OK");
    Ok(())
}

/// Commands whose keys their key spec does not list: the ones after a
/// count (`ZUNIONSTORE dst 2 a b`) and `COPY ... DB n`.
const MOVABLE_KEYS: &[&str] = &["zunionstore", "zinterstore", "zdiffstore", "copy"];

/// The (database, shard) pairs a transaction must hold: see the module
/// docs.
fn lock_set<'q>(
    sh: &Shared,
    mut db: usize,
    commands: impl Iterator<Item = (usize, &'q [Arg<'q>])>,
    watched: &[Watched],
) -> Vec<(usize, usize)> {
    let dbs = &sh.store.dbs;
    let mut wanted: Vec<(usize, usize)> = watched.iter().map(|w| (w.db, dbs[w.db].shard_of(&w.key))).collect();
    for (i, args) in commands {
        let cmd = &COMMANDS[i];
        if cmd.name == "select" {
            if let Some(n) = string2ll(&args[1]).filter(|&n| n >= 0 && (n as u64) < dbs.len() as u64) {
                db = n as usize;
            }
            continue;
        }
        if TOUCHES_NO_DATA.contains(&cmd.name) {
            continue;
        }
        let (first, last, step) = cmd.keys;
        // Keys the spec cannot name (after a count, or in another database):
        // every shard, rather than a lock taken out of order mid-EXEC.
        if first <= 0 || step <= 0 || MOVABLE_KEYS.contains(&cmd.name) {
            return Held::everything(&sh.store);
        }
        let n = args.len() as i32;
        let last = if last < 0 { n + last } else { last.min(n - 1) };
        let mut k = first;
        while k <= last {
            wanted.push((db, dbs[db].shard_of(&args[k as usize])));
            k += step;
        }
    }
    wanted
}

/// `EXEC`.
pub fn exec(ex: &mut Exec<'_>, _a: &[Arg<'_>]) -> Result<(), Cow<'static, str>> {
    let Some(conn) = ex.conn.as_deref_mut().filter(|c| c.queueing()) else {
        return Err("ERR EXEC without MULTI".into());
    };
    let State::Queueing(queue) = std::mem::take(&mut conn.state) else { unreachable!("checked above") };
    let watched = std::mem::take(&mut conn.watched);
    let outcome = run_queue(ex, &queue, &watched);
    release(&ex.sh.store, watched);
    if let Some(conn) = ex.conn.as_deref_mut() {
        conn.spare = queue.cleared();
    }
    outcome
}

/// Runs a transaction's queue as one unit, or answers why not.
fn run_queue(ex: &mut Exec<'_>, queue: &Queue, watched: &[Watched]) -> Result<(), Cow<'static, str>> {
    let sh = ex.sh;
    let counters = &sh.stats.transactions;
    if queue.refused {
        counters.aborted.fetch_add(1, Ordering::Relaxed);
        return Err(EXECABORT.into());
    }
    let args = queue.args();
    let commands = queue.commands(&args);
    let held = Held::lock(&sh.store, lock_set(sh, ex.db, commands.clone(), watched));
    // The transaction's commands run at the time of its `EXEC`, as in
    // Redis.
    let now = ex.now;
    let changed = watched.iter().any(|w| {
        let mut s = View::new(&sh.store, w.db, Some(&held)).lock(&w.key);
        s.expire_if_due(&w.key, now);
        s.version(&w.key) != w.version
    });
    if changed {
        counters.watch_failed.fetch_add(1, Ordering::Relaxed);
        ex.out.null_array();
        return Ok(());
    }
    resp::array(ex.out, queue.len());
    let mut inner = Exec::in_transaction(sh, ex.out, ex.db, ex.meta, now, &held);
    // SUBSCRIBE and its kin run inside, as in Redis.
    inner.pubsub = ex.pubsub.as_deref_mut();
    for (i, c) in commands {
        inner.run_command(i, c);
    }
    let records = inner.records.take();
    let db = inner.db;
    // Blocked clients are served once the transaction is over.
    let ready = std::mem::take(&mut inner.ready);
    drop(inner);
    ex.ready.extend(ready);
    if let (Some(aof), Some(r)) = (&sh.aof, records) {
        if !r.buf.is_empty() {
            ex.seq = aof.append_unit(r.start_db, r.db, |buf| {
                resp::command(buf, &[&b"MULTI"[..]]);
                buf.extend_from_slice(&r.buf);
                resp::command(buf, &[&b"EXEC"[..]]);
            });
        }
    }
    // The shards are unlocked once the log holds the records (when `held`
    // goes), so the log orders transactions as memory does.
    drop(held);
    if db != ex.db {
        ex.db = db;
        if let Some(meta) = ex.meta {
            meta.db.store(db, Ordering::Relaxed);
        }
    }
    counters.executed.fetch_add(1, Ordering::Relaxed);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::ClientMeta;
    use crate::reply::Reply;
    use crate::store::SHARDS;
    use crate::{Kv, Options};

    fn meta() -> ClientMeta {
        ClientMeta::for_tests()
    }

    /// Runs `commands` on one connection with transaction state `conn`;
    /// the replies' text.
    fn run(kv: &Kv, conn: &mut Conn, commands: &[&[&str]]) -> String {
        let meta = meta();
        let mut out = Reply::default();
        {
            let mut ex = Exec::new(&kv.shared, &mut out, 0, &meta).with_conn(conn);
            for c in commands {
                let args: Vec<Arg<'_>> = c.iter().map(|a| Cow::Borrowed(a.as_bytes())).collect();
                ex.run(&args);
            }
        }
        String::from_utf8(out.to_vec()).unwrap()
    }

    fn args<'a>(c: &[&'a str]) -> Vec<Arg<'a>> {
        c.iter().map(|a| Cow::Borrowed(a.as_bytes())).collect()
    }

    #[test]
    fn a_connection_moves_between_idle_and_queueing() {
        let kv = Kv::new(Options::default()).unwrap();
        let mut conn = Conn::default();
        assert!(!conn.queueing());
        assert_eq!(run(&kv, &mut conn, &[&["MULTI"], &["SET", "a", "1"]]), "+OK\r\n+QUEUED\r\n");
        assert!(conn.queueing());
        assert_eq!(run(&kv, &mut conn, &[&["GET", "a"]]), "+QUEUED\r\n", "the queue lasts across batches");
        assert_eq!(run(&kv, &mut conn, &[&["EXEC"]]), "*2\r\n+OK\r\n$1\r\n1\r\n");
        assert!(!conn.queueing());
        run(&kv, &mut conn, &[&["MULTI"], &["NOSUCH"]]);
        assert!(matches!(&conn.state, State::Queueing(q) if q.refused && q.len() == 0));
        run(&kv, &mut conn, &[&["DISCARD"]]);
        assert!(matches!(conn.state, State::Idle));
    }

    #[test]
    fn watched_keys_are_registered_once_and_released_by_exec_discard_and_close() {
        let kv = Kv::new(Options::default()).unwrap();
        let store = &kv.shared.store;
        // Only a registered key has a version that changes count.
        let registered = |key: &[u8]| {
            let mut s = store.dbs[0].lock(key);
            s.insert(key, Bytes::new(b"x"), crate::store::Ttl::Keep);
            let bumped = s.version(key) > 0;
            s.remove(key);
            bumped
        };
        let mut conn = Conn::default();
        run(&kv, &mut conn, &[&["WATCH", "a", "a", "b"]]);
        assert_eq!(conn.watched.len(), 2);
        assert!(registered(b"a") && registered(b"b"));
        run(&kv, &mut conn, &[&["MULTI"], &["EXEC"]]);
        assert!(conn.watched.is_empty());
        assert!(!registered(b"a"), "EXEC released the watch");
        run(&kv, &mut conn, &[&["WATCH", "a"], &["MULTI"], &["DISCARD"]]);
        assert!(!registered(b"a"), "DISCARD released the watch");
        run(&kv, &mut conn, &[&["WATCH", "a"]]);
        conn.release(store);
        assert!(!registered(b"a"), "a closing connection releases its watches");
    }

    #[test]
    fn the_lock_set_follows_key_specs_select_and_whole_keyspace_commands() {
        let kv = Kv::new(Options { databases: 4, ..Options::default() }).unwrap();
        let sh = &*kv.shared;
        let shard = |db: usize, k: &str| (db, sh.store.dbs[db].shard_of(k.as_bytes()));
        let set = |cmds: &[&[&str]]| {
            let cmds: Vec<Vec<Arg<'_>>> = cmds.iter().map(|c| args(c)).collect();
            let found = cmds.iter().map(|c| (sh.table.find(&c[0]).expect("a known command"), &c[..]));
            let mut s = lock_set(sh, 0, found, &[]);
            s.sort_unstable();
            s.dedup();
            s
        };
        let mut want = vec![shard(0, "a"), shard(0, "b"), shard(0, "c"), shard(2, "d")];
        want.sort_unstable();
        want.dedup();
        assert_eq!(
            set(&[&["SET", "a", "1"], &["MSET", "b", "1", "c", "2"], &["PING"], &["SELECT", "2"], &["GET", "d"]]),
            want
        );
        assert_eq!(set(&[&["SELECT", "9"], &["GET", "a"]]), vec![shard(0, "a")], "a failing SELECT stays");
        for walker in [&["KEYS", "*"][..], &["DBSIZE"], &["FLUSHALL"], &["INFO"], &["SCAN", "0"]] {
            assert_eq!(set(&[&["GET", "a"], walker]).len(), 4 * SHARDS, "{walker:?}");
        }
        let watched = [Watched { db: 3, key: Bytes::new(b"w"), version: 0 }];
        assert_eq!(lock_set(sh, 0, std::iter::empty(), &watched), vec![shard(3, "w")]);
    }

    #[test]
    fn a_transaction_of_whole_keyspace_commands_runs_on_the_shards_it_holds() {
        let kv = Kv::new(Options::default()).unwrap();
        let mut conn = Conn::default();
        let out = run(
            &kv,
            &mut conn,
            &[
                &["MULTI"],
                &["SET", "a", "1"],
                &["INFO", "keyspace"],
                &["DBSIZE"],
                &["RANDOMKEY"],
                &["FLUSHALL"],
                &["DBSIZE"],
                &["EXEC"],
            ],
        );
        assert!(out.ends_with("+OK\r\n:0\r\n"), "{out}");
        assert!(out.contains("db0:keys=1,expires=0"), "{out}");
        assert!(out.contains(":1\r\n$1\r\na\r\n"), "{out}");
    }
}
