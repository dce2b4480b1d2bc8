//! A gateway that accepts the connection and then stays silent: the
//! client's setup timer (`SETUP_TIMEOUT`) ends the session at start-up and
//! turns a silent reconnect into a lost connection (so the driver's
//! reconnect budget applies) — never a wait for ever.

#[path = "session/harness.rs"]
mod harness;

use harness::*;
use oncp_core::oncp::session::*;
use oncp_core::rng::TestRng;
use oncp_core::time::{Duration, Instant};

#[test]
fn silent_gateway_at_start_up_ends_the_session_after_the_setup_timeout() {
    let t0 = Instant::from_micros(5_000_000);
    let mut c = Polled::new(ClientSession::new(
        client_options(),
        Box::new(TestRng::new(7)),
        t0,
    ));
    assert!(c.poll_tls_transmit().is_some(), "the tunnel request");
    assert_eq!(c.poll_timeout(), Some(t0 + SETUP_TIMEOUT));
    // Early wake-ups and a partial answer do not end it.
    c.handle_timeout(t0 + Duration::from_secs(29));
    c.handle_tls(t0 + Duration::from_secs(29), b"HTTP/1.1 200 OK\r\n");
    assert!(c.poll_event().is_none());
    c.handle_timeout(t0 + SETUP_TIMEOUT);
    assert_eq!(
        c.poll_event(),
        Some(ClientEvent::Disconnected(DisconnectReason::SetupTimeout(
            SETUP_TIMEOUT.as_secs()
        )))
    );
    assert!(c.is_closed());
    assert_eq!(c.poll_timeout(), None);
    let msg = DisconnectReason::SetupTimeout(30).to_string();
    assert_eq!(
        msg,
        "the gateway accepted the connection but sent no configuration within 30 s"
    );
}

#[test]
fn silent_gateway_on_reconnect_counts_as_a_lost_connection() {
    let mut p = Pair::new(gateway_config(), client_options(), 11);
    p.run_for(Duration::from_secs(3));
    assert!(p.client_saw(|e| matches!(e, ClientEvent::Configured(_))));
    // The connection breaks; the new one is accepted but never answered.
    let now = p.now;
    p.client.handle_tls_closed(now);
    let mut events: Vec<_> = std::iter::from_fn(|| p.client.poll_event()).collect();
    assert!(events.contains(&ClientEvent::ReconnectNeeded), "{events:?}");
    p.client.reconnect(now);
    assert!(
        p.client.poll_tls_transmit().is_some(),
        "the tunnel request again"
    );
    assert_eq!(p.client.poll_timeout(), Some(now + SETUP_TIMEOUT));
    p.client.handle_timeout(now + SETUP_TIMEOUT);
    events = std::iter::from_fn(|| p.client.poll_event()).collect();
    assert_eq!(events, [ClientEvent::ReconnectNeeded]);
    assert!(!p.client.is_closed(), "the driver decides when to give up");
}
