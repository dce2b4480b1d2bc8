//! The TUN device (through the `tun` crate, async) and the client's IP
//! side: either a TUN device or, for `oncp demo` without root, an
//! in-process pair of packet channels. With offloads (the default; not
//! with `--no-offload` or where the kernel refuses them) the device
//! carries virtio-net headers and TSO/USO super-packets ([`offload`]).

pub mod offload;
mod offload_ioctl;

use std::sync::Arc;

use tokio::sync::mpsc;

use crate::esp_batch::Offload;
use offload::{FrameReader, FrameWriter, OffloadSnapshot, OffloadStats};

/// Largest IP packet read from the IP side.
pub const MAX_PACKET: usize = 65_535;

/// Bytes of one read of the device: a packet or super-packet and the
/// virtio header before it.
pub const MAX_FRAME: usize = oncp_core::offload::vnet::LEN + MAX_PACKET;

/// The offloads asked for, USO first (Linux 6.2 and later), then without.
const OFFLOADS: [u32; 2] = [
    offload_ioctl::TUN_F_CSUM
        | offload_ioctl::TUN_F_TSO4
        | offload_ioctl::TUN_F_TSO6
        | offload_ioctl::TUN_F_TSO_ECN
        | offload_ioctl::TUN_F_USO4
        | offload_ioctl::TUN_F_USO6,
    offload_ioctl::TUN_F_CSUM
        | offload_ioctl::TUN_F_TSO4
        | offload_ioctl::TUN_F_TSO6
        | offload_ioctl::TUN_F_TSO_ECN,
];

/// A TUN device that is not configured (no address, down): the vpnc-script
/// or the built-in netlink setup configures it.
pub struct Tun {
    dev: tun::AsyncDevice,
    name: String,
    pre_existing: bool,
    /// Whether the device carries virtio headers, its offloads on.
    vnet: bool,
}

impl std::fmt::Debug for Tun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tun").field("name", &self.name).finish()
    }
}

/// Errors creating the device.
#[derive(Debug, thiserror::Error)]
#[error("creating TUN device{}: {source} (oncp connect needs root or CAP_NET_ADMIN)", name.as_deref().map(|n| format!(" {n}")).unwrap_or_default())]
pub struct TunError {
    /// The requested name.
    pub name: Option<String>,
    /// The error.
    pub source: tun::Error,
}

impl Tun {
    /// Creates a TUN device named `name` (kernel-chosen `tunN` otherwise),
    /// or attaches to the device of that name when it exists already
    /// (a persistent one made beforehand, as NetworkManager does for
    /// OpenConnect with the device owned by the user it runs it as): that
    /// one is used as it is — no MTU set here, which needs
    /// CAP_NET_ADMIN — and stays when oncp exits, as its creator expects.
    ///
    /// With `offload` on, a new device gets virtio headers and the TSO,
    /// checksum (and USO) offloads; if the kernel refuses them the device
    /// is made again without (logged once). An existing device is used
    /// without them.
    pub fn create(name: Option<&str>, mtu: u16, offload: Offload) -> Result<Tun, TunError> {
        let err = |source| TunError {
            name: name.map(str::to_string),
            source,
        };
        let existing = name.is_some_and(device_exists);
        let open = |vnet: bool| {
            let mut cfg = tun::Configuration::default();
            if let Some(n) = name {
                cfg.tun_name(n);
            }
            cfg.mtu(mtu);
            cfg.platform_config(|p| {
                p.vnet_hdr(vnet);
                if existing {
                    p.ensure_root_privileges(false);
                }
            });
            tun::create_as_async(&cfg)
        };
        let mut vnet = false;
        let mut dev = None;
        if offload == Offload::On && !existing {
            match open(true) {
                Ok(d) => match with_offloads(&d) {
                    Ok(flags) => {
                        tracing::debug!("TUN offloads on (flags {flags:#x})");
                        vnet = true;
                        dev = Some(d);
                    }
                    Err(e) => {
                        tracing::info!("TUN offloads refused ({e}): one packet per read and write");
                    }
                },
                Err(e) => tracing::info!("TUN with virtio headers refused ({e}): no TUN offloads"),
            }
        }
        let dev = match dev {
            Some(d) => d,
            None => open(false).map_err(err)?,
        };
        let name = tun::AbstractDevice::tun_name(&*dev).map_err(err)?;
        if existing {
            tracing::info!("using the existing TUN device {name} (left in place on exit)");
        }
        Ok(Tun {
            dev,
            name,
            pre_existing: existing,
            vnet,
        })
    }

    /// Whether the device carries virtio headers and offloads (reads and
    /// writes go through [`FrameReader`] and [`FrameWriter`]).
    pub fn vnet(&self) -> bool {
        self.vnet
    }

    /// Whether the device existed before (and is left on exit).
    pub fn pre_existing(&self) -> bool {
        self.pre_existing
    }

    /// The device's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The underlying async device (its `recv` and `send` take `&self`, so
    /// it can be shared between a reader and writers).
    pub fn into_device(self) -> tun::AsyncDevice {
        self.dev
    }
}

/// Turns the offloads on, the most that the kernel takes; the flags set.
fn with_offloads(dev: &tun::AsyncDevice) -> std::io::Result<u32> {
    let mut last = Ok(0);
    for flags in OFFLOADS {
        last = offload_ioctl::set_offload(&**dev, flags).map(|()| flags);
        if last.is_ok() {
            break;
        }
    }
    last
}

/// Whether a network device `name` exists (a name that cannot be one is
/// not looked up).
pub fn device_exists(name: &str) -> bool {
    !name.is_empty()
        && !name.contains('/')
        && name != "."
        && name != ".."
        && std::path::Path::new("/sys/class/net").join(name).exists()
}

/// Where the client's inner IP packets come from and go to.
#[derive(Debug)]
pub enum IpSide {
    /// A TUN device.
    Tun(Box<TunSide>),
    /// In-process channels: packets to send through the tunnel arrive on
    /// `from_user`; packets out of the tunnel go to `to_user`.
    Channel {
        /// Packets to send into the tunnel.
        from_user: mpsc::Receiver<Vec<u8>>,
        /// Packets that came out of the tunnel.
        to_user: mpsc::Sender<Vec<u8>>,
    },
}

/// A TUN device with its frame reader and writer.
#[derive(Debug)]
pub struct TunSide {
    tun: Tun,
    reader: FrameReader,
    writer: FrameWriter,
    stats: Arc<OffloadStats>,
}

impl IpSide {
    /// The IP side of `tun`.
    pub fn tun(tun: Tun) -> IpSide {
        let stats = Arc::new(OffloadStats::default());
        IpSide::Tun(Box::new(TunSide {
            reader: FrameReader::new(tun.vnet, stats.clone()),
            writer: FrameWriter::new(tun.vnet, stats.clone()),
            stats,
            tun,
        }))
    }

    /// Waits for the next frame to send into the tunnel and returns its
    /// length (the frame is `buf[..n]`; [`IpSide::packets`] splits it);
    /// `Ok(None)` when the channel side is closed. `buf` is reused: a TUN
    /// read needs no fresh allocation or zeroing per packet. Cancel-safe.
    pub async fn recv(&mut self, buf: &mut Vec<u8>) -> std::io::Result<Option<usize>> {
        match self {
            IpSide::Tun(t) => {
                if buf.len() != MAX_FRAME {
                    buf.resize(MAX_FRAME, 0);
                }
                let n = t.tun.dev.recv(buf).await?;
                Ok(Some(n))
            }
            IpSide::Channel { from_user, .. } => match from_user.recv().await {
                Some(p) => {
                    *buf = p;
                    Ok(Some(buf.len()))
                }
                None => Ok(None),
            },
        }
    }

    /// Hands each IP packet of a frame from [`IpSide::recv`] to `f` (one,
    /// or the segments of a super-packet).
    pub fn packets<F: FnMut(&[u8])>(&mut self, frame: &mut [u8], f: F) {
        match self {
            IpSide::Tun(t) => t.reader.packets(frame, f),
            IpSide::Channel { .. } => {
                let mut f = f;
                f(frame)
            }
        }
    }

    /// Delivers a packet that came out of the tunnel (coalesced with
    /// those after it until [`IpSide::flush`] when the device offloads).
    pub async fn send(&mut self, packet: &[u8]) -> std::io::Result<()> {
        match self {
            IpSide::Tun(t) => t.writer.write(&t.tun.dev, packet).await,
            IpSide::Channel { to_user, .. } => {
                // A slow or closed consumer loses packets, like a full TUN queue.
                let _ = to_user.try_send(packet.to_vec());
                Ok(())
            }
        }
    }

    /// Writes what [`IpSide::send`] still holds.
    pub async fn flush(&mut self) -> std::io::Result<()> {
        match self {
            IpSide::Tun(t) => t.writer.flush(&t.tun.dev).await,
            IpSide::Channel { .. } => Ok(()),
        }
    }

    /// The TUN device name, if any.
    pub fn device_name(&self) -> Option<&str> {
        match self {
            IpSide::Tun(t) => Some(t.tun.name()),
            IpSide::Channel { .. } => None,
        }
    }

    /// How often the TUN offloads were used (`None`: no device, or one
    /// without offloads).
    pub fn offload_stats(&self) -> Option<OffloadSnapshot> {
        match self {
            IpSide::Tun(t) if t.tun.vnet => Some(t.stats.snapshot()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_names_are_looked_up_safely() {
        assert!(device_exists("lo"));
        assert!(!device_exists("oncp-no-such0"));
        assert!(!device_exists("../lo"));
        assert!(!device_exists(""));
    }

    #[tokio::test]
    async fn channel_side_moves_packets_both_ways_and_reports_close() {
        let (user_tx, from_user) = mpsc::channel(4);
        let (to_user, mut user_rx) = mpsc::channel(4);
        let mut side = IpSide::Channel { from_user, to_user };
        user_tx.send(vec![0x45, 1, 2]).await.unwrap();
        let mut buf = Vec::new();
        assert_eq!(side.recv(&mut buf).await.unwrap(), Some(3));
        assert_eq!(buf, [0x45, 1, 2]);
        side.send(&[0x45, 9]).await.unwrap();
        assert_eq!(user_rx.recv().await.unwrap(), [0x45, 9]);
        drop(user_tx);
        assert_eq!(side.recv(&mut buf).await.unwrap(), None);
        assert!(side.device_name().is_none());
    }
}
