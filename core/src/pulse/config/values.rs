//! Typed values of a main configuration (spec/pulse.md §5.5–§5.7): the
//! addresses of both families, split routes as exact CIDR lists, DNS,
//! search domains, WINS, MTU and the ESP parameters. Unknown attributes
//! are kept raw; a known attribute of the wrong length is kept in
//! [`PulseConfig::malformed`] and otherwise ignored, as OpenConnect does.

use alloc::string::String;
use alloc::vec::Vec;
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::super::error::{PulseError, PulseErrorKind};
use super::attr::{Attribute, attr_type as at};
use super::cidr::{Ipv4Cidr, Ipv6Cidr, range_to_cidrs};
use super::header::ConfigKind;
use super::main::{MainConfig, RouteRange};
use crate::esp::{Cipher, EspError, Integrity};
use crate::oncp::wire::{CipherCode, MacCode};

/// The ESP parameters (attributes 0x4010–0x4024).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct PulseEsp {
    /// 0x4010: cipher code (2 AES-128-CBC, 5 AES-256-CBC).
    pub cipher: Option<u16>,
    /// 0x4011: MAC code (1 MD5-96, 2 SHA1-96, 3 SHA-256-128).
    pub mac: Option<u16>,
    /// 0x4012: key lifetime, seconds.
    pub lifetime_secs: Option<u32>,
    /// 0x4013: key lifetime, bytes.
    pub lifetime_bytes: Option<u32>,
    /// 0x4014: replay protection.
    pub replay_protection: Option<bool>,
    /// 0x4016: UDP port on the gateway; without it no ESP.
    pub port: Option<u16>,
    /// 0x4017: ESP-to-TLS fallback seconds (the ESP DPD interval).
    pub fallback_secs: Option<u32>,
    /// 0x401a: "ESP only" (not enforced).
    pub esp_only: Option<bool>,
    /// 0x4024: ESP may carry both IP families.
    pub both_families: Option<bool>,
}

impl PulseEsp {
    /// The algorithms, if both codes are present and known.
    pub fn algorithms(&self) -> Result<(Cipher, Integrity), EspError> {
        let c = self.cipher.ok_or(EspError::UnsupportedCipher(0))?;
        let m = self.mac.ok_or(EspError::UnsupportedIntegrity(0))?;
        let c = u8::try_from(c).map_err(|_| EspError::UnsupportedCipher(0xff))?;
        let m = u8::try_from(m).map_err(|_| EspError::UnsupportedIntegrity(0xff))?;
        Ok((
            Cipher::from_code(CipherCode(c))?,
            Integrity::from_pulse_code(MacCode(m))?,
        ))
    }

    /// Whether the gateway offers ESP: port and known algorithms present,
    /// and their keys fit the 64-byte key block (spec §6.1).
    pub fn usable(&self) -> bool {
        self.port.is_some()
            && self
                .algorithms()
                .is_ok_and(|(c, i)| c.key_len() + i.key_len() <= 64)
    }
}

/// The typed main configuration.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct PulseConfig {
    /// 0x0001: internal IPv4 address.
    pub ipv4_address: Option<Ipv4Addr>,
    /// 0x0002: its netmask.
    pub ipv4_netmask: Option<Ipv4Addr>,
    /// 0x0008: internal IPv6 address and prefix length.
    pub ipv6_address: Option<Ipv6Cidr>,
    /// 0x0003 and 0x000a: DNS servers of both families, in arrival order.
    pub dns: Vec<IpAddr>,
    /// 0x0004: WINS servers.
    pub wins: Vec<Ipv4Addr>,
    /// 0x4006: search domains, split on `,`, `;` and spaces.
    pub search_domains: Vec<String>,
    /// Route block includes, as exact CIDR lists.
    pub split_include: Vec<Ipv4Cidr>,
    /// Route block excludes, as exact CIDR lists.
    pub split_exclude: Vec<Ipv4Cidr>,
    /// 0x000f: IPv6 split includes.
    pub split_include_v6: Vec<Ipv6Cidr>,
    /// 0x0010: IPv6 split excludes.
    pub split_exclude_v6: Vec<Ipv6Cidr>,
    /// 0x4005: MTU.
    pub mtu: Option<u32>,
    /// 0x400b: internal IPv4 gateway (recorded only).
    pub ipv4_gateway: Option<Ipv4Addr>,
    /// 0x401e: internal IPv6 gateway (recorded only).
    pub ipv6_gateway: Option<Ipv6Addr>,
    /// ESP parameters.
    pub esp: PulseEsp,
    /// Attributes not understood, in order (extra blocks first).
    pub unknown: Vec<Attribute>,
    /// Known attributes of the wrong length, ignored.
    pub malformed: Vec<Attribute>,
}

fn v4(v: &[u8]) -> Option<Ipv4Addr> {
    <[u8; 4]>::try_from(v).ok().map(Ipv4Addr::from)
}
fn v6(v: &[u8]) -> Option<Ipv6Addr> {
    <[u8; 16]>::try_from(v).ok().map(Ipv6Addr::from)
}
fn v6p(v: &[u8]) -> Option<Ipv6Cidr> {
    (v.len() == 17 && v[16] <= 128).then(|| Ipv6Cidr {
        addr: v6(&v[..16]).unwrap_or(Ipv6Addr::UNSPECIFIED),
        prefix: v[16],
    })
}
fn be32v(v: &[u8]) -> Option<u32> {
    <[u8; 4]>::try_from(v).ok().map(u32::from_be_bytes)
}
fn be16v(v: &[u8]) -> Option<u16> {
    <[u8; 2]>::try_from(v).ok().map(u16::from_be_bytes)
}
fn flag(v: &[u8]) -> Option<bool> {
    match v {
        [b] => Some(*b != 0),
        _ => None,
    }
}

impl PulseConfig {
    /// The typed values of `msg`. Errors only for a route range that ends
    /// before it starts.
    pub fn from_main(msg: &MainConfig) -> Result<PulseConfig, PulseError> {
        let mut c = PulseConfig::default();
        for r in &msg.routes {
            if r.first > r.last {
                return Err(PulseError::new(
                    0,
                    PulseErrorKind::Config("route range ends before it starts"),
                ));
            }
            let list = if r.exclude {
                &mut c.split_exclude
            } else {
                &mut c.split_include
            };
            list.extend(range_to_cidrs(r.first, r.last));
        }
        // Attributes of the extra blocks (§5.4) count like the others.
        for a in msg.extra.iter().flat_map(|b| &b.attrs).chain(&msg.attrs) {
            if !c.apply(a) {
                c.malformed.push(a.clone());
            }
        }
        Ok(c)
    }

    /// Applies one attribute; false if it is known but malformed.
    fn apply(&mut self, a: &Attribute) -> bool {
        let v = a.value.as_slice();
        macro_rules! set {
            ($field:expr, $parse:expr) => {
                match $parse {
                    Some(x) => {
                        $field = Some(x);
                        true
                    }
                    None => false,
                }
            };
        }
        macro_rules! push {
            ($field:expr, $parse:expr) => {
                match $parse {
                    Some(x) => {
                        $field.push(x);
                        true
                    }
                    None => false,
                }
            };
        }
        match a.attr_type {
            at::IPV4_ADDRESS => set!(self.ipv4_address, v4(v)),
            at::IPV4_NETMASK => set!(self.ipv4_netmask, v4(v)),
            at::IPV4_DNS => push!(self.dns, v4(v).map(IpAddr::V4)),
            at::WINS => push!(self.wins, v4(v)),
            at::IPV6_ADDRESS => set!(self.ipv6_address, v6p(v)),
            at::IPV6_DNS => push!(self.dns, v6(v).map(IpAddr::V6)),
            at::IPV6_INCLUDE => push!(self.split_include_v6, v6p(v)),
            at::IPV6_EXCLUDE => push!(self.split_exclude_v6, v6p(v)),
            at::MTU => set!(self.mtu, be32v(v)),
            at::SEARCH_DOMAINS => {
                let v = v.strip_suffix(&[0]).unwrap_or(v);
                match core::str::from_utf8(v) {
                    Ok(s) => {
                        self.search_domains.extend(
                            s.split([',', ';', ' '])
                                .filter(|d| !d.is_empty())
                                .map(String::from),
                        );
                        true
                    }
                    Err(_) => false,
                }
            }
            at::IPV4_GATEWAY => set!(self.ipv4_gateway, v4(v)),
            at::IPV6_GATEWAY => set!(self.ipv6_gateway, v6(v)),
            at::ESP_CIPHER => set!(self.esp.cipher, be16v(v)),
            at::ESP_MAC => set!(self.esp.mac, be16v(v)),
            at::ESP_LIFETIME_SECS => set!(self.esp.lifetime_secs, be32v(v)),
            at::ESP_LIFETIME_BYTES => set!(self.esp.lifetime_bytes, be32v(v)),
            at::ESP_REPLAY => set!(self.esp.replay_protection, be32v(v).map(|x| x != 0)),
            at::ESP_PORT => set!(self.esp.port, be16v(v)),
            at::ESP_FALLBACK => set!(self.esp.fallback_secs, be32v(v)),
            at::ESP_ONLY => set!(self.esp.esp_only, flag(v)),
            at::ESP_BOTH_FAMILIES => set!(self.esp.both_families, flag(v)),
            _ => {
                self.unknown.push(a.clone());
                true
            }
        }
    }

    /// Whether it has what a client needs after the end marker: an MTU
    /// and an address of either family (spec §5.7).
    pub fn is_sufficient(&self) -> bool {
        self.mtu.is_some() && (self.ipv4_address.is_some() || self.ipv6_address.is_some())
    }

    /// A main configuration (kind 0x2c20f000) carrying these values, for a
    /// gateway: routes as aligned ranges (one per CIDR), attributes in the
    /// order of spec §8.5, then the unknown ones. Malformed ones are
    /// dropped. The route block's BE16 length limits it to 4095 routes
    /// (more would not parse back).
    pub fn to_main(&self) -> MainConfig {
        let mut routes = Vec::new();
        for (list, exclude) in [(&self.split_include, false), (&self.split_exclude, true)] {
            routes.extend(list.iter().map(|c| {
                let (first, last) = c.range();
                RouteRange {
                    exclude,
                    first,
                    last,
                }
            }));
        }
        let mut attrs = Vec::new();
        let mut put = |t: u16, v: &[u8]| attrs.push(Attribute::new(t, v));
        let pfx = |c: &Ipv6Cidr| {
            let mut v = c.addr.octets().to_vec();
            v.push(c.prefix);
            v
        };
        if let Some(a) = self.ipv4_address {
            put(at::IPV4_ADDRESS, &a.octets());
        }
        if let Some(m) = self.ipv4_netmask {
            put(at::IPV4_NETMASK, &m.octets());
        }
        if let Some(a) = &self.ipv6_address {
            put(at::IPV6_ADDRESS, &pfx(a));
        }
        for d in &self.dns {
            match d {
                IpAddr::V4(d) => put(at::IPV4_DNS, &d.octets()),
                IpAddr::V6(d) => put(at::IPV6_DNS, &d.octets()),
            }
        }
        for w in &self.wins {
            put(at::WINS, &w.octets());
        }
        for c in &self.split_include_v6 {
            put(at::IPV6_INCLUDE, &pfx(c));
        }
        for c in &self.split_exclude_v6 {
            put(at::IPV6_EXCLUDE, &pfx(c));
        }
        if !self.search_domains.is_empty() {
            let mut v = self.search_domains.join(",").into_bytes();
            v.push(0);
            put(at::SEARCH_DOMAINS, &v);
        }
        if let Some(m) = self.mtu {
            put(at::MTU, &m.to_be_bytes());
        }
        if let Some(g) = self.ipv4_gateway {
            put(at::IPV4_GATEWAY, &g.octets());
        }
        if let Some(g) = self.ipv6_gateway {
            put(at::IPV6_GATEWAY, &g.octets());
        }
        let e = &self.esp;
        if let Some(x) = e.cipher {
            put(at::ESP_CIPHER, &x.to_be_bytes());
        }
        if let Some(x) = e.mac {
            put(at::ESP_MAC, &x.to_be_bytes());
        }
        if let Some(x) = e.lifetime_secs {
            put(at::ESP_LIFETIME_SECS, &x.to_be_bytes());
        }
        if let Some(x) = e.lifetime_bytes {
            put(at::ESP_LIFETIME_BYTES, &x.to_be_bytes());
        }
        if let Some(x) = e.replay_protection {
            put(at::ESP_REPLAY, &u32::from(x).to_be_bytes());
        }
        if let Some(x) = e.port {
            put(at::ESP_PORT, &x.to_be_bytes());
        }
        if let Some(x) = e.fallback_secs {
            put(at::ESP_FALLBACK, &x.to_be_bytes());
        }
        if let Some(x) = e.esp_only {
            put(at::ESP_ONLY, &[u8::from(x)]);
        }
        if let Some(x) = e.both_families {
            put(at::ESP_BOTH_FAMILIES, &[u8::from(x)]);
        }
        for u in &self.unknown {
            put(u.attr_type, &u.value);
        }
        MainConfig {
            kind: ConfigKind::MAIN,
            extra: Vec::new(),
            routes,
            attrs,
        }
    }
}
