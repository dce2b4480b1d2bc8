//! Nothing secret reaches the log below the most verbose level: a whole
//! session (configuration, ESP, a reconnect, the logout) against the
//! loopback test gateway, logged at `debug`, never shows the DSID.

use crate::client::clock::Clock;
use crate::client::driver::{Control, Driver, DriverEvent, DriverOptions};
use crate::client::netsetup::NetSetup;
use crate::client::outcome::Outcome;
use crate::client::test_gateway::{self, GOOD_DSID};
use crate::tls::client::{TlsClient, TlsOptions};
use crate::tun::IpSide;
use oncp_core::rng::TestRng;
use oncp_core::session::{ClientOptions, ClientSession};
use oncp_core::time::Duration as CoreDuration;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::timeout;
use tracing_subscriber::fmt::MakeWriter;

/// A log sink shared with the test.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// Runs one session with the cookie `-C <cookie>` and returns its log at
/// `level` (every crate, current-thread runtime so every task logs here).
async fn session_log(cookie: &str, level: tracing::Level) -> String {
    let sink = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(sink.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let gw = test_gateway::start(CoreDuration::from_secs(1)).await;
    let tls = TlsClient::new(&TlsOptions {
        pins: vec![gw.pin.parse().unwrap()],
        ..Default::default()
    })
    .unwrap();
    let mut stdin: &[u8] = b"";
    let cookie = crate::client::cookie::obtain(Some(cookie), false, &mut stdin).unwrap();
    let mut opts = ClientOptions::new("localhost", &cookie);
    opts.port = gw.port;
    let clock = Clock::new();
    let session = ClientSession::new(opts, Box::new(TestRng::new(9)), clock.now());
    let (_to_tunnel, from_user) = mpsc::channel(8);
    let (to_user, _from_tunnel) = mpsc::channel(8);
    let (obs_tx, mut events) = mpsc::unbounded_channel();
    let (control, control_rx) = mpsc::channel(4);
    let driver = Driver::new(
        session,
        tls,
        DriverOptions {
            host: "localhost".into(),
            port: gw.port,
            mtu: None,
            reconnect_timeout: Duration::from_secs(20),
            status_every: None,
        },
        IpSide::Channel { from_user, to_user },
        NetSetup::None,
        Some(obs_tx),
        clock,
    );
    let run = tokio::spawn(driver.run(control_rx));
    let mut expect = async |what: &str, pred: &dyn Fn(&DriverEvent) -> bool| {
        let wait = async {
            while let Some(ev) = events.recv().await {
                if pred(&ev) {
                    return;
                }
            }
            panic!("driver ended while waiting for {what}");
        };
        timeout(Duration::from_secs(15), wait)
            .await
            .unwrap_or_else(|_| panic!("timed out waiting for {what}"));
    };
    expect("ESP up", &|e| *e == DriverEvent::EspUp).await;
    gw.knobs.cut_tls.notify_one();
    expect("reconfigured", &|e| {
        matches!(e, DriverEvent::Configured { first: false, .. })
    })
    .await;
    control.send(Control::Close).await.unwrap();
    let report = timeout(Duration::from_secs(15), run)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report.outcome, Outcome::Closed);
    sink.text()
}

#[tokio::test]
async fn dsid_is_not_logged_at_debug() {
    // A bare value on the command line is the DSID (spec §2.1).
    let log = session_log(GOOD_DSID, tracing::Level::DEBUG).await;
    // The capture works: the session's own messages are there.
    assert!(log.contains("reconnected to localhost"), "{log}");
    assert!(log.contains("DEBUG"), "{log}");
    assert!(!log.contains(GOOD_DSID), "the DSID is in the log:\n{log}");
}
