//! Background work, on one thread like Redis's `serverCron`: sweeping
//! expired keys, the `everysec` fsync, and starting log rewrites.
//!
//! The thread holds only a weak reference to the store and ends once the
//! service is dropped. A rewrite runs on a thread of its own so that the
//! sweep and the fsync go on meanwhile.

use std::io;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use crate::store::SHARDS;
use crate::{now_ms, Fsync, Shared};

/// Most keys one shard's sweep removes per tick; the rest wait for the
/// next tick (or go when touched), so the sweep never holds a lock long.
const SWEEP_BUDGET_KEYS: usize = 1000;

/// How often expired keys are swept.
const SWEEP_INTERVAL: Duration = Duration::from_millis(100);

/// Starts the background thread.
///
/// # Errors
///
/// The thread could not be spawned.
pub fn start(shared: &Arc<Shared>) -> io::Result<()> {
    let weak = Arc::downgrade(shared);
    std::thread::Builder::new().name("kv-cron".into()).spawn(move || run(weak))?;
    Ok(())
}

fn run(weak: Weak<Shared>) {
    let mut last_fsync = Instant::now();
    loop {
        std::thread::park_timeout(SWEEP_INTERVAL);
        let Some(sh) = weak.upgrade() else { return };
        crate::resync_wall_clock();
        let now = now_ms();
        for db in sh.store.dbs.iter() {
            for i in 0..SHARDS {
                db.lock_shard(i).sweep(now, SWEEP_BUDGET_KEYS);
            }
        }
        if let Some(aof) = &sh.aof {
            // The everysec fsync; and while the log is failing, under any
            // policy, a retry each second (as Redis's serverCron).
            let failing = aof.failure().is_some();
            if (aof.fsync() == Fsync::EverySec || failing) && last_fsync.elapsed() >= Duration::from_secs(1) {
                last_fsync = Instant::now();
                let result = match aof.fsync() {
                    Fsync::No => aof.flush(aof.records(), false),
                    _ => aof.flush_and_sync_in_background(),
                };
                if let Err(e) = result {
                    tracing::error!(error = %e, "writing or syncing the append-only log failed; writes are refused until it works");
                }
            }
            let size = aof.size();
            if size > sh.options.aof_rewrite_min_bytes && size > aof.base_size().saturating_mul(2) {
                start_rewrite(&sh);
            }
        }
    }
}

/// Starts a log rewrite on its own thread unless one runs; true if it
/// started one.
pub fn start_rewrite(sh: &Shared) -> bool {
    let Some(aof) = &sh.aof else { return false };
    if !aof.begin_rewrite() {
        return false;
    }
    // The rewrite thread needs the store for as long as it runs; handlers
    // only hold `&Shared`, so it takes the value's own `Arc`.
    let Some(shared) = sh.this.get().and_then(Weak::upgrade) else {
        return false;
    };
    let spawned = std::thread::Builder::new().name("kv-aof-rewrite".into()).spawn(move || {
        if let Some(aof) = &shared.aof {
            if let Err(e) = aof.rewrite(&shared.store, now_ms) {
                tracing::error!(error = %e, "rewriting the append-only log failed");
            }
        }
    });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "could not start the append-only log rewrite");
        return false;
    }
    true
}
