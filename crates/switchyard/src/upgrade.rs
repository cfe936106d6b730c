//! Live upgrade on `SIGUSR2`, as nginx does: the running server starts the
//! binary on disk as a new process that inherits its listening sockets,
//! and once the new one says it is ready, this one drains as in a
//! graceful shutdown. Both accept from the same sockets meanwhile, so no
//! client is refused, and the connections already in the sockets' queues
//! are served by one or the other.
//!
//! The hand-over: the listening sockets as descriptors 3.. and their
//! count in `SWITCHYARD_LISTEN_FDS` (their names in
//! `SWITCHYARD_LISTEN_FDNAMES`); a pipe's writing end whose number is
//! in `SWITCHYARD_READY_FD`, on which the new process writes `ready` once
//! it listens. A new process that exits or stays silent for
//! [`READY_TIMEOUT`] leaves this one serving, with the reason logged.

use std::ffi::OsString;
use std::io::Read;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::process::Command;
use std::time::{Duration, Instant};

use switchyard_engine::{Control, Listener};

use crate::sys;

/// How long a new process may take to say it is ready.
const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// The variable naming how many listening sockets were handed over.
pub const LISTEN_FDS_VAR: &str = "SWITCHYARD_LISTEN_FDS";
/// The variable naming the handed-over sockets, `:`-separated, as
/// `LISTEN_FDNAMES` does: `proxy` for those that expect the PROXY
/// protocol header, `tls` for those that speak TLS, `plain` for the
/// others.
pub const LISTEN_FDNAMES_VAR: &str = "SWITCHYARD_LISTEN_FDNAMES";
/// The variable naming the descriptor to write `ready` to.
pub const READY_FD_VAR: &str = "SWITCHYARD_READY_FD";

/// Blocks `SIGUSR2` and `SIGHUP` in this thread and the threads it starts
/// from now on, so that only the watcher thread ([`watch`]) takes them.
/// Call before the server starts its threads.
pub fn block_signals() {
    sys::block_control_signals();
}

/// Starts the thread that waits for `SIGUSR2` (upgrades) and `SIGHUP`
/// (reloads the configuration file, see [`crate::reload`]).
/// `admin` is the admin listener's server, if one runs: its socket is
/// handed over too.
pub fn watch(control: Control, admin: Option<Control>, mut reload: crate::reload::Reload) -> std::io::Result<()> {
    std::thread::Builder::new().name("signals".into()).spawn(move || loop {
        match sys::wait_control_signal() {
            Some(libc::SIGUSR2) => upgrade(&control, admin.as_ref()),
            Some(libc::SIGHUP) => reload.run(&control),
            _ => {}
        }
    })?;
    Ok(())
}

/// Tells the process that started this one (a live upgrade) that it is
/// listening, if it did.
pub fn report_ready() {
    let Some(fd) = std::env::var(READY_FD_VAR).ok().and_then(|v| v.parse::<RawFd>().ok()) else { return };
    std::env::remove_var(READY_FD_VAR);
    let Some(mut pipe) = sys::take_inherited_file(fd) else { return };
    if let Err(e) = std::io::Write::write_all(&mut pipe, b"ready\n") {
        tracing::warn!(error = %e, "cannot tell the old process that this one is ready");
    }
}

/// The binary on disk: the path this process was started from, even if
/// that file was replaced since (the kernel then reports it "(deleted)").
fn binary_on_disk() -> std::io::Result<OsString> {
    let exe = std::env::current_exe()?;
    let s = exe.into_os_string();
    let bytes = std::os::unix::ffi::OsStrExt::as_bytes(s.as_os_str());
    Ok(match bytes.strip_suffix(b" (deleted)") {
        Some(path) => <std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(path).to_os_string(),
        None => s,
    })
}

fn upgrade(control: &Control, admin: Option<&Control>) {
    if control.draining() {
        tracing::warn!("SIGUSR2 while shutting down: no upgrade");
        return;
    }
    match start_new_process(control, admin) {
        Ok(pid) => {
            tracing::info!(pid, "upgrade: the new process is ready; this one stops accepting and drains");
            control.shutdown();
            // The new process answers on the admin socket from now on: a
            // health check must not reach this one and hear `draining`.
            if let Some(admin) = admin {
                admin.shutdown();
            }
        }
        Err(why) => tracing::error!("upgrade failed, this process goes on serving: {why}"),
    }
}

/// Starts the binary on disk with this process's arguments and listening
/// sockets; its process id once it is ready.
fn start_new_process(control: &Control, admin: Option<&Control>) -> Result<u32, String> {
    let listeners: Vec<Listener> =
        control.handover_listeners().map_err(|e| format!("copying the listening sockets: {e}"))?;
    if listeners.is_empty() {
        return Err("no listening sockets to hand over".into());
    }
    let admin: Vec<Listener> = match admin {
        Some(a) => a.handover_listeners().map_err(|e| format!("copying the admin socket: {e}"))?,
        None => Vec::new(),
    };
    let exe = binary_on_disk().map_err(|e| format!("finding the binary: {e}"))?;
    let (ready_read, ready_write) = sys::pipe().map_err(|e| format!("creating a pipe: {e}"))?;
    let mut names: Vec<&str> = listeners
        .iter()
        .map(|l| match (l.proxy_protocol, l.tls) {
            (true, true) => crate::activation::TLS_PROXY_NAME,
            (true, false) => crate::activation::PROXY_NAME,
            (false, true) => crate::activation::TLS_NAME,
            (false, false) => "plain",
        })
        .collect();
    names.extend(admin.iter().take(1).map(|_| crate::activation::ADMIN_NAME));
    let listeners: Vec<Listener> = listeners.into_iter().chain(admin.into_iter().take(1)).collect();
    let mut sources: Vec<RawFd> = listeners.iter().map(|l| l.socket.as_raw_fd()).collect();
    sources.push(ready_write.as_raw_fd());
    let n = listeners.len();
    let mut cmd = Command::new(&exe);
    cmd.args(std::env::args_os().skip(1))
        .env(LISTEN_FDS_VAR, n.to_string())
        .env(LISTEN_FDNAMES_VAR, names.join(":"))
        .env(READY_FD_VAR, (3 + n).to_string())
        .stdin(std::process::Stdio::null());
    sys::pass_fds(&mut cmd, sources);
    let mut child = cmd.spawn().map_err(|e| format!("starting {}: {e}", exe.to_string_lossy()))?;
    drop(ready_write);
    drop(listeners);
    let pid = child.id();
    tracing::info!(pid, binary = %exe.to_string_lossy(), "upgrade: started a new process");
    match wait_ready(&ready_read, READY_TIMEOUT) {
        Ok(()) => Ok(pid),
        Err(why) => {
            sys::kill_child(pid);
            let status = child.wait().map(|s| s.to_string()).unwrap_or_else(|e| e.to_string());
            Err(format!("the new process {pid} {why} ({status})"))
        }
    }
}

/// Waits for `ready` on the pipe.
fn wait_ready(pipe: &OwnedFd, limit: Duration) -> Result<(), String> {
    let deadline = Instant::now() + limit;
    let mut got = Vec::new();
    let mut file = std::fs::File::from(pipe.try_clone().map_err(|e| e.to_string())?);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(format!("did not say it was ready within {limit:?}"));
        }
        if !sys::wait_readable(pipe.as_raw_fd(), left) {
            continue;
        }
        let mut buf = [0u8; 64];
        match file.read(&mut buf) {
            Ok(0) => return Err("exited before it was ready".into()),
            Ok(k) => {
                got.extend_from_slice(&buf[..k]);
                if got.starts_with(b"ready\n") {
                    return Ok(());
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(format!("could not be heard: {e}")),
        }
    }
}
