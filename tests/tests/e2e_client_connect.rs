//! `oncp connect` against `oncp gateway` (TUN mode) in two network
//! namespaces joined by a veth pair (the `oncp_tests::netns` harness):
//! ping over ESP (an nftables counter proves ESP carried it), then UDP
//! dropped and the ping keeps working over TLS; SIGINT ends the client with
//! exit status 0 and a logout. Once with the built-in netlink setup, once
//! with Debian's vpnc-script, and once with both ends forced off the UDP
//! offloads (`--no-offload`: no GSO, GRO or recvmmsg).
//!
//! Root only; run by `scripts/test/61-e2e-client.sh`.

use oncp_tests::netns::{NetPair, is_root};
use oncp_tests::peers::{
    ESP_ESTABLISHED, expect_output, oncp_connect, oncp_gateway, ping_through_tunnel,
};
use std::time::Duration;

const DSID: &str = "e2e0123456789abcdef0123456789ab";
const POOL: &str = "10.78.0.0/24";
const TUNNEL_GW: &str = "10.78.0.1";
const ESP_PORT: u16 = 4500;

fn ping(net: &NetPair) -> bool {
    ping_through_tunnel(net, TUNNEL_GW).0
}

/// ESP datagrams the client's namespace has sent since the counter was set.
fn esp_sent(net: &NetPair) -> u64 {
    let (ok, out) = net.exec(
        &net.client,
        &["nft", "list", "chain", "inet", "oncpcount", "out"],
    );
    assert!(ok, "{out}");
    out.split("packets ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no counter in {out}"))
}

fn scenario(script: Option<&str>, no_offload: bool) {
    assert!(is_root(), "run as root");
    let mut net = NetPair::create();
    let cl_ns = net.client.clone();
    let esp_port = ESP_PORT.to_string();
    let mut gw_flags = vec![
        "--esp-port",
        &esp_port,
        "--dsid",
        DSID,
        "--dpd",
        "2",
        "--pool",
        POOL,
    ];
    if no_offload {
        gw_flags.push("--no-offload");
    }
    let gw = oncp_gateway(&mut net, &gw_flags);

    let mut flags = vec!["-v", "-C", DSID];
    if no_offload {
        flags.push("--no-offload");
    }
    if let Some(s) = script {
        flags.extend(["--script", s]);
    }
    let pcap = net.path("inner.pcapng");
    let pcap = pcap.to_str().unwrap().to_owned();
    if script.is_none() {
        flags.extend(["--pcap", &pcap]);
    }
    let mut client = oncp_connect(&mut net, "client", &gw, &flags, None);
    expect_output(&mut client, ESP_ESTABLISHED, Duration::from_secs(20), &gw);

    // Count ESP datagrams leaving the client while it pings.
    let counter = net.path("count.nft");
    let rules = format!(
        "table inet oncpcount {{\n chain out {{\n  type filter hook output priority 0;\n  udp dport {ESP_PORT} counter\n }}\n}}\n"
    );
    std::fs::write(&counter, rules).unwrap();
    let (ok, out) = net.exec(&cl_ns, &["nft", "-f", counter.to_str().unwrap()]);
    assert!(ok, "nft: {out}");
    assert!(
        ping(&net),
        "ping over ESP failed; client:\n{}",
        client.output()
    );
    assert!(esp_sent(&net) >= 3, "the pings did not go over ESP");

    // Drop ESP both ways in the client's namespace: fallback to TLS.
    net.block_udp(&cl_ns, ESP_PORT, true);
    assert!(
        client.wait_for("data now over TLS", Duration::from_secs(20)),
        "client:\n{}",
        client.output()
    );
    assert!(
        ping(&net),
        "ping over TLS failed; client:\n{}",
        client.output()
    );

    // SIGINT: clean close, logout, exit status 0.
    let status = client.interrupt().expect("the client exits after SIGINT");
    assert_eq!(status.code(), Some(0), "client:\n{}", client.output());
    assert!(
        client.output().contains("logged out"),
        "client:\n{}",
        client.output()
    );
    if script.is_none() {
        // 2 × 3 pings (ESP, then TLS), each way.
        assert!(
            echoes_in_capture(&pcap, 8, "0x00000002") >= 6,
            "requests out"
        );
        assert!(echoes_in_capture(&pcap, 0, "0x00000001") >= 6, "replies in");
    }
}

/// ICMP echoes of `icmp_type` with pcapng direction `flags` in the
/// `--pcap` file, as tshark (an independent reader) counts them.
fn echoes_in_capture(pcap: &str, icmp_type: u8, flags: &str) -> usize {
    let filter = format!("icmp.type == {icmp_type} && frame.packet_flags_direction == {flags}");
    let out = std::process::Command::new("tshark")
        .args([
            "-r",
            pcap,
            "-Y",
            &filter,
            "-T",
            "fields",
            "-e",
            "frame.number",
        ])
        .output()
        .expect("tshark runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).lines().count()
}

#[test]
#[ignore = "needs root, nftables and iproute2; run by scripts/test/61-e2e-client.sh"]
fn connect_with_builtin_setup_esp_then_tls() {
    scenario(None, false);
}

#[test]
#[ignore = "needs root, nftables, iproute2 and vpnc-scripts; run by scripts/test/61-e2e-client.sh"]
fn connect_with_vpnc_script_esp_then_tls() {
    scenario(Some("/usr/share/vpnc-scripts/vpnc-script"), false);
}

#[test]
#[ignore = "needs root, nftables and iproute2; run by scripts/test/61-e2e-client.sh"]
fn connect_with_offloads_forced_off_esp_then_tls() {
    scenario(None, true);
}
