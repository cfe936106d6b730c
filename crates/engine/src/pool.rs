//! The worker pool: a fixed set of named threads fed by one bounded queue.
//!
//! The loop pushes a turn's tasks in one batch and never blocks: a push that
//! finds the queue full hands the rest back. Workers block on a condition
//! variable only while the queue is empty; closing the queue lets them
//! finish what is queued and exit.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::mailbox::{Completions, Inbox};
use crate::service::{Control, Service};
use crate::task::Task;

/// A bounded multi-producer, multi-consumer queue.
pub struct Queue<T> {
    inner: Mutex<Inner<T>>,
    /// Signalled when an item arrives or the queue closes.
    ready: Condvar,
    capacity: usize,
}

struct Inner<T> {
    items: VecDeque<T>,
    /// Consumers blocked in `pop`.
    waiting: usize,
    closed: bool,
}

impl<T> Queue<T> {
    pub fn new(capacity: usize) -> Queue<T> {
        Queue {
            inner: Mutex::new(Inner { items: VecDeque::new(), waiting: 0, closed: false }),
            ready: Condvar::new(),
            capacity,
        }
    }

    /// Moves as many items from the front of `batch` as fit; the rest stay
    /// in `batch`. Returns how many were queued.
    pub fn push_batch(&self, batch: &mut Vec<T>) -> usize {
        let (pushed, wake) = {
            let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
            let room = self.capacity.saturating_sub(inner.items.len());
            let n = room.min(batch.len());
            inner.items.extend(batch.drain(..n));
            (n, n.min(inner.waiting))
        };
        if wake == 1 {
            self.ready.notify_one();
        } else if wake > 1 {
            self.ready.notify_all();
        }
        pushed
    }

    /// Takes the oldest item, blocking while the queue is empty and open.
    /// `None` once the queue is closed and empty.
    pub fn pop(&self) -> Option<T> {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(item) = inner.items.pop_front() {
                return Some(item);
            }
            if inner.closed {
                return None;
            }
            inner.waiting += 1;
            inner = self.ready.wait(inner).unwrap_or_else(|e| e.into_inner());
            inner.waiting -= 1;
        }
    }

    /// Items queued now.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).items.len()
    }

    /// Lets consumers drain what is queued, then stop.
    pub fn close(&self) {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).closed = true;
        self.ready.notify_all();
    }
}

/// Where a worker returns a finished task: the owning loop's queue and waker.
pub struct Route<S: Service> {
    pub completions: Arc<Completions<Task<S>>>,
    pub inbox: Arc<Inbox>,
}

/// The running workers.
pub struct Pool {
    threads: Vec<JoinHandle<()>>,
    /// Counts down as workers exit, so that joining can give up at a deadline.
    exited: Arc<(Mutex<usize>, Condvar)>,
}

impl Pool {
    pub fn start<S: Service>(
        n: usize,
        queue: Arc<Queue<Task<S>>>,
        routes: Arc<[Route<S>]>,
        service: Arc<S>,
        control: Control,
    ) -> std::io::Result<Pool> {
        let exited = Arc::new((Mutex::new(0), Condvar::new()));
        let mut threads = Vec::with_capacity(n);
        for i in 0..n {
            let (queue, routes, service, control, exited) =
                (queue.clone(), routes.clone(), service.clone(), control.clone(), exited.clone());
            // The workers log in the span of the server that starts them.
            let span = tracing::Span::current();
            let t = std::thread::Builder::new().name(format!("worker-{i}")).spawn(move || {
                let _span = span.entered();
                let shared = control.shared.clone();
                let metrics = &shared.metrics;
                while let Some(mut task) = queue.pop() {
                    metrics.tasks_queued.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
                    metrics.tasks_running.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    task.run(&*service, &control, &shared, crate::task::Runner::Worker);
                    metrics.tasks_running.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
                    let route = &routes[task.id.io_loop()];
                    let quiet = task.quiet();
                    route.completions.push(task);
                    if quiet {
                        route.inbox.waker.wake_if_awaited();
                    } else {
                        route.inbox.waker.wake();
                    }
                }
                let (count, cv) = &*exited;
                *count.lock().unwrap_or_else(|e| e.into_inner()) += 1;
                cv.notify_all();
            })?;
            threads.push(t);
        }
        Ok(Pool { threads, exited })
    }

    /// Joins the workers, waiting for them until `deadline` at most.
    /// Returns false if some were still busy at the deadline (they are left
    /// to die with the process).
    pub fn join(self, deadline: Instant) -> bool {
        let n = self.threads.len();
        let (count, cv) = &*self.exited;
        let mut exited = count.lock().unwrap_or_else(|e| e.into_inner());
        while *exited < n {
            let left = deadline.saturating_duration_since(Instant::now());
            if left == Duration::ZERO {
                return false;
            }
            exited = cv.wait_timeout(exited, left).unwrap_or_else(|e| e.into_inner()).0;
        }
        drop(exited);
        for t in self.threads {
            let _ = t.join();
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_queue_hands_the_rest_back() {
        let q = Queue::new(3);
        let mut batch = vec![1, 2, 3, 4, 5];
        assert_eq!(q.push_batch(&mut batch), 3);
        assert_eq!(batch, vec![4, 5]);
        assert_eq!(q.pop(), Some(1));
        assert_eq!(q.push_batch(&mut batch), 1);
        assert_eq!(batch, vec![5]);
        assert_eq!(q.len(), 3);
    }

    #[test]
    fn closing_lets_consumers_drain_then_stop() {
        let q = Arc::new(Queue::new(100));
        let consumers: Vec<_> = (0..3)
            .map(|_| {
                let q = q.clone();
                std::thread::spawn(move || std::iter::from_fn(|| q.pop()).count())
            })
            .collect();
        for chunk in (0..90).collect::<Vec<_>>().chunks(10) {
            q.push_batch(&mut chunk.to_vec());
        }
        q.close();
        let total: usize = consumers.into_iter().map(|c| c.join().unwrap()).sum();
        assert_eq!(total, 90);
    }
}
