//! Redis-protocol load: each connection alternates `SET key value` and
//! `GET key` on keys of its own.
//!
//! Request `2n` sets key `bench:{conn}:{n mod KEYS_PER_CONNECTION}` to a
//! `--size`-byte value derived from the connection and `n`; request `2n+1`
//! gets it back. No other connection touches those keys and responses keep
//! request order, so a right `GET` reply is exactly the value just set.

use std::sync::Arc;

use switchyard_codec::resp::{self, Reply};

use super::{BenchArgs, Protocol};

/// Keys each connection cycles through, so the data set stays bounded.
const KEYS_PER_CONNECTION: u64 = 1000;

/// SET and GET of fixed-size values.
pub struct Kv {
    /// Bytes per value.
    size: usize,
}

/// Builds the kv protocol from the flags.
pub fn build(args: &BenchArgs) -> Result<Arc<dyn Protocol>, String> {
    let size = usize::try_from(args.size).map_err(|_| format!("--size {} is too large", args.size))?;
    Ok(Arc::new(Kv { size }))
}

impl Kv {
    fn key(conn: usize, pair: u64) -> String {
        format!("bench:{conn}:{}", pair % KEYS_PER_CONNECTION)
    }

    /// The value of pair `pair` on connection `conn`: printable, and
    /// different for neighbouring pairs and connections.
    fn value(&self, conn: usize, pair: u64) -> Vec<u8> {
        let seed = pair.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (conn as u64).rotate_left(32);
        (0..self.size).map(|i| b'a' + ((seed >> ((i % 8) * 8)) as u8 ^ (i / 8) as u8) % 26).collect()
    }
}

impl Protocol for Kv {
    fn write_request(&self, conn: usize, seq: u64, out: &mut Vec<u8>) {
        let pair = seq / 2;
        let key = Kv::key(conn, pair);
        if seq % 2 == 0 {
            resp::command(out, &[&b"SET"[..], key.as_bytes(), &self.value(conn, pair)]);
        } else {
            resp::command(out, &[&b"GET"[..], key.as_bytes()]);
        }
    }

    fn check_response(&self, conn: usize, seq: u64, input: &[u8]) -> Result<Option<usize>, String> {
        let (reply, len) = match resp::parse_reply(input) {
            Ok(Some(whole)) => whole,
            Ok(None) => return Ok(None),
            Err(e) => return Err(format!("reply {seq}: {e}")),
        };
        let right = if seq % 2 == 0 {
            reply == Reply::Simple("OK".to_string())
        } else {
            matches!(&reply, Reply::Bulk(Some(v)) if *v == self.value(conn, seq / 2))
        };
        if !right {
            let what = if seq % 2 == 0 { "SET" } else { "GET" };
            return Err(format!("reply {seq} to {what} is wrong: {}", input[..len.min(80)].escape_ascii()));
        }
        Ok(Some(len))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kv() -> Kv {
        Kv { size: 10 }
    }

    fn request(kv: &Kv, conn: usize, seq: u64) -> Vec<u8> {
        let mut out = Vec::new();
        kv.write_request(conn, seq, &mut out);
        out
    }

    #[test]
    fn requests_alternate_set_and_get_of_the_same_key() {
        let kv = kv();
        let set = request(&kv, 7, 4);
        let get = request(&kv, 7, 5);
        let value = kv.value(7, 2);
        let mut want = Vec::new();
        resp::command(&mut want, &[&b"SET"[..], b"bench:7:2", &value]);
        assert_eq!(set, want);
        assert_eq!(get, b"*2\r\n$3\r\nGET\r\n$9\r\nbench:7:2\r\n");
        assert_eq!(value.len(), 10);
        assert!(value.iter().all(u8::is_ascii_lowercase));
    }

    #[test]
    fn ok_to_set_and_the_value_to_get_are_complete_replies() {
        let kv = kv();
        assert_eq!(kv.check_response(0, 0, b"+OK\r\n$3\r\n"), Ok(Some(5)));
        let mut reply = Vec::new();
        resp::bulk(&mut reply, &kv.value(0, 0));
        assert_eq!(kv.check_response(0, 1, &reply), Ok(Some(reply.len())));
        assert_eq!(kv.check_response(0, 1, &reply[..reply.len() - 1]), Ok(None));
    }

    #[test]
    fn errors_nulls_and_other_values_are_wrong() {
        let kv = kv();
        let err = kv.check_response(0, 0, b"-OOM command not allowed\r\n").unwrap_err();
        assert!(err.contains("reply 0 to SET is wrong: -OOM"), "{err}");
        assert!(kv.check_response(0, 1, b"$-1\r\n").unwrap_err().contains("to GET"));
        let mut other = Vec::new();
        resp::bulk(&mut other, &kv.value(1, 0));
        assert!(kv.check_response(0, 1, &other).is_err());
        assert!(kv.check_response(0, 0, b"HTTP/1.1 400\r\n").is_err());
    }
}
