//! The channel commands: JOIN, PART, TOPIC, NAMES, LIST, KICK, INVITE and
//! channel MODE.
//!
//! Who may do what: a channel operator (`@`) changes modes, sets the topic
//! of a `+t` channel, kicks and invites into a `+i` channel; a server
//! operator may do all of that in any channel, member or not.

use switchyard_codec::irc::{fold, validate_channel, write_message, MAX_CONTENT_BYTES};
use switchyard_engine::ConnId;

use super::{cut, Session, CHANNEL_MAX_BYTES, TOPIC_MAX_BYTES};
use crate::caps::Cap;
use crate::channel::{full_mask, Ban, Topic, BAN_LIST_MAX};
use crate::clock;
use crate::numeric::*;

/// Most mode changes with a parameter in one MODE command (005 `MODES`).
pub const MODES_PER_COMMAND: usize = 6;
/// Longest channel key kept from `+k`.
const KEY_MAX_BYTES: usize = 23;

/// Why a JOIN to an existing channel is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    Banned,
    InviteOnly,
    BadKey,
    Full,
}

impl Refusal {
    fn reply(self) -> (&'static str, &'static str) {
        match self {
            Refusal::Banned => (ERR_BANNEDFROMCHAN, "Cannot join channel (+b)"),
            Refusal::InviteOnly => (ERR_INVITEONLYCHAN, "Cannot join channel (+i)"),
            Refusal::BadKey => (ERR_BADCHANNELKEY, "Cannot join channel (+k)"),
            Refusal::Full => (ERR_CHANNELISFULL, "Cannot join channel (+l)"),
        }
    }
}

impl Session<'_> {
    /// This client is a channel operator of `key`, or a server operator.
    fn may_op(&self, key: &str) -> bool {
        self.me().oper.is_some() || self.reg.channels.get(key).is_some_and(|c| c.is_op(self.id))
    }

    pub(super) fn join(&mut self, p: &[&str]) {
        let Some(&names) = p.first().filter(|n| !n.is_empty()) else { return self.need_more("JOIN") };
        if names == "0" {
            let keys: Vec<String> = self.me().channels.iter().cloned().collect();
            for key in keys {
                self.leave(&key, None);
            }
            return;
        }
        let mut keys = p.get(1).map(|k| k.split(',')).into_iter().flatten();
        for name in names.split(',').filter(|n| !n.is_empty()) {
            let given = keys.next();
            if validate_channel(name, CHANNEL_MAX_BYTES).is_err() {
                self.reply(ERR_BADCHANNAME, &[name], Some("Illegal channel name"));
                continue;
            }
            let key = fold(name);
            if self.me().channels.contains(&key) {
                continue;
            }
            if let Some(why) = self.refusal(&key, given) {
                let (code, text) = why.reply();
                let shown = self.reg.channels[&key].name.clone();
                self.reply(code, &[&shown], Some(text));
                continue;
            }
            if !self.reg.join(self.id, name, clock::unix_now()) {
                continue;
            }
            let shown = self.reg.channels[&key].name.clone();
            let me = self.me();
            let (prefix, realname, away) = (me.prefix(), me.realname.clone(), me.away.clone());
            let (mut plain, mut extended, mut away_line) = (Vec::new(), Vec::new(), Vec::new());
            write_message(&mut plain, Some(&prefix), "JOIN", &[&shown], None);
            write_message(&mut extended, Some(&prefix), "JOIN", &[&shown, "*"], Some(&realname));
            if let Some(away) = &away {
                write_message(&mut away_line, Some(&prefix), "AWAY", &[], Some(away));
            }
            for m in self.reg.channels[&key].members.clone() {
                let caps = self.reg.users.get(&m).map(|u| u.caps).unwrap_or_default();
                let out = self.reg.outbox.to(m);
                out.extend_from_slice(if caps.has(Cap::ExtendedJoin) { &extended } else { &plain });
                if m != self.id && caps.has(Cap::AwayNotify) {
                    out.extend_from_slice(&away_line);
                }
            }
            if self.reg.channels[&key].topic.is_some() {
                self.send_topic(&key);
            }
            self.send_names(&key);
        }
    }

    /// Why this client may not join the existing channel `key` with `given`
    /// as its key; an invitation passes `+i`, bans and the limit, not the key.
    fn refusal(&self, key: &str, given: Option<&str>) -> Option<Refusal> {
        let channel = self.reg.channels.get(key)?;
        let me = self.me();
        let invited = me.invited.contains(key);
        let modes = &channel.modes;
        if !invited && !channel.bans.is_empty() && channel.banned(&me.prefix()) {
            Some(Refusal::Banned)
        } else if !invited && modes.invite_only {
            Some(Refusal::InviteOnly)
        } else if modes.key.as_deref().is_some_and(|k| given != Some(k)) {
            Some(Refusal::BadKey)
        } else if !invited && modes.limit.is_some_and(|l| channel.members.len() >= l) {
            Some(Refusal::Full)
        } else {
            None
        }
    }

    pub(super) fn part(&mut self, p: &[&str]) {
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

    pub(super) fn topic(&mut self, p: &[&str]) {
        let Some(&name) = p.first() else { return self.need_more("TOPIC") };
        let key = fold(name);
        let Some(channel) = self.reg.channels.get(&key) else {
            return self.reply(ERR_NOSUCHCHANNEL, &[name], Some("No such channel"));
        };
        let member = self.me().channels.contains(&key);
        let Some(&text) = p.get(1) else {
            if channel.modes.hidden() && !member {
                return self.reply(ERR_NOTONCHANNEL, &[name], Some("You're not on that channel"));
            }
            return self.send_topic(&key);
        };
        let shown = channel.name.clone();
        let locked = channel.modes.topic_ops_only;
        if !member && self.me().oper.is_none() {
            return self.reply(ERR_NOTONCHANNEL, &[&shown], Some("You're not on that channel"));
        }
        if locked && !self.may_op(&key) {
            return self.reply(ERR_CHANOPRIVSNEEDED, &[&shown], Some("You're not channel operator"));
        }
        let text = cut(text, TOPIC_MAX_BYTES);
        let prefix = self.me().prefix();
        let channel = self.reg.channels.get_mut(&key).expect("checked above");
        channel.topic = (!text.is_empty()).then(|| Topic {
            text: text.to_string(),
            set_by: prefix.clone(),
            set_at: clock::unix_now(),
        });
        let mut line = Vec::new();
        write_message(&mut line, Some(&prefix), "TOPIC", &[&shown], Some(text));
        self.reg.send_to_channel(&key, &line, None);
        if !member {
            self.mine().extend_from_slice(&line);
        }
    }

    /// 332 and 333, or 331.
    pub(super) fn send_topic(&mut self, key: &str) {
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
    pub(super) fn send_names(&mut self, key: &str) {
        let channel = &self.reg.channels[key];
        let name = channel.name.clone();
        let kind = channel.modes.names_type();
        let all = self.me().caps.has(Cap::MultiPrefix);
        let nicks: Vec<String> = channel
            .members
            .iter()
            .filter_map(|&m| Some(format!("{}{}", channel.prefix(m, all), self.reg.users.get(&m)?.nick.as_deref()?)))
            .collect();
        let me = self.me().nick_or_star().len();
        // ":server 353 me = #name :" and the CRLF's share of the limit.
        let room = MAX_CONTENT_BYTES - (self.server().len() + me + name.len() + 12);
        let mut batch = String::new();
        for nick in nicks {
            if !batch.is_empty() && batch.len() + 1 + nick.len() > room {
                self.reply(RPL_NAMREPLY, &[kind, &name], Some(&batch));
                batch.clear();
            }
            if !batch.is_empty() {
                batch.push(' ');
            }
            batch.push_str(&nick);
        }
        if !batch.is_empty() {
            self.reply(RPL_NAMREPLY, &[kind, &name], Some(&batch));
        }
        self.reply(RPL_ENDOFNAMES, &[&name], Some("End of NAMES list"));
    }

    /// The channel `key` is shown to this client: public, or it is a member.
    pub(super) fn sees(&self, key: &str) -> bool {
        self.reg.channels.get(key).is_some_and(|c| !c.modes.hidden() || self.me().channels.contains(key))
    }

    pub(super) fn names(&mut self, p: &[&str]) {
        let Some(&names) = p.first() else {
            let keys: Vec<String> = self.reg.channels.keys().filter(|k| self.sees(k)).cloned().collect();
            for key in keys {
                self.send_names(&key);
            }
            return;
        };
        for name in names.split(',').filter(|n| !n.is_empty()) {
            let key = fold(name);
            if self.sees(&key) {
                self.send_names(&key);
            } else {
                self.reply(RPL_ENDOFNAMES, &[name], Some("End of NAMES list"));
            }
        }
    }

    pub(super) fn list(&mut self, p: &[&str]) {
        let wanted: Option<Vec<String>> =
            p.first().map(|names| names.split(',').filter(|n| !n.is_empty()).map(fold).collect());
        let rows: Vec<(String, String, String)> = self
            .reg
            .channels
            .iter()
            .filter(|(key, _)| wanted.as_ref().is_none_or(|w| w.contains(key)) && self.sees(key))
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

    /// `KICK #c nick[,nick...] [:reason]`: the reason defaults to the kicker's nick.
    pub(super) fn kick(&mut self, p: &[&str]) {
        let (Some(&name), Some(&nicks)) = (p.first(), p.get(1)) else { return self.need_more("KICK") };
        let key = fold(name);
        let Some(channel) = self.reg.channels.get(&key) else {
            return self.reply(ERR_NOSUCHCHANNEL, &[name], Some("No such channel"));
        };
        let shown = channel.name.clone();
        let oper = self.me().oper.is_some();
        if !self.me().channels.contains(&key) && !oper {
            return self.reply(ERR_NOTONCHANNEL, &[&shown], Some("You're not on that channel"));
        }
        if !self.may_op(&key) {
            return self.reply(ERR_CHANOPRIVSNEEDED, &[&shown], Some("You're not channel operator"));
        }
        let prefix = self.me().prefix();
        let reason = match p.get(2).filter(|r| !r.is_empty()) {
            Some(r) => cut(r, TOPIC_MAX_BYTES).to_string(),
            None => self.me().nick_or_star().to_string(),
        };
        for nick in nicks.split(',').filter(|n| !n.is_empty()) {
            let Some(victim) = self.reg.find_nick(nick) else {
                self.reply(ERR_NOSUCHNICK, &[nick], Some("No such nick/channel"));
                continue;
            };
            let in_channel = self.reg.users.get(&victim).is_some_and(|u| u.channels.contains(&key));
            let shown_nick = self.reg.users[&victim].nick_or_star().to_string();
            if !in_channel {
                self.reply(ERR_USERNOTINCHANNEL, &[&shown_nick, &shown], Some("They aren't on that channel"));
                continue;
            }
            let mut line = Vec::new();
            write_message(&mut line, Some(&prefix), "KICK", &[&shown, &shown_nick], Some(&reason));
            self.reg.send_to_channel(&key, &line, None);
            if !self.me().channels.contains(&key) {
                self.mine().extend_from_slice(&line);
            }
            self.reg.part(victim, &key);
            if !self.reg.channels.contains_key(&key) {
                break;
            }
        }
    }

    /// `INVITE nick #c`: 341 to the inviter, `INVITE` to the invited.
    pub(super) fn invite(&mut self, p: &[&str]) {
        let (Some(&nick), Some(&name)) = (p.first(), p.get(1)) else { return self.need_more("INVITE") };
        let Some(to) = self.reg.find_nick(nick).filter(|id| self.reg.users.get(id).is_some_and(|u| u.registered))
        else {
            return self.reply(ERR_NOSUCHNICK, &[nick], Some("No such nick/channel"));
        };
        let key = fold(name);
        let mut shown = name.to_string();
        if let Some(channel) = self.reg.channels.get(&key) {
            shown = channel.name.clone();
            let invite_only = channel.modes.invite_only;
            if !self.me().channels.contains(&key) && self.me().oper.is_none() {
                return self.reply(ERR_NOTONCHANNEL, &[&shown], Some("You're not on that channel"));
            }
            if channel.is_member(to) {
                let their = self.reg.users[&to].nick_or_star().to_string();
                return self.reply(ERR_USERONCHANNEL, &[&their, &shown], Some("is already on channel"));
            }
            if invite_only && !self.may_op(&key) {
                return self.reply(ERR_CHANOPRIVSNEEDED, &[&shown], Some("You're not channel operator"));
            }
        }
        let prefix = self.me().prefix();
        let target = self.reg.users.get_mut(&to).expect("found above");
        target.invited.insert(key);
        let (their, away) = (target.nick_or_star().to_string(), target.away.clone());
        write_message(self.reg.outbox.to(to), Some(&prefix), "INVITE", &[&their], Some(&shown));
        self.reply(RPL_INVITING, &[&their, &shown], None);
        if let Some(away) = away {
            self.reply(RPL_AWAY, &[&their], Some(&away));
        }
    }

    /// `MODE #c [changes [params...]]`.
    pub(super) fn channel_mode(&mut self, name: &str, p: &[&str]) {
        let key = fold(name);
        let Some(channel) = self.reg.channels.get(&key) else {
            return self.reply(ERR_NOSUCHCHANNEL, &[name], Some("No such channel"));
        };
        let shown = channel.name.clone();
        let Some(&changes) = p.first() else {
            let member = self.me().channels.contains(&key);
            let (flags, params) = channel.modes.describe(member);
            let created = channel.created.to_string();
            let mut middle = vec![shown.as_str(), flags.as_str()];
            middle.extend(params.iter().map(String::as_str));
            self.reply(RPL_CHANNELMODEIS, &middle, None);
            return self.reply(RPL_CREATIONTIME, &[&shown, &created], None);
        };
        let allowed = self.may_op(&key);
        let prefix = self.me().prefix();
        let mut args = p[1..].iter().copied();
        let mut adding = true;
        let mut with_param = 0;
        let mut denied = false;
        let mut listed = false;
        // What changed: the sign, the letter and its parameter.
        let mut applied: Vec<(bool, char, Option<String>)> = Vec::new();
        for c in changes.chars() {
            let takes_param = match c {
                '+' | '-' => {
                    adding = c == '+';
                    continue;
                }
                'b' | 'o' | 'v' => true,
                'k' | 'l' => adding,
                'i' | 'm' | 'n' | 'p' | 's' | 't' => false,
                _ => {
                    let letter = c.to_string();
                    self.reply(ERR_UNKNOWNMODE, &[&letter], Some(&format!("is unknown mode char to me for {shown}")));
                    continue;
                }
            };
            let arg = if takes_param {
                if with_param == MODES_PER_COMMAND {
                    break;
                }
                let arg = args.next().filter(|a| !a.is_empty());
                if arg.is_some() {
                    with_param += 1;
                }
                arg
            } else if c == 'k' {
                // `-k` may name the key; it is not needed.
                args.next();
                None
            } else {
                None
            };
            if c == 'b' && arg.is_none() {
                if !listed {
                    listed = true;
                    self.ban_list(&key);
                }
                continue;
            }
            if takes_param && arg.is_none() {
                if c != 'b' {
                    self.need_more("MODE");
                }
                continue;
            }
            if !allowed {
                if !denied {
                    denied = true;
                    self.reply(ERR_CHANOPRIVSNEEDED, &[&shown], Some("You're not channel operator"));
                }
                continue;
            }
            if let Some(change) = self.apply_mode(&key, &shown, &prefix, adding, c, arg) {
                applied.push((adding, c, change));
            }
        }
        if applied.is_empty() {
            return;
        }
        let mut flags = String::new();
        let mut params: Vec<String> = Vec::new();
        let mut sign = None;
        for (adding, c, param) in applied {
            if sign != Some(adding) {
                flags.push(if adding { '+' } else { '-' });
                sign = Some(adding);
            }
            flags.push(c);
            params.extend(param);
        }
        let mut middle = vec![shown.as_str(), flags.as_str()];
        middle.extend(params.iter().map(String::as_str));
        let mut line = Vec::new();
        write_message(&mut line, Some(&prefix), "MODE", &middle, None);
        self.reg.send_to_channel(&key, &line, None);
        if !self.me().channels.contains(&key) {
            self.mine().extend_from_slice(&line);
        }
    }

    /// Applies one change; `Some(parameter to show)` if it changed anything.
    fn apply_mode(
        &mut self,
        key: &str,
        shown: &str,
        setter: &str,
        adding: bool,
        c: char,
        arg: Option<&str>,
    ) -> Option<Option<String>> {
        match c {
            'o' | 'v' => {
                let nick = arg?;
                let Some(who) = self.reg.find_nick(nick) else {
                    self.reply(ERR_NOSUCHNICK, &[nick], Some("No such nick/channel"));
                    return None;
                };
                let their = self.reg.users[&who].nick_or_star().to_string();
                let channel = self.reg.channels.get_mut(key)?;
                if !channel.is_member(who) {
                    self.reply(ERR_USERNOTINCHANNEL, &[&their, shown], Some("They aren't on that channel"));
                    return None;
                }
                let set = if c == 'o' { &mut channel.ops } else { &mut channel.voiced };
                let changed = if adding { set.insert(who) } else { set.remove(&who) };
                changed.then_some(Some(their))
            }
            'b' => {
                let mask = full_mask(arg?);
                let channel = self.reg.channels.get_mut(key)?;
                let folded = fold(&mask);
                let at = channel.bans.iter().position(|b| fold(&b.mask) == folded);
                match (adding, at) {
                    (true, None) if channel.bans.len() >= BAN_LIST_MAX => {
                        self.reply(ERR_BANLISTFULL, &[shown, "b"], Some("Channel list is full"));
                        None
                    }
                    (true, None) => {
                        let ban = Ban { mask: mask.clone(), set_by: setter.to_string(), set_at: clock::unix_now() };
                        channel.bans.push(ban);
                        Some(Some(mask))
                    }
                    (false, Some(i)) => Some(Some(channel.bans.remove(i).mask)),
                    _ => None,
                }
            }
            'k' => {
                let modes = &mut self.reg.channels.get_mut(key)?.modes;
                if !adding {
                    return modes.key.take().map(|_| Some("*".to_string()));
                }
                let new: String = arg?.chars().filter(|&c| c != ',').collect();
                let new = cut(&new, KEY_MAX_BYTES).to_string();
                if new.is_empty() || modes.key.as_deref() == Some(&new) {
                    return None;
                }
                modes.key = Some(new.clone());
                Some(Some(new))
            }
            'l' => {
                let modes = &mut self.reg.channels.get_mut(key)?.modes;
                if !adding {
                    return modes.limit.take().map(|_| None);
                }
                let limit = arg?.parse::<usize>().ok().filter(|&l| l > 0)?;
                if modes.limit == Some(limit) {
                    return None;
                }
                modes.limit = Some(limit);
                Some(Some(limit.to_string()))
            }
            _ => {
                let modes = &mut self.reg.channels.get_mut(key)?.modes;
                let flag = match c {
                    'i' => &mut modes.invite_only,
                    'm' => &mut modes.moderated,
                    'n' => &mut modes.no_external,
                    'p' => &mut modes.private,
                    's' => &mut modes.secret,
                    't' => &mut modes.topic_ops_only,
                    _ => return None,
                };
                (std::mem::replace(flag, adding) != adding).then_some(None)
            }
        }
    }

    /// 367 for each ban, then 368.
    fn ban_list(&mut self, key: &str) {
        let Some(channel) = self.reg.channels.get(key) else { return };
        let shown = channel.name.clone();
        for ban in channel.bans.clone() {
            self.reply(RPL_BANLIST, &[&shown, &ban.mask, &ban.set_by, &ban.set_at.to_string()], None);
        }
        self.reply(RPL_ENDOFBANLIST, &[&shown], Some("End of channel ban list"));
    }

    /// The channels of `id` that this client may see, with `id`'s prefix in
    /// each (319).
    pub(super) fn visible_channels_of(&self, id: ConnId) -> Vec<String> {
        let Some(u) = self.reg.users.get(&id) else { return Vec::new() };
        let all = self.me().caps.has(Cap::MultiPrefix);
        u.channels
            .iter()
            .filter(|k| self.sees(k))
            .filter_map(|k| self.reg.channels.get(k))
            .map(|c| format!("{}{}", c.prefix(id, all), c.name))
            .collect()
    }
}
