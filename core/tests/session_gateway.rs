//! GatewaySession's output shapes that OpenConnect 9.01 depends on
//! (spec §3.6, §12): one oNCP record per TLS record during setup, a rekey
//! 302 alone in its record, termination in one record; and its answers to
//! bad tunnel requests.

#[path = "session/harness.rs"]
mod harness;

use std::net::Ipv4Addr;

use harness::*;
use oncp_core::oncp::session::*;
use oncp_core::oncp::wire::kmp::KMP_HEADER_LEN;
use oncp_core::oncp::wire::record::MAX_RECORD_PAYLOAD_IN_ONE_TLS_RECORD;
use oncp_core::oncp::wire::{Config, KmpMessage, KmpType, Route, TerminationReason};
use oncp_core::time::{Duration, Instant};

const REQUEST: &str = "POST /dana/js?prot=1&svc=4 HTTP/1.1\r\nConnection: close\r\n\
    Host: vpn.example.com\r\nCookie: DSID=0123456789abcdef0123456789abcdef\r\n\
    NCP-Version: 3\r\nContent-Length: 256\r\n\r\n";
const HOSTNAME: [u8; 21] = [
    0x13, 0, 0, 4, 0, 0, 0, 6, 0, b'd', b'e', b'b', b'i', b'a', b'n', 0xbb, 1, 0, 0, 0, 0,
];

fn gateway(cfg: GatewaySessionConfig) -> Polled<GatewaySession> {
    Pair::new_gateway(cfg, 1, Instant(0))
}

fn drain(g: &mut Polled<GatewaySession>) -> Vec<Vec<u8>> {
    std::iter::from_fn(|| g.poll_tls_transmit()).collect()
}

/// Splits one transmit item into its records' payloads; the item must
/// hold whole records only.
fn records(item: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut rest = item;
    while !rest.is_empty() {
        let len = u16::from_le_bytes([rest[0], rest[1]]) as usize;
        out.push(&rest[2..2 + len]);
        rest = &rest[2 + len..];
    }
    out
}

#[test]
fn setup_is_one_record_per_tls_record_even_for_a_huge_config() {
    let mut cfg = gateway_config();
    // ~2,500 routes: a 301 of about 35 KB, over several records.
    cfg.values.split_include = (0..2500u32)
        .map(|i| Route {
            addr: Ipv4Addr::from(0x0a00_0000 + (i << 8)),
            mask: Ipv4Addr::new(255, 255, 255, 0),
        })
        .collect();
    let mut g = gateway(cfg.clone());
    g.handle_tls(Instant(0), REQUEST.as_bytes());
    let out = drain(&mut g);
    assert!(out[0].starts_with(b"HTTP/1.1 200 "), "200 at once");
    assert_eq!(out.len(), 1, "nothing before the hostname packet");
    g.handle_tls(Instant(0), &HOSTNAME);
    assert_eq!(g.client_hostname(), "debian");
    let out = drain(&mut g);
    assert_eq!(out[0], [1, 0, 0], "status alone");
    assert!(out.len() >= 4, "301 in continuation records");
    let mut kmp = Vec::new();
    for item in &out[1..] {
        assert!(item.len() <= 2 + MAX_RECORD_PAYLOAD_IN_ONE_TLS_RECORD);
        let recs = records(item);
        assert_eq!(recs.len(), 1, "one record per TLS record");
        kmp.extend_from_slice(recs[0]);
    }
    let (msg, used) = KmpMessage::parse(&kmp).unwrap();
    assert_eq!(used, kmp.len());
    assert_eq!(msg.kmp_type(), KmpType::CONFIG);
    let parsed = Config::parse(&msg.payload).unwrap();
    assert_eq!(parsed.values().split_include, cfg.values.split_include);
    assert_eq!(parsed.values().esp.port, Some(4500));
    // And our client takes it.
    let mut p = Pair::new(cfg, client_options(), 41);
    p.run_for(Duration::from_secs(3));
    let Some((_, ClientEvent::Configured(c))) = p.client_events.first() else {
        panic!("{:?}", p.client_events)
    };
    assert_eq!(c.include_v4.len(), 2500);
    assert_eq!(p.client.transport(), Transport::Esp);
}

#[test]
fn rekey_and_termination_are_alone_in_their_records() {
    let mut p = Pair::new(gateway_config(), client_options(), 42);
    p.run_for(Duration::from_secs(3));
    let now = p.now;
    p.gateway.rekey(now);
    let items = drain(&mut p.gateway);
    let rekey = items.last().unwrap();
    let recs = records(rekey);
    assert_eq!(recs.len(), 1);
    let (msg, used) = KmpMessage::parse(recs[0]).unwrap();
    assert_eq!((msg.kmp_type(), used), (KmpType::ESP_KEYS, recs[0].len()));
    // Termination: exactly `00 00 RR`.
    p.gateway.terminate(TerminationReason::SESSION_EXPIRED);
    assert_eq!(drain(&mut p.gateway), [vec![0, 0, 1]]);
    assert!(p.gateway.is_closed());
    assert_eq!(p.gateway.poll_timeout(), None);
}

#[test]
fn oncp_switched_off_answers_the_hostname_packet_with_status_8() {
    use oncp_core::oncp::wire::Status;
    let mut g = gateway(gateway_config());
    g.inner.set_status(Status::ONCP_DISABLED);
    g.handle_tls(Instant(0), REQUEST.as_bytes());
    assert!(drain(&mut g)[0].starts_with(b"HTTP/1.1 200 "));
    g.handle_tls(Instant(0), &HOSTNAME);
    assert_eq!(drain(&mut g), [vec![1, 0, 8]], "status 8 alone, no 301");
    assert!(g.is_closed());
}

#[test]
fn largest_ip_packet_over_tls_fits_one_tls_record() {
    let mut opts = client_options();
    opts.esp = false;
    let mut p = Pair::new(gateway_config(), opts, 43);
    p.run_for(Duration::from_secs(3));
    let max = MAX_RECORD_PAYLOAD_IN_ONE_TLS_RECORD - KMP_HEADER_LEN;
    let now = p.now;
    p.gateway
        .send_ip(now, &packet(1, [10, 0, 0, 1], [10, 10, 1, 2], max));
    let items = drain(&mut p.gateway);
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].len(), 2 + MAX_RECORD_PAYLOAD_IN_ONE_TLS_RECORD);
    p.gateway
        .send_ip(now, &packet(2, [10, 0, 0, 1], [10, 10, 1, 2], max + 1));
    assert!(drain(&mut p.gateway).is_empty(), "too big for one record");
}

#[test]
fn bad_tunnel_requests_are_refused() {
    let check = |request: &str, status: &[u8], reason: DisconnectReason| {
        let mut g = gateway(gateway_config());
        // Fed byte by byte, as a slow client would.
        for b in request.as_bytes() {
            g.handle_tls(Instant(0), std::slice::from_ref(b));
        }
        let out = drain(&mut g);
        assert_eq!(out.len(), 1, "{request}");
        assert!(out[0].starts_with(status), "{request}");
        assert_eq!(g.poll_event(), Some(GatewayEvent::Disconnected(reason)));
        assert!(g.is_closed());
    };
    check(
        &REQUEST.replace("0123456789abcdef", "ffff"),
        b"HTTP/1.1 401",
        DisconnectReason::CookieRejected(401),
    );
    check(
        &REQUEST.replace("Cookie: DSID", "Cookie: OTHER"),
        b"HTTP/1.1 401",
        DisconnectReason::CookieRejected(401),
    );
    check(
        &REQUEST.replace("svc=4", "svc=1"),
        b"HTTP/1.1 404",
        DisconnectReason::HttpFailure(404),
    );
}

#[test]
fn esp_disable_without_enable_and_unknown_messages_are_harmless() {
    let mut g = gateway(gateway_config());
    g.handle_tls(Instant(0), REQUEST.as_bytes());
    g.handle_tls(Instant(0), &HOSTNAME);
    drain(&mut g);
    while g.poll_event().is_some() {}
    // §9.3: an ESP-disable first thing on a new connection; then a KMP
    // type nobody knows (304); then data still flows.
    let mut bytes = vec![
        0x21, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x2f, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x0d, 0, 6, 0, 0,
        0, 7, 0, 1, 0, 0, 0, 1, 0,
    ];
    bytes.extend([
        20, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x30, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0,
    ]);
    let p = packet(5, [10, 10, 1, 2], [10, 0, 0, 1], 30);
    bytes.extend(((p.len() + 20) as u16).to_le_bytes());
    bytes.extend([
        0, 0, 0, 0, 0, 0, 0x01, 0x2c, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 30,
    ]);
    bytes.extend(&p);
    g.handle_tls(Instant(1), &bytes);
    assert_eq!(g.poll_event(), None);
    assert_eq!(g.poll_ip(), Some(p));
    assert!(!g.is_closed());
    assert!(!g.esp_active());
}

#[test]
fn gateway_udp_accepts_only_authentic_datagrams() {
    let mut p = Pair::new(gateway_config(), client_options(), 44);
    p.run_for(Duration::from_secs(3));
    let now = p.now;
    assert!(!p.gateway.handle_udp(now, &[0u8; 52]));
    assert!(!p.gateway.handle_udp(now, &[]));
    let spi = p.gateway.inbound_spi().unwrap();
    let mut forged = vec![0u8; 100];
    forged[..4].copy_from_slice(&spi.to_be_bytes());
    assert!(!p.gateway.handle_udp(now, &forged));
    // A genuine client datagram is accepted once, refused when replayed.
    p.client
        .send_ip(now, &packet(1, [10, 10, 1, 2], [10, 0, 0, 1], 60));
    let d = p.client.poll_udp_transmit().unwrap();
    assert!(p.gateway.handle_udp(now, &d));
    assert!(!p.gateway.handle_udp(now, &d));
}

#[test]
fn malformed_and_ipv6_packets_are_not_sent() {
    let mut p = Pair::new(gateway_config(), client_options(), 45);
    p.run_for(Duration::from_secs(3));
    let good = packet(1, [10, 10, 1, 2], [10, 0, 0, 1], 60);
    let mut v6 = vec![0u8; 48];
    v6[0] = 0x60;
    v6[5] = 8;
    let bad = [
        good[..59].to_vec(),              // cut short
        [good.as_slice(), &[0]].concat(), // trailing byte
        v6.clone(),                       // IPv6: oNCP carries IPv4 only
        vec![],
    ];
    for b in &bad {
        assert_eq!(p.client_send(b), Via::NotSent);
    }
    assert_eq!(p.client.stats().unsendable, 4);
    assert!(matches!(p.client_send(&good), Via::Udp(_)));
    // The gateway may send IPv6 (OpenConnect accepts it) but nothing
    // malformed.
    for b in &bad[..2] {
        assert_eq!(p.gateway_send(b), Via::NotSent);
    }
    assert!(matches!(p.gateway_send(&v6), Via::Udp(_)));
    assert_eq!(p.gateway.stats().unsendable, 2);
    p.run_for(Duration::from_secs(1));
    assert_eq!(p.gateway_rx, [good]);
    assert_eq!(p.client_rx, [v6]);
}
