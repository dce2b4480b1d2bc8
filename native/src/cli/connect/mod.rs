//! `oncp connect`: a drop-in for `openconnect --protocol=nc`. The
//! command line ([`args`], [`compat`], [`config_file`]), daemon mode
//! ([`daemon`]) and the run: web login when there is no cookie, then the
//! tunnel.

pub mod args;
pub mod auth_args;
pub mod compat;
pub mod config_file;
pub mod daemon;
pub mod heading;
pub mod login_hook;
pub mod pulse_auth;
pub mod readiness;
pub mod sd_notify;
pub mod settings;

pub use args::ConnectArgs;

use crate::client::cookie;
use crate::client::driver::{Control, DEFAULT_MTU, Driver, DriverOptions};
use crate::client::netsetup::{NetSetup, SetupContext};
use crate::client::packet_capture::PacketCapture;
use crate::client::target::Target;
use crate::runstate::tunnel::TunnelChanges;
use crate::runtime::clock::Clock;
use crate::runtime::os_rng::BufferedOsRng;
use crate::tls::client::{TlsClient, TlsOptions};
use crate::tun::{IpSide, Tun};
use oncp_core::oncp::session::ClientOptions;
use settings::{local_hostname, pins, tls_options};
use std::process::ExitCode;
use std::time::Duration;
use tokio::sync::mpsc;

/// How often the status line is logged at `-v`.
pub const STATUS_EVERY: Duration = Duration::from_secs(10);

/// A command line that cannot be used, with the exit status to use.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct UsageError(String);

/// Runs `oncp connect`.
pub fn run(mut args: ConnectArgs, verbose: u8) -> ExitCode {
    if args.background && daemon::Notifier::from_env().is_none() {
        return match daemon::run_foreground(args.pid_file.as_deref()) {
            Ok(code) => code,
            Err(e) => {
                tracing::error!("{e}");
                ExitCode::FAILURE
            }
        };
    }
    if let Err(e) = check(&args) {
        tracing::error!("{e:#}");
        return ExitCode::FAILURE;
    }
    for w in args.ignored.warnings() {
        tracing::warn!("{w}");
    }
    args.reveal_secrets = verbose >= 2;
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

/// The checks OpenConnect makes before it does anything: the protocol,
/// the server, `--no-cert-check`, the fingerprints' syntax.
pub fn check(args: &ConnectArgs) -> anyhow::Result<()> {
    if !args.protocol_is_nc() && !args.protocol_is_pulse() && !args.protocol_is_auto() {
        return Err(UsageError(format!(
            "protocol {:?} is not supported: oncp speaks Juniper Network Connect (--protocol=nc), Pulse (--protocol=pulse) and both in turn (--protocol=auto, the default)",
            args.protocol
        ))
        .into());
    }
    if let Some(c) = &args.config {
        // config_file::expand_args replaces every --config it can see.
        anyhow::bail!(
            "--config {} was not read: give --config before any `--`",
            c.display()
        );
    }
    args.ignored.check()?;
    args.gateway()?.parse::<Target>()?;
    pins(args)?;
    Ok(())
}

/// Parses an `oncp connect …` command line the way the `oncp` binary does
/// (config files merged, then clap) and makes [`check`]'s checks: what
/// OpenConnect would reject at this stage is an error, everything else is
/// accepted. `argv` starts with the program name.
pub fn parse_command_line<I, T>(argv: I) -> anyhow::Result<ConnectArgs>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString>,
{
    use clap::{CommandFactory, Parser};
    let argv = argv.into_iter().map(Into::into).collect();
    let argv = config_file::expand_args(argv, &super::Cli::command())?;
    match super::Cli::try_parse_from(argv)?.command {
        super::Command::Connect(a) => {
            check(&a)?;
            Ok(*a)
        }
        _ => anyhow::bail!("not an `oncp connect` command line"),
    }
}

/// Checks and converts the command line (pure, except reading the cookie
/// from `stdin` when asked).
pub fn prepare(args: &ConnectArgs, stdin: &mut dyn std::io::BufRead) -> anyhow::Result<Prepared> {
    check(args)?;
    let target: Target = args.gateway()?.parse()?;
    let cookie = cookie::obtain(args.cookie.as_deref(), args.cookie_on_stdin, stdin)?;
    let tls = tls_options(args)?;
    let mut session = ClientOptions::new(&target.host, &cookie);
    session.port = target.port;
    session.esp = !args.no_dtls;
    if let Some(ua) = &args.useragent {
        session.user_agent = ua.clone();
    }
    session.local_hostname = local_hostname(args);
    session.force_dpd = args.force_dpd.map(oncp_core::time::Duration::from_secs);
    Ok(Prepared {
        target,
        session,
        tls,
    })
}

/// The Pulse session options of the command line: the cookie (`-C`,
/// `--cookie-on-stdin`, the bare DSID value; none: sign in on the
/// tunnel connection) and the settings shared with nc.
pub fn pulse_options(
    args: &ConnectArgs,
    target: &Target,
    stdin: &mut dyn std::io::BufRead,
) -> anyhow::Result<oncp_core::pulse::session::ClientOptions> {
    let mut o = pulse_base_options(args, target);
    if args.cookie.is_some() || args.cookie_on_stdin {
        let c = cookie::obtain(args.cookie.as_deref(), args.cookie_on_stdin, stdin)?;
        let dsid = cookie::dsid_value(&c)
            .ok_or_else(|| anyhow::anyhow!("the cookie has no DSID for Pulse"))?;
        o.cookie = Some(oncp_core::pulse::Secret::from(dsid));
    }
    Ok(o)
}

/// The Pulse session options of the command line without a cookie.
fn pulse_base_options(
    args: &ConnectArgs,
    target: &Target,
) -> oncp_core::pulse::session::ClientOptions {
    let mut o = oncp_core::pulse::session::ClientOptions::new(&target.host);
    o.port = target.port;
    o.esp = !args.no_dtls;
    if let Some(ua) = &args.useragent {
        o.user_agent = ua.clone();
    }
    o.local_hostname = local_hostname(args);
    o.force_dpd = args.force_dpd.map(oncp_core::time::Duration::from_secs);
    o
}

/// With `--protocol auto`: the Pulse session to continue with when the
/// gateway refuses oNCP, signing in with the DSID of the oNCP `cookie`
/// (no second login); `None` when the cookie has no DSID.
fn pulse_fallback(
    args: &ConnectArgs,
    target: &Target,
    cookie: &str,
) -> Option<oncp_core::pulse::session::ClientOptions> {
    let dsid = cookie::dsid_value(cookie)?;
    let mut o = pulse_base_options(args, target);
    o.cookie = Some(oncp_core::pulse::Secret::from(dsid));
    Some(o)
}

/// OpenConnect's `LOG_LEVEL` for our verbosity (error 0, info 1, debug 2, trace 3).
fn script_log_level(verbose: u8) -> u8 {
    1 + verbose.min(2)
}

async fn connect(mut args: ConnectArgs, verbose: u8) -> anyhow::Result<u8> {
    let pulse = args.protocol_is_pulse();
    // Pulse with --sso / --external-browser and no cookie: the browser
    // sign-in on the gateway's web pages gives the DSID, and IF-T starts
    // with it as the cookie (spec pulse.md has no IF-T SSO exchange).
    let pulse_sso = pulse
        && args.cookie.is_none()
        && !args.cookie_on_stdin
        && (args.sso.sso || args.sso.external_browser.is_some());
    if pulse && !pulse_sso && args.login_only() {
        return pulse_auth::run(&args).await;
    }
    if (!pulse || pulse_sso)
        && let Some(code) = login_hook::before_connect(&mut args).await?
    {
        return Ok(code);
    }
    let mut stdin = std::io::stdin().lock();
    let (p, pulse_session) = if pulse {
        check(&args)?;
        let target: Target = args.gateway()?.parse()?;
        let o = pulse_options(&args, &target, &mut stdin)?;
        let answers = if o.cookie.is_none() {
            Some(login_hook::answers(&args.auth, &mut stdin)?)
        } else {
            None
        };
        let p = Prepared {
            session: ClientOptions::new(&target.host, ""),
            tls: tls_options(&args)?,
            target,
        };
        (p, Some((o, answers)))
    } else {
        (prepare(&args, &mut stdin)?, None)
    };
    drop(stdin);
    // --protocol auto: Pulse with the same DSID should oNCP be refused.
    let mut fallback = if args.protocol_is_auto() {
        pulse_fallback(&args, &p.target, &p.session.cookie)
    } else {
        None
    };
    // The session holds its own copy now (wiped when it ends).
    if let Some(c) = args.cookie.as_mut() {
        zeroize::Zeroize::zeroize(c);
    }
    let tls = TlsClient::new(&p.tls)?;
    let gateway = match tls.resolved(&p.target.host) {
        Some(ip) => ip,
        None => tokio::net::lookup_host((p.target.host.as_str(), p.target.port))
            .await
            .ok()
            .and_then(|mut a| a.next())
            .map(|a| a.ip())
            .ok_or_else(|| anyhow::anyhow!("cannot resolve {}", p.target.host))?,
    };
    // What an oncp killed earlier left (DNS, bypass routes) goes first.
    crate::cli::cleanup::log_report(
        &crate::runstate::cleanup::stale(std::path::Path::new(crate::runstate::STATE_DIR)).await,
    );
    let mut setup = match &args.script {
        Some(path) => NetSetup::Script {
            path: path.clone(),
            log_level: script_log_level(verbose),
        },
        None => NetSetup::Builtin {
            installed: None,
            changes: Box::new(TunnelChanges::new(args.dns)),
        },
    };
    // Looked up now, while the user database is certainly readable.
    let setuid = args
        .setuid
        .as_deref()
        .map(crate::privileges::Target::resolve)
        .transpose()?;
    let mtu = args.mtu.map(u32::from);
    let pre = SetupContext {
        gateway,
        tundev: args.interface.as_deref().unwrap_or(""),
        config: None,
        mtu: mtu.unwrap_or(DEFAULT_MTU),
    };
    setup.pre_init(&pre).await?;
    let tun_mtu = u16::try_from(mtu.unwrap_or(DEFAULT_MTU)).unwrap_or(u16::MAX);
    let capture = args
        .pcap
        .as_deref()
        .map(PacketCapture::create)
        .transpose()?;
    let offload = if args.no_offload {
        crate::esp_batch::Offload::Off
    } else {
        crate::esp_batch::Offload::On
    };
    let tun = Tun::create(args.interface.as_deref(), tun_mtu, offload)?;
    tracing::info!("TUN device {}", tun.name());

    let clock = Clock::new();
    let mut answerer = None;
    let session = match pulse_session {
        Some((mut o, answers)) => {
            o.outer_ipv6 = gateway.is_ipv6();
            answerer = answers.map(|a| {
                Box::new(crate::client::login_answers::CommandLineAnswers::new(
                    a,
                    crate::client::login_answers::TerminalAsk,
                )) as Box<dyn crate::client::driver::LoginAnswerer + Send>
            });
            crate::pulse_adapter::client(o, Box::new(BufferedOsRng::new()), clock.now())
        }
        None => crate::oncp_adapter::client(p.session, Box::new(BufferedOsRng::new()), clock.now()),
    };
    let (control_tx, control_rx) = mpsc::channel(4);
    tokio::spawn(forward_signals(control_tx.clone()));
    let opts = DriverOptions {
        host: p.target.host.clone(),
        port: p.target.port,
        mtu,
        reconnect_timeout: Duration::from_secs(args.reconnect_timeout),
        status_every: (verbose > 0).then_some(STATUS_EVERY),
        offload,
    };
    let (events_tx, events) = mpsc::unbounded_channel();
    let up = std::sync::Arc::new(readiness::UpState::default());
    let when = readiness::WhenUp::from_env(setuid, args.script.is_none());
    tokio::spawn(readiness::when_up(events, up.clone(), when, control_tx));
    let driver = Driver::new(
        session,
        tls,
        opts,
        IpSide::tun(tun),
        setup,
        Some(events_tx),
        clock,
    );
    let driver = match capture {
        Some(c) => driver.with_packet_capture(c),
        None => driver,
    };
    let driver = match answerer {
        Some(a) => driver.with_login_answerer(a),
        None => driver,
    };
    let report = match fallback.take() {
        None => driver.run(control_rx).await,
        Some(mut o) => {
            let mut control_rx = control_rx;
            match driver.run_or_refused(&mut control_rx).await {
                Ok(report) => report,
                Err(refused) => {
                    tracing::warn!(
                        "the gateway refused oNCP (status 0x{:02x} to the hostname packet: oNCP is disabled there); continuing over Pulse IF-T/TLS with the same DSID",
                        refused.status
                    );
                    o.outer_ipv6 = gateway.is_ipv6();
                    let session = crate::pulse_adapter::client(
                        o,
                        Box::new(BufferedOsRng::new()),
                        refused.driver.now(),
                    );
                    refused.driver.with_session(session).run(control_rx).await
                }
            }
        }
    };
    if up.backgrounded.load(std::sync::atomic::Ordering::Relaxed)
        && let Some(p) = &args.pid_file
    {
        let _ = std::fs::remove_file(p);
    }
    if up.failed.load(std::sync::atomic::Ordering::Relaxed) {
        return Ok(1);
    }
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
        assert_eq!(a.server.as_deref(), Some("vpn.example.com"));
        assert_eq!(a.protocol, "auto", "the default");
        assert!(a.protocol_is_auto() && !a.protocol_is_nc() && !a.protocol_is_pulse());
    }

    #[test]
    fn auto_falls_back_to_pulse_with_the_dsid_of_the_oncp_cookie() {
        let a = connect(&["-C", "DSID=abc; DSFirstAccess=1", "vpn.example.com:8443"]);
        let t: super::Target = a.gateway().unwrap().parse().unwrap();
        let o = super::pulse_fallback(&a, &t, "DSFirstAccess=1; DSID=abc").unwrap();
        assert_eq!(o.cookie.as_ref().map(|c| c.expose()), Some("abc"));
        assert_eq!(o.port, 8443);
        assert!(super::pulse_fallback(&a, &t, "other=1").is_none());
        let nc = connect(&["--protocol=nc", "-C", "abc", "h"]);
        assert!(nc.protocol_is_nc() && !nc.protocol_is_auto());
        let old = connect(&["--juniper", "--protocol=auto", "-C", "abc", "h"]);
        assert!(
            old.protocol_is_nc() && !old.protocol_is_auto(),
            "--juniper is nc"
        );
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
    fn pulse_protocol_takes_the_bare_dsid_and_nc_options() {
        let a = connect(&[
            "--protocol=pulse",
            "-C",
            "DSID=abc",
            "--no-dtls",
            "vpn.example.com:8443",
        ]);
        assert!(a.protocol_is_pulse() && !a.protocol_is_nc());
        assert!(super::check(&a).is_ok());
        let t: super::Target = a.gateway().unwrap().parse().unwrap();
        let o = super::pulse_options(&a, &t, &mut std::io::empty()).unwrap();
        assert_eq!(o.cookie.as_ref().map(|c| c.expose()), Some("abc"));
        assert_eq!(o.port, 8443);
        assert!(!o.esp);
        let a = connect(&["--protocol", "pulse", "vpn.example.com"]);
        let o = super::pulse_options(&a, &t, &mut std::io::empty()).unwrap();
        assert!(o.cookie.is_none(), "no cookie: sign in on the tunnel");
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
    fn every_openconnect_short_option_is_accepted() {
        // openconnect 9.01's getopt string: "bC:c:Dde:F:g:hi:k:lm:P:p:Q:qSs:U:u:Vvx:".
        let a = connect(&[
            "-b",
            "-C",
            "c",
            "-c",
            "cert",
            "-D",
            "-d",
            "-e",
            "5",
            "-F",
            "f:x=y",
            "-g",
            "grp",
            "-i",
            "tun9",
            "-k",
            "key",
            "-l",
            "-m",
            "1300",
            "-P",
            "http://127.0.0.1:3128",
            "-p",
            "pw",
            "-Q",
            "16",
            "-q",
            "-S",
            "-s",
            "/bin/true",
            "-U",
            "nobody",
            "-u",
            "me",
            "-v",
            "-x",
            "x.xml",
            "h",
        ]);
        assert!(a.background && a.ignored.script_tun && a.syslog);
        assert_eq!(a.setuid.as_deref(), Some("nobody"));
        assert_eq!(a.auth.user.as_deref(), Some("me"));
        assert_eq!(a.usergroup.as_deref(), Some("grp"));
        assert_eq!(a.ignored.warnings().len(), 10, "{:?}", a.ignored.warnings());
    }

    #[test]
    fn repeated_options_override_like_getopt() {
        let a = connect(&[
            "-u",
            "a",
            "--user=b",
            "--no-dtls",
            "--no-dtls",
            "-m",
            "1",
            "-m2",
            "h",
        ]);
        assert_eq!(a.auth.user.as_deref(), Some("b"));
        assert_eq!(a.mtu, Some(2));
        let a = connect(&["--servercert", "x", "--servercert", "y", "--passwd", "h"]);
        assert_eq!(a.servercert, ["x", "y"], "repeatable options add up");
        assert!(a.auth.passwd_on_stdin, "unique prefix of --passwd-on-stdin");
    }

    #[test]
    fn server_usergroup_and_protocol() {
        let a = connect(&["--server=vpn.example.com", "-g", "sslvpn"]);
        assert_eq!(a.gateway().unwrap(), "vpn.example.com/sslvpn");
        let a = connect(&["-g", "/x/", "https://vpn.example.com/own"]);
        assert_eq!(a.gateway().unwrap(), "https://vpn.example.com/own");
        assert!(Cli::try_parse_from(["oncp", "connect", "--server", "a", "b"]).is_err());
        let e = super::check(&connect(&["-C", "x"]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("no server"), "{e}");
        assert!(super::check(&connect(&["--juniper", "--protocol=anyconnect", "h"])).is_ok());
        let e = super::check(&connect(&["--protocol=gp", "h"]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("not supported"), "{e}");
        let e = super::check(&connect(&["--no-cert-check", "h"]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("--servercert"), "{e}");
    }

    #[test]
    fn config_file_merges_where_it_appears() {
        let path = std::env::temp_dir().join(format!("oncp-connect-cfg-{}", std::process::id()));
        std::fs::write(
            &path,
            "# OpenConnect-style\nprotocol=nc\nuser alice\nservercert pin-sha256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\
             no-dtls\nform-entry frmLogin:realm=Staff Users\nresolve vpn.example.com:192.0.2.7\n",
        )
        .unwrap();
        let cfg = path.to_str().unwrap();
        let a = super::parse_command_line([
            "oncp",
            "connect",
            "-u",
            "early",
            "--config",
            cfg,
            "--servercert",
            "sha1:0011aabb",
            "-u",
            "late",
            "vpn.example.com",
        ])
        .unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(a.auth.user.as_deref(), Some("late"));
        assert_eq!(
            a.servercert,
            [
                "pin-sha256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
                "sha1:0011aabb"
            ]
        );
        let e = super::parse_command_line(["oncp", "connect", "--pass", "h"]).unwrap_err();
        assert!(e.to_string().contains("--pass"), "ambiguous prefix: {e}");
        assert!(a.no_dtls);
        assert_eq!(a.auth.form_entries[0].value, "Staff Users");
        assert_eq!(a.resolve[0].ip, std::net::IpAddr::from([192, 0, 2, 7]));
        assert!(a.config.is_none(), "expanded, not left for later");
    }

    #[test]
    fn resolve_syntax() {
        let r: super::args::Resolve = "vpn.example.com:[2001:db8::1]".parse().unwrap();
        assert_eq!(r.ip, "2001:db8::1".parse::<std::net::IpAddr>().unwrap());
        let r: super::args::Resolve = "h:2001:db8::2".parse().unwrap();
        assert_eq!(r.host, "h");
        assert!("nocolon".parse::<super::args::Resolve>().is_err());
        assert!("h:not-an-ip".parse::<super::args::Resolve>().is_err());
    }

    #[test]
    fn cookie_sources_conflict() {
        let r = Cli::try_parse_from(["oncp", "connect", "-C", "x", "--cookie-on-stdin", "h"]);
        assert!(r.is_err());
    }
}
