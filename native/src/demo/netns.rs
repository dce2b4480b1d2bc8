//! `oncp demo` as root: real TUN devices in two network namespaces joined
//! by a veth pair. `oncp gateway` (TUN mode) runs in one, `oncp connect`
//! (built-in netlink setup) in the other, and oncp's own echo requests
//! (a raw ICMP socket opened inside the client's namespace) cross the
//! tunnel; the kernel answers on the gateway's TUN address. The only
//! external program is `ip` (iproute2), checked up front. Namespaces and
//! child processes are removed when the demo ends, also on failure.

use super::ping;
use crate::runtime::os_rng::OsRng;
use oncp_core::rng::Random;
use std::net::IpAddr;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::time::timeout;

/// Outer addresses on the veth pair and the gateway's tunnel address.
const GW_OUTER: &str = "10.199.0.1";
const CL_OUTER: &str = "10.199.0.2";
const POOL: &str = "10.10.1.0/24";
const GW_INNER: &str = "10.10.1.1";
/// The IPv6 pool of the Pulse demo and the gateway's address in it.
const POOL6: &str = "fd00:10:1::/64";
const GW_INNER6: &str = "fd00:10:1::1";

/// What the namespace demo measured.
#[derive(Debug, Clone, Default)]
pub struct NetnsReport {
    /// Echo replies received (IPv4).
    pub received: u32,
    /// ICMPv6 echo replies received (Pulse only).
    pub received6: u32,
    /// Whether the run was over Pulse (IPv6 pinged too).
    pub pulse: bool,
    /// Why round trips failed (empty when all came back).
    pub problems: Vec<String>,
    /// ESP packets the gateway received.
    pub gateway_esp_in: u64,
    /// The client's exit status.
    pub client_exit: Option<i32>,
}

impl NetnsReport {
    /// All `count` pings answered (IPv4 over ESP; with Pulse also the
    /// IPv6 ones), and the client exited with 0.
    pub fn success(&self, count: u32) -> bool {
        self.received == count
            && (!self.pulse || self.received6 == count)
            && self.gateway_esp_in >= u64::from(count)
            && self.client_exit == Some(0)
    }
}

impl NetnsReport {
    /// A run that stopped before any echo, for `why`.
    fn failed(why: impl Into<String>) -> NetnsReport {
        NetnsReport {
            problems: vec![why.into()],
            ..Default::default()
        }
    }
}

/// Why `child` did not get to `what`: its exit status if it ended, else
/// the time it was given.
fn exit_or_timeout(child: &mut Child, who: &str, what: &str, secs: u64) -> String {
    match child.try_wait() {
        Ok(Some(st)) => format!("{who} exited with {st} before it could {what}"),
        _ => format!("{who} did not {what} within {secs} s"),
    }
}

/// The namespaces, links and processes of one run; removed on drop.
struct Topology {
    gw: String,
    cl: String,
    children: Vec<Child>,
}

impl Drop for Topology {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.start_kill();
        }
        for ns in [&self.gw, &self.cl] {
            let _ = std::process::Command::new("ip")
                .args(["netns", "del", ns])
                .status();
        }
    }
}

async fn ip(args: &[&str]) -> anyhow::Result<()> {
    let out = Command::new("ip").args(args).output().await?;
    anyhow::ensure!(
        out.status.success(),
        "ip {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr).trim()
    );
    Ok(())
}

/// Sends SIGTERM to a child we started (by its PID).
fn terminate(child: &Child) {
    if let Some(pid) = child
        .id()
        .and_then(|p| rustix::process::Pid::from_raw(p as i32))
    {
        let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
    }
}

/// The message of a log line "<time>  LEVEL <message>".
fn log_message(line: &str) -> &str {
    [" INFO ", " WARN ", " ERROR "]
        .iter()
        .find_map(|level| line.split_once(level).map(|(_, m)| m.trim_start()))
        .unwrap_or(line)
}

/// Whether this process runs as root (effective UID 0).
pub fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// Why a root process cannot run the namespace demo here (a missing
/// program or device, naming what provides it), or `None` when it can.
pub fn missing_requirement() -> Option<String> {
    let ip_works = std::process::Command::new("ip")
        .arg("-V")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ip_works {
        return Some(
            "the `ip` program is not installed (Debian package iproute2: apt-get install iproute2)"
                .into(),
        );
    }
    if !std::path::Path::new("/dev/net/tun").exists() {
        return Some("/dev/net/tun does not exist (the kernel's tun module is not loaded)".into());
    }
    None
}

/// Runs the demo with `count` pings (over Pulse IF-T/TLS with `pulse`,
/// also to the gateway's IPv6 tunnel address). An error means the
/// namespaces could not be set up; every later failure is in the report's
/// `problems`.
pub async fn run(count: u32, pulse: bool) -> anyhow::Result<NetnsReport> {
    let exe = std::env::current_exe()?;
    let exe = exe
        .to_str()
        .ok_or_else(|| anyhow::anyhow!("non-UTF-8 executable path"))?
        .to_string();
    let id = std::process::id();
    let mut t = Topology {
        gw: format!("oncp-demo-gw-{id}"),
        cl: format!("oncp-demo-cl-{id}"),
        children: Vec::new(),
    };
    let (vg, vc) = (format!("odg{id}"), format!("odc{id}"));
    ip(&["netns", "add", &t.gw]).await?;
    ip(&["netns", "add", &t.cl]).await?;
    ip(&[
        "link", "add", &vg, "netns", &t.gw, "type", "veth", "peer", "name", &vc, "netns", &t.cl,
    ])
    .await?;
    for (ns, dev, addr) in [(&t.gw, &vg, GW_OUTER), (&t.cl, &vc, CL_OUTER)] {
        ip(&["-n", ns, "addr", "add", &format!("{addr}/24"), "dev", dev]).await?;
        ip(&["-n", ns, "link", "set", dev, "up"]).await?;
        ip(&["-n", ns, "link", "set", "lo", "up"]).await?;
    }
    println!(
        "namespaces: {} ({GW_OUTER}) <-> {} ({CL_OUTER}) over a veth pair",
        t.gw, t.cl
    );

    let mut raw = [0u8; 16];
    OsRng.fill(&mut raw);
    let dsid = hex::encode(raw);
    let listen = format!("{GW_OUTER}:443");
    let mut gw_args = vec![
        "netns",
        "exec",
        &t.gw,
        &exe,
        "-q",
        "gateway",
        "--listen",
        &listen,
        "--dsid",
        &dsid,
        "--pool",
        POOL,
        "--interface",
        "oncpdemo-gw",
    ];
    if pulse {
        gw_args.extend(["--protocol", "pulse", "--pool6", POOL6]);
    }
    let mut gw = Command::new("ip")
        .args(&gw_args)
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    if let Some(err) = gw.stderr.take() {
        // The gateway runs with -q: what it says there is why it failed.
        tokio::spawn(async move {
            let mut lines = BufReader::new(err).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                println!("gateway: {}", log_message(&line));
            }
        });
    }
    let mut gw_out = BufReader::new(
        gw.stdout
            .take()
            .ok_or_else(|| anyhow::anyhow!("gateway stdout"))?,
    )
    .lines();
    t.children.push(gw);
    let mut pin = None;
    let started = timeout(Duration::from_secs(15), async {
        while let Ok(Some(line)) = gw_out.next_line().await {
            if let Some(p) = line.strip_prefix("PIN=") {
                pin = Some(p.to_string());
            }
            if let Some(tun) = line.strip_prefix("TUN=") {
                println!(
                    "gateway: https://{listen}, TUN device {tun} ({GW_INNER}), certificate {}",
                    pin.as_deref().unwrap_or("?")
                );
                return true;
            }
        }
        false
    })
    .await;
    let pin = match (started, pin) {
        (Ok(true), Some(pin)) => pin,
        (Ok(true), None) => return Ok(NetnsReport::failed("the gateway printed no PIN= line")),
        _ => {
            let why = exit_or_timeout(&mut t.children[0], "the gateway", "start (TUN= line)", 15);
            return Ok(NetnsReport::failed(why));
        }
    };

    let protocol = if pulse {
        "--protocol=pulse"
    } else {
        "--protocol=nc"
    };
    let mut client = Command::new("ip")
        .args([
            "netns",
            "exec",
            &t.cl,
            &exe,
            "connect",
            protocol,
            "--servercert",
            &pin,
            "-C",
            &dsid,
            "-i",
            "oncpdemo-cl",
            &listen,
        ])
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let mut client_log = BufReader::new(
        client
            .stderr
            .take()
            .ok_or_else(|| anyhow::anyhow!("client stderr"))?,
    )
    .lines();
    t.children.push(client);
    let esp = timeout(Duration::from_secs(20), async {
        while let Ok(Some(line)) = client_log.next_line().await {
            let msg = log_message(&line);
            println!("client: {msg}");
            if msg.contains("ESP session established") {
                return true;
            }
        }
        false
    })
    .await;
    if !matches!(esp, Ok(true)) {
        let why = exit_or_timeout(
            &mut t.children[1],
            "the client",
            "establish ESP (its log is above)",
            20,
        );
        return Ok(NetnsReport::failed(why));
    }
    // Keep showing the client's log (it says what the tunnel does if the
    // echoes fail) and never let it block on a full pipe.
    tokio::spawn(async move {
        while let Ok(Some(line)) = client_log.next_line().await {
            println!("client: {}", log_message(&line));
        }
    });

    let netns = Path::new("/run/netns").join(&t.cl);
    println!("ping {GW_INNER} from {} through the tunnel:", t.cl);
    let sock = match ping::raw_socket_in(&netns, false) {
        Ok(sock) => sock,
        Err(e) => return Ok(NetnsReport::failed(format!("{e:#}"))),
    };
    let target: IpAddr = GW_INNER.parse()?;
    let pinged =
        tokio::task::spawn_blocking(move || ping::run_socket(&sock, target, count)).await?;
    let mut report = NetnsReport {
        received: pinged.rtts.len() as u32,
        problems: pinged.problems,
        pulse,
        ..Default::default()
    };
    if pulse {
        // IPv6 goes over TLS beside ESP (spec pulse.md §6.5).
        println!("ping {GW_INNER6} from {} through the tunnel:", t.cl);
        match ping::raw_socket_in(&netns, true) {
            Ok(sock) => {
                let target: IpAddr = GW_INNER6.parse()?;
                let pinged =
                    tokio::task::spawn_blocking(move || ping::run_socket(&sock, target, count))
                        .await?;
                report.received6 = pinged.rtts.len() as u32;
                report.problems.extend(pinged.problems);
            }
            Err(e) => report.problems.push(format!("{e:#}")),
        }
    }
    terminate(&t.children[1]);
    match timeout(Duration::from_secs(15), t.children[1].wait()).await {
        Ok(Ok(st)) => {
            report.client_exit = st.code();
            if st.code() != Some(0) {
                report
                    .problems
                    .push(format!("the client exited with {st} after SIGTERM"));
            }
        }
        Ok(Err(e)) => report.problems.push(format!("waiting for the client: {e}")),
        Err(_) => report
            .problems
            .push("the client did not exit within 15 s of SIGTERM".into()),
    }
    terminate(&t.children[0]);
    let counters = timeout(Duration::from_secs(5), async {
        while let Ok(Some(line)) = gw_out.next_line().await {
            if let Some(c) = line.strip_prefix("COUNTERS ") {
                return Some(c.to_string());
            }
        }
        None
    })
    .await
    .ok()
    .flatten();
    if let Some(c) = counters {
        println!("gateway counters: {c}");
        report.gateway_esp_in = c
            .split_whitespace()
            .find_map(|kv| kv.strip_prefix("esp_in="))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        if report.gateway_esp_in < u64::from(count) {
            report.problems.push(format!(
                "the gateway received only {} ESP packets for {count} echoes (traffic did not go over ESP)",
                report.gateway_esp_in
            ));
        }
    } else {
        report
            .problems
            .push("the gateway printed no COUNTERS line when it stopped".into());
    }
    println!(
        "client: exited with status {}",
        report
            .client_exit
            .map(|c| c.to_string())
            .unwrap_or_else(|| "?".into())
    );
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_prefix_is_removed_and_colons_in_messages_kept() {
        assert_eq!(
            log_message("2026-11-29T01:12:40.112198Z  INFO routes: 10.10.1.0/24"),
            "routes: 10.10.1.0/24"
        );
        assert_eq!(log_message("2026-11-29T01:12:40Z  WARN x: y"), "x: y");
        assert_eq!(log_message("plain"), "plain");
    }
}
