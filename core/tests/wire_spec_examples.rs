//! The worked examples of spec/oncp.md §11, parsed and emitted byte for
//! byte, and fed to the stream decoder split at every possible point.

use std::net::Ipv4Addr;

use oncp_core::oncp::wire::data::split_ip_packets;
use oncp_core::oncp::wire::http::TUNNEL_ACCEPTED_RESPONSE;
use oncp_core::oncp::wire::record::{encode_record, encode_records};
use oncp_core::oncp::wire::*;

#[path = "common/spec_dumps.rs"]
mod spec_dumps;
use spec_dumps::*;
#[path = "common/stream_pieces.rs"]
mod stream_pieces;
use stream_pieces::decode;

fn example_values() -> ConfigValues {
    let mut secrets = [0u8; 64];
    secrets[..16].copy_from_slice(&std::array::from_fn::<u8, 16, _>(|i| i as u8));
    secrets[16..36].copy_from_slice(&std::array::from_fn::<u8, 20, _>(|i| 0x20 + i as u8));
    ConfigValues {
        address: Some(Ipv4Addr::new(10, 10, 1, 2)),
        netmask: Some(Ipv4Addr::new(255, 255, 255, 0)),
        split_include: vec![Route {
            addr: Ipv4Addr::new(10, 0, 0, 0),
            mask: Ipv4Addr::new(255, 0, 0, 0),
        }],
        mtu: Some(1400),
        esp: EspSettings {
            spi: Some(0x11223344),
            secrets: Some(secrets),
            cipher: Some(CipherCode::AES128_CBC),
            mac: Some(MacCode::HMAC_SHA1_96),
            compression: Some(false),
            port: Some(4500),
            lifetime_secs: Some(3600),
            fallback_secs: Some(15),
            replay_protection: Some(true),
            ..Default::default()
        },
        ..Default::default()
    }
}

#[test]
fn config_example_parses_and_re_emits_exactly() {
    let rec = config_record();
    assert_eq!(rec.len(), 235);
    let (msg, used) = KmpMessage::parse(&rec[2..]).unwrap();
    assert_eq!(used, 233);
    assert_eq!(msg.kmp_type(), KmpType::CONFIG);
    assert!(msg.header.has_pattern_of(Sender::Server));
    let cfg = Config::parse(&msg.payload).unwrap();
    assert_eq!(cfg.values(), &example_values());
    assert_eq!(cfg.values().split_include[0].prefix_len(), Some(8));
    let mut again = Vec::new();
    cfg.emit(&mut again);
    assert_eq!(again, msg.payload);
    // A gateway building the same values produces the same record.
    let built = Config::from_values(example_values());
    let msg2 = built.to_message(KmpType::CONFIG).unwrap();
    assert_eq!(encode_record(&msg2.to_vec()), rec);
}

#[test]
fn client_reply_example_is_emitted_exactly() {
    let mut secrets = [0u8; 64];
    secrets[..16].copy_from_slice(&std::array::from_fn::<u8, 16, _>(|i| 0x40 + i as u8));
    secrets[16..36].copy_from_slice(&std::array::from_fn::<u8, 20, _>(|i| 0x60 + i as u8));
    let keys = EspKeys {
        spi: 0xa1b2c3d4,
        secrets,
    };
    let mut payload = Control::Mtu(1400).to_message().to_vec();
    payload.extend(keys.to_client_message().to_vec());
    assert_eq!(encode_record(&payload), client_reply());
    // Without ESP: the first 38 bytes with length 0x24.
    let mut short = client_reply()[..38].to_vec();
    short[0] = 0x24;
    assert_eq!(
        encode_record(&Control::Mtu(1400).to_message().to_vec()),
        short
    );
}

#[test]
fn data_example_11_4_is_emitted_exactly() {
    let expected = client_data();
    let msg = data::data_message(&expected[22..], Sender::Client).unwrap();
    assert_eq!(encode_record(&msg.to_vec()), expected);
}

fn server_stream() -> Vec<u8> {
    let mut s = vec![1, 0, 0]; // status as its own record
    s.extend(config_record());
    s.extend(split_data());
    s.extend(record::termination_record(TerminationReason::IDLE_TIMEOUT));
    s
}

fn check_server_items(items: &[StreamItem]) {
    assert_eq!(items.len(), 4, "{items:?}");
    assert_eq!(items[0], StreamItem::Status(Status::OK));
    let StreamItem::Message {
        message,
        start,
        end,
        ..
    } = &items[1]
    else {
        panic!("{:?}", items[1])
    };
    assert_eq!(message.kmp_type(), KmpType::CONFIG);
    assert_eq!((*start, *end), (5, 238));
    let StreamItem::Message {
        message,
        start,
        end,
        ..
    } = &items[2]
    else {
        panic!("{:?}", items[2])
    };
    assert_eq!((*start, *end), (240, 238 + 64));
    let packets = split_ip_packets(&message.payload, 16384).unwrap();
    assert_eq!(packets.len(), 2);
    assert_eq!(&packets[0][4..6], &[0x11, 0x11]);
    assert_eq!(&packets[1][4..6], &[0x22, 0x22]);
    assert_eq!(
        items[3],
        StreamItem::Terminated(TerminationReason::IDLE_TIMEOUT)
    );
}

#[test]
fn server_stream_split_at_every_point() {
    let s = server_stream();
    for cut in 0..=s.len() {
        check_server_items(&decode(StreamKind::ServerToClient, &s, &[cut]));
    }
    for a in (0..s.len()).step_by(7) {
        for b in (a..s.len()).step_by(11) {
            check_server_items(&decode(StreamKind::ServerToClient, &s, &[a, b]));
        }
    }
    let every: Vec<usize> = (1..s.len()).collect();
    check_server_items(&decode(StreamKind::ServerToClient, &s, &every));
}

#[test]
fn combined_status_and_config_record() {
    // §2.4 form 2: the status byte and the 301 in one record.
    let rec = config_record();
    let mut s = vec![0xea, 0x00, 0x00];
    s.extend_from_slice(&rec[2..]);
    for cut in 0..=s.len() {
        let items = decode(StreamKind::ServerToClient, &s, &[cut]);
        assert_eq!(items.len(), 2);
        assert_eq!(items[0], StreamItem::Status(Status::OK));
        assert!(
            matches!(&items[1], StreamItem::Message { message, .. } if message.kmp_type() == KmpType::CONFIG)
        );
    }
}

#[test]
fn config_over_continuation_records_with_interleaved_data() {
    // The 301 split in 3 records, with a 9.10-style KMP 300 record between
    // the first two continuations.
    let payload = config_record()[2..].to_vec();
    let mut s = vec![1, 0, 0];
    s.extend(encode_records(&payload[..100], 100));
    let mut stray =
        KmpMessage::new(KmpType::DATA, Sender::Server, split_data()[22..42].to_vec()).unwrap();
    stray.header.pattern[0] = 0;
    s.extend(encode_record(&stray.to_vec()));
    s.extend(encode_records(&payload[100..], 80));
    let every: Vec<usize> = (1..s.len()).collect();
    for cuts in [vec![], every] {
        let items = decode(StreamKind::ServerToClient, &s, &cuts);
        assert_eq!(items.len(), 3, "{items:?}");
        assert!(
            matches!(&items[1], StreamItem::Message { message, interleaved: true, .. } if message.kmp_type() == KmpType::DATA)
        );
        let StreamItem::Message { message, .. } = &items[2] else {
            panic!()
        };
        assert_eq!(
            Config::parse(&message.payload).unwrap().values(),
            &example_values()
        );
    }
}

#[test]
fn client_stream_with_hostname_reply_and_data() {
    let mut s = encode_record(&HostnamePacket::new("debian").to_payload());
    s.extend(client_reply());
    s.extend(encode_record(
        &data::data_message(&split_data()[22..42], Sender::Client)
            .unwrap()
            .to_vec(),
    ));
    for cut in 0..=s.len() {
        let items = decode(StreamKind::ClientToServer, &s, &[cut]);
        assert_eq!(items.len(), 4, "{items:?}");
        assert_eq!(
            items[0],
            StreamItem::Hostname(HostnamePacket::new("debian"))
        );
        let types: Vec<_> = items[1..]
            .iter()
            .map(|i| match i {
                StreamItem::Message { message, .. } => message.kmp_type(),
                _ => panic!(),
            })
            .collect();
        assert_eq!(types, [KmpType::CONTROL, KmpType::ESP_KEYS, KmpType::DATA]);
    }
}

#[test]
fn stream_errors_are_typed_and_final() {
    // A bad hostname packet.
    let mut d = StreamDecoder::new(StreamKind::ClientToServer);
    let e = d.feed(&[3, 0, 9, 9, 9]).unwrap_err();
    assert!(matches!(
        e.kind,
        WireErrorKind::Truncated { .. } | WireErrorKind::BadFixedBytes { .. }
    ));
    assert!(d.is_ended());
    assert_eq!(d.feed(&[0]).unwrap_err().kind, WireErrorKind::StreamEnded);
    // A KMP length over the limit (high half set) after a good status.
    let mut d = StreamDecoder::new(StreamKind::ServerToClient);
    let mut hdr = KmpHeader::new(KmpType::DATA, Sender::Server, 0).to_bytes();
    hdr[16] = 1;
    let mut s = vec![1, 0, 0];
    s.extend(encode_record(&hdr));
    let e = d.feed(&s).unwrap_err();
    assert!(matches!(e.kind, WireErrorKind::TooLong { .. }));
    assert_eq!(e.offset, 5 + 16);
}

#[test]
fn tunnel_accepted_response_is_http_200() {
    let head = http::ResponseHead::parse(TUNNEL_ACCEPTED_RESPONSE).unwrap();
    assert_eq!(head.tunnel_outcome(), http::TunnelOutcome::Accepted);
}

#[test]
fn debug_output_never_shows_esp_secrets() {
    let rec = config_record();
    let (msg, _) = KmpMessage::parse(&rec[2..]).unwrap();
    let cfg = Config::parse(&msg.payload).unwrap();
    let keys = EspKeys::parse_client_payload(&client_reply()[58..]).unwrap();
    let rekey = ServerRekey::new(cfg.values().esp.clone());
    let mut groups = String::new();
    for g in cfg.groups() {
        groups.push_str(&format!("{g:?}"));
    }
    let walked = std::cell::RefCell::new(String::new());
    tlv::walk(&msg.payload, 0, |ev| {
        walked.borrow_mut().push_str(&format!("{ev:?}"));
        Ok(())
    })
    .unwrap();
    let text = format!(
        "{msg:?} {cfg:?} {:?} {keys:?} {rekey:?} {groups} {}",
        cfg.values(),
        walked.into_inner()
    );
    // The HMAC keys 20 21 … and 60 61 … (as decimal or hex) never appear.
    for needle in [
        "0x20, 0x21",
        "20, 21, 22",
        "32, 33, 34",
        "60, 61",
        "96, 97, 98",
    ] {
        assert!(!text.contains(needle), "{needle} in {text}");
    }
    assert!(text.contains("secret"), "{text}");
    // Non-secret values are still shown.
    assert!(
        text.contains("10.10.1.2") && text.contains("4500"),
        "{text}"
    );
}
