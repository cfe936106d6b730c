//! Keeping connections honest: a thread that pings idle clients, drops
//! those that do not answer, and handles throttled clients' backlogs as
//! their flood-control buckets refill.
//!
//! Any line from a client counts as a sign of life (it clears `ping_sent`
//! and resets `last_active` in the registry). After `ping_interval` of
//! silence the client gets `PING :server`; if it is still silent
//! `ping_timeout` later, it gets `ERROR`, its channels get `QUIT :Ping
//! timeout: N seconds`, and the connection is closed. The thread ends when
//! the server starts draining or the service is dropped.

use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use switchyard_codec::irc::write_message;
use switchyard_engine::{ConnId, Control};

use crate::command::Session;
use crate::counters::Dropped;
use crate::outbox::Shared;
use crate::registry::Registry;
use crate::Options;

/// Starts the keep-alive thread.
pub fn spawn(shared: Weak<Shared>, control: Control, options: Arc<Options>, created: u64) {
    // Often enough to pace a throttled client at its rate.
    let tick = (options.ping_interval.min(options.ping_timeout) / 4)
        .clamp(Duration::from_millis(10), Duration::from_millis(100));
    let spawned = std::thread::Builder::new().name("chat-keepalive".into()).spawn(move || loop {
        std::thread::sleep(tick);
        if control.draining() {
            return;
        }
        let Some(shared) = shared.upgrade() else { return };
        let mut reg = crate::lock(&shared.registry);
        let now = Instant::now();
        sweep(&mut reg, &options, now);
        for id in reg.throttled.clone() {
            Session::new(&options, created, &mut reg, id).pace(now);
        }
        crate::wake_flusher(&shared, reg);
    });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "cannot start the chat keep-alive thread; idle clients will not be pinged");
    }
}

/// One pass over every client: ping the idle, drop the silent.
fn sweep(reg: &mut Registry, options: &Options, now: Instant) {
    let server = options.server_name.as_str();
    let mut dead: Vec<(ConnId, String)> = Vec::new();
    for (&id, user) in reg.users.iter_mut() {
        match user.ping_sent {
            None if now.saturating_duration_since(user.last_active) >= options.ping_interval => {
                write_message(reg.outbox.to(id), None, "PING", &[], Some(server));
                user.ping_sent = Some(now);
            }
            Some(sent) if now.saturating_duration_since(sent) >= options.ping_timeout => {
                let silent = now.saturating_duration_since(user.last_active).as_secs();
                dead.push((id, format!("Ping timeout: {silent} seconds")));
            }
            _ => {}
        }
    }
    for (id, reason) in dead {
        let Some(host) = reg.users.get(&id).map(|u| u.host.clone()) else { continue };
        reg.counters.dropped(Dropped::PingTimeout);
        write_message(reg.outbox.to(id), None, "ERROR", &[], Some(&format!("Closing Link: {host} ({reason})")));
        reg.quit(id, &reason);
        reg.outbox.close(id);
        tracing::debug!(conn = %id, "{reason}");
    }
}
