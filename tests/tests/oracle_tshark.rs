//! tshark (Wireshark 4, an independent TLS and ESP implementation) as the
//! judge of our trace decoding, on every capture in `testdata/`:
//! - TLS: given the same key log, tshark finds the same HTTP requests
//!   (method and target, in order) inside the decrypted TLS as we do;
//! - ESP: given the SAs our decoder took from the oNCP stream, tshark opens
//!   exactly the packets (SPI, sequence number) that we open to an IP packet;
//! - Pulse: tshark's decrypted TLS streams hold exactly the IF-T messages
//!   and the IP packets over TLS that we report.
//!
//! Needs `tshark` (installed by the test script); fails when it is missing.

use std::path::Path;
use std::process::Command;

use oncp::cli::decode::{DecodeArgs, decode};
use oncp_tests::testdata::traces;
use serde_json::Value;

fn our_events(capture: &Path) -> Vec<Value> {
    let args = DecodeArgs {
        capture: capture.to_path_buf(),
        keylog: vec![capture.with_extension("keys")],
        json: true,
        show_secrets: true,
        packets: false,
        hex: false,
        esp_sa: vec![],
    };
    let mut out = Vec::new();
    decode(&args, &mut out).unwrap();
    String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn field<'a>(ev: &'a Value, name: &str) -> Option<&'a Value> {
    ev["fields"]
        .as_array()?
        .iter()
        .find(|f| f["name"] == name)
        .map(|f| &f["value"])
}

fn text(ev: &Value, name: &str) -> String {
    match field(ev, name) {
        Some(Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
        None => String::new(),
    }
}

/// tshark's `-T fields` output for `filter`, one Vec per packet.
fn tshark(capture: &Path, extra: &[String], filter: &str, fields: &[&str]) -> Vec<Vec<String>> {
    let keylog = format!(
        "tls.keylog_file:{}",
        capture.with_extension("keys").display()
    );
    let mut cmd = Command::new("tshark");
    cmd.arg("-r").arg(capture).args(["-o", &keylog]).args(extra);
    cmd.args(["-Y", filter, "-T", "fields", "-E", "separator=|"]);
    for f in fields {
        cmd.args(["-e", f]);
    }
    let out = cmd
        .output()
        .expect("tshark is installed (scripts/test/apt-packages.txt)");
    assert!(
        out.status.success(),
        "tshark: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.split('|').map(str::to_owned).collect())
        .collect()
}

#[test]
fn tshark_finds_the_same_http_requests_in_the_tls() {
    for capture in traces() {
        let events = our_events(&capture);
        let ours: Vec<String> = events
            .iter()
            .filter(|e| e["layer"] == "http" && field(e, "method").is_some())
            .map(|e| format!("{} {}", text(e, "method"), text(e, "target")))
            .collect();
        // No body reassembly: the tunnel request's "body" is the oNCP
        // stream, which tshark would otherwise wait on for good.
        let no_body = ["-o".to_owned(), "http.desegment_body:FALSE".to_owned()];
        let theirs: Vec<String> = tshark(
            &capture,
            &no_body,
            "http.request",
            &["http.request.method", "http.request.uri"],
        )
        .into_iter()
        .map(|f| f.join(" "))
        .collect();
        assert!(
            !ours.is_empty(),
            "{}: no HTTP requests decoded",
            capture.display()
        );
        assert_eq!(ours, theirs, "{}", capture.display());
    }
}

#[test]
fn tshark_opens_the_same_esp_packets_with_our_sas() {
    let mut checked = 0;
    for capture in traces() {
        let events = our_events(&capture);
        let mut opts = vec![
            "-o".to_owned(),
            "esp.enable_encryption_decode:TRUE".to_owned(),
        ];
        for sa in events
            .iter()
            .filter(|e| e["layer"] == "esp" && field(e, "enc_key").is_some())
        {
            let cipher = "AES-CBC [RFC3602]"; // both oNCP ciphers are AES-CBC
            let mac = match text(sa, "mac").as_str() {
                "HMAC-SHA1-96" => "HMAC-SHA-1-96 [RFC2404]",
                "HMAC-MD5-96" => "HMAC-MD5-96 [RFC2403]",
                other => panic!("no tshark name for {other}"),
            };
            opts.push("-o".to_owned());
            opts.push(format!(
                "uat:esp_sa:\"IPv4\",\"*\",\"*\",\"{}\",\"{cipher}\",\"0x{}\",\"{mac}\",\"0x{}\"",
                text(sa, "spi"),
                text(sa, "enc_key"),
                text(sa, "mac_key")
            ));
        }
        // Packets we verified and opened to an IPv4/IPv6 packet (LZO ones
        // are left out: tshark cannot decompress them).
        let ours: Vec<(u32, u64)> = events
            .iter()
            .filter(|e| {
                e["layer"] == "esp"
                    && text(e, "icv") == "good"
                    && matches!(
                        field(e, "next_header").and_then(Value::as_u64),
                        Some(4 | 41)
                    )
            })
            .map(|e| {
                let spi = u32::from_str_radix(text(e, "spi").trim_start_matches("0x"), 16).unwrap();
                (spi, field(e, "seq").and_then(Value::as_u64).unwrap())
            })
            .collect();
        let theirs: Vec<(u32, u64)> = tshark(
            &capture,
            &opts,
            "esp && (count(ip.version) >= 2 || ipv6)",
            &["esp.spi", "esp.sequence"],
        )
        .into_iter()
        .map(|f| {
            let spi = u32::from_str_radix(f[0].trim_start_matches("0x"), 16).unwrap();
            (spi, f[1].parse().unwrap())
        })
        .collect();
        assert_eq!(ours, theirs, "{}", capture.display());
        checked += ours.len();
    }
    assert!(
        checked > 50,
        "the traces have ESP traffic ({checked} packets)"
    );
}

/// One IF-T message as (vendor, type, length, sequence number).
type Ift = (u32, u32, u32, u32);

/// The IF-T messages in one direction of a decrypted Pulse stream: the
/// HTTP head (upgrade request or 101) skipped, then 16-byte headers
/// followed by their values. Juniper type 4 (an IP packet) kept apart as
/// the packets' lengths.
fn ift_messages(stream: &[u8]) -> (Vec<Ift>, Vec<usize>) {
    let head = stream
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("an HTTP head before IF-T");
    let mut rest = &stream[head + 4..];
    let (mut msgs, mut packets) = (Vec::new(), Vec::new());
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    while rest.len() >= 16 {
        let (vendor, kind, len, seq) = (
            be(&rest[0..]),
            be(&rest[4..]),
            be(&rest[8..]),
            be(&rest[12..]),
        );
        assert!(
            len >= 16 && len as usize <= rest.len(),
            "IF-T length {len} of {}",
            rest.len()
        );
        if (vendor, kind) == (0xa4c, 4) {
            packets.push(len as usize - 16);
        } else {
            msgs.push((vendor, kind, len, seq));
        }
        rest = &rest[len as usize..];
    }
    assert!(rest.is_empty(), "a cut IF-T message at the end");
    (msgs, packets)
}

/// tshark's decrypted byte streams of TCP stream `stream` (`-z
/// follow,tls,raw`): (client to server, server to client).
fn tshark_tls_follow(capture: &Path, stream: u32) -> (Vec<u8>, Vec<u8>) {
    let keylog = format!(
        "tls.keylog_file:{}",
        capture.with_extension("keys").display()
    );
    let out = Command::new("tshark")
        .arg("-r")
        .arg(capture)
        .args([
            "-o",
            &keylog,
            "-q",
            "-z",
            &format!("follow,tls,raw,{stream}"),
        ])
        .output()
        .expect("tshark is installed (scripts/test/apt-packages.txt)");
    assert!(
        out.status.success(),
        "tshark: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let (mut indented, mut flush) = (Vec::new(), Vec::new());
    let body = text.split("Node 1:").nth(1).expect("tshark follow output");
    for line in body.lines().skip(1) {
        if line.starts_with("=====") {
            break;
        }
        let to = if line.starts_with('\t') {
            &mut indented
        } else {
            &mut flush
        };
        let hex = line.trim();
        for i in (0..hex.len()).step_by(2) {
            to.push(u8::from_str_radix(&hex[i..i + 2], 16).expect("tshark hex"));
        }
    }
    // The client's stream is the one with the upgrade request.
    if indented.starts_with(b"GET ") {
        (indented, flush)
    } else {
        (flush, indented)
    }
}

/// Pulse captures: tshark, decrypting the TLS with the same key log,
/// yields byte streams whose IF-T messages (vendor, type, length,
/// sequence) are those our decoder reports, in order, each way; and the
/// IP packets carried over TLS (Juniper type 4) have the lengths of the
/// inner packets we report with via=tls.
#[test]
fn tshark_decrypts_the_same_ift_messages_in_pulse_traces() {
    let mut checked = 0;
    for capture in traces() {
        let events = our_events(&capture);
        if !events.iter().any(|e| e["layer"] == "pulse") {
            continue;
        }
        let flows: std::collections::BTreeSet<u64> = events
            .iter()
            .filter(|e| e["layer"] == "pulse")
            .filter_map(|e| field(e, "flow").and_then(Value::as_u64))
            .collect();
        assert_eq!(
            flows.len(),
            1,
            "{}: one Pulse connection",
            capture.display()
        );
        let (c2s, s2c) = tshark_tls_follow(&capture, 0);
        for (dir, bytes) in [("ClientToServer", c2s), ("ServerToClient", s2c)] {
            let (theirs, their_packets) = ift_messages(&bytes);
            let ours: Vec<Ift> = events
                .iter()
                .filter(|e| e["layer"] == "pulse" && e["direction"] == dir)
                .filter_map(|e| {
                    let t = text(e, "ift_type");
                    let (vendor, rest) = t.split_once(" 0x")?;
                    let vendor = match vendor {
                        "TCG" => 0x5597,
                        "Juniper" => 0xa4c,
                        other => panic!("vendor {other}"),
                    };
                    let kind = u32::from_str_radix(rest.split(' ').next()?, 16).ok()?;
                    let n = |f| field(e, f).and_then(Value::as_u64).unwrap() as u32;
                    Some((vendor, kind, n("message_length"), n("ift_id")))
                })
                .collect();
            // One IF-T message can give two events (the key message and
            // its SA): keep each message once.
            let mut ours_once = ours.clone();
            ours_once.dedup();
            assert_eq!(ours_once, theirs, "{} {dir}", capture.display());
            let our_packets: Vec<usize> = events
                .iter()
                .filter(|e| {
                    e["layer"] == "inner" && e["direction"] == dir && text(e, "via") == "tls"
                })
                .map(|e| field(e, "length").and_then(Value::as_u64).unwrap() as usize)
                .collect();
            assert_eq!(
                our_packets,
                their_packets,
                "{} {dir}: packets over TLS",
                capture.display()
            );
            checked += theirs.len() + their_packets.len();
        }
    }
    assert!(
        checked > 50,
        "the Pulse traces have IF-T messages ({checked})"
    );
}
