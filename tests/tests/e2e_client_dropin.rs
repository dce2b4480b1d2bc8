//! The drop-in behaviours that need a TUN device (root):
//!
//! * `-b --pid-file`: `oncp connect` returns 0 once the tunnel is up,
//!   the PID file names the daemon, the tunnel works, SIGINT to that PID
//!   ends it with a logout and the PID file goes away (`oncp gateway` in
//!   a network namespace pair, like `e2e_client_connect.rs`);
//! * case 8 of OpenConnect's juniper-auth test (spec auth.md §12.3): after
//!   the login, the fake gateway refuses the tunnel request with 401 and
//!   `oncp connect` exits with status 2, "cookie rejected" — with
//!   OpenConnect's command line (no `--cookieonly`); the TUN device it
//!   opens is deleted when it exits, and `-s /bin/true` leaves the
//!   network configuration alone.
//!
//! Root only; run by `scripts/test/61-e2e-client.sh`.

use oncp_tests::fake_juniper::{FakeJuniper, Scenario};
use oncp_tests::netns::{NetPair, is_root, oncp_bin};
use oncp_tests::peers::{oncp_connect, oncp_gateway};
use oncp_tests::program::run_with_stdin;
use std::time::{Duration, Instant};

const DSID: &str = "e2edropin0123456789abcdef012345";
const TUNNEL_GW: &str = "10.79.0.1";

fn alive(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

#[test]
#[ignore = "needs root and iproute2; run by scripts/test/61-e2e-client.sh"]
fn background_writes_the_daemon_pid_and_returns_once_the_tunnel_is_up() {
    assert!(is_root(), "run as root");
    let mut net = NetPair::create();
    let cl_ns = net.client.clone();
    let gw = oncp_gateway(&mut net, &["--dsid", DSID, "--pool", "10.79.0.0/24"]);
    let pid_file = net.path("oncp.pid");
    let pid_path = pid_file.to_str().unwrap().to_string();

    let mut fg = oncp_connect(
        &mut net,
        "client",
        &gw,
        &[
            "-v",
            "-b",
            "--pid-file",
            &pid_path,
            "-C",
            DSID,
            "--protocol=nc",
        ],
        None,
    );
    let status = fg.wait_exit(Duration::from_secs(30));
    assert_eq!(
        status.and_then(|s| s.code()),
        Some(0),
        "the foreground process returns once the tunnel is up:\n{}",
        fg.output()
    );
    let text = std::fs::read_to_string(&pid_file).expect("the PID file is written");
    let pid: u32 = text.trim().parse().unwrap();
    assert_eq!(text, format!("{pid}\n"));
    assert_ne!(pid, fg.pid(), "the daemon is another process");
    assert!(alive(pid), "the daemon runs:\n{}", fg.output());
    assert!(
        fg.output()
            .contains(&format!("Continuing in background; pid {pid}")),
        "{}",
        fg.output()
    );
    let (ok, out) = net.exec(&cl_ns, &["ping", "-c", "2", "-W", "2", TUNNEL_GW]);
    assert!(
        ok,
        "ping through the daemon's tunnel: {out}\n{}",
        fg.output()
    );

    let _ = std::process::Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status();
    let end = Instant::now() + Duration::from_secs(15);
    while (alive(pid) || pid_file.exists()) && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(!alive(pid), "the daemon ends on SIGINT:\n{}", fg.output());
    assert!(!pid_file.exists(), "the daemon removes its PID file");
    assert!(fg.output().contains("logged out"), "{}", fg.output());
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs root (opens a TUN device); run by scripts/test/61-e2e-client.sh"]
async fn case8_tunnel_refused_exits_2() {
    assert!(is_root(), "run as root");
    let f = FakeJuniper::start(Scenario::default()).await;
    let ifname = format!("oncpd{}", std::process::id() % 100_000);
    let args = [
        "connect".to_string(),
        "-q".into(),
        f.addr.to_string(),
        "-u".into(),
        "test".into(),
        "--protocol=nc".into(),
        format!("--servercert={}", f.cert_sha1),
        "--passwd-on-stdin".into(),
        "-s".into(),
        "/bin/true".into(),
        "-i".into(),
        ifname.clone(),
    ];
    let mut cmd = std::process::Command::new(oncp_bin());
    cmd.args(&args);
    let out = run_with_stdin(cmd, "test\n").await;
    let err = &out.stderr;
    assert_eq!(out.code(), Some(2), "{err}");
    assert!(err.contains("cookie was rejected"), "{err}");
    assert!(
        f.log()
            .iter()
            .any(|s| s.method == "POST" && s.target == "/dana/js?prot=1&svc=4"),
        "{:?}",
        f.log()
    );
    let links = std::process::Command::new("ip")
        .args(["link", "show", &ifname])
        .output()
        .unwrap();
    assert!(!links.status.success(), "the TUN device {ifname} is gone");
}
