//! A minimal gateway for driver tests: core's `GatewaySession` behind a
//! loopback TLS listener and a UDP socket, answering ICMP echo itself.
//! Knobs let a test drop UDP, cut the TLS connection and count logouts.

use crate::runtime::clock::Clock;
use oncp_core::netpkt::echo_reply;
use oncp_core::oncp::session::{GatewaySession, GatewaySessionConfig};
use oncp_core::oncp::wire::config::ConfigValues;
use oncp_core::rng::TestRng;
use oncp_core::time::Duration as CoreDuration;
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
            let cfg = GatewaySessionConfig {
                values: ConfigValues {
                    address: Some(CLIENT_INNER),
                    netmask: Some(Ipv4Addr::new(255, 255, 255, 0)),
                    dns: vec![GATEWAY_INNER],
                    mtu: Some(1400),
                    ..Default::default()
                },
                esp_port: Some(esp_port),
                dpd: Some(dpd),
                ..Default::default()
            };
            tokio::spawn(serve(tls, cfg, udp.clone(), k.clone(), clock, seed));
        }
    });
    TestGateway { port, pin, knobs }
}

async fn serve(
    mut tls: tokio_rustls::server::TlsStream<tokio::net::TcpStream>,
    cfg: GatewaySessionConfig,
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
    let check = Box::new(|dsid: &str| dsid == GOOD_DSID);
    let mut s = GatewaySession::new(cfg, check, Box::new(TestRng::new(seed)), now());
    s.handle_tls(now(), &buf[..n]);
    let mut peer: Option<SocketAddr> = None;
    let mut udp_buf = vec![0u8; 65536];
    loop {
        while let Some(p) = s.poll_ip() {
            if let Some(r) = echo_reply(&p, GATEWAY_INNER) {
                s.send_ip(now(), &r);
            }
        }
        while let Some(m) = s.poll_tls_transmit() {
            if tls.write_all(&m).await.is_err() {
                return;
            }
        }
        let _ = tls.flush().await;
        while let Some(d) = s.poll_udp_transmit() {
            if let Some(a) = peer
                && !knobs.block_udp.load(Ordering::SeqCst)
            {
                let _ = udp.send_to(&d, a).await;
            }
        }
        while s.poll_event().is_some() {}
        if s.is_closed() {
            let _ = tls.shutdown().await;
            return;
        }
        let deadline = s.poll_timeout();
        tokio::select! {
            r = tls.read(&mut buf) => match r {
                Ok(0) | Err(_) => return,
                Ok(n) => s.handle_tls(now(), &buf[..n]),
            },
            r = udp.recv_from(&mut udp_buf) => {
                if let Ok((n, from)) = r
                    && !knobs.block_udp.load(Ordering::SeqCst)
                {
                    let before = s.stats().esp_packets_in;
                    if s.handle_udp(now(), &udp_buf[..n]) {
                        peer = Some(from);
                    }
                    knobs.esp_in.fetch_add(s.stats().esp_packets_in - before, Ordering::SeqCst);
                }
            }
            _ = clock.sleep_until(deadline) => {
                s.handle_timeout(now());
            }
            _ = knobs.cut_tls.notified() => return,
        }
    }
}
