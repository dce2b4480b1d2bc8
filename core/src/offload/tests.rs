//! Segmentation and coalescing against checksums computed independently
//! (with `netpkt::checksum` over the pseudo-header and segment bytes).

use alloc::vec;
use alloc::vec::Vec;

use super::vnet::{self, VnetHdr};
use super::{Coalescer, OffloadError, Push, Segmenter};
use crate::netpkt::checksum;

const SRC4: [u8; 4] = [10, 0, 0, 2];
const DST4: [u8; 4] = [10, 0, 0, 1];
const SRC6: [u8; 16] = [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];
const DST6: [u8; 16] = [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
const ACK: u8 = 0x10;
const PSH: u8 = 0x08;
const FIN: u8 = 0x01;
const CWR: u8 = 0x80;

fn pseudo(v6: bool, proto: u8, len: usize) -> Vec<u8> {
    let mut p = Vec::new();
    if v6 {
        p.extend_from_slice(&SRC6);
        p.extend_from_slice(&DST6);
        p.extend_from_slice(&(len as u32).to_be_bytes());
        p.extend_from_slice(&[0, 0, 0, proto]);
    } else {
        p.extend_from_slice(&SRC4);
        p.extend_from_slice(&DST4);
        p.extend_from_slice(&[0, proto]);
        p.extend_from_slice(&(len as u16).to_be_bytes());
    }
    p
}

/// The transport checksum of `l4` (its checksum field zero) computed
/// independently.
fn l4_checksum(v6: bool, proto: u8, l4: &[u8]) -> u16 {
    let mut all = pseudo(v6, proto, l4.len());
    all.extend_from_slice(l4);
    checksum(&all)
}

fn ip_header(v6: bool, proto: u8, id: u16, l4_len: usize) -> Vec<u8> {
    if v6 {
        let mut h = vec![0x60, 0, 0, 0];
        h.extend_from_slice(&(l4_len as u16).to_be_bytes());
        h.extend_from_slice(&[proto, 64]);
        h.extend_from_slice(&SRC6);
        h.extend_from_slice(&DST6);
        h
    } else {
        let mut h = vec![0x45, 0];
        h.extend_from_slice(&((20 + l4_len) as u16).to_be_bytes());
        h.extend_from_slice(&id.to_be_bytes());
        h.extend_from_slice(&[0x40, 0, 64, proto, 0, 0]);
        h.extend_from_slice(&SRC4);
        h.extend_from_slice(&DST4);
        let c = checksum(&h);
        h[10..12].copy_from_slice(&c.to_be_bytes());
        h
    }
}

/// A TCP packet with correct checksums and a timestamp option.
fn tcp(v6: bool, id: u16, seq: u32, flags: u8, payload: &[u8]) -> Vec<u8> {
    let mut t = Vec::new();
    t.extend_from_slice(&40000u16.to_be_bytes());
    t.extend_from_slice(&5201u16.to_be_bytes());
    t.extend_from_slice(&seq.to_be_bytes());
    t.extend_from_slice(&7777u32.to_be_bytes());
    t.extend_from_slice(&[0x80, flags, 0x01, 0xf5, 0, 0, 0, 0]);
    t.extend_from_slice(&[1, 1, 8, 10, 0, 0, 1, 2, 0, 0, 3, 4]);
    t.extend_from_slice(payload);
    let c = l4_checksum(v6, 6, &t);
    t[16..18].copy_from_slice(&c.to_be_bytes());
    let mut p = ip_header(v6, 6, id, t.len());
    p.extend_from_slice(&t);
    p
}

fn udp(v6: bool, payload: &[u8]) -> Vec<u8> {
    let mut u = Vec::new();
    u.extend_from_slice(&5000u16.to_be_bytes());
    u.extend_from_slice(&53u16.to_be_bytes());
    u.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    u.extend_from_slice(&[0, 0]);
    u.extend_from_slice(payload);
    let c = l4_checksum(v6, 17, &u);
    u[6..8].copy_from_slice(&c.to_be_bytes());
    let mut p = ip_header(v6, 17, 1, u.len());
    p.extend_from_slice(&u);
    p
}

/// As the kernel hands a super-packet over: the transport checksum holds
/// only the pseudo-header sum (folded, not inverted).
fn gso_frame(mut pkt: Vec<u8>, gso_type: u8, gso_size: u16) -> Vec<u8> {
    let v6 = pkt[0] >> 4 == 6;
    let l4 = if v6 { 40 } else { 20 };
    let (proto, at) = if (if v6 { pkt[6] } else { pkt[9] }) == 17 {
        (17, l4 + 6)
    } else {
        (6, l4 + 16)
    };
    let partial = !checksum(&pseudo(v6, proto, pkt.len() - l4));
    pkt[at..at + 2].copy_from_slice(&partial.to_be_bytes());
    let h = VnetHdr {
        flags: vnet::F_NEEDS_CSUM,
        gso_type,
        hdr_len: 0,
        gso_size,
        csum_start: l4 as u16,
        csum_offset: (at - l4) as u16,
    };
    let mut f = h.to_bytes().to_vec();
    f.extend_from_slice(&pkt);
    f
}

fn split(frame: &[u8]) -> Result<Vec<Vec<u8>>, OffloadError> {
    let mut s = Segmenter::new();
    let mut out = Vec::new();
    let mut f = frame.to_vec();
    let n = s.split(&mut f, |p| out.push(p.to_vec()))?;
    assert_eq!(n, out.len());
    Ok(out)
}

fn coalesce(packets: &[Vec<u8>]) -> Vec<(Vec<u8>, usize)> {
    let mut c = Coalescer::new();
    let mut frames = Vec::new();
    for p in packets {
        loop {
            match c.push(p) {
                Push::Taken => break,
                Push::FlushFirst => {
                    let f = c.take().unwrap();
                    frames.push((f.bytes.to_vec(), f.segments));
                }
                Push::TooLong => panic!("too long"),
            }
        }
    }
    if let Some(f) = c.take() {
        frames.push((f.bytes.to_vec(), f.segments));
    }
    assert!(c.is_empty());
    frames
}

/// Checks the IP length, IPv4 header checksum and transport checksum of
/// `p`; returns (l4 offset).
fn verify(p: &[u8]) -> usize {
    let v6 = p[0] >> 4 == 6;
    let l4 = if v6 {
        assert_eq!(usize::from(u16::from_be_bytes([p[4], p[5]])) + 40, p.len());
        40
    } else {
        assert_eq!(usize::from(u16::from_be_bytes([p[2], p[3]])), p.len());
        assert_eq!(checksum(&p[..20]), 0, "IPv4 header checksum");
        20
    };
    let proto = if v6 { p[6] } else { p[9] };
    let mut all = pseudo(v6, proto, p.len() - l4);
    all.extend_from_slice(&p[l4..]);
    assert_eq!(checksum(&all), 0, "transport checksum");
    l4
}

fn seq_of(p: &[u8], l4: usize) -> u32 {
    u32::from_be_bytes([p[l4 + 4], p[l4 + 5], p[l4 + 6], p[l4 + 7]])
}

#[test]
fn tso_read_becomes_checksummed_mss_segments() {
    for v6 in [false, true] {
        let payload: Vec<u8> = (0..10_000u32).map(|i| (i * 7) as u8).collect();
        let sup = tcp(v6, 100, 1_000, ACK | PSH | FIN | CWR, &payload);
        let kind = if v6 { vnet::GSO_TCPV6 } else { vnet::GSO_TCPV4 };
        let segs = split(&gso_frame(sup, kind, 1_388)).unwrap();
        assert_eq!(segs.len(), 8);
        let mut got = Vec::new();
        for (i, s) in segs.iter().enumerate() {
            let l4 = verify(s);
            let hdr = l4 + 32;
            assert!(s.len() - hdr <= 1_388);
            assert_eq!(seq_of(s, l4), 1_000 + (i as u32) * 1_388);
            let flags = s[l4 + 13];
            assert_eq!(flags & CWR != 0, i == 0);
            assert_eq!(flags & (FIN | PSH) != 0, i == 7);
            assert!(flags & ACK != 0);
            if !v6 {
                assert_eq!(u16::from_be_bytes([s[4], s[5]]), 100 + i as u16);
            }
            got.extend_from_slice(&s[hdr..]);
        }
        assert_eq!(got, payload);
    }
}

#[test]
fn plain_read_with_partial_checksum_is_completed() {
    let p = udp(false, b"hello, partial checksum");
    let mut f = gso_frame(p.clone(), vnet::GSO_NONE, 0);
    f[1] = vnet::GSO_NONE;
    let out = split(&f).unwrap();
    assert_eq!(out, [p]);
    let plain = [
        VnetHdr::default().to_bytes().to_vec(),
        tcp(true, 0, 5, ACK, b"x"),
    ]
    .concat();
    assert_eq!(split(&plain).unwrap(), [tcp(true, 0, 5, ACK, b"x")]);
}

#[test]
fn uso_read_becomes_udp_datagrams() {
    for v6 in [false, true] {
        let payload = vec![0xabu8; 3_000];
        let segs = split(&gso_frame(udp(v6, &payload), vnet::GSO_UDP_L4, 1_200)).unwrap();
        assert_eq!(segs.len(), 3);
        for s in &segs {
            let l4 = verify(s);
            let ulen = u16::from_be_bytes([s[l4 + 4], s[l4 + 5]]);
            assert_eq!(usize::from(ulen), s.len() - l4);
        }
        assert_eq!(segs[2].len() - if v6 { 48 } else { 28 }, 600);
    }
}

#[test]
fn bad_frames_are_errors() {
    assert_eq!(split(&[0; 5]), Err(OffloadError::ShortFrame));
    let sup = tcp(false, 0, 0, ACK, &[1; 3000]);
    assert_eq!(
        split(&gso_frame(sup.clone(), vnet::GSO_TCPV4, 0)),
        Err(OffloadError::ZeroSegmentSize)
    );
    assert_eq!(
        split(&gso_frame(sup.clone(), vnet::GSO_TCPV6, 1000)),
        Err(OffloadError::BadHeaders(vnet::GSO_TCPV6))
    );
    assert_eq!(
        split(&gso_frame(sup.clone(), vnet::GSO_UDP, 1000)),
        Err(OffloadError::UnsupportedGso(vnet::GSO_UDP))
    );
    let mut f = gso_frame(sup, vnet::GSO_NONE, 0);
    f[1] = 0;
    f[8] = 0xff;
    f[9] = 0xff;
    assert_eq!(split(&f), Err(OffloadError::BadChecksumOffsets));
}

#[test]
fn coalesced_frame_is_one_super_packet_with_a_partial_checksum() {
    for v6 in [false, true] {
        let segs: Vec<Vec<u8>> = (0..55u32)
            .map(|i| {
                let last = i == 54;
                let len = if last { 500 } else { 1_300 };
                tcp(
                    v6,
                    i as u16,
                    10 + i * 1_300,
                    if last { ACK | PSH } else { ACK },
                    &vec![i as u8; len],
                )
            })
            .collect();
        let frames = coalesce(&segs);
        assert_eq!(frames.len(), 2, "64 KB limit splits the run");
        assert_eq!(frames[0].1 + frames[1].1, 55);
        for (bytes, n) in &frames {
            let (h, p) = VnetHdr::parse(bytes).unwrap();
            assert_eq!(
                h.gso_kind(),
                if v6 { vnet::GSO_TCPV6 } else { vnet::GSO_TCPV4 }
            );
            assert_eq!(h.flags, vnet::F_NEEDS_CSUM);
            assert_eq!(usize::from(h.hdr_len), usize::from(h.csum_start) + 32);
            assert_eq!(h.gso_size, 1_300);
            assert!(p.len() <= 65_535 && *n > 1);
            // What the kernel does with the partial checksum.
            let mut whole = p.to_vec();
            super::segment::complete_checksum(&mut whole, h.csum_start, h.csum_offset).unwrap();
            verify(&whole);
        }
        let mut again = Vec::new();
        for (f, _) in &frames {
            again.extend(split(f).unwrap());
        }
        assert_eq!(again, segs);
    }
}

#[test]
fn packets_that_do_not_continue_the_run_are_written_alone() {
    let a = tcp(false, 1, 100, ACK, &[1; 1000]);
    let gap = tcp(false, 2, 1_200, ACK, &[1; 1000]);
    let mut bad = tcp(false, 3, 2_200, ACK, &[1; 1000]);
    let n = bad.len();
    bad[n - 1] ^= 1;
    let longer = tcp(false, 4, 3_200, ACK, &[1; 1200]);
    let u = udp(false, b"dns");
    let syn = tcp(false, 5, 0, 0x02, &[]);
    let input = [a, gap, bad, longer, u, syn];
    let frames = coalesce(&input);
    assert_eq!(frames.len(), input.len());
    for ((f, n), p) in frames.iter().zip(&input) {
        assert_eq!(*n, 1);
        assert_eq!(&f[..vnet::LEN], &[0; vnet::LEN]);
        assert_eq!(&f[vnet::LEN..], &p[..]);
    }
    // A short segment or PSH ends a run; a longer one after it starts anew.
    let run = [
        tcp(true, 0, 0, ACK, &[1; 1000]),
        tcp(true, 0, 1000, ACK, &[1; 500]),
        tcp(true, 0, 1500, ACK, &[1; 1000]),
        tcp(true, 0, 2500, ACK | PSH, &[1; 1000]),
        tcp(true, 0, 3500, ACK, &[1; 1000]),
    ];
    let counts: Vec<usize> = coalesce(&run).iter().map(|f| f.1).collect();
    assert_eq!(counts, [2, 2, 1]);
}

#[test]
fn overlong_packet_is_refused() {
    let mut c = Coalescer::new();
    assert_eq!(c.push(&vec![0x45; 70_000]), Push::TooLong);
    assert!(c.is_empty());
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]

    #[test]
    fn segment_then_coalesce_round_trips(
        v6: bool,
        len in 1usize..=60_000,
        mss in 536u16..=1_460,
        flags in proptest::sample::select(vec![ACK, ACK | PSH, ACK | FIN, ACK | PSH | FIN, ACK | CWR, ACK | CWR | PSH]),
        seq: u32,
        id: u16,
    ) {
        let payload: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        let kind = if v6 { vnet::GSO_TCPV6 } else { vnet::GSO_TCPV4 };
        let segs = split(&gso_frame(tcp(v6, id, seq, flags, &payload), kind, mss)).unwrap();
        proptest::prop_assert_eq!(segs.len(), len.div_ceil(usize::from(mss)));
        let mut got = Vec::new();
        for s in &segs {
            let l4 = verify(s);
            got.extend_from_slice(&s[l4 + 32..]);
        }
        proptest::prop_assert_eq!(&got, &payload);
        let frames = coalesce(&segs);
        let mut again = Vec::new();
        for (f, n) in &frames {
            let (h, p) = VnetHdr::parse(f).unwrap();
            if *n > 1 {
                let mut whole = p.to_vec();
                super::segment::complete_checksum(&mut whole, h.csum_start, h.csum_offset).unwrap();
                verify(&whole);
            }
            again.extend(split(f).unwrap());
        }
        proptest::prop_assert_eq!(again, segs);
    }

    #[test]
    fn arbitrary_frames_do_not_panic(frame in proptest::collection::vec(proptest::num::u8::ANY, 0..200), gso in 0u8..8, ip in 0u8..2) {
        let mut f = frame;
        if f.len() > 11 {
            f[1] = gso;
            f[10] = if ip == 0 { 0x45 } else { 0x60 };
        }
        let _ = split(&f);
        let mut c = Coalescer::new();
        let _ = c.push(&f);
        let _ = c.push(&f);
        let _ = c.take();
    }
}
