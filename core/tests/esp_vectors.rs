//! ESP against independent vectors: spec/oncp.md §11.6 and the packets
//! of `vectors/esp.txt` made by `scripts/esp-vectors.py` (Python
//! `cryptography`). Our output must match byte for byte and theirs must
//! decrypt.

use oncp_core::esp::*;
use oncp_core::time::Instant;

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn params(spi: u32, cipher: Cipher, integrity: Integrity, enc: &[u8], mac: &[u8]) -> SaParams {
    let mut secrets = [0u8; 64];
    secrets[..enc.len()].copy_from_slice(enc);
    secrets[enc.len()..enc.len() + mac.len()].copy_from_slice(mac);
    SaParams {
        spi,
        cipher,
        integrity,
        secrets,
    }
}

fn seq_range(n: u8, start: u8) -> Vec<u8> {
    (0..n).map(|i| start + i).collect()
}

fn spec_outbound() -> SaParams {
    params(
        0x11223344,
        Cipher::Aes128Cbc,
        Integrity::HmacSha1_96,
        &seq_range(16, 0),
        &seq_range(20, 0x20),
    )
}

const DATA_11_4: &str = "450000140001000040fd64e00a0a01020a000001";

#[test]
fn spec_11_6_probe_and_data() {
    let p = spec_outbound();
    let mut sa = OutboundSa::new(&p, Instant(0), SaLifetime::default());
    let mut buf = [0u8; 52];
    buf[HEADER_LEN] = 0;
    let n = sa
        .encrypt_in_place(
            &mut buf,
            1,
            NextHeader::IPV4,
            unhex("00112233445566778899aabbccddeeff")
                .try_into()
                .unwrap(),
        )
        .unwrap();
    assert_eq!(n, 52);
    assert_eq!(
        buf.to_vec(),
        unhex(
            "112233440000000000112233445566778899aabbccddeeff89c01d2f771f47954c968b80598675442f0b00b7ea58c4b4756eb86d"
        )
    );
    let ip = unhex(DATA_11_4);
    let mut buf = vec![0u8; packet_len(ip.len())];
    buf[HEADER_LEN..HEADER_LEN + ip.len()].copy_from_slice(&ip);
    sa.encrypt_in_place(
        &mut buf,
        ip.len(),
        NextHeader::IPV4,
        unhex("f0e1d2c3b4a5968778695a4b3c2d1e0f")
            .try_into()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        buf,
        unhex(
            "1122334400000001f0e1d2c3b4a5968778695a4b3c2d1e0fa3a934bb2565a7ec33db4e80ff378025660f4915a7fb426a8895bebb2c4102cb78e4aed805aa83ed0e228143"
        )
    );
    // And the gateway's side opens both.
    let mut inb = InboundSa::new(&p, true);
    let d = inb.decrypt_in_place(&mut buf).unwrap();
    assert_eq!((d.seq, d.next_header), (1, NextHeader::IPV4));
    assert_eq!(buf[d.payload].to_vec(), ip);
}

#[test]
fn spec_11_6_lzo_packet_to_client() {
    let p = params(
        0xa1b2c3d4,
        Cipher::Aes128Cbc,
        Integrity::HmacSha1_96,
        &seq_range(16, 0x40),
        &seq_range(20, 0x60),
    );
    let mut pkt = unhex(
        "a1b2c3d4000000070f0e0d0c0b0a09080706050403020100963495fd77d18fad0c654adb7f12f9394b93ed399a015dc3c8977c02eedfd674aba547def5f6c1845f8b4bf5",
    );
    let mut sa = InboundSa::new(&p, true);
    let d = sa.decrypt_in_place(&mut pkt).unwrap();
    assert_eq!(d.seq, 7);
    assert_eq!(d.next_header, NextHeader::LZO_IPV4);
    assert_eq!(
        pkt[d.payload].to_vec(),
        unhex("25450000140001000040fd64e00a0a01020a000001110000")
    );
}

struct Vector {
    cipher: Cipher,
    integrity: Integrity,
    spi: u32,
    seq: u32,
    enc_key: Vec<u8>,
    mac_key: Vec<u8>,
    iv: Vec<u8>,
    next_header: u8,
    payload: Vec<u8>,
    packet: Vec<u8>,
}

fn vectors() -> Vec<Vector> {
    let text = include_str!("vectors/esp.txt");
    text.split("\n\n")
        .filter(|b| b.contains("packet"))
        .map(|block| {
            let f = |k: &str| {
                block
                    .lines()
                    .find_map(|l| l.strip_prefix(k).and_then(|r| r.strip_prefix(' ')))
                    .unwrap_or_else(|| panic!("missing {k}"))
                    .to_string()
            };
            Vector {
                cipher: match f("cipher").as_str() {
                    "aes128-cbc" => Cipher::Aes128Cbc,
                    _ => Cipher::Aes256Cbc,
                },
                integrity: match f("integrity").as_str() {
                    "hmac-md5-96" => Integrity::HmacMd5_96,
                    _ => Integrity::HmacSha1_96,
                },
                spi: u32::from_str_radix(&f("spi"), 16).unwrap(),
                seq: f("seq").parse().unwrap(),
                enc_key: unhex(&f("enc_key")),
                mac_key: unhex(&f("mac_key")),
                iv: unhex(&f("iv")),
                next_header: f("next_header").parse().unwrap(),
                payload: unhex(&f("payload")),
                packet: unhex(&f("packet")),
            }
        })
        .collect()
}

#[test]
fn independent_vectors_match_both_ways() {
    let vs = vectors();
    assert_eq!(vs.len(), 28);
    let mut out: Option<(u32, OutboundSa, InboundSa)> = None;
    for v in &vs {
        let p = params(v.spi, v.cipher, v.integrity, &v.enc_key, &v.mac_key);
        if out.as_ref().is_none_or(|(spi, _, _)| *spi != v.spi) {
            out = Some((
                v.spi,
                OutboundSa::new(&p, Instant(0), SaLifetime::default()),
                InboundSa::new(&p, true),
            ));
        }
        let (_, o, i) = out.as_mut().unwrap();
        assert_eq!(o.next_seq(), v.seq as u64);
        let mut buf = vec![0u8; packet_len(v.payload.len())];
        buf[HEADER_LEN..HEADER_LEN + v.payload.len()].copy_from_slice(&v.payload);
        o.encrypt_in_place(
            &mut buf,
            v.payload.len(),
            NextHeader(v.next_header),
            v.iv.clone().try_into().unwrap(),
        )
        .unwrap();
        assert_eq!(
            buf, v.packet,
            "{:?}/{:?} seq {}",
            v.cipher, v.integrity, v.seq
        );
        let mut theirs = v.packet.clone();
        let d = i.decrypt_in_place(&mut theirs).unwrap();
        assert_eq!(d.seq, v.seq);
        assert_eq!(theirs[d.payload].to_vec(), v.payload);
    }
}

#[test]
fn tampering_any_byte_is_caught_before_decryption() {
    let v = &vectors()[5];
    let p = params(v.spi, v.cipher, v.integrity, &v.enc_key, &v.mac_key);
    for i in 0..v.packet.len() {
        let mut pkt = v.packet.clone();
        pkt[i] ^= 0x01;
        let mut sa = InboundSa::new(&p, true);
        let before = pkt.clone();
        let e = sa.decrypt_in_place(&mut pkt).unwrap_err();
        if i < 4 {
            assert!(matches!(e, EspError::WrongSpi(_)));
        } else {
            assert_eq!(e, EspError::BadIcv);
            assert_eq!(pkt, before, "nothing decrypted on a bad ICV");
        }
    }
}

#[test]
fn replays_are_refused_and_counted_unless_protection_is_off() {
    let p = spec_outbound();
    let mut rng = oncp_core::rng::TestRng::new(1);
    let mut o = OutboundSa::new(&p, Instant(0), SaLifetime::default());
    let pkts: Vec<Vec<u8>> = (0..3)
        .map(|_| o.encrypt(b"\x45abc", NextHeader::IPV4, &mut rng).unwrap())
        .collect();
    let mut on = InboundSa::new(&p, true);
    let mut off = InboundSa::new(&p, false);
    for pk in [&pkts[2], &pkts[0], &pkts[0], &pkts[2]] {
        let _ = on.decrypt_in_place(&mut pk.clone());
        assert!(off.decrypt_in_place(&mut pk.clone()).is_ok());
    }
    assert_eq!(on.stats().accepted, 2);
    assert_eq!(on.stats().replayed, 2);
}

#[test]
fn bad_padding_and_short_packets_are_typed_errors() {
    let p = spec_outbound();
    let mut o = OutboundSa::new(&p, Instant(0), SaLifetime::default());
    // Build a packet whose padding is wrong by encrypting a hand-made block.
    let mut buf = vec![0u8; packet_len(14)];
    o.encrypt_in_place(&mut buf, 14, NextHeader::IPV4, [7; 16])
        .unwrap();
    let mut sa = InboundSa::new(&p, true);
    assert!(sa.decrypt_in_place(&mut buf.clone()).is_ok());
    assert_eq!(
        sa.decrypt_in_place(&mut buf[..30].to_vec()),
        Err(EspError::TooShort(30))
    );
    assert_eq!(
        sa.decrypt_in_place(&mut buf[..51].to_vec()),
        Err(EspError::BadLength(15))
    );
    // A properly authenticated packet whose first block ends in a pad
    // length of 5 with wrong padding bytes: cut a two-block packet after
    // its first block and re-sign it with the SA's HMAC key.
    let mut payload = [0x45u8; 30];
    payload[14] = 5;
    payload[15] = 4;
    let mut two = vec![0u8; packet_len(30)];
    two[HEADER_LEN..HEADER_LEN + 30].copy_from_slice(&payload);
    o.encrypt_in_place(&mut two, 30, NextHeader::IPV4, [9; 16])
        .unwrap();
    let mut one = two[..HEADER_LEN + 16].to_vec();
    use hmac::{KeyInit, Mac};
    let mut mac = <hmac::Hmac<sha1::Sha1> as KeyInit>::new_from_slice(p.mac_key()).unwrap();
    mac.update(&one);
    one.extend_from_slice(&mac.finalize().into_bytes()[..12]);
    assert_eq!(sa.decrypt_in_place(&mut one), Err(EspError::BadPadding));
    assert_eq!(sa.stats().malformed, 1);
    // Probe detection and sizes.
    let mut rng = oncp_core::rng::TestRng::new(3);
    let mut probe = o.probe(&mut rng).unwrap();
    assert_eq!(probe.len(), 52);
    let d = sa.decrypt_in_place(&mut probe).unwrap();
    assert!(d.is_probe(&probe));
    assert_eq!(packet_len(1400), 1444);
}

#[test]
fn rekey_needed_on_lifetime() {
    use oncp_core::time::Duration;
    let p = spec_outbound();
    let life = SaLifetime {
        bytes: Some(100),
        time: Some(Duration::from_secs(10)),
    };
    let mut o = OutboundSa::new(&p, Instant(0), life);
    let mut rng = oncp_core::rng::TestRng::new(1);
    assert!(!o.needs_rekey(Instant(0)));
    assert!(o.needs_rekey(Instant(0) + Duration::from_secs(10)));
    o.encrypt(&[0x45; 100], NextHeader::IPV4, &mut rng).unwrap();
    assert!(o.needs_rekey(Instant(0)));
}

#[test]
fn generated_params_avoid_reserved_spis_and_algorithms_map_codes() {
    let mut rng = oncp_core::rng::TestRng::new(9);
    for _ in 0..100 {
        let p = SaParams::generate(Cipher::Aes256Cbc, Integrity::HmacMd5_96, &mut rng);
        assert!(p.spi >= 256);
        assert!(p.secrets[48..].iter().all(|&b| b == 0));
    }
    use oncp_core::oncp::wire::{CipherCode, MacCode};
    assert_eq!(Cipher::from_code(CipherCode(5)), Ok(Cipher::Aes256Cbc));
    assert_eq!(
        Cipher::from_code(CipherCode(3)),
        Err(EspError::UnsupportedCipher(3))
    );
    assert_eq!(
        Integrity::from_code(MacCode(3)),
        Err(EspError::UnsupportedIntegrity(3))
    );
}

/// The seeds of the `esp_decrypt` fuzz target (written by
/// `scripts/esp-vectors.py --fuzz-seeds`) are valid under the target's
/// fixed SA: five packets accepted out of order, then a replay refused.
#[test]
fn fuzz_seeds_are_valid_packets() {
    let seeds: [&[u8]; 4] = [
        include_bytes!("../../fuzz/seeds/esp_decrypt/aes128-cbc-hmac-md5-96"),
        include_bytes!("../../fuzz/seeds/esp_decrypt/aes128-cbc-hmac-sha1-96"),
        include_bytes!("../../fuzz/seeds/esp_decrypt/aes256-cbc-hmac-md5-96"),
        include_bytes!("../../fuzz/seeds/esp_decrypt/aes256-cbc-hmac-sha1-96"),
    ];
    let mut secrets = [0u8; 64];
    for (i, b) in secrets.iter_mut().enumerate() {
        *b = (i as u8).wrapping_mul(37).wrapping_add(11);
    }
    for seed in seeds {
        let mode = seed[0];
        let cipher = [Cipher::Aes128Cbc, Cipher::Aes256Cbc][usize::from(mode & 1)];
        let integrity = [Integrity::HmacMd5_96, Integrity::HmacSha1_96][usize::from(mode >> 1 & 1)];
        let mut sa = InboundSa::new(
            &SaParams::new(0x0102_0304, cipher, integrity, &secrets),
            true,
        );
        let mut rest = &seed[1..];
        let mut results = Vec::new();
        while !rest.is_empty() {
            let len = usize::from(u16::from_be_bytes([rest[0], rest[1]]));
            results.push(
                sa.decrypt_in_place(&mut rest[2..2 + len].to_vec())
                    .map(|d| d.seq),
            );
            rest = &rest[2 + len..];
        }
        assert_eq!(
            results,
            [
                Ok(0),
                Ok(2),
                Ok(1),
                Err(EspError::Replayed(2)),
                Ok(4),
                Ok(3)
            ],
            "{cipher:?}/{integrity:?}"
        );
    }
}
