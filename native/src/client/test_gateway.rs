//! A minimal gateway for driver tests: a gateway session (through the
//! oNCP adapter) behind a loopback TLS listener and a UDP socket,
//! answering ICMP echo itself, drained by the gateway's own drain code.
//! Knobs let a test drop UDP, cut the TLS connection and count logouts.

use crate::gateway::drain::{GatewayOutputs, drain};
use crate::runtime::clock::Clock;
use oncp_core::netpkt::echo_reply;
use oncp_core::rng::TestRng;
use oncp_core::time::{Duration as CoreDuration, Instant};
use oncp_core::tunnel::{
    EspConfig, GatewayEvent, GatewayTunnel, IfAddr, RejectReason, TunnelConfig,
};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::Notify;

/// The gateway's own address inside the tunnel (answers echo).
pub const GATEWAY_INNER: Ipv4Addr = Ipv4Addr::new(10, 77, 0, 1);
/// The address given to the client.
pub const CLIENT_INNER: Ipv4Addr = Ipv4Addr::new(10, 77, 0, 2);
/// The accepted DSID.
pub const GOOD_DSID: &str = "0123456789abcdef";

/// Shared knobs and counters.
#[derive(Debug, Default)]
pub struct Knobs {
    /// Drop every UDP datagram both ways.
    pub block_udp: AtomicBool,
    /// Cut the current tunnel connection.
    pub cut_tls: Notify,
    /// Logout requests seen.
    pub logouts: AtomicUsize,
    /// Tunnel connections accepted.
    pub tunnels: AtomicUsize,
    /// ESP packets (not probes) received.
    pub esp_in: AtomicU64,
}

/// A running test gateway.
#[derive(Debug)]
pub struct TestGateway {
    /// TLS port on 127.0.0.1.
    pub port: u16,
    /// Certificate pin.
    pub pin: String,
    /// Knobs and counters.
    pub knobs: Arc<Knobs>,
}

/// Starts the gateway; `dpd` is the ESP dead-peer interval it announces.
pub async fn start(dpd: CoreDuration) -> TestGateway {
    let (acceptor, pin, _) = crate::tls::test_server::acceptor();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let udp = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
    let esp_port = udp.local_addr().unwrap().port();
    let knobs = Arc::new(Knobs::default());
    let k = knobs.clone();
    let clock = Clock::new();
    tokio::spawn(async move {
        let mut seed = 1;
        while let Ok((tcp, _)) = listener.accept().await {
            let Ok(tls) = acceptor.accept(tcp).await else {
                continue;
            };
            seed += 1;
            let cfg = TunnelConfig {
                ipv4: Some(IfAddr {
                    addr: CLIENT_INNER,
                    prefix_len: Some(24),
                }),
                dns: vec![GATEWAY_INNER.into()],
                mtu: Some(1400),
                esp: EspConfig {
                    port: Some(esp_port),
                    dpd_secs: Some(dpd.as_secs() as u32),
                    ..EspConfig::default()
                },
                ..TunnelConfig::default()
            };
            tokio::spawn(serve(tls, cfg, udp.clone(), k.clone(), clock, seed));
        }
    });
    TestGateway { port, pin, knobs }
}

/// Where one test tunnel's outputs go.
struct TestIo {
    tls: tokio_rustls::server::TlsStream<tokio::net::TcpStream>,
    udp: Arc<UdpSocket>,
    knobs: Arc<Knobs>,
    peer: Option<SocketAddr>,
    offer: TunnelConfig,
}

impl GatewayOutputs for TestIo {
    async fn tls(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.tls.write_all(bytes).await?;
        self.tls.flush().await
    }

    async fn udp(&mut self, datagram: &[u8]) {
        if let Some(a) = self.peer
            && !self.knobs.block_udp.load(Ordering::SeqCst)
        {
            let _ = self.udp.send_to(datagram, a).await;
        }
    }

    fn ip<S: GatewayTunnel + ?Sized>(
        &mut self,
        packet: &mut Vec<u8>,
        session: &mut S,
        now: Instant,
    ) {
        if let Some(r) = echo_reply(packet, GATEWAY_INNER) {
            session.send_ip(now, &r);
        }
    }

    fn event<S: GatewayTunnel + ?Sized>(
        &mut self,
        ev: GatewayEvent,
        session: &mut S,
        now: Instant,
    ) {
        if let GatewayEvent::TunnelRequested(r) = ev {
            if r.dsid.as_deref() == Some(GOOD_DSID) {
                session.accept(now, self.offer.clone());
            } else {
                session.reject(now, RejectReason::BadCookie);
            }
        }
    }
}

async fn serve(
    mut tls: tokio_rustls::server::TlsStream<tokio::net::TcpStream>,
    cfg: TunnelConfig,
    udp: Arc<UdpSocket>,
    knobs: Arc<Knobs>,
    clock: Clock,
    seed: u64,
) {
    let now = || clock.now();
    let mut buf = vec![0u8; 65536];
    let n = match tls.read(&mut buf).await {
        Ok(0) | Err(_) => return,
        Ok(n) => n,
    };
    if buf[..n].starts_with(b"GET /dana-na/auth/logout.cgi") {
        knobs.logouts.fetch_add(1, Ordering::SeqCst);
        let _ = tls
            .write_all(b"HTTP/1.1 302 Found\r\nLocation: /\r\n\r\n")
            .await;
        let _ = tls.shutdown().await;
        return;
    }
    knobs.tunnels.fetch_add(1, Ordering::SeqCst);
    let mut s = crate::oncp_adapter::gateway(Box::new(TestRng::new(seed)), now());
    s.handle_tls(now(), &buf[..n]);
    let mut io = TestIo {
        tls,
        udp,
        knobs,
        peer: None,
        offer: cfg,
    };
    let mut out = Vec::new();
    let mut udp_buf = vec![0u8; 65536];
    loop {
        drain(&mut *s, &mut out, &mut io, now).await;
        if s.is_closed() {
            let _ = io.tls.shutdown().await;
            return;
        }
        let deadline = s.poll_timeout();
        tokio::select! {
            r = io.tls.read(&mut buf) => match r {
                Ok(0) | Err(_) => return,
                Ok(n) => s.handle_tls(now(), &buf[..n]),
            },
            r = io.udp.recv_from(&mut udp_buf) => {
                if let Ok((n, from)) = r
                    && !io.knobs.block_udp.load(Ordering::SeqCst)
                {
                    let before = s.stats().esp_packets_in;
                    if s.handle_udp(now(), &udp_buf[..n]) {
                        io.peer = Some(from);
                    }
                    io.knobs.esp_in.fetch_add(s.stats().esp_packets_in - before, Ordering::SeqCst);
                }
            }
            _ = clock.sleep_until(deadline) => {
                s.handle_timeout(now());
            }
            _ = io.knobs.cut_tls.notified() => return,
        }
    }
}
