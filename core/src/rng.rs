//! Randomness as the caller supplies it.
//!
//! The core draws every random byte (ESP SPIs, keys, IVs, DSIDs) through
//! [`Random`], so native code can plug in the operating system's generator
//! and tests a seeded one, and runs repeat exactly.

/// A source of random bytes. Implementations used outside tests must be
/// cryptographically secure.
pub trait Random {
    /// Fills `buf` entirely with random bytes.
    fn fill(&mut self, buf: &mut [u8]);

    /// A random `u32`.
    fn next_u32(&mut self) -> u32 {
        let mut b = [0u8; 4];
        self.fill(&mut b);
        u32::from_be_bytes(b)
    }
}

/// A small deterministic generator (xorshift64*) for tests and simulations.
/// **Not** cryptographically secure; never use it for real keys.
#[derive(Debug, Clone)]
pub struct TestRng(u64);

impl TestRng {
    /// A generator seeded with `seed` (zero is replaced by a fixed constant).
    pub fn new(seed: u64) -> Self {
        TestRng(if seed == 0 {
            0x9E37_79B9_7F4A_7C15
        } else {
            seed
        })
    }
}

impl Random for TestRng {
    fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let mut x = self.0;
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            self.0 = x;
            let v = x.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_rng_is_deterministic_and_not_constant() {
        let (mut a, mut b) = (TestRng::new(7), TestRng::new(7));
        let (mut x, mut y) = ([0u8; 33], [0u8; 33]);
        a.fill(&mut x);
        b.fill(&mut y);
        assert_eq!(x, y);
        assert_ne!(x[..8], x[8..16]);
        assert_ne!(TestRng::new(8).next_u32(), TestRng::new(7).next_u32());
    }
}
