//! The fuzzer's randomness: a seeded splitmix64 generator and the byte
//! mutations built on it. Everything the fuzzer sends comes from one of
//! these generators, so a seed replays the same inputs in the same order.

/// splitmix64 (Steele, Lea and Flood, 2014): one `u64` of state, a full
/// period, good enough statistics for choosing test inputs, and no
/// dependency.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n`; `n` must not be 0.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// A number in `lo..=hi`.
    pub fn between(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    /// True `num` times in `den`.
    pub fn chance(&mut self, num: usize, den: usize) -> bool {
        self.below(den) < num
    }

    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }

    /// A length that is usually short and sometimes long: small inputs
    /// reach more parser states per second, long ones reach the limits.
    pub fn length(&mut self) -> usize {
        match self.below(8) {
            0..=3 => self.between(1, 16),
            4..=6 => self.between(1, 512),
            _ => self.between(1, 16 << 10),
        }
    }

    /// Random bytes: raw, or printable text with line ends, which gets
    /// past the first check of every text protocol here.
    pub fn garbage(&mut self) -> Vec<u8> {
        let n = self.length();
        if self.chance(1, 2) {
            (0..n).map(|_| self.next_u64() as u8).collect()
        } else {
            const TEXT: &[u8] = b"abcdefgh XYZ0123456789 :*$#/-+.%\r\n\r\n";
            (0..n).map(|_| *self.pick(TEXT)).collect()
        }
    }
}

/// Byte strings that parsers treat specially: line ends, length prefixes,
/// signs, numbers at and past integer limits, invalid UTF-8, escapes.
const TOKENS: &[&[u8]] = &[
    b"\r\n",
    b"\r",
    b"\n",
    b"\0",
    b" ",
    b"\t",
    b":",
    b"*",
    b"$",
    b"-1",
    b"0",
    b"-",
    b"+",
    b"9",
    b"2147483648",
    b"4294967296",
    b"9223372036854775808",
    b"18446744073709551616",
    b"99999999",
    b"\xff\xfe",
    b"\xc3",
    b"%00",
    b"%2e%2e/",
    b"../",
    b"\r\n\r\n",
    b"*3\r\n",
    b"$9\r\n",
    b"#",
    b",",
    b"HTTP/1.1",
    b"Content-Length: ",
    b"Transfer-Encoding: chunked\r\n",
    b"Range: bytes=",
];

/// The longest input a mutation may produce.
pub const MAX_INPUT_BYTES: usize = 64 << 10;

/// Applies one to four random edits to `input`: flip a bit, insert a byte
/// or a token, delete, duplicate or move a range, or splice in a piece of
/// another valid request from `corpus`.
pub fn mutate(rng: &mut Rng, corpus: &[Vec<u8>], input: &mut Vec<u8>) {
    for _ in 0..rng.between(1, 4) {
        let at = rng.below(input.len() + 1);
        match rng.below(7) {
            0 if !input.is_empty() => {
                let i = rng.below(input.len());
                input[i] ^= 1 << rng.below(8);
            }
            1 => input.insert(at, rng.next_u64() as u8),
            2 => {
                let token = rng.pick(TOKENS);
                input.splice(at..at, token.iter().copied());
            }
            3 if !input.is_empty() => {
                let start = rng.below(input.len());
                let end = (start + rng.between(1, 16)).min(input.len());
                input.drain(start..end);
            }
            4 if !input.is_empty() => {
                let start = rng.below(input.len());
                let end = (start + rng.between(1, 64)).min(input.len());
                let piece = input[start..end].to_vec();
                for _ in 0..rng.between(1, 8) {
                    input.splice(at..at, piece.iter().copied());
                }
            }
            5 => {
                let other = rng.pick(corpus);
                let from = rng.below(other.len() + 1);
                input.truncate(at);
                input.extend_from_slice(&other[from..]);
            }
            _ => {
                let other = rng.pick(corpus);
                let start = rng.below(other.len() + 1);
                let end = rng.between(start, other.len());
                input.splice(at..at, other[start..end].iter().copied());
            }
        }
        input.truncate(MAX_INPUT_BYTES);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_numbers_and_mutations() {
        let corpus = vec![b"GET / HTTP/1.1\r\n\r\n".to_vec(), b"PING\r\n".to_vec()];
        let run = |seed| {
            let mut rng = Rng::new(seed);
            let mut input = corpus[0].clone();
            for _ in 0..100 {
                mutate(&mut rng, &corpus, &mut input);
            }
            (rng.next_u64(), input)
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
    }

    #[test]
    fn numbers_stay_in_their_ranges() {
        let mut rng = Rng::new(1);
        for _ in 0..10_000 {
            assert!(rng.below(3) < 3);
            assert!((5..=9).contains(&rng.between(5, 9)));
            let n = rng.length();
            assert!((1..=16 << 10).contains(&n));
        }
    }
}
