//! A unit of work: one connection's buffered input and state, carried to a
//! worker and back.
//!
//! While a task is out, the worker owns the connection's service state and
//! input; the loop keeps only the socket and whatever arrives meanwhile.
//! That ownership hand-off is what lets the state go without a lock.

use std::os::fd::RawFd;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Instant;

use crate::output::{Output, Written};
use crate::service::{ConnId, Control, Cx, Service};
use crate::shared::Shared;
use crate::verdict::{Failure, Verdict};

/// Which thread runs a task, and so what its handler may ask of the loop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Runner {
    /// A worker of the pool.
    Worker,
    /// The I/O thread in inline mode (`workers` = 0): there is no pool.
    LoopAlone,
    /// The I/O thread, because `Service::run_inline` said so: the handler
    /// may hand the rest of the input to the pool (`Cx::hand_to_worker`).
    LoopBeforePool,
}

pub struct Task<S: Service> {
    pub id: ConnId,
    pub state: Box<S::State>,
    /// Input to handle; on return, what the service left unconsumed.
    pub input: Vec<u8>,
    /// Responses; on return, what is left to write.
    pub out: Output,
    pub peer_closed: bool,
    /// The socket, when the worker may write to it (direct mode, and the
    /// loop had no output pending ahead of this task's).
    pub direct_fd: Option<RawFd>,
    /// When the task joined the queue; `None` for a task the loop runs
    /// itself, which waits for no worker (nor reads the clock for it).
    pub queued_at: Option<Instant>,
    /// Set by the loop if the connection is finished meanwhile.
    pub gone: Arc<AtomicBool>,
    // Results.
    /// What the service's call decided.
    pub verdict: Verdict,
    /// Bytes the worker wrote to the socket itself.
    pub written: usize,
    /// What went wrong around the call, if anything.
    pub failure: Option<Failure>,
}

impl<S: Service> Task<S> {
    pub fn new(
        id: ConnId,
        state: Box<S::State>,
        input: Vec<u8>,
        peer_closed: bool,
        direct_fd: Option<RawFd>,
        gone: Arc<AtomicBool>,
    ) -> Self {
        Task {
            id,
            state,
            input,
            out: Output::new(),
            peer_closed,
            direct_fd,
            queued_at: None,
            gone,
            verdict: Verdict::default(),
            written: 0,
            failure: None,
        }
    }

    /// A direct-mode task that wrote all it had and asks nothing of the
    /// loop: it may go back without waking the loop (see `mailbox`).
    pub fn quiet(&self) -> bool {
        let v = &self.verdict;
        self.direct_fd.is_some()
            && self.out.is_empty()
            && v.hold.is_none()
            && !(v.close || v.again || v.park || self.failure.is_some() || self.peer_closed)
    }

    /// Runs the service on the task's input, then, in direct mode, writes
    /// what the socket takes.
    pub fn run(&mut self, service: &S, control: &Control, shared: &Shared, runner: Runner) {
        let started = Instant::now();
        if let Some(queued_at) = self.queued_at {
            shared.metrics.queue_wait.observe(started - queued_at);
        }
        let mut cx = Cx {
            id: self.id,
            input: &self.input,
            out: &mut self.out,
            control,
            verdict: Verdict::default(),
            peer_closed: self.peer_closed,
            runner,
            gone: &self.gone,
            started,
            ended: None,
        };
        let state = &mut *self.state;
        let result = catch_unwind(AssertUnwindSafe(|| service.handle(state, &mut cx)));
        let mut verdict = cx.verdict;
        let ended = cx.ended.unwrap_or_else(Instant::now);
        shared.metrics.service_time.observe(ended.saturating_duration_since(started));
        if verdict.consumed == self.input.len() {
            self.input.clear();
        } else {
            self.input.drain(..verdict.consumed);
        }
        verdict.conclude(self.input.len());
        self.verdict = verdict;
        if result.is_err() {
            self.failure = Some(Failure::Panicked);
            shared.metrics.panics.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            tracing::error!(conn = %self.id, "service handler panicked; closing the connection");
            return;
        }
        if self.gone.load(std::sync::atomic::Ordering::Relaxed) {
            // Nobody to write to: the loop closes it when the task is back.
            return;
        }
        if let (Some(fd), None) = (self.direct_fd, self.verdict.hold) {
            match self.out.write_to(fd) {
                Ok(Written::All(n) | Written::Partial(n)) => self.written = n,
                Err(e) => {
                    tracing::debug!(conn = %self.id, error = %e, "direct write failed");
                    self.failure = Some(Failure::WriteFailed);
                }
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::config::Config;
    use crate::mailbox::Inbox;
    use crate::service::ConnInfo;

    /// Consumes the first line of its input, if whole, and does what the
    /// line says.
    pub(crate) struct Lines;

    impl Service for Lines {
        type State = u32;

        fn open(&self, _: &ConnInfo) -> u32 {
            0
        }

        fn handle(&self, calls: &mut u32, cx: &mut Cx<'_>) {
            *calls += 1;
            let Some(end) = cx.input().iter().position(|&b| b == b'\n') else { return };
            let line = cx.input()[..end].to_vec();
            cx.consume(end + 1);
            match &line[..] {
                b"close" => cx.close(),
                b"again" => cx.call_again(),
                b"hold" => {
                    cx.hold_output(3);
                    cx.hold_output(2);
                }
                b"body" => {
                    cx.request_in_progress();
                    cx.announce_request_len(100);
                }
                b"panic" => panic!("asked to"),
                b"park" => cx.park(),
                _ => cx.out().push_vec(line),
            }
        }
    }

    fn run(input: &[u8], direct: bool) -> Task<Lines> {
        let shared = Arc::new(Shared::new(Config::default()).unwrap());
        let control = Control { inboxes: vec![Arc::new(Inbox::new().unwrap())].into(), shared: shared.clone() };
        let id = ConnId::new(0, 0, 0);
        // A direct task with no socket to write to: `gone` keeps it from
        // trying, as for a connection that died meanwhile.
        let gone = Arc::new(AtomicBool::new(direct));
        let mut task = Task::new(id, Box::new(0), input.to_vec(), false, direct.then_some(-1), gone);
        task.run(&Lines, &control, &shared, Runner::Worker);
        task
    }

    #[test]
    fn the_verdict_carries_what_the_handler_said() {
        let task = run(b"close\nrest", false);
        assert_eq!(task.verdict, Verdict { consumed: 6, close: true, ..Verdict::default() });
        assert_eq!(task.input, b"rest", "the unconsumed input goes back");
        let task = run(b"hold\n", false);
        assert_eq!(task.verdict.hold, Some(3), "the latest gate of several");
        let task = run(b"body\n", false);
        assert!(task.verdict.mid_request);
        assert_eq!(task.verdict.announced, 100);
        assert_eq!(task.failure, None);
    }

    #[test]
    fn a_call_again_that_left_nothing_is_dropped() {
        assert!(run(b"again\nmore\n", false).verdict.again);
        assert!(!run(b"again\n", false).verdict.again);
    }

    #[test]
    fn a_panicking_handler_is_a_failure_of_its_task() {
        let task = run(b"panic\n", false);
        assert_eq!(task.failure, Some(Failure::Panicked));
        assert_eq!(*task.state, 1, "the state comes back");
    }

    #[test]
    fn only_a_direct_task_that_asks_nothing_of_the_loop_is_quiet() {
        assert!(run(b"partial", true).quiet());
        assert!(!run(b"partial", false).quiet(), "the loop writes its output");
        assert!(!run(b"close\n", true).quiet());
        assert!(!run(b"hold\n", true).quiet());
        assert!(!run(b"park\n", true).quiet(), "the loop must learn of the park");
        assert!(!run(b"echo\n", true).quiet(), "its output is not written");
    }
}
