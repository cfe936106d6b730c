//! The commands: one client's lines, handled with the registry locked.
//!
//! A [`Session`] lives for one batch of a client's input. Everything it
//! produces, the client's own replies included, goes to the registry's
//! outbox, so it takes its place in the same global order as what others
//! send the client. Errors never close the connection; only QUIT and
//! flooding do.

mod channels;
mod server;

use std::time::Instant;
use switchyard_codec::irc::{fold, is_channel_name, validate_nick, write_message, Message, ParseError};

use switchyard_engine::ConnId;

use crate::caps::{time_tag, Cap};
use crate::channel::BAN_LIST_MAX;
use crate::clock;
use crate::counters::{Dropped, Message as Kind};
use crate::numeric::*;
use crate::registry::{Registry, User};
use crate::Options;

/// The user modes, as 004 lists them.
const USER_MODES: &str = "iow";
/// The channel modes, as 004 lists them.
const CHANNEL_MODES: &str = "biklmnopstv";
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
        // IRCv3 message tags: none that a client sends is acted on or relayed.
        let text = match text.strip_prefix('@') {
            Some(tagged) => tagged.split_once(' ').map_or("", |(_, rest)| rest).to_string().into(),
            None => text,
        };
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
            // irssi sends `JOIN :` while it registers; ngircd ignores it too.
            "JOIN" if !registered && p.iter().all(|c| c.is_empty()) => {}
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
            "KICK" => self.kick(p),
            "INVITE" => self.invite(p),
            "OPER" => self.oper(p),
            "KILL" => self.kill(p),
            "WALLOPS" => self.wallops(p),
            "LUSERS" => self.lusers(),
            "VERSION" => self.version(),
            "TIME" => self.time(),
            "ADMIN" => self.admin(),
            "INFO" => self.info(),
            // Client-only tags are not relayed, so a tag-only message has nothing to carry.
            "TAGMSG" => {}
            _ => self.reply(ERR_UNKNOWNCOMMAND, &[msg.command], Some("Unknown command")),
        }
    }

    fn need_more(&mut self, command: &str) {
        self.reply(ERR_NEEDMOREPARAMS, &[command], Some("Not enough parameters"));
    }

    // ----- registration ----------------------------------------------

    /// `CAP LS [302]`, `LIST`, `REQ`, `END` (IRCv3 capability negotiation).
    fn cap(&mut self, p: &[&str]) {
        let Some(sub) = p.first() else { return self.need_more("CAP") };
        let sub = sub.to_ascii_uppercase();
        let nick = self.me().nick_or_star().to_string();
        let server = self.server();
        match sub.as_str() {
            "LS" => {
                if !self.me().registered {
                    self.me_mut().cap_negotiating = true;
                }
                // A 302 client has cap-notify whether it asks or not.
                if p.get(1).and_then(|v| v.parse::<u32>().ok()).is_some_and(|v| v >= 302) {
                    self.me_mut().caps.set(Cap::CapNotify, true);
                }
                let all: Vec<&str> = Cap::ALL.iter().map(|c| c.name()).collect();
                self.tell(server, "CAP", &[&nick, "LS"], Some(&all.join(" ")));
            }
            "LIST" => {
                let list = self.me().caps.list();
                self.tell(server, "CAP", &[&nick, "LIST"], Some(&list));
            }
            "REQ" => {
                let asked = p.get(1).copied().unwrap_or("");
                match self.me().caps.request(asked) {
                    Some(caps) => {
                        let had_tags = self.me().caps.tags();
                        self.me_mut().caps = caps;
                        if !self.me().registered {
                            self.me_mut().cap_negotiating = true;
                        }
                        match (had_tags, caps.tags()) {
                            (false, true) => self.reg.tag_users += 1,
                            (true, false) => self.reg.tag_users = self.reg.tag_users.saturating_sub(1),
                            _ => {}
                        }
                        self.tell(server, "CAP", &[&nick, "ACK"], Some(asked));
                    }
                    None => self.tell(server, "CAP", &[&nick, "NAK"], Some(asked)),
                }
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
        self.reg.max_registered = self.reg.max_registered.max(self.reg.registered);
        let prefix = self.me().prefix();
        let server = self.server();
        let version = concat!("switchyard-", env!("CARGO_PKG_VERSION"));
        self.reply(RPL_WELCOME, &[], Some(&format!("Welcome to the Internet Relay Network {prefix}")));
        self.reply(RPL_YOURHOST, &[], Some(&format!("Your host is {server}, running version {version}")));
        let created = clock::format_utc(self.created);
        self.reply(RPL_CREATED, &[], Some(&format!("This server was created {created}")));
        self.reply(RPL_MYINFO, &[server, version, USER_MODES, CHANNEL_MODES, "bklov"], None);
        self.isupport();
        self.lusers();
        self.motd();
    }

    /// 005: what this server supports, as clients read it.
    fn isupport(&mut self) {
        let server = self.server();
        let nicklen = format!("NICKLEN={NICK_MAX_BYTES}");
        let chanlen = format!("CHANNELLEN={CHANNEL_MAX_BYTES}");
        let topiclen = format!("TOPICLEN={TOPIC_MAX_BYTES}");
        let awaylen = format!("AWAYLEN={AWAY_MAX_BYTES}");
        let network = format!("NETWORK={server}");
        let modes = format!("MODES={}", channels::MODES_PER_COMMAND);
        let maxlist = format!("MAXLIST=b:{BAN_LIST_MAX}");
        let tokens = [
            "CHANTYPES=#&",
            "CASEMAPPING=rfc1459",
            "PREFIX=(ov)@+",
            "CHANMODES=b,k,l,imnpst",
            &modes,
            &maxlist,
            &nicklen,
            &chanlen,
            &topiclen,
            &awaylen,
            &network,
        ];
        self.reply(RPL_ISUPPORT, &tokens, Some("are supported by this server"));
    }

    fn motd(&mut self) {
        let Some(motd) = self.reg.motd.clone() else {
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
        self.me_mut().last_spoke = Instant::now();
        let prefix = self.me().prefix();
        let echo = self.me().caps.has(Cap::EchoMessage);
        // Tags go only to clients that asked for them; none asked, no tag.
        let tag = (self.reg.tag_users > 0).then(|| time_tag(clock::unix_millis()));
        let (mut accepted, mut deliveries) = (false, 0);
        for target in targets.split(',').filter(|t| !t.is_empty()) {
            if is_channel_name(target) {
                let key = fold(target);
                let Some(channel) = self.reg.channels.get(&key) else {
                    if errors {
                        self.reply(ERR_NOSUCHNICK, &[target], Some("No such nick/channel"));
                    }
                    continue;
                };
                let member = self.me().channels.contains(&key);
                let modes = &channel.modes;
                let refused = (!member && modes.no_external)
                    || ((modes.moderated || !channel.bans.is_empty())
                        && !channel.may_speak_always(self.id)
                        && (modes.moderated || channel.banned(&prefix)));
                if refused {
                    if errors {
                        self.reply(ERR_CANNOTSENDTOCHAN, &[target], Some("Cannot send to channel"));
                    }
                    continue;
                }
                let mut line = Vec::new();
                write_message(&mut line, Some(&prefix), command, &[target], Some(text));
                deliveries += match &tag {
                    None => self.reg.send_to_channel(&key, &line, Some(self.id)),
                    Some(tag) => self.reg.send_to_channel_tagged(&key, tag, &line, Some(self.id)),
                };
                if echo {
                    self.echo(tag.as_deref(), &line);
                }
                accepted = true;
                continue;
            }
            let found = self.reg.find_nick(target).filter(|id| self.reg.users.get(id).is_some_and(|u| u.registered));
            let Some(to) = found else {
                if errors {
                    self.reply(ERR_NOSUCHNICK, &[target], Some("No such nick/channel"));
                }
                continue;
            };
            let mut line = Vec::new();
            write_message(&mut line, Some(&prefix), command, &[target], Some(text));
            let tagged = tag.as_deref().filter(|_| self.reg.users[&to].caps.tags());
            let out = self.reg.outbox.to(to);
            if let Some(tag) = tagged {
                out.extend_from_slice(tag.as_bytes());
            }
            out.extend_from_slice(&line);
            if echo {
                self.echo(tag.as_deref(), &line);
            }
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

    /// `echo-message`: the sender's own message back, tagged if it takes tags.
    fn echo(&mut self, tag: Option<&str>, line: &[u8]) {
        let tagged = tag.filter(|_| self.me().caps.tags());
        let out = self.mine();
        if let Some(tag) = tagged {
            out.extend_from_slice(tag.as_bytes());
        }
        out.extend_from_slice(line);
    }

    // ----- queries ---------------------------------------------------------

    /// One 352 line about `id` as seen in `channel` (`*` for none).
    fn who_line(&mut self, channel: &str, id: ConnId) {
        let Some(u) = self.reg.users.get(&id) else { return };
        let mut flags = String::from(if u.away.is_some() { "G" } else { "H" });
        if u.oper.is_some() {
            flags.push('*');
        }
        if let Some(c) = self.reg.channels.get(&fold(channel)) {
            flags.push_str(c.prefix(id, self.me().caps.has(Cap::MultiPrefix)));
        }
        let (user, host, nick) = (u.user.clone().unwrap_or_default(), u.host.clone(), u.nick_or_star().to_string());
        let real = format!("0 {}", u.realname);
        let server = self.server();
        self.reply(RPL_WHOREPLY, &[channel, &user, &host, server, &nick, &flags], Some(&real));
    }

    fn who(&mut self, p: &[&str]) {
        let mask = p.first().copied().unwrap_or("*");
        let key = fold(mask);
        if let Some(channel) = self.reg.channels.get(&key).filter(|_| self.sees(&key)) {
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
            let (user, host, real, away, oper) = (
                u.user.clone().unwrap_or_default(),
                u.host.clone(),
                u.realname.clone(),
                u.away.clone(),
                u.oper.is_some(),
            );
            let idle = u.last_spoke.elapsed().as_secs().to_string();
            let signon = u.signon.to_string();
            let id = self.reg.find_nick(nick).expect("found above");
            let channels = self.visible_channels_of(id);
            self.reply(RPL_WHOISUSER, &[&name, &user, &host, "*"], Some(&real));
            if !channels.is_empty() {
                self.reply(RPL_WHOISCHANNELS, &[&name], Some(&channels.join(" ")));
            }
            let server = self.server();
            self.reply(RPL_WHOISSERVER, &[&name, server], Some("switchyard chat"));
            if let Some(away) = away {
                self.reply(RPL_AWAY, &[&name], Some(&away));
            }
            if oper {
                self.reply(RPL_WHOISOPERATOR, &[&name], Some("is an IRC operator"));
            }
            self.reply(RPL_WHOISIDLE, &[&name, &idle, &signon], Some("seconds idle, signon time"));
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
            return self.channel_mode(target, &p[1..]);
        }
        if fold(target) != fold(self.me().nick_or_star()) {
            if self.reg.find_nick(target).is_none() {
                return self.reply(ERR_NOSUCHNICK, &[target], Some("No such nick/channel"));
            }
            return self.reply(ERR_USERSDONTMATCH, &[], Some("Cannot change mode for other users"));
        }
        let Some(&change) = p.get(1) else {
            let modes = self.user_modes();
            return self.reply(RPL_UMODEIS, &[&modes], None);
        };
        let mut adding = true;
        let mut unknown = false;
        let mut applied = String::new();
        let mut sign = None;
        for c in change.chars() {
            let me = self.me_mut();
            let flag = match c {
                '+' | '-' => {
                    adding = c == '+';
                    continue;
                }
                'i' => &mut me.invisible,
                'w' => &mut me.wallops,
                // Only OPER gives `+o`; anyone may drop it.
                'o' if !adding && me.oper.is_some() => {
                    me.oper = None;
                    self.reg.opers = self.reg.opers.saturating_sub(1);
                    applied.push_str(if sign == Some(false) { "o" } else { "-o" });
                    sign = Some(false);
                    continue;
                }
                'o' => continue,
                _ => {
                    unknown = true;
                    continue;
                }
            };
            if std::mem::replace(flag, adding) == adding {
                continue;
            }
            if c == 'i' {
                if adding {
                    self.reg.invisible += 1;
                } else {
                    self.reg.invisible = self.reg.invisible.saturating_sub(1);
                }
            }
            if sign != Some(adding) {
                applied.push(if adding { '+' } else { '-' });
                sign = Some(adding);
            }
            applied.push(c);
        }
        if unknown {
            self.reply(ERR_UMODEUNKNOWNFLAG, &[], Some("Unknown MODE flag"));
        }
        if !applied.is_empty() {
            let nick = self.me().nick_or_star().to_string();
            let prefix = self.me().prefix();
            self.tell(&prefix, "MODE", &[&nick], Some(&applied));
        }
    }

    /// `+iow` as far as set (221).
    fn user_modes(&self) -> String {
        let me = self.me();
        let mut modes = String::from("+");
        for (set, c) in [(me.invisible, 'i'), (me.oper.is_some(), 'o'), (me.wallops, 'w')] {
            if set {
                modes.push(c);
            }
        }
        modes
    }

    fn away(&mut self, p: &[&str]) {
        let away = p.first().filter(|m| !m.is_empty()).map(|m| cut(m, AWAY_MAX_BYTES).to_string());
        let mut line = Vec::new();
        write_message(&mut line, Some(&self.me().prefix()), "AWAY", &[], away.as_deref());
        let told = away.is_some();
        self.me_mut().away = away;
        if told {
            self.reply(RPL_NOWAWAY, &[], Some("You have been marked as being away"));
        } else {
            self.reply(RPL_UNAWAY, &[], Some("You are no longer marked as being away"));
        }
        for peer in self.reg.peers(self.id) {
            if self.reg.users.get(&peer).is_some_and(|u| u.caps.has(Cap::AwayNotify)) {
                self.reg.outbox.to(peer).extend_from_slice(&line);
            }
        }
    }
}
