//! Messages on their way to connections, and the thread that hands them to
//! the engine.
//!
//! Handlers do not call [`Control::send`] themselves: they append to the
//! [`Outbox`] in the registry while they hold its lock, one buffer per
//! recipient, and the flusher thread takes the whole outbox at once and
//! posts one send per recipient. Under load a channel message to a hundred
//! members then costs a hundred appends, and a batch of messages costs one
//! send (and one write) per member instead of one per message and member;
//! when idle, a message waits only for the flusher to wake.
//!
//! Order: appends happen under the registry lock, so each buffer holds its
//! recipient's bytes in the global order of events; the flusher posts batch
//! after batch from one thread, and the engine keeps one sender's messages
//! to a connection in order. Closes are posted after the batch's bytes, so
//! an `ERROR` line goes out before its close.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::sync::{Condvar, Mutex, Weak};
use std::time::Duration;

use switchyard_engine::{ConnId, Control};

use crate::registry::Registry;

/// Bytes and closes not yet posted, per recipient.
#[derive(Debug, Default)]
pub struct Outbox {
    bufs: HashMap<ConnId, Vec<u8>>,
    /// Recipients in the order they first got bytes in this batch.
    order: Vec<ConnId>,
    /// Connections to close once their bytes are posted.
    closes: Vec<ConnId>,
}

impl Outbox {
    /// The buffer of bytes going to `to`, to append to.
    pub fn to(&mut self, to: ConnId) -> &mut Vec<u8> {
        match self.bufs.entry(to) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(v) => {
                self.order.push(to);
                v.insert(Vec::new())
            }
        }
    }

    /// Closes `to` after what is queued for it.
    pub fn close(&mut self, to: ConnId) {
        self.closes.push(to);
    }

    /// Nothing to post.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty() && self.closes.is_empty()
    }

    /// Posts everything through `control`.
    pub fn post(mut self, control: &Control) {
        for id in self.order {
            if let Some(bytes) = self.bufs.remove(&id) {
                control.send(id, bytes);
            }
        }
        for id in self.closes {
            control.close(id);
        }
    }
}

/// The registry and the flusher's wake-up, shared with the service's threads.
pub struct Shared {
    pub registry: Mutex<Registry>,
    /// Signalled when the outbox gets something while the flusher waits.
    pub wake: Condvar,
}

/// Starts the flusher thread. It ends when the service is dropped.
pub fn spawn(shared: Weak<Shared>, control: Control) {
    let spawned = std::thread::Builder::new().name("chat-flusher".into()).spawn(move || loop {
        let Some(shared) = shared.upgrade() else { return };
        let batch = {
            let mut reg = crate::lock(&shared.registry);
            if reg.outbox.is_empty() {
                reg.flusher_waiting = true;
                // A bounded wait, so that a dropped service is noticed.
                reg = shared.wake.wait_timeout(reg, Duration::from_millis(200)).unwrap_or_else(|e| e.into_inner()).0;
                reg.flusher_waiting = false;
            }
            std::mem::take(&mut reg.outbox)
        };
        batch.post(&control);
    });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "cannot start the chat flusher thread; messages will not be delivered");
    }
}
