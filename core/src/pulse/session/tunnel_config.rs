//! Pulse's configuration (spec/pulse.md §5.5–§5.7) in the neutral
//! [`TunnelConfig`]: the one mapping the client uses.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::net::Ipv4Addr;

use crate::esp::{CipherCode, MacCode};
use crate::pulse::config::{Attribute, PulseConfig};
use crate::tunnel::{EspConfig, Extra, IfAddr, Prefix, TunnelConfig};

/// The prefix length of a contiguous netmask.
fn mask_len(mask: Ipv4Addr) -> Option<u8> {
    let m = u32::from(mask);
    let len = m.leading_ones();
    (m.checked_shl(len).unwrap_or(0) == 0).then_some(len as u8)
}

fn hex(v: &[u8]) -> String {
    let mut s = String::with_capacity(v.len() * 2);
    for b in v {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

fn attr_extra(a: &Attribute) -> Extra {
    Extra {
        name: format!("pulse {:#06x}", a.attr_type),
        value: hex(&a.value),
    }
}

/// The neutral configuration of a Pulse main configuration: both
/// families' addresses (a non-contiguous IPv4 netmask leaves the address
/// without a prefix and is reported in [`TunnelConfig::unusable`]), the
/// split ranges already as exact CIDR lists, DNS of both families in
/// arrival order, search domains, WINS (first three, as OpenConnect),
/// MTU and the ESP settings. The internal gateways, the ESP-only and
/// both-families flags and unknown attributes become
/// [`TunnelConfig::extra`] entries (`pulse 0xNNNN`); known attributes of
/// the wrong size are reported as unusable.
pub fn tunnel_config(c: &PulseConfig) -> TunnelConfig {
    let mut unusable = Vec::new();
    let ipv4 = c.ipv4_address.map(|addr| {
        let prefix_len = c.ipv4_netmask.and_then(|m| {
            let len = mask_len(m);
            if len.is_none() {
                unusable.push(format!("ignoring non-contiguous netmask {m}"));
            }
            len
        });
        IfAddr { addr, prefix_len }
    });
    let ipv6 = c.ipv6_address.map(|a| IfAddr {
        addr: a.addr,
        prefix_len: Some(a.prefix),
    });
    let v4 = |l: &[crate::pulse::config::Ipv4Cidr]| {
        l.iter()
            .map(|p| Prefix {
                addr: p.addr,
                len: p.prefix,
            })
            .collect::<Vec<_>>()
    };
    let v6 = |l: &[crate::pulse::config::Ipv6Cidr]| {
        l.iter()
            .map(|p| Prefix {
                addr: p.addr,
                len: p.prefix,
            })
            .collect::<Vec<_>>()
    };
    let mut extra = Vec::new();
    let mut named = |name: &str, value: String| {
        extra.push(Extra {
            name: name.into(),
            value,
        })
    };
    if let Some(g) = c.ipv4_gateway {
        named("pulse 0x400b", g.to_string());
    }
    if let Some(g) = c.ipv6_gateway {
        named("pulse 0x401e", g.to_string());
    }
    if let Some(f) = c.esp.esp_only {
        named("pulse 0x401a", u8::from(f).to_string());
    }
    if let Some(f) = c.esp.both_families {
        named("pulse 0x4024", u8::from(f).to_string());
    }
    extra.extend(c.unknown.iter().map(attr_extra));
    for m in &c.malformed {
        unusable.push(format!(
            "ignoring attribute {:#06x} of unexpected length {}",
            m.attr_type,
            m.value.len()
        ));
    }
    let e = &c.esp;
    let code8 = |v: Option<u16>| v.and_then(|v| u8::try_from(v).ok());
    TunnelConfig {
        ipv4,
        ipv6,
        include_v4: v4(&c.split_include),
        exclude_v4: v4(&c.split_exclude),
        include_v6: v6(&c.split_include_v6),
        exclude_v6: v6(&c.split_exclude_v6),
        dns: c.dns.clone(),
        search_domains: c.search_domains.clone(),
        wins: c.wins.iter().take(3).copied().collect(),
        mtu: c.mtu,
        esp: EspConfig {
            port: e.port,
            cipher: code8(e.cipher).map(CipherCode),
            integrity: code8(e.mac).map(MacCode),
            compression: false,
            lifetime_secs: e.lifetime_secs,
            lifetime_bytes: e.lifetime_bytes,
            dpd_secs: e.fallback_secs,
            replay_protection: e.replay_protection,
            both_families: e.both_families == Some(true),
        },
        extra,
        unusable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pulse::config::{Ipv4Cidr, Ipv6Cidr};
    use core::net::{IpAddr, Ipv6Addr};

    #[test]
    fn both_families_routes_dns_and_esp_map_over() {
        let mut c = PulseConfig {
            ipv4_address: Some(Ipv4Addr::new(10, 10, 1, 2)),
            ipv4_netmask: Some(Ipv4Addr::new(255, 255, 255, 0)),
            ipv6_address: Some(Ipv6Cidr {
                addr: "fd00::2".parse().unwrap(),
                prefix: 64,
            }),
            dns: alloc::vec![
                IpAddr::V4(Ipv4Addr::new(10, 0, 0, 53)),
                IpAddr::V6("fd00::53".parse().unwrap())
            ],
            wins: alloc::vec![Ipv4Addr::new(1, 1, 1, 1); 4],
            split_include: alloc::vec![Ipv4Cidr {
                addr: Ipv4Addr::new(10, 0, 0, 0),
                prefix: 8
            }],
            split_include_v6: alloc::vec![Ipv6Cidr {
                addr: "fd00::".parse().unwrap(),
                prefix: 48
            }],
            mtu: Some(1400),
            ipv6_gateway: Some(Ipv6Addr::LOCALHOST),
            ..PulseConfig::default()
        };
        c.esp.cipher = Some(2);
        c.esp.mac = Some(3);
        c.esp.port = Some(4500);
        c.esp.fallback_secs = Some(15);
        c.unknown.push(Attribute::new(0x4018, [0, 0, 0, 60]));
        c.malformed.push(Attribute::new(0x0001, [1, 2]));
        let t = tunnel_config(&c);
        assert_eq!(t.ipv4.unwrap().prefix_len, Some(24));
        assert_eq!(t.ipv6.unwrap().prefix_len, Some(64));
        assert_eq!(t.include_v4[0].len, 8);
        assert_eq!(t.include_v6[0].len, 48);
        assert_eq!(t.dns_v6().count(), 1);
        assert_eq!(t.wins.len(), 3);
        assert_eq!(t.esp.integrity, Some(MacCode::HMAC_SHA256_128));
        assert_eq!(t.esp.dpd_secs, Some(15));
        assert!(
            t.extra
                .iter()
                .any(|x| x.name == "pulse 0x4018" && x.value == "0000003c")
        );
        assert!(t.extra.iter().any(|x| x.name == "pulse 0x401e"));
        assert_eq!(t.unusable.len(), 1);
        c.ipv4_netmask = Some(Ipv4Addr::new(255, 0, 255, 0));
        let t = tunnel_config(&c);
        assert_eq!(t.ipv4.unwrap().prefix_len, None);
        assert_eq!(t.unusable.len(), 2);
    }
}
