//! Bad input to the wire codecs: truncated, oversized and wrong-length
//! structures give typed errors that say where (offset), in which message
//! (KMP type) and which TLV.

use oncp_core::oncp::wire::http::{self, MAX_HEAD_LEN, MAX_HEADERS, RequestHead, ResponseHead};
use oncp_core::oncp::wire::record::encode_record;
use oncp_core::oncp::wire::tlv::{Group, emit_groups};
use oncp_core::oncp::wire::*;

fn groups_bytes(groups: &[Group]) -> Vec<u8> {
    let mut v = Vec::new();
    emit_groups(groups, &mut v);
    v
}

/// Every known TLV of §4.2 with its required length.
const KNOWN: &[(u16, u16, usize)] = &[
    (1, 1, 4),
    (1, 2, 4),
    (1, 3, 4),
    (2, 1, 4),
    (3, 3, 8),
    (3, 4, 8),
    (4, 1, 4),
    (6, 2, 4),
    (7, 1, 4),
    (7, 2, 64),
    (8, 1, 1),
    (8, 2, 1),
    (8, 3, 1),
    (8, 4, 2),
    (8, 5, 4),
    (8, 6, 4),
    (8, 9, 4),
    (8, 10, 4),
];

#[test]
fn every_known_tlv_with_a_wrong_length_is_named() {
    for &(group, attr, len) in KNOWN {
        for bad in [0, len - 1, len + 1] {
            if bad == len {
                continue;
            }
            // A valid group first, so the offset is not trivially 0.
            let bytes = groups_bytes(&[
                Group::new(1).with(1, &[10, 0, 0, 1]),
                Group::new(group).with(attr, &vec![0; bad]),
            ]);
            let parse: fn(&[u8]) -> Result<Config, WireError> = if group >= 7 {
                Config::parse_rekey
            } else {
                Config::parse
            };
            let bytes = if group >= 7 {
                bytes[16..].to_vec()
            } else {
                bytes
            };
            let base = if group >= 7 { 0 } else { 16 };
            let e = parse(&bytes).unwrap_err();
            assert_eq!(
                e.kind,
                WireErrorKind::TlvLength {
                    group,
                    attr,
                    length: bad,
                    expected: len
                }
            );
            assert_eq!(e.offset, base + 6, "{group}/{attr}");
            let kmp = if group >= 7 {
                KmpType::ESP_KEYS
            } else {
                KmpType::CONFIG
            };
            assert_eq!(e.kmp, Some(kmp));
            let text = e.to_string();
            assert!(
                text.contains(&format!("TLV {group}/{attr}")) && text.contains("in KMP 30"),
                "{text}"
            );
        }
    }
}

#[test]
fn truncated_config_fails_except_at_group_boundaries() {
    let bytes = groups_bytes(&[
        Group::new(1).with(1, &[10, 0, 0, 1]).with(2, &[255; 4]),
        Group::new(6).with(2, &1400u32.to_be_bytes()),
        Group::new(8).with(4, &4500u16.to_be_bytes()),
    ]);
    let boundaries = [0, 26, 42, bytes.len()];
    for cut in 0..=bytes.len() {
        let r = Config::parse(&bytes[..cut]);
        if boundaries.contains(&cut) {
            let mut again = Vec::new();
            r.unwrap().emit(&mut again);
            assert_eq!(again, &bytes[..cut]);
        } else {
            let e = r.unwrap_err();
            assert!(
                matches!(
                    e.kind,
                    WireErrorKind::Truncated { .. } | WireErrorKind::TlvOverrun { .. }
                ),
                "cut {cut}: {e}"
            );
            assert!(e.offset <= cut as u64, "cut {cut}: {e}");
        }
    }
}

#[test]
fn tlv_overruns_name_group_and_attribute() {
    // Group 3 claims 0xffffffff bytes: no allocation, a typed error.
    let e = Config::parse(&[0, 3, 0xff, 0xff, 0xff, 0xff, 0, 0]).unwrap_err();
    assert_eq!(
        e.kind,
        WireErrorKind::TlvOverrun {
            group: 3,
            attr: 0,
            length: u32::MAX
        }
    );
    // Attribute 8/4 runs past its group: reported at the attribute.
    let mut bytes = groups_bytes(&[Group::new(1).with(1, &[1, 2, 3, 4])]);
    bytes.extend([0, 8, 0, 0, 0, 8, 0, 4, 0, 0, 0, 3, 0x11, 0x94]);
    let e = Config::parse(&bytes).unwrap_err();
    assert_eq!(e.offset, 16 + 6);
    assert_eq!(
        e.kind,
        WireErrorKind::TlvOverrun {
            group: 8,
            attr: 4,
            length: 3
        }
    );
}

#[test]
fn rekey_and_control_reject_what_they_do_not_allow() {
    let bytes = groups_bytes(&[
        Group::new(7).with(1, &[0, 0, 1, 0]),
        Group::new(1).with(1, &[1, 2, 3, 4]),
    ]);
    let e = Config::parse_rekey(&bytes).unwrap_err();
    assert_eq!(e.offset, 16);
    assert_eq!(
        e.kind,
        WireErrorKind::GroupNotAllowed {
            group: 1,
            kmp: KmpType::ESP_KEYS
        }
    );
    // A server rekey without secrets.
    let e = ServerRekey::parse_payload(&groups_bytes(&[Group::new(7).with(1, &[0, 0, 1, 0])]))
        .unwrap_err();
    assert_eq!(e.kind, WireErrorKind::MissingTlv { group: 7, attr: 2 });
    assert_eq!(e.kmp, Some(KmpType::ESP_KEYS));
    // Control: unknown attribute, other group, wrong length; offsets in the
    // message when parsed as a message.
    let unknown = groups_bytes(&[Group::new(6).with(3, &[1])]);
    let e = Control::parse_payload(&unknown).unwrap_err();
    assert_eq!(
        (e.offset, e.kind.clone()),
        (6, WireErrorKind::UnknownTlv { group: 6, attr: 3 })
    );
    let msg = KmpMessage::new(KmpType::CONTROL, Sender::Client, unknown).unwrap();
    assert_eq!(Control::parse_message(&msg).unwrap_err().offset, 26);
    let other = groups_bytes(&[Group::new(7).with(1, &[1])]);
    assert!(matches!(
        Control::parse_payload(&other).unwrap_err().kind,
        WireErrorKind::GroupNotAllowed { group: 7, .. }
    ));
    let short = groups_bytes(&[Group::new(6).with(1, &[])]);
    assert!(matches!(
        Control::parse_payload(&short).unwrap_err().kind,
        WireErrorKind::TlvLength {
            group: 6,
            attr: 1,
            expected: 1,
            ..
        }
    ));
    // The wrong message type.
    let data = KmpMessage::new(KmpType::DATA, Sender::Client, vec![0x45]).unwrap();
    assert_eq!(
        Control::parse_message(&data).unwrap_err().kind,
        WireErrorKind::UnexpectedKmpType(KmpType::DATA)
    );
    assert!(EspKeys::parse_client_message(&data).is_err());
    assert!(ServerRekey::parse_message(&data).is_err());
}

#[test]
fn kmp_headers_and_messages_truncated_or_oversized() {
    let m = KmpMessage::new(KmpType::ESP_KEYS, Sender::Server, vec![0; 30]).unwrap();
    let bytes = m.to_vec();
    for cut in 0..bytes.len() {
        let e = KmpMessage::parse(&bytes[..cut]).unwrap_err();
        let WireErrorKind::Truncated { needed, .. } = e.kind else {
            panic!("{e}")
        };
        if cut < 20 {
            assert_eq!(needed, 20 - cut);
        } else {
            assert_eq!(needed, bytes.len() - cut);
        }
    }
    // Length high half set: too long, at offset 16, naming the type.
    let mut raw = bytes.clone();
    raw[17] = 1;
    let e = KmpMessage::parse(&raw).unwrap_err();
    assert_eq!(e.offset, 16);
    assert_eq!(e.kmp, Some(KmpType::ESP_KEYS));
    assert!(matches!(
        e.kind,
        WireErrorKind::TooLong {
            length: 0x1001e,
            ..
        }
    ));
    // A payload the 16-bit length cannot express is refused when building.
    assert!(KmpMessage::new(KmpType::DATA, Sender::Server, vec![0; 65536]).is_err());
}

#[test]
fn stream_limits_are_enforced_before_buffering() {
    // A KMP message longer than the decoder's limit: an error as soon as
    // its header is in, naming the type, at the length field.
    let mut d = StreamDecoder::new(StreamKind::ServerToClient).with_max_message_len(1000);
    let hdr = KmpHeader::new(KmpType::DATA, Sender::Server, 2000).to_bytes();
    let mut s = Status::OK.to_record().to_vec();
    s.extend([0xd0, 0x07]); // record of 2000 bytes, only its start fed
    s.extend(hdr);
    let e = d.feed(&s).unwrap_err();
    assert_eq!(e.offset, 5 + 16);
    assert_eq!(e.kmp, Some(KmpType::DATA));
    assert_eq!(
        e.kind,
        WireErrorKind::TooLong {
            what: "KMP message",
            length: 2020,
            limit: 1000
        }
    );
    assert!(d.is_ended());
    // At the limit it passes.
    let mut d = StreamDecoder::new(StreamKind::ServerToClient).with_max_message_len(1000);
    let m = KmpMessage::new(KmpType::DATA, Sender::Server, vec![0x45; 980]).unwrap();
    let mut s = Status::OK.to_record().to_vec();
    s.extend(encode_record(&m.to_vec()));
    d.feed(&s).unwrap();
    assert_eq!(d.poll_item(), Some(StreamItem::Status(Status::OK)));
    assert!(matches!(d.poll_item(), Some(StreamItem::Message { message, .. }) if message == m));
    // A hostname record longer than any hostname packet is refused from its
    // length alone.
    let mut d = StreamDecoder::new(StreamKind::ClientToServer);
    let e = d.feed(&[0xff, 0xff]).unwrap_err();
    assert_eq!(e.offset, 0);
    assert!(matches!(
        e.kind,
        WireErrorKind::TooLong {
            what: "hostname packet",
            ..
        }
    ));
}

#[test]
fn hostname_packet_errors() {
    let good = HostnamePacket::new("debian").to_payload();
    for cut in 0..good.len() {
        let e = HostnamePacket::parse(&good[..cut]).unwrap_err();
        assert!(
            matches!(e.kind, WireErrorKind::Truncated { needed, .. } if needed == good.len() - cut || cut < 7),
            "{cut}: {e}"
        );
    }
    let mut bad_suffix = good.clone();
    bad_suffix[7 + 6] = 0xbc;
    let e = HostnamePacket::parse(&bad_suffix).unwrap_err();
    assert_eq!(e.offset, 13);
    assert!(matches!(e.kind, WireErrorKind::BadFixedBytes { .. }));
    let mut huge = good.clone();
    huge[5..7].copy_from_slice(&1000u16.to_le_bytes());
    assert!(matches!(
        HostnamePacket::parse(&huge).unwrap_err().kind,
        WireErrorKind::TooLong { .. }
    ));
}

#[test]
fn http_heads_are_bounded() {
    // Too long without a blank line.
    let mut big = b"GET / HTTP/1.1\r\nX: ".to_vec();
    big.resize(MAX_HEAD_LEN, b'a');
    assert!(matches!(
        RequestHead::parse_prefix(&big).unwrap_err().kind,
        WireErrorKind::TooLong {
            what: "HTTP head",
            ..
        }
    ));
    // Too many header lines.
    let mut many = String::from("HTTP/1.1 200 OK\r\n");
    for i in 0..=MAX_HEADERS {
        many.push_str(&format!("X-{i}: v\r\n"));
    }
    many.push_str("\r\n");
    assert_eq!(
        ResponseHead::parse(many.as_bytes()).unwrap_err().kind,
        WireErrorKind::Http("too many header lines")
    );
    // Not HTTP/1.x, bad lines.
    assert!(ResponseHead::parse(b"HTTP/2 200\r\n\r\n").is_err());
    assert!(RequestHead::parse(b"POST\r\n\r\n").is_err());
    assert!(RequestHead::parse(b"POST / HTTP/1.1\r\nBad Header\r\n\r\n").is_err());
    // An incomplete head handed to the complete parser.
    assert_eq!(
        RequestHead::parse(b"POST / HTTP/1.1\r\n").unwrap_err().kind,
        WireErrorKind::Http("incomplete request head")
    );
    assert_eq!(
        http::head_len(b"HTTP/1.1 200 OK\r\n\r\nrest").unwrap(),
        Some(19)
    );
}
