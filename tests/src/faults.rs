//! Shared set-up for the fault-injection end-to-end tests
//! (`tests/tests/e2e_faults_*.rs`): `oncp gateway` (TUN mode) and
//! `oncp connect` in the two namespaces of a [`NetPair`] (started with
//! [`crate::peers`]), plus readers for what they print (the client's log,
//! ping and iperf3 output) and a vpnc-script wrapper that records each
//! reason.
//!
//! Everything started here belongs to the `NetPair`, so it is killed and
//! the namespaces are removed when the test ends, also on a panic.

use crate::netns::{NetPair, Proc};
pub use crate::peers::{Gateway, VPNC_SCRIPT};
use crate::peers::{expect_output, oncp_connect, oncp_gateway};
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The DSID every fault test's gateway accepts.
pub const DSID: &str = "fa0170123456789abcdef0123456789a";
/// The tunnel address pool.
pub const POOL: &str = "10.79.0.0/24";
/// The gateway's own tunnel address (ping and iperf3 target).
pub const TUNNEL_GW: &str = "10.79.0.1";
/// The gateway's ESP port.
pub const ESP_PORT: u16 = 4500;
/// The client's TUN device name.
pub const TUN: &str = "oncpfault0";

/// Starts `oncp gateway` in the gateway namespace (TUN data plane, the
/// [`DSID`] accepted, COUNTERS printed every second) with `extra` flags.
#[track_caller]
pub fn start_gateway(net: &mut NetPair, extra: &[&str]) -> Gateway {
    let esp_port = ESP_PORT.to_string();
    let mut flags = vec![
        "-v",
        "--esp-port",
        &esp_port,
        "--dsid",
        DSID,
        "--pool",
        POOL,
        "--stats",
        "1",
    ];
    flags.extend_from_slice(extra);
    oncp_gateway(net, &flags)
}

/// Starts `oncp -v connect` in the client namespace against `gw` with the
/// cookie `cookie`, TUN device [`TUN`], and `extra` flags.
pub fn start_client(net: &mut NetPair, gw: &Gateway, cookie: &str, extra: &[&str]) -> Proc {
    let mut flags = vec!["-v", "-C", cookie, "-i", TUN];
    flags.extend_from_slice(extra);
    oncp_connect(net, "client", gw, &flags, None)
}

/// Waits until the client says ESP carries data, panicking with both logs
/// otherwise.
#[track_caller]
pub fn wait_esp(client: &mut Proc, gw: &Gateway, timeout: Duration) {
    expect_output(client, "data now over ESP", timeout, gw);
}

/// One counter from [`Gateway::counters`] (0 if not printed yet).
pub fn counter(gw: &Gateway, name: &str) -> u64 {
    gw.counters().get(name).copied().unwrap_or(0)
}

/// Waits for the gateway's next COUNTERS line (printed every second), so
/// that what happened before the call is included.
pub fn fresh_counters(gw: &Gateway) -> HashMap<String, u64> {
    let seen = gw.proc.output().matches("COUNTERS ").count();
    let end = Instant::now() + Duration::from_secs(5);
    while Instant::now() < end && gw.proc.output().matches("COUNTERS ").count() < seen + 1 {
        std::thread::sleep(Duration::from_millis(100));
    }
    gw.counters()
}

/// `text` without ANSI colour sequences (the logs are coloured).
pub fn plain(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // CSI: ESC [ parameters final-byte
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Lines of a log at WARN or ERROR level.
pub fn problems(log: &str) -> Vec<String> {
    plain(log)
        .lines()
        .filter(|l| l.contains(" WARN ") || l.contains(" ERROR "))
        .map(str::to_string)
        .collect()
}

/// How often `needle` occurs in `log`.
pub fn occurrences(log: &str, needle: &str) -> usize {
    log.matches(needle).count()
}

/// Pings the gateway's tunnel address from the client namespace; returns
/// how many of `count` echo requests were answered.
pub fn ping(net: &NetPair, count: u32, interval: &str) -> u32 {
    let count = count.to_string();
    let (_, out) = net.exec(
        &net.client,
        &[
            "ping", "-q", "-c", &count, "-i", interval, "-W", "2", TUNNEL_GW,
        ],
    );
    out.split(" received")
        .next()
        .and_then(|s| s.rsplit(", ").next())
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0)
}

/// Times (seconds since the epoch) of the echo replies in the output of
/// `ping -D`.
pub fn reply_times(ping_output: &str) -> Vec<f64> {
    ping_output
        .lines()
        .filter(|l| l.contains("bytes from"))
        .filter_map(|l| l.strip_prefix('[')?.split(']').next()?.parse().ok())
        .collect()
}

/// The longest gap between consecutive replies, and when it began.
pub fn longest_gap(times: &[f64]) -> (f64, f64) {
    times
        .windows(2)
        .map(|w| (w[1] - w[0], w[0]))
        .fold((0.0, 0.0), |a, b| if b.0 > a.0 { b } else { a })
}

/// Seconds since the Unix epoch (to compare with `ping -D`).
pub fn epoch_secs() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

/// Per-interval throughput (Mbit/s) from iperf3's text output with
/// `-f m`, without the summary lines.
pub fn iperf_intervals(out: &str) -> Vec<f64> {
    out.lines()
        .filter(|l| l.contains(" sec ") && l.contains("Mbits/sec"))
        .filter(|l| !l.contains("sender") && !l.contains("receiver"))
        .filter_map(|l| {
            let before = l.split("Mbits/sec").next()?;
            before.split_whitespace().last()?.parse().ok()
        })
        .collect()
}

/// Starts an iperf3 server (port 5201) in the gateway namespace; it
/// listens on the gateway's tunnel address too.
pub fn iperf_server(net: &mut NetPair) -> Proc {
    let gw_ns = net.gw.clone();
    let mut server = net.spawn(
        &gw_ns,
        "iperf3-server",
        &["iperf3", "-s", "-p", "5201", "--forceflush"],
        None,
    );
    assert!(
        server.wait_for("Server listening", Duration::from_secs(10)),
        "{}",
        server.output()
    );
    server
}

/// A vpnc-script wrapper that appends `reason=$reason` to a file, then
/// runs Debian's vpnc-script. Returns (script, record file).
pub fn recording_script(net: &NetPair) -> (PathBuf, PathBuf) {
    let script = net.path("record-script.sh");
    let record = net.path("reasons.txt");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho \"reason=$reason\" >> '{}'\nexec {VPNC_SCRIPT}\n",
            record.display()
        ),
    )
    .unwrap();
    crate::netns::run("chmod", &["755", script.to_str().unwrap()]);
    (script, record)
}

/// The `ifindex` of `dev` in the client namespace, if it exists.
pub fn ifindex(net: &NetPair, dev: &str) -> Option<u32> {
    let (ok, out) = net.exec(&net.client, &["ip", "-o", "link", "show", "dev", dev]);
    if !ok {
        return None;
    }
    out.split(':').next()?.trim().parse().ok()
}

/// The routes through `dev` in the client namespace.
pub fn routes_via(net: &NetPair, dev: &str) -> String {
    net.exec(&net.client, &["ip", "-4", "route", "show", "dev", dev])
        .1
}

/// The peak resident set (VmHWM) and current resident set (VmRSS) of a
/// running process, in KiB.
pub fn memory_kib(proc: &Proc) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{}/status", proc.pid())).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
    };
    Some((field("VmHWM:")?, field("VmRSS:")?))
}
