//! Garbage in any phase never panics either session, never makes it
//! produce unbounded output, and leaves it either working or closed with
//! a reason.

#[path = "session/harness.rs"]
mod harness;

use harness::*;
use oncp_core::oncp::session::*;
use oncp_core::time::{Duration, Instant};
use proptest::prelude::*;

/// Empties every output queue of a session (client or gateway: the same
/// `poll_*` methods on two types) and returns the bytes plus events taken.
macro_rules! drain_counting {
    ($session:expr) => {{
        let session = $session;
        let mut n = 0;
        while let Some(b) = session.poll_tls_transmit() {
            n += b.len();
        }
        while let Some(b) = session.poll_udp_transmit() {
            n += b.len();
        }
        while let Some(b) = session.poll_ip() {
            n += b.len();
        }
        while session.poll_event().is_some() {
            n += 1;
        }
        n
    }};
}

fn drain_client(c: &mut Polled<ClientSession>) -> usize {
    drain_counting!(c)
}

fn drain_gateway(g: &mut Polled<GatewaySession>) -> usize {
    drain_counting!(g)
}

/// A pair set up to `phase_ms` milliseconds into the connection (0: the
/// request not even sent; 3000: ESP up).
fn pair_at(phase_ms: u64, seed: u64) -> Pair {
    let mut p = Pair::new(gateway_config(), client_options(), seed);
    p.run_for(Duration::from_millis(phase_ms));
    p
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn garbage_tls_and_udp_never_panic(
        phase in prop::sample::select(vec![0u64, 15, 25, 3000]),
        chunks in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..300), 1..8),
        seed in 1u64..1000,
    ) {
        let mut p = pair_at(phase, seed);
        let now = p.now + Duration::from_millis(1);
        p.collect();
        for chunk in &chunks {
            p.client.handle_tls(now, chunk);
            p.client.handle_udp(now, chunk);
            p.gateway.handle_tls(now, chunk);
            p.gateway.handle_udp(now, chunk);
            prop_assert!(drain_client(&mut p.client) < 100_000);
            prop_assert!(drain_gateway(&mut p.gateway) < 100_000);
        }
        // Timers still behave: either off, or in the future once handled.
        let later = Instant(now.0 + 1);
        p.client.handle_timeout(later);
        p.gateway.handle_timeout(later);
        prop_assert!(p.client.poll_timeout().is_none_or(|t| t > later));
        prop_assert!(p.gateway.poll_timeout().is_none_or(|t| t > later));
    }

    #[test]
    fn mangled_setup_bytes_end_cleanly(
        seed in 1u64..1000,
        flip in 0usize..400,
        bit in 0u8..8,
    ) {
        // The gateway's genuine setup output with one bit flipped: the
        // client either copes or ends with a Disconnected event.
        let mut p = Pair::new(gateway_config(), client_options(), seed);
        let now = p.now;
        let request = p.client.poll_tls_transmit().unwrap();
        p.gateway.handle_tls(now, &request);
        let mut stream: Vec<u8> = std::iter::from_fn(|| p.gateway.poll_tls_transmit())
            .flatten()
            .collect();
        p.client.handle_tls(now, &stream[..0]);
        let hostname = p.client.poll_tls_transmit();
        prop_assert!(hostname.is_none());
        let i = flip % stream.len();
        stream[i] ^= 1 << bit;
        p.client.handle_tls(now, &stream);
        let _ = p.client.poll_tls_transmit();
        p.gateway.handle_tls(now, &p.client.poll_tls_transmit().unwrap_or_default());
        let mut rest: Vec<u8> = std::iter::from_fn(|| p.gateway.poll_tls_transmit())
            .flatten()
            .collect();
        if !rest.is_empty() {
            let j = flip % rest.len();
            rest[j] ^= 1 << bit;
        }
        p.client.handle_tls(now, &rest);
        let events: Vec<_> = std::iter::from_fn(|| p.client.poll_event()).collect();
        let failed = events.iter().any(|e| matches!(e, ClientEvent::Disconnected(_)));
        prop_assert_eq!(failed, p.client.is_closed(), "{:?}", events);
        if p.client.is_closed() {
            prop_assert_eq!(p.client.poll_timeout(), None);
        }
    }
}
