//! One client's tunnel: drives a gateway session (oNCP or Pulse, made by
//! its adapter) with the TLS stream, the shared ESP socket, the data plane
//! and the clock. The session reports the tunnel request; its DSID is
//! checked here and answered with the client's configuration or a
//! rejection. A Pulse session also reports each step of its sign-in,
//! answered by [`PulseLogin`].

use crate::runtime::clock::Clock;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use oncp_core::time::Instant;
use oncp_core::tunnel::{
    DisconnectReason, GatewayEvent, GatewayTunnel, IfAddr, RejectReason, SessionStats, TunnelConfig,
};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, WriteHalf};
use tokio::sync::mpsc;

use super::Shared;
use super::cookies::Login;
use super::dataplane::DataPlane;
use super::drain::{GatewayOutputs, drain};
use super::pulse_login::PulseLogin;
use crate::esp_batch::SendBatch;

/// Datagrams or packets taken from a tunnel's queues per wake-up, when
/// that many wait, before its outputs are drained and sent.
const BATCH: usize = 32;
/// Datagrams handed to the session in one call: as many as it verifies
/// with one call of the 16-lane SHA-1.
const OPEN_BATCH: usize = oncp_core::esp::SHA1_LANES;

/// Where one tunnel's outputs go.
struct TunnelIo<'a, S> {
    wr: WriteHalf<S>,
    shared: &'a Shared,
    peer: SocketAddr,
    client_udp: Option<SocketAddr>,
    me: Ipv4Addr,
    /// The gateway's own IPv6 tunnel address, with an IPv6 pool.
    me6: Option<Ipv6Addr>,
    /// The client's IPv6 tunnel address, once accepted.
    address6: Option<Ipv6Addr>,
    login: Option<Login>,
    /// The DSID of the accepted tunnel (revoked when the client logs out).
    dsid: Option<String>,
    pulse_login: PulseLogin,
    ip_tx: mpsc::Sender<Vec<u8>>,
    /// ESP datagrams waiting for one GSO send ([`TunnelIo::flush_udp`]).
    udp_out: SendBatch,
    ended: bool,
}

impl<S> TunnelIo<'_, S> {
    /// Sends the ESP datagrams queued by the last drain.
    async fn flush_udp(&mut self) {
        if let Err(e) = self.shared.esp_socket.flush(&mut self.udp_out).await {
            tracing::trace!("ESP send: {e}");
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin + Send> GatewayOutputs for TunnelIo<'_, S> {
    async fn tls(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        // One write and flush per item: each becomes its own TLS record,
        // as OpenConnect 9.01 needs during setup (spec §12).
        self.wr.write_all(bytes).await?;
        self.wr.flush().await
    }

    async fn udp(&mut self, datagram: &[u8]) {
        if let Some(to) = self.client_udp
            && let Err(e) = self
                .shared
                .esp_socket
                .queue(&mut self.udp_out, to, datagram)
                .await
        {
            tracing::trace!("ESP send: {e}");
        }
    }

    fn ip<T: GatewayTunnel + ?Sized>(
        &mut self,
        packet: &mut Vec<u8>,
        session: &mut T,
        now: Instant,
    ) {
        match &self.shared.dataplane {
            DataPlane::Echo => {
                let reply = oncp_core::netpkt::echo_reply(packet, self.me).or_else(|| {
                    self.me6
                        .and_then(|me6| oncp_core::netpkt::echo_reply_v6(packet, me6))
                });
                if let Some(r) = reply {
                    session.send_ip(now, &r);
                }
            }
            DataPlane::Tun(tx) => {
                let _ = tx.try_send(std::mem::take(packet));
            }
        }
    }

    fn event<T: GatewayTunnel + ?Sized>(
        &mut self,
        ev: GatewayEvent,
        session: &mut T,
        now: Instant,
    ) {
        let peer = self.peer;
        match ev {
            GatewayEvent::TunnelRequested(req) => {
                self.login = req
                    .dsid
                    .as_deref()
                    .and_then(|d| self.shared.cookies.check(d));
                match &self.login {
                    Some(l) => {
                        self.dsid = req.dsid.clone();
                        self.shared.addresses.insert(l.address, self.ip_tx.clone());
                        let mut cfg: TunnelConfig = self.shared.tunnel_config.clone();
                        cfg.ipv4 = Some(IfAddr {
                            addr: l.address,
                            prefix_len: Some(self.shared.cookies.pool().prefix_len()),
                        });
                        cfg.ipv6 = self.shared.config.pool6.map(|p6| IfAddr {
                            addr: ipv6_for(p6, self.shared.cookies.pool(), l.address),
                            prefix_len: Some(p6.prefix_len()),
                        });
                        if let Some(a6) = cfg.ipv6 {
                            self.address6 = Some(a6.addr);
                            self.shared.addresses.insert(a6.addr, self.ip_tx.clone());
                        }
                        session.accept(now, cfg);
                    }
                    None => session.reject(now, RejectReason::BadCookie),
                }
            }
            GatewayEvent::Login(answer) => {
                let ctx = super::pulse_login::LoginContext {
                    users: &self.shared.config.users,
                    login: &self.shared.config.login,
                    cookies: &self.shared.cookies,
                };
                let step = self.pulse_login.next(&answer, &ctx);
                session.login_step(now, step);
            }
            GatewayEvent::Configured => {
                self.shared.counters.tunnels.fetch_add(1, Ordering::Relaxed);
                tracing::info!(
                    "tunnel up for {} (host {:?}, address {:?})",
                    peer,
                    session.client_hostname(),
                    self.login.as_ref().map(|l| l.address)
                );
            }
            GatewayEvent::Disconnected(reason) => {
                if reason == DisconnectReason::LoggedOut
                    && let Some(d) = self.dsid.take()
                {
                    self.shared.cookies.revoke(&d);
                }
                let s = session.stats();
                tracing::info!(
                    "tunnel from {peer} ended: {reason:?}; packets ESP {} in / {} out \
                     ({} compressed), TLS {} in / {} out, {} probes, {} rekeys",
                    s.esp_packets_in,
                    s.esp_packets_out,
                    s.lzo_out,
                    s.tls_packets_in,
                    s.tls_packets_out,
                    s.probes_out,
                    s.rekeys
                );
                self.ended = true;
            }
            other => tracing::info!("tunnel {peer}: {other:?}"),
        }
    }
}

/// The IPv6 address of the client with IPv4 address `v4` of `pool`: the
/// same host number in `pool6`.
pub fn ipv6_for(pool6: ipnet::Ipv6Net, pool: ipnet::Ipv4Net, v4: Ipv4Addr) -> Ipv6Addr {
    let host = u32::from(v4).wrapping_sub(u32::from(pool.network()));
    Ipv6Addr::from(u128::from(pool6.network()) | u128::from(host))
}

/// Serves a tunnel on `stream` with `session` (made by a protocol adapter
/// from the request, with `clock`) until the session ends.
pub async fn run<S: AsyncRead + AsyncWrite + Unpin + Send>(
    stream: S,
    mut session: Box<dyn GatewayTunnel + Send>,
    clock: Clock,
    peer: SocketAddr,
    shared: Arc<Shared>,
) {
    let now = || clock.now();
    let (mut rd, wr) = tokio::io::split(stream);
    let (udp_tx, mut udp_rx) = mpsc::channel(1024);
    // The datagrams of one wake-up, kept for the next.
    let mut received: Vec<(Vec<u8>, SocketAddr)> = Vec::with_capacity(BATCH);
    let (ip_tx, mut ip_rx) = mpsc::channel::<Vec<u8>>(1024);
    let mut io = TunnelIo {
        wr,
        shared: &shared,
        peer,
        client_udp: None,
        me: shared.cookies.gateway_address(),
        me6: shared
            .config
            .pool6
            .map(|p6| ipv6_for(p6, shared.cookies.pool(), shared.cookies.gateway_address())),
        address6: None,
        login: None,
        dsid: None,
        pulse_login: PulseLogin::default(),
        ip_tx,
        udp_out: SendBatch::default(),
        ended: false,
    };
    let mut registered: Vec<u32> = Vec::new();
    let mut last_stats = SessionStats::default();
    let mut shutdown = shared.shutdown.subscribe();
    let mut drop_tls = shared.drop_tunnels.subscribe();
    let mut dropped = false;
    let mut buf = vec![0u8; 65_536];
    let mut out = Vec::new();
    loop {
        // Drain every output of the session, then follow its SPIs.
        while drain(&mut *session, &mut out, &mut io, now).await {
            let spis = session.inbound_spis();
            for spi in [spis.0, spis.1].into_iter().flatten() {
                if !registered.contains(&spi) {
                    shared.spis.insert(spi, udp_tx.clone());
                    registered.push(spi);
                }
            }
            registered.retain(|spi| {
                let keep = spis.0 == Some(*spi) || spis.1 == Some(*spi);
                if !keep {
                    shared.spis.remove(*spi);
                }
                keep
            });
        }
        io.flush_udp().await;
        let stats = session.stats();
        shared.counters.add(&last_stats, &stats);
        last_stats = stats;
        if io.ended || session.is_closed() {
            break;
        }
        let sleep = clock.sleep_until(session.poll_timeout());
        tokio::select! {
            r = rd.read(&mut buf) => match r {
                Ok(0) | Err(_) => session.handle_tls_closed(now()),
                Ok(n) => session.handle_tls(now(), &buf[..n]),
            },
            Some(first) = udp_rx.recv() => {
                // What else is queued goes in before the next drain, so its
                // outputs leave in one batch (see esp_batch), and is
                // verified 16 at a time (SHA-1 lanes).
                let t = now();
                received.clear();
                received.push(first);
                while received.len() < BATCH {
                    match udp_rx.try_recv() {
                        Ok(d) => received.push(d),
                        Err(_) => break,
                    }
                }
                for chunk in received.chunks(OPEN_BATCH) {
                    let mut datagrams: [&[u8]; OPEN_BATCH] = [&[]; OPEN_BATCH];
                    for (slot, (d, _)) in datagrams.iter_mut().zip(chunk) {
                        *slot = d;
                    }
                    let mut authentic = [false; OPEN_BATCH];
                    session.handle_udp_batch(t, &datagrams[..chunk.len()], &mut authentic);
                    for (_, from) in chunk.iter().zip(authentic).filter(|(_, a)| *a).map(|(c, _)| c) {
                        io.client_udp = Some(*from);
                    }
                }
            }
            Some(p) = ip_rx.recv() => {
                let t = now();
                session.send_ip(t, &p);
                for _ in 1..BATCH {
                    match ip_rx.try_recv() {
                        Ok(p) => session.send_ip(t, &p),
                        Err(_) => break,
                    }
                }
            }
            () = sleep => session.handle_timeout(now()),
            _ = shutdown.changed() => session.close(now()),
            // Test aid: vanish without a word (see GatewayHandle::drop_tunnels).
            _ = drop_tls.changed() => {
                tracing::info!("test aid: dropping the TLS connection of {peer}");
                dropped = true;
                break;
            }
        }
    }
    for spi in registered {
        shared.spis.remove(spi);
    }
    if let Some(l) = &io.login {
        shared.addresses.remove(l.address, &io.ip_tx);
    }
    if let Some(a6) = io.address6 {
        shared.addresses.remove(a6, &io.ip_tx);
    }
    if !dropped {
        let _ = io.wr.shutdown().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_address_follows_the_ipv4_host_number() {
        let a = ipv6_for(
            "fd00:10::/64".parse().unwrap(),
            "10.10.1.0/24".parse().unwrap(),
            Ipv4Addr::new(10, 10, 1, 5),
        );
        assert_eq!(a, "fd00:10::5".parse::<Ipv6Addr>().unwrap());
    }
}
