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

use std::collections::HashMap;
use std::time::Duration;

use oncp_tests::netns::{NetPair, Proc, is_root, oncp_bin, printed_value};

const DSID: &str = "legacy0123456789abcdef0123456789";
const DSID2: &str = "legacy2223456789abcdef0123456789";
const POOL: &str = "10.79.0.0/24";
const TUNNEL_GW: &str = "10.79.0.1";
const VPNC_SCRIPT: &str = "/usr/share/vpnc-scripts/vpnc-script";

fn ping(net: &NetPair) -> (bool, String) {
    net.exec(
        &net.client,
        &["ping", "-c", "3", "-i", "0.3", "-W", "2", TUNNEL_GW],
    )
}

/// The gateway's final `COUNTERS` line.
fn counters(output: &str) -> HashMap<String, u64> {
    output
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("COUNTERS "))
        .expect("gateway printed its counters")
        .split_whitespace()
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.parse().unwrap()))
        .collect()
}

/// Starts `oncp gateway --legacy-tls` (TUN mode) on the gateway side;
/// returns it, its listening address and its pin.
fn legacy_gateway(net: &mut NetPair) -> (Proc, String, String) {
    let bin = oncp_bin();
    let listen = format!("{}:443", net.gw_addr);
    let (gw_ns, gw_addr) = (net.gw.clone(), net.gw_addr.clone());
    let mut gw = net.spawn(
        &gw_ns,
        "gateway",
        &[
            bin.to_str().unwrap(),
            "-v",
            "gateway",
            "--legacy-tls",
            "--listen",
            &listen,
            "--dsid",
            DSID,
            "--dsid",
            DSID2,
            "--cert-name",
            &gw_addr,
            "--pool",
            POOL,
        ],
        None,
    );
    assert!(
        gw.wait_for("PIN=", Duration::from_secs(30)),
        "gateway did not start:\n{}",
        gw.output()
    );
    let pin = printed_value(&gw.output(), "PIN").unwrap();
    (gw, listen, pin)
}

#[test]
#[ignore = "root: network namespaces, TUN; run by scripts/test/66-e2e-legacy.sh"]
fn oncp_falls_back_to_openssl_and_openconnect_still_connects() {
    assert!(is_root(), "run as root");
    let mut net = NetPair::create();
    let (mut gw, listen, pin) = legacy_gateway(&mut net);
    let bin = oncp_bin();
    let bin = bin.to_str().unwrap();
    let cl_ns = net.client.clone();

    // rustls alone cannot connect: a handshake failure, exit status 1.
    let mut rustls_only = net.spawn(
        &cl_ns,
        "oncp-rustls",
        &[
            bin,
            "connect",
            "--tls-backend",
            "rustls",
            "--servercert",
            &pin,
            "-C",
            DSID,
            &listen,
        ],
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
    let mut client = net.spawn(
        &cl_ns,
        "oncp-auto",
        &[
            bin,
            "-v",
            "connect",
            "--servercert",
            &pin,
            "-C",
            DSID,
            &listen,
        ],
        None,
    );
    assert!(
        client.wait_for("ESP session established", Duration::from_secs(30)),
        "client:\n{}\n--- gateway:\n{}",
        client.output(),
        gw.output()
    );
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
    let (ok, pings) = ping(&net);
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
    let cookie = format!("DSID={DSID2}");
    let url = format!("https://{}", net.gw_addr);
    let mut oc = net.spawn(
        &cl_ns,
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
        "OpenConnect:\n{}\n--- gateway:\n{}",
        oc.output(),
        gw.output()
    );
    assert!(
        oc.output()
            .contains("(TLS1.2)-(RSA)-(AES-256-CBC)-(SHA256)"),
        "OpenConnect names the legacy suite:\n{}",
        oc.output()
    );
    let (ok, pings) = ping(&net);
    assert!(ok, "ping through OpenConnect's tunnel failed: {pings}");
    oc.interrupt();
    gw.interrupt();
    let c = counters(&gw.output());
    assert!(c["tunnels"] >= 2, "{c:?}");
    assert!(c["esp_in"] >= 6, "{c:?}");
}

#[test]
#[ignore = "root: network namespaces, TUN; run by scripts/test/66-e2e-legacy.sh"]
fn servercert_mismatch_is_refused_on_the_openssl_backend_before_the_cookie() {
    assert!(is_root(), "run as root");
    let mut net = NetPair::create();
    let (mut gw, listen, pin) = legacy_gateway(&mut net);
    let bin = oncp_bin();
    let bin = bin.to_str().unwrap();
    let cl_ns = net.client.clone();
    let wrong = format!("pin-sha256:{}", "A".repeat(43) + "=");
    for backend in ["openssl", "auto"] {
        let mut client = net.spawn(
            &cl_ns,
            &format!("oncp-{backend}"),
            &[
                bin,
                "connect",
                "--tls-backend",
                backend,
                "--servercert",
                &wrong,
                "-C",
                DSID,
                &listen,
            ],
            None,
        );
        let st = client.wait_exit(Duration::from_secs(30));
        let out = client.output();
        assert_eq!(st.and_then(|s| s.code()), Some(1), "{backend}: {out}");
        assert!(
            out.contains("does not match --servercert") && out.contains(&pin),
            "{backend}: the refusal names the real pin:\n{out}"
        );
        assert!(!out.contains("ESP session"), "{out}");
    }
    gw.interrupt();
    let c = counters(&gw.output());
    assert_eq!(
        c["cookie_attempts"], 0,
        "no cookie reached the gateway: {c:?}"
    );
    assert_eq!(c["tunnels"], 0, "{c:?}");
}

/// `oncp connect --authenticate` with a web login (user and password) on
/// loopback, no root: `oncp gateway --legacy-tls` in-process.
async fn authenticate(gw: &oncp::gateway::GatewayHandle, backend: &str) -> (bool, String, String) {
    let mut cmd = std::process::Command::new(oncp_bin());
    cmd.args([
        "connect",
        "--authenticate",
        "--non-inter",
        "--tls-backend",
        backend,
        "--servercert",
        &gw.pin,
        "-u",
        "alice",
        "--passwd-on-stdin",
    ])
    .arg(format!("https://127.0.0.1:{}", gw.tls_addr.port()));
    tokio::task::spawn_blocking(move || {
        use std::io::Write;
        use std::process::Stdio;
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn oncp");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(b"s3cret pass\n")
            .unwrap();
        let out = child.wait_with_output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn web_login_to_a_legacy_gateway_falls_back_and_gets_a_cookie() {
    let mut c = oncp::gateway::GatewayConfig::loopback_echo();
    c.users = vec![("alice".into(), "s3cret pass".into())];
    c.legacy_tls = true;
    let gw = oncp::gateway::serve(c).await.expect("legacy gateway");

    let (ok, stdout, stderr) = authenticate(&gw, "auto").await;
    assert!(ok, "login failed:\n{stdout}\n{stderr}");
    let cookie = printed_value(&stdout, "COOKIE").expect("COOKIE printed");
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
    let (ok, stdout, stderr) = authenticate(&gw, "rustls").await;
    assert!(!ok && stdout.is_empty(), "{stdout}");
    assert!(stderr.contains("HandshakeFailure"), "{stderr}");
    gw.shutdown();
}
