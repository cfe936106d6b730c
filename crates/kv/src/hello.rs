//! `HELLO`: the handshake that picks a connection's protocol (RESP2 or
//! RESP3), and may authenticate and name it on the way.

use std::sync::atomic::Ordering;

use switchyard_codec::resp::{self, string2ll};

use crate::auth::WRONGPASS;
use crate::command::{Arg, Exec, Outcome};
use crate::reply::Protocol;

/// The version `HELLO` and `INFO` report: the Redis release whose replies
/// kv gives.
pub const REDIS_VERSION: &str = "7.0.15";

/// `HELLO [protover [AUTH username password] [SETNAME name]]`, checked in
/// Redis's order: the version, the options, the password, then whether the
/// connection may go on.
pub(crate) fn hello(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let Some(meta) = ex.meta else { return Ok(()) };
    let mut protocol = None;
    if a.len() >= 2 {
        let Some(version) = string2ll(&a[1]) else {
            return Err("ERR Protocol version is not an integer or out of range".into());
        };
        protocol = Some(match version {
            2 => Protocol::Resp2,
            3 => Protocol::Resp3,
            _ => return Err("NOPROTO unsupported protocol version".into()),
        });
    }
    let mut credentials = None;
    let mut name = None;
    let mut j = 2;
    while j < a.len() {
        let more = a.len() - 1 - j;
        if a[j].eq_ignore_ascii_case(b"auth") && more >= 2 {
            credentials = Some((&a[j + 1], &a[j + 2]));
            j += 3;
        } else if a[j].eq_ignore_ascii_case(b"setname") && more >= 1 {
            name = Some(&a[j + 1]);
            j += 2;
        } else {
            return Err(format!("ERR Syntax error in HELLO option '{}'", String::from_utf8_lossy(&a[j])).into());
        }
    }
    if let Some((user, password)) = credentials {
        if !ex.sh.guard.check(user, password, meta.id) {
            return Err(WRONGPASS.into());
        }
        meta.authenticated.store(true, Ordering::Relaxed);
    }
    if !meta.authenticated.load(Ordering::Relaxed) {
        return Err("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH \
                    <user> <pass> option can be used to authenticate the client and select the RESP protocol \
                    version at the same time"
            .into());
    }
    if let Some(name) = name {
        meta.set_name(name)?;
    }
    if let Some(p) = protocol {
        ex.out.protocol = p;
        meta.resp.store(p.version() as usize, Ordering::Relaxed);
    }
    let version = ex.out.protocol.version();
    let out = &mut *ex.out;
    out.map(7);
    for (key, value) in [("server", "redis"), ("version", REDIS_VERSION)] {
        resp::bulk(out, key.as_bytes());
        resp::bulk(out, value.as_bytes());
    }
    resp::bulk(out, b"proto");
    resp::integer(out, version);
    resp::bulk(out, b"id");
    resp::integer(out, meta.id as i64);
    for (key, value) in [("mode", "standalone"), ("role", "master")] {
        resp::bulk(out, key.as_bytes());
        resp::bulk(out, value.as_bytes());
    }
    resp::bulk(out, b"modules");
    resp::array(out, 0);
    Ok(())
}
