//! `oncp demo` as root: real TUN devices in two network namespaces joined
//! by a veth pair. `oncp gateway` (TUN mode) runs in one, `oncp connect`
//! (built-in netlink setup) in the other, and the system's `ping` crosses
//! the tunnel; the kernel answers on the gateway's TUN address. Namespaces
//! and child processes are removed when the demo ends, also on failure.

use crate::client::os_rng::OsRng;
use oncp_core::rng::Random;
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

/// What the namespace demo measured.
#[derive(Debug, Clone, Default)]
pub struct NetnsReport {
    /// Echo replies `ping` received.
    pub received: u32,
    /// ESP packets the gateway received.
    pub gateway_esp_in: u64,
    /// The client's exit status.
    pub client_exit: Option<i32>,
}

impl NetnsReport {
    /// All `count` pings answered, over ESP, and the client exited with 0.
    pub fn success(&self, count: u32) -> bool {
        self.received == count
            && self.gateway_esp_in >= u64::from(count)
            && self.client_exit == Some(0)
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

async fn signal(child: &Child, sig: &str) {
    if let Some(pid) = child.id() {
        let _ = Command::new("kill")
            .args([sig, &pid.to_string()])
            .status()
            .await;
    }
}

/// The message of a log line "<time>  LEVEL <message>".
fn log_message(line: &str) -> &str {
    [" INFO ", " WARN ", " ERROR "]
        .iter()
        .find_map(|level| line.split_once(level).map(|(_, m)| m.trim_start()))
        .unwrap_or(line)
}

/// Whether this process can run the namespace demo (root and `ip`).
pub fn available() -> bool {
    let root = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(2) == Some("0"))
        })
        .unwrap_or(false);
    root && std::process::Command::new("ip")
        .arg("-V")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs the demo with `count` pings.
pub async fn run(count: u32) -> anyhow::Result<NetnsReport> {
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
    let mut gw = Command::new("ip")
        .args([
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
        ])
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
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
    anyhow::ensure!(matches!(started, Ok(true)), "the gateway did not start");
    let pin = pin.ok_or_else(|| anyhow::anyhow!("the gateway printed no pin"))?;

    let mut client = Command::new("ip")
        .args([
            "netns",
            "exec",
            &t.cl,
            &exe,
            "connect",
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
    anyhow::ensure!(matches!(esp, Ok(true)), "ESP did not come up");
    // Keep draining the client's log so it never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = client_log.next_line().await {} });

    println!("ping {GW_INNER} from {} through the tunnel:", t.cl);
    let out = Command::new("ip")
        .args([
            "netns",
            "exec",
            &t.cl,
            "ping",
            "-n",
            "-c",
            &count.to_string(),
            "-i",
            "0.2",
            "-W",
            "2",
            GW_INNER,
        ])
        .output()
        .await?;
    let text = String::from_utf8_lossy(&out.stdout);
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        println!("    {line}");
    }
    let received = text
        .lines()
        .find_map(|l| l.split(", ").find_map(|p| p.strip_suffix(" received")))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);

    let mut report = NetnsReport {
        received,
        ..Default::default()
    };
    signal(&t.children[1], "-TERM").await;
    if let Ok(Ok(st)) = timeout(Duration::from_secs(15), t.children[1].wait()).await {
        report.client_exit = st.code();
    }
    signal(&t.children[0], "-TERM").await;
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
