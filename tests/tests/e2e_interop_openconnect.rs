//! Interop with the real peer: Debian's OpenConnect 9.01
//! (`openconnect --protocol=nc`) against `oncp gateway` with a TUN device,
//! in two network namespaces. Ping through the tunnel over ESP, then with
//! UDP dropped (nft) the ping keeps working over TLS.
//!
//! Root only; run by `scripts/test/62-e2e-interop.sh`.

use std::time::Duration;

use oncp_tests::netns::{NetPair, is_root};
use oncp_tests::peers::{oncp_gateway, openconnect, wait_esp_established};

const DSID: &str = "e2e0123456789abcdef0123456789abc";

#[test]
#[ignore = "root: network namespaces, TUN, nft"]
fn openconnect_9_01_over_esp_then_tls() {
    assert!(is_root(), "run as root");
    let mut net = NetPair::create();
    let mut gw = oncp_gateway(
        &mut net,
        &["-v", "--dsid", DSID, "--dpd", "3", "--pool", "10.77.0.0/24"],
    );
    let client_ns = net.client.clone();
    let mut oc = openconnect(&mut net, "openconnect", &format!("DSID={DSID}"), &gw);
    wait_esp_established(&mut oc, &gw);
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
    gw.proc.interrupt();
    let c = gw.final_counters();
    assert!(c["esp_in"] >= 3, "ESP carried the first pings: {c:?}");
    assert!(c["tls_in"] >= 3, "TLS carried the later pings: {c:?}");
    assert!(c["probes"] >= 1, "{c:?}");
    assert!(oc.output().contains("Logout successful"), "{}", oc.output());
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
    let mut gw = oncp_gateway(
        &mut net,
        &[
            "-v",
            "--dsid",
            DSID,
            "--dsid",
            DSID2,
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
    );
    let client_ns = net.client.clone();
    let cookie = format!("DSID={DSID}");

    let mut oc = openconnect(&mut net, "openconnect-1", &cookie, &gw);
    wait_esp_established(&mut oc, &gw);
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
    let before = gw.counters_until(10, |c| c.get("rekeys").is_some_and(|r| *r >= 1));
    assert!(
        before["rekeys"] >= 1,
        "no rekey: {before:?}\n{}",
        gw.proc.output()
    );
    assert!(
        before["lzo_out"] >= 8,
        "replies went out compressed: {before:?}"
    );
    // After the rekey, ESP (on the new SAs) still carries the pings.
    let (ok, out) = net.exec(&client_ns, &["ping", "-c", "3", "-W", "2", "10.78.0.1"]);
    assert!(ok, "ping after rekey failed: {out}\n{}", oc.output());
    let after = gw.counters_until(5, |c| c["esp_in"] >= before["esp_in"] + 3);
    assert!(
        after["esp_in"] >= before["esp_in"] + 3,
        "pings after the rekey went over ESP: {before:?} -> {after:?}"
    );
    assert!(oc.is_running(), "OpenConnect exited:\n{}", oc.output());
    oc.interrupt();
    assert!(oc.output().contains("Logout successful"), "{}", oc.output());

    // The cookie died with the logout.
    let mut again = openconnect(&mut net, "openconnect-2", &cookie, &gw);
    let st = again.wait_exit(Duration::from_secs(30));
    assert!(
        st.is_some_and(|s| !s.success()),
        "a logged-out cookie must be refused: {st:?}\n{}",
        again.output()
    );

    // A gateway shutdown terminates a live session.
    let mut third = openconnect(&mut net, "openconnect-3", &format!("DSID={DSID2}"), &gw);
    wait_esp_established(&mut third, &gw);
    let (ok, out) = net.exec(&client_ns, &["ping", "-c", "2", "-W", "2", "10.78.0.1"]);
    assert!(ok, "{out}");
    gw.proc.interrupt();
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
