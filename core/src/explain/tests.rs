//! Whole-log tests of `explain`: each log format (OpenConnect's dumps and
//! messages behind syslog/timestamp prefixes, oncp's log, each bare hex
//! shape, Pulse IF-T dumps) and each kind of damage, on logs built here
//! from the wire encoders (the captured logs are in tests/tests/explain_logs.rs).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::net::Ipv4Addr;

use super::{Explanation, Options, explain};
use crate::oncp::wire::{Config, ConfigValues, HostnamePacket, KmpType, Route, Status};

/// `bytes` as OpenConnect's dump_buf_hex prints them after `marker`.
fn oc_dump(marker: char, bytes: &[u8]) -> String {
    let mut out = String::new();
    for (n, row) in bytes.chunks(16).enumerate() {
        let mut line = format!("{marker} {:04x}:", n * 16);
        for j in 0..16 {
            if j % 8 == 0 {
                line.push(' ');
            }
            match row.get(j) {
                Some(b) => line.push_str(&format!(" {b:02x}")),
                None => line.push_str("   "),
            }
        }
        line.push_str("  |");
        line.extend(row.iter().map(|&b| super::hexline::printable(b)));
        line.push_str("|\n");
        out.push_str(&line);
    }
    out
}

fn ids(e: &Explanation) -> Vec<&str> {
    e.verdicts.iter().map(|v| v.id.as_str()).collect()
}

fn run(log: &str) -> Explanation {
    explain(log, &Options::default())
}

fn all_text(e: &Explanation) -> String {
    format!("{e:?}")
}

fn config_record(values: ConfigValues) -> Vec<u8> {
    let msg = Config::from_values(values)
        .to_message(KmpType::CONFIG)
        .unwrap();
    let mut payload = Vec::new();
    msg.emit(&mut payload);
    crate::oncp::wire::record::encode_record(&payload)
}

#[test]
fn openconnect_status_08_behind_syslog_prefixes() {
    let host = HostnamePacket::new("laptop").to_record();
    let mut log = String::new();
    for l in oc_dump('>', &host).lines() {
        log.push_str(&format!("Dec  7 01:02:03 laptop openconnect[77]: {l}\n"));
    }
    log.push_str("Dec  7 01:02:03 laptop openconnect[77]: Read 3 bytes of SSL record\n");
    for l in oc_dump('<', &Status::ONCP_DISABLED.to_record()).lines() {
        log.push_str(&format!("Dec  7 01:02:03 laptop openconnect[77]: {l}\n"));
    }
    let e = run(&log);
    assert_eq!(ids(&e), ["status-08"]);
    assert!(all_text(&e).contains("laptop"));
    assert!(e.damage.is_empty(), "{:?}", e.damage);
}

#[test]
fn openconnect_timestamps_and_messages_only() {
    let log = "[2026-12-07 01:02:03] Got HTTP response: HTTP/1.1 200 OK\n\
               [2026-12-07 01:02:03] Read 3 bytes of SSL record\n\
               [2026-12-07 01:02:03] Unexpected response of size 3 after hostname packet\n";
    assert_eq!(ids(&run(log)), ["zero-length-record"]);
}

#[test]
fn config_messages_give_route_verdicts() {
    let log = "Received internal IP address 10.0.0.5\n\
               Received netmask 255.255.255.255\n\
               Received split include route 0.0.0.0/0.0.0.0\n\
               Unknown TLV group 3 attr 2 len 4: 0a 00 00 01\n\
               ESP port: 4500\n\
               Send ESP probes\n\
               Configured as 10.0.0.5, with SSL connected and ESP in progress\n\
               a\nb\nc\nd\n";
    let e = run(log);
    assert_eq!(ids(&e), ["esp-unanswered", "default-route", "unknown-tlv"]);
    assert!(e.verdicts[0].title.contains("port 4500"));
    assert!(e.verdicts[1].detail.contains("255.255.255.255 (/32)"));
    // The unknown TLV is kept with its raw value in the configuration item.
    assert!(all_text(&e).contains("0a 00 00 01"));
}

#[test]
fn config_dumped_on_error_is_decoded_with_its_fault() {
    let mut rec = config_record(ConfigValues {
        address: Some(Ipv4Addr::new(10, 1, 0, 2)),
        split_include: alloc::vec![Route::from_prefix(Ipv4Addr::new(10, 1, 0, 0), 16)],
        ..ConfigValues::default()
    });
    // The split include's TLV length edited from 8 to 9.
    let at = rec
        .windows(6)
        .position(|w| w == [0, 3, 0, 0, 0, 8])
        .unwrap();
    rec[at + 5] = 9;
    let log = format!("Failed to parse KMP message\n{}", oc_dump('<', &rec[2..]));
    let e = run(&log);
    let text = all_text(&e);
    assert!(text.contains("10.1.0.2"), "{text}");
    assert!(text.contains("TLV 3/3"), "{text}");
    assert!(ids(&e).contains(&"config-error"), "{:?}", ids(&e));
}

#[test]
fn oncp_log_lines() {
    let log = "2026-12-07T01:02:03.000001Z  INFO oncp::client::driver: connected to vpn:443\n\
               2026-12-07T01:02:04.000001Z ERROR oncp::cli::connect: cookie was rejected by server (HTTP 401); exiting\n";
    let e = run(log);
    assert_eq!(ids(&e), ["cookie-rejected"]);
    assert_eq!(e.formats, ["oncp log"]);
}

#[test]
fn each_hex_shape_and_direction_guess() {
    let rec = HostnamePacket::new("box").to_record();
    let plain: Vec<String> = rec.iter().map(|b| format!("{b:02x}")).collect();
    let xxd = format!(
        "00000000: {}  ...\n",
        rec.chunks(2)
            .map(|c| c.iter().map(|b| format!("{b:02x}")).collect::<String>())
            .collect::<Vec<_>>()
            .join(" ")
    );
    let tshark = format!("0000  {}   ...\n", plain.join(" "));
    let hexdump = format!("00000000  {}  |...|\n{:08x}\n", plain.join(" "), rec.len());
    for log in [plain.join(" "), plain.concat(), xxd, tshark, hexdump] {
        let e = run(&log);
        let text = all_text(&e);
        assert!(text.contains("\"box\""), "{log}: {text}");
        assert!(text.contains("the log gives no direction"), "{log}: {text}");
    }
}

#[test]
fn damage_kinds() {
    let host = HostnamePacket::new("debian").to_record();
    let good = oc_dump('>', &host);
    // An edited length: says 18, 19 follow.
    let edited = good.replacen("> 0000:  13", "> 0000:  12", 1);
    assert!(all_text(&run(&edited)).contains("record says 18 bytes, 19 follow"));
    // A line lost in the middle (a longer record).
    let big = HostnamePacket::new("a-rather-long-host-name-here").to_record();
    let big_dump = oc_dump('>', &big);
    let lines: Vec<&str> = big_dump.lines().collect();
    let cut = format!("{}\n{}\n", lines[0], lines[2]);
    assert!(all_text(&run(&cut)).contains("16 bytes are missing"));
    // A wrapped line, joined again.
    let (a, b) = lines[0].split_at(40);
    let wrapped = format!("{a}\n{b}\n{}\n{}\n", lines[1], lines[2]);
    let e = run(&wrapped);
    assert!(all_text(&e).contains("(wrapped); joined"));
    assert!(all_text(&e).contains("a-rather-long-host-name-here"));
    // A hand-edited byte that the text column gives away.
    let typo = good.replacen("64 65 62", "64 66 62", 1);
    assert!(all_text(&run(&typo)).contains("edited by hand"));
    // Two logs.
    let two =
        "Cookie was rejected by server; exiting.\nAttempting to connect to server 1.2.3.4:443\n";
    assert!(all_text(&run(two)).contains("two logs pasted together"));
}

#[test]
fn pulse_dump_with_failure() {
    use crate::pulse::auth::message::{AuthMessage, AuthStage};
    use crate::pulse::auth::request::{Failure, RequestKind, ServerRequest};
    let req = ServerRequest::new(RequestKind::Failure(Failure::Code(0x0e)));
    let msg = AuthMessage::juniper1(AuthStage::Challenge, 2, &req.to_avps()).to_message(9);
    let log = oc_dump('<', &msg.to_bytes());
    let e = run(&log);
    assert_eq!(ids(&e), ["ift-auth-failure"]);
    assert!(e.verdicts[0].title.contains("client certificate required"));
    let e = run("Authentication failure: Account locked out\n");
    assert_eq!(ids(&e), ["ift-auth-failure"]);
}

#[test]
fn secrets_stay_hidden_unless_asked() {
    let log = "> Cookie: DSID=feedfacefeedface; DSFirstAccess=1\n\
               > POST /dana-na/auth/url_default/login.cgi HTTP/1.1\n\
               >\n\
               > username=u&password=hunter2\n\
               ESP encryption type AES-128-CBC (RFC3602) key 0x00112233445566778899aabbccddeeff\n";
    let hidden = all_text(&run(log));
    for s in ["feedface", "hunter2", "00112233445566778899"] {
        assert!(!hidden.contains(s), "{s} in {hidden}");
    }
    let shown = all_text(&explain(log, &Options { show_secrets: true }));
    assert!(shown.contains("hunter2") && shown.contains("00112233445566778899"));
}

#[test]
fn garbage_never_panics() {
    let mut seed = 0x1234_5678u32;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        seed
    };
    let alphabet = b"<> 0123456789abcdef:|.\n*xZ";
    for _ in 0..300 {
        let len = next() as usize % 400;
        let s: String = (0..len)
            .map(|_| char::from(alphabet[next() as usize % alphabet.len()]))
            .collect();
        let _ = run(&s).to_text();
    }
}
