//! The driver against a real (loopback) gateway built on core's gateway
//! session: ESP, fallback to TLS, reconnect, logout, rejection.

use crate::client::driver::{Control, Driver, DriverEvent, DriverOptions, RunReport};
use crate::client::netsetup::NetSetup;
use crate::client::outcome::Outcome;
use crate::client::test_gateway::{self, CLIENT_INNER, GATEWAY_INNER, GOOD_DSID, TestGateway};
use crate::runtime::clock::Clock;
use crate::tls::client::{TlsClient, TlsOptions};
use crate::tun::IpSide;
use oncp_core::netpkt::{icmp_echo_request, parse_icmp_echo_reply};
use oncp_core::oncp::session::ClientOptions;
use oncp_core::rng::TestRng;
use oncp_core::time::Duration as CoreDuration;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::timeout;

/// A driver spawned against the loopback test gateway, with the channels a
/// test drives and watches it by.
pub(super) struct Harness {
    /// The gateway and its knobs (block UDP, cut TLS, counters).
    pub(super) gw: TestGateway,
    to_tunnel: mpsc::Sender<Vec<u8>>,
    from_tunnel: mpsc::Receiver<Vec<u8>>,
    events: mpsc::UnboundedReceiver<DriverEvent>,
    /// Sends `Close` / `Detach` to the driver.
    pub(super) control: mpsc::Sender<Control>,
    run: JoinHandle<RunReport>,
}

async fn start(cookie: &str) -> Harness {
    start_with(cookie, NetSetup::None).await
}

async fn start_with(cookie: &str, setup: NetSetup) -> Harness {
    let cookie = oncp_core::oncp::wire::http::normalize_cookie(cookie);
    launch(&cookie, 7, setup).await
}

/// Starts the test gateway (DPD every second) and spawns a driver on it:
/// `cookie` as the session sends it, the session's `TestRng` seeded with
/// `seed`, `setup` for the network configuration.
pub(super) async fn launch(cookie: &str, seed: u64, setup: NetSetup) -> Harness {
    let gw = test_gateway::start(CoreDuration::from_secs(1)).await;
    let tls = TlsClient::new(&TlsOptions {
        pins: vec![gw.pin.parse().unwrap()],
        ..Default::default()
    })
    .unwrap();
    let mut opts = ClientOptions::new("localhost", cookie);
    opts.port = gw.port;
    let clock = Clock::new();
    let session = crate::oncp_adapter::client(opts, Box::new(TestRng::new(seed)), clock.now());
    let (to_tunnel, from_user) = mpsc::channel(64);
    let (to_user, from_tunnel) = mpsc::channel(64);
    let (obs_tx, events) = mpsc::unbounded_channel();
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
            offload: Default::default(),
        },
        IpSide::Channel { from_user, to_user },
        setup,
        Some(obs_tx),
        clock,
    );
    let run = tokio::spawn(driver.run(control_rx));
    Harness {
        gw,
        to_tunnel,
        from_tunnel,
        events,
        control,
        run,
    }
}

impl Harness {
    /// Waits (15 s at most) for an event matching `pred`; panics naming
    /// `what` if the driver ends or time runs out first.
    pub(super) async fn expect(&mut self, what: &str, pred: impl Fn(&DriverEvent) -> bool) {
        let wait = async {
            while let Some(ev) = self.events.recv().await {
                if pred(&ev) {
                    return;
                }
            }
            panic!("driver ended while waiting for {what}");
        };
        timeout(Duration::from_secs(15), wait)
            .await
            .unwrap_or_else(|_| panic!("timed out waiting for {what}"));
    }

    /// Waits (15 s at most) for the driver to end and returns its report.
    pub(super) async fn report(&mut self) -> RunReport {
        timeout(Duration::from_secs(15), &mut self.run)
            .await
            .unwrap()
            .unwrap()
    }

    /// Pings the gateway through the tunnel until one answer comes back.
    async fn ping(&mut self, seq: u16) {
        let attempt = async {
            loop {
                let req = icmp_echo_request(CLIENT_INNER, GATEWAY_INNER, 0x4242, seq, b"oncp");
                self.to_tunnel.send(req).await.unwrap();
                let deadline = tokio::time::Instant::now() + Duration::from_millis(300);
                while let Ok(Some(p)) =
                    tokio::time::timeout_at(deadline, self.from_tunnel.recv()).await
                {
                    if parse_icmp_echo_reply(&p) == Some((0x4242, seq, &b"oncp"[..])) {
                        return;
                    }
                }
            }
        };
        timeout(Duration::from_secs(10), attempt)
            .await
            .unwrap_or_else(|_| panic!("no echo reply for seq {seq}"));
    }
}

#[tokio::test]
async fn esp_fallback_reconnect_and_logout() {
    let mut h = start(GOOD_DSID).await;
    h.expect("configuration", |e| {
        matches!(e, DriverEvent::Configured { first: true, .. })
    })
    .await;
    h.expect("ESP up", |e| *e == DriverEvent::EspUp).await;
    h.ping(1).await;
    assert!(
        h.gw.knobs.esp_in.load(Ordering::SeqCst) >= 1,
        "the echo went over ESP"
    );

    // UDP blocked: ESP is declared dead and data moves to TLS.
    h.gw.knobs.block_udp.store(true, Ordering::SeqCst);
    h.expect("ESP down", |e| matches!(e, DriverEvent::EspDown(_)))
        .await;
    let esp_before = h.gw.knobs.esp_in.load(Ordering::SeqCst);
    h.ping(2).await;
    assert_eq!(
        h.gw.knobs.esp_in.load(Ordering::SeqCst),
        esp_before,
        "ping 2 went over TLS"
    );

    // UDP back: the session probes again and returns to ESP.
    h.gw.knobs.block_udp.store(false, Ordering::SeqCst);
    h.expect("ESP up again", |e| *e == DriverEvent::EspUp).await;

    // TLS cut: the driver reconnects with the same cookie.
    h.gw.knobs.cut_tls.notify_one();
    h.expect("reconnecting", |e| *e == DriverEvent::Reconnecting)
        .await;
    h.expect("reconfigured", |e| {
        matches!(e, DriverEvent::Configured { first: false, .. })
    })
    .await;
    h.ping(3).await;
    assert_eq!(h.gw.knobs.tunnels.load(Ordering::SeqCst), 2);

    h.control.send(Control::Close).await.unwrap();
    let report = h.report().await;
    assert_eq!(report.outcome, Outcome::Closed);
    assert_eq!(h.gw.knobs.logouts.load(Ordering::SeqCst), 1);
    assert!(report.stats.esp_packets_out >= 1 && report.stats.tls_packets_out >= 1);
}

#[tokio::test]
async fn rejected_cookie_ends_with_status_2_and_no_logout() {
    let mut h = start("DSID=wrong").await;
    let report = h.report().await;
    assert!(
        matches!(report.outcome, Outcome::CookieRejected(_)),
        "{:?}",
        report.outcome
    );
    assert_eq!(report.outcome.exit_code(), 2);
    assert_eq!(h.gw.knobs.logouts.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn detach_skips_the_logout() {
    let mut h = start(GOOD_DSID).await;
    h.expect("configuration", |e| {
        matches!(e, DriverEvent::Configured { .. })
    })
    .await;
    h.control.send(Control::Detach).await.unwrap();
    let report = h.report().await;
    assert_eq!(report.outcome, Outcome::Detached);
    assert_eq!(h.gw.knobs.logouts.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn vpnc_script_sees_connect_attempt_reconnect_reconnect_disconnect() {
    let dir = std::env::temp_dir().join(format!("oncp-driver-script-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("reasons");
    let script = dir.join("script.sh");
    std::fs::write(
        &script,
        format!(
            "echo \"$reason $INTERNAL_IP4_ADDRESS $VPNGATEWAY\" >> {}\n",
            log.display()
        ),
    )
    .unwrap();
    let setup = NetSetup::Script {
        path: format!("sh {}", script.display()).into(),
        log_level: 1,
    };
    let mut h = start_with(GOOD_DSID, setup).await;
    h.expect("configuration", |e| {
        matches!(e, DriverEvent::Configured { first: true, .. })
    })
    .await;
    h.gw.knobs.cut_tls.notify_one();
    h.expect("reconfigured", |e| {
        matches!(e, DriverEvent::Configured { first: false, .. })
    })
    .await;
    h.control.send(Control::Close).await.unwrap();
    let report = h.report().await;
    assert_eq!(report.outcome, Outcome::Closed);
    let reasons = std::fs::read_to_string(&log).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(
        reasons,
        "connect 10.77.0.2 127.0.0.1\nattempt-reconnect 10.77.0.2 127.0.0.1\nreconnect 10.77.0.2 127.0.0.1\ndisconnect 10.77.0.2 127.0.0.1\n"
    );
}
