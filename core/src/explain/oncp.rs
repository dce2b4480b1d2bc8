//! Decoding the oNCP bytes of one dump with the wire decoders: records
//! (LE16 length + payload, a zero length being the termination notice),
//! the hostname packet, the status byte, KMP messages reassembled across
//! the dump's records, configuration TLVs with names, ESP keys, controls,
//! data. Lengths that disagree with the bytes are said precisely and
//! decoding goes on with what is there.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::net::Ipv4Addr;

use super::facts::Facts;
use super::report::Item;
use super::tlv_names::{self, hex};
use crate::oncp::wire::data::split_ip_packets;
use crate::oncp::wire::kmp::KMP_HEADER_LEN;
use crate::oncp::wire::tlv::{TlvEvent, walk};
use crate::oncp::wire::{Control, HostnamePacket, KmpHeader, KmpType, Sender, TerminationReason};
use crate::trace::Direction;

/// What the first record of a dump is expected to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum First {
    /// The client's hostname packet.
    Hostname,
    /// The gateway's status byte (alone or with the start of the 301).
    Status,
    /// KMP messages.
    Stream,
}

/// Decoding context: options, the facts being gathered, the dump's line.
pub(crate) struct Cx<'a> {
    /// Show secrets.
    pub show: bool,
    /// Facts for the verdicts.
    pub facts: &'a mut Facts,
    /// First line of the dump.
    pub line: usize,
}

/// Whether `b` starts with a hostname packet record.
pub(crate) fn is_hostname_record(b: &[u8]) -> bool {
    b.len() >= 9 && b[2..7] == [0, 4, 0, 0, 0]
}

/// Whether `b` starts with a KMP header of a known type.
pub(crate) fn is_kmp(b: &[u8]) -> bool {
    b.len() >= 8 && b[..6] == [0; 6] && (300..=303).contains(&u16::from_be_bytes([b[6], b[7]]))
}

/// Whether `b` is a chain of records filling it exactly.
pub(crate) fn is_record_chain(b: &[u8]) -> bool {
    let mut pos = 0;
    let mut n = 0;
    while pos + 2 <= b.len() {
        let len = usize::from(u16::from_le_bytes([b[pos], b[pos + 1]]));
        pos += 2 + if len == 0 { 1 } else { len };
        n += 1;
    }
    n > 0 && pos == b.len()
}

/// A dump of records in direction `dir`.
pub(crate) fn records(b: &[u8], dir: Option<Direction>, first: First, cx: &mut Cx<'_>) -> Item {
    let mut item = Item::new(cx.line, dir, "oNCP records");
    let mut stream = Vec::new();
    let mut pos = 0usize;
    let mut index = 0usize;
    let mut kind = first;
    let mut last_len = None;
    while pos < b.len() {
        let left = b.len() - pos;
        if left < 2 {
            item.note(match last_len {
                Some(l) if index == 1 => format!(
                    "record says {l} bytes, {} follow: one stray byte ({:02x}) after it (the length or the dump edited?)",
                    l + 1,
                    b[pos]
                ),
                _ => format!(
                    "1 byte ({:02x}) after the last record at offset {pos:#06x}: not enough for a record length",
                    b[pos]
                ),
            });
            break;
        }
        let len = usize::from(u16::from_le_bytes([b[pos], b[pos + 1]]));
        let avail = left - 2;
        if len == 0 {
            let mut r = Item::new(cx.line, dir, format!("record at {pos:#06x}: length 0"));
            match b.get(pos + 2) {
                Some(&reason) => {
                    let t = TerminationReason(reason);
                    r.summary = format!(
                        "record at {pos:#06x}: length 0 + byte {reason:02x}: termination notice ({})",
                        t.describe()
                    );
                    if kind == First::Status {
                        cx.facts.early_termination = Some((Some(reason), cx.line));
                        r.note("the gateway sent its termination notice where the status byte belongs: it ended the session right after the hostname packet");
                    } else {
                        cx.facts.termination = Some((Some(reason), cx.line));
                    }
                }
                None => {
                    r.note("a zero-length record is the termination notice; its reason byte is not in this dump");
                    if kind == First::Status {
                        cx.facts.early_termination = Some((None, cx.line));
                    }
                }
            }
            item.children.push(r);
            pos += 3;
            index += 1;
            if pos < b.len() {
                item.note(format!(
                    "{} bytes follow the termination notice; nothing should",
                    b.len() - pos
                ));
                break;
            }
            continue;
        }
        let take = len.min(avail);
        let payload = &b[pos + 2..pos + 2 + take];
        let mut r = Item::new(
            cx.line,
            dir,
            format!("record {index} at {pos:#06x}: length {len}"),
        );
        if take < len {
            r.note(format!(
                "record says {len} bytes, {avail} follow: the rest is not in this dump"
            ));
        }
        match kind {
            First::Hostname => {
                hostname(&mut r, payload, len, avail, cx);
                kind = First::Stream;
            }
            First::Status => {
                status(&mut r, payload, len, cx);
                stream.extend_from_slice(&payload[1.min(payload.len())..]);
                kind = First::Stream;
            }
            First::Stream => {
                stream.extend_from_slice(payload);
            }
        }
        item.children.push(r);
        pos += 2 + take;
        index += 1;
        last_len = Some(len);
    }
    item.summary = match index {
        1 => String::from("1 oNCP record"),
        n => format!("{n} oNCP records"),
    };
    if !stream.is_empty() {
        item.children.extend(kmp_messages(&stream, dir, false, cx));
    }
    item
}

fn hostname(r: &mut Item, payload: &[u8], len: usize, avail: usize, cx: &mut Cx<'_>) {
    cx.facts.tunnels += 1;
    match HostnamePacket::parse(payload) {
        Ok(h) => {
            r.summary.push_str(": hostname packet");
            r.field("host name", h.hostname_lossy());
        }
        Err(e) => {
            r.summary.push_str(": hostname packet (malformed)");
            r.note(format!("{e}"));
            // The host name's own length says what the record should be.
            if payload.len() >= 7 && payload[..5] == [0, 4, 0, 0, 0] {
                let n = usize::from(u16::from_le_bytes([payload[5], payload[6]]));
                let want = 13 + n;
                let note = if want == len {
                    format!(
                        "the record length agrees ({len}); {avail} of its bytes are in this dump"
                    )
                } else {
                    format!("so the record should say {want} bytes; it says {len}, {avail} follow")
                };
                r.field_note("host name length", format!("{n}"), note);
                let name_end = (7 + n).min(payload.len());
                r.field(
                    "host name",
                    String::from_utf8_lossy(&payload[7..name_end]).into_owned(),
                );
            }
        }
    }
}

fn status(r: &mut Item, payload: &[u8], len: usize, cx: &mut Cx<'_>) {
    let Some(&s) = payload.first() else { return };
    cx.facts.status = Some((s, cx.line));
    let meaning = match s {
        0 => "OK: the configuration follows",
        8 => {
            "error 0x08: the gateway has disabled oNCP (Network Connect); it only accepts the Pulse protocol"
        }
        _ => "error (meaning unknown)",
    };
    r.summary.push_str(": status");
    r.field_note("status", format!("{s:#04x}"), meaning);
    if len > 1 {
        r.note(format!(
            "the status byte shares its record with the start of the KMP 301 ({} more bytes in this record)",
            len - 1
        ));
    }
}

/// KMP messages from `b` (a message may be cut at the end). `alone`:
/// `b` is one message as OpenConnect dumps it (no record framing).
pub(crate) fn kmp_messages(
    b: &[u8],
    dir: Option<Direction>,
    alone: bool,
    cx: &mut Cx<'_>,
) -> Vec<Item> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < b.len() {
        let rest = &b[pos..];
        let header = match KmpHeader::parse(rest) {
            Ok(h) => h,
            Err(e) => {
                let mut it = Item::new(
                    cx.line,
                    dir,
                    format!(
                        "{} bytes at stream offset {pos:#06x}: not a KMP header",
                        rest.len()
                    ),
                );
                it.note(format!("{e}"));
                it.field("bytes", hex(&rest[..rest.len().min(64)]));
                out.push(it);
                break;
            }
        };
        let total = KMP_HEADER_LEN + header.length as usize;
        let have = rest.len().min(total);
        let payload = &rest[KMP_HEADER_LEN..have];
        let mut it = message(&header, payload, dir, cx);
        if have < total {
            let missing = total - have;
            it.note(format!(
                "KMP {} says {} payload bytes, {} follow here ({missing} missing{})",
                header.kmp_type.0,
                header.length,
                payload.len(),
                if alone {
                    ""
                } else {
                    ": in records the log does not show, or the dump was cut"
                }
            ));
        } else if alone && rest.len() > total {
            it.note(format!(
                "KMP {} says {} payload bytes, {} follow",
                header.kmp_type.0,
                header.length,
                rest.len() - KMP_HEADER_LEN
            ));
        }
        out.push(it);
        pos += have;
    }
    out
}

fn sender_of(dir: Option<Direction>, t: KmpType) -> Sender {
    match dir {
        Some(Direction::ClientToServer) => Sender::Client,
        Some(Direction::ServerToClient) => Sender::Server,
        None if t == KmpType::CONTROL => Sender::Client,
        None => Sender::Server,
    }
}

/// One KMP message (`payload` may be shorter than the header says).
fn message(h: &KmpHeader, payload: &[u8], dir: Option<Direction>, cx: &mut Cx<'_>) -> Item {
    let t = h.kmp_type;
    let name = t.name().unwrap_or("unknown type");
    let mut it = Item::new(
        cx.line,
        dir,
        format!("KMP {} ({name}), {} payload bytes", t.0, h.length),
    );
    let complete = payload.len() == h.length as usize;
    if !h.has_pattern_of(sender_of(dir, t)) {
        it.field_note(
            "header bytes 0-5, 8-17",
            format!("{} / {}", hex(&h.prefix), hex(&h.pattern)),
            "not the fixed pattern OpenConnect sends and checks",
        );
    }
    match t {
        KmpType::CONFIG => {
            cx.facts.config_len = Some((h.length, cx.line));
            cx.facts.configured.get_or_insert(cx.line);
            tlvs(&mut it, payload, complete, cx);
        }
        KmpType::ESP_KEYS => tlvs(&mut it, payload, complete, cx),
        KmpType::CONTROL => match Control::parse_payload(payload) {
            Ok(cs) => {
                for c in cs {
                    match c {
                        Control::Mtu(m) => it.field("6/2 MTU", format!("{m}")),
                        Control::Esp(on) => {
                            it.field("6/1 ESP", if on { "1 (enable)" } else { "0 (disable)" })
                        }
                    }
                }
            }
            Err(e) => {
                it.note(format!("{e}"));
                tlvs(&mut it, payload, complete, cx);
            }
        },
        KmpType::DATA => data(&mut it, payload, complete),
        _ => {
            it.note("unknown KMP type: OpenConnect 9.01 ends the session on it");
            it.field("payload", hex(&payload[..payload.len().min(64)]));
        }
    }
    it
}

fn data(it: &mut Item, payload: &[u8], complete: bool) {
    match split_ip_packets(payload, 65_535) {
        Ok(packets) => {
            for p in packets {
                it.children.push(ip_packet(it.line, it.direction, p));
            }
        }
        Err(e) if complete => it.note(format!("{e}")),
        Err(_) => it.note("the data is cut; its packets are not decoded"),
    }
}

fn ip_packet(line: usize, dir: Option<Direction>, p: &[u8]) -> Item {
    let summary = if p.len() >= 20 && p[0] >> 4 == 4 {
        let src = Ipv4Addr::new(p[12], p[13], p[14], p[15]);
        let dst = Ipv4Addr::new(p[16], p[17], p[18], p[19]);
        let proto = match p[9] {
            1 => String::from("ICMP"),
            6 => String::from("TCP"),
            17 => String::from("UDP"),
            n => format!("protocol {n}"),
        };
        format!("IPv4 {src} -> {dst} {proto}, {} bytes", p.len())
    } else if p.first().is_some_and(|b| b >> 4 == 6) {
        format!("IPv6 packet, {} bytes", p.len())
    } else {
        format!("{} bytes, not IP", p.len())
    };
    Item::new(line, dir, summary)
}

/// The TLV groups of a 301, 302 or 303 payload, each attribute named.
fn tlvs(it: &mut Item, payload: &[u8], complete: bool, cx: &mut Cx<'_>) {
    let show = cx.show;
    let line = cx.line;
    let facts = &mut *cx.facts;
    let mut fields = Vec::new();
    let mut groups = 0u32;
    let r = walk(payload, 0, |ev| {
        match ev {
            TlvEvent::Group { .. } => groups += 1,
            TlvEvent::Attribute(a) => {
                let (value, note) = tlv_names::value(a.group, a.attr, a.value, show);
                record_fact(facts, a.group, a.attr, a.value, line);
                fields.push((tlv_names::label(a.group, a.attr), value, note));
            }
        }
        Ok(())
    });
    for (name, value, note) in fields {
        match note {
            Some(n) => it.field_note(name, value, n),
            None => it.field(name, value),
        }
    }
    if let Err(e) = r {
        if complete {
            let text = format!("TLVs: {e}; the rest is not decoded");
            facts.config_errors.push((line, text.clone()));
            it.note(text);
        } else {
            it.note(format!(
                "TLVs decoded up to the end of the bytes shown ({} groups started)",
                groups
            ));
        }
    }
}

fn record_fact(f: &mut Facts, group: u16, attr: u16, v: &[u8], line: usize) {
    let ip = |v: &[u8]| <[u8; 4]>::try_from(v).ok().map(Ipv4Addr::from);
    match (group, attr) {
        (1, 2) => {
            if let Some(m) = ip(v) {
                f.netmask = Some((m, line));
            }
        }
        (3, 3) if v.len() == 8 => {
            if let (Some(a), Some(m)) = (ip(&v[..4]), ip(&v[4..])) {
                f.split_include(a, m, line);
            }
        }
        (8, 4) => {
            if let Ok(p) = <[u8; 2]>::try_from(v) {
                f.esp_port = Some((u16::from_be_bytes(p), line));
            }
        }
        _ => {
            if tlv_names::name(group, attr).is_none() {
                f.unknown_tlvs.push((group, attr, line));
            } else if tlv_names::value(group, attr, v, false).1.is_some() {
                f.config_errors
                    .push((line, format!("TLV {group}/{attr} has length {}", v.len())));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oncp::wire::record::encode_record;
    use crate::oncp::wire::{Config, ConfigValues, KmpType, Route, Status};

    fn cx(f: &mut Facts) -> Cx<'_> {
        Cx {
            show: false,
            facts: f,
            line: 1,
        }
    }

    #[test]
    fn hostname_and_its_edited_length() {
        let rec = HostnamePacket::new("debian").to_record();
        let mut f = Facts::default();
        let it = records(&rec, None, First::Hostname, &mut cx(&mut f));
        assert_eq!(it.children[0].fields[0].value, "debian");
        let mut edited = rec.clone();
        edited[0] = 0x12; // says 18, 19 follow
        let it = records(&edited, None, First::Hostname, &mut cx(&mut f));
        let text = alloc::format!("{it:?}");
        assert!(text.contains("record says 18 bytes, 19 follow"), "{text}");
        assert!(text.contains("should say 19 bytes"), "{text}");
    }

    #[test]
    fn status_and_termination() {
        let mut f = Facts::default();
        records(
            &Status::ONCP_DISABLED.to_record(),
            None,
            First::Status,
            &mut cx(&mut f),
        );
        assert_eq!(f.status.map(|s| s.0), Some(8));
        let mut f = Facts::default();
        records(&[0, 0, 1], None, First::Status, &mut cx(&mut f));
        assert_eq!(f.early_termination, Some((Some(1), 1)));
        assert_eq!(f.status, None);
    }

    #[test]
    fn config_across_records() {
        let values = ConfigValues {
            address: Some(Ipv4Addr::new(10, 0, 0, 2)),
            netmask: Some(Ipv4Addr::BROADCAST),
            split_include: alloc::vec![Route::from_prefix(Ipv4Addr::UNSPECIFIED, 0)],
            unknown: alloc::vec![crate::oncp::wire::UnknownTlv {
                group: 3,
                attr: 2,
                value: alloc::vec![1, 2, 3, 4],
            }],
            ..ConfigValues::default()
        };
        let msg = Config::from_values(values)
            .to_message(KmpType::CONFIG)
            .unwrap();
        let mut payload = alloc::vec![0u8];
        msg.emit(&mut payload);
        let mut bytes = Vec::new();
        for chunk in payload.chunks(17) {
            bytes.extend(encode_record(chunk));
        }
        let mut f = Facts::default();
        let it = records(
            &bytes,
            Some(Direction::ServerToClient),
            First::Status,
            &mut cx(&mut f),
        );
        let text = alloc::format!("{it:?}");
        assert!(text.contains("3/3 split include"), "{text}");
        assert!(text.contains("0.0.0.0/0"), "{text}");
        assert!(text.contains("3/2 (unknown)"), "{text}");
        assert_eq!(f.netmask.map(|n| n.0), Some(Ipv4Addr::BROADCAST));
        assert_eq!(f.split_includes.len(), 1);
        assert_eq!(f.unknown_tlvs, [(3, 2, 1)]);
        // Cut short: says what is missing, never panics.
        for cut in 0..bytes.len() {
            let mut f = Facts::default();
            let _ = records(&bytes[..cut], None, First::Status, &mut cx(&mut f));
        }
    }
}
