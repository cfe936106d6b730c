//! The registry of channels and patterns and their subscribers, and the
//! fan-out of a message to them (see [`super`] for the order it keeps).

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, RwLock};

use switchyard_codec::resp;
use switchyard_engine::{ConnId, Control};

use crate::client::ClientMeta;
use crate::pattern::Glob;
use crate::reply::Protocol;

/// Shards of the channel map: publishers to different channels rarely
/// wait for each other, or for a subscriber.
const SHARDS: usize = 64;

/// Subscribers of one channel or pattern, in subscription order.
type Subscribers = Vec<Arc<ClientMeta>>;

/// Channels with subscribers, of one shard.
type Shard = RwLock<HashMap<Vec<u8>, Subscribers>>;

/// One pattern with subscribers.
struct Pattern {
    text: Vec<u8>,
    glob: Glob,
    subscribers: Subscribers,
}

/// Who listens to what, for the whole server.
pub(crate) struct Registry {
    shards: Box<[Shard]>,
    hasher: RandomState,
    patterns: RwLock<Vec<Pattern>>,
    /// Channels with at least one subscriber.
    channels: AtomicUsize,
    /// Distinct patterns with at least one subscriber; 0 lets a publish
    /// skip the pattern lock.
    pattern_count: AtomicUsize,
    /// Messages handed to subscribers (one per receiver).
    pub delivered: AtomicU64,
    /// Subscribers closed at their output limit.
    pub dropped: AtomicU64,
}

impl Default for Registry {
    fn default() -> Registry {
        Registry {
            shards: (0..SHARDS).map(|_| RwLock::new(HashMap::new())).collect(),
            hasher: RandomState::new(),
            patterns: RwLock::new(Vec::new()),
            channels: AtomicUsize::new(0),
            pattern_count: AtomicUsize::new(0),
            delivered: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
        }
    }
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|e| e.into_inner())
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|e| e.into_inner())
}

fn remove(subs: &mut Subscribers, who: &ClientMeta) {
    if let Some(i) = subs.iter().position(|s| s.id == who.id) {
        subs.remove(i);
    }
}

impl Registry {
    fn shard(&self, channel: &[u8]) -> &Shard {
        &self.shards[self.hasher.hash_one(channel) as usize % SHARDS]
    }

    /// Channels with at least one subscriber (`pubsub_channels`).
    pub fn channel_count(&self) -> usize {
        self.channels.load(Relaxed)
    }

    /// Distinct patterns with at least one subscriber (`pubsub_patterns`).
    pub fn pattern_count(&self) -> usize {
        self.pattern_count.load(Relaxed)
    }

    /// Adds `who` to `channel`'s subscribers, then runs `then` (the
    /// confirmation) before anyone can publish to it there.
    pub(super) fn add_channel(&self, channel: &[u8], who: &Arc<ClientMeta>, then: impl FnOnce()) {
        let mut shard = write(self.shard(channel));
        let subs = shard.entry(channel.to_vec()).or_insert_with(|| {
            self.channels.fetch_add(1, Relaxed);
            Vec::new()
        });
        subs.push(who.clone());
        then();
    }

    /// Removes `who` from `channel`'s subscribers, then runs `then` (the
    /// confirmation) after every message it was listed for.
    pub(super) fn remove_channel(&self, channel: &[u8], who: &ClientMeta, then: impl FnOnce()) {
        let mut shard = write(self.shard(channel));
        if let Some(subs) = shard.get_mut(channel) {
            remove(subs, who);
            if subs.is_empty() {
                shard.remove(channel);
                self.channels.fetch_sub(1, Relaxed);
            }
        }
        then();
    }

    pub(super) fn add_pattern(&self, pattern: &[u8], who: &Arc<ClientMeta>, then: impl FnOnce()) {
        let mut patterns = write(&self.patterns);
        match patterns.iter_mut().find(|p| p.text == pattern) {
            Some(p) => p.subscribers.push(who.clone()),
            None => {
                patterns.push(Pattern {
                    text: pattern.to_vec(),
                    glob: Glob::new(pattern, false),
                    subscribers: vec![who.clone()],
                });
                self.pattern_count.store(patterns.len(), Relaxed);
            }
        }
        then();
    }

    pub(super) fn remove_pattern(&self, pattern: &[u8], who: &ClientMeta, then: impl FnOnce()) {
        let mut patterns = write(&self.patterns);
        if let Some(i) = patterns.iter().position(|p| p.text == pattern) {
            remove(&mut patterns[i].subscribers, who);
            if patterns[i].subscribers.is_empty() {
                patterns.remove(i);
                self.pattern_count.store(patterns.len(), Relaxed);
            }
        }
        then();
    }

    /// Sends `message` to `channel`'s subscribers and to those of every
    /// matching pattern; returns how many receive it (a client subscribed
    /// to the channel and to a matching pattern counts twice, as in
    /// Redis).
    pub fn publish(&self, control: Option<&Control>, channel: &[u8], message: &[u8]) -> usize {
        let mut receivers = 0;
        {
            let shard = read(self.shard(channel));
            if let Some(subs) = shard.get(channel) {
                receivers += subs.len();
                fan_out(control, subs, |p, buf| encode_message(buf, p, channel, message));
            }
        }
        if self.pattern_count.load(Relaxed) > 0 {
            let patterns = read(&self.patterns);
            for p in patterns.iter().filter(|p| p.glob.matches(channel)) {
                receivers += p.subscribers.len();
                fan_out(control, &p.subscribers, |proto, buf| encode_pmessage(buf, proto, &p.text, channel, message));
            }
        }
        if receivers > 0 {
            self.delivered.fetch_add(receivers as u64, Relaxed);
        }
        receivers
    }

    /// `PUBSUB CHANNELS [pattern]`: the channels with subscribers.
    pub(super) fn channels_matching(&self, pattern: Option<&[u8]>) -> Vec<Vec<u8>> {
        let glob = pattern.map(|p| Glob::new(p, false));
        let mut all = Vec::new();
        for shard in self.shards.iter() {
            let shard = read(shard);
            all.extend(shard.keys().filter(|c| glob.as_ref().is_none_or(|g| g.matches(c))).cloned());
        }
        all
    }

    /// `PUBSUB NUMSUB`: how many subscribe to `channel`.
    pub(super) fn subscribers_of(&self, channel: &[u8]) -> usize {
        read(self.shard(channel)).get(channel).map_or(0, Vec::len)
    }
}

thread_local! {
    /// Subscribers' ids by protocol, reused by every publish of a thread.
    static SCRATCH: std::cell::RefCell<[Vec<ConnId>; 2]> = const { std::cell::RefCell::new([Vec::new(), Vec::new()]) };
}

/// Sends one message to `subs`: encoded once per protocol in use, and one
/// note per I/O loop.
fn fan_out(control: Option<&Control>, subs: &[Arc<ClientMeta>], encode: impl Fn(Protocol, &mut Vec<u8>)) {
    let Some(control) = control else { return };
    SCRATCH.with(|scratch| {
        let mut scratch = scratch.borrow_mut();
        let [resp2, resp3] = &mut *scratch;
        for s in subs {
            if let Some(id) = s.conn {
                if s.resp.load(Relaxed) == 3 {
                    resp3.push(id);
                } else {
                    resp2.push(id);
                }
            }
        }
        let mut buf = Vec::new();
        for (ids, protocol) in [(&mut *resp2, Protocol::Resp2), (&mut *resp3, Protocol::Resp3)] {
            if !ids.is_empty() {
                buf.clear();
                encode(protocol, &mut buf);
                control.send_many(ids, &buf);
                ids.clear();
            }
        }
    });
}

/// The header of a pub/sub array: `*n` under RESP2, a push `>n` under RESP3.
fn push_header(buf: &mut Vec<u8>, protocol: Protocol, n: usize) {
    buf.push(if protocol == Protocol::Resp3 { b'>' } else { b'*' });
    resp::push_decimal(buf, n as i64);
    buf.extend_from_slice(b"\r\n");
}

fn encode_message(buf: &mut Vec<u8>, protocol: Protocol, channel: &[u8], message: &[u8]) {
    push_header(buf, protocol, 3);
    resp::bulk(buf, b"message");
    resp::bulk(buf, channel);
    resp::bulk(buf, message);
}

fn encode_pmessage(buf: &mut Vec<u8>, protocol: Protocol, pattern: &[u8], channel: &[u8], message: &[u8]) {
    push_header(buf, protocol, 4);
    resp::bulk(buf, b"pmessage");
    resp::bulk(buf, pattern);
    resp::bulk(buf, channel);
    resp::bulk(buf, message);
}

/// `[kind, name, count]`: a (un)subscription's confirmation; no name is a
/// null (`UNSUBSCRIBE` with nothing subscribed).
pub(super) fn encode_confirmation(
    buf: &mut Vec<u8>,
    protocol: Protocol,
    kind: &str,
    name: Option<&[u8]>,
    count: usize,
) {
    push_header(buf, protocol, 3);
    resp::bulk(buf, kind.as_bytes());
    match (name, protocol) {
        (Some(name), _) => resp::bulk(buf, name),
        (None, Protocol::Resp2) => buf.extend_from_slice(b"$-1\r\n"),
        (None, Protocol::Resp3) => buf.extend_from_slice(b"_\r\n"),
    }
    resp::integer(buf, count as i64);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(id: u64) -> Arc<ClientMeta> {
        let mut meta = ClientMeta::for_tests();
        meta.id = id;
        Arc::new(meta)
    }

    #[test]
    fn publish_counts_channel_subscribers_and_each_matching_pattern_subscription() {
        let r = Registry::default();
        let (a, b) = (client(1), client(2));
        r.add_channel(b"news", &a, || {});
        r.add_channel(b"news", &b, || {});
        r.add_pattern(b"n*", &a, || {});
        r.add_pattern(b"x*", &b, || {});
        assert_eq!((r.channel_count(), r.pattern_count()), (1, 2));
        assert_eq!(r.publish(None, b"news", b"m"), 3, "a hears it twice, as in Redis");
        assert_eq!(r.publish(None, b"nope", b"m"), 1);
        assert_eq!(r.publish(None, b"other", b"m"), 0);
        assert_eq!(r.delivered.load(Relaxed), 4);
        assert_eq!(r.subscribers_of(b"news"), 2);
        assert_eq!(r.channels_matching(Some(b"n?ws")), [b"news".to_vec()]);
        assert!(r.channels_matching(Some(b"x*")).is_empty());
    }

    #[test]
    fn the_last_subscriber_leaving_removes_the_channel_or_pattern() {
        let r = Registry::default();
        let (a, b) = (client(1), client(2));
        r.add_channel(b"c", &a, || {});
        r.add_channel(b"c", &b, || {});
        r.add_pattern(b"p*", &a, || {});
        let mut confirmed = 0;
        r.remove_channel(b"c", &a, || confirmed += 1);
        assert_eq!((r.channel_count(), r.subscribers_of(b"c")), (1, 1));
        r.remove_channel(b"c", &b, || confirmed += 1);
        r.remove_pattern(b"p*", &a, || confirmed += 1);
        r.remove_pattern(b"never", &a, || confirmed += 1);
        assert_eq!(confirmed, 4, "each removal runs its confirmation");
        assert_eq!((r.channel_count(), r.pattern_count()), (0, 0));
        assert!(r.channels_matching(None).is_empty());
        assert_eq!(r.publish(None, b"c", b"m"), 0);
    }

    #[test]
    fn messages_and_confirmations_take_redis_shapes_in_both_protocols() {
        let mut b = Vec::new();
        encode_message(&mut b, Protocol::Resp2, b"ch", b"hi");
        assert_eq!(b, b"*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n");
        b.clear();
        encode_pmessage(&mut b, Protocol::Resp3, b"c*", b"ch", b"hi");
        assert_eq!(b, b">4\r\n$8\r\npmessage\r\n$2\r\nc*\r\n$2\r\nch\r\n$2\r\nhi\r\n");
        b.clear();
        encode_confirmation(&mut b, Protocol::Resp2, "unsubscribe", None, 0);
        assert_eq!(b, b"*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n");
        b.clear();
        encode_confirmation(&mut b, Protocol::Resp3, "unsubscribe", None, 0);
        assert_eq!(b, b">3\r\n$11\r\nunsubscribe\r\n_\r\n:0\r\n");
    }
}
