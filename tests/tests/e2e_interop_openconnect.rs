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

/// The gateway's latest periodic `COUNTERS` line (`--stats 1`).
fn latest_counters(output: &str) -> Option<std::collections::HashMap<String, u64>> {
    output
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("COUNTERS "))
        .map(|l| {
            l.split_whitespace()
                .filter_map(|kv| kv.split_once('='))
                .map(|(k, v)| (k.to_string(), v.parse().unwrap()))
                .collect()
        })
}

/// Polls the gateway's counters until `pred` holds (up to `secs` seconds).
fn wait_counters(
    gw: &Proc,
    secs: u64,
    pred: impl Fn(&std::collections::HashMap<String, u64>) -> bool,
) -> std::collections::HashMap<String, u64> {
    let end = std::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let c = latest_counters(&gw.output()).unwrap_or_default();
        if pred(&c) || std::time::Instant::now() > end {
            return c;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn openconnect(net: &mut NetPair, name: &str, dsid: &str, pin: &str) -> Proc {
    let client_ns = net.client.clone();
    let url = format!("https://{}", net.gw_addr);
    let cookie = format!("DSID={dsid}");
    net.spawn(
        &client_ns,
        name,
        &[
            "openconnect",
            "--protocol=nc",
            "-C",
            &cookie,
            "--servercert",
            pin,
            "--script",
            VPNC_SCRIPT,
            &url,
        ],
        None,
    )
}

/// AES-256 + HMAC-MD5, LZO compression towards the client and a rekey
/// every 4 s: OpenConnect keeps pinging over ESP across rekeys (on the new
/// SA) and decompresses what the gateway sends. Its logout revokes the
/// cookie (a second connection with it is refused); a gateway shutdown
/// ends another client's session with the termination notice.
#[test]
#[ignore = "root: network namespaces, TUN, nft"]
fn openconnect_9_01_rekey_compression_logout_and_termination() {
    const DSID2: &str = "e2e2223456789abcdef0123456789abc";
    assert!(is_root(), "run as root");
    let mut net = NetPair::create();
    let bin = oncp_bin();
    let listen = format!("{}:443", net.gw_addr);
    let gw_ns = net.gw.clone();
    let gw_addr = net.gw_addr.clone();
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
            "--dsid",
            DSID2,
            "--cert-name",
            &gw_addr,
            "--pool",
            "10.78.0.0/24",
            "--cipher",
            "aes256",
            "--mac",
            "md5",
            "--compression",
            "--rekey",
            "4",
            "--stats",
            "1",
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

    let mut oc = openconnect(&mut net, "openconnect-1", DSID, &pin);
    assert!(
        oc.wait_for("ESP session established", Duration::from_secs(30)),
        "OpenConnect did not establish ESP:\n{}\n--- gateway:\n{}",
        oc.output(),
        gw.output()
    );
    // 8 s of compressible pings: at least one rekey happens meanwhile.
    let (ok, out) = net.exec(
        &client_ns,
        &[
            "ping",
            "-c",
            "16",
            "-i",
            "0.5",
            "-s",
            "600",
            "-p",
            "00",
            "-W",
            "2",
            "10.78.0.1",
        ],
    );
    assert!(
        ok,
        "ping over ESP across a rekey failed: {out}\n{}",
        oc.output()
    );
    assert!(out.contains(" 0% packet loss"), "{out}");
    let before = wait_counters(&gw, 10, |c| c.get("rekeys").is_some_and(|r| *r >= 1));
    assert!(
        before["rekeys"] >= 1,
        "no rekey: {before:?}\n{}",
        gw.output()
    );
    assert!(
        before["lzo_out"] >= 8,
        "replies went out compressed: {before:?}"
    );
    // After the rekey, ESP (on the new SAs) still carries the pings.
    let (ok, out) = net.exec(&client_ns, &["ping", "-c", "3", "-W", "2", "10.78.0.1"]);
    assert!(ok, "ping after rekey failed: {out}\n{}", oc.output());
    let after = wait_counters(&gw, 5, |c| c["esp_in"] >= before["esp_in"] + 3);
    assert!(
        after["esp_in"] >= before["esp_in"] + 3,
        "pings after the rekey went over ESP: {before:?} -> {after:?}"
    );
    assert!(oc.is_running(), "OpenConnect exited:\n{}", oc.output());
    oc.interrupt();
    assert!(oc.output().contains("Logout successful"), "{}", oc.output());

    // The cookie died with the logout.
    let mut again = openconnect(&mut net, "openconnect-2", DSID, &pin);
    let st = again.wait_exit(Duration::from_secs(30));
    assert!(
        st.is_some_and(|s| !s.success()),
        "a logged-out cookie must be refused: {st:?}\n{}",
        again.output()
    );

    // A gateway shutdown terminates a live session.
    let mut third = openconnect(&mut net, "openconnect-3", DSID2, &pin);
    assert!(
        third.wait_for("ESP session established", Duration::from_secs(30)),
        "{}",
        third.output()
    );
    let (ok, out) = net.exec(&client_ns, &["ping", "-c", "2", "-W", "2", "10.78.0.1"]);
    assert!(ok, "{out}");
    gw.interrupt();
    let st = third.wait_exit(Duration::from_secs(20));
    assert!(
        st.is_some_and(|s| !s.success()),
        "OpenConnect ends on the termination notice: {st:?}\n{}",
        third.output()
    );
    assert!(
        third.output().to_lowercase().contains("terminated"),
        "{}",
        third.output()
    );
}
