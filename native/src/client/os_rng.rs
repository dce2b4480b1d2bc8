//! The operating system's random generator for core's [`Random`] trait.

use oncp_core::rng::Random;

/// Random bytes from the OS (getrandom).
#[derive(Debug, Default, Clone, Copy)]
pub struct OsRng;

impl Random for OsRng {
    fn fill(&mut self, buf: &mut [u8]) {
        // getrandom only fails if the OS has no usable generator at all;
        // continuing with unfilled key material would be worse than stopping.
        if let Err(e) = getrandom::fill(buf) {
            panic!("the operating system's random generator failed: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_differently_each_time() {
        let (mut a, mut b) = ([0u8; 32], [0u8; 32]);
        OsRng.fill(&mut a);
        OsRng.fill(&mut b);
        assert_ne!(a, b);
        assert_ne!(a, [0u8; 32]);
    }
}
