//! A small deterministic random helper over ChaCha8 (integer-only draws, so outputs do not
//! depend on floating-point behaviour).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Seeded random source used by every part of the generator.
pub(crate) struct R(ChaCha8Rng);

impl R {
    /// A generator for `seed`, split into an independent `stream`.
    pub(crate) fn new(seed: u64, stream: u64) -> Self {
        let mixed = seed
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .wrapping_add(stream.wrapping_mul(0xD1B5_4A32_D192_ED03))
            ^ stream;
        R(ChaCha8Rng::seed_from_u64(mixed))
    }

    /// Uniform in `0..n` (`n` > 0; 0 gives 0).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        self.0.next_u64() % n
    }

    /// Uniform in `lo..=hi`.
    pub(crate) fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        lo + self.below((hi - lo + 1) as u64) as i64
    }

    /// True with probability `pct` percent.
    pub(crate) fn pct(&mut self, pct: u64) -> bool {
        self.below(100) < pct
    }

    /// A random element.
    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// Index chosen by integer weights.
    pub(crate) fn weighted(&mut self, weights: &[u64]) -> usize {
        let total: u64 = weights.iter().sum();
        let mut x = self.below(total.max(1));
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        weights.len() - 1
    }

    /// `n` characters from an alphabet.
    pub(crate) fn token(&mut self, alphabet: &[u8], n: usize) -> String {
        (0..n).map(|_| *self.pick(alphabet) as char).collect()
    }

    /// `n` upper-case letters and digits, without easily confused characters.
    pub(crate) fn code(&mut self, n: usize) -> String {
        self.token(b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789", n)
    }

    /// `n` mixed-case alphanumerics (Stripe-style ids).
    pub(crate) fn alnum(&mut self, n: usize) -> String {
        self.token(
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
            n,
        )
    }

    /// `n` decimal digits.
    pub(crate) fn digits(&mut self, n: usize) -> String {
        self.token(b"0123456789", n)
    }
}
