//! The trace decoder over synthetic captures: pcap and pcapng in both byte
//! orders, µs/ns timestamps, several link types, TCP reassembly, broken
//! input. Captures are built byte by byte here.

use oncp_core::trace::capture::{CaptureError, CaptureItem, CaptureReader, LinkType};
use oncp_core::trace::{Decoder, DecoderOptions, Direction, Event, Layer, TraceError, Value};
use proptest::prelude::*;

// ---- builders -------------------------------------------------------------

#[derive(Clone, Copy)]
enum Order {
    Le,
    Be,
}

fn u16b(o: Order, v: u16) -> [u8; 2] {
    match o {
        Order::Le => v.to_le_bytes(),
        Order::Be => v.to_be_bytes(),
    }
}
fn u32b(o: Order, v: u32) -> [u8; 4] {
    match o {
        Order::Le => v.to_le_bytes(),
        Order::Be => v.to_be_bytes(),
    }
}

/// A pcap file; `ns` selects nanosecond timestamps.
fn pcap(o: Order, ns: bool, link: u16, packets: &[(u64, Vec<u8>)]) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend_from_slice(&u32b(o, if ns { 0xa1b2_3c4d } else { 0xa1b2_c3d4 }));
    f.extend_from_slice(&u16b(o, 2));
    f.extend_from_slice(&u16b(o, 4));
    f.extend_from_slice(&[0; 8]);
    f.extend_from_slice(&u32b(o, 65535));
    f.extend_from_slice(&u32b(o, link.into()));
    for (t_us, data) in packets {
        f.extend_from_slice(&u32b(o, (t_us / 1_000_000) as u32));
        let frac = t_us % 1_000_000;
        f.extend_from_slice(&u32b(o, if ns { frac * 1000 } else { frac } as u32));
        f.extend_from_slice(&u32b(o, data.len() as u32));
        f.extend_from_slice(&u32b(o, data.len() as u32));
        f.extend_from_slice(data);
    }
    f
}

fn block(o: Order, t: u32, body: &[u8]) -> Vec<u8> {
    let mut padded = body.to_vec();
    while !padded.len().is_multiple_of(4) {
        padded.push(0);
    }
    let len = (padded.len() + 12) as u32;
    let mut b = Vec::new();
    b.extend_from_slice(&u32b(o, t));
    b.extend_from_slice(&u32b(o, len));
    b.extend_from_slice(&padded);
    b.extend_from_slice(&u32b(o, len));
    b
}

fn shb(o: Order) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&u32b(o, 0x1A2B_3C4D));
    body.extend_from_slice(&u16b(o, 1));
    body.extend_from_slice(&u16b(o, 0));
    body.extend_from_slice(&[0xff; 8]);
    block(o, 0x0A0D_0D0A, &body)
}

fn idb(o: Order, link: u16, tsresol: Option<u8>) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&u16b(o, link));
    body.extend_from_slice(&[0, 0]);
    body.extend_from_slice(&u32b(o, 0));
    if let Some(r) = tsresol {
        body.extend_from_slice(&u16b(o, 9));
        body.extend_from_slice(&u16b(o, 1));
        body.extend_from_slice(&[r, 0, 0, 0]);
        body.extend_from_slice(&[0; 4]);
    }
    block(o, 1, &body)
}

fn epb(o: Order, iface: u32, ts: u64, data: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&u32b(o, iface));
    body.extend_from_slice(&u32b(o, (ts >> 32) as u32));
    body.extend_from_slice(&u32b(o, ts as u32));
    body.extend_from_slice(&u32b(o, data.len() as u32));
    body.extend_from_slice(&u32b(o, data.len() as u32));
    body.extend_from_slice(data);
    block(o, 6, &body)
}

fn spb(o: Order, data: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&u32b(o, data.len() as u32));
    body.extend_from_slice(data);
    block(o, 3, &body)
}

fn dsb(o: Order, text: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&u32b(o, 0x544c_534b));
    body.extend_from_slice(&u32b(o, text.len() as u32));
    body.extend_from_slice(text);
    block(o, 10, &body)
}

fn ipv4(src: [u8; 4], dst: [u8; 4], proto: u8, id: u16, frag: u16, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![0x45, 0];
    p.extend_from_slice(&((20 + payload.len()) as u16).to_be_bytes());
    p.extend_from_slice(&id.to_be_bytes());
    p.extend_from_slice(&frag.to_be_bytes());
    p.extend_from_slice(&[64, proto, 0, 0]);
    p.extend_from_slice(&src);
    p.extend_from_slice(&dst);
    p.extend_from_slice(payload);
    p
}

fn tcp(sp: u16, dp: u16, seq: u32, ack: u32, flags: u8, payload: &[u8]) -> Vec<u8> {
    let mut s = Vec::new();
    s.extend_from_slice(&sp.to_be_bytes());
    s.extend_from_slice(&dp.to_be_bytes());
    s.extend_from_slice(&seq.to_be_bytes());
    s.extend_from_slice(&ack.to_be_bytes());
    s.extend_from_slice(&[0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
    s.extend_from_slice(payload);
    s
}

fn udp(sp: u16, dp: u16, payload: &[u8]) -> Vec<u8> {
    let mut s = Vec::new();
    s.extend_from_slice(&sp.to_be_bytes());
    s.extend_from_slice(&dp.to_be_bytes());
    s.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    s.extend_from_slice(&[0, 0]);
    s.extend_from_slice(payload);
    s
}

fn ether(ip: &[u8], vlan: Option<u16>) -> Vec<u8> {
    let mut f = vec![2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2];
    if let Some(v) = vlan {
        f.extend_from_slice(&[0x81, 0x00]);
        f.extend_from_slice(&v.to_be_bytes());
    }
    f.extend_from_slice(&[0x08, 0x00]);
    f.extend_from_slice(ip);
    f
}

fn sll2(ip: &[u8]) -> Vec<u8> {
    let mut f = vec![0x08, 0x00, 0, 0, 0, 0, 0, 1, 0, 1, 0, 6];
    f.extend_from_slice(&[0; 8]);
    f.extend_from_slice(ip);
    f
}

const C: [u8; 4] = [10, 0, 0, 1];
const S: [u8; 4] = [10, 0, 0, 2];
const SYN: u8 = 0x02;
const ACK: u8 = 0x10;
const FIN: u8 = 0x01;
const PSH: u8 = 0x08;

/// A client→server TCP connection with reordering, a retransmission, an
/// overlap and a FIN exchange; returns IP packets with their times.
fn tcp_session() -> Vec<(u64, Vec<u8>)> {
    let t = 1_700_000_000_000_000u64;
    let c = |seq, ack, flags, p: &[u8]| ipv4(C, S, 6, 1, 0, &tcp(40000, 8080, seq, ack, flags, p));
    let s = |seq, ack, flags, p: &[u8]| ipv4(S, C, 6, 1, 0, &tcp(8080, 40000, seq, ack, flags, p));
    vec![
        (t, c(100, 0, SYN, b"")),
        (t + 10, s(500, 101, SYN | ACK, b"")),
        (t + 20, c(101, 501, ACK, b"")),
        (t + 30, c(106, 501, ACK | PSH, b"world")), // out of order
        (t + 40, c(101, 501, ACK | PSH, b"hello")),
        (t + 50, c(101, 501, ACK | PSH, b"hello")), // retransmission
        (t + 60, c(109, 501, ACK | PSH, b"ld!")),   // overlap
        (t + 70, s(501, 112, ACK | PSH, b"ok")),
        (t + 80, c(112, 503, ACK | FIN, b"")),
        (t + 90, s(503, 113, ACK | FIN, b"")),
        (t + 100, c(113, 504, ACK, b"")),
    ]
}

fn decode_all(file: &[u8], chunk: usize) -> Vec<Event> {
    let mut d = Decoder::new(DecoderOptions::default());
    let mut events = Vec::new();
    for c in file.chunks(chunk.max(1)) {
        d.push(c);
        while let Some(e) = d.poll_event() {
            events.push(e);
        }
    }
    d.finish();
    while let Some(e) = d.poll_event() {
        events.push(e);
    }
    events
}

fn lines(events: &[Event]) -> Vec<String> {
    events.iter().map(|e| e.to_string()).collect()
}

fn summaries(events: &[Event], layer: Layer) -> Vec<&str> {
    events
        .iter()
        .filter(|e| e.layer == layer)
        .map(|e| e.summary.as_str())
        .collect()
}

// ---- tests ----------------------------------------------------------------

#[test]
fn pcap_byte_orders_and_resolutions_agree() {
    let packets: Vec<_> = tcp_session()
        .into_iter()
        .map(|(t, ip)| (t, ether(&ip, None)))
        .collect();
    let le_us = decode_all(&pcap(Order::Le, false, 1, &packets), 1 << 20);
    let be_ns = decode_all(&pcap(Order::Be, true, 1, &packets), 7);
    // Everything but the header event and byte ranges agree.
    let strip = |ev: &[Event]| -> Vec<(Option<u64>, Option<Direction>, String)> {
        ev.iter()
            .skip(1)
            .map(|e| (e.time_us, e.direction, e.summary.clone()))
            .collect()
    };
    assert_eq!(strip(&le_us), strip(&be_ns));
    assert_eq!(
        le_us[0].field("byte_order"),
        Some(&Value::Text("little-endian".into()))
    );
    assert_eq!(
        be_ns[0].field("timestamps"),
        Some(&Value::Text("ns".into()))
    );

    let tcp = summaries(&le_us, Layer::Tcp);
    assert_eq!(
        tcp,
        vec![
            "10.0.0.1:40000 -> 10.0.0.2:8080 [S] seq=100 len=0",
            "10.0.0.2:8080 -> 10.0.0.1:40000 [S.] seq=500 len=0",
            "10.0.0.1:40000 -> 10.0.0.2:8080 [P.] seq=106 len=5 out-of-order",
            "flow 0 is not TLS; not decoded",
            "10.0.0.1:40000 -> 10.0.0.2:8080 [P.] seq=101 len=5 retransmission",
            "10.0.0.1:40000 -> 10.0.0.2:8080 [P.] seq=109 len=3 overlap",
            "10.0.0.1:40000 -> 10.0.0.2:8080 [F.] seq=112 len=0",
            "10.0.0.2:8080 -> 10.0.0.1:40000 [F.] seq=503 len=0",
            "connection 0 10.0.0.1:40000 <-> 10.0.0.2:8080 closed",
        ]
    );
    let closed = le_us
        .iter()
        .find(|e| e.summary.starts_with("connection 0"))
        .unwrap();
    assert_eq!(closed.field("client_bytes"), Some(&Value::Uint(11)));
    assert_eq!(closed.field("server_bytes"), Some(&Value::Uint(2)));
    let syn = le_us.iter().find(|e| e.summary.contains("[S]")).unwrap();
    assert_eq!(syn.time_us, Some(1_700_000_000_000_000));
    assert_eq!(syn.direction, Some(Direction::ClientToServer));
    assert_eq!(syn.source, Some(24..24 + 16 + 54));
}

#[test]
fn pcapng_interfaces_resolutions_spb_and_secrets() {
    for o in [Order::Le, Order::Be] {
        let session = tcp_session();
        let mut f = shb(o);
        f.extend(idb(o, 1, None)); // Ethernet, µs
        f.extend(idb(o, 276, Some(9))); // SLL2, ns
        f.extend(dsb(o, b"# comment\nCLIENT_RANDOM zz\n"));
        for (i, (t, ip)) in session.iter().enumerate() {
            if i % 2 == 0 {
                f.extend(epb(o, 0, *t, &ether(ip, Some(42))));
            } else {
                f.extend(epb(o, 1, *t * 1000, &sll2(ip)));
            }
        }
        f.extend(spb(
            o,
            &ether(&ipv4(C, S, 17, 9, 0, &udp(1, 2, b"x")), None),
        ));
        f.extend(epb(o, 5, 0, b"")); // undeclared interface
        let events = decode_all(&f, 13);
        let all = lines(&events);
        assert!(all[0].contains("pcapng file"), "{all:#?}");
        assert_eq!(
            summaries(&events, Layer::Capture)[1..3],
            ["interface 0", "interface 1"]
        );
        let keylog = events
            .iter()
            .find(|e| e.summary.starts_with("decryption secrets block"))
            .unwrap();
        assert_eq!(keylog.field("errors"), Some(&Value::Uint(1)));
        let tcp = summaries(&events, Layer::Tcp);
        assert_eq!(tcp.len(), 9, "{all:#?}");
        let fin = events
            .iter()
            .find(|e| e.summary.contains("[F.] seq=503"))
            .unwrap();
        assert_eq!(fin.time_us, Some(1_700_000_000_000_090));
        assert!(events.iter().any(|e| matches!(
            e.error,
            Some(TraceError::Capture(CaptureError::UnknownInterface {
                interface: 5,
                ..
            }))
        )));
    }
}

#[test]
fn reader_reports_items_in_order() {
    let f = pcap(Order::Le, false, 101, &[(5, ipv4(C, S, 1, 0, 0, b"ping"))]);
    let mut r = CaptureReader::default();
    r.push(&f[..30]);
    assert!(matches!(
        r.next_item(),
        Some(CaptureItem::Format { format: "pcap", .. })
    ));
    assert!(r.next_item().is_none());
    r.push(&f[30..]);
    match r.next_item() {
        Some(CaptureItem::Packet(p)) => {
            assert_eq!(p.link_type, LinkType::RAW);
            assert_eq!(p.time_us, Some(5));
            assert_eq!(p.data.len(), 24);
            assert_eq!(p.source, 24..64);
        }
        other => panic!("{other:?}"),
    }
    assert!(r.next_item().is_none());
    assert_eq!(r.finish(), None);
}

#[test]
fn fragments_are_reassembled() {
    let payload = udp(5000, 53, &[7u8; 30]);
    let first = ipv4(C, S, 17, 77, 0x2000, &payload[..16]);
    let second = ipv4(C, S, 17, 77, 2, &payload[16..]);
    let f = pcap(Order::Le, false, 228, &[(1, second), (2, first)]);
    let mut d = Decoder::new(DecoderOptions {
        packet_events: true,
        ..Default::default()
    });
    d.push(&f);
    d.finish();
    let events: Vec<_> = std::iter::from_fn(|| d.poll_event()).collect();
    let s: Vec<_> = events.iter().map(|e| e.summary.as_str()).collect();
    assert!(
        s.contains(&"reassembled 10.0.0.1 -> 10.0.0.2 (38 bytes)"),
        "{s:#?}"
    );
    assert!(
        s.contains(&"10.0.0.1:5000 -> 10.0.0.2:53 30 bytes"),
        "{s:#?}"
    );
}

#[test]
fn tcp_gap_is_reported_when_acked() {
    let t = 1_000_000u64;
    let c = |seq, flags, p: &[u8]| ipv4(C, S, 6, 1, 0, &tcp(40000, 443, seq, 1, flags, p));
    let s = |ack| ipv4(S, C, 6, 1, 0, &tcp(443, 40000, 1, ack, ACK, b""));
    let packets = vec![
        (t, c(100, SYN, b"")),
        (t + 1, c(101, ACK, b"abc")),
        // 104..110 never captured
        (t + 2, c(110, ACK, b"xyz")),
        (t + 3, s(113)),
    ];
    let events = decode_all(&pcap(Order::Le, false, 101, &packets), 64);
    let gap = events.iter().find(|e| e.is_error()).unwrap();
    assert_eq!(
        gap.error,
        Some(TraceError::TcpGap {
            offset: 3,
            missing: 6
        })
    );
    assert_eq!(gap.direction, Some(Direction::ClientToServer));
    assert_eq!(gap.time_us, Some(t + 3));
    let end = events.last().unwrap();
    assert_eq!(end.field("missing_bytes"), Some(&Value::Uint(6)));
    assert_eq!(end.field("client_bytes"), Some(&Value::Uint(6)));
}

#[test]
fn tls_flows_reach_the_tls_layer() {
    let c = |seq, flags, p: &[u8]| ipv4(C, S, 6, 1, 0, &tcp(40000, 443, seq, 1, flags, p));
    // A ClientHello record whose body is cut short: the TLS layer reports it.
    let packets = vec![
        (1, c(100, SYN, b"")),
        (2, c(101, ACK, &[22, 3, 1, 0, 4, 1, 0, 0, 0])),
    ];
    let events = decode_all(&pcap(Order::Le, false, 101, &packets), 1000);
    let tls: Vec<_> = events.iter().filter(|e| e.layer == Layer::Tls).collect();
    assert!(!tls.is_empty(), "{:#?}", lines(&events));
    assert!(tls.iter().any(|e| e.is_error()));
    assert!(tls.iter().all(|e| e.field("flow") == Some(&Value::Uint(0))));
}

#[test]
fn broken_files_give_errors() {
    let events = decode_all(b"GARBAGE!GARBAGE!", 3);
    assert!(matches!(
        events[0].error,
        Some(TraceError::Capture(CaptureError::BadMagic {
            magic: 0x4741_5242
        }))
    ));
    let f = pcap(
        Order::Be,
        false,
        1,
        &[(1, ether(&ipv4(C, S, 1, 0, 0, b"x"), None))],
    );
    let events = decode_all(&f[..f.len() - 3], 5);
    assert!(matches!(
        events.last().unwrap().error,
        Some(TraceError::Capture(CaptureError::Truncated {
            offset: 24,
            what: "packet record",
            ..
        }))
    ));
    let mut big = pcap(Order::Le, false, 1, &[]);
    big.extend_from_slice(&[0; 8]);
    big.extend_from_slice(&u32::MAX.to_le_bytes());
    big.extend_from_slice(&[0; 4]);
    let events = decode_all(&big, 100);
    assert!(matches!(
        events[1].error,
        Some(TraceError::Capture(CaptureError::TooLong { .. }))
    ));
    let mut ng = shb(Order::Le);
    ng.extend(block(Order::Le, 6, &[0; 8]));
    let events = decode_all(&ng, 100);
    assert!(matches!(
        events[1].error,
        Some(TraceError::Capture(CaptureError::BlockTooShort { .. }))
    ));
    let mut bad_link = pcap(Order::Le, false, 999, &[(1, vec![1, 2, 3])]);
    bad_link.truncate(bad_link.len());
    let events = decode_all(&bad_link, 100);
    assert!(events[1].summary.contains("link type 999 is not supported"));
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..600), chunk in 1usize..64) {
        let _ = decode_all(&data, chunk);
    }

    #[test]
    fn arbitrary_records_never_panic(body in proptest::collection::vec(any::<u8>(), 0..600), link in prop::sample::select(vec![0u16, 1, 101, 108, 113, 228, 229, 276])) {
        let mut f = pcap(Order::Le, false, link, &[]);
        f.extend_from_slice(&body);
        let _ = decode_all(&f, 17);
    }

    #[test]
    fn arbitrary_segments_never_panic(segs in proptest::collection::vec((any::<u32>(), 0u8..32, proptest::collection::vec(any::<u8>(), 0..40), any::<bool>()), 0..30)) {
        let packets: Vec<_> = segs
            .iter()
            .enumerate()
            .map(|(i, (seq, flags, p, from_client))| {
                let seg = if *from_client { tcp(1000, 443, *seq, seq ^ 7, *flags, p) } else { tcp(443, 1000, *seq, seq ^ 7, *flags, p) };
                let (a, b) = if *from_client { (C, S) } else { (S, C) };
                (i as u64, ipv4(a, b, 6, 0, 0, &seg))
            })
            .collect();
        let _ = decode_all(&pcap(Order::Le, false, 101, &packets), 999);
    }
}
