//! `oncp explain` over the logs in `testdata/logs/` (made by
//! `scripts/make-logs.sh` and `scripts/make-damaged-logs.sh`, see its
//! README): each explanation is an insta snapshot, and each log's
//! verdicts, damage notes and redaction are checked by name.

use std::path::{Path, PathBuf};

use oncp::cli::explain::{ExplainArgs, write_explanation};

fn logs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/logs")
}

/// Every `.log` under `testdata/logs/` as (snapshot name, path), sorted.
fn logs() -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    for sub in ["", "damaged", "hex"] {
        let dir = logs_dir().join(sub);
        for e in std::fs::read_dir(&dir).expect("testdata/logs is readable") {
            let p = e.expect("entry").path();
            if p.extension().is_some_and(|x| x == "log") {
                let stem = p.file_stem().unwrap().to_string_lossy().into_owned();
                let name = if sub.is_empty() {
                    stem
                } else {
                    format!("{sub}-{stem}")
                };
                out.push((name, p));
            }
        }
    }
    out.sort();
    out
}

fn explain(path: &Path, json: bool) -> String {
    let log = std::fs::read_to_string(path).unwrap();
    let args = ExplainArgs {
        file: None,
        json,
        show_secrets: false,
    };
    let mut out = Vec::new();
    write_explanation(&log, &args, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn verdict_ids(path: &Path) -> (Vec<String>, serde_json::Value) {
    let v: serde_json::Value = serde_json::from_str(&explain(path, true)).unwrap();
    let ids = v["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap().to_string())
        .collect();
    (ids, v)
}

#[test]
fn every_log_explains_as_snapshotted() {
    let logs = logs();
    assert!(logs.len() >= 14, "testdata/logs has its logs: {logs:?}");
    for (name, p) in logs {
        let text = explain(&p, false);
        insta::assert_snapshot!(name, text);
    }
}

/// The verdicts each captured log must give (failing configurations of
/// `oncp gateway` and the hostile gateway against OpenConnect 9.01).
#[test]
fn captured_logs_give_their_verdicts() {
    for (log, want) in [
        ("oc-good", &[][..]),
        ("oc-cookie-rejected", &["cookie-rejected"][..]),
        ("oc-status-08", &["status-08"]),
        ("oc-zero-record", &["zero-length-record"]),
        ("oc-default-route", &["default-route"]),
        ("oc-split-config", &["config-split"]),
        ("oc-udp-blocked", &["esp-unanswered"]),
        ("oncp-tls-legacy", &["tls-legacy"]),
        ("damaged/oc-status-08-wrapped", &["status-08"]),
        ("damaged/oc-zero-record-cut", &["zero-length-record"]),
        ("damaged/no-direction", &["zero-length-record"]),
        ("damaged/two-logs", &["status-08", "cookie-rejected"]),
    ] {
        let (ids, _) = verdict_ids(&logs_dir().join(format!("{log}.log")));
        assert_eq!(ids, want, "{log}");
    }
}

/// Damage is said precisely and decoding goes on.
#[test]
fn damaged_logs_are_diagnosed() {
    for (log, needle) in [
        (
            "damaged/oc-good-edited-length",
            "record says 18 bytes, 19 follow",
        ),
        ("damaged/oc-status-08-wrapped", "(wrapped); joined"),
        (
            "damaged/oc-zero-record-cut",
            "record says 19 bytes, 14 follow",
        ),
        (
            "damaged/oc-zero-record-cut",
            "its reason byte is not in this dump",
        ),
        ("damaged/two-logs", "two logs pasted together"),
        ("damaged/no-direction", "the log gives no direction"),
        (
            "hex/plain-301-edited",
            "KMP 301 says 204 payload bytes, 203 follow",
        ),
    ] {
        // JSON: the text rendering wraps long sentences.
        let text = explain(&logs_dir().join(format!("{log}.log")), true);
        assert!(text.contains(needle), "{log}: no {needle:?} in\n{text}");
    }
    // The edited hostname packet still names its host.
    let text = explain(&logs_dir().join("damaged/oc-good-edited-length.log"), false);
    assert!(text.contains("host name: debian"), "{text}");
}

/// Every bare hex shape of the same KMP 301 decodes to the same fields.
#[test]
fn hex_shapes_decode_the_same_config() {
    let fields = |name: &str| {
        let (_, v) = verdict_ids(&logs_dir().join(format!("hex/{name}.log")));
        let text = v["items"].to_string();
        for want in [
            "10.77.0.2",
            "10.77.0.0/24",
            "\"4500\"",
            "<64 bytes redacted>",
            "2 (AES-128-CBC)",
        ] {
            assert!(text.contains(want), "{name}: {want} missing in {text}");
        }
    };
    for name in ["tshark-301", "xxd-301", "hexdump-301", "plain-301"] {
        fields(name);
    }
}

/// Cookies and ESP keys in the logs never reach the explanation.
#[test]
fn secrets_are_redacted() {
    for (name, p) in logs() {
        let log = std::fs::read_to_string(&p).unwrap();
        let text = explain(&p, false) + &explain(&p, true);
        assert!(
            !text.contains("0123456789abcdef0123456789abcdef"),
            "{name}: DSID shown"
        );
        for line in log.lines() {
            if let Some(key) = line.split(" key 0x").nth(1) {
                assert!(!text.contains(key), "{name}: ESP key shown");
            }
        }
    }
}
