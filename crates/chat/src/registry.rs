//! Who is connected and who is in which channel: the one global table of
//! the chat service.
//!
//! The registry lives behind one lock in [`crate::Chat`]. Whoever holds the
//! lock both changes the table and queues the resulting messages in the
//! [`Outbox`], so every member sees events in one global order: a client
//! never sees a message in a channel before its own JOIN, nor after its
//! PART.
//!
//! Invariants: `nicks` maps the folded nickname of every user that has one
//! to that user; a user's `channels` and each channel's `members` mirror
//! each other; a channel with no members does not exist; `registered` is
//! the number of users whose `registered` is set.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::Arc;
use std::time::Instant;

use switchyard_codec::irc::{fold, write_message};
use switchyard_engine::ConnId;

use crate::caps::Caps;
use crate::channel::Channel;
use crate::counters::Counters;
use crate::flood::Bucket;
use crate::outbox::Outbox;

/// One connected client, registered or not.
#[derive(Debug)]
pub struct User {
    /// The nickname as the client chose it (not folded).
    pub nick: Option<String>,
    /// The user name from `USER`.
    pub user: Option<String>,
    /// The real name from `USER`.
    pub realname: String,
    /// The client's address, as shown in prefixes.
    pub host: String,
    /// Welcome sent: the client may use every command.
    pub registered: bool,
    /// `CAP LS` came before registration and `CAP END` has not: hold the welcome.
    pub cap_negotiating: bool,
    /// The folded names of the channels the user is in.
    pub channels: BTreeSet<String>,
    /// The away message, if the user is away.
    pub away: Option<String>,
    /// User mode `+i`.
    pub invisible: bool,
    /// User mode `+w`: receives WALLOPS.
    pub wallops: bool,
    /// User mode `+o`: the name of the `[chat.opers]` entry it gave to OPER.
    pub oper: Option<String>,
    /// The IRCv3 capabilities the client asked for.
    pub caps: Caps,
    /// Folded names of the channels it was invited to and has not joined since.
    pub invited: BTreeSet<String>,
    /// When the client connected, seconds since the Unix epoch (317).
    pub signon: u64,
    /// When the client last sent a PRIVMSG or NOTICE (317's idle time).
    pub last_spoke: Instant,
    /// When the client last sent anything.
    pub last_active: Instant,
    /// When the keep-alive PING went out, if it is unanswered.
    pub ping_sent: Option<Instant>,
    /// Flood control: input lines the user may send now.
    pub bucket: Bucket,
    /// Lines received past the bucket, handled as it refills (throttled).
    pub backlog: VecDeque<Vec<u8>>,
}

impl User {
    /// A user who has just connected from `host`, with a full bucket of
    /// `burst` lines.
    pub fn new(host: String, now: Instant, burst: u32) -> User {
        User {
            nick: None,
            user: None,
            realname: String::new(),
            host,
            registered: false,
            cap_negotiating: false,
            channels: BTreeSet::new(),
            away: None,
            invisible: false,
            wallops: false,
            oper: None,
            caps: Caps::default(),
            invited: BTreeSet::new(),
            signon: crate::clock::unix_now(),
            last_spoke: now,
            last_active: now,
            ping_sent: None,
            bucket: Bucket::new(burst, now),
            backlog: VecDeque::new(),
        }
    }

    /// The nickname, or `*` before there is one (the numerics' convention).
    pub fn nick_or_star(&self) -> &str {
        self.nick.as_deref().unwrap_or("*")
    }

    /// `nick!user@host`, the origin of what this user says.
    pub fn prefix(&self) -> String {
        format!("{}!{}@{}", self.nick_or_star(), self.user.as_deref().unwrap_or("*"), self.host)
    }
}

/// Users, nicknames and channels.
#[derive(Debug, Default)]
pub struct Registry {
    /// Every open connection's user.
    pub users: HashMap<ConnId, User>,
    /// Folded nickname → its owner.
    pub nicks: HashMap<String, ConnId>,
    /// Folded channel name → channel; ordered, so LIST reads alphabetically.
    pub channels: BTreeMap<String, Channel>,
    /// Messages queued for the flusher.
    pub outbox: Outbox,
    /// The flusher is asleep waiting for the outbox to fill.
    pub flusher_waiting: bool,
    /// Users with a backlog of throttled lines.
    pub throttled: BTreeSet<ConnId>,
    /// Users in `users` that have registered, kept so that the metrics
    /// need not walk every user under the lock.
    pub registered: usize,
    /// The most users registered at once since the start (265, 266).
    pub max_registered: usize,
    /// Registered users with `+i`, for LUSERS.
    pub invisible: usize,
    /// Users with `+o`, for LUSERS.
    pub opers: usize,
    /// Users that take message tags; while there are none, messages are
    /// sent without looking at each recipient's capabilities.
    pub tag_users: usize,
    /// Messages, deliveries and drops, for the metrics.
    pub counters: Counters,
    /// Failed OPER attempts not yet in a warning.
    pub oper_log: OperLog,
    /// The message of the day: `Options::motd` at start, then whatever
    /// [`crate::Chat::set_motd`] last set (a configuration reload).
    pub motd: Option<Arc<str>>,
}

/// The rate limit of the failed-OPER warning.
#[derive(Debug, Default)]
pub struct OperLog {
    pub last_warned: Option<Instant>,
    /// Failures since the last warning.
    pub unlogged: u64,
}

impl Registry {
    /// The owner of a nickname, compared case-insensitively.
    pub fn find_nick(&self, nick: &str) -> Option<ConnId> {
        self.nicks.get(&fold(nick)).copied()
    }

    /// Every user who shares a channel with `id`, each once, without `id`.
    pub fn peers(&self, id: ConnId) -> Vec<ConnId> {
        let Some(user) = self.users.get(&id) else { return Vec::new() };
        let mut peers: Vec<ConnId> = user
            .channels
            .iter()
            .filter_map(|c| self.channels.get(c))
            .flat_map(|c| c.members.iter().copied())
            .filter(|&m| m != id)
            .collect();
        peers.sort_unstable();
        peers.dedup();
        peers
    }

    /// Queues `line` for every member of channel `key` (folded) but
    /// `except`; returns how many members that was.
    pub fn send_to_channel(&mut self, key: &str, line: &[u8], except: Option<ConnId>) -> usize {
        let mut sent = 0;
        if let Some(channel) = self.channels.get(key) {
            for &m in &channel.members {
                if Some(m) != except {
                    self.outbox.to(m).extend_from_slice(line);
                    sent += 1;
                }
            }
        }
        sent
    }

    /// Queues `line` for every member of channel `key` (folded) but
    /// `except`, with `tag` before it for the members that take tags;
    /// returns how many members that was.
    pub fn send_to_channel_tagged(&mut self, key: &str, tag: &str, line: &[u8], except: Option<ConnId>) -> usize {
        let mut sent = 0;
        if let Some(channel) = self.channels.get(key) {
            for &m in &channel.members {
                if Some(m) != except {
                    let tags = self.users.get(&m).is_some_and(|u| u.caps.tags());
                    let out = self.outbox.to(m);
                    if tags {
                        out.extend_from_slice(tag.as_bytes());
                    }
                    out.extend_from_slice(line);
                    sent += 1;
                }
            }
        }
        sent
    }

    /// Adds `id` to channel `name`, creating it with `id` as its operator;
    /// false if already a member.
    pub fn join(&mut self, id: ConnId, name: &str, now_unix: u64) -> bool {
        let key = fold(name);
        let Some(user) = self.users.get_mut(&id) else { return false };
        if !user.channels.insert(key.clone()) {
            return false;
        }
        user.invited.remove(&key);
        let channel = self.channels.entry(key).or_insert_with(|| Channel::new(name, now_unix));
        if channel.members.is_empty() {
            channel.ops.insert(id);
        }
        channel.members.push(id);
        true
    }

    /// Removes `id` from channel `key` (folded), dropping the channel when
    /// it empties.
    pub fn part(&mut self, id: ConnId, key: &str) {
        if let Some(user) = self.users.get_mut(&id) {
            user.channels.remove(key);
        }
        if let Some(channel) = self.channels.get_mut(key) {
            if channel.remove(id) {
                self.channels.remove(key);
            }
        }
    }

    /// Removes user `id` everywhere; if it was registered, tells everyone
    /// who shared a channel with it `QUIT :message`. Returns the user, or
    /// `None` if it was already gone.
    pub fn quit(&mut self, id: ConnId, message: &str) -> Option<User> {
        let peers = self.peers(id);
        let user = self.users.remove(&id)?;
        if user.registered && !peers.is_empty() {
            let mut line = Vec::new();
            write_message(&mut line, Some(&user.prefix()), "QUIT", &[], Some(message));
            for p in peers {
                self.outbox.to(p).extend_from_slice(&line);
            }
        }
        self.forget(id, &user);
        Some(user)
    }

    /// Drops the nickname and memberships of `user` (already out of `users`).
    pub fn forget(&mut self, id: ConnId, user: &User) {
        self.throttled.remove(&id);
        if user.registered {
            self.registered = self.registered.saturating_sub(1);
            if user.invisible {
                self.invisible = self.invisible.saturating_sub(1);
            }
        }
        if user.oper.is_some() {
            self.opers = self.opers.saturating_sub(1);
        }
        if user.caps.tags() {
            self.tag_users = self.tag_users.saturating_sub(1);
        }
        if let Some(nick) = &user.nick {
            let key = fold(nick);
            if self.nicks.get(&key) == Some(&id) {
                self.nicks.remove(&key);
            }
        }
        for key in &user.channels {
            if let Some(channel) = self.channels.get_mut(key) {
                if channel.remove(id) {
                    self.channels.remove(key);
                }
            }
        }
    }
}
