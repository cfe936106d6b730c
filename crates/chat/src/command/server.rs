//! The server commands: OPER and what operators may do (KILL, WALLOPS),
//! and the questions about the server (LUSERS, VERSION, TIME, ADMIN, INFO).

use std::time::{Duration, Instant};

use switchyard_codec::irc::write_message;

use super::Session;
use crate::clock;
use crate::numeric::*;

/// At most one warning a minute about failed OPER attempts; the rest are
/// counted in the next warning and in the metric.
const OPER_WARN_INTERVAL: Duration = Duration::from_secs(60);

/// `switchyard-0.1.0`.
pub const VERSION: &str = concat!("switchyard-", env!("CARGO_PKG_VERSION"));

impl Session<'_> {
    /// `OPER name password`: `+o` if the password matches the `[chat.opers]`
    /// entry `name`; 464 otherwise (an unknown name answers the same, so
    /// names cannot be probed).
    pub(super) fn oper(&mut self, p: &[&str]) {
        let (Some(&name), Some(&password)) = (p.first(), p.get(1)) else { return self.need_more("OPER") };
        if self.me().oper.is_some() {
            return self.reply(RPL_YOUREOPER, &[], Some("You are now an IRC operator"));
        }
        if self.options.opers.is_empty() {
            return self.reply(ERR_NOOPERHOST, &[], Some("No O-lines for your host"));
        }
        let entry = self.options.opers.iter().find(|o| o.name == name);
        if !entry.is_some_and(|o| o.hash.verify(password)) {
            self.oper_failed(name);
            return self.reply(ERR_PASSWDMISMATCH, &[], Some("Password incorrect"));
        }
        self.me_mut().oper = Some(name.to_string());
        self.reg.opers += 1;
        let (nick, prefix, host) = (self.me().nick_or_star().to_string(), self.me().prefix(), self.me().host.clone());
        tracing::info!(oper = name, nick = %nick, host = %host, "chat: OPER succeeded");
        self.reply(RPL_YOUREOPER, &[], Some("You are now an IRC operator"));
        self.tell(&prefix, "MODE", &[&nick], Some("+o"));
    }

    /// Counts a failed OPER, and warns unless it warned in the last minute.
    fn oper_failed(&mut self, name: &str) {
        self.reg.counters.oper_failed();
        let now = Instant::now();
        let log = &mut self.reg.oper_log;
        log.unlogged += 1;
        if log.last_warned.is_some_and(|t| now.duration_since(t) < OPER_WARN_INTERVAL) {
            return;
        }
        let me = &self.reg.users[&self.id];
        tracing::warn!(
            oper = name,
            nick = %me.nick_or_star(),
            host = %me.host,
            failures = log.unlogged,
            "chat: OPER refused: wrong name or password (failures since the last such warning)"
        );
        log.unlogged = 0;
        log.last_warned = Some(now);
    }

    fn not_oper(&mut self) -> bool {
        if self.me().oper.is_some() {
            return false;
        }
        self.reply(ERR_NOPRIVILEGES, &[], Some("Permission Denied- You're not an IRC operator"));
        true
    }

    /// `KILL nick :reason`: the victim is told and disconnected, its
    /// channels see `QUIT :Killed (oper (reason))`.
    pub(super) fn kill(&mut self, p: &[&str]) {
        let Some(&nick) = p.first() else { return self.need_more("KILL") };
        if self.not_oper() {
            return;
        }
        let Some(victim) = self.reg.find_nick(nick).filter(|id| self.reg.users.get(id).is_some_and(|u| u.registered))
        else {
            return self.reply(ERR_NOSUCHNICK, &[nick], Some("No such nick/channel"));
        };
        let me = self.me();
        let (killer, prefix) = (me.nick_or_star().to_string(), me.prefix());
        let reason = p.get(1).filter(|r| !r.is_empty()).copied().unwrap_or(&killer).to_string();
        let quit = format!("Killed ({killer} ({reason}))");
        let target = &self.reg.users[&victim];
        let (their, host) = (target.nick_or_star().to_string(), target.host.clone());
        tracing::info!(oper = %killer, victim = %their, reason = %reason, "chat: KILL");
        let out = self.reg.outbox.to(victim);
        write_message(out, Some(&prefix), "KILL", &[&their], Some(&reason));
        write_message(out, None, "ERROR", &[], Some(&format!("Closing Link: {host} ({quit})")));
        self.reg.quit(victim, &quit);
        self.reg.outbox.close(victim);
        if victim == self.id {
            self.gone = true;
        }
    }

    /// `WALLOPS :text` to every user with `+w`.
    pub(super) fn wallops(&mut self, p: &[&str]) {
        let Some(&text) = p.first().filter(|t| !t.is_empty()) else { return self.need_more("WALLOPS") };
        if self.not_oper() {
            return;
        }
        let mut line = Vec::new();
        write_message(&mut line, Some(&self.me().prefix()), "WALLOPS", &[], Some(text));
        let to: Vec<_> = self.reg.users.iter().filter(|(_, u)| u.wallops && u.registered).map(|(&id, _)| id).collect();
        for id in to {
            self.reg.outbox.to(id).extend_from_slice(&line);
        }
    }

    /// 251–255, 265, 266: how many users, operators, unknown connections
    /// and channels (also sent at registration).
    pub(super) fn lusers(&mut self) {
        let reg = &*self.reg;
        let users = reg.registered;
        let (invisible, opers, channels, max) = (reg.invisible, reg.opers, reg.channels.len(), reg.max_registered);
        let unknown = reg.users.len().saturating_sub(users);
        let visible = users.saturating_sub(invisible);
        let text = format!("There are {visible} users and {invisible} invisible on 1 servers");
        self.reply(RPL_LUSERCLIENT, &[], Some(&text));
        if opers > 0 {
            self.reply(RPL_LUSEROP, &[&opers.to_string()], Some("operator(s) online"));
        }
        if unknown > 0 {
            self.reply(RPL_LUSERUNKNOWN, &[&unknown.to_string()], Some("unknown connection(s)"));
        }
        if channels > 0 {
            self.reply(RPL_LUSERCHANNELS, &[&channels.to_string()], Some("channels formed"));
        }
        self.reply(RPL_LUSERME, &[], Some(&format!("I have {users} clients and 0 servers")));
        let (u, m) = (users.to_string(), max.to_string());
        self.reply(RPL_LOCALUSERS, &[&u, &m], Some(&format!("Current local users: {users}, max: {max}")));
        self.reply(RPL_GLOBALUSERS, &[&u, &m], Some(&format!("Current global users: {users}, max: {max}")));
    }

    /// 351 and the 005 lines.
    pub(super) fn version(&mut self) {
        let server = self.server();
        self.reply(RPL_VERSION, &[&format!("{VERSION}."), server], Some("switchyard chat service"));
        self.isupport();
    }

    /// 391: the server's time, in UTC.
    pub(super) fn time(&mut self) {
        let server = self.server();
        self.reply(RPL_TIME, &[server], Some(&clock::format_utc(clock::unix_now())));
    }

    /// 256–259. There is nothing to configure: the server's name and software.
    pub(super) fn admin(&mut self) {
        let server = self.server();
        self.reply(RPL_ADMINME, &[server], Some("Administrative info"));
        self.reply(RPL_ADMINLOC1, &[], Some(server));
        self.reply(RPL_ADMINLOC2, &[], Some(&format!("{VERSION} chat service")));
        self.reply(RPL_ADMINEMAIL, &[], Some("No contact address configured"));
    }

    /// 371 lines and 374.
    pub(super) fn info(&mut self) {
        let created = clock::format_utc(self.created);
        for line in [
            format!("{VERSION}: an IRC server of the switchyard engine"),
            "RFC 1459 / RFC 2812 with IRCv3 capabilities".to_string(),
            format!("Started {created}"),
        ] {
            self.reply(RPL_INFO, &[], Some(&line));
        }
        self.reply(RPL_ENDOFINFO, &[], Some("End of INFO list"));
    }
}
