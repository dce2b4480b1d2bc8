//! Property tests: emit-then-parse is the identity for generated messages
//! and configurations, and no input makes a parser panic.

use std::net::Ipv4Addr;

use oncp_core::oncp::wire::http::{RequestHead, TunnelRequest};
use oncp_core::oncp::wire::record::{encode_records, termination_record};
use oncp_core::oncp::wire::tlv::{Group, emit_groups};
use oncp_core::oncp::wire::*;
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

/// Required value length of a known TLV (spec §4.2); `None` for 2/2 (any
/// length) and for unknown TLVs.
fn known_len(group: u16, attr: u16) -> Option<Option<usize>> {
    Some(match (group, attr) {
        (1, 1..=3) | (2, 1) | (4, 1) | (6, 2) | (7, 1) => Some(4),
        (2, 2) => None,
        (3, 3 | 4) => Some(8),
        (7, 2) => Some(64),
        (8, 1..=3) => Some(1),
        (8, 4) => Some(2),
        (8, 5 | 6 | 9 | 10) => Some(4),
        _ => return None,
    })
}

/// One attribute of group `group`: a known one with a valid value, or an
/// unknown one (attribute numbers no known TLV uses in that group).
fn attribute(group: u16) -> impl Strategy<Value = (u16, Vec<u8>)> {
    (
        0u16..12,
        any::<u16>(),
        proptest::collection::vec(any::<u8>(), 0..70),
    )
        .prop_map(move |(attr, wild, bytes)| match known_len(group, attr) {
            Some(Some(n)) => (
                attr,
                (0..n)
                    .map(|i| bytes.get(i).copied().unwrap_or(i as u8))
                    .collect(),
            ),
            Some(None) => (attr, bytes.iter().map(|b| b'a' + b % 26).collect()),
            None if known_len(group, wild).is_none() => (wild, bytes),
            None => (attr + 100, bytes),
        })
}

/// Groups in any order, known and unknown, repeated groups included.
fn raw_groups() -> impl Strategy<Value = Vec<Group>> {
    proptest::collection::vec(
        prop_oneof![1u16..=8, Just(9u16), Just(200u16)].prop_flat_map(|g| {
            proptest::collection::vec(attribute(g), 0..5).prop_map(move |attrs| {
                attrs
                    .into_iter()
                    .fold(Group::new(g), |grp, (a, v)| grp.with(a, &v))
            })
        }),
        0..8,
    )
}

proptest! {
    #[test]
    fn any_valid_tlv_sequence_re_emits_byte_for_byte(groups in raw_groups()) {
        let mut bytes = Vec::new();
        emit_groups(&groups, &mut bytes);
        let cfg = Config::parse(&bytes).unwrap();
        prop_assert_eq!(cfg.groups(), &groups[..]);
        let mut again = Vec::new();
        cfg.emit(&mut again);
        prop_assert_eq!(&again, &bytes);
        // Unknown TLVs are kept as (group, attr, bytes), in wire order.
        let unknown: Vec<UnknownTlv> = groups
            .iter()
            .flat_map(|g| g.attrs.iter().map(move |a| (g.id, a)))
            .filter(|(g, a)| known_len(*g, a.id).is_none())
            .map(|(group, a)| UnknownTlv { group, attr: a.id, value: a.value.clone() })
            .collect();
        prop_assert_eq!(&cfg.values().unknown, &unknown);
        // Repeatable TLVs keep every occurrence, in order.
        let dns = groups.iter().filter(|g| g.id == 2).flat_map(|g| &g.attrs).filter(|a| a.id == 1).count();
        prop_assert_eq!(cfg.values().dns.len(), dns);
        // Single-valued TLVs: the last occurrence wins.
        if let Some(mtu) = groups.iter().filter(|g| g.id == 6).flat_map(|g| &g.attrs).rfind(|a| a.id == 2) {
            prop_assert_eq!(cfg.values().mtu, Some(u32::from_be_bytes(mtu.value[..].try_into().unwrap())));
        }
    }

    #[test]
    fn kmp_headers_keep_their_unknown_bytes(raw in proptest::array::uniform20(any::<u8>())) {
        let mut raw = raw;
        raw[16] = 0;
        raw[17] = 0;
        let h = KmpHeader::parse(&raw).unwrap();
        prop_assert_eq!(h.to_bytes(), raw);
        prop_assert_eq!(h.kmp_type, KmpType(u16::from_be_bytes([raw[6], raw[7]])));
        prop_assert_eq!(h.length, u32::from(u16::from_be_bytes([raw[18], raw[19]])));
    }

    #[test]
    fn hostname_packets_round_trip(name in "[a-zA-Z0-9.-]{0,255}") {
        let p = HostnamePacket::new(&name);
        let rec = p.to_record();
        prop_assert_eq!(rec.len(), 2 + 13 + name.len());
        prop_assert_eq!(HostnamePacket::parse(&rec[2..]).unwrap(), p);
    }

    #[test]
    fn tunnel_requests_round_trip(
        host in "[a-z0-9.-]{1,40}",
        port in 1u16..,
        user_agent in "[ -~]{0,60}",
        cookies in proptest::collection::vec(("[A-Za-z]{1,12}", "[A-Za-z0-9]{0,32}"), 0..4),
    ) {
        let cookie = cookies.iter().map(|(n, v)| format!("{n}={v}")).collect::<Vec<_>>().join("; ");
        let r = TunnelRequest { host, port, user_agent: user_agent.trim().to_string(), cookie };
        let bytes = r.to_bytes();
        let (head, used) = RequestHead::parse_prefix(&bytes).unwrap().unwrap();
        prop_assert_eq!(used, bytes.len());
        prop_assert_eq!(head.header("content-length"), Some("256"));
        prop_assert_eq!(TunnelRequest::from_head(&head).unwrap(), r.clone());
        prop_assert_eq!(head.cookies().len(), cookies.len());
    }

    #[test]
    fn server_rekeys_round_trip(esp in esp(), spi in any::<u32>(), key in proptest::array::uniform32(any::<u8>())) {
        let mut esp = esp;
        esp.spi = Some(spi);
        esp.secrets = Some([key, key].concat().try_into().unwrap());
        let rekey = ServerRekey::new(esp.clone());
        let msg = rekey.to_message().unwrap();
        prop_assert_eq!(msg.kmp_type(), KmpType::ESP_KEYS);
        prop_assert!(msg.header.has_pattern_of(Sender::Server));
        let back = ServerRekey::parse_message(&msg).unwrap();
        prop_assert_eq!(back.esp(), &esp);
        prop_assert_eq!(back.keys().unwrap(), EspKeys { spi, secrets: esp.secrets.unwrap() });
        prop_assert_eq!(back.to_message().unwrap(), msg);
    }

    #[test]
    fn server_streams_decode_the_same_however_cut(
        payloads in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..200), 0..6),
        record_size in 1usize..300,
        combined in any::<bool>(),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..12),
        reason in any::<u8>(),
    ) {
        let cfg = Config::from_values(ConfigValues { mtu: Some(1400), ..Default::default() })
            .to_message(KmpType::CONFIG).unwrap();
        let mut stream = if combined {
            Status::OK.combined_records(&cfg, record_size)
        } else {
            let mut s = Status::OK.to_record().to_vec();
            s.extend(encode_records(&cfg.to_vec(), record_size));
            s
        };
        let msgs: Vec<KmpMessage> = payloads.into_iter()
            .map(|p| KmpMessage::new(KmpType::DATA, Sender::Server, p).unwrap())
            .collect();
        let body: Vec<u8> = msgs.iter().flat_map(KmpMessage::to_vec).collect();
        stream.extend(encode_records(&body, record_size));
        stream.extend(termination_record(TerminationReason(reason)));
        let mut points: Vec<usize> = cuts.iter().map(|i| i.index(stream.len() + 1)).collect();
        points.sort_unstable();
        let mut d = StreamDecoder::new(StreamKind::ServerToClient);
        let mut got = Vec::new();
        let mut prev = 0;
        for &c in points.iter().chain(std::iter::once(&stream.len())) {
            d.feed(&stream[prev..c]).unwrap();
            prev = c;
            while let Some(i) = d.poll_item() { got.push(i); }
        }
        prop_assert_eq!(got.len(), msgs.len() + 3);
        prop_assert_eq!(&got[0], &StreamItem::Status(Status::OK));
        let is_cfg = matches!(&got[1], StreamItem::Message { message, .. } if *message == cfg);
        prop_assert!(is_cfg);
        for (item, m) in got[2..].iter().zip(&msgs) {
            let same = matches!(item, StreamItem::Message { message, .. } if message == m);
            prop_assert!(same);
        }
        prop_assert_eq!(got.last().unwrap(), &StreamItem::Terminated(TerminationReason(reason)));
        prop_assert!(d.is_ended());
    }

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
        let _ = EspKeys::parse_client_payload(&bytes);
        let _ = ServerRekey::parse_payload(&bytes);
        let _ = record::parse_record(&bytes);
        let _ = http::RequestHead::parse_prefix(&bytes);
        let _ = tlv::walk(&bytes, 0, |_| Ok(()));
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
