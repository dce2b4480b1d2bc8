//! Gateway-wide counters, readable from logs, `oncp demo` and tests.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::tun::offload::{OffloadSnapshot, OffloadStats};

use oncp_core::oncp::session::SessionStats;

/// Totals over every tunnel the gateway served.
#[derive(Debug, Default)]
pub struct Counters {
    /// Tunnels that got their configuration.
    pub tunnels: AtomicU64,
    /// IP packets received over ESP.
    pub esp_packets_in: AtomicU64,
    /// IP packets sent over ESP.
    pub esp_packets_out: AtomicU64,
    /// IP packets received over TLS.
    pub tls_packets_in: AtomicU64,
    /// IP packets sent over TLS.
    pub tls_packets_out: AtomicU64,
    /// Probes answered.
    pub probes: AtomicU64,
    /// Rekeys completed.
    pub rekeys: AtomicU64,
    /// ESP datagrams refused.
    pub esp_dropped: AtomicU64,
    /// Packets sent LZO-compressed over ESP.
    pub lzo_out: AtomicU64,
    /// The TUN device's offloads (super-packets read, coalesced writes).
    pub tun: Arc<OffloadStats>,
}

/// A plain copy of [`Counters`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CounterSnapshot {
    /// See [`Counters::tunnels`].
    pub tunnels: u64,
    /// See [`Counters::esp_packets_in`].
    pub esp_packets_in: u64,
    /// See [`Counters::esp_packets_out`].
    pub esp_packets_out: u64,
    /// See [`Counters::tls_packets_in`].
    pub tls_packets_in: u64,
    /// See [`Counters::tls_packets_out`].
    pub tls_packets_out: u64,
    /// See [`Counters::probes`].
    pub probes: u64,
    /// See [`Counters::rekeys`].
    pub rekeys: u64,
    /// See [`Counters::esp_dropped`].
    pub esp_dropped: u64,
    /// See [`Counters::lzo_out`].
    pub lzo_out: u64,
    /// See [`Counters::tun`].
    pub tun: OffloadSnapshot,
}

impl Counters {
    /// Adds the growth of one session's stats since `before`.
    pub fn add(&self, before: &SessionStats, now: &SessionStats) {
        let d = |a: u64, b: u64| b.saturating_sub(a);
        let add = |c: &AtomicU64, v: u64| {
            c.fetch_add(v, Ordering::Relaxed);
        };
        add(
            &self.esp_packets_in,
            d(before.esp_packets_in, now.esp_packets_in),
        );
        add(
            &self.esp_packets_out,
            d(before.esp_packets_out, now.esp_packets_out),
        );
        add(
            &self.tls_packets_in,
            d(before.tls_packets_in, now.tls_packets_in),
        );
        add(
            &self.tls_packets_out,
            d(before.tls_packets_out, now.tls_packets_out),
        );
        add(&self.probes, d(before.probes_out, now.probes_out));
        add(&self.rekeys, d(before.rekeys, now.rekeys));
        add(&self.esp_dropped, d(before.esp_dropped, now.esp_dropped));
        add(&self.lzo_out, d(before.lzo_out, now.lzo_out));
    }

    /// The current values.
    pub fn snapshot(&self) -> CounterSnapshot {
        let g = |c: &AtomicU64| c.load(Ordering::Relaxed);
        CounterSnapshot {
            tunnels: g(&self.tunnels),
            esp_packets_in: g(&self.esp_packets_in),
            esp_packets_out: g(&self.esp_packets_out),
            tls_packets_in: g(&self.tls_packets_in),
            tls_packets_out: g(&self.tls_packets_out),
            probes: g(&self.probes),
            rekeys: g(&self.rekeys),
            esp_dropped: g(&self.esp_dropped),
            lzo_out: g(&self.lzo_out),
            tun: self.tun.snapshot(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds_the_growth_of_each_session() {
        let c = Counters::default();
        let a = SessionStats {
            esp_packets_in: 5,
            tls_packets_out: 2,
            lzo_out: 1,
            ..Default::default()
        };
        c.add(&SessionStats::default(), &a);
        let b = SessionStats {
            esp_packets_in: 9,
            tls_packets_out: 2,
            lzo_out: 4,
            rekeys: 1,
            ..Default::default()
        };
        c.add(&a, &b);
        // A second session counts from zero.
        c.add(&SessionStats::default(), &a);
        let s = c.snapshot();
        assert_eq!(s.esp_packets_in, 14);
        assert_eq!(s.tls_packets_out, 4);
        assert_eq!(s.lzo_out, 5);
        assert_eq!(s.rekeys, 1);
        assert_eq!(s.probes, 0);
    }
}
