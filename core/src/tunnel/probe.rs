//! The client's ESP probing and dead-peer-detection schedule
//! (spec/oncp.md §7.6; Pulse uses it unchanged, spec/pulse.md §6.6), as
//! pure timer logic.
//!
//! Better than OpenConnect 9.01: probing restarts after a TLS reconnect
//! and after a DPD failure, and each attempt sends one probe per second
//! for five seconds (as 9.10+ does), then waits until 60 s after the
//! attempt began.

use crate::time::{Duration, Instant};

/// Probes per attempt.
pub const PROBES_PER_ATTEMPT: u32 = 5;
/// Interval between probes of one attempt.
pub const PROBE_INTERVAL: Duration = Duration::from_secs(1);
/// Interval between attempt starts.
pub const ATTEMPT_PERIOD: Duration = Duration::from_secs(60);
/// DPD interval when the gateway gives none (spec §7.6).
pub const DEFAULT_DPD: Duration = Duration::from_secs(60);

/// Where the client's ESP path stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EspState {
    /// No usable keys, or ESP disabled: data over TLS.
    Unavailable,
    /// Probing; data over TLS.
    Probing {
        /// When this attempt began.
        attempt_start: Instant,
        /// Probes sent in this attempt.
        sent: u32,
        /// When the next probe is due.
        next: Instant,
    },
    /// Probes answered: data over ESP.
    Established {
        /// Last valid ESP packet received.
        last_rx: Instant,
        /// Last DPD probe sent while waiting for traffic.
        last_probe: Option<Instant>,
    },
}

/// What the schedule asks for at a given time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbeAction {
    /// Nothing now.
    Wait,
    /// Send a probe.
    SendProbe,
    /// ESP is dead: fall back to TLS and start probing again.
    Dead,
}

impl EspState {
    /// A fresh probing attempt starting at `now` (first probe at once).
    pub fn start_probing(now: Instant) -> EspState {
        EspState::Probing {
            attempt_start: now,
            sent: 0,
            next: now,
        }
    }

    /// Advances the schedule to `now`; `dpd` is the DPD interval.
    pub fn on_timer(&mut self, now: Instant, dpd: Duration) -> ProbeAction {
        match self {
            EspState::Unavailable => ProbeAction::Wait,
            EspState::Probing {
                attempt_start,
                sent,
                next,
            } => {
                if now < *next {
                    return ProbeAction::Wait;
                }
                if *sent >= PROBES_PER_ATTEMPT {
                    *attempt_start = *next;
                    *sent = 0;
                }
                *sent += 1;
                *next = if *sent < PROBES_PER_ATTEMPT {
                    now + PROBE_INTERVAL
                } else {
                    *attempt_start + ATTEMPT_PERIOD
                };
                ProbeAction::SendProbe
            }
            EspState::Established {
                last_rx,
                last_probe,
            } => {
                let idle = now - *last_rx;
                if idle > Duration(dpd.0 * 2) {
                    *self = EspState::start_probing(now);
                    return ProbeAction::Dead;
                }
                let half = Duration(dpd.0 / 2);
                if idle >= dpd && last_probe.is_none_or(|p| now - p >= half) {
                    *last_probe = Some(now);
                    return ProbeAction::SendProbe;
                }
                ProbeAction::Wait
            }
        }
    }

    /// When [`Self::on_timer`] next has something to do.
    pub fn deadline(&self, dpd: Duration) -> Option<Instant> {
        match self {
            EspState::Unavailable => None,
            EspState::Probing { next, .. } => Some(*next),
            EspState::Established {
                last_rx,
                last_probe,
            } => {
                let dead = *last_rx + Duration(dpd.0 * 2 + 1);
                let probe = match last_probe {
                    None => *last_rx + dpd,
                    Some(p) => (*last_rx + dpd).max(*p + Duration(dpd.0 / 2)),
                };
                Some(probe.min(dead))
            }
        }
    }

    /// Records a valid ESP packet at `now`. Returns true if this answers
    /// our probing (ESP should come up).
    pub fn on_receive(&mut self, now: Instant) -> bool {
        match self {
            EspState::Probing { .. } => {
                *self = EspState::Established {
                    last_rx: now,
                    last_probe: None,
                };
                true
            }
            EspState::Established {
                last_rx,
                last_probe,
            } => {
                *last_rx = now;
                *last_probe = None;
                false
            }
            EspState::Unavailable => false,
        }
    }

    /// Whether data goes over ESP.
    pub fn is_established(&self) -> bool {
        matches!(self, EspState::Established { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> Instant {
        Instant(s * 1_000_000)
    }

    #[test]
    fn probing_schedule_is_five_per_second_then_a_minute() {
        let dpd = DEFAULT_DPD;
        let mut s = EspState::start_probing(secs(0));
        let mut sent_at = alloc::vec::Vec::new();
        let mut t = secs(0);
        while t < secs(130) {
            if s.on_timer(t, dpd) == ProbeAction::SendProbe {
                sent_at.push(t.0 / 1_000_000);
            }
            t = s.deadline(dpd).unwrap();
        }
        assert_eq!(
            sent_at,
            [0, 1, 2, 3, 4, 60, 61, 62, 63, 64, 120, 121, 122, 123, 124]
        );
    }

    #[test]
    fn dpd_probes_then_declares_dead() {
        let dpd = Duration::from_secs(10);
        let mut s = EspState::start_probing(secs(0));
        assert!(s.on_receive(secs(0)));
        assert!(s.is_established());
        assert_eq!(s.deadline(dpd), Some(secs(10)));
        assert_eq!(s.on_timer(secs(9), dpd), ProbeAction::Wait);
        assert_eq!(s.on_timer(secs(10), dpd), ProbeAction::SendProbe);
        assert_eq!(s.deadline(dpd), Some(secs(15)));
        assert_eq!(s.on_timer(secs(15), dpd), ProbeAction::SendProbe);
        assert_eq!(s.on_timer(secs(20), dpd), ProbeAction::SendProbe);
        assert_eq!(s.deadline(dpd), Some(Instant(secs(20).0 + 1)));
        assert_eq!(s.on_timer(Instant(secs(20).0 + 1), dpd), ProbeAction::Dead);
        assert!(matches!(s, EspState::Probing { .. }));
        // Traffic resets DPD.
        let mut s = EspState::Established {
            last_rx: secs(0),
            last_probe: None,
        };
        s.on_receive(secs(8));
        assert_eq!(s.deadline(dpd), Some(secs(18)));
    }
}
