//! The append-only log: every write as a RESP command, replayed at start.
//!
//! Records are *effects*, not the commands clients sent: `SET key value
//! [PXAT ms]`, `DEL`, `PEXPIREAT`, `PERSIST`, `MSET`, `FLUSHDB`, `FLUSHALL`,
//! `SELECT`, and `MULTI`/`EXEC` around records that must land together:
//! those of one command (`RENAME`), or of one client transaction, which
//! [`Aof::append_unit`] appends in one piece. Replay applies a
//! `MULTI`...`EXEC` block only once it has read its `EXEC`, so a block torn
//! at the end of the file is cut off whole. Each sets absolute state, so replaying a
//! record whose effect is already present changes nothing: that is what
//! lets a rewrite snapshot shards one at a time while clients keep writing.
//! Collections are logged element by element: `HSET`/`HDEL`, `SADD`/`SREM`
//! and `ZADD`/`ZREM` set the absolute state of each element they name. List records
//! (`LPUSH`, `RPUSH`, `LPOP`/`RPOP key n`, `LSET`, `LINSERT`, `LREM`,
//! `LTRIM`, `LMOVE`) change state relative to what they find, so while a
//! rewrite collects records they are written as the whole list instead
//! ([`Aof::append_during`]).
//!
//! Ordering: a command appends its records while it still holds its shard
//! locks, so the log orders writes to a key as memory does.
//!
//! Durability, group commit: appends go to an in-memory buffer under
//! `pending`. Whoever then needs them on disk takes the `file` lock, swaps
//! the whole buffer out, writes it and (for `always`) fsyncs. Writers that
//! arrive meanwhile queue on the `file` lock; the first of them to get it
//! writes and fsyncs everything buffered so far, and the rest find their
//! records already synced and return. One fsync serves everyone who
//! appended before it started.
//!
//! Rewrite: [`Aof::rewrite`] turns on a second buffer that collects every
//! record appended from then on, writes a snapshot of the store shard by
//! shard to a temporary file, then, briefly holding both locks, appends the
//! collected records, fsyncs, and renames the file over the log.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use switchyard_codec::resp;

use crate::store::Store;
use crate::types::Value;
use crate::Fsync;

/// Records buffered in memory, not yet written.
struct Pending {
    /// The bytes to write next.
    buf: Vec<u8>,
    /// Sequence number of the last record appended.
    seq: u64,
    /// The database the log's last `SELECT` chose.
    db: Option<usize>,
    /// While a rewrite runs: records appended since it began.
    rewrite: Option<(Vec<u8>, Option<usize>)>,
}

/// The log file and how far it is written.
struct Writer {
    file: File,
    /// Sequence number of the last record written to the file.
    written: u64,
    /// The file's length.
    size: u64,
}

/// The append-only log.
pub struct Aof {
    path: PathBuf,
    fsync: Fsync,
    pending: Mutex<Pending>,
    file: Mutex<Writer>,
    /// Sequence number of the last record known to be on disk.
    synced: AtomicU64,
    /// A rewrite is under way.
    rewriting: AtomicBool,
    /// The log's size after the last rewrite (or at start).
    base_size: AtomicU64,
    /// Rewrites completed.
    pub rewrites: AtomicU64,
    /// fsyncs of the log (its ratio to records shows group commit at work).
    pub fsyncs: AtomicU64,
    /// The last write of the log failed (Redis's `aof_last_write_status`).
    write_failed: AtomicBool,
    /// The last fsync of the log failed.
    sync_failed: AtomicBool,
    /// The operating system's words for the last failure.
    last_error: Mutex<String>,
    /// Writes and fsyncs of the log that failed.
    pub errors: AtomicU64,
}

/// An I/O error as `strerror` words it ("No space left on device"),
/// without Rust's "(os error 28)".
fn os_words(e: &io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn select(buf: &mut Vec<u8>, db: usize) {
    resp::command(buf, &[&b"SELECT"[..], db.to_string().as_bytes()]);
}

/// Where a log stops being a log.
#[derive(Debug)]
pub struct Corrupt {
    /// Byte offset of the bad record.
    pub offset: usize,
    /// What is wrong there.
    pub what: String,
}

impl Aof {
    /// Opens (creating) the log at `path` for appending, after replay has
    /// cut it to `valid_len` bytes.
    ///
    /// # Errors
    ///
    /// The file cannot be opened or truncated.
    pub fn open(path: &Path, fsync: Fsync, valid_len: u64) -> io::Result<Aof> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        if file.metadata()?.len() != valid_len {
            file.set_len(valid_len)?;
            file.sync_all()?;
        }
        Ok(Aof {
            path: path.to_path_buf(),
            fsync,
            pending: Mutex::new(Pending { buf: Vec::new(), seq: 0, db: None, rewrite: None }),
            file: Mutex::new(Writer { file, written: 0, size: valid_len }),
            synced: AtomicU64::new(0),
            rewriting: AtomicBool::new(false),
            base_size: AtomicU64::new(valid_len),
            rewrites: AtomicU64::new(0),
            fsyncs: AtomicU64::new(0),
            write_failed: AtomicBool::new(false),
            sync_failed: AtomicBool::new(false),
            last_error: Mutex::new(String::new()),
            errors: AtomicU64::new(0),
        })
    }

    /// When the log is flushed.
    pub fn fsync(&self) -> Fsync {
        self.fsync
    }

    /// Appends the records `write` encodes, for database `db`; returns their
    /// sequence number for [`Aof::flush`]. Call with the shard locks of the
    /// keys they touch held.
    pub fn append(&self, db: usize, write: impl FnOnce(&mut Vec<u8>)) -> u64 {
        self.append_records(db, db, |buf, _| write(buf))
    }

    /// Appends records that start in database `db` and end in `end_db`
    /// (a transaction whose commands `SELECT` another database writes its
    /// own `SELECT` records), as [`Aof::append`] does.
    pub fn append_unit(&self, db: usize, end_db: usize, write: impl FnOnce(&mut Vec<u8>)) -> u64 {
        self.append_records(db, end_db, |buf, _| write(buf))
    }

    /// As [`Aof::append`], telling `write` whether a rewrite is collecting
    /// the records: a record that changes state relative to what it finds
    /// (a list push) must then set absolute state instead, because the
    /// rewrite's snapshot of its shard may already hold its effect.
    pub fn append_during(&self, db: usize, write: impl FnOnce(&mut Vec<u8>, bool)) -> u64 {
        self.append_records(db, db, write)
    }

    fn append_records(&self, db: usize, end_db: usize, write: impl FnOnce(&mut Vec<u8>, bool)) -> u64 {
        let mut p = lock(&self.pending);
        if p.db != Some(db) {
            select(&mut p.buf, db);
            p.db = Some(db);
        }
        let start = p.buf.len();
        let rewriting = p.rewrite.is_some();
        write(&mut p.buf, rewriting);
        p.db = Some(end_db);
        let Pending { buf, rewrite, .. } = &mut *p;
        if let Some((rw, rw_db)) = rewrite {
            if *rw_db != Some(db) {
                select(rw, db);
            }
            rw.extend_from_slice(&buf[start..]);
            *rw_db = Some(end_db);
        }
        p.seq += 1;
        p.seq
    }

    /// Makes the records up to `seq` reach the file, and the disk too when
    /// `sync` is set (group commit: see the module docs).
    ///
    /// # Errors
    ///
    /// Writing or syncing the file failed.
    pub fn flush(&self, seq: u64, sync: bool) -> io::Result<()> {
        if sync && self.synced.load(Ordering::Acquire) >= seq {
            return Ok(());
        }
        let mut w = lock(&self.file);
        if sync && self.synced.load(Ordering::Acquire) >= seq || !sync && w.written >= seq {
            return Ok(());
        }
        let upto = self.write_pending(&mut w)?;
        if sync {
            self.record_sync(w.file.sync_data(), upto)?;
        }
        Ok(())
    }

    /// Why the log cannot be written, while its last write or fsync has
    /// failed: the server then refuses writes, as Redis does with its
    /// `MISCONF` error, until a retry succeeds.
    pub fn failure(&self) -> Option<String> {
        if !self.write_failed.load(Ordering::Relaxed) && !self.sync_failed.load(Ordering::Relaxed) {
            return None;
        }
        Some(lock(&self.last_error).clone())
    }

    /// Notes how a write (or fsync, by `flag`) went; logs the turn from
    /// failing to working.
    fn outcome<T>(&self, flag: &AtomicBool, what: &str, result: io::Result<T>) -> io::Result<T> {
        match &result {
            Ok(_) => {
                if flag.swap(false, Ordering::Relaxed) {
                    tracing::warn!("the append-only log {what} works again");
                }
            }
            Err(e) => {
                self.errors.fetch_add(1, Ordering::Relaxed);
                *lock(&self.last_error) = os_words(e);
                flag.store(true, Ordering::Relaxed);
            }
        }
        result
    }

    /// Records the outcome of an fsync that covered the records up to `upto`.
    fn record_sync(&self, result: io::Result<()>, upto: u64) -> io::Result<()> {
        self.outcome(&self.sync_failed, "fsync", result)?;
        self.fsyncs.fetch_add(1, Ordering::Relaxed);
        self.synced.fetch_max(upto, Ordering::AcqRel);
        Ok(())
    }

    /// Moves the buffered records into the file (under its lock); returns
    /// the sequence number of the last one written.
    ///
    /// A failed write (a full disk) loses nothing: the part that made it
    /// is cut off the file again, so that no half record is left in the
    /// middle, and the records go back to the front of the buffer for the
    /// next try, as Redis does.
    fn write_pending(&self, w: &mut Writer) -> io::Result<u64> {
        let (bytes, upto) = {
            let mut p = lock(&self.pending);
            (std::mem::take(&mut p.buf), p.seq)
        };
        if !bytes.is_empty() {
            if let Err(e) = self.outcome(&self.write_failed, "write", w.file.write_all(&bytes)) {
                if let Err(cut) = w.file.set_len(w.size) {
                    tracing::error!(error = %cut, "cutting a partial write off the append-only log");
                }
                let mut p = lock(&self.pending);
                let later = std::mem::replace(&mut p.buf, bytes);
                p.buf.extend_from_slice(&later);
                return Err(e);
            }
            w.size += bytes.len() as u64;
        }
        w.written = upto;
        Ok(upto)
    }

    /// Writes what is buffered, then fsyncs without holding the file lock
    /// (the `everysec` tick), so writers are not held up by the disk.
    ///
    /// # Errors
    ///
    /// Writing or syncing the file failed.
    pub fn flush_and_sync_in_background(&self) -> io::Result<()> {
        let (file, upto) = {
            let mut w = lock(&self.file);
            let upto = self.write_pending(&mut w)?;
            if self.synced.load(Ordering::Acquire) >= upto {
                return Ok(());
            }
            (w.file.try_clone()?, upto)
        };
        self.record_sync(file.sync_data(), upto)
    }

    /// Sequence number of the last record known to be on disk.
    pub fn synced(&self) -> u64 {
        self.synced.load(Ordering::Acquire)
    }

    /// Records appended since start.
    pub fn records(&self) -> u64 {
        lock(&self.pending).seq
    }

    /// The log's length in bytes.
    pub fn size(&self) -> u64 {
        lock(&self.file).size
    }

    /// The log's length after the last rewrite.
    pub fn base_size(&self) -> u64 {
        self.base_size.load(Ordering::Relaxed)
    }

    /// A rewrite is under way.
    pub fn rewriting(&self) -> bool {
        self.rewriting.load(Ordering::Relaxed)
    }

    /// Claims the right to rewrite; false if a rewrite already runs.
    pub fn begin_rewrite(&self) -> bool {
        !self.rewriting.swap(true, Ordering::AcqRel)
    }

    /// Rewrites the log as a snapshot of `store` plus what is appended
    /// meanwhile. Call after [`Aof::begin_rewrite`] returned true; clients
    /// go on while the snapshot is written.
    ///
    /// # Errors
    ///
    /// Writing the new log failed; the old one stays in place.
    pub fn rewrite(&self, store: &Store, now_ms: impl Fn() -> u64) -> io::Result<()> {
        let result = self.rewrite_inner(store, now_ms);
        if result.is_err() {
            lock(&self.pending).rewrite = None;
        }
        self.rewriting.store(false, Ordering::Release);
        result
    }

    fn rewrite_inner(&self, store: &Store, now_ms: impl Fn() -> u64) -> io::Result<()> {
        lock(&self.pending).rewrite = Some((Vec::new(), None));
        let tmp_path = self.path.with_extension("rewrite");
        let mut tmp = File::create(&tmp_path)?;
        let mut chunk = Vec::new();
        for (n, db) in store.dbs.iter().enumerate() {
            let mut selected = false;
            for i in 0..crate::store::SHARDS {
                // A string is written out after the shard's lock is
                // released, from a reference taken under it; a collection
                // is encoded under the lock (its elements are not shared),
                // as commands of at most `REWRITE_ITEMS_PER_COMMAND`
                // elements each.
                let mut collections = Vec::new();
                let strings: Vec<_> = {
                    let shard = db.lock_shard(i);
                    let mut strings = Vec::new();
                    for (k, v, at) in shard.entries(now_ms()) {
                        match v {
                            Value::Str(b) => strings.push((k.clone(), b.clone(), at)),
                            other => other.rewrite(k, at, &mut collections),
                        }
                    }
                    strings
                };
                if !selected && (!strings.is_empty() || !collections.is_empty()) {
                    select(&mut chunk, n);
                    selected = true;
                }
                tmp.write_all(&chunk)?;
                chunk.clear();
                tmp.write_all(&collections)?;
                drop(collections);
                for (k, v, at) in strings {
                    Value::Str(v).rewrite(&k, at, &mut chunk);
                    if chunk.len() >= 1 << 20 {
                        tmp.write_all(&chunk)?;
                        chunk.clear();
                    }
                }
                tmp.write_all(&chunk)?;
                chunk.clear();
            }
        }
        let mut w = lock(&self.file);
        let mut p = lock(&self.pending);
        let (tail, tail_db) = p.rewrite.take().unwrap_or_default();
        tmp.write_all(&tail)?;
        tmp.sync_all()?;
        let size = tmp.metadata()?.len();
        drop(tmp);
        std::fs::rename(&tmp_path, &self.path)?;
        if let Some(dir) = self.path.parent() {
            let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
            File::open(dir)?.sync_all()?;
        }
        w.file = OpenOptions::new().append(true).open(&self.path)?;
        w.size = size;
        w.written = p.seq;
        p.buf.clear();
        p.db = tail_db;
        self.synced.fetch_max(p.seq, Ordering::AcqRel);
        self.base_size.store(size, Ordering::Relaxed);
        self.rewrites.fetch_add(1, Ordering::Relaxed);
        tracing::info!(path = %self.path.display(), bytes = size, "append-only log rewritten");
        Ok(())
    }
}

/// The commands the log is written in (see the module docs).
const RECORD_NAMES: [&[u8]; 25] = [
    b"SET",
    b"DEL",
    b"PEXPIREAT",
    b"PERSIST",
    b"MSET",
    b"FLUSHDB",
    b"FLUSHALL",
    b"SELECT",
    b"MULTI",
    b"EXEC",
    b"HSET",
    b"HDEL",
    b"LPUSH",
    b"RPUSH",
    b"LPOP",
    b"RPOP",
    b"LSET",
    b"LINSERT",
    b"LREM",
    b"LTRIM",
    b"LMOVE",
    b"SADD",
    b"SREM",
    b"ZADD",
    b"ZREM",
];

/// One record at the front of a log's bytes, read strictly: `*N\r\n`, then
/// N times `$L\r\n`, L bytes and `\r\n`. Unlike a client's request, every
/// CRLF is checked and there is no inline form.
#[derive(Debug, PartialEq)]
enum Record<'a> {
    /// A whole record: its arguments and its length in bytes.
    Whole(Vec<&'a [u8]>, usize),
    /// The bytes end inside a record that is well formed so far.
    Short,
    /// Not a record: what is wrong, and where (relative to the front).
    Bad(String, usize),
}

/// Reads the `\r\n`-terminated decimal after the marker byte at `pos`:
/// `Ok(Some((n, next)))`, `Ok(None)` when the bytes end first.
fn header(data: &[u8], pos: usize, marker: u8) -> Result<Option<(usize, usize)>, String> {
    let Some(&first) = data.get(pos) else { return Ok(None) };
    if first != marker {
        return Err(format!("expected '{}', found byte {first:#04x}", marker as char));
    }
    let digits = &data[pos + 1..];
    let n = digits.iter().take_while(|b| b.is_ascii_digit()).count();
    let rest = &digits[n..];
    if rest.is_empty() || rest == b"\r" {
        // Twenty digits overflow any length: no torn header is that long.
        return if n > 20 { Err("a length with too many digits".into()) } else { Ok(None) };
    }
    if n == 0 || !rest.starts_with(b"\r\n") {
        return Err(format!("a malformed '{}' length", marker as char));
    }
    let value = std::str::from_utf8(&digits[..n]).ok().and_then(|d| d.parse::<usize>().ok());
    match value {
        Some(v) => Ok(Some((v, pos + 1 + n + 2))),
        None => Err(format!("a '{}' length out of range", marker as char)),
    }
}

fn read_record(data: &[u8]) -> Record<'_> {
    let step = |r: Result<Option<(usize, usize)>, String>, at: usize| match r {
        Ok(Some(v)) => Ok(v),
        Ok(None) => Err(Record::Short),
        Err(what) => Err(Record::Bad(what, at)),
    };
    let (count, mut pos) = match step(header(data, 0, b'*'), 0) {
        Ok(v) => v,
        Err(r) => return r,
    };
    if count == 0 {
        return Record::Bad("an empty record".into(), 0);
    }
    let mut args = Vec::with_capacity(count.min(16));
    for _ in 0..count {
        let (len, start) = match step(header(data, pos, b'$'), pos) {
            Ok(v) => v,
            Err(r) => return r,
        };
        let Some(end) = start.checked_add(len).filter(|&e| e <= data.len()) else {
            return Record::Short;
        };
        match &data[end..data.len().min(end + 2)] {
            b"\r\n" => {}
            b"" | b"\r" => return Record::Short,
            _ => return Record::Bad("no CRLF after a value".into(), end),
        }
        args.push(&data[start..end]);
        pos = end + 2;
    }
    Record::Whole(args, pos)
}

/// Where, after `from`, a whole record of the log's own commands starts at
/// the beginning of a line: evidence that a record running past the end of
/// the file is not a torn last write but a damaged length in the middle.
fn later_record(data: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    while let Some(i) = data[at..].iter().position(|&b| b == b'*') {
        let p = at + i;
        if data[..p].ends_with(b"\r\n") {
            if let Record::Whole(args, _) = read_record(&data[p..]) {
                if RECORD_NAMES.iter().any(|n| n.eq_ignore_ascii_case(args[0])) {
                    return Some(p);
                }
            }
        }
        at = p + 1;
    }
    None
}

/// Reads the log at `path` and hands each command to `apply` with its
/// offset. Returns the length of the valid prefix: a torn last record (or
/// a `MULTI` without its `EXEC`) is left out, with a warning.
///
/// A record that runs past the end of the file is a torn last write only
/// if nothing after its start reads as a record: when whole records
/// follow, one of its lengths was damaged, and that is corruption.
///
/// # Errors
///
/// The file cannot be read, or a record before the end is malformed or
/// refused by `apply`: `Corrupt` names the offset.
pub fn replay(
    path: &Path,
    mut apply: impl FnMut(&[std::borrow::Cow<'_, [u8]>]) -> Result<(), String>,
) -> io::Result<Result<u64, Corrupt>> {
    use std::borrow::Cow;

    let data = match std::fs::read(path) {
        Ok(d) => d,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Ok(0)),
        Err(e) => return Err(e),
    };
    let mut pos = 0;
    let mut multi: Option<(usize, Vec<Vec<&[u8]>>)> = None;
    let mut valid = 0;
    while pos < data.len() {
        let (args, n) = match read_record(&data[pos..]) {
            Record::Whole(args, n) => (args, n),
            Record::Short => {
                if let Some(next) = later_record(&data, pos + 1) {
                    let what = format!("a record runs past the end of the file, but a whole one starts at byte {next}");
                    return Ok(Err(Corrupt { offset: pos, what }));
                }
                break;
            }
            Record::Bad(what, at) => {
                return Ok(Err(Corrupt { offset: pos, what: format!("{what} (at byte {})", pos + at) }));
            }
        };
        let name = args[0].to_ascii_uppercase();
        if name == b"MULTI" {
            multi = Some((pos, Vec::new()));
        } else if name == b"EXEC" {
            let Some((start, cmds)) = multi.take() else {
                return Ok(Err(Corrupt { offset: pos, what: "EXEC without MULTI".into() }));
            };
            for c in cmds {
                let args: Vec<Cow<'_, [u8]>> = c.into_iter().map(Cow::Borrowed).collect();
                if let Err(what) = apply(&args) {
                    return Ok(Err(Corrupt { offset: start, what }));
                }
            }
        } else if let Some((_, cmds)) = multi.as_mut() {
            cmds.push(args);
        } else {
            let args: Vec<Cow<'_, [u8]>> = args.into_iter().map(Cow::Borrowed).collect();
            if let Err(what) = apply(&args) {
                return Ok(Err(Corrupt { offset: pos, what }));
            }
        }
        pos += n;
        if multi.is_none() {
            valid = pos;
        }
    }
    if valid < data.len() {
        tracing::warn!(
            path = %path.display(),
            offset = valid,
            dropped_bytes = data.len() - valid,
            "append-only log ends in a torn record; cutting it off"
        );
    }
    Ok(Ok(valid as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> PathBuf {
        let p = std::env::temp_dir().join(format!("switchyard-kv-aof-{}-{name}", std::process::id()));
        let _ = std::fs::remove_file(&p);
        p
    }

    #[test]
    fn one_fsync_serves_every_writer_that_appended_before_it() {
        let path = temp("group");
        let aof = Aof::open(&path, Fsync::Always, 0).unwrap();
        let seqs: Vec<u64> = (0..8)
            .map(|i| aof.append(0, |buf| resp::command(buf, &[&b"SET"[..], b"k", i.to_string().as_bytes()])))
            .collect();
        std::thread::scope(|s| {
            for &seq in &seqs {
                let aof = &aof;
                s.spawn(move || aof.flush(seq, true).unwrap());
            }
        });
        assert_eq!(aof.fsyncs.load(Ordering::Relaxed), 1);
        let mut applied = Vec::new();
        let valid = replay(&path, |args| {
            applied.push(args.iter().map(|a| a.to_vec()).collect::<Vec<_>>());
            Ok(())
        })
        .unwrap()
        .unwrap();
        assert_eq!(valid, std::fs::metadata(&path).unwrap().len());
        assert_eq!(applied.len(), 9, "a SELECT and eight SETs");
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn replay_cuts_a_torn_tail_and_an_unfinished_multi_but_not_garbage() {
        let path = temp("torn");
        let mut good = Vec::new();
        resp::command(&mut good, &["SET", "a", "1"]);
        let mut data = good.clone();
        resp::command(&mut data, &["MULTI"]);
        resp::command(&mut data, &["DEL", "a"]);
        std::fs::write(&path, &data).unwrap();
        let mut n = 0;
        let valid = replay(&path, |_| {
            n += 1;
            Ok(())
        });
        assert_eq!(valid.unwrap().unwrap(), good.len() as u64);
        assert_eq!(n, 1);

        data.truncate(good.len());
        data.extend_from_slice(b"*3\r\n$3\r\nSET\r\n$1");
        std::fs::write(&path, &data).unwrap();
        assert_eq!(replay(&path, |_| Ok(())).unwrap().unwrap(), good.len() as u64);

        let mut bad = good.clone();
        bad.extend_from_slice(b"*1\r\n!oops\r\n");
        bad.extend_from_slice(&good);
        std::fs::write(&path, &bad).unwrap();
        let corrupt = replay(&path, |_| Ok(())).unwrap().unwrap_err();
        assert_eq!(corrupt.offset, good.len());
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn a_failed_write_keeps_its_records_for_the_next_one() {
        let path = temp("retry");
        let aof = Aof::open(&path, Fsync::EverySec, 0).unwrap();
        let first = aof.append(0, |buf| resp::command(buf, &["SET", "a", "1"]));
        aof.flush(first, false).unwrap();
        // A handle that cannot write stands in for a full disk.
        let writable = std::mem::replace(&mut lock(&aof.file).file, File::open(&path).unwrap());
        let second = aof.append(0, |buf| resp::command(buf, &["SET", "b", "2"]));
        assert!(aof.failure().is_none());
        assert!(aof.flush(second, false).is_err());
        assert_eq!(aof.failure().as_deref(), Some("Bad file descriptor"), "strerror's words, for MISCONF");
        assert_eq!(aof.errors.load(Ordering::Relaxed), 1);
        let third = aof.append(0, |buf| resp::command(buf, &["SET", "c", "3"]));
        lock(&aof.file).file = writable;
        aof.flush(third, false).unwrap();
        assert!(aof.failure().is_none(), "a write that works ends the refusal");
        let mut applied = Vec::new();
        replay(&path, |args| {
            applied.push(String::from_utf8_lossy(&args[1]).into_owned());
            Ok(())
        })
        .unwrap()
        .unwrap();
        assert_eq!(applied, ["0", "a", "b", "c"], "a SELECT, then each SET once, in order");
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn records_are_read_strictly() {
        fn whole(args: &[&'static [u8]], n: usize) -> Record<'static> {
            Record::Whole(args.to_vec(), n)
        }
        let bad = |what: &str, at| Record::Bad(what.to_string(), at);
        let table: &[(&[u8], Record<'_>)] = &[
            (b"*1\r\n$4\r\nEXEC\r\n", whole(&[b"EXEC"], 14)),
            (b"*2\r\n$3\r\nDEL\r\n$0\r\n\r\nrest", whole(&[b"DEL", b""], 19)),
            (b"", Record::Short),
            (b"*", Record::Short),
            (b"*2\r", Record::Short),
            (b"*2\r\n$3\r\nDEL\r\n$10\r\nabc", Record::Short),
            (b"*1\r\n$4\r\nEXEC", Record::Short),
            (b"*1\r\n$4\r\nEXEC\r", Record::Short),
            (b"*1\r\n$4\r\nEXECxx", bad("no CRLF after a value", 12)),
            (b"*1\r\n$2\r\nEXEC\r\n", bad("no CRLF after a value", 10)),
            (b"*0\r\n", bad("an empty record", 0)),
            (b"SET a b\r\n", bad("expected '*', found byte 0x53", 0)),
            (b"*1\r\n+OK\r\n", bad("expected '$', found byte 0x2b", 4)),
            (b"*-1\r\n", bad("a malformed '*' length", 0)),
            (b"*1x\r\n", bad("a malformed '*' length", 0)),
            (b"*1\r\n$99999999999999999999999\r\n", bad("a '$' length out of range", 4)),
            (b"*1\r\n$999999999999999999999999", bad("a length with too many digits", 4)),
        ];
        for (bytes, want) in table {
            assert_eq!(&read_record(bytes), want, "{:?}", String::from_utf8_lossy(bytes));
        }
    }

    #[test]
    fn a_damaged_length_in_the_middle_is_corruption_not_a_torn_tail() {
        let path = temp("damaged");
        let mut log = Vec::new();
        resp::command(&mut log, &["SET", "a", "1"]);
        let second = log.len();
        resp::command(&mut log, &["SET", "b", "22"]);
        resp::command(&mut log, &["SET", "c", "333"]);
        let mut replayed = 0;
        let mut count = |bytes: &[u8]| {
            std::fs::write(&path, bytes).unwrap();
            replayed = 0;
            replay(&path, |_| {
                replayed += 1;
                Ok(())
            })
            .unwrap()
        };

        // `$2` of "22" made `$99`: the record would run past the end, but a
        // whole record follows it.
        let far = String::from_utf8(log.clone()).unwrap().replacen("$2\r\n22", "$99\r\n22", 1);
        let corrupt = count(far.as_bytes()).unwrap_err();
        assert_eq!(corrupt.offset, second, "{}", corrupt.what);
        assert!(corrupt.what.contains("a whole one starts at byte"), "{}", corrupt.what);
        // ... made `$1`: the byte after the value is not CR.
        let near = String::from_utf8(log.clone()).unwrap().replacen("$2\r\n22", "$1\r\n22", 1);
        let corrupt = count(near.as_bytes()).unwrap_err();
        assert_eq!(corrupt.offset, second);
        assert_eq!(corrupt.what, format!("no CRLF after a value (at byte {})", second + 25));
        // A torn last record whose value holds a '*' after a CRLF, but no
        // whole record, is still a torn tail.
        let mut torn = log.clone();
        torn.extend_from_slice(b"*3\r\n$3\r\nSET\r\n$1\r\nd\r\n$40\r\nline\r\n*3\r\n$3\r\nSE");
        assert_eq!(count(&torn).unwrap(), log.len() as u64);
        assert_eq!(replayed, 3);
        let _ = std::fs::remove_file(&path);
    }
}
