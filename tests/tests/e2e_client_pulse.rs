//! `oncp connect --protocol pulse` against `oncp gateway --protocol pulse`
//! (TUN mode, `--pool6`) in two network namespaces: the client signs in
//! with a password on the IF-T connection, configures its TUN device with
//! both families through netlink, and pings the gateway's IPv4 and IPv6
//! tunnel addresses — over ESP (IPv4; IPv6 goes over TLS beside it, spec
//! pulse.md §6.5, as OpenConnect 9.01 does) and, with `--no-dtls`, all over
//! TLS; also with Debian's vpnc-script. The gateway's counters say which
//! transport carried the pings. Also: `--esp-both-families` puts IPv6 on
//! ESP; no `--protocol` against `--disable-oncp` falls back to Pulse with
//! the web login's DSID; `--authenticate` prints a cookie that `-C` uses.
//!
//! Root only; run by `scripts/test/61-e2e-client.sh`.

use oncp_tests::netns::{NetPair, Proc, is_root, printed_value};
use oncp_tests::peers::{Gateway, expect_output, oncp_connect, oncp_gateway, wait_esp_established};
use std::time::Duration;

const POOL: &str = "10.81.0.0/24";
const POOL6: &str = "fd00:81::/64";
const TUNNEL_GW: &str = "10.81.0.1";
const TUNNEL_GW6: &str = "fd00:81::1";

/// `oncp gateway --protocol PROTOCOL` with a password user, both pools and
/// counters every second; `extra` is appended.
fn gateway(net: &mut NetPair, protocol: &str, extra: &[&str]) -> Gateway {
    let mut flags = vec![
        "-v",
        "--protocol",
        protocol,
        "--user",
        "alice:hunter2",
        "--pool",
        POOL,
        "--pool6",
        POOL6,
        "--dpd",
        "3",
        "--stats",
        "1",
    ];
    flags.extend_from_slice(extra);
    oncp_gateway(net, &flags)
}

/// `oncp connect -u alice --passwd-on-stdin --non-inter` with `extra`.
fn connect(net: &mut NetPair, name: &str, gw: &Gateway, extra: &[&str]) -> Proc {
    let mut flags = vec!["-v", "--non-inter", "-u", "alice", "--passwd-on-stdin"];
    flags.extend_from_slice(extra);
    oncp_connect(net, name, gw, &flags, Some("hunter2\n"))
}

/// Pings `target` three times from the client namespace, panicking with
/// both logs when no echo comes back.
#[track_caller]
fn ping(net: &NetPair, target: &str, client: &Proc, gw: &Gateway) {
    let (ok, out) = net.exec(
        &net.client,
        &["ping", "-c", "3", "-i", "0.3", "-W", "2", target],
    );
    assert!(
        ok,
        "ping {target} failed: {out}\nclient:\n{}\n--- gateway:\n{}",
        client.output(),
        gw.proc.output()
    );
}

/// Waits (10 s at most) until `target` is routed through a TUN device in
/// the client namespace, panicking with the routing table if it is not.
#[track_caller]
fn wait_route(net: &NetPair, target: &str, client: &Proc) {
    let end = std::time::Instant::now() + Duration::from_secs(10);
    let mut last = String::new();
    while std::time::Instant::now() < end {
        let (_, out) = net.exec(&net.client, &["ip", "route", "get", target]);
        if out.contains(" dev tun") {
            return;
        }
        last = out;
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!(
        "{target} is not routed into the tunnel: {last}\nclient:\n{}",
        client.output()
    );
}

/// The client's tunnel device has `addr` (from the gateway's pools).
#[track_caller]
fn assert_tun_address(net: &NetPair, prefix: &str, client: &Proc) {
    let (ok, out) = net.exec(&net.client, &["ip", "addr", "show"]);
    assert!(ok, "{out}");
    assert!(
        out.lines()
            .any(|l| l.trim_start().starts_with("inet") && l.contains(prefix)),
        "no {prefix} address in the client namespace:\n{out}\nclient:\n{}",
        client.output()
    );
}

/// SIGINT: exit status 0 after the in-band logout.
#[track_caller]
fn interrupt(client: &mut Proc) {
    let st = client.interrupt().expect("the client exits after SIGINT");
    assert_eq!(st.code(), Some(0), "client:\n{}", client.output());
}

#[test]
#[ignore = "root: network namespaces, TUN"]
fn pulse_password_ipv4_and_ipv6_over_esp_and_over_tls() {
    assert!(is_root(), "run as root");
    let mut net = NetPair::create();
    let gw = gateway(&mut net, "pulse", &[]);

    // ESP: IPv4 pings over ESP, IPv6 over TLS beside it.
    let mut c = connect(&mut net, "esp", &gw, &["--protocol", "pulse"]);
    wait_esp_established(&mut c, &gw);
    assert_tun_address(&net, "10.81.0.", &c);
    assert_tun_address(&net, "fd00:81::", &c);
    wait_route(&net, TUNNEL_GW, &c);
    let before = gw.counters();
    ping(&net, TUNNEL_GW, &c, &gw);
    let esp0 = before.get("esp_in").copied().unwrap_or(0);
    let cnt = gw.counters_until(10, |n| n.get("esp_in").is_some_and(|v| *v >= esp0 + 3));
    assert!(cnt["esp_in"] >= esp0 + 3, "IPv4 pings over ESP: {cnt:?}");
    wait_route(&net, TUNNEL_GW6, &c);
    let tls0 = cnt["tls_in"];
    ping(&net, TUNNEL_GW6, &c, &gw);
    let cnt = gw.counters_until(10, |n| n["tls_in"] >= tls0 + 3);
    assert!(cnt["tls_in"] >= tls0 + 3, "IPv6 pings over TLS: {cnt:?}");
    interrupt(&mut c);

    // --no-dtls: both families over TLS, no ESP at all.
    let mut c = connect(&mut net, "tls", &gw, &["--protocol=pulse", "--no-dtls"]);
    expect_output(&mut c, "configured tun", Duration::from_secs(20), &gw);
    wait_route(&net, TUNNEL_GW, &c);
    wait_route(&net, TUNNEL_GW6, &c);
    let before = gw.counters();
    ping(&net, TUNNEL_GW, &c, &gw);
    ping(&net, TUNNEL_GW6, &c, &gw);
    let cnt = gw.counters_until(10, |n| n["tls_in"] >= before["tls_in"] + 6);
    assert!(
        cnt["tls_in"] >= before["tls_in"] + 6,
        "pings over TLS: {cnt:?}"
    );
    assert_eq!(cnt["esp_in"], before["esp_in"], "no ESP with --no-dtls");
    assert!(
        !c.output().contains("ESP session established"),
        "{}",
        c.output()
    );
    interrupt(&mut c);
}

#[test]
#[ignore = "root: network namespaces, TUN"]
fn auto_protocol_falls_back_to_pulse_when_oncp_is_disabled() {
    assert!(is_root(), "run as root");
    let mut net = NetPair::create();
    let gw = gateway(&mut net, "both", &["--disable-oncp"]);

    // No --protocol: the web login, oNCP refused with status 0x08, then
    // Pulse with the DSID of that login (no answerer: a second sign-in
    // would fail), ESP up and both families through.
    let mut c = connect(&mut net, "auto", &gw, &[]);
    wait_esp_established(&mut c, &gw);
    let out = c.output();
    let said = out
        .lines()
        .filter(|l| l.contains("refused oNCP") && l.contains("0x08") && l.contains("Pulse"))
        .count();
    assert_eq!(said, 1, "one line saying why:\n{out}");
    wait_route(&net, TUNNEL_GW, &c);
    ping(&net, TUNNEL_GW, &c, &gw);
    wait_route(&net, TUNNEL_GW6, &c);
    ping(&net, TUNNEL_GW6, &c, &gw);
    interrupt(&mut c);

    // --protocol=nc stays oNCP only: a clear error, exit status 1.
    let mut c = connect(&mut net, "nc", &gw, &["--protocol=nc"]);
    let st = c.wait_exit(Duration::from_secs(30)).expect("nc gives up");
    let out = c.output();
    assert_eq!(st.code(), Some(1), "{out}");
    assert!(
        out.contains("status 0x08") && out.contains("--protocol=pulse"),
        "{out}"
    );
    assert!(!out.contains("refused oNCP"), "no fallback with nc:\n{out}");
}

#[test]
#[ignore = "root: network namespaces, TUN"]
fn pulse_authenticate_prints_a_cookie_that_connects_without_login() {
    assert!(is_root(), "run as root");
    let mut net = NetPair::create();
    let gw = gateway(&mut net, "pulse", &[]);

    let mut a = connect(
        &mut net,
        "auth",
        &gw,
        &["--protocol=pulse", "--authenticate"],
    );
    let st = a
        .wait_exit(Duration::from_secs(30))
        .expect("--authenticate ends");
    let out = a.output();
    assert_eq!(st.code(), Some(0), "{out}");
    let cookie = printed_value(&out, "COOKIE").unwrap_or_else(|| panic!("no COOKIE=:\n{out}"));
    let cookie = cookie.trim_matches('\'').to_string();
    assert_eq!(cookie.len(), 32, "the bare DSID: {out}");
    let host = printed_value(&out, "HOST").unwrap_or_default();
    assert_eq!(host.trim_matches('\''), net.gw_addr, "{out}");
    let fp = printed_value(&out, "FINGERPRINT").unwrap_or_default();
    assert_eq!(fp.trim_matches('\''), gw.pin, "{out}");
    assert!(!out.contains("TUN device"), "no tunnel: {out}");

    // -C with that cookie alone: no password on stdin, no answerer asked.
    let mut c = oncp_connect(
        &mut net,
        "cookie",
        &gw,
        &["-v", "--non-inter", "--protocol=pulse", "-C", &cookie],
        None,
    );
    wait_esp_established(&mut c, &gw);
    wait_route(&net, TUNNEL_GW, &c);
    ping(&net, TUNNEL_GW, &c, &gw);
    interrupt(&mut c);

    // The logout at SIGINT revoked it.
    let mut again = oncp_connect(
        &mut net,
        "again",
        &gw,
        &["--non-inter", "--protocol=pulse", "-C", &cookie],
        None,
    );
    let st = again
        .wait_exit(Duration::from_secs(30))
        .expect("a revoked cookie ends the client");
    assert_eq!(st.code(), Some(2), "cookie refused:\n{}", again.output());
}

#[test]
#[ignore = "root: network namespaces, TUN"]
fn ipv6_over_esp_when_the_gateway_allows_both_families() {
    assert!(is_root(), "run as root");
    let mut net = NetPair::create();
    // 0x4024 = 1 in the configuration: ESP carries IPv6 too, both ways.
    let gw = gateway(&mut net, "pulse", &["--esp-both-families"]);
    let mut c = connect(&mut net, "both", &gw, &["--protocol", "pulse"]);
    wait_esp_established(&mut c, &gw);
    wait_route(&net, TUNNEL_GW6, &c);
    let before = gw.counters_until(10, |n| n.contains_key("esp_in"));
    ping(&net, TUNNEL_GW6, &c, &gw);
    let cnt = gw.counters_until(10, |n| n["esp_in"] >= before["esp_in"] + 3);
    assert!(
        cnt["esp_in"] >= before["esp_in"] + 3,
        "IPv6 pings over ESP: {before:?} -> {cnt:?}"
    );
    assert!(
        cnt["tls_in"] < before["tls_in"] + 3,
        "not over TLS: {before:?} -> {cnt:?}"
    );
    assert!(
        cnt["esp_out"] >= before["esp_out"] + 3,
        "replies over ESP: {cnt:?}"
    );
    interrupt(&mut c);
}

/// With Debian's vpnc-script (`-s`) instead of the built-in setup: the
/// script configures both families from OpenConnect's variables
/// (INTERNAL_IP6_ADDRESS/NETMASK, CISCO_IPV6_SPLIT_INC_*), and both pings
/// come back.
#[test]
#[ignore = "root: network namespaces, TUN, vpnc-scripts"]
fn pulse_with_vpnc_script_configures_ipv6() {
    assert!(is_root(), "run as root");
    let mut net = NetPair::create();
    let gw = gateway(&mut net, "pulse", &[]);
    let mut c = connect(
        &mut net,
        "script",
        &gw,
        &[
            "--protocol=pulse",
            "--script",
            oncp_tests::peers::VPNC_SCRIPT,
        ],
    );
    wait_esp_established(&mut c, &gw);
    wait_route(&net, TUNNEL_GW, &c);
    wait_route(&net, TUNNEL_GW6, &c);
    assert_tun_address(&net, "fd00:81::", &c);
    ping(&net, TUNNEL_GW, &c, &gw);
    ping(&net, TUNNEL_GW6, &c, &gw);
    interrupt(&mut c);
}
