//! `RESET`: puts a connection back as it was when it connected, as Redis 7
//! does: out of `MULTI` and its watches, out of every subscription, in
//! database 0, speaking RESP2, without a name, and (when a password is
//! required) no longer authenticated.

use std::sync::atomic::Ordering;

use switchyard_codec::resp;

use crate::command::{Arg, Exec, Outcome};
use crate::reply::Protocol;

/// `RESET`.
pub(crate) fn reset(ex: &mut Exec<'_>, _a: &[Arg<'_>]) -> Outcome {
    let Some(meta) = ex.meta else { return Ok(()) };
    if let Some(conn) = ex.conn.as_deref_mut() {
        conn.reset(&ex.sh.store);
    }
    crate::pubsub::leave_all(ex);
    ex.db = 0;
    meta.db.store(0, Ordering::Relaxed);
    ex.out.protocol = Protocol::Resp2;
    meta.resp.store(2, Ordering::Relaxed);
    let _ = meta.set_name(b"");
    meta.authenticated.store(!ex.sh.guard.required(), Ordering::Relaxed);
    resp::simple(ex.out, "RESET");
    Ok(())
}
