//! Time as the caller gives it: a monotonic instant in microseconds.
//!
//! The core never reads a clock. Native code converts `std::time::Instant`
//! to [`Instant`] relative to a start point; tests drive a simulated clock.

use core::ops::{Add, Sub};

/// A monotonic point in time, in microseconds since an arbitrary epoch
/// chosen by the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Instant(pub u64);

/// A span of time in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration(pub u64);

impl Duration {
    /// Zero length.
    pub const ZERO: Duration = Duration(0);
    /// A duration of `s` seconds.
    pub const fn from_secs(s: u64) -> Self {
        Duration(s.saturating_mul(1_000_000))
    }
    /// A duration of `ms` milliseconds.
    pub const fn from_millis(ms: u64) -> Self {
        Duration(ms.saturating_mul(1_000))
    }
    /// A duration of `us` microseconds.
    pub const fn from_micros(us: u64) -> Self {
        Duration(us)
    }
    /// Whole seconds in this duration.
    pub const fn as_secs(self) -> u64 {
        self.0 / 1_000_000
    }
    /// Microseconds in this duration.
    pub const fn as_micros(self) -> u64 {
        self.0
    }
}

impl Instant {
    /// The instant `us` microseconds after the epoch.
    pub const fn from_micros(us: u64) -> Self {
        Instant(us)
    }
    /// Microseconds since the epoch.
    pub const fn as_micros(self) -> u64 {
        self.0
    }
    /// Time elapsed since `earlier`, zero if `earlier` is later.
    pub const fn saturating_since(self, earlier: Instant) -> Duration {
        Duration(self.0.saturating_sub(earlier.0))
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;
    fn add(self, d: Duration) -> Instant {
        Instant(self.0.saturating_add(d.0))
    }
}

impl Sub<Instant> for Instant {
    type Output = Duration;
    fn sub(self, other: Instant) -> Duration {
        self.saturating_since(other)
    }
}

impl Add for Duration {
    type Output = Duration;
    fn add(self, d: Duration) -> Duration {
        Duration(self.0.saturating_add(d.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_saturates() {
        let t = Instant::from_micros(5);
        assert_eq!((t + Duration::from_secs(1)).as_micros(), 1_000_005);
        assert_eq!(Instant(3) - Instant(10), Duration::ZERO);
        assert_eq!((Instant(u64::MAX) + Duration(1)).0, u64::MAX);
        assert_eq!(Duration::from_millis(2500).as_secs(), 2);
    }
}
