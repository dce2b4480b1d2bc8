//! `oncp connect` sets the tunnel's DNS itself (no `--script`) and undoes
//! it, against `oncp gateway` in two network namespaces:
//!
//! - systemd-resolved: a stand-in (`oncp-mock-resolved`) on a real private
//!   `dbus-daemon` bus records every resolve1 call (real systemd-resolved
//!   is not used: its Debian package takes over the test machine's own
//!   /etc/resolv.conf when installed, and it expects systemd as PID 1);
//!   split and full tunnels, and a resolved that refuses the calls;
//! - /etc/resolv.conf: each client runs in its own mount namespace with a
//!   scratch file bind-mounted on /etc/resolv.conf and a scratch directory
//!   on /run/oncp (the real ones are never touched): rewritten and
//!   restored, read-only, changed by someone else meanwhile;
//! - SIGKILL: what was changed is undone by the next `oncp connect` and
//!   by `oncp cleanup`, and the bypass route goes too.
//!
//! Root only; run by `scripts/test/67-e2e-dns.sh`.

use oncp_tests::netns::{NetPair, Proc, is_root};
use oncp_tests::peers::{
    ESP_ESTABLISHED, Gateway, expect_output, oncp_gateway, ping_through_tunnel,
};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const DSID: &str = "d0d0123456789abcdef0123456789ab";
/// A second cookie, for a second session after the first logged out.
const DSID2: &str = "d1d1123456789abcdef0123456789ab";
const POOL: &str = "10.79.0.0/24";
const TUNNEL_GW: &str = "10.79.0.1";
const ORIGINAL: &str = "# the host's\nnameserver 192.0.2.53\nsearch home.example\noptions edns0\n";

fn gateway(net: &mut NetPair, full: bool) -> Gateway {
    let mut flags = vec![
        "--dsid",
        DSID,
        "--dsid",
        DSID2,
        "--pool",
        POOL,
        "--dns",
        "10.79.0.53",
        "--domain",
        "corp.example",
    ];
    if full {
        flags.extend(["--route", "0.0.0.0/0"]);
    }
    oncp_gateway(net, &flags)
}

/// Where a client's private /etc/resolv.conf and /run/oncp live.
struct Sandbox {
    resolv: PathBuf,
    state: PathBuf,
    read_only: bool,
}

impl Sandbox {
    fn new(net: &NetPair, name: &str) -> Sandbox {
        let resolv = net.path(&format!("{name}-resolv.conf"));
        std::fs::write(&resolv, ORIGINAL).unwrap();
        let state = net.path(&format!("{name}-state"));
        std::fs::create_dir_all(&state).unwrap();
        // The mount point; oncp makes it itself in real use.
        std::fs::create_dir_all("/run/oncp").unwrap();
        Sandbox {
            resolv,
            state,
            read_only: false,
        }
    }

    /// `argv` run in a new mount namespace with the scratch files bound
    /// on /etc/resolv.conf and /run/oncp.
    fn wrap(&self, env: &[(&str, &str)], argv: &[&str]) -> Vec<String> {
        let ro = if self.read_only {
            " && mount -o remount,bind,ro /etc/resolv.conf"
        } else {
            ""
        };
        let script = format!(
            "mount --bind \"$1\" /etc/resolv.conf{ro} && mount --bind \"$2\" /run/oncp && shift 2 && exec \"$@\""
        );
        let mut v: Vec<String> = ["unshare", "-m", "--propagation", "private", "sh", "-c"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        v.push(script);
        v.push("sh".into());
        v.push(self.resolv.to_str().unwrap().into());
        v.push(self.state.to_str().unwrap().into());
        v.push("env".into());
        for (k, val) in env {
            v.push(format!("{k}={val}"));
        }
        v.extend(argv.iter().map(|s| s.to_string()));
        v
    }

    fn resolv(&self) -> String {
        std::fs::read_to_string(&self.resolv).unwrap()
    }

    fn state_files(&self) -> Vec<String> {
        std::fs::read_dir(&self.state)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    }
}

fn connect(
    net: &mut NetPair,
    name: &str,
    gw: &Gateway,
    sandbox: &Sandbox,
    env: &[(&str, &str)],
    dns: &str,
) -> Proc {
    connect_with(net, name, gw, sandbox, env, dns, DSID)
}

fn connect_with(
    net: &mut NetPair,
    name: &str,
    gw: &Gateway,
    sandbox: &Sandbox,
    env: &[(&str, &str)],
    dns: &str,
    dsid: &str,
) -> Proc {
    let bin = oncp_tests::netns::oncp_bin();
    let argv = [
        bin.to_str().unwrap(),
        "connect",
        "--servercert",
        &gw.pin,
        "-C",
        dsid,
        "-i",
        "oncpdns0",
        "--dns",
        dns,
        &gw.listen,
    ];
    let cmd = sandbox.wrap(env, &argv);
    let cmd: Vec<&str> = cmd.iter().map(String::as_str).collect();
    let ns = net.client.clone();
    net.spawn(&ns, name, &cmd, None)
}

/// A private bus (a real dbus-daemon) with the stand-in resolved on it.
struct Bus {
    address: String,
    log: PathBuf,
    _daemon: Proc,
    _resolved: Proc,
}

fn bus(net: &mut NetPair, refuse: bool) -> Bus {
    let socket = net.path("bus.socket");
    let address = format!("unix:path={}", socket.display());
    let ns = net.client.clone();
    let mut daemon = net.spawn(
        &ns,
        "dbus-daemon",
        &[
            "dbus-daemon",
            "--session",
            "--nofork",
            "--nopidfile",
            "--print-address",
            &format!("--address={address}"),
        ],
        None,
    );
    assert!(
        daemon.wait_for("unix:path=", Duration::from_secs(10)),
        "dbus-daemon did not start: {}",
        daemon.output()
    );
    let log = net.path("resolve1.log");
    let mock = mock_resolved_bin();
    let mut args = vec![
        mock.to_str().unwrap(),
        "--address",
        &address,
        "--log",
        log.to_str().unwrap(),
    ];
    if refuse {
        args.push("--refuse");
    }
    let mut resolved = net.spawn(&ns, "resolved", &args, None);
    assert!(
        resolved.wait_for("READY", Duration::from_secs(10)),
        "the stand-in resolved did not start: {}",
        resolved.output()
    );
    Bus {
        address,
        log,
        _daemon: daemon,
        _resolved: resolved,
    }
}

fn mock_resolved_bin() -> PathBuf {
    let bin = oncp_tests::netns::oncp_bin().with_file_name("oncp-mock-resolved");
    assert!(bin.exists(), "cargo build -p oncp-tests --bins");
    bin
}

fn calls(log: &Path) -> Vec<String> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .map(String::from)
        .collect()
}

fn ifindex(net: &NetPair, dev: &str) -> String {
    let (ok, out) = net.exec(
        &net.client,
        &["cat", &format!("/sys/class/net/{dev}/ifindex")],
    );
    assert!(ok, "{out}");
    out.trim().to_string()
}

fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    let end = Instant::now() + Duration::from_secs(10);
    while Instant::now() < end {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("timed out waiting for {what}");
}

fn up(client: &mut Proc, gw: &Gateway) {
    expect_output(client, ESP_ESTABLISHED, Duration::from_secs(20), gw);
}

fn stop(client: &mut Proc) {
    assert_eq!(
        client.interrupt().and_then(|s| s.code()),
        Some(0),
        "{}",
        client.output()
    );
}

fn resolved_scenario(full: bool) {
    assert!(is_root(), "run as root");
    let mut net = NetPair::create();
    let gw = gateway(&mut net, full);
    let bus = bus(&mut net, false);
    let sb = Sandbox::new(&net, "client");
    let env = [("DBUS_SYSTEM_BUS_ADDRESS", bus.address.as_str())];
    let mut client = connect(&mut net, "client", &gw, &sb, &env, "auto");
    up(&mut client, &gw);
    let idx = ifindex(&net, "oncpdns0");
    wait_until("the resolve1 calls", || calls(&bus.log).len() >= 3);
    let (domains, default_route, line) = if full {
        (
            format!("SetLinkDomains {idx} corp.example:search .:routing"),
            "true",
            "domains corp.example ~. (full tunnel: default DNS route)",
        )
    } else {
        (
            format!("SetLinkDomains {idx} corp.example:routing"),
            "false",
            "routing-only domains ~corp.example (split tunnel",
        )
    };
    assert_eq!(
        calls(&bus.log),
        [
            format!("SetLinkDNS {idx} 2:10.79.0.53"),
            domains,
            format!("SetLinkDefaultRoute {idx} {default_route}"),
        ],
        "{}",
        client.output()
    );
    let out = client.output();
    assert!(
        out.contains("DNS: systemd-resolved, link oncpdns0: servers 10.79.0.53, "),
        "{out}"
    );
    assert!(out.contains(line), "{out}");
    // The state file says what to undo while the tunnel is up.
    let state = std::fs::read_to_string(sb.state.join("oncpdns0.json")).unwrap();
    assert!(state.contains("\"method\": \"resolved\""), "{state}");
    assert_eq!(
        sb.resolv(),
        ORIGINAL,
        "resolved mode must not touch the file"
    );
    stop(&mut client);
    assert_eq!(
        calls(&bus.log).last().unwrap(),
        &format!("RevertLink {idx}")
    );
    assert!(sb.state_files().is_empty(), "{:?}", sb.state_files());
}

#[test]
#[ignore = "needs root, network namespaces and dbus-daemon; run by scripts/test/67-e2e-dns.sh"]
fn resolved_split_tunnel_gets_routing_only_domains() {
    resolved_scenario(false);
}

#[test]
#[ignore = "needs root, network namespaces and dbus-daemon; run by scripts/test/67-e2e-dns.sh"]
fn resolved_full_tunnel_is_the_default_dns_route() {
    resolved_scenario(true);
}

#[test]
#[ignore = "needs root, network namespaces and dbus-daemon; run by scripts/test/67-e2e-dns.sh"]
fn a_refusing_resolved_falls_back_to_the_file_and_the_tunnel_works() {
    assert!(is_root(), "run as root");
    let mut net = NetPair::create();
    let gw = gateway(&mut net, false);
    let bus = bus(&mut net, true);
    let sb = Sandbox::new(&net, "client");
    let env = [("DBUS_SYSTEM_BUS_ADDRESS", bus.address.as_str())];
    let mut client = connect(&mut net, "client", &gw, &sb, &env, "auto");
    up(&mut client, &gw);
    wait_until("the file rewrite", || sb.resolv().contains("10.79.0.53"));
    let out = client.output();
    assert!(out.contains("systemd-resolved refused SetLinkDNS"), "{out}");
    assert!(out.contains("DNS: rewrote /etc/resolv.conf"), "{out}");
    // The refused link was reverted (nothing half-set is left).
    let c = calls(&bus.log);
    assert!(c.last().unwrap().starts_with("RevertLink"), "{c:?}");
    let text = sb.resolv();
    let lines: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(
        lines,
        [
            "nameserver 10.79.0.53",
            "nameserver 192.0.2.53",
            "search corp.example home.example",
            "options edns0"
        ]
    );
    assert!(
        ping_through_tunnel(&net, TUNNEL_GW).0,
        "{}",
        client.output()
    );
    stop(&mut client);
    assert_eq!(sb.resolv(), ORIGINAL);
    assert!(sb.state_files().is_empty(), "{:?}", sb.state_files());
}

#[test]
#[ignore = "needs root and network namespaces; run by scripts/test/67-e2e-dns.sh"]
fn resolv_conf_restored_unless_someone_changed_it() {
    assert!(is_root(), "run as root");
    let mut net = NetPair::create();
    let gw = gateway(&mut net, true);
    let sb = Sandbox::new(&net, "client");
    let mut client = connect(&mut net, "client", &gw, &sb, &[], "file");
    up(&mut client, &gw);
    wait_until("the file rewrite", || sb.resolv().contains("10.79.0.53"));
    assert!(
        !client.output().contains("split tunnel"),
        "{}",
        client.output()
    );
    stop(&mut client);
    assert_eq!(sb.resolv(), ORIGINAL);

    // Someone else writes the file while the tunnel is up: left alone.
    let mut client = connect_with(&mut net, "client2", &gw, &sb, &[], "file", DSID2);
    up(&mut client, &gw);
    wait_until("the file rewrite", || sb.resolv().contains("10.79.0.53"));
    std::fs::write(&sb.resolv, "nameserver 198.51.100.7\n").unwrap();
    stop(&mut client);
    assert_eq!(sb.resolv(), "nameserver 198.51.100.7\n");
    let out = client.output();
    assert!(
        out.contains("was changed by someone else since oncp wrote it"),
        "{out}"
    );
    // Its saved original is named and kept for the user.
    assert!(
        sb.state_files()
            .contains(&"oncpdns0.resolv.conf".to_string())
    );
}

#[test]
#[ignore = "needs root and network namespaces; run by scripts/test/67-e2e-dns.sh"]
fn a_read_only_resolv_conf_is_a_warning_and_the_tunnel_stays_up() {
    assert!(is_root(), "run as root");
    let mut net = NetPair::create();
    let gw = gateway(&mut net, false);
    let mut sb = Sandbox::new(&net, "client");
    sb.read_only = true;
    let mut client = connect(&mut net, "client", &gw, &sb, &[], "file");
    up(&mut client, &gw);
    wait_until("the DNS line", || client.output().contains("DNS NOT set"));
    let out = client.output();
    assert!(
        out.contains("cannot write /etc/resolv.conf: Read-only file system"),
        "{out}"
    );
    assert!(
        ping_through_tunnel(&net, TUNNEL_GW).0,
        "{}",
        client.output()
    );
    stop(&mut client);
    assert_eq!(sb.resolv(), ORIGINAL);
    assert!(sb.state_files().is_empty(), "{:?}", sb.state_files());
}

fn bypass_route(net: &NetPair) -> String {
    let (ok, out) = net.exec(
        &net.client,
        &["ip", "route", "show", &format!("{}/32", net.gw_addr)],
    );
    assert!(ok, "{out}");
    out.trim().to_string()
}

#[test]
#[ignore = "needs root and network namespaces; run by scripts/test/67-e2e-dns.sh"]
fn after_sigkill_the_next_connect_and_oncp_cleanup_undo_dns_and_routes() {
    assert!(is_root(), "run as root");
    let mut net = NetPair::create();
    let gw = gateway(&mut net, true);
    let sb = Sandbox::new(&net, "client");

    let mut client = connect(&mut net, "killed1", &gw, &sb, &[], "file");
    up(&mut client, &gw);
    wait_until("the file rewrite", || sb.resolv().contains("10.79.0.53"));
    assert!(
        !bypass_route(&net).is_empty(),
        "no bypass route to the gateway"
    );
    client.signal("KILL");
    assert!(client.wait_exit(Duration::from_secs(5)).is_some());
    assert!(
        sb.resolv().contains("10.79.0.53"),
        "SIGKILL undid nothing itself"
    );
    assert!(sb.state_files().contains(&"oncpdns0.json".to_string()));

    // The next connect cleans up first, then sets DNS again.
    let mut client = connect(&mut net, "next", &gw, &sb, &[], "file");
    up(&mut client, &gw);
    let out = client.output();
    assert!(out.contains("cleanup: oncpdns0 (oncp process"), "{out}");
    assert!(out.contains("DNS: restored /etc/resolv.conf"), "{out}");
    assert!(
        out.contains(&format!("removed the route to {}/32", net.gw_addr)),
        "{out}"
    );
    wait_until("the file rewrite", || sb.resolv().contains("10.79.0.53"));
    client.signal("KILL");
    assert!(client.wait_exit(Duration::from_secs(5)).is_some());

    // A half-written state file next to the real one.
    std::fs::write(sb.state.join("oncpbad.json"), b"{\"pid\": 1, \"star").unwrap();
    let bin = oncp_tests::netns::oncp_bin();
    let cmd = sb.wrap(&[], &[bin.to_str().unwrap(), "cleanup"]);
    let cmd: Vec<&str> = cmd.iter().map(String::as_str).collect();
    let (_, out) = net.exec(&net.client, &cmd);
    assert!(out.contains("oncp cleanup: oncpdns0"), "{out}");
    assert!(out.contains("DNS: restored /etc/resolv.conf"), "{out}");
    assert!(
        out.contains(&format!("removed the route to {}/32", net.gw_addr)),
        "{out}"
    );
    assert!(out.contains("unreadable state file"), "{out}");
    assert!(out.contains("oncpbad.json"), "{out}");
    assert_eq!(sb.resolv(), ORIGINAL);
    assert_eq!(bypass_route(&net), "");
    assert!(sb.state_files().is_empty(), "{:?}", sb.state_files());

    // Nothing left: a second cleanup says so and succeeds.
    let (ok, out) = net.exec(&net.client, &cmd);
    assert!(ok, "{out}");
    assert!(out.contains("nothing to undo"), "{out}");
}
