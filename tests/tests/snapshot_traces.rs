//! insta snapshots of `oncp decode` over every capture in `testdata/`
//! (text rendering, secrets redacted): any change in what the decoder
//! shows for a real session shows up as a snapshot diff.

use std::path::Path;

use oncp::cli::decode::{DecodeArgs, decode};
use oncp_tests::testdata::traces;

fn decode_text(capture: &Path, json: bool) -> (String, u64) {
    let args = DecodeArgs {
        capture: capture.to_path_buf(),
        keylog: vec![capture.with_extension("keys")],
        json,
        show_secrets: false,
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
    assert!(traces.len() >= 6, "testdata has its captures");
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
