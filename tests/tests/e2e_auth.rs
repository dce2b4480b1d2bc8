//! Web login, then a tunnel, in two network namespaces: OpenConnect 9.01
//! logs in to `oncp gateway` with `--authenticate` (username and password)
//! and its printed cookie opens a tunnel (ping over ESP); `oncp connect -u
//! USER --passwd-on-stdin` logs in and connects in one go (and a wrong
//! password fails clearly). Both clients end on SIGINT with status 0.
//!
//! Root only; run by `scripts/test/63-e2e-auth.sh`.

use oncp_tests::netns::{NetPair, Proc, is_root, oncp_bin, printed_value};
use std::time::Duration;

const POOL: &str = "10.79.0.0/24";
const TUNNEL_GW: &str = "10.79.0.1";
const VPNC_SCRIPT: &str = "/usr/share/vpnc-scripts/vpnc-script";

fn start_gateway(net: &mut NetPair) -> (Proc, String) {
    let bin = oncp_bin();
    let listen = format!("{}:443", net.gw_addr);
    let (gw_ns, gw_addr) = (net.gw.clone(), net.gw_addr.clone());
    let mut gw = net.spawn(
        &gw_ns,
        "gateway",
        &[
            bin.to_str().unwrap(),
            "gateway",
            "--listen",
            &listen,
            "--cert-name",
            &gw_addr,
            "--pool",
            POOL,
            "--user",
            "alice:open sesame",
            "--realm",
            "Users",
            "--realm",
            "Staff",
        ],
        None,
    );
    assert!(
        gw.wait_for("PIN=", Duration::from_secs(20)),
        "gateway:\n{}",
        gw.output()
    );
    let pin = printed_value(&gw.output(), "PIN").unwrap();
    (gw, pin)
}

fn ping(net: &NetPair) -> bool {
    net.exec(
        &net.client,
        &["ping", "-c", "3", "-i", "0.3", "-W", "2", TUNNEL_GW],
    )
    .0
}

#[track_caller]
fn tunnel_then_interrupt(net: &NetPair, mut client: Proc, gw: &mut Proc) {
    assert!(
        client.wait_for("ESP session established", Duration::from_secs(30)),
        "client:\n{}\ngateway:\n{}",
        client.output(),
        gw.output()
    );
    assert!(ping(net), "ping failed; client:\n{}", client.output());
    let status = client.interrupt().expect("the client exits after SIGINT");
    assert_eq!(status.code(), Some(0), "client:\n{}", client.output());
    assert!(
        !client.output().contains("open sesame"),
        "password in the log:\n{}",
        client.output()
    );
}

#[test]
#[ignore = "needs root, network namespaces and TUN; run by scripts/test/63-e2e-auth.sh"]
fn openconnect_authenticate_cookie_opens_a_tunnel() {
    assert!(is_root(), "run as root");
    let mut net = NetPair::create();
    let (mut gw, pin) = start_gateway(&mut net);
    let url = format!("https://{}", net.gw_addr);
    let cmd = format!(
        "echo 'open sesame' | openconnect --protocol=nc --authenticate --non-inter \
         --servercert {pin} -u alice --passwd-on-stdin --authgroup staff {url}"
    );
    let (ok, out) = net.exec(&net.client, &["sh", "-c", &cmd]);
    assert!(
        ok,
        "openconnect --authenticate:\n{out}\ngateway:\n{}",
        gw.output()
    );
    let cookie = printed_value(&out, "COOKIE").expect("COOKIE printed");
    let cookie = cookie.trim_matches('\'').to_string();
    assert!(cookie.starts_with("DSID="), "{cookie}");
    assert_eq!(
        printed_value(&out, "FINGERPRINT").unwrap(),
        format!("'{pin}'")
    );
    let cl_ns = net.client.clone();
    let oc = net.spawn(
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
    tunnel_then_interrupt(&net, oc, &mut gw);
}

#[test]
#[ignore = "needs root, network namespaces and TUN; run by scripts/test/63-e2e-auth.sh"]
fn oncp_connect_logs_in_with_user_and_password_then_connects() {
    assert!(is_root(), "run as root");
    let mut net = NetPair::create();
    let (mut gw, pin) = start_gateway(&mut net);
    let bin = oncp_bin();
    let server = net.gw_addr.clone();
    let cl_ns = net.client.clone();
    let client = net.spawn(
        &cl_ns,
        "client",
        &[
            bin.to_str().unwrap(),
            "-v",
            "connect",
            "-u",
            "alice",
            "--passwd-on-stdin",
            "--authgroup",
            "Users",
            "--non-inter",
            "--servercert",
            &pin,
            &server,
        ],
        Some("open sesame\n"),
    );
    tunnel_then_interrupt(&net, client, &mut gw);
    // A wrong password: a clear message and a failure exit status.
    let cmd = format!(
        "echo wrong | {} connect -u alice --passwd-on-stdin --authgroup Users --non-inter --servercert {pin} {server}",
        bin.display()
    );
    let (ok, out) = net.exec(&net.client, &["sh", "-c", &cmd]);
    assert!(!ok, "{out}");
    assert!(out.contains("Invalid username or password"), "{out}");
}
