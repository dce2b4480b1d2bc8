//! `oncp connect` command line. Option names follow `openconnect`'s where
//! the concept is the same, so scripts written for
//! `openconnect --protocol=nc` keep working.

use crate::client::clock::Clock;
use crate::client::cookie;
use crate::client::driver::{Control, DEFAULT_MTU, Driver, DriverOptions};
use crate::client::netsetup::{NetSetup, SetupContext};
use crate::client::os_rng::OsRng;
use crate::client::target::Target;
use crate::tls::client::{TlsClient, TlsOptions};
use crate::tls::pin::Pin;
use crate::tun::{IpSide, Tun};
use oncp_core::session::{ClientOptions, ClientSession};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;
use tokio::sync::mpsc;

/// Options of `oncp connect`.
#[derive(Debug, Clone, clap::Args)]
pub struct ConnectArgs {
    /// The gateway: `host`, `host:port` or `https://host[:port][/path]`.
    pub server: String,

    /// The VPN protocol; only `nc` (Juniper Network Connect) is supported.
    #[arg(long, default_value = "nc")]
    pub protocol: String,

    /// Cookie from an earlier login, e.g. `DSID=…` (a bare value is taken as the DSID).
    #[arg(short = 'C', long)]
    pub cookie: Option<String>,
    /// Read the cookie from standard input.
    #[arg(long, conflicts_with = "cookie")]
    pub cookie_on_stdin: bool,

    /// Accept the server's certificate only if it has this fingerprint
    /// (`pin-sha256:BASE64`, or SHA-1/SHA-256 in hex); may be repeated.
    #[arg(long, value_name = "FINGERPRINT")]
    pub servercert: Vec<String>,
    /// Trust the certificate authorities in this PEM file.
    #[arg(long, value_name = "FILE")]
    pub cafile: Option<PathBuf>,
    /// Do not trust the system's certificate authorities.
    #[arg(long)]
    pub no_system_trust: bool,

    /// Configure the network with this vpnc-script.
    #[arg(short = 's', long, value_name = "SCRIPT")]
    pub script: Option<PathBuf>,
    /// Name of the TUN interface to create.
    #[arg(short = 'i', long, value_name = "IFNAME")]
    pub interface: Option<String>,
    /// MTU of the TUN device (default: the gateway's). As with OpenConnect,
    /// the MTU reported to the gateway stays the one it sent (spec §2.6).
    #[arg(short = 'm', long)]
    pub mtu: Option<u16>,
    /// Do not use ESP over UDP; carry all traffic over TLS.
    #[arg(long, alias = "no-udp")]
    pub no_dtls: bool,

    /// Give up reconnecting after this many seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    pub reconnect_timeout: u64,
    /// Probe the ESP path every this many seconds.
    #[arg(long, value_name = "INTERVAL")]
    pub force_dpd: Option<u64>,
    /// Host name to report to the gateway.
    #[arg(long, value_name = "STRING")]
    pub local_hostname: Option<String>,
    /// HTTP User-Agent to send.
    #[arg(long, value_name = "STRING")]
    pub useragent: Option<String>,
    /// Write TLS secrets to this file in NSS key log format (SSLKEYLOGFILE is also honoured).
    #[arg(long, value_name = "FILE")]
    pub keylog: Option<PathBuf>,

    /// Web login (used when no cookie is given).
    #[command(flatten)]
    pub auth: crate::auth::args::AuthArgs,
}

/// How often the status line is logged at `-v`.
pub const STATUS_EVERY: Duration = Duration::from_secs(10);

/// A command line that cannot be used, with the exit status to use.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct UsageError(String);

/// Runs `oncp connect`.
pub fn run(args: ConnectArgs, verbose: u8) -> ExitCode {
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!("starting the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(connect(args, verbose)) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            tracing::error!("{e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Everything `oncp connect` derives from its command line before any I/O.
#[derive(Debug)]
pub struct Prepared {
    /// The gateway.
    pub target: Target,
    /// Core's session options.
    pub session: ClientOptions,
    /// TLS trust.
    pub tls: TlsOptions,
}

/// Checks and converts the command line (pure, except reading the cookie
/// from `stdin` when asked).
pub fn prepare(args: &ConnectArgs, stdin: &mut dyn std::io::BufRead) -> anyhow::Result<Prepared> {
    if !args.protocol.eq_ignore_ascii_case("nc") {
        return Err(UsageError(format!(
            "protocol {:?} is not supported: oncp speaks only Juniper Network Connect (--protocol=nc)",
            args.protocol
        ))
        .into());
    }
    let target: Target = args.server.parse()?;
    let cookie = cookie::obtain(args.cookie.as_deref(), args.cookie_on_stdin, stdin)?;
    let pins = args
        .servercert
        .iter()
        .map(|p| {
            p.parse::<Pin>()
                .map_err(|e| anyhow::anyhow!("--servercert {p}: {e}"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut session = ClientOptions::new(&target.host, &cookie);
    session.port = target.port;
    session.esp = !args.no_dtls;
    if let Some(ua) = &args.useragent {
        session.user_agent = ua.clone();
    }
    session.local_hostname = match &args.local_hostname {
        Some(h) => h.clone(),
        None => local_hostname(),
    };
    session.force_dpd = args.force_dpd.map(oncp_core::time::Duration::from_secs);
    let tls = TlsOptions {
        cafile: args.cafile.clone(),
        system_trust: !args.no_system_trust,
        pins,
        keylog: args.keylog.clone(),
    };
    Ok(Prepared {
        target,
        session,
        tls,
    })
}

/// This machine's host name (as OpenConnect sends by default), or
/// `localhost`.
fn local_hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

/// OpenConnect's `LOG_LEVEL` for our verbosity (error 0, info 1, debug 2, trace 3).
fn script_log_level(verbose: u8) -> u8 {
    1 + verbose.min(2)
}

async fn connect(mut args: ConnectArgs, verbose: u8) -> anyhow::Result<u8> {
    if let Some(code) = crate::auth::connect_hook::before_connect(&mut args).await? {
        return Ok(code);
    }
    let mut stdin = std::io::stdin().lock();
    let p = prepare(&args, &mut stdin)?;
    drop(stdin);
    let tls = TlsClient::new(&p.tls)?;
    let gateway = tokio::net::lookup_host((p.target.host.as_str(), p.target.port))
        .await
        .ok()
        .and_then(|mut a| a.next())
        .map(|a| a.ip())
        .ok_or_else(|| anyhow::anyhow!("cannot resolve {}", p.target.host))?;
    let mut setup = match &args.script {
        Some(path) => NetSetup::Script {
            path: path.clone(),
            log_level: script_log_level(verbose),
        },
        None => NetSetup::Builtin { installed: None },
    };
    let mtu = args.mtu.map(u32::from);
    let pre = SetupContext {
        gateway,
        tundev: args.interface.as_deref().unwrap_or(""),
        config: None,
        mtu: mtu.unwrap_or(DEFAULT_MTU),
    };
    setup.pre_init(&pre).await?;
    let tun_mtu = u16::try_from(mtu.unwrap_or(DEFAULT_MTU)).unwrap_or(u16::MAX);
    let tun = Tun::create(args.interface.as_deref(), tun_mtu)?;
    tracing::info!("TUN device {}", tun.name());

    let clock = Clock::new();
    let session = ClientSession::new(p.session, Box::new(OsRng), clock.now());
    let (control_tx, control_rx) = mpsc::channel(4);
    tokio::spawn(forward_signals(control_tx));
    let opts = DriverOptions {
        host: p.target.host.clone(),
        port: p.target.port,
        mtu,
        reconnect_timeout: Duration::from_secs(args.reconnect_timeout),
        status_every: (verbose > 0).then_some(STATUS_EVERY),
    };
    let driver = Driver::new(session, tls, opts, IpSide::Tun(tun), setup, None, clock);
    let report = driver.run(control_rx).await;
    let code = report.outcome.exit_code();
    if code == 0 {
        tracing::info!("{}", report.outcome.message());
    } else {
        tracing::error!("{}", report.outcome.message());
    }
    Ok(code)
}

/// SIGINT/SIGTERM end the session (with logout); SIGHUP detaches.
async fn forward_signals(tx: mpsc::Sender<Control>) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut int), Ok(mut term), Ok(mut hup)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
        signal(SignalKind::hangup()),
    ) else {
        tracing::warn!("cannot install signal handlers");
        return;
    };
    loop {
        let c = tokio::select! {
            _ = int.recv() => Control::Close,
            _ = term.recv() => Control::Close,
            _ = hup.recv() => Control::Detach,
        };
        if tx.send(c).await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::cli::{Cli, Command};
    use clap::Parser;

    fn connect(args: &[&str]) -> super::ConnectArgs {
        let mut argv = vec!["oncp", "connect"];
        argv.extend_from_slice(args);
        match Cli::try_parse_from(argv).unwrap().command {
            Command::Connect(a) => *a,
            other => panic!("parsed as {other:?}"),
        }
    }

    #[test]
    fn openconnect_style_options_parse() {
        let a = connect(&[
            "-C",
            "DSID=abc",
            "--servercert",
            "pin-sha256:AAAA",
            "-s",
            "/bin/true",
            "-i",
            "tun7",
            "-m",
            "1300",
            "--no-dtls",
            "--reconnect-timeout",
            "30",
            "--force-dpd",
            "5",
            "--local-hostname",
            "me",
            "--useragent",
            "UA",
            "vpn.example.com",
        ]);
        assert_eq!(a.cookie.as_deref(), Some("DSID=abc"));
        assert_eq!(a.servercert, ["pin-sha256:AAAA"]);
        assert_eq!(a.interface.as_deref(), Some("tun7"));
        assert_eq!(a.mtu, Some(1300));
        assert!(a.no_dtls);
        assert_eq!(a.reconnect_timeout, 30);
        assert_eq!(a.force_dpd, Some(5));
        assert_eq!(a.server, "vpn.example.com");
        assert_eq!(a.protocol, "nc");
    }

    #[test]
    fn equals_forms_and_no_udp_alias() {
        let a = connect(&["--protocol=nc", "--cookie=x", "--mtu=1400", "--no-udp", "h"]);
        assert_eq!(a.mtu, Some(1400));
        assert!(a.no_dtls);
        assert_eq!(a.reconnect_timeout, 300);
    }

    #[test]
    fn prepare_builds_session_options_like_openconnect() {
        let a = connect(&[
            "-C",
            "abc",
            "--no-dtls",
            "--useragent",
            "UA",
            "--local-hostname",
            "box",
            "--force-dpd",
            "7",
            "--servercert",
            "sha1:0123456789",
            "https://vpn.example.com:8443/x",
        ]);
        let mut none: &[u8] = b"";
        let p = super::prepare(&a, &mut none).unwrap();
        assert_eq!(p.target.host, "vpn.example.com");
        assert_eq!(p.session.port, 8443);
        assert_eq!(p.session.cookie, "DSID=abc");
        assert!(!p.session.esp);
        assert_eq!(p.session.user_agent, "UA");
        assert_eq!(p.session.local_hostname, "box");
        assert_eq!(
            p.session.force_dpd,
            Some(oncp_core::time::Duration::from_secs(7))
        );
        assert_eq!(p.tls.pins.len(), 1);
        assert!(p.tls.system_trust);
    }

    #[test]
    fn prepare_rejects_other_protocols_and_bad_pins() {
        let mut none: &[u8] = b"";
        let a = connect(&["--protocol", "anyconnect", "-C", "x", "h"]);
        let e = super::prepare(&a, &mut none).unwrap_err().to_string();
        assert!(e.contains("not supported"), "{e}");
        let a = connect(&["--servercert", "md5:00", "-C", "x", "h"]);
        let e = super::prepare(&a, &mut none).unwrap_err().to_string();
        assert!(e.contains("--servercert md5:00"), "{e}");
        let a = connect(&["h"]);
        let e = super::prepare(&a, &mut none).unwrap_err().to_string();
        assert!(e.contains("no cookie"), "{e}");
    }

    #[test]
    fn cookie_sources_conflict() {
        let r = Cli::try_parse_from(["oncp", "connect", "-C", "x", "--cookie-on-stdin", "h"]);
        assert!(r.is_err());
    }
}
