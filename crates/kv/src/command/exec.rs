//! The executor: where a command runs (the store, the selected database,
//! the reply buffer, the transaction), and its locking and logging.

use std::borrow::Cow;
use std::sync::atomic::Ordering;

use switchyard_codec::resp;

use super::{is, trunc, Arg, Command, Outcome, COMMANDS, OOM};
use crate::client::ClientMeta;
use crate::commandstats::{Call, Tally};
use crate::multi::{self, Records};
use crate::reply::Reply;
use crate::store::{Lend, Shard, View};
use crate::types::Value;
use crate::{now_ms, Shared};

/// Where commands run: the store, the selected database, the replies.
pub struct Exec<'a> {
    pub(crate) sh: &'a Shared,
    /// Replies go here.
    pub out: &'a mut Reply,
    /// The selected database.
    pub db: usize,
    /// The connection, or `None` while replaying the log.
    pub(crate) meta: Option<&'a ClientMeta>,
    /// The time the command runs at, Unix milliseconds.
    pub(crate) now: u64,
    /// Sequence number of the last log record appended, 0 if none.
    pub seq: u64,
    /// `QUIT` ran: close after the replies.
    pub quit: bool,
    /// This batch's per-command counts, added to the shared ones when the
    /// command changes and on drop.
    pub(super) tally: Tally,
    /// The connection's transaction state (`MULTI`, `WATCH`); `None` for
    /// log replay and inside `EXEC`.
    pub(crate) conn: Option<&'a mut multi::Conn>,
    /// Inside `EXEC`: the shards the transaction holds.
    pub(super) held: Option<&'a dyn Lend>,
    /// Inside `EXEC`: the log records of its commands, appended as one
    /// unit when it ends.
    pub(crate) records: Option<Records>,
    /// A blocking pop found nothing: the connection waits for this.
    pub(crate) block: Option<crate::blocking::Block>,
    /// Keys written that have blocked waiters, (database, key): served
    /// once the command (or the transaction) is over.
    pub(crate) ready: Vec<(usize, crate::bytes::Bytes)>,
    /// The connection's subscriptions; `None` for log replay.
    pub(crate) pubsub: Option<&'a mut crate::pubsub::Conn>,
}

/// Encodes the current state of `key` as one log record: `SET` with its
/// expiry, or `DEL` if it is gone; for a collection (whose elements are
/// logged by its own commands), its expiry: `PEXPIREAT` or `PERSIST`.
fn record(buf: &mut Vec<u8>, shard: &Shard, key: &[u8], value: Option<&Value>) {
    match (value, shard.expire_at(key)) {
        (Some(Value::Str(v)), Some(at)) => {
            let mut n = Vec::with_capacity(20);
            resp::push_decimal(&mut n, at as i64);
            resp::command(buf, &[&b"SET"[..], key, v, b"PXAT", &n]);
        }
        (Some(Value::Str(v)), None) => resp::command(buf, &[&b"SET"[..], key, v]),
        (Some(_), Some(at)) => {
            let mut n = Vec::with_capacity(20);
            resp::push_decimal(&mut n, at as i64);
            resp::command(buf, &[&b"PEXPIREAT"[..], key, &n]);
        }
        (Some(_), None) => resp::command(buf, &[&b"PERSIST"[..], key]),
        (None, _) => resp::command(buf, &[&b"DEL"[..], key]),
    }
}

impl<'a> Exec<'a> {
    /// An `Exec` for a connection, at the time now.
    #[cfg(test)]
    pub fn new(sh: &'a Shared, out: &'a mut Reply, db: usize, meta: &'a ClientMeta) -> Exec<'a> {
        Exec::base(sh, out, db, Some(meta), now_ms())
    }

    /// An `Exec` for a connection's call that began at `began` (as the
    /// engine read the clock): its commands run at that time and are timed
    /// from it, without clock readings of their own.
    pub fn for_call(
        sh: &'a Shared,
        out: &'a mut Reply,
        db: usize,
        meta: &'a ClientMeta,
        began: std::time::Instant,
    ) -> Exec<'a> {
        let mut ex = Exec::base(sh, out, db, Some(meta), crate::wall_ms_at(began));
        ex.tally = Tally::starting_at(began);
        ex
    }

    /// Adds the batch's counts to the shared ones; returns when it ended,
    /// if the clock was read for it (a batch ran a command).
    pub fn finish(&mut self) -> Option<std::time::Instant> {
        self.tally.finish(&self.sh.stats.calls)
    }

    /// An `Exec` for log replay: no logging, no memory limit.
    pub fn replaying(sh: &'a Shared, out: &'a mut Reply, db: usize) -> Exec<'a> {
        Exec::base(sh, out, db, None, now_ms())
    }

    /// An `Exec` for the commands of a transaction, at time `now` (Unix
    /// ms), on the shards `held` locks; their log records are collected in
    /// [`Exec::records`].
    pub(crate) fn in_transaction(
        sh: &'a Shared,
        out: &'a mut Reply,
        db: usize,
        meta: Option<&'a ClientMeta>,
        now: u64,
        held: &'a dyn Lend,
    ) -> Exec<'a> {
        let mut ex = Exec::base(sh, out, db, meta, now);
        ex.held = Some(held);
        ex.records = Some(Records::new(db));
        ex
    }

    fn base(sh: &'a Shared, out: &'a mut Reply, db: usize, meta: Option<&'a ClientMeta>, now: u64) -> Exec<'a> {
        Exec {
            sh,
            out,
            db,
            meta,
            now,
            seq: 0,
            quit: false,
            tally: Tally::default(),
            conn: None,
            held: None,
            records: None,
            block: None,
            ready: Vec::new(),
            pubsub: None,
        }
    }

    /// A blocking command may block here: a connection's own command, not
    /// inside `EXEC` nor replayed from the log (where it acts as its
    /// non-blocking form).
    pub(crate) fn may_block(&self) -> bool {
        self.held.is_none() && self.meta.is_some() && self.conn.is_some()
    }

    /// Gives the commands the connection's subscriptions.
    pub(crate) fn with_pubsub(mut self, conn: &'a mut crate::pubsub::Conn) -> Exec<'a> {
        self.pubsub = Some(conn);
        self
    }

    /// Gives the commands the connection's transaction state.
    pub(crate) fn with_conn(mut self, conn: &'a mut multi::Conn) -> Exec<'a> {
        self.conn = Some(conn);
        self
    }

    /// The connection is between `MULTI` and `EXEC`.
    fn queueing(&self) -> bool {
        self.conn.as_ref().is_some_and(|c| c.queueing())
    }

    /// Runs one command and appends its reply. Calls from a connection
    /// count in the command's stats; calls replayed from the log do not,
    /// as in Redis.
    pub fn run(&mut self, args: &[Arg<'_>]) {
        let Some(i) = self.sh.table.find(&args[0]) else {
            let mut msg = format!("ERR unknown command '{}', with args beginning with: ", trunc(&args[0]));
            for a in &args[1..] {
                msg.push_str(&format!("'{}' ", trunc(a)));
            }
            if let Some(conn) = self.conn.as_deref_mut() {
                conn.refused();
            }
            return resp::error(self.out, &msg);
        };
        self.run_command(i, args);
    }

    /// Runs command `i` of [`COMMANDS`], already found for `args[0]`.
    pub(crate) fn run_command(&mut self, i: usize, args: &[Arg<'_>]) {
        if self.meta.is_none() {
            self.call(i, args);
            return;
        }
        if self.queueing() && !multi::runs_at_once(COMMANDS[i].name) {
            // Queued commands count when `EXEC` runs them, so queueing
            // one starts no run of its own (and reads no clock): its time
            // goes to the run before it, as parsing time does. A refusal
            // counts as one.
            let outcome = self.call(i, args);
            if outcome != Call::Queued {
                self.tally.start(i, &self.sh.stats.calls);
                self.tally.end(outcome);
            }
            return;
        }
        self.tally.start(i, &self.sh.stats.calls);
        let outcome = self.call(i, args);
        self.tally.end(outcome);
        if outcome == Call::Done && self.sh.blocking.blocked() > 0 && COMMANDS[i].flags.contains(&"write") {
            self.note_written(i, args);
        }
        // Waiters are served once the command is over; inside EXEC, once
        // the transaction is (see `multi::exec`).
        if !self.ready.is_empty() && self.held.is_none() {
            crate::blocking::serve(self);
        }
    }

    /// Notes the keys command `i` wrote (its key spec's) that blocked
    /// clients wait on.
    fn note_written(&mut self, i: usize, args: &[Arg<'_>]) {
        let (first, last, step) = COMMANDS[i].keys;
        if first <= 0 || step <= 0 {
            return;
        }
        let n = args.len() as i32;
        let last = if last < 0 { n + last } else { last.min(n - 1) };
        let mut k = first;
        while k <= last {
            let key = &args[k as usize];
            if self.sh.blocking.may_wait_on(self.db, key) {
                self.ready.push((self.db, crate::bytes::Bytes::new(key)));
            }
            k += step;
        }
    }

    /// Checks and runs command `i`, or queues it between `MULTI` and
    /// `EXEC`.
    fn call(&mut self, i: usize, args: &[Arg<'_>]) -> Call {
        let cmd = &COMMANDS[i];
        if let Some(meta) = self.meta {
            meta.last_cmd.store(i, Ordering::Relaxed);
        }
        if let Err(refusal) = self.check(cmd, args) {
            if cmd.name == "exec" && self.queueing() {
                multi::abort(self, &refusal);
                return Call::Rejected;
            }
            resp::error(self.out, &refusal);
            if let Some(conn) = self.conn.as_deref_mut() {
                conn.refused();
            }
            return Call::Rejected;
        }
        if self.queueing() && !multi::runs_at_once(cmd.name) {
            return multi::queue(self, i, args);
        }
        match (cmd.run)(self, args) {
            Ok(()) => Call::Done,
            Err(e) => {
                resp::error(self.out, &e);
                Call::Failed
            }
        }
    }

    /// Whether command `cmd` may run with `args` (Redis's checks before a
    /// command runs or is queued): the refusal's error text if not.
    fn check(&self, cmd: &Command, args: &[Arg<'_>]) -> Result<(), Cow<'static, str>> {
        let n = args.len() as i32;
        if (cmd.arity > 0 && n != cmd.arity) || n < -cmd.arity {
            return Err(format!("ERR wrong number of arguments for '{}' command", cmd.name).into());
        }
        if !cmd.subcommands.is_empty() && n >= 2 {
            if let Some(&(sub, arity)) = cmd.subcommands.iter().find(|(s, _)| is(&args[1], s)) {
                if (arity > 0 && n != arity) || n < -arity {
                    return Err(format!("ERR wrong number of arguments for '{}|{}' command", cmd.name, sub).into());
                }
            }
        }
        if let Some(meta) = self.meta {
            if !meta.authenticated.load(Ordering::Relaxed) && !cmd.flags.contains(&"no_auth") && cmd.name != "quit" {
                return Err(crate::auth::NOAUTH.into());
            }
        }
        if self.meta.is_some() && cmd.denies_oom() {
            let max = self.sh.maxmemory.load(Ordering::Relaxed);
            if max > 0 && self.sh.store.used_memory() > max {
                return Err(OOM.into());
            }
        }
        if self.meta.is_some() && cmd.needs_log() {
            if let Some(why) = self.sh.aof.as_ref().and_then(|aof| aof.failure()) {
                return Err(format!("MISCONF Errors writing to the AOF file: {why}").into());
            }
        }
        // As in Redis, the commands of a transaction are not checked again
        // when EXEC runs them, after a SUBSCRIBE among them.
        if self.records.is_none() && self.resp2_subscribed() && !crate::pubsub::allowed_while_subscribed(cmd.name) {
            let sub = cmd.subcommands.iter().find(|(s, _)| args.get(1).is_some_and(|a| is(a, s)));
            let name = match sub {
                Some((s, _)) => format!("{}|{}", cmd.name, s),
                None => cmd.name.to_string(),
            };
            return Err(format!(
                "ERR Can't execute '{name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"
            )
            .into());
        }
        Ok(())
    }

    /// A RESP2 connection with subscriptions: only (un)subscribing, `PING`
    /// and `QUIT` may run, as in Redis.
    pub(crate) fn resp2_subscribed(&self) -> bool {
        self.out.protocol == crate::reply::Protocol::Resp2 && self.pubsub.as_ref().is_some_and(|c| c.subscribed())
    }

    /// The selected database, through the transaction's locks if any.
    pub(crate) fn db(&self) -> View<'a> {
        self.view(self.db)
    }

    /// Database `n`, through the transaction's locks if any.
    pub(super) fn view(&self, n: usize) -> View<'a> {
        View::new(&self.sh.store, n, self.held)
    }

    /// Appends records to the log, unless replaying or logging is off;
    /// inside `EXEC`, to the transaction's records.
    pub(crate) fn log(&mut self, write: impl FnOnce(&mut Vec<u8>)) {
        self.log_in(self.db, write);
    }

    /// [`Exec::log`] for records of database `db`.
    pub(crate) fn log_in(&mut self, db: usize, write: impl FnOnce(&mut Vec<u8>)) {
        if self.meta.is_none() {
            return;
        }
        if let Some(records) = &mut self.records {
            if self.sh.aof.is_some() {
                records.push(db, write);
            }
            return;
        }
        if let Some(aof) = &self.sh.aof {
            self.seq = aof.append(db, write);
        }
    }

    /// Appends `relative` records to the log, or `absolute` ones while a
    /// rewrite collects records (see [`crate::aof::Aof::append_during`]).
    pub(crate) fn log_either(&mut self, relative: impl FnOnce(&mut Vec<u8>), absolute: impl FnOnce(&mut Vec<u8>)) {
        if self.meta.is_none() {
            return;
        }
        if self.records.is_some() {
            // Inside EXEC the records are appended later, as one unit,
            // when a rewrite may have started: the form that is right
            // either way.
            return self.log(absolute);
        }
        if let Some(aof) = &self.sh.aof {
            self.seq =
                aof.append_during(self.db, |buf, rewriting| if rewriting { absolute(buf) } else { relative(buf) });
        }
    }

    /// Logs the state of `key` in `shard`.
    pub(super) fn log_key(&mut self, shard: &Shard, key: &[u8]) {
        if self.meta.is_none() || self.sh.aof.is_none() {
            return;
        }
        let value = shard.stored(key);
        self.log(|buf| record(buf, shard, key, value));
    }

    pub(crate) fn ok(&mut self) -> Outcome {
        resp::simple(self.out, "OK");
        Ok(())
    }

    pub(crate) fn int(&mut self, n: i64) -> Outcome {
        resp::integer(self.out, n);
        Ok(())
    }

    pub(super) fn bulk_or_null(&mut self, v: Option<&[u8]>) -> Outcome {
        match v {
            Some(v) => resp::bulk(self.out, v),
            None => self.out.null(),
        }
        Ok(())
    }

    pub(super) fn max_bulk(&self) -> usize {
        self.sh.max_bulk.load(Ordering::Relaxed)
    }
}

impl Drop for Exec<'_> {
    fn drop(&mut self) {
        self.tally.finish(&self.sh.stats.calls);
    }
}
