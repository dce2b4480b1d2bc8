//! `oncp gateway` command line.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;

use ipnet::Ipv4Net;
use oncp_core::esp::{Cipher, Integrity};

use crate::gateway::{CertSource, DataPlaneMode, GatewayConfig};

/// Options of `oncp gateway`.
#[derive(Debug, Clone, clap::Args)]
pub struct GatewayArgs {
    /// Address and port to serve HTTPS and the tunnel on.
    #[arg(long, default_value = "0.0.0.0:443")]
    pub listen: SocketAddr,
    /// UDP port for ESP on the same address (0: any free port).
    #[arg(long, default_value_t = 4500)]
    pub esp_port: u16,
    /// Do not offer ESP: everything goes over TLS.
    #[arg(long)]
    pub no_esp: bool,
    /// Certificate chain (PEM); without it a self-signed one is generated.
    #[arg(long, requires = "key")]
    pub cert: Option<PathBuf>,
    /// Private key (PEM) for --cert.
    #[arg(long, requires = "cert")]
    pub key: Option<PathBuf>,
    /// Names for the generated self-signed certificate.
    #[arg(long = "cert-name", default_values_t = vec!["localhost".to_string()])]
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
    /// Tunnel address pool; the first host is the gateway's own address.
    #[arg(long, default_value = "10.10.1.0/24")]
    pub pool: Ipv4Net,
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
    /// Tunnel MTU.
    #[arg(long, default_value_t = 1400)]
    pub mtu: u32,
    /// ESP cipher: aes128 or aes256.
    #[arg(long, default_value = "aes128", value_parser = ["aes128", "aes256"])]
    pub cipher: String,
    /// ESP integrity: sha1 or md5.
    #[arg(long, default_value = "sha1", value_parser = ["sha1", "md5"])]
    pub mac: String,
    /// LZO-compress packets sent to clients over ESP.
    #[arg(long)]
    pub compression: bool,
    /// Rekey ESP every this many seconds.
    #[arg(long, value_name = "SECONDS")]
    pub rekey: Option<u64>,
    /// ESP dead-peer-detection interval announced to clients, in seconds.
    #[arg(long, default_value_t = 15)]
    pub dpd: u64,
    /// Answer ICMP echo and UDP echo (port 7) to the gateway's tunnel
    /// address in-process instead of using a TUN device (no root needed).
    #[arg(long)]
    pub echo: bool,
    /// TUN device name (TUN mode).
    #[arg(long)]
    pub interface: Option<String>,
}

impl GatewayArgs {
    /// The gateway configuration these options describe.
    pub fn to_config(&self) -> anyhow::Result<GatewayConfig> {
        let mut users = Vec::new();
        let mut add_user = |s: &str| -> anyhow::Result<()> {
            let (u, p) = s
                .split_once(':')
                .ok_or_else(|| anyhow::anyhow!("user {s:?} is not NAME:PASSWORD"))?;
            users.push((u.to_string(), p.to_string()));
            Ok(())
        };
        for u in &self.users {
            add_user(u)?;
        }
        if let Some(f) = &self.users_file {
            let text = std::fs::read_to_string(f)
                .map_err(|e| anyhow::anyhow!("reading {}: {e}", f.display()))?;
            for line in text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
            {
                add_user(line)?;
            }
        }
        let cert = match (&self.cert, &self.key) {
            (Some(cert), Some(key)) => CertSource::Files {
                cert: cert.clone(),
                key: key.clone(),
            },
            _ => {
                let mut names = self.cert_names.clone();
                let ip = self.listen.ip().to_string();
                if !self.listen.ip().is_unspecified() && !names.contains(&ip) {
                    names.push(ip);
                }
                CertSource::SelfSigned(names)
            }
        };
        Ok(GatewayConfig {
            listen: self.listen,
            esp_port: self.esp_port,
            esp: !self.no_esp,
            cert,
            users,
            dsids: self.dsids.clone(),
            pool: self.pool.trunc(),
            routes: if self.routes.is_empty() {
                vec![self.pool.trunc()]
            } else {
                self.routes.clone()
            },
            exclude: self.exclude.clone(),
            dns: self.dns.clone(),
            wins: self.wins.clone(),
            domain: self.domain.clone(),
            mtu: self.mtu,
            cipher: if self.cipher == "aes256" {
                Cipher::Aes256Cbc
            } else {
                Cipher::Aes128Cbc
            },
            integrity: if self.mac == "md5" {
                Integrity::HmacMd5_96
            } else {
                Integrity::HmacSha1_96
            },
            compression: self.compression,
            rekey_after: self.rekey.map(std::time::Duration::from_secs),
            dpd: std::time::Duration::from_secs(self.dpd),
            dataplane: if self.echo {
                DataPlaneMode::Echo
            } else {
                DataPlaneMode::Tun {
                    name: self.interface.clone(),
                }
            },
        })
    }
}

/// Runs `oncp gateway` until SIGINT/SIGTERM.
pub fn run(args: GatewayArgs) -> ExitCode {
    let config = match args.to_config() {
        Ok(c) => c,
        Err(e) => {
            tracing::error!("{e:#}");
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
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(e) => {
                tracing::error!("installing a SIGTERM handler: {e}");
                return ExitCode::FAILURE;
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        let c = gw.counters();
        tracing::info!(
            "shutting down: {} tunnels, ESP {} in / {} out, TLS {} in / {} out, {} probes answered",
            c.tunnels, c.esp_packets_in, c.esp_packets_out, c.tls_packets_in, c.tls_packets_out, c.probes
        );
        println!(
            "COUNTERS tunnels={} esp_in={} esp_out={} tls_in={} tls_out={} probes={} rekeys={} esp_dropped={} cookie_attempts={}",
            c.tunnels, c.esp_packets_in, c.esp_packets_out, c.tls_packets_in, c.tls_packets_out, c.probes, c.rekeys, c.esp_dropped,
            gw.cookie_attempts()
        );
        gw.shutdown();
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        ExitCode::SUCCESS
    })
}
