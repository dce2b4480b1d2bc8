//! `oncp demo` as the README runs it: as root it uses TUN devices in
//! network namespaces; `--userspace` forces the in-process variant. Both
//! must end with exit status 0 and every round trip answered. Root only;
//! run by `scripts/test/61-e2e-client.sh`.

use std::process::Command;

fn demo(extra: &[&str]) -> (bool, String) {
    let exe = std::env::current_exe().unwrap();
    let bin = exe.parent().unwrap().parent().unwrap().join("oncp");
    let out = Command::new(bin)
        .arg("demo")
        .args(extra)
        .output()
        .expect("run oncp demo");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
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
    assert!(out.contains("3 received"), "{out}");
    assert!(out.contains("oncp demo: OK"), "{out}");
    // The namespaces are gone afterwards.
    let ns = Command::new("ip").args(["netns", "list"]).output().unwrap();
    assert!(!String::from_utf8_lossy(&ns.stdout).contains("oncp-demo-"));
}

#[test]
#[ignore = "run by scripts/test/61-e2e-client.sh with the built binary"]
fn demo_userspace() {
    let (ok, out) = demo(&["--userspace", "--count", "3"]);
    assert!(ok, "{out}");
    assert!(out.contains("3/3 replies"), "{out}");
    assert!(out.contains("transport: ESP"), "{out}");
}
