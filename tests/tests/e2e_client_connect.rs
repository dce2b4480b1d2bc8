//! `oncp connect` against `oncp gateway` (TUN mode) in two network
//! namespaces joined by a veth pair: ping over ESP, then UDP dropped with
//! nftables and the ping keeps working over TLS; SIGTERM ends the client
//! with exit status 0 and a logout. Once with the built-in netlink setup,
//! once with Debian's vpnc-script.
//!
//! Root only; run by `scripts/test/61-e2e-client.sh`. Namespaces, links and
//! processes get unique names/PIDs and are removed even on failure.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const DSID: &str = "e2e0123456789abcdef0123456789ab";
const GW_ADDR: &str = "10.99.0.1";
const CL_ADDR: &str = "10.99.0.2";
const TUNNEL_GW: &str = "10.10.1.1";
const TLS_PORT: &str = "4443";
const ESP_PORT: &str = "4500";

fn oncp_bin() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let bin = exe.parent().unwrap().parent().unwrap().join("oncp");
    assert!(
        bin.exists(),
        "build the oncp binary first ({})",
        bin.display()
    );
    bin
}

fn sh(args: &[&str]) -> std::process::Output {
    Command::new(args[0])
        .args(&args[1..])
        .output()
        .expect("spawn")
}

fn must(args: &[&str]) {
    let out = sh(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Two namespaces and a veth pair, deleted on drop.
struct Topology {
    gw: String,
    cl: String,
}

impl Topology {
    fn new(tag: &str) -> Topology {
        let id = std::process::id();
        let t = Topology {
            gw: format!("oncp-g{tag}{id}"),
            cl: format!("oncp-c{tag}{id}"),
        };
        t.cleanup();
        let (vg, vc) = (format!("vg{tag}{id}"), format!("vc{tag}{id}"));
        must(&["ip", "netns", "add", &t.gw]);
        must(&["ip", "netns", "add", &t.cl]);
        must(&[
            "ip", "link", "add", &vg, "netns", &t.gw, "type", "veth", "peer", "name", &vc, "netns",
            &t.cl,
        ]);
        for (ns, dev, addr) in [(&t.gw, &vg, GW_ADDR), (&t.cl, &vc, CL_ADDR)] {
            must(&[
                "ip",
                "-n",
                ns,
                "addr",
                "add",
                &format!("{addr}/24"),
                "dev",
                dev,
            ]);
            must(&["ip", "-n", ns, "link", "set", dev, "up"]);
            must(&["ip", "-n", ns, "link", "set", "lo", "up"]);
        }
        t
    }

    fn cleanup(&self) {
        let _ = sh(&["ip", "netns", "del", &self.gw]);
        let _ = sh(&["ip", "netns", "del", &self.cl]);
    }

    fn in_ns(&self, ns: &str, args: &[&str]) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", ns]).args(args);
        c
    }
}

impl Drop for Topology {
    fn drop(&mut self) {
        self.cleanup();
    }
}

/// A child process killed (by its PID) on drop.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_for_log(path: &PathBuf, needle: &str, within: Duration) {
    let start = Instant::now();
    loop {
        let log = std::fs::read_to_string(path).unwrap_or_default();
        if log.contains(needle) {
            return;
        }
        assert!(
            start.elapsed() < within,
            "no {needle:?} in the client log:\n{log}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn ping(t: &Topology) -> bool {
    t.in_ns(
        &t.cl,
        &["ping", "-c", "3", "-i", "0.3", "-W", "2", TUNNEL_GW],
    )
    .stdout(Stdio::null())
    .status()
    .expect("ping")
    .success()
}

fn scenario(tag: &str, script: Option<&str>) {
    let t = Topology::new(tag);
    let bin = oncp_bin();
    let bin = bin.to_str().unwrap();
    let listen = format!("{GW_ADDR}:{TLS_PORT}");
    let mut gw = Proc(
        t.in_ns(
            &t.gw,
            &[
                bin,
                "gateway",
                "--listen",
                &listen,
                "--esp-port",
                ESP_PORT,
                "--dsid",
                DSID,
                "--dpd",
                "2",
                "--interface",
                &format!("gwtun{tag}"),
            ],
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("gateway"),
    );
    let mut pin = None;
    for line in BufReader::new(gw.0.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        if let Some(p) = line.strip_prefix("PIN=") {
            pin = Some(p.to_string());
        }
        if line.starts_with("TUN=") {
            break;
        }
    }
    let pin = pin.expect("the gateway printed its pin");

    let log =
        std::env::temp_dir().join(format!("oncp-e2e-client-{tag}-{}.log", std::process::id()));
    let mut args = vec![
        bin,
        "-v",
        "connect",
        "--servercert",
        &pin,
        "-C",
        DSID,
        "-i",
        "oncpcl0",
    ];
    if let Some(s) = script {
        args.extend(["--script", s]);
    }
    args.push(&listen);
    let mut client = Proc(
        t.in_ns(&t.cl, &args)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("client"),
    );
    wait_for_log(&log, "ESP session established", Duration::from_secs(20));
    // Count ESP datagrams leaving the client while it pings.
    must(&[
        "ip",
        "netns",
        "exec",
        &t.cl,
        "nft",
        "add",
        "table",
        "inet",
        "oncpcount",
    ]);
    let spec = "{ type filter hook output priority 0 ; }";
    must(&[
        "ip",
        "netns",
        "exec",
        &t.cl,
        "nft",
        "add",
        "chain",
        "inet",
        "oncpcount",
        "out",
        spec,
    ]);
    must(&[
        "ip",
        "netns",
        "exec",
        &t.cl,
        "nft",
        "add",
        "rule",
        "inet",
        "oncpcount",
        "out",
        "udp",
        "dport",
        ESP_PORT,
        "counter",
    ]);
    assert!(ping(&t), "ping over ESP failed");
    let counted = sh(&[
        "ip",
        "netns",
        "exec",
        &t.cl,
        "nft",
        "list",
        "chain",
        "inet",
        "oncpcount",
        "out",
    ]);
    let counted = String::from_utf8_lossy(&counted.stdout).into_owned();
    let packets: u64 = counted
        .split("packets ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no counter in {counted}"));
    assert!(packets >= 3, "the pings did not go over ESP: {counted}");

    // Drop ESP both ways in the client's namespace: fallback to TLS.
    must(&[
        "ip", "netns", "exec", &t.cl, "nft", "add", "table", "inet", "oncpe2e",
    ]);
    for (chain, hook, dir) in [("in", "input", "sport"), ("out", "output", "dport")] {
        let spec = format!("{{ type filter hook {hook} priority 0 ; }}");
        must(&[
            "ip", "netns", "exec", &t.cl, "nft", "add", "chain", "inet", "oncpe2e", chain, &spec,
        ]);
        must(&[
            "ip", "netns", "exec", &t.cl, "nft", "add", "rule", "inet", "oncpe2e", chain, "udp",
            dir, ESP_PORT, "drop",
        ]);
    }
    wait_for_log(&log, "data now over TLS", Duration::from_secs(20));
    assert!(ping(&t), "ping over TLS failed");

    // SIGTERM: clean close, logout, exit status 0.
    let pid = client.0.id().to_string();
    must(&["kill", "-TERM", &pid]);
    let status = client.0.wait().expect("wait");
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    let _ = std::fs::remove_file(&log);
    assert_eq!(status.code(), Some(0), "client log:\n{text}");
    assert!(text.contains("logged out"), "client log:\n{text}");
    drop(gw);
}

#[test]
#[ignore = "needs root, nftables and iproute2; run by scripts/test/61-e2e-client.sh"]
fn connect_with_builtin_setup_esp_then_tls() {
    scenario("b", None);
}

#[test]
#[ignore = "needs root, nftables, iproute2 and vpnc-scripts; run by scripts/test/61-e2e-client.sh"]
fn connect_with_vpnc_script_esp_then_tls() {
    scenario("s", Some("/usr/share/vpnc-scripts/vpnc-script"));
}
