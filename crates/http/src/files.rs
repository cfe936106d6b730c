//! Files under the served root: resolved, opened, described, and cached.
//!
//! Invariants: an [`Entry`] only ever describes a file whose canonical path
//! (symbolic links resolved) lies inside the canonical root; an entry is
//! re-checked against the file system at most once a second, and replaced
//! when the file's identity, size or modification time changed. The cache is
//! bounded in entries and in the bytes of file contents it holds.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::fs::{File, Metadata};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering::Relaxed};
use std::sync::{Arc, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::encoding::{Encoding, Twins};

/// Files this small are kept in memory and copied into responses; larger
/// ones are sent from the page cache with `sendfile(2)`.
pub const INLINE_MAX_BYTES: u64 = 32 << 10;
/// Most entries the cache holds.
pub const CACHE_MAX_ENTRIES: usize = 4096;
/// Most bytes of file contents the cache holds.
pub const CACHE_MAX_BYTES: usize = 64 << 20;

/// Why a path could not be served.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Missing {
    /// Nothing there, or it lies outside the root: 404.
    NotFound,
    /// It exists but may not be read, or is not a regular file: 403.
    Forbidden,
}

impl From<io::Error> for Missing {
    fn from(e: io::Error) -> Missing {
        match e.kind() {
            io::ErrorKind::PermissionDenied => Missing::Forbidden,
            _ => Missing::NotFound,
        }
    }
}

/// What a path names.
pub enum Kind {
    /// A regular file, open for reading.
    File {
        /// The open file, shared by every response that sends it.
        file: Arc<File>,
        /// Its contents, when it is small enough to keep in memory.
        contents: Option<Box<[u8]>>,
    },
    /// A folder.
    Dir,
}

/// A resolved path and what responses say about it.
pub struct Entry {
    /// The canonical path.
    pub path: PathBuf,
    /// A file or a folder.
    pub kind: Kind,
    /// Size in bytes.
    pub len: u64,
    /// Modification time, whole seconds since the epoch.
    pub mtime_secs: u64,
    /// The strong validator, quotes included.
    pub etag: String,
    /// `Last-Modified`, an HTTP date.
    pub last_modified: String,
    /// The header lines every 200/206/304 about this file carries:
    /// `Content-Type`, `Last-Modified`, `ETag`, `Accept-Ranges`.
    pub fields: Box<[u8]>,
    /// What the cache compares on re-checks.
    identity: Identity,
    /// The second this entry was last checked against the file system.
    checked_secs: AtomicU64,
    /// Which precompressed twins were beside the file ([`Twins::bits`]).
    twins: AtomicU8,
    /// The second `twins` was last checked; `u64::MAX` before the first.
    twins_checked_secs: AtomicU64,
}

/// What changes when a file is replaced or written.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Identity {
    dev: u64,
    ino: u64,
    len: u64,
    mtime: i64,
    mtime_nsec: i64,
}

impl Identity {
    fn of(meta: &Metadata) -> Identity {
        Identity {
            dev: meta.dev(),
            ino: meta.ino(),
            len: meta.len(),
            mtime: meta.mtime(),
            mtime_nsec: meta.mtime_nsec(),
        }
    }
}

/// The root folder and the cache of what was found under it.
pub struct Files {
    root: PathBuf,
    entries: RwLock<Cache>,
    /// Lookups answered from the cache.
    hits: AtomicU64,
    /// Lookups that opened the file.
    misses: AtomicU64,
}

/// The cache's figures, for metrics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Paths cached.
    pub entries: u64,
    /// Bytes of file contents cached.
    pub bytes: u64,
    /// Lookups answered from the cache.
    pub hits: u64,
    /// Lookups that opened the file.
    pub misses: u64,
}

#[derive(Default)]
struct Cache {
    map: HashMap<Box<[u8]>, Arc<Entry>>,
    /// Bytes of file contents held by `map`.
    bytes: usize,
}

impl Files {
    /// Serves `root`.
    ///
    /// # Errors
    ///
    /// `root` cannot be resolved, or is not a folder.
    pub fn new(root: &Path) -> io::Result<Files> {
        let root = std::fs::canonicalize(root)?;
        if !std::fs::metadata(&root)?.is_dir() {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("{} is not a folder", root.display())));
        }
        Ok(Files { root, entries: RwLock::new(Cache::default()), hits: AtomicU64::new(0), misses: AtomicU64::new(0) })
    }

    /// The canonical root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The cache's figures now.
    pub fn stats(&self) -> CacheStats {
        let cache = self.entries.read().unwrap_or_else(|e| e.into_inner());
        CacheStats {
            entries: cache.map.len() as u64,
            bytes: cache.bytes as u64,
            hits: self.hits.load(Relaxed),
            misses: self.misses.load(Relaxed),
        }
    }

    /// Finds `rel` (a path relative to the root, without `..`) and describes
    /// it, from the cache when it is fresh.
    ///
    /// # Errors
    ///
    /// [`Missing`] when there is nothing servable there.
    pub fn lookup(&self, rel: &[u8]) -> Result<Arc<Entry>, Missing> {
        let now = now_secs();
        let cached = self.entries.read().unwrap_or_else(|e| e.into_inner()).map.get(rel).cloned();
        if let Some(entry) = cached {
            if entry.checked_secs.load(Relaxed) == now {
                self.hits.fetch_add(1, Relaxed);
                return Ok(entry);
            }
            let unchanged = std::fs::metadata(&entry.path).is_ok_and(|m| Identity::of(&m) == entry.identity);
            if unchanged {
                entry.checked_secs.store(now, Relaxed);
                self.hits.fetch_add(1, Relaxed);
                return Ok(entry);
            }
            self.forget(rel);
        }
        self.misses.fetch_add(1, Relaxed);
        let entry = Arc::new(self.load(rel, now)?);
        self.remember(rel, &entry);
        Ok(entry)
    }

    /// Which precompressed twins (`rel.br`, `rel.gz`) lie beside the file
    /// `entry` that `rel` names: regular files, looked for at most once a
    /// second per entry, so that a site without them pays no system call
    /// per request. (Whether a twin may be served, inside the root, is for
    /// its own [`Files::lookup`] to say.)
    pub fn twins(&self, rel: &[u8], entry: &Entry) -> Twins {
        let now = now_secs();
        if entry.twins_checked_secs.load(Relaxed) == now {
            return Twins::from_bits(entry.twins.load(Relaxed));
        }
        let mut twins = Twins::default();
        for e in Encoding::ALL {
            let mut name = rel.to_vec();
            name.extend_from_slice(e.suffix());
            if std::fs::metadata(self.root.join(OsStr::from_bytes(&name))).is_ok_and(|m| m.is_file()) {
                twins = twins.with(e);
            }
        }
        entry.twins.store(twins.bits(), Relaxed);
        entry.twins_checked_secs.store(now, Relaxed);
        twins
    }

    fn load(&self, rel: &[u8], now: u64) -> Result<Entry, Missing> {
        let joined = self.root.join(OsStr::from_bytes(rel));
        let path = std::fs::canonicalize(&joined)?;
        if !path.starts_with(&self.root) {
            tracing::debug!(path = %joined.display(), "refusing a link out of the root");
            return Err(Missing::NotFound);
        }
        // O_NONBLOCK: opening a FIFO must not wait for a writer.
        let file = File::options().read(true).custom_flags(libc::O_NONBLOCK).open(&path)?;
        let meta = file.metadata()?;
        let kind = if meta.is_dir() {
            Kind::Dir
        } else if meta.is_file() {
            let contents = if meta.len() <= INLINE_MAX_BYTES {
                let mut buf = vec![0; meta.len() as usize];
                file.read_exact_at(&mut buf, 0).map_err(|_| Missing::Forbidden)?;
                Some(buf.into_boxed_slice())
            } else {
                None
            };
            Kind::File { file: Arc::new(file), contents }
        } else {
            return Err(Missing::Forbidden);
        };
        let mtime = meta.modified().unwrap_or(UNIX_EPOCH);
        let mtime_secs = mtime.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let etag = format!("\"{:x}-{:x}-{:x}\"", meta.ino(), meta.len(), mtime_nanos(&meta));
        let last_modified = httpdate::fmt_http_date(UNIX_EPOCH + std::time::Duration::from_secs(mtime_secs));
        let content_type = match kind {
            Kind::Dir => "text/html; charset=utf-8".into(),
            Kind::File { .. } => content_type(&path),
        };
        let fields = format!(
            "Content-Type: {content_type}\r\nLast-Modified: {last_modified}\r\nETag: {etag}\r\nAccept-Ranges: bytes\r\n"
        );
        Ok(Entry {
            path,
            kind,
            len: meta.len(),
            mtime_secs,
            etag,
            last_modified,
            fields: fields.into_bytes().into_boxed_slice(),
            identity: Identity::of(&meta),
            checked_secs: AtomicU64::new(now),
            twins: AtomicU8::new(0),
            twins_checked_secs: AtomicU64::new(u64::MAX),
        })
    }

    fn remember(&self, rel: &[u8], entry: &Arc<Entry>) {
        let size = entry.inline_len();
        if size > CACHE_MAX_BYTES / 4 {
            return;
        }
        let mut cache = self.entries.write().unwrap_or_else(|e| e.into_inner());
        while cache.map.len() >= CACHE_MAX_ENTRIES || cache.bytes + size > CACHE_MAX_BYTES {
            // Evict whatever the hash order yields first: no bookkeeping on
            // the read path, and a hot file comes straight back.
            let Some(victim) = cache.map.keys().next().cloned() else { break };
            if let Some(old) = cache.map.remove(&victim) {
                cache.bytes -= old.inline_len();
            }
        }
        if let Some(old) = cache.map.insert(rel.into(), entry.clone()) {
            cache.bytes -= old.inline_len();
        }
        cache.bytes += size;
    }

    fn forget(&self, rel: &[u8]) {
        let mut cache = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if let Some(old) = cache.map.remove(rel) {
            cache.bytes -= old.inline_len();
        }
    }
}

impl Entry {
    /// The `Content-Type` value (the first of the pre-rendered fields).
    pub fn content_type(&self) -> &str {
        let fields = std::str::from_utf8(&self.fields).unwrap_or("");
        fields.strip_prefix("Content-Type: ").and_then(|f| f.split("\r\n").next()).unwrap_or("application/octet-stream")
    }

    /// The pre-rendered fields without `Content-Type`, which a twin takes
    /// from the file it stands for, and without `Accept-Ranges`, since a
    /// twin is sent whole (as nginx sends it).
    pub fn validators(&self) -> String {
        format!("Last-Modified: {}\r\nETag: {}\r\n", self.last_modified, self.etag)
    }

    /// Bytes of contents held in memory.
    fn inline_len(&self) -> usize {
        match &self.kind {
            Kind::File { contents: Some(c), .. } => c.len(),
            _ => 0,
        }
    }
}

/// The MIME type for a file name, from its extension; every `text/*` type
/// (and JavaScript, whose registered type is now `text/javascript`) gets
/// `; charset=utf-8`.
fn content_type(path: &Path) -> std::borrow::Cow<'static, str> {
    match mime_guess::from_path(path).first_raw() {
        Some("application/javascript" | "text/javascript") => "text/javascript; charset=utf-8".into(),
        Some(text) if text.starts_with("text/") => format!("{text}; charset=utf-8").into(),
        Some(other) => other.into(),
        None => "application/octet-stream".into(),
    }
}

fn mtime_nanos(meta: &Metadata) -> u128 {
    meta.modified().ok().and_then(|t| t.duration_since(UNIX_EPOCH).ok()).map_or(0, |d| d.as_nanos())
}

fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_root(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("switchyard-http-files-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn files_are_described_and_folders_recognised() {
        let root = temp_root("describe");
        std::fs::write(root.join("a.css"), b"body{}").unwrap();
        std::fs::create_dir(root.join("sub")).unwrap();
        let files = Files::new(&root).unwrap();
        let e = files.lookup(b"a.css").unwrap();
        assert_eq!(e.len, 6);
        assert!(matches!(&e.kind, Kind::File { contents: Some(c), .. } if &c[..] == b"body{}"));
        assert!(String::from_utf8_lossy(&e.fields).contains("Content-Type: text/css; charset=utf-8\r\n"));
        assert!(matches!(files.lookup(b"sub").unwrap().kind, Kind::Dir));
        assert_eq!(files.lookup(b"nope").err(), Some(Missing::NotFound));
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn every_text_type_names_its_charset() {
        let cases = [
            ("a.html", "text/html; charset=utf-8"),
            ("a.txt", "text/plain; charset=utf-8"),
            ("a.css", "text/css; charset=utf-8"),
            ("a.js", "text/javascript; charset=utf-8"),
            ("a.csv", "text/csv; charset=utf-8"),
            ("a.md", "text/markdown; charset=utf-8"),
            ("a.xml", "text/xml; charset=utf-8"),
            ("a.png", "image/png"),
            ("a.json", "application/json"),
            ("a.qqq", "application/octet-stream"),
        ];
        for (name, want) in cases {
            assert_eq!(content_type(Path::new(name)), want, "{name}");
        }
    }

    #[test]
    fn links_out_of_the_root_are_not_found() {
        let root = temp_root("links");
        let outside = temp_root("links-outside");
        std::fs::write(outside.join("secret"), b"x").unwrap();
        std::os::unix::fs::symlink(outside.join("secret"), root.join("link")).unwrap();
        std::os::unix::fs::symlink(&outside, root.join("dirlink")).unwrap();
        let files = Files::new(&root).unwrap();
        assert_eq!(files.lookup(b"link").err(), Some(Missing::NotFound));
        assert_eq!(files.lookup(b"dirlink/secret").err(), Some(Missing::NotFound));
        std::fs::remove_dir_all(&root).unwrap();
        std::fs::remove_dir_all(&outside).unwrap();
    }

    #[test]
    fn twins_beside_a_file_are_found_and_rechecked_once_due() {
        let root = temp_root("twins");
        std::fs::write(root.join("a.js"), b"x").unwrap();
        std::fs::write(root.join("a.js.gz"), b"z").unwrap();
        std::fs::create_dir(root.join("a.js.br")).unwrap();
        let files = Files::new(&root).unwrap();
        let e = files.lookup(b"a.js").unwrap();
        let twins = files.twins(b"a.js", &e);
        assert!(twins.has(Encoding::Gzip) && !twins.has(Encoding::Brotli), "a folder is no twin");
        std::fs::remove_file(root.join("a.js.gz")).unwrap();
        assert!(files.twins(b"a.js", &e).has(Encoding::Gzip), "remembered within the second");
        e.twins_checked_secs.store(0, Relaxed);
        assert!(files.twins(b"a.js", &e).is_empty());
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn a_changed_file_is_noticed_once_its_check_is_due() {
        let root = temp_root("change");
        std::fs::write(root.join("f"), b"old").unwrap();
        let files = Files::new(&root).unwrap();
        let first = files.lookup(b"f").unwrap();
        std::fs::write(root.join("f"), b"newer").unwrap();
        // Make the next lookup's check due without waiting a second.
        first.checked_secs.store(0, Relaxed);
        let second = files.lookup(b"f").unwrap();
        assert_eq!(second.len, 5);
        assert_ne!(first.etag, second.etag);
        std::fs::remove_dir_all(&root).unwrap();
    }
}
