//! The seeded PRNG, random ids and the draws the generator makes.

use rand::rngs::Xoshiro256PlusPlus;
use rand::{Rng, SeedableRng};

use super::Ms;

/// The one seeded PRNG every choice comes from, with the draws the generator needs.
#[derive(Clone)]
pub(super) struct Dice(Xoshiro256PlusPlus);

impl Dice {
    pub(super) fn new(seed: u64) -> Self {
        Dice(Xoshiro256PlusPlus::seed_from_u64(seed))
    }

    pub(super) fn u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// Uniform in [0, 1).
    pub(super) fn f(&mut self) -> f64 {
        (self.u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in 0..n (n > 0).
    pub(super) fn below(&mut self, n: usize) -> usize {
        ((self.u64() as u128 * n as u128) >> 64) as usize
    }

    /// Uniform in lo..=hi.
    pub(super) fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as usize) as i64
    }

    pub(super) fn chance(&mut self, p: f64) -> bool {
        self.f() < p
    }

    pub(super) fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len())]
    }

    pub(super) fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u32 = weights.iter().sum();
        let mut x = self.below(total as usize) as u32;
        for (i, &w) in weights.iter().enumerate() {
            if x < w {
                return i;
            }
            x -= w;
        }
        weights.len() - 1
    }

    /// Exponential with mean 1.
    pub(super) fn exp(&mut self) -> f64 {
        -(1.0 - self.f()).ln()
    }

    /// A latency in ms: `lo` plus an exponential part with mean `extra`, with a 4% long tail, in lo..=hi.
    pub(super) fn latency(&mut self, lo: f64, extra: f64, hi: f64) -> Ms {
        let mut x = lo + extra * self.exp();
        if self.chance(0.04) {
            x *= 1.5 + 3.5 * self.f();
        }
        x.clamp(lo, hi).round() as Ms
    }

    /// A random (version 4) UUID from this generator.
    pub(super) fn id(&mut self) -> Id {
        let bytes = ((self.u64() as u128) << 64 | self.u64() as u128).to_be_bytes();
        let uuid = uuid::Builder::from_random_bytes(bytes).into_uuid();
        let mut out = [0u8; 36];
        uuid.hyphenated().encode_lower(&mut out);
        Id(out)
    }

    pub(super) fn push_hex(&mut self, out: &mut String, n: usize) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut bits = 0u64;
        for i in 0..n {
            if i % 16 == 0 {
                bits = self.u64();
            }
            out.push(HEX[(bits & 15) as usize] as char);
            bits >>= 4;
        }
    }

    pub(super) fn push_b64(&mut self, out: &mut String, n: usize) {
        const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut bits = 0u64;
        for i in 0..n {
            if i % 10 == 0 {
                bits = self.u64();
            }
            out.push(B64[(bits & 63) as usize] as char);
            bits >>= 6;
        }
    }

    pub(super) fn push_digits(&mut self, out: &mut String, n: usize) {
        for _ in 0..n {
            out.push((b'0' + self.below(10) as u8) as char);
        }
    }
}

pub(super) fn weighted_mean(weights: &[u32]) -> f64 {
    let total: u32 = weights.iter().sum();
    let sum: u32 = weights
        .iter()
        .enumerate()
        .map(|(i, w)| (i as u32 + 1) * w)
        .sum();
    sum as f64 / total as f64
}

/// A hyphenated lower-case UUID, stored inline.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) struct Id([u8; 36]);

impl Id {
    pub(super) fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("")
    }
}
