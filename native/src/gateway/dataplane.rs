//! Where the gateway's tunnelled packets go: answered in-process (echo
//! mode, no root needed) or through a TUN device the kernel routes.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;

use crate::esp_batch::Offload;
use crate::tun::offload::{FrameReader, FrameWriter, OffloadStats};

/// Packets from the network side to the tunnel serving their destination.
#[derive(Debug, Default)]
pub struct AddressTable {
    map: Mutex<HashMap<IpAddr, mpsc::Sender<Vec<u8>>>>,
}

impl AddressTable {
    /// Delivers packets for `addr` to `tx`.
    pub fn insert(&self, addr: impl Into<IpAddr>, tx: mpsc::Sender<Vec<u8>>) {
        self.map
            .lock()
            .expect("address table")
            .insert(addr.into(), tx);
    }

    /// Stops delivering to `addr` if it still points at `tx`'s tunnel.
    pub fn remove(&self, addr: impl Into<IpAddr>, tx: &mpsc::Sender<Vec<u8>>) {
        let addr = addr.into();
        let mut m = self.map.lock().expect("address table");
        if m.get(&addr).is_some_and(|t| t.same_channel(tx)) {
            m.remove(&addr);
        }
    }

    /// Hands `packet` (IPv4 or IPv6) to the tunnel of its destination
    /// address.
    pub fn route(&self, packet: Vec<u8>) {
        let Some(dst) = destination(&packet) else {
            return;
        };
        let tx = self.map.lock().expect("address table").get(&dst).cloned();
        if let Some(tx) = tx {
            let _ = tx.try_send(packet);
        }
    }
}

/// The destination address of an IPv4 or IPv6 packet.
fn destination(p: &[u8]) -> Option<IpAddr> {
    use oncp_core::netpkt::{Ipv4Packet, Ipv6Packet, version};
    match version(p)? {
        4 => Some(Ipv4Packet::new_checked(p).ok()?.dst_addr().into()),
        6 => Some(Ipv6Packet::new_checked(p).ok()?.dst_addr().into()),
        _ => None,
    }
}

/// The network side of the gateway.
#[derive(Debug, Clone)]
pub enum DataPlane {
    /// Answer ICMP echo and UDP echo addressed to the gateway's tunnel
    /// address; drop everything else.
    Echo,
    /// Write packets to a TUN device; packets read from it are routed to
    /// tunnels by destination.
    Tun(mpsc::Sender<Vec<u8>>),
}

/// What [`start_tun`] makes.
#[derive(Debug, Clone, Copy)]
pub struct TunPlan<'a> {
    /// The device name (kernel-chosen `tunN` otherwise).
    pub name: Option<&'a str>,
    /// The gateway's IPv4 address and the pool's prefix.
    pub address: ipnet::Ipv4Net,
    /// The gateway's IPv6 address and prefix length, with an IPv6 pool.
    pub address6: Option<(Ipv6Addr, u8)>,
    /// The device's MTU.
    pub mtu: u32,
    /// Whether the device uses the kernel's offloads (TSO, checksums,
    /// USO; `--no-offload` turns them off).
    pub offload: Offload,
}

/// Packets taken from the queue per TUN write round: TCP segments of one
/// flow among them go out as one super-packet.
const WRITE_BATCH: usize = 64;

/// Creates the gateway's TUN device as `plan` says, brings it up, and
/// starts the tasks moving packets between it and the tunnels (counting
/// the offloads' use in `stats`).
pub async fn start_tun(
    plan: TunPlan<'_>,
    table: Arc<AddressTable>,
    stats: Arc<OffloadStats>,
) -> anyhow::Result<(DataPlane, String)> {
    let tun = crate::tun::Tun::create(
        plan.name,
        plan.mtu.min(u16::MAX as u32) as u16,
        plan.offload,
    )?;
    let dev_name = tun.name().to_string();
    let nl = crate::netcfg::netlink::Netlink::open()?;
    let routes = crate::netcfg::routes::RoutePlan {
        address: Some(plan.address),
        ..Default::default()
    };
    nl.configure(&dev_name, plan.mtu, &routes).await?;
    if let Some((a, len)) = plan.address6 {
        nl.add_address(&dev_name, a.into(), len).await?;
    }
    let vnet = tun.vnet();
    let dev = Arc::new(tun.into_device());
    let (tx, mut rx) = mpsc::channel::<Vec<u8>>(4096);
    let writer = dev.clone();
    let mut frames_out = FrameWriter::new(vnet, stats.clone());
    tokio::spawn(async move {
        while let Some(p) = rx.recv().await {
            let mut next = Some(p);
            let mut taken = 0;
            while let Some(p) = next.take() {
                if let Err(e) = frames_out.write(&writer, &p).await {
                    tracing::debug!("TUN write: {e}");
                }
                taken += 1;
                if taken < WRITE_BATCH {
                    next = rx.try_recv().ok();
                }
            }
            if let Err(e) = frames_out.flush(&writer).await {
                tracing::debug!("TUN write: {e}");
            }
        }
    });
    let mut frames_in = FrameReader::new(vnet, stats);
    tokio::spawn(async move {
        let mut buf = vec![0u8; crate::tun::MAX_FRAME];
        loop {
            match dev.recv(&mut buf).await {
                Ok(n) => frames_in.packets(&mut buf[..n], |p| table.route(p.to_vec())),
                Err(e) => {
                    tracing::warn!("TUN read: {e}");
                    return;
                }
            }
        }
    });
    Ok((DataPlane::Tun(tx), dev_name))
}
