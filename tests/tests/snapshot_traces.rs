//! insta snapshots of `oncp decode` over every capture in `testdata/`
//! (text rendering, secrets redacted): any change in what the decoder
//! shows for a real session shows up as a snapshot diff.

use std::path::Path;

use oncp::cli::decode::{DecodeArgs, decode};
use oncp_tests::testdata::traces;

fn decode_text(capture: &Path, json: bool) -> (String, u64) {
    decode_with(capture, json, false)
}

fn decode_with(capture: &Path, json: bool, show_secrets: bool) -> (String, u64) {
    let args = DecodeArgs {
        capture: capture.to_path_buf(),
        keylog: vec![capture.with_extension("keys")],
        json,
        show_secrets,
        packets: false,
        hex: false,
        esp_sa: vec![],
    };
    let mut out = Vec::new();
    let (_, errors) = decode(&args, &mut out).unwrap();
    (String::from_utf8(out).unwrap(), errors)
}

#[test]
fn every_trace_decodes_as_snapshotted() {
    let traces = traces();
    assert!(traces.len() >= 11, "testdata has its captures");
    for t in traces {
        let name = t.file_stem().unwrap().to_string_lossy().into_owned();
        let (text, errors) = decode_text(&t, false);
        assert_eq!(errors, 0, "{name}: decoding errors\n{text}");
        insta::assert_snapshot!(name, text);
    }
}

#[test]
fn openconnect_traces_show_config_sas_and_decrypted_echoes() {
    for name in [
        "oc-esp",
        "oc-rekey",
        "oc-lzo",
        "oc-legacy",
        "oc-legacy-sha1",
        "oncp-esp",
    ] {
        let p = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../testdata/{name}.pcap"));
        let (text, _) = decode_text(&p, false);
        assert!(
            text.contains("KMP 301 configuration address=10.77.0.2"),
            "{name}"
        );
        assert!(text.contains(" esp     SA spi="), "{name}");
        assert!(text.contains("echo request"), "{name}");
        assert!(text.contains("echo reply"), "{name}");
        assert!(text.contains("icv=good"), "{name}");
        assert!(!text.contains("icv=bad"), "{name}");
        assert!(
            !text.contains("capture0123456789abcdef01234567"),
            "{name}: DSID redacted"
        );
    }
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/oc-lzo.pcap");
    assert!(decode_text(&p, false).0.contains("via=esp+lzo"));
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/oc-tls.pcap");
    let (text, _) = decode_text(&p, false);
    assert!(
        text.contains("via=tls") || text.contains("KMP 300"),
        "TLS data path shown"
    );
}

fn trace(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../testdata/{name}.pcap"))
}

/// Lines of `text` from `layer` whose summary contains `what`.
fn count(text: &str, layer: &str, what: &str) -> usize {
    let tag = format!(" {layer:<7} ");
    text.lines()
        .filter(|l| l.contains(&tag) && l.contains(what))
        .count()
}

/// The Pulse captures (OpenConnect 9.01 `--protocol=pulse` and `oncp
/// connect --protocol pulse` against `oncp gateway --protocol pulse`): the
/// IF-T records and EAP named, the password and the DSID cookie redacted
/// (shown with --show-secrets), the configuration with its IPv6 address,
/// both ESP SAs from the key message and its reply, ESP decrypted with
/// good ICVs, and the inner IPv4/IPv6 echoes on the path they took.
#[test]
fn pulse_traces_show_eap_config_sas_and_decrypted_packets() {
    for name in ["oc-pulse-esp", "oc-pulse-tls", "oncp-pulse-esp"] {
        let (text, errors) = decode_text(&trace(name), false);
        assert_eq!(errors, 0, "{name}: {text}");
        for what in [
            "101 Switching Protocols",
            "version request 1..2 preferring 2",
            "version 2 ",
            "client information ",
            "auth response: Response id=1 Identity(1) anonymous",
            "\"0xd70 client version (V vendor=0x583",
            "\"0x4f EAP-Message (M, 13 bytes) = Request id=3 Juniper/2 01\"",
            "\"0xd6d user name (V vendor=0x583, 5 bytes) = <redacted>\"",
            "Juniper/2 <redacted>\"",
            "\"0xd53 cookie (V vendor=0x583, 32 bytes) = <redacted>\"",
            "auth success: Success id=4",
            "main configuration address=10.77.0.3 address6=fd00:77::3/64 mtu=1400",
            "split_include6=[fd00:77::/64]",
            "ESP keys spi=0x",
            "end of configuration",
            "logout ift_type=\"Juniper 0x89 (logout)\"",
        ] {
            assert_eq!(
                count(&text, "pulse", what) + count(&text, "http", what),
                1,
                "{name}: {what}\n{text}"
            );
        }
        assert!(!text.contains("hunter2"), "{name}: password redacted");
        assert!(!text.contains("alice"), "{name}: user name redacted");
        assert!(!text.contains("icv=bad"), "{name}");
        let (secrets, _) = decode_with(&trace(name), false, true);
        // The password travels as Juniper/2 attribute 2: 02 <len> "hunter2".
        assert!(secrets.contains("Juniper/2 02020968756e74657232"), "{name}");
        assert!(secrets.contains("= alice\""), "{name}");
        let cookie = secrets
            .split("0xd53 cookie (V vendor=0x583, 32 bytes) = ")
            .nth(1)
            .and_then(|s| s.get(..32))
            .unwrap_or_else(|| panic!("{name}: cookie shown with --show-secrets"));
        assert!(cookie.bytes().all(|b| b.is_ascii_hexdigit()), "{cookie}");
        assert!(!text.contains(cookie), "{name}: cookie redacted");
    }
    for name in ["oc-pulse-esp", "oncp-pulse-esp"] {
        let (text, _) = decode_text(&trace(name), false);
        assert_eq!(
            count(&text, "esp", "SA spi="),
            2,
            "{name}: both SAs\n{text}"
        );
        assert_eq!(count(&text, "pulse", "ESP key reply spi="), 1, "{name}");
        assert!(count(&text, "esp", " probe ") >= 2, "{name}: ESP probes");
        for what in ["echo request", "echo reply"] {
            let v4 = text
                .lines()
                .filter(|l| {
                    l.contains(" inner ") && l.contains("ICMP 10.77.0.") && l.contains(what)
                })
                .collect::<Vec<_>>();
            assert_eq!(v4.len(), 3, "{name}: {what}");
            assert!(v4.iter().all(|l| l.contains("via=esp")), "{name}: {v4:?}");
        }
    }
    // OpenConnect 9.01 sends IPv6 over TLS even with ESP up (spec §6.5).
    for name in ["oc-pulse-esp", "oc-pulse-tls"] {
        let (text, _) = decode_text(&trace(name), false);
        for what in [
            "fd00:77::3 -> fd00:77::1 echo request",
            "fd00:77::1 -> fd00:77::3 echo reply",
        ] {
            let v6: Vec<_> = text.lines().filter(|l| l.contains(what)).collect();
            assert_eq!(v6.len(), 3, "{name}: {what}");
            assert!(v6.iter().all(|l| l.contains("via=tls")), "{name}: {v6:?}");
        }
        assert_eq!(count(&text, "inner", "router solicitation"), 1, "{name}");
    }
    // --no-dtls: no key reply, no ESP, the IPv4 echoes over TLS.
    let (text, _) = decode_text(&trace("oc-pulse-tls"), false);
    assert_eq!(count(&text, "pulse", "ESP key reply"), 0);
    assert_eq!(count(&text, "esp", "ESP spi="), 0);
    let v4: Vec<_> = text
        .lines()
        .filter(|l| l.contains(" inner ") && l.contains("ICMP 10.77.0."))
        .collect();
    assert_eq!(v4.len(), 6, "{v4:?}");
    assert!(v4.iter().all(|l| l.contains("via=tls")), "{v4:?}");
}

/// The `--legacy-tls` captures: TLS 1.2 with RSA key exchange and
/// AES-256-CBC with SHA-256 and SHA-1 MACs, decrypted from OpenConnect's
/// CLIENT_RANDOM lines.
#[test]
fn legacy_tls_traces_are_decrypted() {
    for (name, suite) in [
        ("oc-legacy", "TLS_RSA_WITH_AES_256_CBC_SHA256"),
        ("oc-legacy-sha1", "TLS_RSA_WITH_AES_256_CBC_SHA "),
    ] {
        let p = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../testdata/{name}.pcap"));
        let (text, errors) = decode_text(&p, false);
        assert_eq!(errors, 0, "{name}: {text}");
        assert_eq!(
            text.matches(&format!("ServerHello TLS 1.2 {suite}"))
                .count(),
            2,
            "{name}: both connections\n{text}"
        );
        assert!(text.contains("ClientKeyExchange"), "{name}");
        assert!(text.contains("(tunnel request)"), "{name}: decrypted HTTP");
        assert!(text.contains("GET /dana-na/auth/logout.cgi"), "{name}");
        assert!(text.contains("echo reply"), "{name}");
    }
}

#[test]
fn json_lines_parse_and_match_the_text_events() {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/oc-esp.pcap");
    let (json, _) = decode_text(&p, true);
    let (text, _) = decode_text(&p, false);
    assert_eq!(json.lines().count(), text.lines().count());
    for line in json.lines() {
        assert!(
            line.starts_with('{') && line.contains("\"layer\""),
            "{line}"
        );
    }
}

#[test]
fn truncated_captures_give_partial_results_and_errors() {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/oc-esp.pcap");
    let bytes = std::fs::read(&p).unwrap();
    let dir = std::env::temp_dir().join(format!("oncp-trunc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cut = dir.join("cut.pcap");
    std::fs::write(&cut, &bytes[..bytes.len() * 2 / 3]).unwrap();
    std::fs::copy(p.with_extension("keys"), cut.with_extension("keys")).unwrap();
    let (text, errors) = decode_text(&cut, false);
    assert!(errors >= 1, "a truncated capture reports an error:\n{text}");
    assert!(
        text.contains("KMP 301 configuration"),
        "partial results kept"
    );
    // Garbage and a missing key log: errors, no panic.
    std::fs::write(&cut, b"this is not a capture at all").unwrap();
    let (_, errors) = decode_text(&cut, false);
    assert!(errors >= 1);
    std::fs::remove_dir_all(&dir).unwrap();
}
