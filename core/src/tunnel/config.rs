//! The neutral configuration of a tunnel.

use alloc::string::String;
use alloc::vec::Vec;
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::esp::{CipherCode, MacCode};

/// A network: an address and a prefix length (host bits as given).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Prefix<A> {
    /// The network (or host) address.
    pub addr: A,
    /// The prefix length.
    pub len: u8,
}

impl Prefix<Ipv4Addr> {
    /// The netmask of this prefix (a length above 32 counts as 32).
    pub fn netmask(&self) -> Ipv4Addr {
        let bits = u32::from(self.len.min(32));
        Ipv4Addr::from(u32::MAX.checked_shl(32 - bits).unwrap_or(0))
    }
    /// The network address: host bits cleared.
    pub fn network(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.addr) & u32::from(self.netmask()))
    }
}

impl Prefix<Ipv6Addr> {
    /// The network address: host bits cleared.
    pub fn network(&self) -> Ipv6Addr {
        let bits = u32::from(self.len.min(128));
        let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
        Ipv6Addr::from(u128::from(self.addr) & mask)
    }
}

/// The tunnel's own address on one family, with its prefix when the
/// gateway gave one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IfAddr<A> {
    /// The address.
    pub addr: A,
    /// The prefix length of its network, if announced.
    pub prefix_len: Option<u8>,
}

/// The ESP settings of a tunnel, without keys (it is logged and passed to
/// scripts; the keys stay inside the session).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct EspConfig {
    /// UDP port of the gateway's ESP endpoint; `None`: ESP not offered.
    pub port: Option<u16>,
    /// Encryption algorithm code as announced (known codes name a
    /// [`crate::esp::Cipher`]).
    pub cipher: Option<CipherCode>,
    /// Integrity algorithm code as announced.
    pub integrity: Option<MacCode>,
    /// The gateway LZO-compresses what it sends.
    pub compression: bool,
    /// Key lifetime in seconds (a gateway rekeys this often).
    pub lifetime_secs: Option<u32>,
    /// Key lifetime in bytes.
    pub lifetime_bytes: Option<u32>,
    /// Dead-peer detection / fallback-to-TLS interval in seconds.
    pub dpd_secs: Option<u32>,
    /// Replay protection enforced.
    pub replay_protection: Option<bool>,
    /// ESP may carry inner packets of both IP families (Pulse 0x4024);
    /// otherwise only those of the outer connection's family.
    pub both_families: bool,
}

/// A protocol attribute the neutral configuration does not model, kept
/// for logs, decoding and scripts: a protocol-specific name (e.g.
/// `oncp 1/3`) and its value as text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Extra {
    /// Which attribute (protocol-specific name).
    pub name: String,
    /// Its value, as text (hex when not text).
    pub value: String,
}

/// What a tunnel is configured with, whatever the protocol.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct TunnelConfig {
    /// The IPv4 address of the tunnel.
    pub ipv4: Option<IfAddr<Ipv4Addr>>,
    /// The IPv6 address of the tunnel.
    pub ipv6: Option<IfAddr<Ipv6Addr>>,
    /// IPv4 networks routed into the tunnel (empty: all traffic).
    pub include_v4: Vec<Prefix<Ipv4Addr>>,
    /// IPv4 networks kept outside the tunnel.
    pub exclude_v4: Vec<Prefix<Ipv4Addr>>,
    /// IPv6 networks routed into the tunnel.
    pub include_v6: Vec<Prefix<Ipv6Addr>>,
    /// IPv6 networks kept outside the tunnel.
    pub exclude_v6: Vec<Prefix<Ipv6Addr>>,
    /// DNS servers, both families, in the gateway's order.
    pub dns: Vec<IpAddr>,
    /// DNS search domains, in order.
    pub search_domains: Vec<String>,
    /// WINS (NetBIOS name) servers.
    pub wins: Vec<Ipv4Addr>,
    /// Tunnel MTU.
    pub mtu: Option<u32>,
    /// ESP, if the protocol has it.
    pub esp: EspConfig,
    /// Attributes the protocol sent that are not modelled above, in order.
    pub extra: Vec<Extra>,
    /// Settings the protocol sent but that could not be used (e.g. a
    /// route with a non-contiguous netmask), one sentence each, for a
    /// warning.
    pub unusable: Vec<String>,
}

impl TunnelConfig {
    /// The IPv4 DNS servers, in order.
    pub fn dns_v4(&self) -> impl Iterator<Item = Ipv4Addr> + '_ {
        self.dns.iter().filter_map(|a| match a {
            IpAddr::V4(a) => Some(*a),
            IpAddr::V6(_) => None,
        })
    }
    /// The IPv6 DNS servers, in order.
    pub fn dns_v6(&self) -> impl Iterator<Item = Ipv6Addr> + '_ {
        self.dns.iter().filter_map(|a| match a {
            IpAddr::V6(a) => Some(*a),
            IpAddr::V4(_) => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_give_masks_and_networks() {
        let p = Prefix {
            addr: Ipv4Addr::new(10, 1, 2, 3),
            len: 16,
        };
        assert_eq!(p.netmask(), Ipv4Addr::new(255, 255, 0, 0));
        assert_eq!(p.network(), Ipv4Addr::new(10, 1, 0, 0));
        let all = Prefix {
            addr: Ipv4Addr::new(10, 1, 2, 3),
            len: 0,
        };
        assert_eq!(all.netmask(), Ipv4Addr::UNSPECIFIED);
        let six = Prefix {
            addr: "2001:db8::1".parse::<Ipv6Addr>().unwrap(),
            len: 64,
        };
        assert_eq!(six.network(), "2001:db8::".parse::<Ipv6Addr>().unwrap());
    }
}
