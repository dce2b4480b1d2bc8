//! `oncp demo`: the bundled gateway and the client on loopback, end to end,
//! in one process. Without root there is no TUN device: the client's IP
//! side is an in-process channel, the demo writes ICMP echo requests into
//! the tunnel and the gateway's echo mode answers them.

pub mod netns;
pub mod ping;

use crate::client::driver::{Control, Driver, DriverEvent, DriverOptions};
use crate::client::netsetup::NetSetup;
use crate::client::outcome::Outcome;
use crate::client::report::describe_config;
use crate::gateway::{GatewayConfig, serve};
use crate::runtime::clock::Clock;
use crate::runtime::os_rng::BufferedOsRng;
use crate::tls::client::{TlsClient, TlsOptions};
use crate::tun::IpSide;
use oncp_core::oncp::session::ClientOptions;
use std::net::Ipv4Addr;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::{Instant, timeout};

/// How long the demo waits for the tunnel to be configured and for ESP.
pub const SETUP_TIMEOUT: Duration = Duration::from_secs(15);

/// What the demo measured.
#[derive(Debug, Clone)]
pub struct DemoReport {
    /// Round-trip times of the answered echoes.
    pub rtts: Vec<Duration>,
    /// Echoes sent.
    pub sent: u32,
    /// Round-trip times of the answered ICMPv6 echoes (Pulse only).
    pub rtts6: Vec<Duration>,
    /// ICMPv6 echoes sent.
    pub sent6: u32,
    /// Whether ESP carried the traffic.
    pub esp: bool,
    /// ESP packets the client received.
    pub client_esp_in: u64,
    /// How the client's run ended.
    pub outcome: Outcome,
}

impl DemoReport {
    /// Every echo answered (the IPv4 ones over ESP) and the client ended
    /// cleanly.
    pub fn success(&self) -> bool {
        self.esp
            && self.sent > 0
            && self.rtts.len() == self.sent as usize
            && self.rtts6.len() == self.sent6 as usize
            && self.client_esp_in >= u64::from(self.sent)
            && self.outcome == Outcome::Closed
    }
}

/// The demo gateway's IPv6 pool (Pulse).
const POOL6: &str = "fd00:10:1::/64";

/// Runs the userspace demo: `count` echoes through the tunnel, printing
/// each step to standard output. With `pulse` the client speaks Pulse
/// IF-T/TLS and pings the gateway's IPv6 tunnel address too.
pub async fn run_userspace(count: u32, pulse: bool) -> anyhow::Result<DemoReport> {
    let mut config = GatewayConfig::loopback_echo();
    if pulse {
        config.pool6 = Some(POOL6.parse()?);
    }
    let gw = serve(config).await?;
    println!(
        "gateway: https://{} (ESP on UDP {}), echo mode, certificate {}",
        gw.tls_addr, gw.esp_addr, gw.pin
    );
    let dsid = gw
        .issue_dsid("demo")
        .ok_or_else(|| anyhow::anyhow!("the gateway issued no cookie"))?;
    println!("gateway: issued a DSID cookie for user \"demo\"");

    let tls = TlsClient::new(&TlsOptions {
        pins: vec![gw.pin.parse()?],
        ..Default::default()
    })?;
    let host = gw.tls_addr.ip().to_string();
    let clock = Clock::new();
    let session = if pulse {
        let mut opts = oncp_core::pulse::session::ClientOptions::new(&host);
        opts.port = gw.tls_addr.port();
        opts.cookie = Some(oncp_core::pulse::Secret::from(dsid.as_str()));
        crate::pulse_adapter::client(opts, Box::new(BufferedOsRng::new()), clock.now())
    } else {
        let mut opts = ClientOptions::new(&host, &format!("DSID={dsid}"));
        opts.port = gw.tls_addr.port();
        crate::oncp_adapter::client(opts, Box::new(BufferedOsRng::new()), clock.now())
    };
    let (to_tunnel, from_user) = mpsc::channel(64);
    let (to_user, mut from_tunnel) = mpsc::channel(64);
    let (obs_tx, mut events) = mpsc::unbounded_channel();
    let (control, control_rx) = mpsc::channel(4);
    let driver = Driver::new(
        session,
        tls,
        DriverOptions {
            host: host.clone(),
            port: gw.tls_addr.port(),
            mtu: None,
            reconnect_timeout: Duration::from_secs(10),
            status_every: None,
            offload: Default::default(),
        },
        IpSide::Channel { from_user, to_user },
        NetSetup::None,
        Some(obs_tx),
        clock,
    );
    let started = Instant::now();
    let run = tokio::spawn(driver.run(control_rx));
    println!(
        "client: connecting to {host}:{} over {} (pinned certificate)",
        gw.tls_addr.port(),
        if pulse { "Pulse IF-T/TLS" } else { "oNCP" }
    );

    let setup = async {
        let mut address = None;
        while let Some(ev) = events.recv().await {
            match ev {
                DriverEvent::Configured { config, mtu, .. } => {
                    println!(
                        "client: tunnel configured in {} ms:",
                        started.elapsed().as_millis()
                    );
                    for line in describe_config(&config, Some(mtu)) {
                        println!("    {line}");
                    }
                    address = Some((config.ipv4.map(|a| a.addr), config.ipv6.map(|a| a.addr)));
                }
                DriverEvent::EspUp => return Ok(address),
                DriverEvent::EspDown(r) => println!("client: ESP down ({r})"),
                DriverEvent::Reconnecting => println!("client: reconnecting"),
            }
        }
        Err(anyhow::anyhow!("the client stopped before ESP came up"))
    };
    let setup = timeout(SETUP_TIMEOUT, setup).await;
    let (esp, address) = match setup {
        Ok(Ok(a)) => (true, a.unwrap_or_default()),
        Ok(Err(e)) => {
            println!("client: {e}");
            (false, Default::default())
        }
        Err(_) => {
            println!(
                "client: ESP did not come up within {} s",
                SETUP_TIMEOUT.as_secs()
            );
            (false, Default::default())
        }
    };
    let mut rtts = Vec::new();
    let mut rtts6 = Vec::new();
    let mut sent6 = 0;
    if let (true, (Some(me), me6)) = (esp, address) {
        println!(
            "transport: ESP (established {} ms after start)",
            started.elapsed().as_millis()
        );
        let target: Ipv4Addr = gw.tunnel_address();
        println!("ping {target} from {me} through the tunnel:");
        rtts = ping::run(
            &to_tunnel,
            &mut from_tunnel,
            me.into(),
            target.into(),
            count,
        )
        .await;
        if pulse {
            sent6 = count;
            match (me6, gw.tunnel_address6()) {
                (Some(me6), Some(target6)) => {
                    // IPv6 goes over TLS beside ESP (spec pulse.md §6.5).
                    println!("ping {target6} from {me6} through the tunnel (over TLS):");
                    rtts6 = ping::run(
                        &to_tunnel,
                        &mut from_tunnel,
                        me6.into(),
                        target6.into(),
                        count,
                    )
                    .await;
                }
                _ => println!("client: the tunnel has no IPv6 address"),
            }
        }
    }
    let _ = control.send(Control::Close).await;
    let report = timeout(Duration::from_secs(15), run).await??;
    let c = gw.counters();
    println!(
        "gateway counters: ESP in {} out {}, TLS in {} out {}, tunnels {}",
        c.esp_packets_in, c.esp_packets_out, c.tls_packets_in, c.tls_packets_out, c.tunnels
    );
    println!(
        "client counters: ESP in {} out {}, TLS in {} out {}",
        report.stats.esp_packets_in,
        report.stats.esp_packets_out,
        report.stats.tls_packets_in,
        report.stats.tls_packets_out
    );
    match &report.outcome {
        Outcome::Closed => println!("client: session closed, logout sent"),
        other => println!("client: {}", other.message()),
    }
    gw.shutdown();
    Ok(DemoReport {
        rtts,
        sent: if esp { count } else { 0 },
        rtts6,
        sent6,
        esp,
        client_esp_in: report.stats.esp_packets_in,
        outcome: report.outcome,
    })
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn userspace_demo_round_trips_over_esp() {
        let report = super::run_userspace(3, false).await.unwrap();
        assert!(report.success(), "{report:?}");
        assert_eq!(report.rtts.len(), 3);
        assert!(report.client_esp_in >= 3);
        assert_eq!(report.sent6, 0);
    }

    #[tokio::test]
    async fn userspace_pulse_demo_pings_both_families() {
        let report = super::run_userspace(2, true).await.unwrap();
        assert!(report.success(), "{report:?}");
        assert_eq!(report.rtts.len(), 2);
        assert_eq!(report.rtts6.len(), 2);
        assert!(report.client_esp_in >= 2, "IPv4 over ESP");
    }
}
