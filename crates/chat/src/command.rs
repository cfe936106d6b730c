//! The commands: one client's lines, handled with the registry locked.
//!
//! A [`Session`] lives for one batch of a client's input. Everything it
//! produces, the client's own replies included, goes to the registry's
//! outbox, so it takes its place in the same global order as what others
//! send the client. Errors never close the connection; only QUIT and
//! flooding do.

use std::time::Instant;
use switchyard_codec::irc::{
    fold, is_channel_name, validate_channel, validate_nick, write_message, Message, ParseError, MAX_CONTENT_BYTES,
};

use switchyard_engine::ConnId;

use crate::clock;
use crate::counters::{Dropped, Message as Kind};
use crate::numeric::*;
use crate::registry::{Registry, Topic, User};
use crate::Options;

/// Longest nickname (005 `NICKLEN`).
pub const NICK_MAX_BYTES: usize = 30;
/// Longest channel name (005 `CHANNELLEN`).
pub const CHANNEL_MAX_BYTES: usize = 50;
/// Longest topic (005 `TOPICLEN`); longer ones are cut.
pub const TOPIC_MAX_BYTES: usize = 390;
/// Longest away message (005 `AWAYLEN`).
pub const AWAY_MAX_BYTES: usize = 200;
/// Longest user name kept from `USER`.
const USER_MAX_BYTES: usize = 16;
/// Longest real name kept from `USER`.
const REALNAME_MAX_BYTES: usize = 100;

/// One client's batch of lines against the locked registry.
pub struct Session<'a> {
    options: &'a Options,
    created: u64,
    reg: &'a mut Registry,
    id: ConnId,
    /// The client quit or was dropped: ignore the rest of its input.
    gone: bool,
}

/// Cuts `s` to at most `max` bytes on a character boundary.
fn cut(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

impl<'a> Session<'a> {
    pub fn new(options: &'a Options, created: u64, reg: &'a mut Registry, id: ConnId) -> Session<'a> {
        Session { options, created, reg, id, gone: false }
    }

    /// The client quit or was dropped during this batch.
    pub fn gone(&self) -> bool {
        self.gone
    }

    fn me(&self) -> &User {
        &self.reg.users[&self.id]
    }

    fn me_mut(&mut self) -> &mut User {
        self.reg.users.get_mut(&self.id).expect("a session's user is registered")
    }

    fn server(&self) -> &'a str {
        &self.options.server_name
    }

    /// `:server CODE <nick> middle... [:trailing]` to this client.
    fn reply(&mut self, code: &str, middle: &[&str], trailing: Option<&str>) {
        let reg = &mut *self.reg;
        let nick = reg.users[&self.id].nick_or_star();
        let mut params = Vec::with_capacity(middle.len() + 1);
        params.push(nick);
        params.extend_from_slice(middle);
        write_message(reg.outbox.to(self.id), Some(&self.options.server_name), code, &params, trailing);
    }

    /// Bytes for this client.
    fn mine(&mut self) -> &mut Vec<u8> {
        self.reg.outbox.to(self.id)
    }

    /// A message with another prefix, to this client.
    fn tell(&mut self, prefix: &str, command: &str, middle: &[&str], trailing: Option<&str>) {
        write_message(self.mine(), Some(prefix), command, middle, trailing);
    }

    /// Handles one line received from the client, or keeps it for later if
    /// the client is over its rate (throttled); a client more than a burst
    /// over it is disconnected (`Excess Flood`).
    pub fn input_line(&mut self, line: &[u8], now: Instant) {
        let (rate, burst) = (self.options.flood_lines_per_sec, self.options.flood_burst_lines);
        let me = self.me_mut();
        if me.backlog.is_empty() && me.bucket.take(now, rate, burst) {
            return self.line(line);
        }
        if me.backlog.len() >= burst as usize {
            self.reg.counters.dropped(Dropped::Flood);
            return self.drop_client("Excess Flood");
        }
        me.backlog.push_back(line.to_vec());
        self.reg.throttled.insert(self.id);
    }

    /// Handles the client's throttled lines that its bucket now allows.
    pub fn pace(&mut self, now: Instant) {
        let (rate, burst) = (self.options.flood_lines_per_sec, self.options.flood_burst_lines);
        while !self.gone {
            let Some(me) = self.reg.users.get_mut(&self.id) else {
                self.reg.throttled.remove(&self.id);
                return;
            };
            if me.backlog.is_empty() {
                self.reg.throttled.remove(&self.id);
                return;
            }
            if !me.bucket.take(now, rate, burst) {
                return;
            }
            let line = me.backlog.pop_front().expect("checked non-empty");
            self.line(&line);
        }
    }

    /// 417: the line was dropped.
    pub fn input_too_long(&mut self) {
        self.reply(ERR_INPUTTOOLONG, &[], Some("Input line was too long"));
    }

    /// Disconnects this client: `ERROR` to it, `QUIT :reason` to its channels.
    pub fn drop_client(&mut self, reason: &str) {
        let host = self.me().host.clone();
        self.quit_with(reason, &format!("Closing Link: {host} ({reason})"));
    }

    fn quit_with(&mut self, quit: &str, error: &str) {
        write_message(self.mine(), None, "ERROR", &[], Some(error));
        self.reg.quit(self.id, quit);
        self.reg.outbox.close(self.id);
        self.gone = true;
    }

    /// Handles one line (without its line end).
    pub fn line(&mut self, line: &[u8]) {
        let text = String::from_utf8_lossy(line);
        let msg = match Message::parse(&text) {
            Ok(msg) => msg,
            Err(ParseError::BadCommand) => {
                // Not a word or a numeric: unknown, and said so.
                let rest = text.trim_start_matches(' ');
                let rest = match rest.strip_prefix(':') {
                    Some(p) => p.split_once(' ').map_or("", |(_, after)| after.trim_start_matches(' ')),
                    None => rest,
                };
                let word = rest.split(' ').next().unwrap_or("");
                return self.reply(ERR_UNKNOWNCOMMAND, &[word], Some("Unknown command"));
            }
            // An empty line is ignored, as RFC 2812 says.
            Err(_) => return,
        };
        let command = msg.command.to_ascii_uppercase();
        let p = &msg.params;
        let registered = self.me().registered;
        match command.as_str() {
            "CAP" => self.cap(p),
            "NICK" => self.nick(p),
            "USER" => self.user(p),
            "PING" => self.ping(p),
            "PONG" => {}
            "QUIT" => self.quit(p),
            _ if !registered => self.reply(ERR_NOTREGISTERED, &[], Some("You have not registered")),
            "JOIN" => self.join(p),
            "PART" => self.part(p),
            "PRIVMSG" => self.message(Kind::Privmsg, p),
            "NOTICE" => self.message(Kind::Notice, p),
            "TOPIC" => self.topic(p),
            "NAMES" => self.names(p),
            "LIST" => self.list(p),
            "WHO" => self.who(p),
            "WHOIS" => self.whois(p),
            "MODE" => self.mode(p),
            "AWAY" => self.away(p),
            "ISON" => self.ison(p),
            "USERHOST" => self.userhost(p),
            "MOTD" => self.motd(),
            _ => self.reply(ERR_UNKNOWNCOMMAND, &[msg.command], Some("Unknown command")),
        }
    }

    fn need_more(&mut self, command: &str) {
        self.reply(ERR_NEEDMOREPARAMS, &[command], Some("Not enough parameters"));
    }

    // ----- registration ----------------------------------------------

    fn cap(&mut self, p: &[&str]) {
        let Some(sub) = p.first() else { return self.need_more("CAP") };
        let sub = sub.to_ascii_uppercase();
        let nick = self.me().nick_or_star().to_string();
        let server = self.server();
        match sub.as_str() {
            "LS" | "LIST" => {
                if !self.me().registered && sub == "LS" {
                    self.me_mut().cap_negotiating = true;
                }
                self.tell(server, "CAP", &[&nick, &sub], Some(""));
            }
            "REQ" => {
                let asked = p.get(1).copied().unwrap_or("");
                self.tell(server, "CAP", &[&nick, "NAK"], Some(asked));
            }
            "END" => {
                self.me_mut().cap_negotiating = false;
                self.try_register();
            }
            _ => self.reply(ERR_INVALIDCAPCMD, &[&sub], Some("Invalid CAP command")),
        }
    }

    fn nick(&mut self, p: &[&str]) {
        let Some(&new) = p.first().filter(|n| !n.is_empty()) else {
            return self.reply(ERR_NONICKNAMEGIVEN, &[], Some("No nickname given"));
        };
        if validate_nick(new, NICK_MAX_BYTES).is_err() {
            return self.reply(ERR_ERRONEUSNICKNAME, &[new], Some("Erroneous nickname"));
        }
        let key = fold(new);
        match self.reg.nicks.get(&key) {
            Some(&owner) if owner != self.id => {
                return self.reply(ERR_NICKNAMEINUSE, &[new], Some("Nickname is already in use"));
            }
            _ => {}
        }
        if self.me().nick.as_deref() == Some(new) {
            return;
        }
        let old_prefix = self.me().prefix();
        if let Some(old) = self.me_mut().nick.replace(new.to_string()) {
            self.reg.nicks.remove(&fold(&old));
        }
        self.reg.nicks.insert(key, self.id);
        if self.me().registered {
            let mut line = Vec::new();
            write_message(&mut line, Some(&old_prefix), "NICK", &[], Some(new));
            for peer in self.reg.peers(self.id) {
                self.reg.outbox.to(peer).extend_from_slice(&line);
            }
            self.mine().extend_from_slice(&line);
        } else {
            self.try_register();
        }
    }

    fn user(&mut self, p: &[&str]) {
        if self.me().registered || self.me().user.is_some() {
            return self.reply(ERR_ALREADYREGISTRED, &[], Some("Unauthorized command (already registered)"));
        }
        if p.len() < 4 || p[0].is_empty() {
            return self.need_more("USER");
        }
        let name: String = p[0]
            .chars()
            .filter(|c| c.is_ascii_graphic() && !matches!(c, '@' | '!' | ':'))
            .take(USER_MAX_BYTES)
            .collect();
        let user = self.me_mut();
        user.user = Some(if name.is_empty() { "user".to_string() } else { name });
        user.realname = cut(p[3], REALNAME_MAX_BYTES).to_string();
        self.try_register();
    }

    /// Sends the welcome once NICK and USER are in and CAP negotiation is over.
    fn try_register(&mut self) {
        let me = self.me();
        if me.registered || me.nick.is_none() || me.user.is_none() || me.cap_negotiating {
            return;
        }
        self.me_mut().registered = true;
        self.reg.registered += 1;
        let prefix = self.me().prefix();
        let server = self.server();
        let version = concat!("switchyard-", env!("CARGO_PKG_VERSION"));
        self.reply(RPL_WELCOME, &[], Some(&format!("Welcome to the Internet Relay Network {prefix}")));
        self.reply(RPL_YOURHOST, &[], Some(&format!("Your host is {server}, running version {version}")));
        let created = clock::format_utc(self.created);
        self.reply(RPL_CREATED, &[], Some(&format!("This server was created {created}")));
        self.reply(RPL_MYINFO, &[server, version, "i", "n"], None);
        let nicklen = format!("NICKLEN={NICK_MAX_BYTES}");
        let chanlen = format!("CHANNELLEN={CHANNEL_MAX_BYTES}");
        let topiclen = format!("TOPICLEN={TOPIC_MAX_BYTES}");
        let awaylen = format!("AWAYLEN={AWAY_MAX_BYTES}");
        let network = format!("NETWORK={server}");
        let tokens = [
            "CHANTYPES=#&",
            "CASEMAPPING=rfc1459",
            "CHANMODES=,,,n",
            &nicklen,
            &chanlen,
            &topiclen,
            &awaylen,
            &network,
        ];
        self.reply(RPL_ISUPPORT, &tokens, Some("are supported by this server"));
        self.motd();
    }

    fn motd(&mut self) {
        let Some(motd) = self.options.motd.as_deref() else {
            return self.reply(ERR_NOMOTD, &[], Some("MOTD File is missing"));
        };
        let server = self.server();
        self.reply(RPL_MOTDSTART, &[], Some(&format!("- {server} Message of the day - ")));
        for line in motd.lines() {
            self.reply(RPL_MOTD, &[], Some(&format!("- {}", line.trim_end_matches('\r'))));
        }
        self.reply(RPL_ENDOFMOTD, &[], Some("End of MOTD command"));
    }

    fn ping(&mut self, p: &[&str]) {
        let Some(token) = p.first() else {
            return self.reply(ERR_NOORIGIN, &[], Some("No origin specified"));
        };
        let server = self.server();
        self.tell(server, "PONG", &[server], Some(token));
    }

    fn quit(&mut self, p: &[&str]) {
        let quit = match p.first() {
            Some(m) if !m.is_empty() => format!("Quit: {m}"),
            _ => "Client Quit".to_string(),
        };
        let host = self.me().host.clone();
        self.quit_with(&quit, &format!("Closing Link: {host} ({quit})"));
    }

    // ----- channels ----------------------------------------------------

    fn join(&mut self, p: &[&str]) {
        let Some(&names) = p.first() else { return self.need_more("JOIN") };
        if names == "0" {
            let keys: Vec<String> = self.me().channels.iter().cloned().collect();
            for key in keys {
                self.leave(&key, None);
            }
            return;
        }
        for name in names.split(',').filter(|n| !n.is_empty()) {
            if validate_channel(name, CHANNEL_MAX_BYTES).is_err() {
                self.reply(ERR_BADCHANNAME, &[name], Some("Illegal channel name"));
                continue;
            }
            if !self.reg.join(self.id, name, clock::unix_now()) {
                continue;
            }
            let key = fold(name);
            let shown = self.reg.channels[&key].name.clone();
            let mut line = Vec::new();
            write_message(&mut line, Some(&self.me().prefix()), "JOIN", &[&shown], None);
            self.reg.send_to_channel(&key, &line, None);
            if self.reg.channels[&key].topic.is_some() {
                self.send_topic(&key);
            }
            self.send_names(&key);
        }
    }

    fn part(&mut self, p: &[&str]) {
        let Some(&names) = p.first() else { return self.need_more("PART") };
        let reason = p.get(1).copied();
        for name in names.split(',').filter(|n| !n.is_empty()) {
            let key = fold(name);
            if !self.reg.channels.contains_key(&key) {
                self.reply(ERR_NOSUCHCHANNEL, &[name], Some("No such channel"));
            } else if !self.me().channels.contains(&key) {
                self.reply(ERR_NOTONCHANNEL, &[name], Some("You're not on that channel"));
            } else {
                self.leave(&key, reason);
            }
        }
    }

    /// PART to every member (this client included), then out.
    fn leave(&mut self, key: &str, reason: Option<&str>) {
        let Some(channel) = self.reg.channels.get(key) else { return };
        let mut line = Vec::new();
        write_message(&mut line, Some(&self.me().prefix()), "PART", &[&channel.name], reason);
        self.reg.send_to_channel(key, &line, None);
        self.reg.part(self.id, key);
    }

    fn topic(&mut self, p: &[&str]) {
        let Some(&name) = p.first() else { return self.need_more("TOPIC") };
        let key = fold(name);
        if !self.reg.channels.contains_key(&key) {
            return self.reply(ERR_NOSUCHCHANNEL, &[name], Some("No such channel"));
        }
        let member = self.me().channels.contains(&key);
        let Some(&text) = p.get(1) else {
            return self.send_topic(&key);
        };
        if !member {
            return self.reply(ERR_NOTONCHANNEL, &[name], Some("You're not on that channel"));
        }
        let text = cut(text, TOPIC_MAX_BYTES);
        let nick = self.me().nick_or_star().to_string();
        let prefix = self.me().prefix();
        let channel = self.reg.channels.get_mut(&key).expect("checked above");
        channel.topic =
            (!text.is_empty()).then(|| Topic { text: text.to_string(), set_by: nick, set_at: clock::unix_now() });
        let shown = channel.name.clone();
        let mut line = Vec::new();
        write_message(&mut line, Some(&prefix), "TOPIC", &[&shown], Some(text));
        self.reg.send_to_channel(&key, &line, None);
    }

    /// 332 and 333, or 331.
    fn send_topic(&mut self, key: &str) {
        let channel = &self.reg.channels[key];
        let name = channel.name.clone();
        match channel.topic.clone() {
            Some(t) => {
                self.reply(RPL_TOPIC, &[&name], Some(&t.text));
                self.reply(RPL_TOPICWHOTIME, &[&name, &t.set_by, &t.set_at.to_string()], None);
            }
            None => self.reply(RPL_NOTOPIC, &[&name], Some("No topic is set")),
        }
    }

    /// 353 lines (as many as the names need) and 366.
    fn send_names(&mut self, key: &str) {
        let channel = &self.reg.channels[key];
        let name = channel.name.clone();
        let nicks: Vec<String> = channel.members.iter().filter_map(|m| self.reg.users.get(m)?.nick.clone()).collect();
        let me = self.me().nick_or_star().len();
        // ":server 353 me = #name :" and the CRLF's share of the limit.
        let room = MAX_CONTENT_BYTES - (self.server().len() + me + name.len() + 12);
        let mut batch = String::new();
        for nick in nicks {
            if !batch.is_empty() && batch.len() + 1 + nick.len() > room {
                self.reply(RPL_NAMREPLY, &["=", &name], Some(&batch));
                batch.clear();
            }
            if !batch.is_empty() {
                batch.push(' ');
            }
            batch.push_str(&nick);
        }
        if !batch.is_empty() {
            self.reply(RPL_NAMREPLY, &["=", &name], Some(&batch));
        }
        self.reply(RPL_ENDOFNAMES, &[&name], Some("End of NAMES list"));
    }

    fn names(&mut self, p: &[&str]) {
        let Some(&names) = p.first() else {
            let keys: Vec<String> = self.reg.channels.keys().cloned().collect();
            for key in keys {
                self.send_names(&key);
            }
            return;
        };
        for name in names.split(',').filter(|n| !n.is_empty()) {
            let key = fold(name);
            if self.reg.channels.contains_key(&key) {
                self.send_names(&key);
            } else {
                self.reply(RPL_ENDOFNAMES, &[name], Some("End of NAMES list"));
            }
        }
    }

    fn list(&mut self, p: &[&str]) {
        let wanted: Option<Vec<String>> =
            p.first().map(|names| names.split(',').filter(|n| !n.is_empty()).map(fold).collect());
        let rows: Vec<(String, String, String)> = self
            .reg
            .channels
            .iter()
            .filter(|(key, _)| wanted.as_ref().is_none_or(|w| w.contains(key)))
            .map(|(_, c)| {
                let topic = c.topic.as_ref().map_or(String::new(), |t| t.text.clone());
                (c.name.clone(), c.members.len().to_string(), topic)
            })
            .collect();
        self.reply(RPL_LISTSTART, &["Channel"], Some("Users  Name"));
        for (name, count, topic) in rows {
            self.reply(RPL_LIST, &[&name, &count], Some(&topic));
        }
        self.reply(RPL_LISTEND, &[], Some("End of LIST"));
    }

    // ----- messages ------------------------------------------------------

    /// PRIVMSG or NOTICE; counted as accepted if any target was valid.
    fn message(&mut self, kind: Kind, p: &[&str]) {
        let (command, errors) = match kind {
            Kind::Privmsg => ("PRIVMSG", true),
            Kind::Notice => ("NOTICE", false),
        };
        let Some(&targets) = p.first().filter(|t| !t.is_empty()) else {
            if errors {
                self.reply(ERR_NORECIPIENT, &[], Some(&format!("No recipient given ({command})")));
            }
            return;
        };
        let Some(&text) = p.get(1).filter(|t| !t.is_empty()) else {
            if errors {
                self.reply(ERR_NOTEXTTOSEND, &[], Some("No text to send"));
            }
            return;
        };
        let prefix = self.me().prefix();
        let (mut accepted, mut deliveries) = (false, 0);
        for target in targets.split(',').filter(|t| !t.is_empty()) {
            if is_channel_name(target) {
                let key = fold(target);
                if !self.reg.channels.contains_key(&key) {
                    if errors {
                        self.reply(ERR_NOSUCHNICK, &[target], Some("No such nick/channel"));
                    }
                } else if !self.me().channels.contains(&key) {
                    if errors {
                        self.reply(ERR_CANNOTSENDTOCHAN, &[target], Some("Cannot send to channel"));
                    }
                } else {
                    let mut line = Vec::new();
                    write_message(&mut line, Some(&prefix), command, &[target], Some(text));
                    deliveries += self.reg.send_to_channel(&key, &line, Some(self.id));
                    accepted = true;
                }
                continue;
            }
            let found = self.reg.find_nick(target).filter(|id| self.reg.users.get(id).is_some_and(|u| u.registered));
            let Some(to) = found else {
                if errors {
                    self.reply(ERR_NOSUCHNICK, &[target], Some("No such nick/channel"));
                }
                continue;
            };
            write_message(self.reg.outbox.to(to), Some(&prefix), command, &[target], Some(text));
            deliveries += 1;
            accepted = true;
            if errors {
                let away = self.reg.users[&to].away.clone();
                let nick = self.reg.users[&to].nick_or_star().to_string();
                if let Some(away) = away {
                    self.reply(RPL_AWAY, &[&nick], Some(&away));
                }
            }
        }
        if accepted {
            self.reg.counters.message(kind, deliveries);
        }
    }

    // ----- queries ---------------------------------------------------------

    /// One 352 line about `id` as seen in `channel` (`*` for none).
    fn who_line(&mut self, channel: &str, id: ConnId) {
        let Some(u) = self.reg.users.get(&id) else { return };
        let flags = if u.away.is_some() { "G" } else { "H" };
        let (user, host, nick) = (u.user.clone().unwrap_or_default(), u.host.clone(), u.nick_or_star().to_string());
        let real = format!("0 {}", u.realname);
        let server = self.server();
        self.reply(RPL_WHOREPLY, &[channel, &user, &host, server, &nick, flags], Some(&real));
    }

    fn who(&mut self, p: &[&str]) {
        let mask = p.first().copied().unwrap_or("*");
        let key = fold(mask);
        if let Some(channel) = self.reg.channels.get(&key) {
            let name = channel.name.clone();
            for m in channel.members.clone() {
                self.who_line(&name, m);
            }
        } else if let Some(id) = self.reg.find_nick(mask) {
            self.who_line("*", id);
        }
        self.reply(RPL_ENDOFWHO, &[mask], Some("End of WHO list"));
    }

    fn whois(&mut self, p: &[&str]) {
        // `WHOIS server nick` asks a given server; there is only this one.
        let Some(&nicks) = p.last().filter(|n| !n.is_empty()) else {
            return self.reply(ERR_NONICKNAMEGIVEN, &[], Some("No nickname given"));
        };
        for nick in nicks.split(',').filter(|n| !n.is_empty()) {
            let found = self.reg.find_nick(nick).and_then(|id| self.reg.users.get(&id)).filter(|u| u.registered);
            let Some(u) = found else {
                self.reply(ERR_NOSUCHNICK, &[nick], Some("No such nick/channel"));
                self.reply(RPL_ENDOFWHOIS, &[nick], Some("End of WHOIS list"));
                continue;
            };
            let name = u.nick_or_star().to_string();
            let (user, host, real, away) =
                (u.user.clone().unwrap_or_default(), u.host.clone(), u.realname.clone(), u.away.clone());
            let idle = u.last_active.elapsed().as_secs().to_string();
            let channels: Vec<String> =
                u.channels.iter().filter_map(|k| self.reg.channels.get(k)).map(|c| c.name.clone()).collect();
            self.reply(RPL_WHOISUSER, &[&name, &user, &host, "*"], Some(&real));
            if !channels.is_empty() {
                self.reply(RPL_WHOISCHANNELS, &[&name], Some(&channels.join(" ")));
            }
            let server = self.server();
            self.reply(RPL_WHOISSERVER, &[&name, server], Some("switchyard chat"));
            if let Some(away) = away {
                self.reply(RPL_AWAY, &[&name], Some(&away));
            }
            self.reply(RPL_WHOISIDLE, &[&name, &idle], Some("seconds idle"));
            self.reply(RPL_ENDOFWHOIS, &[&name], Some("End of WHOIS list"));
        }
    }

    fn ison(&mut self, p: &[&str]) {
        let online: Vec<String> = p
            .iter()
            .flat_map(|s| s.split(' '))
            .filter_map(|n| self.reg.find_nick(n))
            .filter_map(|id| self.reg.users.get(&id).filter(|u| u.registered)?.nick.clone())
            .collect();
        self.reply(RPL_ISON, &[], Some(&online.join(" ")));
    }

    /// 302 for up to five nicks: `nick=+user@host`, `-` for an away user.
    fn userhost(&mut self, p: &[&str]) {
        if p.is_empty() {
            return self.need_more("USERHOST");
        }
        let replies: Vec<String> = p
            .iter()
            .flat_map(|s| s.split(' '))
            .take(5)
            .filter_map(|n| self.reg.users.get(&self.reg.find_nick(n)?).filter(|u| u.registered))
            .map(|u| {
                let away = if u.away.is_some() { '-' } else { '+' };
                format!("{}={away}{}@{}", u.nick_or_star(), u.user.as_deref().unwrap_or("*"), u.host)
            })
            .collect();
        self.reply(RPL_USERHOST, &[], Some(&replies.join(" ")));
    }

    fn mode(&mut self, p: &[&str]) {
        let Some(&target) = p.first() else { return self.need_more("MODE") };
        if is_channel_name(target) {
            let key = fold(target);
            let Some(channel) = self.reg.channels.get(&key) else {
                return self.reply(ERR_NOSUCHCHANNEL, &[target], Some("No such channel"));
            };
            let (name, created) = (channel.name.clone(), channel.created.to_string());
            match p.get(1).copied() {
                None => {
                    self.reply(RPL_CHANNELMODEIS, &[&name, "+n"], None);
                    self.reply(RPL_CREATIONTIME, &[&name, &created], None);
                }
                Some("b" | "+b") if p.len() == 2 => {
                    self.reply(RPL_ENDOFBANLIST, &[&name], Some("End of channel ban list"));
                }
                Some(_) => self.reply(ERR_CHANOPRIVSNEEDED, &[&name], Some("You're not channel operator")),
            }
            return;
        }
        if fold(target) != fold(self.me().nick_or_star()) {
            if self.reg.find_nick(target).is_none() {
                return self.reply(ERR_NOSUCHNICK, &[target], Some("No such nick/channel"));
            }
            return self.reply(ERR_USERSDONTMATCH, &[], Some("Cannot change mode for other users"));
        }
        let Some(&change) = p.get(1) else {
            let modes = if self.me().invisible { "+i" } else { "+" };
            return self.reply(RPL_UMODEIS, &[modes], None);
        };
        let mut adding = true;
        let mut unknown = false;
        let before = self.me().invisible;
        for c in change.chars() {
            match c {
                '+' => adding = true,
                '-' => adding = false,
                'i' => self.me_mut().invisible = adding,
                _ => unknown = true,
            }
        }
        if unknown {
            self.reply(ERR_UMODEUNKNOWNFLAG, &[], Some("Unknown MODE flag"));
        }
        let after = self.me().invisible;
        if before != after {
            let nick = self.me().nick_or_star().to_string();
            let prefix = self.me().prefix();
            self.tell(&prefix, "MODE", &[&nick], Some(if after { "+i" } else { "-i" }));
        }
    }

    fn away(&mut self, p: &[&str]) {
        match p.first().filter(|m| !m.is_empty()) {
            Some(m) => {
                self.me_mut().away = Some(cut(m, AWAY_MAX_BYTES).to_string());
                self.reply(RPL_NOWAWAY, &[], Some("You have been marked as being away"));
            }
            None => {
                self.me_mut().away = None;
                self.reply(RPL_UNAWAY, &[], Some("You are no longer marked as being away"));
            }
        }
    }
}
