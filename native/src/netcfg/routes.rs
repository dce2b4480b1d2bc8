//! Which routes the built-in setup installs: the split-include networks
//! through the tunnel (or the whole IPv4 space, as two /1 halves that
//! override the default route without replacing it), and "bypass" routes —
//! the gateway itself and the split-exclude networks — through whatever
//! route the host used before. Routes the gateway sent that are no prefix
//! (a non-contiguous netmask) never reach here: the protocol's mapping to
//! the neutral configuration lists them as unusable, and the driver warns.

use ipnet::Ipv4Net;
use oncp_core::tunnel::{Prefix, TunnelConfig};
use std::net::Ipv4Addr;

/// The routes to install.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RoutePlan {
    /// Networks routed into the TUN device.
    pub via_tunnel: Vec<Ipv4Net>,
    /// Networks that must keep the host's previous route.
    pub bypass: Vec<Ipv4Net>,
    /// The tunnel address with its prefix (`/32` without a netmask).
    pub address: Option<Ipv4Net>,
}

/// A route from the configuration with its host bits cleared.
pub fn to_net(p: &Prefix<Ipv4Addr>) -> Option<Ipv4Net> {
    Ipv4Net::new(p.addr, p.len).ok().map(|n| n.trunc())
}

/// The plan for a configuration and the gateway's IPv4 address (if the
/// gateway was reached over IPv4).
pub fn plan(cfg: &TunnelConfig, gateway: Option<Ipv4Addr>) -> RoutePlan {
    let includes: Vec<Ipv4Net> = cfg.include_v4.iter().filter_map(to_net).collect();
    let via_tunnel = if includes.is_empty() {
        vec![
            "0.0.0.0/1".parse().expect("literal"),
            "128.0.0.0/1".parse().expect("literal"),
        ]
    } else {
        includes
    };
    let mut bypass: Vec<Ipv4Net> = Vec::new();
    if let Some(gw) = gateway {
        bypass.push(Ipv4Net::from(gw));
    }
    bypass.extend(cfg.exclude_v4.iter().filter_map(to_net));
    let address = cfg.ipv4.map(|a| {
        Ipv4Net::new(a.addr, a.prefix_len.unwrap_or(32)).unwrap_or_else(|_| Ipv4Net::from(a.addr))
    });
    RoutePlan {
        via_tunnel,
        bypass,
        address,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oncp_core::tunnel::IfAddr;

    fn ip(s: &str) -> Ipv4Addr {
        s.parse().unwrap()
    }
    fn net(s: &str) -> Ipv4Net {
        s.parse().unwrap()
    }

    #[test]
    fn no_split_include_routes_everything_in_two_halves() {
        let cfg = TunnelConfig {
            ipv4: Some(IfAddr {
                addr: ip("10.9.0.5"),
                prefix_len: Some(24),
            }),
            ..Default::default()
        };
        let p = plan(&cfg, Some(ip("198.51.100.7")));
        assert_eq!(p.via_tunnel, [net("0.0.0.0/1"), net("128.0.0.0/1")]);
        assert_eq!(p.bypass, [net("198.51.100.7/32")]);
        assert_eq!(p.address, Some(net("10.9.0.5/24")));
    }

    #[test]
    fn split_routes_are_normalised() {
        let cfg = TunnelConfig {
            ipv4: Some(IfAddr {
                addr: ip("10.9.0.5"),
                prefix_len: None,
            }),
            include_v4: vec![Prefix {
                addr: ip("10.1.2.3"),
                len: 16,
            }],
            exclude_v4: vec![Prefix {
                addr: ip("10.1.9.0"),
                len: 24,
            }],
            ..Default::default()
        };
        let p = plan(&cfg, None);
        assert_eq!(p.via_tunnel, [net("10.1.0.0/16")]);
        assert_eq!(p.bypass, [net("10.1.9.0/24")]);
        assert_eq!(p.address, Some(net("10.9.0.5/32")));
    }
}
