//! ClientSession against GatewaySession on a simulated clock and link:
//! setup, ESP, fallback, rekey, compression, shutdown, reconnect.

#[path = "session/harness.rs"]
mod harness;

use harness::*;
use oncp_core::oncp::session::*;
use oncp_core::oncp::wire::{TerminationReason, UnknownTlv};
use oncp_core::time::{Duration, Instant};

fn up(p: &mut Pair) {
    p.run_for(Duration::from_secs(3));
    assert!(
        p.client_saw(|e| matches!(e, ClientEvent::Configured(_))),
        "{:?}",
        p.client_events
    );
}

#[test]
fn tunnel_over_tls_only() {
    let mut opts = client_options();
    opts.esp = false;
    let mut p = Pair::new(gateway_config(), opts, 1);
    up(&mut p);
    assert_eq!(p.client.transport(), Transport::Tls);
    assert_eq!(p.gateway.client_hostname(), "simclient");
    assert_eq!(p.gateway.client_mtu(), Some(1400));
    for i in 0..50 {
        assert_eq!(p.client_send(&packet(i, C, S, 100)), Via::Tls);
        assert_eq!(p.gateway_send(&packet(1000 + i, S, C, 1300)), Via::Tls);
    }
    p.run_for(Duration::from_secs(1));
    assert_eq!(p.gateway_rx.len(), 50);
    assert_eq!(p.client_rx.len(), 50);
    assert_eq!(p.client_udp_sent, 0, "no ESP probes with ESP off");
    let Some((_, ClientEvent::Configured(cfg))) = p.client_events.first() else {
        panic!()
    };
    assert_eq!(cfg.search_domains, ["corp.example"]);
}

#[test]
fn esp_comes_up_and_carries_data_both_ways() {
    let mut p = Pair::new(gateway_config(), client_options(), 2);
    up(&mut p);
    assert!(p.client_saw(|e| *e == ClientEvent::EspUp));
    assert!(p.gateway_saw(|e| *e == GatewayEvent::EspUp));
    assert_eq!(p.client.transport(), Transport::Esp);
    for i in 0..20 {
        assert!(matches!(p.client_send(&packet(i, C, S, 500)), Via::Udp(_)));
        assert!(matches!(
            p.gateway_send(&packet(100 + i, S, C, 500)),
            Via::Udp(_)
        ));
    }
    p.run_for(Duration::from_secs(1));
    assert_eq!(
        p.gateway_rx,
        (0..20).map(|i| packet(i, C, S, 500)).collect::<Vec<_>>()
    );
    assert_eq!(
        p.client_rx,
        (0..20)
            .map(|i| packet(100 + i, S, C, 500))
            .collect::<Vec<_>>()
    );
    let s = p.client.stats();
    assert_eq!((s.esp_packets_out, s.esp_packets_in), (20, 20));
    assert!(s.probes_out >= 1 && s.probes_in >= 1);
}

#[test]
fn esp_loss_falls_back_to_tls_then_recovers() {
    let mut p = Pair::new(gateway_config(), client_options(), 3);
    up(&mut p);
    assert_eq!(p.client.transport(), Transport::Esp);
    // Fresh ESP traffic, then the UDP path goes dark.
    p.gateway_send(&packet(1, S, C, 100));
    p.run_for(Duration::from_millis(10));
    let t_block = p.now;
    p.blocked.insert(Dir::C2S);
    p.blocked.insert(Dir::S2C);
    // DPD is 10 s: dead after more than 20 s without ESP traffic.
    p.run_for(Duration::from_secs(19));
    assert_eq!(p.client.transport(), Transport::Esp);
    p.run_for(Duration::from_secs(2));
    let (t_down, _) = p
        .client_events
        .iter()
        .find(|(_, e)| *e == ClientEvent::EspDown(EspDownReason::DeadPeer))
        .expect("ESP declared dead");
    assert!(
        *t_down - t_block > Duration::from_secs(20) && *t_down - t_block <= Duration::from_secs(21)
    );
    assert_eq!(p.client.transport(), Transport::Tls);
    assert!(p.gateway_saw(|e| matches!(e, GatewayEvent::EspDown(_))));
    // Data still flows, over TLS.
    assert_eq!(p.client_send(&packet(7, C, S, 200)), Via::Tls);
    assert_eq!(p.gateway_send(&packet(8, S, C, 200)), Via::Tls);
    p.run_for(Duration::from_secs(1));
    assert_eq!(p.gateway_rx.last().map(|x| packet_id(x)), Some(7));
    assert_eq!(p.client_rx.last().map(|x| packet_id(x)), Some(8));
    // UDP comes back: the client's probing brings ESP up again within one
    // attempt period.
    p.blocked.clear();
    p.run_for(Duration::from_secs(61));
    let ups = p.client_event_count(|e| *e == ClientEvent::EspUp);
    assert_eq!(ups, 2);
    assert_eq!(p.client.transport(), Transport::Esp);
    assert!(matches!(p.client_send(&packet(9, C, S, 200)), Via::Udp(_)));
}

#[test]
fn gateway_that_never_answers_probes() {
    let mut p = Pair::new(gateway_config(), client_options(), 4);
    p.blocked.insert(Dir::S2C);
    p.run_for(Duration::from_millis(130_500));
    assert!(!p.client_saw(|e| *e == ClientEvent::EspUp));
    assert_eq!(p.client.transport(), Transport::Tls);
    // Five probes per attempt, attempts 60 s apart: at 0-4, 60-64, 120-124.
    assert_eq!(p.client.stats().probes_out, 15);
    assert_eq!(p.client_send(&packet(1, C, S, 100)), Via::Tls);
}

#[test]
fn rekey_under_traffic_loses_nothing() {
    let mut gw = gateway_config();
    gw.rekey_after = Some(Duration::from_secs(2));
    let mut p = Pair::new(gw, client_options(), 5);
    up(&mut p);
    let mut sent = 0;
    for _ in 0..1000 {
        p.client_send(&packet(sent, C, S, 300));
        p.gateway_send(&packet(sent, S, C, 300));
        sent += 1;
        p.run_for(Duration::from_millis(7));
    }
    p.run_for(Duration::from_secs(1));
    let rekeys = p.client_event_count(|e| *e == ClientEvent::Rekeyed);
    assert!(rekeys >= 3, "{rekeys} rekeys");
    assert_eq!(p.gateway.stats().rekeys as usize, rekeys);
    let ids = |v: &Vec<Vec<u8>>| v.iter().map(|x| packet_id(x)).collect::<Vec<_>>();
    assert_eq!(ids(&p.gateway_rx), (0..sent).collect::<Vec<_>>());
    assert_eq!(ids(&p.client_rx), (0..sent).collect::<Vec<_>>());
    assert_eq!(p.client.transport(), Transport::Esp);
    assert_eq!(p.client.stats().esp_dropped, 0);
}

#[test]
fn compression_both_ways() {
    let mut gw = gateway_config();
    gw.compression = true;
    let mut opts = client_options();
    opts.compress_outbound = true;
    let mut p = Pair::new(gw, opts, 6);
    up(&mut p);
    let mut big = packet(42, C, S, 1400);
    big[24..].fill(b'x');
    for i in 0..10u32 {
        big[20..24].copy_from_slice(&i.to_be_bytes());
        p.client_send(&big);
        let mut back = big.clone();
        back[12..16].copy_from_slice(&S);
        back[16..20].copy_from_slice(&C);
        p.gateway_send(&back);
    }
    p.run_for(Duration::from_secs(1));
    assert_eq!(p.client.stats().lzo_out, 10);
    assert_eq!(p.client.stats().lzo_in, 10);
    assert_eq!(p.gateway.stats().lzo_in, 10);
    assert_eq!(p.gateway_rx.len(), 10);
    assert_eq!(&p.gateway_rx[3][24..], &big[24..]);
    // Without the option the client never compresses (like OpenConnect).
    let mut gw = gateway_config();
    gw.compression = true;
    let mut p = Pair::new(gw, client_options(), 6);
    up(&mut p);
    p.client_send(&big);
    p.run_for(Duration::from_secs(1));
    assert_eq!(p.client.stats().lzo_out, 0);
    assert_eq!(p.gateway_rx.len(), 1);
}

#[test]
fn clean_shutdown_and_termination() {
    let mut p = Pair::new(gateway_config(), client_options(), 7);
    up(&mut p);
    let now = p.now;
    p.client.close(now);
    p.collect();
    assert!(p.client_saw(|e| *e == ClientEvent::Disconnected(DisconnectReason::Closed)));
    let logout = String::from_utf8(p.client.logout_request()).unwrap();
    assert!(logout.starts_with("GET /dana-na/auth/logout.cgi HTTP/1.1\r\n"));
    assert!(logout.contains(DSID));
    // A gateway termination ends the client for good (no reconnect).
    let mut p = Pair::new(gateway_config(), client_options(), 8);
    up(&mut p);
    p.gateway.terminate(TerminationReason::IDLE_TIMEOUT);
    p.run_for(Duration::from_secs(1));
    assert!(p.client_saw(|e| *e
        == ClientEvent::Disconnected(DisconnectReason::Terminated(
            TerminationReason::IDLE_TIMEOUT.0
        ))));
    assert!(!p.client_saw(|e| *e == ClientEvent::ReconnectNeeded));
    assert!(p.client.is_closed());
}

#[test]
fn cookie_rejected_is_final() {
    let mut opts = client_options();
    opts.cookie = "DSID=wrong".into();
    let mut p = Pair::new(gateway_config(), opts, 9);
    p.run_for(Duration::from_secs(2));
    assert!(
        p.client_saw(|e| *e == ClientEvent::Disconnected(DisconnectReason::CookieRejected(401)))
    );
    assert!(p.gateway_saw(|e| matches!(
        e,
        GatewayEvent::Disconnected(DisconnectReason::CookieRejected(_))
    )));
}

#[test]
fn unknown_tlvs_reach_the_client_intact() {
    let mut gw = gateway_config();
    gw.values.unknown = vec![
        UnknownTlv {
            group: 1,
            attr: 9,
            value: vec![1, 2, 3],
        },
        UnknownTlv {
            group: 42,
            attr: 7,
            value: b"future".to_vec(),
        },
    ];
    let mut p = Pair::new(gw.clone(), client_options(), 10);
    up(&mut p);
    let Some((_, ClientEvent::Configured(cfg))) = p.client_events.first() else {
        panic!()
    };
    assert_eq!(cfg.extra.len(), 2);
    assert_eq!(config_values(cfg).unknown, gw.values.unknown);
    assert_eq!(
        p.client.config().map(|c| c.values().unknown.clone()),
        Some(gw.values.unknown.clone())
    );
    assert_eq!(p.client.transport(), Transport::Esp);
}

#[test]
fn reconnect_restores_tunnel_and_esp() {
    let mut p = Pair::new(gateway_config(), client_options(), 11);
    up(&mut p);
    assert_eq!(p.client.transport(), Transport::Esp);
    // The TLS connection breaks.
    let now = p.now;
    p.client.handle_tls_closed(now);
    p.gateway.handle_tls_closed(now);
    p.collect();
    assert!(p.client_saw(|e| *e == ClientEvent::ReconnectNeeded));
    assert!(p.client_saw(|e| *e == ClientEvent::EspDown(EspDownReason::TlsLost)));
    assert_eq!(p.client.transport(), Transport::Tls);
    // The driver reconnects: a new TLS connection, a new gateway session.
    p.run_for(Duration::from_secs(1));
    p.gateway = Pair::new_gateway(gateway_config(), 99, p.now);
    let now = p.now;
    p.client.reconnect(now);
    p.run_for(Duration::from_secs(3));
    let configured = p.client_event_count(|e| matches!(e, ClientEvent::Configured(_)));
    assert_eq!(configured, 2);
    // Unlike OpenConnect 9.01, ESP is probed again and comes back.
    p.assert_esp_carries(5);
}

#[test]
fn reconnect_with_a_different_address_is_refused() {
    let mut p = Pair::new(gateway_config(), client_options(), 12);
    up(&mut p);
    let now = p.now;
    p.client.handle_tls_closed(now);
    let mut other = gateway_config();
    other.values.address = Some(std::net::Ipv4Addr::new(10, 10, 1, 99));
    p.gateway = Pair::new_gateway(other, 5, now);
    p.client.reconnect(now);
    p.run_for(Duration::from_secs(2));
    assert!(p.client_saw(|e| *e == ClientEvent::Disconnected(DisconnectReason::AddressChanged)));
}

#[test]
fn probe_and_dpd_timers_follow_the_clock() {
    let mut p = Pair::new(gateway_config(), client_options(), 13);
    up(&mut p);
    let t0 = p.now;
    // Idle link: the client sends a DPD probe after D = 10 s of silence,
    // the gateway answers, ESP stays up indefinitely.
    let before = p.client.stats().probes_out;
    p.run_for(Duration::from_secs(100));
    let probes = p.client.stats().probes_out - before;
    assert!((9..=11).contains(&probes), "{probes} DPD probes in 100 s");
    assert_eq!(p.client.transport(), Transport::Esp);
    assert!(p.client.poll_timeout().unwrap() <= p.now + Duration::from_secs(10));
    assert!(p.now - t0 >= Duration::from_secs(100));
}

#[test]
fn rekey_under_heavy_traffic_with_a_slow_tls_path() {
    // 1,000 packets per second each way and 60 ms of TLS latency: after a
    // rekey the old SAs carry ~60 more packets each way before the new
    // keys are in use on the other side, far more than OpenConnect 9.01's
    // 32-packet grace. None may be lost.
    let mut gw = gateway_config();
    gw.rekey_after = Some(Duration::from_secs(2));
    let mut p = Pair::new(gw, client_options(), 14);
    p.tls_delay = Duration::from_millis(60);
    up(&mut p);
    let t_up = p
        .gateway_events
        .iter()
        .find(|(_, e)| *e == GatewayEvent::Configured)
        .unwrap()
        .0;
    let n = 7000;
    for i in 0..n {
        assert!(matches!(p.client_send(&packet(i, C, S, 200)), Via::Udp(_)));
        assert!(matches!(p.gateway_send(&packet(i, S, C, 200)), Via::Udp(_)));
        p.run_for(Duration::from_millis(1));
    }
    p.run_for(Duration::from_secs(1));
    let ids = |v: &Vec<Vec<u8>>| v.iter().map(|x| packet_id(x)).collect::<Vec<_>>();
    assert_eq!(ids(&p.gateway_rx), (0..n).collect::<Vec<_>>());
    assert_eq!(ids(&p.client_rx), (0..n).collect::<Vec<_>>());
    // Rekeys follow the clock: the gateway starts one every 2 s after the
    // configuration went out; the client installs the keys one TLS delay
    // later and the gateway completes when the client's 302 arrives.
    let times = |evs: Vec<Instant>| evs.iter().map(|t| *t - t_up).collect::<Vec<_>>();
    let client_rekeys = times(
        p.client_events
            .iter()
            .filter(|(_, e)| *e == ClientEvent::Rekeyed)
            .map(|(t, _)| *t)
            .collect(),
    );
    let gateway_rekeys = times(
        p.gateway_events
            .iter()
            .filter(|(_, e)| *e == GatewayEvent::Rekeyed)
            .map(|(t, _)| *t)
            .collect(),
    );
    let ms = Duration::from_millis;
    assert!(client_rekeys.len() >= 4, "{client_rekeys:?}");
    for (k, (c, g)) in client_rekeys.iter().zip(&gateway_rekeys).enumerate() {
        let start = Duration::from_secs(2 * (k as u64 + 1));
        assert_eq!(*c, start + ms(60), "client rekey {k}");
        assert_eq!(*g, start + ms(120), "gateway rekey {k}");
    }
    assert_eq!(p.client.stats().esp_dropped, 0);
    assert_eq!(p.gateway.stats().esp_dropped, 0);
}
