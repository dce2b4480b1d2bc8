//! Which routes the built-in setup installs: the split-include networks
//! through the tunnel (or the whole IPv4 space, as two /1 halves that
//! override the default route without replacing it), and "bypass" routes —
//! the gateway itself and the split-exclude networks — through whatever
//! route the host used before. Routes the gateway sent that are no prefix
//! (a non-contiguous netmask) never reach here: the protocol's mapping to
//! the neutral configuration lists them as unusable, and the driver warns.
//!
//! IPv6 follows the same rules, but only when the gateway gave the tunnel
//! an IPv6 address (Pulse can, oNCP never does): then the IPv6 split
//! includes, or all of IPv6 as `::/1` and `8000::/1`, go into the device,
//! and a gateway reached over IPv6 keeps its host route.

use ipnet::{Ipv4Net, Ipv6Net};
use oncp_core::tunnel::{Prefix, TunnelConfig};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The routes to install.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RoutePlan {
    /// Networks routed into the TUN device.
    pub via_tunnel: Vec<Ipv4Net>,
    /// Networks that must keep the host's previous route.
    pub bypass: Vec<Ipv4Net>,
    /// The tunnel address with its prefix (`/32` without a netmask).
    pub address: Option<Ipv4Net>,
    /// IPv6 networks routed into the TUN device.
    pub via_tunnel6: Vec<Ipv6Net>,
    /// IPv6 networks that must keep the host's previous route.
    pub bypass6: Vec<Ipv6Net>,
    /// The tunnel's IPv6 address with its prefix (`/128` without one).
    pub address6: Option<Ipv6Net>,
}

/// A route from the configuration with its host bits cleared.
pub fn to_net(p: &Prefix<Ipv4Addr>) -> Option<Ipv4Net> {
    Ipv4Net::new(p.addr, p.len).ok().map(|n| n.trunc())
}

/// An IPv6 route from the configuration with its host bits cleared.
pub fn to_net6(p: &Prefix<Ipv6Addr>) -> Option<Ipv6Net> {
    Ipv6Net::new(p.addr, p.len).ok().map(|n| n.trunc())
}

/// The plan for a configuration and the gateway's address as connected.
pub fn plan(cfg: &TunnelConfig, gateway: IpAddr) -> RoutePlan {
    let (gw4, gw6) = match gateway {
        IpAddr::V4(a) if !a.is_unspecified() => (Some(a), None),
        IpAddr::V6(a) if !a.is_unspecified() => (None, Some(a)),
        _ => (None, None),
    };
    let mut p = plan4(cfg, gw4);
    let Some(a6) = cfg.ipv6 else {
        return p;
    };
    p.address6 = Some(
        Ipv6Net::new(a6.addr, a6.prefix_len.unwrap_or(128))
            .unwrap_or_else(|_| Ipv6Net::from(a6.addr)),
    );
    let includes: Vec<Ipv6Net> = cfg.include_v6.iter().filter_map(to_net6).collect();
    p.via_tunnel6 = if includes.is_empty() {
        vec![
            "::/1".parse().expect("literal"),
            "8000::/1".parse().expect("literal"),
        ]
    } else {
        includes
    };
    if let Some(gw) = gw6 {
        p.bypass6.push(Ipv6Net::from(gw));
    }
    p.bypass6.extend(cfg.exclude_v6.iter().filter_map(to_net6));
    p
}

/// The IPv4 part of the plan.
fn plan4(cfg: &TunnelConfig, gateway: Option<Ipv4Addr>) -> RoutePlan {
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
        ..Default::default()
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
        let p = plan(&cfg, ip("198.51.100.7").into());
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
        let p = plan(&cfg, Ipv4Addr::UNSPECIFIED.into());
        assert_eq!(p.via_tunnel, [net("10.1.0.0/16")]);
        assert_eq!(p.bypass, [net("10.1.9.0/24")]);
        assert_eq!(p.address, Some(net("10.9.0.5/32")));
        assert!(p.address6.is_none() && p.via_tunnel6.is_empty(), "no IPv6");
    }

    fn net6(s: &str) -> Ipv6Net {
        s.parse().unwrap()
    }

    #[test]
    fn ipv6_address_takes_all_of_ipv6_or_its_split_includes() {
        let mut cfg = TunnelConfig {
            ipv6: Some(IfAddr {
                addr: "fd00:79::2".parse().unwrap(),
                prefix_len: Some(64),
            }),
            ..Default::default()
        };
        let p = plan(&cfg, "2001:db8::1".parse().unwrap());
        assert_eq!(p.address6, Some(net6("fd00:79::2/64")));
        assert_eq!(p.via_tunnel6, [net6("::/1"), net6("8000::/1")]);
        assert_eq!(p.bypass6, [net6("2001:db8::1/128")]);
        assert!(p.bypass.is_empty(), "no IPv4 gateway route");
        cfg.include_v6 = vec![Prefix {
            addr: "fd00:79::9".parse().unwrap(),
            len: 64,
        }];
        cfg.exclude_v6 = vec![Prefix {
            addr: "fd00:80::".parse().unwrap(),
            len: 48,
        }];
        cfg.ipv6.as_mut().unwrap().prefix_len = None;
        let p = plan(&cfg, ip("192.0.2.1").into());
        assert_eq!(p.address6, Some(net6("fd00:79::2/128")));
        assert_eq!(p.via_tunnel6, [net6("fd00:79::/64")]);
        assert_eq!(p.bypass6, [net6("fd00:80::/48")]);
        assert_eq!(p.bypass, [net("192.0.2.1/32")]);
    }
}
