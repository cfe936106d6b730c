//! `--idle N`: open N silent connections and hold them, for measuring
//! what idle connections cost a server. With `--warm`, each connection
//! first completes one checked request, so the server has served it (and
//! perhaps kept buffers for it) before it falls silent.
//!
//! When all are open it prints `idle N connections open` on stdout (and
//! flushes), so a script knows when to look at the server; after the hold
//! it reports on stderr how many the server had closed meanwhile.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use anyhow::Context;

use super::Protocol;

/// How long a warm-up response may take.
const WARM_TIMEOUT: Duration = Duration::from_secs(10);

/// Opens `count` connections to `target` (each first completing one
/// request of `warm`, if given), holds them for `hold`, closes them.
///
/// # Errors
///
/// A connection cannot be opened (often the open-files limit: raise
/// `ulimit -n`), a warm-up response is wrong or late, or stdout is gone.
pub fn hold(target: SocketAddr, count: usize, hold: Duration, warm: Option<&dyn Protocol>) -> anyhow::Result<()> {
    let mut conns = Vec::with_capacity(count);
    for i in 0..count {
        let mut stream =
            super::driver::open(target).with_context(|| format!("opening idle connection {} to {target}", i + 1))?;
        if let Some(protocol) = warm {
            warm_up(&mut stream, i, protocol).with_context(|| format!("warming idle connection {}", i + 1))?;
        }
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

/// Sends request 0 of connection `conn` and waits for its right response.
fn warm_up(stream: &mut TcpStream, conn: usize, protocol: &dyn Protocol) -> anyhow::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(WARM_TIMEOUT))?;
    let mut request = Vec::new();
    protocol.write_request(conn, 0, &mut request);
    stream.write_all(&request)?;
    let mut input = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            anyhow::bail!("the server closed the connection");
        }
        input.extend_from_slice(&chunk[..n]);
        match protocol.check_response(conn, 0, &input) {
            Ok(Some(_)) => break,
            Ok(None) => continue,
            Err(why) => anyhow::bail!(why),
        }
    }
    stream.set_nonblocking(true)?;
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
