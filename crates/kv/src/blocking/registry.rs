//! The registry of blocked connections ([`Blocking`]): each key's waiters
//! in arrival order, what each asked for, how each wait ended until its
//! connection picks it up, a lock-free hint of which keys have waiters,
//! and the timer thread that ends waits whose timeout passed.
//!
//! One mutex guards it all; it is taken after any shard lock and before
//! the log's, never the other way.

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, HashMap};
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Instant;

use switchyard_engine::{ConnId, Control};

use super::{Op, WaitEnd};
use crate::bytes::Bytes;

/// One blocked connection, as the registry knows it.
pub(super) struct Waiter {
    pub conn: Option<ConnId>,
    /// `CLIENT ID` of the connection.
    pub client: u64,
    pub db: usize,
    /// The keys it waits on, each once.
    pub keys: Vec<Bytes>,
    pub op: Op,
    pub deadline: Option<Instant>,
}

#[derive(Default)]
pub(super) struct Registry {
    next_id: u64,
    /// Each key's waiters, longest first (ids grow).
    by_key: HashMap<(usize, Bytes), BTreeSet<u64>>,
    waiters: HashMap<u64, Waiter>,
    /// Waiter id by `CLIENT ID`, for `CLIENT UNBLOCK`.
    by_client: HashMap<u64, u64>,
    /// Deadlines, earliest first; entries of waiters gone are skipped.
    deadlines: BinaryHeap<Reverse<(Instant, u64)>>,
    /// Ended waits not picked up yet.
    pub outcomes: HashMap<u64, WaitEnd>,
    stopped: bool,
}

impl Registry {
    /// The `skip`th waiter of `key` (0: the longest), and its op.
    pub fn nth(&self, db: usize, key: &[u8], skip: usize) -> Option<(u64, &Op)> {
        let ids = self.by_key.get(&(db, Bytes::new(key)))?;
        let id = *ids.iter().nth(skip)?;
        Some((id, &self.waiters[&id].op))
    }

    pub fn has_waiters(&self, db: usize, key: &[u8]) -> bool {
        self.by_key.contains_key(&(db, Bytes::new(key)))
    }

    /// Removes waiter `id` from every key; the waiter if it was there.
    fn remove(&mut self, id: u64) -> Option<Waiter> {
        let w = self.waiters.remove(&id)?;
        for k in &w.keys {
            let entry = (w.db, k.clone());
            if let Some(ids) = self.by_key.get_mut(&entry) {
                ids.remove(&id);
                if ids.is_empty() {
                    self.by_key.remove(&entry);
                }
            }
        }
        if self.by_client.get(&w.client) == Some(&id) {
            self.by_client.remove(&w.client);
        }
        Some(w)
    }
}

/// Slots of [`Blocking::hint`].
const HINT_SLOTS: usize = 4096;

/// The hint slot of `key` in database `db`.
fn hint_slot(db: usize, key: &[u8]) -> usize {
    // FNV-1a: the hint only spares a lock, so any spread will do.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ db as u64;
    for &b in key {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    (h % HINT_SLOTS as u64) as usize
}

/// The registry of blocked connections, and its timer.
pub struct Blocking {
    registry: Mutex<Registry>,
    /// Waiter-key registrations by hash slot of (database, key): a write
    /// to a key whose slot is 0 has no waiters, and takes no lock to know
    /// it (a server with thousands of idle blocked workers writes to other
    /// keys all the time).
    hint: Box<[AtomicU32]>,
    /// Wakes the timer thread for an earlier deadline, or to stop.
    timer: Condvar,
    /// Waiters registered now: a write looks at the registry only when
    /// there are some.
    waiting: AtomicUsize,
    /// Waits that ended served, and timed out (for the metrics).
    pub served: AtomicU64,
    pub timeouts: AtomicU64,
}

impl Default for Blocking {
    fn default() -> Blocking {
        Blocking {
            registry: Mutex::default(),
            hint: (0..HINT_SLOTS).map(|_| AtomicU32::new(0)).collect(),
            timer: Condvar::new(),
            waiting: AtomicUsize::new(0),
            served: AtomicU64::new(0),
            timeouts: AtomicU64::new(0),
        }
    }
}

impl Blocking {
    pub(super) fn lock(&self) -> MutexGuard<'_, Registry> {
        self.registry.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Connections blocked now (`INFO`'s `blocked_clients`).
    pub fn blocked(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }

    /// How the wait of waiter `id` ended, if it did; taken once.
    pub fn take(&self, id: u64) -> Option<WaitEnd> {
        self.lock().outcomes.remove(&id)
    }

    /// Forgets waiter `id` (its connection closed or hears its goodbye):
    /// how its wait ended if it did, else `None` and it waits no more.
    pub fn forget(&self, id: u64) -> Option<WaitEnd> {
        let mut reg = self.lock();
        self.remove(&mut reg, id);
        reg.outcomes.remove(&id)
    }

    /// Ends the wait of the connection with `CLIENT ID` `client` (`CLIENT
    /// UNBLOCK`); true if it was blocked.
    pub fn unblock(&self, client: u64, error: bool, control: Option<&Control>) -> bool {
        let mut reg = self.lock();
        let Some(&id) = reg.by_client.get(&client) else { return false };
        let Some(w) = self.remove(&mut reg, id) else { return false };
        reg.outcomes.insert(id, if error { WaitEnd::Unblocked } else { WaitEnd::TimedOut });
        drop(reg);
        if let (Some(c), Some(conn)) = (control, w.conn) {
            c.wake(conn);
        }
        true
    }

    /// Stops the timer thread.
    pub fn stop(&self) {
        self.lock().stopped = true;
        self.timer.notify_all();
    }

    /// Starts the timer thread, which hands timed-out waiters a null and
    /// wakes them.
    ///
    /// # Errors
    ///
    /// The thread could not be spawned.
    pub fn start_timer(this: &Arc<Blocking>, control: Control) -> std::io::Result<()> {
        let bl = this.clone();
        std::thread::Builder::new().name("kv-block-timer".into()).spawn(move || bl.run_timer(&control))?;
        Ok(())
    }

    fn run_timer(&self, control: &Control) {
        let mut reg = self.lock();
        let mut due = Vec::new();
        loop {
            if reg.stopped {
                return;
            }
            let now = Instant::now();
            while let Some(&Reverse((at, id))) = reg.deadlines.peek() {
                if at > now {
                    break;
                }
                reg.deadlines.pop();
                if reg.waiters.get(&id).is_some_and(|w| w.deadline == Some(at)) {
                    let w = self.remove(&mut reg, id).expect("just seen");
                    reg.outcomes.insert(id, WaitEnd::TimedOut);
                    due.extend(w.conn);
                }
            }
            if !due.is_empty() {
                self.timeouts.fetch_add(due.len() as u64, Ordering::Relaxed);
                drop(reg);
                for conn in due.drain(..) {
                    control.wake(conn);
                }
                reg = self.lock();
                continue;
            }
            reg = match reg.deadlines.peek() {
                Some(&Reverse((at, _))) => {
                    self.timer.wait_timeout(reg, at.saturating_duration_since(now)).unwrap_or_else(|e| e.into_inner()).0
                }
                None => self.timer.wait(reg).unwrap_or_else(|e| e.into_inner()),
            };
        }
    }

    /// Registers a waiter; its id.
    pub(super) fn register(&self, reg: &mut Registry, w: Waiter) -> u64 {
        reg.next_id += 1;
        let id = reg.next_id;
        for k in &w.keys {
            reg.by_key.entry((w.db, k.clone())).or_default().insert(id);
            self.hint[hint_slot(w.db, k)].fetch_add(1, Ordering::Relaxed);
        }
        if let Some(at) = w.deadline {
            if reg.deadlines.len() > 2 * reg.waiters.len() + 64 {
                // Entries of waiters served long before their deadline.
                let live: Vec<_> =
                    reg.waiters.iter().filter_map(|(&i, w)| w.deadline.map(|t| Reverse((t, i)))).collect();
                reg.deadlines = live.into();
            }
            let earliest = reg.deadlines.peek().is_none_or(|&Reverse((t, _))| at < t);
            reg.deadlines.push(Reverse((at, id)));
            if earliest {
                self.timer.notify_all();
            }
        }
        reg.by_client.insert(w.client, id);
        reg.waiters.insert(id, w);
        self.waiting.fetch_add(1, Ordering::Relaxed);
        id
    }

    /// Whether some connection may wait on `key` of database `db`: false
    /// for certain when nobody does.
    pub fn may_wait_on(&self, db: usize, key: &[u8]) -> bool {
        self.waiting.load(Ordering::Relaxed) > 0 && self.hint[hint_slot(db, key)].load(Ordering::Relaxed) > 0
    }

    /// Removes waiter `id` from the registry and the hint.
    pub(super) fn remove(&self, reg: &mut Registry, id: u64) -> Option<Waiter> {
        let w = reg.remove(id)?;
        for k in &w.keys {
            self.hint[hint_slot(w.db, k)].fetch_sub(1, Ordering::Relaxed);
        }
        self.waiting.fetch_sub(1, Ordering::Relaxed);
        Some(w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waiters_of_a_key_come_out_longest_first_and_go_from_every_key() {
        let bl = Blocking::default();
        let mut reg = bl.lock();
        let w = |client, keys: &[&str]| Waiter {
            conn: None,
            client,
            db: 0,
            keys: keys.iter().map(|k| Bytes::new(k.as_bytes())).collect(),
            op: Op::List { left: true, count: None },
            deadline: None,
        };
        let a = bl.register(&mut reg, w(1, &["k", "j"]));
        let b = bl.register(&mut reg, w(2, &["k"]));
        assert_eq!(reg.nth(0, b"k", 0).map(|(i, _)| i), Some(a));
        assert_eq!(reg.nth(0, b"k", 1).map(|(i, _)| i), Some(b));
        assert!(bl.may_wait_on(0, b"j"));
        assert!(bl.remove(&mut reg, a).is_some());
        assert_eq!(reg.nth(0, b"k", 0).map(|(i, _)| i), Some(b));
        assert!(!reg.has_waiters(0, b"j"), "gone from every key");
        assert!(bl.remove(&mut reg, a).is_none());
        assert!(bl.may_wait_on(0, b"k"));
        bl.remove(&mut reg, b);
        assert!(!bl.may_wait_on(0, b"k") && bl.blocked() == 0);
    }
}
