//! Property tests: emit-then-parse is the identity for generated messages
//! and configurations, and no input makes a parser panic.

use std::net::Ipv4Addr;

use oncp_core::wire::record::encode_records;
use oncp_core::wire::*;
use proptest::prelude::*;

fn ip() -> impl Strategy<Value = Ipv4Addr> {
    any::<u32>().prop_map(Ipv4Addr::from)
}

fn route() -> impl Strategy<Value = Route> {
    (ip(), ip()).prop_map(|(addr, mask)| Route { addr, mask })
}

fn unknown() -> impl Strategy<Value = UnknownTlv> {
    // Groups and attributes no known TLV uses.
    (
        prop_oneof![Just(5u16), Just(9), Just(200)],
        any::<u16>(),
        proptest::collection::vec(any::<u8>(), 0..40),
    )
        .prop_map(|(group, attr, value)| UnknownTlv { group, attr, value })
}

prop_compose! {
    fn esp()(spi in proptest::option::of(any::<u32>()),
             secrets in proptest::option::of(proptest::array::uniform32(any::<u8>())),
             cipher in proptest::option::of(any::<u8>()),
             mac in proptest::option::of(any::<u8>()),
             compression in proptest::option::of(any::<bool>()),
             port in proptest::option::of(any::<u16>()),
             lifetime_bytes in proptest::option::of(any::<u32>()),
             lifetime_secs in proptest::option::of(any::<u32>()),
             fallback_secs in proptest::option::of(any::<u32>()),
             replay_protection in proptest::option::of(any::<bool>())) -> EspSettings {
        EspSettings {
            spi,
            secrets: secrets.map(|h| { let mut s = [0u8; 64]; s[..32].copy_from_slice(&h); s[32..].copy_from_slice(&h); s }),
            cipher: cipher.map(CipherCode),
            mac: mac.map(MacCode),
            compression, port, lifetime_bytes, lifetime_secs, fallback_secs, replay_protection,
        }
    }
}

prop_compose! {
    fn values()(address in proptest::option::of(ip()),
                netmask in proptest::option::of(ip()),
                internal_gateway in proptest::option::of(ip()),
                dns in proptest::collection::vec(ip(), 0..4),
                search_domain in proptest::option::of("[a-z.,; ]{0,30}"),
                split_include in proptest::collection::vec(route(), 0..5),
                split_exclude in proptest::collection::vec(route(), 0..3),
                wins in proptest::collection::vec(ip(), 0..3),
                mtu in proptest::option::of(any::<u32>()),
                esp in esp(),
                unknown in proptest::collection::vec(unknown(), 0..4)) -> ConfigValues {
        ConfigValues { address, netmask, internal_gateway, dns, search_domain, split_include,
                       split_exclude, wins, mtu, esp, unknown }
    }
}

proptest! {
    #[test]
    fn config_round_trips(v in values()) {
        let cfg = Config::from_values(v.clone());
        let mut bytes = Vec::new();
        cfg.emit(&mut bytes);
        prop_assert_eq!(bytes.len(), cfg.buffer_len());
        let parsed = Config::parse(&bytes).unwrap();
        // Unknown TLVs come back grouped with their group, in order.
        let mut expected = v.clone();
        let mut unknown = v.unknown.clone();
        unknown.sort_by_key(|u| v.unknown.iter().position(|x| x.group == u.group).unwrap());
        expected.unknown = unknown;
        prop_assert_eq!(parsed.values(), &expected);
        let mut again = Vec::new();
        parsed.emit(&mut again);
        prop_assert_eq!(again, bytes);
    }

    #[test]
    fn messages_round_trip_through_the_stream(
        payloads in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 1..6),
        types in proptest::collection::vec(300u16..304, 6),
        record_size in 1usize..400,
        chunk in 1usize..97,
    ) {
        let msgs: Vec<KmpMessage> = payloads.iter().zip(&types)
            .map(|(p, t)| KmpMessage::new(KmpType(*t), Sender::Client, p.clone()).unwrap())
            .collect();
        let mut body = Vec::new();
        for m in &msgs { m.emit(&mut body); }
        let mut stream = vec![1, 0, 0];
        stream.extend(encode_records(&body, record_size));
        let mut d = StreamDecoder::new(StreamKind::ServerToClient);
        let mut got = Vec::new();
        for c in stream.chunks(chunk) {
            d.feed(c).unwrap();
            while let Some(i) = d.poll_item() { got.push(i); }
        }
        prop_assert_eq!(&got[0], &StreamItem::Status(Status::OK));
        let got: Vec<KmpMessage> = got[1..].iter().map(|i| match i {
            StreamItem::Message { message, .. } => message.clone(),
            other => panic!("{other:?}"),
        }).collect();
        prop_assert_eq!(got, msgs);
    }

    #[test]
    fn controls_and_keys_round_trip(mtu in any::<u32>(), on in any::<bool>(), spi in any::<u32>(), key in proptest::array::uniform32(any::<u8>())) {
        for c in [Control::Mtu(mtu), Control::Esp(on)] {
            prop_assert_eq!(Control::parse_payload(&c.to_message().payload).unwrap(), vec![c]);
        }
        let mut secrets = [0u8; 64];
        secrets[..32].copy_from_slice(&key);
        let k = EspKeys { spi, secrets };
        prop_assert_eq!(EspKeys::parse_client_payload(&k.to_client_message().payload).unwrap(), k);
    }

    #[test]
    fn parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600), kind in any::<bool>()) {
        let _ = Config::parse(&bytes);
        let _ = Config::parse_rekey(&bytes);
        let _ = Control::parse_payload(&bytes);
        let _ = KmpMessage::parse(&bytes);
        let _ = HostnamePacket::parse(&bytes);
        let _ = http::RequestHead::parse(&bytes);
        let _ = http::ResponseHead::parse(&bytes);
        let _ = data::split_ip_packets(&bytes, 16384);
        let mut d = StreamDecoder::new(if kind { StreamKind::ClientToServer } else { StreamKind::ServerToClient });
        for c in bytes.chunks(13) {
            if d.feed(c).is_err() { break; }
            while d.poll_item().is_some() {}
        }
    }
}
