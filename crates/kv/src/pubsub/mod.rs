//! Pub/sub: `SUBSCRIBE`, `UNSUBSCRIBE`, `PSUBSCRIBE`, `PUNSUBSCRIBE`,
//! `PUBLISH` and `PUBSUB`, with Redis 7's replies under RESP2 and RESP3.
//!
//! The [`Registry`] maps channels to their subscribers in shards (by the
//! channel's hash, each behind its own lock), and holds the patterns in one
//! list (they are few, and every publish must try each). A subscriber is
//! its [`ClientMeta`]: the engine's connection id, to send to, and the
//! protocol it speaks now, to encode for.
//!
//! Delivery goes through the engine ([`Control::send_many`]): a message is
//! encoded once per protocol, and each I/O loop that owns subscribers gets
//! one note for all of them. Order, the invariants:
//!
//! - A publisher posts its messages while it holds the lock that lists the
//!   subscribers (a shard's read lock), and a subscriber posts its
//!   confirmation while it holds the same lock for writing. So every
//!   message that a subscription lets through comes after its
//!   confirmation, and every message before an unsubscription's; and one
//!   publisher's messages reach each subscriber in the order published
//!   (one queue per loop).
//! - A confirmation travels as a note, and so do the replies that follow
//!   it in the same call ([`Conn`] diverts them); the engine puts notes
//!   that arrive while a call is out behind that call's output. A client
//!   thus reads its replies and the messages in the order they happened,
//!   whichever thread published.

mod registry;

use std::collections::HashSet;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

use switchyard_codec::resp;
use switchyard_engine::{ConnId, Control, OutputClass, OutputLimits};

pub(crate) use registry::Registry;

use crate::client::ClientMeta;
use crate::command::{is, Arg, Exec, Outcome};
use crate::reply::Reply;
use registry::encode_confirmation;

/// One class of Redis's `client-output-buffer-limit`: the output a client
/// of the class may hold at once, and above the soft limit for how long
/// (0 turns a limit off). Written as Redis writes it: `32mb 8mb 60`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BufferLimit {
    /// Bytes past which the client is closed at once.
    pub hard_bytes: u64,
    /// Bytes the client may hold for at most `soft_seconds`.
    pub soft_bytes: u64,
    /// How long the client may stay above `soft_bytes`.
    pub soft_seconds: u64,
}

impl BufferLimit {
    /// Redis's default for the `pubsub` class: hard 32 MiB, soft 8 MiB for
    /// 60 seconds.
    pub const PUBSUB: BufferLimit = BufferLimit { hard_bytes: 32 << 20, soft_bytes: 8 << 20, soft_seconds: 60 };

    pub(crate) fn as_tuple(self) -> (u64, u64, u64) {
        (self.hard_bytes, self.soft_bytes, self.soft_seconds)
    }
}

impl std::str::FromStr for BufferLimit {
    type Err = String;

    /// `HARD SOFT SECONDS`, sizes with Redis's units (`kb`, `mb`, `gb` are
    /// powers of 1024; `k`, `m`, `g` of 1000).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let words: Vec<&str> = s.split_ascii_whitespace().collect();
        let bad = || format!("`{s}` is not HARD SOFT SECONDS (e.g. `32mb 8mb 60`)");
        let [hard, soft, secs] = words[..] else { return Err(bad()) };
        let size = |w: &str| crate::command::memory(w.as_bytes()).ok_or_else(bad);
        Ok(BufferLimit {
            hard_bytes: size(hard)?,
            soft_bytes: size(soft)?,
            soft_seconds: secs.parse().map_err(|_| bad())?,
        })
    }
}

impl std::fmt::Display for BufferLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} {}", self.hard_bytes, self.soft_bytes, self.soft_seconds)
    }
}

/// The engine's limits for a `client-output-buffer-limit pubsub` setting.
pub(crate) fn output_limits((hard, soft, secs): (u64, u64, u64)) -> OutputLimits {
    OutputLimits {
        hard_bytes: hard as usize,
        soft_bytes: soft as usize,
        soft_time: std::time::Duration::from_secs(secs),
        total_bytes: 0,
    }
}

/// Applies a `client-output-buffer-limit pubsub` setting to the engine.
pub(crate) fn apply_limits(control: &Control, limits: (u64, u64, u64)) {
    control.set_output_limits_of(OutputClass::Subscriber, output_limits(limits));
}

/// A connection's subscriptions, and where its replies go meanwhile.
#[derive(Default)]
pub(crate) struct Conn {
    /// The connection, as the registry lists it; `None` in unit tests.
    me: Option<Arc<ClientMeta>>,
    channels: HashSet<Vec<u8>>,
    /// In subscription order, as Redis lists them.
    patterns: Vec<Vec<u8>>,
    /// While a call sends its replies as notes (from its first
    /// confirmation on): the replies it made before, which go out as the
    /// call's own output, ahead of the notes.
    diverted: Option<Reply>,
    /// The connection is held to the subscriber output limits.
    subscriber_class: bool,
}

impl Conn {
    /// The subscriptions of the connection `me`.
    pub fn new(me: Arc<ClientMeta>) -> Conn {
        Conn { me: Some(me), ..Conn::default() }
    }

    /// Channels and patterns subscribed to: the count confirmations show.
    fn count(&self) -> usize {
        self.channels.len() + self.patterns.len()
    }

    /// Subscribed to anything (Redis's `CLIENT_PUBSUB` flag).
    pub fn subscribed(&self) -> bool {
        self.count() > 0
    }

    /// Ends a call: sends what it replied since its replies were diverted
    /// and puts back those it made before, and chooses the connection's
    /// output class. Returns the class if it changed.
    pub fn finish_call(&mut self, sh: &crate::Shared, me: &ClientMeta, out: &mut Reply) -> Option<OutputClass> {
        if let Some(mut before) = self.diverted.take() {
            if let (Some(control), Some(id)) = (sh.control.get(), me.conn) {
                let rest = out.take_bytes();
                if !rest.is_empty() {
                    control.send(id, rest);
                }
            }
            before.protocol = out.protocol;
            std::mem::swap(out, &mut before);
        }
        let subscriber = self.subscribed();
        if subscriber == self.subscriber_class {
            return None;
        }
        self.subscriber_class = subscriber;
        Some(if subscriber { OutputClass::Subscriber } else { OutputClass::Normal })
    }

    /// Forgets every subscription, telling nobody (a closed connection).
    pub fn drop_all(&mut self, registry: &Registry) {
        let Some(me) = self.me.clone() else { return };
        let me = &*me;
        for channel in self.channels.drain() {
            registry.remove_channel(&channel, me, || {});
        }
        for pattern in self.patterns.drain(..) {
            registry.remove_pattern(&pattern, me, || {});
        }
        publish_counts(me, 0, 0);
    }
}

fn publish_counts(me: &ClientMeta, channels: usize, patterns: usize) {
    me.channels.store(channels, Relaxed);
    me.patterns.store(patterns, Relaxed);
}

/// The commands a RESP2 connection may run while subscribed.
pub(crate) fn allowed_while_subscribed(name: &str) -> bool {
    matches!(
        name,
        "ping"
            | "subscribe"
            | "ssubscribe"
            | "unsubscribe"
            | "sunsubscribe"
            | "psubscribe"
            | "punsubscribe"
            | "quit"
            | "reset"
    )
}

/// Where a pub/sub command's confirmations go: through the engine as
/// notes (so that they are ordered with the messages), or into the reply
/// when there is no engine (unit tests).
struct Sink<'e> {
    control: Option<(&'e Control, ConnId)>,
}

impl<'e> Sink<'e> {
    /// Starts diverting the call's replies, and sends those made since.
    /// Inside `EXEC` the confirmations go into its reply, as in Redis.
    fn open(ex: &mut Exec<'e>, conn: &mut Conn) -> Sink<'e> {
        let me = ex.meta.expect("a connection");
        let control = ex.sh.control.get().zip(me.conn).filter(|_| ex.records.is_none());
        if let Some((control, id)) = control {
            match conn.diverted {
                None => {
                    let protocol = ex.out.protocol;
                    conn.diverted = Some(std::mem::take(&mut *ex.out));
                    ex.out.protocol = protocol;
                }
                Some(_) => {
                    let since = ex.out.take_bytes();
                    if !since.is_empty() {
                        control.send(id, since);
                    }
                }
            }
        }
        Sink { control }
    }

    fn confirm(&self, out: &mut Reply, kind: &str, name: Option<&[u8]>, count: usize) {
        let protocol = out.protocol;
        match self.control {
            Some((control, id)) => {
                let mut buf = Vec::with_capacity(32 + name.map_or(0, <[u8]>::len));
                encode_confirmation(&mut buf, protocol, kind, name, count);
                control.send(id, buf);
            }
            None => encode_confirmation(out, protocol, kind, name, count),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Channel,
    Pattern,
}

impl Kind {
    fn words(self) -> (&'static str, &'static str) {
        match self {
            Kind::Channel => ("subscribe", "unsubscribe"),
            Kind::Pattern => ("psubscribe", "punsubscribe"),
        }
    }
}

/// The answer to a subscription without a connection to deliver to (the
/// log's replay, which never holds one, and unit tests).
const NO_CONNECTION: &str = "ERR pub/sub needs a client connection";

/// Runs `f` with the connection's subscriptions, which only a connection's
/// own calls have (not the log's replay).
fn with_conn(ex: &mut Exec<'_>, f: impl FnOnce(&mut Exec<'_>, &mut Conn, &Arc<ClientMeta>)) -> Outcome {
    let Some(conn) = ex.pubsub.take() else {
        return Err(NO_CONNECTION.into());
    };
    let Some(me) = conn.me.clone() else {
        ex.pubsub = Some(conn);
        return Err(NO_CONNECTION.into());
    };
    f(ex, conn, &me);
    publish_counts(&me, conn.channels.len(), conn.patterns.len());
    ex.pubsub = Some(conn);
    Ok(())
}

/// `SUBSCRIBE channel [channel ...]`.
pub(crate) fn subscribe(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    subscribe_each(ex, a, Kind::Channel)
}

/// `PSUBSCRIBE pattern [pattern ...]`.
pub(crate) fn psubscribe(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    subscribe_each(ex, a, Kind::Pattern)
}

/// `UNSUBSCRIBE [channel ...]`.
pub(crate) fn unsubscribe(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    unsubscribe_each(ex, a, Kind::Channel)
}

/// `PUNSUBSCRIBE [pattern ...]`.
pub(crate) fn punsubscribe(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    unsubscribe_each(ex, a, Kind::Pattern)
}

fn subscribe_each(ex: &mut Exec<'_>, a: &[Arg<'_>], kind: Kind) -> Outcome {
    with_conn(ex, |ex, conn, me| {
        let sink = Sink::open(ex, conn);
        let sh = ex.sh;
        let (word, _) = kind.words();
        for name in &a[1..] {
            let name: &[u8] = name;
            let new = match kind {
                Kind::Channel => conn.channels.insert(name.to_vec()),
                Kind::Pattern if conn.patterns.iter().any(|p| p[..] == *name) => false,
                Kind::Pattern => {
                    conn.patterns.push(name.to_vec());
                    true
                }
            };
            let count = conn.count();
            let out = &mut *ex.out;
            let mut confirm = || sink.confirm(out, word, Some(name), count);
            match (new, kind) {
                (false, _) => confirm(),
                (true, Kind::Channel) => sh.pubsub.add_channel(name, me, confirm),
                (true, Kind::Pattern) => sh.pubsub.add_pattern(name, me, confirm),
            }
        }
    })
}

fn unsubscribe_each(ex: &mut Exec<'_>, a: &[Arg<'_>], kind: Kind) -> Outcome {
    with_conn(ex, |ex, conn, me| {
        let sink = Sink::open(ex, conn);
        let sh = ex.sh;
        let (_, word) = kind.words();
        let names: Vec<Vec<u8>> = match (a.len(), kind) {
            (1, Kind::Channel) => conn.channels.iter().cloned().collect(),
            (1, Kind::Pattern) => conn.patterns.clone(),
            _ => a[1..].iter().map(|n| n.to_vec()).collect(),
        };
        if names.is_empty() {
            // Nothing to leave: Redis still confirms, with a null name.
            sink.confirm(ex.out, word, None, conn.count());
            return;
        }
        for name in &names {
            let name: &[u8] = name;
            let was = match kind {
                Kind::Channel => conn.channels.remove(name),
                Kind::Pattern => match conn.patterns.iter().position(|p| p[..] == *name) {
                    Some(i) => {
                        conn.patterns.remove(i);
                        true
                    }
                    None => false,
                },
            };
            let count = conn.count();
            let out = &mut *ex.out;
            let mut confirm = || sink.confirm(out, word, Some(name), count);
            match (was, kind) {
                (false, _) => confirm(),
                (true, Kind::Channel) => sh.pubsub.remove_channel(name, me, confirm),
                (true, Kind::Pattern) => sh.pubsub.remove_pattern(name, me, confirm),
            }
        }
    })
}

/// Leaves every channel and pattern without a confirmation (`RESET`);
/// what the call replies from here on goes after every message sent
/// before.
pub(crate) fn leave_all(ex: &mut Exec<'_>) {
    let Some(conn) = ex.pubsub.take() else { return };
    if conn.subscribed() {
        Sink::open(ex, conn);
        conn.drop_all(&ex.sh.pubsub);
    }
    ex.pubsub = Some(conn);
}

/// `PUBLISH channel message`: the number of receivers. A subscribed
/// publisher's own copy comes before this reply, as in Redis.
pub(crate) fn publish(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    if let Some(conn) = ex.pubsub.take() {
        if conn.subscribed() {
            Sink::open(ex, conn);
        }
        ex.pubsub = Some(conn);
    }
    let n = ex.sh.pubsub.publish(ex.sh.control.get(), &a[1], &a[2]);
    ex.int(n as i64)
}

const PUBSUB_HELP: &[&str] = &[
    "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CHANNELS [<pattern>]",
    "    Return the currently active channels matching a <pattern> (default: '*').",
    "NUMPAT",
    "    Return number of subscriptions to patterns.",
    "NUMSUB [<channel> ...]",
    "    Return the number of subscribers for the specified channels, excluding",
    "    pattern subscriptions(default: no channels).",
    "SHARDCHANNELS [<pattern>]",
    "    Return the currently active shard level channels matching a <pattern> (default: '*').",
    "SHARDNUMSUB [<shardchannel> ...]",
    "    Return the number of subscribers for the specified shard level channel(s)",
    "HELP",
    "    Prints this help.",
];

/// `PUBSUB CHANNELS [pattern] | NUMSUB [channel ...] | NUMPAT |
/// SHARDCHANNELS [pattern] | SHARDNUMSUB [channel ...] | HELP`. kv has no
/// shard channels: those two answer as a Redis without any.
pub(crate) fn pubsub(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let sub = &a[1];
    let registry = &ex.sh.pubsub;
    if is(sub, "help") && a.len() == 2 {
        resp::array(ex.out, PUBSUB_HELP.len());
        for line in PUBSUB_HELP {
            resp::simple(ex.out, line);
        }
    } else if is(sub, "channels") && (a.len() == 2 || a.len() == 3) {
        let channels = registry.channels_matching(a.get(2).map(|p| &p[..]));
        resp::array(ex.out, channels.len());
        for c in channels {
            resp::bulk(ex.out, &c);
        }
    } else if is(sub, "numsub") && a.len() >= 2 {
        resp::array(ex.out, (a.len() - 2) * 2);
        for c in &a[2..] {
            resp::bulk(ex.out, c);
            resp::integer(ex.out, registry.subscribers_of(c) as i64);
        }
    } else if is(sub, "numpat") && a.len() == 2 {
        resp::integer(ex.out, registry.pattern_count() as i64);
    } else if is(sub, "shardchannels") && (a.len() == 2 || a.len() == 3) {
        resp::array(ex.out, 0);
    } else if is(sub, "shardnumsub") && a.len() >= 2 {
        resp::array(ex.out, (a.len() - 2) * 2);
        for c in &a[2..] {
            resp::bulk(ex.out, c);
            resp::integer(ex.out, 0);
        }
    } else {
        return Err(crate::command::unknown_subcommand("pubsub", sub));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffer_limits_read_as_redis_writes_them_and_print_in_bytes() {
        let limit: BufferLimit = "32mb 8mb 60".parse().unwrap();
        assert_eq!(limit, BufferLimit::PUBSUB);
        assert_eq!(limit.to_string(), "33554432 8388608 60");
        assert_eq!("1k 0 0".parse(), Ok(BufferLimit { hard_bytes: 1000, soft_bytes: 0, soft_seconds: 0 }));
        for bad in ["", "32mb 8mb", "32mb 8mb 60 1", "x 8mb 60", "32mb 8mb -1", "32mb 8mb 1s"] {
            assert!(bad.parse::<BufferLimit>().is_err(), "{bad:?}");
        }
    }
}
