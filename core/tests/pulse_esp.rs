//! HMAC-SHA-256-128 ESP (spec/pulse.md §6.4) against the probe of §8.6.

use oncp_core::esp::*;
use oncp_core::time::Instant;

#[path = "common/pulse_dumps.rs"]
mod dumps;

fn params() -> SaParams {
    let mut s = [0u8; 64];
    for (i, b) in s[..48].iter_mut().enumerate() {
        // 00 … 0f, then 20 … 3f.
        *b = if i < 16 { i as u8 } else { 0x10 + i as u8 };
    }
    SaParams::new(
        0x1122_3344,
        Cipher::Aes128Cbc,
        Integrity::HmacSha256_128,
        &s,
    )
}

#[test]
fn probe_matches_the_spec() {
    let want = dumps::hex(dumps::ESP_PROBE_SHA256);
    assert_eq!(want.len(), 56);
    let mut out = OutboundSa::new(&params(), Instant(0), SaLifetime::default());
    assert_eq!(out.packet_len(1), 56);
    let mut buf = vec![0u8; 56];
    buf[HEADER_LEN] = 0;
    let iv = [
        0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee,
        0xff,
    ];
    let n = out
        .encrypt_in_place(&mut buf, 1, NextHeader::IPV4, iv)
        .unwrap();
    assert_eq!(n, 56);
    assert_eq!(buf, want);

    let mut inb = InboundSa::new(&params(), true);
    let mut rx = want.clone();
    let d = inb.decrypt_in_place(&mut rx).unwrap();
    assert!(d.is_probe(&rx));
    // The 12-byte truncation of the same MAC is not accepted.
    let mut short = want[..52].to_vec();
    assert!(
        InboundSa::new(&params(), true)
            .decrypt_in_place(&mut short)
            .is_err()
    );
    for i in [0, 8, 30, 40, 55] {
        let mut bad = want.clone();
        bad[i] ^= 1;
        let e = InboundSa::new(&params(), true)
            .decrypt_in_place(&mut bad)
            .unwrap_err();
        assert!(
            matches!(e, EspError::BadIcv | EspError::WrongSpi(_)),
            "{e:?}"
        );
    }
}

#[test]
fn sha256_round_trip_and_codes() {
    assert_eq!(
        Integrity::from_pulse_code(oncp_core::oncp::wire::MacCode(3)),
        Ok(Integrity::HmacSha256_128)
    );
    // oNCP keeps refusing code 3.
    assert!(Integrity::from_code(oncp_core::oncp::wire::MacCode(3)).is_err());
    let mut rng = oncp_core::rng::TestRng::new(9);
    let p = SaParams::generate(Cipher::Aes256Cbc, Integrity::HmacSha256_128, &mut rng);
    assert_eq!(p.mac_key().len(), 32);
    let mut out = OutboundSa::new(&p, Instant(0), SaLifetime::default());
    let mut inb = InboundSa::new(&p, true);
    for len in [1usize, 20, 1400] {
        let payload: Vec<u8> = (0..len).map(|i| i as u8 | 0x40).collect();
        let mut pkt = out.encrypt(&payload, NextHeader::IPV4, &mut rng).unwrap();
        assert_eq!(pkt.len(), packet_len_with(Integrity::HmacSha256_128, len));
        let d = inb.decrypt_in_place(&mut pkt).unwrap();
        assert_eq!(&pkt[d.payload], &payload[..]);
    }
}
