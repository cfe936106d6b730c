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

/// Block `b` (bytes `8b..8b+8`) of a request: the seed with the block's
/// number mixed into every byte, so that a stream shifted by whole blocks
/// does not line up with itself.
fn block(seed: u64, b: usize) -> [u8; 8] {
    (seed ^ u64::from(b as u8).wrapping_mul(0x0101_0101_0101_0101)).to_le_bytes()
}

impl Protocol for Echo {
    fn write_request(&self, conn: usize, seq: u64, out: &mut Vec<u8>) {
        let s = seed(conn, seq);
        out.reserve(self.size);
        for b in 0..self.size / 8 {
            out.extend_from_slice(&block(s, b));
        }
        out.extend_from_slice(&block(s, self.size / 8)[..self.size % 8]);
    }

    fn check_response(&self, conn: usize, seq: u64, input: &[u8]) -> Result<Option<usize>, String> {
        if input.len() < self.size {
            return Ok(None);
        }
        let s = seed(conn, seq);
        for (b, got) in input[..self.size].chunks(8).enumerate() {
            let want = block(s, b);
            let same = match <[u8; 8]>::try_from(got) {
                // Whole blocks compare as one word: no call per block.
                Ok(whole) => u64::from_ne_bytes(whole) == u64::from_ne_bytes(want),
                Err(_) => *got == want[..got.len()],
            };
            if !same {
                let i = got.iter().zip(want).position(|(g, w)| *g != w).unwrap_or(0);
                return Err(format!(
                    "byte {} of echo response {seq} is {:#04x}, expected {:#04x}",
                    8 * b + i,
                    got[i],
                    want[i]
                ));
            }
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
    fn sizes_that_are_not_whole_blocks_round_trip() {
        for size in [1, 7, 9, 100] {
            let echo = Echo { size };
            let req = request(&echo, 2, 3);
            assert_eq!(req.len(), size);
            assert_eq!(echo.check_response(2, 3, &req), Ok(Some(size)));
            let mut bad = req.clone();
            bad[size - 1] ^= 0x80;
            let err = echo.check_response(2, 3, &bad).unwrap_err();
            assert!(err.starts_with(&format!("byte {} of", size - 1)), "{err}");
        }
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
