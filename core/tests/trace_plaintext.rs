//! `DecoderOptions::plaintext` over the real captures in `testdata/`: each
//! decrypted event carries the bytes it was decoded from, and they agree
//! with its fields (an inner packet is the IPv4 packet its fields describe,
//! an oNCP event's bytes start with its KMP header); secrets stay withheld
//! unless asked for; nothing else about the events changes.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;

use oncp_core::trace::{Decoder, DecoderOptions, Event, Layer, Plaintext, Value};

fn decode(name: &str, plaintext: bool, show_secrets: bool) -> Vec<Event> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata");
    let pcap = std::fs::read(dir.join(format!("{name}.pcap"))).unwrap();
    let keys = std::fs::read(dir.join(format!("{name}.keys"))).unwrap();
    let mut d = Decoder::new(DecoderOptions {
        plaintext,
        show_secrets,
        ..Default::default()
    });
    d.add_keylog(&keys);
    let mut out = Vec::new();
    for c in pcap.chunks(2000) {
        d.push(c);
        out.extend(std::iter::from_fn(|| d.poll_event()));
    }
    d.finish();
    out.extend(std::iter::from_fn(|| d.poll_event()));
    out
}

fn field<'a>(e: &'a Event, name: &str) -> &'a Value {
    e.field(name)
        .unwrap_or_else(|| panic!("{name} missing in {e}"))
}

fn uint(e: &Event, name: &str) -> u64 {
    match field(e, name) {
        Value::Uint(n) => *n,
        other => panic!("{name} of {e}: {other:?}"),
    }
}

fn bytes(e: &Event) -> &[u8] {
    match &e.plaintext {
        Some(Plaintext::Bytes(b)) => b,
        other => panic!("no plaintext bytes for {e}: {other:?}"),
    }
}

/// The RFC 1071 checksum of an IPv4 header (0 when it verifies).
fn ipv4_header_sum(header: &[u8]) -> u16 {
    let mut sum: u32 = header
        .chunks(2)
        .map(|w| u32::from(u16::from_be_bytes([w[0], w[1]])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// The event's bytes are a valid IPv4 packet (or an IPv6 one) with the
/// event's addresses, protocol and length.
fn check_inner_ip(e: &Event) {
    let p = bytes(e);
    assert_eq!(uint(e, "length"), p.len() as u64, "{e}");
    assert_eq!(uint(e, "version"), u64::from(p[0] >> 4), "{e}");
    let (header_len, proto, src, dst) = match p[0] >> 4 {
        4 => {
            let ihl = usize::from(p[0] & 15) * 4;
            assert!(ihl >= 20 && p.len() >= ihl, "{e}: header length");
            assert_eq!(ipv4_header_sum(&p[..ihl]), 0, "{e}: header checksum");
            assert_eq!(
                usize::from(u16::from_be_bytes([p[2], p[3]])),
                p.len(),
                "{e}"
            );
            let addr = |o: usize| Ipv4Addr::new(p[o], p[o + 1], p[o + 2], p[o + 3]).to_string();
            (ihl, p[9], addr(12), addr(16))
        }
        6 => {
            assert_eq!(
                usize::from(u16::from_be_bytes([p[4], p[5]])) + 40,
                p.len(),
                "{e}"
            );
            let addr =
                |o: usize| Ipv6Addr::from(<[u8; 16]>::try_from(&p[o..o + 16]).unwrap()).to_string();
            (40, p[6], addr(8), addr(24))
        }
        v => panic!("{e}: IP version {v}"),
    };
    assert_eq!(uint(e, "protocol"), u64::from(proto), "{e}");
    assert_eq!(field(e, "src"), &Value::Text(src), "{e}");
    assert_eq!(field(e, "dst"), &Value::Text(dst), "{e}");
    if e.summary.contains("echo ") {
        let icmp = &p[header_len..];
        assert_eq!(uint(e, "icmp_type"), u64::from(icmp[0]), "{e}");
        assert_eq!(
            uint(e, "icmp_seq"),
            u64::from(u16::from_be_bytes([icmp[6], icmp[7]]))
        );
    }
}

fn inner_via<'a>(events: &'a [Event], via: &str) -> Vec<&'a Event> {
    events
        .iter()
        .filter(|e| e.layer == Layer::Inner && e.field("via") == Some(&Value::Text(via.into())))
        .collect()
}

#[test]
fn esp_inner_packets_are_the_ip_packets_their_fields_describe() {
    let events = decode("oc-esp", true, false);
    let inner = inner_via(&events, "esp");
    assert_eq!(
        inner.iter().filter(|e| e.summary.contains("echo")).count(),
        6
    );
    for e in &inner {
        check_inner_ip(e);
    }
    // The pings are IPv4 packets: the first byte of each is 0x45.
    assert!(
        inner
            .iter()
            .filter(|e| e.summary.starts_with("ICMP "))
            .all(|e| bytes(e)[0] == 0x45)
    );
    // Each ESP packet's decrypted payload is the inner packet after it.
    let mut esp_with_inner = 0;
    for w in events.windows(2) {
        if w[0].layer == Layer::Esp
            && w[0].summary.starts_with("ESP ")
            && w[1].layer == Layer::Inner
        {
            assert_eq!(bytes(&w[0]), bytes(&w[1]), "{}", w[0]);
            assert_eq!(uint(&w[0], "payload_length"), bytes(&w[0]).len() as u64);
            esp_with_inner += 1;
        }
    }
    assert_eq!(esp_with_inner, inner.len());
}

#[test]
fn tls_and_lzo_inner_packets_are_ip_packets_too() {
    let tls = decode("oc-tls", true, false);
    let inner = inner_via(&tls, "tls");
    assert!(inner.len() >= 6);
    inner.iter().for_each(|e| check_inner_ip(e));

    let lzo = decode("oc-lzo", true, false);
    let inner = inner_via(&lzo, "esp+lzo");
    assert!(!inner.is_empty());
    for e in &inner {
        check_inner_ip(e);
    }
    // The ESP event keeps the compressed payload; its inner event the
    // decompressed packet.
    let lzo_esp = lzo
        .iter()
        .find(|e| e.layer == Layer::Esp && e.field("next_header") == Some(&Value::Uint(5)))
        .unwrap();
    assert!(bytes(lzo_esp).len() < inner[0].plaintext.as_ref().unwrap().bytes().unwrap().len());
}

#[test]
fn oncp_events_carry_their_whole_kmp_message() {
    let events = decode("oc-esp", true, false);
    let oncp: Vec<&Event> = events
        .iter()
        .filter(|e| e.layer == Layer::Oncp && e.field("kmp").is_some())
        .collect();
    assert!(oncp.len() >= 3, "301, 302, 303 at least");
    for e in oncp {
        let kmp = uint(e, "kmp");
        if kmp == 301 || kmp == 302 {
            assert_eq!(
                e.plaintext,
                Some(Plaintext::Withheld),
                "{e}: carries ESP keys"
            );
            continue;
        }
        let m = bytes(e);
        assert_eq!(m.len() as u64, uint(e, "message_length"), "{e}");
        assert_eq!(&m[..6], &[0; 6], "{e}: header prefix");
        assert_eq!(u64::from(u16::from_be_bytes([m[6], m[7]])), kmp, "{e}");
        assert_eq!(
            u32::from_be_bytes([m[16], m[17], m[18], m[19]]) as usize,
            m.len() - 20,
            "{e}: payload length"
        );
    }
    let hostname = events
        .iter()
        .find(|e| e.summary.starts_with("hostname packet"))
        .unwrap();
    let Value::Text(name) = field(hostname, "hostname") else {
        panic!()
    };
    let b = bytes(hostname);
    assert!(b.windows(name.len()).any(|w| w == name.as_bytes()));
}

#[test]
fn secrets_are_in_the_plaintext_only_when_shown() {
    let events = decode("oc-esp", true, true);
    let config = events
        .iter()
        .find(|e| e.summary.starts_with("KMP 301"))
        .unwrap();
    let Value::Text(secrets) = field(config, "esp_secrets") else {
        panic!()
    };
    let hex: String = bytes(config).iter().map(|b| format!("{b:02x}")).collect();
    assert!(
        hex.contains(secrets.as_str()),
        "the 301 holds its 7/2 secrets"
    );
    assert_eq!(uint(config, "message_length"), bytes(config).len() as u64);

    let tunnel = |events: &[Event]| {
        events
            .iter()
            .find(|e| e.layer == Layer::Http && e.field("tunnel").is_some())
            .unwrap()
            .plaintext
            .clone()
    };
    let shown = tunnel(&events).unwrap();
    assert!(
        shown
            .bytes()
            .unwrap()
            .starts_with(b"POST /dana/js?prot=1&svc=4 HTTP/1.1\r\n")
    );
    assert!(shown.bytes().unwrap().ends_with(b"\r\n\r\n"));
    let hidden = decode("oc-esp", true, false);
    assert_eq!(
        tunnel(&hidden),
        Some(Plaintext::Withheld),
        "its Cookie is the DSID"
    );
}

#[test]
fn the_option_changes_nothing_else() {
    for name in ["oc-esp", "oc-tls", "oc-lzo", "oncp-reconnect"] {
        let with = decode(name, true, false);
        let without = decode(name, false, false);
        assert!(without.iter().all(|e| e.plaintext.is_none()), "{name}");
        assert!(with.iter().any(|e| e.plaintext.is_some()), "{name}");
        let text = |v: &[Event]| v.iter().map(|e| e.to_string()).collect::<Vec<_>>();
        assert_eq!(text(&with), text(&without), "{name}");
        // Only events that come out of decryption have plaintext.
        for e in &with {
            if e.plaintext.is_some() {
                assert!(
                    matches!(
                        e.layer,
                        Layer::Oncp | Layer::Esp | Layer::Inner | Layer::Http
                    ),
                    "{e}"
                );
            }
        }
    }
}
