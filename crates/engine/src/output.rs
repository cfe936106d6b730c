//! A connection's pending output: bytes, shared buffers, and file ranges
//! sent with `sendfile(2)`.
//!
//! Appending bytes extends the last byte chunk, so a run of small responses
//! costs one buffer. A shared buffer ([`SharedBytes`], say a stored value
//! that many replies carry) is referred to, not copied: sending it costs
//! neither time nor memory proportional to how often it is sent. A file
//! range is its own chunk and never enters memory.

use std::collections::VecDeque;
use std::fs::File;
use std::io;
use std::ops::Range;
use std::os::fd::AsRawFd;
use std::os::fd::RawFd;
use std::sync::Arc;

use crate::sys;

/// Most bytes one `write_to` call sends: a per-turn budget that keeps one
/// fast reader from starving the loop's other connections.
const WRITE_BUDGET_BYTES: usize = 1 << 20;
/// Bytes of a file range read into memory at a time when it cannot be
/// sent with `sendfile(2)` ([`Output::drain_into`]): one TLS record.
const FILE_PIECE_BYTES: usize = 16 << 10;

/// Appended bytes go into a new chunk once the last one holds this much:
/// a connection whose output never quite drains (a subscriber a little
/// behind) would otherwise grow one buffer for as long as it lags, its
/// written front never freed, and pay for each growth with a copy and
/// fresh pages (measured: most of the loop's time in page faults and
/// copies, fanning 4 KiB messages out to 100 such readers).
const CHUNK_BYTES: usize = 64 << 10;

/// Bytes that several owners share and nobody changes: a service's stored
/// value, put into many replies without a copy ([`Output::push_shared`]).
pub type SharedBytes = Arc<dyn AsRef<[u8]> + Send + Sync>;

/// One piece of pending output.
enum Chunk {
    /// Bytes not yet written, from `start` on.
    Bytes { buf: Vec<u8>, start: usize },
    /// The range `at` of a shared buffer not yet written; `counted`: it
    /// counts toward `mem` (the output limits) as if owned.
    Shared { buf: SharedBytes, at: Range<usize>, counted: bool },
    /// A range of a file, sent from the page cache with `sendfile(2)`.
    File { file: Arc<File>, offset: u64, len: u64 },
}

/// Output waiting to be written to a connection, in order.
#[derive(Default)]
pub struct Output {
    /// The pieces, first to be written at the front.
    chunks: VecDeque<Chunk>,
    /// Bytes pending over all chunks.
    len: u64,
    /// Bytes pending in memory that count toward the limits: byte chunks
    /// and counted shared ranges.
    mem: usize,
    /// The buffer of the last byte chunk written out, emptied, for the
    /// next chunk to start in: a connection answering one request at a
    /// time then allocates nothing per reply.
    spare: Vec<u8>,
}

/// The largest written buffer kept as [`Output::spare`]: a connection's
/// usual short reply fits, and an idle connection holds no more than this.
const SPARE_BYTES: usize = 1 << 10;

/// How a `write_to` call ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Written {
    /// Everything pending went out.
    All(usize),
    /// The socket is full (or the budget spent); the rest is still pending.
    Partial(usize),
}

impl Output {
    /// An empty output; allocates nothing until the first append.
    pub fn new() -> Output {
        Output::default()
    }

    /// Bytes pending, counting shared buffers and file ranges.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Bytes pending in memory that this output owns: shared buffers and
    /// file ranges excluded, but for shared ranges pushed as counted
    /// ([`Output::push_shared_counted`]). This is what the output limits
    /// count.
    pub fn mem_len(&self) -> usize {
        self.mem
    }

    /// Nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends bytes.
    pub fn extend_from_slice(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        self.len += bytes.len() as u64;
        self.mem += bytes.len();
        match self.chunks.back_mut() {
            Some(Chunk::Bytes { buf, .. }) if buf.len() + bytes.len() <= CHUNK_BYTES || buf.is_empty() => {
                buf.extend_from_slice(bytes);
            }
            _ => {
                let mut buf = std::mem::take(&mut self.spare);
                buf.extend_from_slice(bytes);
                self.chunks.push_back(Chunk::Bytes { buf, start: 0 });
            }
        }
    }

    /// Appends an owned buffer, without copying it when it starts a chunk.
    pub fn push_vec(&mut self, bytes: Vec<u8>) {
        if bytes.is_empty() {
            return;
        }
        if let Some(Chunk::Bytes { buf, .. }) = self.chunks.back() {
            if buf.len() + bytes.len() <= CHUNK_BYTES {
                return self.extend_from_slice(&bytes);
            }
        }
        self.len += bytes.len() as u64;
        self.mem += bytes.len();
        self.chunks.push_back(Chunk::Bytes { buf: bytes, start: 0 });
    }

    /// Appends the range `at` of a shared buffer, without copying it: the
    /// output keeps a reference until the range is written.
    ///
    /// # Panics
    ///
    /// If `at` is not within the buffer.
    pub fn push_shared(&mut self, buf: SharedBytes, at: Range<usize>) {
        self.push_shared_as(buf, at, false);
    }

    /// As [`Output::push_shared`], but the range counts toward
    /// [`Output::mem_len`] (and so the output limits) as if it were a copy:
    /// for a buffer that several outputs share only to save the copies,
    /// which each receiver would hold in a server that made them (a
    /// message fanned out to many).
    ///
    /// # Panics
    ///
    /// If `at` is not within the buffer.
    pub fn push_shared_counted(&mut self, buf: SharedBytes, at: Range<usize>) {
        self.push_shared_as(buf, at, true);
    }

    fn push_shared_as(&mut self, buf: SharedBytes, at: Range<usize>, counted: bool) {
        assert!(at.start <= at.end && at.end <= (*buf).as_ref().len(), "a range outside the shared buffer");
        if at.is_empty() {
            return;
        }
        self.len += at.len() as u64;
        if counted {
            self.mem += at.len();
        }
        self.chunks.push_back(Chunk::Shared { buf, at, counted });
    }

    /// Appends `len` bytes of `file` from `offset`, to be sent without
    /// entering memory. The file must not shrink meanwhile; if it does, the
    /// connection is closed when the range runs out.
    pub fn push_file(&mut self, file: Arc<File>, offset: u64, len: u64) {
        if len == 0 {
            return;
        }
        self.len += len;
        self.chunks.push_back(Chunk::File { file, offset, len });
    }

    /// Moves everything from `other` to the end of `self`.
    pub fn append(&mut self, other: &mut Output) {
        if self.chunks.is_empty() {
            // Both keep their spare buffers' worth: the emptied one (now
            // `other`) is usually the one the next call writes into.
            std::mem::swap(self, other);
            return;
        }
        for chunk in other.chunks.drain(..) {
            match chunk {
                Chunk::Bytes { buf, start } => {
                    if start == 0 {
                        self.push_vec(buf);
                    } else {
                        self.extend_from_slice(&buf[start..]);
                    }
                }
                Chunk::Shared { buf, at, counted } => self.push_shared_as(buf, at, counted),
                Chunk::File { file, offset, len } => self.push_file(file, offset, len),
            }
        }
        other.len = 0;
        other.mem = 0;
    }

    /// Moves everything from `other` to the front of `self`.
    pub fn prepend(&mut self, other: &mut Output) {
        std::mem::swap(self, other);
        self.append(other);
    }

    /// A copy of the pending bytes, reading file ranges from their files:
    /// for tests and for services that inspect what they wrote.
    ///
    /// # Errors
    ///
    /// A file range that cannot be read.
    pub fn to_vec(&self) -> io::Result<Vec<u8>> {
        use std::os::unix::fs::FileExt;
        let mut v = Vec::with_capacity(self.len as usize);
        for chunk in &self.chunks {
            match chunk {
                Chunk::Bytes { buf, start } => v.extend_from_slice(&buf[*start..]),
                Chunk::Shared { buf, at, .. } => v.extend_from_slice(&(**buf).as_ref()[at.clone()]),
                Chunk::File { file, offset, len } => {
                    let at = v.len();
                    v.resize(at + *len as usize, 0);
                    file.read_exact_at(&mut v[at..], *offset)?;
                }
            }
        }
        Ok(v)
    }

    /// Writes as much as the socket takes, up to a per-call budget.
    ///
    /// # Errors
    ///
    /// The write's error other than `WouldBlock` (a reset, a broken pipe),
    /// or `UnexpectedEof` when a file range ends early (the file shrank).
    pub fn write_to(&mut self, fd: RawFd) -> io::Result<Written> {
        let mut total = 0;
        while !self.chunks.is_empty() && total < WRITE_BUDGET_BYTES {
            let res = match &self.chunks[0] {
                Chunk::Bytes { .. } | Chunk::Shared { .. } => self.write_bytes(fd),
                Chunk::File { file, offset, len } => {
                    let want = (*len).min((WRITE_BUDGET_BYTES - total) as u64) as usize;
                    match sys::sendfile(fd, file.as_raw_fd(), *offset, want) {
                        Ok(0) => Err(io::Error::new(io::ErrorKind::UnexpectedEof, "file shrank while being sent")),
                        other => other,
                    }
                }
            };
            match res {
                Ok(n) => {
                    self.consume(n);
                    total += n;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(Written::Partial(total)),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
        if self.chunks.is_empty() {
            Ok(Written::All(total))
        } else {
            Ok(Written::Partial(total))
        }
    }

    /// One vectored write of the leading in-memory chunks, owned or shared.
    fn write_bytes(&self, fd: RawFd) -> io::Result<usize> {
        let mut slices: [&[u8]; 16] = [&[]; 16];
        let mut n = 0;
        for chunk in &self.chunks {
            if n == slices.len() {
                break;
            }
            slices[n] = match chunk {
                Chunk::Bytes { buf, start } => &buf[*start..],
                Chunk::Shared { buf, at, .. } => &(**buf).as_ref()[at.clone()],
                Chunk::File { .. } => break,
            };
            n += 1;
        }
        sys::sendmsg(fd, &slices[..n])
    }

    /// Offers up to `max` pending bytes, front first, to `sink`, which
    /// returns how many it took; drops what it took. Stops at the first
    /// offer it does not take whole. A file range is read a piece of
    /// [`FILE_PIECE_BYTES`] at a time, so it never enters memory whole:
    /// this is how a TLS connection, which `sendfile(2)` cannot serve,
    /// sends a file. Returns the bytes taken.
    ///
    /// # Errors
    ///
    /// A file range that cannot be read, or `UnexpectedEof` when it ends
    /// early (the file shrank).
    pub fn drain_into(&mut self, max: usize, sink: &mut dyn FnMut(&[u8]) -> usize) -> io::Result<usize> {
        use std::os::unix::fs::FileExt;
        let mut total = 0;
        let mut piece = Vec::new();
        while total < max {
            let Some(front) = self.chunks.front() else { break };
            let want = max - total;
            let (took, offered) = match front {
                Chunk::Bytes { buf, start } => {
                    let bytes = &buf[*start..];
                    let bytes = &bytes[..bytes.len().min(want)];
                    (sink(bytes), bytes.len())
                }
                Chunk::Shared { buf, at, .. } => {
                    let bytes = &(**buf).as_ref()[at.clone()];
                    let bytes = &bytes[..bytes.len().min(want)];
                    (sink(bytes), bytes.len())
                }
                Chunk::File { file, offset, len } => {
                    let n = (*len).min(want.min(FILE_PIECE_BYTES) as u64) as usize;
                    piece.resize(n, 0);
                    let got = file.read_at(&mut piece, *offset)?;
                    if got == 0 {
                        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "file shrank while being sent"));
                    }
                    (sink(&piece[..got]), got)
                }
            };
            self.consume(took);
            total += took;
            if took < offered {
                break;
            }
        }
        Ok(total)
    }

    /// Drops `n` written bytes from the front.
    fn consume(&mut self, mut n: usize) {
        self.len -= n as u64;
        while n > 0 {
            let front = self.chunks.front_mut().expect("consumed more than pending");
            match front {
                Chunk::Bytes { buf, start } => {
                    let left = buf.len() - *start;
                    if n < left {
                        *start += n;
                        self.mem -= n;
                        return;
                    }
                    n -= left;
                    self.mem -= left;
                    if buf.capacity() <= SPARE_BYTES && self.spare.capacity() == 0 {
                        buf.clear();
                        self.spare = std::mem::take(buf);
                    }
                }
                Chunk::Shared { at, counted, .. } => {
                    if n < at.len() {
                        at.start += n;
                        if *counted {
                            self.mem -= n;
                        }
                        return;
                    }
                    if *counted {
                        self.mem -= at.len();
                    }
                    n -= at.len();
                }
                Chunk::File { offset, len, .. } => {
                    if (n as u64) < *len {
                        *offset += n as u64;
                        *len -= n as u64;
                        return;
                    }
                    n -= *len as usize;
                }
            }
            self.chunks.pop_front();
        }
    }
}

impl io::Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};

    #[test]
    fn a_counted_shared_range_counts_as_owned_until_written() {
        let shared: SharedBytes = Arc::new(vec![7u8; 100]);
        let mut out = Output::new();
        out.push_shared_counted(shared.clone(), 0..100);
        out.push_shared(shared, 0..100);
        assert_eq!((out.len(), out.mem_len()), (200, 100));
        out.consume(60);
        assert_eq!(out.mem_len(), 40);
        let mut other = Output::new();
        other.extend_from_slice(b"x");
        other.append(&mut out);
        assert_eq!((other.len(), other.mem_len()), (141, 41), "appending keeps what counts");
        other.consume(41);
        assert_eq!(other.mem_len(), 0);
    }

    #[test]
    fn appended_bytes_start_a_new_chunk_past_the_chunk_size() {
        let mut out = Output::new();
        for _ in 0..5 {
            out.extend_from_slice(&[1u8; 20 << 10]);
        }
        assert_eq!(out.chunks.len(), 2, "three fit in one chunk of 64 KiB, then a new one");
        out.push_vec(vec![2u8; 100 << 10]);
        assert_eq!(out.chunks.len(), 3, "a long buffer is its own chunk, not copied");
        assert_eq!((out.len(), out.mem_len()), (200 << 10, 200 << 10));
        let all = out.to_vec().unwrap();
        assert_eq!(all.len(), 200 << 10);
        assert!(all[..100 << 10].iter().all(|&b| b == 1) && all[100 << 10..].iter().all(|&b| b == 2));
    }

    #[test]
    fn a_shared_range_partly_written_resumes_where_it_stopped() {
        let shared: SharedBytes = Arc::new((0..=255u8).collect::<Vec<u8>>());
        let mut out = Output::new();
        out.push_shared(shared.clone(), 10..200);
        out.extend_from_slice(b"!");
        out.consume(50);
        assert_eq!(out.len(), 141);
        let mut want: Vec<u8> = (60..200u8).collect();
        want.push(b'!');
        assert_eq!(out.to_vec().unwrap(), want);
        let mut moved = Output::new();
        moved.append(&mut out);
        assert_eq!(moved.to_vec().unwrap(), want);
    }

    #[test]
    fn appends_keep_order_and_account_lengths() {
        let mut a = Output::new();
        a.extend_from_slice(b"one ");
        a.push_vec(b"two ".to_vec());
        let mut b = Output::new();
        b.push_vec(b"three".to_vec());
        a.append(&mut b);
        assert!(b.is_empty());
        let mut front = Output::new();
        front.extend_from_slice(b"zero ");
        a.prepend(&mut front);
        assert_eq!(a.to_vec().unwrap(), b"zero one two three");
        assert_eq!(a.len(), 18);
        assert_eq!(a.mem_len(), 18);
    }

    #[test]
    fn bytes_and_file_ranges_reach_the_socket_in_order() {
        let path = std::env::temp_dir().join(format!("switchyard-output-{}", std::process::id()));
        std::fs::write(&path, b"0123456789").unwrap();
        let file = Arc::new(File::open(&path).unwrap());
        std::fs::remove_file(&path).unwrap();

        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut client = TcpStream::connect(l.local_addr().unwrap()).unwrap();
        let (server, _) = l.accept().unwrap();

        let shared: SharedBytes = Arc::new(b"abcdefgh".to_vec());
        let mut out = Output::new();
        out.extend_from_slice(b"head:");
        out.push_file(file.clone(), 2, 5);
        out.extend_from_slice(b":");
        out.push_shared(shared.clone(), 1..4);
        out.push_shared(shared.clone(), 6..8);
        out.extend_from_slice(b":tail");
        assert_eq!(out.mem_len(), 11, "shared bytes are not copies");
        assert_eq!(out.len(), 21);
        assert_eq!(out.write_to(server.as_raw_fd()).unwrap(), Written::All(21));
        assert!(out.is_empty());
        assert_eq!(Arc::strong_count(&shared), 1, "written ranges let go of the buffer");
        drop(server);
        let mut got = Vec::new();
        client.read_to_end(&mut got).unwrap();
        assert_eq!(got, b"head:23456:bcdgh:tail");
        client.flush().unwrap();
    }
}
