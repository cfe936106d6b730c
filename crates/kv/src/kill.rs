//! `CLIENT KILL`, in both of Redis's forms: `CLIENT KILL addr:port`, and
//! filters (`ID`, `ADDR`, `LADDR`, `SKIPME`) that every connection killed
//! must match. Another connection is closed through the engine
//! ([`switchyard_engine::Control::close`]); the caller's own, after its reply.

use switchyard_codec::resp;

use crate::command::{Arg, Exec, Outcome, SYNTAX};

/// Which connections a `CLIENT KILL` names.
#[derive(Debug, Default, PartialEq, Eq)]
struct Filter {
    id: Option<u64>,
    addr: Option<String>,
    laddr: Option<String>,
    /// Spare the caller (the default of the filter form).
    skip_me: bool,
}

/// The filters of `CLIENT KILL <option> <value> ...`, with Redis's errors.
fn parse(a: &[Arg<'_>]) -> Result<Filter, &'static str> {
    let mut f = Filter { skip_me: true, ..Filter::default() };
    let mut i = 2;
    while i < a.len() {
        let Some(value) = a.get(i + 1) else { return Err(SYNTAX) };
        let opt = &a[i];
        if opt.eq_ignore_ascii_case(b"id") {
            match resp::string2ll(value) {
                Some(n) if n >= 1 => f.id = Some(n as u64),
                _ => return Err("ERR client-id should be greater than 0"),
            }
        } else if opt.eq_ignore_ascii_case(b"addr") {
            f.addr = Some(String::from_utf8_lossy(value).into_owned());
        } else if opt.eq_ignore_ascii_case(b"laddr") {
            f.laddr = Some(String::from_utf8_lossy(value).into_owned());
        } else if opt.eq_ignore_ascii_case(b"skipme") {
            f.skip_me = if value.eq_ignore_ascii_case(b"yes") {
                true
            } else if value.eq_ignore_ascii_case(b"no") {
                false
            } else {
                return Err(SYNTAX);
            };
        } else {
            return Err(SYNTAX);
        }
        i += 2;
    }
    Ok(f)
}

/// `CLIENT KILL`.
pub(crate) fn client_kill(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    let Some(me) = ex.meta else { return Ok(()) };
    let old_form = a.len() == 3;
    let filter = if old_form {
        Filter { addr: Some(String::from_utf8_lossy(&a[2]).into_owned()), ..Filter::default() }
    } else {
        parse(a)?
    };
    let clients: Vec<_> = ex.sh.clients.lock().unwrap_or_else(|e| e.into_inner()).values().cloned().collect();
    let mut killed = 0;
    for c in clients {
        let matches = filter.id.is_none_or(|id| c.id == id)
            && filter.addr.as_ref().is_none_or(|a| *a == c.addr.to_string())
            && filter.laddr.as_ref().is_none_or(|a| *a == c.laddr.to_string());
        if !matches || (filter.skip_me && c.id == me.id) {
            continue;
        }
        if c.id == me.id {
            ex.quit = true;
        } else if let (Some(control), Some(conn)) = (ex.sh.control.get(), c.conn) {
            control.close(conn);
        }
        killed += 1;
    }
    if old_form {
        if killed == 0 {
            return Err("ERR No such client".into());
        }
        resp::simple(ex.out, "OK");
    } else {
        resp::integer(ex.out, killed);
    }
    Ok(())
}

/// `CLIENT NO-EVICT` and `CLIENT NO-TOUCH`: accepted; kv evicts no
/// clients and keeps no access times that a read would touch.
pub(crate) fn client_flag(ex: &mut Exec<'_>, a: &[Arg<'_>]) -> Outcome {
    if !(a[2].eq_ignore_ascii_case(b"on") || a[2].eq_ignore_ascii_case(b"off")) {
        return Err(SYNTAX.into());
    }
    resp::simple(ex.out, "OK");
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;

    fn args(line: &str) -> Vec<Arg<'_>> {
        line.split(' ').map(|w| Cow::Borrowed(w.as_bytes())).collect()
    }

    #[test]
    fn filters_parse_with_redis_errors() {
        let f = parse(&args("CLIENT KILL ID 7 ADDR 1.2.3.4:5 laddr 127.0.0.1:6379 SKIPME no")).unwrap();
        assert_eq!(
            f,
            Filter {
                id: Some(7),
                addr: Some("1.2.3.4:5".into()),
                laddr: Some("127.0.0.1:6379".into()),
                skip_me: false
            }
        );
        assert_eq!(parse(&args("CLIENT KILL ID 1 ID 2")).unwrap().id, Some(2), "the last one counts");
        assert!(parse(&args("CLIENT KILL SKIPME yes")).unwrap().skip_me);
        assert_eq!(parse(&args("CLIENT KILL ID 0")), Err("ERR client-id should be greater than 0"));
        assert_eq!(parse(&args("CLIENT KILL ID x")), Err("ERR client-id should be greater than 0"));
        assert_eq!(parse(&args("CLIENT KILL SKIPME maybe")), Err(SYNTAX));
        assert_eq!(parse(&args("CLIENT KILL FOO bar")), Err(SYNTAX));
        assert_eq!(parse(&args("CLIENT KILL ID 1 ADDR")), Err(SYNTAX));
    }
}
