//! The decoder over the real captures in `testdata/` (OpenConnect 9.01 and
//! `oncp connect` against `oncp gateway`, with their key logs; see
//! `testdata/README.md`).

use std::collections::BTreeSet;
use std::path::PathBuf;

use oncp_core::esp::{Cipher, Integrity, SaParams};
use oncp_core::trace::{
    Decoder, DecoderOptions, Direction, Event, Layer, TraceError, UserSa, Value,
};

fn testdata(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata")
        .join(name)
}

fn read(name: &str) -> (Vec<u8>, Vec<u8>) {
    let pcap = std::fs::read(testdata(&format!("{name}.pcap"))).unwrap();
    let keys = std::fs::read(testdata(&format!("{name}.keys"))).unwrap();
    (pcap, keys)
}

fn run(pcap: &[u8], keys: Option<&[u8]>, opts: DecoderOptions, chunk: usize) -> Vec<Event> {
    let mut d = Decoder::new(opts);
    if let Some(k) = keys {
        d.add_keylog(k);
    }
    let mut out = Vec::new();
    for c in pcap.chunks(chunk) {
        d.push(c);
        out.extend(std::iter::from_fn(|| d.poll_event()));
    }
    d.finish();
    out.extend(std::iter::from_fn(|| d.poll_event()));
    out
}

fn decode(name: &str) -> Vec<Event> {
    let (pcap, keys) = read(name);
    run(&pcap, Some(&keys), DecoderOptions::default(), 1500)
}

fn text(e: &Event, name: &str) -> String {
    match e.field(name) {
        Some(Value::Text(s)) => s.clone(),
        other => panic!("{name} of {e}: {other:?}"),
    }
}

fn no_errors(events: &[Event]) {
    let errors: Vec<String> = events
        .iter()
        .filter(|e| e.is_error())
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

/// Inner ICMP echoes: (requests, replies) carried `via`.
fn echoes(events: &[Event], via: &str) -> (usize, usize) {
    let inner = |kind: &str| {
        events
            .iter()
            .filter(|e| {
                e.layer == Layer::Inner
                    && e.summary.contains(kind)
                    && e.field("via") == Some(&Value::Text(via.into()))
            })
            .count()
    };
    (inner("echo request"), inner("echo reply"))
}

fn sa_events(events: &[Event], dir: Direction) -> Vec<&Event> {
    events
        .iter()
        .filter(|e| {
            e.layer == Layer::Esp
                && e.summary.starts_with("SA ")
                && e.field("sa_direction") == Some(&Value::Text(dir.label().into()))
        })
        .collect()
}

#[test]
fn openconnect_esp_session() {
    let events = decode("oc-esp");
    no_errors(&events);
    let tunnel = events
        .iter()
        .find(|e| e.layer == Layer::Http && e.field("tunnel").is_some())
        .unwrap();
    assert_eq!(
        tunnel.summary,
        "POST /dana/js?prot=1&svc=4 (tunnel request)"
    );
    assert_eq!(
        tunnel.field("cookies"),
        Some(&Value::List(vec![Value::Text("DSID=<redacted>".into())]))
    );
    let config = events
        .iter()
        .find(|e| e.summary.starts_with("KMP 301"))
        .unwrap();
    assert_eq!(text(config, "address"), "10.77.0.2");
    assert_eq!(text(config, "esp_cipher"), "AES-128-CBC");
    assert_eq!(config.field("esp_port"), Some(&Value::Uint(4500)));
    assert_eq!(text(config, "esp_secrets"), "<redacted>");
    assert_eq!(sa_events(&events, Direction::ClientToServer).len(), 1);
    assert_eq!(sa_events(&events, Direction::ServerToClient).len(), 1);
    let esp: Vec<_> = events
        .iter()
        .filter(|e| e.layer == Layer::Esp && e.summary.starts_with("ESP "))
        .collect();
    assert!(
        esp.iter()
            .all(|e| text(e, "icv") == "good" && text(e, "replay") == "fresh")
    );
    assert_eq!(esp.iter().filter(|e| e.field("probe").is_some()).count(), 4);
    assert_eq!(echoes(&events, "esp"), (3, 3));
    assert!(events.iter().any(|e| e.summary == "KMP 303 control esp=on"));
}

#[test]
fn openconnect_tls_only_session() {
    let events = decode("oc-tls");
    no_errors(&events);
    assert_eq!(echoes(&events, "tls"), (3, 3));
    assert_eq!(echoes(&events, "esp"), (0, 0));
}

#[test]
fn rekeys_keep_old_and_new_sas() {
    let events = decode("oc-rekey");
    no_errors(&events);
    assert_eq!(sa_events(&events, Direction::ClientToServer).len(), 3);
    assert_eq!(sa_events(&events, Direction::ServerToClient).len(), 3);
    assert_eq!(
        events
            .iter()
            .filter(|e| e.summary.starts_with("KMP 302 rekey"))
            .count(),
        2
    );
    let spis: BTreeSet<String> = events
        .iter()
        .filter(|e| {
            e.layer == Layer::Esp && e.summary.starts_with("ESP ") && e.field("probe").is_none()
        })
        .map(|e| text(e, "spi"))
        .collect();
    assert!(spis.len() >= 4, "{spis:?}");
    assert_eq!(echoes(&events, "esp"), (16, 16));
}

#[test]
fn lzo_compressed_packets_are_expanded() {
    let events = decode("oc-lzo");
    no_errors(&events);
    let (_, replies) = echoes(&events, "esp+lzo");
    assert!(replies >= 1);
    let lzo = events
        .iter()
        .find(|e| e.field("via") == Some(&Value::Text("esp+lzo".into())))
        .unwrap();
    assert_eq!(lzo.field("length"), Some(&Value::Uint(628)));
    assert!(
        events
            .iter()
            .any(|e| e.layer == Layer::Esp && e.field("next_header") == Some(&Value::Uint(5)))
    );
}

#[test]
fn oncp_client_sessions_and_reconnect() {
    let events = decode("oncp-esp");
    no_errors(&events);
    assert_eq!(echoes(&events, "esp").0, echoes(&events, "esp").1);
    assert!(echoes(&events, "esp").0 >= 3);

    let events = decode("oncp-reconnect");
    no_errors(&events);
    let opens: Vec<_> = events
        .iter()
        .filter(|e| e.summary.starts_with("200 OK (tunnel open"))
        .collect();
    assert_eq!(opens.len(), 2);
    // ESP comes back with the second connection's keys.
    assert!(events.iter().any(|e| {
        e.layer == Layer::Esp
            && e.field("sa")
                .is_some_and(|v| *v == Value::Text("client 302 (flow 1)".into()))
            && e.field("icv") == Some(&Value::Text("good".into()))
    }));
}

#[test]
fn secrets_shown_only_when_asked() {
    let (pcap, keys) = read("oc-esp");
    let opts = DecoderOptions {
        show_secrets: true,
        ..Default::default()
    };
    let events = run(&pcap, Some(&keys), opts, 4096);
    let tunnel = events
        .iter()
        .find(|e| e.layer == Layer::Http && e.field("tunnel").is_some())
        .unwrap();
    let Some(Value::List(cookies)) = tunnel.field("cookies") else {
        panic!()
    };
    assert!(!cookies[0].to_string().contains("redacted"));
    // User-supplied SAs decrypt ESP without any key log.
    let user_sas: Vec<UserSa> = [Direction::ClientToServer, Direction::ServerToClient]
        .into_iter()
        .map(|dir| {
            let e = sa_events(&events, dir)[0];
            let hex = |s: String| -> Vec<u8> {
                (0..s.len())
                    .step_by(2)
                    .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
                    .collect()
            };
            let mut secrets = [0u8; 64];
            let enc = hex(text(e, "enc_key"));
            let mac = hex(text(e, "mac_key"));
            secrets[..16].copy_from_slice(&enc);
            secrets[16..36].copy_from_slice(&mac);
            let spi = u32::from_str_radix(text(e, "spi").trim_start_matches("0x"), 16).unwrap();
            UserSa {
                params: SaParams::new(spi, Cipher::Aes128Cbc, Integrity::HmacSha1_96, &secrets),
                direction: Some(dir),
            }
        })
        .collect();
    let opts = DecoderOptions {
        esp_sas: user_sas,
        ..Default::default()
    };
    let without_keys = run(&pcap, None, opts, 4096);
    assert_eq!(echoes(&without_keys, "esp"), (3, 3));
    assert!(without_keys.iter().any(
        |e| matches!(e.error, Some(TraceError::Tls(_))) || e.summary.contains("cannot decrypt")
    ));
}

#[test]
fn missing_or_wrong_keys_are_reported() {
    let (pcap, keys) = read("oc-esp");
    let none = run(&pcap, None, DecoderOptions::default(), 999);
    assert!(
        none.iter().any(|e| e.summary.contains("cannot decrypt")),
        "no cannot-decrypt event"
    );
    assert!(none.iter().all(|e| e.layer != Layer::Inner));
    // Every secret flipped: decryption fails, still no panic, still TCP.
    let wrong: Vec<u8> = String::from_utf8(keys)
        .unwrap()
        .lines()
        .map(|l| {
            let mut parts: Vec<String> = l.split(' ').map(String::from).collect();
            if parts.len() == 3 {
                parts[2] = parts[2]
                    .chars()
                    .map(|c| if c == '0' { '1' } else { '0' })
                    .collect();
            }
            parts.join(" ") + "\n"
        })
        .collect::<String>()
        .into_bytes();
    let events = run(&pcap, Some(&wrong), DecoderOptions::default(), 999);
    assert!(
        events
            .iter()
            .any(|e| e.layer == Layer::Tls && (e.is_error() || e.summary.contains("failed")))
    );
    assert!(events.iter().all(|e| e.layer != Layer::Inner));
}

#[test]
fn truncated_captures_give_partial_results() {
    let (pcap, keys) = read("oc-esp");
    let full = run(&pcap, Some(&keys), DecoderOptions::default(), 1 << 20);
    for cut in (0..pcap.len()).step_by(211) {
        let events = run(&pcap[..cut], Some(&keys), DecoderOptions::default(), 333);
        // Every event of the cut capture before its final errors is also
        // in the full decoding's prefix of events from the same bytes.
        let decoded_inner = events.iter().filter(|e| e.layer == Layer::Inner).count();
        let full_inner = full
            .iter()
            .filter(|e| {
                e.layer == Layer::Inner && e.source.as_ref().is_some_and(|r| r.end <= cut as u64)
            })
            .count();
        assert_eq!(decoded_inner, full_inner, "cut at {cut}");
    }
}

#[test]
fn chunking_does_not_change_the_result() {
    let (pcap, keys) = read("oc-rekey");
    let a = run(&pcap, Some(&keys), DecoderOptions::default(), 1 << 20);
    let b = run(&pcap, Some(&keys), DecoderOptions::default(), 7);
    assert_eq!(a, b);
}
