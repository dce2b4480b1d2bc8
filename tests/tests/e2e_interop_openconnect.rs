//! Interop with the real peer: Debian's OpenConnect 9.01
//! (`openconnect --protocol=nc`) against `oncp gateway` with a TUN device,
//! in two network namespaces. Ping through the tunnel over ESP, then with
//! UDP dropped (nft) the ping keeps working over TLS.
//!
//! Root only; run by `scripts/test/62-e2e-interop.sh`.

use std::time::Duration;

use oncp_tests::netns::*;

const DSID: &str = "e2e0123456789abcdef0123456789abc";
const VPNC_SCRIPT: &str = "/usr/share/vpnc-scripts/vpnc-script";

fn counters(output: &str) -> std::collections::HashMap<String, u64> {
    output
        .lines()
        .find_map(|l| l.strip_prefix("COUNTERS "))
        .expect("gateway printed its counters")
        .split_whitespace()
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.parse().unwrap()))
        .collect()
}

#[test]
#[ignore = "root: network namespaces, TUN, nft"]
fn openconnect_9_01_over_esp_then_tls() {
    assert!(is_root(), "run as root");
    let mut net = NetPair::create();
    let bin = oncp_bin();
    let listen = format!("{}:443", net.gw_addr);
    let gw_ns = net.gw.clone();
    let mut gw = net.spawn(
        &gw_ns,
        "gateway",
        &[
            bin.to_str().unwrap(),
            "-v",
            "gateway",
            "--listen",
            &listen,
            "--dsid",
            DSID,
            "--cert-name",
            &net.gw_addr.clone(),
            "--dpd",
            "3",
            "--pool",
            "10.77.0.0/24",
        ],
        None,
    );
    assert!(
        gw.wait_for("PIN=", Duration::from_secs(20)),
        "gateway did not start:\n{}",
        gw.output()
    );
    let pin = printed_value(&gw.output(), "PIN").unwrap();
    let client_ns = net.client.clone();
    let url = format!("https://{}", net.gw_addr);
    let cookie = format!("DSID={DSID}");
    let mut oc = net.spawn(
        &client_ns,
        "openconnect",
        &[
            "openconnect",
            "--protocol=nc",
            "-C",
            &cookie,
            "--servercert",
            &pin,
            "--script",
            VPNC_SCRIPT,
            &url,
        ],
        None,
    );
    assert!(
        oc.wait_for("ESP session established", Duration::from_secs(30)),
        "OpenConnect did not establish ESP:\n{}\n--- gateway:\n{}",
        oc.output(),
        gw.output()
    );
    let (ok, out) = net.exec(&client_ns, &["ping", "-c", "3", "-W", "2", "10.77.0.1"]);
    assert!(ok, "ping over ESP failed: {out}");

    // UDP dies: OpenConnect's DPD (3 s from the gateway's TLV 8/9) gives up
    // on ESP after 2*3 s and the ping continues over TLS.
    net.block_udp(&client_ns, 4500, true);
    std::thread::sleep(Duration::from_secs(9));
    let (ok, out) = net.exec(&client_ns, &["ping", "-c", "3", "-W", "2", "10.77.0.1"]);
    assert!(ok, "ping over TLS failed: {out}\n{}", oc.output());
    assert!(oc.is_running(), "OpenConnect exited:\n{}", oc.output());

    oc.interrupt();
    gw.interrupt();
    let c = counters(&gw.output());
    assert!(c["esp_in"] >= 3, "ESP carried the first pings: {c:?}");
    assert!(c["tls_in"] >= 3, "TLS carried the later pings: {c:?}");
    assert!(c["probes"] >= 1, "{c:?}");
    assert!(oc.output().contains("Logout successful"), "{}", oc.output());
}
