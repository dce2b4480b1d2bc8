//! One client's tunnel: drives a core `GatewaySession` with the TLS
//! stream, the shared ESP socket, the data plane and the clock.

use crate::runtime::clock::Clock;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use oncp_core::oncp::session::{GatewayEvent, GatewaySession, SessionStats};
use oncp_core::oncp::wire::TerminationReason;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;

use super::Shared;
use super::dataplane::DataPlane;
use super::http::Request;

/// Serves the tunnel request `req` on `stream` until the session ends.
pub async fn run<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    req: Request,
    peer: SocketAddr,
    shared: Arc<Shared>,
) {
    let clock = Clock::new();
    let now = || clock.now();
    let login = req
        .head
        .cookie("DSID")
        .and_then(|d| shared.cookies.check(d));
    let mut cfg = shared.session_config.clone();
    cfg.values.address = login.as_ref().map(|l| l.address);
    let accepted = login.is_some();
    let session_cfg = cfg;
    let mut session = GatewaySession::new(
        session_cfg,
        Box::new(move |_dsid: &str| accepted),
        Box::new(crate::runtime::os_rng::BufferedOsRng::new()),
        now(),
    );
    let (mut rd, mut wr) = tokio::io::split(stream);
    session.handle_tls(now(), &req.raw_head);
    if !req.rest.is_empty() {
        session.handle_tls(now(), &req.rest);
    }
    let (udp_tx, mut udp_rx) = mpsc::channel(1024);
    let (ip_tx, mut ip_rx) = mpsc::channel::<Vec<u8>>(1024);
    let mut registered: Vec<u32> = Vec::new();
    let mut client_udp: Option<SocketAddr> = None;
    let mut last_stats = SessionStats::default();
    let mut shutdown = shared.shutdown.subscribe();
    let mut drop_tls = shared.drop_tunnels.subscribe();
    let mut dropped = false;
    let mut buf = vec![0u8; 65_536];
    let me = shared.cookies.gateway_address();
    if let Some(l) = &login {
        shared.addresses.insert(l.address, ip_tx.clone());
    }
    loop {
        // Drain every output of the session.
        let mut ended = false;
        loop {
            let mut progress = false;
            while let Some(b) = session.poll_tls_transmit() {
                progress = true;
                // One write and flush per item: each becomes its own TLS
                // record, as OpenConnect 9.01 needs during setup (spec §12).
                if wr.write_all(&b).await.is_err() || wr.flush().await.is_err() {
                    session.handle_tls_closed(now());
                }
            }
            while let Some(d) = session.poll_udp_transmit() {
                progress = true;
                if let Some(to) = client_udp {
                    let _ = shared.esp_socket.send_to(&d, to).await;
                }
            }
            while let Some(p) = session.poll_ip() {
                progress = true;
                match &shared.dataplane {
                    DataPlane::Echo => {
                        if let Some(r) = oncp_core::netpkt::echo_reply(&p, me) {
                            session.send_ip(now(), &r);
                        }
                    }
                    DataPlane::Tun(tx) => {
                        let _ = tx.try_send(p);
                    }
                }
            }
            while let Some(ev) = session.poll_event() {
                progress = true;
                match &ev {
                    GatewayEvent::Configured => {
                        shared.counters.tunnels.fetch_add(1, Ordering::Relaxed);
                        tracing::info!(
                            "tunnel up for {} (host {:?}, address {:?})",
                            peer,
                            session.client_hostname(),
                            login.as_ref().map(|l| l.address)
                        );
                    }
                    GatewayEvent::Disconnected(reason) => {
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
                        ended = true;
                    }
                    other => tracing::info!("tunnel {peer}: {other:?}"),
                }
            }
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
            if !progress {
                break;
            }
        }
        let stats = session.stats();
        shared.counters.add(&last_stats, &stats);
        last_stats = stats;
        if ended || session.is_closed() {
            break;
        }
        let sleep = clock.sleep_until(session.poll_timeout());
        tokio::select! {
            r = rd.read(&mut buf) => match r {
                Ok(0) | Err(_) => session.handle_tls_closed(now()),
                Ok(n) => session.handle_tls(now(), &buf[..n]),
            },
            Some((d, from)) = udp_rx.recv() => {
                if session.handle_udp(now(), &d) {
                    client_udp = Some(from);
                }
            }
            Some(p) = ip_rx.recv() => session.send_ip(now(), &p),
            () = sleep => session.handle_timeout(now()),
            _ = shutdown.changed() => session.terminate(TerminationReason(0)),
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
    if let Some(l) = &login {
        shared.addresses.remove(l.address, &ip_tx);
    }
    if !dropped {
        let _ = wr.shutdown().await;
    }
}
