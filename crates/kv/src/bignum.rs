//! Unsigned integers of any size: just enough arithmetic for exact
//! decimal ⇄ binary conversion of `long double` values in
//! [`crate::long_double`]. Numbers there stay below 2^34000, so the
//! quadratic schoolbook methods here are plenty.
//!
//! Invariant: no zero limb at the top (zero is the empty vector).

use std::cmp::Ordering;

/// An unsigned integer, 32-bit limbs, least significant first.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Big(Vec<u32>);

impl Big {
    pub fn from_u128(mut v: u128) -> Big {
        let mut limbs = Vec::new();
        while v != 0 {
            limbs.push(v as u32);
            v >>= 32;
        }
        Big(limbs)
    }

    /// `10^n`.
    pub fn pow10(mut n: u64) -> Big {
        let mut b = Big::from_u128(1);
        while n >= 9 {
            b.mul_add_small(1_000_000_000, 0);
            n -= 9;
        }
        b.mul_add_small(10u32.pow(n as u32), 0);
        b
    }

    pub fn is_zero(&self) -> bool {
        self.0.is_empty()
    }

    pub fn bit_len(&self) -> u64 {
        match self.0.last() {
            None => 0,
            Some(top) => (self.0.len() as u64 - 1) * 32 + u64::from(32 - top.leading_zeros()),
        }
    }

    /// `self = self * m + a`.
    pub fn mul_add_small(&mut self, m: u32, a: u32) {
        let mut carry = u64::from(a);
        for limb in &mut self.0 {
            let v = u64::from(*limb) * u64::from(m) + carry;
            *limb = v as u32;
            carry = v >> 32;
        }
        if carry != 0 {
            self.0.push(carry as u32);
        }
        self.trim();
    }

    /// `self * other`.
    pub fn mul(&self, other: &Big) -> Big {
        let mut out = vec![0u32; self.0.len() + other.0.len()];
        for (i, &a) in self.0.iter().enumerate() {
            let mut carry = 0u64;
            for (j, &b) in other.0.iter().enumerate() {
                let v = u64::from(out[i + j]) + u64::from(a) * u64::from(b) + carry;
                out[i + j] = v as u32;
                carry = v >> 32;
            }
            out[i + other.0.len()] = carry as u32;
        }
        let mut b = Big(out);
        b.trim();
        b
    }

    /// `self << bits`.
    pub fn shl(&self, bits: u64) -> Big {
        if self.is_zero() {
            return Big::default();
        }
        let (words, bits) = ((bits / 32) as usize, (bits % 32) as u32);
        let mut out = vec![0u32; words];
        if bits == 0 {
            out.extend_from_slice(&self.0);
        } else {
            let mut carry = 0u32;
            for &limb in &self.0 {
                out.push((limb << bits) | carry);
                carry = limb >> (32 - bits);
            }
            out.push(carry);
        }
        let mut b = Big(out);
        b.trim();
        b
    }

    /// The bits from `bits` up, as a `u128` (which they must fit), and
    /// whether any bit below `bits` is set.
    pub fn shr_sticky(&self, bits: u64) -> (u128, bool) {
        let mut out = 0u128;
        for i in (0..128).rev() {
            out = (out << 1) | u128::from(self.bit(bits + i));
        }
        let words = (bits / 32) as usize;
        let mut sticky = self.0.iter().take(words).any(|&l| l != 0);
        if let Some(&l) = self.0.get(words) {
            sticky |= l & ((1u32 << (bits % 32)) - 1) != 0;
        }
        (out, sticky)
    }

    fn bit(&self, i: u64) -> bool {
        self.0.get((i / 32) as usize).is_some_and(|l| l >> (i % 32) & 1 == 1)
    }

    pub fn add(&self, other: &Big) -> Big {
        let (long, short) = if self.0.len() >= other.0.len() { (self, other) } else { (other, self) };
        let mut out = Vec::with_capacity(long.0.len() + 1);
        let mut carry = 0u64;
        for (i, &a) in long.0.iter().enumerate() {
            let v = u64::from(a) + u64::from(short.0.get(i).copied().unwrap_or(0)) + carry;
            out.push(v as u32);
            carry = v >> 32;
        }
        out.push(carry as u32);
        let mut b = Big(out);
        b.trim();
        b
    }

    /// `self - other`, which must not be negative.
    pub fn sub(&self, other: &Big) -> Big {
        debug_assert!(*self >= *other);
        let mut out = Vec::with_capacity(self.0.len());
        let mut borrow = 0i64;
        for (i, &a) in self.0.iter().enumerate() {
            let mut v = i64::from(a) - i64::from(other.0.get(i).copied().unwrap_or(0)) - borrow;
            borrow = i64::from(v < 0);
            if v < 0 {
                v += 1 << 32;
            }
            out.push(v as u32);
        }
        let mut b = Big(out);
        b.trim();
        b
    }

    /// `self / d` and whether a remainder is left, for a quotient that fits
    /// in a `u128`; bit by bit, as the quotients needed are ~67 bits.
    pub fn div_small_quotient(&self, d: &Big) -> (u128, bool) {
        let mut r = self.clone();
        let mut q = 0u128;
        let top = self.bit_len().saturating_sub(d.bit_len());
        debug_assert!(top < 128);
        let mut ds = d.shl(top);
        for i in (0..=top).rev() {
            if r >= ds {
                r.sub_assign(&ds);
                q |= 1 << i;
            }
            ds.shr1_assign();
        }
        (q, !r.is_zero())
    }

    /// `self -= other`, which must not go negative.
    fn sub_assign(&mut self, other: &Big) {
        debug_assert!(*self >= *other);
        let mut borrow = 0u64;
        for (i, limb) in self.0.iter_mut().enumerate() {
            let v = u64::from(*limb).wrapping_sub(u64::from(other.0.get(i).copied().unwrap_or(0))).wrapping_sub(borrow);
            *limb = v as u32;
            borrow = v >> 63;
        }
        self.trim();
    }

    /// `self >>= 1`.
    fn shr1_assign(&mut self) {
        let mut carry = 0u32;
        for limb in self.0.iter_mut().rev() {
            let low = *limb & 1;
            *limb = (*limb >> 1) | (carry << 31);
            carry = low;
        }
        self.trim();
    }

    /// Decimal digits, no leading zeros ("0" for zero).
    pub fn to_decimal(&self) -> String {
        let mut n = self.0.clone();
        let mut chunks = Vec::new();
        while !n.is_empty() {
            let mut rem = 0u64;
            for limb in n.iter_mut().rev() {
                let v = (rem << 32) | u64::from(*limb);
                *limb = (v / 1_000_000_000) as u32;
                rem = v % 1_000_000_000;
            }
            while n.last() == Some(&0) {
                n.pop();
            }
            chunks.push(rem as u32);
        }
        let mut s = chunks.pop().map_or_else(|| "0".to_string(), |c| c.to_string());
        for c in chunks.iter().rev() {
            s.push_str(&format!("{c:09}"));
        }
        s
    }

    fn trim(&mut self) {
        while self.0.last() == Some(&0) {
            self.0.pop();
        }
    }
}

impl PartialOrd for Big {
    fn partial_cmp(&self, other: &Big) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Big {
    fn cmp(&self, other: &Big) -> Ordering {
        self.0.len().cmp(&other.0.len()).then_with(|| self.0.iter().rev().cmp(other.0.iter().rev()))
    }
}

#[cfg(test)]
mod tests {
    use super::Big;

    #[test]
    fn arithmetic_agrees_with_u128() {
        let cases = [0u128, 1, 9, 1 << 31, u64::MAX as u128, 123_456_789_012_345_678_901_234_567, u128::MAX >> 3];
        for &a in &cases {
            for &b in &cases {
                let (x, y) = (Big::from_u128(a), Big::from_u128(b));
                assert_eq!(x.cmp(&y), a.cmp(&b));
                if let Some(s) = a.checked_add(b) {
                    assert_eq!(x.add(&y), Big::from_u128(s));
                }
                if a >= b {
                    assert_eq!(x.sub(&y), Big::from_u128(a - b));
                }
                if let Some(p) = a.checked_mul(b) {
                    assert_eq!(x.mul(&y), Big::from_u128(p));
                }
                if let (Some(q), Some(r)) = (a.checked_div(b), a.checked_rem(b)) {
                    assert_eq!(x.div_small_quotient(&y), (q, r != 0));
                }
            }
            assert_eq!(Big::from_u128(a).to_decimal(), a.to_string());
            assert_eq!(Big::from_u128(a).bit_len(), u64::from(128 - a.leading_zeros()));
        }
    }

    #[test]
    fn shifts_keep_and_report_every_bit() {
        let x = Big::from_u128(0b1011);
        assert_eq!(x.shl(100).shr_sticky(100), (0b1011, false));
        assert_eq!(x.shl(100).shr_sticky(101), (0b101, true));
        assert_eq!(x.shl(100).shr_sticky(99), (0b10110, false));
        assert_eq!(Big::pow10(30).to_decimal(), format!("1{}", "0".repeat(30)));
        assert_eq!(
            Big::from_u128(1).shl(200).to_decimal(),
            "1606938044258990275541962092341162602522202993782792835301376"
        );
    }
}
