//! `oncp decode --esp-sa`: a capture without its key log still has its ESP
//! decrypted when the user supplies the SAs, in the text form the SA events
//! of a decode with secrets print.

use std::path::{Path, PathBuf};

use oncp::cli::decode::{DecodeArgs, decode};
use oncp_core::trace::UserSa;

fn testdata(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata")
        .join(name)
}

fn run(args: &DecodeArgs) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    decode(args, &mut out).unwrap();
    String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn field<'a>(ev: &'a serde_json::Value, name: &str) -> Option<&'a serde_json::Value> {
    ev["fields"]
        .as_array()?
        .iter()
        .find(|f| f["name"] == name)
        .map(|f| &f["value"])
}

fn args(keylog: Vec<PathBuf>, esp_sa: Vec<UserSa>) -> DecodeArgs {
    DecodeArgs {
        capture: testdata("oc-esp.pcap"),
        keylog,
        json: true,
        show_secrets: true,
        packets: false,
        hex: false,
        esp_sa,
    }
}

fn echoes(events: &[serde_json::Value]) -> usize {
    events
        .iter()
        .filter(|e| e["layer"] == "inner" && e["summary"].as_str().unwrap().contains("echo"))
        .count()
}

#[test]
fn user_sas_decrypt_esp_without_the_key_log() {
    let with_keys = run(&args(vec![testdata("oc-esp.keys")], vec![]));
    let sas: Vec<UserSa> = with_keys
        .iter()
        .filter(|e| e["layer"] == "esp" && field(e, "enc_key").is_some())
        .map(|e| {
            let s = |n| field(e, n).unwrap().as_str().unwrap().to_owned();
            let dir = if s("sa_direction") == "C->S" {
                "c2s"
            } else {
                "s2c"
            };
            format!(
                "{}:{}:{}:{}:{}:{dir}",
                s("spi"),
                s("cipher"),
                s("enc_key"),
                s("mac"),
                s("mac_key")
            )
            .parse()
            .unwrap()
        })
        .collect();
    assert_eq!(sas.len(), 2, "oc-esp has one SA each way");
    let expected = echoes(&with_keys);
    assert!(expected >= 6, "oc-esp has its ping");

    let without = run(&args(vec![], vec![]));
    assert_eq!(echoes(&without), 0, "no keys, no inner packets");

    let with_sas = run(&args(vec![], sas));
    assert_eq!(echoes(&with_sas), expected);
    assert!(
        with_sas
            .iter()
            .filter(|e| e["layer"] == "esp")
            .all(|e| field(e, "icv").is_none_or(|v| v == "good")),
        "every ESP packet verifies under the user SAs"
    );
}
