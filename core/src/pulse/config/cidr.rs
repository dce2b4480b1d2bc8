//! IPv4 ranges to exact CIDR lists and back (spec/pulse.md §5.5), and the
//! prefix types of the Pulse configuration.

use alloc::vec::Vec;
use core::net::{Ipv4Addr, Ipv6Addr};

/// An IPv4 prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ipv4Cidr {
    /// Network address (host bits zero).
    pub addr: Ipv4Addr,
    /// Prefix length, 0–32.
    pub prefix: u8,
}

impl Ipv4Cidr {
    /// The netmask of the prefix.
    pub fn netmask(&self) -> Ipv4Addr {
        Ipv4Addr::from(
            u32::MAX
                .checked_shl(32 - u32::from(self.prefix.min(32)))
                .unwrap_or(0),
        )
    }

    /// First and last address covered.
    pub fn range(&self) -> (Ipv4Addr, Ipv4Addr) {
        let first = u32::from(self.addr) & u32::from(self.netmask());
        (
            Ipv4Addr::from(first),
            Ipv4Addr::from(first | !u32::from(self.netmask())),
        )
    }
}

impl core::fmt::Display for Ipv4Cidr {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// An IPv6 prefix as Pulse sends it: an address and a prefix length
/// (attributes 0x0008, 0x000f, 0x0010). Host bits are kept as sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ipv6Cidr {
    /// Address.
    pub addr: Ipv6Addr,
    /// Prefix length, 0–128.
    pub prefix: u8,
}

impl core::fmt::Display for Ipv6Cidr {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// The minimal list of prefixes covering exactly `first..=last`, in
/// address order (empty if `first > last`). An aligned range gives the one
/// prefix OpenConnect's per-byte mask would give.
pub fn range_to_cidrs(first: Ipv4Addr, last: Ipv4Addr) -> Vec<Ipv4Cidr> {
    let (mut lo, hi) = (u64::from(u32::from(first)), u64::from(u32::from(last)));
    let mut out = Vec::new();
    while lo <= hi {
        // Largest block aligned at `lo` that does not pass `hi`.
        let align = if lo == 0 {
            32
        } else {
            lo.trailing_zeros().min(32)
        };
        let mut bits = align;
        while (lo + (1u64 << bits) - 1) > hi {
            bits -= 1;
        }
        out.push(Ipv4Cidr {
            addr: Ipv4Addr::from(lo as u32),
            prefix: (32 - bits) as u8,
        });
        lo += 1u64 << bits;
    }
    out
}
