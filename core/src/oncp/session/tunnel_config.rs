//! oNCP's configuration (KMP 301 values, spec/oncp.md §4.2) in the
//! protocol-neutral [`TunnelConfig`] and back.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt::Write;
use core::net::{IpAddr, Ipv4Addr};

use crate::oncp::wire::{ConfigValues, EspSettings, Route, UnknownTlv};
use crate::tunnel::{EspConfig, Extra, IfAddr, Prefix, TunnelConfig};

/// The name of TLV 1/3 (the informational "internal gateway") in
/// [`TunnelConfig::extra`].
const INTERNAL_GATEWAY: &str = "oncp 1/3";

/// The neutral configuration of oNCP values. Routes with a non-contiguous
/// netmask cannot be expressed as a prefix and go to
/// [`TunnelConfig::unusable`]; so does a non-contiguous address netmask
/// (the address then has no prefix). TLV 1/3 and unknown TLVs become
/// [`TunnelConfig::extra`] entries named `oncp G/A`.
pub fn tunnel_config(v: &ConfigValues) -> TunnelConfig {
    let mut unusable = Vec::new();
    let ipv4 = v.address.map(|addr| {
        let prefix_len = v.netmask.and_then(|mask| {
            let len = Route { addr, mask }.prefix_len();
            if len.is_none() {
                unusable.push(format!("ignoring non-contiguous netmask {mask}"));
            }
            len
        });
        IfAddr { addr, prefix_len }
    });
    let mut prefixes = |routes: &[Route], kind: &str| -> Vec<Prefix<Ipv4Addr>> {
        routes
            .iter()
            .filter_map(|r| match r.prefix_len() {
                Some(len) => Some(Prefix { addr: r.addr, len }),
                None => {
                    unusable.push(format!(
                        "discarding {kind} route {}/{}: bad netmask",
                        r.addr, r.mask
                    ));
                    None
                }
            })
            .collect()
    };
    let include_v4 = prefixes(&v.split_include, "split-include");
    let exclude_v4 = prefixes(&v.split_exclude, "split-exclude");
    let mut extra = Vec::new();
    if let Some(gw) = v.internal_gateway {
        extra.push(Extra {
            name: INTERNAL_GATEWAY.into(),
            value: gw.to_string(),
        });
    }
    for u in &v.unknown {
        extra.push(Extra {
            name: format!("oncp {}/{}", u.group, u.attr),
            value: hex(&u.value),
        });
    }
    let e = &v.esp;
    TunnelConfig {
        ipv4,
        ipv6: None,
        include_v4,
        exclude_v4,
        include_v6: Vec::new(),
        exclude_v6: Vec::new(),
        dns: v.dns.iter().map(|&a| IpAddr::V4(a)).collect(),
        search_domains: v.search_domains().into_iter().map(String::from).collect(),
        wins: v.wins.clone(),
        mtu: v.mtu,
        esp: EspConfig {
            port: e.port,
            cipher: e.cipher,
            integrity: e.mac,
            compression: e.compression == Some(true),
            lifetime_secs: e.lifetime_secs,
            lifetime_bytes: e.lifetime_bytes,
            dpd_secs: e.fallback_secs,
            replay_protection: e.replay_protection,
            both_families: false,
        },
        extra,
        unusable,
    }
}

/// The oNCP values (groups 1–6 and unknown TLVs) a gateway sends for a
/// neutral configuration; the ESP groups are the session's to fill in.
/// IPv6 settings are not carried (oNCP is IPv4 only, spec §10); search
/// domains are sent as one 2/2 text, comma-separated; `extra` entries
/// named `oncp G/A` are sent as those TLVs (hex values; 1/3 an address).
pub fn config_values(t: &TunnelConfig) -> ConfigValues {
    let route = |p: &Prefix<Ipv4Addr>| Route::from_prefix(p.addr, p.len);
    let mut v = ConfigValues {
        address: t.ipv4.map(|a| a.addr),
        netmask: t
            .ipv4
            .and_then(|a| a.prefix_len)
            .map(|len| Route::from_prefix(Ipv4Addr::UNSPECIFIED, len).mask),
        dns: t.dns_v4().collect(),
        search_domain: (!t.search_domains.is_empty()).then(|| t.search_domains.join(",")),
        split_include: t.include_v4.iter().map(route).collect(),
        split_exclude: t.exclude_v4.iter().map(route).collect(),
        wins: t.wins.clone(),
        mtu: t.mtu,
        esp: EspSettings::default(),
        ..ConfigValues::default()
    };
    for x in &t.extra {
        let Some((group, attr)) = tlv_name(&x.name) else {
            continue;
        };
        if (group, attr) == (1, 3) {
            v.internal_gateway = x.value.parse().ok();
        } else if let Some(value) = unhex(&x.value) {
            v.unknown.push(UnknownTlv { group, attr, value });
        }
    }
    v
}

/// `G/A` of an extra entry named `oncp G/A`.
fn tlv_name(name: &str) -> Option<(u16, u16)> {
    let (g, a) = name.strip_prefix("oncp ")?.split_once('/')?;
    Some((g.parse().ok()?, a.parse().ok()?))
}

/// Bytes from hex digits (`None` for an odd length or a non-digit).
fn unhex(text: &str) -> Option<Vec<u8>> {
    let digits = text.as_bytes();
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    digits
        .chunks(2)
        .map(|p| {
            let d = |c: u8| (c as char).to_digit(16);
            Some((d(p[0])? * 16 + d(p[1])?) as u8)
        })
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::esp::{CipherCode, MacCode};
    use alloc::vec;

    fn ip(s: &str) -> Ipv4Addr {
        s.parse().unwrap()
    }

    fn values() -> ConfigValues {
        ConfigValues {
            address: Some(ip("10.9.0.5")),
            netmask: Some(ip("255.255.255.0")),
            internal_gateway: Some(ip("10.9.0.1")),
            dns: vec![ip("10.0.0.53"), ip("10.0.0.54")],
            search_domain: Some("corp.example, lab.example".into()),
            split_include: vec![
                Route::from_prefix(ip("10.1.2.3"), 16),
                Route {
                    addr: ip("10.2.0.0"),
                    mask: ip("255.0.255.0"),
                },
            ],
            split_exclude: vec![Route::from_prefix(ip("10.1.9.0"), 24)],
            wins: vec![ip("10.0.0.9")],
            mtu: Some(1400),
            esp: EspSettings {
                spi: Some(0x1234),
                secrets: Some([7; 64]),
                cipher: Some(CipherCode::AES256_CBC),
                mac: Some(MacCode::HMAC_MD5_96),
                compression: Some(true),
                port: Some(4500),
                lifetime_bytes: Some(1 << 20),
                lifetime_secs: Some(3600),
                fallback_secs: Some(10),
                replay_protection: Some(true),
            },
            unknown: vec![UnknownTlv {
                group: 9,
                attr: 4,
                value: vec![0xde, 0xad],
            }],
        }
    }

    #[test]
    fn every_value_lands_in_its_neutral_place() {
        let t = tunnel_config(&values());
        assert_eq!(
            t.ipv4,
            Some(IfAddr {
                addr: ip("10.9.0.5"),
                prefix_len: Some(24)
            })
        );
        assert_eq!(
            t.include_v4,
            [Prefix {
                addr: ip("10.1.2.3"),
                len: 16
            }]
        );
        assert_eq!(t.exclude_v4.len(), 1);
        assert_eq!(
            t.unusable,
            ["discarding split-include route 10.2.0.0/255.0.255.0: bad netmask"]
        );
        assert_eq!(
            t.dns_v4().collect::<Vec<_>>(),
            [ip("10.0.0.53"), ip("10.0.0.54")]
        );
        assert_eq!(t.search_domains, ["corp.example", "lab.example"]);
        assert_eq!(t.wins, [ip("10.0.0.9")]);
        assert_eq!(t.mtu, Some(1400));
        assert_eq!(
            t.esp,
            EspConfig {
                port: Some(4500),
                cipher: Some(CipherCode::AES256_CBC),
                integrity: Some(MacCode::HMAC_MD5_96),
                compression: true,
                lifetime_secs: Some(3600),
                lifetime_bytes: Some(1 << 20),
                dpd_secs: Some(10),
                replay_protection: Some(true),
                both_families: false,
            }
        );
        assert_eq!(
            t.extra,
            [
                Extra {
                    name: "oncp 1/3".into(),
                    value: "10.9.0.1".into()
                },
                Extra {
                    name: "oncp 9/4".into(),
                    value: "dead".into()
                },
            ]
        );
        // No key material reaches the neutral configuration.
        assert!(!alloc::format!("{t:?}").contains("7, 7"));
    }

    #[test]
    fn odd_netmask_leaves_the_address_without_prefix() {
        let v = ConfigValues {
            address: Some(ip("10.9.0.5")),
            netmask: Some(ip("255.0.255.0")),
            ..Default::default()
        };
        let t = tunnel_config(&v);
        assert_eq!(t.ipv4.unwrap().prefix_len, None);
        assert_eq!(t.unusable, ["ignoring non-contiguous netmask 255.0.255.0"]);
        assert!(tunnel_config(&ConfigValues::default()).ipv4.is_none());
    }

    #[test]
    fn back_to_values_keeps_what_oncp_carries() {
        let mut v = values();
        v.split_include.truncate(1);
        v.search_domain = Some("corp.example,lab.example".into());
        let back = config_values(&tunnel_config(&v));
        let mut expected = v.clone();
        expected.esp = EspSettings::default();
        assert_eq!(back, expected);
        let mut t = tunnel_config(&v);
        t.extra.push(Extra {
            name: "pulse 7".into(),
            value: "x".into(),
        });
        t.ipv6 = Some(IfAddr {
            addr: "2001:db8::2".parse().unwrap(),
            prefix_len: Some(64),
        });
        assert_eq!(
            config_values(&t),
            expected,
            "foreign and IPv6 entries are not sent"
        );
    }
}
