//! Which routes the built-in setup installs: the split-include networks
//! through the tunnel (or the whole IPv4 space, as two /1 halves that
//! override the default route without replacing it), and "bypass" routes —
//! the gateway itself and the split-exclude networks — through whatever
//! route the host used before.

use ipnet::Ipv4Net;
use oncp_core::oncp::wire::config::{ConfigValues, Route};
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

/// A usable route from the configuration: contiguous mask, host bits
/// cleared. `None` (with a warning) for a bad mask.
pub fn to_net(r: &Route) -> Option<Ipv4Net> {
    let Some(len) = r.prefix_len() else {
        tracing::warn!("discarding route {}/{}: bad netmask", r.addr, r.mask);
        return None;
    };
    Ipv4Net::new(r.addr, len).ok().map(|n| n.trunc())
}

/// The plan for a configuration and the gateway's IPv4 address (if the
/// gateway was reached over IPv4).
pub fn plan(cfg: &ConfigValues, gateway: Option<Ipv4Addr>) -> RoutePlan {
    let includes: Vec<Ipv4Net> = cfg.split_include.iter().filter_map(to_net).collect();
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
    bypass.extend(cfg.split_exclude.iter().filter_map(to_net));
    let address = cfg.address.map(|a| {
        let len = cfg
            .netmask
            .and_then(|m| Route { addr: a, mask: m }.prefix_len())
            .unwrap_or(32);
        Ipv4Net::new(a, len).unwrap_or_else(|_| Ipv4Net::from(a))
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

    fn ip(s: &str) -> Ipv4Addr {
        s.parse().unwrap()
    }
    fn net(s: &str) -> Ipv4Net {
        s.parse().unwrap()
    }

    #[test]
    fn no_split_include_routes_everything_in_two_halves() {
        let cfg = ConfigValues {
            address: Some(ip("10.9.0.5")),
            netmask: Some(ip("255.255.255.0")),
            ..Default::default()
        };
        let p = plan(&cfg, Some(ip("198.51.100.7")));
        assert_eq!(p.via_tunnel, [net("0.0.0.0/1"), net("128.0.0.0/1")]);
        assert_eq!(p.bypass, [net("198.51.100.7/32")]);
        assert_eq!(p.address, Some(net("10.9.0.5/24")));
    }

    #[test]
    fn split_routes_are_normalised_and_bad_masks_dropped() {
        let cfg = ConfigValues {
            address: Some(ip("10.9.0.5")),
            split_include: vec![
                Route {
                    addr: ip("10.1.2.3"),
                    mask: ip("255.255.0.0"),
                },
                Route {
                    addr: ip("10.2.0.0"),
                    mask: ip("255.0.255.0"),
                },
            ],
            split_exclude: vec![Route {
                addr: ip("10.1.9.0"),
                mask: ip("255.255.255.0"),
            }],
            ..Default::default()
        };
        let p = plan(&cfg, None);
        assert_eq!(p.via_tunnel, [net("10.1.0.0/16")]);
        assert_eq!(p.bypass, [net("10.1.9.0/24")]);
        assert_eq!(p.address, Some(net("10.9.0.5/32")));
    }
}
