//! Listening sockets handed over at start: by systemd's socket activation
//! (`LISTEN_PID`, `LISTEN_FDS`, `LISTEN_FDNAMES`, as `sd_listen_fds(3)`
//! reads them), or by the process this one replaces in a live upgrade
//! (`SWITCHYARD_LISTEN_FDS`, see [`crate::upgrade`]).
//!
//! A socket named `proxy` (`FileDescriptorName=proxy` in the socket unit),
//! or whose address is one of `--proxy-listen`'s, expects the PROXY
//! protocol header; one named `tls`, or on one of `--tls-listen`'s
//! addresses, speaks TLS; one named `tls-proxy`, or on one of
//! `--tls-proxy-listen`'s addresses, expects the header and then TLS; one
//! named `admin` serves the admin listener; the others serve the service
//! plainly. A live upgrade hands each socket over with its name
//! (`SWITCHYARD_LISTEN_FDNAMES`: `proxy`, `tls`, `tls-proxy`, `plain` or
//! `admin`), so that it comes back as it was.
//!
//! The sockets start at descriptor 3. systemd's are the server's when
//! `LISTEN_PID` is this process's id; the variables are removed either
//! way, so that a program this one starts does not take them for its own.

use std::net::TcpListener;

use switchyard_engine::{Config, Listener};

/// The name of a socket whose connections begin with a PROXY protocol header.
pub const PROXY_NAME: &str = "proxy";
/// The name of a socket whose connections speak TLS.
pub const TLS_NAME: &str = "tls";
/// The name of a socket whose connections begin with a PROXY protocol
/// header and then speak TLS.
pub const TLS_PROXY_NAME: &str = "tls-proxy";
/// The name of the admin listener's socket.
pub const ADMIN_NAME: &str = "admin";

/// The first descriptor passed (`SD_LISTEN_FDS_START`).
const FIRST_FD: i32 = 3;

/// The sockets this process was given, with their names (`LISTEN_FDNAMES`,
/// or "unknown"); none if it was not socket-activated.
///
/// # Errors
///
/// A message naming the variable or descriptor that is wrong: a
/// malformed count, or a descriptor that is not a listening TCP socket.
pub fn listeners() -> Result<Vec<(String, TcpListener)>, String> {
    let pid = std::env::var("LISTEN_PID").ok();
    let fds = std::env::var("LISTEN_FDS").ok();
    let names = std::env::var("LISTEN_FDNAMES").ok();
    let upgrade = std::env::var(crate::upgrade::LISTEN_FDS_VAR).ok();
    let upgrade_names = std::env::var(crate::upgrade::LISTEN_FDNAMES_VAR).ok();
    for var in [
        "LISTEN_PID",
        "LISTEN_FDS",
        "LISTEN_FDNAMES",
        crate::upgrade::LISTEN_FDS_VAR,
        crate::upgrade::LISTEN_FDNAMES_VAR,
    ] {
        std::env::remove_var(var);
    }
    let (fds, names) = match (upgrade, pid, fds) {
        (Some(fds), _, _) => (fds, upgrade_names),
        (None, Some(pid), Some(fds)) => {
            if pid.parse::<u32>().ok() != Some(std::process::id()) {
                tracing::debug!(listen_pid = %pid, "LISTEN_FDS is for another process; binding as configured");
                return Ok(Vec::new());
            }
            (fds, names)
        }
        _ => return Ok(Vec::new()),
    };
    let n: i32 = fds.parse().map_err(|_| format!("LISTEN_FDS: `{fds}` is not a number of descriptors"))?;
    if !(0..=1024).contains(&n) {
        return Err(format!("LISTEN_FDS: {n} descriptors is out of range"));
    }
    let names: Vec<String> = names.map(|s| s.split(':').map(str::to_string).collect()).unwrap_or_default();
    (0..n)
        .map(|i| {
            let fd = FIRST_FD + i;
            let name = names.get(i as usize).cloned().unwrap_or_else(|| "unknown".to_string());
            switchyard_engine::inherited_listener(fd)
                .map(|l| (name.clone(), l))
                .map_err(|e| format!("LISTEN_FDS: socket {name}: {e}"))
        })
        .collect()
}

/// A given socket with its settings: it expects the PROXY protocol header
/// and then TLS if it is named `tls-proxy` or listens on one of
/// `config.tls_proxy_listen`; else the header if it is named `proxy` or
/// listens on one of `config.proxy_listen`, or TLS if it is named `tls`
/// or listens on one of `config.tls_listen`.
pub fn settings(name: &str, socket: TcpListener, config: &Config) -> Listener {
    let addr = socket.local_addr().ok();
    let both = name == TLS_PROXY_NAME || addr.is_some_and(|a| config.tls_proxy_listen.contains(&a));
    let proxy_protocol = both || name == PROXY_NAME || addr.is_some_and(|a| config.proxy_listen.contains(&a));
    let tls = both || (!proxy_protocol && (name == TLS_NAME || addr.is_some_and(|a| config.tls_listen.contains(&a))));
    Listener { socket, proxy_protocol, tls }
}
