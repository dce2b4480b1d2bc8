//! UDP super-packets through the ESP decoder: real ESP packets of one SA,
//! sealed one by one and joined as a GSO sender hands them to the kernel,
//! decode segment by segment; a segment with a bad ICV is reported alone;
//! a lone packet is not taken apart.

use alloc::string::String;
use alloc::vec::Vec;
use core::net::{IpAddr, Ipv4Addr, SocketAddr};

use super::esp::EspRegistry;
use crate::esp::{Cipher, Integrity, NextHeader, OutboundSa, SaLifetime, SaParams};
use crate::rng::TestRng;
use crate::time::Instant;
use crate::trace::Direction;
use crate::trace::event::{Event, Layer, Value};

const SPI: u32 = 0x7767_d6fc;

fn params() -> SaParams {
    SaParams::new(SPI, Cipher::Aes128Cbc, Integrity::HmacSha1_96, &[0x42; 64])
}

/// An IPv4/UDP packet of `len` bytes whose IP ID is `id`.
fn ipv4(len: usize, id: u16) -> Vec<u8> {
    let mut p = alloc::vec![0u8; len];
    p[0] = 0x45;
    p[2..4].copy_from_slice(&(len as u16).to_be_bytes());
    p[4..6].copy_from_slice(&id.to_be_bytes());
    p[8] = 64;
    p[9] = 17;
    p[12..16].copy_from_slice(&[10, 0, 0, 1]);
    p[16..20].copy_from_slice(&[10, 0, 0, 2]);
    p[20..22].copy_from_slice(&5001u16.to_be_bytes());
    p[22..24].copy_from_slice(&40000u16.to_be_bytes());
    p[24..26].copy_from_slice(&((len - 20) as u16).to_be_bytes());
    p
}

/// ESP packets carrying inner packets of `lens` bytes, sealed in order.
fn sealed(lens: &[usize]) -> Vec<Vec<u8>> {
    let mut sa = OutboundSa::new(&params(), Instant(0), SaLifetime::default());
    let mut rng = TestRng::new(3);
    lens.iter()
        .enumerate()
        .map(|(i, &len)| {
            sa.encrypt(&ipv4(len, i as u16), NextHeader::IPV4, &mut rng)
                .unwrap()
        })
        .collect()
}

fn decode(datagram: &[u8]) -> Vec<Event> {
    let mut esp = EspRegistry::default();
    esp.add(
        &params(),
        Some(Direction::ServerToClient),
        String::from("test"),
    );
    let gateway: SocketAddr = (IpAddr::V4(Ipv4Addr::new(198, 51, 100, 1)), 4500).into();
    let client: SocketAddr = (IpAddr::V4(Ipv4Addr::new(192, 0, 2, 10)), 50000).into();
    assert!(esp.claims(gateway, client, datagram));
    let mut out = Vec::new();
    esp.decode(gateway, client, datagram, false, &mut out);
    out.into_iter().map(|(_, e)| e).collect()
}

fn text(e: &Event, name: &str) -> Option<String> {
    match e.field(name)? {
        Value::Text(t) => Some(t.clone()),
        Value::Uint(n) => Some(alloc::format!("{n}")),
        other => Some(alloc::format!("{other:?}")),
    }
}

#[test]
fn every_segment_of_a_super_packet_is_decoded() {
    // Equal segments and a shorter last one, as UDP_SEGMENT cuts them.
    let parts = sealed(&[1000, 1000, 1000, 300]);
    assert_eq!(parts[0].len(), parts[2].len());
    let datagram = parts.concat();
    let events = decode(&datagram);
    let esp: Vec<&Event> = events.iter().filter(|e| e.layer == Layer::Esp).collect();
    let inner: Vec<&Event> = events.iter().filter(|e| e.layer == Layer::Inner).collect();
    let all: Vec<String> = events.iter().map(|e| alloc::format!("{e}")).collect();
    assert_eq!((esp.len(), inner.len()), (4, 4), "{all:#?}");
    for (k, e) in esp.iter().enumerate() {
        assert!(e.error.is_none(), "{all:#?}");
        assert_eq!(text(e, "icv").as_deref(), Some("good"));
        assert_eq!(text(e, "seq"), Some(alloc::format!("{k}")));
        assert_eq!(text(e, "segment"), Some(alloc::format!("{}/4", k + 1)));
        assert_eq!(
            text(e, "length"),
            Some(alloc::format!("{}", parts[k].len()))
        );
        assert_eq!(
            text(e, "datagram_length"),
            Some(alloc::format!("{}", datagram.len()))
        );
        assert!(
            e.summary.ends_with(" of a UDP super-packet)"),
            "{}",
            e.summary
        );
    }
    assert!(all[all.len() - 1].contains("300"), "{all:#?}");
}

#[test]
fn a_damaged_segment_is_reported_and_the_others_decode() {
    let parts = sealed(&[500, 500, 500]);
    let mut datagram = parts.concat();
    let second_icv = 2 * parts[0].len() - 1;
    datagram[second_icv] ^= 0x80;
    let events = decode(&datagram);
    let esp: Vec<&Event> = events.iter().filter(|e| e.layer == Layer::Esp).collect();
    let icv: Vec<Option<String>> = esp.iter().map(|e| text(e, "icv")).collect();
    assert_eq!(
        icv,
        [Some("good".into()), Some("bad".into()), Some("good".into())]
    );
    assert_eq!(text(esp[1], "segment").as_deref(), Some("2/3"));
    assert_eq!(events.iter().filter(|e| e.layer == Layer::Inner).count(), 2);
}

#[test]
fn a_lone_packet_is_not_taken_apart() {
    let parts = sealed(&[1400]);
    let events = decode(&parts[0]);
    assert_eq!(events.len(), 2);
    assert!(events.iter().all(|e| e.field("segment").is_none()));
    // A damaged lone packet stays one bad packet.
    let mut bad = parts[0].clone();
    bad[100] ^= 1;
    let events = decode(&bad);
    assert_eq!(events.len(), 1);
    assert_eq!(text(&events[0], "icv").as_deref(), Some("bad"));
    assert!(events[0].field("segment").is_none());
}
