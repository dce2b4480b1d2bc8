//! `oncp decode --hex`: under each decrypted event, the plaintext it was
//! decoded from as a tshark -x style dump. An insta snapshot of oc-esp,
//! and checks that the dumps agree with the events (inner packets are the
//! IPv4 packets their fields describe, oNCP messages start with their KMP
//! header) and that secrets stay withheld without --show-secrets.

use oncp::cli::decode::{DecodeArgs, decode};
use oncp_tests::testdata;

fn decode_hex(name: &str, show_secrets: bool) -> String {
    let capture = testdata::dir().join(format!("{name}.pcap"));
    let args = DecodeArgs {
        keylog: vec![capture.with_extension("keys")],
        capture,
        json: false,
        show_secrets,
        packets: false,
        hex: true,
        esp_sa: vec![],
    };
    let mut out = Vec::new();
    let (_, errors) = decode(&args, &mut out).unwrap();
    assert_eq!(errors, 0);
    String::from_utf8(out).unwrap()
}

/// Each event line with the bytes of the dump under it (if any).
fn events_with_bytes(text: &str) -> Vec<(&str, Option<Vec<u8>>)> {
    let mut out: Vec<(&str, Option<Vec<u8>>)> = Vec::new();
    for line in text.lines() {
        if let Some(dump) = line.strip_prefix("    ") {
            let last = out.last_mut().expect("a dump follows an event");
            if dump.starts_with('(') {
                continue; // withheld
            }
            let (offset, rest) = dump.split_once("  ").unwrap();
            let bytes = last.1.get_or_insert_with(Vec::new);
            assert_eq!(
                usize::from_str_radix(offset, 16).unwrap(),
                bytes.len(),
                "{line}"
            );
            let hex = &rest[..rest.len().min(47)];
            bytes.extend(
                hex.split_whitespace()
                    .map(|b| u8::from_str_radix(b, 16).unwrap()),
            );
        } else {
            out.push((line, None));
        }
    }
    out
}

fn field<'a>(event: &'a str, name: &str) -> &'a str {
    let at = event
        .find(&format!(" {name}="))
        .unwrap_or_else(|| panic!("{name} in {event}"));
    let v = &event[at + name.len() + 2..];
    v.split(' ').next().unwrap()
}

#[test]
fn oc_esp_hex_dumps_as_snapshotted() {
    insta::assert_snapshot!("oc-esp-hex", decode_hex("oc-esp", false));
}

#[test]
fn dumps_are_the_decoded_bytes() {
    let text = decode_hex("oc-esp", false);
    let events = events_with_bytes(&text);
    // Inner packets over ESP: IPv4 (0x45 ...) with the event's length and addresses.
    let inner: Vec<_> = events
        .iter()
        .filter(|(e, _)| e.contains(" inner ") && e.contains("via=esp") && e.contains(" ICMP "))
        .collect();
    assert_eq!(inner.len(), 6, "3 echoes each way");
    for (e, bytes) in inner {
        let p = bytes
            .as_ref()
            .unwrap_or_else(|| panic!("no dump under {e}"));
        assert_eq!(p[0], 0x45, "{e}");
        assert_eq!(p.len().to_string(), field(e, "length"), "{e}");
        let addr = |o: usize| format!("{}.{}.{}.{}", p[o], p[o + 1], p[o + 2], p[o + 3]);
        assert_eq!(addr(12), field(e, "src"), "{e}");
        assert_eq!(addr(16), field(e, "dst"), "{e}");
    }
    // oNCP messages: their KMP header; 301 and 302 carry keys and are withheld.
    let mut checked = 0;
    for (e, bytes) in events.iter().filter(|(e, _)| e.contains(" kmp=")) {
        let kmp: u16 = field(e, "kmp").parse().unwrap();
        if kmp == 301 || kmp == 302 {
            assert!(bytes.is_none(), "{e}");
            continue;
        }
        let m = bytes.as_ref().unwrap();
        assert_eq!(u16::from_be_bytes([m[6], m[7]]), kmp, "{e}");
        assert_eq!(m.len().to_string(), field(e, "message_length"), "{e}");
        checked += 1;
    }
    assert!(checked >= 1);
    assert!(text.contains(
        "    (decrypted bytes withheld: they carry secrets; see them with --show-secrets)"
    ));
    // Events that were not decrypted have no dump.
    assert!(
        events
            .iter()
            .filter(|(e, _)| e.contains(" tcp ") || e.contains(" tls "))
            .all(|(_, b)| b.is_none())
    );
}

#[test]
fn secrets_show_only_with_show_secrets() {
    let shown = decode_hex("oc-esp", true);
    let events = events_with_bytes(&shown);
    let (config, bytes) = events
        .iter()
        .find(|(e, _)| e.contains("KMP 301 configuration"))
        .unwrap();
    let secrets = field(config, "esp_secrets");
    let hex: String = bytes
        .as_ref()
        .unwrap()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert!(
        hex.contains(secrets),
        "the 301's dump holds its 7/2 secrets"
    );
    let hidden = decode_hex("oc-esp", false);
    assert!(!hidden.contains(&secrets[..32]) && !hidden.to_lowercase().contains("dsid=capture"));
}
