//! A connection's pending output: bytes, and file ranges sent with `sendfile(2)`.
//!
//! Appending bytes extends the last byte chunk, so a run of small responses
//! costs one buffer; a file range is its own chunk and never enters memory.

use std::collections::VecDeque;
use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::os::fd::RawFd;
use std::sync::Arc;

use crate::sys;

/// Most bytes one `write_to` call sends: a per-turn budget that keeps one
/// fast reader from starving the loop's other connections.
const WRITE_BUDGET_BYTES: usize = 1 << 20;

/// One piece of pending output.
enum Chunk {
    /// Bytes not yet written, from `start` on.
    Bytes { buf: Vec<u8>, start: usize },
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
    /// Bytes pending in memory (byte chunks only).
    mem: usize,
}

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

    /// Bytes pending, counting file ranges.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Bytes pending in memory; file ranges excluded.
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
        if let Some(Chunk::Bytes { buf, .. }) = self.chunks.back_mut() {
            buf.extend_from_slice(bytes);
        } else {
            self.chunks.push_back(Chunk::Bytes { buf: bytes.to_vec(), start: 0 });
        }
    }

    /// Appends an owned buffer, without copying it when it starts a chunk.
    pub fn push_vec(&mut self, bytes: Vec<u8>) {
        if bytes.is_empty() {
            return;
        }
        if let Some(Chunk::Bytes { .. }) = self.chunks.back() {
            return self.extend_from_slice(&bytes);
        }
        self.len += bytes.len() as u64;
        self.mem += bytes.len();
        self.chunks.push_back(Chunk::Bytes { buf: bytes, start: 0 });
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
                Chunk::Bytes { .. } => self.write_bytes(fd),
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

    /// One vectored write of the leading byte chunks.
    fn write_bytes(&self, fd: RawFd) -> io::Result<usize> {
        let mut slices: [&[u8]; 16] = [&[]; 16];
        let mut n = 0;
        for chunk in &self.chunks {
            match chunk {
                Chunk::Bytes { buf, start } if n < slices.len() => {
                    slices[n] = &buf[*start..];
                    n += 1;
                }
                _ => break,
            }
        }
        sys::sendmsg(fd, &slices[..n])
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

        let mut out = Output::new();
        out.extend_from_slice(b"head:");
        out.push_file(file.clone(), 2, 5);
        out.extend_from_slice(b":tail");
        assert_eq!(out.mem_len(), 10);
        assert_eq!(out.write_to(server.as_raw_fd()).unwrap(), Written::All(15));
        assert!(out.is_empty());
        drop(server);
        let mut got = Vec::new();
        client.read_to_end(&mut got).unwrap();
        assert_eq!(got, b"head:23456:tail");
        client.flush().unwrap();
    }
}
