//! The acceptance test: 10,000 IP packets each way between client
//! and gateway over a link with 5% loss, 1% duplication and reordering,
//! ESP on (and again with compression on): nothing is delivered twice or
//! corrupted, every packet sent over TLS arrives, and the packets lost are
//! exactly those whose datagrams the link dropped. A third run adds a
//! rekey every two seconds.

#[path = "session/harness.rs"]
mod harness;

use std::collections::{BTreeSet, HashMap};

use harness::*;
use oncp_core::oncp::session::Transport;
use oncp_core::time::Duration;

const N: u32 = 10_000;

fn check(
    rx: &[Vec<u8>],
    sent: &HashMap<u32, Via>,
    p: &Pair,
    from: [u8; 4],
    to: [u8; 4],
    size: impl Fn(u32) -> usize,
) {
    let mut seen = BTreeSet::new();
    for pk in rx {
        let id = packet_id(pk);
        assert!(seen.insert(id), "packet {id} delivered twice");
        assert_eq!(pk, &packet(id, from, to, size(id)), "packet {id} corrupted");
    }
    let expected: BTreeSet<u32> = sent
        .iter()
        .filter(|(_, via)| match via {
            Via::Tls => true,
            Via::Udp(d) => !p.dropped.contains(d),
            Via::NotSent => false,
        })
        .map(|(id, _)| *id)
        .collect();
    let missing: Vec<_> = expected.difference(&seen).take(10).collect();
    let extra: Vec<_> = seen.difference(&expected).take(10).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:?}, unexpected {extra:?}"
    );
    assert!(!sent.values().any(|v| *v == Via::NotSent));
    let over_tls = sent.values().filter(|v| **v == Via::Tls).count();
    let lost = sent.len() - expected.len();
    assert!(
        over_tls < 200,
        "{over_tls} packets over TLS: ESP should carry the bulk"
    );
    assert!(
        (300..700).contains(&lost),
        "{lost} lost of {} (5% loss expected)",
        sent.len()
    );
}

fn run(compress: bool, rekey_every: Option<Duration>, seed: u64) {
    let mut gw = gateway_config();
    gw.compression = compress;
    gw.rekey_after = rekey_every;
    let mut opts = client_options();
    opts.compress_outbound = compress;
    let mut p = Pair::new(gw, opts, seed);
    p.faults = LinkFaults {
        loss: 0.05,
        duplicate: 0.01,
        jitter: Duration::from_millis(4),
    };
    let size = |id: u32| 40 + (id as usize * 37) % 1300;
    p.run_for(Duration::from_millis(200));
    let mut c2s = HashMap::new();
    let mut s2c = HashMap::new();
    for id in 0..N {
        c2s.insert(id, p.client_send(&packet(id, C, S, size(id))));
        s2c.insert(id, p.gateway_send(&packet(id, S, C, size(id))));
        p.run_for(Duration::from_millis(1));
    }
    p.run_for(Duration::from_secs(2));
    assert_eq!(p.client.transport(), Transport::Esp);
    check(&p.gateway_rx, &c2s, &p, C, S, size);
    check(&p.client_rx, &s2c, &p, S, C, size);
    if compress {
        assert!(p.client.stats().lzo_out > 0 && p.gateway.stats().lzo_out > 0);
    }
    if let Some(every) = rekey_every {
        let expected = 10_000 / (every.0 / 1000);
        assert!(
            p.client.stats().rekeys >= expected - 1,
            "{:?}",
            p.client.stats()
        );
        assert_eq!(p.gateway.stats().rekeys, p.client.stats().rekeys);
    }
    // Duplicates were refused by the replay window, not delivered.
    assert!(p.client.stats().esp_dropped > 0 || p.gateway.stats().esp_dropped > 0);
}

#[test]
fn ten_thousand_packets_each_way_over_a_lossy_link() {
    run(false, None, 21);
}

#[test]
fn ten_thousand_packets_each_way_with_compression() {
    run(true, None, 22);
}

#[test]
fn ten_thousand_packets_each_way_with_compression_and_rekeys() {
    // A rekey every 2 s while packets are in flight and reordered: the
    // previous SA's grace keeps every packet the link delivered.
    run(true, Some(Duration::from_secs(2)), 23);
}
