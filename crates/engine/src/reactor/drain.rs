//! A loop's part in a graceful shutdown.
//!
//! Two phases, server-wide: first every loop finishes the requests it had
//! received by the signal; then, once all have, every connection hears its
//! goodbye. `Shared` counts the loops still working (each loop counts
//! itself out once); each connection's `drain_quota` says what it still
//! has to read.

use std::time::Instant;

use crate::shared::Shared;

/// Where this loop is in the shutdown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Drain {
    /// Not shutting down.
    Off,
    /// Finishing the requests received before the signal, by `until`.
    Working { until: Instant },
    /// This loop has finished its requests; others may not have.
    Finished { until: Instant },
    /// Every loop has: goodbyes are under way.
    Goodbyes { until: Instant },
}

/// What a step of the drain asks of the loop.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Advance {
    /// This loop was the last to finish: wake the others, which may sleep.
    pub wake_others: bool,
    /// Goodbyes began: settle every connection.
    pub goodbyes_began: bool,
}

impl Drain {
    /// Starts the drain, to end by `until`; false if it had started.
    pub fn begin(&mut self, until: Instant) -> bool {
        if *self != Drain::Off {
            return false;
        }
        *self = Drain::Working { until };
        true
    }

    /// The drain's deadline, once shutting down.
    pub fn until(self) -> Option<Instant> {
        match self {
            Drain::Off => None,
            Drain::Working { until } | Drain::Finished { until } | Drain::Goodbyes { until } => Some(until),
        }
    }

    /// Shutting down: no new requests are read.
    pub fn draining(self) -> bool {
        self != Drain::Off
    }

    pub fn goodbyes(self) -> bool {
        matches!(self, Drain::Goodbyes { .. })
    }

    /// Moves the drain on. `has_work`: some connection still has received
    /// bytes to read or answer, or a task out.
    pub fn advance(&mut self, has_work: impl FnOnce() -> bool, shared: &Shared) -> Advance {
        let mut advance = Advance::default();
        if let Drain::Working { until } = *self {
            if !has_work() {
                *self = Drain::Finished { until };
                advance.wake_others = shared.loop_finished_work();
            }
        }
        if let Drain::Finished { until } = *self {
            if shared.work_finished() {
                *self = Drain::Goodbyes { until };
                advance.goodbyes_began = true;
            }
        }
        advance
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use std::time::Duration;

    fn shared(io_threads: usize) -> Shared {
        Shared::new(Config { io_threads, ..Config::default() }).unwrap()
    }

    fn begun() -> Drain {
        let mut drain = Drain::Off;
        drain.begin(Instant::now());
        drain
    }

    #[test]
    fn a_drain_begins_once_and_keeps_its_deadline() {
        let until = Instant::now() + Duration::from_secs(30);
        let mut drain = Drain::Off;
        assert!(!drain.draining() && drain.until().is_none());
        assert!(drain.begin(until));
        assert!(!drain.begin(until + Duration::from_secs(1)));
        assert_eq!(drain.until(), Some(until));
        assert!(drain.draining() && !drain.goodbyes());
    }

    #[test]
    fn the_last_loop_to_finish_wakes_the_others_and_goodbyes_begin() {
        let shared = shared(1);
        let mut drain = begun();
        assert_eq!(drain.advance(|| false, &shared), Advance { wake_others: true, goodbyes_began: true });
        assert!(drain.goodbyes());
        assert_eq!(drain.advance(|| panic!("not asked again"), &shared), Advance::default());
    }

    #[test]
    fn goodbyes_wait_for_every_loop_to_finish_its_work() {
        let shared = shared(2);
        let mut drain = begun();
        assert_eq!(drain.advance(|| true, &shared), Advance::default(), "work is left");
        assert!(matches!(drain, Drain::Working { .. }));
        assert_eq!(drain.advance(|| false, &shared), Advance::default());
        assert!(matches!(drain, Drain::Finished { .. }));
        assert!(shared.loop_finished_work(), "the other loop finishes last");
        assert!(drain.advance(|| panic!("finished already"), &shared).goodbyes_began);
        assert!(drain.goodbyes());
    }
}
