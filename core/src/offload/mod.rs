//! TUN offloads, sans-IO: the `virtio_net_hdr` that a TUN device opened
//! with `IFF_VNET_HDR` puts before every packet ([`vnet`]), splitting a
//! TSO/USO super-packet read from the kernel into MTU-sized packets
//! ([`Segmenter`]), and coalescing consecutive TCP segments of one flow
//! into one super-packet written back ([`Coalescer`]), with the Internet
//! checksums both need ([`csum`]).
//!
//! Every buffer is sized once, when the segmenter or coalescer is made;
//! nothing here allocates per packet.

mod coalesce;
pub mod csum;
mod error;
mod layout;
mod segment;
pub mod vnet;

pub use coalesce::{Coalescer, Push};
pub use error::OffloadError;
pub use segment::Segmenter;

/// Largest IP packet (and so largest super-packet) a TUN read or write
/// carries, not counting the virtio header.
pub const MAX_IP_PACKET: usize = 65_535;

#[cfg(test)]
mod tests;
