//! The stream decoder gives the same items however the stream is cut:
//! the §11 streams of both directions, including the combined status
//! record, continuation records and the interleaved KMP 300 quirk, fed
//! whole, split at every point, split at every pair of points (sampled)
//! and byte by byte.

use oncp_core::oncp::wire::record::{encode_record, encode_records, termination_record};
use oncp_core::oncp::wire::*;

#[path = "common/spec_dumps.rs"]
mod spec_dumps;
use spec_dumps::*;
#[path = "common/stream_pieces.rs"]
mod stream_pieces;
use stream_pieces::{decode, decode_partial};

/// Asserts that every way of cutting `stream` gives `expected`.
fn assert_same_items_for_every_split(kind: StreamKind, stream: &[u8], expected: &[StreamItem]) {
    let whole = decode_partial(kind, stream, &[]);
    assert_eq!(whole.0, expected, "whole");
    for cut in 0..=stream.len() {
        assert_eq!(decode_partial(kind, stream, &[cut]), whole, "cut at {cut}");
    }
    for a in (0..stream.len()).step_by(3) {
        for b in (a..stream.len()).step_by(5) {
            assert_eq!(
                decode_partial(kind, stream, &[a, b]),
                whole,
                "cuts {a}, {b}"
            );
        }
    }
    let every: Vec<usize> = (1..stream.len()).collect();
    assert_eq!(decode_partial(kind, stream, &every), whole, "byte by byte");
}

fn message(item: &StreamItem) -> &KmpMessage {
    match item {
        StreamItem::Message { message, .. } => message,
        other => panic!("not a message: {other:?}"),
    }
}

#[test]
fn client_stream_11_1_11_3_11_4() {
    let mut s = HostnamePacket::new("client1").to_record();
    s.extend(client_reply());
    s.extend(client_data());
    let expected = decode(StreamKind::ClientToServer, &s, &[]);
    assert_eq!(expected.len(), 4);
    assert_eq!(
        expected[0],
        StreamItem::Hostname(HostnamePacket::new("client1"))
    );
    assert_eq!(
        Control::parse_message(message(&expected[1])).unwrap(),
        [Control::Mtu(1400)]
    );
    let keys = EspKeys::parse_client_message(message(&expected[2])).unwrap();
    assert_eq!(keys.spi, 0xa1b2c3d4);
    assert_eq!(&keys.secrets[..2], &[0x40, 0x41]);
    let StreamItem::Message { start, end, .. } = &expected[3] else {
        panic!()
    };
    assert_eq!((*start, *end), (22 + 144 + 2, 22 + 144 + 42));
    assert_eq!(message(&expected[3]).payload, &client_data()[22..]);
    assert_same_items_for_every_split(StreamKind::ClientToServer, &s, &expected);
}

#[test]
fn server_stream_with_combined_status_split_data_and_termination() {
    let cfg = KmpMessage::parse(&config_record()[2..]).unwrap().0;
    let mut s = Status::OK.combined_records(&cfg, 0xffff);
    assert_eq!(&s[..3], &[0xea, 0x00, 0x00]);
    s.extend(split_data());
    s.extend(termination_record(TerminationReason::SESSION_EXPIRED));
    let expected = decode(StreamKind::ServerToClient, &s, &[]);
    assert_eq!(expected.len(), 4, "{expected:?}");
    assert_eq!(expected[0], StreamItem::Status(Status::OK));
    assert_eq!(message(&expected[1]), &cfg);
    assert_eq!(message(&expected[2]).payload.len(), 40);
    assert_eq!(
        expected[3],
        StreamItem::Terminated(TerminationReason::SESSION_EXPIRED)
    );
    assert_same_items_for_every_split(StreamKind::ServerToClient, &s, &expected);
}

#[test]
fn config_in_continuation_records_with_an_interleaved_data_record() {
    let cfg = KmpMessage::parse(&config_record()[2..]).unwrap().0;
    let cfg_bytes = cfg.to_vec();
    // Status combined with the first 60 bytes of the 301, then two
    // continuation records with a 9.10-style KMP 300 record between them.
    let mut s = encode_record(&[&[0u8][..], &cfg_bytes[..59]].concat());
    s.extend(encode_record(&cfg_bytes[59..150]));
    let mut stray =
        KmpMessage::new(KmpType::DATA, Sender::Server, client_data()[22..].to_vec()).unwrap();
    stray.header.pattern[0] = 0; // byte 8 of the header is 00 in that shape
    s.extend(encode_record(&stray.to_vec()));
    s.extend(encode_records(&cfg_bytes[150..], 40));
    s.extend(split_data());
    let expected = decode(StreamKind::ServerToClient, &s, &[]);
    assert_eq!(expected.len(), 4, "{expected:?}");
    assert_eq!(expected[0], StreamItem::Status(Status::OK));
    assert!(matches!(
        &expected[1],
        StreamItem::Message { message, interleaved: true, .. } if *message == stray
    ));
    assert!(matches!(
        &expected[2],
        StreamItem::Message { message, interleaved: false, .. } if *message == cfg
    ));
    assert_eq!(message(&expected[3]).kmp_type(), KmpType::DATA);
    assert_same_items_for_every_split(StreamKind::ServerToClient, &s, &expected);
}

#[test]
fn a_data_record_between_continuations_that_is_not_the_quirk_is_stream_data() {
    // Byte 8 is 01 (the normal pattern): not the quirk's shape, so its bytes
    // are the next part of the 301 (as OpenConnect 9.10+ also reads them),
    // which completes 42 bytes early; the rest waits as a partial message.
    let cfg_bytes = KmpMessage::parse(&config_record()[2..]).unwrap().0.to_vec();
    let mut s = Status::OK.to_record().to_vec();
    s.extend(encode_record(&cfg_bytes[..100]));
    let normal = KmpMessage::new(KmpType::DATA, Sender::Server, client_data()[22..].to_vec())
        .unwrap()
        .to_vec();
    s.extend(encode_record(&normal));
    s.extend(encode_record(&cfg_bytes[100..]));
    let (items, partial) = decode_partial(StreamKind::ServerToClient, &s, &[]);
    assert!(partial);
    assert_eq!(items.len(), 2);
    let first = message(&items[1]);
    assert_eq!(first.kmp_type(), KmpType::CONFIG);
    assert_eq!(&first.payload[80..80 + normal.len()], &normal[..]);
    assert_same_items_for_every_split(StreamKind::ServerToClient, &s, &items);
}

#[test]
fn several_messages_in_one_record_and_the_decoder_after_a_preamble() {
    let msgs: Vec<KmpMessage> = (0..5u8)
        .map(|i| {
            KmpMessage::new(
                KmpType(300 + u16::from(i % 4)),
                Sender::Server,
                vec![i; i as usize * 7],
            )
            .unwrap()
        })
        .collect();
    let body: Vec<u8> = msgs.iter().flat_map(KmpMessage::to_vec).collect();
    let s = encode_record(&body);
    let mut d = StreamDecoder::new_after_preamble(StreamKind::ServerToClient);
    for b in &s {
        d.feed(std::slice::from_ref(b)).unwrap();
    }
    let got: Vec<KmpMessage> = std::iter::from_fn(|| d.poll_item())
        .map(|i| message(&i).clone())
        .collect();
    assert_eq!(got, msgs);
    assert_eq!(d.buffered(), 0);
    assert_eq!(d.offset(), s.len() as u64);
}
