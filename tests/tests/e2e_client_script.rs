//! Debian's vpnc-script, unchanged, configures a real TUN device from the
//! environment `oncp connect` gives it (root only; run by the e2e step:
//! `cargo test -p oncp-tests --test e2e_client_script -- --ignored`).
//!
//! Everything happens in a throwaway network namespace with a unique name,
//! removed even when the test fails. No DNS is offered, so the script never
//! touches the host's resolv.conf.

use oncp::netcfg::script::{Reason, ScriptInputs, script_env};
use oncp_core::tunnel::{IfAddr, Prefix, TunnelConfig};
use std::net::Ipv4Addr;
use std::process::Command;

const VPNC_SCRIPT: &str = "/usr/share/vpnc-scripts/vpnc-script";

/// A network namespace deleted on drop.
struct Netns(String);

impl Netns {
    fn new() -> Netns {
        let name = format!("oncp-vs-{}", std::process::id());
        let _ = Command::new("ip")
            .args(["netns", "del", &name])
            .stderr(std::process::Stdio::null())
            .status();
        run("ip", &["netns", "add", &name]);
        Netns(name)
    }

    /// Runs a command inside the namespace; returns its standard output.
    fn exec(&self, cmd: &[&str], env: &[(String, Option<String>)]) -> String {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.0]).args(cmd);
        c.env_clear().env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        for (k, v) in env {
            if let Some(v) = v {
                c.env(k, v);
            }
        }
        let out = c.output().expect("spawn");
        assert!(
            out.status.success(),
            "{cmd:?} failed: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
    }
}

fn run(cmd: &str, args: &[&str]) {
    let st = Command::new(cmd).args(args).status().expect("spawn");
    assert!(st.success(), "{cmd} {args:?} failed");
}

fn ip(s: &str) -> Ipv4Addr {
    s.parse().unwrap()
}

#[test]
#[ignore = "needs root, iproute2 and vpnc-scripts; run by scripts/test/60-e2e.sh"]
fn debian_vpnc_script_configures_the_tunnel_from_our_environment() {
    let ns = Netns::new();
    // An uplink (a veth pair: no dummy module in every kernel) with a route
    // to the gateway, and the TUN device.
    ns.exec(
        &[
            "ip", "link", "add", "up0", "type", "veth", "peer", "name", "up1",
        ],
        &[],
    );
    ns.exec(&["ip", "link", "set", "up1", "up"], &[]);
    ns.exec(&["ip", "addr", "add", "192.0.2.2/24", "dev", "up0"], &[]);
    ns.exec(&["ip", "link", "set", "up0", "up"], &[]);
    ns.exec(
        &["ip", "tuntap", "add", "dev", "oncptun0", "mode", "tun"],
        &[],
    );

    let cfg = TunnelConfig {
        ipv4: Some(IfAddr {
            addr: ip("10.20.0.5"),
            prefix_len: Some(24),
        }),
        include_v4: vec![
            Prefix {
                addr: ip("10.30.0.0"),
                len: 16,
            },
            Prefix {
                addr: ip("172.20.1.0"),
                len: 24,
            },
        ],
        mtu: Some(1300),
        ..Default::default()
    };
    let inputs = ScriptInputs {
        gateway: "192.0.2.1".parse().unwrap(),
        tundev: "oncptun0",
        config: Some(&cfg),
        mtu: 1300,
        pid: std::process::id(),
        log_level: 1,
    };
    ns.exec(
        &[VPNC_SCRIPT],
        &script_env(
            Reason::PreInit,
            &ScriptInputs {
                config: None,
                ..inputs
            },
        ),
    );
    ns.exec(&[VPNC_SCRIPT], &script_env(Reason::Connect, &inputs));

    let link = ns.exec(&["ip", "-o", "link", "show", "dev", "oncptun0"], &[]);
    assert!(link.contains("mtu 1300"), "{link}");
    assert!(link.contains(",UP"), "{link}");
    let addr = ns.exec(&["ip", "-o", "-4", "addr", "show", "dev", "oncptun0"], &[]);
    assert!(addr.contains("inet 10.20.0.5/"), "{addr}");
    let routes = ns.exec(&["ip", "-4", "route", "show"], &[]);
    assert!(routes.contains("10.30.0.0/16 dev oncptun0"), "{routes}");
    assert!(routes.contains("172.20.1.0/24 dev oncptun0"), "{routes}");
    // Split-include mode leaves the default route alone.
    assert!(
        !routes
            .lines()
            .any(|l| l.starts_with("default dev oncptun0")),
        "{routes}"
    );

    ns.exec(&[VPNC_SCRIPT], &script_env(Reason::Disconnect, &inputs));
    let routes = ns.exec(&["ip", "-4", "route", "show"], &[]);
    assert!(!routes.contains("10.30.0.0/16"), "{routes}");
}
