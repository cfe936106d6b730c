//! `--idle N`: open N silent connections and hold them, for measuring
//! what idle connections cost a server.
//!
//! When all are open it prints `idle N connections open` on stdout (and
//! flushes), so a script knows when to look at the server; after the hold
//! it reports on stderr how many the server had closed meanwhile.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use anyhow::Context;

/// Opens `count` connections to `target`, holds them for `hold`, closes them.
///
/// # Errors
///
/// A connection cannot be opened (often the open-files limit: raise
/// `ulimit -n`), or stdout is gone.
pub fn hold(target: SocketAddr, count: usize, hold: Duration) -> anyhow::Result<()> {
    let mut conns = Vec::with_capacity(count);
    for i in 0..count {
        let stream =
            super::driver::open(target).with_context(|| format!("opening idle connection {} to {target}", i + 1))?;
        conns.push(stream);
    }
    {
        let mut stdout = io::stdout().lock();
        writeln!(stdout, "idle {count} connections open")?;
        stdout.flush()?;
    }
    std::thread::sleep(hold);
    let open = conns.iter_mut().map(still_open).filter(|&open| open).count();
    eprintln!("idle: {open} of {count} connections still open after {hold:?}");
    Ok(())
}

/// Whether the server has left a (non-blocking) connection open.
fn still_open(stream: &mut TcpStream) -> bool {
    let mut byte = [0u8; 1];
    match stream.read(&mut byte) {
        Ok(0) => false,
        Ok(_) => true,
        Err(e) => e.kind() == io::ErrorKind::WouldBlock,
    }
}
