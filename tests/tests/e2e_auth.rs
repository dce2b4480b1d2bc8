//! Web login, then a tunnel, in two network namespaces: OpenConnect 9.01
//! logs in to `oncp gateway` with `--authenticate` (username and password)
//! and its printed cookie opens a tunnel (ping over ESP); `oncp connect -u
//! USER --passwd-on-stdin` logs in and connects in one go (and a wrong
//! password fails clearly). Both clients end on SIGINT with status 0.
//!
//! Root only; run by `scripts/test/63-e2e-auth.sh`.

use oncp_tests::netns::{NetPair, Proc, is_root, oncp_bin, printed_value};
use oncp_tests::peers::{
    Gateway, oncp_connect, oncp_gateway, openconnect, ping_through_tunnel, wait_esp_established,
};

const POOL: &str = "10.79.0.0/24";
const TUNNEL_GW: &str = "10.79.0.1";

fn start_gateway(net: &mut NetPair) -> Gateway {
    oncp_gateway(
        net,
        &[
            "--pool",
            POOL,
            "--user",
            "alice:open sesame",
            "--realm",
            "Users",
            "--realm",
            "Staff",
        ],
    )
}

#[track_caller]
fn tunnel_then_interrupt(net: &NetPair, mut client: Proc, gw: &Gateway) {
    wait_esp_established(&mut client, gw);
    assert!(
        ping_through_tunnel(net, TUNNEL_GW).0,
        "ping failed; client:\n{}",
        client.output()
    );
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
    let gw = start_gateway(&mut net);
    let (pin, url) = (&gw.pin, format!("https://{}", net.gw_addr));
    let cmd = format!(
        "echo 'open sesame' | openconnect --protocol=nc --authenticate --non-inter \
         --servercert {pin} -u alice --passwd-on-stdin --authgroup staff {url}"
    );
    let (ok, out) = net.exec(&net.client, &["sh", "-c", &cmd]);
    assert!(
        ok,
        "openconnect --authenticate:\n{out}\ngateway:\n{}",
        gw.proc.output()
    );
    let cookie = printed_value(&out, "COOKIE").expect("COOKIE printed");
    let cookie = cookie.trim_matches('\'').to_string();
    assert!(cookie.starts_with("DSID="), "{cookie}");
    assert_eq!(
        printed_value(&out, "FINGERPRINT").unwrap(),
        format!("'{pin}'")
    );
    let oc = openconnect(&mut net, "openconnect", &cookie, &gw);
    tunnel_then_interrupt(&net, oc, &gw);
}

#[test]
#[ignore = "needs root, network namespaces and TUN; run by scripts/test/63-e2e-auth.sh"]
fn oncp_connect_logs_in_with_user_and_password_then_connects() {
    assert!(is_root(), "run as root");
    let mut net = NetPair::create();
    let gw = start_gateway(&mut net);
    let client = oncp_connect(
        &mut net,
        "client",
        &gw,
        &[
            "-v",
            "-u",
            "alice",
            "--passwd-on-stdin",
            "--authgroup",
            "Users",
            "--non-inter",
        ],
        Some("open sesame\n"),
    );
    tunnel_then_interrupt(&net, client, &gw);
    // A wrong password: a clear message and a failure exit status (the
    // server named without its port this time: 443 is the default).
    let cmd = format!(
        "echo wrong | {} connect -u alice --passwd-on-stdin --authgroup Users --non-inter --servercert {} {}",
        oncp_bin().display(),
        gw.pin,
        net.gw_addr
    );
    let (ok, out) = net.exec(&net.client, &["sh", "-c", &cmd]);
    assert!(!ok, "{out}");
    assert!(out.contains("Invalid username or password"), "{out}");
}
