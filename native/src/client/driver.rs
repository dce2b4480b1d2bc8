//! The tokio loop around a client tunnel session (any protocol's
//! [`ClientTunnel`]): TLS, the ESP UDP socket, the IP side, timers,
//! reconnects and user control. No protocol decisions are made here —
//! every byte in and out goes through the session, and its outputs are
//! drained in one place ([`Driver::flush`]).

use crate::client::backoff::Backoff;
use crate::client::logout::logout;
use crate::client::netsetup::{NetSetup, SetupContext};
use crate::client::outcome::Outcome;
use crate::client::packet_capture::{PacketCapture, PacketDirection};
use crate::client::report::{describe_config, status_line};
use crate::esp_batch::{EspSocket, Offload, RecvBatch, SendBatch};
use crate::runtime::clock::Clock;
use crate::tls::client::TlsClient;
use crate::tun::IpSide;
use oncp_core::tunnel::{
    ClientEvent, ClientTunnel, DisconnectReason, LoginPrompt, LoginReply, Output, SessionCookie,
    SessionStats, Transport, TunnelConfig,
};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

/// Default tunnel MTU when neither `--mtu` nor the gateway gives one.
pub const DEFAULT_MTU: u32 = 1400;
/// Largest TLS read or UDP datagram handled at once.
const BUF: usize = 65_536;
/// Chunks of TLS output queued for the writer task.
const WRITE_QUEUE: usize = 256;
/// Free queue slots below which IP packets are left in the TUN queue.
const WRITE_HEADROOM: usize = 32;
/// Packets taken from the TUN device (or datagrams from the ESP socket)
/// per wake-up, when that many are already queued, instead of one
/// `select!` round (re-arming every timer and socket) per packet. With the
/// buffered random generator this took the client from 1.38× to about 1.1×
/// OpenConnect's CPU time per byte under iperf3 (`scripts/bench-throughput`,
/// "CPU s" column). The session's outputs are flushed after each batch, so
/// a batch adds no latency beyond its own processing time.
const BATCH: usize = 32;
/// Datagrams handed to the session in one call: as many as it verifies
/// with one call of the 16-lane SHA-1.
const OPEN_BATCH: usize = oncp_core::esp::SHA1_LANES;
/// Packets (segments of TUN super-packets included) handed to the session
/// per wake-up at most. With TUN offloads one read can hold about 45
/// segments, so `BATCH` reads could queue some 1 400 sealed datagrams
/// (about 2 MB of heap, heaptrack under `scripts/bench-throughput`) before
/// the flush; this keeps the queue to a few reads.
const MAX_SEGMENTS_PER_WAKE: usize = 64;
/// How long the writer may take to flush after the connection ends.
const WRITER_DRAIN: Duration = Duration::from_secs(2);
/// Longest a connection attempt (TCP connect and TLS handshake) may take.
/// Without it a gateway that vanished silently (SYNs unanswered) holds
/// each attempt for the kernel's SYN retries (about two minutes), far
/// beyond `--reconnect-timeout`.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// Shortest time given to a reconnect attempt near the end of the budget.
const MIN_ATTEMPT: Duration = Duration::from_secs(2);

/// What the user (signals) or the embedding program asks of the driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// End the session and log out.
    Close,
    /// Leave without logging out (the cookie stays valid).
    Detach,
}

/// What the driver reports to an observer (the demo).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DriverEvent {
    /// The gateway's configuration is in force (`first`: not a reconnect).
    Configured {
        /// The configuration.
        config: Box<TunnelConfig>,
        /// The MTU in use.
        mtu: u32,
        /// First configuration of the run.
        first: bool,
    },
    /// ESP carries data now.
    EspUp,
    /// ESP stopped; data goes over TLS.
    EspDown(String),
    /// The TLS connection was lost; reconnecting.
    Reconnecting,
}

/// Fixed settings of a run.
#[derive(Debug, Clone)]
pub struct DriverOptions {
    /// Gateway host (TLS server name).
    pub host: String,
    /// Gateway TCP port.
    pub port: u16,
    /// `--mtu`: overrides the gateway's MTU for the device.
    pub mtu: Option<u32>,
    /// `--reconnect-timeout`.
    pub reconnect_timeout: Duration,
    /// Log a status line this often (at debug level).
    pub status_every: Option<Duration>,
    /// Whether ESP uses the kernel's UDP offloads (`--no-offload`).
    pub offload: Offload,
}

/// The result of a run.
#[derive(Debug, Clone)]
pub struct RunReport {
    /// Why it ended.
    pub outcome: Outcome,
    /// The session's counters at the end.
    pub stats: SessionStats,
    /// The cookie of a sign-in on the tunnel connection, when the driver
    /// was to stop there ([`Driver::stopping_after_sign_in`]).
    pub cookie: Option<SessionCookie>,
}

/// A session the gateway refused at the protocol's first answer
/// ([`Driver::run_or_refused`]).
#[derive(Debug)]
pub struct Refused {
    /// The status the gateway answered with (8: oNCP disabled).
    pub status: u8,
    /// The driver, ready for [`Driver::with_session`].
    pub driver: Box<Driver>,
}

/// How one TLS connection ended.
enum ConnEnd {
    /// Lost: reconnect.
    Lost,
    /// Over.
    Done(Outcome),
}

/// Answers the questions of a sign-in held on the tunnel connection
/// (Pulse): from the command line, or by asking on the terminal.
pub trait LoginAnswerer {
    /// The reply to `prompt` ([`LoginReply::Cancel`] with a sentence
    /// naming the missing option when there is none).
    fn answer(&mut self, prompt: &LoginPrompt) -> LoginReply;
}

/// The ESP socket, connected to the gateway's ESP port.
#[derive(Debug)]
struct GatewayUdp {
    socket: EspSocket,
    peer: SocketAddr,
}

/// The client driver.
pub struct Driver {
    session: Box<dyn ClientTunnel + Send>,
    /// The buffer the session's outputs are swapped into.
    out_buf: Vec<u8>,
    tls: TlsClient,
    opts: DriverOptions,
    ip: IpSide,
    ip_open: bool,
    setup: NetSetup,
    observer: Option<mpsc::UnboundedSender<DriverEvent>>,
    clock: Clock,
    udp: Option<GatewayUdp>,
    /// ESP datagrams waiting for one GSO send (flushed after each drain).
    udp_out: SendBatch,
    gateway_ip: Option<IpAddr>,
    values: Option<TunnelConfig>,
    configured_once: bool,
    backoff: Option<Backoff>,
    /// When the TLS connection was lost, while reconnecting.
    outage_started: Option<tokio::time::Instant>,
    /// Why the driver itself ended the session, if it did.
    local_failure: Option<String>,
    /// `--pcap`: where the tunnel's inner packets are recorded.
    capture: Option<PacketCapture>,
    /// Answers sign-in questions (sessions that sign in on the tunnel).
    answerer: Option<Box<dyn LoginAnswerer + Send>>,
    /// End at the sign-in's cookie (`--authenticate`), without a logout.
    stop_after_sign_in: bool,
    /// That cookie.
    signed_in: Option<SessionCookie>,
}

impl std::fmt::Debug for Driver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Driver")
            .field("transport", &self.session.transport())
            .field("closed", &self.session.is_closed())
            .finish_non_exhaustive()
    }
}

/// Writes the session's TLS output in order (one write per chunk, so one
/// oNCP record per TLS record during setup) and flushes whenever the queue
/// runs dry; each chunk is wiped once written. Runs beside the reader so
/// neither direction can block the other; ends (dropping the queue) on the
/// first write error.
async fn tls_writer<W: AsyncWrite + Unpin>(mut wr: W, mut rx: mpsc::Receiver<Vec<u8>>) {
    while let Some(mut chunk) = rx.recv().await {
        let written = wr.write_all(&chunk).await;
        // TLS output can carry the cookie (the tunnel request) and ESP
        // keys: wiped once written, like every other copy.
        zeroize::Zeroize::zeroize(&mut chunk);
        if let Err(e) = written {
            tracing::debug!("TLS write: {e}");
            return;
        }
        if rx.is_empty()
            && let Err(e) = wr.flush().await
        {
            tracing::debug!("TLS flush: {e}");
            return;
        }
    }
    let _ = wr.shutdown().await;
}

async fn udp_recv(sock: Option<&EspSocket>, batch: &mut RecvBatch) -> std::io::Result<()> {
    match sock {
        Some(s) => s.recv(batch).await,
        None => std::future::pending().await,
    }
}

/// Polls `fut` once, without waiting: its output if it is ready now.
/// Used to take more packets that are already queued (a socket or TUN read
/// that would block returns `None`; both reads are cancel-safe, so dropping
/// the pending future loses nothing). The next `select!` polls the source
/// again with the task's own waker, so no wake-up is lost either.
fn poll_once<F: std::future::Future>(fut: F) -> Option<F::Output> {
    let fut = std::pin::pin!(fut);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match fut.poll(&mut cx) {
        std::task::Poll::Ready(v) => Some(v),
        std::task::Poll::Pending => None,
    }
}

async fn tick(interval: Option<&mut tokio::time::Interval>) {
    match interval {
        Some(i) => {
            i.tick().await;
        }
        None => std::future::pending().await,
    }
}

impl Driver {
    /// A driver for `session` (freshly made: its first output is what
    /// opens the tunnel on a new TLS connection).
    pub fn new(
        session: Box<dyn ClientTunnel + Send>,
        tls: TlsClient,
        opts: DriverOptions,
        ip: IpSide,
        setup: NetSetup,
        observer: Option<mpsc::UnboundedSender<DriverEvent>>,
        clock: Clock,
    ) -> Driver {
        Driver {
            session,
            out_buf: Vec::new(),
            tls,
            opts,
            ip,
            ip_open: true,
            setup,
            observer,
            clock,
            udp: None,
            udp_out: SendBatch::default(),
            gateway_ip: None,
            values: None,
            configured_once: false,
            backoff: None,
            outage_started: None,
            local_failure: None,
            capture: None,
            answerer: None,
            stop_after_sign_in: false,
            signed_in: None,
        }
    }

    /// Ends the run as soon as a sign-in on the tunnel connection gives a
    /// cookie (`--authenticate`): no configuration, no logout (the cookie
    /// stays valid), the cookie in [`RunReport::cookie`].
    pub fn stopping_after_sign_in(mut self) -> Driver {
        self.stop_after_sign_in = true;
        self
    }

    /// Answers the session's sign-in questions with `answerer`.
    pub fn with_login_answerer(mut self, answerer: Box<dyn LoginAnswerer + Send>) -> Driver {
        self.answerer = Some(answerer);
        self
    }

    /// Records every IP packet through the tunnel, both ways, in `capture`.
    pub fn with_packet_capture(mut self, capture: PacketCapture) -> Driver {
        self.capture = Some(capture);
        self
    }

    fn notify(&self, ev: DriverEvent) {
        if let Some(o) = &self.observer {
            let _ = o.send(ev);
        }
    }

    fn mtu(&self) -> u32 {
        self.opts
            .mtu
            .or(self.values.as_ref().and_then(|v| v.mtu))
            .unwrap_or(DEFAULT_MTU)
    }

    /// The network setup and what it needs to know, borrowed together.
    fn setup_and_context(&mut self) -> (&mut NetSetup, SetupContext<'_>) {
        let mtu = self.mtu();
        let ctx = SetupContext {
            gateway: self.gateway_ip.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
            tundev: self.ip.device_name().unwrap_or(""),
            config: self.values.as_ref(),
            mtu,
        };
        (&mut self.setup, ctx)
    }

    /// Runs until the session ends, then undoes the network setup and
    /// (when appropriate) sends the logout request.
    pub async fn run(mut self, mut control: mpsc::Receiver<Control>) -> RunReport {
        let outcome = self.connect_loop(&mut control).await;
        self.finish(outcome).await
    }

    /// Runs like [`Driver::run`], except when the gateway refuses the
    /// session's protocol before any configuration (a status other than 0
    /// after the oNCP hostname packet, spec oncp.md §2.4): then nothing
    /// was set up and no logout is sent (the cookie stays valid), and the
    /// driver comes back, for [`Driver::with_session`] and another
    /// protocol on the same device.
    pub async fn run_or_refused(
        mut self,
        control: &mut mpsc::Receiver<Control>,
    ) -> Result<RunReport, Refused> {
        let outcome = self.connect_loop(control).await;
        match outcome {
            Outcome::Ended(DisconnectReason::BadStatus(status)) if !self.configured_once => {
                Err(Refused {
                    status,
                    driver: Box::new(self),
                })
            }
            other => Ok(self.finish(other).await),
        }
    }

    /// The same driver (TLS settings, device, network setup, observer)
    /// around a fresh `session`, as after [`Driver::new`].
    pub fn with_session(mut self, session: Box<dyn ClientTunnel + Send>) -> Driver {
        self.session = session;
        self.ip_open = true;
        self.udp = None;
        self.gateway_ip = None;
        self.values = None;
        self.configured_once = false;
        self.backoff = None;
        self.outage_started = None;
        self.local_failure = None;
        self
    }

    /// Undoes the network setup and sends the logout when `outcome` calls
    /// for it.
    async fn finish(mut self, outcome: Outcome) -> RunReport {
        if let Some(o) = self.ip.offload_stats() {
            tracing::info!("{o}");
        }
        if self.configured_once {
            let (setup, ctx) = self.setup_and_context();
            if let Err(e) = setup.disconnect(&ctx).await {
                tracing::warn!("{e}");
            }
        }
        // It carries the cookie: wiped when dropped.
        let req = zeroize::Zeroizing::new(self.session.logout_request());
        if outcome.needs_logout() && !req.is_empty() {
            let limit = outcome.logout_time_limit();
            match logout(&self.tls, &self.opts.host, self.opts.port, &req, limit).await {
                Ok(status) => tracing::info!("logged out (HTTP {status})"),
                Err(e) => tracing::warn!("{e}"),
            }
        }
        RunReport {
            outcome,
            stats: self.session.stats(),
            cookie: self.signed_in.take(),
        }
    }

    async fn connect_loop(&mut self, control: &mut mpsc::Receiver<Control>) -> Outcome {
        let mut first = true;
        loop {
            // While reconnecting, the outage as a whole (waits and
            // attempts) is bounded by --reconnect-timeout.
            let attempt_limit = match self.outage_started {
                Some(t) => CONNECT_TIMEOUT.min(
                    self.opts
                        .reconnect_timeout
                        .saturating_sub(t.elapsed())
                        .max(MIN_ATTEMPT),
                ),
                None => CONNECT_TIMEOUT,
            };
            let attempt = tokio::time::timeout(
                attempt_limit,
                self.tls.connect(&self.opts.host, self.opts.port),
            )
            .await
            .unwrap_or_else(|_| {
                Err(crate::tls::client::TlsConnectError::Timeout {
                    addr: format!("{}:{}", self.opts.host, self.opts.port),
                    secs: attempt_limit.as_secs(),
                })
            });
            match attempt {
                Ok(stream) => {
                    self.gateway_ip = stream.peer_addr().ok().map(|a| a.ip());
                    if first {
                        tracing::info!("connected to {}:{}", self.opts.host, self.opts.port);
                    } else {
                        tracing::info!("reconnected to {}:{}", self.opts.host, self.opts.port);
                        self.session.reconnect(self.clock.now());
                    }
                    first = false;
                    let (mut rd, wr) = tokio::io::split(stream);
                    let (tx, rx) = mpsc::channel(WRITE_QUEUE);
                    let writer = tokio::spawn(tls_writer(wr, rx));
                    let end = self.pump(&mut rd, &tx, control).await;
                    drop(tx);
                    let _ = tokio::time::timeout(WRITER_DRAIN, writer).await;
                    match end {
                        ConnEnd::Done(o) => return o,
                        ConnEnd::Lost => {
                            tracing::warn!("TLS connection to the gateway lost; reconnecting");
                            // A reconnect that connected but then failed
                            // (e.g. a silent setup) continues the outage.
                            self.outage_started
                                .get_or_insert_with(tokio::time::Instant::now);
                            self.notify(DriverEvent::Reconnecting);
                            self.udp = None;
                            let (setup, ctx) = self.setup_and_context();
                            if let Err(e) = setup.attempt_reconnect(&ctx).await {
                                tracing::warn!("{e}");
                            }
                        }
                    }
                }
                Err(e) if first => {
                    self.session.close(self.clock.now());
                    return Outcome::ConnectFailed(e.to_string());
                }
                Err(e) => tracing::warn!("reconnect failed: {e}"),
            }
            let limit = self.opts.reconnect_timeout;
            let delay = self
                .backoff
                .get_or_insert_with(|| Backoff::new(limit))
                .next_delay();
            let left = self
                .outage_started
                .map(|t| self.opts.reconnect_timeout.saturating_sub(t.elapsed()));
            let Some(delay) = delay.filter(|_| left != Some(Duration::ZERO)) else {
                self.session.close(self.clock.now());
                return Outcome::ReconnectFailed;
            };
            let delay = left.map_or(delay, |l| delay.min(l));
            tracing::info!("reconnecting in {} s", delay.as_secs_f32());
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                c = control.recv() => {
                    self.session.close(self.clock.now());
                    return match c {
                        Some(Control::Detach) => Outcome::Detached,
                        _ => Outcome::Closed,
                    };
                }
            }
        }
    }

    async fn pump<R>(
        &mut self,
        rd: &mut R,
        tx: &mpsc::Sender<Vec<u8>>,
        control: &mut mpsc::Receiver<Control>,
    ) -> ConnEnd
    where
        R: AsyncRead + Unpin,
    {
        let mut tls_buf = vec![0u8; BUF];
        let mut udp_in = RecvBatch::new();
        let mut ip_buf = Vec::with_capacity(BUF);
        let mut status = self.opts.status_every.map(|every| {
            let mut i = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
            i.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            i
        });
        loop {
            if let Some(end) = self.flush(tx).await {
                return end;
            }
            let deadline = self.session.poll_timeout();
            // Back-pressure: while the TLS writer is congested, leave IP
            // packets in the TUN queue instead of piling them up here.
            let congested = tx.capacity() < WRITE_HEADROOM;
            let ip_ready = self.ip_open && self.values.is_some() && !congested;
            tokio::select! {
                r = rd.read(&mut tls_buf) => {
                    let now = self.clock.now();
                    match r {
                        Ok(0) => self.session.handle_tls_closed(now),
                        Ok(n) => self.session.handle_tls(now, &tls_buf[..n]),
                        Err(e) => {
                            tracing::debug!("TLS read: {e}");
                            self.session.handle_tls_closed(now);
                        }
                    }
                }
                r = udp_recv(self.udp.as_ref().map(|u| &u.socket), &mut udp_in) => {
                    // Take what else the socket already holds before the
                    // next round of select! (see `BATCH`); one receive
                    // may hold several datagrams (recvmmsg, GRO).
                    let mut r = Some(r);
                    let mut taken = 0;
                    while let Some(res) = r.take() {
                        match res {
                            Ok(()) => {
                                let now = self.clock.now();
                                // Handed over 16 at a time, so the session
                                // verifies them together (SHA-1 lanes).
                                let mut batch: [&[u8]; OPEN_BATCH] = [&[]; OPEN_BATCH];
                                let mut k = 0;
                                for (d, _) in udp_in.datagrams() {
                                    batch[k] = d;
                                    k += 1;
                                    if k == OPEN_BATCH {
                                        self.session.handle_udp_batch(now, &batch);
                                        k = 0;
                                    }
                                    taken += 1;
                                }
                                if k > 0 {
                                    self.session.handle_udp_batch(now, &batch[..k]);
                                }
                            }
                            // ICMP errors surface here on a connected socket;
                            // ESP's own dead-peer detection decides what they mean.
                            Err(e) => tracing::trace!("UDP receive: {e}"),
                        }
                        if taken < BATCH {
                            r = self.udp.as_ref().and_then(|u| u.socket.try_recv(&mut udp_in));
                        }
                    }
                }
                r = self.ip.recv(&mut ip_buf), if ip_ready => {
                    let mut r = r;
                    let mut segments = 0;
                    for _ in 0..BATCH {
                        if !self.on_ip_read(r, &mut ip_buf, &mut segments)
                            || tx.capacity() < WRITE_HEADROOM
                            || segments >= MAX_SEGMENTS_PER_WAKE
                        {
                            break;
                        }
                        match poll_once(self.ip.recv(&mut ip_buf)) {
                            Some(next) => r = next,
                            None => break,
                        }
                    }
                }
                _ = self.clock.sleep_until(deadline) => self.session.handle_timeout(self.clock.now()),
                _ = tx.reserve_many(WRITE_HEADROOM), if congested => {}
                c = control.recv() => match c {
                    Some(Control::Detach) => return ConnEnd::Done(Outcome::Detached),
                    Some(Control::Close) | None => self.session.close(self.clock.now()),
                },
                _ = tick(status.as_mut()) => {
                    tracing::debug!("{}", status_line(self.session.transport(), &self.session.stats()));
                    if let Some(o) = self.ip.offload_stats() {
                        tracing::debug!("{o}");
                    }
                }
            }
        }
    }

    /// Hands a read from the IP side to the session, counting its packets
    /// into `segments`; false when the IP side is closed or broken (reading
    /// more would be pointless).
    fn on_ip_read(
        &mut self,
        r: std::io::Result<Option<usize>>,
        buf: &mut [u8],
        segments: &mut usize,
    ) -> bool {
        match r {
            Ok(Some(n)) => {
                let now = self.clock.now();
                let (session, capture) = (&mut self.session, &mut self.capture);
                // One read may be a super-packet: each segment goes to the
                // session as a packet of its own.
                self.ip.packets(&mut buf[..n], |p| {
                    if let Some(c) = capture {
                        c.record(PacketDirection::Outbound, p);
                    }
                    session.send_ip(now, p);
                    *segments += 1;
                });
                true
            }
            Ok(None) => {
                self.ip_open = false;
                self.session.close(self.clock.now());
                false
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => true,
            Err(e) => {
                // The device is gone or broken: end the session rather than
                // spin on the error.
                self.ip_open = false;
                self.local_failure = Some(format!("reading the TUN device: {e}"));
                self.session.close(self.clock.now());
                false
            }
        }
    }

    /// Drains the session's outputs, in the order it gives them; returns
    /// how the connection ended if the session says so (TLS output after
    /// that is dropped: the connection is going away).
    async fn flush(&mut self, tx: &mpsc::Sender<Vec<u8>>) -> Option<ConnEnd> {
        let mut end = None;
        while let Some(out) = self.session.poll_output(&mut self.out_buf) {
            match out {
                Output::Event(ev) => {
                    if let Some(e) = self.on_event(ev).await {
                        end = Some(e);
                    }
                }
                // After the end only the session's goodbye (an in-band
                // logout when the user closed) still goes out.
                Output::Tls if end.is_some() && !self.session.is_closed() => {}
                Output::Tls => {
                    let chunk = std::mem::take(&mut self.out_buf);
                    if tx.send(chunk).await.is_err() {
                        // The writer stopped: the connection is gone.
                        self.session.handle_tls_closed(self.clock.now());
                    }
                }
                Output::Udp => {
                    if let Some(s) = &self.udp
                        && let Err(e) = s
                            .socket
                            .queue(&mut self.udp_out, s.peer, &self.out_buf)
                            .await
                    {
                        tracing::trace!("UDP send: {e}");
                    }
                }
                Output::Ip => {
                    if let Some(c) = &mut self.capture {
                        c.record(PacketDirection::Inbound, &self.out_buf);
                    }
                    if let Err(e) = self.ip.send(&self.out_buf).await {
                        tracing::debug!("writing to the TUN device: {e}");
                    }
                }
            }
        }
        if let Some(s) = &self.udp
            && let Err(e) = s.socket.flush(&mut self.udp_out).await
        {
            tracing::trace!("UDP send: {e}");
        }
        if let Err(e) = self.ip.flush().await {
            tracing::debug!("writing to the TUN device: {e}");
        }
        end
    }

    async fn on_event(&mut self, ev: ClientEvent) -> Option<ConnEnd> {
        match ev {
            ClientEvent::Configured(cfg) => {
                let first = !self.configured_once;
                for why in &cfg.unusable {
                    tracing::warn!("{why}");
                }
                for x in &cfg.extra {
                    tracing::debug!("gateway attribute {}: {}", x.name, x.value);
                }
                self.values = Some((*cfg).clone());
                self.backoff = None;
                self.outage_started = None;
                if let Err(e) = self.open_udp().await {
                    tracing::warn!("ESP disabled: cannot open a UDP socket: {e}");
                }
                let mtu = self.mtu();
                if first {
                    for line in describe_config(&cfg, Some(mtu)) {
                        tracing::info!("{line}");
                    }
                }
                let (setup, ctx) = self.setup_and_context();
                let r = setup.connected(first, &ctx).await;
                self.configured_once = true;
                if let Err(e) = r {
                    self.session.close(self.clock.now());
                    return Some(ConnEnd::Done(Outcome::SetupFailed(e.to_string())));
                }
                self.notify(DriverEvent::Configured {
                    config: cfg,
                    mtu,
                    first,
                });
                None
            }
            ClientEvent::EspUp => {
                tracing::info!("ESP session established; data now over ESP");
                self.notify(DriverEvent::EspUp);
                None
            }
            ClientEvent::EspDown(r) => {
                tracing::info!("ESP stopped ({r:?}); data now over TLS");
                self.notify(DriverEvent::EspDown(format!("{r:?}")));
                None
            }
            ClientEvent::LoginPrompt(p) => {
                let reply = match self.answerer.as_mut() {
                    Some(a) => a.answer(&p),
                    None => LoginReply::Cancel(
                        "the gateway asks a sign-in question and nothing can answer it".into(),
                    ),
                };
                self.session.answer_login(self.clock.now(), reply);
                None
            }
            ClientEvent::SignedIn(cookie) => {
                tracing::info!("signed in on the tunnel connection");
                if self.stop_after_sign_in {
                    self.signed_in = Some(cookie);
                    return Some(ConnEnd::Done(Outcome::Detached));
                }
                None
            }
            ClientEvent::Rekeyed => {
                tracing::debug!("ESP rekeyed");
                None
            }
            ClientEvent::ReconnectNeeded => Some(ConnEnd::Lost),
            ClientEvent::Disconnected(r) => Some(ConnEnd::Done(match self.local_failure.take() {
                Some(why) => Outcome::LocalFailure(why),
                None => Outcome::from_disconnect(r),
            })),
        }
    }

    /// A UDP socket connected to the gateway's ESP port, if the session
    /// has one to use.
    async fn open_udp(&mut self) -> std::io::Result<()> {
        self.udp = None;
        self.udp_out = SendBatch::default();
        let (Some(port), Some(ip)) = (self.session.esp_port(), self.gateway_ip) else {
            return Ok(());
        };
        let local: SocketAddr = match ip {
            IpAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
            IpAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
        };
        let sock = UdpSocket::bind(local).await?;
        match crate::esp_socket::enlarge_buffers(&sock) {
            Ok(sizes) => tracing::debug!("ESP socket buffers: {sizes:?}"),
            Err(e) => tracing::debug!("ESP socket buffers: {e}"),
        }
        sock.connect((ip, port)).await?;
        let socket = EspSocket::new(sock, self.opts.offload)?;
        tracing::debug!(
            "ESP socket {} -> {ip}:{port} ({:?}: {} segments per send, GRO {})",
            socket.socket().local_addr()?,
            self.opts.offload,
            socket.max_segments(),
            socket.gro()
        );
        self.udp = Some(GatewayUdp {
            socket,
            peer: SocketAddr::new(ip, port),
        });
        Ok(())
    }

    /// The driver's clock now, for a session made to go
    /// [`with_session`](Driver::with_session).
    pub fn now(&self) -> oncp_core::time::Instant {
        self.clock.now()
    }

    /// The session's current transport.
    pub fn transport(&self) -> Transport {
        self.session.transport()
    }
}
