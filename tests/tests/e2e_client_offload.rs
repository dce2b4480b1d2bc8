//! TUN offloads in use (issue 21): `oncp connect` against `oncp gateway`
//! (TUN mode) in two network namespaces, iperf3 TCP both ways through the
//! tunnel. With offloads on, each end must have read TSO super-packets
//! from its TUN device (and split them into MSS-sized packets) and written
//! coalesced TCP segments back as super-packets: the client says so in its
//! closing "TUN offload:" line, the gateway in its COUNTERS line. With
//! `--no-offload` on both ends the same transfer works with no offload
//! used at all.
//!
//! Root only; run by `scripts/test/61-e2e-client.sh`.

use oncp_tests::faults::*;
use oncp_tests::netns::{NetPair, is_root};
use std::collections::HashMap;
use std::time::Duration;

/// Runs iperf3 (TCP, 2 s) through the tunnel; `reverse`: gateway → client.
fn iperf(net: &NetPair, reverse: bool) -> String {
    let mut cmd = vec![
        "timeout", "60", "iperf3", "-c", TUNNEL_GW, "-p", "5201", "-t", "2", "-f", "m",
    ];
    if reverse {
        cmd.push("-R");
    }
    let (ok, out) = net.exec(&net.client, &cmd);
    assert!(ok, "iperf3 (reverse {reverse}) failed:\n{out}");
    assert!(
        iperf_intervals(&out).iter().any(|r| *r > 0.0),
        "no data moved:\n{out}"
    );
    out
}

/// (super-packets read, packets they held, coalesced writes, packets
/// they held) from the client's "TUN offload:" line.
fn client_offload(log: &str) -> Option<[u64; 4]> {
    let line = plain(log)
        .lines()
        .rev()
        .find(|l| l.contains("TUN offload: "))?
        .to_string();
    let nums: Vec<u64> = line
        .split("TUN offload: ")
        .nth(1)?
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect();
    nums.try_into().ok()
}

/// Connects, moves TCP both ways, ends the client; returns its log and
/// the gateway's counters afterwards.
fn transfer_both_ways(extra: &[&str]) -> (String, HashMap<String, u64>) {
    assert!(is_root(), "run as root");
    let mut net = NetPair::create();
    let gw = start_gateway(&mut net, extra);
    let _server = iperf_server(&mut net);
    let mut client = start_client(&mut net, &gw, DSID, extra);
    wait_esp(&mut client, &gw, Duration::from_secs(30));
    let up = iperf(&net, false);
    let down = iperf(&net, true);
    eprintln!(
        "FIGURE offload {extra:?}: up {:?} Mbit/s, down {:?} Mbit/s",
        iperf_intervals(&up),
        iperf_intervals(&down)
    );
    let status = client.interrupt().expect("the client exits after SIGINT");
    let log = client.output();
    assert_eq!(status.code(), Some(0), "client:\n{log}");
    assert!(problems(&log).is_empty(), "client:\n{log}");
    (log, fresh_counters(&gw))
}

#[test]
#[ignore = "root: network namespaces, TUN, iperf3; run by scripts/test/61-e2e-client.sh"]
fn tcp_through_the_tunnel_uses_tun_offloads_both_ways() {
    let (log, c) = transfer_both_ways(&[]);
    let [gso_reads, seg_read, coalesced, seg_written] =
        client_offload(&log).unwrap_or_else(|| panic!("no TUN offload line:\n{log}"));
    eprintln!(
        "FIGURE client {gso_reads} TSO reads ({seg_read} packets), {coalesced} coalesced writes ({seg_written} packets); gateway {c:?}"
    );
    // Upload: the client's kernel hands TSO super-packets to oncp, the
    // gateway writes the segments back coalesced.
    assert!(gso_reads > 0 && seg_read > gso_reads, "client:\n{log}");
    assert!(
        c["tun_gro_out"] > 0 && c["tun_seg_out"] > c["tun_gro_out"],
        "{c:?}"
    );
    // Download: the other way round.
    assert!(
        c["tun_gso_in"] > 0 && c["tun_seg_in"] > c["tun_gso_in"],
        "{c:?}"
    );
    assert!(coalesced > 0 && seg_written > coalesced, "client:\n{log}");
}

#[test]
#[ignore = "root: network namespaces, TUN, iperf3; run by scripts/test/61-e2e-client.sh"]
fn no_offload_turns_tun_offloads_off() {
    let (log, c) = transfer_both_ways(&["--no-offload"]);
    assert_eq!(client_offload(&log), None, "client:\n{log}");
    for k in ["tun_gso_in", "tun_seg_in", "tun_gro_out", "tun_seg_out"] {
        assert_eq!(c.get(k), Some(&0), "{k}: {c:?}");
    }
}
