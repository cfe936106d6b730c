//! The chat service's own metrics, rendered in the Prometheus text format
//! beside the engine's (the admin listener's `/metrics`).
//!
//! The counters live in the [`Registry`](crate::registry::Registry) and
//! change only while its lock is held, which everything they count holds
//! anyway: plain integers, with no atomics or lock of their own. The
//! gauges are read from the registry when the metrics are rendered.

use std::fmt::Write;

use switchyard_engine::CloseReason;

/// Why the server dropped a client, as its channels were told in the QUIT.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dropped {
    /// `Excess Flood`: a whole burst over its line rate (or its input
    /// buffer full).
    Flood,
    /// `Max SendQ exceeded`: its unsent output passed the limit, or made no
    /// progress for the write timeout.
    SendQ,
    /// `Ping timeout`: silent through a PING and the time to answer it (or
    /// the engine's idle or request timeout).
    PingTimeout,
}

impl Dropped {
    /// Every reason, in the order they are rendered.
    const ALL: [Dropped; 3] = [Dropped::Flood, Dropped::SendQ, Dropped::PingTimeout];

    fn as_str(self) -> &'static str {
        match self {
            Dropped::Flood => "flood",
            Dropped::SendQ => "sendq",
            Dropped::PingTimeout => "ping_timeout",
        }
    }

    /// The drop that an engine-side close for `reason` amounts to, if any.
    pub fn for_close(reason: CloseReason) -> Option<Dropped> {
        match reason {
            CloseReason::InputTooLarge => Some(Dropped::Flood),
            CloseReason::WriteTimeout | CloseReason::OutputTooLarge => Some(Dropped::SendQ),
            CloseReason::Idle | CloseReason::RequestTimeout => Some(Dropped::PingTimeout),
            _ => None,
        }
    }
}

/// The commands that carry a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Message {
    Privmsg,
    Notice,
}

impl Message {
    const ALL: [Message; 2] = [Message::Privmsg, Message::Notice];

    fn as_str(self) -> &'static str {
        match self {
            Message::Privmsg => "privmsg",
            Message::Notice => "notice",
        }
    }
}

/// The service's counters since it started.
#[derive(Clone, Copy, Debug, Default)]
pub struct Counters {
    /// Messages accepted, indexed like `Message::ALL`.
    messages: [u64; 2],
    /// Copies of messages queued for their recipients.
    deliveries: u64,
    /// Clients dropped, indexed like `Dropped::ALL`.
    dropped: [u64; 3],
    /// OPER attempts refused for a wrong name or password.
    oper_failures: u64,
}

/// The figures that are read, not counted.
#[derive(Clone, Copy, Debug, Default)]
pub struct Gauges {
    /// Registered users.
    pub users: usize,
    /// Connections that have not registered (yet).
    pub unregistered: usize,
    /// Channels.
    pub channels: usize,
}

impl Counters {
    /// Counts one message accepted for at least one target, and the
    /// `deliveries` it made (none for a channel with only the sender in it).
    pub fn message(&mut self, kind: Message, deliveries: usize) {
        self.messages[kind as usize] += 1;
        self.deliveries += deliveries as u64;
    }

    /// Counts one client dropped.
    pub fn dropped(&mut self, why: Dropped) {
        self.dropped[why as usize] += 1;
    }

    /// Counts one refused OPER.
    pub fn oper_failed(&mut self) {
        self.oper_failures += 1;
    }

    /// Appends the gauges and every counter; each labelled family lists
    /// every label value, zeros included.
    pub fn render(&self, gauges: Gauges, out: &mut String) {
        let simple = [
            ("switchyard_chat_users", "gauge", "Registered users.", gauges.users as u64),
            (
                "switchyard_chat_unregistered_connections",
                "gauge",
                "Connections that have not completed registration.",
                gauges.unregistered as u64,
            ),
            ("switchyard_chat_channels", "gauge", "Channels (each has at least one member).", gauges.channels as u64),
            (
                "switchyard_chat_deliveries_total",
                "counter",
                "Copies of PRIVMSG and NOTICE messages queued for their recipients.",
                self.deliveries,
            ),
            (
                "switchyard_chat_oper_failures_total",
                "counter",
                "OPER attempts refused for a wrong name or password.",
                self.oper_failures,
            ),
        ];
        for (name, kind, help, v) in simple {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {v}");
        }
        let name = "switchyard_chat_messages_total";
        let _ = writeln!(
            out,
            "# HELP {name} Messages accepted for at least one target, by command.\n# TYPE {name} counter"
        );
        for (kind, n) in Message::ALL.iter().zip(self.messages) {
            let _ = writeln!(out, "{name}{{command=\"{}\"}} {n}", kind.as_str());
        }
        let name = "switchyard_chat_clients_dropped_total";
        let _ = writeln!(out, "# HELP {name} Clients the server disconnected, by reason.\n# TYPE {name} counter");
        for (why, n) in Dropped::ALL.iter().zip(self.dropped) {
            let _ = writeln!(out, "{name}{{reason=\"{}\"}} {n}", why.as_str());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rendering_lists_the_gauges_and_every_label_value() {
        let mut c = Counters::default();
        c.message(Message::Privmsg, 3);
        c.message(Message::Privmsg, 0);
        c.message(Message::Notice, 1);
        c.dropped(Dropped::SendQ);
        c.oper_failed();
        let mut s = String::new();
        c.render(Gauges { users: 2, unregistered: 1, channels: 4 }, &mut s);
        for line in [
            "# TYPE switchyard_chat_users gauge\nswitchyard_chat_users 2\n",
            "# TYPE switchyard_chat_unregistered_connections gauge\nswitchyard_chat_unregistered_connections 1\n",
            "# TYPE switchyard_chat_channels gauge\nswitchyard_chat_channels 4\n",
            "# TYPE switchyard_chat_deliveries_total counter\nswitchyard_chat_deliveries_total 4\n",
            "# TYPE switchyard_chat_oper_failures_total counter\nswitchyard_chat_oper_failures_total 1\n",
            "# TYPE switchyard_chat_messages_total counter\n",
            "switchyard_chat_messages_total{command=\"privmsg\"} 2\n",
            "switchyard_chat_messages_total{command=\"notice\"} 1\n",
            "# TYPE switchyard_chat_clients_dropped_total counter\n",
            "switchyard_chat_clients_dropped_total{reason=\"flood\"} 0\n",
            "switchyard_chat_clients_dropped_total{reason=\"sendq\"} 1\n",
            "switchyard_chat_clients_dropped_total{reason=\"ping_timeout\"} 0\n",
        ] {
            assert!(s.contains(line), "no {line:?} in\n{s}");
        }
        for name in s.lines().filter_map(|l| l.strip_prefix("# TYPE ")).map(|l| l.split(' ').next().unwrap_or("")) {
            assert!(s.contains(&format!("# HELP {name} ")), "{name} has no HELP");
        }
    }

    #[test]
    fn only_the_engines_timeouts_and_limits_count_as_drops() {
        let drops: Vec<(CloseReason, Dropped)> =
            CloseReason::ALL.iter().filter_map(|&r| Some((r, Dropped::for_close(r)?))).collect();
        assert_eq!(
            drops,
            [
                (CloseReason::Idle, Dropped::PingTimeout),
                (CloseReason::RequestTimeout, Dropped::PingTimeout),
                (CloseReason::WriteTimeout, Dropped::SendQ),
                (CloseReason::OutputTooLarge, Dropped::SendQ),
                (CloseReason::InputTooLarge, Dropped::Flood),
            ]
        );
    }
}
