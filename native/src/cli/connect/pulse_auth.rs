//! `--authenticate` and `--cookieonly` with `--protocol=pulse`: the IF-T
//! sign-in on a tunnel connection (answered from the command line or the
//! terminal, as for a tunnel), ended as soon as the gateway gives the DSID
//! — no configuration, no TUN device, no logout, so the cookie stays valid
//! for `-C`. The DSID is printed bare, as OpenConnect 9.01 prints a Pulse
//! cookie.

use super::args::ConnectArgs;
use super::login_hook;
use super::settings::tls_options;
use crate::client::driver::{Driver, DriverOptions};
use crate::client::login_answers::{CommandLineAnswers, TerminalAsk};
use crate::client::netsetup::NetSetup;
use crate::client::target::Target;
use crate::runtime::clock::Clock;
use crate::runtime::os_rng::BufferedOsRng;
use crate::tls::client::TlsClient;
use crate::tun::IpSide;
use std::time::Duration;
use tokio::sync::mpsc;

/// Signs in over IF-T and prints the result; the exit status.
pub async fn run(args: &ConnectArgs) -> anyhow::Result<u8> {
    if args.cookie.is_some() || args.cookie_on_stdin {
        anyhow::bail!("--authenticate/--cookieonly need a login, not a cookie");
    }
    let target: Target = args.gateway()?.parse()?;
    let (opts, answers) = {
        let mut stdin = std::io::stdin().lock();
        let o = super::pulse_options(args, &target, &mut stdin)?;
        (o, login_hook::answers(&args.auth, &mut stdin)?)
    };
    let tls = TlsClient::new(&tls_options(args)?)?;
    let clock = Clock::new();
    let session = crate::pulse_adapter::client(opts, Box::new(BufferedOsRng::new()), clock.now());
    // Nothing is sent through the tunnel; the ends stay open so the
    // driver does not take a closed IP side for the end of the session.
    let (_to_tunnel, from_user) = mpsc::channel(1);
    let (to_user, _from_tunnel) = mpsc::channel(1);
    let (_control, control_rx) = mpsc::channel(1);
    let driver = Driver::new(
        session,
        tls.clone(),
        DriverOptions {
            host: target.host.clone(),
            port: target.port,
            mtu: None,
            reconnect_timeout: Duration::from_secs(args.reconnect_timeout),
            status_every: None,
            // --authenticate stops at the sign-in: no ESP is opened.
            offload: Default::default(),
        },
        IpSide::Channel { from_user, to_user },
        NetSetup::None,
        None,
        clock,
    )
    .with_login_answerer(Box::new(CommandLineAnswers::new(answers, TerminalAsk)))
    .stopping_after_sign_in();
    let report = driver.run(control_rx).await;
    let Some(cookie) = report.cookie else {
        tracing::error!("{}", report.outcome.message());
        return Ok(report.outcome.exit_code().max(1));
    };
    if args.authenticate {
        let start = crate::auth::start_url(&args.gateway()?)?;
        login_hook::print_authenticate(cookie.expose(), &start, &tls).await;
    } else {
        println!("{}", cookie.expose());
    }
    Ok(0)
}
