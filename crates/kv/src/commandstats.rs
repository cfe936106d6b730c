//! Per-command counters, as Redis's `INFO commandstats` shows them: calls,
//! time spent, calls rejected before they ran (wrong arity, `-OOM`), and
//! calls that ran and answered with an error.
//!
//! Every worker runs commands, so a shared counter that each command
//! bumped would bounce its cache line between cores on every command. A
//! batch keeps its own [`Tally`] instead and adds it to the shared
//! [`CommandStats`] when the command changes or the batch ends: a pipeline
//! of one command costs one atomic add per counter, and two clock reads.
//! The shared figures are therefore at most one batch behind, except for
//! the batch that reads them (`INFO` settles its own tally first).
//!
//! Time is measured per run of consecutive calls of one command in a
//! batch, from the start of the run's first call to the end of its last,
//! so it includes parsing the run's later requests (a few per cent of a
//! `GET`) and the time of its rejected calls.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Instant;

use crate::command::COMMANDS;

/// One command's shared counters, on a cache line of its own so that
/// workers running different commands do not contend.
#[derive(Default)]
#[repr(align(64))]
struct Counts {
    calls: AtomicU64,
    nanos: AtomicU64,
    rejected: AtomicU64,
    failed: AtomicU64,
}

/// One command's counters, read at once.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Figures {
    /// Calls that ran (failed ones included, rejected ones not).
    pub calls: u64,
    /// Time spent on them, in nanoseconds.
    pub nanos: u64,
    /// Calls refused before they ran.
    pub rejected: u64,
    /// Calls that ran and answered with an error.
    pub failed: u64,
}

impl Figures {
    /// Redis's `cmdstat_NAME:...` value: `calls=N,usec=U,usec_per_call=F,rejected_calls=R,failed_calls=E`.
    pub fn redis_line(&self) -> String {
        let per_call = if self.calls == 0 { 0.0 } else { self.nanos as f64 / 1000.0 / self.calls as f64 };
        format!(
            "calls={},usec={},usec_per_call={per_call:.2},rejected_calls={},failed_calls={}",
            self.calls,
            self.nanos / 1000,
            self.rejected,
            self.failed
        )
    }
}

/// Every command's counters, indexed like [`COMMANDS`].
pub struct CommandStats {
    by_command: Box<[Counts]>,
}

impl Default for CommandStats {
    fn default() -> CommandStats {
        CommandStats { by_command: (0..COMMANDS.len()).map(|_| Counts::default()).collect() }
    }
}

impl CommandStats {
    /// The counters of command `index`, all zero for an index out of range.
    pub fn figures(&self, index: usize) -> Figures {
        let Some(c) = self.by_command.get(index) else { return Figures::default() };
        Figures {
            calls: c.calls.load(Relaxed),
            nanos: c.nanos.load(Relaxed),
            rejected: c.rejected.load(Relaxed),
            failed: c.failed.load(Relaxed),
        }
    }

    /// Zeroes every counter (`CONFIG RESETSTAT`).
    pub fn reset(&self) {
        for c in self.by_command.iter() {
            for n in [&c.calls, &c.nanos, &c.rejected, &c.failed] {
                n.store(0, Relaxed);
            }
        }
    }

    fn add(&self, index: usize, f: &Figures) {
        let Some(c) = self.by_command.get(index) else { return };
        for (n, v) in [(&c.calls, f.calls), (&c.nanos, f.nanos), (&c.rejected, f.rejected), (&c.failed, f.failed)] {
            if v > 0 {
                n.fetch_add(v, Relaxed);
            }
        }
    }
}

/// How one call ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Call {
    /// It ran and answered normally.
    Done,
    /// It ran and answered with an error.
    Failed,
    /// It was refused before it ran.
    Rejected,
    /// It was queued for `EXEC` (and counts when it runs there).
    Queued,
}

/// A run of consecutive calls of one command in a batch.
struct Run {
    index: usize,
    started: Instant,
    counts: Figures,
}

/// One batch's counts not yet added to the shared [`CommandStats`].
#[derive(Default)]
pub struct Tally {
    run: Option<Run>,
    /// When the batch began, if the caller knew (the engine's call start):
    /// the first run starts there without reading the clock.
    began: Option<Instant>,
}

impl Tally {
    /// A tally for a batch that began at `began`.
    pub fn starting_at(began: Instant) -> Tally {
        Tally { run: None, began: Some(began) }
    }

    /// A call of command `index` starts: the run of another command ends.
    pub fn start(&mut self, index: usize, stats: &CommandStats) {
        if self.run.as_ref().is_some_and(|r| r.index == index) {
            return;
        }
        let now = self.began.take().unwrap_or_else(Instant::now);
        self.settle_at(stats, now);
        self.run = Some(Run { index, started: now, counts: Figures::default() });
    }

    /// The call begun with [`Tally::start`] ended with `outcome`.
    pub fn end(&mut self, outcome: Call) {
        let Some(run) = &mut self.run else { return };
        match outcome {
            Call::Done => run.counts.calls += 1,
            Call::Failed => {
                run.counts.calls += 1;
                run.counts.failed += 1;
            }
            Call::Rejected => run.counts.rejected += 1,
            Call::Queued => {}
        }
    }

    /// Adds what was counted so far to `stats`; the current run goes on.
    pub fn settle(&mut self, stats: &CommandStats) {
        if self.run.is_some() {
            self.settle_at(stats, Instant::now());
        }
    }

    /// Adds what was counted to `stats` and ends the run; returns the time
    /// it ended, if the clock was read for it.
    pub fn finish(&mut self, stats: &CommandStats) -> Option<Instant> {
        let now = self.run.is_some().then(Instant::now)?;
        self.settle_at(stats, now);
        self.run = None;
        Some(now)
    }

    /// Forgets what was counted so far (`CONFIG RESETSTAT`); the current
    /// run goes on from now.
    pub fn discard(&mut self) {
        if let Some(run) = &mut self.run {
            run.counts = Figures::default();
            run.started = Instant::now();
        }
    }

    fn settle_at(&mut self, stats: &CommandStats, now: Instant) {
        let Some(run) = &mut self.run else { return };
        run.counts.nanos = now.saturating_duration_since(run.started).as_nanos().try_into().unwrap_or(u64::MAX);
        stats.add(run.index, &run.counts);
        run.counts = Figures::default();
        run.started = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_of_one_command_is_added_once_the_command_changes() {
        let stats = CommandStats::default();
        let mut t = Tally::default();
        for outcome in [Call::Done, Call::Failed, Call::Rejected, Call::Done] {
            t.start(3, &stats);
            t.end(outcome);
        }
        assert_eq!(stats.figures(3), Figures::default(), "the run is still open");
        t.start(4, &stats);
        let f = stats.figures(3);
        assert_eq!((f.calls, f.failed, f.rejected), (3, 1, 1));
        t.end(Call::Done);
        t.settle(&stats);
        assert_eq!(stats.figures(4).calls, 1);
        t.settle(&stats);
        assert_eq!(stats.figures(4).calls, 1, "settling twice adds nothing twice");
    }

    #[test]
    fn discarded_counts_never_reach_the_shared_counters() {
        let stats = CommandStats::default();
        let mut t = Tally::default();
        t.start(1, &stats);
        t.end(Call::Done);
        t.discard();
        t.end(Call::Done);
        t.settle(&stats);
        assert_eq!(stats.figures(1).calls, 1);
        stats.reset();
        assert_eq!(stats.figures(1), Figures::default());
        assert_eq!(stats.figures(usize::MAX), Figures::default());
    }

    #[test]
    fn the_redis_line_divides_time_by_calls_to_two_decimals() {
        let f = Figures { calls: 3, nanos: 10_500, rejected: 2, failed: 1 };
        assert_eq!(f.redis_line(), "calls=3,usec=10,usec_per_call=3.50,rejected_calls=2,failed_calls=1");
        let only_rejected = Figures { rejected: 1, ..Figures::default() };
        assert_eq!(only_rejected.redis_line(), "calls=0,usec=0,usec_per_call=0.00,rejected_calls=1,failed_calls=0");
    }
}
