//! Maps the process's monotonic clock to core's microsecond
//! [`oncp_core::time::Instant`] and back.

use oncp_core::time::Instant as CoreInstant;
use std::time::Duration;
use tokio::time::Instant;

/// A clock whose epoch is its creation.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    start: Instant,
}

impl Default for Clock {
    fn default() -> Self {
        Clock::new()
    }
}

impl Clock {
    /// A clock starting now.
    pub fn new() -> Clock {
        Clock {
            start: Instant::now(),
        }
    }

    /// Now, for core.
    pub fn now(&self) -> CoreInstant {
        self.to_core(Instant::now())
    }

    /// A tokio instant for core.
    pub fn to_core(&self, t: Instant) -> CoreInstant {
        let us = t.saturating_duration_since(self.start).as_micros();
        CoreInstant::from_micros(u64::try_from(us).unwrap_or(u64::MAX))
    }

    /// A core instant as a tokio instant (for sleeping until it).
    pub fn to_tokio(&self, t: CoreInstant) -> Instant {
        self.start + Duration::from_micros(t.as_micros())
    }

    /// Sleeps until `deadline` (a session's `poll_timeout`), or for ever
    /// when there is none: the timer arm of a session driver's `select!`.
    pub async fn sleep_until(self, deadline: Option<CoreInstant>) {
        match deadline {
            Some(t) => tokio::time::sleep_until(self.to_tokio(t)).await,
            None => std::future::pending().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_is_exact_to_the_microsecond() {
        let c = Clock::new();
        let t = CoreInstant::from_micros(1_234_567);
        assert_eq!(c.to_core(c.to_tokio(t)), t);
        assert!(c.now() >= CoreInstant::from_micros(0));
        // Instants before the epoch saturate to zero.
        assert_eq!(
            c.to_core(c.start - Duration::from_secs(1).min(c.start.elapsed())),
            CoreInstant::from_micros(0)
        );
    }
}
