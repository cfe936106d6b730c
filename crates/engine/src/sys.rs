//! Thin wrappers over the Linux system calls the engine makes.
//!
//! Every `unsafe` block of the crate lives here. Each wrapper takes the
//! name of the syscall it makes and returns `io::Result`; nothing above this
//! module touches `libc` directly.

use std::io;
use std::mem::{size_of, MaybeUninit};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicI32, AtomicU32, Ordering};
use std::time::Duration;

fn cvt(ret: libc::c_int) -> io::Result<libc::c_int> {
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

fn cvt_size(ret: libc::ssize_t) -> io::Result<usize> {
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret as usize)
    }
}

/// Converts a socket address to the kernel's representation.
fn sockaddr(addr: &SocketAddr) -> (libc::sockaddr_storage, libc::socklen_t) {
    // SAFETY: sockaddr_storage is plain old data; all zeroes is a valid value.
    let mut storage: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let len = match addr {
        SocketAddr::V4(a) => {
            let sin = libc::sockaddr_in {
                sin_family: libc::AF_INET as libc::sa_family_t,
                sin_port: a.port().to_be(),
                sin_addr: libc::in_addr { s_addr: u32::from_ne_bytes(a.ip().octets()) },
                sin_zero: [0; 8],
            };
            // SAFETY: sockaddr_storage is larger than and aligned for sockaddr_in.
            unsafe { std::ptr::write(&mut storage as *mut _ as *mut libc::sockaddr_in, sin) };
            size_of::<libc::sockaddr_in>()
        }
        SocketAddr::V6(a) => {
            let sin6 = libc::sockaddr_in6 {
                sin6_family: libc::AF_INET6 as libc::sa_family_t,
                sin6_port: a.port().to_be(),
                sin6_flowinfo: a.flowinfo(),
                sin6_addr: libc::in6_addr { s6_addr: a.ip().octets() },
                sin6_scope_id: a.scope_id(),
            };
            // SAFETY: sockaddr_storage is larger than and aligned for sockaddr_in6.
            unsafe { std::ptr::write(&mut storage as *mut _ as *mut libc::sockaddr_in6, sin6) };
            size_of::<libc::sockaddr_in6>()
        }
    };
    (storage, len as libc::socklen_t)
}

fn setsockopt_int(fd: RawFd, level: libc::c_int, name: libc::c_int, value: libc::c_int) -> io::Result<()> {
    // SAFETY: the option value is a live c_int and its exact size is passed.
    cvt(unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            &value as *const libc::c_int as *const libc::c_void,
            size_of::<libc::c_int>() as libc::socklen_t,
        )
    })
    .map(drop)
}

/// Checks that no other socket listens on `addr` (another process's
/// listener with `SO_REUSEPORT` would otherwise share it with ours, and
/// take half the connections) by binding it without `SO_REUSEPORT`, and
/// returns the address with its port resolved (for port 0).
pub fn claim(addr: &SocketAddr) -> io::Result<SocketAddr> {
    // Bound but not listening; getsockname works all the same.
    TcpListener::from(socket_bound(addr, false)?).local_addr()
}

/// A socket bound to `addr` (`SO_REUSEADDR`, and `SO_REUSEPORT` if `share`).
fn socket_bound(addr: &SocketAddr, share: bool) -> io::Result<OwnedFd> {
    let family = if addr.is_ipv4() { libc::AF_INET } else { libc::AF_INET6 };
    // SAFETY: socket(2) with constant arguments; the result is checked.
    let fd = cvt(unsafe { libc::socket(family, libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC, 0) })?;
    // SAFETY: fd was just returned by socket(2) and nothing else owns it.
    let owned = unsafe { OwnedFd::from_raw_fd(fd) };
    setsockopt_int(fd, libc::SOL_SOCKET, libc::SO_REUSEADDR, 1)?;
    if share {
        setsockopt_int(fd, libc::SOL_SOCKET, libc::SO_REUSEPORT, 1)?;
    }
    if addr.is_ipv6() {
        setsockopt_int(fd, libc::IPPROTO_IPV6, libc::IPV6_V6ONLY, 1)?;
    }
    let (storage, len) = sockaddr(addr);
    // SAFETY: storage holds a valid address of `len` bytes.
    cvt(unsafe { libc::bind(fd, &storage as *const _ as *const libc::sockaddr, len) })?;
    Ok(owned)
}

/// `socket` + `setsockopt(SO_REUSEADDR, SO_REUSEPORT)` + `bind` + `listen`:
/// a non-blocking, close-on-exec listener.
///
/// `SO_REUSEPORT` lets every I/O loop own a listener on the same address,
/// and the kernel spread new connections over them.
pub fn listener(addr: &SocketAddr, backlog: i32) -> io::Result<TcpListener> {
    let owned = socket_bound(addr, true)?;
    limit_unsent(owned.as_raw_fd())?;
    // SAFETY: listen(2) on a socket we own.
    cvt(unsafe { libc::listen(owned.as_raw_fd(), backlog) })?;
    Ok(TcpListener::from(owned))
}

/// Unsent bytes the kernel keeps queued per connection
/// (`TCP_NOTSENT_LOWAT`, inherited by accepted sockets).
const UNSENT_BYTES: i32 = 128 << 10;

/// Caps how much unsent output the kernel takes from one write: without
/// it, a reader that advertises a tiny window makes the kernel hold a
/// whole `sendfile` (the send buffer autotunes to 4 MiB) in small
/// segments, 2.5 MB of unswappable memory for 1 MiB of file; 500 such
/// readers (slowhttptest's slow-read attack) took 1.2 GB and stalled the
/// loop's own writes for up to 2.6 s in the kernel's allocator. With it,
/// 316 KB per connection and 0.05–0.1 s, and no loss of throughput to a
/// reader that keeps up (the rest waits in the engine's output, which
/// the output limits bound). See `scripts/bench-slow-read.sh`.
fn limit_unsent(fd: RawFd) -> io::Result<()> {
    setsockopt_int(fd, libc::IPPROTO_TCP, libc::TCP_NOTSENT_LOWAT, UNSENT_BYTES)
}

/// Takes a listening socket this process inherited (from systemd's socket
/// activation, or from the process it replaces in a live upgrade) by its
/// descriptor: checks that it is a listening TCP socket, and makes it
/// non-blocking and close-on-exec like the engine's own.
///
/// # Errors
///
/// `InvalidInput` naming the descriptor if it is not a listening TCP
/// socket; the error of `getsockopt` or `fcntl`.
pub fn inherited_listener(fd: RawFd) -> io::Result<TcpListener> {
    let get = |level, name| -> io::Result<libc::c_int> {
        let mut v: libc::c_int = 0;
        let mut len = size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: getsockopt(2) writes at most `len` bytes into a live c_int.
        cvt(unsafe { libc::getsockopt(fd, level, name, &mut v as *mut libc::c_int as *mut libc::c_void, &mut len) })?;
        Ok(v)
    };
    let not = |what: &str| io::Error::new(io::ErrorKind::InvalidInput, format!("descriptor {fd} is not {what}"));
    let domain = get(libc::SOL_SOCKET, libc::SO_DOMAIN).map_err(|_| not("a socket"))?;
    if ![libc::AF_INET, libc::AF_INET6].contains(&domain) || get(libc::SOL_SOCKET, libc::SO_TYPE)? != libc::SOCK_STREAM
    {
        return Err(not("a TCP socket"));
    }
    if get(libc::SOL_SOCKET, libc::SO_ACCEPTCONN)? != 1 {
        return Err(not("a listening socket"));
    }
    limit_unsent(fd)?;
    // SAFETY: fcntl(2) on a descriptor just checked to be an open socket.
    unsafe {
        let flags = cvt(libc::fcntl(fd, libc::F_GETFL))?;
        cvt(libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK))?;
        cvt(libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC))?;
    }
    // SAFETY: the caller hands over the descriptor, which nothing else in
    // this process owns.
    Ok(unsafe { TcpListener::from_raw_fd(fd) })
}

/// `accept4(SOCK_NONBLOCK | SOCK_CLOEXEC)`: the next pending connection.
pub fn accept(listener: &TcpListener) -> io::Result<TcpStream> {
    // SAFETY: null address pointers are allowed; the peer address is read later.
    let fd = cvt(unsafe {
        libc::accept4(
            listener.as_raw_fd(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
        )
    })?;
    // SAFETY: accept4 returned a fresh descriptor that nothing else owns.
    Ok(unsafe { TcpStream::from_raw_fd(fd) })
}

/// `shutdown(SHUT_WR)`: send FIN, keep reading.
pub fn shutdown_write(fd: RawFd) -> io::Result<()> {
    // SAFETY: shutdown(2) on a descriptor the caller keeps open.
    cvt(unsafe { libc::shutdown(fd, libc::SHUT_WR) }).map(drop)
}

/// `ioctl(FIONREAD)`: bytes waiting in the socket's receive queue.
pub fn pending_input(fd: RawFd) -> io::Result<usize> {
    let mut n: libc::c_int = 0;
    // SAFETY: FIONREAD writes one c_int through the pointer, which is valid.
    cvt(unsafe { libc::ioctl(fd, libc::FIONREAD, &mut n) })?;
    Ok(n.max(0) as usize)
}

fn cvt_long(ret: libc::c_long) -> io::Result<usize> {
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret as usize)
    }
}

// The calls made once or twice per request (`recvfrom`, `sendto`, `sendmsg`)
// go through `syscall(2)` rather than their glibc wrappers: each wrapper
// is a thread-cancellation point, which in a multithreaded process costs
// two atomic updates of the thread's cancellation state around every
// call (about 1 % of the server's CPU time per unpipelined request,
// measured in docs/benchmarks.md). The engine cancels no thread.

/// `recv(2)` from socket `fd` into `buf` (`recvfrom` without an address:
/// it goes to the socket layer directly, where `read` passes through the
/// file layer first).
pub fn recv(fd: RawFd, buf: &mut [u8]) -> io::Result<usize> {
    recv_into(fd, buf.as_mut_ptr(), buf.len())
}

fn recv_into(fd: RawFd, buf: *mut u8, len: usize) -> io::Result<usize> {
    // SAFETY: the callers pass a buffer valid for writes of len bytes; no
    // address is asked for.
    cvt_long(unsafe {
        libc::syscall(
            libc::SYS_recvfrom,
            fd as libc::c_long,
            buf,
            len,
            0 as libc::c_long,
            std::ptr::null_mut::<u8>(),
            std::ptr::null_mut::<u8>(),
        )
    })
}

/// Receives up to `max` bytes from socket `fd` onto the end of `buf`,
/// straight into its spare capacity (grown first if it has less than
/// `max`).
pub fn recv_append(fd: RawFd, buf: &mut Vec<u8>, max: usize) -> io::Result<usize> {
    buf.try_reserve(max).map_err(|_| io::Error::from(io::ErrorKind::OutOfMemory))?;
    let spare = buf.spare_capacity_mut();
    // spare is valid for writes of spare.len() >= max bytes.
    let n = recv_into(fd, spare.as_mut_ptr() as *mut u8, max)?;
    // SAFETY: recv(2) initialised the first n bytes of the spare capacity.
    unsafe { buf.set_len(buf.len() + n) };
    Ok(n)
}

/// `sendmsg(MSG_NOSIGNAL)` of up to 64 slices: a vectored write that never
/// raises `SIGPIPE`. One slice goes as `send(MSG_NOSIGNAL)` (`sendto(2)`
/// without an address), which spares the kernel copying in a message
/// header and an I/O vector.
pub fn sendmsg(fd: RawFd, bufs: &[&[u8]]) -> io::Result<usize> {
    if let [buf] = bufs {
        // SAFETY: buf is valid for reads of buf.len() bytes; no address.
        return cvt_long(unsafe {
            libc::syscall(
                libc::SYS_sendto,
                fd as libc::c_long,
                buf.as_ptr(),
                buf.len(),
                libc::MSG_NOSIGNAL as libc::c_long,
                std::ptr::null::<u8>(),
                0 as libc::c_long,
            )
        });
    }
    const MAX_IOV: usize = 64;
    let mut iov: [MaybeUninit<libc::iovec>; MAX_IOV] = [MaybeUninit::uninit(); MAX_IOV];
    let n = bufs.len().min(MAX_IOV);
    for (slot, buf) in iov.iter_mut().zip(&bufs[..n]) {
        slot.write(libc::iovec { iov_base: buf.as_ptr() as *mut libc::c_void, iov_len: buf.len() });
    }
    // SAFETY: msghdr is plain old data; all zeroes is a valid empty header.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = iov.as_mut_ptr() as *mut libc::iovec;
    msg.msg_iovlen = n as _;
    // SAFETY: the first n iovecs are initialised and point into live slices.
    cvt_long(unsafe {
        libc::syscall(
            libc::SYS_sendmsg,
            fd as libc::c_long,
            &msg as *const libc::msghdr,
            libc::MSG_NOSIGNAL as libc::c_long,
        )
    })
}

/// `sendfile(2)`: up to `len` bytes of `file` from `offset` to the socket.
pub fn sendfile(sock: RawFd, file: RawFd, offset: u64, len: usize) -> io::Result<usize> {
    let mut off = offset as libc::off_t;
    // SAFETY: both descriptors are open; off is a live local.
    cvt_size(unsafe { libc::sendfile(sock, file, &mut off, len) })
}

/// `eventfd(EFD_NONBLOCK | EFD_CLOEXEC)`.
pub fn eventfd() -> io::Result<OwnedFd> {
    // SAFETY: eventfd(2) with constant flags; the result is checked.
    let fd = cvt(unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) })?;
    // SAFETY: a fresh descriptor nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Adds one to an eventfd's counter, making it readable.
///
/// Async-signal-safe: the shutdown signal handler calls it.
pub fn eventfd_write(fd: RawFd) {
    let one: u64 = 1;
    // SAFETY: writes 8 bytes from a live u64. A full counter (EAGAIN) already
    // means "readable", which is all a wake-up needs, so the result is ignored.
    unsafe { libc::write(fd, &one as *const u64 as *const libc::c_void, 8) };
}

/// Resets an eventfd's counter to zero, so that it stops being readable.
pub fn eventfd_read(fd: RawFd) {
    let mut value: u64 = 0;
    // SAFETY: reads 8 bytes into a live u64. EAGAIN means already zero.
    unsafe { libc::read(fd, &mut value as *mut u64 as *mut libc::c_void, 8) };
}

/// `epoll_create1(EPOLL_CLOEXEC)`.
pub fn epoll_create() -> io::Result<OwnedFd> {
    // SAFETY: constant flags; the result is checked.
    let fd = cvt(unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) })?;
    // SAFETY: a fresh descriptor nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// `epoll_ctl(op)` for `fd` with `events`, carrying `token` as user data.
pub fn epoll_ctl(epfd: RawFd, op: libc::c_int, fd: RawFd, events: u32, token: u64) -> io::Result<()> {
    let mut ev = libc::epoll_event { events, u64: token };
    // SAFETY: ev is a live epoll_event; the kernel only reads it.
    cvt(unsafe { libc::epoll_ctl(epfd, op, fd, &mut ev) }).map(drop)
}

/// `epoll_wait` into `events`' spare capacity; returns how many are ready.
pub fn epoll_wait(epfd: RawFd, events: &mut Vec<libc::epoll_event>, timeout_ms: i32) -> io::Result<usize> {
    events.clear();
    // SAFETY: the kernel writes at most capacity() events into the buffer,
    // and set_len covers only the n it reports written.
    unsafe {
        let n =
            cvt(libc::epoll_wait(epfd, events.as_mut_ptr(), events.capacity() as libc::c_int, timeout_ms))? as usize;
        events.set_len(n);
        Ok(n)
    }
}

/// `poll(2)` over `fds`; returns how many have events.
pub fn poll(fds: &mut [libc::pollfd], timeout_ms: i32) -> io::Result<usize> {
    // SAFETY: fds is a live, exclusively borrowed pollfd array of the length given.
    cvt(unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, timeout_ms) }).map(|n| n as usize)
}

/// Rounds a timeout up to whole milliseconds for `epoll_wait`/`poll`.
///
/// Rounding down would wake up just before a deadline, find nothing due,
/// and spin with a zero timeout until it passes.
pub fn timeout_ms(timeout: Option<Duration>) -> i32 {
    match timeout {
        None => -1,
        Some(t) => {
            let ms = t.as_nanos().div_ceil(1_000_000);
            ms.min(i32::MAX as u128) as i32
        }
    }
}

/// Raises the soft `RLIMIT_NOFILE` to the hard limit; returns the new soft limit.
pub fn raise_fd_limit() -> io::Result<u64> {
    // SAFETY: rlimit is plain old data; getrlimit fills it in.
    let mut lim: libc::rlimit = unsafe { std::mem::zeroed() };
    // SAFETY: lim is a live rlimit.
    cvt(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) })?;
    if lim.rlim_cur < lim.rlim_max {
        lim.rlim_cur = lim.rlim_max;
        // SAFETY: lim is a live, initialised rlimit.
        cvt(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) })?;
    }
    Ok(lim.rlim_cur)
}

/// Sets `SIGPIPE` and `SIGXFSZ` to ignored, so that writing to a closed
/// socket is an `EPIPE` error and writing a file past the size limit
/// (`ulimit -f`) an `EFBIG` error, never the death of the process.
pub fn ignore_write_signals() {
    // SAFETY: installing SIG_IGN is always sound.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
}

/// The eventfd the shutdown signal handler writes to (-1: none yet).
static SIGNAL_FD: AtomicI32 = AtomicI32::new(-1);
/// How many shutdown signals have arrived.
static SIGNALS_SEEN: AtomicU32 = AtomicU32::new(0);

extern "C" fn on_shutdown_signal(signo: libc::c_int) {
    // Only async-signal-safe work here: atomics, write(2) and _exit(2).
    if SIGNALS_SEEN.fetch_add(1, Ordering::SeqCst) == 0 {
        let fd = SIGNAL_FD.load(Ordering::SeqCst);
        if fd >= 0 {
            eventfd_write(fd);
        }
    } else {
        // SAFETY: _exit is async-signal-safe; a second signal means "now".
        unsafe { libc::_exit(128 + signo) };
    }
}

/// Installs handlers for `SIGINT` and `SIGTERM`: the first one makes `fd`
/// readable (a graceful shutdown), the second exits at once with status
/// 128 + the signal number.
pub fn install_shutdown_signals(fd: RawFd) -> io::Result<()> {
    SIGNAL_FD.store(fd, Ordering::SeqCst);
    for signo in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: sigaction is plain old data; all zeroes is "no flags, empty mask".
        let mut sa: libc::sigaction = unsafe { std::mem::zeroed() };
        sa.sa_sigaction = on_shutdown_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
        sa.sa_flags = libc::SA_RESTART;
        // SAFETY: sa is initialised and the handler does only async-signal-safe work.
        cvt(unsafe { libc::sigaction(signo, &sa, std::ptr::null_mut()) })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_round_up_to_whole_milliseconds() {
        assert_eq!(timeout_ms(None), -1);
        assert_eq!(timeout_ms(Some(Duration::ZERO)), 0);
        assert_eq!(timeout_ms(Some(Duration::from_micros(1))), 1);
        assert_eq!(timeout_ms(Some(Duration::from_micros(1500))), 2);
        assert_eq!(timeout_ms(Some(Duration::from_secs(1 << 40))), i32::MAX);
    }

    #[test]
    fn listeners_share_a_port_through_reuseport() {
        let a = listener(&"127.0.0.1:0".parse().unwrap(), 16).unwrap();
        let addr = a.local_addr().unwrap();
        let b = listener(&addr, 16).unwrap();
        assert_eq!(b.local_addr().unwrap(), addr);
    }

    #[test]
    fn a_claim_fails_where_another_listener_is_and_resolves_port_zero() {
        let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let free = claim(&any).unwrap();
        assert_ne!(free.port(), 0);
        let held = listener(&free, 16).unwrap();
        let err = claim(&held.local_addr().unwrap()).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EADDRINUSE));
    }

    #[test]
    fn an_inherited_descriptor_must_be_a_listening_tcp_socket() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let fd = std::os::fd::IntoRawFd::into_raw_fd(l);
        let taken = inherited_listener(fd).unwrap();
        assert_eq!(taken.local_addr().unwrap(), addr);
        let client = std::net::TcpStream::connect(addr).unwrap();
        let err = inherited_listener(client.as_raw_fd()).unwrap_err();
        assert!(err.to_string().contains("not a listening socket"), "{err}");
        let file = std::fs::File::open("/dev/null").unwrap();
        let err = inherited_listener(file.as_raw_fd()).unwrap_err();
        assert!(err.to_string().contains("not a socket"), "{err}");
    }

    #[test]
    fn accepted_connections_inherit_the_cap_on_unsent_bytes() {
        let l = listener(&"127.0.0.1:0".parse().unwrap(), 16).unwrap();
        let _client = TcpStream::connect(l.local_addr().unwrap()).unwrap();
        let mut p = [libc::pollfd { fd: l.as_raw_fd(), events: libc::POLLIN, revents: 0 }];
        assert_eq!(poll(&mut p, 5000).unwrap(), 1);
        let conn = accept(&l).unwrap();
        let mut v: libc::c_int = 0;
        let mut len = size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: getsockopt(2) into a live c_int of the given size.
        let rc = unsafe {
            libc::getsockopt(
                conn.as_raw_fd(),
                libc::IPPROTO_TCP,
                libc::TCP_NOTSENT_LOWAT,
                &mut v as *mut libc::c_int as *mut libc::c_void,
                &mut len,
            )
        };
        assert_eq!((rc, v), (0, UNSENT_BYTES));
    }

    #[test]
    fn an_eventfd_is_readable_until_read() {
        let fd = eventfd().unwrap();
        let mut p = [libc::pollfd { fd: fd.as_raw_fd(), events: libc::POLLIN, revents: 0 }];
        assert_eq!(poll(&mut p, 0).unwrap(), 0);
        eventfd_write(fd.as_raw_fd());
        eventfd_write(fd.as_raw_fd());
        assert_eq!(poll(&mut p, 0).unwrap(), 1);
        eventfd_read(fd.as_raw_fd());
        assert_eq!(poll(&mut p, 0).unwrap(), 0);
    }
}
