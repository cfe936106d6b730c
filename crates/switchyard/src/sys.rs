//! The binary's system calls beyond the engine's: signals, pipes and
//! descriptors for the live upgrade ([`crate::upgrade`]). Every `unsafe`
//! of the binary is here.

use std::fs::File;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::time::Duration;

/// The signals one thread waits for: `SIGUSR2` (live upgrade) and
/// `SIGHUP` (configuration reload).
fn control_signals() -> libc::sigset_t {
    // SAFETY: sigemptyset/sigaddset initialise a sigset_t on the stack.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGUSR2);
        libc::sigaddset(&mut set, libc::SIGHUP);
        set
    }
}

/// Blocks `SIGUSR2` and `SIGHUP` in the calling thread (and the threads it
/// starts), so that only the thread in [`wait_control_signal`] takes them.
pub fn block_control_signals() {
    let set = control_signals();
    // SAFETY: pthread_sigmask on the calling thread with a live set.
    unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) };
}

/// Waits for `SIGUSR2` or `SIGHUP` (blocked in every thread); which came.
pub fn wait_control_signal() -> Option<libc::c_int> {
    let set = control_signals();
    let mut signo: libc::c_int = 0;
    // SAFETY: sigwait(3) with a live set and a live c_int.
    (unsafe { libc::sigwait(&set, &mut signo) } == 0).then_some(signo)
}

/// The file behind descriptor `fd`, which this process was handed and
/// nothing else in it owns (the caller's promise).
pub fn take_inherited_file(fd: RawFd) -> Option<File> {
    // SAFETY: fcntl(F_GETFD) only asks whether fd is open.
    if unsafe { libc::fcntl(fd, libc::F_GETFD) } < 0 {
        return None;
    }
    // SAFETY: fd is open, and the caller hands it over.
    Some(unsafe { File::from_raw_fd(fd) })
}

/// Makes the child of `cmd` get `fds` as descriptors 3, 4, ... (open
/// across `exec`) and `SIGUSR2` and `SIGHUP` unblocked.
pub fn pass_fds(cmd: &mut Command, mut fds: Vec<RawFd>) {
    // SAFETY: only async-signal-safe calls (fcntl, dup2, sigprocmask) on
    // descriptors open in the child until exec, in memory allocated before
    // the fork.
    unsafe {
        cmd.pre_exec(move || {
            // First out of the way of the targets 3.., then into place
            // (dup2 clears close-on-exec on the copy).
            for fd in fds.iter_mut() {
                *fd = libc::fcntl(*fd, libc::F_DUPFD_CLOEXEC, 64);
                if *fd < 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            for (i, &fd) in fds.iter().enumerate() {
                if libc::dup2(fd, 3 + i as libc::c_int) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            let set = control_signals();
            libc::sigprocmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
            Ok(())
        });
    }
}

/// `kill(pid, SIGKILL)` of a child not yet reaped.
pub fn kill_child(pid: u32) {
    // SAFETY: kill(2) on our own child's pid, which wait has not reaped.
    unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
}

/// Waits up to `limit` for `fd` to be readable (or closed at the other end).
pub fn wait_readable(fd: RawFd, limit: Duration) -> bool {
    let mut p = libc::pollfd { fd, events: libc::POLLIN, revents: 0 };
    // SAFETY: poll(2) on one live pollfd.
    unsafe { libc::poll(&mut p, 1, limit.as_millis().min(i32::MAX as u128) as libc::c_int) > 0 }
}

/// A close-on-exec pipe: (reading end, writing end).
pub fn pipe() -> std::io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: pipe2(2) writes two descriptors into a live array.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: two fresh descriptors that nothing else owns.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}
