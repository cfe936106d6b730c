//! Echo load: `--size` bytes out, the very same bytes back.
//!
//! Every request's bytes are derived from its connection and sequence
//! number, so a response that is late, early, from another connection or
//! corrupted does not match the bytes expected at that point of the stream.

use std::sync::Arc;

use super::{BenchArgs, Protocol};

/// Echo requests of a fixed size.
pub struct Echo {
    /// Bytes per request (and per response).
    size: usize,
}

/// Builds the echo protocol from the flags.
pub fn build(args: &BenchArgs) -> Result<Arc<dyn Protocol>, String> {
    if args.size == 0 {
        return Err("echo needs --size of at least 1 byte".to_string());
    }
    let size = usize::try_from(args.size).map_err(|_| format!("--size {} is too large", args.size))?;
    Ok(Arc::new(Echo { size }))
}

/// The 8-byte seed of request `seq` on connection `conn`: distinct for
/// neighbouring requests and connections.
fn seed(conn: usize, seq: u64) -> u64 {
    seq.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (conn as u64).rotate_left(32)
}

/// Byte `i` of a request: the seed's bytes in turn, varied per 8-byte block
/// so that a shifted stream does not line up with itself.
fn byte(seed: u64, i: usize) -> u8 {
    (seed >> ((i % 8) * 8)) as u8 ^ (i / 8) as u8
}

impl Protocol for Echo {
    fn write_request(&self, conn: usize, seq: u64, out: &mut Vec<u8>) {
        let s = seed(conn, seq);
        out.extend((0..self.size).map(|i| byte(s, i)));
    }

    fn check_response(&self, conn: usize, seq: u64, input: &[u8]) -> Result<Option<usize>, String> {
        if input.len() < self.size {
            return Ok(None);
        }
        let s = seed(conn, seq);
        if let Some(i) = (0..self.size).find(|&i| input[i] != byte(s, i)) {
            return Err(format!("byte {i} of echo response {seq} is {:#04x}, expected {:#04x}", input[i], byte(s, i)));
        }
        Ok(Some(self.size))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(echo: &Echo, conn: usize, seq: u64) -> Vec<u8> {
        let mut out = Vec::new();
        echo.write_request(conn, seq, &mut out);
        out
    }

    #[test]
    fn the_exact_bytes_back_are_a_complete_response() {
        let echo = Echo { size: 64 };
        let req = request(&echo, 3, 9);
        assert_eq!(req.len(), 64);
        assert_eq!(echo.check_response(3, 9, &req), Ok(Some(64)));
    }

    #[test]
    fn a_partial_response_is_not_complete_yet_and_extra_bytes_are_left_alone() {
        let echo = Echo { size: 64 };
        let mut stream = request(&echo, 0, 0);
        assert_eq!(echo.check_response(0, 0, &stream[..10]), Ok(None));
        stream.extend(request(&echo, 0, 1));
        assert_eq!(echo.check_response(0, 0, &stream), Ok(Some(64)));
        assert_eq!(echo.check_response(0, 1, &stream[64..]), Ok(Some(64)));
    }

    #[test]
    fn a_corrupted_byte_is_an_error_naming_its_position() {
        let echo = Echo { size: 64 };
        let mut req = request(&echo, 1, 5);
        req[40] ^= 1;
        let err = echo.check_response(1, 5, &req).unwrap_err();
        assert!(err.contains("byte 40 of echo response 5"), "{err}");
    }

    #[test]
    fn responses_of_other_requests_or_connections_do_not_match() {
        let echo = Echo { size: 16 };
        assert!(echo.check_response(0, 2, &request(&echo, 0, 1)).is_err());
        assert!(echo.check_response(0, 1, &request(&echo, 1, 1)).is_err());
        // A stream shifted by a whole 8-byte block does not line up either.
        let twice = [request(&echo, 0, 0), request(&echo, 0, 0)].concat();
        assert!(echo.check_response(0, 0, &twice[8..]).is_err());
    }

    #[test]
    fn a_size_of_zero_is_refused() {
        use clap::Parser;
        #[derive(Parser)]
        struct Cli {
            #[command(flatten)]
            bench: BenchArgs,
        }
        let cli = Cli::try_parse_from(["b", "echo", "--target", "127.0.0.1:1", "--size", "0"]).unwrap();
        assert!(build(&cli.bench).err().unwrap().contains("--size"));
    }
}
