//! Interop with the real peer over Pulse IF-T/TLS: Debian's OpenConnect
//! 9.01 (`openconnect --protocol=pulse`) signs in to `oncp gateway
//! --protocol pulse` (TUN device) in two network namespaces — with a
//! password, with a realm choice (`--authgroup`), with a TOTP second
//! factor (`--token-mode=totp`) — and pings through the tunnel over ESP
//! and, with `--no-dtls`, over TLS; `--authenticate` prints a cookie that
//! then opens a tunnel by itself; a logout revokes it. And `oncp gateway
//! --disable-oncp` makes `openconnect --protocol=nc` fail with its
//! "status 0x08" message.
//!
//! Root only; run by `scripts/test/62-e2e-interop.sh`.

use std::time::Duration;

use oncp_tests::netns::{NetPair, Proc, is_root, printed_value};
use oncp_tests::peers::{
    Gateway, VPNC_SCRIPT, expect_output, oncp_gateway, openconnect, wait_esp_established,
};

const TOTP_SECRET: &str = "base32:JBSWY3DPEHPK3PXP";

/// Starts `openconnect --protocol=pulse` with the gateway's pin,
/// Debian's vpnc-script, `extra` and the password on standard input.
fn openconnect_pulse(
    net: &mut NetPair,
    name: &str,
    gw: &Gateway,
    extra: &[&str],
    password: Option<&str>,
) -> Proc {
    let client_ns = net.client.clone();
    let url = format!("https://{}", net.gw_addr);
    let mut argv = vec![
        "openconnect",
        "--protocol=pulse",
        "--non-inter",
        "--servercert",
        &gw.pin,
        "--script",
        VPNC_SCRIPT,
    ];
    if password.is_some() {
        argv.push("--passwd-on-stdin");
    }
    argv.extend_from_slice(extra);
    argv.push(&url);
    let stdin = password.map(|p| format!("{p}\n"));
    net.spawn(&client_ns, name, &argv, stdin.as_deref())
}

/// Pings the gateway's tunnel address `n` times from the client.
#[track_caller]
fn ping(net: &NetPair, target: &str, n: u32, peer: &Proc, gw: &Gateway) {
    let count = n.to_string();
    let (ok, out) = net.exec(
        &net.client,
        &["ping", "-c", &count, "-i", "0.3", "-W", "2", target],
    );
    assert!(
        ok,
        "ping {target} failed: {out}\npeer:\n{}\n--- gateway:\n{}",
        peer.output(),
        gw.proc.output()
    );
}

/// Waits (10 s at most) until the client namespace routes `target`
/// through a TUN device: OpenConnect prints "Configured as" before its
/// vpnc-script has set up the routes.
fn wait_route(net: &NetPair, target: &str) {
    let end = std::time::Instant::now() + Duration::from_secs(10);
    while std::time::Instant::now() < end {
        let (_, out) = net.exec(&net.client, &["ip", "route", "get", target]);
        if out.contains(" dev tun") {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
#[ignore = "root: network namespaces, TUN"]
fn openconnect_pulse_password_over_esp_and_over_tls() {
    assert!(is_root(), "run as root");
    let mut net = NetPair::create();
    let mut gw = oncp_gateway(
        &mut net,
        &[
            "-v",
            "--protocol",
            "pulse",
            "--user",
            "alice:hunter2",
            "--pool",
            "10.79.0.0/24",
            "--pool6",
            "fd00:79::/64",
            "--mac",
            "sha256",
            "--dpd",
            "3",
            "--stats",
            "1",
        ],
    );
    let mut oc = openconnect_pulse(&mut net, "oc-esp", &gw, &["-u", "alice"], Some("hunter2"));
    wait_esp_established(&mut oc, &gw);
    ping(&net, "10.79.0.1", 3, &oc, &gw);
    let c = gw.counters_until(10, |c| c.get("esp_in").is_some_and(|n| *n >= 3));
    assert!(c["esp_in"] >= 3, "pings went over ESP: {c:?}");
    // IPv6 inside the tunnel (0x0008 address from --pool6): OpenConnect
    // 9.01 sends it over TLS (spec §6.5), the gateway answers the same way.
    let tls_before = c["tls_in"];
    wait_route(&net, "fd00:79::1");
    ping(&net, "fd00:79::1", 3, &oc, &gw);
    let c = gw.counters_until(10, |c| c["tls_in"] >= tls_before + 3);
    assert!(c["tls_in"] >= tls_before + 3, "IPv6 pings over TLS: {c:?}");
    assert!(c["probes"] >= 1, "{c:?}");
    // UDP dies: OpenConnect's ESP DPD (3 s, attribute 0x4017) gives up
    // after about 2*3 s and sends IPv4 over TLS; the gateway follows at
    // once and the pings continue.
    let c = gw.counters();
    net.block_udp(&net.client.clone(), 4500, true);
    std::thread::sleep(Duration::from_secs(9));
    ping(&net, "10.79.0.1", 3, &oc, &gw);
    let after = gw.counters_until(10, |n| n["tls_out"] >= c["tls_out"] + 3);
    assert!(
        after["tls_out"] >= c["tls_out"] + 3,
        "replies over TLS after ESP died: {c:?} -> {after:?}"
    );
    net.block_udp(&net.client.clone(), 4500, false);
    assert!(oc.is_running(), "OpenConnect exited:\n{}", oc.output());
    oc.interrupt();
    // The client's logout (Juniper 0x89) ended the session.
    assert!(
        gw.proc.wait_for("LoggedOut", Duration::from_secs(10)),
        "{}",
        gw.proc.output()
    );

    // --no-dtls: the same over TLS (Juniper type 4 both ways).
    let before = gw.counters();
    let mut oc = openconnect_pulse(
        &mut net,
        "oc-tls",
        &gw,
        &["-u", "alice", "--no-dtls"],
        Some("hunter2"),
    );
    expect_output(&mut oc, "Configured as", Duration::from_secs(20), &gw);
    wait_route(&net, "10.79.0.1");
    ping(&net, "10.79.0.1", 3, &oc, &gw);
    let after = gw.counters_until(10, |c| {
        c["tls_in"] >= before["tls_in"] + 3 && c["tls_out"] >= before["tls_out"] + 3
    });
    assert!(
        after["tls_in"] >= before["tls_in"] + 3 && after["tls_out"] >= before["tls_out"] + 3,
        "pings went over TLS: {before:?} -> {after:?}"
    );
    assert_eq!(after["esp_in"], before["esp_in"], "no ESP with --no-dtls");
    oc.interrupt();

    // A wrong password: refused after three tries (OpenConnect asks again
    // on the 0x81 retry and reads stdin until it ends).
    let mut bad = openconnect_pulse(&mut net, "oc-bad", &gw, &["-u", "alice"], Some("wrong"));
    let st = bad.wait_exit(Duration::from_secs(30));
    assert!(
        st.is_some_and(|s| !s.success()),
        "a wrong password must fail: {st:?}\n{}",
        bad.output()
    );
    gw.proc.interrupt();
}

#[test]
#[ignore = "root: network namespaces, TUN"]
fn openconnect_pulse_realm_choice_and_totp() {
    assert!(is_root(), "run as root");
    let mut net = NetPair::create();
    let mut gw = oncp_gateway(
        &mut net,
        &[
            "-v",
            "--protocol",
            "pulse",
            "--user",
            "bob:builder",
            "--pool",
            "10.80.0.0/24",
            "--realm",
            "Users",
            "--realm",
            "Admins",
            "--token-form",
            "frmTotpToken",
            "--token-secret",
            TOTP_SECRET,
            "--stats",
            "1",
        ],
    );
    let mut oc = openconnect_pulse(
        &mut net,
        "oc-realm-totp",
        &gw,
        &[
            "-u",
            "bob",
            "--authgroup",
            "Admins",
            "--token-mode=totp",
            "--token-secret",
            TOTP_SECRET,
        ],
        Some("builder"),
    );
    wait_esp_established(&mut oc, &gw);
    ping(&net, "10.80.0.1", 3, &oc, &gw);
    assert!(
        gw.proc.output().contains("realm Some(\"Admins\")"),
        "{}",
        gw.proc.output()
    );
    oc.interrupt();

    // Another TOTP secret: its codes are refused.
    let mut bad = openconnect_pulse(
        &mut net,
        "oc-bad-totp",
        &gw,
        &[
            "-u",
            "bob",
            "--authgroup",
            "Users",
            "--token-mode=totp",
            "--token-secret",
            "base32:GEZDGNBVGY3TQOJQ",
        ],
        Some("builder"),
    );
    let st = bad.wait_exit(Duration::from_secs(30));
    assert!(
        st.is_some_and(|s| !s.success()),
        "a wrong code must fail: {st:?}\n{}",
        bad.output()
    );
    gw.proc.interrupt();
}

#[test]
#[ignore = "root: network namespaces, TUN"]
fn openconnect_pulse_authenticate_prints_a_cookie_that_connects() {
    assert!(is_root(), "run as root");
    let mut net = NetPair::create();
    let mut gw = oncp_gateway(
        &mut net,
        &[
            "-v",
            "--protocol",
            "pulse",
            "--user",
            "carol:secret",
            "--pool",
            "10.81.0.0/24",
            "--stats",
            "1",
        ],
    );
    let mut auth = openconnect_pulse(
        &mut net,
        "oc-authenticate",
        &gw,
        &["--authenticate", "-u", "carol"],
        Some("secret"),
    );
    let st = auth.wait_exit(Duration::from_secs(30));
    assert!(st.is_some_and(|s| s.success()), "{st:?}\n{}", auth.output());
    let out = auth.output();
    let cookie = printed_value(&out, "COOKIE")
        .map(|c| c.trim_matches('\'').to_string())
        .unwrap_or_else(|| panic!("no COOKIE= line:\n{out}"));
    assert_eq!(cookie.len(), 32, "{out}");
    assert!(out.contains("FINGERPRINT="), "{out}");

    // The cookie alone opens the tunnel (0xd53 in the first response).
    let mut oc = openconnect_pulse(&mut net, "oc-cookie", &gw, &["-C", &cookie], None);
    wait_esp_established(&mut oc, &gw);
    ping(&net, "10.81.0.1", 2, &oc, &gw);
    oc.interrupt();
    assert!(
        gw.proc.wait_for("LoggedOut", Duration::from_secs(10)),
        "{}",
        gw.proc.output()
    );

    // The logout revoked it: the cookie is refused now.
    let mut again = openconnect_pulse(&mut net, "oc-cookie-again", &gw, &["-C", &cookie], None);
    let st = again.wait_exit(Duration::from_secs(30));
    assert!(
        st.is_some_and(|s| !s.success()),
        "{st:?}\n{}",
        again.output()
    );
    assert!(
        again.output().contains("cookie not accepted"),
        "{}",
        again.output()
    );
    gw.proc.interrupt();
}

#[test]
#[ignore = "root: network namespaces, TUN"]
fn disable_oncp_gives_openconnect_nc_status_0x08() {
    const DSID: &str = "e2e0888456789abcdef0123456789abc";
    assert!(is_root(), "run as root");
    let mut net = NetPair::create();
    let mut gw = oncp_gateway(
        &mut net,
        &[
            "-v",
            "--disable-oncp",
            "--dsid",
            DSID,
            "--pool",
            "10.82.0.0/24",
        ],
    );
    let mut oc = openconnect(&mut net, "oc-nc", &format!("DSID={DSID}"), &gw);
    let st = oc.wait_exit(Duration::from_secs(30));
    assert!(st.is_some_and(|s| !s.success()), "{st:?}\n{}", oc.output());
    let out = oc.output();
    assert!(
        out.contains("Server response to hostname packet is error 0x08"),
        "{out}"
    );
    assert!(out.contains("--prot=pulse"), "OpenConnect's hint: {out}");
    // The same cookie works over Pulse on the same gateway.
    let mut pulse = openconnect_pulse(&mut net, "oc-pulse", &gw, &["-C", DSID], None);
    wait_esp_established(&mut pulse, &gw);
    ping(&net, "10.82.0.1", 2, &pulse, &gw);
    pulse.interrupt();
    gw.proc.interrupt();
}
