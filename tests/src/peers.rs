//! The two ends of an end-to-end tunnel in a [`NetPair`]: a gateway
//! (`oncp gateway`, or another gateway program) in the gateway namespace,
//! waited for until it prints its `PIN=` line, and the peers that connect
//! to it from the client namespace — Debian's OpenConnect with a cookie, or
//! `oncp connect` — plus readers for what they print (the gateway's
//! `COUNTERS` lines, a peer's "ESP session established").
//!
//! Every process is started with [`NetPair::spawn`]: it is a [`Proc`]
//! (killed when dropped), and the `NetPair` kills it by PID and removes the
//! namespaces when the test ends, also on a panic.

use crate::netns::{NetPair, Proc, oncp_bin, printed_value};
use std::collections::HashMap;
use std::time::Duration;

/// Debian's vpnc-script (package vpnc-scripts).
pub const VPNC_SCRIPT: &str = "/usr/share/vpnc-scripts/vpnc-script";

/// What OpenConnect and `oncp connect` print once ESP is set up.
pub const ESP_ESTABLISHED: &str = "ESP session established";

/// How long a gateway may take to print its `PIN=` line (the legacy TLS
/// gateway makes an RSA key first; the others are ready within a second).
pub const GATEWAY_STARTUP: Duration = Duration::from_secs(30);

/// How long a peer may take to set up ESP in [`wait_esp_established`].
pub const ESP_SETUP: Duration = Duration::from_secs(30);

/// A running gateway.
#[derive(Debug)]
pub struct Gateway {
    /// The process.
    pub proc: Proc,
    /// `pin-sha256:…` of its certificate, as it printed it (`PIN=`).
    pub pin: String,
    /// `address:port` it serves TLS on (the gateway's veth address, 443).
    pub listen: String,
}

impl Gateway {
    /// Its latest `COUNTERS` line as name → value (empty if it printed
    /// none yet). A value that is not a number (a line still being
    /// written) is left out.
    pub fn counters(&self) -> HashMap<String, u64> {
        latest_counters(&self.proc.output()).unwrap_or_default()
    }

    /// Polls [`counters`](Self::counters) until `pred` holds or `secs`
    /// seconds have passed; returns the last reading either way.
    pub fn counters_until(
        &self,
        secs: u64,
        pred: impl Fn(&HashMap<String, u64>) -> bool,
    ) -> HashMap<String, u64> {
        let end = std::time::Instant::now() + std::time::Duration::from_secs(secs);
        loop {
            let c = self.counters();
            if pred(&c) || std::time::Instant::now() > end {
                return c;
            }
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
    }

    /// Its last `COUNTERS` line (printed at exit), panicking with its
    /// output if there is none.
    #[track_caller]
    pub fn final_counters(&self) -> HashMap<String, u64> {
        let output = self.proc.output();
        latest_counters(&output).unwrap_or_else(|| panic!("gateway printed no counters:\n{output}"))
    }
}

/// The `name=value` pairs of the latest `COUNTERS` line in `output`.
fn latest_counters(output: &str) -> Option<HashMap<String, u64>> {
    output
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("COUNTERS "))
        .map(|l| {
            l.split_whitespace()
                .filter_map(|kv| kv.split_once('='))
                .filter_map(|(k, v)| Some((k.to_string(), v.parse().ok()?)))
                .collect()
        })
}

/// Starts a gateway program in the gateway namespace: `argv` followed by
/// `--listen GATEWAY:443`; waits up to [`GATEWAY_STARTUP`] for its `PIN=`
/// line, panicking with its output if it does not come. `name` names its
/// log file.
#[track_caller]
pub fn spawn_gateway(net: &mut NetPair, name: &str, argv: &[&str]) -> Gateway {
    let listen = format!("{}:443", net.gw_addr);
    let gw_ns = net.gw.clone();
    let mut args = argv.to_vec();
    args.extend(["--listen", &listen]);
    let mut proc = net.spawn(&gw_ns, name, &args, None);
    assert!(
        proc.wait_for("PIN=", GATEWAY_STARTUP),
        "{name} did not start:\n{}",
        proc.output()
    );
    let pin = printed_value(&proc.output(), "PIN").unwrap();
    Gateway { proc, pin, listen }
}

/// Starts `oncp gateway --listen GATEWAY:443 --cert-name GATEWAY` with
/// `flags` (they may include the global `-v`) in the gateway namespace and
/// waits for it as [`spawn_gateway`] does.
#[track_caller]
pub fn oncp_gateway(net: &mut NetPair, flags: &[&str]) -> Gateway {
    let bin = oncp_bin();
    let cert_name = net.gw_addr.clone();
    let mut argv = vec![bin.to_str().unwrap(), "gateway", "--cert-name", &cert_name];
    argv.extend_from_slice(flags);
    spawn_gateway(net, "gateway", &argv)
}

/// Starts `oncp ARGS` in the client namespace, with `stdin` (if any) as its
/// standard input. `name` names its log file.
pub fn spawn_oncp_client(
    net: &mut NetPair,
    name: &str,
    args: &[&str],
    stdin: Option<&str>,
) -> Proc {
    let bin = oncp_bin();
    let client_ns = net.client.clone();
    let mut argv = vec![bin.to_str().unwrap()];
    argv.extend_from_slice(args);
    net.spawn(&client_ns, name, &argv, stdin)
}

/// Starts `oncp connect --servercert PIN FLAGS GATEWAY:443` against `gw`
/// in the client namespace (`flags` may include the global `-v`).
pub fn oncp_connect(
    net: &mut NetPair,
    name: &str,
    gw: &Gateway,
    flags: &[&str],
    stdin: Option<&str>,
) -> Proc {
    let mut args = vec!["connect", "--servercert", &gw.pin];
    args.extend_from_slice(flags);
    args.push(&gw.listen);
    spawn_oncp_client(net, name, &args, stdin)
}

/// Starts Debian's `openconnect --protocol=nc` in the client namespace
/// with `cookie` (`DSID=…`), `gw`'s pin and Debian's vpnc-script.
pub fn openconnect(net: &mut NetPair, name: &str, cookie: &str, gw: &Gateway) -> Proc {
    let client_ns = net.client.clone();
    let url = format!("https://{}", net.gw_addr);
    net.spawn(
        &client_ns,
        name,
        &[
            "openconnect",
            "--protocol=nc",
            "-C",
            cookie,
            "--servercert",
            &gw.pin,
            "--script",
            VPNC_SCRIPT,
            &url,
        ],
        None,
    )
}

/// Waits up to `timeout` for `needle` in a peer's output, panicking with
/// the peer's and the gateway's output if it does not come.
#[track_caller]
pub fn expect_output(peer: &mut Proc, needle: &str, timeout: Duration, gw: &Gateway) {
    assert!(
        peer.wait_for(needle, timeout),
        "no {needle:?} within {timeout:?}.\npeer:\n{}\n--- gateway:\n{}",
        peer.output(),
        gw.proc.output()
    );
}

/// Waits up to [`ESP_SETUP`] for a peer (OpenConnect or `oncp connect`)
/// to say [`ESP_ESTABLISHED`], panicking with both logs otherwise.
#[track_caller]
pub fn wait_esp_established(peer: &mut Proc, gw: &Gateway) {
    expect_output(peer, ESP_ESTABLISHED, ESP_SETUP, gw);
}

/// Pings `target` (a tunnel address) three times, 0.3 s apart, from the
/// client namespace: whether ping succeeded (an echo came back), and its
/// output.
pub fn ping_through_tunnel(net: &NetPair, target: &str) -> (bool, String) {
    net.exec(
        &net.client,
        &["ping", "-c", "3", "-i", "0.3", "-W", "2", target],
    )
}

#[cfg(test)]
mod tests {
    use super::latest_counters;

    #[test]
    fn latest_counters_reads_the_last_line_and_skips_half_written_values() {
        let out = "PIN=x\nCOUNTERS tunnels=1 esp_in=2\nlog line\nCOUNTERS tunnels=3 esp_in=\n";
        let c = latest_counters(out).unwrap();
        assert_eq!(c.get("tunnels"), Some(&3));
        assert_eq!(c.get("esp_in"), None);
        assert_eq!(latest_counters("PIN=x\n"), None);
    }
}
