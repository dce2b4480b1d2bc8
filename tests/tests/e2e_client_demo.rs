//! `oncp demo` as the README runs it: as root it uses TUN devices in
//! network namespaces; `--userspace` forces the in-process variant. Both
//! must end with exit status 0 and every round trip answered. Root only;
//! run by `scripts/test/61-e2e-client.sh`.

use std::path::Path;
use std::process::Command;

fn oncp() -> std::path::PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().join("oncp")
}

fn demo_with_path(extra: &[&str], path: Option<&Path>) -> (bool, String) {
    let mut cmd = Command::new(oncp());
    cmd.arg("demo").args(extra);
    if let Some(p) = path {
        cmd.env("PATH", p);
    }
    let out = cmd.output().expect("run oncp demo");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn demo(extra: &[&str]) -> (bool, String) {
    demo_with_path(extra, None)
}

fn no_demo_namespaces_left() {
    let ns = Command::new("ip").args(["netns", "list"]).output().unwrap();
    assert!(!String::from_utf8_lossy(&ns.stdout).contains("oncp-demo-"));
}

/// Where `ip` is installed (the demo's one external program).
fn ip_program() -> std::path::PathBuf {
    ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"]
        .iter()
        .map(std::path::PathBuf::from)
        .find(|p| p.exists())
        .expect("iproute2's ip")
}

#[test]
#[ignore = "needs root and iproute2; run by scripts/test/61-e2e-client.sh"]
fn demo_with_namespaces_and_tun() {
    let (ok, out) = demo(&["--count", "3"]);
    assert!(ok, "{out}");
    assert!(
        out.contains("TUN devices in two network namespaces"),
        "{out}"
    );
    assert!(out.contains("3/3 replies, rtt min/avg/max"), "{out}");
    assert!(
        out.contains("reply from 10.10.1.1: icmp_seq=3 time="),
        "{out}"
    );
    assert!(out.contains("oncp demo: OK"), "{out}");
    no_demo_namespaces_left();
}

/// A fresh Debian has iproute2 but neither `ping` (iputils-ping) nor
/// anything else the old demo called: with only `ip` on PATH the root
/// demo still crosses the tunnel with its own echo requests.
#[test]
#[ignore = "needs root and iproute2; run by scripts/test/61-e2e-client.sh"]
fn demo_needs_nothing_but_ip() {
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(ip_program(), dir.path().join("ip")).unwrap();
    let (ok, out) = demo_with_path(&["--count", "2"], Some(dir.path()));
    assert!(ok, "{out}");
    assert!(
        out.contains("TUN devices in two network namespaces"),
        "{out}"
    );
    assert!(out.contains("2/2 replies"), "{out}");
    no_demo_namespaces_left();
}

/// Without `ip` the root demo says which package is missing and runs the
/// userspace variant instead (never a bare failure).
#[test]
#[ignore = "needs root; run by scripts/test/61-e2e-client.sh"]
fn demo_without_ip_names_iproute2() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, out) = demo_with_path(&["--count", "2"], Some(dir.path()));
    assert!(ok, "{out}");
    assert!(
        out.contains("`ip` program is not installed (Debian package iproute2"),
        "{out}"
    );
    assert!(out.contains("2/2 replies"), "{out}");
    assert!(out.contains("transport: ESP"), "{out}");
}

#[test]
#[ignore = "run by scripts/test/61-e2e-client.sh with the built binary"]
fn demo_userspace() {
    let (ok, out) = demo(&["--userspace", "--count", "3"]);
    assert!(ok, "{out}");
    assert!(out.contains("3/3 replies"), "{out}");
    assert!(out.contains("transport: ESP"), "{out}");
}

/// `oncp demo --protocol pulse`: IF-T/TLS with TUN devices in namespaces,
/// IPv4 pings over ESP and IPv6 pings (the gateway's `--pool6` address)
/// through the same tunnel.
#[test]
#[ignore = "needs root and iproute2; run by scripts/test/61-e2e-client.sh"]
fn demo_pulse_with_namespaces_pings_ipv4_and_ipv6() {
    let (ok, out) = demo(&["--protocol", "pulse", "--count", "3"]);
    assert!(ok, "{out}");
    assert!(
        out.contains("TUN devices in two network namespaces"),
        "{out}"
    );
    assert!(out.contains("signed in on the tunnel connection"), "{out}");
    assert!(out.contains("reply from 10.10.1.1: icmp_seq=3"), "{out}");
    assert!(out.contains("reply from fd00:10:1::1: icmp_seq=3"), "{out}");
    assert!(out.contains("round trips (IPv6 3/3)"), "{out}");
    no_demo_namespaces_left();
}

#[test]
#[ignore = "run by scripts/test/61-e2e-client.sh with the built binary"]
fn demo_pulse_userspace_pings_ipv4_and_ipv6() {
    let (ok, out) = demo(&["--userspace", "--protocol=pulse", "--count", "2"]);
    assert!(ok, "{out}");
    assert!(out.contains("over Pulse IF-T/TLS"), "{out}");
    assert!(out.contains("transport: ESP"), "{out}");
    assert!(out.contains("reply from fd00:10:1::1: icmp_seq=2"), "{out}");
    assert!(out.contains("round trips (IPv6 2/2)"), "{out}");
}
