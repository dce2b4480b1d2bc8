//! The legacy TLS backend end to end, in two network namespaces:
//! `oncp gateway --legacy-tls` (OpenSSL, TLS 1.2 RSA-kex AES-CBC only)
//! refuses rustls; `oncp connect` falls back to OpenSSL with a warning
//! naming the negotiated version and suite, the tunnel carries pings, the
//! logout goes over OpenSSL too; OpenConnect 9.01 still connects; a
//! `--servercert` mismatch on the OpenSSL backend is refused before any
//! cookie reaches the gateway.
//!
//! The namespace tests are root only (`#[ignore]`; run by
//! `scripts/test/66-e2e-legacy.sh`); the web login through the fallback
//! runs on loopback with every `cargo test`.

use oncp_tests::netns::{NetPair, is_root, printed_value};
use oncp_tests::peers::{
    Gateway, oncp_connect, oncp_gateway, openconnect, ping_through_tunnel, spawn_oncp_client,
    wait_esp_established,
};
use oncp_tests::program::{ProgramOutput, run_with_stdin};
use oncp_tests::web_login::{LoginClient, authenticate_command};
use std::time::Duration;

const DSID: &str = "legacy0123456789abcdef0123456789";
const DSID2: &str = "legacy2223456789abcdef0123456789";
const POOL: &str = "10.79.0.0/24";
const TUNNEL_GW: &str = "10.79.0.1";

/// Starts `oncp gateway --legacy-tls` (TUN mode) on the gateway side.
fn legacy_gateway(net: &mut NetPair) -> Gateway {
    oncp_gateway(
        net,
        &[
            "-v",
            "--legacy-tls",
            "--dsid",
            DSID,
            "--dsid",
            DSID2,
            "--pool",
            POOL,
        ],
    )
}

#[test]
#[ignore = "root: network namespaces, TUN; run by scripts/test/66-e2e-legacy.sh"]
fn oncp_falls_back_to_openssl_and_openconnect_still_connects() {
    assert!(is_root(), "run as root");
    let mut net = NetPair::create();
    let mut gw = legacy_gateway(&mut net);

    // rustls alone cannot connect: a handshake failure, exit status 1.
    let mut rustls_only = oncp_connect(
        &mut net,
        "oncp-rustls",
        &gw,
        &["--tls-backend", "rustls", "-C", DSID],
        None,
    );
    let st = rustls_only.wait_exit(Duration::from_secs(30));
    assert_eq!(
        st.and_then(|s| s.code()),
        Some(1),
        "{}",
        rustls_only.output()
    );
    assert!(
        rustls_only.output().contains("HandshakeFailure"),
        "{}",
        rustls_only.output()
    );

    // auto: rustls fails, OpenSSL connects, with the warning.
    let mut client = oncp_connect(&mut net, "oncp-auto", &gw, &["-v", "-C", DSID], None);
    wait_esp_established(&mut client, &gw);
    let out = client.output();
    let warning = out
        .lines()
        .find(|l| l.contains("OpenSSL fallback"))
        .unwrap_or_else(|| panic!("no fallback warning:\n{out}"));
    eprintln!("fallback warning: {warning}");
    assert!(warning.contains("WARN"), "{warning}");
    assert!(
        warning.contains("TLSv1.2 TLS_RSA_WITH_AES_256_CBC_SHA256"),
        "{warning}"
    );
    assert!(
        warning.contains("weaker") && warning.contains("no forward secrecy"),
        "{warning}"
    );
    let (ok, pings) = ping_through_tunnel(&net, TUNNEL_GW);
    assert!(
        ok,
        "ping through the tunnel failed: {pings}\n{}",
        client.output()
    );
    let status = client.interrupt().expect("the client exits after SIGINT");
    assert_eq!(status.code(), Some(0), "client:\n{}", client.output());
    assert!(
        client.output().contains("logged out"),
        "the logout went over OpenSSL too:\n{}",
        client.output()
    );
    assert_eq!(
        client.output().matches("OpenSSL fallback").count(),
        1,
        "warned once"
    );

    // OpenConnect 9.01 (GnuTLS) negotiates the legacy suites.
    let mut oc = openconnect(&mut net, "openconnect", &format!("DSID={DSID2}"), &gw);
    wait_esp_established(&mut oc, &gw);
    assert!(
        oc.output()
            .contains("(TLS1.2)-(RSA)-(AES-256-CBC)-(SHA256)"),
        "OpenConnect names the legacy suite:\n{}",
        oc.output()
    );
    let (ok, pings) = ping_through_tunnel(&net, TUNNEL_GW);
    assert!(ok, "ping through OpenConnect's tunnel failed: {pings}");
    oc.interrupt();
    gw.proc.interrupt();
    let c = gw.final_counters();
    assert!(c["tunnels"] >= 2, "{c:?}");
    assert!(c["esp_in"] >= 6, "{c:?}");
}

#[test]
#[ignore = "root: network namespaces, TUN; run by scripts/test/66-e2e-legacy.sh"]
fn servercert_mismatch_is_refused_on_the_openssl_backend_before_the_cookie() {
    assert!(is_root(), "run as root");
    let mut net = NetPair::create();
    let mut gw = legacy_gateway(&mut net);
    let wrong = format!("pin-sha256:{}", "A".repeat(43) + "=");
    for backend in ["openssl", "auto"] {
        let mut client = spawn_oncp_client(
            &mut net,
            &format!("oncp-{backend}"),
            &[
                "connect",
                "--tls-backend",
                backend,
                "--servercert",
                &wrong,
                "-C",
                DSID,
                &gw.listen,
            ],
            None,
        );
        let st = client.wait_exit(Duration::from_secs(30));
        let out = client.output();
        assert_eq!(st.and_then(|s| s.code()), Some(1), "{backend}: {out}");
        assert!(
            out.contains("does not match --servercert") && out.contains(&gw.pin),
            "{backend}: the refusal names the real pin:\n{out}"
        );
        assert!(!out.contains("ESP session"), "{out}");
    }
    gw.proc.interrupt();
    let c = gw.final_counters();
    assert_eq!(
        c["cookie_attempts"], 0,
        "no cookie reached the gateway: {c:?}"
    );
    assert_eq!(c["tunnels"], 0, "{c:?}");
}

/// `oncp connect --authenticate` with a web login (user and password) on
/// loopback, no root: `oncp gateway --legacy-tls` in-process.
async fn authenticate(gw: &oncp::gateway::GatewayHandle, backend: &str) -> ProgramOutput {
    let url = format!("https://127.0.0.1:{}", gw.tls_addr.port());
    let cmd = authenticate_command(
        LoginClient::Oncp,
        &url,
        &gw.pin,
        "alice",
        &["--tls-backend", backend],
    );
    run_with_stdin(cmd, "s3cret pass\n").await
}

#[tokio::test(flavor = "multi_thread")]
async fn web_login_to_a_legacy_gateway_falls_back_and_gets_a_cookie() {
    let mut c = oncp::gateway::GatewayConfig::loopback_echo();
    c.users = vec![("alice".into(), "s3cret pass".into())];
    c.legacy_tls = true;
    let gw = oncp::gateway::serve(c).await.expect("legacy gateway");

    let r = authenticate(&gw, "auto").await;
    let (stdout, stderr) = (&r.stdout, &r.stderr);
    assert!(r.success(), "login failed:\n{stdout}\n{stderr}");
    let cookie = printed_value(stdout, "COOKIE").expect("COOKIE printed");
    let dsid = cookie
        .trim_matches('\'')
        .split(';')
        .next()
        .and_then(|c| c.strip_prefix("DSID="))
        .expect("DSID first")
        .to_string();
    assert_eq!(gw.session_user(&dsid).as_deref(), Some("alice"));
    assert!(
        stderr.contains("OpenSSL fallback using TLSv1.2 TLS_RSA_WITH_AES_"),
        "{stderr}"
    );
    assert!(!stderr.contains("s3cret"), "{stderr}");

    // rustls alone: a handshake failure, no cookie.
    let r = authenticate(&gw, "rustls").await;
    assert!(!r.success() && r.stdout.is_empty(), "{}", r.stdout);
    assert!(r.stderr.contains("HandshakeFailure"), "{}", r.stderr);
    gw.shutdown();
}
