//! Connection deadlines, in one heap.
//!
//! An entry goes stale when its connection closes (the slot's generation
//! moves on) or its deadline moves (`Conn::timer_at` names the current
//! entry); stale entries are skipped as they come up rather than searched
//! out.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Instant;

use super::slab::Slab;
use crate::service::Service;

/// The loop's connection deadlines: (when, slot, generation).
#[derive(Default)]
pub struct Timers {
    heap: BinaryHeap<Reverse<(Instant, u32, u32)>>,
}

impl Timers {
    /// Arms the deadline `at` for the connection in `slot`, unless it has
    /// an earlier one armed; `armed` is its `Conn::timer_at`.
    pub fn arm(&mut self, armed: &mut Option<Instant>, at: Instant, slot: u32, generation: u32) {
        if armed.is_none_or(|t| at < t) {
            *armed = Some(at);
            self.heap.push(Reverse((at, slot, generation)));
        }
    }

    /// The earliest deadline armed, maybe a stale one.
    pub fn next(&self) -> Option<Instant> {
        self.heap.peek().map(|Reverse((t, _, _))| *t)
    }

    /// Takes the next deadline due by `now` that is still current, and
    /// returns its connection's slot, disarmed.
    pub fn pop_due<S: Service>(&mut self, now: Instant, slab: &mut Slab<S>) -> Option<u32> {
        while let Some(&Reverse((at, slot, generation))) = self.heap.peek() {
            if at > now {
                return None;
            }
            self.heap.pop();
            if slab.generation(slot) != generation {
                continue;
            }
            let Some(conn) = slab.get_mut(slot) else { continue };
            if conn.timer_at != Some(at) {
                continue; // superseded by an earlier entry
            }
            conn.timer_at = None;
            return Some(slot);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conn::tests::conn;
    use std::time::Duration;

    #[test]
    fn only_an_earlier_deadline_replaces_the_armed_one() {
        let mut timers = Timers::default();
        let mut armed = None;
        let t = Instant::now();
        timers.arm(&mut armed, t + Duration::from_secs(2), 0, 0);
        timers.arm(&mut armed, t + Duration::from_secs(3), 0, 0);
        assert_eq!(armed, Some(t + Duration::from_secs(2)));
        timers.arm(&mut armed, t + Duration::from_secs(1), 0, 0);
        assert_eq!(armed, Some(t + Duration::from_secs(1)));
        assert_eq!(timers.next(), Some(t + Duration::from_secs(1)));
    }

    #[test]
    fn stale_deadlines_are_skipped() {
        let mut slab = Slab::new(0);
        let (a, _) = slab.vacant();
        slab.insert(a, conn());
        let (b, _) = slab.vacant();
        slab.insert(b, conn());
        let mut timers = Timers::default();
        let t = Instant::now();
        for (slot, secs) in [(a, 2), (a, 1), (b, 1)] {
            let generation = slab.generation(slot);
            timers.arm(&mut slab.get_mut(slot).unwrap().timer_at, t + Duration::from_secs(secs), slot, generation);
        }
        slab.remove(b);
        assert_eq!(timers.pop_due(t, &mut slab), None, "nothing is due yet");
        let later = t + Duration::from_secs(5);
        assert_eq!(timers.pop_due(later, &mut slab), Some(a));
        assert_eq!(slab.get(a).unwrap().timer_at, None, "disarmed");
        assert_eq!(timers.pop_due(later, &mut slab), None, "superseded and closed");
        assert_eq!(timers.next(), None);
    }
}
