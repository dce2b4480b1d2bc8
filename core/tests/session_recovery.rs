//! ClientSession against GatewaySession when things go wrong: a TLS path
//! that died silently while ESP carried the data, UDP errors, probes that
//! overtake the keys, ESP turned off on one side.

#[path = "session/harness.rs"]
mod harness;

use harness::*;
use oncp_core::oncp::session::*;
use oncp_core::time::{Duration, Instant};

fn event_time(p: &Pair, f: impl Fn(&ClientEvent) -> bool) -> Option<Instant> {
    p.client_events.iter().find(|(_, e)| f(e)).map(|(t, _)| *t)
}

#[test]
fn expired_keys_with_a_dead_tls_path_force_a_reconnect() {
    // The gateway rekeys every 30 s (8/6 = 30), but the TLS connection has
    // died silently, so its 302 never arrives. The client notices its own
    // outbound lifetime ran out and, 10 s later without new keys,
    // reconnects (OpenConnect 9.01 would keep using the stale keys).
    let mut gw = gateway_config();
    gw.rekey_after = Some(Duration::from_secs(30));
    let mut p = Pair::new(gw.clone(), client_options(), 31);
    p.run_for(Duration::from_secs(3));
    let configured = event_time(&p, |e| matches!(e, ClientEvent::Configured(_))).unwrap();
    assert_eq!(p.client.transport(), Transport::Esp);
    p.tls_dead = true;
    // Traffic keeps ESP (and its DPD) happy the whole time.
    for i in 0..45 {
        p.client_send(&packet(i, C, S, 100));
        p.gateway_send(&packet(i, S, C, 100));
        p.run_for(Duration::from_secs(1));
    }
    let expired = event_time(&p, |e| {
        *e == ClientEvent::EspDown(EspDownReason::KeysExpired)
    })
    .expect("keys expired");
    assert_eq!(expired - configured, Duration::from_secs(40));
    assert_eq!(
        event_time(&p, |e| *e == ClientEvent::ReconnectNeeded),
        Some(expired)
    );
    assert!(!p.client_saw(|e| *e == ClientEvent::Rekeyed));
    assert!(!p.client_saw(|e| *e == ClientEvent::EspDown(EspDownReason::DeadPeer)));
    // The driver opens a new connection; a fresh session on the gateway.
    p.tls_dead = false;
    p.gateway = Pair::new_gateway(gw, 77, p.now);
    let now = p.now;
    p.client.reconnect(now);
    p.run_for(Duration::from_secs(3));
    p.assert_esp_carries(99);
}

#[test]
fn expired_keys_while_only_probing_just_stop_esp() {
    // Probes are never answered and the gateway's rekey is lost: when the
    // keys expire the client stops probing with them but keeps its TLS
    // tunnel (ESP never carried data, so there is nothing to recover).
    let mut gw = gateway_config();
    gw.rekey_after = Some(Duration::from_secs(30));
    let mut p = Pair::new(gw, client_options(), 32);
    p.blocked.insert(Dir::S2C);
    p.run_for(Duration::from_secs(1));
    p.tls_dead = true;
    p.run_for(Duration::from_secs(39));
    assert!(p.client.esp_port().is_some());
    p.run_for(Duration::from_secs(1));
    assert_eq!(p.client.esp_port(), None, "stale keys dropped at 40 s");
    p.run_for(Duration::from_secs(100));
    assert!(!p.client_saw(|e| *e == ClientEvent::ReconnectNeeded));
    assert!(!p.client_saw(|e| matches!(e, ClientEvent::EspDown(_))));
    assert_eq!(p.client.stats().probes_out, 5, "no probes with stale keys");
    assert_eq!(p.client.transport(), Transport::Tls);
    assert_eq!(p.client.poll_timeout(), None);
}

#[test]
fn udp_error_falls_back_and_probing_brings_esp_back() {
    let mut p = Pair::new(gateway_config(), client_options(), 33);
    p.run_for(Duration::from_secs(3));
    assert_eq!(p.client.transport(), Transport::Esp);
    let now = p.now;
    p.client.handle_udp_error(now);
    p.collect();
    assert_eq!(p.client.transport(), Transport::Tls);
    assert!(p.client_saw(|e| *e == ClientEvent::EspDown(EspDownReason::UdpError)));
    assert_eq!(p.client_send(&packet(1, C, S, 100)), Via::Tls);
    p.run_for(Duration::from_millis(100));
    assert!(p.gateway_saw(|e| *e == GatewayEvent::EspDown(EspDownReason::DisabledByPeer)));
    // Probing restarts one second later and ESP comes back.
    p.run_for(Duration::from_millis(1000));
    assert_eq!(p.client.transport(), Transport::Esp);
    assert_eq!(p.client_event_count(|e| *e == ClientEvent::EspUp), 2);
    // While probing, a UDP error changes nothing.
    let mut q = Pair::new(gateway_config(), client_options(), 34);
    q.blocked.insert(Dir::S2C);
    q.run_for(Duration::from_secs(2));
    let now = q.now;
    q.client.handle_udp_error(now);
    q.collect();
    assert!(!q.client_saw(|e| matches!(e, ClientEvent::EspDown(_))));
}

#[test]
fn a_probe_that_overtakes_the_keys_is_answered_when_they_arrive() {
    // UDP is faster than TLS: the first probe reaches the gateway before
    // the client's 302. The gateway answers as soon as the keys arrive, so
    // ESP is up after one probe, not after the second one a second later.
    let mut p = Pair::new(gateway_config(), client_options(), 35);
    p.tls_delay = Duration::from_millis(80);
    p.udp_delay = Duration::from_millis(5);
    p.run_for(Duration::from_millis(900));
    let configured = event_time(&p, |e| matches!(e, ClientEvent::Configured(_))).unwrap();
    let up = event_time(&p, |e| *e == ClientEvent::EspUp).expect("ESP up");
    // Keys reach the gateway 80 ms after the client configured; the reply
    // takes 5 ms.
    assert_eq!(up - configured, Duration::from_millis(85));
    assert_eq!(p.client.stats().probes_out, 1);
    assert_eq!(p.gateway.stats().probes_out, 1);
}

#[test]
fn a_client_without_esp_gets_no_rekeys() {
    let mut gw = gateway_config();
    gw.rekey_after = Some(Duration::from_secs(2));
    let mut opts = client_options();
    opts.esp = false;
    let mut p = Pair::new(gw, opts, 36);
    p.run_for(Duration::from_secs(10));
    assert!(p.client_saw(|e| matches!(e, ClientEvent::Configured(_))));
    assert_eq!(p.gateway.stats().rekeys, 0);
    assert!(p.gateway.inbound_spi().is_some());
    assert_eq!(p.client.stats().probes_out, 0);
    assert!(!p.client_saw(|e| matches!(e, ClientEvent::EspDown(_) | ClientEvent::Rekeyed)));
    assert_eq!(p.client_send(&packet(1, C, S, 100)), Via::Tls);
    assert_eq!(p.gateway_send(&packet(2, S, C, 100)), Via::Tls);
}

#[test]
fn reconnect_without_being_asked_tears_esp_down_first() {
    // The driver noticed the TLS loss itself and reconnects straight away.
    let mut p = Pair::new(gateway_config(), client_options(), 37);
    p.run_for(Duration::from_secs(3));
    assert_eq!(p.client.transport(), Transport::Esp);
    p.gateway = Pair::new_gateway(gateway_config(), 8, p.now);
    let now = p.now;
    p.client.reconnect(now);
    p.collect();
    assert!(p.client_saw(|e| *e == ClientEvent::EspDown(EspDownReason::TlsLost)));
    assert!(!p.client_saw(|e| *e == ClientEvent::ReconnectNeeded));
    assert_eq!(p.client.transport(), Transport::Tls);
    assert_eq!(p.client.esp_port(), None);
    assert_eq!(p.client_send(&packet(1, C, S, 100)), Via::NotSent);
    p.run_for(Duration::from_secs(3));
    p.assert_esp_carries(2);
}

#[test]
fn forced_dpd_interval_overrides_the_gateway_and_zero_is_clamped() {
    for (force, probes_in_60s) in [(Some(3), 19..=20), (Some(0), 58..=60), (None, 5..=6)] {
        let mut opts = client_options();
        opts.force_dpd = force.map(Duration::from_secs);
        let mut p = Pair::new(gateway_config(), opts, 38);
        p.run_for(Duration::from_secs(3));
        let before = p.client.stats().probes_out;
        p.run_for(Duration::from_secs(60));
        let n = p.client.stats().probes_out - before;
        assert!(probes_in_60s.contains(&n), "force {force:?}: {n} probes");
        assert_eq!(p.client.transport(), Transport::Esp, "force {force:?}");
        assert!(!p.client_saw(|e| matches!(e, ClientEvent::EspDown(_))));
    }
}
