//! Pacing of reconnect attempts after the TLS connection is lost.
//!
//! OpenConnect (spec §9.3) waits 10 s, 20 s, 30 s, … (at most 100 s)
//! between attempts until their sum reaches `--reconnect-timeout`. The
//! first attempt here is made after [`FIRST_RETRY`] instead: a TLS
//! connection that merely broke is usually re-established at once, and a
//! tunnel that pauses for 10 s on every hiccup is needlessly disruptive.
//! After that the schedule is OpenConnect's.

use std::time::Duration;

/// Delay before the first reconnect attempt.
pub const FIRST_RETRY: Duration = Duration::from_secs(1);
/// Step added for each later attempt.
pub const STEP: Duration = Duration::from_secs(10);
/// Longest wait between attempts.
pub const MAX_DELAY: Duration = Duration::from_secs(100);

/// The reconnect schedule for one outage.
#[derive(Debug, Clone)]
pub struct Backoff {
    limit: Duration,
    waited: Duration,
    attempts: u32,
}

impl Backoff {
    /// A schedule whose waits add up to at most `limit`.
    pub fn new(limit: Duration) -> Backoff {
        Backoff {
            limit,
            waited: Duration::ZERO,
            attempts: 0,
        }
    }

    /// The wait before the next attempt, or `None` when the time budget is
    /// spent. A last wait is shortened to fit the budget.
    pub fn next_delay(&mut self) -> Option<Duration> {
        let remaining = self.limit.checked_sub(self.waited)?;
        if remaining.is_zero() {
            return None;
        }
        let want = if self.attempts == 0 {
            FIRST_RETRY
        } else {
            (STEP * self.attempts).min(MAX_DELAY)
        };
        let delay = want.min(remaining);
        self.attempts += 1;
        self.waited += delay;
        Some(delay)
    }

    /// Attempts scheduled so far.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(b: &mut Backoff) -> Vec<u64> {
        std::iter::from_fn(|| b.next_delay())
            .map(|d| d.as_secs())
            .collect()
    }

    #[test]
    fn fast_first_retry_then_openconnect_steps_capped_at_100s() {
        let mut b = Backoff::new(Duration::from_secs(1000));
        let d = secs(&mut b);
        assert_eq!(&d[..12], &[1, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 100]);
        assert_eq!(d.iter().sum::<u64>(), 1000);
    }

    #[test]
    fn budget_bounds_the_total_wait() {
        let mut b = Backoff::new(Duration::from_secs(25));
        assert_eq!(secs(&mut b), [1, 10, 14]);
        assert_eq!(b.attempts(), 3);
        assert_eq!(secs(&mut Backoff::new(Duration::ZERO)), Vec::<u64>::new());
    }
}
