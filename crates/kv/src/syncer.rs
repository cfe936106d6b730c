//! The `appendfsync always` syncer: one thread that writes and fsyncs the
//! log as fast as the disk allows, then releases the replies waiting for
//! those records.
//!
//! A handler that logged writes holds its connection's output for the
//! sequence number of its last record ([`Cx::hold_output`]) and asks the
//! syncer for it; the worker then goes on to other connections. Each fsync
//! covers every record appended before it began, from every connection, so
//! while one fsync runs the next group gathers: the group is as large as
//! the load, not as the worker pool (Redis fsyncs once per event-loop turn
//! for the same reason). A reply never leaves before its records are on
//! disk.
//!
//! [`Cx::hold_output`]: switchyard_engine::Cx::hold_output

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

use switchyard_engine::Control;

use crate::Shared;

/// What the syncer is asked to do.
#[derive(Default)]
struct Wants {
    /// The highest record sequence number some reply waits for.
    seq: u64,
    /// The service is going away: sync what is wanted, then end.
    stop: bool,
}

/// The syncer's mailbox and thread.
#[derive(Default)]
pub struct Syncer {
    wants: Mutex<Wants>,
    ready: Condvar,
    /// The thread runs: handlers may hold replies for it.
    running: AtomicBool,
    thread: Mutex<Option<JoinHandle<()>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Syncer {
    /// Starts the thread; replies it releases go out through `control`.
    ///
    /// # Errors
    ///
    /// The thread could not be spawned.
    pub fn start(shared: &Arc<Shared>, control: Control) -> io::Result<()> {
        let sh = shared.clone();
        let handle = std::thread::Builder::new().name("kv-aof-sync".into()).spawn(move || run(&sh, &control))?;
        let syncer = shared.syncer.as_ref().expect("a syncer for appendfsync always");
        *lock(&syncer.thread) = Some(handle);
        syncer.running.store(true, Ordering::Release);
        Ok(())
    }

    /// The thread runs, so a handler may hold its replies for it.
    pub fn running(&self) -> bool {
        self.running.load(Ordering::Acquire)
    }

    /// Asks for the records up to `seq` on disk.
    pub fn request(&self, seq: u64) {
        let mut w = lock(&self.wants);
        if seq > w.seq {
            w.seq = seq;
            self.ready.notify_one();
        }
    }

    /// Ends the thread once what was asked for is synced, and joins it.
    pub fn stop(&self) {
        lock(&self.wants).stop = true;
        self.ready.notify_one();
        if let Some(t) = lock(&self.thread).take() {
            let _ = t.join();
        }
    }
}

fn run(sh: &Shared, control: &Control) {
    let (Some(aof), Some(syncer)) = (&sh.aof, &sh.syncer) else { return };
    loop {
        let wanted = {
            let mut w = lock(&syncer.wants);
            while w.seq <= aof.synced() && !w.stop {
                w = syncer.ready.wait(w).unwrap_or_else(|e| e.into_inner());
            }
            if w.seq <= aof.synced() {
                return; // stopping, and nothing is waiting
            }
            w.seq
        };
        // A failure ends the process: the waiting replies would
        // acknowledge writes that may not be on disk.
        crate::write_log(aof, wanted);
        control.release(aof.synced());
    }
}
