//! tshark (Wireshark 4, an independent TLS and ESP implementation) as the
//! judge of our trace decoding, on every capture in `testdata/`:
//! - TLS: given the same key log, tshark finds the same HTTP requests
//!   (method and target, in order) inside the decrypted TLS as we do;
//! - ESP: given the SAs our decoder took from the oNCP stream, tshark opens
//!   exactly the packets (SPI, sequence number) that we open to an IP packet.
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
