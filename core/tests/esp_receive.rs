//! The inbound checks of spec/oncp.md §7.5 and §7.7 through a whole SA:
//! replay window edges, refused packets leave the SA unchanged, nothing is
//! decrypted before the ICV passed, padding and next-header rules.

use hmac::{Hmac, KeyInit, Mac};
use oncp_core::esp::*;
use oncp_core::rng::TestRng;
use oncp_core::time::Instant;
use sha1::Sha1;

fn params() -> SaParams {
    let mut secrets = [0u8; 64];
    for (i, b) in secrets.iter_mut().enumerate() {
        *b = (i * 7) as u8;
    }
    SaParams::new(
        0x0bad_cafe,
        Cipher::Aes128Cbc,
        Integrity::HmacSha1_96,
        &secrets,
    )
}

/// Replaces the ICV of `pkt` with a correct one for `params`.
fn resign(p: &SaParams, pkt: &mut [u8]) {
    let end = pkt.len() - ICV_LEN;
    let mut mac = <Hmac<Sha1> as KeyInit>::new_from_slice(p.mac_key()).unwrap();
    mac.update(&pkt[..end]);
    pkt[end..].copy_from_slice(&mac.finalize().into_bytes()[..ICV_LEN]);
}

/// A valid packet with sequence number `seq` and a 3-byte payload.
fn packet(p: &SaParams, seq: u32) -> Vec<u8> {
    let mut o = OutboundSa::new(p, Instant(0), SaLifetime::default());
    let mut pkt = o
        .encrypt(
            &[0x45, seq as u8, 0x99],
            NextHeader::IPV4,
            &mut TestRng::new(seq as u64 + 1),
        )
        .unwrap();
    pkt[4..8].copy_from_slice(&seq.to_be_bytes());
    resign(p, &mut pkt);
    pkt
}

/// An authenticated packet whose whole plaintext (whole blocks) is
/// `plain`: encrypt `plain` plus a filler block's worth of payload, cut
/// the ciphertext after `plain` and sign again.
fn forged(p: &SaParams, seq: u32, plain: &[u8]) -> Vec<u8> {
    assert_eq!(plain.len() % BLOCK_LEN, 0);
    let mut payload = plain.to_vec();
    payload.extend_from_slice(&[0xee; 14]);
    let mut o = OutboundSa::new(p, Instant(0), SaLifetime::default());
    let mut pkt = o
        .encrypt(&payload, NextHeader::IPV4, &mut TestRng::new(5))
        .unwrap();
    pkt.truncate(HEADER_LEN + plain.len());
    pkt.extend_from_slice(&[0; ICV_LEN]);
    pkt[4..8].copy_from_slice(&seq.to_be_bytes());
    resign(p, &mut pkt);
    pkt
}

fn open(sa: &mut InboundSa, pkt: &[u8]) -> Result<Decrypted, EspError> {
    sa.decrypt_in_place(&mut pkt.to_vec())
}

#[test]
fn replay_window_edges() {
    let p = params();
    let mut sa = InboundSa::new(&p, true);
    assert_eq!(open(&mut sa, &packet(&p, 100)).unwrap().seq, 100);
    // 65 behind next (101) is the oldest the bitmap covers.
    assert!(open(&mut sa, &packet(&p, 36)).is_ok());
    assert_eq!(open(&mut sa, &packet(&p, 35)), Err(EspError::TooOld(35)));
    assert_eq!(open(&mut sa, &packet(&p, 36)), Err(EspError::Replayed(36)));
    assert_eq!(
        open(&mut sa, &packet(&p, 100)),
        Err(EspError::Replayed(100))
    );
    assert!(open(&mut sa, &packet(&p, 99)).is_ok());
    assert!(open(&mut sa, &packet(&p, 101)).is_ok());
    // The end of the sequence space: after u32::MAX nothing is new.
    assert!(open(&mut sa, &packet(&p, u32::MAX)).is_ok());
    assert_eq!(sa.window().next_expected(), 1 << 32);
    assert_eq!(
        open(&mut sa, &packet(&p, u32::MAX)),
        Err(EspError::Replayed(u32::MAX))
    );
    assert_eq!(open(&mut sa, &packet(&p, 0)), Err(EspError::TooOld(0)));
    assert!(open(&mut sa, &packet(&p, u32::MAX - 64)).is_ok());
    let s = sa.stats();
    assert_eq!((s.accepted, s.replayed, s.too_old, s.bad_icv), (6, 3, 2, 0));
}

#[test]
fn without_replay_protection_old_packets_pass_and_change_nothing() {
    let p = params();
    let mut sa = InboundSa::new(&p, false);
    assert!(!sa.replay_protection());
    for seq in [500, 500, 10, 499, 499] {
        assert!(open(&mut sa, &packet(&p, seq)).is_ok(), "seq {seq}");
    }
    // 500 moved the window, 499 cleared its bit; 10 and the repeats did
    // nothing.
    let mut reference = ReplayWindow::new();
    reference.commit(500);
    reference.commit(499);
    assert_eq!(sa.window(), &reference);
    assert_eq!(sa.stats().accepted, 5);
}

#[test]
fn a_bad_icv_decrypts_nothing_and_moves_nothing() {
    let p = params();
    let mut sa = InboundSa::new(&p, true);
    let mut forged_future = packet(&p, 1_000);
    let last = forged_future.len() - 1;
    forged_future[last] ^= 0x80;
    let mut buf = forged_future.clone();
    assert_eq!(sa.decrypt_in_place(&mut buf), Err(EspError::BadIcv));
    assert_eq!(buf, forged_future, "ciphertext left as it was");
    assert_eq!(sa.window(), &ReplayWindow::new());
    assert!(open(&mut sa, &packet(&p, 1)).is_ok());
    assert_eq!(sa.stats().bad_icv, 1);
    // Another SA's keys: same SPI, different HMAC key.
    let mut other = p.clone();
    other.secrets[20] ^= 1;
    assert_eq!(open(&mut sa, &packet(&other, 2)), Err(EspError::BadIcv));
}

#[test]
fn padding_and_next_header_rules() {
    let p = params();
    let mut sa = InboundSa::new(&p, true);
    let block = |tail: &[u8]| {
        let mut b = [0x45u8; 16];
        b[16 - tail.len()..].copy_from_slice(tail);
        b
    };
    // The probe plaintext of spec §7.6 is accepted as a probe.
    let probe_plain: Vec<u8> = [0u8].into_iter().chain(1..=13).chain([13, 4]).collect();
    let pkt = forged(&p, 1, &probe_plain);
    let mut buf = pkt.clone();
    let d = sa.decrypt_in_place(&mut buf).unwrap();
    assert!(d.is_probe(&buf));
    assert_eq!(d.payload, HEADER_LEN..HEADER_LEN + 1);
    // Wrong padding bytes.
    let bad = forged(&p, 2, &block(&[1, 2, 4, 3, 4]));
    assert_eq!(open(&mut sa, &bad), Err(EspError::BadPadding));
    // Pad length leaving no payload (pad + 2 = 16), and beyond the packet.
    let mut empty: Vec<u8> = (1..=14).collect();
    empty.extend([14, 4]);
    assert_eq!(
        open(&mut sa, &forged(&p, 3, &empty)),
        Err(EspError::BadPadding)
    );
    assert_eq!(
        open(&mut sa, &forged(&p, 4, &block(&[200, 4]))),
        Err(EspError::BadPadding)
    );
    // Next header other than 4, 5, 41.
    assert_eq!(
        open(&mut sa, &forged(&p, 5, &block(&[0, 6]))),
        Err(EspError::BadNextHeader(6))
    );
    // None of the refused packets moved the window: 2..=5 are still new.
    assert_eq!(sa.window().next_expected(), 2);
    assert_eq!(sa.stats().malformed, 4);
    // Pad length 0 with next header 41 and 5 are fine.
    for (seq, nh) in [(2, 41), (3, 5)] {
        let d = open(&mut sa, &forged(&p, seq, &block(&[0, nh]))).unwrap();
        assert_eq!(d.next_header, NextHeader(nh));
        assert_eq!(d.payload.len(), 14);
    }
    // A two-block packet with 15 bytes of padding.
    let mut two = vec![0x60; 31];
    two.extend(1..=15);
    two.extend([15, 41]);
    let d = open(&mut sa, &forged(&p, 4, &two)).unwrap();
    assert_eq!(d.payload.len(), 31);
}

#[test]
fn lengths_and_spi_are_checked_first() {
    let p = params();
    let mut sa = InboundSa::new(&p, true);
    let pkt = packet(&p, 0);
    assert_eq!(pkt.len(), PROBE_LEN);
    for n in [0, 3, 8, 36] {
        assert_eq!(open(&mut sa, &pkt[..n]), Err(EspError::TooShort(n)));
    }
    for n in [37, 51, 53] {
        let mut v = pkt.clone();
        v.resize(n, 0);
        assert_eq!(open(&mut sa, &v), Err(EspError::BadLength(n - 36)));
    }
    let mut v = pkt.clone();
    v[0] ^= 0x10;
    assert_eq!(open(&mut sa, &v), Err(EspError::WrongSpi(0x1bad_cafe)));
    assert_eq!(sa.stats().invalid, 8);
    assert_eq!(spi_of(&pkt), Some(0x0bad_cafe));
    assert!(open(&mut sa, &pkt).is_ok());
}

#[test]
fn ipv6_probes_and_next_header_choice() {
    let p = params();
    let mut o = OutboundSa::new(&p, Instant(0), SaLifetime::default());
    let mut sa = InboundSa::new(&p, true);
    let mut rng = TestRng::new(8);
    let mut probe = o.probe_with(NextHeader::IPV6, &mut rng).unwrap();
    let d = sa.decrypt_in_place(&mut probe).unwrap();
    assert!(d.is_probe(&probe));
    assert_eq!(d.next_header, NextHeader::IPV6);
    assert_eq!(NextHeader::for_packet(&[0x60, 0]), NextHeader::IPV6);
    assert_eq!(NextHeader::for_packet(&[0x45, 0]), NextHeader::IPV4);
    // A one-byte payload that is not 00 is data, not a probe.
    let mut one = o.encrypt(&[1], NextHeader::IPV4, &mut rng).unwrap();
    let d = sa.decrypt_in_place(&mut one).unwrap();
    assert!(!d.is_probe(&one));
}

/// Head-only decryption (the decoder's) when the padding reaches back
/// past the last block: the blocks between are decrypted too, and the
/// result is the whole decryption's; wrong padding bytes there are caught.
#[test]
fn head_decryption_with_padding_beyond_the_last_block() {
    let p = params();
    // 86 payload bytes, 40 of padding, pad length, next header: 8 blocks.
    let plain = |pad_byte: u8| {
        let mut v = vec![0x45u8; 86];
        v.extend((1..=40u8).map(|b| if b == 3 { pad_byte } else { b }));
        v.extend([40, 4]);
        v
    };
    let pkt = forged(&p, 1, &plain(3));
    let mut whole = pkt.clone();
    let d = InboundSa::new(&p, true)
        .decrypt_in_place(&mut whole)
        .unwrap();
    assert_eq!(d.payload, HEADER_LEN..HEADER_LEN + 86);
    for head in [0, 16, 48, 100, 200] {
        let mut part = pkt.clone();
        let (dh, rest) = InboundSa::new(&p, true)
            .decrypt_head_in_place(&mut part, head)
            .unwrap();
        assert_eq!((dh, rest), (d.clone(), None), "head {head}");
        assert_eq!(part, whole, "head {head}");
    }
    let bad = forged(&p, 1, &plain(9));
    let mut buf = bad.clone();
    assert_eq!(
        InboundSa::new(&p, true).decrypt_head_in_place(&mut buf, 48),
        Err(EspError::BadPadding)
    );
}
