//! `oncp gateway` command line.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use ipnet::Ipv4Net;

use crate::gateway::counters::CounterSnapshot;
use crate::gateway::settings::Settings;

/// Options of `oncp gateway`. Each can also come from a TOML file
/// (`--config`, same names); flags given here win over the file.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct GatewayArgs {
    /// TOML config file with any of these settings (same names, `[users]`
    /// table of name = "password").
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Address and port to serve HTTPS and the tunnel on [default: 0.0.0.0:443].
    #[arg(long)]
    pub listen: Option<SocketAddr>,
    /// UDP port for ESP on the same address (0: any free port) [default: 4500].
    #[arg(long)]
    pub esp_port: Option<u16>,
    /// Do not offer ESP: everything goes over TLS.
    #[arg(long)]
    pub no_esp: bool,
    /// Certificate chain (PEM); without it a self-signed one is generated.
    #[arg(long, requires = "key")]
    pub cert: Option<PathBuf>,
    /// Private key (PEM) for --cert.
    #[arg(long, requires = "cert")]
    pub key: Option<PathBuf>,
    /// Name for the generated self-signed certificate (repeatable)
    /// [default: localhost, plus the listening address].
    #[arg(long = "cert-name")]
    pub cert_names: Vec<String>,
    /// A user who may sign in, as NAME:PASSWORD (repeatable).
    #[arg(long = "user", value_name = "NAME:PASSWORD")]
    pub users: Vec<String>,
    /// A file of NAME:PASSWORD lines (users who may sign in).
    #[arg(long)]
    pub users_file: Option<PathBuf>,
    /// A DSID cookie to accept without signing in (repeatable).
    #[arg(long = "dsid")]
    pub dsids: Vec<String>,
    /// Tunnel address pool; the first host is the gateway's own address
    /// [default: 10.10.1.0/24].
    #[arg(long)]
    pub pool: Option<Ipv4Net>,
    /// IPv6 tunnel address pool for Pulse clients (each gets the host
    /// number of its IPv4 address in it), e.g. fd00:10::/64.
    #[arg(long, value_name = "NET")]
    pub pool6: Option<ipnet::Ipv6Net>,
    /// Tunnel protocols served on the one listener: nc (oNCP), pulse
    /// (IF-T/TLS; oNCP tunnels then get status 8) or both [default: both].
    #[arg(long, value_name = "PROTOCOL")]
    pub protocol: Option<crate::gateway::protocol::ProtocolChoice>,
    /// Answer oNCP tunnels with status 8 after the hostname packet, like a
    /// gateway where oNCP is switched off (Pulse keeps working).
    #[arg(long)]
    pub disable_oncp: bool,
    /// Tell Pulse clients that ESP carries both IP families (attribute
    /// 0x4024, "ESP for 6in4 and 4in6"): IPv6 goes over ESP too, for
    /// clients that honour it (oncp; OpenConnect from 9.10).
    #[arg(long)]
    pub esp_both_families: bool,
    /// Split-include route sent to clients (repeatable; default: the pool).
    #[arg(long = "route")]
    pub routes: Vec<Ipv4Net>,
    /// Split-exclude route sent to clients (repeatable).
    #[arg(long = "exclude")]
    pub exclude: Vec<Ipv4Net>,
    /// DNS server sent to clients (repeatable).
    #[arg(long = "dns")]
    pub dns: Vec<Ipv4Addr>,
    /// WINS server sent to clients (repeatable).
    #[arg(long = "wins")]
    pub wins: Vec<Ipv4Addr>,
    /// DNS search domain sent to clients.
    #[arg(long)]
    pub domain: Option<String>,
    /// Tunnel MTU [default: 1400].
    #[arg(long)]
    pub mtu: Option<u32>,
    /// ESP cipher [default: aes128].
    #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(
        oncp_core::esp::Cipher::ALL.map(oncp_core::esp::Cipher::short_name)
    ))]
    pub cipher: Option<String>,
    /// ESP integrity algorithm (sha256 with --protocol pulse only) [default: sha1].
    #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(
        oncp_core::esp::Integrity::ALL.map(oncp_core::esp::Integrity::short_name)
    ))]
    pub mac: Option<String>,
    /// LZO-compress packets sent to clients over ESP.
    #[arg(long)]
    pub compression: bool,
    /// Rekey ESP every this many seconds.
    #[arg(long, value_name = "SECONDS")]
    pub rekey: Option<u64>,
    /// ESP dead-peer-detection interval announced to clients, in seconds
    /// [default: 15].
    #[arg(long, value_name = "SECONDS")]
    pub dpd: Option<u64>,
    /// Answer ICMP echo and UDP echo (port 7) to the gateway's tunnel
    /// address in-process instead of using a TUN device (no root needed).
    #[arg(long)]
    pub echo: bool,
    /// TUN device name (TUN mode).
    #[arg(long)]
    pub interface: Option<String>,
    /// Serve TLS through OpenSSL with only TLS 1.2, RSA key exchange and
    /// AES-CBC-SHA/SHA256 suites (an RSA certificate), like old Juniper
    /// gateways: rustls clients cannot connect, OpenConnect and `oncp
    /// connect`'s OpenSSL fallback can.
    #[arg(long)]
    pub legacy_tls: bool,
    /// Do not use the kernel's UDP offloads (GSO, GRO, batched receives)
    /// for ESP: one system call per datagram each way.
    #[arg(long)]
    pub no_offload: bool,
    /// Print a COUNTERS line every this many seconds (and one at exit).
    #[arg(long, value_name = "SECONDS")]
    pub stats: Option<u64>,
    /// Sign-in steps.
    #[command(flatten)]
    pub login: crate::gateway::login::config::LoginArgs,
}

impl GatewayArgs {
    /// The settings given on the command line (without the file).
    pub fn to_settings(&self) -> anyhow::Result<Settings> {
        let mut s = Settings {
            listen: self.listen,
            esp_port: self.esp_port,
            esp: self.no_esp.then_some(false),
            cert: self.cert.clone(),
            key: self.key.clone(),
            cert_names: self.cert_names.clone(),
            users_file: self.users_file.clone(),
            dsids: self.dsids.clone(),
            pool: self.pool,
            pool6: self.pool6,
            protocol: self.protocol,
            disable_oncp: self.disable_oncp.then_some(true),
            esp_both_families: self.esp_both_families.then_some(true),
            routes: self.routes.clone(),
            exclude: self.exclude.clone(),
            dns: self.dns.clone(),
            wins: self.wins.clone(),
            domain: self.domain.clone(),
            mtu: self.mtu,
            cipher: self.cipher.clone(),
            mac: self.mac.clone(),
            compression: self.compression.then_some(true),
            legacy_tls: self.legacy_tls.then_some(true),
            offload: self.no_offload.then_some(false),
            rekey: self.rekey,
            dpd: self.dpd,
            echo: self.echo.then_some(true),
            interface: self.interface.clone(),
            stats: self.stats,
            ..Default::default()
        };
        for u in &self.users {
            s.add_user(u)?;
        }
        Ok(s)
    }

    /// The flags over the config file (if any).
    pub fn settings(&self) -> anyhow::Result<Settings> {
        let flags = self.to_settings()?;
        Ok(match &self.config {
            Some(path) => flags.over(Settings::from_file(path)?),
            None => flags,
        })
    }
}

/// The line scripts and tests read the counters from.
pub fn counters_line(c: &CounterSnapshot, cookie_attempts: u64) -> String {
    format!(
        "COUNTERS tunnels={} esp_in={} esp_out={} tls_in={} tls_out={} probes={} rekeys={} esp_dropped={} lzo_out={} cookie_attempts={} tun_gso_in={} tun_seg_in={} tun_gro_out={} tun_seg_out={}",
        c.tunnels,
        c.esp_packets_in,
        c.esp_packets_out,
        c.tls_packets_in,
        c.tls_packets_out,
        c.probes,
        c.rekeys,
        c.esp_dropped,
        c.lzo_out,
        cookie_attempts,
        c.tun.gso_reads,
        c.tun.segments_read,
        c.tun.coalesced_writes,
        c.tun.segments_written
    )
}

/// Runs `oncp gateway` until SIGINT/SIGTERM.
pub fn run(args: GatewayArgs) -> ExitCode {
    let (mut config, stats) = match args
        .settings()
        .and_then(|s| Ok((s.stats, s.into_config()?)))
    {
        Ok((stats, c)) => (c, stats.filter(|s| *s > 0).map(Duration::from_secs)),
        Err(e) => {
            tracing::error!("{e:#}");
            return ExitCode::from(2);
        }
    };
    config.login = match args.login.to_config() {
        Ok(l) => l,
        Err(e) => {
            tracing::error!("--token-secret: {e}");
            return ExitCode::from(2);
        }
    };
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!("starting the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    rt.block_on(async move {
        let gw = match crate::gateway::serve(config).await {
            Ok(g) => g,
            Err(e) => {
                tracing::error!("{e:#}");
                return ExitCode::FAILURE;
            }
        };
        // Scripts read these lines.
        println!("LISTEN={}", gw.tls_addr);
        println!("ESP={}", gw.esp_addr);
        println!("PIN={}", gw.pin);
        if let Some(t) = &gw.tun_name {
            println!("TUN={t}");
        }
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(e) => {
                    tracing::error!("installing a SIGTERM handler: {e}");
                    return ExitCode::FAILURE;
                }
            };
        // Test aids (fault injection, see the gateway's --help): SIGUSR1
        // drops every tunnel's TLS connection; SIGUSR2 expires every cookie
        // and then drops the tunnels.
        let (mut usr1, mut usr2) = match (
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::user_defined1()),
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::user_defined2()),
        ) {
            (Ok(a), Ok(b)) => (a, b),
            (Err(e), _) | (_, Err(e)) => {
                tracing::error!("installing a SIGUSR1/SIGUSR2 handler: {e}");
                return ExitCode::FAILURE;
            }
        };
        let mut tick = tokio::time::interval(stats.unwrap_or(Duration::from_secs(3600)));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => break,
                _ = term.recv() => break,
                _ = usr1.recv() => {
                    tracing::warn!("SIGUSR1 (test aid): dropping every tunnel's TLS connection");
                    gw.drop_tunnels();
                    println!("DROPPED tunnels");
                }
                _ = usr2.recv() => {
                    let n = gw.expire_cookies();
                    tracing::warn!("SIGUSR2 (test aid): expired {n} cookies; dropping every tunnel's TLS connection");
                    gw.drop_tunnels();
                    println!("EXPIRED cookies={n}");
                }
                _ = tick.tick(), if stats.is_some() => {
                    println!("{}", counters_line(&gw.counters(), gw.cookie_attempts()));
                }
            }
        }
        let c = gw.counters();
        tracing::info!(
            "shutting down: {} tunnels, ESP {} in / {} out, TLS {} in / {} out, {} probes answered",
            c.tunnels,
            c.esp_packets_in,
            c.esp_packets_out,
            c.tls_packets_in,
            c.tls_packets_out,
            c.probes
        );
        println!("{}", counters_line(&c, gw.cookie_attempts()));
        gw.shutdown();
        tokio::time::sleep(Duration::from_millis(200)).await;
        ExitCode::SUCCESS
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cmd {
        #[command(flatten)]
        args: GatewayArgs,
    }

    #[test]
    fn flags_become_settings_over_the_config_file() {
        let dir = std::env::temp_dir().join(format!("oncp-gwcli-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("gw.toml");
        std::fs::write(&file, "mtu = 1300\ndpd = 7\n[users]\nalice = \"a\"\n").unwrap();
        let cmd = Cmd::try_parse_from([
            "gw",
            "--config",
            file.to_str().unwrap(),
            "--mtu",
            "1250",
            "--user",
            "bob:b",
            "--echo",
            "--no-esp",
            "--cipher",
            "aes256",
        ])
        .unwrap();
        let c = cmd.args.settings().unwrap().into_config().unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(c.mtu, 1250);
        assert_eq!(c.dpd, Duration::from_secs(7));
        assert_eq!(c.users.len(), 2);
        assert!(!c.esp);
        assert_eq!(c.cipher, oncp_core::esp::Cipher::Aes256Cbc);
        assert!(matches!(c.dataplane, crate::gateway::DataPlaneMode::Echo));
        assert!(Cmd::try_parse_from(["gw", "--cipher", "des"]).is_err());
        assert!(
            Cmd::try_parse_from(["gw", "--user", "nocolon"])
                .unwrap()
                .args
                .settings()
                .is_err()
        );
    }

    #[test]
    fn counters_line_names_every_counter() {
        let c = CounterSnapshot {
            esp_packets_in: 3,
            tls_packets_out: 4,
            tun: crate::tun::offload::OffloadSnapshot {
                gso_reads: 5,
                segments_written: 9,
                ..Default::default()
            },
            ..Default::default()
        };
        let l = counters_line(&c, 2);
        assert!(l.starts_with("COUNTERS tunnels=0 esp_in=3 "), "{l}");
        assert!(
            l.contains(" tls_out=4 ") && l.contains(" cookie_attempts=2 "),
            "{l}"
        );
        assert!(
            l.contains(" tun_gso_in=5 ") && l.ends_with(" tun_gro_out=0 tun_seg_out=9"),
            "{l}"
        );
    }
}
