//! What a Pulse gateway sends for a neutral [`TunnelConfig`]: the typed
//! main configuration (spec §5.6) and the ESP offer the session keys.

use alloc::string::String;
use alloc::vec::Vec;

use crate::esp::{Cipher, Integrity};
use crate::pulse::config::{Ipv4Cidr, Ipv6Cidr, PulseConfig, PulseEsp};
use crate::time::Duration;
use crate::tunnel::{Prefix, TunnelConfig};

/// The ESP a Pulse gateway session offers (keys are made by the session).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EspOffer {
    /// UDP port of the gateway's ESP endpoint (attribute 0x4016).
    pub port: u16,
    /// Encryption.
    pub cipher: Cipher,
    /// Integrity (HMAC-SHA-256-128 allowed: Pulse code 3).
    pub integrity: Integrity,
    /// Rekey this often (also announced as the 0x4012 lifetime).
    pub rekey_after: Option<Duration>,
    /// ESP dead-peer interval announced (0x4017).
    pub dpd: Option<Duration>,
    /// Enforce the replay window (0x4014).
    pub replay_protection: bool,
}

/// Why a configuration cannot be offered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OfferError {
    /// Neither an IPv4 nor an IPv6 address (a client needs one, §5.7).
    NoAddress,
    /// No MTU (a client needs it, §5.7).
    NoMtu,
    /// More routes than the route block's 16-bit length can hold.
    TooManyRoutes(usize),
}

impl core::fmt::Display for OfferError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            OfferError::NoAddress => f.write_str("no IPv4 or IPv6 address to assign"),
            OfferError::NoMtu => f.write_str("no MTU"),
            OfferError::TooManyRoutes(n) => {
                write!(
                    f,
                    "{n} IPv4 routes do not fit one route block (4095 at most)"
                )
            }
        }
    }
}

/// Most IPv4 route entries a route block holds (BE16 length = 8 + 16·N).
pub const MAX_ROUTES: usize = (u16::MAX as usize - 8) / 16;

/// The ESP offer of `t`: none without a port or with an algorithm code
/// Pulse does not know; AES-128-CBC with HMAC-SHA1-96 when no algorithm
/// is named; replay protection unless refused.
pub fn esp_offer(t: &TunnelConfig) -> Option<EspOffer> {
    let e = &t.esp;
    let port = e.port?;
    let cipher = match e.cipher {
        Some(c) => Cipher::from_code(c).ok()?,
        None => Cipher::Aes128Cbc,
    };
    let integrity = match e.integrity {
        Some(m) => Integrity::from_pulse_code(m).ok()?,
        None => Integrity::HmacSha1_96,
    };
    let secs = |s: Option<u32>| s.map(|s| Duration::from_secs(u64::from(s)));
    Some(EspOffer {
        port,
        cipher,
        integrity,
        rekey_after: secs(e.lifetime_secs),
        dpd: secs(e.dpd_secs),
        replay_protection: e.replay_protection.unwrap_or(true),
    })
}

fn v4(p: &Prefix<core::net::Ipv4Addr>) -> Ipv4Cidr {
    Ipv4Cidr {
        addr: p.network(),
        prefix: p.len.min(32),
    }
}

fn v6(p: &Prefix<core::net::Ipv6Addr>) -> Ipv6Cidr {
    Ipv6Cidr {
        addr: p.network(),
        prefix: p.len.min(128),
    }
}

/// The typed main configuration for `t` with `esp` offered: the IPv4
/// address with the netmask of its prefix (255.255.255.255 without one),
/// the IPv6 address with its prefix (/128 without one), routes of both
/// families, DNS, search domains, WINS, MTU and the ESP attributes.
pub fn pulse_config(t: &TunnelConfig, esp: Option<&EspOffer>) -> Result<PulseConfig, OfferError> {
    if t.ipv4.is_none() && t.ipv6.is_none() {
        return Err(OfferError::NoAddress);
    }
    let mtu = t.mtu.ok_or(OfferError::NoMtu)?;
    let routes = t.include_v4.len() + t.exclude_v4.len();
    if routes > MAX_ROUTES {
        return Err(OfferError::TooManyRoutes(routes));
    }
    let esp = match esp {
        Some(o) => PulseEsp {
            cipher: Some(u16::from(o.cipher.code().0)),
            mac: Some(u16::from(o.integrity.code().0)),
            lifetime_secs: o.rekey_after.map(secs32),
            lifetime_bytes: None,
            replay_protection: Some(o.replay_protection),
            port: Some(o.port),
            fallback_secs: o.dpd.map(secs32),
            esp_only: None,
            both_families: t.esp.both_families.then_some(true),
        },
        None => PulseEsp::default(),
    };
    Ok(PulseConfig {
        ipv4_address: t.ipv4.map(|a| a.addr),
        ipv4_netmask: t.ipv4.map(|a| {
            Prefix {
                addr: a.addr,
                len: a.prefix_len.unwrap_or(32),
            }
            .netmask()
        }),
        ipv6_address: t.ipv6.map(|a| Ipv6Cidr {
            addr: a.addr,
            prefix: a.prefix_len.unwrap_or(128).min(128),
        }),
        dns: t.dns.clone(),
        wins: t.wins.clone(),
        search_domains: t
            .search_domains
            .iter()
            .filter(|d| !d.is_empty())
            .map(String::clone)
            .collect(),
        split_include: t.include_v4.iter().map(v4).collect(),
        split_exclude: t.exclude_v4.iter().map(v4).collect(),
        split_include_v6: t.include_v6.iter().map(v6).collect(),
        split_exclude_v6: t.exclude_v6.iter().map(v6).collect(),
        mtu: Some(mtu),
        ipv4_gateway: None,
        ipv6_gateway: None,
        esp,
        unknown: Vec::new(),
        malformed: Vec::new(),
    })
}

fn secs32(d: Duration) -> u32 {
    u32::try_from(d.as_secs()).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::esp::{CipherCode, MacCode};
    use crate::pulse::config::MainConfig;
    use crate::tunnel::{EspConfig, IfAddr};
    use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

    fn sample() -> TunnelConfig {
        TunnelConfig {
            ipv4: Some(IfAddr {
                addr: Ipv4Addr::new(10, 10, 1, 2),
                prefix_len: Some(24),
            }),
            ipv6: Some(IfAddr {
                addr: "fd00:10::2".parse().unwrap(),
                prefix_len: Some(64),
            }),
            include_v4: alloc::vec![Prefix {
                addr: Ipv4Addr::new(10, 0, 0, 7),
                len: 8
            }],
            exclude_v4: alloc::vec![Prefix {
                addr: Ipv4Addr::new(10, 1, 2, 0),
                len: 24
            }],
            include_v6: alloc::vec![Prefix {
                addr: "fd00::".parse().unwrap(),
                len: 16
            }],
            dns: alloc::vec![
                IpAddr::V4(Ipv4Addr::new(10, 0, 0, 53)),
                IpAddr::V6("fd00::53".parse().unwrap())
            ],
            search_domains: alloc::vec!["example.com".into(), "corp.example".into()],
            wins: alloc::vec![Ipv4Addr::new(10, 0, 0, 9)],
            mtu: Some(1400),
            esp: EspConfig {
                port: Some(4500),
                cipher: Some(CipherCode::AES256_CBC),
                integrity: Some(MacCode::HMAC_SHA256_128),
                lifetime_secs: Some(1200),
                dpd_secs: Some(15),
                ..EspConfig::default()
            },
            ..TunnelConfig::default()
        }
    }

    #[test]
    fn neutral_configuration_survives_the_wire() {
        let t = sample();
        let offer = esp_offer(&t).unwrap();
        assert_eq!(
            (offer.cipher, offer.integrity, offer.port),
            (Cipher::Aes256Cbc, Integrity::HmacSha256_128, 4500)
        );
        let p = pulse_config(&t, Some(&offer)).unwrap();
        let wire = p.to_main().to_value();
        let back = PulseConfig::from_main(&MainConfig::parse(&wire).unwrap()).unwrap();
        assert_eq!(back, p);
        assert_eq!(back.ipv4_netmask, Some(Ipv4Addr::new(255, 255, 255, 0)));
        assert_eq!(back.split_include[0].addr, Ipv4Addr::new(10, 0, 0, 0));
        assert_eq!(back.split_exclude.len(), 1);
        assert_eq!(back.split_include_v6[0].prefix, 16);
        assert_eq!(
            back.ipv6_address.unwrap().addr,
            "fd00:10::2".parse::<Ipv6Addr>().unwrap()
        );
        assert_eq!(back.dns.len(), 2);
        assert_eq!(back.search_domains, ["example.com", "corp.example"]);
        assert_eq!(back.esp.mac, Some(3));
        assert_eq!(back.esp.fallback_secs, Some(15));
        assert_eq!(back.esp.lifetime_secs, Some(1200));
        assert!(back.esp.usable());
        assert!(back.is_sufficient());
        assert_eq!(back.esp.both_families, None, "0x4024 only when allowed");
        let mut both = t.clone();
        both.esp.both_families = true;
        let p = pulse_config(&both, Some(&offer)).unwrap();
        let wire = p.to_main().to_value();
        let back = PulseConfig::from_main(&MainConfig::parse(&wire).unwrap()).unwrap();
        assert_eq!(back.esp.both_families, Some(true));
        assert!(
            crate::pulse::session::tunnel_config::tunnel_config(&back)
                .esp
                .both_families
        );
    }

    #[test]
    fn unusable_offers_are_refused() {
        let mut t = sample();
        t.esp.integrity = Some(MacCode(9));
        assert_eq!(esp_offer(&t), None);
        t.esp.port = None;
        assert_eq!(esp_offer(&t), None);
        t.mtu = None;
        assert_eq!(pulse_config(&t, None), Err(OfferError::NoMtu));
        t.mtu = Some(1400);
        t.ipv4 = None;
        t.ipv6 = None;
        assert_eq!(pulse_config(&t, None), Err(OfferError::NoAddress));
        t.ipv4 = sample().ipv4;
        t.include_v4 = alloc::vec![
            Prefix {
                addr: Ipv4Addr::new(10, 0, 0, 0),
                len: 32
            };
            MAX_ROUTES + 1
        ];
        assert_eq!(
            pulse_config(&t, None),
            Err(OfferError::TooManyRoutes(MAX_ROUTES + 2))
        );
        // Without ESP no ESP attribute goes out.
        let p = pulse_config(&sample(), None).unwrap();
        assert_eq!(p.esp, PulseEsp::default());
    }
}
