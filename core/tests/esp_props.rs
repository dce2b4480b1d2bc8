//! Properties of the ESP layer: any payload round-trips under every
//! algorithm pair, and the replay window agrees with a plain set model of
//! spec/oncp.md §7.7.

use std::collections::BTreeSet;

use oncp_core::esp::*;
use oncp_core::rng::TestRng;
use oncp_core::time::Instant;
use proptest::prelude::*;

fn algorithms() -> impl Strategy<Value = (Cipher, Integrity)> {
    prop_oneof![
        Just((Cipher::Aes128Cbc, Integrity::HmacMd5_96)),
        Just((Cipher::Aes128Cbc, Integrity::HmacSha1_96)),
        Just((Cipher::Aes256Cbc, Integrity::HmacMd5_96)),
        Just((Cipher::Aes256Cbc, Integrity::HmacSha1_96)),
    ]
}

proptest! {
    #[test]
    fn payloads_round_trip(
        (cipher, integrity) in algorithms(),
        payload in proptest::collection::vec(any::<u8>(), 1..1600),
        nh in prop_oneof![Just(4u8), Just(5), Just(41)],
        seed in any::<u64>(),
    ) {
        let mut rng = TestRng::new(seed);
        let p = SaParams::generate(cipher, integrity, &mut rng);
        let mut o = OutboundSa::new(&p, Instant(0), SaLifetime::default());
        let mut i = InboundSa::new(&p, true);
        // In place with exactly the documented headroom and tailroom.
        let mut buf = vec![0u8; HEADER_LEN + payload.len() + MAX_TRAILER_LEN];
        buf[HEADER_LEN..HEADER_LEN + payload.len()].copy_from_slice(&payload);
        let n = o
            .encrypt_in_place_with_rng(&mut buf, payload.len(), NextHeader(nh), &mut rng)
            .unwrap();
        prop_assert_eq!(n, packet_len(payload.len()));
        let d = i.decrypt_in_place(&mut buf[..n]).unwrap();
        prop_assert_eq!(d.seq, 0);
        prop_assert_eq!(d.next_header, NextHeader(nh));
        prop_assert_eq!(&buf[d.payload], &payload[..]);
    }

    #[test]
    fn head_decryption_agrees_with_the_whole(
        (cipher, integrity) in algorithms(),
        payload in proptest::collection::vec(any::<u8>(), 1..1600),
        head in 0usize..200,
        seed in any::<u64>(),
    ) {
        let mut rng = TestRng::new(seed);
        let p = SaParams::generate(cipher, integrity, &mut rng);
        let mut o = OutboundSa::new(&p, Instant(0), SaLifetime::default());
        let mut buf = vec![0u8; HEADER_LEN + payload.len() + MAX_TRAILER_LEN];
        buf[HEADER_LEN..HEADER_LEN + payload.len()].copy_from_slice(&payload);
        let n = o
            .encrypt_in_place_with_rng(&mut buf, payload.len(), NextHeader(4), &mut rng)
            .unwrap();
        let mut whole = buf[..n].to_vec();
        let d = InboundSa::new(&p, true).decrypt_in_place(&mut whole).unwrap();
        let mut part = buf[..n].to_vec();
        let (dh, rest) = InboundSa::new(&p, true).decrypt_head_in_place(&mut part, head).unwrap();
        prop_assert_eq!(&dh, &d);
        match &rest {
            Some(r) => {
                // The head (at least `head` bytes) and the trailer are plain,
                // the rest still the ciphertext.
                prop_assert!(r.range.start - HEADER_LEN >= head);
                prop_assert_eq!(&part[..r.range.start], &whole[..r.range.start]);
                prop_assert_eq!(&part[r.range.end..], &whole[r.range.end..]);
                prop_assert_eq!(&part[r.range.clone()], &buf[r.range.clone()]);
            }
            None => prop_assert_eq!(&part, &whole),
        }
        if let Some(r) = rest {
            InboundSa::new(&p, true).decrypt_rest(&mut part, &r);
        }
        prop_assert_eq!(&part, &whole);
    }

    #[test]
    fn replay_window_matches_a_set_model(
        steps in proptest::collection::vec((any::<bool>(), 0u32..200), 1..300),
        base in prop_oneof![Just(0u32), Just(u32::MAX - 400)],
    ) {
        let mut w = ReplayWindow::new();
        let mut received = BTreeSet::new();
        let mut next: u64 = 0;
        for (forward, delta) in steps {
            // Mostly near the front, sometimes behind it.
            let s = if forward {
                (next + delta as u64 / 8).max(base as u64)
            } else {
                next.saturating_sub(delta as u64)
            };
            let Ok(s) = u32::try_from(s) else { continue };
            let expected = if s as u64 >= next {
                ReplayVerdict::Fresh
            } else if next - s as u64 > 65 {
                ReplayVerdict::TooOld
            } else if received.contains(&s) {
                ReplayVerdict::Replayed
            } else {
                ReplayVerdict::Fresh
            };
            prop_assert_eq!(w.check(s), expected, "seq {} next {}", s, next);
            if expected == ReplayVerdict::Fresh {
                w.commit(s);
                received.insert(s);
                next = next.max(s as u64 + 1);
            }
            prop_assert_eq!(w.next_expected(), next);
        }
    }
}
